"""The torch face of a binding: `BoundSchedule`, a ``torch.optim.lr_scheduler.LRScheduler``.

It knows nothing of individual schedule kinds. Its parts: `lrsched._drives` (what is
bound, checked), `lrsched._plan` (what a step writes, the one write path and the value
guard), `lrsched._feeding` (the plateaus fed incrementally), `lrsched._checkpoint`
(the torch-free state format). The value at time ``t`` depends only on ``t`` (and, for plateaus,
on the metrics recorded before ``t``), never on the current value or on other schedulers.

The clock: with ``clock="step"`` (torch's way) each ``step()`` call advances one step; with
``clock="optimizer"`` the binding follows the optimizer's own steps through a step hook, so
the order of calls, an optimizer step skipped by AMP's gradient scaler and a trainer that calls
``step()`` several times per optimizer step cannot shift the schedule.
"""

from __future__ import annotations

import math
import numbers
import weakref
from collections.abc import Iterable, Mapping
from functools import lru_cache
from typing import Any

import attrs
import numpy as np
import torch
from torch.optim import Optimizer
from torch.optim.lr_scheduler import LRScheduler, ReduceLROnPlateau

from lrsched._checkpoint import CHANGE_POLICIES, Cell, Layout, Saved, decode, encode
from lrsched._core import Schedule, _scalar_time
from lrsched._drives import Drive, ScheduleSpec, drives
from lrsched._drives import steps_per_epoch as checked_steps_per_epoch
from lrsched._errors import ScheduleError
from lrsched._feeding import Evaluator, clock_problem, contains_plateau
from lrsched._plan import STALE, Plan, Refused, build, check, domain, plain, scaled
from lrsched._run import Run
from lrsched._validate import choice, count, format_number

__all__ = ["BoundSchedule", "bind"]

_SEEK_TOLERANCE = 1e-9
_CLOCKS = ("step", "optimizer")
_INSPECTION_HORIZON = 10**4  # breakpoints looked for at bind time
_BINDINGS: weakref.WeakKeyDictionary[Optimizer, list[weakref.ref[BoundSchedule]]] = (
    weakref.WeakKeyDictionary()
)
"""The live bindings of each optimizer: two may not drive the same value."""


@attrs.frozen
class _Setup:
    """What is bound, worked out from the drives (changes only with the schedules)."""

    drives: tuple[Drive, ...]
    slots: Mapping[Schedule, int]
    fed: bool  # whether a plateau occurs in a bound schedule
    clock_problem: str | None  # why metrics cannot be recorded, if they cannot

    @classmethod
    def of(cls, drives: tuple[Drive, ...]) -> _Setup:
        slots: dict[Schedule, int] = {}
        problems = []
        for drive in drives:
            for where, s in drive.schedules():
                problems.append(clock_problem(s, where))
                slots.setdefault(s, len(slots))
        fed = any(contains_plateau(s) for s in slots)
        problem = next((p for p in problems if p is not None), None)
        return cls(drives, slots, fed, problem)

    def evaluator(self) -> Evaluator:
        return Evaluator(tuple(self.slots))

    def entries(self, n: int) -> dict[str, list[Any]]:
        return {drive.key: drive.column(n) for drive in self.drives}


class BoundSchedule(LRScheduler):
    """Schedules bound to an optimizer's param groups: a ``torch.optim.lr_scheduler.LRScheduler``.

    Create it with `bind` (same arguments). Key ``k`` of group ``g`` at time ``t`` is
    ``base * schedule(t)``, where ``base`` is the group's ``initial_<k>`` (relative keys) or 1
    (absolute keys); the binding never reads the current values.

    ``step(x)`` has one meaning, decided by the schedules as torch decides it by the class: if
    a bound schedule holds a ``plateau``, ``x`` (a number or a one-element tensor) is a metric,
    as for ``ReduceLROnPlateau`` (and such a binding is a ``ReduceLROnPlateau`` for trainers
    that ask); otherwise ``x`` is an epoch, as for torch's other schedulers.

    Attributes:
        optimizer: The bound optimizer.
        absolute: True if every driven key is absolute, False if none is, otherwise the sorted
            tuple of the absolute keys.
        steps_per_epoch: Steps per unit of schedule time, or None (one step is one unit).
        clock: ``"step"`` (``step()`` advances the clock) or ``"optimizer"`` (the optimizer's
            steps do).
        last_epoch: The number of steps taken; the schedules' time is
            ``last_epoch / steps_per_epoch``.
        base_lrs: The lr base of each group: its ``initial_lr``, 1.0 (absolute), or None if the
            group's lr is not driven.

    """

    def __init__(  # noqa: PLR0913 (bind's keyword-only options)
        self,
        optimizer: Optimizer,
        schedule: ScheduleSpec | LRScheduler = None,
        *,
        absolute: bool | Iterable[str] | None = None,
        steps_per_epoch: int | None = None,
        clock: str = "step",
        on_schedule_change: str = "refuse",
        replace: bool = False,
        run: Run | None = None,
        **keys: ScheduleSpec,
    ) -> None:
        # LRScheduler.__init__ is deliberately not called: it monkey-patches optimizer.step to
        # emit ordering warnings, and computes the first lr through get_lr's mutation protocol.
        if not isinstance(optimizer, Optimizer):
            msg = f"optimizer must be a torch.optim.Optimizer (got {type(optimizer).__name__})"
            raise TypeError(msg)
        self.optimizer = optimizer
        self.steps_per_epoch = checked_steps_per_epoch(steps_per_epoch)
        self._per_epoch = self.steps_per_epoch or 1
        self.clock = choice("clock", clock, _CLOCKS)
        self._follows = self.clock == "optimizer"
        self.on_schedule_change = choice("on_schedule_change", on_schedule_change, CHANGE_POLICIES)
        spec, keys, absolute_keys, start = _converted(optimizer, schedule, keys, absolute)
        if start and self.steps_per_epoch is not None:
            msg = (
                "steps_per_epoch must be None for a converted torch scheduler: its schedules "
                "count the scheduler's step() calls"
            )
            raise ScheduleError(msg)
        made, self.absolute = drives(spec, keys, absolute_keys, optimizer.param_groups)
        if run is not None:
            made = _in_run(made, run, self.steps_per_epoch, start)
        self.run = run
        self._setup = _Setup.of(made)
        if self._setup.fed and type(self) is BoundSchedule:
            # A binding whose schedules hold a plateau is also a ReduceLROnPlateau, so that
            # trainers that look for one (Lightning, HF Trainer) step it with the monitored
            # metric. Decided here, not in __new__, so that __init__ stays the signature that
            # tools read (LightningCLI's jsonargparse reads __new__ if a class defines one).
            self.__class__ = _PlateauBinding
        self._evaluator = self._setup.evaluator()
        self._fns = self._evaluator.fns
        self._metrics: list[float] = []
        self._metric_steps: list[int] = []
        self._bases: dict[Cell, float] = {}
        self._plan = STALE
        self._replaced = False
        self.base_lrs: list[float | None] = []  # type: ignore[assignment]  # None: lr not driven
        self.last_epoch = start
        self._step_count = 0
        self._last_lr: list[float] = []  # type: ignore[assignment]  # floats, never tensors
        self._hook: Any = None
        others = self._rivals(replace=replace)
        self._inspect(self._refreshed())
        self._go(start, count=False)  # the value guard runs here: nothing is written on error
        for other in others:
            other._detach()
        self._register()

    # -- the LRScheduler interface ---------------------------------------------------------

    def step(self, value: object = None, /, *, metric: object = None, epoch: object = None) -> None:
        """Advance one step and apply its values (with the optimizer clock: only record).

        ``step()`` advances one step (one epoch, or one optimizer step with
        ``steps_per_epoch``); with ``clock="optimizer"`` it changes nothing, the optimizer's
        steps move the clock. ``step(x)``: a metric if a bound schedule holds a plateau (as
        ``step(metric=x)``), else an epoch (as ``seek(x)``). ``step(metric=m)`` records ``m``
        at the new time (at the current one with the optimizer clock): the values it decides
        apply from that time on. ``step(epoch=e)`` is ``seek(e)``.
        """
        if value is None and metric is None and epoch is None:
            plan = self._plan
            fast = plan.fast  # None with the optimizer clock
            groups = self.optimizer.param_groups
            if fast is not None and groups is plan.groups and len(groups) == plan.size:
                steps = self.last_epoch + 1
                try:
                    self._last_lr = fast(steps / self._per_epoch)
                except Refused as refused:
                    raise self._refusal(refused, steps) from None
                self._step_count += 1
                self.last_epoch = steps
                return
            self._check_live()
            if not self._follows:
                self._go(self.last_epoch + 1)
            return
        self._check_live()
        if value is not None:
            if metric is not None or epoch is not None:
                msg = "step() takes one value: a positional one, metric= or epoch=, not several"
                raise TypeError(msg)
            if self._setup.fed:
                metric = value
            else:
                epoch = self._positional_epoch(value)
        if epoch is not None:
            if metric is not None:
                msg = "step() takes metric= or epoch=, not both: use seek(epoch), then record(m)"
                raise TypeError(msg)
            self.seek(epoch)  # type: ignore[arg-type]  # checked by seek
            return
        recorded = self._metric(metric)
        steps = self.last_epoch if self._follows else self.last_epoch + 1
        self._go(steps, (steps, recorded), count=not self._follows)

    def get_lr(self) -> list[float]:  # type: ignore[override]  # floats, never tensors
        """The learning rates at the current time, one per param group (changes nothing)."""
        return self.at(self.time)

    def get_last_lr(self) -> list[float]:  # type: ignore[override]  # floats, never tensors
        """The learning rates applied last, one per param group, as Python floats."""
        return list(self._last_lr)

    # -- time ----------------------------------------------------------------------------------

    @property
    def time(self) -> float:
        """The schedules' time: ``last_epoch / steps_per_epoch`` (computed, never accumulated)."""
        return self.last_epoch / self._per_epoch

    def seek(self, epoch: float) -> None:
        """Jump to ``epoch`` (forwards or backwards) and apply its values.

        Without ``steps_per_epoch`` the epoch is an int >= 0. With it, any number >= 0 that is a
        whole number of steps (``epoch * steps_per_epoch``; use `sync` to give steps).
        With the optimizer clock the optimizer's next steps continue from there.
        """
        self._check_live()
        self._go(self._steps_of("epoch", epoch))

    def sync(self, step: int) -> None:
        """Set the clock from the caller's own step counter (an int >= 0) and apply its values.

        With ``steps_per_epoch=k`` the time becomes ``step / k``.
        """
        self._check_live()
        self._go(count("step", step))

    def at(self, t: float, key: str = "lr") -> list[Any]:
        """The values of ``key`` at time ``t`` (in epochs), one per param group; changes nothing.

        Groups where ``key`` is not driven give their current value. Values are Python floats
        (a tuple of them for a tuple-valued key such as ``betas``).
        """
        time = _scalar_time(t)
        groups = self.optimizer.param_groups
        plan = self._plan
        if not plan.current(groups):
            plan = build(groups, self._setup.drives, self._setup.slots, self._bases)
        values = self._evaluator.values(time)
        out: list[Any] = [plain(group.get(key)) for group in groups]
        for w in plan.writes:
            k, g, element = w.cell
            if k != key:
                continue
            new = scaled(w.base, values[w.slot])
            if element is None:
                out[g] = new
            else:
                items = list(out[g])
                items[element] = new
                out[g] = tuple(items)
        return out

    def _optimizer_stepped(self, optimizer: Any, args: Any, kwargs: Any) -> None:
        """The optimizer's step hook (``clock="optimizer"``): one optimizer step, one step."""
        if not self._replaced:
            self._go(self.last_epoch + 1)

    # -- metrics -------------------------------------------------------------------------------

    def record(self, metric: object) -> None:
        """Record a metric at the current time (for the plateaus) and apply the new values.

        A metric recorded at time ``t`` replaces those recorded at times >= ``t`` (after a
        `seek` backwards, recording rewrites the future).
        """
        self._check_live()
        value = self._metric(metric)
        self._go(self.last_epoch, (self.last_epoch, value), count=False)

    @property
    def metrics(self) -> tuple[tuple[float, float], ...]:
        """The recorded metrics as ``(time, metric)`` pairs, oldest first."""
        k = self._per_epoch
        return tuple((n / k, m) for n, m in zip(self._metric_steps, self._metrics, strict=True))

    # -- what is bound ----------------------------------------------------------------------------

    @property
    def schedules(self) -> tuple[Schedule | None, ...]:
        """The lr schedule of each param group (None where the lr is not driven)."""
        n = len(self.optimizer.param_groups)
        lr = self._drive("lr")
        entries = [None if lr is None else lr.entry(g) for g in range(n)]
        return tuple(e if isinstance(e, Schedule) else None for e in entries)

    @property
    def driven(self) -> tuple[str, ...]:
        """The driven param-group keys, ``"lr"`` first if it is driven."""
        return tuple(drive.key for drive in self._setup.drives)

    def _drive(self, key: str) -> Drive | None:
        return next((d for d in self._setup.drives if d.key == key), None)

    # -- checkpoints -------------------------------------------------------------------------

    def state_dict(self) -> dict[str, Any]:
        """The binding's state as plain data (loads with ``torch.load(weights_only=True)``).

        It records the step count, ``steps_per_epoch``, the clock, the absolute keys, each
        driven value's base, schedule (its expression and its fingerprint) and the value written
        now, and the recorded metrics with their steps; opaque schedules (Python callables)
        also keep their values at a few probe times.
        """
        plan = self._refreshed()
        values = self._evaluator.values(self._time_of(self.last_epoch))
        written = {w.cell: scaled(w.base, values[w.slot]) for w in plan.writes}
        history = (self._metric_steps, self._metrics)
        return encode(self._layout(plan.size), self.last_epoch, plan.bases, written, history)

    def load_state_dict(
        self,
        state_dict: dict[str, Any],
        *,
        on_schedule_change: str | None = None,
        allow_schedule_change: bool = False,
    ) -> None:
        """Restore a `state_dict` and apply the values of its time.

        Everything is checked before anything changes: a malformed state raises
        `lrsched.ScheduleError` (only that) and leaves the binding and the optimizer as
        they were. States of versions 1 and 2 load too.

        Args:
            state_dict: A dict made by `state_dict`.
            on_schedule_change: What a checkpoint made with other schedules, other keys or
                another ``steps_per_epoch`` does: ``"refuse"``, ``"jump"`` (continue at the
                saved epoch with this binding's schedules; the value may jump) or
                ``"rescale"`` (continue there with each changed schedule multiplied by the
                constant that keeps its value continuous). Default: the binding's own
                ``on_schedule_change`` (see `bind`), so that a trainer that calls
                ``load_state_dict(state)`` itself (Lightning's ``ckpt_path``) follows it.
            allow_schedule_change: ``True`` is ``on_schedule_change="jump"`` (older spelling).

        """
        self._check_live()
        policy = self.on_schedule_change if on_schedule_change is None else on_schedule_change
        policy = choice("on_schedule_change", policy, CHANGE_POLICIES)
        if allow_schedule_change and policy == "refuse":
            policy = "jump"
        n = len(self.optimizer.param_groups)
        saved = decode(state_dict, self._layout(n), policy)
        setup = self._setup
        if saved.changed and policy == "rescale":
            setup = _Setup.of(self._rescaled(saved, n))
        evaluator = setup.evaluator()
        k = self._per_epoch
        for steps, metric in zip(saved.metric_steps, saved.metrics, strict=True):
            evaluator.record(metric, steps / k)
        bases = {**self._bases, **saved.bases}
        plan = build(self.optimizer.param_groups, setup.drives, setup.slots, bases)
        values = evaluator.values(self._time_of(saved.steps))
        try:
            lrs = plan.write(values)  # checks every value first: raises writing nothing
        except Refused as refused:
            raise self._refusal(refused, saved.steps, setup) from None
        self._setup, self._evaluator, self._fns = setup, evaluator, evaluator.fns
        self._bases = {**bases, **plan.bases}
        self._metric_steps, self._metrics = list(saved.metric_steps), list(saved.metrics)
        self._adopt(plan)
        self.last_epoch = saved.steps
        self._last_lr = lrs

    def _layout(self, n: int) -> Layout:
        return Layout(
            self._setup.entries(n),
            self.steps_per_epoch,
            self.absolute,
            self.clock,
            self._setup.fed,
            self._setup.clock_problem,
        )

    def _rescaled(self, saved: Saved, n: int) -> tuple[Drive, ...]:
        """The drives with each changed schedule scaled to continue the saved value."""
        t = self._time_of(saved.steps)
        factors: dict[Cell, float] = {}
        for key, column in self._setup.entries(n).items():
            for g, entry in enumerate(column):
                pairs = [(None, entry)] if isinstance(entry, Schedule) else enumerate(entry or ())
                for element, s in pairs:
                    cell = (key, g, element)
                    if s is None or cell not in saved.changed or cell not in saved.values:
                        continue
                    base = saved.bases.get(cell, self._bases.get(cell, 1.0))
                    now = scaled(base, s(t))
                    if now == 0.0 or not math.isfinite(now):
                        msg = (
                            f"on_schedule_change='rescale' cannot keep {key} of param group {g} "
                            f"continuous: the bound schedule {s!r} gives {now!r} at epoch "
                            f"{format_number(t)}; use 'jump'"
                        )
                        raise ScheduleError(msg)
                    factors[cell] = saved.values[cell] / now
        return tuple(_scaled_drive(drive, factors, n) for drive in self._setup.drives)

    # -- internals ---------------------------------------------------------------------------

    def _go(
        self, steps: int, metric: tuple[int, float] | None = None, *, count: bool = True
    ) -> None:
        """Move to ``steps`` (recording ``metric`` at its step) and write the values there.

        All or nothing: the values are computed and checked before anything changes, so a time
        at which a schedule cannot be evaluated, or a value outside its key's domain, raises
        and leaves the binding and the optimizer as they were.
        """
        plan = self._refreshed()
        t = self._time_of(steps)
        evaluator = self._evaluator
        history = (self._metric_steps, self._metrics)
        if metric is not None:
            at, value = metric
            if self._metric_steps and at <= self._metric_steps[-1]:
                # Rewriting the future: replay the history before ``at`` into fresh decisions.
                keep = sum(1 for n in self._metric_steps if n < at)
                history = (self._metric_steps[:keep], self._metrics[:keep])
                evaluator = self._setup.evaluator()
                for n, m in zip(*history, strict=True):
                    evaluator.record(m, n / self._per_epoch)
                evaluator.record(value, at / self._per_epoch)
                history = ([*history[0], at], [*history[1], value])
            else:
                evaluator.record(value, at / self._per_epoch)
                self._metric_steps.append(at)
                self._metrics.append(value)
        try:
            values = evaluator.values(t)
            lrs = plan.write(values)
        except BaseException as error:
            if metric is not None and evaluator is self._evaluator:
                # Undo the metric: the decisions are replayed without it.
                self._metric_steps.pop()
                self._metrics.pop()
                self._evaluator = self._setup.evaluator()
                for n, m in zip(self._metric_steps, self._metrics, strict=True):
                    self._evaluator.record(m, n / self._per_epoch)
            if isinstance(error, Refused):
                raise self._refusal(error, steps) from None
            raise
        if evaluator is not self._evaluator:
            self._evaluator = evaluator
            self._metric_steps, self._metrics = history
        self._fns = evaluator.fns
        self._bases.update(plan.bases)
        if count:
            self._step_count += 1
        self.last_epoch = steps
        self._last_lr = lrs

    def _time_of(self, steps: int) -> float:
        try:
            t = steps / self._per_epoch
        except OverflowError:
            t = math.inf
        if not t < math.inf:
            msg = f"step {steps} is too large: its time is not a finite float"
            raise ScheduleError(msg)
        return t

    def _refreshed(self) -> Plan:
        plan = self._plan
        groups = self.optimizer.param_groups
        if plan.current(groups):
            return plan
        plan = build(groups, self._setup.drives, self._setup.slots, self._bases)
        self._adopt(plan)
        return plan

    def _adopt(self, plan: Plan) -> None:
        if self._setup.fed or self._follows or self._replaced:
            plan.simple = None  # the fast path of step() advances a clock that evaluates no plateau
        plan.simplify(self._fns)
        self._plan = plan
        self.base_lrs = [None if i < 0 else plan.writes[i].base for i in plan.lrs]

    def _refusal(self, refused: Refused, steps: int, setup: _Setup | None = None) -> ScheduleError:
        """The guard's error for a value outside its domain at ``steps``."""
        w, value = refused.write, refused.value
        schedules = {slot: s for s, slot in (setup or self._setup).slots.items()}
        key = w.cell[0]
        where = _where(w.cell)
        try:
            check(where, key, value)
        except ScheduleError as error:
            msg = (
                f"{error} at epoch {format_number(steps / self._per_epoch)} (step {steps}), "
                f"from {_relative(w.base)}{schedules[w.slot]!r}; the optimizer was left unchanged"
            )
            return ScheduleError(msg)
        return ScheduleError(f"{where} cannot be {value!r}")  # pragma: no cover - check raised

    def _inspect(self, plan: Plan) -> None:
        """Refuse at bind time a schedule whose extrema leave its key's domain."""
        schedules = {slot: s for s, slot in self._setup.slots.items()}
        for w in plan.writes:
            s = schedules[w.slot]
            low, high = domain(w.cell[0])
            if s.opaque or (low == -math.inf and high == math.inf):
                continue
            lowest, highest, horizon = _extrema(s)
            worst = [scaled(w.base, lowest), scaled(w.base, highest)]
            if all(low <= v < high for v in worst):
                continue
            times = np.arange(math.ceil(horizon), dtype=np.float64)
            values = np.array([scaled(w.base, v) for v in s(times)])
            first = int(np.argmax((values < low) | (values >= high)))
            try:
                check(_where(w.cell), w.cell[0], float(values[first]))
            except ScheduleError as error:
                msg = (
                    f"{error} at epoch {first} (step {first * self._per_epoch}), from "
                    f"{_relative(w.base)}{s!r} (found at bind time by its extrema); the "
                    "optimizer was left unchanged"
                )
                raise ScheduleError(msg) from None

    def _metric(self, metric: object) -> float:
        if not self._setup.fed:
            msg = (
                "a metric was given but no bound schedule contains a plateau(...): there is "
                "nothing for it to decide"
            )
            raise ScheduleError(msg)
        if self._setup.clock_problem is not None:
            raise ScheduleError(self._setup.clock_problem)
        if isinstance(metric, torch.Tensor):
            if metric.numel() != 1:
                msg = f"metric must be a number or a one-element tensor (got shape {metric.shape})"
                raise ScheduleError(msg)
            return float(metric.item())
        if isinstance(metric, bool) or not isinstance(metric, numbers.Real):
            msg = f"metric must be a real number (got {type(metric).__name__}: {metric!r})"
            raise TypeError(msg)
        return float(metric)

    def _positional_epoch(self, value: object) -> object:
        """``step(x)`` without a plateau: torch's epoch, or an error that says what to use."""
        fix = (
            "use seek(epoch) to jump to an epoch, or step(metric=m) with a plateau(...) in the "
            "schedule to record a metric"
        )
        if isinstance(value, torch.Tensor):
            msg = (
                f"step(x) got a tensor ({value!r}) but no bound schedule holds a plateau, so x "
                f"would be an epoch; {fix}"
            )
            raise ScheduleError(msg)
        if isinstance(value, bool) or not isinstance(value, numbers.Real):
            msg = f"step(x) takes a number (got {type(value).__name__}: {value!r}); {fix}"
            raise TypeError(msg)
        if not isinstance(value, numbers.Integral) and self.steps_per_epoch is None:
            msg = (
                f"step({value!r}): a fractional epoch needs steps_per_epoch, and no bound "
                f"schedule holds a plateau for it to be a metric; {fix}"
            )
            raise ScheduleError(msg)
        return value

    def _steps_of(self, name: str, epoch: object) -> int:
        k = self.steps_per_epoch
        if k is None:
            return count(name, epoch)
        if isinstance(epoch, bool) or not isinstance(epoch, numbers.Real):
            msg = f"{name} must be a number >= 0 (got {type(epoch).__name__}: {epoch!r})"
            raise TypeError(msg)
        try:
            exact = float(epoch) * k
        except OverflowError:
            exact = math.inf
        if not 0 <= exact < math.inf:
            msg = f"{name} must be a finite number >= 0 (got {epoch!r})"
            raise ScheduleError(msg)
        steps = round(exact)
        if abs(exact - steps) > _SEEK_TOLERANCE * max(1, steps):
            msg = (
                f"{name} must be a whole number of steps (got {epoch!r}: {epoch!r} * "
                f"steps_per_epoch {k} = {exact!r} steps); use sync(step) to give steps"
            )
            raise ScheduleError(msg)
        return int(steps)

    # -- one binding per value -------------------------------------------------------------------

    def _rivals(self, *, replace: bool) -> list[BoundSchedule]:
        """The live bindings of the optimizer that drive a value this one drives."""
        live = [b for ref in _BINDINGS.get(self.optimizer, []) if (b := ref()) is not None]
        rivals = [
            b for b in live if not b._replaced and _overlap(b._setup.drives, self._setup.drives)
        ]
        if rivals and not replace:
            keys = sorted({d.key for b in rivals for d in b._setup.drives})
            msg = (
                f"the optimizer already has a binding that drives {', '.join(keys)}: two "
                "bindings would both write; pass replace=True to replace it (it then stops "
                "writing), or bind the other keys only"
            )
            raise ScheduleError(msg)
        return rivals

    def _register(self) -> None:
        refs = _BINDINGS.setdefault(self.optimizer, [])
        refs[:] = [r for r in refs if r() is not None]
        refs.append(weakref.ref(self))
        if self._follows:
            self._hook = self.optimizer.register_step_post_hook(self._optimizer_stepped)

    def _detach(self) -> None:
        self._replaced = True
        self._plan = STALE
        if self._hook is not None:
            self._hook.remove()
            self._hook = None

    def _check_live(self) -> None:
        if self._replaced:
            msg = "this binding was replaced by another one on its optimizer (replace=True)"
            raise ScheduleError(msg)

    def __getstate__(self) -> dict[str, Any]:
        # The plan, the scalar functions and the hook are derived: rebuilt on the other side.
        state = self.__dict__.copy()
        state["_plan"] = STALE
        state["_fns"] = None
        state["_evaluator"] = None
        state["_hook"] = None
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        self._evaluator = self._setup.evaluator()
        for n, m in zip(self._metric_steps, self._metrics, strict=True):
            self._evaluator.record(m, n / self._per_epoch)
        self._fns = self._evaluator.functions(self._time_of(self.last_epoch))
        if not self._replaced:
            self._register()

    def __repr__(self) -> str:
        parts = [type(self.optimizer).__name__]
        for drive in self._setup.drives:
            shown = drive.every if drive.every is not None else dict(drive.groups)
            parts.append(repr(shown) if drive.key == "lr" else f"{drive.key}={shown!r}")
        if self.absolute:
            parts.append(f"absolute={self.absolute!r}")
        if self.steps_per_epoch is not None:
            parts.append(f"steps_per_epoch={self.steps_per_epoch}")
        if self.run is not None:
            parts.append(f"run={self.run!r}")
        if self._follows:
            parts.append("clock='optimizer'")
        return f"BoundSchedule({', '.join(parts)})"


class _PlateauBinding(BoundSchedule, ReduceLROnPlateau):  # type: ignore[misc]
    """A binding whose schedules hold a plateau: also a ``ReduceLROnPlateau`` for trainers.

    Lightning (``"monitor"`` alone) and HF Trainer step a ReduceLROnPlateau with the metric;
    every method is the binding's (ReduceLROnPlateau contributes the type only).
    """


def _where(cell: Cell) -> str:
    key, g, element = cell
    return f"param_groups[{g}][{key!r}]" + ("" if element is None else f"[{element}]")


def _relative(base: float) -> str:
    return "" if base == 1.0 else f"{format_number(base)} * "


def _overlap(mine: tuple[Drive, ...], theirs: tuple[Drive, ...]) -> bool:
    for a in mine:
        for b in theirs:
            if a.key == b.key and (
                a.every is not None or b.every is not None or a.groups.keys() & b.groups.keys()
            ):
                return True
    return False


def _scaled_drive(drive: Drive, factors: Mapping[Cell, float], n: int) -> Drive:
    """``drive`` with the schedule of each cell in ``factors`` multiplied by its factor."""

    def scaled_entry(g: int, entry: Any) -> Any:
        if isinstance(entry, Schedule):
            c = factors.get((drive.key, g, None), 1.0)
            return entry if c == 1.0 else c * entry
        return tuple(
            s
            if s is None or factors.get((drive.key, g, e), 1.0) == 1.0
            else factors[(drive.key, g, e)] * s
            for e, s in enumerate(entry)
        )

    if drive.every is not None:
        column = [scaled_entry(g, drive.every) for g in range(n)]
        if all(entry == column[0] for entry in column):
            return attrs.evolve(drive, every=column[0] if column else drive.every)
        return attrs.evolve(drive, every=None, groups=dict(enumerate(column)))
    groups = {g: scaled_entry(g, entry) for g, entry in drive.groups.items()}
    return attrs.evolve(drive, groups=groups)


def _in_run(
    made: tuple[Drive, ...], run: object, steps_per_epoch: int | None, start: int
) -> tuple[Drive, ...]:
    """The drives with every schedule converted to optimizer steps by ``run``."""
    if not isinstance(run, Run):
        msg = f"run must be an lrsched.Run, made by ls.run(...) (got {type(run).__name__})"
        raise TypeError(msg)
    if steps_per_epoch is not None:
        msg = (
            "give steps_per_epoch to ls.run(...), not to bind, when binding with run=: the "
            "binding then counts optimizer steps"
        )
        raise ScheduleError(msg)
    if start:
        msg = "run= converts schedules written in the run's unit, not a converted torch scheduler"
        raise ScheduleError(msg)

    def entry(e: Any) -> Any:
        if isinstance(e, Schedule):
            return run.in_steps(e)
        return None if e is None else tuple(None if s is None else run.in_steps(s) for s in e)

    return tuple(
        attrs.evolve(
            d,
            every=entry(d.every),
            groups={g: entry(e) for g, e in d.groups.items()},
        )
        for d in made
    )


@lru_cache(maxsize=512)
def _extrema(s: Schedule) -> tuple[float, float, float]:
    """(min, max, horizon) of ``s`` over the integer times before its last breakpoint.

    That is the part of the schedule its pieces describe: past it a schedule holds, repeats or
    (a converted OneCycleLR) extrapolates, and a run may well stop before; the write-time
    guard covers those times.
    """
    points = s.breakpoints(_INSPECTION_HORIZON)
    horizon = max(points[-1] if points else 1.0, 1.0)
    low, high = s.extrema(horizon)
    return low, high, horizon


def _converted(
    optimizer: Optimizer, schedule: object, keys: dict[str, Any], absolute: object
) -> tuple[Any, dict[str, Any], object, int]:
    """Bind arguments with a torch scheduler (or a ``from_torch`` result) made explicit.

    A live torch scheduler becomes its schedules (lr and cycled momentum, absolute) and its
    current epoch; the schedules from `lrsched.from_torch` are absolute and start at the
    epoch of the scheduler they came from. Returns (schedule, keys, absolute, start step).
    """
    from lrsched.interop import Converted, from_torch  # noqa: PLC0415 (interop imports torch)

    if isinstance(schedule, LRScheduler) and not isinstance(schedule, BoundSchedule):
        if schedule.optimizer is not optimizer:
            msg = "the torch scheduler drives another optimizer than the one given to bind"
            raise ScheduleError(msg)
        converted = from_torch(schedule, keys=True)
        schedule = converted.pop("lr")
        keys = {**converted, **keys}
    specs = {"lr": schedule, **keys}
    origin = {k: v for k, v in specs.items() if isinstance(v, Converted)}
    if not origin:
        return schedule, keys, False if absolute is None else absolute, 0
    epochs = {v.epoch for v in origin.values()}
    if len(epochs) > 1:
        msg = f"the converted schedules come from schedulers at different epochs ({sorted(epochs)})"
        raise ScheduleError(msg)
    if absolute is None:
        absolute = set(origin)
    elif absolute is False or (
        absolute is not True and not set(origin) <= set(absolute)  # type: ignore[call-overload]
    ):
        msg = (
            f"the schedules of {', '.join(sorted(origin))} come from ls.from_torch and give "
            "absolute values: leave absolute unset (or include those keys) so that the base "
            "value is not applied twice"
        )
        raise ScheduleError(msg)
    return schedule, keys, absolute, epochs.pop()


def bind(  # noqa: PLR0913 (the options of a binding, keyword-only)
    optimizer: Optimizer,
    schedule: ScheduleSpec | LRScheduler = None,
    *,
    absolute: bool | Iterable[str] | None = None,
    steps_per_epoch: int | None = None,
    clock: str = "step",
    on_schedule_change: str = "refuse",
    replace: bool = False,
    run: Run | None = None,
    **keys: ScheduleSpec,
) -> BoundSchedule:
    """Bind schedules to an optimizer's param groups; applies the start time immediately.

    ``schedule`` drives the learning rate; each extra keyword drives the param-group key of
    that name (``momentum=``, ``weight_decay=``, ``betas=``...). Each takes one schedule for
    every group (groups added later included), a list with one entry per group, or a mapping
    group index -> entry (unlisted groups are left alone); an entry may be None (not driven).
    A schedule may be given by its text form (``"warmup(cosine(95), 5)"``) or its dict form
    (``ls.to_dict(s)``). A tuple-valued key takes a tuple with a schedule or None per element:
    ``betas=(beta1_schedule, None)``.

    Relative keys (the default): key ``k`` of a group at time ``t`` is
    ``group["initial_<k>"] * schedule(t)``, where ``initial_<k>`` is set from the group's value
    at bind time unless already present (as torch's schedulers do for ``initial_lr``). Absolute
    keys: the value is ``schedule(t)`` itself. ``absolute=True`` makes every key absolute;
    ``absolute={"momentum"}`` only the keys named.

    A live torch scheduler may be given as ``schedule``: the binding takes over its trajectory
    (lr and cycled momentum, absolute) from its current epoch; the schedules returned by
    `lrsched.from_torch` are absolute and start at that epoch too.

    Every value written is checked first: an lr, weight decay or momentum must be finite and
    >= 0, a beta in [0, 1), any other value finite; a violation raises
    `lrsched.ScheduleError` naming the key, the group, the epoch and the expression, and
    the optimizer is left unchanged. Where inspection proves a violation (``s.extrema``), bind
    itself refuses.

    Args:
        optimizer: A ``torch.optim.Optimizer``.
        schedule: The lr schedule(s), a torch scheduler to take over, or None to leave the lr
            alone.
        absolute: True, False, or the names of the keys whose schedules give values rather
            than multipliers. Default: False, except for converted torch schedules.
        steps_per_epoch: If given (an int >= 1), one step is one optimizer step and the
            schedules' time is in epochs: ``steps / steps_per_epoch``.
        clock: ``"step"``: each `BoundSchedule.step` call advances one step, as with
            torch's schedulers. ``"optimizer"``: each ``optimizer.step()`` does (a step hook),
            and ``step()`` only records metrics; no call order, skipped AMP step or repeated
            ``step()`` call can shift the schedule.
        on_schedule_change: What loading a checkpoint made with other schedules or another
            ``steps_per_epoch`` does: ``"refuse"`` (default), ``"jump"`` or ``"rescale"``
            (see `BoundSchedule.load_state_dict`).
        replace: Replace a binding of the optimizer that drives the same values (it stops
            writing); without it, such a second binding is refused.
        run: A `lrsched.Run` (`ls.run(steps=...)`): the schedules are written in its unit (the
            fraction of training, epochs or steps) and converted to optimizer steps by
            `Run.in_steps` (checked against the run's length); one step is one optimizer step.
        keys: Schedules for other param-group keys, e.g. ``momentum=``, ``betas=``.

    Returns:
        A `BoundSchedule`, a ``torch.optim.lr_scheduler.LRScheduler`` (also a
        ``ReduceLROnPlateau`` if a schedule holds a plateau).

    Raises:
        ScheduleError: If a list does not have one entry per param group, a key is missing
            from a group, a value would leave its domain, or the optimizer already has a
            binding for the same values.

    Examples:
        >>> import torch
        >>> import lrsched as ls
        >>> model = torch.nn.Linear(2, 1)
        >>> optimizer = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
        >>> bound = ls.bind(optimizer, ls.warmup(ls.cosine(8), 2), clock="optimizer")
        >>> [round(bound.get_last_lr()[0], 4)]
        [0.0]
        >>> for _ in range(2):
        ...     optimizer.step()
        >>> optimizer.param_groups[0]["lr"]
        0.1
        >>> bound.at(6)  # time travel: changes nothing
        [0.05]
        >>> momentum = ls.bind(optimizer, momentum="linear(0.95, 0.85, 10)", absolute=True)
        >>> optimizer.param_groups[0]["momentum"]
        0.95

    """
    return BoundSchedule(
        optimizer,
        schedule,
        absolute=absolute,
        steps_per_epoch=steps_per_epoch,
        clock=clock,
        on_schedule_change=on_schedule_change,
        replace=replace,
        run=run,
        **keys,
    )
