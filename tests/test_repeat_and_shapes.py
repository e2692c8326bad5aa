"""inverse_sqrt, warmup_stable_decay, piecewise_linear, repeat and shift: values, laws, torch."""

from __future__ import annotations

import doctest
import math
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from torch.optim import lr_scheduler as tls

import lrsched as ls
from lrsched._curves import PiecewiseLinear
from lrsched._cycles import Repeat
from tests.strategies import durations, times, transparent_schedules

REL = 1e-12


def close(a: float, b: float, rel: float = REL) -> bool:
    return math.isclose(a, b, rel_tol=rel, abs_tol=1e-14)


def torch_lrs(
    build: Callable[[torch.optim.Optimizer], tls.LRScheduler], lr: float, epochs: int
) -> list[float]:
    optimizer = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=lr)
    scheduler = build(optimizer)
    out = []
    for _ in range(epochs):
        out.append(optimizer.param_groups[0]["lr"])
        optimizer.step()
        scheduler.step()
    return out


# -- inverse_sqrt ------------------------------------------------------------------------------


def test_inverse_sqrt_reference_values() -> None:
    s = ls.inverse_sqrt(100)
    assert s(0) == 1.0
    assert s(300) == 0.5
    assert s(100) == math.sqrt(0.5)
    assert s(10**9) == math.sqrt(100 / (100 + 10**9))
    assert repr(s) == "inverse_sqrt(100)"


@given(st.integers(1, 5000), st.integers(0, 20000))
def test_warmup_of_inverse_sqrt_is_the_transformer_schedule(w: int, t: int) -> None:
    noam = ls.warmup(ls.inverse_sqrt(w), w)
    # "Attention is all you need": d**-0.5 * min(t**-0.5, t * w**-1.5), normalized to peak 1.
    expected = min(t / w, math.sqrt(w / t)) if t else 0.0
    assert close(noam(t), expected)
    # Hugging Face's get_inverse_sqrt_schedule(num_warmup_steps=w) (timescale = w).
    hf = t / max(1, w) if t < w else 1.0 / math.sqrt((t + w - w) / w)
    assert close(noam(t), hf)


def test_inverse_sqrt_validates() -> None:
    with pytest.raises(ls.ScheduleError, match=r"timescale must be > 0 \(got 0\)"):
        ls.inverse_sqrt(0)


# -- warmup_stable_decay -------------------------------------------------------------------------


def test_wsd_reference_values_at_the_boundaries() -> None:
    s = ls.warmup_stable_decay(10, 80, 20, start=0.1, end=0.01)
    assert s(0) == 0.1
    assert s(5) == pytest.approx(0.55, rel=REL)
    assert s(10) == 1.0
    assert s(89.999) == 1.0
    assert s(90) == 1.0
    assert s(100) == pytest.approx(0.505, rel=REL)
    assert s(110) == s(10**9) == ls.linear(1, 0.01, 20)(20)
    assert s(110) == pytest.approx(0.01, rel=REL)
    assert repr(s) == "warmup_stable_decay(10, 80, 20, start=0.1, end=0.01)"
    inner = ls.concat([ls.constant(1), ls.linear(1, 0.01, 20)], [80])
    assert s.expansion == ls.warmup(inner, 10, start=0.1)  # type: ignore[attr-defined]


def test_wsd_cosine_shape_and_degenerate_phases() -> None:
    def expansion(s: ls.Schedule) -> ls.Schedule:
        return s.expansion  # type: ignore[attr-defined,no-any-return]

    assert expansion(ls.warmup_stable_decay(0, 0, 10, shape="cosine")) == ls.cosine(10)
    assert expansion(ls.warmup_stable_decay(5, 0, 10)) == ls.warmup(ls.linear(1, 0, 10), 5)
    assert expansion(ls.warmup_stable_decay(0, 5, 10)) == ls.concat(
        [ls.constant(1), ls.linear(1, 0, 10)], [5]
    )


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: ls.warmup_stable_decay(-1, 0, 1), r"warmup must be >= 0 \(got -1\)"),
        (lambda: ls.warmup_stable_decay(1, -2, 1), r"stable must be >= 0 \(got -2\)"),
        (lambda: ls.warmup_stable_decay(1, 2, 0), r"decay must be > 0 \(got 0\)"),
        (
            lambda: ls.warmup_stable_decay(1, 2, 3, shape="exp"),
            r"shape must be one of 'linear', 'cosine', 'sqrt' \(got 'exp'\)",
        ),
    ],
)
def test_wsd_validates(call: Callable[[], object], message: str) -> None:
    with pytest.raises(ls.ScheduleError, match=message):
        call()


# -- piecewise_linear ---------------------------------------------------------------------------


def test_piecewise_linear_interpolates_and_holds_the_ends() -> None:
    s = ls.piecewise_linear([(10, 0), (20, 1), (40, 0.5)])
    assert [s(t) for t in (0, 10, 15, 20, 30, 40, 1000)] == [0.0, 0.0, 0.5, 1.0, 0.75, 0.5, 0.5]
    assert isinstance(s, PiecewiseLinear)
    assert ls.piecewise_linear({10: 0, 20: 1, 40: 0.5}) == s
    assert repr(s) == "piecewise_linear([(10, 0), (20, 1), (40, 0.5)])"


def test_piecewise_linear_jump_applies_at_the_boundary() -> None:
    s = ls.piecewise_linear([(0, 1), (30, 1), (30, 0.1), (60, 0.1)])
    assert s(math.nextafter(30, 0)) == 1.0
    assert s(30) == 0.1
    assert s(np.array([29.5, 30.0, 45.0])).tolist() == [1.0, 0.1, 0.1]


def test_piecewise_linear_simplifies_constants() -> None:
    assert ls.piecewise_linear([(3, 0.5)]) == ls.constant(0.5)
    assert ls.piecewise_linear([(0, 2), (5, 2)]) == ls.constant(2)


@pytest.mark.parametrize(
    ("points", "message"),
    [
        ([], r"points must not be empty"),
        ([(5, 1), (4, 0)], r"non-decreasing times, each at most twice \(got points\[0\]\[0\] = 5"),
        ([(1, 1), (1, 0), (1, 2)], r"each at most twice \(got points\[1\]\[0\] = 1, points\[2\]"),
        ([(-1, 1)], r"points\[0\]\[0\] must be >= 0 \(got -1\)"),
        ([(0, math.nan)], r"points\[0\]\[1\] must be a finite number \(got nan\)"),
        ([(0, 1, 2)], r"points\[0\] must be a \(time, value\) pair"),
    ],
)
def test_piecewise_linear_validates(points: list[tuple[float, ...]], message: str) -> None:
    with pytest.raises(ls.ScheduleError, match=message):
        ls.piecewise_linear(points)  # type: ignore[arg-type]


def test_piecewise_linear_rejects_non_pairs() -> None:
    with pytest.raises(TypeError, match=r"points\[0\] must be a \(time, value\) pair"):
        ls.piecewise_linear([3])  # type: ignore[list-item]
    with pytest.raises(TypeError, match="points must be a sequence of"):
        ls.piecewise_linear(3)  # type: ignore[arg-type]


@given(
    st.lists(st.floats(0, 300), min_size=2, max_size=6, unique=True),
    st.lists(st.floats(-2, 2), min_size=6, max_size=6),
    st.lists(times, min_size=1, max_size=20),
)
def test_piecewise_linear_matches_numpy_interp(
    ts: list[float], vs: list[float], at: list[float]
) -> None:
    ts = sorted(ts)
    vs = vs[: len(ts)]
    s = ls.piecewise_linear(list(zip(ts, vs, strict=True)))
    expected = np.interp(at, ts, vs)
    np.testing.assert_allclose(s(np.array(at)), expected, rtol=1e-12, atol=1e-12)
    assert [s(t) for t in at] == s(np.array(at)).tolist()


# -- repeat -------------------------------------------------------------------------------------


def test_repeat_restarts_each_cycle_on_its_own_clock() -> None:
    s = ls.repeat(ls.linear(1, 0, 10), 10)
    ramp = ls.linear(1, 0, 10)
    for t, local in [(0, 0), (5, 5), (9, 9), (10, 0), (15, 5), (20, 0), (10**6 + 5, 5)]:
        assert s(t) == ramp(local)
    assert s(np.array([9.0, 10.0, 15.0])).tolist() == [ramp(9), 1.0, 0.5]


def test_repeat_with_growth_stretches_cycles_and_gamma_scales_them() -> None:
    s = ls.repeat(ls.linear(1, 0, 10), 10, growth=2, gamma=0.5)
    # cycles: [0, 10), [10, 30), [30, 70), [70, 150)
    assert [s(t) for t in (0, 10, 20, 30, 50, 70, 110)] == [
        1,
        0.5,
        0.25,
        0.25,
        0.125,
        0.125,
        1 / 16,
    ]
    assert s(math.nextafter(30, 0)) < 0.25 / 2 + 1e-9
    assert repr(s) == "repeat(linear(1, 0, 10), 10, growth=2, gamma=0.5)"


def test_repeat_cycle_boundaries_are_exact_far_out() -> None:
    # torch's step(epoch) path finds the cycle with logarithms and is wrong at some restarts
    # (T_0 = 1, T_mult = 3, epoch 121). Boundaries here are exact for whole numbers.
    s = ls.repeat(ls.linear(1, 0, 1), 1, growth=3)
    starts = [(3**i - 1) // 2 for i in range(30)]
    for start in starts[1:]:
        assert s(start) == 1.0
        assert s(start - 0.5) < 1.0
    assert s(121) == 1.0
    assert s(np.array(starts, dtype=np.float64)).tolist() == [1.0] * len(starts)


@settings(max_examples=25)
@given(st.integers(1, 20), st.integers(1, 3), st.floats(0.0, 1e-3), st.floats(1e-3, 1.0))
def test_repeat_of_cosine_is_torch_cosine_annealing_warm_restarts(
    t0: int, mult: int, eta_min: float, lr: float
) -> None:
    epochs = 150
    theirs = torch_lrs(lambda o: tls.CosineAnnealingWarmRestarts(o, t0, mult, eta_min), lr, epochs)
    s = ls.repeat(ls.cosine(t0, start=lr, end=eta_min), t0, growth=mult)
    optimizer = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=lr)
    bound = ls.bind(optimizer, s, absolute=True)
    ours = []
    for _ in range(epochs):
        ours.append(optimizer.param_groups[0]["lr"])
        bound.step()
    for epoch, (a, b) in enumerate(zip(ours, theirs, strict=True)):
        assert close(a, b, 1e-10), (epoch, a, b)


@settings(max_examples=25)
@given(st.integers(1, 20), st.integers(1, 20), st.floats(1e-4, 0.1), st.floats(0.1, 1.0))
def test_repeat_of_a_triangle_is_torch_cyclic_lr(
    up: int, down: int, low: float, high: float
) -> None:
    epochs = 3 * (up + down) + 1

    def build(o: torch.optim.Optimizer) -> tls.LRScheduler:
        return tls.CyclicLR(o, low, high, up, down, cycle_momentum=False)

    theirs = torch_lrs(build, low, epochs)
    triangle = ls.concat([ls.linear(low, high, up), ls.linear(high, low, down)], [up])
    s = ls.repeat(triangle, up + down)
    assert all(close(s(t), theirs[t], 1e-10) for t in range(epochs))


@given(transparent_schedules, durations, st.sampled_from([1.0, 1.5, 2.0, 3.0]), st.floats(0.5, 1.5))
def test_repeat_law_scalar_equals_array_and_cycles(
    s: ls.Schedule, period: float, growth: float, gamma: float
) -> None:
    r = ls.repeat(s, period, growth=growth, gamma=gamma)
    ts = np.linspace(0, 20 * period, 97)
    np.testing.assert_allclose(r(ts), [r(t) for t in ts], rtol=REL, atol=1e-14)
    # the first cycle is s itself; the second starts over, scaled by gamma
    for t in (0.0, 0.25 * period, 0.75 * period):
        assert close(r(t), s(t))
        if growth == 1.0:
            assert close(r(period + t), gamma * s(t))


def test_repeat_simplifies_and_validates() -> None:
    assert ls.repeat(ls.constant(2), 5) == ls.constant(2)
    assert isinstance(ls.repeat(ls.constant(2), 5, gamma=0.5), Repeat)
    with pytest.raises(ls.ScheduleError, match=r"period must be > 0 \(got 0\)"):
        ls.repeat(ls.cosine(5), 0)
    with pytest.raises(ls.ScheduleError, match=r"growth must be >= 1 \(got 0.5\)"):
        ls.repeat(ls.cosine(5), 5, growth=0.5)
    with pytest.raises(ls.ScheduleError, match=r"gamma must be > 0 \(got -1\)"):
        ls.repeat(ls.cosine(5), 5, gamma=-1)
    with pytest.raises(TypeError, match=r"s must be a Schedule \(got float: 0.5\)"):
        ls.repeat(0.5, 5)  # type: ignore[arg-type]


# repeat of a cosine over one period is cosine_restarts: one meaning, one tree.

# Periods whose restart times (period * whole numbers) are exact floats, so both trees cut the
# cycles at the same times; values within a cycle then differ by rounding only.
sgdr_periods = st.integers(1, 400).map(lambda k: k / 4)


@settings(max_examples=40)
@given(
    sgdr_periods,
    st.integers(1, 4),
    st.floats(-2.0, 3.0),
    st.floats(-2.0, 3.0),
    st.booleans(),
    st.lists(st.floats(0.0, 1e6) | st.integers(0, 10**6).map(float), min_size=1, max_size=50),
)
def test_repeat_of_a_cosine_over_its_period_is_cosine_restarts(
    period: float, mult: int, start: float, end: float, periodic: bool, ts: list[float]
) -> None:
    cosine = ls.cosine(period, start=start, end=end, periodic=periodic)
    built = ls.repeat(cosine, period, growth=mult)
    sgdr = ls.cosine_restarts(period, growth=mult, start=start, end=end)
    assert built == sgdr
    assert repr(built) == repr(sgdr)
    # The values agree with the general repeat node it replaces (rel 1e-12 of the schedule's
    # scale: near the end of a cycle 1 + cos cancels, and both trees round the angle).
    general = Repeat(cosine, period, float(mult), 1.0)
    scale = max(abs(start), abs(end))
    times = np.array(ts)
    for t, value in zip(ts, sgdr(times).tolist(), strict=True):
        assert math.isclose(sgdr(t), general(t), rel_tol=1e-12, abs_tol=1e-12 * scale), t
        assert math.isclose(value, general(t), rel_tol=1e-12, abs_tol=1e-12 * scale), t


def test_repeat_of_a_cosine_stays_a_repeat_when_it_is_not_sgdr() -> None:
    assert ls.repeat(ls.cosine(10), 10, growth=2) == ls.cosine_restarts(10, growth=2)
    assert ls.repeat(ls.cosine(10, 1, 0.1), 10) == ls.cosine_restarts(10, start=1, end=0.1)
    assert ls.parse("repeat(cosine(10), 10, growth=3)") == ls.cosine_restarts(10, growth=3)
    for other in (
        ls.repeat(ls.cosine(10), 10, growth=2, gamma=0.5),  # decaying cycles
        ls.repeat(ls.cosine(10), 10, growth=1.5),  # mult must be a whole number
        ls.repeat(ls.cosine(8), 10),  # the cosine ends before the cycle does
        ls.repeat(ls.linear(1, 0, 10), 10),  # not a cosine
        ls.repeat(ls.cosine(10, start=1e308, end=-1e308), 10),  # start - end overflows
    ):
        assert isinstance(other, Repeat), other


def test_repeat_far_in_the_future_is_never_nan() -> None:
    s = ls.repeat(ls.linear(0, 1, 1), 1, gamma=2.0)
    for t in (10**9, 1e15, 1e300):
        assert not math.isnan(s(t))
        assert not np.isnan(s(np.array([t]))).any()
    g = ls.repeat(ls.cosine(1), 1, growth=1.5)
    assert 0.0 <= g(1e300) <= 1.0
    assert g(np.array([1e300]))[0] == g(1e300)


# -- shift --------------------------------------------------------------------------------------


def test_shift_delays_and_holds_the_first_value() -> None:
    s = ls.shift(ls.cosine(10), 5)
    assert repr(s) == "shift(cosine(10), 5)"
    assert s.expansion == ls.concat([ls.constant(1), ls.cosine(10)], [5])  # type: ignore[attr-defined]
    assert [s(t) for t in (0, 4.9, 5, 10, 15, 100)] == [1.0, 1.0, 1.0, 0.5, 0.0, 0.0]
    assert ls.shift(ls.cosine(10), 5, before=0)(4) == 0.0
    assert ls.shift(ls.cosine(10), 0) == ls.cosine(10)


@given(transparent_schedules, st.floats(0.5, 100), st.lists(times, min_size=1, max_size=10))
def test_shift_law(s: ls.Schedule, delay: float, ts: list[float]) -> None:
    shifted = ls.shift(s, delay)
    for t in ts:
        expected = s(0) if t < delay else s(t - delay)
        assert close(shifted(t), expected)


def test_shift_validates() -> None:
    with pytest.raises(ls.ScheduleError, match=r"delay must be a finite number \(got inf\)"):
        ls.shift(ls.cosine(5), math.inf)
    with pytest.raises(ls.ScheduleError, match=r"before must be a finite number \(got inf\)"):
        ls.shift(ls.cosine(5), 1, before=math.inf)


def test_new_reprs_round_trip() -> None:
    for s in (
        ls.inverse_sqrt(4000),
        ls.repeat(ls.cosine(10, end=0.1), 10, growth=2, gamma=0.5),
        ls.piecewise_linear([(0, 0), (10, 1), (10, 0.5), (100, 0.1)]),
        ls.warmup_stable_decay(10, 80, 10, shape="cosine", end=0.1),
        ls.shift(ls.exponential(0.9), 3, before=0.5),
    ):
        assert eval(repr(s), vars(ls)) == s
        assert ls.parse(repr(s)) == s


def test_families_page_examples_run() -> None:
    page = Path(__file__).resolve().parent.parent / "docs" / "families.md"
    result = doctest.testfile(
        str(page), module_relative=False, optionflags=doctest.NORMALIZE_WHITESPACE
    )
    assert result.attempted > 25
    assert result.failed == 0
