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

import numbers
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, Protocol, overload

from lrsched._errors import ScheduleError
from lrsched._leaves import constant
from lrsched._timm_schedulers import BUILDERS, err, noisy, real
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


class TimmScheduler(Protocol):
    """What `from_timm` reads of a live `timm.scheduler.Scheduler`."""

    base_values: Sequence[float]
    optimizer: Any


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
    t_initial = real(where, "num_epochs", v["num_epochs"])
    warmup_t = real(where, "warmup_epochs", v["warmup_epochs"])
    decay_t = real(where, "decay_epochs", decay_epochs)
    timescale, milestones_t = v["stable_timescale"], v["decay_milestones"]
    if not v["step_on_epochs"]:
        upe = v["updates_per_epoch"]
        if isinstance(upe, bool) or not isinstance(upe, numbers.Integral) or upe <= 0:
            reason = f"step_on_epochs=False needs updates_per_epoch > 0, got {upe!r}"
            raise err(where, reason)
        upe = int(upe)
        t_initial, warmup_t, decay_t = t_initial * upe, warmup_t * upe, decay_t * upe
        if isinstance(milestones_t, str) or not isinstance(milestones_t, Sequence):
            raise err(where, f"decay_milestones must be a list of epochs, got {milestones_t!r}")
        milestones_t = [real(where, "decay_milestones", m) * upe for m in milestones_t]
        if timescale is not None:
            timescale = real(where, "stable_timescale", timescale) * upe
    window = v["noise"]
    if window is not None:
        if isinstance(window, list | tuple):
            window = [real(where, "noise", n) * t_initial for n in window]
            if len(window) == 1:
                window = window[0]
        else:
            window = real(where, "noise", window) * t_initial
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
        decay_t = round(real(where, "decay_epochs", decay_t))
        if not 0 < decay_t <= t_sched:
            reason = (
                f"decay_epochs={v['decay_epochs']!r} gives a decay of {decay_t} steps; it must "
                f"be in (0, {format_number(t_sched)}] (the stable + decay length)"
            )
            raise err(where, reason)
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
        lr = real(where, "lr", lr)
        if lr <= 0:
            raise err(where, f"lr must be > 0, got {lr!r}")
    for key, name in absolute:
        value = real(where, name, a[key], low=0.0)
        if lr is None and value != 0:
            reason = f"{name}={value!r} is absolute: give the optimizer's lr as lr="
            raise err(where, reason)
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
            raise err(type(sched).__name__, reason)
        return _live(sched)
    if sched not in {*_NAMES, "none"}:
        known = ", ".join([*_NAMES, "none"])
        raise ScheduleError(f"timm has no scheduler {sched!r}; its names are {known}")
    try:
        v = _v2(sched, *args, **kwargs)
    except TypeError as e:
        raise err(sched, f"create_scheduler_v2 {str(e).replace('_v2() ', '')}") from None
    if sched == "plateau":
        reason = "its lr follows a metric, not the step; write ls.plateau(...) for a plateau"
        raise err(sched, reason)
    if sched == "none":
        return constant(1.0)
    kind, a = _attributes(v)
    a = _relative(sched, a, lr)
    return noisy(BUILDERS[kind](a, sched, 1.0), a, sched)


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
        raise err(where, reason)
    names = (*_READ[kind], *_COMMON, "noise_type", "param_group_field", "base_values")
    try:
        a = {name: getattr(scheduler, name) for name in names}
        groups = scheduler.optimizer.param_groups  # type: ignore[attr-defined]
    except AttributeError as missing:
        raise err(where, f"the scheduler lacks {missing.name!r}") from None
    a["warmup_prefix"] = getattr(scheduler, "warmup_prefix", True)
    if a["param_group_field"] != "lr":
        reason = f"it schedules {a['param_group_field']!r}, not the lr"
        raise err(where, reason)
    if len(a["base_values"]) != len(groups):
        reason = (
            f"the optimizer has {len(groups)} param groups but the scheduler "
            f"{len(a['base_values'])} base values (a group added after it keeps its own lr)"
        )
        raise err(where, reason)
    out = []
    for base, group in zip(a["base_values"], groups, strict=True):
        b = real(where, "base_values", base)
        s = noisy(BUILDERS[kind](a, where, b), a, where)
        if "lr_scale" in group:
            s = real(where, "lr_scale", group["lr_scale"]) * s
        out.append(s)
    return tuple(out)
