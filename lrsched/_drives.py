"""What a binding drives: its arguments checked against the param groups, as plain values.

`drives` turns the arguments of `lrsched.bind` (an lr schedule and keywords, each
one entry for every group, a list per group or a mapping group index -> entry) into one
`Drive` per param-group key. An entry is a Schedule, its text form (``"cosine(10)"``)
or its dict form (``ls.to_dict(s)``), or for a tuple key (``betas``) a tuple with one of those
or None per element. Torch-free: the param groups are only read as dicts.
"""

from __future__ import annotations

import numbers
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, TypeAlias

import attrs

from lrsched._core import Schedule
from lrsched._errors import ScheduleError
from lrsched._parse import parse
from lrsched._serialize import from_dict

__all__ = ["Drive", "ScheduleSpec", "absolute_keys", "drives", "normal_absolute", "steps_per_epoch"]

ScheduleSpec: TypeAlias = (
    "Schedule | str | tuple[Schedule | None, ...] | Sequence[Any] | Mapping[Any, Any] | None"
)
"""What a keyword of `lrsched.bind` takes: one schedule for every group (a tuple of
schedules or None for a tuple-valued key such as ``betas``), a list with one entry per group, or
a mapping group index -> entry (groups left out are not driven). A schedule may be given by its
text form or its dict form."""

Entry: TypeAlias = "Schedule | tuple[Schedule | None, ...]"


@attrs.frozen
class Drive:
    """How one param-group key is driven."""

    key: str
    absolute: bool
    size: int | None  # None: a number; n: a tuple of n numbers (each element driven or not)
    every: Entry | None  # one entry for every group, present and future
    groups: Mapping[int, Entry]  # or one per listed group

    def entry(self, index: int) -> Entry | None:
        return self.every if self.every is not None else self.groups.get(index)

    def column(self, n: int) -> list[Entry | None]:
        """The entry of each of ``n`` groups."""
        return [self.entry(g) for g in range(n)]

    def schedules(self) -> list[tuple[str, Schedule]]:
        """Every schedule of the drive, with a description of where it is bound."""
        entries = [(None, self.every)] if self.every is not None else list(self.groups.items())
        out = []
        for index, entry in entries:
            where = label(self.key) if index is None else f"{label(self.key)}[{index}]"
            if isinstance(entry, Schedule):
                out.append((where, entry))
            elif entry is not None:
                out.extend((f"{where}[{e}]", s) for e, s in enumerate(entry) if s is not None)
        return out


def drives(
    schedule: ScheduleSpec,
    keys: dict[str, ScheduleSpec],
    absolute: object,
    groups: list[dict[str, Any]],
) -> tuple[tuple[Drive, ...], bool | tuple[str, ...]]:
    """The drives of a binding (lr first) and its normalised ``absolute``."""
    specs = _specs(schedule, dict(keys))
    names = absolute_keys(absolute, specs)
    made = tuple(_drive(key, spec, key in names, groups) for key, spec in specs.items())
    return made, normal_absolute(names, specs)


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


def absolute_keys(absolute: object, specs: Mapping[str, object]) -> frozenset[str]:
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


def normal_absolute(names: frozenset[str], specs: Mapping[str, object]) -> bool | tuple[str, ...]:
    if names == specs.keys():
        return True
    if not names:
        return False
    return tuple(sorted(names))


def steps_per_epoch(value: object) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        msg = f"steps_per_epoch must be an int >= 1 or None (got {type(value).__name__}: {value!r})"
        raise TypeError(msg)
    if value < 1:
        msg = f"steps_per_epoch must be >= 1 (got {value})"
        raise ScheduleError(msg)
    return int(value)


def label(key: str) -> str:
    return "schedules" if key == "lr" else key


def _drive(key: str, spec: object, absolute: bool, groups: list[dict[str, Any]]) -> Drive:
    """Check one keyword's argument against the param groups."""
    spec = _schedule_form(spec)
    n = len(groups)
    name = label(key)
    probe = next((g for g in groups if key in g), None)
    if probe is None:
        known = ", ".join(repr(k) for k in groups[0] if k != "params") if groups else ""
        msg = f"the param groups have no {key!r} to drive (their keys: {known})"
        raise ScheduleError(msg)
    size = len(probe[key]) if isinstance(probe[key], tuple | list) else None
    if isinstance(spec, Mapping):
        entries: dict[int, Entry] = {}
        for index, entry in spec.items():
            if isinstance(index, bool) or not isinstance(index, int) or not 0 <= index < n:
                msg = (
                    f"{name} maps param group {index!r}, but the optimizer has {n} param "
                    f"groups (indices 0 to {n - 1})"
                )
                raise ScheduleError(msg)
            checked = _entry(f"{name}[{index}]", entry, size)
            if checked is not None:
                entries[index] = checked
        return Drive(key, absolute, size, None, entries)
    one = _entry(name, spec, size) if _is_one(spec, size) or isinstance(spec, Schedule) else None
    if one is not None:
        return Drive(key, absolute, size, one, {})
    if not isinstance(spec, Sequence):
        what = "a tuple of schedules or None" if size is not None else "a Schedule"
        msg = (
            f"{name} must be {what}, a sequence of them (one per param group) or a mapping "
            f"group index -> entry (got {type(spec).__name__})"
        )
        raise TypeError(msg)
    listed = [_entry(f"{name}[{i}]", entry, size) for i, entry in enumerate(spec)]
    if len(listed) != n:
        msg = (
            f"{name} must have one entry per param group: the optimizer has {n} (got {len(listed)})"
        )
        raise ScheduleError(msg)
    return Drive(key, absolute, size, None, {i: e for i, e in enumerate(listed) if e is not None})


def _is_one(spec: object, size: int | None) -> bool:
    """Whether ``spec`` is one entry for every group (not a list of per-group entries)."""
    if size is None:
        return isinstance(spec, Schedule)
    return isinstance(spec, tuple) and not any(isinstance(x, tuple | list) for x in spec)


def _schedule_form(value: object) -> object:
    """A schedule given by its text form or dict form, as a Schedule; anything else as it is."""
    if isinstance(value, str):
        return parse(value)
    if isinstance(value, Mapping) and "format" in value:
        return from_dict(value)
    return value


def _entry(  # noqa: C901 (one check per way an entry can be wrong)
    where: str, entry: object, size: int | None
) -> Entry | None:
    entry = _schedule_form(entry)
    if isinstance(entry, tuple) and size is not None:
        entry = tuple(_schedule_form(s) for s in entry)
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
