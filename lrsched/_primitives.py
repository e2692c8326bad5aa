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

from lrsched._core import FloatArray, Schedule, constructor, power, power_array
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


@final
@attrs.frozen(repr=False)
class Constant(Schedule):
    """The same value at every time."""

    value: float

    def _at(self, t: float) -> float:
        return self.value

    def _over(self, t: FloatArray) -> FloatArray:
        return np.full(t.shape, self.value)

    def __repr__(self) -> str:
        return f"constant({format_number(self.value)})"


@final
@attrs.frozen(repr=False)
class Step(Schedule):
    """``gamma ** floor(t / size)``."""

    size: float
    gamma: float

    def _at(self, t: float) -> float:
        return power(self.gamma, math.floor(t / self.size))

    def _over(self, t: FloatArray) -> FloatArray:
        return power_array(self.gamma, np.floor(t / self.size))

    def __repr__(self) -> str:
        return f"step({format_number(self.size)}, {format_number(self.gamma)})"


@final
@attrs.frozen(repr=False)
class Milestones(Schedule):
    """``gamma ** (number of points <= t)``; ``points`` is sorted, repeats allowed."""

    points: tuple[float, ...]
    gamma: float

    def _at(self, t: float) -> float:
        return power(self.gamma, bisect.bisect_right(self.points, t))

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

    gamma: float

    def _at(self, t: float) -> float:
        return power(self.gamma, t)

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
            values = np.empty(target - known + 1)
            values[0] = products[-1]
            for i, k in enumerate(range(known, target), start=1):
                values[i] = self._checked(k)
            self._products = products = np.concatenate([products, np.cumprod(values)[1:]])
        return products

    def _checked(self, k: int) -> float:
        value = self._factor(k)
        if isinstance(value, bool) or not isinstance(value, numbers.Real):
            msg = f"factor({k}) must return a real number (got {value!r})"
            raise TypeError(msg)
        if not math.isfinite(value):
            msg = f"factor({k}) must return a finite number (got {value!r})"
            raise ScheduleError(msg)
        return float(value)


@final
@attrs.frozen(repr=False)
class Multiplicative(Schedule):
    """``prod(factor(k) for k in 1..floor(t))`` for a Python callable ``factor``."""

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

    def _at(self, t: float) -> float:
        n = math.floor(t)
        return float(self._cache.upto(n)[n])

    def _over(self, t: FloatArray) -> FloatArray:
        steps = np.floor(t).astype(np.int64)
        products = self._cache.upto(int(steps.max(initial=0)))
        return products[steps]

    def __repr__(self) -> str:
        name = getattr(self.factor, "__qualname__", None) or type(self.factor).__name__
        return f"multiplicative({name})"


@final
@attrs.frozen(repr=False)
class Linear(Schedule):
    """``start + (end - start) * min(t, duration) / duration``."""

    start: float
    end: float
    duration: float

    def _at(self, t: float) -> float:
        d = self.duration
        return self.start + (self.end - self.start) * (min(d, t)) / d

    def _over(self, t: FloatArray) -> FloatArray:
        d = self.duration
        return self.start + (self.end - self.start) * np.minimum(t, d) / d

    def __repr__(self) -> str:
        args = (self.start, self.end, self.duration)
        return f"linear({', '.join(format_number(a) for a in args)})"


@final
@attrs.frozen(repr=False)
class Cosine(Schedule):
    """``end + (start - end) * (1 + cos(pi * min(t, duration) / duration)) / 2``."""

    duration: float
    start: float = 1.0
    end: float = 0.0

    def _at(self, t: float) -> float:
        d = self.duration
        cos = math.cos(math.pi * (min(d, t)) / d)
        return self.end + (self.start - self.end) * (1.0 + cos) / 2.0

    def _over(self, t: FloatArray) -> FloatArray:
        d = self.duration
        cos = np.cos(np.pi * np.minimum(t, d) / d)
        return self.end + (self.start - self.end) * (1.0 + cos) / 2.0

    def __repr__(self) -> str:
        options = "".join(
            f", {name}={format_number(value)}"
            for name, value, default in (("start", self.start, 1.0), ("end", self.end, 0.0))
            if value != default
        )
        return f"cosine({format_number(self.duration)}{options})"


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
def cosine(duration: float, start: float = 1.0, end: float = 0.0) -> Schedule:
    r"""Half a cosine from ``start`` down to ``end`` over ``[0, duration]``, then hold ``end``.

    .. math:: s(t) = end + (start - end) \frac{1 + \cos(\pi \min(t, duration) / duration)}{2}

    Within the duration this is torch's ``CosineAnnealingLR(T_max=duration)`` (with eta_min = 0);
    unlike torch it holds its end value afterwards instead of rising again.

    Args:
        duration: Length of the half period, > 0.
        start: Value at t = 0.
        end: Value from t = duration on.

    Examples:
        >>> import lrsched as ls
        >>> s = ls.cosine(10, end=0.1)
        >>> s
        cosine(10, end=0.1)
        >>> s(0), s(5), s(10), s(1000)
        (1.0, 0.55, 0.1, 0.1)

    """
    duration = positive("duration", duration)
    start = finite("start", start)
    end = finite("end", end)
    return Constant(start) if start == end else Cosine(duration, start, end)
