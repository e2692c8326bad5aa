"""Hugging Face transformers' schedules by name, as expressions: `from_hf`.

Every name of `transformers.get_scheduler` maps to the expression of the factor its
`LambdaLR` multiplies the base lr by, number for number (`tests/peers/test_from_hf.py`
checks each against transformers itself). The same mapping reads a live lambda:
`lrsched.from_torch` recognises the `functools.partial` of transformers' private
`_get_*_lr_lambda` functions that `get_*_schedule` build, so HF schedules convert exactly.

Nothing here imports transformers: a lambda is recognised by its function's module and name.
Names whose lr depends on the run (`reduce_lr_on_plateau`, `greedy`) and parameters that no
expression reproduces are refused with the reason.
"""

from __future__ import annotations

import functools
import numbers
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from lrsched._combinators import concat, warmup
from lrsched._curves import cosine, inverse_sqrt, linear, polynomial
from lrsched._cycles import repeat
from lrsched._errors import ScheduleError
from lrsched._leaves import constant
from lrsched._peer_args import real
from lrsched._recipes import shift, warmup_stable_decay
from lrsched._timemaps import compose, time

if TYPE_CHECKING:
    from lrsched._core import Schedule

__all__ = ["from_hf", "hf_lambda"]

_MODULE = "transformers.optimization"
_SHAPES = {"linear": "linear", "cosine": "cosine", "1-sqrt": "sqrt"}  # HF's -> lrsched's


def _err(where: str, reason: str) -> ScheduleError:
    return ScheduleError(f"transformers {where}: {reason}")


def _steps(where: str, name: str, value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise _err(where, f"{name} must be an integer number of steps, got {value!r}")
    if value < 0:
        raise _err(where, f"{name} must be >= 0, got {value!r}")
    return int(value)


def _warmup_and_total(where: str, kw: Mapping[str, Any]) -> tuple[int, int]:
    """``num_warmup_steps`` and ``num_training_steps``, each a whole number of steps >= 0."""
    w = _steps(where, "num_warmup_steps", kw["num_warmup_steps"])
    return w, _steps(where, "num_training_steps", kw["num_training_steps"])


def _real(where: str, name: str, value: object, *, low: float = 0.0) -> float:
    return real(_err, where, name, value, low=low)


def _ramp(s: Schedule, w: int) -> Schedule:
    """HF's warmup: `t / max(1, w)` before `w`, then `s` on its own clock."""
    return warmup(s, w) if w > 0 else s


# -- the lambdas, by their keyword arguments ---------------------------------------------------


def _constant_warmup(kw: Mapping[str, Any]) -> Schedule:
    w = _steps("constant_with_warmup", "num_warmup_steps", kw["num_warmup_steps"])
    return _ramp(constant(1.0), w)


def _linear(kw: Mapping[str, Any]) -> Schedule:
    w, n = _warmup_and_total("linear", kw)
    if n <= w:
        where = "linear"
        raise _err(where, f"num_training_steps ({n}) must exceed num_warmup_steps ({w})")
    return _ramp(linear(1.0, 0.0, n - w), w)


def _cosine(kw: Mapping[str, Any]) -> Schedule:
    where = "cosine"
    w, n = _warmup_and_total(where, kw)
    c = _real(where, "num_cycles", kw["num_cycles"])
    m = _real(where, "min_lr_rate", kw.get("min_lr_rate", 0.0))
    if c == 0:
        raise _err(where, "num_cycles must be > 0, got 0")
    # 0.5 * (1 + cos(2 pi c p)), p = (t - w) / max(1, n - w): a periodic cosine, half period
    # max(1, n - w) / (2 c), that rises again past num_training_steps as HF's does.
    return _ramp(cosine(max(1, n - w) / (2 * c), end=m, periodic=True), w)


def _hard_restarts(kw: Mapping[str, Any]) -> Schedule:
    where = "cosine_with_restarts"
    w, n = _warmup_and_total(where, kw)
    c = _real(where, "num_cycles", kw["num_cycles"])
    if c <= 0:
        raise _err(where, f"num_cycles must be > 0, got {kw['num_cycles']!r}")
    d = max(1, n - w)
    # HF restarts where (c * ((t - w) / d)) % 1 wraps: the same arithmetic as a time map, so
    # every restart lands on the step HF's does (a cycle of d / c would round some away).
    cycles = compose(repeat(cosine(1), 1), c * (time() / d))
    return _ramp(concat([cycles, constant(0.0)], [d]), w)


def _polynomial(kw: Mapping[str, Any]) -> Schedule:
    where = "polynomial"
    w, n = _warmup_and_total(where, kw)
    b = _real(where, "lr_init", kw["lr_init"])
    e = _real(where, "lr_end", kw["lr_end"])
    p = _real(where, "power", kw["power"])
    if n <= w:
        raise _err(where, f"num_training_steps ({n}) must exceed num_warmup_steps ({w})")
    if not b > e:
        raise _err(where, f"lr_end ({e!r}) must be smaller than the initial lr ({b!r})")
    return _ramp(polynomial(n - w, power=p, end=e / b), w)


def _inverse_sqrt(kw: Mapping[str, Any]) -> Schedule:
    w = _steps("inverse_sqrt", "num_warmup_steps", kw["num_warmup_steps"])
    s = _steps("inverse_sqrt", "timescale", kw["timescale"])
    if s == 0:
        where = "inverse_sqrt"
        raise _err(where, "timescale must be > 0, got 0")
    return _ramp(inverse_sqrt(s), w)


def _cosine_lr_rate(kw: Mapping[str, Any]) -> Schedule:
    where = "cosine_warmup_with_min_lr"
    w, n = _warmup_and_total(where, kw)
    c = _real(where, "num_cycles", kw["num_cycles"])
    m = _real(where, "min_lr_rate", kw.get("min_lr_rate", 0.0))
    r = kw.get("warmup_lr_rate")
    if c == 0:
        raise _err(where, "num_cycles must be > 0, got 0")
    # This variant counts one step ahead: the cosine is at progress 1 / max(1, n - w) at w.
    after = shift(cosine(max(1, n - w) / (2 * c), end=m, periodic=True), -1)
    if w == 0:
        return after
    if r is None:  # (t + 1) / w
        ramp = linear(1 / w, (w + 1) / w, w)
    else:  # r + (1 - r) t / max(1, w - 1)
        r = _real(where, "warmup_lr_rate", r)
        ramp = linear(r, r + (1 - r) * w / max(1, w - 1), w)
    return concat([ramp, after], [w])


def _wsd(kw: Mapping[str, Any]) -> Schedule:
    where = "warmup_stable_decay"
    w = _steps(where, "num_warmup_steps", kw["num_warmup_steps"])
    s = _steps(where, "num_stable_steps", kw["num_stable_steps"])
    d = _steps(where, "num_decay_steps", kw["num_decay_steps"])
    m = _real(where, "min_lr_ratio", kw["min_lr_ratio"])
    shapes = {}
    for key in ("warmup_type", "decay_type"):
        if kw[key] not in _SHAPES:
            raise _err(where, f"{key} must be 'linear', 'cosine' or '1-sqrt', got {kw[key]!r}")
        shapes[key] = _SHAPES[kw[key]]
    if kw["decay_type"] == "cosine" and kw.get("num_cycles", 0.5) != 0.5:
        reason = f"num_cycles={kw['num_cycles']!r} with decay_type='cosine' (only 0.5 converts)"
        raise _err(where, reason)
    if d == 0:
        raise _err(where, "num_decay_steps must be > 0, got 0")
    return warmup_stable_decay(
        w,
        s,
        d,
        start=m,
        end=m,
        shape=shapes["decay_type"],
        warmup_shape=shapes["warmup_type"],
    )


_LAMBDAS: dict[str, Callable[[Mapping[str, Any]], Schedule]] = {
    "_get_constant_schedule_with_warmup_lr_lambda": _constant_warmup,
    "_get_linear_schedule_with_warmup_lr_lambda": _linear,
    "_get_cosine_schedule_with_warmup_lr_lambda": _cosine,
    "_get_cosine_with_hard_restarts_schedule_with_warmup_lr_lambda": _hard_restarts,
    "_get_polynomial_decay_schedule_with_warmup_lr_lambda": _polynomial,
    "_get_inverse_sqrt_schedule_lr_lambda": _inverse_sqrt,
    "_get_cosine_with_min_lr_schedule_with_warmup_lr_rate_lambda": _cosine_lr_rate,
    "_get_wsd_scheduler_lambda": _wsd,
}


def hf_lambda(fn: object) -> Schedule | None:
    """The expression of a transformers `LambdaLR` lambda, or None if it is not one.

    Recognises `get_constant_schedule`'s lambda and the `functools.partial` objects of
    transformers' `_get_*_lr_lambda` functions; a recognised lambda whose parameters no
    expression reproduces raises `lrsched.ScheduleError` with the reason.

    Examples:
        >>> import functools
        >>> from lrsched._hf import hf_lambda
        >>> hf_lambda(functools.partial(print, end="")) is None
        True

    """
    if _is_hf(fn) and getattr(fn, "__name__", "") == "_get_constant_lambda":
        return constant(1.0)
    if not isinstance(fn, functools.partial) or not _is_hf(fn.func) or fn.args:
        return None
    make = _LAMBDAS.get(getattr(fn.func, "__name__", ""))
    if make is None:
        return None
    try:
        return make(fn.keywords)
    except KeyError as missing:
        raise _err(fn.func.__name__, f"its partial lacks {missing}") from None


def _is_hf(fn: object) -> bool:
    return getattr(fn, "__module__", None) == _MODULE


# -- get_scheduler's names ---------------------------------------------------------------------

_NEEDS_TOTAL = {
    "linear",
    "cosine",
    "cosine_with_restarts",
    "polynomial",
    "cosine_with_min_lr",
    "cosine_warmup_with_min_lr",
}
_NAMES = (
    "linear",
    "cosine",
    "cosine_with_restarts",
    "polynomial",
    "constant",
    "constant_with_warmup",
    "inverse_sqrt",
    "reduce_lr_on_plateau",
    "cosine_with_min_lr",
    "cosine_warmup_with_min_lr",
    "warmup_stable_decay",
    "greedy",
)


def _min_rate(name: str, kw: dict[str, Any], lr: float | None) -> float:
    min_lr, rate = kw.pop("min_lr", None), kw.pop("min_lr_rate", None)
    if min_lr is not None and rate is not None:
        raise _err(name, "only one of min_lr or min_lr_rate may be set")
    if min_lr is not None:
        if lr is None:
            raise _err(name, "min_lr is absolute: give the optimizer's lr as lr=")
        return _real(name, "min_lr", min_lr) / _real(name, "lr", lr)
    if rate is None:
        raise _err(name, "one of min_lr or min_lr_rate must be set")
    return _real(name, "min_lr_rate", rate)


def from_hf(  # noqa: C901, PLR0912, PLR0915 (one branch per name of get_scheduler)
    name: str,
    num_warmup_steps: int | None = None,
    num_training_steps: int | None = None,
    *,
    lr: float | None = None,
    **scheduler_specific_kwargs: Any,
) -> Schedule:
    """The schedule `transformers.get_scheduler(name, ...)` makes, as an expression.

    The result is the factor of the base lr that HF's `LambdaLR` applies at each step: bind
    it relative (`ls.bind(opt, s)`), or multiply by the lr. The arguments are
    `get_scheduler`'s, with `scheduler_specific_kwargs` spread as keywords (`num_cycles`,
    `lr_end`, `power`, `timescale`, `min_lr_rate`, `warmup_lr_rate`,
    `num_decay_steps`, `num_stable_steps`, `warmup_type`, `decay_type`,
    `min_lr_ratio`). `lr` is the optimizer's lr, needed only where HF reads it
    (`polynomial`'s `lr_end`, an absolute `min_lr`). As in HF, `"constant"` ignores
    `num_warmup_steps`.

    `reduce_lr_on_plateau` and `greedy` follow the loss, not the step: they are refused
    (write `lrsched.plateau` for the former).

    Args:
        name: a `get_scheduler` name (a `SchedulerType` value).
        num_warmup_steps: the warmup, in steps.
        num_training_steps: the total, in steps.
        lr: the optimizer's lr, where HF reads it.
        **scheduler_specific_kwargs: the name's own parameters.

    Returns:
        The factor of the base lr, an expression.

    Raises:
        ScheduleError: for an unknown name, a missing or bad parameter, or a name that
            depends on the run.

    Examples:
        >>> import lrsched as ls
        >>> ls.from_hf("cosine", num_warmup_steps=10, num_training_steps=110)
        warmup(cosine(100, periodic=True), 10)
        >>> ls.from_hf("linear", 100, 1000)
        warmup(linear(1, 0, 900), 100)

    """
    key = getattr(name, "value", name)
    if key not in _NAMES:
        known = ", ".join(_NAMES)
        raise ScheduleError(f"transformers has no scheduler {name!r}; its names are {known}")
    kw = dict(scheduler_specific_kwargs)
    if key in {"reduce_lr_on_plateau", "greedy"}:
        reason = "its lr follows the loss, not the step; write ls.plateau(...) for a plateau"
        raise _err(key, reason)
    if key == "constant":
        if kw:
            raise _err(key, f"takes no parameters, got {sorted(kw)}")
        return constant(1.0)
    if num_warmup_steps is None:
        raise _err(key, "requires num_warmup_steps")
    if key in _NEEDS_TOTAL and num_training_steps is None:
        raise _err(key, "requires num_training_steps")
    kw["num_warmup_steps"] = num_warmup_steps
    allowed: set[str]
    if key == "constant_with_warmup":
        allowed = set()
    elif key == "inverse_sqrt":
        allowed = {"timescale"}
        if kw.get("timescale") is None:
            kw["timescale"] = num_warmup_steps or 10_000
    elif key == "warmup_stable_decay":
        allowed = {
            "num_decay_steps",
            "num_stable_steps",
            "warmup_type",
            "decay_type",
            "min_lr_ratio",
            "num_cycles",
        }
        if "num_decay_steps" not in kw:
            raise _err(key, "requires num_decay_steps")
        if kw.get("num_stable_steps") is None:
            if num_training_steps is None:
                raise _err(key, "requires num_training_steps or num_stable_steps")
            kw["num_stable_steps"] = num_training_steps - num_warmup_steps - kw["num_decay_steps"]
        kw.setdefault("warmup_type", "linear")
        kw.setdefault("decay_type", "cosine")
        kw.setdefault("min_lr_ratio", 0.0)
    else:
        kw["num_training_steps"] = num_training_steps
        allowed = {"num_cycles"}
        if key == "polynomial":
            allowed |= {"lr_end", "power"}
            if lr is None:
                raise _err(key, "lr_end is absolute: give the optimizer's lr as lr=")
            kw["lr_init"] = lr
            kw.setdefault("lr_end", 1e-7)
            kw.setdefault("power", 1.0)
        elif key in {"cosine_with_min_lr", "cosine_warmup_with_min_lr"}:
            allowed |= {"min_lr", "min_lr_rate", "warmup_lr_rate"}
            if key == "cosine_with_min_lr":
                allowed.discard("warmup_lr_rate")
            unknown = sorted(set(kw) - allowed - {"num_warmup_steps", "num_training_steps"})
            if unknown:
                raise _err(key, f"unknown parameters {unknown}")
            kw["min_lr_rate"] = _min_rate(key, kw, lr)
            allowed.add("min_lr_rate")
        kw.setdefault("num_cycles", 1 if key == "cosine_with_restarts" else 0.5)
    unknown = sorted(set(kw) - allowed - {"num_warmup_steps", "num_training_steps", "lr_init"})
    if unknown:
        raise _err(key, f"unknown parameters {unknown}")
    make = {
        "constant_with_warmup": _constant_warmup,
        "linear": _linear,
        "cosine": _cosine,
        "cosine_with_min_lr": _cosine,
        "cosine_with_restarts": _hard_restarts,
        "polynomial": _polynomial,
        "inverse_sqrt": _inverse_sqrt,
        "cosine_warmup_with_min_lr": _cosine_lr_rate,
        "warmup_stable_decay": _wsd,
    }[key]
    return make(kw)
