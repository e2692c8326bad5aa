"""Schedules that cycle: repeat, warm restarts (SGDR), triangular cycles, the one-cycle policy.

Each formula is written in the same arithmetic order as torch's schedulers, so converted torch
schedules (`lrsched.from_torch`) agree with torch to the last few bits, and restart indices are
found with exact comparisons rather than logarithms.
"""

from __future__ import annotations

import bisect
import math
import sys
from typing import Any, TypeGuard, final

import attrs
import numpy as np

from lrsched._arrays import constants, huge, quiet
from lrsched._core import FloatArray, Schedule, power
from lrsched._errors import ScheduleError
from lrsched._lattice import (
    MAX_EVALUATIONS,
    Lattice,
    Part,
    extrema_by_cuts,
    merge_all,
    multiples,
    periodic_points,
)
from lrsched._leaves import Constant
from lrsched._registry import constructor
from lrsched._spelling import Call, call, format_number
from lrsched._validate import (
    at_least,
    choice,
    finite,
    flag,
    non_negative,
    positive,
    schedule,
    whole,
)

__all__ = ["cosine_restarts", "cyclic", "one_cycle", "repeat"]

_MAX = sys.float_info.max
_HUGE = 1e300  # above this, pi * x may overflow
_CORRECTIONS = 4
"""Steps from the logarithmic estimate of a cycle index to the exact one (it is off by <= 1)."""


def _too_many_cycles(node: Schedule, count: float) -> ScheduleError:
    return ScheduleError(
        f"{node!r:.80}: exact extrema need each of its {count:.0f} cycles here (their "
        "lengths and the integer times do not line up): ask for a shorter horizon"
    )


@final
@attrs.frozen(repr=False)
class Repeat(Schedule):
    """Cycle `i`: `s` on `[0, period)` stretched `growth**i` times, scaled `gamma**i`."""

    schedule: Schedule
    period: float
    growth: float = 1.0
    gamma: float = 1.0

    # Cycle i covers [start(i), start(i + 1)), start(i) = period * (growth**i - 1) / (growth - 1)
    # (period * i without growth). Logarithms only estimate i; the boundaries decide, so cycle
    # edges are exact whenever start(i) is (integer period and growth: all of them up to 2**53).

    def _start(self, i: float) -> float:
        g = self.growth
        if g == 1.0:
            return self.period * i
        return self.period * (power(g, i) - 1.0) / (g - 1.0)

    def _cycle(self, t: float) -> float:
        g, p = self.growth, self.period
        if g == 1.0:
            cycles = t / p
            if cycles == math.inf:
                return math.inf  # more cycles than a float counts: the limit, local time 0
            i = float(math.floor(cycles))
        else:
            x = t * (g - 1.0) / p
            if x < math.inf:
                i = float(math.floor(math.log1p(x) / math.log(g)))
            else:
                i = float(math.floor((math.log(t) + math.log(g - 1.0) - math.log(p)) / math.log(g)))
        for _ in range(_CORRECTIONS):
            if self._start(i + 1.0) <= t:
                i += 1.0
            elif i > 0.0 and self._start(i) > t:
                i -= 1.0
            else:
                break
        return i

    def _formula(self, xp: Any, t: Any) -> Any:
        g, p = self.growth, self.period
        with quiet(xp, divide="ignore", over="ignore", under="ignore", invalid="ignore"):
            if g == 1.0:
                i = xp.floor(t / p)  # inf past a float's count: the limit, local time 0
            else:
                x = t * (g - 1.0) / p
                big = (xp.log(t) + math.log(g - 1.0) - math.log(p)) / math.log(g)
                i = xp.floor(xp.where(x < math.inf, xp.log1p(x) / math.log(g), big))
            # The logarithm only estimates the cycle: the start times decide, exactly.
            for _ in range(_CORRECTIONS):
                up = self._starts(i + 1.0) <= t
                down = ~up & (i > 0.0) & (self._starts(i) > t)
                i = xp.where(up, i + 1.0, xp.where(down, i - 1.0, i))
            local = xp.clip(t - self._starts(i), 0.0, None)
            if g != 1.0:
                local = local / g**i
            value = self.schedule._formula(xp, local)
            if self.gamma != 1.0:
                value = value * self.gamma**i
        return xp.where(xp.isnan(value), 0.0, value)

    def _starts(self, i: Any) -> Any:
        """`_start` over an array of cycle indices (the same operations, in the same order)."""
        g = self.growth
        if g == 1.0:
            return self.period * i
        return self.period * (g**i - 1.0) / (g - 1.0)

    def _spelling(self) -> Call:
        return call(self, repeat, s=self.schedule, truncate=False)

    def _range(self) -> tuple[float, float]:
        low, high = self.schedule._range()
        if self.gamma < 1.0:  # later cycles shrink towards 0
            return (min(low, 0.0), max(high, 0.0))
        if self.gamma > 1.0:
            return (-math.inf if low < 0.0 else low, math.inf if high > 0.0 else high)
        return (low, high)

    def _parts(self) -> tuple[Part, ...]:
        return (Part(self.schedule, 0.0, math.inf, None),)

    def _remark(self, offset: float) -> str:
        return "runs [0, period) of its child in every cycle"

    def _breakpoints(self, end: float) -> list[float]:
        last = self._cycle(end)
        if last > 1e6:
            multiples(self, self.period, end)  # raises: too many to list
        inner = list(np.asarray(self.schedule._breakpoints(self.period)).ravel().tolist())
        out: list[float] = []
        for i in range(int(last) + 1):
            begin = self._start(float(i))
            if i:
                out.append(begin)
            stretch = power(self.growth, float(i))
            out.extend(begin + b * stretch for b in inner if b < self.period)
        return [b for b in out if b < end]

    def _extrema(self, lattice: Lattice) -> tuple[float, float]:
        if self.growth == 1.0 and self.gamma == 1.0:
            lattice = periodic_points(lattice, self.period)
        first, last = self._cycle(lattice.start), self._cycle(lattice.last)
        cycles = [float(i) for i in range(int(first), int(min(last, first + 4)) + 1)]
        if last - first > 4:
            if self.growth == 1.0:
                # gamma ** i is monotone in i: per phase class of the lattice in a cycle, the
                # extremes lie in the first or the last cycles of the class.
                classes = _phase_classes(self.period, lattice.step)
                if classes is None or classes > MAX_EVALUATIONS // 64:
                    if last - first > MAX_EVALUATIONS // 64:
                        raise _too_many_cycles(self, last - first)
                    classes = int(last - first)
                head = int(first) + classes + 1
                tail = max(int(last) - classes - 1, head)
                cycles = [float(i) for i in range(int(first), min(head, int(last)) + 1)]
                cycles += [float(i) for i in range(tail, int(last) + 1)]
            else:
                cycles = [float(i) for i in range(int(first), int(last) + 1)]
        found = []
        for i in sorted(set(cycles)):
            begin, stop = self._start(i), self._start(i + 1.0)
            window = lattice.within(begin, stop)
            if window is None:
                continue
            local = window.shifted(begin).scaled(power(self.growth, i))
            low, high = self.schedule._extrema(local)
            scale = power(self.gamma, i)
            found.append((min(low * scale, high * scale), max(low * scale, high * scale)))
        return merge_all(found)


def _phase_classes(period: float, step: float) -> int | None:
    """After how many cycles the lattice meets a cycle at the same phase again (or None)."""
    from fractions import Fraction  # noqa: PLC0415 (rarely needed)

    ratio = Fraction(period) / Fraction(step)
    return ratio.denominator if ratio.denominator <= 1 << 20 else None


def _restart_points(period: float, growth: float) -> tuple[tuple[float, ...], tuple[float, ...]]:
    """Start times and lengths of the cycles `period * growth**k`, k = 0, 1, ... (`growth >= 2`).

    Cycle k starts at `period * (growth**k - 1) / (growth - 1)`. The sums are formed with
    Python integers (exact) and rounded to float once, so restart times that are whole numbers
    are exact; the list stops at the last start that is a finite float.
    """
    m = int(growth)
    whole_period = int(period) if period.is_integer() else None
    starts: list[float] = []
    lengths: list[float] = []
    count, size = 0, 1  # count = (m**k - 1) / (m - 1) unit cycles before cycle k; size = m**k
    while True:
        try:
            start = (
                float(whole_period * count) if whole_period is not None else period * float(count)
            )
        except OverflowError:
            break
        if start > _MAX:
            break
        try:
            length = (
                float(whole_period * size) if whole_period is not None else period * float(size)
            )
        except OverflowError:
            length = math.inf
        starts.append(start)
        lengths.append(length)
        count, size = count + size, size * m
    return tuple(starts), tuple(lengths)


@final
@attrs.frozen(repr=False)
class CosineRestarts(Schedule):
    """A cosine from `start` to `end` over each cycle; cycle k lasts `period * growth**k`."""

    period: float
    growth: float = 1.0
    start: float = 1.0
    end: float = 0.0
    _cycles: tuple[tuple[float, ...], tuple[float, ...]] = attrs.field(
        init=False, eq=False, hash=False
    )

    @_cycles.default
    def _restarts(self) -> tuple[tuple[float, ...], tuple[float, ...]]:
        return _restart_points(self.period, self.growth) if self.growth != 1.0 else ((), ())

    def _formula(self, xp: Any, t: Any) -> Any:
        if self.growth == 1.0:
            length: Any = self.period
            elapsed = xp.fmod(t, self.period)
        else:
            starts = constants(xp, self._cycles[0], t)
            k = xp.searchsorted(starts, t, side="right") - 1
            length = constants(xp, self._cycles[1], t)[k]
            elapsed = t - starts[k]
        # torch's order of operations; pi * elapsed only overflows in the last, infinite cycle.
        with quiet(xp, over="ignore", invalid="ignore"):
            small = elapsed < huge(xp, elapsed, _HUGE)
            angle = xp.where(small, np.pi * elapsed / length, np.pi * (elapsed / length))
        return self.end + (self.start - self.end) * (1.0 + xp.cos(angle)) / 2.0

    def _spelling(self) -> Call:
        return call(self, cosine_restarts)

    def _range(self) -> tuple[float, float]:
        return (min(self.start, self.end), max(self.start, self.end))

    def _parts(self) -> tuple[Part, ...]:
        return ()

    def _breakpoints(self, end: float) -> Any:
        if self.growth == 1.0:
            return multiples(self, self.period, end)
        starts = self._cycles[0]
        return starts[1 : bisect.bisect_left(starts, end)]

    def _extrema(self, lattice: Lattice) -> tuple[float, float]:
        if self.growth == 1.0:
            lattice = periodic_points(lattice, self.period)
        return extrema_by_cuts(self, lattice, self._breakpoints(lattice.last + 1.0))


_MODES = ("triangular", "triangular2", "exp_range")


@final
@attrs.frozen(repr=False)
class Cyclic(Schedule):
    """Triangles between `low` and `high`, rising over `up` then falling over `down`."""

    low: float
    high: float
    up: float
    down: float | None = None
    mode: str = "triangular"
    gamma: float = 1.0

    @property
    def _down(self) -> float:
        return self.up if self.down is None else self.down

    def _formula(self, xp: Any, t: Any) -> Any:
        total = self.up + self._down
        ratio = self.up / total
        cycle = xp.floor(1 + t / total)
        x = 1.0 + t / total - cycle
        with quiet(xp, divide="ignore", invalid="ignore"):
            scale = xp.where(x <= ratio, x / ratio, (x - 1) / (ratio - 1))
        rise = self.high - self.low
        if self.mode == "triangular":
            amplitude: Any = 1.0
        elif self.mode == "triangular2":
            amplitude = 1 / 2.0 ** (cycle - 1)
        else:
            amplitude = self.gamma**t
        if not math.isfinite(rise):
            # high - low overflows: the weighted mean of the two ends, which cannot.
            w = scale * amplitude
            return (1.0 - w) * self.low + w * self.high
        # torch's base_lr + (max_lr - base_lr) * scale * amplitude, in torch's order.
        height = rise * scale
        if self.mode == "triangular":
            return self.low + height
        with quiet(xp, invalid="ignore"):
            value = self.low + height * amplitude
        return xp.where(xp.isnan(value), self.low, value)

    def _spelling(self) -> Call:
        return call(self, cyclic)

    def _range(self) -> tuple[float, float]:
        low, high = min(self.low, self.high), max(self.low, self.high)
        if self.mode == "exp_range" and self.gamma > 1.0:  # the amplitude grows without end
            return (
                -math.inf if self.high < self.low else low,
                math.inf if self.high > self.low else high,
            )
        return (low, high)

    def _parts(self) -> tuple[Part, ...]:
        return ()

    def _turns(self, begin: float, end: float) -> FloatArray:
        """Cycle starts and peaks in ``[begin, end)``, and where an exp_range amplitude turns."""
        total = self.up + self._down
        first = math.floor(begin / total)
        count = math.ceil(end / total) - first + 1
        if count > MAX_EVALUATIONS // 8:
            raise _too_many_cycles(self, count)
        starts = (first + np.arange(count, dtype=np.float64)) * total
        points = [starts, starts + self.up]
        if self.mode == "exp_range":
            rate = math.log(self.gamma)  # d/dt of scale * gamma**t vanishes here
            points.append(starts - 1.0 / rate if rate < 0 else starts + total - 1.0 / rate)
        return np.concatenate(points)

    def _breakpoints(self, end: float) -> FloatArray:
        total = self.up + self._down
        return np.sort(
            np.concatenate(
                [multiples(self, total, end), multiples(self, total, end, self.up - total)]
            )
        )

    def _extrema(self, lattice: Lattice) -> tuple[float, float]:
        if self.mode == "triangular":
            lattice = periodic_points(lattice, self.up + self._down)
        return extrema_by_cuts(self, lattice, self._turns(lattice.start, lattice.last + 1.0))


_SHAPES = ("cosine", "linear")


def _anneal(xp: Any, shape: str, start: float, end: float, pct: Any) -> Any:
    if shape == "cosine":
        return end + (start - end) / 2.0 * (xp.cos(np.pi * pct) + 1)
    return (end - start) * pct + start


@final
@attrs.frozen(repr=False)
class OneCycle(Schedule):
    """torch's `OneCycleLR` curve up to step `duration - 1`, then its final value held."""

    duration: float
    peak: float = 1.0
    pct_start: float = 0.3
    div_factor: float = 25.0
    final_div_factor: float = 1e4
    shape: str = "cosine"
    three_phase: bool = False
    _phases: tuple[tuple[float, float, float], ...] = attrs.field(init=False, eq=False, hash=False)

    @_phases.default
    def _default_phases(self) -> tuple[tuple[float, float, float], ...]:
        # (end step, start value, end value) of each phase, computed as torch does. A phase runs
        # from the previous phase's end step (0 for the first) to its own, inclusive; the first
        # phase that matches wins and the last one takes every later step.
        n, pct = self.duration, self.pct_start
        initial = self.peak / self.div_factor
        low = initial / self.final_div_factor
        rise_end = float(pct * n) - 1
        if self.three_phase:
            return (
                (rise_end, initial, self.peak),
                (float(2 * pct * n) - 2, self.peak, initial),
                (n - 1, initial, low),
            )
        return ((rise_end, initial, self.peak), (n - 1, self.peak, low))

    def _formula(self, xp: Any, t: Any) -> Any:
        t = xp.clip(t, None, self.duration - 1)
        out = xp.zeros_like(t)
        todo = xp.ones_like(t, dtype=xp.bool)
        begin = 0.0
        last = len(self._phases) - 1
        for i, (end_step, start, end) in enumerate(self._phases):
            chosen = todo if i == last else todo & (t <= end_step)
            with quiet(xp, divide="ignore", invalid="ignore"):
                pct = (t - begin) / (end_step - begin)
                out = xp.where(chosen, _anneal(xp, self.shape, start, end, pct), out)
            todo = todo & ~chosen
            begin = end_step
        return out

    def _spelling(self) -> Call:
        return call(self, one_cycle)

    def _range(self) -> tuple[float, float]:
        values = [v for _, a, b in self._phases for v in (a, b)]
        return (min(values), max(values))

    def _parts(self) -> tuple[Part, ...]:
        return ()

    def _breakpoints(self, end: float) -> list[float]:
        return [e for e, _, _ in self._phases if 0.0 < e < end]

    def _extrema(self, lattice: Lattice) -> tuple[float, float]:
        # Each phase is monotone (a half cosine or a line between two values).
        return extrema_by_cuts(self, lattice, [e for e, _, _ in self._phases])


_MAX_WHOLE_CYCLES = 1_000_000
"""Most cycles a truncated repeat lists before its start times leave the float range."""


def _whole_cycles(period: float, growth: float) -> tuple[tuple[float, ...], tuple[float, ...]]:
    """Starts and lengths of cycles whose lengths are ``int(previous * growth)``: ignite's rule.

    Computed with Python integers (exact) until a start leaves the float range. Lengths grow by
    at least 1 per cycle (the caller makes sure of that), so they soon grow geometrically.
    """
    starts: list[float] = []
    lengths: list[float] = []
    start, length = 0, int(period)
    while start <= _MAX and len(starts) <= _MAX_WHOLE_CYCLES:
        starts.append(float(start))
        lengths.append(float(length))
        start += length
        grown = length * growth
        if grown == math.inf:  # the next start is past the float range anyway
            break
        length = int(grown)
    if len(starts) > _MAX_WHOLE_CYCLES:
        msg = (
            f"repeat(..., {format_number(period)}, growth={format_number(growth)}, truncate=True) "
            f"has more than {_MAX_WHOLE_CYCLES} cycles before its start times overflow: "
            "use a larger growth or period"
        )
        raise ScheduleError(msg)
    return tuple(starts), tuple(lengths)


@final
@attrs.frozen(repr=False)
class WholeRepeat(Schedule):
    """`repeat` whose cycle lengths are whole: cycle `i + 1` lasts `int(length_i * growth)`."""

    schedule: Schedule
    period: float
    growth: float
    gamma: float = 1.0
    _cycles: tuple[tuple[float, ...], tuple[float, ...]] = attrs.field(
        init=False, eq=False, hash=False
    )

    @_cycles.default
    def _lengths(self) -> tuple[tuple[float, ...], tuple[float, ...]]:
        return _whole_cycles(self.period, self.growth)

    def _formula(self, xp: Any, t: Any) -> Any:
        starts, lengths = (constants(xp, c, t) for c in self._cycles)
        i = xp.searchsorted(starts, t, side="right") - 1
        local = (t - starts[i]) / lengths[i] * self.period
        value = self.schedule._formula(xp, local)
        if self.gamma != 1.0:
            with quiet(xp, over="ignore", under="ignore"):
                value = value * self.gamma ** xp.astype(i, t.dtype)
        return value

    def _spelling(self) -> Call:
        return call(self, repeat, s=self.schedule, truncate=True)

    def _range(self) -> tuple[float, float]:
        return Repeat(self.schedule, self.period, 1.0, self.gamma)._range()

    def _parts(self) -> tuple[Part, ...]:
        return (Part(self.schedule, 0.0, math.inf, None),)

    def _remark(self, offset: float) -> str:
        return "runs [0, period) of its child in every cycle"

    def _breakpoints(self, end: float) -> list[float]:
        starts, lengths = self._cycles
        last = bisect.bisect_left(starts, end)
        if last > MAX_EVALUATIONS:
            multiples(self, self.period, end)  # raises: too many to list
        inner = list(np.asarray(self.schedule._breakpoints(self.period)).ravel().tolist())
        out: list[float] = []
        for begin, length in zip(starts[:last], lengths[:last], strict=True):
            if begin:
                out.append(begin)
            out.extend(begin + b / self.period * length for b in inner if b < self.period)
        return [b for b in out if b < end]

    def _extrema(self, lattice: Lattice) -> tuple[float, float]:
        starts, lengths = self._cycles
        first = bisect.bisect_right(starts, lattice.start) - 1
        last = bisect.bisect_right(starts, lattice.last) - 1
        if last - first > MAX_EVALUATIONS // 64:
            raise _too_many_cycles(self, last - first)
        found = []
        for i in range(first, last + 1):
            begin, length = starts[i], lengths[i]
            window = lattice.within(begin, begin + length)
            if window is None:
                continue
            low, high = self.schedule._extrema(window.shifted(begin).scaled(length / self.period))
            scale = power(self.gamma, float(i))
            found.append((min(low * scale, high * scale), max(low * scale, high * scale)))
        return merge_all(found)


# ------------------------------------------------------------------------------ constructors


@constructor
def repeat(
    s: Schedule, period: float, *, growth: float = 1.0, gamma: float = 1.0, truncate: bool = False
) -> Schedule:
    r"""Run `s` over and over: cycle `i` lasts `period * growth**i`, scaled by `gamma**i`.

    $$r(t) = \gamma^i\, s\!\left(\frac{t - S_i}{growth^i}\right), \quad
    S_i = period \frac{growth^i - 1}{growth - 1}\ (= i \cdot period \text{ if } growth = 1)$$

    where `i` is the cycle with $S_i \le t < S_{i+1}$. Each cycle sees `s` on its own clock
    from 0, stretched so that `s` over `[0, period)` fills the cycle. `gamma` scales a whole
    cycle (its floor too: `clamp` it to keep a floor).

    With `s = cosine(period, start=lr, end=eta_min)`, a whole-number `growth` and no `gamma`
    this is SGDR, torch's `CosineAnnealingWarmRestarts(T_0=period, T_mult=growth,
    eta_min=eta_min)`, and the result *is* `cosine_restarts(period, growth=growth, start=lr,
    end=eta_min)`: one tree for one meaning, so the two spellings are `==`.

    Args:
        s: The schedule of one cycle (only `[0, period)` of it is used).
        period: Length of the first cycle, > 0.
        growth: Length ratio of each cycle to the one before, >= 1 (torch's `T_mult`).
        gamma: Scale of each cycle relative to the one before, > 0 (peak decay if < 1).
        truncate: Make each cycle's length the previous one's times `growth`, truncated to a
            whole number (ignite's `int(cycle_size * cycle_mult)`); `period` must then be a
            whole number. Where that changes nothing (a whole `growth`, or lengths that never
            grow) the result is the plain repeat; keyword-only.

    Examples:
        >>> import lrsched as ls
        >>> s = ls.repeat(ls.linear(1, 0, 10), 10, gamma=0.5)
        >>> s(0), s(5), s(10), s(25)
        (1.0, 0.5, 0.5, 0.125)
        >>> r = ls.repeat(ls.cosine(10), 10, growth=2)
        >>> r
        cosine_restarts(10, growth=2)
        >>> r(10), r(20), r(30), r(70)
        (1.0, 0.5, 1.0, 1.0)

    """
    s = schedule("s", s)
    period = positive("period", period)
    growth = at_least("growth", growth, 1.0)
    gamma = positive("gamma", gamma)
    if flag("truncate", truncate):
        period = whole("period", period, 1)
        if int(period * growth) == period:  # the lengths never grow
            growth = 1.0
        elif not growth.is_integer():
            return WholeRepeat(s, period, growth, gamma)
    if isinstance(s, Constant) and gamma == 1.0:
        return s
    if _is_sgdr(s, period, growth, gamma):
        return cosine_restarts(period, growth=growth, start=s.start, end=s.end)
    return Repeat(s, period, growth, gamma)


def _is_sgdr(s: Schedule, period: float, growth: float, gamma: float) -> TypeGuard[Any]:
    """Whether `repeat(s, period, growth=growth, gamma=gamma)` is a `cosine_restarts`."""
    from lrsched._curves import Cosine  # noqa: PLC0415 (curves do not depend on cycles)

    return (
        isinstance(s, Cosine)
        and s.duration == period
        and growth.is_integer()
        and gamma == 1.0
        and math.isfinite(s.start - s.end)
    )


@constructor
def cosine_restarts(
    period: float, *, growth: float = 1, start: float = 1.0, end: float = 0.0
) -> Schedule:
    r"""Cosine annealing with warm restarts (SGDR): a cosine per cycle, cycles growing by `growth`.

    Cycle k lasts $T_k = period \cdot growth^k$ and starts at
    $S_k = period (growth^k - 1) / (growth - 1)$ ($S_k = k \cdot period$ when `growth = 1`).
    With $u = t - S_k$ the time inside the current cycle,

    $$s(t) = end + (start - end) \frac{1 + \cos(\pi u / T_k)}{2}$$

    Each cycle starts at `start` (inclusive: $s(S_k) = start$) and approaches `end` just
    before the next restart. torch's `CosineAnnealingWarmRestarts(T_0=period, T_mult=growth,
    eta_min=eta_min)` stepped once per epoch is `cosine_restarts(period, growth=growth,
    start=base_lr, end=eta_min)`. The cycle is found by exact comparison with the restart times
    (integer arithmetic), not with `floor(log(...))`, which misplaces some restarts
    (`period=1, growth=3`: torch's `step(121)` puts t = 121 at the end of a cycle; it starts
    one).

    Args:
        period: Length of the first cycle, > 0 (need not be an integer).
        growth: Growth factor of the cycle length, a whole number >= 1; keyword-only.
        start: Value at the start of every cycle; keyword-only.
        end: Value approached at the end of every cycle; keyword-only.

    Examples:
        >>> import lrsched as ls
        >>> s = ls.cosine_restarts(10, growth=2)
        >>> s
        cosine_restarts(10, growth=2)
        >>> s(0), s(5), s(10), s(20), s(30)
        (1.0, 0.5, 1.0, 0.5, 1.0)
        >>> ls.cosine_restarts(1, growth=3)(121)
        1.0

    """
    period = positive("period", period)
    growth = whole("growth", growth, 1)
    start = finite("start", start)
    end = finite("end", end)
    if start == end:
        return Constant(start)
    if not math.isfinite(start - end):
        msg = f"start - end must be a finite number (got start={start!r}, end={end!r})"
        raise ScheduleError(msg)
    return CosineRestarts(period, growth, start, end)


@constructor
def cyclic(  # noqa: PLR0913 (torch's CyclicLR vocabulary; the options are keyword-only)
    low: float,
    high: float,
    up: float,
    down: float | None = None,
    *,
    mode: str = "triangular",
    gamma: float = 1.0,
) -> Schedule:
    r"""Cycle linearly between `low` and `high`: up over `up`, down over `down`, repeat.

    With $c = up + down$, $cycle = \lfloor 1 + t / c \rfloor$, $x = 1 + t / c - cycle$ (the
    fraction of the current cycle) and $r = up / c$:

    $$s(t) = low + (high - low) \cdot scale(x) \cdot amplitude(t), \quad
    scale(x) = \begin{cases} x / r & x \le r \\ (x - 1) / (r - 1) & x > r \end{cases}$$

    `amplitude` is 1 (`mode="triangular"`), $1 / 2^{cycle - 1}$ (`"triangular2"`: halved
    every cycle) or $\gamma^t$ (`"exp_range"`). This is torch's `CyclicLR` with
    `base_lr=low, max_lr=high, step_size_up=up, step_size_down=down`; its momentum is
    `cyclic(max_momentum, base_momentum, up, down, ...)` (`from_torch(..., keys=True)`).

    Args:
        low: Value at the start of each cycle (`s(0) = low`).
        high: Value at the top of the first cycle, reached at `t = up`.
        up: Length of the rising half, > 0.
        down: Length of the falling half, >= 0; `None` means `up`.
        mode: `"triangular"`, `"triangular2"` or `"exp_range"`; keyword-only.
        gamma: Per-time-unit amplitude factor of `"exp_range"`, > 0; only allowed with that
            mode (`exp_range` with `gamma=1` is `triangular`); keyword-only.

    Examples:
        >>> import lrsched as ls
        >>> s = ls.cyclic(1, 5, 4)
        >>> [s(t) for t in range(10)]
        [1.0, 2.0, 3.0, 4.0, 5.0, 4.0, 3.0, 2.0, 1.0, 2.0]
        >>> ls.cyclic(1, 5, 4, mode="triangular2")(12)
        3.0

    """
    low = finite("low", low)
    high = finite("high", high)
    up = positive("up", up)
    down = None if down is None else non_negative("down", down)
    if down == up:
        down = None
    mode = choice("mode", mode, _MODES)
    gamma = positive("gamma", gamma)
    if gamma != 1.0 and mode != "exp_range":
        msg = (
            f"gamma is only used with mode='exp_range' "
            f"(got gamma={format_number(gamma)} with mode={mode!r})"
        )
        raise ScheduleError(msg)
    if mode == "exp_range" and gamma == 1.0:
        mode = "triangular"
    if low == high:
        return Constant(low)
    return Cyclic(low, high, up, down, mode, gamma)


@constructor
def one_cycle(  # noqa: PLR0913 (torch's OneCycleLR vocabulary; the options are keyword-only)
    duration: float,
    peak: float = 1.0,
    *,
    pct_start: float = 0.3,
    div_factor: float = 25.0,
    final_div_factor: float = 1e4,
    shape: str = "cosine",
    three_phase: bool = False,
) -> Schedule:
    r"""The one-cycle policy: rise to `peak`, then anneal far below the start; then hold.

    The values are `initial = peak / div_factor` and `low = initial / final_div_factor`.
    Two phases (the default): `initial -> peak` over steps `[0, e1]` with
    `e1 = pct_start * duration - 1`, then `peak -> low` until step `duration - 1`. Three
    phases: `initial -> peak` until `e1`, `peak -> initial` until
    `2 * pct_start * duration - 2`, `initial -> low` until `duration - 1`. A phase from
    step `a` to `b` with values $v_0 \to v_1$ gives, with $p = (t - a) / (b - a)$:

    $$\text{cosine: } v_1 + \frac{v_0 - v_1}{2} (1 + \cos \pi p) \qquad
    \text{linear: } v_0 + (v_1 - v_0)\, p$$

    These are exactly torch's `OneCycleLR(max_lr=peak, total_steps=duration, ...)` formulas
    and step conventions (`shape` is torch's `anneal_strategy`, `"cos"` there). Past the end,
    torch raises (after one extrapolated step at `t = duration`); lrsched holds the final value:
    `s(t) = s(duration - 1)` for every `t >= duration - 1`.

    Args:
        duration: torch's `total_steps`, >= 1: the final value is reached at `duration - 1`.
        peak: The highest value (torch's `max_lr`).
        pct_start: Fraction of `duration` spent rising, in [0, 1] (`pct_start * duration`
            must not be exactly 1: that rise would have no length); keyword-only.
        div_factor: `peak / initial`, > 0; keyword-only.
        final_div_factor: `initial / low`, > 0; keyword-only.
        shape: `"cosine"` or `"linear"`; keyword-only.
        three_phase: Use the three-phase variant; keyword-only.

    Examples:
        >>> import lrsched as ls
        >>> s = ls.one_cycle(10, peak=25, final_div_factor=2, shape="linear")
        >>> s
        one_cycle(10, peak=25, final_div_factor=2, shape='linear')
        >>> [s(t) for t in range(10)]
        [1.0, 13.0, 25.0, 21.5, 18.0, 14.5, 11.0, 7.5, 4.0, 0.5]
        >>> s(10), s(1000)
        (0.5, 0.5)

    """
    duration = at_least("duration", duration, 1.0)
    peak = finite("peak", peak)
    pct_start = finite("pct_start", pct_start)
    if not 0.0 <= pct_start <= 1.0:
        msg = f"pct_start must be in [0, 1] (got {format_number(pct_start)})"
        raise ScheduleError(msg)
    div_factor = positive("div_factor", div_factor)
    final_div_factor = positive("final_div_factor", final_div_factor)
    shape = choice("shape", shape, _SHAPES)
    three_phase = flag("three_phase", three_phase)
    if float(pct_start * duration) - 1 == 0.0:
        msg = (
            f"pct_start * duration must not be 1 (got {format_number(pct_start)} * "
            f"{format_number(duration)}): the rising phase would have no length"
        )
        raise ScheduleError(msg)
    if peak == 0.0:
        return Constant(0.0)
    return OneCycle(duration, peak, pct_start, div_factor, final_div_factor, shape, three_phase)
