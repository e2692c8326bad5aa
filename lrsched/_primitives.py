"""Leaf schedules: constant, step, milestones, exponential, multiplicative, linear, cosine.

Values are dimensionless multipliers (bind them to an optimizer in relative mode to scale each
group's initial learning rate). Times and durations may be non-integer.
"""

from __future__ import annotations

import bisect
import math
import numbers
import threading
from collections.abc import Callable
from typing import final

import attrs
import numpy as np

from lrsched._core import (
    FloatArray,
    ScalarFunction,
    Schedule,
    constructor,
    power_array,
    scalar_function,
)
from lrsched._errors import ScheduleError
from lrsched._validate import finite, format_number, positive, sorted_points

__all__ = [
    "constant",
    "cosine",
    "exponential",
    "linear",
    "milestones",
    "multiplicative",
    "step",
]

_INF = math.inf
_HUGE = 1e300  # times at which pi * t / duration may overflow


@final
@attrs.frozen(repr=False)
class Constant(Schedule):
    """The same value at every time."""

    _over_returns_new = True

    value: float

    def _scalar(self) -> ScalarFunction:
        value = self.value

        def constant_at(t: float) -> float:  # noqa: ARG001 (the scalar-function signature)
            return value

        return constant_at

    def _at(self, t: float) -> float:
        return scalar_function(self)(t)

    def _over(self, t: FloatArray) -> FloatArray:
        return np.full(t.shape, self.value)

    def __repr__(self) -> str:
        return f"constant({format_number(self.value)})"


@final
@attrs.frozen(repr=False)
class Step(Schedule):
    """``gamma ** floor(t / size)``."""

    _over_returns_new = True

    size: float
    gamma: float

    def _scalar(self) -> ScalarFunction:
        size, gamma, floor = self.size, self.gamma, math.floor

        def step_at(t: float) -> float:
            n = t / size
            n = floor(n) if n < _INF else n  # a size near 0 gives inf: gamma ** inf, not a crash
            try:
                return gamma**n
            except OverflowError:
                return _INF

        return step_at

    def _at(self, t: float) -> float:
        return scalar_function(self)(t)

    def _over(self, t: FloatArray) -> FloatArray:
        exponent = t / self.size
        np.floor(exponent, out=exponent)
        with np.errstate(over="ignore", under="ignore"):
            return np.power(self.gamma, exponent, out=exponent)

    def __repr__(self) -> str:
        return f"step({format_number(self.size)}, {format_number(self.gamma)})"


@final
@attrs.frozen(repr=False)
class Milestones(Schedule):
    """``gamma ** (number of points <= t)``; ``points`` is sorted, repeats allowed."""

    _over_returns_new = True

    points: tuple[float, ...]
    gamma: float

    def _scalar(self) -> ScalarFunction:
        points, gamma, count = self.points, self.gamma, bisect.bisect_right

        def milestones_at(t: float) -> float:
            try:
                return gamma ** count(points, t)
            except OverflowError:
                return _INF

        return milestones_at

    def _at(self, t: float) -> float:
        return scalar_function(self)(t)

    def _over(self, t: FloatArray) -> FloatArray:
        counts = np.searchsorted(np.asarray(self.points), t, side="right")
        return power_array(self.gamma, counts.astype(np.float64))

    def __repr__(self) -> str:
        points = ", ".join(format_number(p) for p in self.points)
        return f"milestones([{points}], {format_number(self.gamma)})"


@final
@attrs.frozen(repr=False)
class Exponential(Schedule):
    """``gamma ** t``."""

    _over_returns_new = True

    gamma: float

    def _scalar(self) -> ScalarFunction:
        gamma = self.gamma

        def exponential_at(t: float) -> float:
            try:
                value: float = gamma**t  # gamma > 0: a float (typeshed says Any)
            except OverflowError:
                return _INF
            return value

        return exponential_at

    def _at(self, t: float) -> float:
        return scalar_function(self)(t)

    def _over(self, t: FloatArray) -> FloatArray:
        return power_array(self.gamma, t)

    def __repr__(self) -> str:
        return f"exponential({format_number(self.gamma)})"


MULTIPLICATIVE_HORIZON = 2**24
"""Largest ``floor(t)`` at which a ``multiplicative`` of a callable can be evaluated.

Its value at ``t`` needs ``factor(1), ..., factor(floor(t))``: there is no closed form. The
products are cached (8 bytes per step), so the horizon bounds both time and memory.
"""


class _PrefixProducts:
    """Growing cache of ``prod(factor(k) for k in 1..n)`` for n = 0, 1, 2, ...

    Each factor is called once per distinct k over the schedule's lifetime; products are
    accumulated left to right (``np.cumprod``), as a training loop multiplying step by step does.
    """

    def __init__(self, factor: Callable[[int], float]) -> None:
        self._factor = factor
        self._products = np.ones(1)
        self._lock = threading.Lock()

    def __reduce__(self) -> tuple[type[_PrefixProducts], tuple[Callable[[int], float]]]:
        # The cache and its lock are not part of the value: a copy starts empty.
        return (_PrefixProducts, (self._factor,))

    def upto(self, n: int) -> FloatArray:
        """Return an array whose entry k is the product of factor(1..k), for k = 0..n at least."""
        products = self._products
        if n < len(products):
            return products
        if n > MULTIPLICATIVE_HORIZON:
            name = getattr(self._factor, "__qualname__", None) or type(self._factor).__name__
            msg = (
                f"t must be < {MULTIPLICATIVE_HORIZON + 1} for multiplicative({name})"
                f" (got t = {n}): its value is a running product of {n} calls of a Python callable"
            )
            raise ScheduleError(msg)
        with self._lock:
            products = self._products
            known = len(products)
            if n < known:
                return products
            target = min(max(n + 1, 2 * known), MULTIPLICATIVE_HORIZON + 1)
            factor = self._factor
            values = [factor(k) for k in range(known, target)]
            # Checked in bulk when every value is a float (the common case), else one by one
            # (which also names the first bad k).
            new = np.array(values) if set(map(type, values)) == {float} else None
            if new is None or not np.isfinite(new).all():
                ks = range(known, target)
                new = np.array([self._checked(k, v) for k, v in zip(ks, values, strict=True)])
            # The running product continues from the last one. It may overflow to inf or
            # underflow to 0, never a warning; a factor 0 after an overflow wins (0, not NaN).
            with np.errstate(over="ignore", under="ignore", invalid="ignore"):
                new[0] *= products[-1]
                np.cumprod(new, out=new)
            nan = np.isnan(new)
            if nan.any():
                new[nan] = 0.0
            self._products = products = np.concatenate([products, new])
        return products

    @staticmethod
    def _checked(k: int, value: object) -> float:
        if isinstance(value, bool) or not isinstance(value, numbers.Real):
            msg = f"factor({k}) must return a real number (got {value!r})"
            raise TypeError(msg)
        try:
            x = float(value)
        except OverflowError:  # an int or Fraction beyond the float range
            x = math.inf
        if not math.isfinite(x):
            msg = f"factor({k}) must return a finite number (got {value!r})"
            raise ScheduleError(msg)
        return x


@final
@attrs.frozen(repr=False)
class Multiplicative(Schedule):
    """``prod(factor(k) for k in 1..floor(t))`` for a Python callable ``factor``."""

    _over_returns_new = True

    factor: Callable[[int], float]
    _cache: _PrefixProducts = attrs.field(
        init=False,
        eq=False,
        hash=False,
        default=attrs.Factory(lambda self: _PrefixProducts(self.factor), takes_self=True),
    )

    @property
    def opaque(self) -> bool:
        return True

    def _scalar(self) -> ScalarFunction:
        upto, floor = self._cache.upto, math.floor

        def multiplicative_at(t: float) -> float:
            n = floor(t)
            return float(upto(n)[n])

        return multiplicative_at

    def _at(self, t: float) -> float:
        return scalar_function(self)(t)

    def _over(self, t: FloatArray) -> FloatArray:
        steps = np.floor(t).astype(np.int64)
        products = self._cache.upto(int(steps.max(initial=0)))
        return np.take(products, steps, out=np.empty(t.shape))  # an array even if t is 0-d

    def __repr__(self) -> str:
        name = getattr(self.factor, "__qualname__", None) or type(self.factor).__name__
        return f"multiplicative({name})"


@final
@attrs.frozen(repr=False)
class Linear(Schedule):
    """``start + (end - start) * min(t, duration) / duration``."""

    _over_returns_new = True

    start: float
    end: float
    duration: float

    def _scalar(self) -> ScalarFunction:
        start, end, d = self.start, self.end, self.duration
        rise = end - start
        # The fraction t / d is taken first: exact 1 from t = d on, and no underflow of
        # rise * t for a duration near 0 (5e-324).
        if math.isinf(rise):  # end - start overflowed: rise * 0 would be NaN

            def wide_linear_at(t: float) -> float:
                f = t / d if t < d else 1.0
                return (1.0 - f) * start + f * end

            return wide_linear_at

        held = start + rise  # the formula at t = d, once

        def linear_at(t: float) -> float:
            if t < d:
                return start + rise * (t / d)
            return held

        return linear_at

    def _at(self, t: float) -> float:
        return scalar_function(self)(t)

    def _over(self, t: FloatArray) -> FloatArray:
        # start + (end - start) * (min(t, d) / d), in place: the same roundings as the scalar.
        d = self.duration
        out = np.minimum(t, d)
        out /= d
        rise = self.end - self.start
        if math.isinf(rise):
            wide = np.subtract(1.0, out)
            wide *= self.start
            out *= self.end
            out += wide
            return out
        out *= rise
        out += self.start
        return out

    def __repr__(self) -> str:
        args = (self.start, self.end, self.duration)
        return f"linear({', '.join(format_number(a) for a in args)})"


@final
@attrs.frozen(repr=False)
class Cosine(Schedule):
    """``end + (start - end) * (1 + cos(pi * u / duration)) / 2``, ``u = min(t, duration)``.

    With ``periodic`` the time is not capped (``u = t``): the cosine rises back to ``start`` at
    ``2 * duration`` and repeats, as torch's ``CosineAnnealingLR`` does.
    """

    _over_returns_new = True

    duration: float
    start: float = 1.0
    end: float = 0.0
    periodic: bool = False

    def _scalar(self) -> ScalarFunction:
        d, end, cos, pi = self.duration, self.end, math.cos, math.pi
        drop = self.start - end

        if math.isinf(drop):  # start - end overflowed: drop * 0 would be NaN
            return _wide_cosine(d, self.start, end, periodic=self.periodic)

        if self.periodic:
            fmod, period = math.fmod, 2.0 * d

            def periodic_cosine_at(t: float) -> float:
                try:
                    return end + drop * (1.0 + cos(pi * t / d)) / 2.0
                except ValueError:  # pi * t / d overflowed: t is near the largest float
                    return end + drop * (1.0 + cos(pi * (fmod(t, period) / d))) / 2.0

            return periodic_cosine_at

        # The fraction t / d is taken first: exact 1 from t = d on, also for a duration near 0.
        held = end + drop * (1.0 + cos(pi)) / 2.0  # the formula at t = d, once

        def cosine_at(t: float) -> float:
            if t < d:
                return end + drop * (1.0 + cos(pi * (t / d))) / 2.0
            return held

        return cosine_at

    def _at(self, t: float) -> float:
        return scalar_function(self)(t)

    def _over(self, t: FloatArray) -> FloatArray:
        # end + (start - end) * (1 + cos(pi * u / d)) / 2, in place: one array allocated.
        d = self.duration
        if self.periodic:
            if t.size and t.max() >= _HUGE:  # pi * t / d could overflow
                t = np.where(t < _HUGE, t, np.fmod(t, 2.0 * d))
            out = np.multiply(t, np.pi)
            out /= d
            overflowed = np.isinf(out)  # a duration near 0: reduce t as the scalar path does
            if overflowed.any():
                out[overflowed] = np.pi * (np.fmod(t[overflowed], 2.0 * d) / d)
        else:
            out = np.minimum(t, d)
            out /= d
            out *= np.pi
        np.cos(out, out=out)
        out += 1.0
        drop = self.start - self.end
        if math.isinf(drop):  # start - end overflowed: interpolate without it
            out /= 2.0
            wide = np.subtract(1.0, out)
            wide *= self.end
            out *= self.start
            out += wide
            return out
        out *= drop
        out /= 2.0
        out += self.end
        return out

    def __repr__(self) -> str:
        options = "".join(
            f", {name}={format_number(value)}"
            for name, value, default in (("start", self.start, 1.0), ("end", self.end, 0.0))
            if value != default
        )
        periodic = ", periodic=True" if self.periodic else ""
        return f"cosine({format_number(self.duration)}{options}{periodic})"


def _wide_cosine(d: float, start: float, end: float, *, periodic: bool) -> ScalarFunction:
    """The cosine's scalar function when ``start - end`` overflows: a weighted mean instead."""
    cos, pi, fmod, period = math.cos, math.pi, math.fmod, 2.0 * d

    def wide_cosine_at(t: float) -> float:
        if periodic:
            angle = pi * t / d
            if math.isinf(angle):
                angle = pi * (fmod(t, period) / d)
        else:
            angle = pi * (t / d if t < d else 1.0)
        w = (1.0 + cos(angle)) / 2.0
        return (1.0 - w) * end + w * start

    return wide_cosine_at


@constructor
def constant(value: float) -> Schedule:
    """The same value at every time: ``s(t) = value``.

    Args:
        value: Any finite number.

    Examples:
        >>> import lrsched as ls
        >>> ls.constant(0.5)(1000)
        0.5

    """
    return Constant(finite("value", value))


@constructor
def step(size: float, gamma: float) -> Schedule:
    """Decay by ``gamma`` every ``size`` time units: ``s(t) = gamma ** floor(t / size)``.

    torch's ``StepLR(step_size=size, gamma=gamma)``. ``step(size, 1)`` is ``constant(1)``.

    Args:
        size: Length of each step, > 0 (need not be an integer).
        gamma: Factor applied at ``t = size, 2*size, ...``; > 0.

    Examples:
        >>> import lrsched as ls
        >>> s = ls.step(30, 0.1)
        >>> s(0), s(29), s(30), s(60)
        (1.0, 1.0, 0.1, 0.010000000000000002)

    """
    size = positive("size", size)
    gamma = positive("gamma", gamma)
    return Constant(1.0) if gamma == 1.0 else Step(size, gamma)


@constructor
def milestones(points: object, gamma: float) -> Schedule:
    """Decay by ``gamma`` at each point: ``s(t) = gamma ** (number of points <= t)``.

    torch's ``MultiStepLR(milestones=points, gamma=gamma)``. Points are counted with
    multiplicity (a repeated point applies ``gamma`` twice) and may be given in any order.

    Args:
        points: Times >= 0 at which ``gamma`` applies (inclusive: ``s(p)`` already includes it).
        gamma: Factor per point; > 0.

    Examples:
        >>> import lrsched as ls
        >>> s = ls.milestones([60, 30], 0.5)
        >>> s
        milestones([30, 60], 0.5)
        >>> s(29), s(30), s(60)
        (1.0, 0.5, 0.25)

    """
    canonical = sorted_points("points", points, strict=False)
    gamma = positive("gamma", gamma)
    if not canonical or gamma == 1.0:
        return Constant(1.0)
    return Milestones(canonical, gamma)


@constructor
def exponential(gamma: float) -> Schedule:
    """Decay by ``gamma`` per time unit, continuously: ``s(t) = gamma ** t``.

    torch's ``ExponentialLR(gamma=gamma)``.

    Args:
        gamma: Factor per unit of time; > 0.

    Examples:
        >>> import lrsched as ls
        >>> s = ls.exponential(0.5)
        >>> s(0), s(1), s(2.5)
        (1.0, 0.5, 0.1767766952966369)

    """
    gamma = positive("gamma", gamma)
    return Constant(1.0) if gamma == 1.0 else Exponential(gamma)


@constructor
def multiplicative(factor: float | Callable[[int], float]) -> Schedule:
    """Multiply by ``factor(k)`` at each whole time k = 1, 2, ...: ``prod(factor(1..floor(t)))``.

    torch's ``MultiplicativeLR(lr_lambda=factor)``. A number is the same factor every step, which
    is ``step(1, factor)`` (and is returned as such). A callable is called with ints, once per k
    over the schedule's life (results are cached); it makes the schedule *opaque*: it has a repr
    but that repr cannot be evaluated back.

    Args:
        factor: A number > 0, or a callable ``int -> float`` returning finite numbers.

    Examples:
        >>> import lrsched as ls
        >>> ls.multiplicative(0.9)
        step(1, 0.9)
        >>> def halve_after_two(k):
        ...     return 0.5 if k > 2 else 1.0
        >>> s = ls.multiplicative(halve_after_two)
        >>> s(2), s(3), s(4.5)
        (1.0, 0.5, 0.25)

    """
    if callable(factor):
        return Multiplicative(factor)
    return step(1.0, positive("factor", factor))


@constructor
def linear(start: float, end: float, duration: float) -> Schedule:
    """Go from ``start`` to ``end`` in a straight line over ``[0, duration]``, then hold ``end``.

    ``s(t) = start + (end - start) * min(t, duration) / duration``: torch's
    ``LinearLR(start_factor=start, end_factor=end, total_iters=duration)``.

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
    r"""Half a cosine from ``start`` down to ``end`` over ``[0, duration]``, then hold ``end``.

    .. math:: s(t) = end + (start - end) \frac{1 + \cos(\pi \min(t, duration) / duration)}{2}

    Within the duration this is torch's ``CosineAnnealingLR(T_max=duration)`` (with eta_min = 0);
    unlike torch it holds its end value afterwards instead of rising again. With
    ``periodic=True`` the time is not capped (``min(t, duration)`` becomes ``t``): the value
    rises back to ``start`` at ``2 * duration`` and repeats with period ``2 * duration``, which
    is exactly torch's ``CosineAnnealingLR`` for all t (with ``start`` = the base lr and ``end``
    = ``eta_min``).

    Args:
        duration: Length of the half period, > 0.
        start: Value at t = 0 (and at every multiple of ``2 * duration`` when periodic).
        end: Value from t = duration on (at odd multiples of ``duration`` when periodic).
        periodic: Keep oscillating past ``duration`` instead of holding ``end``; keyword-only.

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
    if not isinstance(periodic, bool):
        msg = f"periodic must be True or False (got {periodic!r})"
        raise TypeError(msg)
    return Constant(start) if start == end else Cosine(duration, start, end, periodic)
