"""The benchmark suite still runs: its quick mode prints every figure with its reference.

Only that it runs and what it prints: no timing is asserted here (timings belong to
``python benchmarks/run.py`` and docs/performance.md).
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

SUITE = Path(__file__).parent.parent / "benchmarks" / "run.py"

FIGURES = [
    ("1. step(), 1 group ", "SequentialLR(Linear, Cosine).step()"),
    ("1. step(), 10 groups", "SequentialLR(Linear, Cosine).step()"),
    ("2. s(t), t int", "hand-written closure"),
    ("2. s(t), t float", "hand-written closure"),
    ("3. time travel, s ", "s(10)"),
    ("3. time travel, bound.at", "bound.at(10)"),
    ("3. time travel, concat of 1000", "piecewise(10)"),
    ("4. vector s(t)", "np.where expression"),
    ("4. vector s(t)", "in-place ufuncs"),
    ("4. 10-deep expression", "its leaves, one by one"),
    ("4. 50-deep expression", "its leaves, one by one"),
    ("5. import lrsched", "torch in sys.modules"),
    ("5. import lrsched", "python -c 'import numpy'"),
    ("6. memory, stepping", "steps"),
    ("6. multiplicative(f) ", "calls of f: s("),
    ("6. multiplicative(f) ", "calls of f: bind"),
    ("6. multiplicative(f), vector", "np.cumprod of a list of f(k)"),
    ("7. plateau soak, 20,000 steps", "first 10%"),
    ("7. plateau soak, memory", "at 10% of the run"),
    ("7. plateau soak, 20,000 steps", "first 10%"),
    ("7. plateau soak, memory", "at 10% of"),
    ("7. 2-deep sum, s(t)", "a * b per level"),
    ("7. 2-deep sum, vector", "a * b per level"),
    ("7. 10-deep sum, s(t)", "a * b per level"),
    ("7. 10-deep sum, vector", "a * b per level"),
    ("9. torch tensor s(t)", "the formula in torch ops"),
    ("9. compiled Adam step", "host writes the lr"),
]
# Rows against a peer library: printed only when the peer is installed (the `bench` extra).
PEER_FIGURES = [
    ("8. peers, s(50000)", "fvcore scheduler(t / total)", "fvcore"),
    ("8. peers, s(999999)", "fvcore scheduler(t / total)", "fvcore"),
    ("9. jitted JAX s(t)", "optax's jitted schedule", "optax"),
]


@pytest.fixture(scope="module")
def table() -> list[str]:
    result = subprocess.run(  # noqa: S603 (our own interpreter and script)
        [sys.executable, str(SUITE), "--quick"],
        capture_output=True,
        text=True,
        check=True,
        timeout=600,
    )
    return result.stdout.splitlines()


@pytest.mark.parametrize(("figure", "reference"), FIGURES, ids=[f"{f}|{r}" for f, r in FIGURES])
def test_quick_mode_prints_every_figure_with_its_reference(
    table: list[str], figure: str, reference: str
) -> None:
    rows = [line for line in table if line.startswith(figure) and reference in line]
    assert len(rows) == 1, (figure, reference, table)
    assert rows[0].rstrip().endswith(("yes", "NO", "-"))


@pytest.mark.parametrize(
    ("figure", "reference", "peer"), PEER_FIGURES, ids=[f for f, _, _ in PEER_FIGURES]
)
def test_quick_mode_prints_every_peer_row(
    table: list[str], figure: str, reference: str, peer: str
) -> None:
    pytest.importorskip(peer)
    rows = [line for line in table if line.startswith(figure) and reference in line]
    assert len(rows) == 1, (figure, reference, table)
    assert rows[0].rstrip().endswith(("yes", "NO", "-"))


def test_quick_mode_prints_a_summary(table: list[str]) -> None:
    assert table[0].startswith("lrsched benchmarks (quick")
    assert table[-1].endswith("targets met")
    rows = [line for line in table[3:-1] if line.strip()]
    known = FIGURES + [(f, ref) for f, ref, _ in PEER_FIGURES]
    # Every row is a known figure (each figure's own row is checked above).
    assert all(any(row.startswith(f) and ref in row for f, ref in known) for row in rows), rows
