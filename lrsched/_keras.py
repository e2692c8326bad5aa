"""Keras' learning-rate schedules, as expressions: `from_keras`.

The six classes of `keras.optimizers.schedules` map to the expression of their values, from a
class name and its arguments, from the serialized form `keras.optimizers.schedules.serialize`
writes (`{"class_name": ..., "config": ...}`), or from a live schedule (read through its
`get_config()`). The expression is the exact float64 formula; Keras computes in float32, so
the two agree to float32 precision (`tests/peers/test_from_keras.py` checks each against Keras
itself). Keras counts optimizer iterations, whole steps: where Keras compares the step with
`>` (`PiecewiseConstantDecay`, `PolynomialDecay(cycle=True)`), the expression is exact at
whole steps.

Nothing here imports Keras: a live schedule is recognised by its class's module and name.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping
from typing import TYPE_CHECKING, Any

from lrsched._combinators import concat
from lrsched._curves import cosine, linear, polynomial
from lrsched._cycles import repeat
from lrsched._errors import ScheduleError
from lrsched._leaves import constant, exponential, step
from lrsched._peer_args import call, flag, number, scalar_parameters
from lrsched._recipes import shift
from lrsched._timemaps import compose, stretch, time
from lrsched._timemaps import staircase as staircase_map  # Keras' parameter is `staircase`

if TYPE_CHECKING:
    from lrsched._core import Schedule

__all__ = ["from_keras"]

_MODULES = ("keras", "tf_keras", "tensorflow")
"""The packages whose schedule classes are Keras' own (Keras 3, tf.keras)."""


def _is_keras(module: str) -> bool:
    return any(module == m or module.startswith(f"{m}.") for m in _MODULES)


def _decay_steps(name: str, value: object) -> float:
    n = number(name, value)
    if not n > 0:  # Keras raises too
        msg = f"{name} must be > 0 (got {value!r})"
        raise ScheduleError(msg)
    return n


def _name(name: object) -> None:
    if not isinstance(name, str | None):
        msg = f"name must be a string (got {name!r})"
        raise ScheduleError(msg)


# -- one function per Keras class, with its constructor's signature -----------------------------


def ExponentialDecay(  # noqa: N802 (Keras' class name)
    initial_learning_rate: object,
    decay_steps: object,
    decay_rate: object,
    staircase: object = False,
    name: object = "ExponentialDecay",
) -> Schedule:
    lr = number("initial_learning_rate", initial_learning_rate)
    n = _decay_steps("decay_steps", decay_steps)
    rate, stairs = number("decay_rate", decay_rate), flag("staircase", staircase)
    _name(name)
    if not rate > 0:
        msg = f"decay_rate must be > 0 (got {decay_rate!r}): Keras' rate ** (step / decay_steps)"
        raise ScheduleError(msg + " is not a decay for a rate <= 0")
    return lr * (step(n, rate) if stairs else stretch(exponential(rate), n))


def PiecewiseConstantDecay(  # noqa: N802 (Keras' class name)
    boundaries: object, values: object, name: object = "PiecewiseConstant"
) -> Schedule:
    _name(name)
    bounds = [number(f"boundaries[{i}]", b) for i, b in _listed("boundaries", boundaries)]
    vals = [number(f"values[{i}]", v) for i, v in _listed("values", values)]
    if len(bounds) != len(vals) - 1:  # Keras raises too
        msg = (
            "values must have one entry more than boundaries "
            f"(got {len(bounds)} boundaries and {len(vals)} values)"
        )
        raise ScheduleError(msg)
    for i in range(1, len(bounds)):
        if not bounds[i] > bounds[i - 1]:
            msg = (
                f"boundaries must be increasing (got boundaries[{i - 1}] = {bounds[i - 1]!r}, "
                f"boundaries[{i}] = {bounds[i]!r}): Keras adds up the values of ranges that overlap"
            )
            raise ScheduleError(msg)
    # Keras' step is the optimizer's integer iteration count, and it casts the boundaries to
    # the step's dtype: values[i + 1] applies from step int(b) + 1 (int truncates, as Keras'
    # cast does: a boundary in (-1, 0) is 0). A later value that starts at the same step (no
    # whole step in between) replaces the earlier one.
    pieces, starts = [constant(vals[0])], [0.0]
    for b, v in zip(bounds, vals[1:], strict=True):
        first = math.trunc(b) + 1.0
        if first <= 0.0:
            pieces, starts = [constant(v)], [0.0]
        elif first == starts[-1]:
            pieces[-1] = constant(v)
        else:
            pieces.append(constant(v))
            starts.append(first)
    return concat(pieces, starts[1:])


def _listed(name: str, value: object) -> list[tuple[int, object]]:
    if isinstance(value, str | bytes | Mapping) or not isinstance(value, Iterable):
        msg = f"{name} must be a list of numbers (got {value!r})"
        raise ScheduleError(msg)
    return list(enumerate(value))


def PolynomialDecay(  # noqa: N802, PLR0913, PLR0917 (Keras' class and signature)
    initial_learning_rate: object,
    decay_steps: object,
    end_learning_rate: object = 0.0001,
    power: object = 1.0,
    cycle: object = False,
    name: object = "PolynomialDecay",
) -> Schedule:
    lr = number("initial_learning_rate", initial_learning_rate)
    n = _decay_steps("decay_steps", decay_steps)
    end, p = number("end_learning_rate", end_learning_rate), number("power", power)
    _name(name)
    if not flag("cycle", cycle):
        return polynomial(n, power=p, start=lr, end=end)
    if not n.is_integer():
        msg = (
            f"decay_steps must be a whole number with cycle=True (got {decay_steps!r}): the "
            "decay's length decay_steps * ceil(step / decay_steps) is a staircase of whole steps"
        )
        raise ScheduleError(msg)
    # The decay restarts at each multiple of n, stretched to the next multiple: at a whole step
    # t its length is n * ceil(t / n) (n at t = 0), which is n + n * floor((t - 1) / n).
    length = shift(n + staircase_map(time(), n), 1)
    return compose(polynomial(1, power=p, start=lr, end=end), time() / length)


def InverseTimeDecay(  # noqa: N802 (Keras' class name)
    initial_learning_rate: object,
    decay_steps: object,
    decay_rate: object,
    staircase: object = False,
    name: object = "InverseTimeDecay",
) -> Schedule:
    lr = number("initial_learning_rate", initial_learning_rate)
    n = _decay_steps("decay_steps", decay_steps)
    rate, stairs = number("decay_rate", decay_rate), flag("staircase", staircase)
    _name(name)
    if rate < 0:
        msg = f"decay_rate must be >= 0 (got {decay_rate!r}): Keras' 1 + rate * step / decay_steps"
        raise ScheduleError(msg + " reaches 0")
    smooth = lr / (1 + rate * (time() / n))
    return staircase_map(smooth, n) if stairs else smooth


def CosineDecay(  # noqa: N802, PLR0913, PLR0917 (Keras' class and signature)
    initial_learning_rate: object,
    decay_steps: object,
    alpha: object = 0.0,
    name: object = "CosineDecay",
    warmup_target: object = None,
    warmup_steps: object = 0,
) -> Schedule:
    lr = number("initial_learning_rate", initial_learning_rate)
    n = _decay_steps("decay_steps", decay_steps)
    a, w = number("alpha", alpha), number("warmup_steps", warmup_steps)
    _name(name)
    if warmup_target is None:  # Keras ignores warmup_steps then
        return lr * cosine(n, end=a)
    target = number("warmup_target", warmup_target)
    if w < 0:
        msg = f"warmup_steps must be >= 0 (got {warmup_steps!r})"
        raise ScheduleError(msg)
    decay = target * cosine(n, end=a)
    return concat([linear(lr, target, w), decay], [w]) if w > 0 else decay


def CosineDecayRestarts(  # noqa: N802, PLR0913, PLR0917 (Keras' class and signature)
    initial_learning_rate: object,
    first_decay_steps: object,
    t_mul: object = 2.0,
    m_mul: object = 1.0,
    alpha: object = 0.0,
    name: object = "SGDRDecay",
) -> Schedule:
    lr = number("initial_learning_rate", initial_learning_rate)
    n = _decay_steps("first_decay_steps", first_decay_steps)
    growth, gamma, a = number("t_mul", t_mul), number("m_mul", m_mul), number("alpha", alpha)
    _name(name)
    if growth < 1:
        msg = f"t_mul must be >= 1 (got {t_mul!r}): Keras' cycles shrink, and its values are NaN"
        raise ScheduleError(msg + " once they run out")
    if not gamma > 0:
        msg = f"m_mul must be > 0 (got {m_mul!r}): lrsched's restarts scale each cycle"
        raise ScheduleError(msg + " by a factor > 0")
    if gamma == 1:
        return repeat(cosine(n, start=lr, end=lr * a), n, growth=growth)
    # Keras scales each cycle's cosine by m_mul ** i but not the floor alpha.
    return lr * a + lr * (1 - a) * repeat(cosine(n), n, growth=growth, gamma=gamma)


_RECIPES: dict[str, Callable[..., Schedule]] = {
    f.__name__: f
    for f in (
        ExponentialDecay,
        PiecewiseConstantDecay,
        PolynomialDecay,
        InverseTimeDecay,
        CosineDecay,
        CosineDecayRestarts,
    )
}


def _recipe(class_name: object) -> Callable[..., Schedule]:
    fn = _RECIPES.get(class_name) if isinstance(class_name, str) else None
    if fn is None:
        known = ", ".join(_RECIPES)
        msg = f"Keras has no schedule class {class_name!r}; its classes are {known}"
        raise ScheduleError(msg)
    return fn


def _serialized(data: Mapping[Any, Any]) -> tuple[str, dict[str, Any]]:
    """The class name and config of `keras.optimizers.schedules.serialize`'s dict."""
    if "class_name" not in data or "config" not in data:
        keys = sorted(map(str, data))
        msg = f"a serialized Keras schedule has 'class_name' and 'config' (got keys {keys})"
        raise ScheduleError(msg)
    module, registered = data.get("module"), data.get("registered_name")
    if module is not None and not _is_keras(str(module)):
        msg = f"module {module!r} is not Keras': only Keras' own schedule classes convert"
        raise ScheduleError(msg)
    if registered not in {None, data["class_name"]}:
        msg = f"registered_name {registered!r} is a custom class: only Keras' own schedules convert"
        raise ScheduleError(msg)
    return data["class_name"], scalar_parameters("config", data["config"])


def from_keras(schedule: object, /, *args: Any, **kwargs: Any) -> Schedule:
    r"""The values of a Keras learning-rate schedule, as an expression.

    `schedule` is one of:

    - a class name of `keras.optimizers.schedules`, followed by the constructor's arguments
      (a `get_config()` dict is spread as keywords: `from_keras("CosineDecay", **config)`);
    - the dict `keras.optimizers.schedules.serialize(s)` returns
      (`{"module": ..., "class_name": ..., "config": {...}}`, a JSON file's contents);
    - a live Keras schedule, read through its `get_config()`.

    Keras' values are absolute, and so is the result: bind it with `absolute=True`. Keras'
    conventions are kept: `PiecewiseConstantDecay` switches after a boundary (`step > b`),
    `CosineDecay`'s warmup comes before `decay_steps`, `CosineDecayRestarts` does not scale
    its floor `alpha` by `m_mul`. Keras computes in float32; the expression is the exact
    float64 formula.

    Args:
        schedule: a class name, a serialized schedule or a schedule object.
        *args: the constructor's positional arguments (after a class name only).
        **kwargs: the constructor's keyword arguments (after a class name only).

    Returns:
        The schedule's values, an expression.

    Raises:
        ScheduleError: for an unknown class (a custom `LearningRateSchedule` too), a missing,
            unknown or bad argument, or settings no expression reproduces.

    Examples:
        >>> import lrsched as ls
        >>> ls.from_keras("CosineDecay", initial_learning_rate=0.1, decay_steps=1000)
        0.1 * cosine(1000)
        >>> config = {"boundaries": [30, 60], "values": [0.1, 0.05, 0.01], "name": "P"}
        >>> ls.from_keras({"class_name": "PiecewiseConstantDecay", "config": config})
        concat([constant(0.1), constant(0.05), constant(0.01)], [31, 61])

    """
    if isinstance(schedule, str):
        class_name, given = schedule, (args, kwargs)
        for value in args:
            if isinstance(value, Mapping):
                msg = (
                    f"Keras {schedule}: pass a get_config() dict as keywords, "
                    f"from_keras({schedule!r}, **config) (got the dict {value!r})"
                )
                raise ScheduleError(msg)
    else:
        if args or kwargs:
            msg = "arguments follow a class name only (the schedule given carries its own)"
            raise ScheduleError(msg)
        if isinstance(schedule, Mapping):
            class_name, config = _serialized(schedule)
        else:
            class_name, config = _live(schedule)
        given = ((), config)
    fn = _recipe(class_name)
    return call(f"Keras {class_name}", fn, *given)


def _live(schedule: object) -> tuple[str, dict[str, Any]]:
    """The class name and config of a live Keras schedule."""
    kind = type(schedule)
    if not _is_keras(kind.__module__) or kind.__qualname__ not in _RECIPES:
        msg = (
            f"{kind.__module__}.{kind.__qualname__} is not one of Keras' schedule classes "
            f"({', '.join(_RECIPES)}); a custom schedule's values cannot be read"
        )
        raise ScheduleError(msg)
    config = schedule.get_config()  # type: ignore[attr-defined]
    return kind.__qualname__, scalar_parameters("get_config()", config)
