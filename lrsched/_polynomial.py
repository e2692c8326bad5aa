"""Polynomial decay: ``(1 - t / duration) ** power`` between a start and an end value."""

from __future__ import annotations

from typing import final

import attrs
import numpy as np

from lrsched._core import FloatArray, Schedule, constructor
from lrsched._errors import ScheduleError
from lrsched._primitives import Constant, Linear
from lrsched._validate import finite, format_number, positive

__all__ = ["polynomial"]


@final
@attrs.frozen(repr=False)
class Polynomial(Schedule):
    """``end + (start - end) * (1 - min(t, duration) / duration) ** power``."""

    _over_returns_new = True  # every _over below builds a new array

    duration: float
    power: float
    start: float = 1.0
    end: float = 0.0

    def _at(self, t: float) -> float:
        d = self.duration
        remaining = 1.0 - min(t, d) / d
        return self.end + (self.start - self.end) * float(remaining**self.power)

    def _over(self, t: FloatArray) -> FloatArray:
        d = self.duration
        remaining = 1.0 - np.minimum(t, d) / d
        with np.errstate(under="ignore"):
            return self.end + (self.start - self.end) * np.power(remaining, self.power)

    def __repr__(self) -> str:
        options = "".join(
            f", {name}={format_number(value)}"
            for name, value, default in (
                ("power", self.power, 1.0),
                ("start", self.start, 1.0),
                ("end", self.end, 0.0),
            )
            if value != default
        )
        return f"polynomial({format_number(self.duration)}{options})"


@constructor
def polynomial(
    duration: float, power: float = 1.0, start: float = 1.0, end: float = 0.0
) -> Schedule:
    r"""Decay from ``start`` to ``end`` along a power curve over ``[0, duration]``, then hold.

    .. math:: s(t) = end + (start - end) \left(1 - \frac{\min(t, duration)}{duration}\right)^{power}

    torch's ``PolynomialLR(total_iters=duration, power=power)`` is ``polynomial(duration,
    power)`` (start 1, end 0), times the base lr. ``power=1`` is a straight line and is returned
    as :func:`~lrsched.linear`; ``power=0`` (or ``start == end``) is the constant ``start``.

    Args:
        duration: Length of the decay, > 0 (need not be an integer). ``s(duration) = end``.
        power: Exponent of the curve, >= 0: > 1 falls fast then flattens, < 1 falls slowly
            then steeply.
        start: Value at t = 0.
        end: Value from t = duration on.

    Examples:
        >>> import lrsched as ls
        >>> s = ls.polynomial(10, power=2)
        >>> s
        polynomial(10, power=2)
        >>> s(0), s(5), s(10), s(1000)
        (1.0, 0.25, 0.0, 0.0)
        >>> ls.polynomial(4, start=0.5, end=0.1)
        linear(0.5, 0.1, 4)

    """
    duration = positive("duration", duration)
    power = finite("power", power)
    if power < 0:
        msg = f"power must be >= 0 (got {format_number(power)})"
        raise ScheduleError(msg)
    start = finite("start", start)
    end = finite("end", end)
    if power == 0.0 or start == end:
        return Constant(start)
    if power == 1.0:
        return Linear(start, end, duration)
    return Polynomial(duration, power, start, end)
