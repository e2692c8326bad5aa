"""fvcore's (and detectron2's) param schedulers as expressions: `from_fvcore`.

fvcore's `ParamScheduler`s are functions of `where`, the fraction of training done. The
conversion reads a live scheduler's attributes (fvcore keeps them private: `_start_value`,
`_lengths`, ...) and never calls it. Nothing here imports fvcore: a scheduler is recognised by
its class's module and name, and `fvcore_text` (the `fvcore:` spelling) imports it on use.

fvcore compares `where + WHERE_EPSILON` (1e-6) with the boundaries of `CompositeParamScheduler`,
`MultiStepParamScheduler` and `StepParamScheduler`, so each switch comes about `1e-6` of the run
early. The expression switches where fvcore does, float for float: each boundary is the first
time (the first float `where`, or the first whole step) at which fvcore's own arithmetic picks
the next piece, found by bisection over that arithmetic. A piece entered before its own start
(the epsilon again) is read at fvcore's slightly negative `where`, by the continuation of its
formula.
"""

from __future__ import annotations

import importlib
import inspect
import math
import numbers
import struct
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from lrsched._combinators import concat
from lrsched._curves import cosine, linear, polynomial
from lrsched._errors import ScheduleError
from lrsched._leaves import constant, exponential
from lrsched._peer_args import real
from lrsched._timemaps import stretch

if TYPE_CHECKING:
    from lrsched._core import Schedule

__all__ = ["from_fvcore", "fvcore_text"]

_FVCORE = "fvcore.common.param_scheduler"
_DETECTRON2 = "detectron2.solver.lr_scheduler"
_LEAVES = (
    "ConstantParamScheduler",
    "CosineParamScheduler",
    "ExponentialParamScheduler",
    "LinearParamScheduler",
    "MultiStepParamScheduler",
    "PolynomialDecayParamScheduler",
    "StepParamScheduler",
    "StepWithFixedGammaParamScheduler",
)
_KNOWN = (*_LEAVES, "CompositeParamScheduler")
_LARGEST = 2.0**53
"""Past this time no switch is looked for (whole steps are exact floats up to here)."""

Where = Callable[[float], float]
"""fvcore's own float arithmetic from the top-level time to one scheduler's `where`."""
Frame = tuple[Where, float, float]
"""How a scheduler sees the top-level time T: fvcore's `where_of(T)`, and `a`, `b` with
`where = (T - a) / b` in real arithmetic."""
Leaf = Callable[[float, float, bool], "Schedule"]
"""A piece of formula, given its clock `x = (c + offset) / scale` and whether it is the last."""


def _err(what: str, reason: str) -> ScheduleError:
    return ScheduleError(f"fvcore {what}: {reason}")


def _name(obj: object) -> str:
    kind = type(obj)
    return f"{kind.__module__}.{kind.__qualname__}"


def _kind(obj: object) -> str:
    """Fvcore's class name of `obj`, or a refusal naming its class."""
    kind = type(obj)
    if kind.__module__ == _FVCORE and kind.__qualname__ in _KNOWN:
        return kind.__qualname__
    if kind.__module__ == _DETECTRON2 and kind.__qualname__ == "WarmupParamScheduler":
        # detectron2's warmup is a CompositeParamScheduler built by its __init__; the value is
        # the composite's as long as it keeps fvcore's __call__.
        call = inspect.getattr_static(kind, "__call__", None)
        if (getattr(call, "__module__", ""), getattr(call, "__qualname__", "")) == (
            _FVCORE,
            "CompositeParamScheduler.__call__",
        ):
            return "CompositeParamScheduler"
    if kind.__module__ == _DETECTRON2 and kind.__qualname__ == "LRMultiplier":
        reason = (
            "it is a torch scheduler over an fvcore one: convert its multiplier, "
            "base_lr * ls.from_fvcore(sched._multiplier, num_updates=sched._max_iter)"
        )
        raise _err(kind.__qualname__, reason)
    known = ", ".join(_KNOWN)
    msg = f"from_fvcore converts fvcore's param schedulers ({known}); got {_name(obj)}"
    raise ScheduleError(msg)


def _attr(obj: object, kind: str, name: str) -> Any:
    try:
        return getattr(obj, name)
    except AttributeError:
        raise _err(kind, f"the scheduler has no attribute {name} (another fvcore?)") from None


def _real(kind: str, name: str, value: object) -> float:
    return real(_err, kind, name, value)


# -- finding the first time fvcore's arithmetic switches ------------------------------------------


def _bits(x: float) -> int:
    return int(struct.unpack("<q", struct.pack("<d", x))[0])


def _float(i: int) -> float:
    return float(struct.unpack("<d", struct.pack("<q", i))[0])


def _first(test: Callable[[float], bool], lo: float, hi: float, *, steps: bool) -> float:
    """The first time in `[lo, hi)` at which the monotone `test` holds, or `hi` if none.

    Times are whole steps (`steps`) or non-negative floats, bisected over their bit patterns
    (ordered as the floats are): every float is a candidate, so the result is exact.
    """
    top = min(hi, _LARGEST)
    if lo >= top or not test(top):
        return hi  # no switch before hi (with hi infinite: never)
    if test(lo):
        return lo
    if steps:
        a, b = int(lo), int(top)  # test(a) fails, test(b) holds
        while b - a > 1:
            m = (a + b) // 2
            a, b = (a, m) if test(m) else (m, b)
        return float(b)
    i, j = _bits(lo), _bits(top)
    while j - i > 1:
        m = (i + j) // 2
        i, j = (i, m) if test(_float(m)) else (m, j)
    return _float(j)


# -- a scheduler as pieces over the top-level time ------------------------------------------------


class _Pieces:
    """The pieces of a flattened scheduler tree: (start time, leaf, its clock's scale and start).

    A leaf's `where` is `(T - a) / b` in real arithmetic, with `T` the top-level time (the
    fraction, or the step); `where_of` is fvcore's float arithmetic for the same, which decides
    the switches.
    """

    def __init__(self, *, steps: bool) -> None:
        self.steps = steps
        self.items: list[tuple[float, Leaf, float, float]] = []

    def add(self, obj: object, frame: Frame, lo: float, hi: float) -> None:
        """Add `obj` over `[lo, hi)`, its `where` `(T - a) / b` (fvcore's: `where_of(T)`)."""
        where_of, a, b = frame
        if lo >= hi:
            return
        kind = _kind(obj)
        if kind == "CompositeParamScheduler":
            self._composite(obj, frame, lo, hi)
        elif kind in {"MultiStepParamScheduler", "StepParamScheduler"}:
            self._steps(obj, kind, where_of, lo, hi)
        elif kind == "StepWithFixedGammaParamScheduler":
            inner = _attr(obj, kind, "_step_param_scheduler")
            self._steps(inner, "StepParamScheduler", where_of, lo, hi)
        else:
            self.items.append((lo, _leaf(obj, kind), a, b))

    def _steps(self, obj: object, kind: str, where_of: Where, lo: float, hi: float) -> None:
        values = list(_attr(obj, kind, "_param_schedule"))
        eps = _real(kind, "WHERE_EPSILON", _attr(obj, kind, "WHERE_EPSILON"))
        if not values:
            raise _err(kind, "it has no values")
        if kind == "MultiStepParamScheduler":
            n = _attr(obj, kind, "_num_updates")
            edges = list(_attr(obj, kind, "_milestones"))
        else:
            n = len(values)
            edges = list(range(1, len(values)))
        if edges != sorted(edges) or len(edges) != len(values) - 1:
            raise _err(kind, f"milestones {edges} do not fit {len(values)} values")
        start = lo
        for k, value in enumerate(values):
            if start >= hi:
                break
            if k < len(edges):
                m = edges[k]

                def test(t: float, m: int = m) -> bool:
                    return int((where_of(t) + eps) * n) >= m

                end = _first(test, start, hi, steps=self.steps)
            else:
                end = hi
            v = _real(kind, f"values[{k}]", value)
            self.items.append((start, _constant(v), 0.0, 1.0))
            start = max(start, end)

    def _composite(self, obj: object, frame: Frame, lo: float, hi: float) -> None:
        where_of, a, b = frame
        kind = "CompositeParamScheduler"
        schedulers = list(_attr(obj, kind, "_schedulers"))
        lengths = list(_attr(obj, kind, "_lengths"))
        scaling = list(_attr(obj, kind, "_interval_scaling"))
        eps = _real(kind, "WHERE_EPSILON", _attr(obj, kind, "WHERE_EPSILON"))
        if not schedulers or len(lengths) != len(schedulers) or len(scaling) != len(schedulers):
            reason = (
                f"{len(schedulers)} schedulers, {len(lengths)} lengths and {len(scaling)} "
                "interval_scaling must be as many"
            )
            raise _err(kind, reason)
        total, start = 0.0, lo
        for i, (child, given, how) in enumerate(zip(schedulers, lengths, scaling, strict=True)):
            length = _real(kind, f"lengths[{i}]", given)
            if length <= 0:
                raise _err(kind, f"lengths[{i}] must be > 0, got {lengths[i]!r}")
            if how not in {"rescaled", "fixed"}:
                raise _err(
                    kind, f"interval_scaling[{i}] must be 'rescaled' or 'fixed', got {how!r}"
                )
            total = length if i == 0 else total + length  # fvcore's running_total
            if i < len(schedulers) - 1:

                def test(t: float, r: float = total) -> bool:
                    return where_of(t) + eps > r

                end = _first(test, start, hi, steps=self.steps)
            else:
                end = hi
            if how == "fixed":
                self.add(child, frame, start, end)
            else:
                begin = total - length  # fvcore's scheduler_start

                def inner(t: float, begin: float = begin, length: float = length) -> float:
                    return (where_of(t) - begin) / length

                self.add(child, (inner, a + begin * b, b * length), start, end)
            start = max(start, end)

    def expression(self) -> Schedule:
        pieces: list[Schedule] = []
        bounds: list[float] = []
        for k, (lo, leaf, a, b) in enumerate(self.items):
            last = k == len(self.items) - 1
            if not last and self.items[k + 1][0] <= lo:
                continue  # no time falls in this piece
            if pieces:
                bounds.append(lo)
            offset = lo - a
            if abs(offset) <= 1e-12 * max(abs(lo), abs(a)):  # the rounding of a, not fvcore's
                offset = 0.0
            pieces.append(leaf(offset, b, last))
        return concat(pieces, bounds) if bounds else pieces[-1]


# -- the formulas, each read at x = (c + offset) / scale for its own clock c >= 0 -----------------


def _leaf(obj: object, kind: str) -> Leaf:  # noqa: C901 (one formula per fvcore class)
    if kind == "ConstantParamScheduler":
        return _constant(_real(kind, "value", _attr(obj, kind, "_value")))
    if kind == "CosineParamScheduler":
        hi = _real(kind, "start_value", _attr(obj, kind, "_start_value"))
        lo = _real(kind, "end_value", _attr(obj, kind, "_end_value"))

        def cos(o: float, s: float, last: bool) -> Schedule:  # noqa: ARG001
            # end + (start - end) (1 + cos(pi x)) / 2, held at end past x = 1.
            plain = cosine(s, start=hi, end=lo)
            if o >= 0:
                return _entered(plain, o)
            # Entered before its start (fvcore's epsilon): x < 0 until c = -o, where fvcore's
            # formula is the same one period on.
            period = 2 * s * math.ceil(-o / (2 * s))
            window = _entered(cosine(s, start=hi, end=lo, periodic=True), o + period)
            return concat([window, plain], [-o])

        return cos
    if kind == "ExponentialParamScheduler":
        v = _real(kind, "start_value", _attr(obj, kind, "_start_value"))
        d = _real(kind, "decay", _attr(obj, kind, "_decay"))
        if d <= 0:
            raise _err(kind, f"decay must be > 0, got {d!r}")
        # start * decay ** x = (start * decay ** (offset / scale)) * decay ** (c / scale)
        return lambda o, s, last: (v * d ** (o / s)) * stretch(exponential(d), s)  # noqa: ARG005
    if kind == "LinearParamScheduler":
        first = _real(kind, "start_value", _attr(obj, kind, "_start_value"))
        end = _real(kind, "end_value", _attr(obj, kind, "_end_value"))

        def straight(o: float, s: float, last: bool) -> Schedule:  # noqa: ARG001
            if s - o <= 0:  # entered at where >= 1: held at the end
                return constant(end)
            x0 = o / s  # fvcore's end * x + start * (1 - x), from x0 to 1, then held
            return linear(end * x0 + first * (1 - x0), end, s - o)

        return straight
    if kind == "PolynomialDecayParamScheduler":
        base = _real(kind, "base_value", _attr(obj, kind, "_base_value"))
        p = _real(kind, "power", _attr(obj, kind, "_power"))
        if p <= 0:
            raise _err(kind, f"power must be > 0, got {p!r}")

        def poly(o: float, s: float, last: bool) -> Schedule:  # noqa: ARG001
            if s - o <= 0:  # entered at where >= 1: fvcore's (1 - where) ** p is 0, then complex
                return constant(0.0)
            # base (1 - x) ** p = base ((s - o) / s) ** p (1 - c / (s - o)) ** p
            scale: float = base * ((s - o) / s) ** p
            return scale * polynomial(s - o, power=p)

        return poly
    raise AssertionError(kind)  # pragma: no cover (every kind of _LEAVES is above)


def _constant(v: float) -> Leaf:
    return lambda o, s, last: constant(v)  # noqa: ARG005 (the leaf signature)


def _entered(s: Schedule, at: float) -> Schedule:
    from lrsched._recipes import shift  # noqa: PLC0415 (recipes import the combinators)

    return shift(s, -at) if at > 0 else s


def from_fvcore(scheduler: object, *, num_updates: int | None = None) -> Schedule:
    """The expression of a live fvcore (or detectron2) param scheduler.

    Without `num_updates` the result is over the fraction of training, fvcore's `where`: bind
    it with `ls.run` (`run.in_steps(s)` reads step `k` at `k / steps`, as detectron2 does).
    With `num_updates` (detectron2's `max_iter`) it is over optimizer steps, with whole-step
    boundaries: `s(t)` is fvcore's value at `where = t / num_updates`.

    fvcore switches a `CompositeParamScheduler`, `MultiStepParamScheduler` or
    `StepParamScheduler` where `where + 1e-6` passes a boundary; the expression switches at
    the same float `where` (the same step), so its boundaries sit about `1e-6` of the run
    early. The expression is fvcore's value for every `where` in `[0, 1]` (fvcore's domain);
    past the end it holds the last value where fvcore raises (a constant or step schedule)
    and the end value of a cosine, linear or polynomial, whose formulas would rise again,
    overshoot or turn complex there; the exponential goes on decaying, as fvcore's does.

    Supported: `ConstantParamScheduler`, `CosineParamScheduler`, `ExponentialParamScheduler`,
    `LinearParamScheduler`, `MultiStepParamScheduler`, `PolynomialDecayParamScheduler`,
    `StepParamScheduler`, `StepWithFixedGammaParamScheduler`, `CompositeParamScheduler`
    (nested too, "rescaled" and "fixed") and detectron2's `WarmupParamScheduler` (a
    composite). detectron2's `LRMultiplier` is refused with the way to convert it.

    Args:
        scheduler: The fvcore scheduler.
        num_updates: The run's number of updates, to give the result in steps; keyword-only.

    Returns:
        The expression: over the fraction of training, or over steps with `num_updates`.

    Raises:
        ScheduleError: for another object (the message names its class), a bad
            `num_updates`, or a scheduler whose settings no expression reproduces.

    Examples:
        >>> import lrsched as ls
        >>> ls.from_fvcore(object())
        Traceback (most recent call last):
        lrsched._errors.ScheduleError: from_fvcore converts fvcore's param schedulers
        (ConstantParamScheduler, CosineParamScheduler, ExponentialParamScheduler,
        LinearParamScheduler, MultiStepParamScheduler, PolynomialDecayParamScheduler,
        StepParamScheduler, StepWithFixedGammaParamScheduler, CompositeParamScheduler); got
        builtins.object

    """
    _kind(scheduler)
    if num_updates is None:
        pieces = _Pieces(steps=False)
        pieces.add(scheduler, (lambda u: u, 0.0, 1.0), 0.0, math.inf)
        return pieces.expression()
    if isinstance(num_updates, bool) or not isinstance(num_updates, numbers.Integral):
        msg = f"num_updates must be a whole number of steps, got {num_updates!r}"
        raise ScheduleError(msg)
    if not 1 <= num_updates <= _LARGEST:
        msg = f"num_updates must be from 1 to 2**53, got {num_updates!r}"
        raise ScheduleError(msg)
    n = int(num_updates)
    pieces = _Pieces(steps=True)
    pieces.add(scheduler, (lambda t: t / n, 0.0, float(n)), 0.0, math.inf)
    return pieces.expression()


def fvcore_text(name: str, *args: Any, **kwargs: Any) -> Schedule:
    """The `fvcore:NAME(ARGS)` spelling: fvcore's scheduler `NAME(*args, **kwargs)`, converted.

    Needs fvcore installed (the scheduler is built by fvcore itself). Only the schedulers
    whose arguments are numbers and lists can be written this way (not the composite).

    Examples:
        >>> from lrsched._fvcore import fvcore_text
        >>> fvcore_text("CompositeParamScheduler")
        Traceback (most recent call last):
        lrsched._errors.ScheduleError: fvcore:CompositeParamScheduler takes schedulers, which a
        command line cannot write: build it in Python and call ls.from_fvcore

    """
    if name == "CompositeParamScheduler":
        msg = (
            "fvcore:CompositeParamScheduler takes schedulers, which a command line cannot "
            "write: build it in Python and call ls.from_fvcore"
        )
        raise ScheduleError(msg)
    if name not in _LEAVES:
        msg = f"fvcore has no param scheduler {name!r}; the names are {', '.join(_LEAVES)}"
        raise ScheduleError(msg)
    try:
        ps = importlib.import_module("fvcore.common.param_scheduler")  # the peer, on use
    except ImportError:
        msg = f"fvcore:{name}(...) is built by fvcore, which is not installed (pip install fvcore)"
        raise ScheduleError(msg) from None
    try:
        made = getattr(ps, name)(*args, **kwargs)
    except (TypeError, ValueError) as error:
        msg = f"fvcore:{name}: fvcore refuses the arguments: {error}"
        raise ScheduleError(msg) from None
    return from_fvcore(made)
