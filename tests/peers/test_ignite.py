"""ignite's CosineAnnealingScheduler: each cycle length is the last times cycle_mult, int()-ed."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

import lrsched as ls
from tests.peers._support import agree, few

pytest.importorskip("torch")
handlers = pytest.importorskip("ignite.handlers")

EVENTS = 5_000  # ignite is stateful: its values come from simulating every event from 0


def simulated(events: int = EVENTS, **kwargs: object) -> dict[int, float]:
    rows = handlers.CosineAnnealingScheduler.simulate_values(events, param_name="lr", **kwargs)
    return {int(i): float(v) for i, v in rows}


def cycle_starts(size: int, mult: float) -> list[int]:
    starts, start = [0], 0
    while start < EVENTS:
        start += size
        size = int(size * mult)
        starts.append(start)
    return starts


def near(points: list[int]) -> list[int]:
    return sorted(
        {t for p in points for t in (p - 1, p, p + 1) if 0 <= t < EVENTS} | set(range(200))
    )


@few
@given(
    start=st.floats(1e-3, 1.0),
    end_frac=st.floats(0.0, 0.5),
    size=st.integers(2, 60),
    mult=st.floats(1.0, 3.0),
)
def test_cycle_mult_truncated_to_whole_cycles(
    start: float, end_frac: float, size: int, mult: float
) -> None:
    end = end_frac * start
    peer = simulated(start_value=start, end_value=end, cycle_size=size, cycle_mult=mult)
    ours = ls.repeat(ls.cosine(size, start=start, end=end), size, growth=mult, truncate=True)
    agree(ours, peer, near(cycle_starts(size, mult)))


def test_every_event_with_value_multipliers() -> None:
    # start_value_mult / end_value_mult scale the two ends per cycle: a sum of two repeats.
    peer = simulated(
        20_000,
        start_value=0.1,
        end_value=0.01,
        cycle_size=10,
        cycle_mult=1.7,
        start_value_mult=0.8,
        end_value_mult=0.5,
    )
    c = ls.cosine(10)
    ours = 0.1 * ls.repeat(c, 10, growth=1.7, gamma=0.8, truncate=True) + 0.01 * ls.repeat(
        1 - c, 10, growth=1.7, gamma=0.5, truncate=True
    )
    agree(ours, peer, range(20_000))


def test_piecewise_linear() -> None:
    opt = __import__("torch").optim.SGD([__import__("torch").zeros(1, requires_grad=True)], lr=0.0)
    points = [(0, 0.0), (10, 0.1), (50, 0.1), (100, 0.001)]
    rows = handlers.PiecewiseLinear.simulate_values(200, param_name="lr", milestones_values=points)
    del opt
    agree(ls.piecewise_linear(points), {int(i): float(v) for i, v in rows}, range(200))
