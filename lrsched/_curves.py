"""Curves between a start and an end value: linear, cosine, polynomial, inverse_sqrt, polylines.

Each curve is monotone between known cut points (the end of its duration, the turns of a
periodic cosine, the points of a polyline), which is how its extrema are found exactly.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from typing import Any, final

import attrs
import numpy as np

from lrsched._arrays import constants, huge, quiet
from lrsched._core import FloatArray, ScalarFunction, Schedule
from lrsched._errors import ScheduleError
from lrsched._lattice import Lattice, Part, extrema_by_cuts, multiples, periodic_points
from lrsched._leaves import Constant
from lrsched._registry import constructor
from lrsched._spelling import Call, call, format_number
from lrsched._validate import at_least, finite, flag, non_negative, positive

__all__ = ["cosine", "inverse_sqrt", "linear", "piecewise_linear", "polynomial"]

_HUGE = 1e300  # times at which pi * t / duration may overflow


def blend(w: Any, a: float, b: float) -> Any:
    """``a + (b - a) * w`` for weights ``w`` in [0, 1], finite even if ``b - a`` overflows.

    Then it is the weighted mean ``(1 - w) * a + w * b``.
    """
    rise = b - a
    if math.isinf(rise):
        return (1.0 - w) * a + w * b
    return a + rise * w


class _Curve(Schedule):
    """A leaf that is monotone on ``[0, duration)`` and constant from ``duration`` on."""

    __slots__ = ()
    duration: float

    def _parts(self) -> tuple[Part, ...]:
        return ()

    def _breakpoints(self, end: float) -> tuple[float, ...] | FloatArray:
        return (self.duration,) if self.duration < end else ()

    def _range(self) -> tuple[float, float]:
        a, b = self.start, self.end  # type: ignore[attr-defined]  # every curve has both
        return (min(a, b), max(a, b))

    def _extrema(self, lattice: Lattice) -> tuple[float, float]:
        return extrema_by_cuts(self, lattice, (self.duration,))


@final
@attrs.frozen(repr=False)
class Linear(_Curve):
    """`start + (end - start) * min(t, duration) / duration`."""

    start: float
    end: float
    duration: float

    def _formula(self, xp: Any, t: Any) -> Any:
        # The fraction first: exact 1 from t = duration on, no underflow for a tiny duration.
        return blend(xp.clip(t, None, self.duration) / self.duration, self.start, self.end)

    def _spelling(self) -> Call:
        return call(self, linear)

    def _scalar(self) -> ScalarFunction:
        start, end, d = self.start, self.end, self.duration
        rise = end - start
        if math.isinf(rise):  # end - start overflowed: rise * 0 would be NaN
            return super()._scalar()
        held = start + rise  # the formula at t = d, once

        def linear_at(t: float) -> float:
            if t < d:
                return start + rise * (t / d)
            return held

        return linear_at


@final
@attrs.frozen(repr=False)
class Cosine(_Curve):
    """`end + (start - end) * (1 + cos(pi * u / duration)) / 2`, `u = min(t, duration)`.

    With `periodic` the time is not capped (`u = t`): the cosine rises back to `start` at
    `2 * duration` and repeats, as torch's `CosineAnnealingLR` does.
    """

    duration: float
    start: float = 1.0
    end: float = 0.0
    periodic: bool = False

    def _formula(self, xp: Any, t: Any) -> Any:
        d = self.duration
        if self.periodic:
            u = xp.where(t < huge(xp, t, _HUGE), t, xp.fmod(t, 2.0 * d))
            angle = np.pi * u / d
            angle = xp.where(xp.isinf(angle), np.pi * (xp.fmod(t, 2.0 * d) / d), angle)
        else:
            angle = np.pi * (xp.clip(t, None, d) / d)
        return blend((1.0 + xp.cos(angle)) / 2.0, self.end, self.start)

    def _spelling(self) -> Call:
        return call(self, cosine)

    def _breakpoints(self, end: float) -> tuple[float, ...] | FloatArray:
        if not self.periodic:
            return super()._breakpoints(end)
        return multiples(self, self.duration, end)  # where a periodic cosine turns

    def _extrema(self, lattice: Lattice) -> tuple[float, float]:
        if not self.periodic:
            return super()._extrema(lattice)
        window = periodic_points(lattice, 2.0 * self.duration)
        return extrema_by_cuts(self, window, self._breakpoints(window.last + 1.0))

    def _scalar(self) -> ScalarFunction:
        d, end, cos, pi = self.duration, self.end, math.cos, math.pi
        drop = self.start - end
        if math.isinf(drop) or self.periodic:
            return super()._scalar()
        held = end + drop * (1.0 + cos(pi)) / 2.0  # the formula at t = d, once

        def cosine_at(t: float) -> float:
            if t < d:
                return end + drop * (1.0 + cos(pi * (t / d))) / 2.0
            return held

        return cosine_at


@final
@attrs.frozen(repr=False)
class Polynomial(_Curve):
    """`end + (start - end) * (1 - min(t, duration) / duration) ** power`."""

    duration: float
    power: float = 1.0
    start: float = 1.0
    end: float = 0.0

    def _formula(self, xp: Any, t: Any) -> Any:
        remaining = 1.0 - xp.clip(t, None, self.duration) / self.duration
        # 0 ** power is 0 (power > 0), also where a tiny power underflows in float32.
        weight = xp.pow(remaining, self.power)
        if self.power > 0.0:
            weight = xp.where(remaining > 0.0, weight, 0.0)
        return blend(weight, self.end, self.start)

    def _spelling(self) -> Call:
        return call(self, polynomial)


@final
@attrs.frozen(repr=False)
class InverseSqrt(Schedule):
    """`sqrt(timescale / (timescale + t))`."""

    timescale: float

    def _formula(self, xp: Any, t: Any) -> Any:
        return xp.sqrt(self.timescale / (self.timescale + t))

    def _spelling(self) -> Call:
        return call(self, inverse_sqrt)

    def _range(self) -> tuple[float, float]:
        return (0.0, 1.0)

    def _parts(self) -> tuple[Part, ...]:
        return ()

    def _breakpoints(self, end: float) -> tuple[float, ...]:
        return ()

    def _extrema(self, lattice: Lattice) -> tuple[float, float]:
        return extrema_by_cuts(self, lattice, ())  # decreasing


@final
@attrs.frozen(repr=False)
class PiecewiseLinear(Schedule):
    """Straight lines between `(times[i], values[i])`; the end values hold outside them."""

    times: tuple[float, ...]
    values: tuple[float, ...]

    def _formula(self, xp: Any, t: Any) -> Any:
        ts, vs = constants(xp, self.times, t), constants(xp, self.values, t)
        j = xp.searchsorted(ts, t, side="right")
        k = xp.clip(j, 1, len(self.times) - 1)
        t0, v0 = ts[k - 1], vs[k - 1]
        width = ts[k] - t0
        # The zero-width pieces (a jump) and the outside are masked: no division by 0.
        fraction = (t - t0) / xp.where(width > 0, width, 1.0)
        with quiet(xp, over="ignore", invalid="ignore"):
            rise = vs[k] - v0
            # Where the rise overflows, the weighted mean of the two ends, which cannot.
            inside = xp.where(
                xp.isfinite(rise), v0 + rise * fraction, (1.0 - fraction) * v0 + fraction * vs[k]
            )
        return xp.where(j == 0, vs[0], xp.where(j == len(self.times), vs[-1], inside))

    def _spelling(self) -> Call:
        return call(self, piecewise_linear, points=list(zip(self.times, self.values, strict=True)))

    def _range(self) -> tuple[float, float]:
        return (min(self.values), max(self.values))

    def _parts(self) -> tuple[Part, ...]:
        return ()

    def _breakpoints(self, end: float) -> tuple[float, ...]:
        return self.times

    def _extrema(self, lattice: Lattice) -> tuple[float, float]:
        return extrema_by_cuts(self, lattice, self.times)


# ------------------------------------------------------------------------------ constructors


@constructor
def linear(start: float, end: float, duration: float) -> Schedule:
    r"""Go from `start` to `end` in a straight line over `[0, duration]`, then hold `end`.

    $$s(t) = start + (end - start) \frac{\min(t, duration)}{duration}$$

    torch's `LinearLR(start_factor=start, end_factor=end, total_iters=duration)`.

    Args:
        start: Value at t = 0 (finite).
        end: Value from t = duration on (finite).
        duration: Length of the ramp, > 0.

    Examples:
        >>> import lrsched as ls
        >>> s = ls.linear(0.1, 1, 4)
        >>> s(0), s(2), s(4), s(100)
        (0.1, 0.55, 1.0, 1.0)

    """
    start = finite("start", start)
    end = finite("end", end)
    duration = positive("duration", duration)
    return Constant(start) if start == end else Linear(start, end, duration)


@constructor
def cosine(
    duration: float, start: float = 1.0, end: float = 0.0, *, periodic: bool = False
) -> Schedule:
    r"""Half a cosine from `start` down to `end` over `[0, duration]`, then hold `end`.

    $$s(t) = end + (start - end) \frac{1 + \cos(\pi \min(t, duration) / duration)}{2}$$

    Within the duration this is torch's `CosineAnnealingLR(T_max=duration)` (with eta_min = 0);
    unlike torch it holds its end value afterwards instead of rising again. With
    `periodic=True` the time is not capped ($\min(t, duration)$ becomes $t$): the value
    rises back to `start` at `2 * duration` and repeats with period `2 * duration`, which
    is exactly torch's `CosineAnnealingLR` for all t (with `start` = the base lr and `end`
    = `eta_min`).

    Args:
        duration: Length of the half period, > 0.
        start: Value at t = 0 (and at every multiple of `2 * duration` when periodic).
        end: Value from t = duration on (at odd multiples of `duration` when periodic).
        periodic: Keep oscillating past `duration` instead of holding `end`; keyword-only.

    Examples:
        >>> import lrsched as ls
        >>> s = ls.cosine(10, end=0.1)
        >>> s
        cosine(10, end=0.1)
        >>> s(0), s(5), s(10), s(1000)
        (1.0, 0.55, 0.1, 0.1)
        >>> w = ls.cosine(10, periodic=True)
        >>> w(10), w(20), w(30), w(1000)
        (0.0, 1.0, 0.0, 1.0)

    """
    duration = positive("duration", duration)
    start = finite("start", start)
    end = finite("end", end)
    periodic = flag("periodic", periodic)
    return Constant(start) if start == end else Cosine(duration, start, end, periodic)


@constructor
def polynomial(
    duration: float, power: float = 1.0, start: float = 1.0, end: float = 0.0
) -> Schedule:
    r"""Decay from `start` to `end` along a power curve over `[0, duration]`, then hold.

    $$s(t) = end + (start - end) \left(1 - \frac{\min(t, duration)}{duration}\right)^{power}$$

    torch's `PolynomialLR(total_iters=duration, power=power)` is `polynomial(duration,
    power)` (start 1, end 0), times the base lr. `power=1` is a straight line and is returned
    as `linear`; `power=0` (or `start == end`) is the constant `start`.

    Args:
        duration: Length of the decay, > 0 (need not be an integer). `s(duration) = end`.
        power: Exponent of the curve, >= 0: > 1 falls fast then flattens, < 1 falls slowly
            then steeply.
        start: Value at t = 0.
        end: Value from t = duration on.

    Examples:
        >>> import lrsched as ls
        >>> s = ls.polynomial(10, power=2)
        >>> s
        polynomial(10, power=2)
        >>> s(0), s(5), s(10), s(1000)
        (1.0, 0.25, 0.0, 0.0)
        >>> ls.polynomial(4, start=0.5, end=0.1)
        linear(0.5, 0.1, 4)

    """
    duration = positive("duration", duration)
    power = at_least("power", power, 0.0)
    start = finite("start", start)
    end = finite("end", end)
    if power == 0.0 or start == end:
        return Constant(start)
    if power == 1.0:
        return Linear(start, end, duration)
    return Polynomial(duration, power, start, end)


@constructor
def inverse_sqrt(timescale: float) -> Schedule:
    r"""Decay as one over the square root of time: the transformer schedule after its warmup.

    $$s(t) = \sqrt{\frac{timescale}{timescale + t}}$$

    It starts at 1 and halves by `t = 3 * timescale`. `warmup(inverse_sqrt(w), w)` is the
    schedule of "Attention is all you need" ($\min(t / w, \sqrt{w / t})$, normalized to peak
    at 1), fairseq's `inverse_sqrt` and Hugging Face's `get_inverse_sqrt_schedule` with
    `timescale = w`.

    Args:
        timescale: The time over which the value falls to $1 / \sqrt{2}$, > 0.

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


@constructor
def piecewise_linear(points: Iterable[tuple[float, float]] | Mapping[float, float]) -> Schedule:
    r"""Straight lines through `(time, value)` points; the first and last values hold outside.

    Times must be non-decreasing; a time given twice makes a jump, and the second value applies
    from that time on (the new value applies AT the boundary, as everywhere in lrsched).
    Between points $t_0 \le t < t_1$: $v_0 + (v_1 - v_0) (t - t_0) / (t_1 - t_0)$.

    Args:
        points: `(time, value)` pairs (or a mapping time -> value), at least one; times >= 0.

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
