"""Sums, quotients, powers, minimum/maximum and tanh: values, canonical forms, refusals and exact
inspection."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import lrsched as ls
from tests.strategies import transparent_schedules, values

TS = np.arange(0.0, 400.0, 0.5)
c = ls.cosine(100)


def brute(s: ls.Schedule, horizon: int) -> tuple[float, float]:
    v = s(np.arange(horizon, dtype=np.float64))
    return float(v.min()), float(v.max())


# -- values ----------------------------------------------------------------------------------


@given(transparent_schedules, transparent_schedules, values)
def test_operators_are_their_formulas_pointwise(a: ls.Schedule, b: ls.Schedule, k: float) -> None:
    va, vb = a(TS), b(TS)
    # A sum flattens (a + (t - t) is a + t - t) and adds its terms left to right: it is exact
    # to the rounding of its largest partial sums, not of va + vb.
    total = a + b
    scale = max((float(np.max(np.abs(part.child(TS)))) for part in total._parts()), default=0.0)
    np.testing.assert_allclose(total(TS), va + vb, rtol=1e-12, atol=1e-300 + 1e-14 * scale)
    np.testing.assert_allclose((a - b)(TS), va - vb, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose((k + a)(TS), k + va, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose((-a)(TS), -va, rtol=0)
    np.testing.assert_allclose(ls.minimum(a, b, k)(TS), np.minimum(np.minimum(va, vb), k))
    np.testing.assert_allclose(ls.maximum(a, b)(TS), np.maximum(va, vb))
    np.testing.assert_allclose(ls.tanh(a)(TS), np.tanh(va), rtol=1e-15)
    np.testing.assert_allclose((a / (2 + ls.tanh(b)))(TS), va / (2 + np.tanh(vb)), rtol=1e-12)


@given(transparent_schedules, st.sampled_from([0.5, 1.5, 2.0, 3.0]))
def test_power_of_a_non_negative_schedule(s: ls.Schedule, p: float) -> None:
    base = ls.clamp(s, low=0.0)
    np.testing.assert_allclose((base**p)(TS), np.power(base(TS), p), rtol=1e-12)


def test_division_by_a_number_is_a_division_not_a_product_by_its_inverse() -> None:
    # 21 / 3 is 7 exactly; 21 * (1 / 3) is 7.000000000000001: a staircase or a floor of the
    # quotient must see 7.
    assert (ls.time() / 3)(21) == 7.0
    assert (ls.time() / 49)(49) == 1.0  # 49 * (1 / 49) is 0.9999999999999999
    assert ls.time() / 4 == 0.25 * ls.time()  # a power of two: the exact product


# -- canonical forms -------------------------------------------------------------------------


@given(transparent_schedules)
def test_identities(s: ls.Schedule) -> None:
    assert s + 0 == s
    assert 0 + s == s
    assert 1 * s == s
    assert s / 1 == s
    assert s**1 == s
    assert s**0 == ls.constant(1)
    assert -1 * (-1 * s) == s
    assert -s == -1 * s
    assert ls.minimum(s) == s
    assert ls.maximum(s, s) == s
    assert ls.add() == ls.constant(0)


@given(transparent_schedules, transparent_schedules, transparent_schedules)
def test_sums_are_associative_as_trees(a: ls.Schedule, b: ls.Schedule, c: ls.Schedule) -> None:
    assert (a + b) + c == a + (b + c) == ls.add(a, b, c)
    assert hash((a + b) + c) == hash(a + (b + c))


@given(transparent_schedules, transparent_schedules, values, values)
def test_simplification_is_idempotent(a: ls.Schedule, b: ls.Schedule, k: float, m: float) -> None:
    for s in (k + a - b * m, ls.minimum(a, k, b), ls.maximum(a, m), (a - b) / (2 + ls.tanh(b))):
        again = ls.parse(repr(s))
        assert again == s
        assert repr(again) == repr(s)
        assert ls.from_dict(ls.to_dict(s)) == s
        assert ls.parse(repr(again)) == again


def test_numbers_fold_into_one_offset_and_sums_flatten() -> None:
    s = 0.1 + c + 0.2
    assert s == ls.add(0.1 + 0.2, c)
    assert repr(s) == "0.30000000000000004 + cosine(100)"
    assert ls.constant(2) + 3 == ls.constant(5)
    assert repr(c - 2 * ls.linear(0, 1, 5)) == "cosine(100) - 2 * linear(0, 1, 5)"
    assert repr(c - (ls.time() + c)) == "cosine(100) - (time() + cosine(100))"
    assert repr(1 - c**0.5) == "1 - cosine(100) ** 0.5"
    assert repr((2 * c) ** 2) == "(2 * cosine(100)) ** 2"
    assert repr(0.1 / (1 + 0.5 * ls.time() / 10)) == "0.1 / (1 + 0.5 * time() / 10)"


def test_minimum_and_maximum_with_one_schedule_are_clamps() -> None:
    assert ls.minimum(c, 0.5, 0.7) == ls.clamp(c, high=0.5)
    assert ls.maximum(c, 0.1) == ls.clamp(c, low=0.1)
    assert ls.minimum(ls.minimum(c, ls.time()), 0.3) == ls.minimum(c, ls.time(), 0.3)
    assert ls.minimum(2, 3) == ls.constant(2)


def test_dict_form_of_an_operator_names_the_constructors_parameters() -> None:
    assert ls.to_dict(c / 3)["schedule"] == {
        "type": "divide",
        "numerator": {"type": "cosine", "duration": 100},
        "denominator": 3,
    }
    assert ls.to_dict(c**1.5)["schedule"] == {
        "type": "power",
        "s": {"type": "cosine", "duration": 100},
        "exponent": 1.5,
    }
    assert ls.to_dict(0.5 + c)["schedule"]["type"] == "add"


# -- refusals: no NaN or infinity from finite parameters -------------------------------------


@pytest.mark.parametrize(
    ("build", "message"),
    [
        (lambda: 1 / c, r"denominator may be 0: cosine\(100\) takes values in \[0, 1\]"),
        (lambda: c / (c - 0.5), r"denominator may be 0"),
        (lambda: ls.constant(1) / 0, r"denominator may be 0: constant\(0\)"),
        (lambda: (c - 0.5) ** 0.5, r"s \*\* 0.5 is not real where s < 0"),
        (lambda: c**-1, r"s \*\* -1 is infinite where s = 0"),
        (lambda: ls.constant(-1) ** 0.5, r"s \*\* exponent must be finite \(got nan\)"),
        (lambda: ls.add(1e308, 1e308), r"the sum of the numeric terms must be finite"),
    ],
)
def test_refused_where_a_value_would_not_be_finite(build: object, message: str) -> None:
    with pytest.raises(ls.ScheduleError, match=message):
        build()  # type: ignore[operator]


def test_operators_refuse_what_is_not_a_number_or_schedule() -> None:
    with pytest.raises(TypeError):
        c + "1"  # type: ignore[operator]
    with pytest.raises(TypeError):
        c**c  # type: ignore[operator]
    with pytest.raises(TypeError, match=r"term 1 must be a Schedule or a number"):
        ls.add(c, True)  # noqa: FBT003


@given(transparent_schedules, st.sampled_from([0.0, 7.5, 1e6, 1e12, 1e300]))
def test_values_are_finite_wherever_the_parts_are(s: ls.Schedule, t: float) -> None:
    with np.errstate(all="raise"):  # no warning either
        for built in (s + 1, s / 3, ls.tanh(s), ls.clamp(s, low=0) ** 0.5, ls.minimum(s, 1)):
            inner, value = s(t), built(t)
            if math.isfinite(inner):
                assert math.isfinite(value), (built, t)


# -- inspection ------------------------------------------------------------------------------


@given(transparent_schedules, transparent_schedules, st.integers(1, 600))
def test_extrema_of_sums_and_quotients_are_exact(a: ls.Schedule, b: ls.Schedule, h: int) -> None:
    for s in (a + b, a - 2 * b, a / (2 + ls.tanh(b)), ls.minimum(a, b), ls.maximum(a, b, 0.5)):
        try:
            found = s.extrema(h)
        except ls.ScheduleError:
            continue  # too many evaluations for the exact methods: refused, never guessed
        assert found == brute(s, h), s


def test_extrema_of_a_sum_far_out_are_exact() -> None:
    # A dip of one step at 500_000 in a sum of two long curves: bounds cannot miss it.
    dip = ls.piecewise_linear([(0, 1), (500_000, 1), (500_001, 0.001), (500_002, 1)])
    s = 0.5 * ls.cosine(10**9) + 0.5 * dip
    low, high = s.extrema(10**9)
    assert high == 1.0
    assert low == s(500_001) or low == s(10**9 - 1)
    assert low == min(s(500_001), s(10**9 - 1))


def test_breakpoints_of_a_sum_are_its_terms() -> None:
    s = ls.step(30, 0.5) + ls.linear(0, 1, 45)
    assert s.breakpoints(100) == (30.0, 45.0, 60.0, 90.0)
    assert (c**2).breakpoints(200) == (100.0,)


def test_tanh_is_timms_shape() -> None:
    shape = (1 - ls.tanh(ls.linear(-7, 3, 100))) / 2
    assert shape(70) == pytest.approx(0.5, abs=1e-15)
    assert shape.extrema(101) == (shape(100), shape(0))
