"""Schedules built from other schedules: warmup, concat, clamp, product.

The public constructors simplify degenerate cases (a one-piece concat is its piece, nested
products flatten, constant factors fold into one number), so that one meaning has one tree and
`==`, `repr` and serialization are predictable.
"""

from __future__ import annotations

import bisect
import math
import numbers
from collections.abc import Iterable
from typing import Any, final

import attrs
import numpy as np

from lrsched._arrays import quiet
from lrsched._core import FloatArray, ScalarFunction, Schedule, scalar_function
from lrsched._errors import ScheduleError
from lrsched._lattice import Lattice, Part, branch_and_bound, extrema_by_cuts, merge_all
from lrsched._leaves import Constant
from lrsched._registry import constructor
from lrsched._spelling import Call, Infix, call, format_number
from lrsched._validate import choice, finite, non_negative, schedule, sorted_points

__all__ = ["PRODUCT", "RAMP_SHAPES", "clamp", "concat", "product", "ramp_weight", "warmup"]

PRODUCT = 2
"""The precedence of ``*`` in spellings (``+`` is 1): operands of lower precedence get ()."""


def _zero_wins(value: Any, xp: Any) -> Any:
    """Replace the NaN of ``0 * inf`` by 0: an underflowed factor wins over an overflowed one."""
    return xp.where(xp.isnan(value), 0.0, value)


@final
@attrs.frozen(repr=False)
class Warmup(Schedule):
    """A ramp of `shape` from `start` to `s(0)` over `duration`, then `s` on its own clock."""

    schedule: Schedule
    duration: float
    start: float = 0.0
    shape: str = "linear"

    def _formula(self, xp: Any, t: Any) -> Any:
        d, peak = self.duration, scalar_function(self.schedule)(0.0)
        later = self.schedule._formula(xp, xp.clip(t - d, 0.0, None))
        # The fraction t / d first: (peak - start) * t may overflow, t / d <= 1 cannot.
        w = ramp_weight(xp, self.shape, t / d)
        if math.isfinite(peak - self.start):  # finite ends and weights: never a NaN
            ramp = self.start + (peak - self.start) * w
        else:  # the rise overflows: the weighted mean of the two ends, which cannot
            with quiet(xp, invalid="ignore"):
                ramp = (1.0 - w) * self.start + w * peak
            ramp = xp.where(xp.isnan(ramp), self.start, ramp)  # 0 * inf at an infinite end
        return xp.where(t < d, ramp, later)

    def _spelling(self) -> Call:
        return call(self, warmup, s=self.schedule)

    def _range(self) -> tuple[float, float]:
        low, high = self.schedule._range()
        return (min(low, self.start), max(high, self.start))

    def _parts(self) -> tuple[Part, ...]:
        return (Part(self.schedule, self.duration, math.inf, self.duration),)

    def _remark(self, offset: float) -> str:
        span = f"[{format_number(offset)}, {format_number(offset + self.duration)})"
        return f"{self.shape} ramp on {span}"

    def _breakpoints(self, end: float) -> list[float]:
        d = self.duration
        if d >= end:
            return []
        return [d, *(d + b for b in _listed(self.schedule._breakpoints(end - d)))]

    def _extrema(self, lattice: Lattice) -> tuple[float, float]:
        found = []
        ramp = lattice.within(0.0, self.duration)
        if ramp is not None:
            found.append(extrema_by_cuts(self, ramp, ()))  # a monotone ramp
        later = lattice.within(self.duration, math.inf)
        if later is not None:
            found.append(self.schedule._extrema(later.shifted(self.duration)))
        return merge_all(found)

    def _scalar(self) -> ScalarFunction:
        if self.shape != "linear":
            return super()._scalar()
        inner = scalar_function(self.schedule)
        d, start = self.duration, self.start
        opaque = self.schedule.opaque

        def warmup_at(t: float) -> float:
            if t < d:
                peak = inner(0.0)  # a Python callable inside is asked each time, as a call is
                value = start + (peak - start) * (t / d)
                return value if value == value else start  # noqa: PLR0124 (NaN: inf * 0)
            return inner(t - d)

        if opaque:
            return warmup_at
        peak = inner(0.0)
        rise = peak - start
        if not math.isfinite(rise):
            return super()._scalar()

        def fixed_warmup_at(t: float) -> float:
            if t < d:
                value = start + rise * (t / d)
                return value if value == value else start  # noqa: PLR0124 (NaN: inf * 0)
            return inner(t - d)

        return fixed_warmup_at


@final
@attrs.frozen(repr=False)
class Concat(Schedule):
    """Piece i runs on `[boundaries[i-1], boundaries[i])` on its own clock."""

    pieces: tuple[Schedule, ...]
    boundaries: tuple[float, ...]

    @property
    def _starts(self) -> tuple[float, ...]:
        return (0.0, *self.boundaries)

    def _formula(self, xp: Any, t: Any) -> Any:
        if xp is not np:  # a device: every piece everywhere, the one that decides is kept
            out = self.pieces[0]._formula(xp, t)
            for piece, start in zip(self.pieces[1:], self._starts[1:], strict=True):
                later = piece._formula(xp, xp.clip(t - start, 0.0, None))
                out = xp.where(t >= start, later, out)
            return out
        # numpy: each piece is evaluated only where it decides (10**5 pieces stay fast).
        which = np.searchsorted(np.asarray(self.boundaries), t, side="right")
        out = np.empty(t.shape)
        starts = self._starts
        used = np.unique(which).tolist() if len(self.pieces) > 8 else range(len(self.pieces))
        for i in used:
            mask = which == i
            if mask.any():
                out[mask] = self.pieces[i]._formula(np, t[mask] - starts[i])
        return out

    def _spelling(self) -> Call:
        return call(self, concat, schedules=list(self.pieces), boundaries=list(self.boundaries))

    def _range(self) -> tuple[float, float]:
        ranges = [p._range() for p in self.pieces]
        return (min(lo for lo, _ in ranges), max(hi for _, hi in ranges))

    def _parts(self) -> tuple[Part, ...]:
        ends = (*self.boundaries, math.inf)
        return tuple(
            Part(p, a, b, a) for p, a, b in zip(self.pieces, self._starts, ends, strict=True)
        )

    def _breakpoints(self, end: float) -> list[float]:
        out: list[float] = []
        for part in self._parts()[: bisect.bisect_left(self._starts, end)]:
            if part.start > 0.0:
                out.append(part.start)
            stop = min(part.end, end)
            out.extend(
                part.start + b
                for b in _listed(part.child._breakpoints(stop - part.start))
                if part.start + b < stop
            )
        return out

    def _extrema(self, lattice: Lattice) -> tuple[float, float]:
        parts = self._parts()
        first = max(bisect.bisect_right(self._starts, lattice.start) - 1, 0)
        stop = bisect.bisect_right(self._starts, lattice.last)
        found = []
        for part in parts[first:stop]:
            window = lattice.within(part.start, part.end)
            if window is not None:
                found.append(part.child._extrema(window.shifted(part.start)))
        return merge_all(found)

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

        starts = self._starts  # t - 0.0 is t: the first piece sees t itself
        which = bisect.bisect_right

        def concat_at(t: float) -> float:
            i = which(boundaries, t)
            return pieces[i](t - starts[i])

        return concat_at


@final
@attrs.frozen(repr=False)
class Clamp(Schedule):
    """`s(t)` limited to `[low, high]` (either bound may be absent)."""

    schedule: Schedule
    low: float | None = None
    high: float | None = None

    def _formula(self, xp: Any, t: Any) -> Any:
        return xp.clip(self.schedule._formula(xp, t), self.low, self.high)

    def _spelling(self) -> Call:
        return call(self, clamp, s=self.schedule)

    def _range(self) -> tuple[float, float]:
        low, high = self.schedule._range()
        lo = -math.inf if self.low is None else self.low
        hi = math.inf if self.high is None else self.high
        return (min(max(low, lo), hi), min(max(high, lo), hi))

    def _parts(self) -> tuple[Part, ...]:
        return (Part(self.schedule),)

    def _breakpoints(self, end: float) -> Any:
        return self.schedule._breakpoints(end)

    def _extrema(self, lattice: Lattice) -> tuple[float, float]:
        # Clamping is a non-decreasing map of the value: it maps the extremes to the extremes.
        low, high = self.schedule._extrema(lattice)
        lo = -math.inf if self.low is None else self.low
        hi = math.inf if self.high is None else self.high
        return min(max(low, lo), hi), min(max(high, lo), hi)

    def _scalar(self) -> ScalarFunction:
        inner = scalar_function(self.schedule)
        lo = -math.inf if self.low is None else self.low
        hi = math.inf if self.high is None else self.high

        def clamp_at(t: float) -> float:
            value = inner(t)
            if value < lo:
                return lo
            if value > hi:
                return hi
            return value

        return clamp_at


@final
@attrs.frozen(repr=False)
class Product(Schedule):
    """`scale * factors[0](t) * factors[1](t) * ...`, multiplied left to right.

    A factor that underflowed to 0 wins over one that overflowed to inf: the product is 0, not
    the NaN that IEEE arithmetic gives for `0 * inf`.
    """

    scale: float
    factors: tuple[Schedule, ...]

    def _formula(self, xp: Any, t: Any) -> Any:
        value = self.scale * self.factors[0]._formula(xp, t)
        with quiet(xp, invalid="ignore"):
            for factor in self.factors[1:]:
                value = value * factor._formula(xp, t)
        return _zero_wins(value, xp)

    def _spelling(self) -> Infix:
        operands = self.factors if self.scale == 1.0 else (self.scale, *self.factors)
        return Infix("*", "product", operands, PRODUCT)

    def _range(self) -> tuple[float, float]:
        bounds = (self.scale, self.scale)
        for factor in self.factors:
            bounds = _times(bounds, factor._range())
        return bounds

    def _parts(self) -> tuple[Part, ...]:
        return tuple(Part(f) for f in self.factors)

    def _breakpoints(self, end: float) -> FloatArray:
        found = [np.asarray(f._breakpoints(end), dtype=np.float64).ravel() for f in self.factors]
        return np.concatenate(found)

    def _extrema(self, lattice: Lattice) -> tuple[float, float]:
        if len(self.factors) == 1:
            return _times((self.scale, self.scale), self.factors[0]._extrema(lattice))
        return branch_and_bound(self, lattice, self._bounds)

    def _bounds(self, window: Lattice) -> tuple[float, float]:
        bounds = (self.scale, self.scale)
        for factor in self.factors:
            bounds = _times(bounds, factor._extrema(window))
        return bounds

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


RAMP_SHAPES = ("linear", "cosine", "sqrt")
"""Ramp shapes: each a decay shape played backwards (see `ramp_weight`)."""


def ramp_weight(xp: Any, shape: str, f: Any) -> Any:
    """How far a ramp of ``shape`` has gone at fraction ``f`` of its duration (0 to 1).

    ``linear``: ``f``; ``cosine``: ``(1 - cos(pi f)) / 2``; ``sqrt``: ``1 - sqrt(1 - f)``, the
    decay ``1 - sqrt(f)`` played backwards (Hugging Face's ``"1-sqrt"`` warmup).
    """
    if shape == "cosine":
        return 0.5 * (1.0 - xp.cos(np.pi * xp.clip(f, None, 1.0)))
    if shape == "sqrt":
        return 1.0 - xp.sqrt(1.0 - xp.clip(f, None, 1.0))
    return f


def _times(a: tuple[float, float], b: tuple[float, float]) -> tuple[float, float]:
    """The interval product of two ``(min, max)`` intervals (``0 * inf`` counts as 0)."""
    corners = [x * y if x and y else 0.0 for x in a for y in b]
    return min(corners), max(corners)


def _listed(points: Any) -> list[float]:
    listed: list[float] = np.asarray(points, dtype=np.float64).ravel().tolist()
    return listed


# ------------------------------------------------------------------------------ constructors


@constructor
def warmup(s: Schedule, duration: float, *, start: float = 0.0, shape: str = "linear") -> Schedule:
    r"""Ramp linearly from `start` up to `s(0)` over `duration`, then run `s` on its own clock.

    $$w(t) = \begin{cases} start + (s(0) - start)\, t / duration & t < duration \\
    s(t - duration) & t \ge duration \end{cases}$$

    Warmup *delays* `s` rather than overwriting its first epochs. `warmup(s, 0)` is `s`.

    Args:
        s: The schedule to warm up into.
        duration: Length of the ramp, >= 0.
        start: Value at t = 0 (a value, like `linear`'s `start`); keyword-only.
        shape: `"linear"`, `"cosine"` (`(1 - cos(pi t / duration)) / 2` of the way) or
            `"sqrt"` (`1 - sqrt(1 - t / duration)`): each the decay of that name played
            backwards; keyword-only.

    Examples:
        >>> import lrsched as ls
        >>> s = ls.warmup(ls.cosine(95), 5)
        >>> s(0), s(2.5), s(5), s(100)
        (0.0, 0.5, 1.0, 0.0)
        >>> ls.warmup(ls.constant(2), 4, start=1)(2)
        1.5

    """
    s = schedule("s", s)
    duration = non_negative("duration", duration)
    start = finite("start", start)
    shape = choice("shape", shape, RAMP_SHAPES)
    if duration == 0.0:
        return s
    return Warmup(s, duration, start, shape)


@constructor
def concat(schedules: Iterable[Schedule], boundaries: Iterable[float]) -> Schedule:
    """Run schedules one after another, each on its own clock.

    Piece i runs on `[boundaries[i-1], boundaries[i])` (the first from 0, the last forever)
    and sees time `t - boundaries[i-1]`: torch's `SequentialLR`. Nested concats flatten, and
    adjacent equal constants merge.

    Args:
        schedules: The pieces, at least one.
        boundaries: The switch times, strictly increasing and > 0; one fewer than the pieces. A
            piece starts exactly at its boundary (`t == boundaries[i]` belongs to piece i + 1).

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
    pieces = [schedule(f"schedules[{i}]", p) for i, p in enumerate(schedules)]
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
            for inner, offset in zip(piece.pieces, piece._starts, strict=True):
                if begin + offset >= end:
                    break
                append(inner, begin + offset)
        else:
            append(piece, begin)
    return out_pieces, out_bounds


@constructor
def clamp(s: Schedule, low: float | None = None, high: float | None = None) -> Schedule:
    r"""Limit `s` to `[low, high]`: $\min(\max(s(t), low), high)$; `None` means unbounded.

    `clamp(s)` is `s`; clamping a clamp intersects the bounds; clamping a constant is a
    constant.

    Args:
        s: The schedule to limit.
        low: Lower bound, or None.
        high: Upper bound, or None; must be >= `low`.

    Examples:
        >>> import lrsched as ls
        >>> s = ls.clamp(ls.exponential(0.5), low=0.2)
        >>> s(1), s(10)
        (0.5, 0.2)
        >>> ls.clamp(ls.clamp(ls.exponential(0.5), low=0.1), low=0.2, high=0.8)
        clamp(exponential(0.5), low=0.2, high=0.8)

    """
    s = schedule("s", s)
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
    r"""Multiply schedules (and numbers) pointwise: $s_1(t) \cdot s_2(t) \cdots$.

    Also written `s1 * s2`, `k * s` and `s * k`. Nested products flatten, and numbers and
    constants fold into one leading factor; `product()` is `constant(1)`.

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
    scale += 0.0  # -0.0 is 0.0
    if not factors or scale == 0.0:
        return Constant(scale)
    if scale == 1.0 and len(factors) == 1:
        return factors[0]
    return Product(scale, tuple(factors))
