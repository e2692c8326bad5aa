"""The torch binding: drive any hyperparameter of an optimizer's param groups from schedules.

This is the only module of the core that imports torch (``lrsched.interop`` is the other). It
knows nothing about individual schedule kinds: it evaluates each schedule at the binding's time
and writes ``base * value`` into the param groups. The value at time ``t`` depends only on ``t``
(and, for plateaus, on the metrics recorded before ``t``), never on the current value or on
other schedulers, so composition follows the expression, not the order in which objects mutate
the optimizer.

Speed: everything that does not change from one step to the next (which groups and keys are
driven, by which schedule, from which base, whether the value is a tensor) is worked out once
into a *plan*, refreshed only when the optimizer's list of param groups is replaced or grows.
A step evaluates each distinct schedule once and runs through the plan's writes.
"""

from __future__ import annotations

import bisect
import math
import numbers
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, TypeAlias

import attrs

from lrsched._core import Schedule, scalar_function
from lrsched._errors import ScheduleError
from lrsched._plateau import clock_problem, contains_plateau, with_metric

try:
    import torch
    from torch.optim import Optimizer
    from torch.optim.lr_scheduler import LRScheduler
except ModuleNotFoundError as error:  # pragma: no cover - exercised in a subprocess test
    msg = (
        "lrsched.bind needs PyTorch, which is an optional extra: "
        "pip install 'lrsched[torch]' (or install torch yourself)"
    )
    raise ImportError(msg) from error

__all__ = ["STATE_FORMAT", "STATE_VERSION", "BoundSchedule", "ScheduleSpec", "bind"]

STATE_FORMAT = "lrsched.BoundSchedule"
STATE_VERSION = 2
"""Version 2 adds hyperparameters other than lr, steps_per_epoch and the metric history.
Version 1 states (lr only, one step per epoch) still load."""

ScheduleSpec: TypeAlias = (
    "Schedule | tuple[Schedule | None, ...] | Sequence[Any] | Mapping[int, Any] | None"
)
"""What a keyword of :func:`bind` takes: one schedule for every group (a tuple of schedules or
None for a tuple-valued key such as ``betas``), a list with one entry per group, or a mapping
group index -> entry (groups left out are not driven)."""

_Entry: TypeAlias = "Schedule | tuple[Schedule | None, ...]"
_BaseKey: TypeAlias = tuple[str, int, int | None]
_SEEK_TOLERANCE = 1e-9


@attrs.frozen
class _Drive:
    """How one param-group key is driven."""

    key: str
    absolute: bool
    size: int | None  # None: a number; n: a tuple of n numbers (each element driven or not)
    every: _Entry | None  # one entry for every group, present and future
    groups: Mapping[int, _Entry]  # or one per listed group

    def entry(self, index: int) -> _Entry | None:
        return self.every if self.every is not None else self.groups.get(index)


@attrs.define
class _Plan:
    """What a step does, worked out once for one list of param groups."""

    groups: list[dict[str, Any]] | None
    size: int
    commit: bool = False  # whether building it may set initial_<key> in new groups
    scalars: list[tuple[dict[str, Any], str, float, int]] = attrs.Factory(list)
    tensors: list[tuple[torch.Tensor, float, int]] = attrs.Factory(list)
    tuples: list[tuple[dict[str, Any], str, tuple[tuple[int, float, int], ...]]] = attrs.Factory(
        list
    )
    # Per key and group: None (not driven), (base, slot), or a tuple of those per element.
    table: dict[str, list[Any]] = attrs.Factory(dict)
    # The lr of each group: (base, slot), or None if the group's lr is not driven.
    lrs: list[tuple[float, int] | None] = attrs.Factory(list)
    # The common case, one schedule for the lr of every group, all floats: (group, base) pairs.
    simple: list[tuple[dict[str, Any], float]] | None = None
    # If the lr of every group is driven: its (base, slot) per group.
    every_lr: list[tuple[float, int]] | None = None
    new_bases: dict[_BaseKey, float] = attrs.Factory(dict)


_STALE = _Plan(None, -1)


@attrs.frozen
class _History:
    """Recorded metrics (at step counts) and the schedules with them recorded in their plateaus."""

    steps: list[int]
    metrics: list[float]
    current: list[Schedule]


class BoundSchedule(LRScheduler):
    """Schedules bound to an optimizer's param groups: a ``torch.optim.lr_scheduler.LRScheduler``.

    Create it with :func:`bind`. Call :meth:`step` once per epoch (or once per optimizer step
    with ``steps_per_epoch``), after ``optimizer.step()``, as with any torch scheduler. It never
    reads the current values: key ``k`` of group ``g`` at time ``t`` is ``base * schedule(t)``,
    where ``base`` is the group's ``initial_<k>`` (relative keys) or 1 (absolute keys).

    Attributes:
        optimizer: The bound optimizer.
        absolute: True if every driven key is absolute, False if none is, otherwise the sorted
            tuple of the absolute keys.
        steps_per_epoch: Steps per unit of schedule time, or None (one step is one unit).
        last_epoch: The number of steps taken (``step()`` calls, or as set by :meth:`seek` and
            :meth:`sync`); the schedules' time is ``last_epoch / steps_per_epoch``.
        base_lrs: The lr base of each group: its ``initial_lr``, 1.0 (absolute), or None if the
            group's lr is not driven.

    """

    def __init__(
        self,
        optimizer: Optimizer,
        schedule: ScheduleSpec = None,
        *,
        absolute: bool | Iterable[str] = False,
        steps_per_epoch: int | None = None,
        **keys: ScheduleSpec,
    ) -> None:
        # LRScheduler.__init__ is deliberately not called: it monkey-patches optimizer.step to
        # emit ordering warnings, and computes the first lr through get_lr's mutation protocol.
        if not isinstance(optimizer, Optimizer):
            msg = f"optimizer must be a torch.optim.Optimizer (got {type(optimizer).__name__})"
            raise TypeError(msg)
        self.optimizer = optimizer
        self.steps_per_epoch = _steps_per_epoch(steps_per_epoch)
        self._per_epoch = self.steps_per_epoch or 1
        specs = _specs(schedule, keys)
        absolute_keys = _absolute_keys(absolute, specs)
        groups = optimizer.param_groups
        self._drives = tuple(
            _drive(key, spec, key in absolute_keys, groups) for key, spec in specs.items()
        )
        self.absolute: bool | tuple[str, ...] = _normal_absolute(absolute_keys, specs)
        roots: dict[Schedule, int] = {}
        problems = []
        for drive in self._drives:
            for where, s in _schedules_of(drive):
                problems.append(clock_problem(s, where))
                roots.setdefault(s, len(roots))
        # A plateau that cannot take metrics still works as the schedule of its own history.
        self._clock_problem = next((p for p in problems if p is not None), None)
        self._slots = roots
        self._roots = tuple(roots)
        self._current: list[Schedule] = list(self._roots)
        self._fed = tuple(i for i, s in enumerate(self._roots) if contains_plateau(s))
        self._metrics: list[float] = []
        self._metric_steps: list[int] = []
        self._bases: dict[_BaseKey, float] = {}
        self._fns = [scalar_function(s) for s in self._current]
        self._plan = _STALE
        self.base_lrs: list[float | None] = []  # type: ignore[assignment]  # None: lr not driven
        self.last_epoch = 0
        self._step_count = 0
        self._last_lr: list[float] = []  # type: ignore[assignment]  # floats, never tensors
        self._go(0)

    # -- the LRScheduler interface ---------------------------------------------------------

    def step(self, epoch: float | None = None, *, metric: object = None) -> None:
        """Advance one step and apply its values.

        ``step(epoch)`` is :meth:`seek`. ``step(metric=m)`` also records the metric ``m`` (a
        number or a one-element tensor) at the new time, for the plateaus in the schedules: the
        values it decides apply from that time on.
        """
        if epoch is None and metric is None:
            steps = self.last_epoch + 1
            # The common case inline (one schedule for the lr of every group, floats):
            plan = self._plan
            simple = plan.simple
            groups = self.optimizer.param_groups
            if simple is not None and groups is plan.groups and len(groups) == plan.size:
                value = self._fns[0](steps / self._per_epoch)
                self._step_count += 1
                self.last_epoch = steps
                lrs = []
                for group, base in simple:
                    group["lr"] = lr = base * value if base else 0.0  # 0 wins over inf
                    lrs.append(lr)
                self._last_lr = lrs
                return
            if groups is plan.groups and len(groups) == plan.size:
                t = steps / self._per_epoch
                values = [f(t) for f in self._fns]
                self._step_count += 1
                self.last_epoch = steps
                self._write(plan, values)
                return
            self._go(steps)
            return
        recorded = None if metric is None else self._metric(metric)
        steps = self.last_epoch + 1 if epoch is None else self._steps_of("epoch", epoch)
        self._go(steps, None if recorded is None else self._recorded(steps, recorded))

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
        whole number of steps (``epoch * steps_per_epoch``; use :meth:`sync` to give steps).
        """
        self._go(self._steps_of("epoch", epoch))

    def sync(self, step: int) -> None:
        """Set the clock from the caller's own step counter (an int >= 0) and apply its values.

        With ``steps_per_epoch=k`` the time becomes ``step / k``. Calling ``sync(global_step)``
        instead of :meth:`step` keeps the schedule on the training loop's count when steps are
        skipped (AMP overflow) or accumulated.
        """
        self._go(_whole("step", step))

    def at(self, t: float, key: str = "lr") -> list[Any]:
        """The values of ``key`` at time ``t`` (in epochs), one per param group; changes nothing.

        Groups where ``key`` is not driven give their current value. Values are Python floats
        (a tuple of them for a tuple-valued key such as ``betas``).
        """
        time = _time(t)
        plan = self._plan
        groups = self.optimizer.param_groups
        if groups is not plan.groups or len(groups) != plan.size:
            plan = self._build(commit=False)
        values = [f(time) for f in self._fns]
        drive = next((d for d in self._drives if d.key == key), None)
        if drive is None:
            return [_plain(group[key]) for group in groups]
        out: list[Any] = []
        for group, cell in zip(groups, plan.table[key], strict=True):
            if cell is None:
                out.append(_plain(group[key]))
            elif drive.size is None:
                out.append(_scaled(cell[0], values[cell[1]]))
            else:
                current = _plain(group[key])
                out.append(
                    tuple(
                        old if c is None else _scaled(c[0], values[c[1]])
                        for old, c in zip(current, cell, strict=True)
                    )
                )
        return out

    # -- metrics -------------------------------------------------------------------------------

    def record(self, metric: object) -> None:
        """Record a metric at the current time (for the plateaus) and apply the new values.

        A metric recorded at time ``t`` replaces those recorded at times >= ``t`` (after a
        :meth:`seek` backwards, recording rewrites the future).
        """
        value = self._metric(metric)
        self._go(self.last_epoch, self._recorded(self.last_epoch, value), count=False)

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
        lr = next((d for d in self._drives if d.key == "lr"), None)
        entries = [None if lr is None else lr.entry(g) for g in range(n)]
        return tuple(e if isinstance(e, Schedule) else None for e in entries)

    @property
    def driven(self) -> tuple[str, ...]:
        """The driven param-group keys, ``"lr"`` first if it is driven."""
        return tuple(drive.key for drive in self._drives)

    # -- checkpoints -------------------------------------------------------------------------

    def state_dict(self) -> dict[str, Any]:
        """The binding's state as plain data (loads with ``torch.load(weights_only=True)``).

        It records the step count, ``steps_per_epoch``, the absolute keys, each driven value's
        base and each schedule's expression (``repr``, so that loading it into a binding with
        another schedule is caught), and the recorded metrics with their steps.
        """
        n = self._refreshed().size
        others = {
            drive.key: {"bases": self._saved_bases(drive, n), "schedules": _expressions(drive, n)}
            for drive in self._drives
            if drive.key != "lr"
        }
        lr = next((d for d in self._drives if d.key == "lr"), None)
        return {
            "format": STATE_FORMAT,
            "version": STATE_VERSION,
            "last_epoch": self.last_epoch,
            "steps_per_epoch": self.steps_per_epoch,
            "absolute": list(self.absolute) if isinstance(self.absolute, tuple) else self.absolute,
            "base_lrs": [None] * n if lr is None else self._saved_bases(lr, n),
            "schedules": [None] * n if lr is None else _expressions(lr, n),
            "hyperparameters": others,
            "metrics": list(self._metrics),
            "metric_steps": list(self._metric_steps),
        }

    def load_state_dict(
        self, state_dict: dict[str, Any], *, allow_schedule_change: bool = False
    ) -> None:
        """Restore a :meth:`state_dict` and apply the values of its time.

        Everything is checked before anything changes: a malformed state raises
        :class:`~lrsched.ScheduleError` and leaves the binding and the optimizer as they were.
        States of version 1 (lr only) load too.

        Args:
            state_dict: A dict made by :meth:`state_dict`.
            allow_schedule_change: Continue from the saved step with this binding's
                schedules even if the checkpoint was made with different ones.

        """
        n = len(self.optimizer.param_groups)
        loaded = _checked_state(state_dict, self, n, allow_schedule_change)
        steps, bases, metric_steps, metrics = loaded
        history = _History(metric_steps, metrics, self._replayed(metric_steps, metrics))
        self._values(steps, history)  # raises (changing nothing) where it cannot be evaluated
        self._bases.update(bases)
        self._plan = _STALE
        self._go(steps, history, count=False)

    # -- internals ---------------------------------------------------------------------------

    def _go(self, steps: int, history: _History | None = None, *, count: bool = True) -> None:
        """Move to ``steps`` (with a new metric ``history``) and write the values there.

        All or nothing: the values are computed before anything changes, so a time at which a
        schedule cannot be evaluated raises and leaves the binding and the optimizer as they were.
        """
        plan = self._refreshed()
        values = self._values(steps, history)
        if history is not None:
            self._metric_steps, self._metrics = history.steps, history.metrics
            self._current = history.current
            self._fns = [scalar_function(s) for s in history.current]
        if count:
            self._step_count += 1
        self.last_epoch = steps
        self._write(plan, values)

    def _write(self, plan: _Plan, values: list[float]) -> None:
        """Write ``base * value`` everywhere the plan says, and remember the lrs."""
        for group, key, base, slot in plan.scalars:
            group[key] = _scaled(base, values[slot])
        if plan.tensors:
            for tensor, base, slot in plan.tensors:
                tensor.fill_(_scaled(base, values[slot]))
        if plan.tuples:
            for group, key, elements in plan.tuples:
                new = list(group[key])
                for element, base, slot in elements:
                    new[element] = _scaled(base, values[slot])
                group[key] = tuple(new)
        if plan.every_lr is not None:
            self._last_lr = [_scaled(base, values[slot]) for base, slot in plan.every_lr]
        else:
            self._last_lr = [
                _plain(group["lr"]) if cell is None else _scaled(cell[0], values[cell[1]])
                for group, cell in zip(plan.groups or (), plan.lrs, strict=True)
            ]

    def _values(self, steps: int, history: _History | None) -> list[float]:
        """The value of each distinct schedule at ``steps`` (after ``history``, if given)."""
        try:
            t = steps / self._per_epoch
        except OverflowError:
            t = math.inf
        if not t < math.inf:
            msg = f"step {steps} is too large: its time is not a finite float"
            raise ScheduleError(msg)
        if history is None:
            return [f(t) for f in self._fns]
        return [scalar_function(s)(t) for s in history.current]

    def _refreshed(self) -> _Plan:
        plan = self._plan
        groups = self.optimizer.param_groups
        if groups is plan.groups and len(groups) == plan.size:
            return plan
        plan = self._build(commit=True)
        self._bases.update(plan.new_bases)
        self._plan = plan
        self.base_lrs = [None if cell is None else cell[0] for cell in plan.lrs]
        return plan

    def _build(self, *, commit: bool) -> _Plan:
        """Work out the writes for the current param groups.

        With ``commit``, relative keys seen for the first time get their ``initial_<key>``
        (``setdefault``, as torch does for ``initial_lr``); without, nothing is written.
        """
        groups = self.optimizer.param_groups
        plan = _Plan(groups, len(groups), commit=commit)
        for drive in self._drives:
            column: list[Any] = []
            for index, group in enumerate(groups):
                entry = drive.entry(index)
                if entry is None:
                    column.append(None)
                elif isinstance(entry, Schedule):
                    column.append(self._plan_number(plan, drive, group, index, entry))
                else:
                    column.append(self._plan_tuple(plan, drive, group, index, entry))
            plan.table[drive.key] = column
        plan.lrs = plan.table.get("lr", [None] * len(groups))
        every_lr = [cell for cell in plan.lrs if cell is not None]
        if len(every_lr) == len(plan.lrs):
            plan.every_lr = every_lr
        one_lr_schedule = self.driven == ("lr",) and len(self._roots) == 1
        if one_lr_schedule and not plan.tensors and all(cell is not None for cell in plan.lrs):
            plan.simple = [(group, base) for group, _, base, _ in plan.scalars]
        return plan

    def _plan_number(
        self, plan: _Plan, drive: _Drive, group: dict[str, Any], index: int, entry: Schedule
    ) -> tuple[float, int]:
        value = _value(group, drive, index)
        base = self._base(plan, drive, group, index, None)
        slot = self._slots[entry]
        if isinstance(value, torch.Tensor):
            plan.tensors.append((value, base, slot))
        else:
            plan.scalars.append((group, drive.key, base, slot))
        return base, slot

    def _plan_tuple(
        self,
        plan: _Plan,
        drive: _Drive,
        group: dict[str, Any],
        index: int,
        entry: tuple[Schedule | None, ...],
    ) -> tuple[tuple[float, int] | None, ...]:
        value = _value(group, drive, index)
        cells: list[tuple[float, int] | None] = []
        elements = []
        for element, s in enumerate(entry):
            if s is None:
                cells.append(None)
                continue
            base = self._base(plan, drive, group, index, element)
            slot = self._slots[s]
            cells.append((base, slot))
            if isinstance(value[element], torch.Tensor):
                plan.tensors.append((value[element], base, slot))
            else:
                elements.append((element, base, slot))
        if elements:
            plan.tuples.append((group, drive.key, tuple(elements)))
        return tuple(cells)

    def _base(
        self, plan: _Plan, drive: _Drive, group: dict[str, Any], index: int, element: int | None
    ) -> float:
        known = (drive.key, index, element)
        if known in self._bases:
            return self._bases[known]
        if known in plan.new_bases:
            return plan.new_bases[known]
        if drive.absolute:
            base = 1.0
        else:
            name = f"initial_{drive.key}"
            current = group[drive.key]
            if plan.commit:
                initial = group.setdefault(name, _copied(current))
            else:
                initial = group.get(name, current)
            where = f"param_groups[{index}][{name!r}]"
            if element is not None:
                if not isinstance(initial, tuple | list) or element >= len(initial):
                    msg = f"{where} must be a tuple like {drive.key} (got {initial!r})"
                    raise ScheduleError(msg)
                initial, where = initial[element], f"{where}[{element}]"
            base = _finite(initial, where)
        plan.new_bases[known] = base
        return base

    def _saved_bases(self, drive: _Drive, n: int) -> list[Any]:
        """The base of each driven value of ``drive``, per group (a list per tuple element)."""
        out: list[Any] = []
        for g in range(n):
            entry = drive.entry(g)
            if entry is None:
                out.append(None)
            elif isinstance(entry, Schedule):
                out.append(self._bases[(drive.key, g, None)])
            else:
                out.append(
                    [
                        None if s is None else self._bases[(drive.key, g, e)]
                        for e, s in enumerate(entry)
                    ]
                )
        return out

    def _metric(self, metric: object) -> float:
        if not self._fed:
            msg = (
                "a metric was given but no bound schedule contains a plateau(...): there is "
                "nothing for it to decide"
            )
            raise ScheduleError(msg)
        if self._clock_problem is not None:
            raise ScheduleError(self._clock_problem)
        if isinstance(metric, torch.Tensor):
            if metric.numel() != 1:
                msg = f"metric must be a number or a one-element tensor (got shape {metric.shape})"
                raise ScheduleError(msg)
            return float(metric.item())
        if isinstance(metric, bool) or not isinstance(metric, numbers.Real):
            msg = f"metric must be a real number (got {type(metric).__name__}: {metric!r})"
            raise TypeError(msg)
        return float(metric)

    def _recorded(self, steps: int, value: float) -> _History:
        """The metric history with ``value`` recorded at ``steps`` (replacing steps >= it)."""
        history, metrics = self._metric_steps, self._metrics
        if history and steps <= history[-1]:
            keep = bisect.bisect_left(history, steps)
            history, metrics = [*history[:keep], steps], [*metrics[:keep], value]
            return _History(history, metrics, self._replayed(history, metrics))
        time = steps / self._per_epoch
        current = list(self._current)
        for slot in self._fed:
            current[slot] = with_metric(current[slot], value, time)
        return _History([*history, steps], [*metrics, value], current)

    def _replayed(self, history: list[int], metrics: list[float]) -> list[Schedule]:
        current = list(self._roots)
        k = self._per_epoch
        for steps, value in zip(history, metrics, strict=True):
            for slot in self._fed:
                current[slot] = with_metric(current[slot], value, steps / k)
        return current

    def _steps_of(self, name: str, epoch: object) -> int:
        k = self.steps_per_epoch
        if k is None:
            return _whole(name, epoch)
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

    def __getstate__(self) -> dict[str, Any]:
        # The plan and the scalar functions are derived (closures do not pickle): rebuilt lazily.
        state = self.__dict__.copy()
        state["_plan"] = _STALE
        state["_fns"] = None
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        self._fns = [scalar_function(s) for s in self._current]

    def __repr__(self) -> str:
        parts = [type(self.optimizer).__name__]
        for drive in self._drives:
            shown = drive.every if drive.every is not None else dict(drive.groups)
            parts.append(repr(shown) if drive.key == "lr" else f"{drive.key}={shown!r}")
        if self.absolute:
            parts.append(f"absolute={self.absolute!r}")
        if self.steps_per_epoch is not None:
            parts.append(f"steps_per_epoch={self.steps_per_epoch}")
        return f"BoundSchedule({', '.join(parts)})"


def bind(
    optimizer: Optimizer,
    schedule: ScheduleSpec = None,
    *,
    absolute: bool | Iterable[str] = False,
    steps_per_epoch: int | None = None,
    **keys: ScheduleSpec,
) -> BoundSchedule:
    """Bind schedules to an optimizer's param groups; applies time 0 immediately.

    ``schedule`` drives the learning rate; each extra keyword drives the param-group key of
    that name (``momentum=``, ``weight_decay=``, ``betas=``...). Each takes one schedule for
    every group (groups added later included), a list with one entry per group, or a mapping
    group index -> entry (unlisted groups are left alone); an entry may be None (not driven).
    A tuple-valued key takes a tuple with a schedule or None per element:
    ``betas=(beta1_schedule, None)``.

    Relative keys (the default): key ``k`` of a group at time ``t`` is
    ``group["initial_<k>"] * schedule(t)``, where ``initial_<k>`` is set from the group's value
    at bind time unless already present (as torch's schedulers do for ``initial_lr``). Absolute
    keys: the value is ``schedule(t)`` itself. ``absolute=True`` makes every key absolute;
    ``absolute={"momentum"}`` only the keys named.

    Args:
        optimizer: A ``torch.optim.Optimizer``.
        schedule: The lr schedule(s), or None to leave the lr alone.
        absolute: True, False, or the names of the keys whose schedules give values rather
            than multipliers.
        steps_per_epoch: If given (an int >= 1), :meth:`~BoundSchedule.step` is called once
            per optimizer step and the schedules' time is in epochs: ``steps / steps_per_epoch``.
        keys: Schedules for other param-group keys, e.g. ``momentum=``, ``betas=``.

    Returns:
        A :class:`BoundSchedule`, a ``torch.optim.lr_scheduler.LRScheduler``.

    Raises:
        ScheduleError: If a list does not have one entry per param group, a key is missing
            from a group, or a value is not a finite number.

    Examples:
        >>> import torch
        >>> import lrsched as ls
        >>> model = torch.nn.Linear(2, 1)
        >>> optimizer = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
        >>> bound = ls.bind(optimizer, ls.warmup(ls.cosine(8), 2))
        >>> [round(bound.get_last_lr()[0], 4)]
        [0.0]
        >>> for _ in range(2):
        ...     optimizer.step()
        ...     bound.step()
        >>> optimizer.param_groups[0]["lr"]
        0.1
        >>> bound.at(6)  # time travel: changes nothing
        [0.05]
        >>> momentum = ls.bind(optimizer, momentum=ls.linear(0.95, 0.85, 10), absolute=True)
        >>> optimizer.param_groups[0]["momentum"]
        0.95

    """
    return BoundSchedule(
        optimizer, schedule, absolute=absolute, steps_per_epoch=steps_per_epoch, **keys
    )


# -- argument checks ---------------------------------------------------------------------------


def _specs(schedule: ScheduleSpec, keys: dict[str, ScheduleSpec]) -> dict[str, ScheduleSpec]:
    """The driven keys and their arguments, ``lr`` first (``schedules=`` and ``lr=`` alias it)."""
    specs: dict[str, ScheduleSpec] = {}
    given: list[tuple[str, ScheduleSpec]] = [
        (name, keys.pop(name)) for name in ("schedules", "lr") if name in keys
    ]
    if schedule is not None:
        given.insert(0, ("schedule", schedule))
    if len(given) > 1:
        names = " and ".join(name for name, _ in given)
        msg = f"the lr schedule was given twice ({names}): pass one of them"
        raise TypeError(msg)
    if given and given[0][1] is not None:
        specs["lr"] = given[0][1]
    specs.update((key, spec) for key, spec in keys.items() if spec is not None)
    if not specs:
        msg = "nothing to bind: pass an lr schedule, or a keyword such as momentum=schedule"
        raise TypeError(msg)
    return specs


def _absolute_keys(absolute: object, specs: Mapping[str, object]) -> frozenset[str]:
    if absolute is True:
        return frozenset(specs)
    if absolute is False:
        return frozenset()
    if isinstance(absolute, str | bytes) or not isinstance(absolute, Iterable):
        msg = (
            "absolute must be True or False, or a collection of param-group keys such as "
            f'{{"momentum"}} (got {absolute!r})'
        )
        raise TypeError(msg)
    names = frozenset(absolute)
    unknown = sorted(str(name) for name in names - specs.keys())
    if unknown:
        driven = ", ".join(specs)
        msg = f"absolute names keys that are not bound: {', '.join(unknown)} (bound: {driven})"
        raise ScheduleError(msg)
    return names


def _normal_absolute(names: frozenset[str], specs: Mapping[str, object]) -> bool | tuple[str, ...]:
    if names == specs.keys():
        return True
    if not names:
        return False
    return tuple(sorted(names))


def _steps_per_epoch(value: object) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        msg = f"steps_per_epoch must be an int >= 1 or None (got {type(value).__name__}: {value!r})"
        raise TypeError(msg)
    if value < 1:
        msg = f"steps_per_epoch must be >= 1 (got {value})"
        raise ScheduleError(msg)
    return int(value)


def _label(key: str) -> str:
    return "schedules" if key == "lr" else key


def _drive(key: str, spec: object, absolute: bool, groups: list[dict[str, Any]]) -> _Drive:
    """Check one keyword's argument against the param groups."""
    n = len(groups)
    label = _label(key)
    probe = next((g for g in groups if key in g), None)
    if probe is None:
        known = ", ".join(repr(k) for k in groups[0] if k != "params") if groups else ""
        msg = f"the param groups have no {key!r} to drive (their keys: {known})"
        raise ScheduleError(msg)
    size = len(probe[key]) if isinstance(probe[key], tuple | list) else None
    if isinstance(spec, Mapping):
        entries: dict[int, _Entry] = {}
        for index, entry in spec.items():
            if isinstance(index, bool) or not isinstance(index, int) or not 0 <= index < n:
                msg = (
                    f"{label} maps param group {index!r}, but the optimizer has {n} param "
                    f"groups (indices 0 to {n - 1})"
                )
                raise ScheduleError(msg)
            checked = _entry(f"{label}[{index}]", entry, size)
            if checked is not None:
                entries[index] = checked
        return _Drive(key, absolute, size, None, entries)
    one = _entry(label, spec, size) if _is_one(spec, size) or isinstance(spec, Schedule) else None
    if one is not None:
        return _Drive(key, absolute, size, one, {})
    if not isinstance(spec, Sequence) or isinstance(spec, str):
        what = "a tuple of schedules or None" if size is not None else "a Schedule"
        msg = (
            f"{label} must be {what}, a sequence of them (one per param group) or a mapping "
            f"group index -> entry (got {type(spec).__name__})"
        )
        raise TypeError(msg)
    listed = [_entry(f"{label}[{i}]", entry, size) for i, entry in enumerate(spec)]
    if len(listed) != n:
        msg = (
            f"{label} must have one entry per param group: the optimizer has {n} "
            f"(got {len(listed)})"
        )
        raise ScheduleError(msg)
    return _Drive(key, absolute, size, None, {i: e for i, e in enumerate(listed) if e is not None})


def _is_one(spec: object, size: int | None) -> bool:
    """Whether ``spec`` is one entry for every group (not a list of per-group entries)."""
    if size is None:
        return isinstance(spec, Schedule)
    return isinstance(spec, tuple) and not any(isinstance(x, tuple | list) for x in spec)


def _entry(where: str, entry: object, size: int | None) -> _Entry | None:
    if entry is None:
        return None
    if size is None:
        if isinstance(entry, Schedule):
            return entry
        if isinstance(entry, tuple | list):
            msg = f"{where} must be a Schedule: the key holds a number, not a tuple (got {entry!r})"
            raise TypeError(msg)
        msg = f"{where} must be a Schedule (got {type(entry).__name__}: {entry!r})"
        raise TypeError(msg)
    if isinstance(entry, Schedule):
        msg = (
            f"{where} must be a tuple with a schedule or None for each of the {size} elements "
            f"of the key, e.g. ({entry!r}, None) (got a single Schedule)"
        )
        raise TypeError(msg)
    if not isinstance(entry, tuple) or len(entry) != size:
        msg = (
            f"{where} must be a tuple with a schedule or None for each of the {size} elements "
            f"of the key (got {entry!r})"
        )
        raise ScheduleError(msg)
    for i, s in enumerate(entry):
        if s is not None and not isinstance(s, Schedule):
            msg = f"{where}[{i}] must be a Schedule or None (got {type(s).__name__}: {s!r})"
            raise TypeError(msg)
    if all(s is None for s in entry):
        return None
    return entry


def _schedules_of(drive: _Drive) -> list[tuple[str, Schedule]]:
    """Every schedule of a drive, with a description of where it is bound."""
    entries = [(None, drive.every)] if drive.every is not None else list(drive.groups.items())
    out = []
    for index, entry in entries:
        where = _label(drive.key) if index is None else f"{_label(drive.key)}[{index}]"
        if isinstance(entry, Schedule):
            out.append((where, entry))
        elif entry is not None:
            out.extend((f"{where}[{e}]", s) for e, s in enumerate(entry) if s is not None)
    return out


def _expressions(drive: _Drive, n: int) -> list[Any]:
    out: list[Any] = []
    for g in range(n):
        entry = drive.entry(g)
        if entry is None:
            out.append(None)
        elif isinstance(entry, Schedule):
            out.append(repr(entry))
        else:
            out.append([None if s is None else repr(s) for s in entry])
    return out


def _value(group: dict[str, Any], drive: _Drive, index: int) -> Any:
    if drive.key not in group:
        msg = f"param_groups[{index}] has no {drive.key!r} to drive"
        raise ScheduleError(msg)
    value = group[drive.key]
    if drive.size is None:
        if isinstance(value, tuple | list):
            msg = f"param_groups[{index}][{drive.key!r}] is a tuple, not a number (got {value!r})"
            raise ScheduleError(msg)
    elif not isinstance(value, tuple | list) or len(value) != drive.size:
        msg = (
            f"param_groups[{index}][{drive.key!r}] must be a tuple of {drive.size} numbers "
            f"(got {value!r})"
        )
        raise ScheduleError(msg)
    return value


def _copied(value: Any) -> Any:
    if isinstance(value, torch.Tensor):
        return value.clone()
    if isinstance(value, tuple | list):
        return tuple(v.clone() if isinstance(v, torch.Tensor) else v for v in value)
    return value


def _finite(value: object, where: str) -> float:
    number = float(value.item()) if isinstance(value, torch.Tensor) else value
    if (
        isinstance(number, bool)
        or not isinstance(number, numbers.Real)
        or not math.isfinite(number)
    ):
        msg = f"{where} must be a finite number (got {value!r})"
        raise ScheduleError(msg)
    return float(number)


def _scaled(base: float, value: float) -> float:
    """``base * value``, where a base of 0 wins over an overflowed value (never a NaN lr)."""
    return base * value if base else 0.0


def _plain(value: Any) -> Any:
    """A group's value as Python floats (tensors read with .item())."""
    if isinstance(value, torch.Tensor):
        return float(value.item())
    if isinstance(value, tuple | list):
        return tuple(_plain(v) for v in value)
    return value


def _whole(name: str, value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        msg = f"{name} must be an int >= 0 (got {type(value).__name__}: {value!r})"
        raise TypeError(msg)
    if value < 0:
        msg = f"{name} must be an int >= 0 (got {value})"
        raise ScheduleError(msg)
    return int(value)


def _time(t: object) -> float:
    if isinstance(t, bool) or not isinstance(t, numbers.Real):
        msg = f"t must be a real number (got {type(t).__name__}: {t!r})"
        raise TypeError(msg)
    try:
        x = float(t)
    except OverflowError:
        x = math.inf
    if not 0.0 <= x < math.inf:
        msg = f"t must be a finite number >= 0 (got {t!r})"
        raise ScheduleError(msg)
    return x


# -- loading a state ---------------------------------------------------------------------------

_KEYS_V1 = ("format", "version", "last_epoch", "absolute", "base_lrs", "schedules")
_KEYS_V2 = (*_KEYS_V1, "steps_per_epoch", "hyperparameters", "metrics", "metric_steps")


@attrs.frozen
class _Column:
    """The saved bases and expressions of one key, one entry per param group."""

    bases: object
    expressions: object
    where: str  # "state_dict" or "state_dict['hyperparameters']['momentum']"
    names: tuple[str, str]  # the two entries' names, e.g. ("['bases']", "['schedules']")


def _checked_state(
    state: object, bound: BoundSchedule, n: int, allow_change: bool
) -> tuple[int, dict[_BaseKey, float], list[int], list[float]]:
    """Validate a state_dict against ``bound``; return what to load. Changes nothing."""
    state = _upgraded(state)
    steps = state["last_epoch"]
    if isinstance(steps, bool) or not isinstance(steps, int) or steps < 0:
        msg = f"state_dict['last_epoch'] must be an int >= 0 (got {steps!r})"
        raise ScheduleError(msg)
    _check_clock_and_mode(state, bound)
    columns = _columns(state, bound, allow_change)
    bases: dict[_BaseKey, float] = {}
    for drive in bound._drives:
        if drive.key in columns:
            bases.update(_checked_column(columns[drive.key], drive, n, allow_change))
    if "lr" not in bound.driven:
        _checked_column(columns["lr"], None, n, allow_change)
    metric_steps, metrics = _checked_metrics(state["metric_steps"], state["metrics"])
    if metrics and not bound._fed:
        msg = (
            "state_dict has recorded metrics but no bound schedule contains a plateau(...) "
            "to receive them"
        )
        raise ScheduleError(msg)
    if metrics and bound._clock_problem is not None:
        raise ScheduleError(bound._clock_problem)
    return steps, bases, metric_steps, metrics


def _upgraded(state: object) -> dict[str, Any]:
    """The state with every entry of the current version (a version 1 state gains defaults)."""
    if not isinstance(state, dict):
        msg = f"state_dict must be a dict (got {type(state).__name__})"
        raise ScheduleError(msg)
    # Checked by type first: a foreign value (an array, a list) must not be compared or hashed.
    version = state.get("version")
    version = version if type(version) is int else None
    missing = [key for key in (_KEYS_V1 if version == 1 else _KEYS_V2) if key not in state]
    if missing:
        msg = f"state_dict is missing {', '.join(map(repr, missing))}: not a BoundSchedule state"
        raise ScheduleError(msg)
    format_ = state["format"]
    if type(format_) is not str or format_ != STATE_FORMAT or version not in {1, STATE_VERSION}:
        msg = (
            f"state_dict has format {format_!r} version {state['version']!r}; "
            f"this lrsched reads {STATE_FORMAT!r} versions 1 to {STATE_VERSION}"
        )
        raise ScheduleError(msg)
    if version == 1:
        defaults: dict[str, Any] = {
            "steps_per_epoch": None,
            "hyperparameters": {},
            "metrics": [],
            "metric_steps": [],
        }
        return {**state, **defaults}
    return state


def _check_clock_and_mode(state: dict[str, Any], bound: BoundSchedule) -> None:
    if state["steps_per_epoch"] != bound.steps_per_epoch:
        msg = (
            f"state_dict was saved with steps_per_epoch={state['steps_per_epoch']!r} but this "
            f"binding has steps_per_epoch={bound.steps_per_epoch!r}"
        )
        raise ScheduleError(msg)
    saved = state["absolute"]
    mine = list(bound.absolute) if isinstance(bound.absolute, tuple) else bound.absolute
    if saved != mine or type(saved) is not type(mine):
        msg = f"state_dict was saved with absolute={saved!r} but this binding has absolute={mine!r}"
        raise ScheduleError(msg)


def _columns(state: dict[str, Any], bound: BoundSchedule, allow_change: bool) -> dict[str, _Column]:
    """The saved columns by key (lr included); the keys must be the bound ones."""
    others = state["hyperparameters"]
    if not isinstance(others, dict) or not all(isinstance(k, str) for k in others):
        msg = "state_dict['hyperparameters'] must be a dict from param-group keys to dicts"
        raise ScheduleError(msg)
    lr_names = ("['base_lrs']", "['schedules']")
    columns = {"lr": _Column(state["base_lrs"], state["schedules"], "state_dict", lr_names)}
    for key, column in others.items():
        if not isinstance(column, dict) or {"bases", "schedules"} - column.keys():
            msg = f"state_dict['hyperparameters'][{key!r}] must have 'bases' and 'schedules'"
            raise ScheduleError(msg)
        where = f"state_dict['hyperparameters'][{key!r}]"
        names = ("['bases']", "['schedules']")
        columns[key] = _Column(column["bases"], column["schedules"], where, names)
    saved_keys, bound_keys = set(columns), {"lr", *bound.driven}
    if saved_keys != bound_keys and not allow_change:
        msg = (
            f"state_dict drives other keys: saved {sorted(saved_keys)}, bound "
            f"{sorted(bound_keys)}; pass allow_schedule_change=True to continue with this "
            "binding's keys"
        )
        raise ScheduleError(msg)
    return columns


def _checked_column(
    column: _Column, drive: _Drive | None, n: int, allow_change: bool
) -> dict[_BaseKey, float]:
    """Check a saved column against a drive (None: not driven); return the bases to load."""
    size = None if drive is None else drive.size
    bases_name, exprs_name = (column.where + name for name in column.names)
    bases, exprs = column.bases, column.expressions
    if not isinstance(bases, list) or len(bases) != n:
        msg = f"{bases_name} must be a list of {n} numbers (or None), one per param group"
        raise ScheduleError(msg)
    if not isinstance(exprs, list) or len(exprs) != n:
        msg = f"{exprs_name} must be a list of {n} strings (or None), one per param group"
        raise ScheduleError(msg)
    cells: list[tuple[_BaseKey, str, object, object]] = []
    for g, (base, expr) in enumerate(zip(bases, exprs, strict=True)):
        if size is None:
            cells.append((("", g, None), f"[{g}]", base, expr))
            continue
        for value, name in ((base, bases_name), (expr, exprs_name)):
            if value is not None and (not isinstance(value, list) or len(value) != size):
                msg = f"{name}[{g}] must be None or a list of {size} entries"
                raise ScheduleError(msg)
        row_bases, row_exprs = base or [None] * size, expr or [None] * size
        cells.extend((("", g, e), f"[{g}][{e}]", row_bases[e], row_exprs[e]) for e in range(size))
    for _, at, base, expr in cells:
        _check_cell(base, expr, bases_name + at, exprs_name + at)
    key = "lr" if drive is None else drive.key
    bound_exprs = [None] * n if drive is None else _expressions(drive, n)
    if not allow_change:
        _check_expressions(exprs, bound_exprs, key)
    if drive is None:
        return {}
    driven = {(key, g, e) for g, e in _driven_cells(drive, n)}
    return {
        (key, g, e): float(base)  # type: ignore[arg-type]  # checked by _check_cell
        for (_, g, e), _, base, expr in cells
        if expr is not None and (key, g, e) in driven
    }


def _check_cell(base: object, expr: object, base_name: str, expr_name: str) -> None:
    if base is not None and (
        isinstance(base, bool) or not isinstance(base, int | float) or not math.isfinite(base)
    ):
        msg = f"{base_name} must be a finite number (got {base!r})"
        raise ScheduleError(msg)
    if expr is not None and not isinstance(expr, str):
        msg = f"{expr_name} must be a string (got {expr!r})"
        raise ScheduleError(msg)
    if expr is not None and base is None:
        msg = f"{base_name} must be a finite number (got None)"
        raise ScheduleError(msg)


def _driven_cells(drive: _Drive, n: int) -> list[tuple[int, int | None]]:
    out: list[tuple[int, int | None]] = []
    for g in range(n):
        entry = drive.entry(g)
        if isinstance(entry, Schedule):
            out.append((g, None))
        elif entry is not None:
            out.extend((g, e) for e, s in enumerate(entry) if s is not None)
    return out


def _check_expressions(saved: list[Any], bound: list[Any], key: str) -> None:
    for index, (old, new) in enumerate(zip(saved, bound, strict=True)):
        if old == new:
            continue
        what = f"param group {index}" if key == "lr" else f"{key!r} of param group {index}"
        msg = (
            f"the checkpoint was made with another schedule for {what}:\n"
            f"  saved: {_shown(old)}\n  bound: {_shown(new)}\n"
            "pass allow_schedule_change=True to continue with the bound schedule"
        )
        raise ScheduleError(msg)


def _shown(expr: Any) -> str:
    if expr is None:
        return "None (not driven)"
    if isinstance(expr, list):
        return f"({', '.join('None' if e is None else e for e in expr)})"
    return str(expr)


def _checked_metrics(steps: object, metrics: object) -> tuple[list[int], list[float]]:
    if not isinstance(steps, list) or not isinstance(metrics, list) or len(steps) != len(metrics):
        msg = "state_dict['metric_steps'] and state_dict['metrics'] must be lists of equal length"
        raise ScheduleError(msg)
    for i, n in enumerate(steps):
        if isinstance(n, bool) or not isinstance(n, int) or n < 0 or (i and n <= steps[i - 1]):
            msg = (
                f"state_dict['metric_steps'][{i}] must be an int >= 0, greater than the one "
                f"before (got {n!r})"
            )
            raise ScheduleError(msg)
    for i, m in enumerate(metrics):
        if isinstance(m, bool) or not isinstance(m, int | float):
            msg = f"state_dict['metrics'][{i}] must be a number (got {m!r})"
            raise ScheduleError(msg)
    return list(steps), [float(m) for m in metrics]
