"""Hugging Face transformers' WSD schedule: every warmup and decay type, with a floor."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

import lrsched as ls
from tests.peers._support import agree, few, steps

torch = pytest.importorskip("torch")
transformers = pytest.importorskip("transformers")

TYPES = ("linear", "cosine", "1-sqrt")
SHAPES = {"linear": "linear", "cosine": "cosine", "1-sqrt": "sqrt"}  # HF's name -> lrsched's


def lambda_of(**kwargs: object) -> object:
    """The scheduler's lr_lambda: a pure function of the step, evaluated at any step."""
    opt = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=1.0)
    sched = transformers.get_wsd_schedule(opt, **kwargs)
    return sched.lr_lambdas[0]


def wsd(
    warmup: int, stable: int, decay: int, m: float, warmup_type: str, decay_type: str
) -> ls.Schedule:
    """The migration page's expression for get_wsd_schedule (the factor of the base lr)."""
    return ls.warmup_stable_decay(
        warmup,
        stable,
        decay,
        start=m,
        end=m,
        shape=SHAPES[decay_type],
        warmup_shape=SHAPES[warmup_type],
    )


@pytest.mark.parametrize("decay_type", TYPES)
@pytest.mark.parametrize("warmup_type", TYPES)
def test_wsd_every_warmup_and_decay_type(warmup_type: str, decay_type: str) -> None:
    f = lambda_of(
        num_warmup_steps=100,
        num_stable_steps=800,
        num_decay_steps=100,
        warmup_type=warmup_type,
        decay_type=decay_type,
        min_lr_ratio=0.01,
    )
    ts = steps(1003, 100, 900, 1000)
    agree(wsd(100, 800, 100, 0.01, warmup_type, decay_type), f, ts)


@few
@given(
    warmup=st.integers(1, 300),
    stable=st.integers(0, 500),
    decay=st.integers(1, 500),
    m=st.sampled_from([0.0, 0.1]) | st.floats(0.0, 0.5),
    warmup_type=st.sampled_from(TYPES),
)
def test_wsd_one_minus_sqrt_decay(
    warmup: int, stable: int, decay: int, m: float, warmup_type: str
) -> None:
    f = lambda_of(
        num_warmup_steps=warmup,
        num_stable_steps=stable,
        num_decay_steps=decay,
        warmup_type=warmup_type,
        decay_type="1-sqrt",
        min_lr_ratio=m,
    )
    end = warmup + stable + decay
    ts = steps(end + 2, warmup, warmup + stable, end)
    agree(wsd(warmup, stable, decay, m, warmup_type, "1-sqrt"), f, ts)


def test_wsd_sqrt_shape_reads_as_written() -> None:
    s = ls.warmup_stable_decay(10, 80, 10, shape="sqrt")
    assert repr(s) == "warmup_stable_decay(10, 80, 10, shape='sqrt')"
    assert s(90) == 1.0
    assert s(91) == pytest.approx(1 - 0.1**0.5, rel=1e-15)
    assert s(100) == s(10**9) == 0.0


# -- the rest of the migration page's transformers table -------------------------------------


def factor(name: str, *args: object, **kwargs: object) -> object:
    opt = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=0.5)
    return getattr(transformers, name)(opt, *args, **kwargs).lr_lambdas[0]


@pytest.mark.parametrize(
    ("peer", "ours", "ends"),
    [
        (factor("get_constant_schedule_with_warmup", 10), ls.warmup(ls.constant(1), 10), (10,)),
        (
            factor("get_linear_schedule_with_warmup", 10, 110),
            ls.warmup(ls.linear(1, 0, 100), 10),
            (10, 110),
        ),
        (
            factor("get_cosine_schedule_with_warmup", 10, 110, num_cycles=1.5),
            ls.warmup(ls.cosine(100 / 3, periodic=True), 10),
            (10, 110),
        ),
        (
            factor("get_cosine_with_hard_restarts_schedule_with_warmup", 10, 110, num_cycles=3),
            ls.warmup(
                ls.concat([ls.repeat(ls.cosine(100 / 3), 100 / 3), ls.constant(0)], [100]), 10
            ),
            (10, 43, 44, 76, 77, 110),
        ),
        (
            factor("get_polynomial_decay_schedule_with_warmup", 10, 110, lr_end=1e-3, power=2.0),
            ls.warmup(ls.polynomial(100, power=2, end=1e-3 / 0.5), 10),
            (10, 110),
        ),
        (
            factor("get_inverse_sqrt_schedule", 10, timescale=25),
            ls.warmup(ls.inverse_sqrt(25), 10),
            (10,),
        ),
    ],
    ids=["constant", "linear", "cosine", "hard_restarts", "polynomial", "inverse_sqrt"],
)
def test_migration_table(peer: object, ours: ls.Schedule, ends: tuple[int, ...]) -> None:
    agree(ours, peer, steps(max(ends) + 3, *ends))  # type: ignore[arg-type]
