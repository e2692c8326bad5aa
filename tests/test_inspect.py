"""Inspection: describe, breakpoints, extrema; exact rules and the fallback for unknown nodes."""

from __future__ import annotations

import math
import re
from typing import final

import attrs
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import lrsched as ls
from lrsched import _inspect
from lrsched._core import FloatArray, Schedule
from tests.strategies import schedules, transparent_schedules


@final
@attrs.frozen(repr=False)
class Delayed(Schedule):
    """A node the inspection rules do not know: s(0) until ``delay``, then s(t - delay)."""

    schedule: Schedule
    delay: float

    def _children(self) -> tuple[Schedule, ...]:
        return (self.schedule,)

    def _at(self, t: float) -> float:
        return self.schedule._at(max(t - self.delay, 0.0))

    def _over(self, t: FloatArray) -> FloatArray:
        return self.schedule._over(np.maximum(t - self.delay, 0.0))

    def __repr__(self) -> str:
        return f"delayed({self.schedule!r}, {self.delay})"


def brute_force(s: ls.Schedule, horizon: int) -> tuple[float, float]:
    values = s(np.arange(horizon, dtype=np.float64))
    return float(values.min()), float(values.max())


def assert_close_pair(got: tuple[float, float], expected: tuple[float, float]) -> None:
    for a, b in zip(got, expected, strict=True):
        assert math.isclose(a, b, rel_tol=1e-12, abs_tol=1e-14), (got, expected)


@given(transparent_schedules, st.integers(1, 400))
def test_extrema_equal_those_of_every_integer_time(s: ls.Schedule, horizon: int) -> None:
    assert_close_pair(s.extrema(horizon), brute_force(s, horizon))


@given(schedules, st.integers(1, 300), st.integers(1, 8))
def test_binned_extrema_equal_those_of_every_integer_time(
    s: ls.Schedule, horizon: int, bins: int
) -> None:
    edges = np.unique(np.linspace(0, horizon, bins + 1).round().astype(np.int64))
    lows, highs = _inspect.binned_extrema(s, edges)
    for j in range(len(edges) - 1):
        part = s(np.arange(edges[j], edges[j + 1], dtype=np.float64))
        assert_close_pair((lows[j], highs[j]), (part.min(), part.max()))


@given(transparent_schedules, st.integers(2, 300))
def test_extrema_evaluate_few_times_for_known_nodes(s: ls.Schedule, horizon: int) -> None:
    pieces = _inspect.monotone_pieces(s, float(horizon))
    if all(direction is not None for _, direction in pieces):
        assert len(_inspect.key_times(s, horizon)) <= 4 * (len(pieces) + 1) + 2


def test_extrema_of_long_horizons_are_exact_and_fast() -> None:
    s = 0.1 * ls.warmup(
        ls.concat([ls.cosine(10**9, end=0.01), ls.step(10**6, 0.5)], [10**9]), 10**4
    )
    assert s.extrema(10**12) == (s(10**12 - 1), 0.1)
    assert len(_inspect.key_times(s, 10**12)) < 40
    rising = ls.linear(0.5, 2.0, 10**9) * ls.exponential(1.0000001)
    assert rising.extrema(10**9) == (0.5, rising(10**9 - 1))


def test_extrema_horizon_is_exclusive_and_may_be_fractional() -> None:
    s = ls.step(10, 0.5)
    assert s.extrema(10) == (1.0, 1.0)
    assert s.extrema(10.5) == (0.5, 1.0)
    with pytest.raises(ls.ScheduleError, match=r"horizon must be > 0 \(got 0\)"):
        s.extrema(0)
    with pytest.raises(ls.ScheduleError, match=r"horizon must be a finite number \(got inf\)"):
        s.breakpoints(math.inf)


@pytest.mark.parametrize(
    ("s", "horizon", "expected"),
    [
        (ls.constant(2), 100, ()),
        (ls.exponential(0.9), 100, ()),
        (ls.step(30, 0.1), 100, (30, 60, 90)),
        (ls.step(2.5, 0.1), 10, (2.5, 5, 7.5)),
        (ls.milestones([0, 30, 30, 80, 120], 0.1), 100, (30, 80)),
        (ls.linear(0, 1, 5), 100, (5,)),
        (ls.cosine(95), 95, ()),
        (ls.warmup(ls.cosine(95), 5), 1000, (5, 100)),
        (ls.warmup(ls.step(30, 0.1), 5), 100, (5, 35, 65, 95)),
        (ls.concat([ls.step(3, 0.5), ls.cosine(4)], [7]), 100, (3, 6, 7, 11)),
        (ls.clamp(ls.step(10, 0.5), low=0.3), 30, (10, 20)),
        (ls.step(10, 0.5) * ls.linear(1, 2, 15), 30, (10, 15, 20)),
    ],
)
def test_breakpoints(s: ls.Schedule, horizon: float, expected: tuple[float, ...]) -> None:
    assert s.breakpoints(horizon) == tuple(float(b) for b in expected)


@given(transparent_schedules, st.integers(1, 300))
def test_piecewise_constant_schedules_are_constant_between_breakpoints(
    s: ls.Schedule, horizon: int
) -> None:
    used = set(re.findall(r"([a-z_]+)\(", repr(s)))
    if not used <= {"constant", "step", "milestones", "concat", "clamp"}:
        return  # only trees of piecewise-constant nodes
    # Strictly between two breakpoints the value does not change. (A breakpoint on a shifted
    # clock is a float sum, exact only to within rounding, so the ends are left out.)
    cuts = np.array([0.0, *s.breakpoints(horizon), float(horizon)])
    fractions = np.linspace(0.0, 1.0, 7)[1:-1]
    values = s(cuts[:-1, None] + (cuts[1:] - cuts[:-1])[:, None] * fractions[None, :])
    assert (np.ptp(values, axis=1) == 0.0).all(), s


def test_breakpoints_of_a_fine_step_over_a_long_horizon_are_refused() -> None:
    with pytest.raises(ls.ScheduleError, match="more than 1000000 are not listed"):
        ls.step(1, 0.9).breakpoints(10**7)


def test_breakpoints_of_a_multiplicative_callable() -> None:
    s = ls.multiplicative(lambda k: 0.5 if k % 4 == 0 else 1.0)
    assert s.breakpoints(13) == (4.0, 8.0, 12.0)


def test_describe() -> None:
    s = 0.1 * ls.warmup(
        ls.concat([ls.clamp(ls.cosine(50), low=0.1), ls.step(10, 0.5)], [50]), 5, start=0.1
    )
    assert s.describe() == (
        "0.1 * ...                     [0, inf)\n"
        "  warmup(..., 5, start=0.1)   [0, inf)   linear ramp on [0, 5)\n"
        "    concat([..., ...], [50])  [5, inf)   own clock from t = 5\n"
        "      clamp(..., low=0.1)     [5, 55)\n"
        "        cosine(50)            [5, 55)\n"
        "      step(10, 0.5)           [55, inf)  own clock from t = 55"
    )
    assert ls.cosine(95).describe() == "cosine(95)  [0, inf)"


def test_unknown_nodes_fall_back_to_sampling_and_show_no_time_ranges() -> None:
    s = ls.warmup(Delayed(ls.step(10, 0.5), 3.5), 2)
    assert _inspect.monotone_pieces(s, 100.0)[1:] == [(2.0, None)]
    assert s.extrema(100) == brute_force(s, 100)
    assert s.breakpoints(100) == (2.0,)  # the unknown node's own breakpoints are not known
    assert s.describe() == (
        "warmup(..., 2)       [0, inf)  linear ramp on [0, 2)\n"
        "  delayed(..., 3.5)  [2, inf)  own clock from t = 2\n"
        "    step(10, 0.5)"
    )


def test_unknown_nodes_sample_long_horizons() -> None:
    s = Delayed(ls.cosine(10**6), 0.0)
    times = _inspect.key_times(s, 10**7)
    assert len(times) <= _inspect.DENSE_SAMPLES + 8
    low, high = s.extrema(10**7)
    assert (low, high) == (0.0, 1.0)


@final
@attrs.frozen(repr=False)
class Halved(Schedule):
    """Another unknown node, for which the test registers exact rules."""

    schedule: Schedule

    def _children(self) -> tuple[Schedule, ...]:
        return (self.schedule,)

    def _at(self, t: float) -> float:
        return self.schedule._at(t) / 2

    def _over(self, t: FloatArray) -> FloatArray:
        return self.schedule._over(t) / 2

    def __repr__(self) -> str:
        return f"halved({self.schedule!r})"


def test_a_new_node_can_register_exact_rules() -> None:
    @_inspect.monotone_pieces.register
    def _(s: Halved, horizon: float) -> _inspect.Pieces:
        return _inspect.monotone_pieces(s.schedule, horizon)

    @_inspect.child_windows.register
    def _(s: Halved) -> list[_inspect.Window]:
        return [(0.0, math.inf, 0.0)]

    s = Halved(ls.concat([ls.cosine(10), ls.step(7, 0.5)], [10]))
    assert _inspect.monotone_pieces(s, 100.0) == [(0.0, -1), (10.0, 0), (10.0, -1)]
    assert s.breakpoints(30) == (10.0, 17.0, 24.0)
    assert s.extrema(30) == brute_force(s, 30)
    assert s.describe().splitlines()[1].split() == ["concat([...,", "...],", "[10])", "[0,", "inf)"]


def test_products_of_opposite_trends_are_sampled_exactly_over_short_horizons() -> None:
    s = ls.linear(0, 1, 100) * ls.cosine(100)
    assert _inspect.monotone_pieces(s, 200.0) == [(0.0, None), (100.0, 0)]
    assert s.extrema(200) == brute_force(s, 200)
    falling = ls.cosine(100) * ls.step(10, 0.5) * -2
    assert _inspect.monotone_pieces(falling, 200.0) == [(0.0, 1), (100.0, 1)]


def test_no_node_shadows_the_inspection_methods() -> None:
    def subclasses(cls: type) -> list[type]:
        return [c for sub in cls.__subclasses__() for c in (sub, *subclasses(sub))]

    nodes = subclasses(ls.Schedule)
    assert len(nodes) >= 11
    for node in nodes:
        for name in ("describe", "breakpoints", "extrema", "opaque"):
            assert callable(getattr(node, name)) or isinstance(getattr(node, name), property), (
                node,
                name,
            )
