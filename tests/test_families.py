"""The schedule families of torch parity: polynomial, periodic cosine, cosine_restarts, cyclic,
one_cycle and function. Reference values at the boundaries, validation messages, scalar == array.
"""

from __future__ import annotations

import math
import pickle

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import lrsched as ls
from tests.strategies import durations, times, values

REL = 1e-12


def close(a: float, b: float) -> bool:
    return math.isclose(a, b, rel_tol=REL, abs_tol=1e-14)


def assert_values(s: ls.Schedule, expected: dict[float, float]) -> None:
    ts = list(expected)
    got = [s(t) for t in ts]
    for t, value in zip(ts, got, strict=True):
        assert close(value, expected[t]), (s, t, value, expected[t])
    np.testing.assert_allclose(s(np.array(ts)), got, rtol=REL, atol=1e-14)


def cos_anneal(start: float, end: float, pct: float) -> float:
    return end + (start - end) / 2.0 * (math.cos(math.pi * pct) + 1)


# -- polynomial ------------------------------------------------------------------------------


def test_polynomial_reference_values() -> None:
    s = ls.polynomial(10, power=2)
    assert_values(s, {0: 1.0, 1: 0.81, 5: 0.25, 9: 0.01, 10: 0.0, 11: 0.0, 10**9: 0.0})
    torchlike = ls.polynomial(5, power=0.9)  # torch's test_poly_lr
    assert_values(torchlike, {x: (1.0 - x / 5) ** 0.9 for x in range(5)} | {5: 0.0, 9: 0.0})


def test_polynomial_between_start_and_end() -> None:
    s = ls.polynomial(4, power=3, start=0.5, end=0.1)
    assert_values(s, {0: 0.5, 2: 0.1 + 0.4 * 0.125, 4: 0.1, 100: 0.1})
    assert repr(s) == "polynomial(4, power=3, start=0.5, end=0.1)"


def test_polynomial_simplifies() -> None:
    assert ls.polynomial(10) == ls.linear(1, 0, 10)
    assert ls.polynomial(10, power=1, start=2, end=1) == ls.linear(2, 1, 10)
    assert ls.polynomial(10, power=0) == ls.constant(1)
    assert ls.polynomial(10, power=2, start=3, end=3) == ls.constant(3)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"duration": 0}, r"duration must be > 0 \(got 0\)"),
        ({"duration": 10, "power": -1}, r"power must be >= 0 \(got -1\)"),
        ({"duration": 10, "power": math.nan}, r"power must be a finite number \(got nan\)"),
        ({"duration": 10, "start": math.inf}, r"start must be a finite number \(got inf\)"),
    ],
)
def test_polynomial_validation(kwargs: dict[str, float], message: str) -> None:
    with pytest.raises(ls.ScheduleError, match=message):
        ls.polynomial(**kwargs)


# -- periodic cosine -------------------------------------------------------------------------


def test_periodic_cosine_rises_again_like_torch() -> None:
    s = ls.cosine(10, start=0.05, end=0.01, periodic=True)
    expected = {t: 0.01 + 0.04 * (1 + math.cos(math.pi * t / 10)) / 2 for t in range(0, 60, 3)}
    assert_values(s, expected | {10: 0.01, 20: 0.05, 30: 0.01, 40: 0.05})
    assert repr(s) == "cosine(10, start=0.05, end=0.01, periodic=True)"
    held = ls.cosine(10, start=0.05, end=0.01)
    assert held(15) == 0.01
    assert s(15) > 0.01
    assert held != s


def test_periodic_cosine_far_in_the_future() -> None:
    s = ls.cosine(10, periodic=True)
    for t in (1e15, 1e300, 1.7976931348623157e308):
        assert 0.0 <= s(t) <= 1.0
        assert 0.0 <= s(np.array([t, 5.0]))[0] <= 1.0
    assert s(np.array([1e308, 20.0]))[1] == 1.0


def test_periodic_cosine_validation() -> None:
    with pytest.raises(TypeError, match=r"periodic must be True or False \(got 1\)"):
        ls.cosine(10, periodic=1)  # type: ignore[arg-type]
    assert ls.cosine(10, start=2, end=2, periodic=True) == ls.constant(2)


# -- cosine_restarts -------------------------------------------------------------------------


def sgdr_reference(period: int, mult: int, t: int) -> tuple[int, int]:
    """(time in cycle, cycle length) by stepping one epoch at a time, as torch's step() does."""
    cur, length = 0, period
    for _ in range(t):
        cur += 1
        if cur >= length:
            cur -= length
            length *= mult
    return cur, length


@pytest.mark.parametrize(("period", "mult"), [(1, 3), (10, 2), (10, 1), (3, 4), (1, 2), (7, 3)])
def test_cosine_restarts_matches_stepping(period: int, mult: int) -> None:
    s = ls.cosine_restarts(period, growth=mult, start=0.5, end=1e-10)
    ts = list(range(400))
    expected = []
    for t in ts:
        cur, length = sgdr_reference(period, mult, t)
        expected.append(1e-10 + (0.5 - 1e-10) * (1 + math.cos(math.pi * cur / length)) / 2)
    assert [s(t) for t in ts] == expected
    assert list(s(np.array(ts, dtype=float))) == expected


def test_cosine_restarts_restart_indices_are_exact() -> None:
    # torch's step(epoch) uses int(log(...)) and gets t = 121 wrong for period 1, mult 3.
    s = ls.cosine_restarts(1, growth=3)
    for restart in (0, 1, 4, 13, 40, 121, 364, 1093, 3280, 9841, 3**30 // 2):
        assert s(restart) == 1.0, restart
        assert s(np.array([float(restart)]))[0] == 1.0
        if restart:
            assert s(restart - 0.5) < 1.0
    big = ls.cosine_restarts(10, growth=2)
    assert big(10 * (2**60 - 1)) == 1.0
    assert not math.isnan(big(1e300))
    assert 0.0 <= big(sys_max()) <= 1.0


def sys_max() -> float:
    return 1.7976931348623157e308


def test_cosine_restarts_reference_values() -> None:
    s = ls.cosine_restarts(10, growth=2)
    assert_values(s, {0: 1.0, 5: 0.5, 10: 1.0, 20: 0.5, 30: 1.0, 50: 0.5, 70: 1.0})
    assert_values(
        ls.cosine_restarts(4), {0: 1.0, 2: 0.5, 4: 1.0, 6: 0.5, 4001: cos_anneal(1, 0, 0.25)}
    )
    assert_values(ls.cosine_restarts(2.5, end=0.5), {0: 1.0, 1.25: 0.75, 2.5: 1.0, 3.75: 0.75})
    assert repr(ls.cosine_restarts(10, growth=2, start=0.1, end=0.001)) == (
        "cosine_restarts(10, growth=2, start=0.1, end=0.001)"
    )
    assert ls.cosine_restarts(10, start=0.3, end=0.3) == ls.constant(0.3)


@pytest.mark.parametrize(
    ("args", "kwargs", "message"),
    [
        ((0,), {}, r"period must be > 0 \(got 0\)"),
        ((10,), {"mult": 1.5}, r"mult must be a whole number >= 1 \(got 1.5\)"),
        ((10,), {"mult": 0}, r"mult must be a whole number >= 1 \(got 0\)"),
        ((10,), {"end": math.nan}, r"end must be a finite number \(got nan\)"),
    ],
)
def test_cosine_restarts_validation(
    args: tuple[float, ...], kwargs: dict[str, float], message: str
) -> None:
    with pytest.raises(ls.ScheduleError, match=message):
        ls.cosine_restarts(*args, **kwargs)


def test_cosine_restarts_with_a_fractional_period() -> None:
    s = ls.cosine_restarts(0.5, growth=2)
    assert_values(s, {0: 1.0, 0.25: 0.5, 0.5: 1.0, 1.0: 0.5, 1.5: 1.0, 2.5: 0.5, 3.5: 1.0})


# -- cyclic ------------------------------------------------------------------------------------


def test_cyclic_torch_reference_triangular() -> None:
    # torch's test_cycle_lr_triangular_mode_one_lr and ..._step_size_up_down
    s = ls.cyclic(1, 5, 4)
    assert [s(t) for t in range(11)] == [1, 2, 3, 4, 5, 4, 3, 2, 1, 2, 3]
    s = ls.cyclic(1, 5, 4, 6)
    expected = [1.0, 2.0, 3.0, 4.0, 5.0, 13 / 3, 11 / 3, 9 / 3, 7 / 3, 5 / 3, 1.0]
    assert_values(s, dict(enumerate(expected)))


def test_cyclic_torch_reference_triangular2() -> None:
    s = ls.cyclic(1, 5, 4, mode="triangular2")
    expected = [1, 2, 3, 4, 5, 4, 3, 2, 1, 1.5, 2.0, 2.5, 3.0, 2.5, 2.0, 1.5, 1, 1.25, 1.5, 1.75]
    assert_values(s, dict(enumerate(expected)))
    s = ls.cyclic(1, 5, 2, 6, mode="triangular2")
    expected2 = [1.0, 3.0, 5.0, 13 / 3, 11 / 3, 9 / 3, 7 / 3, 5 / 3, 1.0, 2.0, 3.0, 8 / 3]
    assert_values(s, dict(enumerate(expected2)))


def test_cyclic_torch_reference_exp_range() -> None:
    s = ls.cyclic(1, 5, 4, mode="exp_range", gamma=0.9)
    xs = [0, 0.25, 0.5, 0.75, 1, 0.75, 0.50, 0.25, 0, 0.25, 0.5, 0.75, 1]
    assert_values(s, {i: 1 + x * 4 * 0.9**i for i, x in enumerate(xs)})
    assert repr(s) == "cyclic(1, 5, 4, mode='exp_range', gamma=0.9)"


def test_cyclic_simplifies_and_canonicalizes() -> None:
    assert ls.cyclic(1, 5, 4, 4) == ls.cyclic(1, 5, 4)
    assert repr(ls.cyclic(1, 5, 4, 4)) == "cyclic(1, 5, 4)"
    assert ls.cyclic(1, 5, 4, mode="exp_range", gamma=1) == ls.cyclic(1, 5, 4)
    assert ls.cyclic(2, 2, 4, mode="triangular2") == ls.constant(2)


def test_cyclic_sawtooth_and_far_future() -> None:
    saw = ls.cyclic(0, 1, 4, 0)
    assert_values(saw, {0: 0.0, 1: 0.25, 3: 0.75, 4: 0.0, 6: 0.5})
    assert ls.cyclic(1, 5, 4, mode="triangular2")(1e15) == 1.0
    assert ls.cyclic(1, 5, 4, mode="exp_range", gamma=0.99)(1e9) == 1.0
    growing = ls.cyclic(1, 5, 4, mode="exp_range", gamma=1.5)
    assert growing(8e6) == 1.0  # 0 * inf is the low value, not NaN
    assert growing(np.array([8e6]))[0] == 1.0


@pytest.mark.parametrize(
    ("args", "kwargs", "message"),
    [
        ((1, 5, 0), {}, r"up must be > 0 \(got 0\)"),
        ((1, 5, 4, -1), {}, r"down must be >= 0 \(got -1\)"),
        ((1, 5, 4), {"mode": "cats"}, r"mode must be one of 'triangular', 'triangular2', "),
        ((1, 5, 4), {"gamma": 0.9}, r"gamma is only used with mode='exp_range' \(got gamma=0.9"),
        ((1, 5, 4), {"mode": "exp_range", "gamma": 0}, r"gamma must be > 0 \(got 0\)"),
        ((math.nan, 5, 4), {}, r"low must be a finite number \(got nan\)"),
    ],
)
def test_cyclic_validation(
    args: tuple[float, ...], kwargs: dict[str, object], message: str
) -> None:
    with pytest.raises(ls.ScheduleError, match=message):
        ls.cyclic(*args, **kwargs)  # type: ignore[arg-type]


# -- one_cycle ---------------------------------------------------------------------------------


def test_one_cycle_torch_reference_linear() -> None:
    # torch's test_onecycle_lr_linear_annealing and ..._three_phases
    s = ls.one_cycle(10, 25, final_div_factor=2, shape="linear")
    assert_values(s, dict(enumerate([1, 13, 25, 21.5, 18, 14.5, 11, 7.5, 4, 0.5])))
    s3 = ls.one_cycle(10, 25, pct_start=0.4, final_div_factor=4, shape="linear", three_phase=True)
    assert_values(s3, dict(enumerate([1, 9, 17, 25, 17, 9, 1, 0.75, 0.5, 0.25])))


def test_one_cycle_torch_reference_cosine() -> None:
    s = ls.one_cycle(10, 25, final_div_factor=2)
    expected = [1, 13, 25] + [cos_anneal(25, 0.5, k / 7.0) for k in range(1, 7)] + [0.5]
    assert_values(s, dict(enumerate(expected)))


def test_one_cycle_holds_its_final_value_past_the_end() -> None:
    for anneal in ("cos", "linear"):
        for three_phase in (False, True):
            s = ls.one_cycle(
                100, 0.1, shape="cosine" if anneal == "cos" else anneal, three_phase=three_phase
            )
            final = s(99)
            assert close(final, 0.1 / 25 / 1e4)
            for t in (99.5, 100, 101, 10**9, 1e300):
                assert s(t) == final
            assert (s(np.array([99, 100, 1e9])) == final).all()


def test_one_cycle_defaults_and_repr() -> None:
    s = ls.one_cycle(100)
    assert repr(s) == "one_cycle(100)"
    assert close(s(0), 1 / 25)
    assert s(29) == 1.0  # the peak is at pct_start * duration - 1
    full = ls.one_cycle(
        50,
        0.5,
        pct_start=0.25,
        div_factor=10,
        final_div_factor=100,
        shape="linear",
        three_phase=True,
    )
    assert repr(full) == (
        "one_cycle(50, 0.5, pct_start=0.25, div_factor=10, final_div_factor=100, "
        "shape='linear', three_phase=True)"
    )
    assert eval(repr(full), vars(ls)) == full
    assert ls.one_cycle(10, 0) == ls.constant(0)


def test_one_cycle_short_rise_starts_in_the_second_phase() -> None:
    # pct_start * duration < 1: torch's first phase ends before step 0; so does ours.
    s = ls.one_cycle(10, 1.0, pct_start=0.05, shape="linear")
    low = 1.0 / 25 / 1e4
    assert close(s(0), (low - 1.0) * 0.5 / 9.5 + 1.0)
    assert s(0) < 1.0


@pytest.mark.parametrize(
    ("args", "kwargs", "message"),
    [
        ((0.5,), {}, r"duration must be >= 1 \(got 0.5\)"),
        ((10,), {"pct_start": 1.5}, r"pct_start must be in \[0, 1\] \(got 1.5\)"),
        ((10,), {"div_factor": 0}, r"div_factor must be > 0 \(got 0\)"),
        ((10,), {"final_div_factor": -1}, r"final_div_factor must be > 0 \(got -1\)"),
        ((10,), {"anneal": "exp"}, r"anneal must be one of 'cos', 'linear' \(got 'exp'\)"),
        ((10,), {"pct_start": 0.1}, r"pct_start \* duration must not be 1 \(got 0.1 \* 10\)"),
        ((10, math.inf), {}, r"peak must be a finite number \(got inf\)"),
    ],
)
def test_one_cycle_validation(
    args: tuple[float, ...], kwargs: dict[str, object], message: str
) -> None:
    with pytest.raises(ls.ScheduleError, match=message):
        ls.one_cycle(*args, **kwargs)  # type: ignore[arg-type]


def test_one_cycle_three_phase_must_be_a_bool() -> None:
    with pytest.raises(TypeError, match=r"three_phase must be True or False \(got 1\)"):
        ls.one_cycle(10, three_phase=1)  # type: ignore[arg-type]


# -- function ----------------------------------------------------------------------------------


def halve_every_ten(k: int) -> float:
    return 0.5 ** (k // 10)


def test_function_calls_with_ints_and_holds_between() -> None:
    calls: list[object] = []

    def record(k: int) -> float:
        calls.append(k)
        return k * 0.1

    s = ls.function(record)
    assert s(3) == pytest.approx(0.3)
    assert s(3.7) == pytest.approx(0.3)
    assert all(type(k) is int for k in calls)
    calls.clear()
    out = s(np.array([[0.0, 1.5], [1.0, 2.0]]))
    assert out.shape == (2, 2)
    np.testing.assert_allclose(out, [[0.0, 0.1], [0.1, 0.2]])
    assert sorted(calls) == [0, 1, 2]  # one call per distinct whole time
    assert all(type(k) is int for k in calls)


def test_function_is_opaque_with_a_repr() -> None:
    s = ls.function(halve_every_ten)
    assert s.opaque
    assert repr(s) == "function(halve_every_ten)"
    assert (0.1 * s).opaque
    assert s == ls.function(halve_every_ten)
    assert pickle.loads(pickle.dumps(s)) == s
    assert s(25) == 0.25


def test_function_validates_its_callable_and_results() -> None:
    with pytest.raises(TypeError, match=r"fn must be callable \(got float: 0.5\)"):
        ls.function(0.5)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match=r"fn\(1\) must return a real number \(got 'x'\)"):
        ls.function(lambda k: "x" if k else 1.0)(np.array([0, 1]))  # type: ignore[arg-type,return-value]
    with pytest.raises(ls.ScheduleError, match=r"fn\(2\) must return a finite number \(got inf\)"):
        ls.function(lambda _: math.inf)(2)
    with pytest.raises(TypeError, match=r"must return a real number \(got True\)"):
        ls.function(lambda _: True)(0)


# -- shared properties of the families -------------------------------------------------------

families = st.one_of(
    st.builds(ls.polynomial, durations, st.floats(0, 4), values, values),
    st.builds(ls.cosine, durations, values, values, periodic=st.booleans()),
    st.builds(ls.cosine_restarts, durations, growth=st.integers(1, 4), start=values, end=values),
    st.builds(
        ls.cyclic,
        values,
        values,
        durations,
        st.none() | st.floats(0, 100),
        mode=st.sampled_from(["triangular", "triangular2"]),
    ),
    st.builds(
        ls.one_cycle,
        st.integers(2, 300),
        values,
        pct_start=st.sampled_from([0.0, 0.3, 0.35, 0.45, 0.7, 1.0]),
        shape=st.sampled_from(["cosine", "linear"]),
        three_phase=st.booleans(),
    ),
)


@given(families, st.lists(times, min_size=1, max_size=30))
def test_families_scalar_equals_array_and_round_trip(s: ls.Schedule, ts: list[float]) -> None:
    scalars = [s(t) for t in ts]
    assert all(type(v) is float for v in scalars)
    np.testing.assert_allclose(s(np.array(ts)), scalars, rtol=REL, atol=1e-14)
    assert eval(repr(s), vars(ls)) == s
    assert pickle.loads(pickle.dumps(s)) == s
    assert not s.opaque
    assert [pickle.loads(pickle.dumps(s))(t) for t in ts] == scalars
