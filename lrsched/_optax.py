"""optax's schedules by name, as expressions: `from_optax`.

Every schedule constructor of `optax.schedules` (optax 0.2.8) maps to the expression of the
values its schedule returns, number for number (`tests/peers/test_from_optax.py` checks each
against optax itself, with jax's float64 mode). optax's values are absolute (`init_value`,
`peak_value`, ...), and so are the expressions.

Each private function below has the signature of the optax constructor of its name, and
reproduces what that constructor does with its arguments, including the settings optax
itself turns into a constant (`transition_steps <= 0`) or clips (`transition_begin < 0`).
Nothing here imports optax.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

from lrsched._combinators import clamp, concat
from lrsched._core import Schedule
from lrsched._curves import cosine, linear, polynomial
from lrsched._errors import ScheduleError
from lrsched._leaves import Constant, constant, exponential, step
from lrsched._peer_args import call, flag, number, scalar_parameters
from lrsched._recipes import shift
from lrsched._timemaps import stretch
from lrsched._validate import format_number

__all__ = ["from_optax"]


def _delayed(s: Schedule, begin: float) -> Schedule:
    """`s` from `begin` on, its first value before (a constant needs no delay)."""
    return s if begin == 0.0 or isinstance(s, Constant) else shift(s, begin)


def _join(pieces: Sequence[Schedule], boundaries: Sequence[float]) -> Schedule:
    """The `join_schedules` of optax: from each boundary on, the next piece at `t - boundary`.

    optax applies the boundaries in the order given, each overriding the pieces before it
    from its boundary on; a boundary <= 0 overrides them all (its piece entered part-way).
    """
    out, starts = [pieces[0]], [0.0]
    for b, piece in zip(boundaries, pieces[1:], strict=False):
        if b <= 0.0:
            out, starts = [shift(piece, b) if b < 0 else piece], [0.0]
            continue
        while len(starts) > 1 and starts[-1] >= b:
            out.pop()
            starts.pop()
        out.append(piece)
        starts.append(b)
    return concat(out, starts[1:])


def _scales(boundaries_and_scales: object) -> list[tuple[float, float]]:
    """`{step: scale}` as sorted pairs; optax refuses negative scales."""
    if not isinstance(boundaries_and_scales, Mapping):
        got = boundaries_and_scales
        msg = f"boundaries_and_scales must be a dict {{step: scale}} (got {got!r})"
        raise ScheduleError(msg)
    pairs = []
    for b, s in boundaries_and_scales.items():
        boundary = number("a boundary of boundaries_and_scales", b)
        scale = number(f"the scale of boundary {format_number(boundary)}", s)
        if scale < 0:
            msg = f"scales must be >= 0 (got {s!r} at {b!r}): optax refuses negative scales"
            raise ScheduleError(msg)
        pairs.append((boundary, scale))
    return sorted(pairs)


# -- one function per optax constructor, with its signature --------------------------------------


def constant_schedule(value: object) -> Schedule:
    return constant(number("value", value))


def polynomial_schedule(
    init_value: object,
    end_value: object,
    power: object,
    transition_steps: object,
    transition_begin: object = 0,
) -> Schedule:
    init, end = number("init_value", init_value), number("end_value", end_value)
    p, n = number("power", power), number("transition_steps", transition_steps)
    begin = max(number("transition_begin", transition_begin), 0.0)  # optax clips it to 0
    if n <= 0:  # optax: "results in a constant schedule with value init_value"
        return constant(init)
    return _delayed(polynomial(n, power=p, start=init, end=end), begin)


def linear_schedule(
    init_value: object, end_value: object, transition_steps: object, transition_begin: object = 0
) -> Schedule:
    return polynomial_schedule(init_value, end_value, 1, transition_steps, transition_begin)


def exponential_decay(  # noqa: PLR0913, PLR0917 (optax's signature)
    init_value: object,
    transition_steps: object,
    decay_rate: object,
    transition_begin: object = 0,
    staircase: object = False,
    end_value: object = None,
) -> Schedule:
    init, n = number("init_value", init_value), number("transition_steps", transition_steps)
    rate = number("decay_rate", decay_rate)
    begin = max(number("transition_begin", transition_begin), 0.0)
    stairs = flag("staircase", staircase)
    end = None if end_value is None else number("end_value", end_value)
    if n <= 0 or rate == 0:  # optax returns the constant init_value (end_value unused)
        return constant(init)
    if rate < 0:
        msg = (
            f"decay_rate must be > 0 (got {decay_rate!r}): the powers of a negative rate "
            "alternate in sign, or are NaN between whole numbers"
        )
        raise ScheduleError(msg)
    decay = step(n, rate) if stairs else stretch(exponential(rate), n)
    s = _delayed(init * decay, begin)
    if end is None:
        return s
    # optax clips with max when decay_rate < 1, with min otherwise, at every step.
    return clamp(s, low=end) if rate < 1 else clamp(s, high=end)


def cosine_decay_schedule(
    init_value: object, decay_steps: object, alpha: object = 0.0, exponent: object = 1.0
) -> Schedule:
    init, n = number("init_value", init_value), number("decay_steps", decay_steps)
    a, p = number("alpha", alpha), number("exponent", exponent)
    if not n > 0:  # optax raises too
        msg = f"decay_steps must be > 0 (got {decay_steps!r})"
        raise ScheduleError(msg)
    if p < 0:
        msg = f"exponent must be >= 0 (got {exponent!r}): optax's value at decay_steps is 0 ** p"
        raise ScheduleError(msg)
    if p == 1:
        return init * cosine(n, end=a)
    return init * ((1 - a) * cosine(n) ** p + a)


def piecewise_constant_schedule(
    init_value: object, boundaries_and_scales: object = None
) -> Schedule:
    value = number("init_value", init_value)
    if boundaries_and_scales is None:
        return constant(value)
    pieces, starts = [constant(value)], []
    for b, scale in _scales(boundaries_and_scales):
        value = scale * value  # optax's product, in its order
        if b <= 0:  # applies from step 0 on
            pieces[-1] = constant(value)
        else:
            pieces.append(constant(value))
            starts.append(b)
    return concat(pieces, starts)


def piecewise_interpolate_schedule(
    interpolate_type: object, init_value: object, boundaries_and_scales: object = None
) -> Schedule:
    if interpolate_type not in {"linear", "cosine"}:
        msg = f"interpolate_type must be 'linear' or 'cosine' (got {interpolate_type!r})"
        raise ScheduleError(msg)
    pairs = [] if not boundaries_and_scales else _scales(boundaries_and_scales)
    bounds = [0.0] + [b for b, _ in pairs]
    values = [number("init_value", init_value)]
    for _, scale in pairs:
        values.append(values[-1] * scale)
    curve: Callable[[float, float, float], Schedule] = (
        linear if interpolate_type == "linear" else lambda a, b, d: cosine(d, start=a, end=b)
    )
    pieces, starts = [], []
    # optax: interval i is [bounds[i], bounds[i + 1]), interpolated over max(its length, 1).
    for i in range(len(bounds) - 1):
        low, high = bounds[i], bounds[i + 1]
        if high <= max(low, 0.0):
            continue  # no step >= 0 falls in it
        segment = curve(values[i], values[i + 1], max(high - low, 1.0))
        pieces.append(shift(segment, low) if low < 0 else segment)
        starts.append(max(low, 0.0))
    pieces.append(constant(values[-1]))
    starts.append(max(bounds[-1], 0.0))
    return concat(pieces, starts[1:])


def linear_onecycle_schedule(  # noqa: PLR0913, PLR0917 (optax's signature)
    transition_steps: object,
    peak_value: object,
    pct_start: object = 0.3,
    pct_final: object = 0.85,
    div_factor: object = 25.0,
    final_div_factor: object = 1e4,
) -> Schedule:
    n, peak = number("transition_steps", transition_steps), number("peak_value", peak_value)
    start, final = number("pct_start", pct_start), number("pct_final", pct_final)
    div = _nonzero("div_factor", div_factor)
    final_div = _nonzero("final_div_factor", final_div_factor)
    if n <= 0:  # optax raises too
        msg = f"transition_steps must be > 0 (got {transition_steps!r})"
        raise ScheduleError(msg)
    # optax's own dict: a later key equal to an earlier one replaces its scale.
    scales = {int(start * n): div, int(final * n): 1.0 / div, n: 1.0 / final_div}
    return piecewise_interpolate_schedule("linear", peak / div, scales)


def cosine_onecycle_schedule(
    transition_steps: object,
    peak_value: object,
    pct_start: object = 0.3,
    div_factor: object = 25.0,
    final_div_factor: object = 1e4,
) -> Schedule:
    n, peak = number("transition_steps", transition_steps), number("peak_value", peak_value)
    start = number("pct_start", pct_start)
    div = _nonzero("div_factor", div_factor)
    final_div = _nonzero("final_div_factor", final_div_factor)
    if n <= 0:  # optax raises too
        msg = f"transition_steps must be > 0 (got {transition_steps!r})"
        raise ScheduleError(msg)
    scales = {int(start * n): div, int(n): 1.0 / (div * final_div)}
    return piecewise_interpolate_schedule("cosine", peak / div, scales)


def _nonzero(name: str, value: object) -> float:
    x = number(name, value)
    if x == 0:
        msg = f"{name} must not be 0 (optax divides by it)"
        raise ScheduleError(msg)
    return x


def warmup_constant_schedule(
    init_value: object, peak_value: object, warmup_steps: object
) -> Schedule:
    return linear_schedule(init_value, peak_value, warmup_steps)


def warmup_cosine_decay_schedule(  # noqa: PLR0913, PLR0917 (optax's signature)
    init_value: object,
    peak_value: object,
    warmup_steps: object,
    decay_steps: object,
    end_value: object = 0.0,
    exponent: object = 1.0,
) -> Schedule:
    peak, end = number("peak_value", peak_value), number("end_value", end_value)
    w, n = number("warmup_steps", warmup_steps), number("decay_steps", decay_steps)
    if not n - w > 0:
        msg = (
            f"decay_steps ({format_number(n)}) must exceed warmup_steps ({format_number(w)}): "
            "optax counts the warmup inside decay_steps"
        )
        raise ScheduleError(msg)
    alpha = 0.0 if peak == 0.0 else end / peak
    warm = linear_schedule(init_value, peak, w)
    return _join([warm, cosine_decay_schedule(peak, n - w, alpha, exponent)], [w])


def warmup_exponential_decay_schedule(  # noqa: PLR0913, PLR0917 (optax's signature)
    init_value: object,
    peak_value: object,
    warmup_steps: object,
    transition_steps: object,
    decay_rate: object,
    transition_begin: object = 0,
    staircase: object = False,
    end_value: object = None,
) -> Schedule:
    w = number("warmup_steps", warmup_steps)
    warm = linear_schedule(init_value, peak_value, w)
    decay = exponential_decay(
        peak_value, transition_steps, decay_rate, transition_begin, staircase, end_value
    )
    return _join([warm, decay], [w])


def sgdr_schedule(cosine_kwargs: object) -> Schedule:
    if isinstance(cosine_kwargs, str | bytes | Mapping) or not isinstance(cosine_kwargs, Iterable):
        msg = f"cosine_kwargs must be a list of dicts (got {cosine_kwargs!r})"
        raise ScheduleError(msg)
    pieces, ends, end = [], [], 0.0
    for i, kwargs in enumerate(cosine_kwargs):
        where = f"cosine_kwargs[{i}]"
        kw = scalar_parameters(where, kwargs)
        pieces.append(call(where, warmup_cosine_decay_schedule, (), kw))
        end += number(f"{where}['decay_steps']", kw["decay_steps"])  # optax's running sum
        ends.append(end)
    if not pieces:
        msg = "cosine_kwargs must not be empty (got no cycles)"
        raise ScheduleError(msg)
    return _join(pieces, ends[:-1])


def join_schedules(schedules: object, boundaries: object) -> Schedule:
    if isinstance(schedules, Schedule) or not isinstance(schedules, Iterable):
        msg = f"schedules must be a list of lrsched schedules (got {schedules!r})"
        raise ScheduleError(msg)
    pieces = list(schedules)
    for i, piece in enumerate(pieces):
        if not isinstance(piece, Schedule):
            msg = (
                f"schedules[{i}] must be an lrsched schedule (got {piece!r}): an optax "
                "schedule is a closure whose parameters cannot be read; build it with "
                "from_optax(name, ...)"
            )
            raise ScheduleError(msg)
    if not isinstance(boundaries, Iterable):
        msg = f"boundaries must be a list of steps (got {boundaries!r})"
        raise ScheduleError(msg)
    bounds = [number(f"boundaries[{i}]", b) for i, b in enumerate(boundaries)]
    if not pieces or len(bounds) != len(pieces) - 1:
        msg = (
            "boundaries must have one entry fewer than schedules (got "
            f"{len(pieces)} schedules and {len(bounds)} boundaries)"
        )
        raise ScheduleError(msg)
    return _join(pieces, bounds)


_RECIPES: dict[str, Callable[..., Schedule]] = {
    f.__name__: f
    for f in (
        constant_schedule,
        linear_schedule,
        polynomial_schedule,
        exponential_decay,
        cosine_decay_schedule,
        piecewise_constant_schedule,
        piecewise_interpolate_schedule,
        warmup_constant_schedule,
        warmup_cosine_decay_schedule,
        warmup_exponential_decay_schedule,
        linear_onecycle_schedule,
        cosine_onecycle_schedule,
        sgdr_schedule,
        join_schedules,
    )
}
_ALIASES = {name.removesuffix("_schedule"): name for name in _RECIPES if name.endswith("_schedule")}


def from_optax(name: str, /, *args: Any, **kwargs: Any) -> Schedule:
    r"""The schedule `optax.<name>(*args, **kwargs)` makes, as an expression.

    `name` is an optax schedule constructor (`optax.schedules.<name>`), with or without its
    `_schedule` suffix; the arguments are optax's, by position or keyword. optax's values are
    absolute (`init_value`, `peak_value`, ...), and so is the result: bind it with
    `absolute=True`. optax's own rules are kept: `transition_steps <= 0` gives the constant
    `init_value`, a negative `transition_begin` counts as 0, `warmup_cosine_decay_schedule`
    counts the warmup inside `decay_steps`, a change at a boundary applies at the boundary.
    `join_schedules` takes lrsched schedules (an optax schedule is a closure that cannot be
    read).

    Args:
        name: the constructor's name, e.g. `"warmup_cosine_decay_schedule"` or
            `"warmup_cosine_decay"`.
        *args: its positional arguments.
        **kwargs: its keyword arguments.

    Returns:
        The schedule's values, an expression.

    Raises:
        ScheduleError: for an unknown name, a missing, unknown or bad argument, or settings
            whose values no expression reproduces (a negative `decay_rate`, ...).

    Examples:
        >>> import lrsched as ls
        >>> ls.from_optax("warmup_cosine_decay_schedule", 0.0, 1e-3, 100, 1000)
        concat([linear(0, 0.001, 100), 0.001 * cosine(900)], [100])
        >>> ls.from_optax("exponential_decay", 0.1, 10, 0.5, staircase=True, end_value=0.01)
        clamp(0.1 * step(10, 0.5), low=0.01)
        >>> ls.from_optax("piecewise_constant", 0.1, {30: 0.5, 60: 0.2})
        concat([constant(0.1), constant(0.05), constant(0.010000000000000002)], [30, 60])

    """
    key = _ALIASES.get(name, name) if isinstance(name, str) else name
    fn = _RECIPES.get(key) if isinstance(key, str) else None
    if fn is None:
        known = ", ".join(_RECIPES)
        raise ScheduleError(f"optax has no schedule {name!r}; its schedules are {known}")
    return call(f"optax {key}", fn, args, kwargs)
