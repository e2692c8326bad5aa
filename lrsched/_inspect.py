"""Inspection: a schedule's tree with time ranges, its breakpoints, its exact min and max.

Generic code: every answer comes from the nodes' own facts (``_breakpoints``, ``_extrema``,
``_parts``; see `lrsched._core`), computed with the exact methods of
`lrsched._lattice`. Nothing here knows a kind, and nothing samples.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np

from lrsched._errors import ScheduleError
from lrsched._lattice import MAX_BREAKPOINTS, Lattice
from lrsched._spelling import deep, format_number
from lrsched._validate import positive

if TYPE_CHECKING:
    from lrsched._core import FloatArray, Schedule

__all__ = ["binned_extrema", "breakpoints", "describe", "extrema", "key_times"]

_INF = math.inf


def describe(s: Schedule) -> str:
    """The expression as an indented tree, one node per line with its time range.

    Each line shows the node with its children elided (``...``), the interval of absolute time
    during which it decides the value, and a remark where the node has one (the ramp of a
    warmup, the time at which a piece's own clock starts).
    """
    rows: list[tuple[int, str, str, str]] = []
    with deep(s.depth):
        _describe(s, 0, (0.0, _INF), 0.0, rows)
    labels = ["  " * depth + label for depth, label, _, _ in rows]
    label_width = max(map(len, labels))
    span_width = max(len(span) for _, _, span, _ in rows)
    lines = [
        f"{label.ljust(label_width)}  {span.ljust(span_width)}  {remark}".rstrip()
        for label, (_, _, span, remark) in zip(labels, rows, strict=True)
    ]
    return "\n".join(lines)


def breakpoints(s: Schedule, horizon: float) -> tuple[float, ...]:
    """The sorted times ``b`` with ``0 < b < horizon`` at which a piece of ``s``'s formula ends.

    These are where step and milestone drops happen, a ramp or a cosine reaches its end, a
    concat switches pieces, a cycle restarts and a warmup hands over. Kinks created by
    ``clamp`` (where the clamped schedule crosses a bound) are not listed.
    """
    horizon = positive("horizon", horizon)
    with deep(s.depth):
        points = np.asarray(s._breakpoints(horizon), dtype=np.float64).ravel()
    points = np.unique(points[(points > 0.0) & (points < horizon)])
    if points.size > MAX_BREAKPOINTS:
        msg = f"{points.size} breakpoints below {format_number(horizon)}: ask for a shorter one"
        raise ScheduleError(msg)
    return tuple(points.tolist())


def extrema(s: Schedule, horizon: float) -> tuple[float, float]:
    """``(min, max)`` of ``s(t)`` over the integer times ``0 <= t < horizon``, exactly.

    Each node answers for itself with an exact method (see `lrsched._lattice`); a node
    that would need more evaluations than those methods allow raises a ``ScheduleError``
    naming it, never an approximation.
    """
    horizon = positive("horizon", horizon)
    with deep(s.depth):
        return s._extrema(Lattice(0.0, 1.0, math.ceil(horizon)))


def binned_extrema(s: Schedule, edges: Sequence[int] | np.ndarray) -> tuple[FloatArray, FloatArray]:
    """Exact min and max of ``s`` over the integer times of each bin ``[edges[j], edges[j+1])``.

    ``edges`` are increasing integers from 0; used for terminal charts of long horizons.
    """
    bounds = np.asarray(edges, dtype=np.int64)
    lows, highs = [], []
    with deep(s.depth):
        for first, stop in zip(bounds[:-1].tolist(), bounds[1:].tolist(), strict=True):
            low, high = s._extrema(Lattice(float(first), 1.0, max(stop - first, 1)))
            lows.append(low)
            highs.append(high)
    return np.array(lows), np.array(highs)


def key_times(s: Schedule, horizon: float) -> np.ndarray:
    """The integer times in ``[0, horizon)`` on either side of every breakpoint, and the ends.

    Plotting ``s`` at these times (plus any others) draws every drop where it happens.
    """
    horizon = positive("horizon", horizon)
    last = math.ceil(horizon) - 1
    points = np.asarray(breakpoints(s, horizon))
    near = (np.floor(points)[:, None] + np.arange(-1.0, 2.0)[None, :]).ravel()
    times = np.concatenate([near, [0.0, float(last)]])
    return np.unique(times[(times >= 0) & (times <= last)]).astype(np.int64)


def _describe(
    s: Schedule,
    depth: int,
    span: tuple[float, float] | None,
    offset: float | None,
    rows: list[tuple[int, str, str, str]],
) -> None:
    shown = remark = ""
    if span is not None and offset is not None:
        end = "inf" if span[1] == _INF else format_number(span[1])
        shown = f"[{format_number(span[0])}, {end})"
        remark = s._remark(offset)
    rows.append((depth, _label(s), shown, remark))
    for part in s._parts():
        if span is None or offset is None or part.offset is None:
            _describe(part.child, depth + 1, None, None, rows)
            continue
        inner = (max(span[0], offset + part.start), min(span[1], offset + part.end))
        clock = offset + part.offset
        before = len(rows)
        _describe(part.child, depth + 1, inner, clock, rows)
        if clock != offset:
            d, label, shown_child, note = rows[before]
            extra = f"own clock from t = {format_number(clock)}"
            rows[before] = (d, label, shown_child, f"{note}; {extra}" if note else extra)


def _label(s: Schedule) -> str:
    """``repr(s)`` with each child's repr replaced by ``...``."""
    full = repr(s)
    parts: list[str] = []
    position = 0
    for part in s._parts():
        child_text = repr(part.child)
        found = full.find(child_text, position)
        if found < 0:
            return full
        parts += [full[position:found], "..."]
        position = found + len(child_text)
    return "".join([*parts, full[position:]])
