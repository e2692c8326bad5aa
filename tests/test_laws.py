"""Algebraic laws every schedule obeys, checked on random schedule trees."""

from __future__ import annotations

import copy
import math
import pickle

import attrs
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import lrsched as ls
from lrsched._combinators import Product
from lrsched._leaves import Constant
from tests.strategies import durations, schedules, times, transparent_schedules

REL = 1e-12
ABS = 1e-300


def close(a: float, b: float) -> bool:
    return math.isclose(a, b, rel_tol=REL, abs_tol=1e-14)


def assert_same_function(a: ls.Schedule, b: ls.Schedule, ts: list[float]) -> None:
    for t in ts:
        assert close(a(t), b(t)), (t, a(t), b(t))


def without_scale(s: ls.Schedule) -> object:
    """The factors of a product, ignoring its leading number (``None`` for a constant)."""
    if isinstance(s, Product):
        return s.factors
    return None if isinstance(s, Constant) else s


time_lists = st.lists(times, min_size=1, max_size=20)


@given(schedules, time_lists)
def test_scalar_evaluation_returns_python_float(s: ls.Schedule, ts: list[float]) -> None:
    for t in ts:
        assert type(s(t)) is float
        assert type(s(int(t))) is float
        assert not math.isnan(s(t))


@given(schedules, time_lists)
def test_array_evaluation_equals_scalar_evaluation(s: ls.Schedule, ts: list[float]) -> None:
    out = s(np.array(ts))
    assert out.dtype == np.float64
    assert out.shape == (len(ts),)
    np.testing.assert_allclose(out, [s(t) for t in ts], rtol=REL, atol=1e-14)


@given(schedules, st.lists(times, min_size=6, max_size=6))
def test_array_evaluation_keeps_shape(s: ls.Schedule, ts: list[float]) -> None:
    grid = np.array(ts).reshape(2, 3)
    out = s(grid)
    assert out.shape == (2, 3)
    np.testing.assert_allclose(out.ravel(), s(grid.ravel()), rtol=0, atol=0)


@given(transparent_schedules, time_lists)
def test_repr_round_trips(s: ls.Schedule, ts: list[float]) -> None:
    rebuilt = eval(repr(s), vars(ls))
    assert rebuilt == s
    assert hash(rebuilt) == hash(s)
    assert repr(rebuilt) == repr(s)
    assert [rebuilt(t) for t in ts] == [s(t) for t in ts]
    assert not s.opaque


@given(schedules)
def test_opaque_exactly_when_a_callable_is_inside(s: ls.Schedule) -> None:
    callables = ("multiplicative(_halving_every)", "function(_sawtooth)")
    assert s.opaque == any(name in repr(s) for name in callables)


@given(schedules, time_lists)
def test_pickle_and_deepcopy_round_trip(s: ls.Schedule, ts: list[float]) -> None:
    for clone in (pickle.loads(pickle.dumps(s)), copy.deepcopy(s)):
        assert clone == s
        assert hash(clone) == hash(s)
        assert [clone(t) for t in ts] == [s(t) for t in ts]


@given(schedules)
def test_schedules_are_immutable(s: ls.Schedule) -> None:
    fields = attrs.fields(type(s))
    field = fields[0].name if fields else "value"  # time() has no field: none may be set
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        setattr(s, field, 1.0)


@given(schedules, schedules, time_lists)
def test_product_is_commutative_pointwise(a: ls.Schedule, b: ls.Schedule, ts: list[float]) -> None:
    assert_same_function(a * b, b * a, ts)
    assert_same_function(ls.product(a, b), b * a, ts)


@given(schedules, schedules, schedules, time_lists)
def test_product_is_associative(
    a: ls.Schedule, b: ls.Schedule, c: ls.Schedule, ts: list[float]
) -> None:
    left, right = (a * b) * c, a * (b * c)
    # Same tree up to the leading number, whose folding is float multiplication (rounded).
    assert without_scale(left) == without_scale(right)
    assert_same_function(left, right, ts)
    for t in ts:
        assert close(left(t), a(t) * b(t) * c(t))


@given(schedules)
def test_product_identity(s: ls.Schedule) -> None:
    assert ls.product(s, ls.constant(1)) == s
    assert 1 * s == s
    assert s * 1.0 == s
    assert ls.product(s) == s


@given(schedules, st.floats(-3, 3), time_lists)
def test_scalar_multiplication(s: ls.Schedule, k: float, ts: list[float]) -> None:
    for t in ts:
        assert close((k * s)(t), k * s(t))
        assert close((s * k)(t), k * s(t))


@given(schedules, st.floats(-2, 3), st.floats(-2, 3), time_lists)
def test_clamp_bounds_and_idempotence(s: ls.Schedule, x: float, y: float, ts: list[float]) -> None:
    low, high = min(x, y), max(x, y)
    c = ls.clamp(s, low, high)
    for t in ts:
        assert low <= c(t) <= high
        assert c(t) == min(max(s(t), low), high)
    assert ls.clamp(c, low, high) == c


@given(schedules, st.floats(-2, 3), st.floats(-2, 3), st.floats(-2, 3), st.floats(-2, 3), times)
def test_clamp_of_clamp_is_composition(
    s: ls.Schedule, a: float, b: float, c: float, d: float, t: float
) -> None:
    (a, b), (c, d) = sorted((a, b)), sorted((c, d))
    nested = ls.clamp(ls.clamp(s, a, b), c, d)
    assert nested(t) == min(max(min(max(s(t), a), b), c), d)


@given(schedules, schedules, durations, time_lists)
def test_concat_runs_each_piece_on_its_own_clock(
    a: ls.Schedule, b: ls.Schedule, boundary: float, ts: list[float]
) -> None:
    s = ls.concat([a, b], [boundary])
    for t in [*ts, boundary]:
        expected = a(t) if t < boundary else b(t - boundary)
        assert close(s(t), expected)


whole_durations = st.integers(1, 120).map(float)


@given(schedules, schedules, schedules, whole_durations, whole_durations, time_lists)
def test_concat_is_associative(
    a: ls.Schedule,
    b: ls.Schedule,
    c: ls.Schedule,
    d1: float,
    d2: float,
    ts: list[float],
) -> None:
    # Whole-number boundaries: the law is about structure, and sums of integers are exact.
    left = ls.concat([ls.concat([a, b], [d1]), c], [d1 + d2])
    right = ls.concat([a, ls.concat([b, c], [d2])], [d1])
    flat = ls.concat([a, b, c], [d1, d1 + d2])
    assert left == flat
    assert right == flat
    assert_same_function(left, right, [*ts, d1, d1 + d2])


def test_concat_drops_an_inner_piece_with_no_width_as_floats() -> None:
    # 1 + 1e-300 == 1: linear(0, 1, 5) would run on [1, 1), and the boundaries would repeat.
    a, b, one = ls.linear(0, 1, 5), ls.cosine(3), ls.constant(1)
    s = ls.concat([one, ls.concat([a, b], [1e-300])], [1])
    assert s == ls.concat([one, b], [1])
    assert ls.parse(repr(s)) == s
    # Dropping it can leave equal constants side by side: they merge.
    assert ls.concat([one, ls.concat([ls.constant(2), one], [1e-300])], [1]) == one
    assert ls.concat([one, ls.concat([a, one, b], [1e-300, 2e-300])], [1]) == ls.concat(
        [one, b], [1]
    )
    # A narrow piece that is still wider than nothing stays.
    kept = ls.concat([ls.concat([a, b], [1e-300]), one], [1])
    assert kept == ls.concat([a, b, one], [1e-300, 1])


@given(schedules, durations, st.floats(0, 1), time_lists)
def test_warmup_ramps_to_the_start_value_then_delays(
    s: ls.Schedule, duration: float, start: float, ts: list[float]
) -> None:
    w = ls.warmup(s, duration, start=start)
    assert w(0) == start
    assert w(duration) == s(0)
    just_before = math.nextafter(duration, 0.0)
    assert math.isclose(w(just_before), s(0), rel_tol=1e-9, abs_tol=1e-12)
    for t in ts:
        if t < duration:
            assert close(w(t), start + (s(0) - start) * t / duration)
        else:
            assert close(w(t), s(t - duration))


@given(schedules, schedules, durations)
def test_combinators_leave_operands_unchanged(a: ls.Schedule, b: ls.Schedule, d: float) -> None:
    before = (repr(a), hash(a), repr(b), hash(b))
    before_copies = (copy.deepcopy(a), copy.deepcopy(b))
    ls.warmup(a, d)
    ls.concat([a, b], [d])
    ls.clamp(a, 0.0, 1.0)
    ls.product(a, b)
    _ = 2.0 * a * b
    assert (repr(a), hash(a), repr(b), hash(b)) == before
    assert (a, b) == before_copies


@given(transparent_schedules)
def test_equal_constructions_are_equal_and_hash_alike(s: ls.Schedule) -> None:
    twin = eval(repr(s), vars(ls))
    assert twin is not s or isinstance(s, type(twin))
    assert {s: 1}[twin] == 1


@given(schedules, times)
def test_values_are_never_nan(s: ls.Schedule, t: float) -> None:
    assert math.isfinite(s(t))
    if s.opaque:
        return  # a running product of a callable has a bounded horizon (tested on its own)
    for far in (10**9, 1e15):
        assert not math.isnan(s(far))
        assert not np.isnan(s(np.array([far]))).any()


def test_product_of_overflow_and_underflow_is_zero_not_nan() -> None:
    s = ls.exponential(1.01) * ls.exponential(0.97)
    assert s(1e9) == 0.0
    assert s(np.array([1e9]))[0] == 0.0


def test_multiplicative_of_a_callable_refuses_times_past_its_horizon() -> None:
    s = ls.multiplicative(lambda k: 0.5 if k == 1 else 1.0)
    assert s(1000) == 0.5
    with pytest.raises(
        ls.ScheduleError,
        match=r"t must be < 16777217 for multiplicative\(.*"
        r"\(got t = 1000000000000000\)",
    ):
        s(1e15)
    with pytest.raises(ls.ScheduleError, match="running product"):
        s(np.array([0.0, 1e9]))
