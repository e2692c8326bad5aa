"""Seeded noise: torch's CPU generator reproduced bit for bit (as timm draws its lr noise)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import lrsched as ls

torch = pytest.importorskip("torch")


def timm_noise(seed: int, limit: float, std: float, distribution: str) -> float:
    g = torch.Generator()
    g.manual_seed(seed)
    if distribution == "uniform":
        return 2 * (torch.rand(1, generator=g).item() - 0.5) * limit
    while True:
        value = torch.randn(1, generator=g).item() * std
        if abs(value) < limit:
            return float(value)


@settings(max_examples=max(10, settings.default.max_examples // 4))
@given(
    limit=st.floats(0.01, 0.95),
    std=st.floats(0.3, 3.0),
    seed=st.integers(0, 2**62),
    distribution=st.sampled_from(["normal", "uniform"]),
)
def test_draws_are_torch_generators_bit_for_bit(
    limit: float, std: float, seed: int, distribution: str
) -> None:
    std = std if distribution == "normal" else 1.0
    n = ls.noise(limit, std=std, seed=seed, distribution=distribution)
    steps = [*range(300), 10**6, 10**9, 2**32 - 1, 2**40]
    expected = [timm_noise(seed + k, limit, std, distribution) for k in steps]
    assert n(np.array(steps, dtype=np.float64)).tolist() == expected
    assert [n(k) for k in steps] == expected
    assert [n(k + 0.5) for k in steps[:20]] == expected[:20]  # held between whole steps


def test_the_seed_counts_modulo_2_to_the_32_and_values_stay_within_the_limit() -> None:
    assert ls.noise(0.5, seed=2**32 + 7) == ls.noise(0.5, seed=7)
    values = ls.noise(0.1, seed=3)(np.arange(10_000.0))
    assert np.abs(values).max() < 0.1
    assert ls.noise(0.1, seed=3).extrema(10_000) == (values.min(), values.max())


def test_refusals_and_spelling() -> None:
    assert repr(ls.noise(0.67)) == "noise(0.67)"
    assert repr(ls.noise(0.5, seed=1, distribution="uniform")) == (
        "noise(0.5, seed=1, distribution='uniform')"
    )
    with pytest.raises(ls.ScheduleError, match=r"std is only used with distribution='normal'"):
        ls.noise(0.5, std=2, distribution="uniform")
    with pytest.raises(ls.ScheduleError, match=r"limit / std must be >= 0.001"):
        ls.noise(1e-4, std=1)
    with pytest.raises(ls.ScheduleError, match=r"limit must be > 0"):
        ls.noise(0)
