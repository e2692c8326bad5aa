"""`from_fvcore` against fvcore itself: random scheduler trees, every step, both forms.

Each example builds a tree of fvcore schedulers (leaves of every class, composites nested,
"rescaled" and "fixed") and compares, at every step of a run of ``n`` updates, at each boundary
+-2 and far past the end: the expression over steps (``num_updates=n``) at ``t`` and the
expression over the fraction read as a run reads it (``stretch(s, n)``, i.e. at ``t / n``)
with fvcore's value at ``where = t / n`` (detectron2's ``LRMultiplier``). Runs of 1e6 steps
and more put fvcore's ``WHERE_EPSILON`` a whole step (or two) early: the boundaries must
follow it.
"""

from __future__ import annotations

import math
import re
import shlex
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

import lrsched as ls
from lrsched._peer_text import parse_peer
from lrsched.cli import main
from tests.peers._support import agree, few

ps = pytest.importorskip("fvcore.common.param_scheduler")

values = st.floats(1e-4, 1.0)


@st.composite
def leaves(draw: st.DrawFn) -> Any:  # noqa: PLR0911 (one per fvcore class)
    kind = draw(
        st.sampled_from(["constant", "cosine", "linear", "exp", "poly", "multi", "step", "gamma"])
    )
    if kind == "constant":
        return ps.ConstantParamScheduler(draw(values))
    if kind == "cosine":
        return ps.CosineParamScheduler(draw(values), draw(st.floats(0.0, 1.0)))
    if kind == "linear":
        return ps.LinearParamScheduler(draw(st.floats(0.0, 1.0)), draw(values))
    if kind == "exp":
        return ps.ExponentialParamScheduler(draw(values), draw(st.floats(0.001, 1.0)))
    if kind == "poly":
        return ps.PolynomialDecayParamScheduler(draw(values), draw(st.floats(0.3, 3.0)))
    count = draw(st.integers(1, 5))
    vs = draw(st.lists(values, min_size=count, max_size=count))
    if kind == "step":
        return ps.StepParamScheduler(num_updates=draw(st.integers(1, 500)), values=vs)
    if kind == "gamma":
        return ps.StepWithFixedGammaParamScheduler(
            base_value=draw(values),
            num_decays=draw(st.integers(1, 4)),
            gamma=draw(st.floats(0.05, 2.0)),
            num_updates=draw(st.integers(1, 500)),
        )
    total = draw(st.integers(count + 1, 400))
    if draw(st.booleans()) and math.ceil(total / count) * (count - 1) < total:
        return ps.MultiStepParamScheduler(vs, num_updates=total)  # equispaced milestones
    ms = sorted(draw(st.sets(st.integers(1, total - 1), min_size=count - 1, max_size=count - 1)))
    return ps.MultiStepParamScheduler(vs, num_updates=total, milestones=ms)


def composites(children: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    @st.composite
    def build(draw: st.DrawFn) -> Any:
        kids = draw(st.lists(children, min_size=1, max_size=4))
        weights = draw(st.lists(st.integers(1, 20), min_size=len(kids), max_size=len(kids)))
        if draw(st.booleans()):  # round lengths, as people write them
            lengths = [w / sum(weights) for w in weights]
        else:
            lengths = draw(st.lists(st.floats(0.01, 1.0), min_size=len(kids), max_size=len(kids)))
            lengths = [x / sum(lengths) for x in lengths]
        how = draw(
            st.lists(st.sampled_from(["rescaled", "fixed"]), min_size=len(kids), max_size=len(kids))
        )
        return ps.CompositeParamScheduler(kids, lengths=lengths, interval_scaling=how)

    return build()


trees = st.recursive(leaves(), composites, max_leaves=6)


def defined(peer: Any, where: float) -> float | None:
    """fvcore's value at ``where``, or None where fvcore raises or turns complex (past 1)."""
    try:
        value = peer(where)
    except (RuntimeError, IndexError):
        assert where >= 1 - 2e-6, where  # only past (or at) the end of training
        return None
    if isinstance(value, complex):  # a rescaled piece's where, rounded past 1 at the very end
        assert where >= 1 - 1e-9, where
        return None
    return float(value)


def times(n: int, *exprs: ls.Schedule) -> list[int]:
    """Every step of a short run (a window around each boundary of a long one), and far out."""
    ts = set(range(min(n, 3000) + 3))
    for s in exprs:
        for b in s.breakpoints(3 * n + 3):
            k = math.floor(b)
            ts.update(range(max(k - 2, 0), k + 3))
    ts.update({n - 1, n, n + 1, 2 * n, 10**6, 10**9})
    return sorted(ts)


def check(peer: Any, n: int) -> tuple[ls.Schedule, ls.Schedule]:
    steps = ls.from_fvcore(peer, num_updates=n)
    fraction = ls.from_fvcore(peer)
    read = ls.run(steps=n).in_steps(fraction, check=False)  # stretch(fraction, n): at t / n
    ts = times(n, steps, read)
    theirs = {t: defined(peer, t / n) for t in ts}
    kept = [t for t in ts if theirs[t] is not None and t / n <= 1]
    scale = max(abs(v) for v in theirs.values() if v is not None)
    for ours in (steps, read):
        agree(ours, {t: theirs[t] for t in kept}, kept, floor=1e-14 * max(scale, 1.0) / scale)
    return steps, fraction


@few
@given(peer=trees, n=st.integers(1, 2500))
def test_random_trees_at_every_step(peer: Any, n: int) -> None:
    check(peer, n)


@few
@given(peer=trees, n=st.sampled_from([999_999, 10**6, 10**6 + 1, 2 * 10**6, 3 * 10**6 + 7]))
def test_long_runs_where_the_epsilon_moves_whole_steps(peer: Any, n: int) -> None:
    check(peer, n)


@few
@given(start=values, decay=st.floats(0.001, 1.0), n=st.integers(1, 3000))
def test_past_the_end_the_exponential_goes_on(start: float, decay: float, n: int) -> None:
    peer = ps.ExponentialParamScheduler(start, decay)
    ts = [n, n + 1, 2 * n + 1, 10**6, 10**9]
    for ours in (ls.from_fvcore(peer, num_updates=n), ls.stretch(ls.from_fvcore(peer), n)):
        agree(ours, lambda t: peer(t / n), ts)


@few
@given(start=values, end=st.floats(0.0, 1.0), n=st.integers(1, 3000))
def test_past_the_end_the_curves_hold_their_end(start: float, end: float, n: int) -> None:
    # fvcore's domain is where in [0, 1); its cosine rises again past 1 and its linear
    # overshoots: the expressions hold the end value, as lrsched's curves do.
    for peer in (ps.CosineParamScheduler(start, end), ps.LinearParamScheduler(start, end)):
        ours = ls.from_fvcore(peer, num_updates=n)
        assert ours(n) == pytest.approx(peer(1.0), rel=1e-12, abs=1e-15)
        for t in (n + 1, 3 * n // 2 + 1, 10**6 + n, 10**9):
            assert ours(t) == ours(n)
    cosine = ps.CosineParamScheduler(start, end)
    assert start == end or cosine(1.5) != ls.from_fvcore(cosine)(1.5)


def test_where_fvcore_stops_the_expression_holds() -> None:
    poly = ps.PolynomialDecayParamScheduler(0.1, 0.9)
    assert isinstance(poly(1.5), complex)  # fvcore's formula leaves the real numbers
    assert ls.from_fvcore(poly)(1.5) == 0.0
    step = ps.StepParamScheduler(num_updates=10, values=[1.0, 0.5])
    with pytest.raises(IndexError):
        step(1 - 1e-7)
    assert ls.from_fvcore(step)(1 - 1e-7) == 0.5
    with pytest.raises(RuntimeError):
        ps.ConstantParamScheduler(0.3)(1.0)
    assert ls.from_fvcore(ps.ConstantParamScheduler(0.3))(1.0) == 0.3


@pytest.mark.parametrize("n", [10**6 + 1, 3 * 10**6])
def test_a_rescaled_cosine_entered_early_by_the_epsilon(n: int) -> None:
    # fvcore switches 1e-6 * n steps early and reads the cosine at a negative where there.
    peer = ps.CompositeParamScheduler(
        [ps.LinearParamScheduler(0.0, 0.5), ps.CosineParamScheduler(0.5, 0.01)],
        lengths=[0.25, 0.75],
        interval_scaling=["rescaled", "rescaled"],
    )
    b = next(t for t in range(n // 4 - 10, n) if t / n + 1e-6 > 0.25)  # fvcore's switch
    assert b < n / 4  # early: the cosine is read at a negative where
    assert peer(b / n) > 0.5 - 1e-9 > peer((b - 1) / n)  # the cosine's, not the warmup's
    window = range(b - 5, b + 10)
    for ours in (ls.from_fvcore(peer, num_updates=n), ls.stretch(ls.from_fvcore(peer), n)):
        agree(ours, lambda t: peer(t / n), window)


def test_the_fraction_form_binds_with_a_run() -> None:
    # A run refuses a schedule that still changes past its end: these end at 1.
    peer = ps.CompositeParamScheduler(
        [ps.ConstantParamScheduler(0.42), ps.CosineParamScheduler(0.42, 1e-4)],
        lengths=[0.3, 0.7],
        interval_scaling=["rescaled", "rescaled"],
    )
    for n in (1000, 3_000_000):
        bound = ls.run(steps=n).in_steps(ls.from_fvcore(peer))
        agree(bound, lambda t, n=n: peer(t / n), [0, n // 2, n - 1, n * 3 // 10 - 2, n * 3 // 10])


def test_the_epsilon_is_visible_in_the_boundaries() -> None:
    peer = ps.MultiStepParamScheduler(
        [1.0, 0.1, 0.01], num_updates=2_000_000, milestones=[10**6, 1_500_000]
    )
    s = ls.from_fvcore(peer, num_updates=2_000_000)
    assert repr(s) == "concat([constant(1), constant(0.1), constant(0.01)], [999998, 1499998])"
    assert peer(999_997 / 2e6) == 1.0
    assert peer(999_998 / 2e6) == 0.1
    short = ls.from_fvcore(peer, num_updates=1000)  # a run of another length: no early step
    assert short.breakpoints(1000) == (500.0, 750.0)


def test_reprs_are_the_algebra() -> None:
    composite = ps.CompositeParamScheduler(
        [ps.ConstantParamScheduler(0.42), ps.CosineParamScheduler(0.42, 1e-4)],
        lengths=[0.3, 0.7],
        interval_scaling=["rescaled", "fixed"],
    )
    assert repr(ls.from_fvcore(composite, num_updates=1000)) == (
        "concat([constant(0.42), shift(cosine(1000, start=0.42, end=0.0001), -300)], [300])"
    )
    assert repr(ls.from_fvcore(ps.CosineParamScheduler(1.0, 0.0))) == "cosine(1)"
    assert repr(ls.from_fvcore(ps.LinearParamScheduler(0.1, 0.01), num_updates=500)) == (
        "linear(0.1, 0.01, 500)"
    )
    warm = ps.CompositeParamScheduler(
        [ps.LinearParamScheduler(0.001, 0.1), ps.ExponentialParamScheduler(0.1, 0.01)],
        lengths=[0.1, 0.9],
        interval_scaling=["rescaled", "rescaled"],
    )
    assert repr(ls.from_fvcore(warm, num_updates=100)) == (
        "concat([linear(0.001, 0.1, 10), 0.1 * stretch(exponential(0.01), 90)], [10])"
    )


class WarmupParamScheduler(ps.CompositeParamScheduler):  # type: ignore[misc]
    """detectron2's warmup (detectron2/solver/lr_scheduler.py), which inherits fvcore's __call__."""

    def __init__(self, scheduler: Any, warmup_factor: float, warmup_length: float) -> None:
        end = scheduler(warmup_length)
        start = warmup_factor * scheduler(0.0)
        super().__init__(
            [ps.LinearParamScheduler(start, end), scheduler],
            interval_scaling=["rescaled", "fixed"],
            lengths=[warmup_length, 1 - warmup_length],
        )


WarmupParamScheduler.__module__ = "detectron2.solver.lr_scheduler"


@few
@given(
    factor=st.floats(0.0, 1.0),
    length=st.floats(0.001, 0.5),
    n=st.integers(10, 3000),
    inner=st.sampled_from(["cosine", "multistep"]),
)
def test_detectron2_warmup(factor: float, length: float, n: int, inner: str) -> None:
    scheduler = (
        ps.CosineParamScheduler(1.0, 0.0)
        if inner == "cosine"
        else ps.MultiStepParamScheduler(
            [1.0, 0.1, 0.01], num_updates=n, milestones=[n // 2, 3 * n // 4]
        )
        if n >= 4
        else ps.CosineParamScheduler(1.0, 0.0)
    )
    peer = WarmupParamScheduler(scheduler, factor, length)
    steps, _ = check(peer, n)
    # The warmup is a ramp, unless its two ends agree (then it simplifies to a constant).
    assert repr(steps).startswith(("concat([linear(", "concat([constant(")) or factor == 1.0


class LRMultiplier:
    pass


LRMultiplier.__module__ = "detectron2.solver.lr_scheduler"


class Mine(ps.CosineParamScheduler):  # type: ignore[misc]
    pass


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (object, "from_fvcore converts fvcore's param schedulers"),
        (lambda: Mine(1.0, 0.0), "got tests.peers.test_from_fvcore.Mine"),
        (LRMultiplier, "base_lr * ls.from_fvcore(sched._multiplier, num_updates=sched._max_iter)"),
        (
            lambda: ps.CompositeParamScheduler(
                [ps.ConstantParamScheduler(1.0), ps.ConstantParamScheduler(2.0)],
                lengths=[1.0, 0.0],
                interval_scaling=["rescaled", "rescaled"],
            ),
            "CompositeParamScheduler: lengths[1] must be > 0, got 0.0",
        ),
        (
            lambda: ps.CompositeParamScheduler(
                [ps.ConstantParamScheduler(1.0), object()],
                lengths=[0.5, 0.5],
                interval_scaling=["rescaled", "rescaled"],
            ),
            "got builtins.object",
        ),
        (
            lambda: ps.ExponentialParamScheduler(1.0, 0.0),
            "ExponentialParamScheduler: decay must be > 0, got 0.0",
        ),
        (lambda: ps.PolynomialDecayParamScheduler(1.0, -1.0), "power must be > 0, got -1.0"),
    ],
)
def test_refusals(make: Any, message: str) -> None:
    with pytest.raises(ls.ScheduleError, match=None) as info:
        ls.from_fvcore(make())
    assert message in str(info.value)


@pytest.mark.parametrize("bad", [0, -3, 2.5, True, "100"])
def test_bad_num_updates(bad: Any) -> None:
    with pytest.raises(ls.ScheduleError, match="num_updates must be"):
        ls.from_fvcore(ps.ConstantParamScheduler(1.0), num_updates=bad)


# -- the migration page and the command line ---------------------------------------------------

DOCS = Path(__file__).resolve().parents[2] / "docs"


def test_the_migration_page_console_example(capsys: pytest.CaptureFixture[str]) -> None:
    text = (DOCS / "migration-fvcore.md").read_text()
    block = re.search(r"```console\n\$ (lrsched convert .*)\n(.*)\n", text)
    assert block is not None
    assert main(shlex.split(block[1])[1:]) == 0
    assert capsys.readouterr().out == block[2] + "\n"


def test_the_command_line_builds_fvcore_schedulers(capsys: pytest.CaptureFixture[str]) -> None:
    text = "fvcore:MultiStepParamScheduler([1, 0.1, 0.01], num_updates=90, milestones=[30, 60])"
    assert main(["show", text, "--total", "900", "--no-chart"]) == 0
    out = capsys.readouterr().out
    peer = ps.MultiStepParamScheduler([1, 0.1, 0.01], num_updates=90, milestones=[30, 60])
    assert out.splitlines()[0] == repr(ls.stretch(ls.from_fvcore(peer), 900))
    assert parse_peer(text) == ls.from_fvcore(peer)
