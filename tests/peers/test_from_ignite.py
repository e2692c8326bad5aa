"""`from_ignite` against ignite itself: the value each call sets, at every event.

ignite's schedulers are stateful handlers: each example builds one (twice: one to convert, one
to run), calls it event after event as an engine would, and compares the lr it writes into the
optimizer at call ``t`` with the expression at ``t``, over every event of a window that covers
each cycle boundary and switch +-1 (ignite can only be simulated event by event, so "far" is
some thousands of events, past every boundary).
"""

from __future__ import annotations

import random
import warnings
from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

import lrsched as ls
from tests.peers._support import agree, few

torch = pytest.importorskip("torch")
P = pytest.importorskip("ignite.handlers.param_scheduler")

LR = 0.3


def sgd(lr: float = LR, groups: int = 1) -> Any:
    return torch.optim.SGD(
        [{"params": [torch.zeros(1, requires_grad=True)]} for _ in range(groups)], lr=lr
    )


def run(make: Callable[[], tuple[Any, Any]], events: int) -> dict[int, float]:
    """The lr the scheduler writes at each call, from a fresh one."""
    scheduler, opt = make()
    out = {}
    for t in range(events):
        scheduler(None)
        out[t] = float(opt.param_groups[0]["lr"])
    return out


def check(make: Callable[[], tuple[Any, Any]], events: int) -> ls.Schedule:
    ours = ls.from_ignite(make()[0])
    agree(ours, run(make, events), range(events))
    return ours


starts = st.floats(1e-3, 1.0)
ends = st.floats(0.0, 1.0)
sizes = st.integers(2, 40)
mults = st.sampled_from([1.0, 2.0, 1.5]) | st.floats(1.0, 2.5)
value_mults = st.sampled_from([1.0]) | st.floats(0.3, 1.2)


@few
@given(
    cls=st.sampled_from(["CosineAnnealingScheduler", "linear", "monotonic"]),
    s=starts,
    e=ends,
    size=sizes,
    mult=mults,
    a=value_mults,
    z=value_mults,
)
def test_cycles(cls: str, s: float, e: float, size: int, mult: float, a: float, z: float) -> None:
    def make() -> tuple[Any, Any]:
        opt = sgd()
        kw = {"cycle_mult": mult, "start_value_mult": a, "end_value_mult": z}
        if cls == "CosineAnnealingScheduler":
            return P.CosineAnnealingScheduler(opt, "lr", s, e, size, **kw), opt
        mono = cls == "monotonic"
        return P.LinearCyclicalScheduler(opt, "lr", s, e, size, monotonic=mono, **kw), opt

    check(make, 3000)


@st.composite
def piecewise_points(draw: st.DrawFn) -> list[tuple[int, float]]:
    times = sorted(draw(st.lists(st.integers(0, 120), min_size=1, max_size=8)))  # repeats: jumps
    return [(t, draw(st.floats(0.0, 1.0))) for t in times]


@few
@given(points=piecewise_points())
def test_piecewise_linear(points: list[tuple[int, float]]) -> None:
    def make() -> tuple[Any, Any]:
        opt = sgd()
        return P.PiecewiseLinear(opt, "lr", milestones_values=points), opt

    check(make, 200)


@few
@given(seed=st.integers(0, 2**32 - 1), count=st.integers(2, 4), nested=st.booleans())
def test_concat(seed: int, count: int, *, nested: bool) -> None:
    if nested:
        count = max(count, 3)  # a concat of the first two pieces, then at least one more
    r = random.Random(seed)  # noqa: S311 (test data, reproducible from the example)
    durations = [r.randint(1, 80) for _ in range(count - 1)]

    def make() -> tuple[Any, Any]:
        opt = sgd()
        rs = [random.Random(seed + i) for i in range(count)]  # noqa: S311 (as above)
        pieces = [random_piece(r, opt) for r in rs]
        if not nested:
            return P.ConcatScheduler(pieces, durations=durations), opt
        # The first two pieces as a concat of their own, which runs 7 events past its switch.
        inner = P.ConcatScheduler(pieces[:2], durations=durations[:1])
        outer = [durations[0] + 7, *durations[2:]]
        return P.ConcatScheduler([inner, *pieces[2:]], durations=outer), opt

    check(make, sum(durations) + 500)


def random_piece(r: random.Random, opt: Any) -> Any:
    kind = r.choice(["cosine", "linear", "piecewise"])
    if kind == "piecewise":
        times = sorted(r.randint(0, 60) for _ in range(r.randint(1, 5)))
        return P.PiecewiseLinear(opt, "lr", milestones_values=[(t, r.random()) for t in times])
    cls = P.CosineAnnealingScheduler if kind == "cosine" else P.LinearCyclicalScheduler
    mult = r.choice([1.0, 2.0, 1.0 + 1.5 * r.random()])
    return cls(opt, "lr", 1e-3 + r.random(), r.random(), r.randint(2, 30), cycle_mult=mult)


def torch_scheduler(name: str, opt: Any, k: int, g: float) -> Any:
    lrs = torch.optim.lr_scheduler
    return {
        "step": lambda: lrs.StepLR(opt, k, g),
        "multistep": lambda: lrs.MultiStepLR(opt, [k, 2 * k + 1], g),
        "exponential": lambda: lrs.ExponentialLR(opt, g),
        "cosine": lambda: lrs.CosineAnnealingLR(opt, k, eta_min=0.01),
        "linear": lambda: lrs.LinearLR(opt, g, 1.0, k),
        "restarts": lambda: lrs.CosineAnnealingWarmRestarts(opt, k, 2),
        "polynomial": lambda: lrs.PolynomialLR(opt, k, power=2 * g),
    }[name]()


torch_names = st.sampled_from(
    ["step", "multistep", "exponential", "cosine", "linear", "restarts", "polynomial"]
)


@few
@given(name=torch_names, k=st.integers(1, 30), g=st.floats(0.1, 0.99), legacy=st.booleans())
def test_lr_scheduler(name: str, k: int, g: float, *, legacy: bool) -> None:
    def make() -> tuple[Any, Any]:
        opt = sgd()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # use_legacy warns about where to attach it
            return P.LRScheduler(torch_scheduler(name, opt, k, g), use_legacy=legacy), opt

    if name in {"cosine", "polynomial"} and not legacy:
        with pytest.raises(ls.ScheduleError, match="without torch's initial-step guard"):
            ls.from_ignite(make()[0])
        return
    ours = check(make, 400)
    assert "function(" not in repr(ours)


@few
@given(
    name=torch_names | st.sampled_from(["ignite"]),
    k=st.integers(1, 30),
    g=st.floats(0.1, 0.99),
    w=st.integers(2, 20),
    end=st.none() | st.floats(0.01, 1.0) | st.just(LR),
    start=st.floats(0.0, 0.1),
)
def test_create_lr_scheduler_with_warmup(
    name: str, k: int, g: float, w: int, end: float | None, start: float
) -> None:
    def make() -> tuple[Any, Any]:
        opt = sgd()
        if name == "ignite":
            inner = P.CosineAnnealingScheduler(opt, "lr", LR, 0.01, k + 1)
        else:
            inner = torch_scheduler(name, opt, k, g)
        return P.create_lr_scheduler_with_warmup(inner, start, w, warmup_end_value=end), opt

    check(make, w + 400)


def test_reprs_are_the_algebra() -> None:
    opt = sgd()
    cos = P.CosineAnnealingScheduler(opt, "lr", 0.1, 0.01, 10, cycle_mult=1.5)
    assert repr(ls.from_ignite(cos)) == (
        "repeat(cosine(10, start=0.1, end=0.01), 10, growth=1.5, truncate=True)"
    )
    warm = P.create_lr_scheduler_with_warmup(
        torch.optim.lr_scheduler.StepLR(opt, 5, 0.5), 0.0, 4, warmup_end_value=0.1
    )
    assert repr(ls.from_ignite(warm)) == (
        "concat([piecewise_linear([(0, 0), (3, 0.1), (4, 0.3)]), "
        "shift(0.3 * step(5, 0.5), -1)], [5])"
    )


def test_refusals() -> None:
    opt = sgd()
    cases: list[tuple[Any, str]] = [
        (object(), "from_ignite converts ignite's param schedulers"),
        (P.ReduceLROnPlateauScheduler(opt, "loss"), "its lr follows a metric"),
        (
            P.CosineAnnealingScheduler(opt, "lr", 0.1, 0.0, 10, warmup_duration=3),
            "CosineAnnealingScheduler: warmup_duration=3",
        ),
        (
            P.CosineAnnealingScheduler(opt, "lr", 0.1, 0.0, 10, cycle_mult=0.5),
            "cycle_mult must be a finite number >= 1, got 0.5",
        ),
        (
            P.ParamGroupScheduler(
                [
                    P.PiecewiseLinear(opt, "lr", [(0, 0.0), (5, 1.0)], param_group_index=0),
                    P.PiecewiseLinear(opt, "lr", [(0, 0.0), (9, 1.0)], param_group_index=0),
                ]
            ),
            "its 2 schedulers set 2 param groups",
        ),
        (
            P.LRScheduler(torch.optim.lr_scheduler.StepLR(sgd(groups=2), 3)),
            "its torch scheduler sets 2 param groups",
        ),
        (
            P.ConcatScheduler(
                [
                    P.PiecewiseLinear(opt, "lr", [(0, 0.0), (5, 1.0)]),
                    P.PiecewiseLinear(opt, "lr", [(0, 0.0), (9, 1.0)]),
                ],
                durations=[0],
            ),
            "durations[0] must be a whole number >= 1, got 0",
        ),
    ]
    mismatch_opt = sgd()
    cases.append(
        (
            P.ConcatScheduler(
                [
                    P.PiecewiseLinear(mismatch_opt, "lr", [(0, 0.0), (5, 0.2)]),
                    P.LRScheduler(torch.optim.lr_scheduler.StepLR(mismatch_opt, 3)),
                ],
                durations=[6],
            ),
            (
                "it takes over at lr 0.2 from the piece before, but its torch scheduler "
                f"continues from {LR!r}"
            ),
        )
    )
    ran = P.PiecewiseLinear(opt, "lr", [(0, 0.0), (5, 1.0)])
    ran(None)
    cases.append((ran, "PiecewiseLinear: it has already run (event_index is 1)"))
    concat = P.ConcatScheduler(
        [
            P.PiecewiseLinear(opt, "lr", [(0, 0.0), (5, 1.0)]),
            P.CosineAnnealingScheduler(opt, "lr", 0.1, 0.0, 10),
        ],
        durations=[4],
    )
    concat(None)
    cases.append((concat, "ConcatScheduler: it has already run (_current_duration is 3, not 4)"))
    for scheduler, message in cases:
        with pytest.raises(ls.ScheduleError) as info:
            ls.from_ignite(scheduler)
        assert message in str(info.value), (message, str(info.value))


@pytest.mark.parametrize("legacy", [False, True])
@pytest.mark.parametrize("name", ["step", "multistep", "exponential", "linear", "restarts"])
def test_lr_scheduler_of_each_torch_class(name: str, *, legacy: bool) -> None:
    def make() -> tuple[Any, Any]:
        opt = sgd()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # use_legacy warns about where to attach it
            return P.LRScheduler(torch_scheduler(name, opt, 7, 0.6), use_legacy=legacy), opt

    ours = check(make, 300)
    expected_shift = legacy or name in {"exponential", "restarts"}
    assert ("shift(" in repr(ours)) == expected_shift, repr(ours)
