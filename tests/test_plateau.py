"""plateau: torch's ReduceLROnPlateau decisions as a pure function of the metric history."""

from __future__ import annotations

import io
import math
import pickle
from typing import Any

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from torch.optim import lr_scheduler as tls

import lrsched as ls
from lrsched._feeding import torch_plateau_expression
from lrsched._plateau import Plateau

REL = 1e-12


def make_optimizer(lrs: list[float]) -> torch.optim.Optimizer:
    groups = [{"params": [torch.nn.Parameter(torch.zeros(1))], "lr": lr} for lr in lrs]
    return torch.optim.SGD(groups)


def save_and_load(state: dict[str, Any]) -> dict[str, Any]:
    buffer = io.BytesIO()
    torch.save(state, buffer)
    buffer.seek(0)
    loaded: dict[str, Any] = torch.load(buffer, weights_only=True)
    return loaded


# Metrics that go down, stall and wobble, so every rule gets to fire: a random walk of steps
# drawn from a few values (repeats make plateaus), with an occasional NaN as torch allows.
_steps = st.sampled_from([-1.0, -0.5, -1e-5, 0.0, 0.0, 0.0, 1e-5, 0.3, 1.0])
metric_walks = st.lists(_steps | st.just(math.nan), min_size=1, max_size=60).map(
    lambda deltas: [
        math.nan if math.isnan(d) else 10.0 + sum(x for x in deltas[: i + 1] if not math.isnan(x))
        for i, d in enumerate(deltas)
    ]
)

rules = st.fixed_dictionaries(
    {
        "mode": st.sampled_from(["min", "max"]),
        "threshold_mode": st.sampled_from(["rel", "abs"]),
        "threshold": st.sampled_from([0.0, 1e-4, 1e-2, 0.2]),
        "factor": st.sampled_from([0.1, 0.5, 0.9, 0.37]),
        "patience": st.integers(0, 4),
        "cooldown": st.integers(0, 3),
    }
)


def ours_of(rule: dict[str, Any]) -> dict[str, Any]:
    """torch's option names as lrsched's (its factor is our gamma)."""
    return {("gamma" if key == "factor" else key): value for key, value in rule.items()}


def torch_trajectory(
    lrs: list[float], rule: dict[str, Any], min_lr: float | list[float], metrics: list[float]
) -> list[list[float]]:
    optimizer = make_optimizer(lrs)
    scheduler = tls.ReduceLROnPlateau(optimizer, min_lr=min_lr, eps=0.0, **rule)
    out = [[g["lr"] for g in optimizer.param_groups]]
    for m in metrics:
        optimizer.step()
        scheduler.step(m)
        out.append([g["lr"] for g in optimizer.param_groups])
    return out


def bound_trajectory(
    lrs: list[float],
    schedules: ls.Schedule | list[ls.Schedule],
    metrics: list[float],
    *,
    absolute: bool = False,
) -> tuple[list[list[float]], ls.BoundSchedule]:
    optimizer = make_optimizer(lrs)
    bound = ls.bind(optimizer, schedules, absolute=absolute)
    out = [bound.get_last_lr()]
    for m in metrics:
        optimizer.step()
        bound.step(metric=m)
        out.append([g["lr"] for g in optimizer.param_groups])
        assert out[-1] == bound.get_last_lr()
    return out, bound


def assert_close(ours: list[list[float]], theirs: list[list[float]]) -> None:
    for epoch, (a, b) in enumerate(zip(ours, theirs, strict=True)):
        for x, y in zip(a, b, strict=True):
            assert math.isclose(x, y, rel_tol=REL, abs_tol=0.0), (epoch, x, y)


# -- differential tests against torch ---------------------------------------------------------


@settings(max_examples=150)
@given(
    rules,
    metric_walks,
    st.lists(st.sampled_from([0.1, 1.0, 3e-3]), min_size=1, max_size=3),
    st.sampled_from([0.0, 0.3, 0.01]),
)
def test_plateau_matches_reduce_lr_on_plateau(
    rule: dict[str, Any], metrics: list[float], lrs: list[float], min_fraction: float
) -> None:
    min_lrs = [min_fraction * lr for lr in lrs]
    theirs = torch_trajectory(lrs, rule, min_lrs, metrics)
    schedules = [ls.plateau(**ours_of(rule), low=min_fraction) for _ in lrs]
    ours, bound = bound_trajectory(lrs, schedules, metrics)
    assert_close(ours, theirs)
    # time travel over the recorded history: at(t) is what the loop saw at t
    for t, lrs_at_t in enumerate(ours):
        assert bound.at(t) == lrs_at_t


@settings(max_examples=60)
@given(rules, metric_walks, st.sampled_from([0.0, 1e-3, 0.05]))
def test_torch_plateau_expression_reproduces_the_scheduler(
    rule: dict[str, Any], metrics: list[float], min_lr: float
) -> None:
    lrs = [0.1, 0.5]
    optimizer = make_optimizer(lrs)
    scheduler = tls.ReduceLROnPlateau(optimizer, min_lr=min_lr, eps=0.0, **rule)
    expression = torch_plateau_expression(scheduler)
    theirs = torch_trajectory(lrs, rule, min_lr, metrics)
    ours, _ = bound_trajectory(lrs, eval(expression, vars(ls)), metrics)
    assert_close(ours, theirs)


def test_torch_plateau_expression_text() -> None:
    optimizer = make_optimizer([0.1, 0.2])
    scheduler = tls.ReduceLROnPlateau(optimizer, mode="max", patience=3, min_lr=[0.01, 0.02])
    assert torch_plateau_expression(scheduler) == "plateau(patience=3, mode='max', low=0.1)"
    scheduler = tls.ReduceLROnPlateau(optimizer, factor=0.5, min_lr=[0.01, 0.01])
    assert torch_plateau_expression(scheduler) == (
        "[plateau(gamma=0.5, low=0.1), plateau(gamma=0.5, low=0.05)]"
    )
    assert torch_plateau_expression(tls.ReduceLROnPlateau(optimizer)) == "plateau()"
    assert torch_plateau_expression(scheduler, "ls.") == (
        "[ls.plateau(gamma=0.5, low=0.1), ls.plateau(gamma=0.5, low=0.05)]"
    )


def test_with_torchs_default_eps_a_large_lr_decides_alike() -> None:
    metrics = [5.0, 4.0, 4.0, 4.0, 4.0, 3.9, 3.9, 3.9, 3.9, 3.9, 3.9, 3.9]
    optimizer = make_optimizer([0.1])
    scheduler = tls.ReduceLROnPlateau(optimizer, factor=0.5, patience=1)
    theirs = []
    for m in metrics:
        scheduler.step(m)
        theirs.append(optimizer.param_groups[0]["lr"])
    ours, _ = bound_trajectory([0.1], ls.plateau(gamma=0.5, patience=1), metrics)
    assert_close([[x] for x in theirs], ours[1:])
    assert theirs[-1] < 0.1 * 0.5**3


# -- the pure value -----------------------------------------------------------------------------


def test_reductions_apply_from_the_time_of_the_deciding_metric() -> None:
    p = ls.plateau(gamma=0.5, patience=1, metrics=[3, 2, 2, 2, 2, 1])
    # metric 3 (better) at t=4 is the second not-better one in a row after 2 at t=2
    assert p.reductions == (4.0,)
    assert [p(t) for t in range(7)] == [1, 1, 1, 1, 0.5, 0.5, 0.5]
    assert p(10**9) == 0.5
    assert p(np.arange(7.0)).tolist() == [1, 1, 1, 1, 0.5, 0.5, 0.5]
    assert p.resolve() == ls.milestones([4], 0.5)


def test_resolve_gives_an_ordinary_piecewise_constant_schedule() -> None:
    rule = ls.plateau(gamma=0.5, patience=0, low=0.3)
    resolved = rule.resolve([1, 1, 1, 1])
    assert resolved == ls.clamp(ls.milestones([2, 3, 4], 0.5), low=0.3)
    assert eval(repr(resolved), vars(ls)) == resolved
    assert rule.resolve([1, 0.5, 0.25]) == ls.constant(1)
    assert rule.resolve([1, 1], times=[10, 20]) == ls.clamp(ls.milestones([20], 0.5), low=0.3)


def test_record_extends_and_rewrites_the_future() -> None:
    p = ls.plateau(gamma=0.5, patience=0)
    q = p.record(1.0).record(2.0).record(3.0)
    assert q == ls.plateau(gamma=0.5, patience=0, metrics=[1, 2, 3])
    assert q.reductions == (2.0, 3.0)
    rewritten = q.record(0.5, time=2)
    assert rewritten == ls.plateau(gamma=0.5, patience=0, metrics=[1, 0.5])
    assert rewritten.reductions == ()
    assert q.record(5.0, time=7.5).times == (1.0, 2.0, 3.0, 7.5)


def test_nan_metric_is_never_better_and_keeps_equality() -> None:
    p = ls.plateau(patience=0, metrics=[1.0, math.nan])
    assert p.reductions == (2.0,)
    assert p == ls.plateau(patience=0, metrics=[1.0, math.nan])
    assert pickle.loads(pickle.dumps(p)) == p
    assert eval(repr(p), vars(ls)) == p
    assert repr(p) == "plateau(patience=0, metrics=[1, float('inf')])"
    assert ls.plateau(mode="max", metrics=[math.nan]).metrics == (-math.inf,)


def test_repr_omits_defaults_and_round_trips() -> None:
    assert repr(ls.plateau()) == "plateau()"
    p = ls.plateau(
        gamma=0.5,
        patience=2,
        threshold=0.01,
        mode="max",
        threshold_mode="abs",
        cooldown=1,
        low=0.1,
        metrics=[1, 2.5],
        times=[0.5, 3],
    )
    text = (
        "plateau(gamma=0.5, patience=2, threshold=0.01, mode='max', threshold_mode='abs', "
        "cooldown=1, low=0.1, metrics=[1, 2.5], times=[0.5, 3])"
    )
    assert repr(p) == text
    assert eval(text, vars(ls)) == p
    assert ls.parse(text) == p
    assert hash(eval(text, vars(ls))) == hash(p)


def test_plateau_composes_like_any_schedule() -> None:
    p = ls.plateau(gamma=0.5, patience=0, metrics=[1, 1, 1])
    s = ls.warmup(ls.constant(1), 2) * p
    assert [s(t) for t in range(5)] == [0.0, 0.5, 0.5, 0.25, 0.25]
    assert isinstance(ls.plateau(), Plateau)
    assert ls.plateau()(100) == 1.0


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        ({"gamma": 1}, ls.ScheduleError, r"gamma must be < 1 \(got 1\)"),
        ({"gamma": 0}, ls.ScheduleError, r"gamma must be > 0 \(got 0\)"),
        ({"patience": -1}, ls.ScheduleError, r"patience must be >= 0 \(got -1\)"),
        ({"patience": 2.5}, TypeError, r"patience must be an int >= 0 \(got float: 2.5\)"),
        ({"cooldown": -2}, ls.ScheduleError, r"cooldown must be >= 0 \(got -2\)"),
        ({"threshold": -1}, ls.ScheduleError, r"threshold must be >= 0 \(got -1\)"),
        (
            {"mode": "minimum"},
            ls.ScheduleError,
            r"mode must be one of 'min', 'max' \(got 'minimum'\)",
        ),
        ({"threshold_mode": "x"}, ls.ScheduleError, r"threshold_mode must be one of 'rel', 'abs'"),
        ({"low": 2}, ls.ScheduleError, r"low must be in \[0, 1\] \(got 2\)"),
        ({"metrics": [1, "a"]}, TypeError, r"metrics\[1\] must be a real number \(got str: 'a'\)"),
        ({"metrics": [1], "times": [1, 2]}, ls.ScheduleError, r"one entry per metric"),
        ({"metrics": [1, 2], "times": [2, 1]}, ls.ScheduleError, r"times must be strictly incr"),
    ],
)
def test_plateau_validates(kwargs: dict[str, Any], error: type[Exception], message: str) -> None:
    with pytest.raises(error, match=message):
        ls.plateau(**kwargs)


# -- the binding -------------------------------------------------------------------------------


def test_step_with_metric_records_at_the_new_time_and_record_at_the_current_one() -> None:
    optimizer = make_optimizer([1.0])
    bound = ls.bind(optimizer, ls.plateau(gamma=0.5, patience=0))
    bound.step(metric=1.0)  # t = 1: the baseline
    bound.step(metric=2.0)  # t = 2: worse, reduced from t = 2 on
    assert bound.get_last_lr() == [0.5]
    bound.step()
    bound.record(torch.tensor(3.0))  # t = 3, recorded without advancing
    assert bound.get_last_lr() == [0.25]
    assert bound.metrics == ((1.0, 1.0), (2.0, 2.0), (3.0, 3.0))
    assert bound.at(1) == [1.0]
    assert bound.at(2) == [0.5]


def test_seek_back_and_record_rewrites_the_future() -> None:
    metrics = [1.0, 2.0, 3.0, 4.0]
    rewritten = [1.0, 0.5, 0.25, 0.1]
    fresh, _ = bound_trajectory([1.0], ls.plateau(gamma=0.5, patience=0), rewritten)
    optimizer = make_optimizer([1.0])
    bound = ls.bind(optimizer, ls.plateau(gamma=0.5, patience=0))
    for m in metrics:
        bound.step(metric=m)
    assert bound.get_last_lr() == [0.125]
    bound.seek(1)
    assert bound.get_last_lr() == [1.0]
    for m in rewritten[1:]:
        bound.step(metric=m)
    assert bound.get_last_lr() == fresh[-1]
    assert [bound.at(t) for t in range(5)] == fresh


def test_plateau_times_follow_steps_per_epoch() -> None:
    optimizer = make_optimizer([1.0])
    bound = ls.bind(optimizer, ls.plateau(gamma=0.5, patience=0), steps_per_epoch=4)
    for epoch in range(3):
        for _ in range(3):
            bound.step()
        bound.step(metric=float(epoch))  # the last step of each epoch carries the metric
    assert bound.metrics == ((1.0, 0.0), (2.0, 1.0), (3.0, 2.0))
    assert bound.at(1.75) == [1.0]
    assert bound.at(2.0) == [0.5]
    assert bound.get_last_lr() == [0.25]


@settings(max_examples=40)
@given(metric_walks, st.integers(0, 60), st.booleans())
def test_resume_with_a_metric_history_continues_exactly(
    metrics: list[float], cut: int, absolute: bool
) -> None:
    cut = min(cut, len(metrics))
    s = ls.warmup(ls.constant(1), 3) * ls.plateau(gamma=0.5, patience=1, cooldown=1)
    whole, _ = bound_trajectory([0.1], s, metrics, absolute=absolute)

    first = ls.bind(make_optimizer([0.1]), s, absolute=absolute)
    for m in metrics[:cut]:
        first.step(metric=m)
    state = save_and_load(first.state_dict())
    assert np.array_equal(state["metrics"], metrics[:cut], equal_nan=True)
    assert state["metric_steps"] == list(range(1, cut + 1))

    optimizer = make_optimizer([0.1])
    resumed = ls.bind(optimizer, s, absolute=absolute)
    resumed.load_state_dict(state)
    rest = [resumed.get_last_lr()]
    for m in metrics[cut:]:
        resumed.step(metric=m)
        rest.append(resumed.get_last_lr())
    assert rest == whole[cut:]


def test_plateaus_for_several_keys_share_the_metric_stream() -> None:
    optimizer = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=1.0, momentum=0.9)
    bound = ls.bind(
        optimizer,
        ls.plateau(gamma=0.5, patience=0),
        momentum=ls.plateau(gamma=0.9, patience=0),
    )
    bound.step(metric=1.0)
    bound.step(metric=1.0)
    group = optimizer.param_groups[0]
    assert group["lr"] == 0.5
    assert group["momentum"] == 0.9 * 0.9


def test_metric_errors() -> None:
    bound = ls.bind(make_optimizer([0.1]), ls.cosine(10))
    with pytest.raises(ls.ScheduleError, match=r"no bound schedule contains a plateau"):
        bound.step(metric=1.0)
    assert bound.last_epoch == 0
    fed = ls.bind(make_optimizer([0.1]), ls.plateau())
    with pytest.raises(TypeError, match=r"metric must be a real number \(got str: 'low'\)"):
        fed.step(metric="low")
    with pytest.raises(ls.ScheduleError, match=r"one-element tensor \(got shape"):
        fed.record(torch.ones(2))
    assert fed.last_epoch == 0
    assert fed.metrics == ()


def test_metrics_for_a_plateau_on_a_shifted_clock_are_refused() -> None:
    # Bound without metrics, it is the schedule of its own history; recording would misplace
    # the metrics in time, so it is refused with the way out in the message.
    p = ls.plateau(gamma=0.5, patience=0, metrics=[1, 1])
    bound = ls.bind(make_optimizer([1.0]), ls.warmup(p, 5))
    bound.seek(7)
    assert bound.get_last_lr() == [0.5]
    with pytest.raises(ls.ScheduleError, match=r"schedules: a plateau inside warmup\(\.\.\.\)"):
        bound.step(metric=1.0)
    assert bound.last_epoch == 7
    momentum = ls.bind(
        torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=0.1, momentum=0.9),
        momentum={0: ls.concat([ls.constant(1), ls.plateau()], [3])},
    )
    with pytest.raises(ls.ScheduleError, match=r"momentum\[0\]: a plateau inside concat"):
        momentum.record(1.0)
    # under * and clamp the clock is the binding's: accepted
    s = ls.clamp(0.5 * ls.warmup(ls.cosine(9), 1) * ls.plateau(patience=0), 0.1)
    fed = ls.bind(make_optimizer([1.0]), s)
    fed.step(metric=1.0)
    fed.step(metric=2.0)
    assert fed.get_last_lr() == [max(0.5 * ls.cosine(9)(1) * 0.1, 0.1)]


def test_loading_metrics_into_a_binding_without_a_plateau_is_refused() -> None:
    fed = ls.bind(make_optimizer([0.1]), ls.plateau())
    fed.step(metric=1.0)
    state = fed.state_dict()
    plain = ls.bind(make_optimizer([0.1]), ls.constant(1))
    with pytest.raises(ls.ScheduleError, match="recorded metrics but no bound schedule"):
        plain.load_state_dict(state, allow_schedule_change=True)
    assert plain.last_epoch == 0


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (lambda d: d.update(metrics=[1.0]), "lists of equal length"),
        (lambda d: d.update(metric_steps=[2, 1], metrics=[1.0, 2.0]), r"metric_steps'\]\[1\]"),
        (lambda d: d.update(metric_steps=[-1], metrics=[1.0]), r"metric_steps'\]\[0\]"),
        (lambda d: d.update(metrics=["x", 1.0]), r"metrics'\]\[0\] must be a number"),
    ],
)
def test_malformed_metric_history_is_refused(mutate: Any, message: str) -> None:
    optimizer = make_optimizer([0.1])
    bound = ls.bind(optimizer, ls.plateau(patience=0))
    bound.step(metric=1.0)
    bound.step(metric=2.0)
    state = bound.state_dict()
    mutate(state)
    before = (bound.metrics, bound.get_last_lr(), bound.last_epoch)
    with pytest.raises(ls.ScheduleError, match=message):
        bound.load_state_dict(state)
    assert (bound.metrics, bound.get_last_lr(), bound.last_epoch) == before
