"""lrsched's benchmark suite: each figure of issue 6 against its reference, in the same run.

    python benchmarks/run.py             # full sizes (a few minutes on 2 cores)
    python benchmarks/run.py --quick     # small sizes, few rounds: only shows that it runs (CI)
    python benchmarks/run.py --only step # the figures whose name contains "step"

Every timed figure is a pair (subject, reference) measured by ``_timing.compare``: warmed up,
calibrated, and timed in alternating rounds; the table shows each side's median, the ratio of
the medians, the interquartile range of the per-round ratios (the noise), the target and
whether it is met. Timings are only meaningful in the full mode; the quick mode uses tiny
sizes and three rounds. The schedule, unless a figure says otherwise, is the issue's: a linear
warmup over 1000 steps, then a cosine to 0 over 99000 (``warmup(cosine(99000), 1000)``).
"""

from __future__ import annotations

import argparse
import gc
import math
import os
import subprocess
import sys
import tempfile
import time
import tracemalloc
import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from _timing import Pair, calibrated, compare, format_time, subprocess_sampler

import lrsched as ls

ROOT = Path(__file__).resolve().parent.parent
WARMUP, DECAY = 1000, 99000


@dataclass(frozen=True)
class Config:
    quick: bool
    rounds: int  # rounds of the micro figures (ns to us per call)
    heavy_rounds: int  # rounds of the array figures
    import_rounds: int  # fresh interpreters per side
    min_sample_s: float  # length of one sample of a micro figure
    size: int  # length of the time arrays
    nested_size: int  # length of the time array of the nested expressions
    steps: int  # steps of the memory figure
    horizon: int  # t of the multiplicative figures
    soak_steps: int  # steps of the plateau soak (a metric every 100)


FULL = Config(
    quick=False,
    rounds=31,
    heavy_rounds=15,
    import_rounds=40,
    min_sample_s=0.02,
    size=10**6,
    nested_size=10**5,
    steps=10**6,
    horizon=10**5,
    soak_steps=10**6,
)
QUICK = Config(
    quick=True,
    rounds=3,
    heavy_rounds=3,
    import_rounds=3,
    min_sample_s=0.001,
    size=10**4,
    nested_size=10**3,
    steps=10**4,
    horizon=10**3,
    soak_steps=2 * 10**4,
)


@dataclass(frozen=True)
class Row:
    figure: str
    subject: str
    reference: str
    subject_value: str
    reference_value: str
    ratio: str
    spread: str
    target: str
    met: bool | None  # None: shown for context, no target

    def cells(self) -> list[str]:
        return [
            self.figure,
            self.subject,
            self.reference,
            self.subject_value,
            self.reference_value,
            self.ratio,
            self.spread,
            self.target,
        ]


def ratio_row(figure: str, subject: str, reference: str, pair: Pair, limit: float | None) -> Row:
    q1, q3 = pair.spread
    return Row(
        figure,
        subject,
        reference,
        format_time(pair.subject),
        format_time(pair.reference),
        f"{pair.ratio:.2f}x",
        f"{q1:.2f}-{q3:.2f}",
        "-" if limit is None else f"<= {limit:g}x",
        None if limit is None else pair.ratio <= limit,
    )


def warmup_cosine() -> ls.Schedule:
    return ls.warmup(ls.cosine(DECAY), WARMUP)


# -- 1. BoundSchedule.step() against torch's SequentialLR ---------------------------------------


def figure_step(cfg: Config) -> Iterator[Row]:
    import torch  # noqa: PLC0415 (only this figure needs torch)
    from torch.optim import lr_scheduler as tls  # noqa: PLC0415

    def optimizer(groups: int) -> torch.optim.Optimizer:
        params = [{"params": [torch.nn.Parameter(torch.zeros(1))]} for _ in range(groups)]
        return torch.optim.SGD(params, lr=0.1)

    for groups in (1, 10):
        theirs = optimizer(groups)
        pieces = [
            tls.LinearLR(theirs, 1e-3, 1.0, WARMUP),
            tls.CosineAnnealingLR(theirs, DECAY),
        ]
        sequential = tls.SequentialLR(theirs, pieces, milestones=[WARMUP])
        theirs.step()  # after the schedulers patched it: torch warns if the scheduler goes first
        ours = optimizer(groups)
        bound = ls.bind(ours, ls.warmup(ls.cosine(DECAY), WARMUP, start=1e-3))
        ns = {"bound": bound, "sequential": sequential}
        pair = compare(
            calibrated("bound.step()", ns, cfg.min_sample_s),
            calibrated("sequential.step()", ns, cfg.min_sample_s),
            cfg.rounds,
        )
        yield ratio_row(
            f"1. step(), {groups} group{'s' if groups > 1 else ''}",
            "bound.step()",
            "SequentialLR(Linear, Cosine).step()",
            pair,
            0.2,
        )


# -- 2. scalar evaluation against a hand-written closure ----------------------------------------


def hand_written() -> Callable[[float], float]:
    """The formula as one would write it by hand for speed: constants inline, names local."""
    cos, pi = math.cos, math.pi

    def lr(t: float) -> float:
        if t < 1000:
            return t / 1000
        return 0.5 * (1.0 + cos(pi * min(t - 1000, 99000) / 99000))

    return lr


def figure_scalar(cfg: Config) -> Iterator[Row]:
    s, hand = warmup_cosine(), hand_written()
    assert math.isclose(s(50_000), hand(50_000), rel_tol=1e-12)
    for t, kind in ((50_000, "int"), (50_000.5, "float")):
        ns = {"s": s, "hand": hand, "t": t}
        pair = compare(
            calibrated("s(t)", ns, cfg.min_sample_s),
            calibrated("hand(t)", ns, cfg.min_sample_s),
            cfg.rounds,
        )
        yield ratio_row(f"2. s(t), t {kind}", f"s({t})", "hand-written closure", pair, 2.0)


# -- 3. time travel ----------------------------------------------------------------------------


def figure_time_travel(cfg: Config) -> Iterator[Row]:
    import torch  # noqa: PLC0415 (only for the binding)

    s = warmup_cosine()
    params = [torch.nn.Parameter(torch.zeros(1))]
    bound = ls.bind(torch.optim.SGD(params, lr=0.1), s)
    # Piecewise: a concat of 1000 pieces (alternating, so that none merge): O(log n) lookup.
    pieces = [ls.linear(1.0, 0.5, 500) if i % 2 else ls.cosine(700) for i in range(1000)]
    piecewise = ls.concat(pieces, [1000.0 * i for i in range(1, 1000)])
    ns = {"s": s, "bound": bound, "piecewise": piecewise}
    for late, early, figure, limit in (
        ("s(10**6)", "s(10)", "3. time travel, s", 1.5),
        ("bound.at(10**6)", "bound.at(10)", "3. time travel, bound.at", 1.5),
        ("piecewise(999_999)", "piecewise(10)", "3. time travel, concat of 1000", 1.5),
    ):
        pair = compare(
            calibrated(late, ns, cfg.min_sample_s),
            calibrated(early, ns, cfg.min_sample_s),
            cfg.rounds,
        )
        yield ratio_row(figure, late, early, pair, limit)


# -- 4. vectorized evaluation ------------------------------------------------------------------


def hand_written_numpy(t: np.ndarray) -> np.ndarray:
    return np.where(
        t < 1000, t / 1000, 0.5 * (1 + np.cos(np.pi * np.minimum(t - 1000, 99000) / 99000))
    )


def hand_written_numpy_in_place(t: np.ndarray) -> np.ndarray:
    """The same formula with one temporary, for context (no target)."""
    x = np.minimum(t - 1000.0, 99000.0)
    x *= np.pi / 99000
    out = np.cos(x)
    out += 1.0
    out *= 0.5
    ramp = t < 1000
    out[ramp] = t[ramp] / 1000
    return out


def nested(depth: int) -> tuple[ls.Schedule, list[ls.Schedule]]:
    """An expression ``depth`` combinators deep, each adding one leaf; returns it and its leaves."""
    kinds = (
        lambda i: ls.cosine(900 + i, end=0.1),
        lambda i: ls.linear(1.0, 0.5, 700 + i),
        lambda i: ls.exponential(1.0 - 1e-4 / (1 + i)),
        lambda i: ls.step(100 + i, 0.99),
    )
    leaves = [ls.cosine(1000)]
    s = leaves[0]
    for i in range(depth):
        leaf = kinds[i % len(kinds)](i)
        leaves.append(leaf)
        s = ls.warmup(s, 10) * leaf if i % 2 == 0 else ls.clamp(s * leaf, low=1e-9)
    return s, leaves


def figure_vector(cfg: Config) -> Iterator[Row]:
    s = warmup_cosine()
    t = np.arange(cfg.size)
    np.testing.assert_allclose(s(t), hand_written_numpy(t), rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(s(t), hand_written_numpy_in_place(t), rtol=1e-12, atol=1e-15)
    ns: dict[str, Any] = {
        "s": s,
        "t": t,
        "hand": hand_written_numpy,
        "in_place": hand_written_numpy_in_place,
    }
    subject = calibrated("s(t)", ns, 0.0)
    size = f"np.arange({cfg.size:.0e})".replace("e+0", "e")
    pair = compare(subject, calibrated("hand(t)", ns, 0.0), cfg.heavy_rounds)
    yield ratio_row("4. vector s(t)", f"s({size})", "np.where expression", pair, 1.2)
    pair = compare(subject, calibrated("in_place(t)", ns, 0.0), cfg.heavy_rounds)
    yield ratio_row("4. vector s(t)", f"s({size})", "in-place ufuncs", pair, None)
    grid = np.arange(cfg.nested_size, dtype=np.float64)
    for depth in (10, 50):
        expression, leaves = nested(depth)
        ns = {"e": expression, "leaves": leaves, "t": grid}
        pair = compare(
            calibrated("e(t)", ns, 0.0),
            calibrated("for leaf in leaves: leaf(t)", ns, 0.0),
            cfg.heavy_rounds,
        )
        yield ratio_row(
            f"4. {depth}-deep expression",
            f"e(t), {len(leaves)} leaves",
            "its leaves, one by one",
            pair,
            2.0,
        )


# -- 5. import time ----------------------------------------------------------------------------


def figure_import(cfg: Config) -> Iterator[Row]:
    with tempfile.TemporaryDirectory() as cache:
        # Fresh interpreters with a bytecode cache, as an installed package has (this sandbox
        # sets PYTHONDONTWRITEBYTECODE, which would recompile lrsched's sources every time
        # while numpy's are precompiled): both sides get the same private, warm cache.
        env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
        env["PYTHONPYCACHEPREFIX"] = cache

        def run(code: str) -> subprocess.CompletedProcess[str]:
            return subprocess.run(  # noqa: S603 (our own interpreter)
                [sys.executable, "-c", code],
                env=env,
                cwd=ROOT,
                check=True,
                capture_output=True,
                text=True,
            )

        torch_loaded = run("import sys, lrsched; print('torch' in sys.modules)").stdout.strip()
        yield Row(
            "5. import lrsched",
            "torch in sys.modules",
            "-",
            torch_loaded,
            "-",
            "-",
            "-",
            "False",
            torch_loaded == "False",
        )
        pair = compare(
            subprocess_sampler(lambda: run("import lrsched")),
            subprocess_sampler(lambda: run("import numpy")),
            cfg.import_rounds,
        )
        q1, q3 = pair.spread
        yield Row(
            "5. import lrsched",
            "python -c 'import lrsched'",
            "python -c 'import numpy'",
            format_time(pair.subject),
            format_time(pair.reference),
            f"{'+' if pair.difference >= 0 else '-'}{format_time(abs(pair.difference))}",
            f"{q1:.2f}-{q3:.2f}",
            "<= +30 ms",
            pair.difference <= 30e6,
        )


# -- 6. memory ---------------------------------------------------------------------------------


def traced_growth(step: Callable[[], object], steps: int) -> int:
    """Bytes still allocated (tracemalloc) after ``steps`` calls of ``step``, after a warm-up."""
    for _ in range(1000):
        step()
    gc.collect()
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        for _ in range(steps):
            step()
        gc.collect()
        return tracemalloc.get_traced_memory()[0] - before
    finally:
        tracemalloc.stop()


def figure_memory(cfg: Config) -> Iterator[Row]:
    import torch  # noqa: PLC0415 (only for the binding)

    params = [torch.nn.Parameter(torch.zeros(1))]
    bound = ls.bind(torch.optim.SGD(params, lr=0.1), warmup_cosine())
    few = traced_growth(bound.step, cfg.steps // 10)
    many = traced_growth(bound.step, cfg.steps)
    yield Row(
        "6. memory, stepping",
        f"growth over {cfg.steps:,} steps",
        f"over {cfg.steps // 10:,} steps",
        f"{many} B",
        f"{few} B",
        "-",
        "-",
        "<= 1 KiB",
        many <= 1024,
    )

    n = cfg.horizon
    calls: list[int] = []

    def factor(k: int) -> float:
        calls.append(k)
        return 1.0 - 1.0 / (k + 10)

    s = ls.multiplicative(factor)
    s(n)
    first = len(calls)
    s(n)
    s(n // 2)
    s(np.arange(n + 1))
    again = len(calls) - first
    yield Row(
        "6. multiplicative(f)",
        f"calls of f: s({n:,}), then again",
        f"t = {n:,}",
        f"{first:,}, then {again}",
        f"{n:,}",
        f"{first / n:.2f}",
        "-",
        "<= t, then 0",
        first <= n and again == 0,
    )

    stepped = ls.bind(torch.optim.SGD(params, lr=0.1), ls.multiplicative(factor))
    calls.clear()
    for _ in range(n):
        stepped.step()
    yield Row(
        "6. multiplicative(f)",
        f"calls of f: bind, {n:,} x step()",
        f"t = {n:,}",
        f"{len(calls):,}",
        f"{n:,}",
        f"{len(calls) / n:.2f}",
        "-",
        "<= 2 t (cache doubles)",
        len(calls) <= 2 * n,
    )

    def pure(k: int) -> float:
        return 1.0 - 1.0 / (k + 10)

    t = np.arange(n + 1)
    ns = {"ls": ls, "np": np, "f": pure, "t": t, "n": n}
    np.testing.assert_allclose(
        ls.multiplicative(pure)(t),
        np.cumprod([1.0] + [pure(k) for k in range(1, n + 1)]),
        rtol=1e-12,
    )
    pair = compare(
        calibrated("ls.multiplicative(f)(t)", ns, 0.0),
        calibrated("np.cumprod([1.0] + [f(k) for k in range(1, n + 1)])", ns, 0.0),
        cfg.heavy_rounds,
    )
    yield ratio_row(
        "6. multiplicative(f), vector",
        f"fresh s(np.arange({n + 1:,}))",
        "np.cumprod of a list of f(k)",
        pair,
        None,
    )


# -- 7. a bound plateau over a long run -----------------------------------------------------------

SOAK_EVERY = 100


def soak_binding() -> tuple[Any, Callable[[int], None]]:
    """A bound plateau and one step of its run: a metric (NaN at times) every SOAK_EVERY steps."""
    import torch  # noqa: PLC0415 (only for the binding)

    params = [torch.nn.Parameter(torch.zeros(1))]
    schedule = ls.warmup(ls.constant(1), 10) * ls.plateau(gamma=0.9, patience=5, low=1e-3)
    bound = ls.bind(torch.optim.SGD(params, lr=0.1), schedule, steps_per_epoch=SOAK_EVERY)

    def step(n: int) -> None:
        if n % SOAK_EVERY:
            bound.step()
        else:
            k = n // SOAK_EVERY
            bound.step(metric=math.nan if k % 11 == 0 else 1.0 / (1 + k % 37))

    return bound, step


def figure_soak(cfg: Config) -> Iterator[Row]:
    steps = cfg.soak_steps
    tenth = steps // 10
    _, step = soak_binding()
    times = []
    n = 1
    for _ in range(10):  # each tenth in 20 slices; a tenth's cost is the median slice
        slices = []
        for _ in range(20):
            start = time.perf_counter()
            for _ in range(tenth // 20):
                step(n)
                n += 1
            slices.append((time.perf_counter() - start) / (tenth // 20))
        times.append(sorted(slices)[10])
    ratio = times[-1] / times[0]
    yield Row(
        f"7. plateau soak, {steps:,} steps",
        "per step, last 10%",
        "first 10%",
        format_time(times[-1] * 1e9),
        format_time(times[0] * 1e9),
        f"{ratio:.2f}x",
        f"{min(times) / times[0]:.2f}-{max(times) / times[0]:.2f}",
        "<= 1.5x",
        ratio <= 1.5,
    )
    _, step = soak_binding()
    gc.collect()
    tracemalloc.start()
    try:
        start = tracemalloc.get_traced_memory()[0]
        held = []
        for n in range(1, steps + 1):
            step(n)
            if n in {tenth, steps}:
                gc.collect()
                held.append((tracemalloc.get_traced_memory()[0] - start) / (n // SOAK_EVERY))
    finally:
        tracemalloc.stop()
    early, late = held
    yield Row(
        "7. plateau soak, memory",
        "held per metric, at the end",
        "at 10% of the run",
        f"{late:.0f} B",
        f"{early:.0f} B",
        f"{late / early:.2f}x",
        "-",
        "<= 1.5x (the history only)",
        late <= 1.5 * early,
    )


# -- 7. arithmetic costs no more than a product of the same depth ------------------------------


def chain(depth: int, combine: Callable[[ls.Schedule, ls.Schedule], ls.Schedule]) -> ls.Schedule:
    """``depth`` levels, each a warmup (so that nothing flattens) combined with a new leaf."""
    s: ls.Schedule = ls.cosine(1000)
    for i in range(depth):
        s = combine(ls.warmup(s, 10), ls.linear(1.0, 0.5, 700 + i))
    return s


def figure_arithmetic(cfg: Config) -> Iterator[Row]:
    for depth in (2, 10):
        sums, products = chain(depth, lambda a, b: a + b), chain(depth, lambda a, b: a * b)
        ns: dict[str, Any] = {"sums": sums, "products": products, "t": 5000.5}
        pair = compare(
            calibrated("sums(t)", ns, cfg.min_sample_s),
            calibrated("products(t)", ns, cfg.min_sample_s),
            cfg.rounds,
        )
        yield ratio_row(
            f"7. {depth}-deep sum, s(t)", "a + b per level", "a * b per level", pair, 1.1
        )
        ns["t"] = np.arange(cfg.nested_size, dtype=np.float64)
        pair = compare(
            calibrated("sums(t)", ns, 0.0), calibrated("products(t)", ns, 0.0), cfg.heavy_rounds
        )
        yield ratio_row(
            f"7. {depth}-deep sum, vector", "a + b per level", "a * b per level", pair, 1.1
        )


# -- 8. peers: the same schedule in other libraries (rows skipped when a peer is absent) --------


def fvcore_warmup_cosine() -> Callable[[float], float] | None:
    """fvcore's schedulers for `warmup_cosine()`, called with the fraction `t / total`."""
    try:
        from fvcore.common import param_scheduler as ps  # noqa: PLC0415 (optional peer)
    except ImportError:
        return None
    total = WARMUP + DECAY
    scheduler: Callable[[float], float] = ps.CompositeParamScheduler(
        [ps.LinearParamScheduler(0.0, 1.0), ps.CosineParamScheduler(1.0, 0.0)],
        [WARMUP / total, DECAY / total],
        ["rescaled", "rescaled"],
    )
    return scheduler


def figure_peers(cfg: Config) -> Iterator[Row]:
    s, fvcore = warmup_cosine(), fvcore_warmup_cosine()
    if fvcore is None:
        return
    total = WARMUP + DECAY
    for t in (50_000, 10**6 - 1):
        where = min(t, total - 1) / total
        ns = {"s": s, "f": fvcore, "t": t, "where": where}
        if t < total:
            assert math.isclose(s(t), fvcore(where), rel_tol=1e-12)
        pair = compare(
            calibrated("s(t)", ns, cfg.min_sample_s),
            calibrated("f(where)", ns, cfg.min_sample_s),
            cfg.rounds,
        )
        yield ratio_row(f"8. peers, s({t})", f"s({t})", "fvcore scheduler(t / total)", pair, 1.0)


# -- 9. other array libraries: torch tensors, jitted JAX, a compiled step ---------------------


def figure_arrays(cfg: Config) -> Iterator[Row]:
    import _arrays_figures as arrays  # noqa: PLC0415 (imports torch, and jax when installed)

    s = warmup_cosine()
    yield from arrays.tensor_rows(s, cfg, WARMUP, DECAY, ratio_row)
    yield from arrays.jax_rows(s, cfg, WARMUP, DECAY, ratio_row)
    yield from arrays.compiled_step_rows(s, cfg, ratio_row)


FIGURES: dict[str, Callable[[Config], Iterator[Row]]] = {
    "step": figure_step,
    "scalar": figure_scalar,
    "time-travel": figure_time_travel,
    "vector": figure_vector,
    "import": figure_import,
    "memory": figure_memory,
    "soak": figure_soak,
    "arithmetic": figure_arithmetic,
    "peers": figure_peers,
    "arrays": figure_arrays,
}


def print_table(rows: list[Row]) -> None:
    header = Row(
        "figure", "subject", "reference", "subject", "reference", "ratio", "IQR", "target", None
    )
    cells = [r.cells() for r in [header, *rows]]
    marks = ["met", *("-" if r.met is None else "yes" if r.met else "NO" for r in rows)]
    widths = [max(len(row[i]) for row in cells) for i in range(len(cells[0]))]
    right = {3, 4, 5, 6}
    for i, (row, mark) in enumerate(zip(cells, marks, strict=True)):
        text = "  ".join(
            cell.rjust(w) if j in right else cell.ljust(w)
            for j, (cell, w) in enumerate(zip(row, widths, strict=True))
        )
        print(f"{text}  {mark}")
        if i == 0:
            print("-" * (len(text) + 2 + len(mark)))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--quick", action="store_true", help="small sizes, 3 rounds (CI)")
    parser.add_argument("--only", default="", help="run the figures whose name contains this")
    args = parser.parse_args(argv)
    cfg = QUICK if args.quick else FULL
    warnings.simplefilter("error")  # a warning in a figure is a bug in its set-up
    rows: list[Row] = []
    for name, figure in FIGURES.items():
        if args.only in name:
            rows.extend(figure(cfg))
    mode = "quick: sizes too small for the timings to mean much" if cfg.quick else "full"
    print(
        f"lrsched benchmarks ({mode}); Python {sys.version.split()[0]}, "
        f"numpy {np.__version__}, {os.cpu_count()} CPUs"
    )
    print_table(rows)
    targets = [r.met for r in rows if r.met is not None]
    print(f"{sum(targets)} of {len(targets)} targets met")
    return 0


if __name__ == "__main__":
    sys.exit(main())
