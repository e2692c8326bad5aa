"""Pointwise arithmetic of schedules: sums, quotients, powers, minimum, maximum and tanh.

Each node is its formula at the same time ``t`` (``(s1 + s2)(t) = s1(t) + s2(t)``). The
constructors are the operators' meaning (``s1 + s2`` is ``add(s1, s2)``, ``s / k`` is
``divide(s, k)``, ``s ** p`` is ``power(s, p)``) and simplify so that one meaning has one tree:
numbers fold, nested sums flatten, ``s + 0``, ``s / 1`` and ``s ** 1`` are ``s``.

Where a value could be NaN or infinite at a finite time (a division by a schedule that may be
0, a power of one that may be negative), the constructor refuses, by the interval every node
gives for its values (``_range``). A node's exact extrema over a lattice of times come from
branch and bound on its children's exact extrema over windows of the lattice
(`lrsched._lattice.branch_and_bound`), or, for a monotone map such as ``tanh``, from its
child's extrema directly.
"""

from __future__ import annotations

import functools
import math
import numbers
from typing import Any, final

import attrs
import numpy as np

from lrsched._combinators import PRODUCT, clamp, product
from lrsched._core import FloatArray, ScalarFunction, Schedule, scalar_function
from lrsched._errors import ScheduleError
from lrsched._lattice import Lattice, Part, branch_and_bound
from lrsched._leaves import Constant
from lrsched._registry import constructor
from lrsched._spelling import Call, Infix, call, format_number
from lrsched._validate import finite, schedule

__all__ = ["ADD", "POWER", "add", "divide", "maximum", "minimum", "power", "tanh"]

ADD = 1
"""The precedence of ``+`` in spellings (``*`` and ``/`` are 2, ``**`` is 3)."""
POWER = 3

_INF = math.inf
Interval = tuple[float, float]


def _operand(value: object) -> object:
    """How a child is written inside an operator: a constant as its number."""
    return value.value if isinstance(value, Constant) else value


def _concatenated(children: tuple[Schedule, ...], end: float) -> FloatArray:
    found = [np.asarray(c._breakpoints(end), dtype=np.float64).ravel() for c in children]
    return np.concatenate(found) if found else np.empty(0)


def _shown(s: Schedule) -> str:
    text = repr(s)
    return text if len(text) <= 60 else text[:57] + "..."


def _interval(low: float, high: float) -> str:
    return f"[{format_number(low)}, {format_number(high)}]"


# ------------------------------------------------------------------------------------- sums


@final
@attrs.frozen(repr=False)
class Sum(Schedule):
    """`offset + terms[0](t) + terms[1](t) + ...`, added left to right."""

    offset: float
    terms: tuple[Schedule, ...]

    def _formula(self, xp: Any, t: Any) -> Any:
        value = self.terms[0]._formula(xp, t)
        if self.offset:
            value = self.offset + value
        for term in self.terms[1:]:
            value = value + term._formula(xp, t)
        return value

    def _spelling(self) -> Infix:
        operands = (self.offset, *self.terms) if self.offset else self.terms
        return Infix("+", "add", tuple(_operand(o) for o in operands), ADD)

    def _parts(self) -> tuple[Part, ...]:
        return tuple(Part(term) for term in self.terms)

    def _breakpoints(self, end: float) -> FloatArray:
        return _concatenated(self.terms, end)

    def _extrema(self, lattice: Lattice) -> Interval:
        if len(self.terms) == 1:  # x -> offset + x never turns back, also in floats
            low, high = self.terms[0]._extrema(lattice)
            return self.offset + low, self.offset + high
        return branch_and_bound(self, lattice, self._bounds)

    def _bounds(self, window: Lattice) -> Interval:
        low = high = self.offset
        for term in self.terms:
            lo, hi = term._extrema(window)
            low, high = low + lo, high + hi
        return low, high

    def _range(self) -> Interval:
        low = high = self.offset
        for term in self.terms:
            lo, hi = term._range()
            low, high = low + lo, high + hi
        return low, high

    def _scalar(self) -> ScalarFunction:
        offset = self.offset
        terms = tuple(scalar_function(term) for term in self.terms)
        if len(terms) == 1:
            (only,) = terms

            def sum1_at(t: float) -> float:
                return offset + only(t)

            return sum1_at
        if len(terms) == 2 and not offset:
            first, second = terms

            def sum2_at(t: float) -> float:
                return first(t) + second(t)

            return sum2_at
        if len(terms) == 2:
            first, second = terms

            def offset_sum2_at(t: float) -> float:
                return offset + first(t) + second(t)

            return offset_sum2_at

        def sum_at(t: float) -> float:
            value = offset + terms[0](t) if offset else terms[0](t)
            for term in terms[1:]:
                value += term(t)
            return value

        return sum_at


@constructor
def add(*schedules: Schedule | float) -> Schedule:
    r"""Add schedules (and numbers) pointwise: $s_1(t) + s_2(t) + \dots$.

    Also written `s1 + s2`, `k + s`, `s - k` and `s1 - s2` (which is `s1 + -1 * s2`, printed
    `s1 - s2`). Nested sums flatten and the numbers fold into one leading offset (added first,
    then the schedules left to right); `s + 0` is `s` and `add()` is `constant(0)`.

    Args:
        schedules: Schedules or finite numbers.

    Examples:
        >>> import lrsched as ls
        >>> s = 0.01 + 0.99 * ls.cosine(100)
        >>> s
        0.01 + 0.99 * cosine(100)
        >>> s(0), s(100)
        (1.0, 0.01)
        >>> 1 - ls.cosine(10) ** 0.5
        1 - cosine(10) ** 0.5
        >>> ls.cosine(10) + 0 == ls.cosine(10)
        True

    """
    offset = 0.0
    terms: list[Schedule] = []
    for i, item in enumerate(schedules):
        if isinstance(item, Sum):
            offset += item.offset
            terms.extend(item.terms)
        elif isinstance(item, Constant):
            offset += item.value
        elif isinstance(item, Schedule):
            terms.append(item)
        elif isinstance(item, numbers.Real) and not isinstance(item, bool):
            offset += finite(f"term {i}", item)
        else:
            msg = f"term {i} must be a Schedule or a number (got {type(item).__name__}: {item!r})"
            raise TypeError(msg)
    if not math.isfinite(offset):
        msg = f"the sum of the numeric terms must be finite (got {offset!r})"
        raise ScheduleError(msg)
    offset += 0.0  # -0.0 -> 0.0
    if not terms:
        return Constant(offset)
    if not offset and len(terms) == 1:
        return terms[0]
    return Sum(offset, tuple(terms))


# -------------------------------------------------------------------------------- quotients


@final
@attrs.frozen(repr=False)
class Quotient(Schedule):
    """`numerator(t) / denominator(t)`; the denominator is never 0 (checked when built)."""

    numerator: Schedule
    denominator: Schedule

    def _formula(self, xp: Any, t: Any) -> Any:
        return self.numerator._formula(xp, t) / self.denominator._formula(xp, t)

    def _spelling(self) -> Infix:
        operands = (_operand(self.numerator), _operand(self.denominator))
        return Infix("/", "divide", operands, PRODUCT)

    def _parts(self) -> tuple[Part, ...]:
        return (Part(self.numerator), Part(self.denominator))

    def _breakpoints(self, end: float) -> FloatArray:
        return _concatenated((self.numerator, self.denominator), end)

    def _extrema(self, lattice: Lattice) -> Interval:
        if isinstance(self.denominator, Constant):  # x -> x / k is monotone
            low, high = self.numerator._extrema(lattice)
            k = self.denominator.value
            return (low / k, high / k) if k > 0 else (high / k, low / k)
        return branch_and_bound(self, lattice, self._bounds)

    def _bounds(self, window: Lattice) -> Interval:
        return _divided(self.numerator._extrema(window), self.denominator._extrema(window))

    def _range(self) -> Interval:
        return _divided(self.numerator._range(), self.denominator._range())

    def _scalar(self) -> ScalarFunction:
        num, den = scalar_function(self.numerator), scalar_function(self.denominator)

        def quotient_at(t: float) -> float:
            return num(t) / den(t)

        return quotient_at


def _divided(a: Interval, b: Interval) -> Interval:
    """The interval quotient ``a / b`` for ``b`` not containing 0."""
    with np.errstate(all="ignore"):
        corners = [x / y for x in a for y in b]
    corners = [c for c in corners if not math.isnan(c)] or [-_INF, _INF]
    return min(corners), max(corners)


@constructor
def divide(numerator: Schedule | float, denominator: Schedule | float) -> Schedule:
    r"""Divide pointwise: $numerator(t) / denominator(t)$.

    Also written `s / k`, `k / s` and `s1 / s2`. A denominator whose values may be 0 (or change
    sign) is refused: the quotient would be infinite or NaN there. Dividing by a number is a
    division (`t / 3` is exact where `t * 0.3333333333333333` is not), except by a power of two,
    which is the product by its exact inverse (`s / 2` is `0.5 * s`); `s / 1` is `s`.

    Args:
        numerator: A schedule or a finite number.
        denominator: A schedule or a finite number whose values are never 0.

    Examples:
        >>> import lrsched as ls
        >>> s = 0.1 / (1 + 0.5 * ls.time() / 10)       # Keras' InverseTimeDecay
        >>> s
        0.1 / (1 + 0.5 * time() / 10)
        >>> s(0), s(20)
        (0.1, 0.05)
        >>> ls.cosine(10) / 2
        0.5 * cosine(10)
        >>> ls.constant(1) / ls.cosine(10)
        Traceback (most recent call last):
        lrsched._errors.ScheduleError: denominator may be 0: cosine(10) takes values in [0, 1]

    """
    num = _as_schedule("numerator", numerator)
    den = _as_schedule("denominator", denominator)
    low, high = den._range()
    if low <= 0.0 <= high:
        msg = f"denominator may be 0: {_shown(den)} takes values in {_interval(low, high)}"
        raise ScheduleError(msg)
    if isinstance(den, Constant):
        k = den.value
        inverse = 1.0 / k
        if k == 1.0:
            return num
        if isinstance(num, Constant):
            return Constant(_finite_result("numerator / denominator", num.value / k))
        if math.isfinite(inverse) and math.frexp(abs(k))[0] == 0.5:  # a power of two
            return product(inverse, num)
    if isinstance(num, Constant) and num.value == 0.0:
        return Constant(0.0)
    return Quotient(num, den)


def _as_schedule(name: str, value: object) -> Schedule:
    if isinstance(value, Schedule):
        return value
    if isinstance(value, numbers.Real) and not isinstance(value, bool):
        return Constant(finite(name, value))
    msg = f"{name} must be a Schedule or a number (got {type(value).__name__}: {value!r})"
    raise TypeError(msg)


def _finite_result(what: str, value: float) -> float:
    if not math.isfinite(value):
        msg = f"{what} must be finite (got {value!r})"
        raise ScheduleError(msg)
    return value + 0.0


# ----------------------------------------------------------------------------------- powers


@final
@attrs.frozen(repr=False)
class Power(Schedule):
    """`s(t) ** exponent`; `s` is never negative for a non-whole exponent (checked when built)."""

    schedule: Schedule
    exponent: float

    def _formula(self, xp: Any, t: Any) -> Any:
        return xp.pow(self.schedule._formula(xp, t), self.exponent)

    def _spelling(self) -> Infix:
        return Infix("**", "power", (_operand(self.schedule), self.exponent), POWER)

    def _parts(self) -> tuple[Part, ...]:
        return (Part(self.schedule),)

    def _breakpoints(self, end: float) -> Any:
        return self.schedule._breakpoints(end)

    def _extrema(self, lattice: Lattice) -> Interval:
        if self.schedule._range()[0] >= 0.0:  # x -> x ** p is monotone on [0, inf)
            lo, hi = self.schedule._extrema(lattice)
            a, b = _pow(lo, self.exponent), _pow(hi, self.exponent)
            return min(a, b), max(a, b)
        return branch_and_bound(self, lattice, self._bounds)

    def _bounds(self, window: Lattice) -> Interval:
        return _powered(self.schedule._extrema(window), self.exponent)

    def _range(self) -> Interval:
        return _powered(self.schedule._range(), self.exponent)

    def _scalar(self) -> ScalarFunction:
        inner, p = scalar_function(self.schedule), self.exponent

        def power_at(t: float) -> float:
            try:
                return float(inner(t) ** p)
            except OverflowError:
                return _INF if inner(t) > 0 or p % 2 == 0 else -_INF
            except ZeroDivisionError:  # pragma: no cover - refused when built
                return _INF

        return power_at


def _pow(x: float, p: float) -> float:
    with np.errstate(all="ignore"):
        return float(np.power(x, p))


def _powered(a: Interval, p: float) -> Interval:
    """The interval ``a ** p`` (``a >= 0`` unless ``p`` is whole; never ``0 ** -p``)."""
    low, high = a
    corners = [_pow(low, p), _pow(high, p)]
    if low < 0.0 < high and p > 0:
        corners.append(0.0)
    corners = [c for c in corners if not math.isnan(c)] or [-_INF, _INF]
    return min(corners), max(corners)


@constructor
def power(s: Schedule, exponent: float) -> Schedule:
    r"""Raise a schedule to a number pointwise: $s(t)^{exponent}$.

    Also written `s ** p`. `s ** 1` is `s` and `s ** 0` is `constant(1)`. Refused: a non-whole
    exponent of a schedule that may be negative, and a negative exponent of one that may be 0.

    Args:
        s: The base.
        exponent: A finite number.

    Examples:
        >>> import lrsched as ls
        >>> s = 0.1 * ((1 - 0.01) * ls.cosine(100) ** 1.5 + 0.01)   # optax, exponent=1.5
        >>> round(s(50), 12)
        0.036001785669
        >>> (ls.cosine(10) - 0.5) ** 0.5  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        lrsched._errors.ScheduleError: s ** 0.5 is not real where s < 0: -0.5 + cosine(10) ...

    """
    s = schedule("s", s)
    p = finite("exponent", exponent)
    if p == 1.0:
        return s
    if p == 0.0:
        return Constant(1.0)
    if isinstance(s, Constant):
        return Constant(_finite_result("s ** exponent", _pow(s.value, p)))
    low, high = s._range()
    if low < 0.0 and not p.is_integer():
        msg = (
            f"s ** {format_number(p)} is not real where s < 0: {_shown(s)} takes values in "
            f"{_interval(low, high)}"
        )
        raise ScheduleError(msg)
    if p < 0.0 and low <= 0.0 <= high:
        msg = (
            f"s ** {format_number(p)} is infinite where s = 0: {_shown(s)} takes values in "
            f"{_interval(low, high)}"
        )
        raise ScheduleError(msg)
    return Power(s, p)


# -------------------------------------------------------------------------- minimum, maximum


class _Extreme(Schedule):
    """The pointwise minimum or maximum of several schedules (abstract: see the two below)."""

    __slots__ = ()
    schedules: tuple[Schedule, ...]
    _pick: Any  # np.minimum or np.maximum
    _choose: Any  # min or max

    def _formula(self, xp: Any, t: Any) -> Any:
        pick = getattr(xp, self._pick.__name__)
        return functools.reduce(pick, (s._formula(xp, t) for s in self.schedules))

    def _parts(self) -> tuple[Part, ...]:
        return tuple(Part(s) for s in self.schedules)

    def _breakpoints(self, end: float) -> FloatArray:
        return _concatenated(self.schedules, end)

    def _extrema(self, lattice: Lattice) -> Interval:
        return branch_and_bound(self, lattice, self._bounds)

    def _bounds(self, window: Lattice) -> Interval:
        found = [s._extrema(window) for s in self.schedules]
        return self._choose(lo for lo, _ in found), self._choose(hi for _, hi in found)

    def _range(self) -> Interval:
        found = [s._range() for s in self.schedules]
        return self._choose(lo for lo, _ in found), self._choose(hi for _, hi in found)

    def _scalar(self) -> ScalarFunction:
        fns, choose = tuple(scalar_function(s) for s in self.schedules), self._choose

        def extreme_at(t: float) -> float:
            return float(choose(fn(t) for fn in fns))

        return extreme_at

    def _spelled(self, fn: Any) -> Call:
        return call(self, fn, schedules=[_operand(s) for s in self.schedules])


@final
@attrs.frozen(repr=False)
class Minimum(_Extreme):
    """`min(schedules[0](t), schedules[1](t), ...)`."""

    schedules: tuple[Schedule, ...]
    _pick = np.minimum
    _choose = min

    def _spelling(self) -> Call:
        return self._spelled(minimum)


@final
@attrs.frozen(repr=False)
class Maximum(_Extreme):
    """`max(schedules[0](t), schedules[1](t), ...)`."""

    schedules: tuple[Schedule, ...]
    _pick = np.maximum
    _choose = max

    def _spelling(self) -> Call:
        return self._spelled(maximum)


def _operands(
    kind: type[_Extreme], items: tuple[object, ...]
) -> tuple[list[Schedule], float | None]:
    """The distinct schedules (nested ones of the same kind inlined) and the folded number."""
    bound: float | None = None
    found: list[Schedule] = []
    for i, item in enumerate(items):
        for one in item.schedules if isinstance(item, kind) else (item,):
            value = one.value if isinstance(one, Constant) else one
            if isinstance(value, Schedule):
                if value not in found:  # min(s, s) is s
                    found.append(value)
            elif isinstance(value, numbers.Real) and not isinstance(value, bool):
                value = finite(f"schedules[{i}]", value)
                bound = value if bound is None else kind._choose(bound, value)
            else:
                msg = (
                    f"schedules[{i}] must be a Schedule or a number "
                    f"(got {type(value).__name__}: {value!r})"
                )
                raise TypeError(msg)
    return found, bound


def _extreme(kind: type[_Extreme], items: tuple[object, ...]) -> Schedule:
    found, bound = _operands(kind, items)
    if not found:
        if bound is None:
            msg = "schedules must not be empty"
            raise ScheduleError(msg)
        return Constant(bound)
    if len(found) == 1:
        if bound is None:
            return found[0]
        return clamp(found[0], high=bound) if kind is Minimum else clamp(found[0], low=bound)
    tail = () if bound is None else (Constant(bound),)
    node: Schedule = kind(tuple(found) + tail)  # type: ignore[call-arg]  # the final kinds
    return node


@constructor
def minimum(*schedules: Schedule | float) -> Schedule:
    r"""The pointwise minimum: $\min(s_1(t), s_2(t), \dots)$ (a ceiling that is a schedule).

    Numbers fold into one bound; `minimum(s, k)` is `clamp(s, high=k)`; nested minimums
    flatten.

    Args:
        schedules: Schedules or finite numbers, at least one.

    Examples:
        >>> import lrsched as ls
        >>> s = ls.minimum(ls.linear(0, 1, 10), ls.cosine(10))
        >>> s(0), s(5), s(10)
        (0.0, 0.5, 0.0)
        >>> ls.minimum(ls.cosine(10), 0.5)
        clamp(cosine(10), high=0.5)

    """
    return _extreme(Minimum, schedules)


@constructor
def maximum(*schedules: Schedule | float) -> Schedule:
    r"""The pointwise maximum: $\max(s_1(t), s_2(t), \dots)$ (a floor that is a schedule).

    Numbers fold into one bound; `maximum(s, k)` is `clamp(s, low=k)`; nested maximums
    flatten.

    Args:
        schedules: Schedules or finite numbers, at least one.

    Examples:
        >>> import lrsched as ls
        >>> s = ls.maximum(ls.cosine(100), 0.1 * ls.exponential(0.99))
        >>> s(0), round(s(100), 6)
        (1.0, 0.036603)

    """
    return _extreme(Maximum, schedules)


# ------------------------------------------------------------------------------------- tanh


@final
@attrs.frozen(repr=False)
class Tanh(Schedule):
    """`tanh(s(t))`."""

    schedule: Schedule

    def _formula(self, xp: Any, t: Any) -> Any:
        return xp.tanh(self.schedule._formula(xp, t))

    def _spelling(self) -> Call:
        return call(self, tanh, s=self.schedule)

    def _parts(self) -> tuple[Part, ...]:
        return (Part(self.schedule),)

    def _breakpoints(self, end: float) -> Any:
        return self.schedule._breakpoints(end)

    def _extrema(self, lattice: Lattice) -> Interval:
        low, high = self.schedule._extrema(lattice)  # tanh never turns back
        return float(np.tanh(low)), float(np.tanh(high))  # the formula's own tanh

    def _range(self) -> Interval:
        low, high = self.schedule._range()
        return float(np.tanh(low)), float(np.tanh(high))


@constructor
def tanh(s: Schedule) -> Schedule:
    r"""The hyperbolic tangent of a schedule: $\tanh(s(t))$, in $(-1, 1)$.

    timm's `TanhLRScheduler` is `lr_min + (lr_max - lr_min) * (1 - tanh(linear(lb, ub, T))) / 2`
    over its `T` steps.

    Args:
        s: The schedule.

    Examples:
        >>> import lrsched as ls
        >>> shape = (1 - ls.tanh(ls.linear(-7, 3, 100))) / 2
        >>> round(shape(0), 6), round(shape(70), 6), round(shape(99), 6)
        (0.999999, 0.5, 0.003018)

    """
    s = schedule("s", s)
    if isinstance(s, Constant):
        return Constant(math.tanh(s.value))
    return Tanh(s)
