"""Argument checks shared by every constructor.

Each check converts its argument to canonical form (numbers become ``float``) and raises
:class:`~lrsched.ScheduleError` with a message that names the parameter, the rule and the value,
e.g. ``duration must be > 0 (got 0.0)``.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Iterable

from lrsched._errors import ScheduleError

__all__ = [
    "below",
    "finite",
    "format_number",
    "non_negative",
    "positive",
    "sorted_points",
]


def _number(name: str, value: object) -> float:
    """Convert a real number (not a bool) to float, or raise TypeError naming ``name``."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        msg = f"{name} must be a real number (got {value!r} of type {type(value).__name__})"
        raise TypeError(msg)
    try:
        return float(value)
    except OverflowError:
        msg = f"{name} must be a finite number (got {value!r})"
        raise ScheduleError(msg) from None


def finite(name: str, value: object) -> float:
    """Return ``value`` as a float; it must be a finite real number.

    >>> finite("gamma", 2)
    2.0
    >>> finite("gamma", float("nan"))
    Traceback (most recent call last):
    lrsched._errors.ScheduleError: gamma must be a finite number (got nan)
    """
    x = _number(name, value)
    if not math.isfinite(x):
        msg = f"{name} must be a finite number (got {x!r})"
        raise ScheduleError(msg)
    return x


def positive(name: str, value: object) -> float:
    """Return ``value`` as a float; it must be finite and > 0."""
    x = finite(name, value)
    if x <= 0:
        msg = f"{name} must be > 0 (got {format_number(x)})"
        raise ScheduleError(msg)
    return x


def non_negative(name: str, value: object) -> float:
    """Return ``value`` as a float; it must be finite and >= 0."""
    x = finite(name, value)
    if x < 0:
        msg = f"{name} must be >= 0 (got {format_number(x)})"
        raise ScheduleError(msg)
    return x


def sorted_points(name: str, values: object, *, strict: bool) -> tuple[float, ...]:
    """Return the finite, non-negative numbers in ``values`` as a tuple of floats.

    With ``strict`` the values must already be strictly increasing (they are concat
    boundaries, whose order is meaningful); otherwise they are sorted (milestones are a multiset).
    """
    if isinstance(values, str | bytes) or not isinstance(values, Iterable):
        msg = f"{name} must be a sequence of numbers (got {values!r})"
        raise TypeError(msg)
    points = tuple(non_negative(f"{name}[{i}]", v) for i, v in enumerate(values))
    if not strict:
        return tuple(sorted(points))
    for i in range(1, len(points)):
        if points[i] <= points[i - 1]:
            msg = (
                f"{name} must be strictly increasing "
                f"(got {name}[{i - 1}] = {format_number(points[i - 1])}, "
                f"{name}[{i}] = {format_number(points[i])})"
            )
            raise ScheduleError(msg)
    return points


def format_number(x: float) -> str:
    """Format a float exactly and briefly: integral values without a fraction.

    The result evaluates back to the same float (``float(eval(format_number(x))) == x``).

    >>> format_number(95.0), format_number(0.1), format_number(-2.0), format_number(1e300)
    ('95', '0.1', '-2', '1e+300')
    """
    if x.is_integer() and abs(x) < 1e16:
        return str(int(x)) if x or math.copysign(1.0, x) > 0 else "-0.0"
    return repr(x)


def below(name: str, value: object, low: float, high: float) -> float:
    """Return ``value`` as a float; it must be finite and in ``[low, high)``.

    >>> below("betas[0]", 1.2, 0.0, 1.0)
    Traceback (most recent call last):
    lrsched._errors.ScheduleError: betas[0] must be in [0, 1) (got 1.2)
    """
    x = finite(name, value)
    if not low <= x < high:
        bounds = f"[{format_number(low)}, {format_number(high)})"
        msg = f"{name} must be in {bounds} (got {format_number(x)})"
        raise ScheduleError(msg)
    return x
