"""The binding's checkpoint format: plain data in, plain data out, checked before use. Torch-free.

A state is a dict of ints, floats, strings, None, lists and dicts (it loads with
``torch.load(weights_only=True)``). Per driven key, a *column* has one entry per param group
(a list per element for a tuple key such as ``betas``): the base, the schedule's expression
(``repr``, shown in messages), its fingerprint (`lrsched._fingerprint`: equal meaning, equal
fingerprint) and the value written at the saved time. Opaque schedules also keep their values at
a few probe times. `encode` writes a state from a `Layout` (what is bound, per
group) and `decode` checks one against a layout, raising
`lrsched.ScheduleError` only, whatever the input, and returns a `Saved`.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable, Mapping
from typing import Any, TypeAlias

import attrs

from lrsched._core import Schedule
from lrsched._errors import ScheduleError
from lrsched._fingerprint import PROBE_TIMES, fingerprint, probe

__all__ = [
    "CHANGE_POLICIES",
    "STATE_FORMAT",
    "STATE_VERSION",
    "Cell",
    "Layout",
    "Saved",
    "decode",
    "encode",
]

STATE_FORMAT = "lrsched.BoundSchedule"
STATE_VERSION = 3
"""Version 3 adds fingerprints, the written values, probes of opaque schedules and the clock.
Version 2 (keys, steps_per_epoch, metrics) and version 1 (lr only) states still load."""

CHANGE_POLICIES = ("refuse", "jump", "rescale")
"""What loading a checkpoint of another schedule or ``steps_per_epoch`` does: refuse it; continue
at the saved time with the bound schedules (the value may jump); or continue there with each
changed schedule multiplied by the constant that keeps its value continuous."""

_LARGEST = 2**53  # a step count beyond this is not a whole float: not a real checkpoint

Cell: TypeAlias = tuple[str, int, int | None]
"""A driven value: (key, group index, element index or None for a number key)."""


@attrs.frozen
class Layout:
    """What a binding drives, as the checkpoint sees it.

    ``entries[key][g]`` is the schedule of key ``key`` in group ``g``: None (not driven), a
    Schedule, or a tuple with a Schedule or None per element (tuple keys).
    """

    entries: Mapping[str, list[Any]]
    steps_per_epoch: int | None
    absolute: bool | tuple[str, ...]
    clock: str
    has_plateau: bool
    clock_problem: str | None


@attrs.frozen
class Saved:
    """A checked state, in the binding's terms."""

    steps: int
    bases: dict[Cell, float]
    values: dict[Cell, float]  # the written value of each saved cell (empty for old versions)
    changed: dict[Cell, str]  # cells whose saved schedule differs: cell -> saved expression
    metric_steps: list[int]
    metrics: list[float]


def cells_of(entries: Mapping[str, list[Any]]) -> list[tuple[Cell, Schedule]]:
    """Every driven value of a layout with its schedule, in column order."""
    out: list[tuple[Cell, Schedule]] = []
    for key, column in entries.items():
        for g, entry in enumerate(column):
            if isinstance(entry, Schedule):
                out.append(((key, g, None), entry))
            elif entry is not None:
                out.extend(((key, g, e), s) for e, s in enumerate(entry) if s is not None)
    return out


def encode(
    layout: Layout,
    steps: int,
    bases: Mapping[Cell, float],
    values: Mapping[Cell, float],
    history: tuple[list[int], list[float]],
) -> dict[str, Any]:
    """The state of a binding at ``steps``.

    ``values`` are those written there, ``history`` the recorded metrics' steps and values.
    """
    metric_steps, metrics = history
    columns = {key: _column(key, column, bases, values) for key, column in layout.entries.items()}
    n = len(next(iter(layout.entries.values()))) if layout.entries else 0
    lr = columns.pop("lr", None)
    t = steps / (layout.steps_per_epoch or 1)
    opaque = [s for _, s in cells_of(layout.entries) if s.opaque]
    times = [*PROBE_TIMES, t, (steps + 1) / (layout.steps_per_epoch or 1)] if opaque else []
    probes = {fingerprint(s): probe(s, tuple(times)) for s in opaque}
    empty = [None] * n
    return {
        "format": STATE_FORMAT,
        "version": STATE_VERSION,
        "last_epoch": steps,
        "steps_per_epoch": layout.steps_per_epoch,
        "clock": layout.clock,
        "absolute": _absolute(layout.absolute),
        "base_lrs": empty if lr is None else lr["bases"],
        "schedules": empty if lr is None else lr["schedules"],
        "fingerprints": empty if lr is None else lr["fingerprints"],
        "lrs": empty if lr is None else lr["values"],
        "hyperparameters": columns,
        "metrics": list(metrics),
        "metric_steps": list(metric_steps),
        "probe_times": times,
        "probes": probes,
    }


def _absolute(absolute: bool | tuple[str, ...]) -> bool | list[str]:
    return list(absolute) if isinstance(absolute, tuple) else absolute


def _column(
    key: str, column: list[Any], bases: Mapping[Cell, float], values: Mapping[Cell, float]
) -> dict[str, list[Any]]:
    def per_cell(g: int, entry: Any, read: Callable[[Cell, Schedule], Any]) -> Any:
        if entry is None:
            return None
        if isinstance(entry, Schedule):
            return read((key, g, None), entry)
        return [None if s is None else read((key, g, e), s) for e, s in enumerate(entry)]

    def table(read: Callable[[Cell, Schedule], Any]) -> list[Any]:
        return [per_cell(g, entry, read) for g, entry in enumerate(column)]

    return {
        "bases": table(lambda cell, _: bases[cell]),
        "schedules": table(lambda _, s: repr(s)),
        "fingerprints": table(lambda _, s: fingerprint(s)),
        "values": table(lambda cell, _: values[cell]),
    }


# -- decoding ----------------------------------------------------------------------------------

_KEYS = {
    1: ("format", "version", "last_epoch", "absolute", "base_lrs", "schedules"),
    2: (
        "format",
        "version",
        "last_epoch",
        "absolute",
        "base_lrs",
        "schedules",
        "steps_per_epoch",
        "hyperparameters",
        "metrics",
        "metric_steps",
    ),
}
_KEYS[3] = (*_KEYS[2], "clock", "fingerprints", "lrs", "probe_times", "probes")


def decode(state: object, layout: Layout, policy: str) -> Saved:
    """Check ``state`` against ``layout`` under a change ``policy``; return what to load.

    Raises `lrsched.ScheduleError` (and nothing else) if the state is malformed or,
    under ``"refuse"``, if it was made with another schedule, keys or ``steps_per_epoch``.
    """
    state = _upgraded(state)
    steps = state["last_epoch"]
    if type(steps) is not int or not 0 <= steps <= _LARGEST:
        msg = f"state_dict['last_epoch'] must be an int in [0, 2**53] (got {_short(steps)})"
        raise ScheduleError(msg)
    saved_per_epoch = _per_epoch(state["steps_per_epoch"])
    if saved_per_epoch != layout.steps_per_epoch and policy == "refuse":
        msg = (
            f"state_dict was saved with steps_per_epoch={saved_per_epoch!r} but this binding "
            f"has steps_per_epoch={layout.steps_per_epoch!r}; pass "
            "on_schedule_change='jump' or 'rescale' (to bind or to load_state_dict) to "
            "continue at the saved epoch"
        )
        raise ScheduleError(msg)
    _check_mode(state, layout)
    columns = _columns(state, layout, policy)
    n = len(next(iter(layout.entries.values())))
    bases: dict[Cell, float] = {}
    values: dict[Cell, float] = {}
    changed: dict[Cell, str] = {}
    for key in sorted({"lr", *layout.entries}):
        bound = layout.entries.get(key, [None] * n)
        column = columns.get(key)
        if column is None:  # a key driven now but not then (policy allows it)
            changed.update({cell: "None (not driven)" for cell, _ in cells_of({key: bound})})
            continue
        _read_column(column, key, bound, n, (bases, values, changed))
    _check_probes(state, layout, changed)
    metric_steps, metrics = _checked_metrics(state["metric_steps"], state["metrics"])
    if metrics and not layout.has_plateau:
        msg = (
            "state_dict has recorded metrics but no bound schedule contains a plateau(...) "
            "to receive them"
        )
        raise ScheduleError(msg)
    if metrics and layout.clock_problem is not None:
        raise ScheduleError(layout.clock_problem)
    if saved_per_epoch != layout.steps_per_epoch:
        old, new = saved_per_epoch or 1, layout.steps_per_epoch or 1
        steps = _converted(steps, old, new)
        metric_steps = [_converted(m, old, new) for m in metric_steps]
        if any(b <= a for a, b in itertools.pairwise(metric_steps)):
            msg = (
                f"the recorded metrics do not fall on distinct steps with steps_per_epoch={new} "
                f"(saved with {old})"
            )
            raise ScheduleError(msg)
    if changed and policy == "refuse":
        cell, old_expr = next(iter(changed.items()))
        raise ScheduleError(_mismatch(cell, old_expr, _bound_expr(layout, cell)))
    return Saved(steps, bases, values, changed, metric_steps, metrics)


def _converted(steps: int, old: int, new: int) -> int:
    """``steps`` of ``old`` per epoch as steps of ``new`` per epoch: the nearest step."""
    return (steps * new + old // 2) // old


def _short(value: object) -> str:
    text = repr(value)
    return text if len(text) <= 60 else f"{text[:57]}..."


def _upgraded(state: object) -> dict[str, Any]:
    """The state with every entry of the current version (older versions gain defaults)."""
    if not isinstance(state, dict):
        msg = f"state_dict must be a dict (got {type(state).__name__})"
        raise ScheduleError(msg)
    version = state.get("version")
    version = version if type(version) is int else None
    missing = [key for key in _KEYS.get(version or 0, _KEYS[STATE_VERSION]) if key not in state]
    if missing:
        msg = f"state_dict is missing {', '.join(map(repr, missing))}: not a BoundSchedule state"
        raise ScheduleError(msg)
    format_ = state["format"]
    if type(format_) is not str or format_ != STATE_FORMAT or version not in _KEYS:
        msg = (
            f"state_dict has format {_short(format_)} version {_short(state['version'])}; "
            f"this lrsched reads {STATE_FORMAT!r} versions 1 to {STATE_VERSION}"
        )
        raise ScheduleError(msg)
    defaults: dict[str, Any] = {
        "steps_per_epoch": None,
        "hyperparameters": {},
        "metrics": [],
        "metric_steps": [],
        "clock": None,
        "fingerprints": None,
        "lrs": None,
        "probe_times": [],
        "probes": {},
    }
    # Entries that the state's version does not have take their defaults, whatever it holds.
    known = _KEYS[version]
    return {**state, **{k: v for k, v in defaults.items() if k not in known}}


def _per_epoch(value: object) -> int | None:
    if value is None or (type(value) is int and value >= 1):
        return value
    msg = f"state_dict['steps_per_epoch'] must be an int >= 1 or None (got {_short(value)})"
    raise ScheduleError(msg)


def _check_mode(state: dict[str, Any], layout: Layout) -> None:
    saved = state["absolute"]
    mine = _absolute(layout.absolute)
    if type(saved) is not type(mine) or saved != mine:
        msg = (
            f"state_dict was saved with absolute={_short(saved)} but this binding has "
            f"absolute={mine!r}"
        )
        raise ScheduleError(msg)
    clock = state["clock"]
    if clock is not None and (type(clock) is not str or clock not in {"step", "optimizer"}):
        msg = f"state_dict['clock'] must be 'step' or 'optimizer' (got {_short(clock)})"
        raise ScheduleError(msg)


@attrs.frozen
class _Column:
    """The saved entries of one key, one per param group; ``where`` names it in messages."""

    bases: object
    schedules: object
    fingerprints: object  # None in states before version 3
    values: object  # None in states before version 3
    where: str


def _columns(state: dict[str, Any], layout: Layout, policy: str) -> dict[str, _Column]:
    others = state["hyperparameters"]
    if not isinstance(others, dict) or not all(type(k) is str for k in others):
        msg = "state_dict['hyperparameters'] must be a dict from param-group keys to dicts"
        raise ScheduleError(msg)
    columns = {
        "lr": _Column(
            state["base_lrs"], state["schedules"], state["fingerprints"], state["lrs"], "state_dict"
        )
    }
    wanted = ("bases", "schedules", "fingerprints", "values")
    for key, column in others.items():
        where = f"state_dict['hyperparameters'][{key!r}]"
        if not isinstance(column, dict) or {"bases", "schedules"} - column.keys():
            msg = f"{where} must have 'bases' and 'schedules'"
            raise ScheduleError(msg)
        bases, schedules, prints, values = (column.get(name) for name in wanted)
        columns[key] = _Column(bases, schedules, prints, values, where)
    saved_keys, bound_keys = set(columns), {"lr", *layout.entries}
    if saved_keys != bound_keys and policy == "refuse":
        msg = (
            f"state_dict drives other keys: saved {sorted(saved_keys)}, bound "
            f"{sorted(bound_keys)}; pass on_schedule_change='jump' to continue with this "
            "binding's keys"
        )
        raise ScheduleError(msg)
    return {key: c for key, c in columns.items() if key in bound_keys}


def _read_column(  # noqa: C901 (one check per saved table and element)
    column: _Column,
    key: str,
    bound: list[Any],
    n: int,
    out: tuple[dict[Cell, float], dict[Cell, float], dict[Cell, str]],
) -> None:
    """Check one saved column against the bound entries; fill bases, values and changes."""
    bases, values, changed = out
    names = ("['base_lrs']", "['schedules']", "['fingerprints']", "['lrs']")
    if column.where != "state_dict":
        names = ("['bases']", "['schedules']", "['fingerprints']", "['values']")
    tables = (column.bases, column.schedules, column.fingerprints, column.values)
    kinds = ("numbers", "strings", "strings", "numbers")
    for table, name, kind in zip(tables, names, kinds, strict=True):
        if table is None and name not in {"['base_lrs']", "['schedules']", "['bases']"}:
            continue
        if not isinstance(table, list) or len(table) != n:
            msg = (
                f"{column.where}{name} must be a list of {n} {kind} (or None), one per param group"
            )
            raise ScheduleError(msg)
    for g in range(n):
        entry = bound[g]
        size = len(entry) if isinstance(entry, tuple) else None
        rows = [None if t is None else t[g] for t in tables]  # type: ignore[index]  # checked
        for row, name in zip(rows, names, strict=True):
            if size is not None and row is not None and (type(row) is not list or len(row) != size):
                msg = f"{column.where}{name}[{g}] must be None or a list of {size} entries"
                raise ScheduleError(msg)
        elements = [None] if size is None else list(range(size))
        for e in elements:
            at = f"[{g}]" if e is None else f"[{g}][{e}]"
            base, expr, print_, value = (
                row if row is None or e is None else row[e] for row in rows
            )
            where = [column.where + name + at for name in names]
            _check_cell(base, expr, print_, value, where)
            schedule = entry if e is None else (None if entry is None else entry[e])
            cell = (key, g, e)
            if expr is None and schedule is None:
                continue
            if expr is not None and schedule is not None:
                bases[cell] = float(base)  # type: ignore[arg-type]  # checked: finite number
                if value is not None:
                    values[cell] = float(value)
            same = schedule is not None and (
                (print_ == fingerprint(schedule))
                if print_ is not None
                else (expr == repr(schedule))
            )
            if not same:
                changed[cell] = "None (not driven)" if expr is None else str(expr)


def _check_cell(
    base: object, expr: object, print_: object, value: object, where: list[str]
) -> None:
    for number, name in ((base, where[0]), (value, where[3])):
        if number is not None and not _finite(number):
            msg = f"{name} must be a finite number (got {_short(number)})"
            raise ScheduleError(msg)
    for text, name in ((expr, where[1]), (print_, where[2])):
        if text is not None and type(text) is not str:
            msg = f"{name} must be a string (got {_short(text)})"
            raise ScheduleError(msg)
    if expr is not None and base is None:
        msg = f"{where[0]} must be a finite number (got None)"
        raise ScheduleError(msg)


def _finite(value: object) -> bool:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return False
    try:
        return math.isfinite(value)
    except OverflowError:  # an int beyond the float range
        return False


def _check_probes(state: dict[str, Any], layout: Layout, changed: dict[Cell, str]) -> None:
    """Opaque schedules that print and fingerprint alike must also agree at the probe times."""
    times, probes = state["probe_times"], state["probes"]
    if not isinstance(times, list) or not all(_finite(t) and t >= 0 for t in times):
        msg = "state_dict['probe_times'] must be a list of finite numbers >= 0"
        raise ScheduleError(msg)
    if not isinstance(probes, dict):
        msg = "state_dict['probes'] must be a dict from fingerprints to lists of values"
        raise ScheduleError(msg)
    for cell, s in cells_of(layout.entries):
        if not s.opaque or cell in changed:
            continue
        saved = probes.get(fingerprint(s))
        if saved is None:
            continue
        if not isinstance(saved, list) or len(saved) != len(times):
            msg = f"state_dict['probes'] must have one value per probe time (got {_short(saved)})"
            raise ScheduleError(msg)
        mine = probe(s, tuple(float(t) for t in times))
        if any(not _same(a, b) for a, b in zip(saved, mine, strict=True)):
            changed[cell] = repr(s)  # the values differ at some probe time


def _same(a: object, b: float | None) -> bool:
    return a == b or (isinstance(a, float) and b is not None and math.isnan(a) and math.isnan(b))


def _checked_metrics(steps: object, metrics: object) -> tuple[list[int], list[float]]:
    if not isinstance(steps, list) or not isinstance(metrics, list) or len(steps) != len(metrics):
        msg = "state_dict['metric_steps'] and state_dict['metrics'] must be lists of equal length"
        raise ScheduleError(msg)
    for i, n in enumerate(steps):
        if type(n) is not int or not 0 <= n <= _LARGEST or (i and n <= steps[i - 1]):
            msg = (
                f"state_dict['metric_steps'][{i}] must be an int in [0, 2**53], greater than "
                f"the one before (got {_short(n)})"
            )
            raise ScheduleError(msg)
    out = []
    for i, m in enumerate(metrics):
        if isinstance(m, bool) or not isinstance(m, int | float):
            msg = f"state_dict['metrics'][{i}] must be a number (got {_short(m)})"
            raise ScheduleError(msg)
        try:
            out.append(float(m))
        except OverflowError:  # an int beyond the float range
            out.append(math.inf if m > 0 else -math.inf)
    return list(steps), out


def _bound_expr(layout: Layout, cell: Cell) -> str:
    key, g, e = cell
    entry = layout.entries.get(key, [None] * (g + 1))[g]
    s = entry if e is None else (None if entry is None else entry[e])
    return "None (not driven)" if s is None else repr(s)


def _mismatch(cell: Cell, saved: str, bound: str) -> str:
    key, g, e = cell
    what = f"param group {g}" if key == "lr" else f"{key!r} of param group {g}"
    if e is not None:
        what += f" (element {e})"
    same_text = " (they print alike but differ in meaning)" if saved == bound else ""
    return (
        f"the checkpoint was made with another schedule for {what}{same_text}:\n"
        f"  saved: {saved}\n  bound: {bound}\n"
        "pass on_schedule_change='jump' (continue at the saved time with the bound schedule) or "
        "'rescale' (and keep the value continuous there), to bind or to load_state_dict"
    )
