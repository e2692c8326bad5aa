"""optax's cosine decays with an exponent and a floor (float64: jax with x64 enabled)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import lrsched as ls
from tests.peers._support import agree, few, steps

jax = pytest.importorskip("jax")
optax = pytest.importorskip("optax")
# optax's float64 path, compared at rel 1e-12 (without x64 jax computes in float32).
jax.config.update("jax_enable_x64", True)  # noqa: FBT003 (jax's API)


def values(schedule: object, ts: list[int]) -> dict[int, float]:
    out = np.asarray(schedule(jax.numpy.asarray(ts, dtype=jax.numpy.float64)))  # type: ignore[operator]
    assert out.dtype == np.float64
    return dict(zip(ts, out.tolist(), strict=True))


def cosine_decay(init: float, decay_steps: int, alpha: float, exponent: float) -> ls.Schedule:
    """The migration page's expression for optax.cosine_decay_schedule."""
    return init * ((1 - alpha) * ls.cosine(decay_steps) ** exponent + alpha)


def test_cosine_decay_with_exponent_1_5() -> None:
    peer = optax.cosine_decay_schedule(0.1, 1000, exponent=1.5)
    ts = steps(1003, 1000)
    agree(cosine_decay(0.1, 1000, 0.0, 1.5), values(peer, ts), ts)


@few
@given(
    init=st.floats(1e-5, 10.0),
    decay_steps=st.integers(1, 3000),
    alpha=st.floats(0.0, 0.9),
    exponent=st.floats(0.25, 4.0),
)
def test_cosine_decay_with_a_floor_and_an_exponent(
    init: float, decay_steps: int, alpha: float, exponent: float
) -> None:
    peer = optax.cosine_decay_schedule(init, decay_steps, alpha=alpha, exponent=exponent)
    ts = steps(decay_steps + 2, decay_steps)
    agree(cosine_decay(init, decay_steps, alpha, exponent), values(peer, ts), ts)


@few
@given(
    peak=st.floats(1e-4, 1.0),
    warmup=st.integers(1, 200),
    decay=st.integers(1, 2000),
    end=st.floats(0.0, 1e-4),
    exponent=st.floats(0.5, 3.0),
)
def test_warmup_cosine_decay_with_an_exponent(
    peak: float, warmup: int, decay: int, end: float, exponent: float
) -> None:
    # optax counts the warmup inside decay_steps (see the migration page).
    total = warmup + decay
    peer = optax.warmup_cosine_decay_schedule(0.0, peak, warmup, total, end, exponent=exponent)
    alpha = end / peak
    ours = ls.concat(
        [ls.linear(0, peak, warmup), cosine_decay(peak, decay, alpha, exponent)], [warmup]
    )
    ts = steps(total + 2, warmup, total)
    agree(ours, values(peer, ts), ts)


# -- the rest of the migration page's optax table --------------------------------------------


@pytest.mark.parametrize(
    ("peer", "ours", "ends"),
    [
        (
            optax.linear_schedule(0.1, 0.01, 50, transition_begin=7),
            ls.shift(ls.linear(0.1, 0.01, 50), 7),
            (7, 57),
        ),
        (
            optax.polynomial_schedule(0.1, 0.01, 2.5, 40, transition_begin=3),
            ls.shift(ls.polynomial(40, power=2.5, start=0.1, end=0.01), 3),
            (3, 43),
        ),
        (optax.exponential_decay(0.1, 10, 0.5), 0.1 * ls.stretch(ls.exponential(0.5), 10), (10,)),
        (optax.exponential_decay(0.1, 10, 0.5, staircase=True), 0.1 * ls.step(10, 0.5), (10, 20)),
        (
            optax.exponential_decay(0.1, 10, 0.5, end_value=0.01),
            ls.clamp(0.1 * ls.stretch(ls.exponential(0.5), 10), low=0.01),
            (10, 33, 34),
        ),
        (optax.cosine_decay_schedule(0.1, 100, alpha=0.1), 0.1 * ls.cosine(100, end=0.1), (100,)),
        (
            optax.piecewise_constant_schedule(0.1, {30: 0.5, 60: 0.2}),
            ls.concat(
                [ls.constant(0.1), ls.constant(0.1 * 0.5), ls.constant(0.1 * 0.5 * 0.2)], [30, 60]
            ),
            (30, 60),
        ),
    ],
    ids=["linear", "polynomial", "exponential", "staircase", "end_value", "cosine", "piecewise"],
)
def test_migration_table(peer: object, ours: ls.Schedule, ends: tuple[int, ...]) -> None:
    ts = steps(max(ends) + 3, *ends)
    agree(ours, values(peer, ts), ts)
