"""timm's schedulers as expressions: `from_timm`.

timm's schedulers (`timm.scheduler`) are closed-form functions of the epoch, or of the update
count when they step on updates: `scheduler.step(t)` (`step_update(t)`) sets the lr to
`_get_lr(t)`, plus the noise of `t` inside the noise window. `from_timm` writes that function
as an expression, two ways: from `create_scheduler_v2`'s arguments (the factor of the base lr,
as `from_hf` gives), or from a live scheduler (the absolute lr of each param group, as
`from_torch` gives). `tests/peers/test_from_timm.py` checks both against timm itself.

Nothing here imports timm: a live scheduler is recognised by its class's module and name and
read through its public attributes. What no expression reproduces is refused with the reason:
the plateau scheduler (it follows a metric), a cycle index that timm's `floor(log(...))`
misplaces, a callable decay function.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, Protocol, overload

from lrsched._arithmetic import tanh
from lrsched._combinators import clamp, concat, warmup
from lrsched._curves import cosine, inverse_sqrt, linear, polynomial
from lrsched._cycles import Repeat, repeat
from lrsched._errors import ScheduleError
from lrsched._leaves import constant, exponential, milestones, step
from lrsched._noise import noise
from lrsched._recipes import shift, warmup_stable_decay
from lrsched._timemaps import compose, stretch, time
from lrsched._validate import format_number

if TYPE_CHECKING:
    from lrsched._core import Schedule

__all__ = ["from_timm"]

_NAMES = ("cosine", "tanh", "step", "multistep", "poly", "wsd", "rsqrt", "constant", "plateau")
_CLASSES = {
    "CosineLRScheduler": "cosine",
    "TanhLRScheduler": "tanh",
    "StepLRScheduler": "step",
    "MultiStepLRScheduler": "multistep",
    "PolyLRScheduler": "poly",
    "WSDLRScheduler": "wsd",
    "PlateauLRScheduler": "plateau",
}
_MAX_RESTARTS = 100_000  # restarts whose placement is checked against timm's floor(log(...))
_BIG = 2.0**53  # past this no float counts epochs one by one


class TimmScheduler(Protocol):
    """What `from_timm` reads of a live `timm.scheduler.Scheduler`."""

    base_values: Sequence[float]
    optimizer: Any


def _err(where: str, reason: str) -> ScheduleError:
    return ScheduleError(f"timm {where}: {reason}")


def _real(where: str, name: str, value: object, *, low: float | None = None) -> float:
    """A finite number (>= `low` if given)."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise _err(where, f"{name} must be a number, got {value!r}")
    x = float(value)
    if not math.isfinite(x) or (low is not None and x < low):
        bound = "" if low is None else f" >= {format_number(low)}"
        raise _err(where, f"{name} must be a finite number{bound}, got {value!r}")
    return x


def _whole(where: str, name: str, value: object, *, low: float | None = 0.0) -> float:
    """A whole number of epochs or updates (timm's `int`): `t // x` is exact only then."""
    x = _real(where, name, value, low=low)
    if not x.is_integer():
        raise _err(where, f"{name} must be a whole number of steps (timm's int), got {value!r}")
    return x


# -- the schedulers, by their attributes (absolute lrs: b the base lr) -------------------------


def _ramp(body: Schedule, a: Mapping[str, Any], where: str, target: float) -> Schedule:
    """The warmup of timm: `init + t * (target - init) / w` before `w`, then the body.

    With `warmup_prefix` the body runs on its own clock from `w`; without, on the global clock
    (entered part-way: a negative shift). Either way the ramp ends at `target`, not where the
    body resumes.
    """
    w = _whole(where, "warmup_t", a["warmup_t"])
    if w == 0:
        return body
    init = _real(where, "warmup_lr_init", a["warmup_lr_init"])
    after = body if a["warmup_prefix"] else shift(body, -w)
    if after(0) == target:  # lrsched's warmup: a ramp to where the schedule starts
        return warmup(after, w, start=init)
    return concat([linear(init, target, w), after], [w])


def _cycle_args(a: Mapping[str, Any], where: str) -> tuple[float, float, float, int]:
    t_initial = _whole(where, "t_initial", a["t_initial"], low=1.0)
    mul = _real(where, "cycle_mul", a["cycle_mul"])
    decay = _real(where, "cycle_decay", a["cycle_decay"])
    given = a["cycle_limit"]
    if isinstance(given, bool) or not isinstance(given, numbers.Integral):
        raise _err(where, f"cycle_limit must be an int, got {given!r}")
    limit = int(given)
    if mul < 1:
        reason = f"cycle_mul={mul!r} < 1: timm's cycle index takes the log of a negative number "
        raise _err(where, reason + "past t_initial / (1 - cycle_mul) (cycle_mul must be >= 1)")
    if decay <= 0 and limit > 1:
        raise _err(where, f"cycle_decay must be > 0, got {a['cycle_decay']!r}")
    return t_initial, mul, decay, limit


def _timm_cycle(t: float, t_initial: float, mul: float) -> int:
    """The cycle timm puts `t` in: `floor(log(1 - t / T * (1 - m), m))`."""
    return math.floor(math.log(1 - t / t_initial * (1 - mul), mul))


def _check_restarts(where: str, t_initial: float, mul: float, limit: int) -> float:
    """The end of cycle `limit - 1`, after checking timm's cycle index at every restart.

    timm finds the cycle of `t` with a logarithm, which misplaces a restart that falls on (or
    next to) a whole step when the rounding goes the wrong way; lrsched's `repeat` places each
    restart by comparing with its start. The expression is exact only if the two agree at every
    step next to every restart up to the end.
    """
    probe = Repeat(constant(0.0), t_initial, mul, 1.0)
    for k in range(1, limit + 1):
        start = probe._start(float(k))
        if start > _BIG:
            break
        if k > _MAX_RESTARTS:
            reason = f"cycle_mul={mul!r} with cycle_limit={limit}: more than {_MAX_RESTARTS}"
            raise _err(where, reason + " restarts to check against timm's floor(log(...))")
        for t in range(max(math.floor(start) - 2, 0), math.floor(start) + 3):
            theirs, ours = _timm_cycle(t, t_initial, mul), probe._cycle(t)
            if theirs != ours:
                reason = (
                    f"cycle_mul={mul!r}: timm's floor(log(...)) puts step {t} in cycle "
                    f"{theirs}, but cycle {int(ours)} starts at {format_number(start)}"
                )
                raise _err(where, reason)
    return probe._start(float(limit))


def _cycles(
    a: Mapping[str, Any],
    where: str,
    b: float,
    curve: Callable[[float, float], Schedule],
    *,
    holds: bool,
) -> Schedule:
    """Cycles of `curve(start, end)` over `t_initial` each, from `b` down to `lr_min`.

    Cycle `i` peaks at `b * cycle_decay**i` over the floor `lr_min`; from cycle
    `cycle_limit` on, timm holds `lr_min`. `holds` says whether `curve` holds its end value
    past `t_initial` by itself.
    """
    lo = _real(where, "lr_min", a["lr_min"], low=0.0)
    t_initial, mul, decay, limit = _cycle_args(a, where)
    if limit <= 0:
        return constant(lo)
    end = _check_restarts(where, t_initial, mul, limit) if mul != 1 else t_initial * limit
    if limit == 1:
        one = curve(b, lo)
        return one if holds else concat([one, constant(lo)], [t_initial])
    if decay == 1:
        body = repeat(curve(b, lo), t_initial, growth=mul)
    else:
        # The peak decays but the floor does not: the floor is taken out of the scaled repeat.
        unit = curve(1.0, 0.0)
        body = b * repeat(unit, t_initial, growth=mul, gamma=decay)
        if lo:
            body = lo + body - lo * repeat(unit, t_initial, growth=mul)
    return concat([body, constant(lo)], [end]) if end < math.inf else body


def _k_warp(make: Callable[[float], Schedule], t_initial: float, k: float) -> Schedule:
    """`make(T)` read at `t**k` over `T**k`: timm's k-decay `t_curr**k / t_i**k`."""
    if k == 1:
        return make(t_initial)
    return compose(make(t_initial**k), time() ** k)


def _cosine(a: Mapping[str, Any], where: str, b: float) -> Schedule:
    t_initial = _whole(where, "t_initial", a["t_initial"], low=1.0)
    k = _real(where, "k_decay", a["k_decay"])
    if k <= 0:
        raise _err(where, f"k_decay must be > 0, got {a['k_decay']!r}")

    def curve(start: float, end: float) -> Schedule:
        return _k_warp(lambda d: cosine(d, start=start, end=end), t_initial, k)

    return _ramp(_cycles(a, where, b, curve, holds=True), a, where, b)


def _poly(a: Mapping[str, Any], where: str, b: float) -> Schedule:
    t_initial = _whole(where, "t_initial", a["t_initial"], low=1.0)
    k = _real(where, "k_decay", a["k_decay"])
    p = _real(where, "power", a["power"])
    if k <= 0:
        raise _err(where, f"k_decay must be > 0, got {a['k_decay']!r}")
    if p < 0:
        reason = f"power={a['power']!r} < 0: timm divides by zero at the end of each cycle"
        raise _err(where, reason)

    def curve(start: float, end: float) -> Schedule:
        return _k_warp(lambda d: polynomial(d, power=p, start=start, end=end), t_initial, k)

    # A power of 0 is a constant, which does not fall to lr_min at the end of the cycle.
    return _ramp(_cycles(a, where, b, curve, holds=p > 0), a, where, b)


def _tanh(a: Mapping[str, Any], where: str, b: float) -> Schedule:
    t_initial = _whole(where, "t_initial", a["t_initial"], low=1.0)
    lb, ub = _real(where, "lb", a["lb"]), _real(where, "ub", a["ub"])
    if not lb < ub:
        raise _err(where, f"lb ({lb!r}) must be below ub ({ub!r})")
    shape = (1 - tanh(linear(lb, ub, t_initial))) / 2

    def curve(start: float, end: float) -> Schedule:
        return end + (start - end) * shape

    body = _cycles(a, where, b, curve, holds=False)
    # Without the prefix, timm's warmup ramps to where the tanh is at warmup_t.
    target = b if a["warmup_prefix"] else float(body(_real(where, "warmup_t", a["warmup_t"])))
    return _ramp(body, a, where, target)


def _step(a: Mapping[str, Any], where: str, b: float) -> Schedule:
    d = _whole(where, "decay_t", a["decay_t"], low=1.0)
    rate = _real(where, "decay_rate", a["decay_rate"])
    if rate <= 0:
        raise _err(where, f"decay_rate must be > 0, got {a['decay_rate']!r}")
    return _ramp(b * step(d, rate), a, where, b)


def _multistep(a: Mapping[str, Any], where: str, b: float) -> Schedule:
    points = a["decay_t"]
    if isinstance(points, str) or not isinstance(points, Sequence):
        raise _err(where, f"decay_t must be a list of epochs, got {points!r}")
    ms = [_whole(where, "decay_t", m, low=None) for m in points]
    if ms != sorted(ms):
        reason = f"decay_t={list(points)!r} is not sorted (timm bisects it as if it were)"
        raise _err(where, reason)
    rate = _real(where, "decay_rate", a["decay_rate"])
    if rate <= 0:
        raise _err(where, f"decay_rate must be > 0, got {a['decay_rate']!r}")
    # bisect_right(decay_t, t + 1): milestone m applies from t = m - 1 (one step early).
    early = [m - 1 for m in ms]
    past = sum(1 for m in early if m <= 0)
    body = b * rate**past * milestones([m for m in early if m > 0], rate)
    return _ramp(body, a, where, b)


def _wsd_decay(a: Mapping[str, Any], where: str, d: float) -> Schedule:
    """WSD's decay factor, from 1 to 0 over `d`, held at 0 afterwards."""
    fn = a["decay_fn"]
    if callable(fn):
        raise _err(where, f"decay_fn={fn!r} is a function: no expression reproduces it")
    if fn == "linear":
        return linear(1.0, 0.0, d)
    if fn == "1-sqrt":
        return warmup_stable_decay(0, 0, d, shape="sqrt")
    if fn == "cosine":
        return cosine(d)
    if fn == "power":
        p = _real(where, "decay_power", a["decay_power"])
        if p <= 0:
            raise _err(where, f"decay_power must be > 0, got {a['decay_power']!r}")
        return 1 - linear(0.0, 1.0, d) ** p
    if fn == "exp":
        r = _real(where, "decay_ratio", a["decay_ratio"])
        if not 0 < r < 1:
            raise _err(where, f"decay_ratio must be in (0, 1), got {a['decay_ratio']!r}")
        return (clamp(stretch(exponential(r), d), low=r) - r) / (1 - r)
    known = "'linear', '1-sqrt', 'cosine', 'power', 'exp'"
    raise _err(where, f"decay_fn must be one of {known}, got {fn!r}")


def _wsd(a: Mapping[str, Any], where: str, b: float) -> Schedule:
    t_initial = _whole(where, "t_initial", a["t_initial"], low=1.0)
    d = _whole(where, "decay_t", a["decay_t"], low=1.0)
    lo = _real(where, "lr_min", a["lr_min"], low=0.0)
    if d > t_initial:
        raise _err(where, f"decay_t ({format_number(d)}) must be <= t_initial ({t_initial:g})")
    fn = a["stable_fn"]
    stable: Schedule
    if fn == "constant":
        stable = constant(b)
    elif fn in {"rsqrt", "power"}:
        scale = a["stable_timescale"]
        if scale is None:
            scale = a["warmup_t"]
        ts = _real(where, "stable_timescale", scale)
        if ts <= 0:
            reason = f"stable_timescale must be > 0 (it defaults to warmup_t), got {scale!r}"
            raise _err(where, reason)
        p = 0.5 if fn == "rsqrt" else _real(where, "stable_power", a["stable_power"])
        if p <= 0:
            raise _err(where, f"stable_power must be > 0, got {a['stable_power']!r}")
        falling = inverse_sqrt(ts) if p == 0.5 else (1 + time() / ts) ** -p
        stable = clamp(b * falling, low=lo) if lo else b * falling
    else:
        raise _err(where, f"stable_fn must be 'constant', 'rsqrt' or 'power', got {fn!r}")
    decay = _wsd_decay(a, where, d)
    phase = concat([constant(1.0), decay], [t_initial - d]) if t_initial > d else decay
    body = lo + (stable - lo) * phase
    return _ramp(body, {**a, "warmup_prefix": True}, where, b)


_BUILDERS: dict[str, Callable[[Mapping[str, Any], str, float], Schedule]] = {
    "cosine": _cosine,
    "tanh": _tanh,
    "step": _step,
    "multistep": _multistep,
    "poly": _poly,
    "wsd": _wsd,
}


# -- noise -------------------------------------------------------------------------------------


def _bound(where: str, name: str, value: object) -> float:
    if isinstance(value, numbers.Real) and not isinstance(value, bool) and value == math.inf:
        return math.inf
    return _real(where, name, value, low=None)


def _window(a: Mapping[str, Any], where: str) -> tuple[int, float] | None:
    """The whole steps timm adds noise at, `[first, stop)`, or None for none."""
    window = a["noise_range_t"]
    if window is None:
        return None
    if isinstance(window, list | tuple):
        if len(window) < 2:
            raise _err(where, f"noise_range_t={window!r} must be a pair or a number")
        on = _bound(where, "noise_range_t[0]", window[0])
        off = _bound(where, "noise_range_t[1]", window[1])
    else:
        on, off = _bound(where, "noise_range_t", window), math.inf
    if on == math.inf or off <= on:
        return None
    first = max(math.ceil(on), 0)  # the first whole step with on <= t
    stop = math.ceil(off) if off < math.inf else math.inf  # the first with t >= off
    return None if stop <= first else (first, stop)


def _noisy(s: Schedule, a: Mapping[str, Any], where: str) -> Schedule:
    """`s + s * n(t)` inside timm's noise window, `n(t)` drawn with the seed `noise_seed + t`."""
    window = _window(a, where)
    if window is None:
        return s
    first, stop = window
    seed = a["noise_seed"]
    if isinstance(seed, bool) or not isinstance(seed, numbers.Integral):
        raise _err(where, f"noise_seed must be an int, got {seed!r}")
    pct = _real(where, "noise_pct", a["noise_pct"])
    normal = a["noise_type"] == "normal"  # timm draws uniform noise for any other noise_type
    std = _real(where, "noise_std", a["noise_std"]) if normal else 1.0
    if pct <= 0 or std <= 0:
        name, value = ("noise_pct", pct) if pct <= 0 else ("noise_std", std)
        raise _err(where, f"{name} must be > 0 with noise on, got {value!r}")
    try:
        n = noise(
            pct, std=std, seed=int(seed) + first, distribution="normal" if normal else "uniform"
        )
    except ScheduleError as e:
        raise _err(where, f"noise_pct={pct!r}, noise_std={std!r}: {e}") from None
    pieces: list[Schedule] = [n]
    bounds: list[float] = []
    if first > 0:
        pieces, bounds = [constant(0.0), n], [first]
    if stop < math.inf:
        pieces.append(constant(0.0))
        bounds.append(stop)
    return s * (1 + concat(pieces, bounds))


# -- create_scheduler_v2's arguments -----------------------------------------------------------


def _v2(  # noqa: PLR0913, PLR0917 (create_scheduler_v2's arguments, in its order, with its defaults)
    sched: str = "cosine",
    num_epochs: float = 300,
    decay_epochs: float | None = None,
    decay_milestones: Sequence[float] = (90, 180, 270),
    cooldown_epochs: float = 0,
    patience_epochs: float = 10,
    decay_rate: float = 0.1,
    min_lr: float = 0.0,
    warmup_lr: float = 1e-5,
    warmup_epochs: float = 0,
    warmup_prefix: bool = False,
    noise: float | Sequence[float] | None = None,
    noise_pct: float = 0.67,
    noise_std: float = 1.0,
    noise_seed: int = 42,
    cycle_mul: float = 1.0,
    cycle_decay: float = 0.1,
    cycle_limit: int = 1,
    k_decay: float = 1.0,
    decay_fn: str | None = None,
    stable_timescale: float | None = None,
    plateau_mode: str = "max",
    step_on_epochs: bool = True,
    updates_per_epoch: int = 0,
) -> dict[str, Any]:
    return dict(locals())


def _attributes(v: dict[str, Any]) -> tuple[str, dict[str, Any]]:  # noqa: C901, PLR0911, PLR0912
    """The kind and the attributes of the scheduler `create_scheduler_v2` builds."""
    name = v["sched"]
    where = str(name)
    decay_epochs = v["decay_epochs"]
    if decay_epochs is None:
        decay_epochs = 0.2 if name in {"wsd", "rsqrt"} else 90
    # The lengths are numbers before timm's arithmetic scales them (a list times an int repeats).
    t_initial = _real(where, "num_epochs", v["num_epochs"])
    warmup_t = _real(where, "warmup_epochs", v["warmup_epochs"])
    decay_t = _real(where, "decay_epochs", decay_epochs)
    timescale, milestones_t = v["stable_timescale"], v["decay_milestones"]
    if not v["step_on_epochs"]:
        upe = v["updates_per_epoch"]
        if isinstance(upe, bool) or not isinstance(upe, numbers.Integral) or upe <= 0:
            reason = f"step_on_epochs=False needs updates_per_epoch > 0, got {upe!r}"
            raise _err(where, reason)
        upe = int(upe)
        t_initial, warmup_t, decay_t = t_initial * upe, warmup_t * upe, decay_t * upe
        if isinstance(milestones_t, str) or not isinstance(milestones_t, Sequence):
            raise _err(where, f"decay_milestones must be a list of epochs, got {milestones_t!r}")
        milestones_t = [_real(where, "decay_milestones", m) * upe for m in milestones_t]
        if timescale is not None:
            timescale = _real(where, "stable_timescale", timescale) * upe
    window = v["noise"]
    if window is not None:
        if isinstance(window, list | tuple):
            window = [_real(where, "noise", n) * t_initial for n in window]
            if len(window) == 1:
                window = window[0]
        else:
            window = _real(where, "noise", window) * t_initial
    a: dict[str, Any] = {
        "warmup_lr_init": v["warmup_lr"],
        "warmup_t": warmup_t,
        "warmup_prefix": v["warmup_prefix"],
        "noise_range_t": window,
        "noise_pct": v["noise_pct"],
        "noise_std": v["noise_std"],
        "noise_seed": v["noise_seed"],
        "noise_type": "normal",
    }
    cycles = {
        "t_initial": t_initial,
        "lr_min": v["min_lr"],
        "cycle_mul": v["cycle_mul"],
        "cycle_decay": v["cycle_decay"],
        "cycle_limit": v["cycle_limit"],
    }
    if name == "cosine":
        return "cosine", {**a, **cycles, "k_decay": v["k_decay"]}
    if name == "tanh":
        return "tanh", {**a, **cycles, "lb": -7.0, "ub": 3.0}
    if name == "poly":
        return "poly", {**a, **cycles, "k_decay": v["k_decay"], "power": v["decay_rate"]}
    if name == "step":
        return "step", {**a, "decay_t": decay_t, "decay_rate": v["decay_rate"]}
    if name == "constant":
        return "step", {**a, "decay_t": 1, "decay_rate": 1.0}
    if name == "multistep":
        return "multistep", {**a, "decay_t": milestones_t, "decay_rate": v["decay_rate"]}
    if name in {"wsd", "rsqrt"}:
        t_sched = t_initial if v["warmup_prefix"] else t_initial - warmup_t
        if 0 < decay_epochs < 1:
            decay_t = decay_epochs * t_sched
        decay_t = round(_real(where, "decay_epochs", decay_t))
        if not 0 < decay_t <= t_sched:
            reason = (
                f"decay_epochs={v['decay_epochs']!r} gives a decay of {decay_t} steps; it must "
                f"be in (0, {format_number(t_sched)}] (the stable + decay length)"
            )
            raise _err(where, reason)
        return "wsd", {
            **a,
            "t_initial": t_sched,
            "decay_t": decay_t,
            "lr_min": v["min_lr"],
            "stable_fn": "rsqrt" if name == "rsqrt" else "constant",
            "stable_timescale": timescale,
            "stable_power": 0.5,
            "decay_fn": v["decay_fn"] or ("linear" if name == "rsqrt" else "1-sqrt"),
            "decay_power": 0.5,
            "decay_ratio": 0.1,
        }
    raise AssertionError(name)  # pragma: no cover (the names are checked first)


def _relative(where: str, a: dict[str, Any], lr: float | None) -> dict[str, Any]:
    """`a` with its absolute lrs as fractions of the base lr `lr` (refused without it)."""
    absolute = [("warmup_lr_init", "warmup_lr")] if a["warmup_t"] else []
    if "lr_min" in a:
        absolute.append(("lr_min", "min_lr"))
    out = dict(a)
    if lr is not None:
        lr = _real(where, "lr", lr)
        if lr <= 0:
            raise _err(where, f"lr must be > 0, got {lr!r}")
    for key, name in absolute:
        value = _real(where, name, a[key], low=0.0)
        if lr is None and value != 0:
            reason = f"{name}={value!r} is absolute: give the optimizer's lr as lr="
            raise _err(where, reason)
        out[key] = value / lr if lr is not None else 0.0
    return out


# -- the public function -----------------------------------------------------------------------


@overload
def from_timm(sched: str = ..., *args: Any, lr: float | None = ..., **kwargs: Any) -> Schedule: ...
@overload
def from_timm(sched: TimmScheduler) -> tuple[Schedule, ...]: ...


def from_timm(
    sched: str | TimmScheduler = "cosine", *args: Any, lr: float | None = None, **kwargs: Any
) -> Schedule | tuple[Schedule, ...]:
    """The schedule of a timm scheduler as an expression: by its arguments, or from the object.

    The value at `t` is the lr after `scheduler.step(t)`: `t` counts epochs, or updates
    (`step_update(t)`) with `step_on_epochs=False`, when every length is in updates
    (`num_epochs * updates_per_epoch`, ...). Past the schedule timm holds `min_lr`
    (`cooldown_epochs` only lengthens the run `create_scheduler_v2` reports).

    Two forms:

    - `from_timm(name, ...)` with `create_scheduler_v2`'s arguments and defaults (`num_epochs`,
      `decay_epochs`, `decay_milestones`, `decay_rate`, `min_lr`, `warmup_lr`, `warmup_epochs`,
      `warmup_prefix`, `noise`, `noise_pct`, `noise_std`, `noise_seed`, `cycle_mul`,
      `cycle_decay`, `cycle_limit`, `k_decay`, `decay_fn`, `stable_timescale`,
      `step_on_epochs`, `updates_per_epoch`): the **factor** of the optimizer's lr, as
      `from_hf` gives (bind it relative). timm's `min_lr` and `warmup_lr` are absolute: give
      the optimizer's lr as `lr=` where they matter (non-zero).
    - `from_timm(scheduler)` with a live `CosineLRScheduler`, `TanhLRScheduler`,
      `StepLRScheduler`, `MultiStepLRScheduler`, `PolyLRScheduler` or `WSDLRScheduler`: one
      schedule per param group giving its **absolute** lr (`lr_scale` included), as
      `from_torch` gives (bind with `absolute=True`).

    The names are `create_scheduler_v2`'s: `cosine`, `tanh`, `step`, `multistep`, `poly`,
    `wsd`, `rsqrt`, `constant`, `none` (no scheduler: `constant(1)`). `plateau` follows a
    metric, not the step, and is refused (write `lrsched.plateau`). timm's quirks are kept:
    `multistep` decays one step before each milestone, `warmup_prefix=False` (the default)
    counts the warmup inside the schedule. Noise is timm's own draws (`lrsched.noise`).

    Args:
        sched: a `create_scheduler_v2` name, or a live timm scheduler.
        *args: `create_scheduler_v2`'s arguments after `sched`, in its order.
        lr: the optimizer's lr, where timm reads an absolute lr (`min_lr`, `warmup_lr`).
        **kwargs: `create_scheduler_v2`'s arguments by name.

    Returns:
        The factor of the base lr (by name), or one absolute schedule per param group (a
        live scheduler).

    Raises:
        ScheduleError: for an unknown name or argument, a bad value, or what no expression
            reproduces (the reason is in the message).

    Examples:
        >>> import lrsched as ls
        >>> ls.from_timm("cosine", num_epochs=100)
        cosine(100)
        >>> ls.from_timm("cosine", 100, warmup_epochs=5, warmup_prefix=True, min_lr=1e-5, lr=0.1)
        warmup(cosine(100, end=0.0001), 5, start=0.0001)
        >>> ls.from_timm("multistep", decay_milestones=[30, 60], decay_rate=0.5)
        milestones([29, 59], 0.5)

    """
    if not isinstance(sched, str):
        if args or kwargs or lr is not None:
            reason = "a live scheduler takes no other arguments (its attributes are read)"
            raise _err(type(sched).__name__, reason)
        return _live(sched)
    if sched not in {*_NAMES, "none"}:
        known = ", ".join([*_NAMES, "none"])
        raise ScheduleError(f"timm has no scheduler {sched!r}; its names are {known}")
    try:
        v = _v2(sched, *args, **kwargs)
    except TypeError as e:
        raise _err(sched, f"create_scheduler_v2 {str(e).replace('_v2() ', '')}") from None
    if sched == "plateau":
        reason = "its lr follows a metric, not the step; write ls.plateau(...) for a plateau"
        raise _err(sched, reason)
    if sched == "none":
        return constant(1.0)
    kind, a = _attributes(v)
    a = _relative(sched, a, lr)
    return _noisy(_BUILDERS[kind](a, sched, 1.0), a, sched)


_READ = {
    "cosine": ("t_initial", "lr_min", "cycle_mul", "cycle_decay", "cycle_limit", "k_decay"),
    "tanh": ("t_initial", "lr_min", "cycle_mul", "cycle_decay", "cycle_limit", "lb", "ub"),
    "poly": ("t_initial", "lr_min", "cycle_mul", "cycle_decay", "cycle_limit", "k_decay", "power"),
    "step": ("decay_t", "decay_rate"),
    "multistep": ("decay_t", "decay_rate"),
    "wsd": (
        "t_initial",
        "decay_t",
        "lr_min",
        "stable_fn",
        "stable_timescale",
        "stable_power",
        "decay_fn",
        "decay_power",
        "decay_ratio",
    ),
}
_COMMON = ("warmup_t", "warmup_lr_init", "noise_range_t", "noise_pct", "noise_std", "noise_seed")


def _live(scheduler: object) -> tuple[Schedule, ...]:
    cls = type(scheduler)
    where = cls.__qualname__
    kind = _CLASSES.get(where)
    if kind is None or not cls.__module__.startswith("timm.scheduler."):
        known = ", ".join(sorted(_CLASSES))
        msg = f"from_timm reads timm's {known}, not {cls.__module__}.{where}"
        raise ScheduleError(msg)
    if kind == "plateau":
        reason = "its lr follows a metric, not the step; write ls.plateau(...) for a plateau"
        raise _err(where, reason)
    names = (*_READ[kind], *_COMMON, "noise_type", "param_group_field", "base_values")
    try:
        a = {name: getattr(scheduler, name) for name in names}
        groups = scheduler.optimizer.param_groups  # type: ignore[attr-defined]
    except AttributeError as missing:
        raise _err(where, f"the scheduler lacks {missing.name!r}") from None
    a["warmup_prefix"] = getattr(scheduler, "warmup_prefix", True)
    if a["param_group_field"] != "lr":
        reason = f"it schedules {a['param_group_field']!r}, not the lr"
        raise _err(where, reason)
    if len(a["base_values"]) != len(groups):
        reason = (
            f"the optimizer has {len(groups)} param groups but the scheduler "
            f"{len(a['base_values'])} base values (a group added after it keeps its own lr)"
        )
        raise _err(where, reason)
    out = []
    for base, group in zip(a["base_values"], groups, strict=True):
        b = _real(where, "base_values", base)
        s = _noisy(_BUILDERS[kind](a, where, b), a, where)
        if "lr_scale" in group:
            s = _real(where, "lr_scale", group["lr_scale"]) * s
        out.append(s)
    return tuple(out)
