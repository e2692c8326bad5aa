"""Inspection: describe, breakpoints, exact extrema, and the facts every kind must state."""

from __future__ import annotations

import inspect
import math
import re
import sys
from typing import Any, final

import attrs
import numpy as np
import pytest
from hypothesis import HealthCheck, find, given, settings
from hypothesis import strategies as st

import lrsched as ls
from lrsched import _inspect, _lattice
from lrsched._core import Schedule
from lrsched._lattice import Lattice, Part
from lrsched._spelling import Call
from tests.strategies import schedules, transparent_schedules


def brute_force(s: ls.Schedule, horizon: int) -> tuple[float, float]:
    values = s(np.arange(horizon, dtype=np.float64))
    return float(values.min()), float(values.max())


def assert_close_pair(got: tuple[float, float], expected: tuple[float, float]) -> None:
    for a, b in zip(got, expected, strict=True):
        assert math.isclose(a, b, rel_tol=1e-12, abs_tol=1e-14), (got, expected)


# -- every kind states every fact --------------------------------------------------------------


def kinds() -> list[type[Schedule]]:
    def subclasses(cls: type) -> list[type]:
        return [c for sub in cls.__subclasses__() for c in (sub, *subclasses(sub))]

    # attrs replaces each slotted class by a new one; the module holds the one in use.
    return [
        k
        for k in subclasses(Schedule)
        if k.__module__.startswith("lrsched.")
        and getattr(sys.modules[k.__module__], k.__name__) is k
    ]


def test_every_kind_is_final_frozen_and_states_every_fact() -> None:
    concrete = [k for k in kinds() if not inspect.isabstract(k)]
    assert len(concrete) >= 20
    for kind in concrete:
        assert getattr(kind, "__final__", False), f"{kind.__name__} is concrete but not @final"
        assert attrs.has(kind), kind
    for kind in kinds():
        if not getattr(kind, "__final__", False):
            assert kind.__name__.startswith("_"), f"{kind.__name__}: abstract helpers are private"


@pytest.mark.parametrize(
    "kind", [k for k in kinds() if not inspect.isabstract(k)], ids=lambda k: k.__name__
)
def test_the_shared_strategy_builds_every_kind(kind: type[Schedule]) -> None:
    found = find(
        schedules,
        lambda s: any(type(node) is kind for node in s.walk()),
        settings=settings(
            max_examples=3000, database=None, suppress_health_check=list(HealthCheck)
        ),
    )
    assert any(type(node) is kind for node in found.walk())


def test_a_kind_that_forgets_a_fact_cannot_be_built() -> None:
    @final
    @attrs.frozen(repr=False)
    class Forgetful(Schedule):
        value: float

        def _formula(self, xp: Any, t: Any) -> Any:
            return xp.full(t.shape, self.value)

        def _spelling(self) -> Call:
            return Call("constant", (self.value,), ())

        def _parts(self) -> tuple[Part, ...]:
            return ()

        def _breakpoints(self, end: float) -> tuple[float, ...]:
            return ()

    with pytest.raises(TypeError, match=r"abstract method.*_extrema"):
        Forgetful(1.0)  # type: ignore[abstract]


# -- extrema: exact, by the kinds' own methods --------------------------------------------------


@given(schedules, st.integers(1, 400))
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


FAR = st.floats(1e6, 1e9).map(round)


@given(transparent_schedules, FAR, st.floats(-0.5, 0.5), st.floats(-2, 3))
def test_extrema_and_breakpoints_far_beyond_any_sampling_threshold(
    s: ls.Schedule, far: float, offset: float, before: float
) -> None:
    # The whole tree runs in the last 300 time units of a horizon of up to 10**9, entered on a
    # clock that is not a whole number: sampling 65,536 times would miss it entirely.
    start = far + offset
    late = ls.concat([ls.constant(before), s], [start])
    horizon = math.ceil(start) + 300
    window = np.arange(math.ceil(start) - 2, horizon, dtype=np.float64)
    expected_low = min(before, float(late(window).min()))
    expected_high = max(before, float(late(window).max()))
    assert_close_pair(late.extrema(horizon), (expected_low, expected_high))
    # Every breakpoint of the tree appears, moved to its place (after the switch at `start`,
    # unless the concat merged a constant tree into the constant before it).
    inner = np.array(s.breakpoints(horizon - start))
    listed = np.array(late.breakpoints(horizon))
    if listed.size > inner.size:
        assert listed[0] == start
        listed = listed[1:]
    assert np.allclose(listed, start + inner, rtol=1e-15, atol=1e-6)


@given(transparent_schedules, st.integers(1, 300))
def test_piecewise_constant_schedules_are_constant_between_breakpoints(
    s: ls.Schedule, horizon: int
) -> None:
    used = set(re.findall(r"([a-z_]+)\(", repr(s)))
    if not used <= {"constant", "step", "milestones", "concat", "clamp", "shift", "plateau"}:
        return  # only trees of piecewise-constant nodes
    # Strictly between two breakpoints the value does not change. (A breakpoint on a shifted
    # clock is a float sum, exact only to within rounding, so the ends are left out.)
    cuts = np.array([0.0, *s.breakpoints(horizon), float(horizon)])
    fractions = np.linspace(0.0, 1.0, 7)[1:-1]
    values = s(cuts[:-1, None] + (cuts[1:] - cuts[:-1])[:, None] * fractions[None, :])
    assert (np.ptp(values, axis=1) == 0.0).all(), s


def test_the_examples_of_the_issue_are_exact() -> None:
    assert ls.polynomial(10, power=2).breakpoints(50) == (10.0,)
    assert ls.repeat(ls.step(3, 0.5), 10).breakpoints(30) == (
        3.0, 6.0, 9.0, 10.0, 13.0, 16.0, 19.0, 20.0, 23.0, 26.0, 29.0,
    )  # fmt: skip
    one = ls.one_cycle(10**6)
    assert one.extrema(10**7) == (one(10**6 - 1), 1.0) == (one(10**7), one(299999))
    spike = ls.piecewise_linear([(0, 1), (500000, 1), (500001, 0.001), (500002, 1)])
    assert spike.extrema(10_000_000) == (0.001, 1.0)
    p = ls.plateau(patience=0, metrics=[1, 2, 3])
    assert p.breakpoints(50) == (2.0, 3.0) == tuple(p.resolve().breakpoints(50))


def test_periodic_kinds_are_exact_at_any_horizon() -> None:
    for s in (
        ls.cosine(10.5, periodic=True),
        ls.cyclic(0.1, 1, 7, 3.5),
        ls.cosine_restarts(7),
        ls.repeat(ls.linear(1, 0, 5), 12.25),
        ls.repeat(ls.linear(1, 0, 5), 12.25, gamma=0.999),
    ):
        # Exact up to the rounding of one formula evaluated at two times of the same phase.
        short = s.extrema(10**5)
        for got, expected in zip(short, brute_force(s, 10**5), strict=True):
            assert math.isclose(got, expected, rel_tol=1e-12, abs_tol=1e-12)
        low, high = s.extrema(10**12)
        assert low <= short[0] + 1e-12
        assert high >= short[1] - 1e-12


def test_long_horizons_that_need_too_many_evaluations_are_refused_not_guessed() -> None:
    # A period that is no fraction with a small numerator of the time step: every cycle meets
    # the integer times at a new phase, and there are 10**11 of them.
    with pytest.raises(ls.ScheduleError, match="ask for a shorter horizon"):
        ls.cosine(0.1 + 1e-9, periodic=True).extrema(10**12)
    with pytest.raises(ls.ScheduleError, match="more than 1000000 are not listed"):
        ls.step(1, 0.9).breakpoints(10**7)


def test_extrema_of_long_horizons_are_exact() -> None:
    s = 0.1 * ls.warmup(
        ls.concat([ls.cosine(10**9, end=0.01), ls.step(10**6, 0.5)], [10**9]), 10**4
    )
    assert s.extrema(10**12) == (s(10**12 - 1), 0.1)
    rising = ls.linear(0.5, 2.0, 10**9) * ls.exponential(1.0000001)
    assert rising.extrema(10**9) == (0.5, rising(10**9 - 1))


def count_evaluations(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    sizes: list[int] = []
    real = _lattice.values_at

    def counted(node: Schedule, times: Any) -> Any:
        sizes.append(int(np.size(times)))
        return real(node, times)

    monkeypatch.setattr(_lattice, "values_at", counted)
    return sizes


def test_extrema_cost_is_linear_in_the_pieces(monkeypatch: pytest.MonkeyPatch) -> None:
    sizes = count_evaluations(monkeypatch)
    for n in (1000, 8000):
        sizes.clear()
        pieces = ls.concat(
            [ls.cosine(10, start=1 + k % 3) for k in range(n)], range(10, 10 * n, 10)
        )
        s = pieces * ls.linear(1, 2, 10 * n)
        assert s.extrema(10 * n) == brute_force(s, 10 * n)
        assert sum(sizes) <= 40 * n  # a few points per piece, not per pair of pieces


def test_extrema_horizon_is_exclusive_and_may_be_fractional() -> None:
    s = ls.step(10, 0.5)
    assert s.extrema(10) == (1.0, 1.0)
    assert s.extrema(10.5) == (0.5, 1.0)
    with pytest.raises(ls.ScheduleError, match=r"horizon must be > 0 \(got 0\)"):
        s.extrema(0)
    with pytest.raises(ls.ScheduleError, match=r"horizon must be a finite number \(got inf\)"):
        s.breakpoints(math.inf)


def test_lattice_windows_hold_exactly_the_times_inside() -> None:
    lattice = Lattice(0.25, 0.5, 40)
    window = lattice.within(3.0, 7.25)
    assert window is not None
    assert window.times().tolist() == [t for t in lattice.times().tolist() if 3.0 <= t < 7.25]
    assert lattice.within(30.0, 40.0) is None
    assert _lattice.periodic_points(Lattice(0.0, 1.0, 1000), 10.5).count == 21


# -- breakpoints and describe -------------------------------------------------------------------


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
        (ls.cosine(10, periodic=True), 35, (10, 20, 30)),
        (ls.polynomial(10, power=3), 20, (10,)),
        (ls.inverse_sqrt(10), 20, ()),
        (ls.piecewise_linear([(0, 0), (5, 1), (5, 0.5), (9, 0)]), 20, (5, 9)),
        (ls.warmup(ls.cosine(95), 5), 1000, (5, 100)),
        (ls.warmup(ls.step(30, 0.1), 5), 100, (5, 35, 65, 95)),
        (ls.concat([ls.step(3, 0.5), ls.cosine(4)], [7]), 100, (3, 6, 7, 11)),
        (ls.clamp(ls.step(10, 0.5), low=0.3), 30, (10, 20)),
        (ls.step(10, 0.5) * ls.linear(1, 2, 15), 30, (10, 15, 20)),
        (ls.cosine_restarts(10, growth=2), 100, (10, 30, 70)),
        (ls.cyclic(0, 1, 4, 2), 13, (4, 6, 10, 12)),
        (ls.one_cycle(100, pct_start=0.25), 1000, (24, 99)),
        (ls.shift(ls.step(5, 0.5), 3), 20, (3, 8, 13, 18)),
        (ls.warmup_stable_decay(10, 80, 10), 200, (10, 90, 100)),
    ],
)
def test_breakpoints(s: ls.Schedule, horizon: float, expected: tuple[float, ...]) -> None:
    assert s.breakpoints(horizon) == tuple(float(b) for b in expected)


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
    cycles = ls.repeat(ls.step(3, 0.5), 10).describe().splitlines()
    assert cycles == [
        "repeat(..., 10)  [0, inf)  runs [0, period) of its child in every cycle",
        "  step(3, 0.5)",
    ]


def test_inspection_of_deep_trees() -> None:
    s = ls.cosine(10)
    for _ in range(300):
        s = ls.warmup(s, 1)
    assert s.breakpoints(2000)[:3] == (1.0, 2.0, 3.0)
    assert s.extrema(2000) == (0.0, 1.0)
    assert len(s.describe().splitlines()) == 301
