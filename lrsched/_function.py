"""An arbitrary Python callable of the whole step number, as a schedule (torch's ``LambdaLR``)."""

from __future__ import annotations

import math
import numbers
from collections.abc import Callable
from typing import final

import attrs
import numpy as np

from lrsched._core import FloatArray, Schedule, constructor
from lrsched._errors import ScheduleError

__all__ = ["function"]


def _callable_name(fn: object) -> str:
    return getattr(fn, "__qualname__", None) or type(fn).__name__


@final
@attrs.frozen(repr=False)
class Function(Schedule):
    """``fn(floor(t))`` for a Python callable ``fn`` called with ints."""

    _over_returns_new = True  # every _over below builds a new array

    # Compared with ==, but left out of the hash: a callable may be unhashable (an instance of a
    # dataclass with eq=True), and the schedule must stay hashable (bind keys schedules by it).
    fn: Callable[[int], float] = attrs.field(hash=False)

    @property
    def opaque(self) -> bool:
        return True

    def _at(self, t: float) -> float:
        return self._checked(math.floor(t))

    def _over(self, t: FloatArray) -> FloatArray:
        # One call per distinct whole time: the callable is opaque, so this loop is the minimum.
        steps, where = np.unique(np.floor(t), return_inverse=True)
        values = np.array([self._checked(int(k)) for k in steps], dtype=np.float64)
        return values[where].reshape(t.shape)

    def _checked(self, k: int) -> float:
        value = self.fn(k)
        if isinstance(value, bool) or not isinstance(value, numbers.Real):
            msg = (
                f"function({_callable_name(self.fn)}): fn({k}) must return a real number "
                f"(got {value!r})"
            )
            raise TypeError(msg)
        try:
            x = float(value)
        except OverflowError:  # an int or Fraction beyond the float range
            x = math.inf
        if not math.isfinite(x):
            name = _callable_name(self.fn)
            msg = f"function({name}): fn({k}) must return a finite number (got {x!r})"
            raise ScheduleError(msg)
        return x

    def __repr__(self) -> str:
        return f"function({_callable_name(self.fn)})"


@constructor
def function(fn: Callable[[int], float]) -> Schedule:
    """Wrap a Python callable of the step number: ``s(t) = fn(floor(t))``.

    torch's ``LambdaLR(lr_lambda=fn)`` is ``function(fn)`` times the base lr. ``fn`` is called
    with Python ints, as torch calls it, and must return a finite real number; between whole
    times the value is held. Each evaluation calls ``fn`` again (once per distinct whole time
    for an array), so ``fn`` should be a pure function of its argument.

    The schedule is *opaque*: it has a repr (the callable's name) but that repr cannot be
    evaluated back, and it cannot be serialized. Prefer the closed-form constructors when one
    expresses the same schedule.

    Args:
        fn: A callable ``int -> float``.

    Examples:
        >>> import lrsched as ls
        >>> def every_ten(k):
        ...     return 0.5 ** (k // 10)
        >>> s = ls.function(every_ten)
        >>> s
        function(every_ten)
        >>> s(0), s(9.5), s(10), s(25)
        (1.0, 1.0, 0.5, 0.25)

    """
    if not callable(fn):
        msg = f"fn must be callable (got {type(fn).__name__}: {fn!r})"
        raise TypeError(msg)
    return Function(fn)
