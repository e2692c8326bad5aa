"""What a step writes into the param groups, worked out once; the one write path and its guard.

A `Plan` lists every driven value of the current param groups (a *cell*: key, group,
element) with its base and the slot of its schedule. It is built without touching the
optimizer: the ``initial_<key>`` that a group seen for the first time needs is only written by
`Plan.write`, after every value of the step has passed the guard, so a failing step
changes nothing. The guard (`DOMAINS`) refuses values outside a key's domain: an lr, a
weight decay or a momentum that is negative or not finite, a beta outside ``[0, 1)``, any value
that is not finite.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

import attrs
import torch

from lrsched._core import Schedule
from lrsched._errors import ScheduleError
from lrsched._validate import below, finite, non_negative

if TYPE_CHECKING:
    from lrsched._checkpoint import Cell
    from lrsched._drives import Drive


__all__ = [
    "DOMAINS",
    "STALE",
    "Plan",
    "Refused",
    "Write",
    "build",
    "check",
    "domain",
    "plain",
    "scaled",
]

_INF = math.inf

DOMAINS: Mapping[str, tuple[float, float]] = {
    "lr": (0.0, _INF),
    "weight_decay": (0.0, _INF),
    "momentum": (0.0, _INF),
    "betas": (0.0, 1.0),
}
"""The values a key may take, ``[low, high)`` (and finite); other keys: any finite number."""

_ANY = (-_INF, _INF)


def domain(key: str) -> tuple[float, float]:
    """The ``[low, high)`` of ``key``'s values."""
    return DOMAINS.get(key, _ANY)


def check(where: str, key: str, value: float) -> None:
    """Raise the validator's ScheduleError if ``value`` is outside ``key``'s domain."""
    low, high = domain(key)
    if high < _INF:
        below(where, value, low, high)
    elif low == 0.0:
        non_negative(where, value)
    else:
        finite(where, value)


@attrs.frozen
class Write:
    """One driven value: where it goes and how it is computed."""

    cell: Cell
    group: dict[str, Any]
    base: float
    slot: int
    tensor: torch.Tensor | None  # written in place with fill_, if the value is a tensor
    low: float
    high: float


class Refused(Exception):  # noqa: N818 (not an error of its own: the binding explains it)
    """A value outside its key's domain; the binding turns it into a ScheduleError."""

    def __init__(self, write: Write, value: float) -> None:
        super().__init__(write, value)
        self.write, self.value = write, value


@attrs.define
class Plan:
    """What a step writes, for one list of param groups."""

    groups: list[dict[str, Any]] | None
    size: int
    writes: list[Write] = attrs.Factory(list)
    lrs: list[int] = attrs.Factory(list)  # the index in writes of each group's lr, or -1
    # The common case, one schedule for the lr of every group, all floats: (group, base) pairs,
    # and the largest base (the guard of the whole step is then one comparison).
    simple: list[tuple[dict[str, Any], float]] | None = None
    top: float = 0.0
    initials: list[tuple[dict[str, Any], str, Any]] = attrs.Factory(list)  # written once
    bases: dict[Cell, float] = attrs.Factory(dict)
    fast: Callable[[float], list[float]] | None = None  # step() of the simple case

    def simplify(self, fns: list[Callable[[float], float]]) -> None:
        """Set up `fast` if this is the simple case, else clear it.

        The simple case is one float lr schedule (``fns[0]``) for every group:
        ``fast(t)`` evaluates and writes the step at time ``t``.
        """
        simple = self.simple
        if simple is None:
            self.fast = None
            return
        top, fn, initials = self.top, fns[0], self.initials

        def write_simple(t: float) -> list[float]:
            value = fn(t)
            # The whole step's guard is one comparison: every base is in [0, top].
            if not 0.0 <= value * top < _INF:
                self._guard([value])
            if initials:
                self._commit()
            lrs = []
            for group, base in simple:
                group["lr"] = lr = base * value if base else 0.0  # 0 wins over inf
                lrs.append(lr)
            return lrs

        self.fast = write_simple

    def current(self, groups: list[dict[str, Any]]) -> bool:
        """Whether the plan is for ``groups`` (the same list, not grown)."""
        return groups is self.groups and len(groups) == self.size

    def write(self, values: list[float]) -> list[float]:
        """Write ``base * value`` for every cell; return the lr of each group.

        Every value is checked first: `Refused` is raised for the first one outside its
        domain, before anything is written. Then the pending ``initial_<key>`` are set.
        """
        new = self._guard(values)
        if self.initials:
            self._commit()
        for w, value in zip(self.writes, new, strict=True):
            if w.tensor is not None:
                w.tensor.fill_(value)
                continue
            key, _, element = w.cell
            if element is None:
                w.group[key] = value
            else:
                items = list(w.group[key])
                items[element] = value
                w.group[key] = tuple(items)
        return [
            _plain(group["lr"]) if i < 0 else new[i]
            for group, i in zip(self.groups or (), self.lrs, strict=True)
        ]

    def _guard(self, values: list[float]) -> list[float]:
        new = [scaled(w.base, values[w.slot]) for w in self.writes]
        for w, value in zip(self.writes, new, strict=True):
            if not (w.low <= value < w.high and value > -_INF):
                raise Refused(w, value)
        return new

    def _commit(self) -> None:
        for group, name, value in self.initials:
            group.setdefault(name, value)
        self.initials.clear()


STALE = Plan(None, -1)


def build(
    groups: list[dict[str, Any]],
    drives: tuple[Drive, ...],
    slots: Mapping[Schedule, int],
    known: Mapping[Cell, float],
) -> Plan:
    """The plan for ``groups``: bases from ``known``, else from ``initial_<key>`` or the value.

    Nothing is written: a group's missing ``initial_<key>`` is recorded in ``plan.initials``.
    """
    plan = Plan(groups, len(groups))
    lr_writes: dict[int, int] = {}
    for drive in drives:
        for index, group in enumerate(groups):
            entry = drive.entry(index)
            if entry is None:
                continue
            value = _value(group, drive, index)
            pairs = [(None, entry)] if isinstance(entry, Schedule) else list(enumerate(entry))
            for element, s in pairs:
                if s is None:
                    continue
                cell = (drive.key, index, element)
                base = _base(plan, drive, group, cell, known)
                current = value if element is None else value[element]
                tensor = current if isinstance(current, torch.Tensor) else None
                low, high = domain(drive.key)
                if drive.key == "lr":
                    lr_writes[index] = len(plan.writes)
                plan.writes.append(Write(cell, group, base, slots[s], tensor, low, high))
    plan.lrs = [lr_writes.get(g, -1) for g in range(len(groups))]
    one = len({w.slot for w in plan.writes}) == 1 and all(w.cell[0] == "lr" for w in plan.writes)
    if (
        one
        and len(lr_writes) == len(groups)
        and all(w.tensor is None and w.base >= 0.0 for w in plan.writes)
    ):
        plan.simple = [(w.group, w.base) for w in plan.writes]
        plan.top = max((w.base for w in plan.writes), default=0.0)
    return plan


def _base(
    plan: Plan, drive: Drive, group: dict[str, Any], cell: Cell, known: Mapping[Cell, float]
) -> float:
    if cell in known:
        base = known[cell]
    elif drive.absolute:
        base = 1.0
    else:
        key, index, element = cell
        name = f"initial_{key}"
        if name in group:
            initial = group[name]
        else:
            initial = _copied(group[key])
            if not any(g is group and n == name for g, n, _ in plan.initials):
                plan.initials.append((group, name, initial))
        where = f"param_groups[{index}][{name!r}]"
        if element is not None:
            if not isinstance(initial, tuple | list) or element >= len(initial):
                msg = f"{where} must be a tuple like {key} (got {initial!r})"
                raise ScheduleError(msg)
            initial, where = initial[element], f"{where}[{element}]"
        base = finite(where, _plain(initial))
    plan.bases[cell] = base
    return base


def _value(group: dict[str, Any], drive: Drive, index: int) -> Any:
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


def scaled(base: float, value: float) -> float:
    """``base * value``, where a base of 0 wins over an overflowed value (never a NaN)."""
    return base * value if base else 0.0


def _plain(value: Any) -> Any:
    """A group's value as Python floats (tensors read with .item())."""
    if isinstance(value, torch.Tensor):
        return float(value.item())
    if isinstance(value, tuple | list):
        return tuple(_plain(v) for v in value)
    return value


plain = _plain
