"""time, stretch, staircase, a negative shift and compose: values, canonical forms, refusals,
exact inspection."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import lrsched as ls
from tests.strategies import durations, transparent_schedules

TS = np.arange(0.0, 400.0, 0.5)
c = ls.cosine(100)


def brute(s: ls.Schedule, horizon: int) -> tuple[float, float]:
    v = s(np.arange(horizon, dtype=np.float64))
    return float(v.min()), float(v.max())


@given(transparent_schedules, st.floats(0.25, 4.0), st.floats(0.5, 50.0), durations)
def test_time_maps_read_their_child_at_the_mapped_time(
    s: ls.Schedule, f: float, a: float, size: float
) -> None:
    # Nested stretches and shifts fuse (one tree), which may move t / f or t + a by an ulp.
    np.testing.assert_allclose(ls.stretch(s, f)(TS), s(TS / f), rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(ls.shift(s, -a)(TS), s(TS + a), rtol=1e-12, atol=1e-12)
    np.testing.assert_array_equal(ls.staircase(s, size)(TS), s(size * np.floor(TS / size)))
    np.testing.assert_array_equal(ls.compose(s, ls.time() ** 1.5)(TS), s(TS**1.5))
    np.testing.assert_array_equal(ls.time()(TS), TS)


@given(transparent_schedules, st.floats(0.25, 4.0), st.floats(0.25, 4.0), st.floats(0.5, 9.0))
def test_canonical_forms(s: ls.Schedule, f: float, g: float, a: float) -> None:
    assert ls.stretch(s, 1) == s
    assert ls.shift(s, 0) == s
    assert ls.compose(s, ls.time()) == s
    # Stretches of stretches and shifts of shifts fuse into one (of the time itself: arithmetic).
    assert ls.stretch(ls.stretch(c, f), g) == ls.stretch(c, f * g)
    assert ls.shift(ls.shift(c, -a), -2 * a) == ls.shift(c, -(a + 2 * a))
    assert ls.stretch(ls.time(), 4) == ls.time() / 4
    assert ls.shift(ls.time(), -a) == ls.time() + a
    # The fused stretch divides once, by f * g (at a jump of s, t / f / g may land elsewhere).
    fused_stretch = ls.stretch(ls.stretch(s, f), g)
    np.testing.assert_allclose(fused_stretch(TS), ls.stretch(s, f * g)(TS), rtol=1e-12, atol=1e-12)
    fused = ls.shift(ls.shift(s, -a), -2 * a)
    np.testing.assert_allclose(fused(TS), s(TS + 3 * a), rtol=1e-12, atol=1e-12)
    assert ls.compose(s, ls.time() / 4) == ls.stretch(s, 4)
    assert ls.compose(s, ls.time() + a) == ls.shift(s, -a)
    m1, m2 = ls.time() ** 1.5, ls.clamp(c, low=0)
    assert ls.compose(ls.compose(s, m1), m2) == ls.compose(s, ls.compose(m1, m2))
    assert ls.staircase(ls.constant(3), 5) == ls.constant(3)
    for built in (ls.stretch(s, f), ls.shift(s, -a), ls.staircase(s, a), ls.compose(s, m1)):
        assert ls.parse(repr(built)) == built
        assert ls.from_dict(ls.to_dict(built)) == built


def test_reprs_read_like_the_call() -> None:
    assert repr(ls.shift(c, -5)) == "shift(cosine(100), -5)"
    assert repr(ls.stretch(c, 2)) == "stretch(cosine(100), 2)"
    assert repr(ls.staircase(c, 5)) == "staircase(cosine(100), 5)"
    assert repr(ls.compose(c, ls.time() ** 2)) == "compose(cosine(100), time() ** 2)"
    assert repr(ls.time()) == "time()"


def test_refusals() -> None:
    with pytest.raises(ls.ScheduleError, match=r"clock may be negative: -1 \+ time\(\)"):
        ls.compose(c, ls.time() - 1)
    with pytest.raises(ls.ScheduleError, match=r"before applies to a positive delay only"):
        ls.shift(c, -5, before=1)
    with pytest.raises(ls.ScheduleError, match=r"factor must be > 0 \(got 0\)"):
        ls.stretch(c, 0)
    with pytest.raises(ls.ScheduleError, match=r"size must be > 0 \(got -1\)"):
        ls.staircase(c, -1)


@given(transparent_schedules, st.integers(1, 500), st.floats(0.25, 4.0), st.integers(1, 40))
def test_extrema_are_exact(s: ls.Schedule, h: int, f: float, a: int) -> None:
    maps = (
        ls.stretch(s, f),
        ls.shift(s, -a),
        ls.staircase(s, float(a)),
        ls.staircase(s, f),
        ls.compose(s, ls.time() ** 1.5),
    )
    for built in maps:
        try:
            found = built.extrema(h)
        except ls.ScheduleError:
            continue  # too many evaluations for the exact methods: refused, never guessed
        assert found == brute(built, h), built


def test_inspection_far_out() -> None:
    s = ls.shift(ls.step(10**6, 0.5), -(10**6 - 3))
    assert s.breakpoints(2 * 10**6 + 10) == (3.0, 1_000_003.0, 2_000_003.0)
    assert s.extrema(10**9) == (s(10**9 - 1), 1.0)
    assert ls.stretch(ls.step(10, 0.5), 10**7).breakpoints(3 * 10**8) == (1e8, 2e8)
    # A warp: the cosine over T**2 read at t**2 ends at t = T.
    warped = ls.compose(ls.cosine(10**8), ls.time() ** 2)
    assert warped.breakpoints(10**5) == (10_000.0,)
    assert ls.staircase(c, 7).extrema(10**9) == (0.0, 1.0)


def test_staircase_holds_the_value_at_each_step() -> None:
    s = ls.staircase(ls.linear(0, 1, 10), 5)
    assert [s(t) for t in (0, 4.9, 5, 9, 10)] == [0.0, 0.0, 0.5, 0.5, 1.0]
    assert s.breakpoints(16) == (5.0, 10.0, 15.0)
