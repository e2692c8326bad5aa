"""`from_hf` and `from_torch` against transformers itself, for every name of get_scheduler.

Each example builds HF's scheduler with ``get_scheduler`` and compares, at every step of a
window around each boundary and far past the end: ``from_hf``'s expression with the lambda
(the factor), and ``from_torch``'s conversion of the live scheduler with the lr (factor times
the optimizer's lr).
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

import lrsched as ls
from tests.peers._support import agree, few, steps

torch = pytest.importorskip("torch")
transformers = pytest.importorskip("transformers")

LR = 0.5


def hf(name: str, w: int | None, n: int | None, **kw: Any) -> Any:
    opt = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=LR)
    return transformers.get_scheduler(name, opt, w, n, scheduler_specific_kwargs=kw)


def phase_slack(w: int, n: int, cycles: float) -> Callable[[int], float]:
    """HF's own rounding of a periodic cosine far past the end.

    HF evaluates ``cos(2 pi c (t - w) / (n - w))`` at the raw argument, which at t = 1e9 has
    lost ~1e-7 of a radian's ulps relative to lrsched's reduced phase: half the argument's
    rounding (8 ulps of it), the bound of ``0.5 * cos``'s slope.
    """
    rate = 2 * math.pi * cycles / max(1, n - w)
    return lambda t: 0.5 * 8 * 2.2e-16 * rate * abs(t - w + 1)


def check(
    name: str, w: int, n: int, *ends: int, cycles: float = 0.0, total: bool = True, **kw: Any
) -> ls.Schedule:
    """Compare from_hf and from_torch with HF's lambda at the boundaries +-1 and far out."""
    sched = hf(name, w, n if total else None, **kw)
    ours = ls.from_hf(name, w, n if total else None, lr=LR, **kw)
    ts = steps(max(w, n, *ends) + 3, w, n, *ends)
    lam = sched.lr_lambdas[0]
    slack = phase_slack(w, n, cycles)
    agree(ours, lam, ts, slack=slack)
    (converted,) = ls.from_torch(sched)
    agree(converted, lambda t: LR * lam(t), ts, slack=lambda t: LR * slack(t))
    assert "function(" not in repr(converted)
    return ours


warmups = st.integers(0, 60)
spans = st.integers(1, 300)


@few
@given(w=warmups, d=spans, name=st.sampled_from(["linear", "constant_with_warmup", "constant"]))
def test_linear_and_constant(w: int, d: int, name: str) -> None:
    check(name, w, w + d)


@few
@given(w=warmups, d=spans, c=st.sampled_from([0.5, 1.0, 1.5]) | st.floats(0.05, 4.0))
def test_cosine(w: int, d: int, c: float) -> None:
    check("cosine", w, w + d, num_cycles=c, cycles=c)


@few
@given(w=warmups, d=spans, c=st.integers(1, 6), m=st.floats(0.0, 0.9))
def test_cosine_with_restarts_and_min_lr(w: int, d: int, c: int, m: float) -> None:
    check("cosine_with_restarts", w, w + d, *(w + d * k // c for k in range(c)), num_cycles=c)
    check("cosine_with_min_lr", w, w + d, num_cycles=c / 2, min_lr_rate=m, cycles=c / 2)
    check("cosine_with_min_lr", w, w + d, min_lr=m * LR, cycles=0.5)


@few
@given(
    w=warmups,
    d=spans,
    m=st.floats(0.0, 0.9),
    r=st.none() | st.floats(0.0, 1.0),
    c=st.sampled_from([0.5, 1.0]),
)
def test_cosine_warmup_with_min_lr(w: int, d: int, m: float, r: float | None, c: float) -> None:
    kw: dict[str, Any] = {"min_lr_rate": m, "num_cycles": c}
    if r is not None:
        kw["warmup_lr_rate"] = r
    check("cosine_warmup_with_min_lr", w, w + d, cycles=c, **kw)


@few
@given(
    w=warmups,
    d=spans,
    p=st.sampled_from([1.0, 2.0, 0.5]) | st.floats(0.1, 4.0),
    e=st.sampled_from([1e-7, 0.0]) | st.floats(0.0, LR * 0.99),
)
def test_polynomial(w: int, d: int, p: float, e: float) -> None:
    check("polynomial", w, w + d, lr_end=e, power=p)


@few
@given(w=st.integers(0, 60), s=st.none() | st.integers(1, 500))
def test_inverse_sqrt(w: int, s: int | None) -> None:
    check("inverse_sqrt", w, 0, 1000, timescale=s)


@few
@given(
    w=warmups,
    s=st.integers(0, 200),
    d=st.integers(1, 200),
    m=st.floats(0.0, 0.5),
    types=st.tuples(*[st.sampled_from(["linear", "cosine", "1-sqrt"])] * 2),
    by_total=st.booleans(),
)
def test_warmup_stable_decay(
    w: int, s: int, d: int, m: float, types: tuple[str, str], *, by_total: bool
) -> None:
    kw: dict[str, Any] = {
        "num_decay_steps": d,
        "min_lr_ratio": m,
        "warmup_type": types[0],
        "decay_type": types[1],
    }
    if not by_total:
        kw["num_stable_steps"] = s
    check("warmup_stable_decay", w, w + s + d, w + s, total=by_total, **kw)


def test_reprs_are_the_algebra() -> None:
    assert repr(ls.from_hf("cosine", 10, 110)) == "warmup(cosine(100, periodic=True), 10)"
    assert repr(ls.from_hf("constant", 10, 110)) == "constant(1)"  # HF ignores the warmup
    wsd = ls.from_hf("warmup_stable_decay", 10, 100, num_decay_steps=20, decay_type="1-sqrt")
    assert repr(wsd) == "warmup_stable_decay(10, 70, 20, shape='sqrt')"
    (converted,) = ls.from_torch(hf("linear", 10, 110))
    assert repr(converted) == "0.5 * warmup(linear(1, 0, 100), 10)"


@pytest.mark.parametrize(
    ("args", "kw", "message"),
    [
        (("reduce_lr_on_plateau",), {}, "follows the loss"),
        (("greedy",), {}, "follows the loss"),
        (("cosine_annealing", 1, 2), {}, "no scheduler 'cosine_annealing'"),
        (("linear", None, 100), {}, "requires num_warmup_steps"),
        (("cosine", 10), {}, "requires num_training_steps"),
        (("linear", 10, 10), {}, "must exceed num_warmup_steps"),
        (("linear", 1.5, 10), {}, "num_warmup_steps must be an integer"),
        (("cosine", 1, 10), {"power": 2}, "unknown parameters ['power']"),
        (("polynomial", 1, 10), {}, "give the optimizer's lr as lr="),
        (("polynomial", 1, 10), {"lr": 1e-8}, "must be smaller than the initial lr"),
        (("cosine_with_min_lr", 1, 10), {}, "one of min_lr or min_lr_rate"),
        (("cosine_with_min_lr", 1, 10), {"min_lr": 0.1}, "give the optimizer's lr"),
        (("warmup_stable_decay", 1, 10), {}, "requires num_decay_steps"),
        (
            ("warmup_stable_decay", 1, 10),
            {"num_decay_steps": 4, "num_cycles": 1.0},
            "only 0.5 converts",
        ),
    ],
)
def test_refused_with_the_reason(args: tuple[Any, ...], kw: dict[str, Any], message: str) -> None:
    with pytest.raises(ls.ScheduleError, match=message.replace("[", r"\[").replace("(", r"\(")):
        ls.from_hf(*args, **kw)


def test_unreproducible_hf_lambda_stays_wrapped() -> None:
    # transformers' WSD with a cosine decay of 1 cycle: exact only as the lambda itself.
    opt = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=LR)
    sched = transformers.get_wsd_schedule(opt, 5, 10, num_stable_steps=5, num_cycles=1.0)
    (converted,) = ls.from_torch(sched)
    assert repr(converted).startswith("0.5 * function(")
    assert converted(12) == LR * sched.lr_lambdas[0](12)


def test_other_partials_stay_wrapped() -> None:
    def mine(t: int, *, k: float) -> float:
        return k * t

    opt = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=LR)
    sched = torch.optim.lr_scheduler.LambdaLR(opt, functools.partial(mine, k=2.0))
    (converted,) = ls.from_torch(sched)
    assert repr(converted).startswith("0.5 * function(")
    assert converted(3) == 3.0
