"""Named recipes: constructors that build a schedule from others and keep their own name.

`warmup_stable_decay(10, 80, 10)` is a warmup over a concat of a constant and a decay, but the
user wrote `warmup_stable_decay(10, 80, 10)`, so that is what its repr, its dict form and
`describe` show. A `Recipe` node holds the call (the constructor's name and its
canonical arguments) and the tree it expands to; every fact of its value is its expansion's.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, final

import attrs

from lrsched._arithmetic import power
from lrsched._combinators import RAMP_SHAPES, concat
from lrsched._combinators import warmup as warmup_
from lrsched._core import ScalarFunction, Schedule, scalar_function
from lrsched._curves import cosine, linear
from lrsched._errors import ScheduleError
from lrsched._lattice import Lattice, Part
from lrsched._leaves import constant
from lrsched._registry import CONSTRUCTORS, constructor
from lrsched._spelling import Call, call, format_number
from lrsched._timemaps import advance
from lrsched._validate import choice, finite, non_negative, positive, schedule

__all__ = ["Recipe", "recipe", "shift", "warmup_stable_decay"]


@final
@attrs.frozen(repr=False)
class Recipe(Schedule):
    """The schedule `expansion`, written as the call `name(**arguments)`."""

    name: str
    arguments: tuple[tuple[str, object], ...]
    expansion: Schedule = attrs.field(eq=False, hash=False)  # decided by name and arguments

    def _formula(self, xp: Any, t: Any) -> Any:
        return self.expansion._formula(xp, t)

    def _spelling(self) -> Call:
        return call(self, CONSTRUCTORS[self.name], **dict(self.arguments))

    def _range(self) -> tuple[float, float]:
        return self.expansion._range()

    def _parts(self) -> tuple[Part, ...]:
        return (Part(self.expansion),)

    def _remark(self, offset: float) -> str:
        return "expands to:"

    def _breakpoints(self, end: float) -> Any:
        return self.expansion._breakpoints(end)

    def _extrema(self, lattice: Lattice) -> tuple[float, float]:
        return self.expansion._extrema(lattice)

    def _scalar(self) -> ScalarFunction:
        return scalar_function(self.expansion)


def recipe(fn: Callable[..., Schedule], expansion: Schedule, **arguments: object) -> Schedule:
    """`expansion`, spelled as the call of the constructor `fn` with `arguments`."""
    return Recipe(fn.__name__, tuple(arguments.items()), expansion)


@constructor
def shift(s: Schedule, delay: float, *, before: float | None = None) -> Schedule:
    """Delay `s` by `delay`: `s(t - delay)` from `delay` on, `before` until then.

    `before` defaults to `s(0)` (the schedule waits at its first value). The value is
    `concat([constant(before), s], [delay])`, and `shift(s, 0)` is `s`. A negative delay runs
    `s` from part-way: `shift(s, -a)(t) = s(t + a)` for every `t` (timm's warmup counted
    inside its cosine, detectron2's "fixed" interval scaling); negative shifts fuse.

    Args:
        s: The schedule to delay.
        delay: How long to wait (> 0), or, negative, how far into `s` to start.
        before: The value while waiting (default `s(0)`); only with a delay > 0; keyword-only.

    Examples:
        >>> import lrsched as ls
        >>> s = ls.shift(ls.cosine(10), 5)
        >>> s
        shift(cosine(10), 5)
        >>> s(0), s(5), s(10), s(15)
        (1.0, 1.0, 0.5, 0.0)
        >>> ls.shift(ls.cosine(10), 5, before=0)(4)
        0.0
        >>> late = ls.shift(ls.cosine(10), -5)
        >>> late, late(0), late(5)
        (shift(cosine(10), -5), 0.5, 0.0)

    """
    s = schedule("s", s)
    delay = finite("delay", delay)
    wait = None if before is None else finite("before", before)
    if delay < 0.0:
        if wait is not None:
            msg = f"before applies to a positive delay only (got delay={format_number(delay)})"
            raise ScheduleError(msg)
        return advance(s, -delay)
    if delay == 0.0:
        return s
    value = s(0) if wait is None else wait
    return recipe(shift, concat([constant(value), s], [delay]), s=s, delay=delay, before=wait)


_DECAY_SHAPES = ("linear", "cosine", "sqrt")


@constructor
def warmup_stable_decay(  # noqa: PLR0913 (three durations and three shape options)
    warmup: float,
    stable: float,
    decay: float,
    *,
    start: float = 0.0,
    end: float = 0.0,
    shape: str = "linear",
    warmup_shape: str = "linear",
) -> Schedule:
    """Warm up to 1, hold it, then decay to `end`: the WSD ("trapezoidal") schedule.

    A linear ramp from `start` to 1 over `[0, warmup)`, the value 1 over the next `stable`
    time units, then a linear or cosine decay to `end` over `decay` time units, held
    afterwards. It expands to
    `warmup(concat([constant(1), linear(1, end, decay)], [stable]), warmup, start=start)`.

    Args:
        warmup: Length of the ramp, >= 0.
        stable: Length of the plateau at 1, >= 0.
        decay: Length of the decay, > 0.
        start: Value at t = 0; keyword-only.
        end: Value from `warmup + stable + decay` on; keyword-only.
        shape: The decay: `"linear"`, `"cosine"` or `"sqrt"` (the "1 - sqrt" cooldown of
            "Scaling laws and compute-optimal training beyond fixed training durations":
            `end + (1 - end) * (1 - sqrt(progress))`); keyword-only.
        warmup_shape: The ramp: `"linear"`, `"cosine"` or `"sqrt"`, each the decay of that
            name played backwards (see `warmup`); keyword-only.

    Examples:
        >>> import lrsched as ls
        >>> s = ls.warmup_stable_decay(10, 80, 10)
        >>> s
        warmup_stable_decay(10, 80, 10)
        >>> s(5), s(10), s(90), s(95), s(100)
        (0.5, 1.0, 1.0, 0.5, 0.0)

    """
    warmup = non_negative("warmup", warmup)
    stable = non_negative("stable", stable)
    decay = positive("decay", decay)
    start = finite("start", start)
    end = finite("end", end)
    shape = choice("shape", shape, _DECAY_SHAPES)
    warmup_shape = choice("warmup_shape", warmup_shape, RAMP_SHAPES)
    if shape == "sqrt":
        tail = end + (1.0 - end) * (1.0 - power(linear(0.0, 1.0, decay), 0.5))
    else:
        tail = linear(1.0, end, decay) if shape == "linear" else cosine(decay, 1.0, end)
    body = concat([constant(1.0), tail], [stable]) if stable > 0.0 else tail
    expansion = warmup_(body, warmup, start=start, shape=warmup_shape)
    return recipe(
        warmup_stable_decay,
        expansion,
        warmup=warmup,
        stable=stable,
        decay=decay,
        start=start,
        end=end,
        shape=shape,
        warmup_shape=warmup_shape,
    )
