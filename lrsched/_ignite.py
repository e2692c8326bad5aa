"""ignite's param schedulers as expressions: `from_ignite`.

ignite's schedulers are event handlers that count their own calls: `from_ignite(s)(t)` is the
value `s` sets at its call number `t` (from 0: the value of `simulate_values` at index `t`;
attached at `ITERATION_STARTED`, the value during iteration `t + 1`). The conversion reads a
scheduler that has not run yet (its counters at 0) and never calls it. Nothing here imports
ignite: its classes are recognised by module and name; an `LRScheduler`'s torch scheduler is
converted by `lrsched.from_torch` (imported on use).
"""

from __future__ import annotations

import copy
import numbers
from typing import TYPE_CHECKING, Any

from lrsched._combinators import concat
from lrsched._curves import cosine, linear, piecewise_linear
from lrsched._cycles import repeat
from lrsched._errors import ScheduleError
from lrsched._leaves import constant
from lrsched._peer_args import real

if TYPE_CHECKING:
    from lrsched._core import Schedule

__all__ = ["from_ignite"]

_MODULE = "ignite.handlers.param_scheduler"
_KNOWN = (
    "CosineAnnealingScheduler",
    "LinearCyclicalScheduler",
    "PiecewiseLinear",
    "ConcatScheduler",
    "LRScheduler",
    "ParamGroupScheduler",
)
_LR_SCHEDULER = "LRScheduler"
_REL = 1e-12
"""How close the lr a piece hands over must be to the one a torch scheduler continues from."""


def _err(kind: str, reason: str) -> ScheduleError:
    return ScheduleError(f"ignite {kind}: {reason}")


def _kind(obj: object) -> str:
    kind = type(obj)
    name = f"{kind.__module__}.{kind.__qualname__}"
    if kind.__module__ == _MODULE and kind.__qualname__ in _KNOWN:
        return kind.__qualname__
    if kind.__module__ == _MODULE and kind.__qualname__ == "ReduceLROnPlateauScheduler":
        reason = "its lr follows a metric, not the event count; write ls.plateau(...) instead"
        raise _err(kind.__qualname__, reason)
    known = ", ".join(_KNOWN)
    msg = f"from_ignite converts ignite's param schedulers ({known}); got {name}"
    raise ScheduleError(msg)


def _attr(obj: object, kind: str, name: str) -> Any:
    try:
        return getattr(obj, name)
    except AttributeError:
        raise _err(kind, f"the scheduler has no attribute {name} (another ignite?)") from None


def _fresh(obj: object, kind: str, *names: str) -> None:
    for name in names:
        value = _attr(obj, kind, name)
        if value != 0:
            reason = (
                f"it has already run ({name} is {value!r}): convert it before its first event "
                "(its settings change as it runs)"
            )
            raise _err(kind, reason)


def _real(kind: str, name: str, value: object, *, low: float | None = None) -> float:
    return real(_err, kind, name, value, low=low)


def _whole(kind: str, name: str, value: object, low: int) -> int:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < low:
        raise _err(kind, f"{name} must be a whole number >= {low}, got {value!r}")
    return int(value)


# -- the schedulers ----------------------------------------------------------------------------


def _cyclical(obj: object, kind: str) -> Schedule:
    _fresh(obj, kind, "event_index", "cycle")
    s = _real(kind, "start_value", _attr(obj, kind, "start_value"))
    e = _real(kind, "end_value", _attr(obj, kind, "end_value"))
    size = _whole(kind, "cycle_size", _attr(obj, kind, "cycle_size"), 2)
    growth = _real(kind, "cycle_mult", _attr(obj, kind, "cycle_mult"), low=1.0)
    a = _real(kind, "start_value_mult", _attr(obj, kind, "start_value_mult"))
    z = _real(kind, "end_value_mult", _attr(obj, kind, "end_value_mult"))
    warm = getattr(obj, "warmup_duration", 0)
    if warm:
        reason = (
            f"warmup_duration={warm!r}: the cycle's two parts grow and truncate separately; "
            "write the cycle with ls.concat and ls.repeat"
        )
        raise _err(kind, reason)
    for name, mult, value in (("start_value_mult", a, s), ("end_value_mult", z, e)):
        if mult <= 0 and value != 0:
            raise _err(kind, f"{name} must be > 0, got {mult!r}")
    if kind == "CosineAnnealingScheduler":  # start + (end - start) (1 - cos(pi k / size)) / 2
        shape = cosine(size)  # the weight of start_value; end_value's is 1 - shape
        plain = cosine(size, start=s, end=e)
    elif getattr(obj, "monotonic", False):  # start + (end - start) k / size
        shape = linear(1.0, 0.0, size)
        plain = linear(s, e, size)
    else:  # end + (start - end) |k / size - 1/2| * 2: down to end at half the cycle, back up
        half = size / 2
        shape = concat([linear(1.0, 0.0, half), linear(0.0, 1.0, half)], [half])
        plain = concat([linear(s, e, half), linear(e, s, half)], [half])
    if a == z == 1.0:
        return repeat(plain, size, growth=growth, truncate=True)
    terms = [
        v * repeat(w, size, growth=growth, gamma=g, truncate=True)
        for v, w, g in ((s, shape, a), (e, 1 - shape, z))
        if v != 0
    ]
    return terms[0] + terms[1] if len(terms) == 2 else terms[0] if terms else constant(0.0)


def _piecewise(obj: object, kind: str) -> Schedule:
    _fresh(obj, kind, "event_index", "_index")
    times = list(_attr(obj, kind, "milestones"))
    values = list(_attr(obj, kind, "values"))
    points: list[tuple[float, float]] = []
    for i, (t, v) in enumerate(zip(times, values, strict=True)):
        _whole(kind, f"milestones[{i}]", t, 0)
        # ignite reaches a time given three or more times from its first value and leaves it
        # with its last: the ones between never show.
        if len(points) >= 2 and points[-1][0] == points[-2][0] == t:
            points.pop()
        points.append((float(t), _real(kind, f"values[{i}]", v)))
    return piecewise_linear(points)


def _concat(obj: object, kind: str, entry: float | None) -> Schedule:
    schedulers = list(_attr(obj, kind, "schedulers"))
    durations = list(_attr(obj, kind, "durations"))
    _fresh(obj, kind, "_scheduler_index")
    left = _attr(obj, kind, "_current_duration")
    if durations and left != durations[0]:
        reason = f"it has already run (_current_duration is {left!r}, not {durations[0]!r})"
        raise _err(kind, f"{reason}: convert it before its first event")
    if len(durations) != len(schedulers) - 1:
        reason = f"{len(schedulers)} schedulers need {len(schedulers) - 1} durations"
        raise _err(kind, f"{reason}, got {len(durations)}")
    pieces, bounds, at = [], [], 0
    for i, child in enumerate(schedulers):
        piece = _convert(child, entry)
        pieces.append(piece)
        if i < len(durations):
            # ignite leaves a piece at 0 (or never, below 0) only when it counts down to it
            d = _whole(kind, f"durations[{i}]", durations[i], 1)
            entry = piece(d - 1)  # the value the next piece finds in the optimizer
            at += d
            bounds.append(at)
    return concat(pieces, bounds)


def _group(obj: object, kind: str, entry: float | None) -> Schedule:
    schedulers = list(_attr(obj, kind, "schedulers"))
    if len(schedulers) != 1:
        reason = (
            f"its {len(schedulers)} schedulers set {len(schedulers)} param groups: convert "
            "each, [ls.from_ignite(s) for s in scheduler.schedulers]"
        )
        raise _err(kind, reason)
    return _convert(schedulers[0], entry)


def _lr_scheduler(obj: object, kind: str, entry: float | None) -> Schedule:
    from lrsched.interop import from_torch  # noqa: PLC0415 (imports torch, as ignite does)

    _fresh(obj, kind, "event_index")
    wrapped = _attr(obj, kind, "lr_scheduler")
    if type(wrapped).__qualname__ == "_CosineAnnealingWarmRestarts":
        # ignite steps a CosineAnnealingWarmRestarts with a wrapper of its own, which counts
        # T_cur up before it reads the lr: call j gives torch's epoch j + 1 whatever
        # last_epoch says (which create_lr_scheduler_with_warmup and use_legacy move).
        torch_scheduler = copy.copy(_attr(wrapped, kind, "_lr_scheduler"))
        t_cur, t_i, t_0 = (getattr(torch_scheduler, k, None) for k in ("T_cur", "T_i", "T_0"))
        if t_cur != 0 or t_i != t_0:
            reason = f"its CosineAnnealingWarmRestarts has run (T_cur is {t_cur!r}, T_i {t_i!r})"
            raise _err(kind, reason)
        torch_scheduler.last_epoch = 0
        (s,) = _groups(kind, from_torch(torch_scheduler))
        return _advanced(s, 1)
    epoch = _whole(kind, "lr_scheduler.last_epoch", _attr(wrapped, kind, "last_epoch"), 0)
    # Each call reads torch's get_lr() at last_epoch (then counts it up): torch's closed forms
    # from base_lrs, or its recursion from the lr now in the optimizer, which must then be
    # torch's own value at the epoch before.
    before = copy.copy(wrapped)
    before.last_epoch = max(epoch - 1, 0)
    try:
        (s,) = _groups(kind, from_torch(before))
    except ScheduleError as error:
        raise _err(kind, f"its torch scheduler at epoch {max(epoch - 1, 0)}: {error}") from None
    if entry is not None:
        expected = s(max(epoch - 1, 0))
        if not abs(entry - expected) <= _REL * abs(expected):
            reason = (
                f"it takes over at lr {entry!r} from the piece before, but its torch scheduler "
                f"continues from {expected!r}; torch's recursion would run from ignite's value, "
                "which no expression of the torch scheduler gives"
            )
            raise _err(kind, reason)
    return _unguarded(wrapped, s, epoch)


def _unguarded(wrapped: Any, s: Schedule, epoch: int) -> Schedule:
    """What ignite's calls of `get_lr()` give, from torch's own schedule `s` at `epoch`.

    ignite reads `get_lr()` at `last_epoch` and counts it up, never through `step()`. From
    epoch 1 on that is torch's own next value; at epoch 0 (a fresh scheduler) it runs without
    torch's initial-step guard: `ExponentialLR` multiplies by gamma already (a whole epoch
    ahead), `LinearLR` and `ConstantLR` apply their start factor a second time (the whole
    curve scaled by it), and the classes refused below apply a ratio no epoch of theirs has.
    """
    from torch.optim import lr_scheduler as tls  # noqa: PLC0415 (the binding's torch)

    kind = type(wrapped)
    if epoch != 0:
        return _advanced(s, epoch)
    if kind is tls.ExponentialLR:
        return _advanced(s, 1)
    if kind in {tls.LinearLR, tls.ConstantLR}:
        name = "start_factor" if kind is tls.LinearLR else "factor"
        return _real(_LR_SCHEDULER, name, getattr(wrapped, name)) * s
    effect = {
        tls.PolynomialLR: "a decay ratio (T / (T + 1)) ** power",
        tls.CosineAnnealingLR: "a cosine ratio that raises the lr",
        tls.MultiplicativeLR: "lr_lambda(0)",
    }.get(kind)
    if effect is None:
        return s
    reason = (
        f"ignite reads get_lr() of a fresh {kind.__name__} at epoch 0 without torch's "
        f"initial-step guard, so its first value applies {effect}, which no epoch of the torch "
        "scheduler has (use_legacy=True starts it one epoch on, where it has none)"
    )
    raise _err(_LR_SCHEDULER, reason)


def _groups(kind: str, schedules: tuple[Schedule, ...]) -> tuple[Schedule]:
    if len(schedules) != 1:
        reason = (
            f"its torch scheduler sets {len(schedules)} param groups: "
            "ls.from_torch(scheduler.lr_scheduler) gives one schedule per group"
        )
        raise _err(kind, reason)
    return (schedules[0],)


def _advanced(s: Schedule, epochs: int) -> Schedule:
    from lrsched._recipes import shift  # noqa: PLC0415 (recipes import the combinators)

    return shift(s, -epochs) if epochs else s


def _convert(obj: object, entry: float | None = None) -> Schedule:
    kind = _kind(obj)
    if kind in {"CosineAnnealingScheduler", "LinearCyclicalScheduler"}:
        return _cyclical(obj, kind)
    if kind == "PiecewiseLinear":
        return _piecewise(obj, kind)
    if kind == "ConcatScheduler":
        return _concat(obj, kind, entry)
    if kind == "ParamGroupScheduler":
        return _group(obj, kind, entry)
    return _lr_scheduler(obj, kind, entry)


def from_ignite(scheduler: object) -> Schedule:
    """The expression of a live ignite param scheduler, over its event count.

    `from_ignite(s)(t)` is the value `s` sets at its call number `t`, counted from 0: what
    `simulate_values` lists at index `t` (attached at `Events.ITERATION_STARTED`, the value
    during iteration `t + 1`). Convert the scheduler before it runs: one that has handled
    events is refused (its settings change as it runs).

    Supported: `CosineAnnealingScheduler` and `LinearCyclicalScheduler` (`cycle_mult`, whose
    lengths ignite truncates to whole events, and `start_value_mult` / `end_value_mult`),
    `PiecewiseLinear`, `ConcatScheduler` (nested too), `LRScheduler` (its torch scheduler
    through `lrsched.from_torch`, `use_legacy` too), a `ParamGroupScheduler` of one scheduler,
    and so what `create_lr_scheduler_with_warmup` builds for one param group. Refused:
    `ReduceLROnPlateauScheduler` (a metric drives it), a cycle with `warmup_duration`, several
    param groups (convert each), and an `LRScheduler` after a piece that hands it another lr
    than its torch scheduler's own (torch's recursion would continue from ignite's value).

    Args:
        scheduler: The ignite scheduler.

    Returns:
        The expression of its values over its event count.

    Raises:
        ScheduleError: for another object (the message names its class), a scheduler that
            has run, or settings that no expression reproduces.

    Examples:
        >>> import lrsched as ls
        >>> ls.from_ignite(object())
        Traceback (most recent call last):
        lrsched._errors.ScheduleError: from_ignite converts ignite's param schedulers
        (CosineAnnealingScheduler, LinearCyclicalScheduler, PiecewiseLinear, ConcatScheduler,
        LRScheduler, ParamGroupScheduler); got builtins.object

    """
    return _convert(scheduler)
