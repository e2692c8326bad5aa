"""torch's CyclicLR with a custom scale_fn, of the cycle number or of the iteration."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

import lrsched as ls
from tests.peers._support import agree, few, steps

torch = pytest.importorskip("torch")


def lrs(sched: object, opt: object, ts: list[int]) -> dict[int, float]:
    opt.step()  # type: ignore[attr-defined]  # no gradients: nothing moves; no order warning
    out = {}
    for t in ts:
        sched.last_epoch = t - 1  # type: ignore[attr-defined]  # CyclicLR is closed-form in t
        sched.step()  # type: ignore[attr-defined]
        out[t] = opt.param_groups[0]["lr"]  # type: ignore[attr-defined]
    return out


def decay(k: int) -> float:
    return 0.8 ** (k - 1) / (1 + 0.01 * k)


def half_life(k: int) -> float:
    return 1 / (1 + k / 1000)


@pytest.mark.parametrize("mode", ["cycle", "iterations"])
@few
@given(
    lo=st.floats(1e-4, 0.1),
    height=st.floats(1e-3, 1.0),
    up=st.integers(1, 50),
    down=st.integers(1, 50),
)
def test_custom_scale_fn(mode: str, lo: float, height: float, up: int, down: int) -> None:
    hi = lo + height
    fn = decay if mode == "cycle" else half_life
    opt = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=lo)
    sched = torch.optim.lr_scheduler.CyclicLR(
        opt,
        lo,
        hi,
        step_size_up=up,
        step_size_down=down,
        scale_fn=fn,
        scale_mode=mode,
        cycle_momentum=False,
    )
    c = up + down
    # lr = base + (max - base) * triangle * scale_fn(cycle or t), cycle = floor(1 + t / c):
    # the callable read at a clock that is itself a schedule.
    scale = ls.compose(ls.function(fn), 1 + ls.time() / c) if mode == "cycle" else ls.function(fn)
    ours = lo + ls.cyclic(0, hi - lo, up, down) * scale
    ts = steps(6 * c, *(k * c + d for k in range(6) for d in (0, up)), far=(10**6, 10**9))
    agree(ours, lrs(sched, opt, ts), ts)
    assert math.isfinite(ours(10**9))
