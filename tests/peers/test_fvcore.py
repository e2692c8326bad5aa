"""fvcore's (detectron2's) CompositeParamScheduler with "fixed" interval scaling of a cosine."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

import lrsched as ls
from tests.peers._support import FAR, agree, few, steps

ps = pytest.importorskip("fvcore.common.param_scheduler")


def switch(n: int, length: float) -> int:
    """The first step t whose ``where = t / n`` fvcore gives to the second scheduler.

    fvcore adds ``WHERE_EPSILON`` (1e-6) to ``where`` before comparing it with the running
    total of ``lengths``; with ``n`` steps that moves the switch by ``1e-6 * n`` steps.
    """
    t = 0
    while t / n + ps.CompositeParamScheduler.WHERE_EPSILON <= length:
        t += 1
    return t


@few
@given(
    n=st.integers(10, 4000),
    length=st.floats(0.05, 0.9),
    start=st.floats(1e-3, 1.0),
    end_frac=st.floats(0.0, 0.5),
    warm=st.floats(0.0, 1.0),
)
def test_composite_fixed_cosine_after_a_rescaled_warmup(
    n: int, length: float, start: float, end_frac: float, warm: float
) -> None:
    end = end_frac * start
    peer = ps.CompositeParamScheduler(
        [ps.LinearParamScheduler(warm * start, start), ps.CosineParamScheduler(start, end)],
        lengths=[length, 1 - length],
        interval_scaling=["rescaled", "fixed"],
    )
    b = switch(n, length)
    # The warmup is "rescaled" (it fills its interval) and the cosine "fixed" (on the global
    # clock): entered part-way at b (a negative shift). fvcore's cosine formula is periodic past
    # where = 1; detectron2 never goes there, plain cosine(n, ...) is the same up to n.
    cosine = ls.cosine(n, start=start, end=end, periodic=True)
    ours = ls.concat([ls.linear(warm * start, start, length * n), ls.shift(cosine, -b)], [b])
    agree(ours, lambda t: peer(t / n), steps(n + 2, b, n, far=()))
    # Far out the periodic cosine's angle pi * t / n carries a rounding error of about
    # pi * (t / n) * 2**-53 in either formula, which the value inherits.
    agree(ours, lambda t: peer(t / n), FAR, slack=lambda t: 2e-15 * (start - end) * t / n)


def test_the_docstring_example() -> None:
    # fvcore's own example: 0.42 for the first 30 %, then a cosine from 0.42 to 1e-4 on the
    # global clock ("fixed": it starts part-way down).
    peer = ps.CompositeParamScheduler(
        [ps.ConstantParamScheduler(0.42), ps.CosineParamScheduler(0.42, 0.0001)],
        lengths=[0.3, 0.7],
        interval_scaling=["rescaled", "fixed"],
    )
    n = 1000
    ours = ls.concat(
        [ls.constant(0.42), ls.shift(ls.cosine(n, start=0.42, end=1e-4, periodic=True), -300)],
        [300],
    )
    agree(ours, lambda t: peer(t / n), steps(n + 2, 300, n))


@pytest.mark.parametrize(
    ("peer", "ours"),
    [
        (ps.ConstantParamScheduler(0.3), ls.constant(0.3)),
        (ps.LinearParamScheduler(0.1, 0.01), ls.linear(0.1, 0.01, 500)),
        (ps.CosineParamScheduler(0.1, 0.01), ls.cosine(500, start=0.1, end=0.01, periodic=True)),
        (ps.ExponentialParamScheduler(0.1, 0.02), 0.1 * ls.stretch(ls.exponential(0.02), 500)),
        (ps.PolynomialDecayParamScheduler(0.1, 2.0), 0.1 * ls.polynomial(500, power=2)),
    ],
    ids=["constant", "linear", "cosine", "exponential", "polynomial"],
)
def test_migration_table(peer: object, ours: ls.Schedule) -> None:
    # Over max_iter = 500 steps: where = t / 500 in [0, 1) (the linear one extrapolates past 1).
    agree(ours, lambda t: peer(t / 500), range(500))  # type: ignore[operator]
