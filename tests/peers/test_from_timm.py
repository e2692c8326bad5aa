"""`from_timm` against timm itself: `create_scheduler_v2`'s arguments and live schedulers.

Each example builds timm's scheduler and compares, at every step of a window around each
boundary (+-1) and far past the end: ``lr * from_timm(name, ..., lr=lr)`` with the lr timm sets
after ``step(t)`` (``step_update(t)`` when it steps on updates), and ``from_timm(scheduler)``'s
schedule of each param group with that group's lr.
"""

from __future__ import annotations

import math
import re
import warnings
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, reject
from hypothesis import strategies as st

import lrsched as ls
from lrsched._peer_text import _arguments
from tests.peers._support import agree, few, import_timm_scheduler, steps

torch = pytest.importorskip("torch")
timm_scheduler = import_timm_scheduler()

LR = 0.1


def sgd(*lrs: float, scales: Iterable[float | None] = ()) -> Any:
    groups = [{"params": [torch.zeros(1, requires_grad=True)], "lr": lr} for lr in lrs]
    for group, scale in zip(groups, scales, strict=False):
        if scale is not None:
            group["lr_scale"] = scale
    return torch.optim.SGD(groups, lr=lrs[0])


def lrs(sched: Any, ts: Iterable[int]) -> list[dict[int, float]]:
    """Each group's lr after ``step(t)`` (``step_update(t)`` on updates), for each t."""
    groups = sched.optimizer.param_groups
    out: list[dict[int, float]] = [{} for _ in groups]
    for t in ts:
        if sched.t_in_epochs:
            sched.step(t)
        else:
            sched.step_update(t)
        for g, group in enumerate(groups):
            out[g][t] = group["lr"]
    return out


def v2(name: str, **kw: Any) -> Any:
    sched, _ = timm_scheduler.create_scheduler_v2(sgd(LR), name, **kw)
    return sched


def converted(name: str, **kw: Any) -> ls.Schedule:
    """``from_timm``'s expression, or a rejected example where it refuses a misplaced restart."""
    try:
        return ls.from_timm(name, lr=LR, **kw)
    except ls.ScheduleError as e:
        if "floor(log(...))" not in str(e):
            raise
        reject()


def check(name: str, ts: list[int], **kw: Any) -> ls.Schedule:
    ours = converted(name, **kw)
    (theirs,) = lrs(v2(name, **kw), ts)
    agree(LR * ours, theirs, ts)
    return ours


def cycle_bounds(t: float, mul: float, limit: int) -> list[float]:
    starts, length, at = [], t, 0.0
    for _ in range(limit):
        at += length
        starts.append(at)
        length *= mul
    return starts


lengths = st.integers(1, 120)
warmups = st.integers(0, 15)
fractions = st.floats(0.0, 0.5)
per_epoch = st.sampled_from([0, 0, 1, 3])  # 0: steps on epochs


def timing(upe: int) -> dict[str, Any]:
    return {"step_on_epochs": upe == 0, "updates_per_epoch": upe}


# -- cosine, tanh, poly: warmup, cycles, k-decay -----------------------------------------------


@few
@given(
    name=st.sampled_from(["cosine", "tanh", "poly"]),
    n=lengths,
    w=warmups,
    prefix=st.booleans(),
    lo=fractions,
    init=fractions,
    limit=st.sampled_from([1, 1, 2, 3]) | st.integers(0, 6),
    mul=st.sampled_from([1.0, 1.0, 2.0, 1.5, 3.0]),
    decay=st.sampled_from([1.0, 0.1]) | st.floats(0.2, 1.0),
    k=st.sampled_from([1.0, 1.0]) | st.floats(0.3, 3.0),
    power=st.sampled_from([0.0, 1.0]) | st.floats(0.1, 3.0),
    upe=per_epoch,
)
def test_cycled_schedules(
    name: str,
    n: int,
    w: int,
    *,
    prefix: bool,
    lo: float,
    init: float,
    limit: int,
    mul: float,
    decay: float,
    k: float,
    power: float,
    upe: int,
) -> None:
    kw: dict[str, Any] = {
        "num_epochs": n,
        "warmup_epochs": w,
        "warmup_prefix": prefix,
        "min_lr": lo * LR,
        "warmup_lr": init * LR,
        "cycle_limit": limit,
        "cycle_mul": mul,
        "cycle_decay": decay,
        **timing(upe),
    }
    if name != "tanh":
        kw["k_decay"] = k
    if name == "poly":
        kw["decay_rate"] = power
    u = max(upe, 1)
    start = w * u if prefix else 0
    bounds = [start + b for b in cycle_bounds(n * u, mul, max(limit, 1))]
    ts = steps(math.ceil(bounds[-1]) + 3, w * u, *bounds)
    check(name, ts, **kw)


def test_tanh_warmup_ramps_to_where_the_tanh_is() -> None:
    # Without the prefix timm's tanh warmup ends at the tanh's value at warmup_t, not at lr.
    ours = check("tanh", steps(60, 5, 50), num_epochs=50, warmup_epochs=5, warmup_lr=1e-4)
    assert ours(0) == pytest.approx(1e-3)
    assert ours(5) < 1.0


# -- step, multistep, constant ---------------------------------------------------------------


@few
@given(
    d=st.integers(1, 60),
    rate=st.floats(0.05, 1.0),
    w=warmups,
    prefix=st.booleans(),
    init=fractions,
    upe=per_epoch,
)
def test_step_and_constant(
    d: int, rate: float, w: int, *, prefix: bool, init: float, upe: int
) -> None:
    u = max(upe, 1)
    kw: dict[str, Any] = {
        "warmup_epochs": w,
        "warmup_prefix": prefix,
        "warmup_lr": init * LR,
        **timing(upe),
    }
    ts = steps((w + 4 * d) * u + 3, w * u, *(i * d * u + w * u for i in range(5)))
    check("step", ts, decay_epochs=d, decay_rate=rate, **kw)
    check("constant", ts, **kw)


@few
@given(
    points=st.lists(st.integers(0, 150), max_size=5).map(sorted),
    rate=st.floats(0.05, 1.0),
    w=warmups,
    prefix=st.booleans(),
    init=fractions,
    upe=per_epoch,
)
def test_multistep_decays_one_step_early(
    points: list[int], rate: float, w: int, *, prefix: bool, init: float, upe: int
) -> None:
    u = max(upe, 1)
    at = [p * u + (w * u if prefix else 0) - 1 for p in points]
    ts = steps(160 * u, w * u, *at)
    check(
        "multistep",
        ts,
        decay_milestones=points,
        decay_rate=rate,
        warmup_epochs=w,
        warmup_prefix=prefix,
        warmup_lr=init * LR,
        **timing(upe),
    )


# -- wsd, rsqrt --------------------------------------------------------------------------------


@few
@given(
    name=st.sampled_from(["wsd", "rsqrt"]),
    n=st.integers(2, 200),
    decay=st.floats(0.01, 0.99) | st.integers(1, 200),
    w=st.integers(0, 20),
    prefix=st.booleans(),
    lo=st.floats(0.0, 0.9),
    init=fractions,
    fn=st.sampled_from([None, "linear", "1-sqrt", "cosine", "power", "exp"]),
    timescale=st.none() | st.floats(0.5, 50.0),
    upe=per_epoch,
)
def test_wsd_and_rsqrt(
    name: str,
    n: int,
    decay: float,
    w: int,
    *,
    prefix: bool,
    lo: float,
    init: float,
    fn: str | None,
    timescale: float | None,
    upe: int,
) -> None:
    kw: dict[str, Any] = {
        "num_epochs": n,
        "decay_epochs": decay,
        "warmup_epochs": w,
        "warmup_prefix": prefix,
        "min_lr": lo * LR,
        "warmup_lr": init * LR,
        "decay_fn": fn,
        "stable_timescale": timescale,
        **timing(upe),
    }
    try:
        sched = v2(name, **kw)
    except ValueError as e:  # timm's own refusals: from_timm refuses them too
        theirs = str(e)
    else:
        theirs = ""
    if theirs:
        key = "decay_epochs" if "decay_epochs" in theirs else "stable_timescale"
        assert key in theirs
        with pytest.raises(ls.ScheduleError, match=key):
            ls.from_timm(name, lr=LR, **kw)
        return
    end = sched.warmup_t + sched.t_initial
    ts = steps(end + 3, sched.warmup_t, end - sched.decay_t, end)
    (theirs,) = lrs(sched, ts)
    agree(LR * ls.from_timm(name, lr=LR, **kw), theirs, ts)


# -- noise -------------------------------------------------------------------------------------


@few
@given(
    name=st.sampled_from(["cosine", "step", "multistep", "wsd"]),
    window=st.tuples(st.floats(0.0, 1.2), st.floats(0.0, 1.5)).map(sorted)
    | st.floats(0.0, 1.0)
    | st.tuples(st.floats(0.0, 0.9)).map(list),
    pct=st.floats(0.05, 0.9),
    std=st.floats(0.3, 2.0),
    seed=st.integers(0, 2**31),
    upe=per_epoch,
)
def test_noise_is_timm_draws(
    name: str, window: Any, pct: float, std: float, seed: int, upe: int
) -> None:
    n = 40
    kw: dict[str, Any] = {
        "num_epochs": n,
        "noise": window,
        "noise_pct": pct,
        "noise_std": std,
        "noise_seed": seed,
        "decay_epochs": 10 if name == "step" else 0.3,
        **timing(upe),
    }
    u = max(upe, 1)
    marks = list(window) if isinstance(window, tuple | list) else [window]
    ts = steps(int(1.6 * n * u) + 3, *(m * n * u for m in marks), far=())
    check(name, ts, **kw)


# -- live schedulers ---------------------------------------------------------------------------

LIVE = {
    "cosine": lambda opt, kw: timm_scheduler.CosineLRScheduler(
        opt, t_initial=30, lr_min=1e-3, cycle_limit=3, cycle_decay=0.5, cycle_mul=2.0, **kw
    ),
    "cosine_k": lambda opt, kw: timm_scheduler.CosineLRScheduler(
        opt, t_initial=30, lr_min=1e-4, k_decay=2.0, **kw
    ),
    "tanh": lambda opt, kw: timm_scheduler.TanhLRScheduler(
        opt, t_initial=30, lb=-5.0, ub=2.0, lr_min=1e-4, cycle_limit=2, **kw
    ),
    "poly": lambda opt, kw: timm_scheduler.PolyLRScheduler(
        opt, t_initial=30, power=2.0, lr_min=1e-4, cycle_limit=2, cycle_decay=0.3, **kw
    ),
    "step": lambda opt, kw: timm_scheduler.StepLRScheduler(opt, decay_t=7, decay_rate=0.5, **kw),
    "multistep": lambda opt, kw: timm_scheduler.MultiStepLRScheduler(
        opt, decay_t=[1, 10, 10, 25], decay_rate=0.5, **kw
    ),
    "wsd": lambda opt, kw: timm_scheduler.WSDLRScheduler(
        opt,
        t_initial=40,
        decay_t=12,
        lr_min=1e-4,
        stable_fn="power",
        stable_power=0.3,
        stable_timescale=4,
        decay_fn="exp",
        decay_ratio=0.2,
        **kw,
    ),
}


@pytest.mark.parametrize("kind", sorted(LIVE))
@pytest.mark.parametrize(
    "options",
    [
        {},
        {"warmup_t": 5, "warmup_lr_init": 1e-4},
        {"warmup_t": 5, "warmup_lr_init": 1e-4, "warmup_prefix": True},
        {"noise_range_t": (3, 50), "noise_pct": 0.3, "noise_std": 0.5, "noise_seed": 7},
        {"noise_range_t": 20, "noise_seed": 2**32 - 25, "t_in_epochs": False},
    ],
    ids=["plain", "warmup", "prefix", "noise", "noise_on_updates"],
)
@pytest.mark.parametrize("uniform", [False, True], ids=["normal", "uniform"])
def test_live_schedulers_per_param_group(
    kind: str, options: dict[str, Any], *, uniform: bool
) -> None:
    if kind == "wsd":
        options = {k: v for k, v in options.items() if k != "warmup_prefix"}
    opt = sgd(0.1, 0.02, 0.5, scales=[None, 0.3, None])
    sched = LIVE[kind](opt, options)
    if uniform:
        sched.noise_type = "uniform"  # the base class's option, not exposed by the subclasses
    ours = ls.from_timm(sched)
    assert len(ours) == 3
    ts = steps(130, 5, 7, 9, 24, 30, 90, 120)
    for schedule, theirs in zip(ours, lrs(sched, ts), strict=True):
        agree(schedule, theirs, ts)


def test_live_scheduler_reprs() -> None:
    opt = sgd(0.1)
    sched = timm_scheduler.CosineLRScheduler(
        opt, t_initial=100, lr_min=1e-4, warmup_t=5, warmup_lr_init=1e-3, warmup_prefix=True
    )
    assert ls.from_timm(sched) == (ls.warmup(ls.cosine(100, start=0.1, end=1e-4), 5, start=1e-3),)
    step = timm_scheduler.MultiStepLRScheduler(opt, decay_t=[30, 80], decay_rate=0.5)
    assert repr(ls.from_timm(step)[0]) == "0.1 * milestones([29, 79], 0.5)"


def test_defaults_and_no_scheduler() -> None:
    assert ls.from_timm() == ls.cosine(300)  # create_scheduler_v2's defaults
    assert ls.from_timm("none") == ls.constant(1)  # no scheduler: the optimizer's lr stays
    assert ls.from_timm("cosine", 50, None, [1], 0, 10, 0.1, 0.0) == ls.cosine(50)  # positional


# -- refusals ----------------------------------------------------------------------------------


def misplaced_restart() -> tuple[int, float, int]:
    """A (t_initial, cycle_mul, cycle_limit) whose restarts timm's floor(log(...)) misplaces."""
    for t_initial in range(1, 40):
        for mul in (1.1, 1.2, 1.3, 1.5, 1.7, 2.5, 3.0, 5.0, 7.0):
            try:
                ls.from_timm("cosine", t_initial, cycle_mul=mul, cycle_limit=6)
            except ls.ScheduleError:
                return t_initial, mul, 6
    msg = "no misplaced restart found"
    raise AssertionError(msg)


def test_a_misplaced_restart_is_refused_and_real() -> None:
    t_initial, mul, limit = misplaced_restart()
    with pytest.raises(ls.ScheduleError, match=r"timm cosine: cycle_mul=.*floor\(log") as e:
        ls.from_timm("cosine", t_initial, cycle_mul=mul, cycle_limit=limit)
    # The step it names begins a cycle, yet timm gives it the end of the one before, not a peak.
    words = str(e.value).split()
    t, start = int(words[words.index("step") + 1]), float(words[-1])
    sched = v2("cosine", num_epochs=t_initial, cycle_mul=mul, cycle_limit=limit, cycle_decay=1.0)
    (theirs,) = lrs(sched, [t - 1, t])
    assert t >= start
    assert theirs[t] < 0.01 * LR < theirs[t - 1] or theirs[t] < theirs[t - 1]


@pytest.mark.parametrize(
    ("args", "kw", "message"),
    [
        (("plateau",), {}, "timm plateau: its lr follows a metric"),
        (("onecycle",), {}, "timm has no scheduler 'onecycle'; its names are cosine, tanh"),
        (("cosine",), {"epochs": 3}, "create_scheduler_v2 got an unexpected keyword argument"),
        (("cosine",), {"min_lr": 1e-5}, "min_lr=1e-05 is absolute: give the optimizer's lr"),
        (("cosine",), {"warmup_epochs": 3}, "warmup_lr=1e-05 is absolute"),
        (("cosine",), {"cycle_mul": 0.5}, "cycle_mul=0.5 < 1: timm's cycle index takes the log"),
        (("cosine",), {"num_epochs": 10.5}, "t_initial must be a whole number of steps"),
        (("step",), {"decay_epochs": 2.5}, "decay_t must be a whole number of steps"),
        (("multistep",), {"decay_milestones": [60, 30]}, "decay_t=[60, 30] is not sorted"),
        (("cosine",), {"step_on_epochs": False}, "step_on_epochs=False needs updates_per_epoch"),
        (("cosine",), {"noise": 0.5, "noise_pct": 0.0}, "noise_pct must be > 0 with noise on"),
        (("cosine",), {"noise": [0.5, 0.7], "noise_std": 1e4}, "limit / std must be >= 0.001"),
        (("cosine",), {"noise": []}, "noise_range_t=[] must be a pair or a number"),
        (("poly",), {"decay_rate": -1.0}, "power=-1.0 < 0: timm divides by zero"),
        (("wsd",), {"decay_epochs": 400}, "decay_epochs=400 gives a decay of 400 steps"),
        (("rsqrt",), {}, "stable_timescale must be > 0 (it defaults to warmup_t), got 0"),
        (("wsd",), {"decay_fn": "sqrt"}, "decay_fn must be one of 'linear'"),
        (("cosine",), {"lr": -1.0}, "timm cosine: lr must be > 0, got -1.0"),
        (("step",), {"num_epochs": "100"}, "timm step: num_epochs must be a number, got '100'"),
        (("cosine", 10, 5), {"noise": ["a"]}, "timm cosine: noise must be a number, got 'a'"),
    ],
)
def test_refusals_name_the_parameter(
    args: tuple[Any, ...], kw: dict[str, Any], message: str
) -> None:
    with pytest.raises(ls.ScheduleError) as e:
        ls.from_timm(*args, **kw)
    assert message in str(e.value)


def test_live_refusals() -> None:
    opt = sgd(0.1)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)
        plateau = timm_scheduler.PlateauLRScheduler(opt)
    with pytest.raises(ls.ScheduleError, match="timm PlateauLRScheduler: its lr follows a metric"):
        ls.from_timm(plateau)
    wsd = timm_scheduler.WSDLRScheduler(opt, t_initial=10, decay_t=5, decay_fn=lambda f: 1 - f)
    with pytest.raises(ls.ScheduleError, match=r"decay_fn=<function .* is a function"):
        ls.from_timm(wsd)
    cosine = timm_scheduler.CosineLRScheduler(opt, t_initial=10)
    opt.add_param_group({"params": [torch.zeros(1, requires_grad=True)], "lr": 0.5})
    with pytest.raises(ls.ScheduleError, match="has 2 param groups but the scheduler 1 base"):
        ls.from_timm(cosine)
    with pytest.raises(ls.ScheduleError, match="a live scheduler takes no other arguments"):
        ls.from_timm(cosine, num_epochs=3)  # type: ignore[call-overload]
    with pytest.raises(ls.ScheduleError, match=r"from_timm reads timm's .*not torch\.optim"):
        ls.from_timm(torch.optim.lr_scheduler.StepLR(opt, 3))  # type: ignore[call-overload]


# -- the command line ---------------------------------------------------------------------------


def test_cli_reads_timm_spelling(capsys: pytest.CaptureFixture[str]) -> None:
    from lrsched.cli import main  # noqa: PLC0415

    text = "timm:cosine(num_epochs=100, warmup_epochs=5, min_lr=1e-5, lr=0.1)"
    assert main(["convert", text, "--to", "text"]) == 0
    out = capsys.readouterr().out.strip()
    expected = ls.from_timm("cosine", num_epochs=100, warmup_epochs=5, min_lr=1e-5, lr=0.1)
    assert ls.parse(out) == expected
    assert out == "concat([linear(0.0001, 1, 5), shift(cosine(100, end=0.0001), -5)], [5])"
    assert main(["convert", "timm:cosine(num_epochs=100, min_lr=1e-5)", "--to", "text"]) == 1
    err = capsys.readouterr().err
    assert "min_lr=1e-05 is absolute" in err
    assert len(err.strip().splitlines()) == 1


# -- docs/migration-timm.md: its examples run, and its table is what from_timm gives -----------

DOCS = Path(__file__).resolve().parents[2] / "docs"


def test_migration_page_table() -> None:
    rows = re.findall(
        r"^\| `(\"\w+\".*?)` \| `(.*)` \|$", (DOCS / "migration-timm.md").read_text(), re.MULTILINE
    )
    assert len(rows) >= 14
    for call, expression in rows:
        name, _, rest = call.partition(",")
        args, kwargs = _arguments(f"({rest})", call)
        assert ls.from_timm(name.strip('"'), *args, lr=LR, **kwargs) == ls.parse(expression), call
        assert repr(ls.from_timm(name.strip('"'), *args, lr=LR, **kwargs)) == expression
