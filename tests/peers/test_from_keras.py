"""`from_keras` against Keras itself, for every schedule class (numpy backend: float32).

Each example builds a Keras schedule, converts it three ways (the live object, the dict of
``keras.optimizers.schedules.serialize`` after a JSON round trip, and the class name with its
``get_config()`` as keywords), checks the three are equal, and compares the expression with
Keras at every step of a window around each boundary (+-1) and far past the end. Keras
computes in float32, so the tolerance is float32's (``F32``).
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import lrsched as ls
from lrsched.cli import main
from tests.peers._support import F32, FAR, agree, few, steps

os.environ.setdefault("KERAS_BACKEND", "numpy")  # before keras is first imported
keras = pytest.importorskip("keras")
schedules = keras.optimizers.schedules

DOCS = Path(__file__).resolve().parents[2] / "docs"


def at(schedule: Any, ts: list[int]) -> dict[int, float]:
    """Keras' values at the steps ``ts``: at once where its formula is vectorized."""
    try:
        out = np.asarray(schedule(np.asarray(ts, dtype=np.float64)), dtype=np.float64)
        out = np.broadcast_to(out, (len(ts),))
    except ValueError:  # PiecewiseConstantDecay, CosineDecay with a warmup: one step at a time,
        # as ints, like the optimizer's iteration count (PiecewiseConstantDecay casts its
        # boundaries to the step's type: 30.5 compares as 30, -0.5 as 0)
        out = np.array([float(np.asarray(schedule(t))) for t in ts])
    return dict(zip(ts, out.tolist(), strict=True))


def convert(peer: Any) -> ls.Schedule:
    """from_keras of the live object, equal to that of its serialized form and of its config."""
    ours = ls.from_keras(peer)
    serialized = json.loads(json.dumps(schedules.serialize(peer)))
    assert ls.from_keras(serialized) == ours
    assert ls.from_keras(type(peer).__name__, **peer.get_config()) == ours
    return ours


def check(
    peer: Any,
    ends: tuple[float, ...],
    *,
    far: tuple[int, ...] = FAR,
    floor: float = 1e-6,
    **kw: Any,
) -> ls.Schedule:
    ours = convert(peer)
    ts = steps(int(max(0, *ends)) + 3, *(e for e in ends if e >= 0), far=far)
    agree(ours, at(peer, ts), ts, rel=F32, floor=floor, **kw)
    return ours


lrs = st.floats(1e-3, 1.0)
decays = st.integers(1, 300)


def rounding_slack(lr: float, end: float, power: float, p: Any) -> Any:
    """Keras rounds p = t / n to float32 (a relative 2**-24); near the end of the decay
    ``(1 - p) ** power`` amplifies that by ``power * (1 - p) ** (power - 1)``."""

    def slack(t: int) -> float:
        q = float(p(t))
        return 4 * 2.0**-24 * q * power * abs(lr - end) * max(1 - q, 2.0**-24) ** (power - 1)

    return slack


@pytest.mark.parametrize("staircase", [False, True])
@few
@given(lr=lrs, n=decays, rate=st.floats(0.05, 0.99))
def test_exponential_decay(staircase: bool, lr: float, n: int, rate: float) -> None:
    peer = schedules.ExponentialDecay(lr, n, rate, staircase=staircase)
    check(peer, tuple(range(0, 6 * n + 1, n)))


@few
@given(
    bounds=st.lists(
        st.integers(-3, 300) | st.floats(-3.0, 300.0).map(lambda x: round(x, 2)),
        min_size=1,
        max_size=5,
        unique=True,
    ).map(sorted),
    data=st.data(),
)
def test_piecewise_constant_decay(bounds: list[float], data: st.DataObject) -> None:
    # Keras switches after a boundary (step > b): at whole steps, from floor(b) + 1 on.
    values = data.draw(st.lists(lrs, min_size=len(bounds) + 1, max_size=len(bounds) + 1))
    check(schedules.PiecewiseConstantDecay(bounds, values), tuple(bounds), floor=1e-7)


@few
@given(
    lr=lrs,
    n=decays | st.floats(0.5, 300.0),
    end_frac=st.sampled_from([0.0]) | st.floats(0.0, 0.5),
    power=st.sampled_from([1.0, 2.0, 0.0]) | st.floats(0.3, 3.0),
)
def test_polynomial_decay(lr: float, n: float, end_frac: float, power: float) -> None:
    end = end_frac * lr
    peer = schedules.PolynomialDecay(lr, n, end, power=power)
    slack = rounding_slack(lr, end, power, lambda t: min(t, n) / n)
    check(peer, (n,), slack=slack)


@few
@given(
    lr=lrs,
    n=decays,
    end_frac=st.floats(0.0, 0.5),
    power=st.sampled_from([1.0, 2.0]) | st.floats(0.3, 3.0),
)
def test_polynomial_decay_cycle(lr: float, n: int, end_frac: float, power: float) -> None:
    # Far out to 10**6 only: at 10**9 Keras' float32 t / n can round down to a whole number,
    # making its p > 1 and its (1 - p) ** power NaN (see tests/peers/test_keras.py).
    end = end_frac * lr
    peer = schedules.PolynomialDecay(lr, n, end, power=power, cycle=True)
    slack = rounding_slack(lr, end, power, lambda t: t / (n * max(1, -(-t // n))))
    check(peer, tuple(range(0, 6 * n + 1, n)), far=(10**6,), slack=slack)


@pytest.mark.parametrize("staircase", [False, True])
@few
@given(lr=lrs, n=decays, rate=st.sampled_from([0.0]) | st.floats(0.01, 5.0))
def test_inverse_time_decay(staircase: bool, lr: float, n: int, rate: float) -> None:
    peer = schedules.InverseTimeDecay(lr, n, rate, staircase=staircase)
    check(peer, tuple(range(0, 5 * n + 1, n)), floor=1e-7)


@few
@given(
    lr=st.sampled_from([0.0]) | lrs,
    n=st.integers(1, 1000),
    alpha=st.sampled_from([0.0]) | st.floats(0.0, 1.0),
    warmup=st.none() | st.tuples(lrs, st.integers(0, 300)),
)
def test_cosine_decay(lr: float, n: int, alpha: float, warmup: tuple[float, int] | None) -> None:
    if warmup is None:
        peer = schedules.CosineDecay(lr, n, alpha=alpha, warmup_steps=7)  # ignored by Keras
        ends: tuple[float, ...] = (n,)
    else:
        target, w = warmup
        peer = schedules.CosineDecay(lr, n, alpha=alpha, warmup_target=target, warmup_steps=w)
        ends = (w, w + n)
    check(peer, ends, floor=1e-7)


@few
@given(
    lr=lrs,
    first=st.integers(2, 300),
    t_mul=st.sampled_from([1.0, 2.0, 3.0]),
    m_mul=st.sampled_from([1.0]) | st.floats(0.3, 0.99),
    alpha=st.sampled_from([0.0]) | st.floats(0.01, 0.5),
)
def test_cosine_decay_restarts(
    lr: float, first: int, t_mul: float, m_mul: float, alpha: float
) -> None:
    # Far out to 10**5 only: Keras finds the cycle with a float32 logarithm, which misplaces
    # restarts by a step once the restart times are large (lrsched's are exact). Within a cycle
    # Keras' phase is t / first rounded to float32: its error, up to ~2 ulps of t / first,
    # moves the cosine by up to pi / 2 times that (slack).
    peer = schedules.CosineDecayRestarts(lr, first, t_mul=t_mul, m_mul=m_mul, alpha=alpha)
    count = 6 if t_mul == 1 else 4
    restarts = [
        first * i if t_mul == 1 else first * (t_mul**i - 1) / (t_mul - 1) for i in range(count)
    ]

    def slack(t: int) -> float:
        return lr * (1 - alpha) * np.pi * 2.0**-24 * (t / first + 1)

    check(peer, tuple(restarts), far=(10**4, 10**5), slack=slack)


def test_reprs_are_the_algebra() -> None:
    assert repr(ls.from_keras("ExponentialDecay", 0.1, 10, 0.5, staircase=True)) == (
        "0.1 * step(10, 0.5)"
    )
    assert repr(ls.from_keras("CosineDecayRestarts", 0.1, 100)) == (
        "cosine_restarts(100, growth=2, start=0.1)"
    )
    assert repr(ls.from_keras("InverseTimeDecay", 0.1, 10, 0.5)) == (
        "0.1 / (1 + 0.5 * (time() / 10))"
    )
    assert repr(ls.from_keras("PiecewiseConstantDecay", [0.5, 9.5, 9.7], [4, 3, 2, 1])) == (
        "concat([constant(4), constant(3), constant(1)], [1, 10])"  # 2 applies at no whole step
    )


class Halving(schedules.LearningRateSchedule):  # type: ignore[misc]
    def __call__(self, step: Any) -> Any:
        return 0.5**step

    def get_config(self) -> dict[str, Any]:
        return {}


class MyCosine(schedules.CosineDecay):  # type: ignore[misc]
    pass


@pytest.mark.parametrize(
    ("args", "kw", "message"),
    [
        (("StepDecay", 0.1), {}, "Keras has no schedule class 'StepDecay'"),
        (("CosineDecay", 0.1), {}, "Keras CosineDecay: missing a required argument: 'decay_steps'"),
        (("CosineDecay", 0.1, 10), {"beta": 1}, "got an unexpected keyword argument 'beta'"),
        (
            ("CosineDecay", {"initial_learning_rate": 0.1, "decay_steps": 10}),
            {},
            "pass a get_config() dict as keywords, from_keras('CosineDecay', **config)",
        ),
        (("CosineDecay", 0.1, 0), {}, "decay_steps must be > 0 (got 0)"),
        (
            ("CosineDecay", 0.1, 10),
            {"warmup_target": 0.2, "warmup_steps": -1},
            "warmup_steps must be >= 0",
        ),
        (("ExponentialDecay", 0.1, 10, 0.0), {}, "decay_rate must be > 0 (got 0.0)"),
        (
            ("ExponentialDecay", 0.1, 10, 0.5),
            {"staircase": "yes"},
            "staircase must be True or False",
        ),
        (("InverseTimeDecay", 0.1, 10, -0.5), {}, "decay_rate must be >= 0 (got -0.5)"),
        (
            ("PolynomialDecay", 0.1, 2.5),
            {"cycle": True},
            "decay_steps must be a whole number with cycle=True",
        ),
        (
            ("PolynomialDecay", 0.1, 10),
            {"power": -1.0},
            "Keras PolynomialDecay: power must be >= 0",
        ),
        (("PiecewiseConstantDecay", [10, 20], [1.0, 0.5]), {}, "one entry more than boundaries"),
        (
            ("PiecewiseConstantDecay", [20, 10], [1.0, 0.5, 0.1]),
            {},
            "boundaries must be increasing",
        ),
        (("PiecewiseConstantDecay", 10, [1.0, 0.5]), {}, "boundaries must be a list of numbers"),
        (("CosineDecayRestarts", 0.1, 10), {"t_mul": 0.5}, "t_mul must be >= 1 (got 0.5)"),
        (("CosineDecayRestarts", 0.1, 10), {"m_mul": 0.0}, "m_mul must be > 0 (got 0.0)"),
        (({"class_name": "CosineDecay"},), {}, "has 'class_name' and 'config'"),
        (
            ({"module": "mylib", "class_name": "CosineDecay", "config": {}},),
            {},
            "module 'mylib' is not Keras'",
        ),
        (
            ({"class_name": "Halving", "config": {}, "registered_name": "Custom>Halving"},),
            {},
            "is a custom class",
        ),
        ((Halving(),), {}, "Halving is not one of Keras' schedule classes"),
        ((MyCosine(0.1, 10),), {}, "MyCosine is not one of Keras' schedule classes"),
        ((schedules.CosineDecay(0.1, 10), 5), {}, "arguments follow a class name only"),
    ],
)
def test_refused_with_the_reason(args: tuple[Any, ...], kw: dict[str, Any], message: str) -> None:
    with pytest.raises(ls.ScheduleError) as caught:
        ls.from_keras(*args, **kw)
    assert message in str(caught.value)


# -- the command line -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "peer"),
    [
        (
            "keras:CosineDecay(initial_learning_rate=0.1, decay_steps=1000)",
            schedules.CosineDecay(initial_learning_rate=0.1, decay_steps=1000),
        ),
        (
            "keras:CosineDecay(0.0, 100, alpha=0.1, warmup_target=0.1, warmup_steps=10)",
            schedules.CosineDecay(0.0, 100, alpha=0.1, warmup_target=0.1, warmup_steps=10),
        ),
        (
            "keras:PiecewiseConstantDecay([30, 60], [0.1, 0.05, 0.01])",
            schedules.PiecewiseConstantDecay([30, 60], [0.1, 0.05, 0.01]),
        ),
        (
            "keras:PolynomialDecay(0.1, 100, 0.001, power=2.0, cycle=True)",
            schedules.PolynomialDecay(0.1, 100, 0.001, power=2.0, cycle=True),
        ),
    ],
)
def test_command_line_reads_keras_spelling(text: str, peer: Any, capsys: Any) -> None:
    assert main(["convert", text, "--to", "text"]) == 0
    out = capsys.readouterr().out.strip()
    assert out == repr(ls.from_keras(peer))
    ts = steps(1003, 10, 30, 60, 100, 110, 1000)
    agree(ls.parse(out), at(peer, ts), ts, rel=F32, floor=1e-6)


# -- docs/migration-keras.md ------------------------------------------------------------------
