"""Inspection: a schedule's tree with time ranges, its breakpoints, its min and max.

Each question is answered by rules registered per node class with :func:`functools.singledispatch`,
exact for the nodes that have one and with a documented fallback for nodes that do not, so a
node added to the library later works at once and can register exact rules when it wants to:

- :func:`monotone_pieces` ``(s, horizon) -> [(start, direction), ...]``: a partition of
  ``[0, horizon)`` into intervals ``[start_i, start_(i+1))`` on each of which ``s`` is monotone
  (jumps allowed), ``direction`` being ``1`` (non-decreasing), ``-1`` (non-increasing), ``0``
  (constant) or ``None`` (not known to be monotone). Fallback: ``[(0.0, None)]``, one interval
  of unknown shape, which :func:`extrema` samples.
- :func:`child_windows` ``(s) -> [(start, end, offset), ...]``: for each child (in
  ``s._children()`` order), the interval of ``s``'s own time during which the child decides the
  value, and the time at which the child's clock reads 0. Fallback: ``()`` for a node without
  children, ``None`` (unknown) for one with children.
- :func:`own_breakpoints` ``(s, horizon) -> iterable``: the times in ``(0, horizon)`` where the
  node's own formula changes (not its children's, which come from :func:`child_windows`).
  Fallback: none.
- :func:`note` ``(s, offset) -> str``: an optional remark shown by :func:`describe`.

A new node registers exact rules next to its class, e.g.::

    @monotone_pieces.register
    def _(s: Polynomial, horizon: float) -> Pieces:
        return [(0.0, sign(s.end - s.start)), (s.duration, 0)]
"""

from __future__ import annotations

import functools
import math
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING

import numpy as np

from lrsched._combinators import Clamp, Concat, Product, Warmup
from lrsched._errors import ScheduleError
from lrsched._primitives import (
    Constant,
    Cosine,
    Exponential,
    Linear,
    Milestones,
    Multiplicative,
    Step,
)
from lrsched._validate import format_number, positive

if TYPE_CHECKING:
    from lrsched._core import FloatArray, Schedule

__all__ = [
    "DENSE_SAMPLES",
    "MAX_BREAKPOINTS",
    "MAX_PERIODS",
    "Pieces",
    "Window",
    "binned_extrema",
    "breakpoints",
    "child_windows",
    "describe",
    "extrema",
    "key_times",
    "monotone_pieces",
    "note",
    "own_breakpoints",
]

Pieces = list[tuple[float, int | None]]
Window = tuple[float, float, float]

DENSE_SAMPLES = 1 << 16
"""Most integer times evaluated in one interval of unknown shape (exact below, sampled above)."""

MAX_BREAKPOINTS = 1_000_000
"""Most breakpoints one node may list (``step(1, g)`` has one per time unit)."""

MAX_PERIODS = 10_000
"""Most monotone pieces listed for a periodic node; beyond that its shape counts as unknown."""

_INF = math.inf


def sign(x: float) -> int:
    """-1, 0 or 1."""
    return (x > 0) - (x < 0)


# ---------------------------------------------------------------------------------- public API


def describe(s: Schedule) -> str:
    """The expression as an indented tree, one node per line with its time range.

    Each line shows the node with its children elided (``...``), the interval of absolute time
    during which it decides the value, and a remark where the node has one (the ramp of a
    warmup, the time at which a piece's own clock starts).
    """
    rows: list[tuple[int, str, str, str]] = []
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
    concat switches pieces and a warmup hands over. Kinks created by ``clamp`` (where the
    clamped schedule crosses a bound) are not listed, nor are breakpoints inside a node that has
    no rule (see the module docstring).
    """
    horizon = positive("horizon", horizon)
    return tuple(sorted({float(b) for b in _breakpoints(s, horizon) if 0.0 < b < horizon}))


def extrema(s: Schedule, horizon: float) -> tuple[float, float]:
    """``(min, max)`` of ``s(t)`` over the integer times ``0 <= t < horizon``.

    Exact without evaluating every time: the horizon is cut into intervals on which ``s`` is
    monotone (:func:`monotone_pieces`), and only the integer times next to each cut are
    evaluated. An interval of unknown shape (a node without a rule) is evaluated at every
    integer time if it has at most :data:`DENSE_SAMPLES` of them, else at that many evenly
    spaced ones (an approximation).
    """
    horizon = positive("horizon", horizon)
    lows, highs = binned_extrema(s, np.array([0, _last_time(horizon) + 1]))
    return float(lows[0]), float(highs[0])


def binned_extrema(s: Schedule, edges: Sequence[int] | np.ndarray) -> tuple[FloatArray, FloatArray]:
    """Min and max of ``s`` over the integer times of each bin ``[edges[j], edges[j + 1])``.

    ``edges`` are increasing integers from 0; used for terminal charts of long horizons.
    """
    bounds = np.asarray(edges, dtype=np.int64)
    horizon = float(bounds[-1])
    pieces = _normalized(monotone_pieces(s, horizon), horizon)
    times = np.union1d(_candidates(pieces, horizon), np.concatenate([bounds[:-1], bounds[1:] - 1]))
    values = s(times.astype(np.float64))
    firsts = np.searchsorted(times, bounds[:-1])
    return np.minimum.reduceat(values, firsts), np.maximum.reduceat(values, firsts)


def key_times(s: Schedule, horizon: float) -> np.ndarray:
    """The integer times in ``[0, horizon)`` at which ``s`` may reach a local min or max.

    Plotting ``s`` at these times (plus any others) draws every drop and every peak.
    """
    horizon = positive("horizon", horizon)
    return _candidates(_normalized(monotone_pieces(s, horizon), horizon), horizon)


# ------------------------------------------------------------------------------------- rules


@functools.singledispatch
def monotone_pieces(s: Schedule, horizon: float) -> Pieces:  # noqa: ARG001 (a fallback)
    """Intervals of ``[0, horizon)`` on which ``s`` is monotone; fallback: one unknown interval."""
    return [(0.0, None)]


@functools.singledispatch
def child_windows(s: Schedule) -> Sequence[Window] | None:
    """Per child: ``(start, end, clock offset)`` in ``s``'s time; fallback: unknown (None)."""
    return None if s._children() else ()


@functools.singledispatch
def own_breakpoints(s: Schedule, horizon: float) -> Iterable[float]:  # noqa: ARG001 (a fallback)
    """Times in ``(0, horizon)`` where the node's own formula changes; fallback: none."""
    return ()


@functools.singledispatch
def note(s: Schedule, offset: float) -> str:  # noqa: ARG001 (a fallback)
    """A remark on the node for :func:`describe` (``offset``: where its clock starts)."""
    return ""


@monotone_pieces.register
def _constant(s: Constant, horizon: float) -> Pieces:  # noqa: ARG001 (one rule, one signature)
    return [(0.0, 0)]


@monotone_pieces.register(Step)
@monotone_pieces.register(Milestones)
@monotone_pieces.register(Exponential)
def _powers(s: Step | Milestones | Exponential, horizon: float) -> Pieces:  # noqa: ARG001
    return [(0.0, sign(s.gamma - 1.0))]


@monotone_pieces.register(Linear)
@monotone_pieces.register(Cosine)
def _ramps(s: Linear | Cosine, horizon: float) -> Pieces:
    direction = sign(s.end - s.start)
    if not getattr(s, "periodic", False):
        return [(0.0, direction), (s.duration, 0)]
    # A periodic cosine goes down and up again every `duration`.
    count = math.ceil(horizon / s.duration)
    if count > MAX_PERIODS:
        return [(0.0, None)]
    return [(k * s.duration, direction * (-1) ** k) for k in range(count)]


@monotone_pieces.register
def _warmup(s: Warmup, horizon: float) -> Pieces:
    ramp = sign(s.schedule._at(0.0) * (1.0 - s.start))
    inner = monotone_pieces(s.schedule, horizon - s.duration) if s.duration < horizon else []
    return [(0.0, ramp), *((s.duration + a, d) for a, d in inner)]


@monotone_pieces.register
def _concat(s: Concat, horizon: float) -> Pieces:
    out: Pieces = []
    for piece, (start, end, _) in zip(s.pieces, _concat_windows(s), strict=True):
        if start >= horizon:
            break
        out.extend((start + a, d) for a, d in monotone_pieces(piece, min(end, horizon) - start))
    return out


@monotone_pieces.register
def _clamp(s: Clamp, horizon: float) -> Pieces:
    return monotone_pieces(s.schedule, horizon)  # clamping keeps monotonicity


@monotone_pieces.register
def _product(s: Product, horizon: float) -> Pieces:
    # On an interval where every factor f is monotone with one sign, |f| is monotone, and a
    # product of non-negative functions that all rise (or all fall) rises (falls).
    each = [_normalized(monotone_pieces(f, horizon), horizon) for f in s.factors]
    cuts = sorted({start for pieces in each for start, _ in pieces})
    out: Pieces = []
    for i, cut in enumerate(cuts):
        end = cuts[i + 1] if i + 1 < len(cuts) else horizon
        out.append((cut, _product_direction(s, each, cut, end)))
    return out


def _product_direction(s: Product, each: list[Pieces], start: float, end: float) -> int | None:
    last = math.nextafter(end, start)  # the values over [start, end) lie between f(start), f(last)
    rising: set[int] = set()
    overall = sign(s.scale)
    for factor, pieces in zip(s.factors, each, strict=True):
        direction = _direction_at(pieces, start)
        if direction is None:
            return None
        a, b = factor._at(start), factor._at(max(start, last))
        if min(a, b) >= 0.0:
            factor_sign = 1
        elif max(a, b) <= 0.0:
            factor_sign = -1
        else:
            return None
        overall *= factor_sign
        if direction:
            rising.add(direction * factor_sign)
    if len(rising) > 1:
        return None
    return (rising.pop() if rising else 0) * overall


@child_windows.register
def _warmup_windows(s: Warmup) -> Sequence[Window]:
    return [(s.duration, _INF, s.duration)]


@child_windows.register
def _concat_windows(s: Concat) -> Sequence[Window]:
    starts = (0.0, *s.boundaries)
    ends = (*s.boundaries, _INF)
    return [(a, b, a) for a, b in zip(starts, ends, strict=True)]


@child_windows.register(Clamp)
@child_windows.register(Product)
def _pointwise_windows(s: Clamp | Product) -> Sequence[Window]:
    return [(0.0, _INF, 0.0)] * len(s._children())


@own_breakpoints.register
def _step_breakpoints(s: Step, horizon: float) -> Iterable[float]:
    return _multiples(s, s.size, horizon)


def _multiples(s: Schedule, size: float, horizon: float) -> list[float]:
    """``size, 2 * size, ...`` up to about ``horizon``; raises if there are too many."""
    count = math.ceil(horizon / size)
    if count > MAX_BREAKPOINTS:
        msg = (
            f"{s!r} has about {count} breakpoints below {format_number(horizon)}, more than "
            f"{MAX_BREAKPOINTS} are not listed: ask for a shorter horizon"
        )
        raise ScheduleError(msg)
    points: list[float] = (np.arange(1, count + 1) * size).tolist()
    return points


@own_breakpoints.register
def _milestone_breakpoints(s: Milestones, horizon: float) -> Iterable[float]:  # noqa: ARG001
    return s.points


@own_breakpoints.register(Linear)
@own_breakpoints.register(Cosine)
def _ramp_breakpoints(s: Linear | Cosine, horizon: float) -> Iterable[float]:
    if not getattr(s, "periodic", False):
        return (s.duration,)
    return _multiples(s, s.duration, horizon)  # where a periodic cosine turns


@own_breakpoints.register
def _multiplicative_breakpoints(s: Multiplicative, horizon: float) -> Iterable[float]:
    # Piecewise constant on [k, k + 1): a breakpoint wherever the running product changes.
    values = s(np.arange(_last_time(horizon) + 1, dtype=np.float64))
    points: list[float] = (np.flatnonzero(np.diff(values)) + 1.0).tolist()
    return points


@note.register
def _warmup_note(s: Warmup, offset: float) -> str:
    ramp = f"[{format_number(offset)}, {format_number(offset + s.duration)})"
    return f"linear ramp on {ramp}"


# ----------------------------------------------------------------------------------- helpers


def _last_time(horizon: float) -> int:
    """The largest integer time below ``horizon`` (which is > 0)."""
    return math.ceil(horizon) - 1


def _direction_at(pieces: Pieces, t: float) -> int | None:
    index = 0
    for i, (start, _) in enumerate(pieces):
        if start <= t:
            index = i
        else:
            break
    return pieces[index][1]


def _normalized(pieces: Pieces, horizon: float) -> Pieces:
    """Pieces sorted, inside ``[0, horizon)``, starting at 0, with no empty interval."""
    out: Pieces = []
    for start, direction in sorted(pieces, key=lambda p: p[0]):
        if start >= horizon:
            break
        if out and start <= out[-1][0]:
            out[-1] = (out[-1][0], direction)  # an empty interval (rounding): keep the later
        else:
            out.append((max(start, 0.0), direction))
    if not out or out[0][0] > 0.0:
        out.insert(0, (0.0, None))
    return out


def _candidates(pieces: Pieces, horizon: float) -> np.ndarray:
    """Integer times in ``[0, horizon)`` at which the extremes over each piece are found.

    For a monotone piece those are its first and last integer times; taking every integer
    within 1 of each cut also covers cuts computed with a rounding error.
    """
    last = _last_time(horizon)
    starts = np.array([start for start, _ in pieces] + [horizon])
    near = np.floor(starts)[:, None] + np.arange(-1.0, 3.0)[None, :]
    chunks = [near.ravel(), np.array([0.0, float(last)])]
    ends = [start for start, _ in pieces[1:]] + [horizon]
    for (start, direction), end in zip(pieces, ends, strict=True):
        if direction is None:
            first, stop = math.ceil(start), min(math.ceil(end) - 1, last)
            if stop - first + 1 <= DENSE_SAMPLES:
                chunks.append(np.arange(first, stop + 1, dtype=np.float64))
            else:
                chunks.append(np.round(np.linspace(first, stop, DENSE_SAMPLES)))
    times = np.concatenate(chunks)
    return np.unique(times[(times >= 0) & (times <= last)]).astype(np.int64)


def _breakpoints(s: Schedule, horizon: float) -> list[float]:
    out = [float(b) for b in own_breakpoints(s, horizon)]
    windows = child_windows(s)
    if windows is None:
        return out
    for child, (start, end, offset) in zip(s._children(), windows, strict=True):
        if start >= horizon:
            continue
        stop = min(end, horizon)
        out.extend(b for b in (start, end) if 0.0 < b < horizon)
        out.extend(
            offset + b for b in _breakpoints(child, stop - offset) if start < offset + b < stop
        )
    return out


def _describe(
    s: Schedule,
    depth: int,
    span: tuple[float, float] | None,
    offset: float,
    rows: list[tuple[int, str, str, str]],
) -> None:
    shown = ""
    if span is not None:
        shown = f"[{format_number(span[0])}, {format_number(span[1])})"
    rows.append((depth, _label(s), shown, note(s, offset) if span is not None else ""))
    children = s._children()
    windows = child_windows(s) if span is not None else None
    for i, child in enumerate(children):
        if windows is None or span is None:
            _describe(child, depth + 1, None, offset, rows)
            continue
        start, end, child_offset = windows[i]
        inner = (max(span[0], offset + start), min(span[1], offset + end))
        clock = offset + child_offset
        before = len(rows)
        _describe(child, depth + 1, inner, clock, rows)
        if clock != offset:
            d, label, shown_child, remark = rows[before]
            extra = f"own clock from t = {format_number(clock)}"
            rows[before] = (d, label, shown_child, f"{remark}; {extra}" if remark else extra)


def _label(s: Schedule) -> str:
    """``repr(s)`` with each child's repr replaced by ``...``."""
    text = repr(s)
    parts: list[str] = []
    position = 0
    for child in s._children():
        child_text = repr(child)
        found = text.find(child_text, position)
        if found < 0:
            return text
        parts += [text[position:found], "..."]
        position = found + len(child_text)
    return "".join([*parts, text[position:]])
