"""The :class:`Schedule` base class: evaluation at one time or many, and the ``*`` operator.

A schedule is an immutable function ``t -> value`` of time ``t >= 0`` (epochs, steps: the unit
is the caller's). Every concrete schedule is a frozen attrs class that implements one formula
twice: ``_at`` for one Python float (the fast path used by training loops) and ``_over`` for a
float64 numpy array (used for plots and time travel over many epochs). A property test ties the
two together.
"""

from __future__ import annotations

import abc
import math
import numbers
from typing import TYPE_CHECKING, Any, TypeVar, overload

import numpy as np
import numpy.typing as npt

from lrsched._errors import ScheduleError

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence

__all__ = ["CONSTRUCTORS", "Schedule", "ScheduleError", "Times", "constructor"]

FloatArray = npt.NDArray[np.float64]
Times = float | int | np.integer | np.floating | npt.NDArray[np.number] | list[float] | list[int]

_INF = math.inf
_F = TypeVar("_F", bound="Callable[..., Any]")

CONSTRUCTORS: dict[str, Callable[..., Schedule]] = {}
"""Every public schedule constructor by name: the vocabulary of the text form (``repr``)."""


def constructor(fn: _F) -> _F:
    """Register ``fn`` as a public schedule constructor (reprs of schedules may call it)."""
    CONSTRUCTORS[fn.__name__] = fn
    return fn


class Schedule(abc.ABC):
    """An immutable function of time: ``s(t)`` for ``t >= 0``.

    Build schedules with the constructors (:func:`~lrsched.cosine`, :func:`~lrsched.warmup`, ...)
    rather than by subclassing. Schedules are hashable values with structural equality, and
    ``repr(s)`` is the expression that builds ``s``.

    Calling a schedule with an ``int`` or ``float`` returns a Python ``float``; calling it with a
    numpy array (or a list) of times returns a float64 array of the same shape.

    Examples:
        >>> import numpy as np
        >>> import lrsched as ls
        >>> s = ls.warmup(ls.cosine(10), 2)
        >>> s(0), s(1), s(2), s(7)
        (0.0, 0.5, 1.0, 0.5)
        >>> s(np.array([0, 1, 2, 7]))
        array([0. , 0.5, 1. , 0.5])
        >>> s == ls.warmup(ls.cosine(10), 2)
        True

    """

    __slots__ = ()

    @overload
    def __call__(self, t: float | np.integer | np.floating) -> float: ...

    @overload
    def __call__(self, t: npt.NDArray[np.number] | Sequence[float]) -> FloatArray: ...

    def __call__(self, t: Times | Sequence[float]) -> float | FloatArray:
        """Evaluate at time ``t`` (a number, or an array of numbers, each finite and >= 0)."""
        kind = type(t)
        if kind is int or kind is float:
            return self._at(_scalar_time(t))
        if isinstance(t, np.ndarray | list | tuple):
            return self._over(_array_times(t))
        return self._at(_scalar_time(t))

    @abc.abstractmethod
    def _at(self, t: float) -> float:
        """Value at one validated time (a finite float >= 0)."""

    @abc.abstractmethod
    def _over(self, t: FloatArray) -> FloatArray:
        """Values at an array of validated times (finite float64 >= 0), same shape."""

    @property
    def opaque(self) -> bool:
        """True if the schedule wraps a Python callable, so its repr cannot be evaluated back."""
        return any(child.opaque for child in self._children())

    def _children(self) -> tuple[Schedule, ...]:
        """The schedules this one is built from (empty for a primitive)."""
        return ()

    def __mul__(self, other: object) -> Schedule:
        from lrsched._combinators import product  # noqa: PLC0415 (_combinators imports _core)

        if isinstance(other, Schedule | numbers.Real) and not isinstance(other, bool):
            return product(self, other)  # type: ignore[arg-type]  # a Real works as a float
        return NotImplemented

    def __rmul__(self, other: object) -> Schedule:
        from lrsched._combinators import product  # noqa: PLC0415 (_combinators imports _core)

        if isinstance(other, numbers.Real) and not isinstance(other, bool):
            return product(other, self)  # type: ignore[arg-type]  # a Real works as a float
        return NotImplemented


def _scalar_time(t: object) -> float:
    """Return ``t`` as a float, or raise if it is not a finite number >= 0."""
    if isinstance(t, bool) or not isinstance(t, numbers.Real):
        msg = f"t must be a real number or an array of them (got {type(t).__name__}: {t!r})"
        raise TypeError(msg)
    try:
        x = float(t)
    except OverflowError:
        msg = f"t must be a finite number >= 0 (got {t!r})"
        raise ScheduleError(msg) from None
    if not 0.0 <= x < _INF:
        msg = f"t must be a finite number >= 0 (got {x!r})"
        raise ScheduleError(msg)
    return x


def _array_times(t: object) -> FloatArray:
    """Return ``t`` as a float64 array, or raise if any element is not a finite number >= 0."""
    arr = np.asarray(t)
    if arr.dtype.kind not in "iuf":
        msg = f"t must be a real number or an array of them (got an array of dtype {arr.dtype})"
        raise TypeError(msg)
    times: FloatArray = arr.astype(np.float64, copy=False)
    if times.size and not (times.min() >= 0.0 and times.max() < _INF):
        bad = np.flatnonzero(~((times >= 0.0) & (times < _INF)))[0]
        index = np.unravel_index(bad, times.shape)
        where = index[0] if len(index) == 1 else tuple(int(i) for i in index)
        msg = f"t must be a finite number >= 0 (got t[{where}] = {float(times.flat[bad])!r})"
        raise ScheduleError(msg)
    return times


def power(base: float, exponent: float) -> float:
    """``base ** exponent`` for ``base > 0``, giving ``inf`` on overflow instead of raising."""
    try:
        return float(base**exponent)
    except OverflowError:
        return _INF


def power_array(base: float, exponent: FloatArray) -> FloatArray:
    """Elementwise ``base ** exponent`` for ``base > 0``: ``inf`` on overflow, never a warning."""
    with np.errstate(over="ignore", under="ignore"):
        return np.power(base, exponent)
