"""Shapes from the literature: inverse_sqrt, warmup_stable_decay and piecewise_linear.

``inverse_sqrt`` is the transformer decay, ``warmup_stable_decay`` the WSD ("trapezoidal")
schedule of recent language models, ``piecewise_linear`` any polyline through given points.
"""

from __future__ import annotations

import bisect
import math
from collections.abc import Iterable, Mapping
from typing import final

import attrs
import numpy as np

from lrsched._combinators import concat
from lrsched._combinators import warmup as warmup_
from lrsched._core import FloatArray, Schedule, constructor
from lrsched._errors import ScheduleError
from lrsched._primitives import Constant, constant, cosine, linear
from lrsched._validate import finite, format_number, non_negative, positive

__all__ = ["inverse_sqrt", "piecewise_linear", "warmup_stable_decay"]


@final
@attrs.frozen(repr=False)
class InverseSqrt(Schedule):
    """``sqrt(timescale / (timescale + t))``."""

    timescale: float

    def _at(self, t: float) -> float:
        return math.sqrt(self.timescale / (self.timescale + t))

    def _over(self, t: FloatArray) -> FloatArray:
        return np.sqrt(self.timescale / (self.timescale + t))

    def __repr__(self) -> str:
        return f"inverse_sqrt({format_number(self.timescale)})"


@final
@attrs.frozen(repr=False)
class PiecewiseLinear(Schedule):
    """Straight lines between ``(times[i], values[i])``; the end values hold outside them."""

    times: tuple[float, ...]
    values: tuple[float, ...]

    def _at(self, t: float) -> float:
        ts, vs = self.times, self.values
        j = bisect.bisect_right(ts, t)
        if j == 0:
            return vs[0]
        if j == len(ts):
            return vs[-1]
        t0, v0 = ts[j - 1], vs[j - 1]
        return v0 + (vs[j] - v0) * (t - t0) / (ts[j] - t0)

    def _over(self, t: FloatArray) -> FloatArray:
        ts, vs = np.asarray(self.times), np.asarray(self.values)
        j = np.searchsorted(ts, t, side="right")
        k = np.clip(j, 1, len(ts) - 1)
        t0, v0 = ts[k - 1], vs[k - 1]
        with np.errstate(divide="ignore", invalid="ignore"):  # masked: zero-width end pieces
            inside = v0 + (vs[k] - v0) * (t - t0) / (ts[k] - t0)
        out: FloatArray = np.where(j == 0, vs[0], np.where(j == len(ts), vs[-1], inside))
        return out

    def __repr__(self) -> str:
        points = ", ".join(
            f"({format_number(t)}, {format_number(v)})"
            for t, v in zip(self.times, self.values, strict=True)
        )
        return f"piecewise_linear([{points}])"


@constructor
def inverse_sqrt(timescale: float) -> Schedule:
    r"""Decay as one over the square root of time: the transformer schedule after its warmup.

    .. math:: s(t) = \sqrt{\frac{timescale}{timescale + t}}

    It starts at 1 and halves by ``t = 3 * timescale``. ``warmup(inverse_sqrt(w), w)`` is the
    schedule of "Attention is all you need" (``min(t / w, sqrt(w / t))``, normalized to peak at
    1), fairseq's ``inverse_sqrt`` and Hugging Face's ``get_inverse_sqrt_schedule`` with
    ``timescale = w``.

    Args:
        timescale: The time over which the value falls to ``1 / sqrt(2)``, > 0.

    Examples:
        >>> import lrsched as ls
        >>> s = ls.inverse_sqrt(100)
        >>> s(0), s(300)
        (1.0, 0.5)
        >>> noam = ls.warmup(ls.inverse_sqrt(4000), 4000)
        >>> noam(2000), noam(4000), noam(16000)
        (0.5, 1.0, 0.5)

    """
    return InverseSqrt(positive("timescale", timescale))


_DECAY_SHAPES = ("linear", "cosine")


@constructor
def warmup_stable_decay(  # noqa: PLR0913 (three durations and three shape options)
    warmup: float,
    stable: float,
    decay: float,
    *,
    start: float = 0.0,
    end: float = 0.0,
    shape: str = "linear",
) -> Schedule:
    """Warm up to 1, hold it, then decay to ``end``: the WSD ("trapezoidal") schedule.

    A linear ramp from ``start`` to 1 over ``[0, warmup)``, the value 1 over the next
    ``stable`` time units, then a linear or cosine decay to ``end`` over ``decay`` time units,
    held afterwards. Built from existing nodes:
    ``warmup(concat([constant(1), linear(1, end, decay)], [stable]), warmup, start)``.

    Args:
        warmup: Length of the ramp, >= 0.
        stable: Length of the plateau at 1, >= 0.
        decay: Length of the decay, > 0.
        start: Value at t = 0, as a fraction of the peak.
        end: Value from ``warmup + stable + decay`` on.
        shape: ``"linear"`` or ``"cosine"`` decay.

    Examples:
        >>> import lrsched as ls
        >>> s = ls.warmup_stable_decay(10, 80, 10)
        >>> s
        warmup(concat([constant(1), linear(1, 0, 10)], [80]), 10)
        >>> s(5), s(10), s(90), s(95), s(100)
        (0.5, 1.0, 1.0, 0.5, 0.0)

    """
    warmup = non_negative("warmup", warmup)
    stable = non_negative("stable", stable)
    decay = positive("decay", decay)
    start = finite("start", start)
    end = finite("end", end)
    if shape not in _DECAY_SHAPES:
        msg = f"shape must be 'linear' or 'cosine' (got {shape!r})"
        raise ScheduleError(msg)
    tail = linear(1.0, end, decay) if shape == "linear" else cosine(decay, 1.0, end)
    body = concat([constant(1.0), tail], [stable]) if stable > 0.0 else tail
    return warmup_(body, warmup, start)


@constructor
def piecewise_linear(points: Iterable[tuple[float, float]] | Mapping[float, float]) -> Schedule:
    """Straight lines through ``(time, value)`` points; the first and last values hold outside.

    Times must be non-decreasing; a time given twice makes a jump, and the second value applies
    from that time on (the new value applies AT the boundary, as everywhere in lrsched).
    Between points ``t0 <= t < t1``: ``v0 + (v1 - v0) * (t - t0) / (t1 - t0)``.

    Args:
        points: ``(time, value)`` pairs (or a mapping time -> value), at least one; times >= 0.

    Examples:
        >>> import lrsched as ls
        >>> s = ls.piecewise_linear([(0, 0), (10, 1), (100, 0.1)])
        >>> s(5), s(10), s(55), s(1000)
        (0.5, 1.0, 0.55, 0.1)
        >>> step = ls.piecewise_linear([(0, 1), (30, 1), (30, 0.1)])
        >>> step(29.9), step(30)
        (1.0, 0.1)

    """
    pairs = _pairs(points)
    times = tuple(non_negative(f"points[{i}][0]", t) for i, (t, _) in enumerate(pairs))
    values = tuple(finite(f"points[{i}][1]", v) for i, (_, v) in enumerate(pairs))
    if not times:
        msg = "points must not be empty (got 0 points)"
        raise ScheduleError(msg)
    for i in range(1, len(times)):
        if times[i] < times[i - 1] or (i > 1 and times[i] == times[i - 2]):
            msg = (
                "points must have non-decreasing times, each at most twice "
                f"(got points[{i - 1}][0] = {format_number(times[i - 1])}, "
                f"points[{i}][0] = {format_number(times[i])})"
            )
            raise ScheduleError(msg)
    if len(set(values)) == 1:
        return Constant(values[0])
    return PiecewiseLinear(times, values)


def _pairs(points: object) -> list[tuple[object, object]]:
    items = points.items() if isinstance(points, Mapping) else points
    if isinstance(items, str | bytes) or not isinstance(items, Iterable):
        msg = f"points must be a sequence of (time, value) pairs (got {points!r})"
        raise TypeError(msg)
    pairs = []
    for i, item in enumerate(items):
        if isinstance(item, str | bytes) or not isinstance(item, Iterable):
            msg = f"points[{i}] must be a (time, value) pair (got {item!r})"
            raise TypeError(msg)
        pair = tuple(item)
        if len(pair) != 2:
            msg = f"points[{i}] must be a (time, value) pair (got {item!r})"
            raise ScheduleError(msg)
        pairs.append((pair[0], pair[1]))
    return pairs
