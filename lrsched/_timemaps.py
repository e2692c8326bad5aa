"""Maps of time: a schedule read at another time.

The time itself, stretch, a negative shift (run from part-way), staircase, and composition with
a clock that is itself a schedule.

A time map changes *when* its child is read, never its values, so its range is its child's.
Times a map produces are kept finite (an overflowing clock reads as the largest float, the
far future), so the child is only ever evaluated at valid times.
"""

from __future__ import annotations

import itertools
import math
import sys
from typing import Any, final

import attrs
import numpy as np

from lrsched._arrays import capped
from lrsched._core import FloatArray, ScalarFunction, Schedule, scalar_function
from lrsched._errors import ScheduleError
from lrsched._lattice import Lattice, Part, every_point, extrema_by_cuts, multiples
from lrsched._leaves import Constant
from lrsched._registry import CONSTRUCTORS, constructor
from lrsched._spelling import Call, call, format_number
from lrsched._validate import positive, schedule

__all__ = ["Advance", "Time", "advance", "compose", "staircase", "stretch", "time"]

_MAX = sys.float_info.max
_DIRECT = 1 << 16
"""Lattices up to this many times are evaluated outright by the maps whose mapped lattice is
not the same floats as their formula's times (``t / factor``, ``t + skip``); longer ones ask
the child about the mapped lattice, exact up to the last bit of that map."""
_INF = math.inf
Interval = tuple[float, float]


def _listed(points: Any) -> list[float]:
    listed: list[float] = np.asarray(points, dtype=np.float64).ravel().tolist()
    return listed


@final
@attrs.frozen(repr=False)
class Time(Schedule):
    """The time itself: `t`."""

    def _formula(self, xp: Any, t: Any) -> Any:
        return t + 0.0  # a new array: the caller's t is never handed on

    def _spelling(self) -> Call:
        return call(self, time)

    def _parts(self) -> tuple[Part, ...]:
        return ()

    def _breakpoints(self, end: float) -> tuple[float, ...]:
        return ()

    def _extrema(self, lattice: Lattice) -> Interval:
        return extrema_by_cuts(self, lattice, ())  # increasing

    def _range(self) -> Interval:
        return (0.0, _INF)

    def _scalar(self) -> ScalarFunction:
        def time_at(t: float) -> float:
            return t

        return time_at


@constructor
def time() -> Schedule:
    """The time itself, `s(t) = t`: the clock that other clocks are built from.

    Useful inside expressions: `lr / (1 + rate * time() / n)` (an inverse-time decay),
    `compose(s, time() ** k)` (a power warp of time), `1 + time() / c` (a cycle counter).

    Examples:
        >>> import lrsched as ls
        >>> ls.time()(7.5)
        7.5
        >>> (1 / (1 + ls.time() / 10))(30)
        0.25

    """
    return Time()


@final
@attrs.frozen(repr=False)
class Stretch(Schedule):
    """`s(t / factor)`."""

    schedule: Schedule
    factor: float

    def _formula(self, xp: Any, t: Any) -> Any:
        return self.schedule._formula(xp, capped(xp, t / self.factor))

    def _spelling(self) -> Call:
        return call(self, stretch, s=self.schedule)

    def _parts(self) -> tuple[Part, ...]:
        return (Part(self.schedule, 0.0, _INF, None),)

    def _remark(self, offset: float) -> str:
        return f"its clock runs {format_number(self.factor)} times slower"

    def _breakpoints(self, end: float) -> list[float]:
        f = self.factor
        return [b * f for b in _listed(self.schedule._breakpoints(end / f))]

    def _extrema(self, lattice: Lattice) -> Interval:
        if lattice.count <= _DIRECT:
            return every_point(self, lattice, "")
        return self.schedule._extrema(lattice.scaled(self.factor))

    def _range(self) -> Interval:
        return self.schedule._range()

    def _scalar(self) -> ScalarFunction:
        inner, f = scalar_function(self.schedule), self.factor

        def stretch_at(t: float) -> float:
            return inner(min(t / f, _MAX))

        return stretch_at


@constructor
def stretch(s: Schedule, factor: float) -> Schedule:
    """Run `s` `factor` times slower: `s(t / factor)` (a whole budget rescaled).

    `stretch(s, 2)` takes twice as long; `stretch(s, 1)` is `s`, and stretches of stretches
    fuse (`stretch(stretch(s, a), b)` is `stretch(s, a * b)`).

    Args:
        s: The schedule.
        factor: How many times longer it takes, > 0.

    Examples:
        >>> import lrsched as ls
        >>> s = ls.stretch(ls.exponential(0.5), 10)    # 0.5 ** (t / 10): optax, Keras
        >>> s(10), s(25)
        (0.5, 0.1767766952966369)

    """
    s = schedule("s", s)
    f = positive("factor", factor)
    if isinstance(s, Stretch):
        f *= s.factor
        s = s.schedule
    if f == 1.0 or isinstance(s, Constant):
        return s
    if isinstance(s, Time):  # the time stretched is time() / factor: one tree
        return s / f
    if not math.isfinite(f):
        msg = f"the combined stretch factor must be finite (got {f!r})"
        raise ScheduleError(msg)
    return Stretch(s, f)


@final
@attrs.frozen(repr=False)
class Advance(Schedule):
    """`s(t + skip)`: `s` entered part-way (written `shift(s, -skip)`)."""

    schedule: Schedule
    skip: float

    def _formula(self, xp: Any, t: Any) -> Any:
        return self.schedule._formula(xp, capped(xp, t + self.skip))

    def _spelling(self) -> Call:
        shift = CONSTRUCTORS["shift"]
        return call(self, shift, s=self.schedule, delay=-self.skip, before=None)

    def _parts(self) -> tuple[Part, ...]:
        return (Part(self.schedule, 0.0, _INF, -self.skip),)

    def _remark(self, offset: float) -> str:
        return f"entered at its t = {format_number(self.skip)}"

    def _breakpoints(self, end: float) -> list[float]:
        a = self.skip
        return [b - a for b in _listed(self.schedule._breakpoints(end + a)) if b > a]

    def _extrema(self, lattice: Lattice) -> Interval:
        exact = (lattice.start + self.skip).is_integer() and lattice.step.is_integer()
        if not exact and lattice.count <= _DIRECT:
            return every_point(self, lattice, "")
        return self.schedule._extrema(
            Lattice(lattice.start + self.skip, lattice.step, lattice.count)
        )

    def _range(self) -> Interval:
        return self.schedule._range()

    def _scalar(self) -> ScalarFunction:
        inner, a = scalar_function(self.schedule), self.skip

        def advance_at(t: float) -> float:
            return inner(min(t + a, _MAX))

        return advance_at


def advance(s: Schedule, skip: float) -> Schedule:
    """`s(t + skip)` for `skip > 0`: what `shift(s, -skip)` builds (advances fuse)."""
    if isinstance(s, Advance):
        skip += s.skip
        s = s.schedule
    if isinstance(s, Constant):
        return s
    if isinstance(s, Time):  # the time advanced is time() + skip: one tree
        return skip + s
    return Advance(s, skip)


@final
@attrs.frozen(repr=False)
class Staircase(Schedule):
    """`s(size * floor(t / size))`: `s` held at the start of each step."""

    schedule: Schedule
    size: float

    def _formula(self, xp: Any, t: Any) -> Any:
        held = self.size * xp.floor(t / self.size)
        return self.schedule._formula(xp, xp.where(xp.isnan(held), 0.0, held))

    def _spelling(self) -> Call:
        return call(self, staircase, s=self.schedule)

    def _parts(self) -> tuple[Part, ...]:
        return (Part(self.schedule, 0.0, _INF, None),)

    def _remark(self, offset: float) -> str:
        return f"held over steps of {format_number(self.size)}"

    def _breakpoints(self, end: float) -> FloatArray:
        return multiples(self, self.size, end)

    def _extrema(self, lattice: Lattice) -> Interval:
        size = self.size
        whole = size.is_integer() and lattice.start.is_integer() and lattice.step.is_integer()
        if whole and lattice.step <= size:
            # Every step the lattice meets is read at its start: the child on the lattice of
            # those starts (whole numbers: the same floats as the formula's).
            first = math.floor(lattice.start / size)
            last = math.floor(lattice.last / size)
            return self.schedule._extrema(Lattice(size * first, size, last - first + 1))
        return every_point(self, lattice, "the steps and the times do not line up")

    def _range(self) -> Interval:
        return self.schedule._range()

    def _scalar(self) -> ScalarFunction:
        inner, size, floor = scalar_function(self.schedule), self.size, math.floor

        def staircase_at(t: float) -> float:
            n = t / size
            return inner(size * floor(n) if n < _INF else _MAX)

        return staircase_at


@constructor
def staircase(s: Schedule, size: float) -> Schedule:
    """Hold `s` piecewise constant: `s(size * floor(t / size))`, its value at each step's start.

    Keras' `staircase=True` of any shape: `staircase(lr / (1 + rate * time() / n), n)` is its
    `InverseTimeDecay(lr, n, rate, staircase=True)`. A staircase of a constant is the constant.

    Args:
        s: The schedule.
        size: The length of each step, > 0.

    Examples:
        >>> import lrsched as ls
        >>> s = ls.staircase(ls.linear(0, 1, 10), 5)
        >>> s(4), s(5), s(9), s(10)
        (0.0, 0.5, 0.5, 1.0)

    """
    s = schedule("s", s)
    size = positive("size", size)
    if isinstance(s, Constant) or (isinstance(s, Staircase) and s.size == size):
        return s
    return Staircase(s, size)


@final
@attrs.frozen(repr=False)
class Compose(Schedule):
    """`s(clock(t))`; the clock's values are never negative (checked when built)."""

    schedule: Schedule
    clock: Schedule

    def _formula(self, xp: Any, t: Any) -> Any:
        return self.schedule._formula(xp, capped(xp, self.clock._formula(xp, t)))

    def _spelling(self) -> Call:
        return call(self, compose, s=self.schedule)

    def _parts(self) -> tuple[Part, ...]:
        return (Part(self.schedule, 0.0, _INF, None), Part(self.clock))

    def _remark(self, offset: float) -> str:
        return "reads its first child at the time its second gives"

    def _breakpoints(self, end: float) -> list[float]:
        # The clock's own, and where the clock crosses a breakpoint of s: between two of its
        # breakpoints a clock is monotone (time(), curves, their powers and products), so each
        # crossing is found by bisection.
        clock = scalar_function(self.clock)
        cuts = sorted({0.0, *(b for b in _listed(self.clock._breakpoints(end)) if 0 < b < end)})
        out = [c for c in cuts if c > 0.0]
        edges = [*cuts, end]
        for a, b in itertools.pairwise(edges):
            last = math.nextafter(b, -_INF)
            ca, cb = clock(a), clock(last)
            low, high = min(ca, cb), max(ca, cb)
            inner = _listed(self.schedule._breakpoints(min(high, _MAX) + 1.0))
            out.extend(_crossing(clock, a, last, c, ca <= cb) for c in inner if low < c <= high)
        return out

    def _extrema(self, lattice: Lattice) -> Interval:
        return every_point(self, lattice, "the clock maps the times to no lattice")

    def _range(self) -> Interval:
        return self.schedule._range()

    def _scalar(self) -> ScalarFunction:
        inner, clock = scalar_function(self.schedule), scalar_function(self.clock)

        def compose_at(t: float) -> float:
            return inner(min(clock(t), _MAX))

        return compose_at


def _crossing(clock: ScalarFunction, a: float, b: float, c: float, rising: bool) -> float:
    """The first time in ``[a, b]`` at which a monotone ``clock`` reaches ``c``."""
    for _ in range(200):
        mid = a + (b - a) / 2
        if mid in {a, b}:
            break
        if (clock(mid) >= c) == rising:
            b = mid
        else:
            a = mid
    return b


@constructor
def compose(s: Schedule, clock: Schedule) -> Schedule:
    """Read `s` at the time another schedule gives: `s(clock(t))`.

    With `time()` this writes warps of time: timm's `k_decay` is
    `compose(cosine(T ** k), time() ** k)`. `compose(s, time())` is `s`; a clock
    `time() / f` is `stretch(s, f)` and `time() + a` is `shift(s, -a)`; compositions nest to
    the right (`compose(compose(s, m1), m2)` is `compose(s, compose(m1, m2))`). A clock whose
    values may be negative is refused (a schedule is not defined before 0).

    Args:
        s: The schedule read.
        clock: The schedule giving the time at which `s` is read; its values are >= 0.

    Examples:
        >>> import lrsched as ls
        >>> warped = ls.compose(ls.cosine(100**2), ls.time() ** 2)
        >>> warped(50) == ls.cosine(100**2)(2500)
        True
        >>> ls.compose(ls.cosine(100), ls.time() / 4)
        stretch(cosine(100), 4)

    """
    s = schedule("s", s)
    clock = schedule("clock", clock)
    low, high = clock._range()
    if low < 0.0:
        msg = (
            f"clock may be negative: {repr(clock)[:60]} takes values in "
            f"[{format_number(low)}, {format_number(high)}] (a schedule starts at t = 0)"
        )
        raise ScheduleError(msg)
    if isinstance(clock, Time) or isinstance(s, Constant):
        return s
    if isinstance(s, Time):
        return clock
    if isinstance(clock, Constant):
        return Constant(s(clock.value))
    mapped = _plain_map(s, clock)
    if mapped is not None:
        return mapped
    if isinstance(s, Compose):
        return compose(s.schedule, compose(s.clock, clock))
    return Compose(s, clock)


def _plain_map(s: Schedule, clock: Schedule) -> Schedule | None:
    """``stretch`` or ``shift`` of ``s`` if ``clock`` is ``time() / f`` or ``time() + a``."""
    from lrsched._arithmetic import Quotient, Sum  # noqa: PLC0415 (arithmetic imports this)
    from lrsched._combinators import Product  # noqa: PLC0415 (combinators import this module)

    if isinstance(clock, Quotient) and isinstance(clock.numerator, Time):
        return (
            stretch(s, clock.denominator.value) if isinstance(clock.denominator, Constant) else None
        )
    # t * 2**-k is exactly t / 2**k; a Product's scale is never 0.
    if isinstance(clock, Product) and clock.factors == (Time(),) and clock.scale > 0.0:
        return stretch(s, 1.0 / clock.scale) if math.frexp(clock.scale)[0] == 0.5 else None
    if isinstance(clock, Sum) and clock.terms == (Time(),) and clock.offset > 0.0:
        return advance(s, clock.offset)
    return None
