"""Hypothesis strategies shared by the test suite: random schedule trees and times.

Parameters are kept in ranges where every value over ``TIMES`` stays finite and far from
overflow, so the laws can be checked with tight relative tolerances.
"""

from __future__ import annotations

from hypothesis import strategies as st

import lrsched as ls

__all__ = ["HORIZON", "durations", "factors", "schedules", "times", "transparent_schedules"]

HORIZON = 300.0


def _number(lo: float, hi: float) -> st.SearchStrategy[float]:
    """Floats in [lo, hi], mixing round numbers (as users write them) and arbitrary ones."""
    return st.one_of(
        st.integers(int(lo), int(hi)).map(float).filter(lambda x: lo <= x <= hi),
        st.floats(lo, hi, allow_nan=False, allow_infinity=False),
    )


times = _number(0.0, HORIZON)
durations = _number(0.5, 120.0)
factors = _number(0.3, 1.3)
values = _number(-2.0, 3.0)


def _boundaries(n: int) -> st.SearchStrategy[list[float]]:
    return st.lists(_number(0.5, HORIZON), min_size=n, max_size=n, unique=True).map(sorted)


@st.composite
def _piecewise_linear(draw: st.DrawFn) -> ls.Schedule:
    ts = draw(st.lists(_number(0.0, HORIZON), min_size=1, max_size=5, unique=True).map(sorted))
    return ls.piecewise_linear([(t, draw(values)) for t in ts])


_plateaus = st.builds(
    lambda factor, patience, cooldown, metrics: ls.plateau(
        gamma=factor, patience=patience, cooldown=cooldown, metrics=metrics
    ),
    _number(0.3, 0.9),
    st.integers(0, 3),
    st.integers(0, 2),
    st.lists(values, max_size=12),
)


_ramp_shapes = st.sampled_from(["linear", "cosine", "sqrt"])

_leaves: st.SearchStrategy[ls.Schedule] = st.one_of(
    st.just(ls.time()),
    st.builds(
        ls.noise,
        _number(0.05, 0.9),
        std=_number(0.5, 2.0),
        seed=st.integers(0, 2**40),
    ),
    st.builds(ls.constant, values),
    st.builds(ls.step, durations, factors),
    st.builds(ls.inverse_sqrt, durations),
    st.builds(
        ls.warmup_stable_decay,
        st.just(0.0) | _number(0.5, 50.0),
        st.just(0.0) | _number(0.5, 100.0),
        durations,
        start=_number(0.0, 1.0),
        end=values,
        shape=st.sampled_from(["linear", "cosine", "sqrt"]),
        warmup_shape=_ramp_shapes,
    ),
    _piecewise_linear(),
    _plateaus,
    st.builds(ls.milestones, st.lists(_number(0.0, HORIZON), max_size=6), factors),
    st.builds(ls.exponential, _number(0.97, 1.01)),
    st.builds(ls.multiplicative, factors),
    st.builds(ls.linear, values, values, durations),
    st.builds(ls.cosine, durations, values, values),
    st.builds(ls.cosine, durations, values, values, periodic=st.just(True)),  # noqa: FBT003
    st.builds(ls.polynomial, durations, _number(0.0, 4.0), values, values),
    st.builds(ls.cosine_restarts, durations, growth=st.integers(1, 3), start=values, end=values),
    st.builds(
        ls.cyclic,
        values,
        values,
        durations,
        st.none() | _number(0.0, 120.0),
        mode=st.sampled_from(["triangular", "triangular2"]),
    ),
    st.builds(
        ls.cyclic, values, values, durations, mode=st.just("exp_range"), gamma=_number(0.97, 1.0)
    ),
    st.tuples(_number(1.0, 200.0), _number(0.0, 1.0))
    .filter(lambda args: float(args[0] * args[1]) != 1.0)
    .flatmap(
        lambda args: st.builds(
            ls.one_cycle,
            st.just(args[0]),
            values,
            pct_start=st.just(args[1]),
            div_factor=_number(1.0, 100.0),
            final_div_factor=_number(1.0, 1e4),
            shape=st.sampled_from(["cosine", "linear"]),
            three_phase=st.booleans(),
        )
    ),
)


@st.composite
def _concat(draw: st.DrawFn, children: st.SearchStrategy[ls.Schedule]) -> ls.Schedule:
    pieces = draw(st.lists(children, min_size=1, max_size=4))
    return ls.concat(pieces, draw(_boundaries(len(pieces) - 1)))


@st.composite
def _clamp(draw: st.DrawFn, children: st.SearchStrategy[ls.Schedule]) -> ls.Schedule:
    s = draw(children)
    low, high = draw(st.none() | values), draw(st.none() | values)
    if low is not None and high is not None and low > high:
        low, high = high, low
    return ls.clamp(s, low, high)


def _extend(children: st.SearchStrategy[ls.Schedule]) -> st.SearchStrategy[ls.Schedule]:
    return st.one_of(
        st.builds(ls.warmup, children, _number(0.0, 50.0), start=values, shape=_ramp_shapes),
        _concat(children),
        _clamp(children),
        st.lists(children, min_size=1, max_size=3).map(lambda fs: ls.product(*fs)),
        st.builds(lambda k, s: k * s, values, children),
        st.builds(
            ls.repeat,
            children,
            durations,
            growth=st.sampled_from([1.0, 1.5, 2.0]),
            gamma=_number(0.9, 1.1),
        ),
        st.builds(ls.shift, children, st.just(0.0) | _number(0.5, 50.0), before=st.none() | values),
        # The algebra of issue 13: arithmetic, time maps, truncated cycles.
        st.lists(children | values, min_size=1, max_size=3).map(lambda xs: ls.add(*xs)),
        st.builds(lambda a, b: a - b, children, children | values),
        st.builds(lambda s, k: s / k, children, _number(0.5, 3.0)),
        st.builds(lambda a, b: a / (2 + ls.tanh(b)), children, children),  # never 0
        st.builds(lambda s, p: ls.clamp(s, low=0.0) ** p, children, _number(0.5, 3.0)),
        st.builds(lambda s, p: s**p, children, st.sampled_from([2, 3])),
        st.lists(children | values, min_size=1, max_size=3).map(lambda xs: ls.minimum(*xs)),
        st.lists(children | values, min_size=1, max_size=3).map(lambda xs: ls.maximum(*xs)),
        st.builds(ls.tanh, children),
        st.builds(ls.stretch, children, _number(0.25, 4.0)),
        st.builds(ls.staircase, children, _number(0.5, 30.0)),
        st.builds(ls.shift, children, _number(-50.0, -0.5)),
        st.builds(ls.compose, children, st.builds(lambda k: ls.time() ** k, _number(0.5, 1.5))),
        st.builds(ls.compose, children, children.map(lambda c: 0.5 * ls.clamp(c, low=0.0))),
        st.builds(
            ls.repeat,
            children,
            st.integers(2, 40).map(float),
            growth=_number(1.1, 2.5),
            gamma=_number(0.9, 1.1),
            truncate=st.just(True),  # noqa: FBT003
        ),
    )


transparent_schedules: st.SearchStrategy[ls.Schedule] = st.recursive(_leaves, _extend, max_leaves=8)
"""Random schedule trees without Python callables (their repr evaluates back)."""


def _halving_every(k: int) -> float:
    return 0.5 if k % 7 == 0 else 1.0


def _sawtooth(k: int) -> float:
    return 1.0 - (k % 5) / 10


schedules: st.SearchStrategy[ls.Schedule] = st.recursive(
    st.one_of(
        _leaves,
        st.just(ls.multiplicative(_halving_every)),
        st.just(ls.function(_sawtooth)),
    ),
    _extend,
    max_leaves=8,
)
"""Random schedule trees, some opaque (with a multiplicative callable)."""
