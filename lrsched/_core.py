"""The :class:`Schedule` base class: evaluation at one time or many, and the ``*`` operator.

A schedule is an immutable function ``t -> value`` of time ``t >= 0`` (epochs, steps: the unit
is the caller's). Every concrete schedule is a frozen attrs class that implements one formula
twice: ``_at`` for one Python float (the fast path used by training loops) and ``_over`` for a
float64 numpy array (used for plots and time travel over many epochs). A property test ties the
two together.

Scalar speed: ``s(t)`` does not walk the tree through ``_at`` methods. Each node may build, once,
a *scalar function* (:meth:`Schedule._scalar`): a closure over its parameters and over its
children's scalar functions, cached on the instance (:func:`scalar_function`). ``s(t)`` checks
``t`` with one chained comparison and calls it, so a warmup + cosine costs two small Python
calls, about what a hand-written formula costs. Nodes that only implement ``_at`` fall back to
it. ``_over`` implementations work in place on the arrays they allocate, and on a child's result
only when they own it (:func:`owned_over`), never on ``t``: fewer passes over memory.
"""

from __future__ import annotations

import abc
import math
import numbers
import reprlib
import sys
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, ClassVar, TypeVar, overload

import numpy as np
import numpy.typing as npt

from lrsched._config import class_level_fields
from lrsched._errors import ScheduleError

if TYPE_CHECKING:
    from collections.abc import Sequence

__all__ = [
    "CONSTRUCTORS",
    "ScalarFunction",
    "Schedule",
    "ScheduleError",
    "Times",
    "constructor",
    "owned_over",
    "scalar_function",
]

FloatArray = npt.NDArray[np.float64]
Times = float | int | np.integer | np.floating | npt.NDArray[np.number] | list[float] | list[int]
ScalarFunction = Callable[[float], float]
"""A schedule's value at one validated time (a finite float >= 0), as a plain function."""

_INF = math.inf
_LARGEST_INT = int(sys.float_info.max)  # ints up to this convert to float without overflow
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

    # The cached scalar function (see `scalar_function`). It is not an attrs field, so it takes
    # no part in ==, hash, repr or pickling (attrs' slotted __getstate__ saves fields only).
    __slots__ = ("_scalar_fn",)
    _scalar_fn: ScalarFunction

    _over_returns_new: ClassVar[bool] = False
    """True if ``_over`` always returns a new array that nothing else refers to, so that a
    combinator may write into it (see :func:`owned_over`); otherwise the combinator copies it."""

    @overload
    def __call__(self, t: float | np.integer | np.floating) -> float: ...

    @overload
    def __call__(self, t: npt.NDArray[np.number] | Sequence[float]) -> FloatArray: ...

    def __call__(self, t: Times | Sequence[float]) -> float | FloatArray:
        """Evaluate at time ``t`` (a number, or an array of numbers, each finite and >= 0)."""
        # The hot path of a training loop: an int or float is checked with one chained
        # comparison (False for NaN, negatives and inf) and passed to the cached scalar function.
        if type(t) is float:
            if 0.0 <= t < _INF:
                try:
                    fn = self._scalar_fn
                except AttributeError:
                    fn = scalar_function(self)
                return fn(t)
        elif type(t) is int and 0 <= t <= _LARGEST_INT:
            try:
                fn = self._scalar_fn
            except AttributeError:
                fn = scalar_function(self)
            return fn(float(t))
        elif isinstance(t, np.ndarray | list | tuple):
            times = _array_times(t)
            # Far in the future values may overflow to inf or underflow to 0, as Python floats
            # do silently in the scalar path: never a warning (a NaN still warns: "invalid").
            with np.errstate(over="ignore", under="ignore"):
                if times.ndim == 0:  # numpy gives scalars, not arrays, for 0-d arithmetic
                    return self._over(times.reshape(1)).reshape(())
                return self._over(times)
        return scalar_function(self)(_scalar_time(t))

    @abc.abstractmethod
    def _at(self, t: float) -> float:
        """Value at one validated time (a finite float >= 0)."""

    @abc.abstractmethod
    def _over(self, t: FloatArray) -> FloatArray:
        """Values at an array of validated times (finite float64 >= 0), same shape.

        ``t`` may be the caller's own array: never write into it. Write into a child's result
        only if you own it (:func:`owned_over`).
        """

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        class_level_fields(cls)  # OmegaConf and Hydra keep a schedule as a value (_config.py)

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None) -> dict[str, Any]:
        """What Jupyter and VS Code show: a picture with the breakpoints marked, and the text."""
        from lrsched._display import mimebundle  # noqa: PLC0415 (lazy: matplotlib is optional)

        return mimebundle(self, include, exclude)

    def _scalar(self) -> ScalarFunction:
        """Build this node's scalar function; :func:`scalar_function` calls it once and caches it.

        The default is the bound ``_at``. A node overrides it to return a closure with its
        parameters, and its children's scalar functions, bound to local variables: the fast
        path behind ``s(t)``. Such a node implements ``_at`` as ``scalar_function(self)(t)``,
        so that its scalar formula is written once.
        """
        return self._at

    @property
    def opaque(self) -> bool:
        """True if the schedule wraps a Python callable, so its repr cannot be evaluated back."""
        return any(child.opaque for child in self._children())

    def _children(self) -> tuple[Schedule, ...]:
        """The schedules this one is built from (empty for a primitive)."""
        return ()

    def describe(self) -> str:
        """The expression as an indented tree, each node with the time range it decides.

        Examples:
            >>> import lrsched as ls
            >>> print(ls.concat([ls.warmup(ls.cosine(45), 5), ls.constant(0.01)], [50]).describe())
            concat([..., ...], [50])  [0, inf)
              warmup(..., 5)          [0, 50)    linear ramp on [0, 5)
                cosine(45)            [5, 50)    own clock from t = 5
              constant(0.01)          [50, inf)  own clock from t = 50

        """
        from lrsched._inspect import describe  # noqa: PLC0415 (lazy: inspection is optional)

        return describe(self)

    def breakpoints(self, horizon: float) -> tuple[float, ...]:
        """The times ``0 < b < horizon`` where a piece of the formula ends (drops, switches).

        Examples:
            >>> import lrsched as ls
            >>> ls.warmup(ls.step(30, 0.1), 5).breakpoints(100)
            (5.0, 35.0, 65.0, 95.0)

        """
        from lrsched._inspect import breakpoints  # noqa: PLC0415 (lazy: inspection is optional)

        return breakpoints(self, horizon)

    def extrema(self, horizon: float) -> tuple[float, float]:
        """``(min, max)`` of the values at the integer times ``0 <= t < horizon``.

        Found exactly without evaluating every time where the formula allows it.

        Examples:
            >>> import lrsched as ls
            >>> (0.1 * ls.warmup(ls.cosine(95), 5)).extrema(10**9)
            (0.0, 0.1)

        """
        from lrsched._inspect import extrema  # noqa: PLC0415 (lazy: inspection is optional)

        return extrema(self, horizon)

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


def scalar_function(s: Schedule) -> ScalarFunction:
    """The function ``t -> s(t)`` for validated times, built on first use and cached on ``s``.

    A combinator's :meth:`Schedule._scalar` calls this for each child and keeps the results in
    its closure, so evaluating a tree is a chain of plain function calls.
    """
    try:
        return s._scalar_fn
    except AttributeError:
        fn = s._scalar()
        # A cache, not a change of value: the slot is outside attrs' fields. Two threads may
        # both build it; they build equal functions, and either may win.
        object.__setattr__(s, "_scalar_fn", fn)
        return fn


def owned_over(s: Schedule, t: FloatArray) -> FloatArray:
    """``s._over(t)`` as an array the caller may write into: copied unless ``s`` returns new ones.

    Nodes that set ``_over_returns_new`` save combinators a copy (a pass over memory) per level.
    """
    values = s._over(t)
    return values if s._over_returns_new else np.array(values, dtype=np.float64)


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
    try:
        arr = np.asarray(t)
    except (ValueError, TypeError):  # a ragged list such as [1.0, [2.0]]: no array at all
        shown = reprlib.repr(t)  # bounded, also for deeply nested input
        msg = f"t must be a real number or an array of them (got {type(t).__name__}: {shown})"
        raise TypeError(msg) from None
    if arr.dtype.kind not in "iuf":
        msg = f"t must be a real number or an array of them (got an array of dtype {arr.dtype})"
        raise TypeError(msg)
    times: FloatArray = arr.astype(np.float64, copy=False)
    if times.size and not _all_valid(arr, times):
        bad = np.flatnonzero(~((times >= 0.0) & (times < _INF)))[0]
        index = np.unravel_index(bad, times.shape)
        where = index[0] if len(index) == 1 else tuple(int(i) for i in index)
        msg = f"t must be a finite number >= 0 (got t[{where}] = {float(times.flat[bad])!r})"
        raise ScheduleError(msg)
    return times


def _all_valid(arr: npt.NDArray[np.number], times: FloatArray) -> bool:
    """Whether every time is finite and >= 0 (``times`` is ``arr`` as float64, not empty)."""
    kind = arr.dtype.kind
    if kind == "f":
        return bool(times.min() >= 0.0 and times.max() < _INF)  # False if there is a NaN
    return kind == "u" or bool(arr.min() >= 0)  # whole numbers are finite: one pass


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
