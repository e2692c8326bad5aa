"""timm's schedulers: WSD, cosine entered part-way, per-cycle peaks over a floor, k_decay, tanh,
and lr noise (its generator reproduced exactly)."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

import lrsched as ls
from tests.peers._support import agree, few, import_timm_scheduler, steps

torch = pytest.importorskip("torch")
timm_scheduler = import_timm_scheduler()


def lrs(make: Callable[[Any], Any], ts: Iterable[int], base: float) -> dict[int, float]:
    """The lr timm sets for each epoch t (``step(t)``: timm's schedulers are closed-form in t)."""
    opt = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=base)
    sched = make(opt)
    out = {}
    for t in ts:
        sched.step(t)
        out[t] = opt.param_groups[0]["lr"]
    return out


# -- WSD -------------------------------------------------------------------------------------


def wsd_decay(fn: str, decay: int, *, power: float = 0.5, ratio: float = 0.1) -> ls.Schedule:
    """timm WSD's decay factor from 1 to 0 over ``decay`` (held at 0 afterwards)."""
    if fn == "exp":
        return (ls.clamp(ls.stretch(ls.exponential(ratio), decay), low=ratio) - ratio) / (1 - ratio)
    if fn == "power":
        return 1 - ls.linear(0, 1, decay) ** power
    return ls.warmup_stable_decay(0, 0, decay, shape={"1-sqrt": "sqrt"}.get(fn, fn))


def timm_wsd(
    base: float,
    lo: float,
    t_initial: int,
    decay_t: int,
    warmup: int,
    init: float,
    fn: str,
    **options: float,
) -> ls.Schedule:
    """The migration page's expression for WSDLRScheduler (stable_fn='constant')."""
    body = (
        lo
        + (base - lo)
        * ls.concat([ls.constant(1), wsd_decay(fn, decay_t, **options)], [t_initial - decay_t])
        if t_initial > decay_t
        else (lo + (base - lo) * wsd_decay(fn, decay_t, **options))
    )
    return ls.warmup(body, warmup, start=init) if warmup else body


@pytest.mark.parametrize("fn", ["1-sqrt", "linear", "cosine", "power", "exp"])
def test_wsd_every_decay_function(fn: str) -> None:
    kwargs: dict[str, float] = (
        {"power": 2.0} if fn == "power" else {"ratio": 0.05} if fn == "exp" else {}
    )
    peer_kwargs = (
        {"decay_power": 2.0} if fn == "power" else {"decay_ratio": 0.05} if fn == "exp" else {}
    )
    ts = steps(1012, 10, 810, 1010)
    theirs = lrs(
        lambda opt: timm_scheduler.WSDLRScheduler(
            opt,
            t_initial=1000,
            decay_t=200,
            lr_min=1e-5,
            decay_fn=fn,
            warmup_t=10,
            warmup_lr_init=1e-4,
            **peer_kwargs,
        ),
        ts,
        0.1,
    )
    agree(timm_wsd(0.1, 1e-5, 1000, 200, 10, 1e-4, fn, **kwargs), theirs, ts)


@few
@given(
    base=st.floats(1e-4, 1.0),
    lo_frac=st.floats(0.0, 0.5),
    t_initial=st.integers(1, 400),
    decay_frac=st.floats(0.01, 1.0),
    warmup=st.integers(0, 50),
    ratio=st.floats(0.01, 0.9),
)
def test_wsd_exp_decay(
    base: float, lo_frac: float, t_initial: int, decay_frac: float, warmup: int, ratio: float
) -> None:
    decay_t = max(1, round(decay_frac * t_initial))
    lo = lo_frac * base
    end = warmup + t_initial
    ts = steps(end + 2, warmup, warmup + t_initial - decay_t, end)
    theirs = lrs(
        lambda opt: timm_scheduler.WSDLRScheduler(
            opt,
            t_initial=t_initial,
            decay_t=decay_t,
            lr_min=lo,
            decay_fn="exp",
            decay_ratio=ratio,
            warmup_t=warmup,
        ),
        ts,
        base,
    )
    agree(timm_wsd(base, lo, t_initial, decay_t, warmup, 0.0, "exp", ratio=ratio), theirs, ts)


# -- CosineLRScheduler -----------------------------------------------------------------------


@few
@given(
    base=st.floats(1e-4, 1.0),
    lo_frac=st.floats(0.0, 0.5),
    t_initial=st.integers(2, 500),
    warmup=st.integers(1, 100),
    init_frac=st.floats(0.0, 1.0),
)
def test_cosine_warmup_counted_inside_the_cosine(
    base: float, lo_frac: float, t_initial: int, warmup: int, init_frac: float
) -> None:
    # timm's default warmup_prefix=False: the cosine's clock is not shifted by the warmup, so
    # after the ramp the cosine is entered part-way (a negative shift).
    lo, init = lo_frac * base, init_frac * base
    ours = ls.concat(
        [
            ls.linear(init, base, warmup),
            ls.shift(ls.cosine(t_initial, start=base, end=lo), -warmup),
        ],
        [warmup],
    )
    ts = steps(t_initial + warmup + 2, warmup, t_initial)
    theirs = lrs(
        lambda opt: timm_scheduler.CosineLRScheduler(
            opt, t_initial=t_initial, lr_min=lo, warmup_t=warmup, warmup_lr_init=init
        ),
        ts,
        base,
    )
    agree(ours, theirs, ts)


@few
@given(
    base=st.floats(1e-3, 1.0),
    lo_frac=st.floats(0.001, 0.5),
    t_initial=st.integers(2, 200),
    decay=st.floats(0.3, 1.0),
    cycles=st.integers(1, 6),
)
def test_cosine_cycle_decay_over_a_floor(
    base: float, lo_frac: float, t_initial: int, decay: float, cycles: int
) -> None:
    # Each cycle's peak is base * decay**i but the floor lr_min stays: a sum of two repeats.
    lo = lo_frac * base
    c = ls.cosine(t_initial)
    ours = ls.concat(
        [
            lo + base * ls.repeat(c, t_initial, gamma=decay) - lo * ls.repeat(c, t_initial),
            ls.constant(lo),
        ],
        [cycles * t_initial],
    )
    end = cycles * t_initial
    ts = steps(end + 2, *range(0, end + 1, t_initial))
    theirs = lrs(
        lambda opt: timm_scheduler.CosineLRScheduler(
            opt, t_initial=t_initial, lr_min=lo, cycle_decay=decay, cycle_limit=cycles
        ),
        ts,
        base,
    )
    agree(ours, theirs, ts)


@few
@given(
    base=st.floats(1e-4, 1.0),
    lo_frac=st.floats(0.0, 0.5),
    t_initial=st.integers(2, 800),
    k=st.floats(0.2, 5.0),
)
def test_cosine_k_decay(base: float, lo_frac: float, t_initial: int, k: float) -> None:
    # cos(pi * t**k / T**k): the cosine over T**k read at the warped time t**k.
    lo = lo_frac * base
    ours = ls.compose(ls.cosine(t_initial**k, start=base, end=lo), ls.time() ** k)
    ts = steps(t_initial + 2, t_initial)
    theirs = lrs(
        lambda opt: timm_scheduler.CosineLRScheduler(
            opt, t_initial=t_initial, lr_min=lo, k_decay=k
        ),
        ts,
        base,
    )
    agree(ours, theirs, ts)


# -- TanhLRScheduler -------------------------------------------------------------------------


@few
@given(
    base=st.floats(1e-4, 1.0),
    lo_frac=st.floats(0.0, 0.5),
    t_initial=st.integers(1, 800),
    lb=st.floats(-10.0, -1.0),
    ub=st.floats(0.5, 10.0),
    warmup=st.integers(0, 40),
)
def test_tanh(
    base: float, lo_frac: float, t_initial: int, lb: float, ub: float, warmup: int
) -> None:
    lo = lo_frac * base
    shape = (1 - ls.tanh(ls.linear(lb, ub, t_initial))) / 2
    body = ls.concat([lo + (base - lo) * shape, ls.constant(lo)], [t_initial])
    # timm's warmup ramps to the base lr, then the tanh starts (below it): not lrsched's warmup,
    # which ramps to where the schedule starts.
    ours = ls.concat([ls.linear(lo, base, warmup), body], [warmup]) if warmup else body
    ts = steps(t_initial + warmup + 2, warmup, warmup + t_initial)
    theirs = lrs(
        lambda opt: timm_scheduler.TanhLRScheduler(
            opt,
            t_initial=t_initial,
            lb=lb,
            ub=ub,
            lr_min=lo,
            warmup_t=warmup,
            warmup_lr_init=lo,
            warmup_prefix=True,
        ),
        ts,
        base,
    )
    agree(ours, theirs, ts)


# -- noise -----------------------------------------------------------------------------------


@pytest.mark.parametrize("distribution", ["normal", "uniform"])
@few
@given(
    pct=st.floats(0.05, 0.95),
    std=st.floats(0.2, 2.0),
    seed=st.integers(0, 2**40),
    window=st.tuples(st.integers(0, 300), st.integers(1, 300)),
)
def test_noise_is_timm_generator_exactly(
    distribution: str, pct: float, std: float, seed: int, window: tuple[int, int]
) -> None:
    a, length = window
    b = a + length
    std = std if distribution == "normal" else 1.0
    n = ls.noise(pct, std=std, seed=seed + a, distribution=distribution)
    pieces = [ls.constant(0), n, ls.constant(0)] if a else [n, ls.constant(0)]
    ours = ls.cosine(400, start=0.1) * (1 + ls.concat(pieces, [a, b] if a else [b]))

    def make(opt: Any) -> Any:
        sched = timm_scheduler.CosineLRScheduler(
            opt, t_initial=400, noise_range_t=(a, b), noise_pct=pct, noise_std=std, noise_seed=seed
        )
        sched.noise_type = distribution  # the base class's option, not exposed by the subclass
        return sched

    ts = steps(b + 2, a, b, far=())
    agree(ours, lrs(make, ts, 0.1), ts)


def test_noise_from_an_epoch_on_far_out() -> None:
    # noise_range_t=int: noise from that epoch on, for ever; seeds past 2**32 wrap as torch's.
    ours = ls.constant(0.1) * (1 + ls.concat([ls.constant(0), ls.noise(0.67, seed=42 + 5)], [5]))
    ts = [*range(12), 10**6, 10**9, 2**32 - 43, 2**32 - 42, 2**33]
    theirs = lrs(
        lambda opt: timm_scheduler.CosineLRScheduler(
            opt, t_initial=10, lr_min=0.1, noise_range_t=5, noise_seed=42
        ),
        ts,
        0.1,
    )
    agree(ours, theirs, ts)


# -- the rest of the migration page's timm table ---------------------------------------------


@pytest.mark.parametrize(
    ("make", "ours", "ends"),
    [
        (
            lambda opt: timm_scheduler.CosineLRScheduler(
                opt, t_initial=100, lr_min=1e-4, warmup_t=5, warmup_lr_init=1e-3, warmup_prefix=True
            ),
            ls.warmup(ls.cosine(100, start=0.1, end=1e-4), 5, start=1e-3),
            (5, 105),
        ),
        (
            lambda opt: timm_scheduler.StepLRScheduler(opt, decay_t=30, decay_rate=0.5),
            0.1 * ls.step(30, 0.5),
            (30, 60),
        ),
        (
            lambda opt: timm_scheduler.MultiStepLRScheduler(opt, decay_t=[30, 80], decay_rate=0.5),
            0.1 * ls.milestones([29, 79], 0.5),
            (30, 80),
        ),
        (
            lambda opt: timm_scheduler.PolyLRScheduler(opt, t_initial=100, power=2.0, lr_min=1e-4),
            ls.polynomial(100, power=2, start=0.1, end=1e-4),
            (100,),
        ),
    ],
    ids=["cosine_prefix", "step", "multistep", "poly"],
)
def test_migration_table(
    make: Callable[[Any], Any], ours: ls.Schedule, ends: tuple[int, ...]
) -> None:
    ts = steps(max(ends) + 3, *ends)
    agree(ours, lrs(make, ts, 0.1), ts)
