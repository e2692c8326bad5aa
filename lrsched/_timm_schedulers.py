"""timm's schedulers, one builder per class, from its attributes: the algebra of `from_timm`.

Each builder takes the attributes of one timm scheduler class (`t_initial`, `lr_min`,
`warmup_t`, ...) and the base lr `b`, and returns the expression of timm's `_get_lr(t)`;
`noisy` adds timm's noise window. The attributes are the same whether they come from
`create_scheduler_v2`'s arguments or from a live scheduler (`lrsched._timm`).
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from lrsched._arithmetic import tanh
from lrsched._combinators import clamp, concat, warmup
from lrsched._curves import cosine, inverse_sqrt, linear, polynomial
from lrsched._cycles import Repeat, repeat
from lrsched._errors import ScheduleError
from lrsched._leaves import constant, exponential, milestones, step
from lrsched._noise import noise
from lrsched._peer_args import real as checked_real
from lrsched._recipes import shift, warmup_stable_decay
from lrsched._timemaps import compose, stretch, time
from lrsched._validate import format_number

if TYPE_CHECKING:
    from lrsched._core import Schedule

__all__ = ["BUILDERS", "err", "noisy", "real"]

_MAX_RESTARTS = 100_000  # restarts whose placement is checked against timm's floor(log(...))
_BIG = 2.0**53  # past this no float counts epochs one by one


def err(where: str, reason: str) -> ScheduleError:
    """The error of a timm scheduler's parameter: `timm WHERE: REASON`."""
    return ScheduleError(f"timm {where}: {reason}")


def real(where: str, name: str, value: object, *, low: float | None = None) -> float:
    """The parameter `name` as a finite float (>= `low` if given), or the error naming it."""
    return checked_real(err, where, name, value, low=low)


def _whole(where: str, name: str, value: object, *, low: float | None = 0.0) -> float:
    """A whole number of epochs or updates (timm's `int`): `t // x` is exact only then."""
    x = real(where, name, value, low=low)
    if not x.is_integer():
        raise err(where, f"{name} must be a whole number of steps (timm's int), got {value!r}")
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
    init = real(where, "warmup_lr_init", a["warmup_lr_init"])
    after = body if a["warmup_prefix"] else shift(body, -w)
    if after(0) == target:  # lrsched's warmup: a ramp to where the schedule starts
        return warmup(after, w, start=init)
    return concat([linear(init, target, w), after], [w])


def _cycle_args(a: Mapping[str, Any], where: str) -> tuple[float, float, float, int]:
    t_initial = _whole(where, "t_initial", a["t_initial"], low=1.0)
    mul = real(where, "cycle_mul", a["cycle_mul"])
    decay = real(where, "cycle_decay", a["cycle_decay"])
    given = a["cycle_limit"]
    if isinstance(given, bool) or not isinstance(given, numbers.Integral):
        raise err(where, f"cycle_limit must be an int, got {given!r}")
    limit = int(given)
    if mul < 1:
        reason = f"cycle_mul={mul!r} < 1: timm's cycle index takes the log of a negative number "
        raise err(where, reason + "past t_initial / (1 - cycle_mul) (cycle_mul must be >= 1)")
    if decay <= 0 and limit > 1:
        raise err(where, f"cycle_decay must be > 0, got {a['cycle_decay']!r}")
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
            raise err(where, reason + " restarts to check against timm's floor(log(...))")
        for t in range(max(math.floor(start) - 2, 0), math.floor(start) + 3):
            theirs, ours = _timm_cycle(t, t_initial, mul), probe._cycle(t)
            if theirs != ours:
                reason = (
                    f"cycle_mul={mul!r}: timm's floor(log(...)) puts step {t} in cycle "
                    f"{theirs}, but cycle {int(ours)} starts at {format_number(start)}"
                )
                raise err(where, reason)
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
    lo = real(where, "lr_min", a["lr_min"], low=0.0)
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
    k = real(where, "k_decay", a["k_decay"])
    if k <= 0:
        raise err(where, f"k_decay must be > 0, got {a['k_decay']!r}")

    def curve(start: float, end: float) -> Schedule:
        return _k_warp(lambda d: cosine(d, start=start, end=end), t_initial, k)

    return _ramp(_cycles(a, where, b, curve, holds=True), a, where, b)


def _poly(a: Mapping[str, Any], where: str, b: float) -> Schedule:
    t_initial = _whole(where, "t_initial", a["t_initial"], low=1.0)
    k = real(where, "k_decay", a["k_decay"])
    p = real(where, "power", a["power"])
    if k <= 0:
        raise err(where, f"k_decay must be > 0, got {a['k_decay']!r}")
    if p < 0:
        reason = f"power={a['power']!r} < 0: timm divides by zero at the end of each cycle"
        raise err(where, reason)

    def curve(start: float, end: float) -> Schedule:
        return _k_warp(lambda d: polynomial(d, power=p, start=start, end=end), t_initial, k)

    # A power of 0 is a constant, which does not fall to lr_min at the end of the cycle.
    return _ramp(_cycles(a, where, b, curve, holds=p > 0), a, where, b)


def _tanh(a: Mapping[str, Any], where: str, b: float) -> Schedule:
    t_initial = _whole(where, "t_initial", a["t_initial"], low=1.0)
    lb, ub = real(where, "lb", a["lb"]), real(where, "ub", a["ub"])
    if not lb < ub:
        raise err(where, f"lb ({lb!r}) must be below ub ({ub!r})")
    shape = (1 - tanh(linear(lb, ub, t_initial))) / 2

    def curve(start: float, end: float) -> Schedule:
        return end + (start - end) * shape

    body = _cycles(a, where, b, curve, holds=False)
    # Without the prefix, timm's warmup ramps to where the tanh is at warmup_t.
    target = b if a["warmup_prefix"] else float(body(real(where, "warmup_t", a["warmup_t"])))
    return _ramp(body, a, where, target)


def _step(a: Mapping[str, Any], where: str, b: float) -> Schedule:
    d = _whole(where, "decay_t", a["decay_t"], low=1.0)
    rate = real(where, "decay_rate", a["decay_rate"])
    if rate <= 0:
        raise err(where, f"decay_rate must be > 0, got {a['decay_rate']!r}")
    return _ramp(b * step(d, rate), a, where, b)


def _multistep(a: Mapping[str, Any], where: str, b: float) -> Schedule:
    points = a["decay_t"]
    if isinstance(points, str) or not isinstance(points, Sequence):
        raise err(where, f"decay_t must be a list of epochs, got {points!r}")
    ms = [_whole(where, "decay_t", m, low=None) for m in points]
    if ms != sorted(ms):
        reason = f"decay_t={list(points)!r} is not sorted (timm bisects it as if it were)"
        raise err(where, reason)
    rate = real(where, "decay_rate", a["decay_rate"])
    if rate <= 0:
        raise err(where, f"decay_rate must be > 0, got {a['decay_rate']!r}")
    # bisect_right(decay_t, t + 1): milestone m applies from t = m - 1 (one step early).
    early = [m - 1 for m in ms]
    past = sum(1 for m in early if m <= 0)
    body = b * rate**past * milestones([m for m in early if m > 0], rate)
    return _ramp(body, a, where, b)


def _wsd_decay(a: Mapping[str, Any], where: str, d: float) -> Schedule:
    """WSD's decay factor, from 1 to 0 over `d`, held at 0 afterwards."""
    fn = a["decay_fn"]
    if callable(fn):
        raise err(where, f"decay_fn={fn!r} is a function: no expression reproduces it")
    if fn == "linear":
        return linear(1.0, 0.0, d)
    if fn == "1-sqrt":
        return warmup_stable_decay(0, 0, d, shape="sqrt")
    if fn == "cosine":
        return cosine(d)
    if fn == "power":
        p = real(where, "decay_power", a["decay_power"])
        if p <= 0:
            raise err(where, f"decay_power must be > 0, got {a['decay_power']!r}")
        return 1 - linear(0.0, 1.0, d) ** p
    if fn == "exp":
        r = real(where, "decay_ratio", a["decay_ratio"])
        if not 0 < r < 1:
            raise err(where, f"decay_ratio must be in (0, 1), got {a['decay_ratio']!r}")
        return (clamp(stretch(exponential(r), d), low=r) - r) / (1 - r)
    known = "'linear', '1-sqrt', 'cosine', 'power', 'exp'"
    raise err(where, f"decay_fn must be one of {known}, got {fn!r}")


def _wsd(a: Mapping[str, Any], where: str, b: float) -> Schedule:
    t_initial = _whole(where, "t_initial", a["t_initial"], low=1.0)
    d = _whole(where, "decay_t", a["decay_t"], low=1.0)
    lo = real(where, "lr_min", a["lr_min"], low=0.0)
    if d > t_initial:
        raise err(where, f"decay_t ({format_number(d)}) must be <= t_initial ({t_initial:g})")
    fn = a["stable_fn"]
    stable: Schedule
    if fn == "constant":
        stable = constant(b)
    elif fn in {"rsqrt", "power"}:
        scale = a["stable_timescale"]
        if scale is None:
            scale = a["warmup_t"]
        ts = real(where, "stable_timescale", scale)
        if ts <= 0:
            reason = f"stable_timescale must be > 0 (it defaults to warmup_t), got {scale!r}"
            raise err(where, reason)
        p = 0.5 if fn == "rsqrt" else real(where, "stable_power", a["stable_power"])
        if p <= 0:
            raise err(where, f"stable_power must be > 0, got {a['stable_power']!r}")
        falling = inverse_sqrt(ts) if p == 0.5 else (1 + time() / ts) ** -p
        stable = clamp(b * falling, low=lo) if lo else b * falling
    else:
        raise err(where, f"stable_fn must be 'constant', 'rsqrt' or 'power', got {fn!r}")
    decay = _wsd_decay(a, where, d)
    phase = concat([constant(1.0), decay], [t_initial - d]) if t_initial > d else decay
    body = lo + (stable - lo) * phase
    return _ramp(body, {**a, "warmup_prefix": True}, where, b)


BUILDERS: dict[str, Callable[[Mapping[str, Any], str, float], Schedule]] = {
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
    return real(where, name, value, low=None)


def _window(a: Mapping[str, Any], where: str) -> tuple[int, float] | None:
    """The whole steps timm adds noise at, `[first, stop)`, or None for none."""
    window = a["noise_range_t"]
    if window is None:
        return None
    if isinstance(window, list | tuple):
        if len(window) < 2:
            raise err(where, f"noise_range_t={window!r} must be a pair or a number")
        on = _bound(where, "noise_range_t[0]", window[0])
        off = _bound(where, "noise_range_t[1]", window[1])
    else:
        on, off = _bound(where, "noise_range_t", window), math.inf
    if on == math.inf or off <= on:
        return None
    first = max(math.ceil(on), 0)  # the first whole step with on <= t
    stop = math.ceil(off) if off < math.inf else math.inf  # the first with t >= off
    return None if stop <= first else (first, stop)


def noisy(s: Schedule, a: Mapping[str, Any], where: str) -> Schedule:
    """`s + s * n(t)` inside timm's noise window, `n(t)` drawn with the seed `noise_seed + t`."""
    window = _window(a, where)
    if window is None:
        return s
    first, stop = window
    seed = a["noise_seed"]
    if isinstance(seed, bool) or not isinstance(seed, numbers.Integral):
        raise err(where, f"noise_seed must be an int, got {seed!r}")
    pct = real(where, "noise_pct", a["noise_pct"])
    normal = a["noise_type"] == "normal"  # timm draws uniform noise for any other noise_type
    std = real(where, "noise_std", a["noise_std"]) if normal else 1.0
    if pct <= 0 or std <= 0:
        name, value = ("noise_pct", pct) if pct <= 0 else ("noise_std", std)
        raise err(where, f"{name} must be > 0 with noise on, got {value!r}")
    try:
        n = noise(
            pct, std=std, seed=int(seed) + first, distribution="normal" if normal else "uniform"
        )
    except ScheduleError as e:
        raise err(where, f"noise_pct={pct!r}, noise_std={std!r}: {e}") from None
    pieces: list[Schedule] = [n]
    bounds: list[float] = []
    if first > 0:
        pieces, bounds = [constant(0.0), n], [first]
    if stop < math.inf:
        pieces.append(constant(0.0))
        bounds.append(stop)
    return s * (1 + concat(pieces, bounds))
