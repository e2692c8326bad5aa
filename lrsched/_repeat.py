"""Schedules in time: ``repeat`` (cycles, with growing periods and decaying peaks) and ``shift``."""

from __future__ import annotations

import math
from typing import TypeGuard, final

import attrs
import numpy as np

from lrsched._combinators import concat
from lrsched._core import FloatArray, Schedule, constructor, power, power_array
from lrsched._cyclic import cosine_restarts
from lrsched._errors import ScheduleError
from lrsched._primitives import Constant, Cosine, constant
from lrsched._validate import finite, format_number, non_negative, positive

__all__ = ["repeat", "shift"]

_CORRECTIONS = 4
"""Steps from the logarithmic estimate of a cycle index to the exact one (it is off by <= 1)."""


@final
@attrs.frozen(repr=False)
class Repeat(Schedule):
    """Cycle ``i``: ``s`` on ``[0, period)`` stretched ``growth**i`` times, scaled ``gamma**i``."""

    schedule: Schedule
    period: float
    growth: float = 1.0
    gamma: float = 1.0

    def _children(self) -> tuple[Schedule, ...]:
        return (self.schedule,)

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
                # More cycles than a float counts (a period near 0): the limit, local time 0.
                return math.inf
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

    def _at(self, t: float) -> float:
        i = self._cycle(t)
        local = max(t - self._start(i), 0.0)
        if self.growth != 1.0:
            local /= power(self.growth, i)
        value = self.schedule._at(local)
        if self.gamma != 1.0:
            value *= power(self.gamma, i)
        return value if value == value else 0.0  # noqa: PLR0124 (NaN test: only 0 * inf)

    def _over(self, t: FloatArray) -> FloatArray:
        g, p = self.growth, self.period
        with np.errstate(divide="ignore", over="ignore", under="ignore", invalid="ignore"):
            if g == 1.0:
                i = np.floor(t / p)  # inf past a float's count: the limit, local time 0
            else:
                x = t * (g - 1.0) / p
                big = (np.log(t) + math.log(g - 1.0) - math.log(p)) / math.log(g)
                i = np.floor(np.where(x < np.inf, np.log1p(x) / math.log(g), big))
            for _ in range(_CORRECTIONS):
                up = self._starts(i + 1.0) <= t
                down = ~up & (i > 0.0) & (self._starts(i) > t)
                i = np.where(up, i + 1.0, np.where(down, i - 1.0, i))
            local = np.maximum(t - self._starts(i), 0.0)
            if g != 1.0:
                local = local / self._powers(g, i)
            value = self.schedule._over(local)
            if self.gamma != 1.0:
                value = value * self._powers(self.gamma, i)
        return np.where(np.isnan(value), 0.0, value)

    def _starts(self, i: FloatArray) -> FloatArray:
        if self.growth == 1.0:
            return self.period * i
        # Growing cycles are few (their number grows like log t): the scalar formula per
        # distinct cycle cuts cycles at exactly the same times as _at does.
        cycles, index = np.unique(i, return_inverse=True)
        return np.array([self._start(c) for c in cycles.tolist()])[index].reshape(i.shape)

    def _powers(self, base: float, i: FloatArray) -> FloatArray:
        if self.growth == 1.0:
            return power_array(base, i)
        cycles, index = np.unique(i, return_inverse=True)
        return np.array([power(base, c) for c in cycles.tolist()])[index].reshape(i.shape)

    def __repr__(self) -> str:
        options = "".join(
            f", {name}={format_number(value)}"
            for name, value in (("growth", self.growth), ("gamma", self.gamma))
            if value != 1.0
        )
        return f"repeat({self.schedule!r}, {format_number(self.period)}{options})"


@constructor
def repeat(s: Schedule, period: float, *, growth: float = 1.0, gamma: float = 1.0) -> Schedule:
    r"""Run ``s`` over and over: cycle ``i`` lasts ``period * growth**i``, scaled by ``gamma**i``.

    .. math:: r(t) = \gamma^i\, s\!\left(\frac{t - start_i}{growth^i}\right), \quad
              start_i = period \frac{growth^i - 1}{growth - 1}\ (= period \cdot i \text{ if }
              growth = 1)

    where ``i`` is the cycle with ``start_i <= t < start_(i+1)``. Each cycle sees ``s`` on its own
    clock from 0, stretched so that ``s`` over ``[0, period)`` fills the cycle. ``gamma``
    scales a whole cycle (its floor too: ``clamp`` it to keep a floor).

    With ``s = cosine(period, start=lr, end=eta_min)``, a whole-number ``growth`` and no
    ``gamma`` this is SGDR, torch's ``CosineAnnealingWarmRestarts(T_0=period, T_mult=growth,
    eta_min=eta_min)``, and the result *is* ``cosine_restarts(period, mult=growth, start=lr,
    end=eta_min)``: one tree for one meaning, so the two spellings are ``==``.

    Args:
        s: The schedule of one cycle (only ``[0, period)`` of it is used).
        period: Length of the first cycle, > 0.
        growth: Length ratio of each cycle to the one before, >= 1 (torch's ``T_mult``).
        gamma: Scale of each cycle relative to the one before, > 0 (peak decay if < 1).

    Examples:
        >>> import lrsched as ls
        >>> s = ls.repeat(ls.linear(1, 0, 10), 10, gamma=0.5)
        >>> s(0), s(5), s(10), s(25)
        (1.0, 0.5, 0.5, 0.125)
        >>> r = ls.repeat(ls.cosine(10), 10, growth=2)
        >>> r
        cosine_restarts(10, mult=2)
        >>> r(10), r(20), r(30), r(70)
        (1.0, 0.5, 1.0, 1.0)

    """
    if not isinstance(s, Schedule):
        msg = f"s must be a Schedule (got {type(s).__name__}: {s!r})"
        raise TypeError(msg)
    period = positive("period", period)
    growth = finite("growth", growth)
    if growth < 1.0:
        msg = f"growth must be >= 1 (got {format_number(growth)})"
        raise ScheduleError(msg)
    gamma = positive("gamma", gamma)
    if isinstance(s, Constant) and gamma == 1.0:
        return s
    if _is_sgdr(s, period, growth, gamma):
        return cosine_restarts(period, mult=growth, start=s.start, end=s.end)
    return Repeat(s, period, growth, gamma)


def _is_sgdr(s: Schedule, period: float, growth: float, gamma: float) -> TypeGuard[Cosine]:
    """Whether ``repeat(s, period, growth=growth, gamma=gamma)`` is a ``cosine_restarts``.

    A cosine over exactly one period (periodic or not: each cycle only sees ``[0, period]``,
    where the two agree), cycles growing by a whole factor (``cosine_restarts``' ``mult``), no
    decay, and a drop ``start - end`` that is a finite float (``cosine_restarts`` has no
    overflow-safe form for a wider one).
    """
    return (
        isinstance(s, Cosine)
        and s.duration == period
        and growth.is_integer()
        and gamma == 1.0
        and math.isfinite(s.start - s.end)
    )


@constructor
def shift(s: Schedule, delay: float, *, before: float | None = None) -> Schedule:
    """Delay ``s`` by ``delay``: ``s(t - delay)`` from ``delay`` on, ``before`` until then.

    ``before`` defaults to ``s(0)`` (the schedule waits at its first value). The result is
    ``concat([constant(before), s], [delay])``, and ``shift(s, 0)`` is ``s``.

    Args:
        s: The schedule to delay.
        delay: How long to wait, >= 0.
        before: The value while waiting (default ``s(0)``).

    Examples:
        >>> import lrsched as ls
        >>> s = ls.shift(ls.cosine(10), 5)
        >>> s
        concat([constant(1), cosine(10)], [5])
        >>> s(0), s(5), s(10), s(15)
        (1.0, 1.0, 0.5, 0.0)
        >>> ls.shift(ls.cosine(10), 5, before=0)(4)
        0.0

    """
    if not isinstance(s, Schedule):
        msg = f"s must be a Schedule (got {type(s).__name__}: {s!r})"
        raise TypeError(msg)
    delay = non_negative("delay", delay)
    wait = s(0) if before is None else finite("before", before)
    if delay == 0.0:
        return s
    return concat([constant(wait), s], [delay])
