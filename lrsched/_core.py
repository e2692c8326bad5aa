"""The `Schedule` base: evaluation at one time or many, the operators, and the node protocol.

A schedule is an immutable function ``t -> value`` of time ``t >= 0`` (epochs, steps: the unit
is the caller's). Each kind of schedule is one final ``attrs.frozen`` class that states every
fact about itself by implementing the abstract methods below; generic code (evaluation, repr,
the text and dict forms, inspection) only ever asks a node, and never keeps a table of kinds.
A kind that forgets a fact cannot be instantiated.

The facts of a kind:

- ``_formula(xp, t)``: its values over an array ``t`` of validated times (finite float64,
  ``>= 0``), written once with the array module ``xp`` (numpy here).
- ``_spelling()``: the constructor call that builds it (`lrsched._spelling.call`, derived
  from the constructor's signature); ``repr``, the text form and the dict form come from it.
- ``_breakpoints(end)``: the times in ``(0, end)`` of its own clock where a piece of its
  formula ends (a drop, a switch, the end of a ramp), its children's included.
- ``_extrema(lattice)``: its exact ``(min, max)`` over a `lrsched._lattice.Lattice` of
  times, by one of the exact methods of `lrsched._lattice`.
- ``_parts()``: its children, each with the window of time it decides and its clock.
- ``_range()`` (not abstract: the default is the whole real line): an interval that holds
  every value at every time ``t >= 0``, real times included. Constructors that could produce a
  NaN or an infinity (a division by a schedule that may be 0, a power of one that may be
  negative, a clock that may be negative, a sum of terms that may be infinite with opposite
  signs) refuse by it. A kind that does not state it only makes those checks stricter.

Scalar speed: ``s(t)`` calls a *scalar function* built once per node (`Schedule._scalar`)
and cached on it. By default it is the array formula at one time; the kinds on the hot path of
a training loop give a closure over their parameters instead, tied to the formula by a property
test (scalar == array).
"""

from __future__ import annotations

import abc
import math
import numbers
import reprlib
import sys
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any, ClassVar, cast, overload

import numpy as np
import numpy.typing as npt

from lrsched import _inspect
from lrsched._config import class_level_fields
from lrsched._errors import ScheduleError
from lrsched._registry import CONSTRUCTORS
from lrsched._spelling import Spelling, deep, text

if TYPE_CHECKING:
    from collections.abc import Sequence

    from lrsched._lattice import Lattice, Part

__all__ = [
    "FloatArray",
    "ScalarFunction",
    "Schedule",
    "Times",
    "scalar_function",
]

FloatArray = npt.NDArray[np.float64]
Times = float | int | np.integer | np.floating | npt.NDArray[np.number] | list[float] | list[int]
ScalarFunction = Callable[[float], float]
"""A schedule's value at one validated time (a finite float >= 0), as a plain function."""

_INF = math.inf
_LARGEST_INT = int(sys.float_info.max)  # ints up to this convert to float without overflow
_HOST_ARRAYS = (np.ndarray, list, tuple)  # a tuple, not a union: torch.compile traces it


class Schedule(abc.ABC):
    """An immutable function of time: `s(t)` for `t >= 0`.

    Build schedules with the constructors (`lrsched.cosine`, `lrsched.warmup`, ...) rather than
    by subclassing. Schedules are hashable values with structural equality, and `repr(s)` is
    the expression that builds `s`.

    Calling a schedule with an `int` or `float` returns a Python `float`; calling it with a
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

    opaque_self: ClassVar[bool] = False
    """True for a kind that wraps a Python callable (its repr cannot be evaluated back)."""

    # ------------------------------------------------------------------ the facts of a kind

    @abc.abstractmethod
    def _formula(self, xp: Any, t: Any) -> Any:
        """Values at an array of validated times (finite, >= 0), same shape; never writes ``t``."""

    @abc.abstractmethod
    def _spelling(self) -> Spelling:
        """The constructor call that builds this node (see `lrsched._spelling`)."""

    @abc.abstractmethod
    def _breakpoints(self, end: float) -> Any:
        """The times in ``(0, end)`` of this node's clock where a piece of its formula ends."""

    @abc.abstractmethod
    def _extrema(self, lattice: Lattice) -> tuple[float, float]:
        """The exact ``(min, max)`` of this node's values at the times of ``lattice``."""

    @abc.abstractmethod
    def _parts(self) -> tuple[Part, ...]:
        """The children, each with the window it decides and its clock (empty for a leaf)."""

    def _range(self) -> tuple[float, float]:
        """An interval holding every value at every time ``t >= 0`` (default: unbounded)."""
        return (-_INF, _INF)

    def _remark(self, offset: float) -> str:
        """A note for `describe` (``offset``: where this node's clock starts); none."""
        return ""

    def _scalar(self) -> ScalarFunction:
        """Build this node's scalar function; `scalar_function` calls it once and caches it.

        The default evaluates the array formula at one time. Kinds on the hot path return a
        closure with their parameters and their children's scalar functions bound to locals.
        """
        formula = self._formula

        def formula_at(t: float) -> float:
            with np.errstate(over="ignore", under="ignore"):
                return float(formula(np, np.array([t]))[0])

        return formula_at

    # ----------------------------------------------------------------------- evaluation

    @overload
    def __call__(self, t: float | np.integer | np.floating) -> float: ...

    @overload
    def __call__(self, t: npt.NDArray[np.number] | Sequence[float]) -> FloatArray: ...

    @overload
    def __call__(self, t: Any) -> Any: ...  # an array of another library: one of its arrays

    def __call__(self, t: Any) -> Any:  # noqa: PLR0911
        """Evaluate at time `t` (a number, or an array of numbers, each finite and >= 0).

        `t` may also be an array of another library (a torch tensor, a JAX array, any Array
        API array): the result is an array of that library, on the same device, computed with
        its operations (see docs/arrays.md).
        """
        # The hot path of a training loop: an int or float is checked with one chained
        # comparison (False for NaN, negatives and inf) and passed to the cached scalar function.
        if type(t) is float:
            if 0.0 <= t < _INF:
                try:
                    return self._scalar_fn(t)
                except AttributeError:
                    return scalar_function(self)(t)
        elif type(t) is int and 0 <= t <= _LARGEST_INT:
            try:
                return self._scalar_fn(float(t))
            except AttributeError:
                return scalar_function(self)(float(t))
        elif isinstance(t, _HOST_ARRAYS):
            times = array_times(t)
            # Far in the future values may overflow to inf or underflow to 0, as Python floats
            # do silently in the scalar path: never a warning.
            with np.errstate(over="ignore", under="ignore"):
                if times.ndim == 0:
                    return np.asarray(self._formula(np, times.reshape(1))).reshape(())
                return np.asarray(self._formula(np, times), dtype=np.float64)
        elif not isinstance(t, numbers.Number):
            from lrsched import _arrays  # noqa: PLC0415 (torch, JAX, ...: only when used)

            xp = _arrays.namespace(t)
            if xp is not None:
                return _arrays.evaluate(self, xp, t)
        return scalar_function(self)(_scalar_time(t))

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        class_level_fields(cls)  # OmegaConf and Hydra keep a schedule as a value (_config.py)

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None) -> dict[str, Any]:
        """What Jupyter and VS Code show: a picture with the breakpoints marked, and the text."""
        from lrsched._display import mimebundle  # noqa: PLC0415 (lazy: matplotlib is optional)

        return mimebundle(self, include, exclude)

    # ----------------------------------------------------------------------- derived facts

    @property
    def opaque(self) -> bool:
        """True if the schedule wraps a Python callable, so its repr cannot be evaluated back."""
        return any(node.opaque_self for node in self.walk())  # iterative: any depth

    def __repr__(self) -> str:
        with deep(self.depth):
            return text(self._spelling())

    @property
    def depth(self) -> int:
        """The height of the expression tree (1 for a leaf)."""
        depth, level = 0, [self]
        while level:
            depth += 1
            level = [part.child for node in level for part in node._parts()]
        return depth

    def walk(self) -> Iterator[Schedule]:
        """Every node of the expression, this one first (depth first)."""
        stack: list[Schedule] = [self]
        while stack:
            node = stack.pop()
            yield node
            stack.extend(reversed([part.child for part in node._parts()]))

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
        return _inspect.describe(self)

    def breakpoints(self, horizon: float) -> tuple[float, ...]:
        """The times `0 < b < horizon` where a piece of the formula ends (drops, switches).

        Examples:
            >>> import lrsched as ls
            >>> ls.warmup(ls.step(30, 0.1), 5).breakpoints(100)
            (5.0, 35.0, 65.0, 95.0)

        """
        return _inspect.breakpoints(self, horizon)

    def extrema(self, horizon: float) -> tuple[float, float]:
        """`(min, max)` of the values at the integer times `0 <= t < horizon`, exactly.

        Examples:
            >>> import lrsched as ls
            >>> (0.1 * ls.warmup(ls.cosine(95), 5)).extrema(10**9)
            (0.0, 0.1)

        """
        return _inspect.extrema(self, horizon)

    # ------------------------------------------------------------------------- operators

    def __mul__(self, other: object) -> Schedule:
        if isinstance(other, Schedule | numbers.Real) and not isinstance(other, bool):
            return CONSTRUCTORS["product"](self, other)  # type: ignore[no-any-return]
        return NotImplemented

    def __rmul__(self, other: object) -> Schedule:
        if isinstance(other, numbers.Real) and not isinstance(other, bool):
            return CONSTRUCTORS["product"](other, self)  # type: ignore[no-any-return]
        return NotImplemented

    # Arithmetic (lrsched._arithmetic): each operator is its constructor, so the operators
    # simplify exactly as the constructors do.

    def __add__(self, other: object) -> Schedule:
        return cast("Schedule", _binary("add", self, other))

    def __radd__(self, other: object) -> Schedule:
        return cast("Schedule", _binary("add", other, self, number_left=True))

    def __sub__(self, other: object) -> Schedule:
        if isinstance(other, Schedule):
            return cast("Schedule", _binary("add", self, -other))
        if _is_real(other):
            return cast("Schedule", _binary("add", self, -float(other)))  # type: ignore[arg-type]  # a Real
        return NotImplemented

    def __rsub__(self, other: object) -> Schedule:
        return cast("Schedule", _binary("add", other, -self, number_left=True))

    def __neg__(self) -> Schedule:
        negated: Schedule = CONSTRUCTORS["product"](-1.0, self)
        return negated

    def __pos__(self) -> Schedule:
        return self

    def __truediv__(self, other: object) -> Schedule:
        return cast("Schedule", _binary("divide", self, other))

    def __rtruediv__(self, other: object) -> Schedule:
        return cast("Schedule", _binary("divide", other, self, number_left=True))

    def __pow__(self, other: object) -> Schedule:
        if _is_real(other):
            powered: Schedule = CONSTRUCTORS["power"](self, other)
            return powered
        return NotImplemented


def _is_real(value: object) -> bool:
    return isinstance(value, numbers.Real) and not isinstance(value, bool)


def _binary(name: str, left: object, right: object, *, number_left: bool = False) -> Any:
    """``CONSTRUCTORS[name](left, right)`` if the operands are schedules and numbers."""
    other = left if number_left else right
    if isinstance(other, Schedule) or _is_real(other):
        return CONSTRUCTORS[name](left, right)
    return NotImplemented


def scalar_function(s: Schedule) -> ScalarFunction:
    """The function ``t -> s(t)`` for validated times, built on first use and cached on ``s``.

    A combinator's `Schedule._scalar` calls this for each child and keeps the results in
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


def array_times(t: object) -> FloatArray:
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
