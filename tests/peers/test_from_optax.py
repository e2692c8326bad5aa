"""`from_optax` against optax itself, for every schedule constructor (float64: jax x64).

Each example builds optax's schedule and ``from_optax``'s expression from the same arguments
and compares them at every step of a window around each boundary (+-1) and far past the end,
to a relative 1e-12. The arguments include the settings optax treats specially
(``transition_steps <= 0``, a negative ``transition_begin``, boundaries at or before 0).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import lrsched as ls
from lrsched.cli import main
from tests.peers._support import agree, few, steps

jax = pytest.importorskip("jax")
optax = pytest.importorskip("optax")
# optax's float64 path, compared at rel 1e-12 (without x64 jax computes in float32).
jax.config.update("jax_enable_x64", True)  # noqa: FBT003 (jax's API)

DOCS = Path(__file__).resolve().parents[2] / "docs"
WINDOW = 2000
"""Every step up to here is compared (boundaries further out are compared around them)."""


def values(schedule: Any, ts: list[int]) -> dict[int, float]:
    """optax's values at the steps ``ts``, in float64.

    optax's schedules take one step (`piecewise_interpolate_schedule` is not vectorized over
    the step): they are mapped with ``jax.vmap``. The steps are padded to a power of two so
    that jax compiles each operation for a few shapes only.
    """
    size = 1 << max(len(ts) - 1, 1).bit_length()
    padded = jax.numpy.asarray(ts + [ts[-1]] * (size - len(ts)), dtype=jax.numpy.float64)
    out = np.asarray(jax.vmap(lambda t: jax.numpy.asarray(schedule(t), dtype=float))(padded))
    assert out.dtype == np.float64
    return dict(zip(ts, out[: len(ts)].tolist(), strict=True))


def check(
    name: str,
    *args: Any,
    ends: tuple[float, ...] = (),
    slack: Callable[[int], float] | None = None,
    late: Callable[[int], bool] = lambda _: False,
    **kw: Any,
) -> ls.Schedule:
    """Compare optax.<name>(...) with from_optax(name, ...) around ``ends`` and far out.

    ``slack(t)``: an absolute tolerance where optax's own rounding is known to be amplified.
    ``late(t)``: the steps where XLA's rounding makes optax switch one step late: there optax
    must give the expression's value at ``t - 1``.
    """
    peer = getattr(optax, name)(*args, **kw)
    ours = ls.from_optax(name, *args, **kw)
    finite = [e for e in ends if math.isfinite(e)]
    window = min(WINDOW, max([0, *finite]) + 3)
    ts = steps(int(window), *(e for e in finite if e >= 0))
    theirs = values(peer, ts)
    agree(
        ours,
        {t: v for t, v in theirs.items() if not late(t)},
        [t for t in ts if not late(t)],
        slack=slack,
    )
    for t in filter(late, ts):
        assert theirs[t] == pytest.approx(ours(t - 1), rel=1e-12), (t, ours)
    if name.endswith("_schedule"):  # the short name is the same recipe
        assert ls.from_optax(name.removesuffix("_schedule"), *args, **kw) == ours
    return ours


def floats(low: float, high: float) -> st.SearchStrategy[float]:
    """Floats in [low, high], none subnormal: XLA on CPU flushes subnormals to 0."""
    return st.floats(low, high, allow_subnormal=False)


values_ = floats(-2.0, 2.0)
lrs = floats(1e-4, 2.0)
begins = st.integers(-5, 60)


@few
@given(value=values_)
def test_constant(value: float) -> None:
    assert check("constant_schedule", value) == ls.constant(value)


@few
@given(
    init=values_,
    end=values_,
    power=st.sampled_from([0.0, 1.0, 2.0]) | floats(0.1, 4.0),
    n=st.integers(-2, 400),
    begin=begins,
)
def test_polynomial_and_linear(init: float, end: float, power: float, n: int, begin: int) -> None:
    b = max(begin, 0)
    kw = {"transition_begin": begin, "ends": (b, b + n)}
    check("polynomial_schedule", init, end, power, n, slack=rounding(init, end, power, b, n), **kw)
    check("linear_schedule", init, end, n, slack=rounding(init, end, 1.0, b, n), **kw)


def rounding(init: float, end: float, power: float, b: int, n: int) -> Callable[[int], float]:
    """optax's own rounding of ``(init - end) * frac ** power + end``.

    XLA divides as a multiplication by the reciprocal: ``frac = 1 - t / n`` is off by a few
    ulps (``1 - 249 * (1 / 249)`` is 1.1e-16, not 0), which ``frac ** power`` amplifies to
    ``(frac + d) ** power - frac ** power`` for a power < 1 (1e-8 at the end, for power 0.5);
    and the sum is a few ulps of ``max(|init|, |end|)``, more than a relative 1e-12 of a small
    ``init`` held by ``power = 0``.
    """
    d, size = 4 * 2.0**-53, max(abs(init), abs(end))

    def slack(t: int) -> float:
        frac = 1 - min(max(t - b, 0), max(n, 1)) / max(n, 1)
        return abs(init - end) * ((frac + d) ** power - frac**power) + d * size

    return slack


@st.composite
def exponential_arguments(draw: st.DrawFn) -> dict[str, Any]:
    """A decaying rate with or without an end value, or a growing one held by an end value."""
    grows = draw(st.booleans())
    init = draw(lrs)
    rate = draw(floats(1.01, 3.0) if grows else st.sampled_from([0.0]) | floats(0.01, 0.99))
    end: float | None = (
        draw(floats(init, 10 * init))
        if grows
        else draw(st.none() | floats(0.0, init) | floats(init, 2 * init))
    )
    return {
        "init_value": init,
        "transition_steps": draw(st.integers(-1, 200)),
        "decay_rate": rate,
        "transition_begin": draw(begins),
        "staircase": draw(st.booleans()),
        "end_value": end,
    }


def exponential_ends(kw: dict[str, Any], offset: float = 0.0) -> tuple[float, ...]:
    """The steps of the decay and where it meets end_value."""
    begin, n = max(kw["transition_begin"], 0) + offset, kw["transition_steps"]
    ends = [begin, *(begin + k * n for k in range(1, 6))] if n > 0 else [begin]
    rate, end, init = kw["decay_rate"], kw["end_value"], kw["init_value"]
    if n > 0 and end and rate not in {0.0, 1.0} and end / init > 0:
        ends.append(begin + n * math.log(end / init) / math.log(rate))
    return tuple(ends)


@few
@given(kw=exponential_arguments())
def test_exponential_decay(kw: dict[str, Any]) -> None:
    late = late_stairs(kw)
    check("exponential_decay", ends=exponential_ends(kw), late=late, **kw)


def late_stairs(kw: dict[str, Any], offset: int = 0) -> Callable[[int], bool]:
    """The steps where optax's staircase switches one step late (lrsched's switches on time).

    XLA divides by multiplying with the reciprocal, under jit too: at some multiples of
    ``transition_steps`` the quotient falls just below the whole number (``107 * (1 / 107)``
    is ``1 - 1.1e-16``), its floor is one less, and the stair starts a step later.
    """
    n, begin = kw["transition_steps"], max(kw["transition_begin"], 0) + offset
    if not kw["staircase"] or n <= 0 or kw["decay_rate"] == 0:
        return lambda _: False
    return lambda t: t > begin and math.floor((t - begin) * (1 / n)) < (t - begin) // n


@few
@given(
    init=lrs,
    n=st.integers(1, 3000),
    alpha=st.sampled_from([0.0]) | floats(-0.5, 1.5),
    exponent=st.sampled_from([1.0, 0.0]) | floats(0.1, 4.0),
)
def test_cosine_decay(init: float, n: int, alpha: float, exponent: float) -> None:
    check("cosine_decay_schedule", init, n, alpha, exponent=exponent, ends=(n,))


boundaries = st.integers(-5, 400) | floats(-5.0, 400.0).map(lambda x: round(x, 2))
# Scales of 0 or at least 1e-3: a product of tiny ones is subnormal, which XLA flushes to 0.
scale_maps = st.dictionaries(boundaries, st.sampled_from([0.0]) | floats(1e-3, 3.0), max_size=5)


@few
@given(init=lrs, scales=st.none() | scale_maps)
def test_piecewise_constant(init: float, scales: dict[float, float] | None) -> None:
    check("piecewise_constant_schedule", init, scales, ends=tuple(scales or ()))


@few
@given(kind=st.sampled_from(["linear", "cosine"]), init=lrs, scales=scale_maps)
def test_piecewise_interpolate(kind: str, init: float, scales: dict[float, float]) -> None:
    check("piecewise_interpolate_schedule", kind, init, scales, ends=tuple(scales))


@few
@given(
    n=st.integers(1, 600),
    peak=lrs,
    pct_start=floats(0.0, 1.0),
    pct_final=floats(0.0, 1.0),
    div=floats(1.0, 100.0),
    final_div=floats(1.0, 1e5),
)
def test_onecycles(
    n: int, peak: float, pct_start: float, pct_final: float, div: float, final_div: float
) -> None:
    ends = (int(pct_start * n), int(pct_final * n), n)
    check("linear_onecycle_schedule", n, peak, pct_start, pct_final, div, final_div, ends=ends)
    kw = {"pct_start": pct_start, "div_factor": div, "final_div_factor": final_div}
    check("cosine_onecycle_schedule", n, peak, ends=ends, **kw)


@few
@given(
    init=floats(0.0, 1e-3),
    peak=st.sampled_from([0.0]) | lrs,
    w=st.integers(-3, 200),
    d=st.integers(1, 2000),
    end=floats(0.0, 1e-3),
    exponent=st.sampled_from([1.0]) | floats(0.5, 3.0),
)
def test_warmup_cosine_decay_and_warmup_constant(
    init: float, peak: float, w: int, d: int, end: float, exponent: float
) -> None:
    # optax counts the warmup inside decay_steps: the cosine lasts d.
    kw = {"end_value": end, "exponent": exponent}
    check("warmup_cosine_decay_schedule", init, peak, w, w + d, ends=(w, w + d), **kw)
    check("warmup_constant_schedule", init, peak, w, ends=(w,))


@few
@given(init=floats(0.0, 1e-3), w=st.integers(0, 200), kw=exponential_arguments())
def test_warmup_exponential_decay(init: float, w: int, kw: dict[str, Any]) -> None:
    kw["peak_value"] = kw.pop("init_value")
    ends = exponential_ends({**kw, "init_value": kw["peak_value"]}, offset=w)
    late = late_stairs(kw, offset=w)
    check(
        "warmup_exponential_decay_schedule", init, warmup_steps=w, ends=(w, *ends), late=late, **kw
    )


cycles = st.fixed_dictionaries(
    {
        "init_value": floats(0.0, 1e-3),
        "peak_value": lrs,
        "warmup_steps": st.integers(0, 50),
        "decay_steps": st.integers(1, 300),
    },
    optional={"end_value": floats(0.0, 1e-4), "exponent": floats(0.5, 2.0)},
)


@few
@given(kwargs=st.lists(cycles, min_size=1, max_size=4))
def test_sgdr(kwargs: list[dict[str, Any]]) -> None:
    for kw in kwargs:  # decay_steps counts the cycle's warmup
        kw["decay_steps"] += kw["warmup_steps"]
    starts = np.cumsum([0] + [kw["decay_steps"] for kw in kwargs]).tolist()
    warm = [s + kw["warmup_steps"] for s, kw in zip(starts, kwargs, strict=False)]
    check("sgdr_schedule", kwargs, ends=(*starts, *warm))


pieces = st.sampled_from(
    [
        ("cosine_decay_schedule", (0.1, 50)),
        ("linear_schedule", (0.0, 1.0, 20)),
        ("exponential_decay", (1.0, 10, 0.5)),
        ("constant_schedule", (0.3,)),
    ]
)


@few
@given(
    parts=st.lists(pieces, min_size=1, max_size=4),
    data=st.data(),
)
def test_join_schedules_of_lrsched_schedules(
    parts: list[tuple[str, tuple[Any, ...]]], data: st.DataObject
) -> None:
    # optax applies the boundaries in the order given (unsorted ones too): so does from_optax.
    bounds = data.draw(
        st.lists(st.integers(-5, 300), min_size=len(parts) - 1, max_size=len(parts) - 1)
    )
    peer = optax.join_schedules([getattr(optax, n)(*a) for n, a in parts], bounds)
    ours = ls.from_optax("join_schedules", [ls.from_optax(n, *a) for n, a in parts], bounds)
    ts = steps(max([0, *bounds]) + 60, *(b for b in bounds if b >= 0))
    agree(ours, values(peer, ts), ts)


def test_reprs_are_the_algebra() -> None:
    assert repr(ls.from_optax("exponential_decay", 0.1, 10, 0.5)) == (
        "0.1 * stretch(exponential(0.5), 10)"
    )
    assert repr(ls.from_optax("linear", 0.1, 0.01, 50, transition_begin=7)) == (
        "shift(linear(0.1, 0.01, 50), 7)"
    )
    assert repr(ls.from_optax("cosine_decay", 0.1, 100, 0.1, 1.5)) == (
        "0.1 * (0.1 + 0.9 * cosine(100) ** 1.5)"
    )
    assert ls.from_optax("linear_schedule", 1.0, 0.0, 0) == ls.constant(1.0)  # optax's rule
    assert ls.from_optax("constant", jax.numpy.float64(0.25)) == ls.constant(0.25)


def test_the_docstring_examples_match_optax() -> None:
    ours = ls.from_optax("warmup_cosine_decay_schedule", 0.0, 1e-3, 100, 1000)
    peer = optax.warmup_cosine_decay_schedule(0.0, 1e-3, 100, 1000)
    ts = steps(1003, 100, 1000)
    agree(ours, values(peer, ts), ts)


@pytest.mark.parametrize(
    ("args", "kw", "message"),
    [
        (("no_such_schedule",), {}, "optax has no schedule 'no_such_schedule'"),
        (("join",), {}, "optax has no schedule 'join'"),
        (("linear_schedule", 1, 0), {}, "missing a required argument: 'transition_steps'"),
        (("linear", 1, 0, 10), {"foo": 1}, "got an unexpected keyword argument 'foo'"),
        (("constant", "0.1"), {}, "value must be a number (got '0.1')"),
        (("constant", math.inf), {}, "value must be a finite number (got inf)"),
        (("exponential_decay", 0.1, 10, 0.5), {"staircase": 1}, "staircase must be True or False"),
        (("exponential_decay", 0.1, 10, -0.5), {}, "decay_rate must be > 0 (got -0.5)"),
        (("polynomial", 1.0, 0.0, -1.0, 10), {}, "polynomial_schedule: power must be >= 0"),
        (("cosine_decay_schedule", 0.1, 0), {}, "decay_steps must be > 0 (got 0)"),
        (("cosine_decay", 0.1, 10, 0.0, -1.0), {}, "exponent must be >= 0 (got -1.0)"),
        (("warmup_cosine_decay", 0.0, 1.0, 10, 10), {}, "must exceed warmup_steps (10)"),
        (("piecewise_constant", 0.1, {10: -1.0}), {}, "scales must be >= 0 (got -1.0 at 10)"),
        (("piecewise_constant", 0.1, [(10, 0.5)]), {}, "boundaries_and_scales must be a dict"),
        (("piecewise_interpolate", "step", 0.1), {}, "interpolate_type must be 'linear' or"),
        (("linear_onecycle", 0, 0.1), {}, "transition_steps must be > 0 (got 0)"),
        (("cosine_onecycle", 10, 0.1, 0.3, 0), {}, "div_factor must not be 0"),
        (("sgdr", []), {}, "cosine_kwargs must not be empty"),
        (("sgdr", {"decay_steps": 10}), {}, "cosine_kwargs must be a list of dicts"),
        (
            ("sgdr", [{"init_value": 0.0}]),
            {},
            "sgdr_schedule: cosine_kwargs[0]: missing a required argument: 'peak_value'",
        ),
        (("join_schedules", [ls.constant(1.0)], [5]), {}, "one entry fewer than schedules"),
    ],
)
def test_refused_with_the_reason(args: tuple[Any, ...], kw: dict[str, Any], message: str) -> None:
    with pytest.raises(ls.ScheduleError) as caught:
        ls.from_optax(*args, **kw)
    assert message in str(caught.value)


def test_join_refuses_optax_closures() -> None:
    pieces = [optax.constant_schedule(1.0), ls.constant(0.5)]
    with pytest.raises(ls.ScheduleError, match=r"schedules\[0\] must be an lrsched schedule"):
        ls.from_optax("join_schedules", pieces, [5])


# -- the command line -------------------------------------------------------------------------

CYCLES = [
    {"init_value": 0, "peak_value": 1, "warmup_steps": 5, "decay_steps": 50},
    {"init_value": 0, "peak_value": 0.5, "warmup_steps": 0, "decay_steps": 100},
]


@pytest.mark.parametrize(
    ("text", "call"),
    [
        (
            "optax:warmup_cosine_decay_schedule(0.0, 1e-3, 100, 1000, end_value=1e-5)",
            ("warmup_cosine_decay_schedule", (0.0, 1e-3, 100, 1000), {"end_value": 1e-5}),
        ),
        (
            "optax:piecewise_constant(0.1, {30: 0.5, 60: 0.2})",
            ("piecewise_constant", (0.1, {30: 0.5, 60: 0.2}), {}),
        ),
        (f"optax:sgdr_schedule({CYCLES!r})", ("sgdr_schedule", (CYCLES,), {})),
    ],
)
def test_command_line_reads_optax_spelling(
    text: str, call: tuple[str, tuple[Any, ...], dict[str, Any]], capsys: Any
) -> None:
    code = main(["convert", text, "--to", "text"])
    out, err = capsys.readouterr()
    assert code == 0, err
    name, args, kw = call
    expected = ls.from_optax(name, *args, **kw)
    assert out.strip() == repr(expected)
    peer = getattr(optax, name if hasattr(optax, name) else f"{name}_schedule")(*args, **kw)
    ts = steps(400, 30, 60, 100)
    agree(ls.parse(out.strip()), values(peer, ts), ts)


# -- docs/migration-optax.md ------------------------------------------------------------------
