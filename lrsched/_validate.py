"""Argument checks shared by every constructor.

Each check converts its argument to canonical form (numbers become ``float``, ``-0.0`` becomes
``0.0``) and raises `lrsched.ScheduleError` with a message that names the parameter,
the rule and the value, e.g. ``duration must be > 0 (got 0)``.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Iterable
from typing import TYPE_CHECKING

from lrsched._errors import ScheduleError
from lrsched._spelling import format_number

if TYPE_CHECKING:
    from lrsched._core import Schedule

__all__ = [
    "at_least",
    "below",
    "choice",
    "count",
    "finite",
    "flag",
    "format_number",
    "non_negative",
    "positive",
    "schedule",
    "sorted_points",
    "whole",
]


def _number(name: str, value: object) -> float:
    """Convert a real number (not a bool) to float, or raise TypeError naming ``name``."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        msg = f"{name} must be a real number (got {_shown(value)} of type {type(value).__name__})"
        raise TypeError(msg)
    try:
        return float(value) + 0.0  # + 0.0: -0.0 becomes 0.0, one float per value
    except OverflowError:
        msg = f"{name} must be a finite number (got {_shown(value)})"
        raise ScheduleError(msg) from None


def _shown(value: object) -> str:
    text = repr(value)
    return text if len(text) <= 60 else f"{text[:28]}...{text[-28:]}"


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
    return at_least(name, value, 0.0)


def at_least(name: str, value: object, low: float) -> float:
    """Return ``value`` as a float; it must be finite and >= ``low``."""
    x = finite(name, value)
    if x < low:
        msg = f"{name} must be >= {format_number(low)} (got {format_number(x)})"
        raise ScheduleError(msg)
    return x


def whole(name: str, value: object, minimum: int) -> float:
    """Return ``value`` as a float; it must be a whole number >= ``minimum``."""
    x = finite(name, value)
    if not x.is_integer() or x < minimum:
        msg = f"{name} must be a whole number >= {minimum} (got {format_number(x)})"
        raise ScheduleError(msg)
    return x


def count(name: str, value: object) -> int:
    """Return ``value`` as an int; it must be an integer >= 0."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        msg = f"{name} must be an int >= 0 (got {type(value).__name__}: {_shown(value)})"
        raise TypeError(msg)
    if value < 0:
        msg = f"{name} must be >= 0 (got {value})"
        raise ScheduleError(msg)
    return int(value)


def choice(name: str, value: object, choices: tuple[str, ...]) -> str:
    """Return ``value``; it must be one of the strings ``choices``."""
    if not isinstance(value, str) or value not in choices:
        options = ", ".join(repr(c) for c in choices)
        msg = f"{name} must be one of {options} (got {_shown(value)})"
        raise ScheduleError(msg)
    return value


def flag(name: str, value: object) -> bool:
    """Return ``value``; it must be True or False."""
    if not isinstance(value, bool):
        msg = f"{name} must be True or False (got {_shown(value)})"
        raise TypeError(msg)
    return value


def schedule(name: str, value: object) -> Schedule:
    """Return ``value``; it must be a Schedule."""
    from lrsched._core import Schedule  # noqa: PLC0415 (_core imports this module's users)

    if not isinstance(value, Schedule):
        msg = f"{name} must be a Schedule (got {type(value).__name__}: {_shown(value)})"
        raise TypeError(msg)
    return value


def sorted_points(name: str, values: object, *, strict: bool) -> tuple[float, ...]:
    """Return the finite, non-negative numbers in ``values`` as a tuple of floats.

    With ``strict`` the values must already be strictly increasing (they are concat
    boundaries, whose order is meaningful); otherwise they are sorted (milestones are a multiset).
    """
    if isinstance(values, str | bytes) or not isinstance(values, Iterable):
        msg = f"{name} must be a sequence of numbers (got {_shown(values)})"
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
