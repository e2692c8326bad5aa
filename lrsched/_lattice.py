"""What inspection asks of a kind, and the exact methods kinds answer with.

Inspection never samples. Each kind answers three questions about itself (see
`lrsched.Schedule`): its breakpoints below a time, its ``(min, max)`` over a
`Lattice` of times, and its children with the windows and clocks they run on. A kind
answers with one of the exact methods here:

- `extrema_by_cuts`: a kind that is monotone between known cut points (a step, a cosine,
  a polynomial, ...) is evaluated only at the first and last lattice point of each piece, and at
  the points next to each cut (a margin that covers rounding in the cut's computation). This is
  exact: on a monotone piece the extremes over any set of points are at its first and last one.
- `periodic_points`: a kind whose value repeats with a period ``P`` over a lattice of
  spacing ``h`` where ``P / h = p / q`` exactly (as floats are rationals) repeats its values
  every ``p`` lattice points, so only the first ``p`` need be looked at.
- `every_point`: a kind with no shape to exploit (a Python callable) is evaluated at every
  lattice point, up to `MAX_EVALUATIONS`; beyond that it is an error, never a guess.
- `branch_and_bound`: pointwise combinations (products) bound each window of the lattice
  with their children's exact extrema there, and split only the windows that could still hold
  a new extreme.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from fractions import Fraction
from typing import TYPE_CHECKING

import attrs
import numpy as np
import numpy.typing as npt

from lrsched._errors import ScheduleError
from lrsched._spelling import format_number

if TYPE_CHECKING:
    from lrsched._core import Schedule

__all__ = [
    "MAX_BREAKPOINTS",
    "MAX_EVALUATIONS",
    "Lattice",
    "Part",
    "branch_and_bound",
    "every_point",
    "extrema_by_cuts",
    "merge_all",
    "multiples",
    "periodic_points",
    "values_at",
]

FloatArray = npt.NDArray[np.float64]
Extrema = tuple[float, float]

MAX_BREAKPOINTS = 1_000_000
"""Most breakpoints listed below one horizon; more is an error naming the node."""

MAX_EVALUATIONS = 1 << 22
"""Most values one exact method computes for one question; more is an error naming the node."""


@attrs.frozen
class Lattice:
    """The times ``start + k * step`` for ``k = 0, 1, ..., count - 1``, on a node's own clock.

    ``extrema(horizon)`` asks the root about the lattice ``0, 1, ..., ceil(horizon) - 1``; a
    combinator asks each child about the part of its lattice the child decides, moved to the
    child's clock (`shifted`, `scaled`).
    """

    start: float
    step: float
    count: int

    @property
    def last(self) -> float:
        """The last time of the lattice."""
        return self.start + (self.count - 1) * self.step

    def point(self, k: int) -> float:
        """Time number ``k``."""
        return self.start + k * self.step

    def times(self) -> FloatArray:
        """Every time, as an array (callers keep ``count`` within `MAX_EVALUATIONS`)."""
        return self.start + np.arange(self.count, dtype=np.float64) * self.step

    def index_at(self, t: float) -> int:
        """The number of lattice times below ``t`` (0 to ``count``)."""
        if t <= self.start:
            return 0
        if t > self.last:
            return self.count
        k = min(self.count, max(0, math.ceil((t - self.start) / self.step)))
        while k > 0 and self.point(k - 1) >= t:
            k -= 1
        while k < self.count and self.point(k) < t:
            k += 1
        return k

    def within(self, low: float, high: float) -> Lattice | None:
        """The lattice times ``t`` with ``low <= t < high``, or None if there are none."""
        first = self.index_at(low)
        stop = self.index_at(high)
        if stop <= first:
            return None
        return Lattice(self.point(first), self.step, stop - first)

    def shifted(self, offset: float) -> Lattice:
        """The same times on a clock that reads 0 at ``offset`` (``t - offset``, >= 0)."""
        return Lattice(max(self.start - offset, 0.0), self.step, self.count)

    def scaled(self, factor: float) -> Lattice:
        """The same times on a clock that runs ``factor`` times slower (``t / factor``)."""
        return Lattice(self.start / factor, self.step / factor, self.count)

    def halves(self) -> tuple[Lattice, Lattice]:
        """The first and the second half (``count >= 2``)."""
        mid = self.count // 2
        return Lattice(self.start, self.step, mid), Lattice(
            self.point(mid), self.step, self.count - mid
        )


@attrs.frozen
class Part:
    """A child and the window ``[start, end)`` of its parent's time in which it decides.

    ``offset`` is the parent's time at which the child's clock reads 0 (the child sees
    ``t - offset``), or None when the child's clock is not a plain shift (a cycle, a stretch).
    """

    child: Schedule
    start: float = 0.0
    end: float = math.inf
    offset: float | None = 0.0


def values_at(node: Schedule, times: FloatArray) -> FloatArray:
    """``node``'s values at validated times (no warning for overflow, as in ``s(t)``)."""
    with np.errstate(over="ignore", under="ignore"):
        return np.asarray(node._formula(np, times), dtype=np.float64)


def _min_max(values: FloatArray) -> Extrema:
    return float(values.min()), float(values.max())


def extrema_by_cuts(node: Schedule, lattice: Lattice, cuts: Iterable[float]) -> Extrema:
    """Exact ``(min, max)`` of a node that is monotone between consecutive ``cuts``.

    Between two cuts (and before the first, after the last) the node may jump but must never
    turn back. Evaluated: the first and last lattice point, and the three points nearest to
    each cut inside the lattice.
    """
    cut = np.fromiter(cuts, dtype=np.float64)
    cut = cut[(cut > lattice.start) & (cut <= lattice.last)]
    if cut.size > MAX_EVALUATIONS // 4:
        raise _too_many(node, "monotone pieces", cut.size)
    k = np.ceil((cut - lattice.start) / lattice.step)
    near = (k[:, None] + np.arange(-2.0, 2.0)[None, :]).ravel()
    index = np.unique(np.concatenate([near, [0.0, lattice.count - 1.0]]))
    index = index[(index >= 0) & (index < lattice.count)]
    return _min_max(values_at(node, lattice.start + index * lattice.step))


def every_point(node: Schedule, lattice: Lattice, why: str) -> Extrema:
    """Exact ``(min, max)`` by evaluating every lattice point (at most `MAX_EVALUATIONS`)."""
    if lattice.count > MAX_EVALUATIONS:
        msg = (
            f"{_short(node)}: exact extrema need its value at each of {lattice.count} times "
            f"({why}); more than {MAX_EVALUATIONS} are not computed: ask for a shorter horizon"
        )
        raise ScheduleError(msg)
    return _min_max(values_at(node, lattice.times()))


def periodic_points(lattice: Lattice, period: float) -> Lattice:
    """The part of ``lattice`` that holds every value of a node with this period.

    If ``period / step`` is a fraction ``p / q`` in lowest terms (exactly: floats are
    rationals) the values repeat every ``p`` lattice points, so the first ``p`` suffice; if
    ``p`` is large (or the lattice short) the lattice is returned whole.
    """
    ratio = Fraction(period) / Fraction(lattice.step)
    repeat = ratio.numerator
    if repeat < lattice.count and repeat <= MAX_EVALUATIONS:
        return Lattice(lattice.start, lattice.step, repeat)
    return lattice


def multiples(node: Schedule, size: float, end: float, first: float = 0.0) -> FloatArray:
    """``first + size * k`` for k = 1, 2, ... below ``end``; an error if too many to list."""
    count = math.ceil((end - first) / size) if end > first else 0
    if count > MAX_BREAKPOINTS:
        msg = (
            f"{_short(node)} has about {count} breakpoints below {format_number(end)}, more "
            f"than {MAX_BREAKPOINTS} are not listed: ask for a shorter horizon"
        )
        raise ScheduleError(msg)
    points = first + np.arange(1, count + 1, dtype=np.float64) * size
    return points[points < end]


_BRANCH_LIMIT = 1 << 16
"""Most windows `branch_and_bound` splits before it gives up with an error."""

_DIRECT = 64
"""Windows of at most this many points are evaluated outright."""


def branch_and_bound(
    node: Schedule, lattice: Lattice, bounds: Callable[[Lattice], Extrema]
) -> Extrema:
    """Exact ``(min, max)`` of a node given outer bounds of its values on any window.

    ``bounds(window)`` must enclose the node's values at the window's points (for a product:
    the interval product of the factors' exact extrema there). A window is split only while its
    bounds could still hold a value beyond the best found so far; small windows are evaluated.
    """
    low, high = _min_max(values_at(node, np.array([lattice.start, lattice.last])))
    todo = [lattice]
    splits = 0
    while todo:
        window = todo.pop()
        if window.count <= _DIRECT:
            low, high = _merge((low, high), _min_max(values_at(node, window.times())))
            continue
        lo, hi = bounds(window)
        if lo >= low and hi <= high:
            continue
        splits += 1
        if splits > _BRANCH_LIMIT:
            raise _too_many(node, "windows to bound", splits)
        first, second = window.halves()
        ends = values_at(node, np.array([first.last, second.start]))
        low, high = _merge((low, high), _min_max(ends))
        todo += [first, second]
    return low, high


def _merge(a: Extrema, b: Extrema) -> Extrema:
    return min(a[0], b[0]), max(a[1], b[1])


def merge_all(parts: Iterable[Extrema]) -> Extrema:
    """The ``(min, max)`` over several ``(min, max)`` pairs (at least one)."""
    lows, highs = zip(*parts, strict=True)
    return min(lows), max(highs)


def _too_many(node: Schedule, what: str, count: int) -> ScheduleError:
    return ScheduleError(
        f"{_short(node)}: exact extrema need {count} {what} here, more than are computed: "
        "ask for a shorter horizon"
    )


def _short(node: Schedule) -> str:
    text = repr(node)
    return text if len(text) <= 80 else text[:77] + "..."
