"""Schedules built from other schedules: warmup, concat, clamp, product.

The public constructors simplify degenerate cases (a one-piece concat is its piece, nested
products flatten, constant factors fold into one number), so that one meaning has one tree and
``==``, ``repr`` and serialization are predictable.
"""

from __future__ import annotations

import bisect
import math
import numbers
from collections.abc import Iterable
from typing import final

import attrs
import numpy as np

from lrsched._core import (
    FloatArray,
    ScalarFunction,
    Schedule,
    constructor,
    owned_over,
    scalar_function,
)
from lrsched._errors import ScheduleError
from lrsched._primitives import Constant
from lrsched._validate import finite, format_number, non_negative, sorted_points

__all__ = ["clamp", "concat", "product", "warmup"]


@final
@attrs.frozen(repr=False)
class Warmup(Schedule):
    """A linear ramp to ``s(0)`` over ``duration``, then ``s`` on its own clock."""

    _over_returns_new = True

    schedule: Schedule
    duration: float
    start: float = 0.0

    def _children(self) -> tuple[Schedule, ...]:
        return (self.schedule,)

    def _scalar(self) -> ScalarFunction:
        inner = scalar_function(self.schedule)
        d, start = self.duration, self.start
        slope = 1.0 - start

        if self.schedule.opaque:
            # A Python callable inside: ask for s(0) when needed, as a plain call would.
            def opaque_warmup_at(t: float) -> float:
                if t < d:
                    value = inner(0.0) * (start + slope * (t / d))
                    return value if value == value else 0.0  # noqa: PLR0124 (inf * 0: 0 wins)
                return inner(t - d)

            return opaque_warmup_at

        peak = inner(0.0)  # a value, computed once

        def warmup_at(t: float) -> float:
            if t < d:
                # The fraction t / d first: (1 - start) * t may overflow, t / d <= 1 cannot.
                value = peak * (start + slope * (t / d))
                return value if value == value else 0.0  # noqa: PLR0124 (inf * 0: 0 wins)
            return inner(t - d)

        return warmup_at

    def _at(self, t: float) -> float:
        return scalar_function(self)(t)

    def _over(self, t: FloatArray) -> FloatArray:
        d = self.duration
        ramp = t < d
        shifted = t - d
        np.maximum(shifted, 0.0, out=shifted)
        out = owned_over(self.schedule, shifted)
        if ramp.any():
            # s(0) * (start + (1 - start) * (t / d)) on the ramp only, in the scalar's order;
            # an s(0) that overflowed times a ramp at 0 is 0, as in a product.
            head = t[ramp]
            head /= d
            head *= 1.0 - self.start
            head += self.start
            with np.errstate(invalid="ignore"):
                head *= self.schedule._at(0.0)
            head[np.isnan(head)] = 0.0
            out[ramp] = head
        return out

    def __repr__(self) -> str:
        start = f", start={format_number(self.start)}" if self.start != 0.0 else ""
        return f"warmup({self.schedule!r}, {format_number(self.duration)}{start})"


@final
@attrs.frozen(repr=False)
class Concat(Schedule):
    """Piece i runs on ``[boundaries[i-1], boundaries[i])`` on its own clock."""

    _over_returns_new = True

    pieces: tuple[Schedule, ...]
    boundaries: tuple[float, ...]

    def _children(self) -> tuple[Schedule, ...]:
        return self.pieces

    def _scalar(self) -> ScalarFunction:
        pieces = tuple(scalar_function(p) for p in self.pieces)
        boundaries = self.boundaries
        if len(pieces) == 2:
            first, second = pieces
            (switch,) = boundaries

            def concat2_at(t: float) -> float:
                if t < switch:
                    return first(t)
                return second(t - switch)

            return concat2_at

        starts = (0.0, *boundaries)  # t - 0.0 is t: the first piece sees t itself
        which = bisect.bisect_right

        def concat_at(t: float) -> float:
            i = which(boundaries, t)
            return pieces[i](t - starts[i])

        return concat_at

    def _at(self, t: float) -> float:
        return scalar_function(self)(t)

    def _over(self, t: FloatArray) -> FloatArray:
        which = np.searchsorted(np.asarray(self.boundaries), t, side="right")
        out = np.empty(t.shape)
        starts = (0.0, *self.boundaries)
        # Only the pieces some t falls in: one pass per piece used, not per piece (10**5 pieces).
        used = np.unique(which).tolist() if len(self.pieces) > 8 else range(len(self.pieces))
        for i in used:
            mask = which == i
            if mask.any():
                out[mask] = self.pieces[i]._over(t[mask] - starts[i])
        return out

    def __repr__(self) -> str:
        pieces = ", ".join(repr(p) for p in self.pieces)
        boundaries = ", ".join(format_number(b) for b in self.boundaries)
        return f"concat([{pieces}], [{boundaries}])"


@final
@attrs.frozen(repr=False)
class Clamp(Schedule):
    """``s(t)`` limited to ``[low, high]`` (either bound may be absent)."""

    _over_returns_new = True

    schedule: Schedule
    low: float | None = None
    high: float | None = None

    def _children(self) -> tuple[Schedule, ...]:
        return (self.schedule,)

    def _scalar(self) -> ScalarFunction:
        inner = scalar_function(self.schedule)
        low, high = self.low, self.high
        if high is None:
            lo = -math.inf if low is None else low

            def clamp_low_at(t: float) -> float:
                value = inner(t)
                if value < lo:
                    return lo
                return value

            return clamp_low_at
        hi = high
        if low is None:

            def clamp_high_at(t: float) -> float:
                value = inner(t)
                if value > hi:
                    return hi
                return value

            return clamp_high_at
        lo = low

        def clamp_at(t: float) -> float:
            value = inner(t)
            if value < lo:
                return lo
            if value > hi:
                return hi
            return value

        return clamp_at

    def _at(self, t: float) -> float:
        return scalar_function(self)(t)

    def _over(self, t: FloatArray) -> FloatArray:
        values = owned_over(self.schedule, t)
        return np.clip(values, self.low, self.high, out=values)

    def __repr__(self) -> str:
        bounds = "".join(
            f", {name}={format_number(value)}"
            for name, value in (("low", self.low), ("high", self.high))
            if value is not None
        )
        return f"clamp({self.schedule!r}{bounds})"


@final
@attrs.frozen(repr=False)
class Product(Schedule):
    """``scale * factors[0](t) * factors[1](t) * ...``, multiplied left to right.

    A factor that underflowed to 0 wins over one that overflowed to inf: the product is 0, not
    the NaN that IEEE arithmetic gives for ``0 * inf``.
    """

    _over_returns_new = True

    scale: float
    factors: tuple[Schedule, ...]

    def _children(self) -> tuple[Schedule, ...]:
        return self.factors

    def _scalar(self) -> ScalarFunction:
        scale = self.scale
        factors = tuple(scalar_function(f) for f in self.factors)
        # `value == value` is False only for a NaN, which only 0 * inf makes.
        if len(factors) == 1:
            (only,) = factors

            def product1_at(t: float) -> float:
                value = scale * only(t)
                return value if value == value else 0.0  # noqa: PLR0124 (NaN test)

            return product1_at
        if len(factors) == 2:
            first, second = factors

            def product2_at(t: float) -> float:
                value = scale * first(t) * second(t)
                return value if value == value else 0.0  # noqa: PLR0124 (NaN test)

            return product2_at

        def product_at(t: float) -> float:
            value = scale
            for factor in factors:
                value *= factor(t)
            return value if value == value else 0.0  # noqa: PLR0124 (NaN test)

        return product_at

    def _at(self, t: float) -> float:
        return scalar_function(self)(t)

    def _over(self, t: FloatArray) -> FloatArray:
        first, *rest = self.factors
        with np.errstate(invalid="ignore"):
            value = owned_over(first, t)
            value *= self.scale  # scale * f0
            for factor in rest:
                value *= factor._over(t)
        nan = np.isnan(value)
        if nan.any():
            value[nan] = 0.0
        return value

    def __repr__(self) -> str:
        factors = [repr(f) for f in self.factors]
        if self.scale != 1.0:
            factors.insert(0, format_number(self.scale))
        return " * ".join(factors)


def _schedule(name: str, value: object) -> Schedule:
    if not isinstance(value, Schedule):
        msg = f"{name} must be a Schedule (got {type(value).__name__}: {value!r})"
        raise TypeError(msg)
    return value


@constructor
def warmup(s: Schedule, duration: float, start: float = 0.0) -> Schedule:
    """Ramp linearly up to ``s(0)`` over ``duration``, then run ``s`` on its own clock.

    ``w(t) = s(0) * (start + (1 - start) * t / duration)`` for ``t < duration`` and
    ``w(t) = s(t - duration)`` from then on: warmup *delays* ``s`` rather than overwriting its
    first epochs. ``warmup(s, 0)`` is ``s``.

    Args:
        s: The schedule to warm up into.
        duration: Length of the ramp, >= 0.
        start: Value of the ramp at t = 0, as a fraction of ``s(0)``.

    Examples:
        >>> import lrsched as ls
        >>> s = ls.warmup(ls.cosine(95), 5)
        >>> s(0), s(2.5), s(5), s(100)
        (0.0, 0.5, 1.0, 0.0)
        >>> ls.warmup(ls.constant(2), 4, start=0.5)(2)
        1.5

    """
    s = _schedule("s", s)
    duration = non_negative("duration", duration)
    start = finite("start", start)
    if duration == 0.0:
        return s
    return Warmup(s, duration, start)


@constructor
def concat(schedules: Iterable[Schedule], boundaries: Iterable[float]) -> Schedule:
    """Run schedules one after another, each on its own clock.

    Piece i runs on ``[boundaries[i-1], boundaries[i])`` (the first from 0, the last forever)
    and sees time ``t - boundaries[i-1]``: torch's ``SequentialLR``. Nested concats flatten, and
    adjacent equal constants merge.

    Args:
        schedules: The pieces, at least one.
        boundaries: The switch times, strictly increasing and > 0; one fewer than the pieces. A
            piece starts exactly at its boundary (``t == boundaries[i]`` belongs to piece i + 1).

    Examples:
        >>> import lrsched as ls
        >>> s = ls.concat([ls.linear(0.1, 1, 5), ls.constant(1), ls.step(10, 0.5)], [5, 20])
        >>> s(0), s(5), s(19), s(20), s(30)
        (0.1, 1.0, 1.0, 1.0, 0.5)
        >>> ls.concat([ls.cosine(10)], [])
        cosine(10)

    """
    if isinstance(schedules, Schedule):
        msg = "schedules must be a sequence of Schedules (got a single Schedule; wrap it in a list)"
        raise TypeError(msg)
    pieces = [_schedule(f"schedules[{i}]", p) for i, p in enumerate(schedules)]
    bounds = sorted_points("boundaries", boundaries, strict=True)
    if not pieces:
        msg = "schedules must not be empty (got 0 schedules)"
        raise ScheduleError(msg)
    if len(bounds) != len(pieces) - 1:
        msg = (
            f"boundaries must have one entry fewer than schedules "
            f"(got {len(pieces)} schedules and {len(bounds)} boundaries)"
        )
        raise ScheduleError(msg)
    if bounds and bounds[0] <= 0.0:
        msg = f"boundaries[0] must be > 0 (got {format_number(bounds[0])})"
        raise ScheduleError(msg)
    flat_pieces, flat_bounds = _flatten_concat(pieces, bounds)
    if len(flat_pieces) == 1:
        return flat_pieces[0]
    return Concat(tuple(flat_pieces), tuple(flat_bounds))


def _flatten_concat(
    pieces: list[Schedule], bounds: tuple[float, ...]
) -> tuple[list[Schedule], list[float]]:
    """Inline nested concats (cut to their slot) and merge adjacent equal constants."""
    starts = (0.0, *bounds)
    ends = (*bounds, math.inf)
    out_pieces: list[Schedule] = []
    out_bounds: list[float] = []

    def append(piece: Schedule, begin: float) -> None:
        if out_pieces and begin == (out_bounds[-1] if out_bounds else 0.0):
            # The previous (inner) piece has no width as floats (1 + 1e-300 == 1): it never
            # runs, and keeping it would repeat a boundary.
            out_pieces.pop()
            if out_bounds:
                out_bounds.pop()
        if out_pieces and isinstance(piece, Constant) and piece == out_pieces[-1]:
            return
        if out_pieces:
            out_bounds.append(begin)
        out_pieces.append(piece)

    for piece, begin, end in zip(pieces, starts, ends, strict=True):
        if isinstance(piece, Concat):
            inner_starts = (0.0, *piece.boundaries)
            for inner, offset in zip(piece.pieces, inner_starts, strict=True):
                if begin + offset >= end:
                    break
                append(inner, begin + offset)
        else:
            append(piece, begin)
    return out_pieces, out_bounds


@constructor
def clamp(s: Schedule, low: float | None = None, high: float | None = None) -> Schedule:
    """Limit ``s`` to ``[low, high]``: ``min(max(s(t), low), high)``; ``None`` means unbounded.

    ``clamp(s)`` is ``s``; clamping a clamp intersects the bounds; clamping a constant is a
    constant.

    Args:
        s: The schedule to limit.
        low: Lower bound, or None.
        high: Upper bound, or None; must be >= ``low``.

    Examples:
        >>> import lrsched as ls
        >>> s = ls.clamp(ls.exponential(0.5), low=0.2)
        >>> s(1), s(10)
        (0.5, 0.2)
        >>> ls.clamp(ls.clamp(ls.exponential(0.5), low=0.1), low=0.2, high=0.8)
        clamp(exponential(0.5), low=0.2, high=0.8)

    """
    s = _schedule("s", s)
    lo = None if low is None else finite("low", low)
    hi = None if high is None else finite("high", high)
    if lo is not None and hi is not None and lo > hi:
        msg = f"low must be <= high (got low={format_number(lo)}, high={format_number(hi)})"
        raise ScheduleError(msg)
    if isinstance(s, Clamp):
        inner_lo, inner_hi = s.low, s.high
        # clamp(clamp(x, a, b), c, d): if [a, b] and [c, d] are disjoint the result is constant.
        if lo is not None and inner_hi is not None and lo >= inner_hi:
            return Constant(lo)
        if hi is not None and inner_lo is not None and hi <= inner_lo:
            return Constant(hi)
        lo = inner_lo if lo is None else lo if inner_lo is None else max(lo, inner_lo)
        hi = inner_hi if hi is None else hi if inner_hi is None else min(hi, inner_hi)
        s = s.schedule
    if lo is not None and lo == hi:
        return Constant(lo)
    if isinstance(s, Constant):
        return Constant(float(np.clip(s.value, lo, hi)))
    if lo is None and hi is None:
        return s
    return Clamp(s, lo, hi)


@constructor
def product(*schedules: Schedule | float) -> Schedule:
    """Multiply schedules (and numbers) pointwise: ``s1(t) * s2(t) * ...``.

    Also written ``s1 * s2``, ``k * s`` and ``s * k``. Nested products flatten, and numbers and
    constants fold into one leading factor; ``product()`` is ``constant(1)``.

    Args:
        schedules: Schedules or finite numbers.

    Examples:
        >>> import lrsched as ls
        >>> s = ls.step(10, 0.5) * 0.1
        >>> s
        0.1 * step(10, 0.5)
        >>> s(10)
        0.05
        >>> ls.product(ls.constant(2), 3)
        constant(6)

    """
    scale = 1.0
    factors: list[Schedule] = []
    for i, item in enumerate(schedules):
        if isinstance(item, Product):
            scale *= item.scale
            factors.extend(item.factors)
        elif isinstance(item, Constant):
            scale *= item.value
        elif isinstance(item, Schedule):
            factors.append(item)
        elif isinstance(item, numbers.Real) and not isinstance(item, bool):
            scale *= finite(f"factor {i}", item)
        else:
            msg = f"factor {i} must be a Schedule or a number (got {type(item).__name__}: {item!r})"
            raise TypeError(msg)
    if not math.isfinite(scale):
        msg = f"the product of the numeric factors must be finite (got {scale!r})"
        raise ScheduleError(msg)
    if not factors or scale == 0.0:
        return Constant(scale)
    if scale == 1.0 and len(factors) == 1:
        return factors[0]
    return Product(scale, tuple(factors))
