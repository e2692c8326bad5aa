"""A bound plateau decides incrementally: the same decisions as the Plateau node, O(1) per metric.

Issue 12, Why 6: a bound plateau's ``step()`` cost grew with the recorded history (the node
was rebuilt and replayed per metric). The binding keeps a ``Decisions`` per plateau rule; these
tests tie it to the node exactly and count its work (no timing is asserted here: the soak
figure of ``benchmarks/run.py`` measures it).
"""

from __future__ import annotations

import io
import math
from typing import Any

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

import lrsched as ls
from lrsched._feeding import Evaluator
from lrsched._plateau_engine import Decisions

rules = st.builds(
    lambda gamma, patience, threshold, mode, threshold_mode, cooldown, low: ls.plateau(
        gamma=gamma,
        patience=patience,
        threshold=threshold,
        mode=mode,
        threshold_mode=threshold_mode,
        cooldown=cooldown,
        low=low,
    ),
    st.sampled_from([0.1, 0.5, 0.9]),
    st.integers(0, 3),
    st.sampled_from([0.0, 1e-4, 0.1]),
    st.sampled_from(["min", "max"]),
    st.sampled_from(["rel", "abs"]),
    st.integers(0, 2),
    st.sampled_from([0.0, 0.01, 0.3]),
)
metric_values = st.one_of(
    st.floats(-3, 3), st.sampled_from([math.nan, math.inf, -math.inf, 0.0, 1.0])
)


@settings(max_examples=150)
@given(rules, st.lists(metric_values, max_size=40), st.integers(1, 3))
def test_decisions_agree_with_the_plateau_node_exactly(
    rule: Any, metrics: list[float], spacing: int
) -> None:
    times = [float(spacing * (i + 1)) for i in range(len(metrics))]
    node = ls.plateau(
        gamma=rule.gamma,
        patience=rule.patience,
        threshold=rule.threshold,
        mode=rule.mode,
        threshold_mode=rule.threshold_mode,
        cooldown=rule.cooldown,
        low=rule.low,
        metrics=metrics,
        times=times,
    )
    decisions = Decisions(rule)
    for m, t in zip(metrics, times, strict=True):
        decisions.record(m, t)
    assert tuple(decisions.reductions) == node.reductions
    for t in [0.0, *times, *(x + 0.5 for x in times), 10.0**6]:
        assert decisions.level(decisions.count_at(t)) == node(t), t


@settings(max_examples=80)
@given(rules, st.lists(metric_values, min_size=1, max_size=30), st.data())
def test_rewriting_the_past_agrees_with_the_node(
    rule: Any, metrics: list[float], data: st.DataObject
) -> None:
    decisions = Decisions(rule)
    node = rule
    for i, m in enumerate(metrics):
        decisions.record(m, float(i + 1))
        node = node.record(m, float(i + 1))
    back = data.draw(st.integers(1, len(metrics)), label="back")
    value = data.draw(metric_values, label="value")
    decisions.record(value, float(back))
    node = node.record(value, float(back))
    assert tuple(decisions.reductions) == node.reductions
    assert decisions.times == list(node.times)


@settings(max_examples=60)
@given(rules, st.lists(metric_values, max_size=25), st.sampled_from([1, 3]))
def test_a_bound_expression_equals_the_node_with_its_history(
    rule: Any, metrics: list[float], k: int
) -> None:
    shape = ls.warmup(ls.constant(1), 2) * ls.clamp(0.5 * rule, low=0.01)
    optimizer = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=0.1)
    bound = ls.bind(optimizer, shape, steps_per_epoch=k)
    node = rule
    for i, m in enumerate(metrics):
        for _ in range(k):
            bound.step()
        bound.record(m)
        node = node.record(m, float(i + 1))
        evaluated = ls.warmup(ls.constant(1), 2) * ls.clamp(0.5 * node, low=0.01)
        assert optimizer.param_groups[0]["lr"] == 0.1 * evaluated(bound.time)
    evaluated = ls.warmup(ls.constant(1), 2) * ls.clamp(0.5 * node, low=0.01)
    for t in [0, 0.5, 1, 2.5, len(metrics), len(metrics) + 3]:
        assert bound.at(t) == [0.1 * evaluated(t)]


def test_each_metric_is_decided_once_however_long_the_history(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Why 6: 0.05 ms per step at the start, 8.7 ms at 50k metrics (a replay per metric).
    advances = []
    original = Decisions._advance

    def counted(self: Decisions, metric: float, time: float) -> None:
        advances.append(time)
        original(self, metric, time)

    monkeypatch.setattr(Decisions, "_advance", counted)
    builds = []
    original_build = Evaluator._build

    def built(self: Evaluator, t: float) -> None:
        builds.append(t)
        original_build(self, t)

    monkeypatch.setattr(Evaluator, "_build", built)
    optimizer = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=0.1)
    bound = ls.bind(optimizer, ls.cosine(10**5) * ls.plateau(patience=5, gamma=0.9))
    n = 3000
    for i in range(n):
        metric = math.nan if i % 7 == 0 else 1.0 / (1 + i % 50)
        bound.step(metric=metric)
    assert len(advances) == n  # one decision per metric: nothing is replayed
    reductions = len(bound._evaluator.decisions[ls.plateau(patience=5, gamma=0.9)].reductions)
    assert 0 < reductions < n
    assert len(builds) <= n + 1  # rebuilt only when a metric or a decision changes it


def test_the_checkpoint_grows_linearly_with_the_history() -> None:
    def size(n: int) -> int:
        optimizer = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=0.1)
        bound = ls.bind(optimizer, ls.plateau(patience=3))
        for i in range(n):
            bound.step(metric=float(i % 13))
        buffer = io.BytesIO()
        torch.save(bound.state_dict(), buffer)
        return len(buffer.getvalue())

    base, one, two = size(0), size(2000), size(4000)
    per_metric = (one - base) / 2000
    assert 5 < per_metric < 40
    assert (two - base) / (one - base) == pytest.approx(2, rel=0.05)
