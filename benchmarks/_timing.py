"""Paired timing: a subject and its reference, measured in the same run, interleaved.

Every figure of the suite is a *pair*. Both sides are warmed up and calibrated (so that one
sample lasts at least ``min_sample_s``), then timed in alternating rounds (subject first in even
rounds, reference first in odd ones), so that load from other processes and CPU frequency drift
hit both alike. Each side's figure is the median of its per-round samples; the ratio is the
ratio of the two medians, and the spread is the interquartile range of the per-round ratios.

Only the standard library: ``timeit`` (which switches the garbage collector off while timing)
and ``time.perf_counter_ns``.
"""

from __future__ import annotations

import statistics
import time
import timeit
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

__all__ = ["Pair", "Sampler", "calibrated", "compare", "format_time", "subprocess_sampler"]

Sampler = Callable[[], float]
"""Takes one sample and returns the time of one call, in nanoseconds."""


@dataclass(frozen=True)
class Pair:
    """Per-round times (ns per call) of a subject and its reference."""

    subject_ns: tuple[float, ...]
    reference_ns: tuple[float, ...]

    @property
    def subject(self) -> float:
        return statistics.median(self.subject_ns)

    @property
    def reference(self) -> float:
        return statistics.median(self.reference_ns)

    @property
    def ratio(self) -> float:
        return self.subject / self.reference

    @property
    def difference(self) -> float:
        return self.subject - self.reference

    @property
    def spread(self) -> tuple[float, float]:
        """Quartiles of the per-round ratios: how much the noise moves the ratio."""
        ratios = sorted(s / r for s, r in zip(self.subject_ns, self.reference_ns, strict=True))
        if len(ratios) < 4:
            return ratios[0], ratios[-1]
        q1, _, q3 = statistics.quantiles(ratios, n=4)
        return q1, q3


def calibrated(
    stmt: str | Callable[[], object], namespace: dict[str, Any], min_sample_s: float
) -> Sampler:
    """A sampler that runs ``stmt`` in a timeit loop long enough to last ``min_sample_s``.

    ``stmt`` is preferably a source string (``"s(t)"``): timeit compiles it into its loop, so
    the figure holds no extra Python call. Calibration doubles as warm-up.
    """
    timer = timeit.Timer(stmt, globals=namespace)
    number = 1
    while True:
        elapsed = timer.timeit(number)
        if elapsed >= min_sample_s:
            break
        # Aim a little past the target from the last measurement, at most x10 per try.
        number = max(number + 1, int(number * min(10.0, 1.2 * min_sample_s / max(elapsed, 1e-9))))

    def sample() -> float:
        return timer.timeit(number) / number * 1e9

    return sample


def subprocess_sampler(run: Callable[[], object]) -> Sampler:
    """A sampler timing one call of ``run`` (for slow things, e.g. a fresh interpreter)."""

    def sample() -> float:
        start = time.perf_counter_ns()
        run()
        return float(time.perf_counter_ns() - start)

    return sample


def compare(subject: Sampler, reference: Sampler, rounds: int) -> Pair:
    """Time ``subject`` and ``reference`` in ``rounds`` alternating rounds."""
    subject_ns: list[float] = []
    reference_ns: list[float] = []
    for i in range(rounds):
        if i % 2 == 0:
            subject_ns.append(subject())
            reference_ns.append(reference())
        else:
            reference_ns.append(reference())
            subject_ns.append(subject())
    return Pair(tuple(subject_ns), tuple(reference_ns))


def format_time(ns: float) -> str:
    """``1234.0`` -> ``'1.23 us'``: three significant digits and a unit."""
    magnitude = abs(ns)
    for unit, scale in (("s", 1e9), ("ms", 1e6), ("us", 1e3)):
        if magnitude >= scale:
            return f"{ns / scale:.3g} {unit}"
    return f"{ns:.3g} ns"
