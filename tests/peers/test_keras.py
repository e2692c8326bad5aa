"""Keras schedules (numpy backend, which computes in float32: compared at float32 precision)."""

from __future__ import annotations

import os
from typing import Any

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import lrsched as ls
from tests.peers._support import F32, agree, few, steps

os.environ.setdefault("KERAS_BACKEND", "numpy")  # before keras is first imported
keras = pytest.importorskip("keras")
schedules = keras.optimizers.schedules


def at(schedule: object, ts: list[int]) -> dict[int, float]:
    """The schedule's values at the steps ``ts``: at once where Keras' formula is vectorized."""
    f: Any = schedule
    try:
        values = np.asarray(f(np.asarray(ts, dtype=np.float64)), dtype=np.float64).tolist()
    except ValueError:  # PiecewiseConstantDecay, CosineDecay with a warmup: one step at a time
        values = [float(np.asarray(f(t))) for t in ts]
    return dict(zip(ts, values, strict=True))


@pytest.mark.parametrize("t_mul", [1.0, 2.0])
@few
@given(
    lr=st.floats(1e-3, 1.0),
    first=st.integers(2, 300),
    m_mul=st.floats(0.3, 0.99),
    alpha=st.floats(0.01, 0.5),
)
def test_cosine_decay_restarts_decaying_peaks_over_a_fixed_floor(
    t_mul: float, lr: float, first: int, m_mul: float, alpha: float
) -> None:
    # Keras scales each cycle's cosine by m_mul**i but not the floor alpha: repeat's gamma
    # scales a whole cycle, so the floor is added outside the repeat.
    peer = schedules.CosineDecayRestarts(lr, first, t_mul=t_mul, m_mul=m_mul, alpha=alpha)
    cycles = ls.repeat(ls.cosine(first), first, growth=t_mul, gamma=m_mul)
    ours = lr * alpha + lr * (1 - alpha) * cycles
    restarts = [first * (t_mul**i - 1) / (t_mul - 1) if t_mul != 1 else first * i for i in range(6)]
    ts = steps(int(restarts[-1]) + 2, *restarts, far=(10**4, 10**5))
    agree(ours, at(peer, ts), ts, rel=F32, floor=1e-6)


@few
@given(
    lr=st.floats(1e-3, 1.0),
    decay_steps=st.integers(1, 300),
    end_frac=st.floats(0.0, 0.5),
    power=st.floats(0.3, 3.0),
)
def test_polynomial_decay_cycle(lr: float, decay_steps: int, end_frac: float, power: float) -> None:
    # Keras restarts at each multiple of decay_steps with the decay stretched to the next
    # multiple: at integer step t the length is decay_steps * ceil(t / decay_steps) (at least one
    # decay_steps). That length is a staircase of time, held over (k*D, (k+1)*D].
    end = end_frac * lr
    peer = schedules.PolynomialDecay(lr, decay_steps, end, power=power, cycle=True)
    length = ls.shift(decay_steps + ls.staircase(ls.time(), decay_steps), 1)
    ours = ls.compose(ls.polynomial(1, power=power, start=lr, end=end), ls.time() / length)
    # Far out only to 10**6: at 10**9 Keras' float32 t / decay_steps has no fractional digits
    # left and may round down to a whole number k < t / decay_steps; the decay length is then
    # decay_steps * k < t, p = t / length > 1 and (1 - p) ** power is NaN, with numpy's
    # RuntimeWarning "invalid value encountered in power" (decay_steps = 7, 14, 28, 56, 97, ...:
    # 14 of 1..300). At 10**6 float32 keeps t / decay_steps above k for every decay_steps <= 300.
    ts = steps(6 * decay_steps + 2, *range(0, 6 * decay_steps + 1, decay_steps), far=(10**6,))

    def slack(t: int) -> float:
        # Keras rounds p = t / length to float32 (a relative 2**-24); near the end of a cycle
        # 1 - p is small and (1 - p) ** power amplifies that by power * (1 - p) ** (power - 1).
        p = float(t / length(t))
        return 4 * 2.0**-24 * p * power * (lr - end) * max(1 - p, 2.0**-24) ** (power - 1)

    agree(ours, at(peer, ts), ts, rel=F32, floor=1e-6, slack=slack)


@pytest.mark.parametrize("staircase", [False, True])
@few
@given(lr=st.floats(1e-3, 1.0), decay_steps=st.integers(1, 200), rate=st.floats(0.01, 5.0))
def test_inverse_time_decay(staircase: bool, lr: float, decay_steps: int, rate: float) -> None:
    # lr / (1 + rate * t / decay_steps); staircase=True floors t / decay_steps: the same shape,
    # held piecewise constant.
    peer = schedules.InverseTimeDecay(lr, decay_steps, rate, staircase=staircase)
    smooth = lr / (1 + rate * ls.time() / decay_steps)
    ours = ls.staircase(smooth, decay_steps) if staircase else smooth
    ts = steps(5 * decay_steps + 2, *range(0, 5 * decay_steps + 1, decay_steps))
    agree(ours, at(peer, ts), ts, rel=F32, floor=1e-7)


# -- the rest of the migration page's Keras table --------------------------------------------


@pytest.mark.parametrize(
    ("peer", "ours", "ends"),
    [
        (
            schedules.ExponentialDecay(0.1, 10, 0.5),
            0.1 * ls.stretch(ls.exponential(0.5), 10),
            (10,),
        ),
        (
            schedules.ExponentialDecay(0.1, 10, 0.5, staircase=True),
            0.1 * ls.step(10, 0.5),
            (10, 20),
        ),
        (
            schedules.PiecewiseConstantDecay([30, 60], [0.1, 0.05, 0.01]),
            ls.concat([ls.constant(0.1), ls.constant(0.05), ls.constant(0.01)], [31, 61]),
            (30, 60),
        ),
        (
            schedules.PolynomialDecay(0.1, 100, 0.001, power=2.0),
            ls.polynomial(100, power=2, start=0.1, end=0.001),
            (100,),
        ),
        (schedules.CosineDecay(0.1, 100, alpha=0.1), 0.1 * ls.cosine(100, end=0.1), (100,)),
        (
            schedules.CosineDecay(0.0, 100, alpha=0.1, warmup_target=0.1, warmup_steps=10),
            ls.concat([ls.linear(0, 0.1, 10), 0.1 * ls.cosine(100, end=0.1)], [10]),
            (10, 110),
        ),
    ],
    ids=["exponential", "staircase", "piecewise", "polynomial", "cosine", "cosine_warmup"],
)
def test_migration_table(peer: object, ours: ls.Schedule, ends: tuple[int, ...]) -> None:
    ts = steps(max(ends) + 3, *ends)
    agree(ours, at(peer, ts), ts, rel=F32, floor=1e-7)
