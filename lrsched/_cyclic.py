"""Schedules that cycle: cosine with warm restarts (SGDR), triangular cycles, the one-cycle policy.

Each formula is written in the same arithmetic order as torch's schedulers, so converted torch
schedules (:func:`lrsched.from_torch`) agree with torch to the last few bits, and restart
indices are found with exact comparisons rather than logarithms.
"""

from __future__ import annotations

import bisect
import math
import sys
from typing import final

import attrs
import numpy as np

from lrsched._core import FloatArray, Schedule, constructor, power, power_array
from lrsched._errors import ScheduleError
from lrsched._primitives import Constant
from lrsched._validate import finite, format_number, non_negative, positive

__all__ = ["cosine_restarts", "cyclic", "one_cycle"]

_MAX = sys.float_info.max
_HUGE = 1e300  # above this, pi * x may overflow


def _restart_points(period: float, mult: float) -> tuple[tuple[float, ...], tuple[float, ...]]:
    """Start times and lengths of the cycles ``period * mult**k``, k = 0, 1, ... (``mult >= 2``).

    Cycle k starts at ``period * (mult**k - 1) / (mult - 1)``. The sums are formed with Python
    integers (exact) and rounded to float once, so restart times that are whole numbers are
    exact; the list stops at the last start that is a finite float (about a thousand cycles
    for ``mult = 2``, fewer for larger ``mult``).
    """
    m = int(mult)
    whole = int(period) if period.is_integer() else None
    starts: list[float] = []
    lengths: list[float] = []
    count, size = 0, 1  # count = (m**k - 1) / (m - 1) unit cycles before cycle k; size = m**k
    while True:
        try:
            start = float(whole * count) if whole is not None else period * float(count)
        except OverflowError:
            break
        if start > _MAX:
            break
        try:
            length = float(whole * size) if whole is not None else period * float(size)
        except OverflowError:
            length = math.inf
        starts.append(start)
        lengths.append(length)
        count, size = count + size, size * m
    return tuple(starts), tuple(lengths)


@final
@attrs.frozen(repr=False)
class CosineRestarts(Schedule):
    """A cosine from ``start`` to ``end`` over each cycle; cycle k lasts ``period * mult**k``."""

    _over_returns_new = True  # every _over below builds a new array

    period: float
    mult: float = 1.0
    start: float = 1.0
    end: float = 0.0
    _cycles: tuple[tuple[float, ...], tuple[float, ...]] = attrs.field(
        init=False, eq=False, hash=False
    )

    @_cycles.default
    def _restarts(self) -> tuple[tuple[float, ...], tuple[float, ...]]:
        return _restart_points(self.period, self.mult) if self.mult != 1.0 else ((), ())

    def _at(self, t: float) -> float:
        if self.mult == 1.0:
            length = self.period
            elapsed = math.fmod(t, length)
        else:
            starts, lengths = self._cycles
            k = bisect.bisect_right(starts, t) - 1
            length = lengths[k]
            elapsed = t - starts[k]
        # torch's order of operations; pi * elapsed only overflows in the last, infinite cycle.
        angle = math.pi * elapsed / length if elapsed < _HUGE else math.pi * (elapsed / length)
        return self.end + (self.start - self.end) * (1.0 + math.cos(angle)) / 2.0

    def _over(self, t: FloatArray) -> FloatArray:
        if self.mult == 1.0:
            length: FloatArray | float = self.period
            elapsed = np.fmod(t, self.period)
        else:
            starts = np.asarray(self._cycles[0])
            k = np.searchsorted(starts, t, side="right") - 1
            length = np.asarray(self._cycles[1])[k]
            elapsed = t - starts[k]
        with np.errstate(over="ignore", invalid="ignore"):
            angle = np.where(elapsed < _HUGE, np.pi * elapsed / length, np.pi * (elapsed / length))
        return self.end + (self.start - self.end) * (1.0 + np.cos(angle)) / 2.0

    def __repr__(self) -> str:
        options = "".join(
            f", {name}={format_number(value)}"
            for name, value, default in (
                ("mult", self.mult, 1.0),
                ("start", self.start, 1.0),
                ("end", self.end, 0.0),
            )
            if value != default
        )
        return f"cosine_restarts({format_number(self.period)}{options})"


_MODES = ("triangular", "triangular2", "exp_range")


@final
@attrs.frozen(repr=False)
class Cyclic(Schedule):
    """Triangles between ``low`` and ``high``, rising over ``up`` then falling over ``down``."""

    _over_returns_new = True  # every _over below builds a new array

    low: float
    high: float
    up: float
    down: float
    mode: str = "triangular"
    gamma: float = 1.0

    def _at(self, t: float) -> float:
        total = self.up + self.down
        ratio = self.up / total
        cycle = math.floor(1 + t / total)
        x = 1.0 + t / total - cycle
        scale = x / ratio if x <= ratio else (x - 1) / (ratio - 1)
        height = (self.high - self.low) * scale
        if self.mode == "triangular":
            return self.low + height
        if self.mode == "triangular2":
            amplitude = 1 / power(2.0, cycle - 1)
        else:
            amplitude = power(self.gamma, t)
        value = self.low + height * amplitude
        return value if value == value else self.low  # noqa: PLR0124 (NaN: 0 * inf only)

    def _over(self, t: FloatArray) -> FloatArray:
        total = self.up + self.down
        ratio = self.up / total
        cycle = np.floor(1 + t / total)
        x = 1.0 + t / total - cycle
        with np.errstate(divide="ignore", invalid="ignore"):
            scale = np.where(x <= ratio, x / ratio, (x - 1) / (ratio - 1))
        height = (self.high - self.low) * scale
        if self.mode == "triangular":
            return self.low + height
        if self.mode == "triangular2":
            amplitude = 1 / power_array(2.0, cycle - 1)
        else:
            amplitude = power_array(self.gamma, t)
        with np.errstate(invalid="ignore"):
            value = self.low + height * amplitude
        return np.where(np.isnan(value), self.low, value)

    def __repr__(self) -> str:
        args = [format_number(v) for v in (self.low, self.high, self.up)]
        if self.down != self.up:
            args.append(format_number(self.down))
        if self.mode != "triangular":
            args.append(f"mode={self.mode!r}")
        if self.gamma != 1.0:
            args.append(f"gamma={format_number(self.gamma)}")
        return f"cyclic({', '.join(args)})"


_ANNEALS = ("cos", "linear")


def _anneal(kind: str, start: float, end: float, pct: float) -> float:
    if kind == "cos":
        return end + (start - end) / 2.0 * (math.cos(math.pi * pct) + 1)
    return (end - start) * pct + start


def _anneal_array(kind: str, start: float, end: float, pct: FloatArray) -> FloatArray:
    if kind == "cos":
        return end + (start - end) / 2.0 * (np.cos(np.pi * pct) + 1)
    return (end - start) * pct + start


@final
@attrs.frozen(repr=False)
class OneCycle(Schedule):
    """torch's ``OneCycleLR`` curve up to step ``duration - 1``, then its final value held."""

    _over_returns_new = True  # every _over below builds a new array

    duration: float
    peak: float = 1.0
    pct_start: float = 0.3
    div_factor: float = 25.0
    final_div_factor: float = 1e4
    anneal: str = "cos"
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

    def _at(self, t: float) -> float:
        t = min(t, self.duration - 1)
        begin = 0.0
        last = len(self._phases) - 1
        for i, (end_step, start, end) in enumerate(self._phases):
            if t <= end_step or i == last:
                return _anneal(self.anneal, start, end, (t - begin) / (end_step - begin))
            begin = end_step
        raise AssertionError  # pragma: no cover - the last phase always matches

    def _over(self, t: FloatArray) -> FloatArray:
        t = np.minimum(t, self.duration - 1)
        out = np.empty(t.shape)
        todo = np.ones(t.shape, dtype=bool)
        begin = 0.0
        last = len(self._phases) - 1
        for i, (end_step, start, end) in enumerate(self._phases):
            chosen = todo if i == last else todo & (t <= end_step)
            if chosen.any():
                pct = (t[chosen] - begin) / (end_step - begin)
                out[chosen] = _anneal_array(self.anneal, start, end, pct)
            todo &= ~chosen
            begin = end_step
        return out

    def __repr__(self) -> str:
        args = [format_number(self.duration)]
        if self.peak != 1.0:
            args.append(format_number(self.peak))
        for name, value, default in (
            ("pct_start", self.pct_start, 0.3),
            ("div_factor", self.div_factor, 25.0),
            ("final_div_factor", self.final_div_factor, 1e4),
        ):
            if value != default:
                args.append(f"{name}={format_number(value)}")
        if self.anneal != "cos":
            args.append(f"anneal={self.anneal!r}")
        if self.three_phase:
            args.append("three_phase=True")
        return f"one_cycle({', '.join(args)})"


def _whole(name: str, value: object, minimum: int) -> float:
    x = finite(name, value)
    if not x.is_integer() or x < minimum:
        msg = f"{name} must be a whole number >= {minimum} (got {format_number(x)})"
        raise ScheduleError(msg)
    return x


def _choice(name: str, value: object, choices: tuple[str, ...]) -> str:
    if not isinstance(value, str) or value not in choices:
        options = ", ".join(repr(c) for c in choices)
        msg = f"{name} must be one of {options} (got {value!r})"
        raise ScheduleError(msg)
    return value


@constructor
def cosine_restarts(
    period: float, *, mult: float = 1, start: float = 1.0, end: float = 0.0
) -> Schedule:
    r"""Cosine annealing with warm restarts (SGDR): a cosine per cycle, cycles growing by ``mult``.

    Cycle k lasts :math:`T_k = period \cdot mult^k` and starts at
    :math:`S_k = period (mult^k - 1) / (mult - 1)` (:math:`S_k = k \cdot period` when
    ``mult = 1``). With :math:`u = t - S_k` the time inside the current cycle,

    .. math:: s(t) = end + (start - end) \frac{1 + \cos(\pi u / T_k)}{2}

    Each cycle starts at ``start`` (inclusive: ``s(S_k) = start``) and approaches ``end`` just
    before the next restart. torch's ``CosineAnnealingWarmRestarts(T_0=period, T_mult=mult,
    eta_min=end)`` stepped once per epoch is ``cosine_restarts(period, mult=mult, start=base_lr,
    end=eta_min)``. The cycle is found by exact comparison with the restart times (integer
    arithmetic), not with ``floor(log(...))``, which misplaces some restarts (``period=1,
    mult=3``: torch's ``step(121)`` puts t = 121 at the end of a cycle; it starts one).

    Args:
        period: Length of the first cycle, > 0 (need not be an integer).
        mult: Growth factor of the cycle length, a whole number >= 1; keyword-only.
        start: Value at the start of every cycle; keyword-only.
        end: Value approached at the end of every cycle; keyword-only.

    Examples:
        >>> import lrsched as ls
        >>> s = ls.cosine_restarts(10, mult=2)
        >>> s
        cosine_restarts(10, mult=2)
        >>> s(0), s(5), s(10), s(20), s(30)
        (1.0, 0.5, 1.0, 0.5, 1.0)
        >>> ls.cosine_restarts(1, mult=3)(121)
        1.0

    """
    period = positive("period", period)
    mult = _whole("mult", mult, 1)
    start = finite("start", start)
    end = finite("end", end)
    if start == end:
        return Constant(start)
    return CosineRestarts(period, mult, start, end)


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
    r"""Cycle linearly between ``low`` and ``high``: up over ``up``, down over ``down``, repeat.

    With ``c = up + down``, ``cycle = floor(1 + t / c)``, ``x = 1 + t / c - cycle`` (the fraction
    of the current cycle) and ``r = up / c``:

    .. math:: s(t) = low + (high - low) \cdot scale(x) \cdot amplitude(t), \quad
              scale(x) = \begin{cases} x / r & x \le r \\ (x - 1) / (r - 1) & x > r \end{cases}

    ``amplitude`` is 1 (``mode="triangular"``), ``1 / 2**(cycle - 1)`` (``"triangular2"``:
    halved every cycle) or ``gamma**t`` (``"exp_range"``). This is torch's ``CyclicLR`` with
    ``base_lr=low, max_lr=high, step_size_up=up, step_size_down=down``; its momentum is
    ``cyclic(max_momentum, base_momentum, up, down, ...)`` (``from_torch(..., keys=True)``).

    Args:
        low: Value at the start of each cycle (``s(0) = low``).
        high: Value at the top of the first cycle, reached at ``t = up``.
        up: Length of the rising half, > 0.
        down: Length of the falling half, >= 0; ``None`` means ``up``.
        mode: ``"triangular"``, ``"triangular2"`` or ``"exp_range"``; keyword-only.
        gamma: Per-time-unit amplitude factor of ``"exp_range"``, > 0; only allowed with that
            mode (``exp_range`` with ``gamma=1`` is ``triangular``); keyword-only.

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
    down = up if down is None else non_negative("down", down)
    mode = _choice("mode", mode, _MODES)
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
    anneal: str = "cos",
    three_phase: bool = False,
) -> Schedule:
    r"""The one-cycle policy: rise to ``peak``, then anneal far below the start; then hold.

    The values are ``initial = peak / div_factor`` and ``low = initial / final_div_factor``.
    Two phases (the default): ``initial -> peak`` over steps ``[0, e1]`` with
    ``e1 = pct_start * duration - 1``, then ``peak -> low`` until step ``duration - 1``. Three
    phases: ``initial -> peak`` until ``e1``, ``peak -> initial`` until
    ``2 * pct_start * duration - 2``, ``initial -> low`` until ``duration - 1``. A phase from
    step ``a`` to ``b`` with values ``v0 -> v1`` gives, with ``p = (t - a) / (b - a)``:

    .. math:: \text{cos:}\ v1 + \frac{v0 - v1}{2} (1 + \cos \pi p) \qquad
              \text{linear:}\ v0 + (v1 - v0)\, p

    These are exactly torch's ``OneCycleLR(max_lr=peak, total_steps=duration, ...)`` formulas
    and step conventions. Past the end, torch raises (after one extrapolated step at
    ``t = duration``); lrsched holds the final value: ``s(t) = s(duration - 1)`` for every
    ``t >= duration - 1``.

    Args:
        duration: torch's ``total_steps``, >= 1: the final value is reached at
            ``duration - 1``.
        peak: The highest value (torch's ``max_lr``).
        pct_start: Fraction of ``duration`` spent rising, in [0, 1] (``pct_start * duration``
            must not be exactly 1: that rise would have no length); keyword-only.
        div_factor: ``peak / initial``, > 0; keyword-only.
        final_div_factor: ``initial / low``, > 0; keyword-only.
        anneal: ``"cos"`` or ``"linear"``; keyword-only.
        three_phase: Use the three-phase variant; keyword-only.

    Examples:
        >>> import lrsched as ls
        >>> s = ls.one_cycle(10, 25, final_div_factor=2, anneal="linear")
        >>> s
        one_cycle(10, 25, final_div_factor=2, anneal='linear')
        >>> [s(t) for t in range(10)]
        [1.0, 13.0, 25.0, 21.5, 18.0, 14.5, 11.0, 7.5, 4.0, 0.5]
        >>> s(10), s(1000)
        (0.5, 0.5)

    """
    duration = finite("duration", duration)
    if duration < 1:
        msg = f"duration must be >= 1 (got {format_number(duration)})"
        raise ScheduleError(msg)
    peak = finite("peak", peak)
    pct_start = finite("pct_start", pct_start)
    if not 0.0 <= pct_start <= 1.0:
        msg = f"pct_start must be in [0, 1] (got {format_number(pct_start)})"
        raise ScheduleError(msg)
    div_factor = positive("div_factor", div_factor)
    final_div_factor = positive("final_div_factor", final_div_factor)
    anneal = _choice("anneal", anneal, _ANNEALS)
    if not isinstance(three_phase, bool):
        msg = f"three_phase must be True or False (got {three_phase!r})"
        raise TypeError(msg)
    if float(pct_start * duration) - 1 == 0.0:
        msg = (
            f"pct_start * duration must not be 1 (got {format_number(pct_start)} * "
            f"{format_number(duration)}): the rising phase would have no length"
        )
        raise ScheduleError(msg)
    if peak == 0.0:
        return Constant(0.0)
    return OneCycle(duration, peak, pct_start, div_factor, final_div_factor, anneal, three_phase)
