"""The torch binding: drive an optimizer's learning rates from schedules.

This is the only module of the core that imports torch (``lrsched.interop`` is the other). It
knows nothing about individual schedule kinds: it evaluates ``schedule(t)`` and writes the
result into ``param_group["lr"]``. The lr at epoch ``t`` depends only on ``t``, never on the
current lr or on other schedulers, so composition follows the expression, not the order in
which objects mutate the optimizer.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Sequence
from typing import Any

from lrsched._core import Schedule
from lrsched._errors import ScheduleError

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

__all__ = ["STATE_FORMAT", "STATE_VERSION", "BoundSchedule", "bind"]

STATE_FORMAT = "lrsched.BoundSchedule"
STATE_VERSION = 1


class BoundSchedule(LRScheduler):
    """Schedules bound to an optimizer's param groups: a ``torch.optim.lr_scheduler.LRScheduler``.

    Create it with :func:`bind`. Call :meth:`step` once per epoch (after ``optimizer.step()``),
    as with any torch scheduler. Unlike torch's schedulers it never reads the current lr: the
    lr of group ``g`` at epoch ``t`` is ``base_lrs[g] * schedules[g](t)``, where ``base_lrs[g]``
    is the group's ``initial_lr`` (relative mode) or 1 (absolute mode).

    Attributes:
        optimizer: The bound optimizer.
        schedules: One schedule per param group.
        absolute: Whether schedules give learning rates (True) or multipliers of each group's
            ``initial_lr`` (False).
        base_lrs: The multiplier of each group: its ``initial_lr``, or 1.0 in absolute mode.
        last_epoch: The epoch whose learning rates are applied (0 right after :func:`bind`).

    """

    def __init__(
        self,
        optimizer: Optimizer,
        schedules: Schedule | Sequence[Schedule],
        *,
        absolute: bool = False,
    ) -> None:
        # LRScheduler.__init__ is deliberately not called: it monkey-patches optimizer.step to
        # emit ordering warnings, and computes the first lr through get_lr's mutation protocol.
        if not isinstance(optimizer, Optimizer):
            msg = f"optimizer must be a torch.optim.Optimizer (got {type(optimizer).__name__})"
            raise TypeError(msg)
        if not isinstance(absolute, bool):
            msg = f"absolute must be True or False (got {absolute!r})"
            raise TypeError(msg)
        groups = optimizer.param_groups
        self.optimizer = optimizer
        self.schedules: tuple[Schedule, ...] = _one_per_group(schedules, len(groups))
        self.absolute = absolute
        if absolute:
            self.base_lrs: list[float] = [1.0] * len(groups)  # type: ignore[assignment]  # floats
        else:
            for group in groups:
                lr = group["lr"]
                group.setdefault("initial_lr", lr.clone() if isinstance(lr, torch.Tensor) else lr)
            self.base_lrs = [
                _lr_float(group["initial_lr"], index) for index, group in enumerate(groups)
            ]
        self.last_epoch = 0
        self._step_count = 1
        self._last_lr: list[float] = []  # type: ignore[assignment]  # floats, never tensors
        self._apply(0)

    # -- the LRScheduler interface ---------------------------------------------------------

    def step(self, epoch: int | None = None) -> None:
        """Advance one epoch and apply its learning rates (``step(t)`` is :meth:`seek`)."""
        if epoch is not None:
            self.seek(epoch)
            return
        self._step_count += 1
        self.last_epoch += 1
        self._apply(self.last_epoch)

    def get_lr(self) -> list[float]:  # type: ignore[override]  # floats, never tensors
        """The learning rates of the current epoch, one per param group (changes nothing)."""
        return self.at(self.last_epoch)

    def get_last_lr(self) -> list[float]:  # type: ignore[override]  # floats, never tensors
        """The learning rates applied last, one per param group, as Python floats."""
        return list(self._last_lr)

    # -- time travel -------------------------------------------------------------------------

    def seek(self, epoch: int) -> None:
        """Jump to ``epoch`` (an int >= 0, forwards or backwards) and apply its learning rates."""
        self.last_epoch = _epoch("epoch", epoch)
        self._step_count += 1
        self._apply(self.last_epoch)

    def at(self, t: float) -> list[float]:
        """The learning rates at time ``t``, one per param group; changes nothing."""
        values = self._values(t)
        return [base * value for base, value in zip(self.base_lrs, values, strict=True)]

    # -- checkpoints -------------------------------------------------------------------------

    def state_dict(self) -> dict[str, Any]:
        """The binding's state as plain data (loads with ``torch.load(weights_only=True)``).

        It records the epoch, the mode, each group's base lr and each schedule's expression
        (``repr``), so that loading it into a binding with another schedule is caught.
        """
        return {
            "format": STATE_FORMAT,
            "version": STATE_VERSION,
            "last_epoch": self.last_epoch,
            "absolute": self.absolute,
            "base_lrs": list(self.base_lrs),
            "schedules": [repr(s) for s in self.schedules],
        }

    def load_state_dict(
        self, state_dict: dict[str, Any], *, allow_schedule_change: bool = False
    ) -> None:
        """Restore a :meth:`state_dict` and apply the learning rates of its epoch.

        Everything is checked before anything changes: a malformed state raises
        :class:`~lrsched.ScheduleError` and leaves the binding and the optimizer as they were.

        Args:
            state_dict: A dict made by :meth:`state_dict`.
            allow_schedule_change: Continue from the saved epoch with this binding's
                schedules even if the checkpoint was made with different ones.

        """
        epoch, base_lrs = _checked_state(state_dict, self, allow_schedule_change)
        self.base_lrs = base_lrs
        self.last_epoch = epoch
        self._apply(epoch)

    # -- internals ---------------------------------------------------------------------------

    def _values(self, t: float) -> list[float]:
        cache: dict[int, float] = {}
        values = []
        for s in self.schedules:
            key = id(s)
            if key not in cache:
                cache[key] = s(t)
            values.append(cache[key])
        return values

    def _apply(self, t: float) -> None:
        groups = self.optimizer.param_groups
        if len(groups) != len(self.schedules):
            msg = (
                f"the optimizer has {len(groups)} param groups but was bound with "
                f"{len(self.schedules)} schedules; param groups added after bind() are not "
                "scheduled: bind again with one schedule per group"
            )
            raise ScheduleError(msg)
        lrs = self.at(t)
        for group, lr in zip(groups, lrs, strict=True):
            current = group["lr"]
            if isinstance(current, torch.Tensor):
                current.fill_(lr)
            else:
                group["lr"] = lr
        self._last_lr = lrs

    def __repr__(self) -> str:
        mode = ", absolute=True" if self.absolute else ""
        shown = self.schedules[0] if len(set(self.schedules)) == 1 else list(self.schedules)
        return f"BoundSchedule({type(self.optimizer).__name__}, {shown!r}{mode})"


def bind(
    optimizer: Optimizer,
    schedules: Schedule | Sequence[Schedule],
    *,
    absolute: bool = False,
) -> BoundSchedule:
    """Bind schedules to an optimizer's param groups; applies epoch 0 immediately.

    Relative mode (the default): group ``g``'s lr at epoch ``t`` is
    ``group["initial_lr"] * schedules[g](t)``, where ``initial_lr`` is set from the group's lr
    at bind time unless already present (as torch's schedulers do). ``absolute=True``: the lr
    is ``schedules[g](t)`` itself.

    Args:
        optimizer: A ``torch.optim.Optimizer``.
        schedules: One schedule for every param group, or a sequence with one per group.
        absolute: Whether the schedules give learning rates rather than multipliers.

    Returns:
        A :class:`BoundSchedule`, a ``torch.optim.lr_scheduler.LRScheduler``.

    Raises:
        ScheduleError: If the number of schedules is not the number of param groups.

    Examples:
        >>> import torch
        >>> import lrsched as ls
        >>> model = torch.nn.Linear(2, 1)
        >>> optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
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

    """
    return BoundSchedule(optimizer, schedules, absolute=absolute)


def _one_per_group(schedules: object, n_groups: int) -> tuple[Schedule, ...]:
    if isinstance(schedules, Schedule):
        return (schedules,) * n_groups
    if not isinstance(schedules, Sequence) or isinstance(schedules, str):
        msg = (
            "schedules must be a Schedule or a sequence of them, one per param group "
            f"(got {type(schedules).__name__})"
        )
        raise TypeError(msg)
    for index, s in enumerate(schedules):
        if not isinstance(s, Schedule):
            msg = f"schedules[{index}] must be a Schedule (got {type(s).__name__}: {s!r})"
            raise TypeError(msg)
    if len(schedules) != n_groups:
        msg = (
            f"schedules must have one entry per param group: the optimizer has {n_groups} "
            f"(got {len(schedules)})"
        )
        raise ScheduleError(msg)
    return tuple(schedules)


def _lr_float(lr: object, index: int) -> float:
    value = float(lr.item()) if isinstance(lr, torch.Tensor) else lr
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or not math.isfinite(value):
        msg = f"param_groups[{index}]['initial_lr'] must be a finite number (got {lr!r})"
        raise ScheduleError(msg)
    return float(value)


def _epoch(name: str, value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        msg = f"{name} must be an int >= 0 (got {type(value).__name__}: {value!r})"
        raise TypeError(msg)
    if value < 0:
        msg = f"{name} must be an int >= 0 (got {value})"
        raise ScheduleError(msg)
    return int(value)


def _checked_state(
    state: object, bound: BoundSchedule, allow_schedule_change: bool
) -> tuple[int, list[float]]:
    """Validate a state_dict against ``bound``; return (epoch, base_lrs). Changes nothing."""
    if not isinstance(state, dict):
        msg = f"state_dict must be a dict (got {type(state).__name__})"
        raise ScheduleError(msg)
    expected = {"format", "version", "last_epoch", "absolute", "base_lrs", "schedules"}
    missing = sorted(expected - state.keys())
    if missing:
        msg = f"state_dict is missing {', '.join(map(repr, missing))}: not a BoundSchedule state"
        raise ScheduleError(msg)
    if state["format"] != STATE_FORMAT or state["version"] != STATE_VERSION:
        msg = (
            f"state_dict has format {state['format']!r} version {state['version']!r}; "
            f"this lrsched reads {STATE_FORMAT!r} version {STATE_VERSION}"
        )
        raise ScheduleError(msg)
    epoch = state["last_epoch"]
    if isinstance(epoch, bool) or not isinstance(epoch, int) or epoch < 0:
        msg = f"state_dict['last_epoch'] must be an int >= 0 (got {epoch!r})"
        raise ScheduleError(msg)
    if state["absolute"] is not bound.absolute:
        msg = (
            f"state_dict was saved with absolute={state['absolute']!r} but this binding has "
            f"absolute={bound.absolute!r}"
        )
        raise ScheduleError(msg)
    base_lrs = _checked_base_lrs(state["base_lrs"], len(bound.schedules))
    _check_schedules(state["schedules"], bound.schedules, epoch, allow_schedule_change)
    return epoch, base_lrs


def _checked_base_lrs(base_lrs: object, n: int) -> list[float]:
    if not isinstance(base_lrs, list) or len(base_lrs) != n:
        msg = f"state_dict['base_lrs'] must be a list of {n} numbers, one per param group"
        raise ScheduleError(msg)
    for index, lr in enumerate(base_lrs):
        if isinstance(lr, bool) or not isinstance(lr, int | float) or not math.isfinite(lr):
            msg = f"state_dict['base_lrs'][{index}] must be a finite number (got {lr!r})"
            raise ScheduleError(msg)
    return [float(lr) for lr in base_lrs]


def _check_schedules(
    saved: object, bound: tuple[Schedule, ...], epoch: int, allow_change: bool
) -> None:
    n = len(bound)
    if not isinstance(saved, list) or len(saved) != n or not all(isinstance(x, str) for x in saved):
        msg = f"state_dict['schedules'] must be a list of {n} strings, one per param group"
        raise ScheduleError(msg)
    if allow_change:
        return
    for index, (old, new) in enumerate(zip(saved, bound, strict=True)):
        if old != repr(new):
            msg = (
                f"the checkpoint was made with another schedule for param group {index}:\n"
                f"  saved: {old}\n  bound: {new!r}\n"
                "pass allow_schedule_change=True to continue the new schedule from epoch "
                f"{epoch}"
            )
            raise ScheduleError(msg)
