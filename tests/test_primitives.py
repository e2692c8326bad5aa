"""Reference values at the boundaries, the documented formulas, and canonical simplification."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import lrsched as ls
from tests.strategies import durations, factors, times

BIG = 10**9

# (schedule, t, exact value): 0, just before a boundary, at it, the end, far past the end.
REFERENCE = [
    (ls.constant(0.25), 0, 0.25),
    (ls.constant(0.25), BIG, 0.25),
    (ls.step(30, 0.1), 0, 1.0),
    (ls.step(30, 0.1), 29, 1.0),
    (ls.step(30, 0.1), 29.999, 1.0),
    (ls.step(30, 0.1), 30, 0.1),
    (ls.step(30, 0.1), 60, 0.1**2),
    (ls.step(2.5, 0.5), 5, 0.25),
    (ls.step(30, 0.1), BIG, 0.0),
    (ls.step(30, 2.0), BIG, math.inf),
    (ls.milestones([30, 80], 0.1), 29, 1.0),
    (ls.milestones([30, 80], 0.1), 30, 0.1),
    (ls.milestones([30, 80], 0.1), 79, 0.1),
    (ls.milestones([30, 80], 0.1), 80, 0.1**2),
    (ls.milestones([30, 30], 0.5), 30, 0.25),  # counted with multiplicity
    (ls.milestones([80, 30], 0.5), 30, 0.5),  # order does not matter
    (ls.milestones([0], 0.5), 0, 0.5),  # a point at 0 applies at once
    (ls.milestones([30, 80], 0.1), BIG, 0.1**2),
    (ls.exponential(0.5), 0, 1.0),
    (ls.exponential(0.5), 3, 0.125),
    (ls.exponential(0.5), 0.5, math.sqrt(0.5)),
    (ls.exponential(0.5), BIG, 0.0),
    (ls.multiplicative(0.5), 2.9, 0.25),
    (ls.multiplicative(0.5), 3, 0.125),
    (ls.linear(0.0, 1.0, 4), 0, 0.0),
    (ls.linear(0.0, 1.0, 4), 1, 0.25),
    (ls.linear(0.0, 1.0, 4), 4, 1.0),
    (ls.linear(0.0, 1.0, 4), BIG, 1.0),
    (ls.linear(1.0, 0.5, 2), 1, 0.75),
    (ls.cosine(10), 0, 1.0),
    (ls.cosine(10), 5, 0.5),
    (ls.cosine(10), 10, 0.0),
    (ls.cosine(10), 15, 0.0),  # held at the end, not periodic
    (ls.cosine(10), BIG, 0.0),
    (ls.cosine(10, start=2.0, end=1.0), 5, 1.5),
    (ls.warmup(ls.cosine(10), 4), 0, 0.0),
    (ls.warmup(ls.cosine(10), 4), 2, 0.5),
    (ls.warmup(ls.cosine(10), 4), 4, 1.0),
    (ls.warmup(ls.cosine(10), 4), 9, 0.5),
    (ls.warmup(ls.cosine(10), 4, start=0.5), 2, 0.75),
    (ls.warmup(ls.constant(0.5) * ls.cosine(10), 4), 2, 0.25),
    (ls.concat([ls.constant(1), ls.step(1, 0.5)], [10]), 9.5, 1.0),
    (ls.concat([ls.constant(1), ls.step(1, 0.5)], [10]), 10, 1.0),
    (ls.concat([ls.constant(1), ls.step(1, 0.5)], [10]), 12, 0.25),
    (ls.clamp(ls.exponential(0.5), low=0.25), 1, 0.5),
    (ls.clamp(ls.exponential(0.5), low=0.25), BIG, 0.25),
    (ls.clamp(ls.exponential(2.0), high=4), 10, 4.0),
    (0.5 * ls.cosine(10), 5, 0.25),
    (ls.cosine(10) * ls.step(5, 0.5), 5, 0.25),
]


@pytest.mark.parametrize(("s", "t", "expected"), REFERENCE, ids=repr)
def test_reference_values(s: ls.Schedule, t: float, expected: float) -> None:
    assert math.isclose(s(t), expected, rel_tol=1e-15, abs_tol=1e-16)
    assert math.isclose(s(np.array([t]))[0], expected, rel_tol=1e-15, abs_tol=1e-16)


def test_the_issue_example() -> None:
    s = ls.warmup(ls.cosine(95), 5)
    assert (s(0), s(5), s(100)) == (0.0, 1.0, 0.0)
    values = s(np.arange(1_000_000))
    assert values.shape == (1_000_000,)
    assert values.dtype == np.float64
    assert values[50] == s(50)


@given(durations, factors, times)
def test_step_formula(size: float, gamma: float, t: float) -> None:
    assert math.isclose(ls.step(size, gamma)(t), gamma ** math.floor(t / size), rel_tol=1e-12)


@given(st.lists(times, max_size=8), factors, times)
def test_milestones_count_points_at_or_before_t(
    points: list[float], gamma: float, t: float
) -> None:
    expected = gamma ** sum(p <= t for p in points)
    assert math.isclose(ls.milestones(points, gamma)(t), expected, rel_tol=1e-12)


@given(factors, times)
def test_multiplicative_number_is_a_unit_step(factor: float, t: float) -> None:
    assert ls.multiplicative(factor) == ls.step(1, factor)
    assert math.isclose(ls.multiplicative(factor)(t), factor ** math.floor(t), rel_tol=1e-12)


@given(st.integers(0, 400))
def test_multiplicative_callable_is_called_with_ints_from_one(t: int) -> None:
    calls: list[object] = []

    def factor(k: int) -> float:
        calls.append(k)
        return 1.0 + 1.0 / (k + 1)

    s = ls.multiplicative(factor)
    expected = math.prod(1.0 + 1.0 / (k + 1) for k in range(1, t + 1))
    assert math.isclose(s(t), expected, rel_tol=1e-12)
    assert all(type(k) is int for k in calls)
    assert 0 not in calls
    assert s.opaque


def test_multiplicative_callable_computes_each_factor_once() -> None:
    calls: list[int] = []

    def factor(k: int) -> float:
        calls.append(k)
        return 0.99

    s = ls.multiplicative(factor)
    s(100)
    s(np.arange(50))
    s(100)
    assert sorted(calls) == sorted(set(calls))
    assert max(calls) >= 100


@pytest.mark.parametrize(
    ("built", "canonical"),
    [
        (ls.step(7, 1.0), ls.constant(1)),
        (ls.exponential(1.0), ls.constant(1)),
        (ls.milestones([], 0.5), ls.constant(1)),
        (ls.multiplicative(0.5), ls.step(1, 0.5)),
        (ls.linear(0.5, 0.5, 10), ls.constant(0.5)),
        (ls.cosine(10, start=0.5, end=0.5), ls.constant(0.5)),
        (ls.warmup(ls.cosine(10), 0), ls.cosine(10)),
        (ls.concat([ls.cosine(10)], []), ls.cosine(10)),
        (ls.concat([ls.constant(1), ls.constant(1)], [5]), ls.constant(1)),
        (ls.clamp(ls.cosine(10)), ls.cosine(10)),
        (ls.clamp(ls.constant(3), high=2), ls.constant(2)),
        (ls.clamp(ls.clamp(ls.cosine(10), 0.1), 0.2, 0.9), ls.clamp(ls.cosine(10), 0.2, 0.9)),
        (ls.product(), ls.constant(1)),
        (ls.product(ls.cosine(10)), ls.cosine(10)),
        (ls.product(ls.cosine(10), ls.constant(1)), ls.cosine(10)),
        (1.0 * ls.cosine(10), ls.cosine(10)),
        (0 * ls.cosine(10), ls.constant(0)),
        (2 * (3 * ls.cosine(10)), 6 * ls.cosine(10)),
        (
            (ls.cosine(10) * ls.step(1, 0.5)) * ls.exponential(0.9),
            ls.cosine(10) * (ls.step(1, 0.5) * ls.exponential(0.9)),
        ),
    ],
    ids=repr,
)
def test_constructors_simplify_to_one_tree_per_meaning(
    built: ls.Schedule, canonical: ls.Schedule
) -> None:
    assert built == canonical
    assert repr(built) == repr(canonical)
    assert hash(built) == hash(canonical)


@pytest.mark.parametrize(
    ("s", "text"),
    [
        (ls.cosine(95), "cosine(95)"),
        (ls.cosine(95, end=0.1), "cosine(95, end=0.1)"),
        (0.5 * ls.warmup(ls.cosine(95), 5), "0.5 * warmup(cosine(95), 5)"),
        (ls.step(30, 0.1), "step(30, 0.1)"),
        (ls.milestones([80, 30], 0.1), "milestones([30, 80], 0.1)"),
        (ls.constant(1 / 3), "constant(0.3333333333333333)"),
        (ls.linear(0.1, 1, 1e20), "linear(0.1, 1, 1e+20)"),
        (
            ls.concat([ls.constant(1), ls.cosine(5)], [2.5]),
            "concat([constant(1), cosine(5)], [2.5])",
        ),
        (ls.clamp(ls.exponential(0.9), low=0.01), "clamp(exponential(0.9), low=0.01)"),
    ],
)
def test_repr_is_the_building_expression(s: ls.Schedule, text: str) -> None:
    assert repr(s) == text
    assert eval(text, vars(ls)) == s


def test_repr_keeps_floats_exactly() -> None:
    x = 0.1 + 0.2
    s = ls.cosine(10, end=x)
    assert eval(repr(s), vars(ls)).end == x


def test_opaque_repr_names_the_callable() -> None:
    def halve_on_even(k: int) -> float:
        return 0.5 if k % 2 == 0 else 1.0

    assert "halve_on_even" in repr(ls.multiplicative(halve_on_even))
