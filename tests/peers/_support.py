"""What the peer tests share: the times to compare at and the comparison itself.

Each test evaluates the peer's own object and the lrsched expression the migration page
(docs/migration.md) gives for it, at every integer step of a window that covers each of the
peer's boundaries +-1, and far past the end.
"""

from __future__ import annotations

import importlib
import importlib.util
import math
import sys
import types
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

import numpy as np
import pytest
from hypothesis import settings

if TYPE_CHECKING:
    import lrsched as ls

__all__ = ["F32", "F64", "FAR", "agree", "few", "import_timm_scheduler", "steps"]

FAR = (10**6, 10**9)
F64 = 1e-12
"""Relative tolerance against a float64 peer."""
F32 = 4e-6
"""Relative tolerance against a float32 peer (Keras computes in float32 even for float64 input):
a few float32 ulps, the argument's rounding (t / decay_steps in float32) included."""


few = settings(max_examples=max(10, settings.default.max_examples // 5))
"""Hypothesis settings for the peer tests: each example runs a peer over a whole window."""


def steps(end: int, *boundaries: float, far: Iterable[int] = FAR) -> list[int]:
    """Every integer in ``[0, end]``, each boundary's integers +-1, and the far times."""
    ts = set(range(end + 1))
    for b in boundaries:
        k = math.floor(b)
        ts.update(range(max(k - 1, 0), k + 3))
    ts.update(far)
    return sorted(ts)


def agree(
    schedule: ls.Schedule,
    peer: Callable[[int], float] | dict[int, float],
    times: Iterable[int],
    *,
    rel: float = F64,
    floor: float = 1e-14,
    slack: Callable[[int], float] | None = None,
) -> None:
    """Assert ``schedule(t)`` (scalar and array paths) matches the peer at every time.

    ``floor`` is an absolute tolerance as a fraction of the largest value: where the exact value
    is near 0 (``1 + cos`` near its minimum), two correct float64 formulas that group the
    arithmetic differently differ by about 1e-16 of the peak, which is no relative bound.
    ``slack(t)`` adds an absolute tolerance per time, for a peer whose own rounding is known
    to be amplified there (a float32 peer near the end of a power curve).
    """
    ts = list(times)
    theirs = np.array([peer[t] if isinstance(peer, dict) else peer(t) for t in ts], dtype=float)
    scalars = np.array([schedule(t) for t in ts])
    array = schedule(np.array(ts, dtype=np.float64))
    scale = float(np.max(np.abs(theirs))) if len(theirs) else 1.0
    for name, ours in (("scalar", scalars), ("array", array)):
        assert np.all(np.isfinite(ours)), (name, schedule)
        extra = np.array([slack(t) for t in ts]) if slack else 0.0
        bad = ~(np.abs(ours - theirs) <= floor * scale + extra + rel * np.abs(theirs))
        if bad.any():
            i = int(np.flatnonzero(bad)[0])
            msg = (
                f"{schedule!r} ({name} path) at t = {ts[i]}: {ours[i]!r}, "
                f"peer {theirs[i]!r} ({int(bad.sum())} of {len(ts)} times differ)"
            )
            raise AssertionError(msg)


def import_timm_scheduler() -> Any:
    """``timm.scheduler``, imported without running ``timm/__init__`` when that cannot run.

    ``import timm`` imports its models, which need torchvision; the schedulers need only torch.
    With timm installed ``--no-deps`` (see pyproject.toml's ``peers`` extra) there is no
    torchvision, so the package is entered through a stub that has only its path.
    """
    if importlib.util.find_spec("torch") is None:
        pytest.skip("timm's schedulers need torch", allow_module_level=True)
    if "timm" not in sys.modules:  # once entered (the stub has no spec to find again), reuse it
        spec = importlib.util.find_spec("timm")
        if spec is None or spec.submodule_search_locations is None:
            pytest.skip("timm is not installed", allow_module_level=True)
        if importlib.util.find_spec("torchvision") is None:
            stub = types.ModuleType("timm")
            stub.__path__ = list(spec.submodule_search_locations)
            sys.modules["timm"] = stub
    return importlib.import_module("timm.scheduler")
