"""Leaves of whole-time structure: constant, step, milestones, exponential, and callables.

`multiplicative` and `function` wrap a Python callable.

Values are dimensionless multipliers (bind them to an optimizer in relative mode to scale each
group's initial learning rate). Times and durations may be non-integer.
"""

from __future__ import annotations

import bisect
import math
import numbers
import threading
from collections.abc import Callable
from typing import Any, final

import attrs
import numpy as np

from lrsched._arrays import constants, on_host
from lrsched._core import FloatArray, ScalarFunction, Schedule
from lrsched._errors import ScheduleError
from lrsched._lattice import Lattice, Part, every_point, extrema_by_cuts, multiples, values_at
from lrsched._registry import constructor
from lrsched._spelling import Call, call
from lrsched._validate import finite, positive, sorted_points

__all__ = [
    "MULTIPLICATIVE_HORIZON",
    "Constant",
    "constant",
    "exponential",
    "function",
    "milestones",
    "multiplicative",
    "step",
]

_INF = math.inf


class _Leaf(Schedule):
    """A schedule without children (an abstract helper: the kinds below are final)."""

    __slots__ = ()

    def _parts(self) -> tuple[Part, ...]:
        return ()


class _Monotone(_Leaf):
    """A leaf that never turns back: exact extrema at the two ends of any lattice."""

    __slots__ = ()

    def _extrema(self, lattice: Lattice) -> tuple[float, float]:
        return extrema_by_cuts(self, lattice, ())


@final
@attrs.frozen(repr=False)
class Constant(_Monotone):
    """The same value at every time."""

    value: float

    def _formula(self, xp: Any, t: Any) -> Any:
        return xp.full_like(t, self.value)

    def _spelling(self) -> Call:
        return call(self, constant)

    def _range(self) -> tuple[float, float]:
        return (self.value, self.value)

    def _breakpoints(self, end: float) -> tuple[float, ...]:
        return ()

    def _scalar(self) -> ScalarFunction:
        value = self.value

        def constant_at(t: float) -> float:  # noqa: ARG001 (the scalar-function signature)
            return value

        return constant_at


@final
@attrs.frozen(repr=False)
class Step(_Monotone):
    """`gamma ** floor(t / size)`."""

    size: float
    gamma: float

    def _formula(self, xp: Any, t: Any) -> Any:
        return self.gamma ** xp.floor(t / self.size)

    def _spelling(self) -> Call:
        return call(self, step)

    def _range(self) -> tuple[float, float]:
        return (0.0, 1.0) if self.gamma < 1.0 else (1.0, _INF)

    def _breakpoints(self, end: float) -> FloatArray:
        return multiples(self, self.size, end)

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


@final
@attrs.frozen(repr=False)
class Milestones(_Monotone):
    """`gamma ** (number of points <= t)`; `points` is sorted, repeats allowed."""

    points: tuple[float, ...]
    gamma: float

    def _formula(self, xp: Any, t: Any) -> Any:
        counts = xp.searchsorted(constants(xp, self.points, t), t, side="right")
        return self.gamma ** xp.astype(counts, t.dtype)

    def _spelling(self) -> Call:
        return call(self, milestones, points=list(self.points))

    def _range(self) -> tuple[float, float]:
        last = self.gamma ** len(self.points) if self.gamma < 1.0 else _INF
        return (min(1.0, last), max(1.0, last))

    def _breakpoints(self, end: float) -> tuple[float, ...]:
        return self.points

    def _scalar(self) -> ScalarFunction:
        points, gamma, count = self.points, self.gamma, bisect.bisect_right

        def milestones_at(t: float) -> float:
            try:
                return gamma ** count(points, t)
            except OverflowError:
                return _INF

        return milestones_at


@final
@attrs.frozen(repr=False)
class Exponential(_Monotone):
    """`gamma ** t`."""

    gamma: float

    def _formula(self, xp: Any, t: Any) -> Any:
        return self.gamma**t

    def _spelling(self) -> Call:
        return call(self, exponential)

    def _range(self) -> tuple[float, float]:
        return (0.0, 1.0) if self.gamma < 1.0 else (1.0, _INF)

    def _breakpoints(self, end: float) -> tuple[float, ...]:
        return ()

    def _scalar(self) -> ScalarFunction:
        gamma = self.gamma

        def exponential_at(t: float) -> float:
            try:
                value: float = gamma**t  # gamma > 0: a float (typeshed says Any)
            except OverflowError:
                return _INF
            return value

        return exponential_at


# ------------------------------------------------------------------ wrapped Python callables


def callable_name(fn: object) -> str:
    """The name a wrapped callable is shown by."""
    return getattr(fn, "__qualname__", None) or type(fn).__name__


def checked_value(where: str, k: int, value: object) -> float:
    """A callable's result as a finite float, or an error naming the call."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        msg = f"{where}({k}) must return a real number (got {value!r})"
        raise TypeError(msg)
    try:
        x = float(value)
    except OverflowError:  # an int or Fraction beyond the float range
        x = math.inf
    if not math.isfinite(x):
        msg = f"{where}({k}) must return a finite number (got {value!r})"
        raise ScheduleError(msg)
    return x


class _WholeTimes(_Leaf):
    """A leaf constant on each ``[k, k + 1)``, decided by a Python callable.

    There is no shape to exploit: its exact extrema and breakpoints come from its value at
    every whole time.
    """

    __slots__ = ()
    opaque_self = True

    def _extrema(self, lattice: Lattice) -> tuple[float, float]:
        return every_point(self, lattice, "it wraps a Python callable")

    def _breakpoints(self, end: float) -> FloatArray:
        whole = Lattice(0.0, 1.0, math.ceil(end))
        if whole.count > 1 << 22:
            every_point(self, whole, "it wraps a Python callable")  # raises: too many
        values = values_at(self, whole.times())
        changes: FloatArray = (np.flatnonzero(np.diff(values)) + 1).astype(np.float64)
        return changes


MULTIPLICATIVE_HORIZON = 2**24
"""Largest `floor(t)` at which a `multiplicative` of a callable can be evaluated.

Its value at `t` needs `factor(1), ..., factor(floor(t))`: there is no closed form. The
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
            msg = (
                f"t must be < {MULTIPLICATIVE_HORIZON + 1} for "
                f"multiplicative({callable_name(self._factor)}) (got t = {n}): its value is a "
                f"running product of {n} calls of a Python callable"
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
                checked = [checked_value("factor", k, v) for k, v in zip(ks, values, strict=True)]
                new = np.array(checked)
            # The running product continues from the last one. It may overflow to inf or
            # underflow to 0, never a warning; a factor 0 after an overflow wins (0, not NaN).
            with np.errstate(over="ignore", under="ignore", invalid="ignore"):
                new[0] *= products[-1]
                np.cumprod(new, out=new)
            new[np.isnan(new)] = 0.0
            self._products = products = np.concatenate([products, new])
        return products


@final
@attrs.frozen(repr=False)
class Multiplicative(_WholeTimes):
    """`prod(factor(k) for k in 1..floor(t))` for a Python callable `factor`."""

    factor: Callable[[int], float]
    _cache: _PrefixProducts = attrs.field(
        init=False,
        eq=False,
        hash=False,
        default=attrs.Factory(lambda self: _PrefixProducts(self.factor), takes_self=True),
    )

    def _formula(self, xp: Any, t: Any) -> Any:
        return on_host(xp, t, self._products, self)

    def _products(self, t: FloatArray) -> FloatArray:
        steps = np.floor(t).astype(np.int64)
        products = self._cache.upto(int(steps.max(initial=0)))
        return np.take(products, steps)

    def _spelling(self) -> Call:
        return call(self, multiplicative)

    def _scalar(self) -> ScalarFunction:
        upto, floor = self._cache.upto, math.floor

        def multiplicative_at(t: float) -> float:
            n = floor(t)
            return float(upto(n)[n])

        return multiplicative_at


@final
@attrs.frozen(repr=False)
class Function(_WholeTimes):
    """`fn(floor(t))` for a Python callable `fn` called with ints."""

    # Compared with ==, but left out of the hash: a callable may be unhashable (an instance of a
    # dataclass with eq=True), and the schedule must stay hashable (bind keys schedules by it).
    fn: Callable[[int], float] = attrs.field(hash=False)

    def _formula(self, xp: Any, t: Any) -> Any:
        return on_host(xp, t, self._calls, self)

    def _calls(self, t: FloatArray) -> FloatArray:
        # One call per distinct whole time.
        steps, where = np.unique(np.floor(t), return_inverse=True)
        values = np.array([self._checked(int(k)) for k in steps], dtype=np.float64)
        return values[where].reshape(t.shape)

    def _checked(self, k: int) -> float:
        return checked_value(f"function({callable_name(self.fn)}): fn", k, self.fn(k))

    def _spelling(self) -> Call:
        return call(self, function)

    def _scalar(self) -> ScalarFunction:
        checked, floor = self._checked, math.floor

        def function_at(t: float) -> float:
            return checked(floor(t))

        return function_at


# ------------------------------------------------------------------------------ constructors


@constructor
def constant(value: float) -> Schedule:
    """The same value at every time: $s(t) = value$.

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
    r"""Decay by `gamma` every `size` time units: $s(t) = \gamma^{\lfloor t / size \rfloor}$.

    torch's `StepLR(step_size=size, gamma=gamma)`. `step(size, 1)` is `constant(1)`.

    Args:
        size: Length of each step, > 0 (need not be an integer).
        gamma: Factor applied at `t = size, 2*size, ...`; > 0.

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
    r"""Decay by `gamma` at each point: $s(t) = \gamma^{\#\{p \in points : p \le t\}}$.

    torch's `MultiStepLR(milestones=points, gamma=gamma)`. Points are counted with
    multiplicity (a repeated point applies `gamma` twice) and may be given in any order.

    Args:
        points: Times >= 0 at which `gamma` applies (inclusive: `s(p)` already includes it).
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
    r"""Decay by `gamma` per time unit, continuously: $s(t) = \gamma^t$.

    torch's `ExponentialLR(gamma=gamma)`.

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
    r"""Multiply by `factor(k)` at each whole time k = 1, 2, ...

    $$s(t) = \prod_{k=1}^{\lfloor t \rfloor} factor(k)$$


    torch's `MultiplicativeLR(lr_lambda=factor)`. A number is the same factor every step, which
    is `step(1, factor)` (and is returned as such). A callable is called with ints, once per k
    over the schedule's life (results are cached); it makes the schedule *opaque*: it has a repr
    but that repr cannot be evaluated back.

    Args:
        factor: A number > 0, or a callable `int -> float` returning finite numbers.

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
def function(fn: Callable[[int], float]) -> Schedule:
    r"""Wrap a Python callable of the step number: $s(t) = fn(\lfloor t \rfloor)$.

    torch's `LambdaLR(lr_lambda=fn)` is `function(fn)` times the base lr. `fn` is called
    with Python ints, as torch calls it, and must return a finite real number; between whole
    times the value is held. Each evaluation calls `fn` again (once per distinct whole time
    for an array), so `fn` should be a pure function of its argument.

    The schedule is *opaque*: it has a repr (the callable's name) but that repr cannot be
    evaluated back, and it cannot be serialized. Prefer the closed-form constructors when one
    expresses the same schedule.

    Args:
        fn: A callable `int -> float`.

    Examples:
        >>> import lrsched as ls
        >>> def every_ten(k):
        ...     return 0.5 ** (k // 10)
        >>> s = ls.function(every_ten)
        >>> s
        function(every_ten)
        >>> s(0), s(9.5), s(10), s(25)
        (1.0, 1.0, 0.5, 0.25)

    """
    if not callable(fn):
        msg = f"fn must be callable (got {type(fn).__name__}: {fn!r})"
        raise TypeError(msg)
    return Function(fn)
