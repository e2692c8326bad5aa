"""The plateau rule decided incrementally: O(1) amortised per metric, whatever the history.

A `lrsched._plateau.Plateau` is a value that holds its whole history; recording a metric
into it builds a new node. A binding that receives a metric every few steps for a million steps
cannot afford that, so it keeps, per plateau rule, a `Decisions`: torch's counters (best,
bad epochs, cooldown) after the last metric, the recorded history as growing lists, and the
times of the reductions decided so far. Recording a metric advances the counters once; the
value at ``t`` is ``max(gamma ** (reductions at times <= t), low)``, read in O(1) at the
current time and with a bisection for time travel. Only rewriting the past (recording at a time
at or before the last recorded one) replays the history, as a `Plateau` does.

A property test ties it to the node: for any history, the values and reductions agree exactly.
This module knows the rule's options and nothing of torch.
"""

from __future__ import annotations

import bisect
import math
from typing import Any

__all__ = ["Decisions", "plateau_options"]


def plateau_options(node: Any) -> tuple[float, int, float, str, str, int, float]:
    """The rule of a plateau node, as torch orders ReduceLROnPlateau's options.

    (gamma, patience, threshold, mode, threshold_mode, cooldown, low): the one place that
    reads the node's option names.
    """
    return (
        node.gamma,
        node.patience,
        node.threshold,
        node.mode,
        node.threshold_mode,
        node.cooldown,
        node.low,
    )


class Decisions:
    """The incremental state of one plateau rule: its history, counters and reductions."""

    __slots__ = (
        "_bad",
        "_best",
        "_cooldown",
        "_cooling",
        "_gamma",
        "_high",
        "_low",
        "_patience",
        "_rel",
        "_scale",
        "metrics",
        "reductions",
        "times",
    )

    def __init__(self, node: Any) -> None:
        gamma, patience, threshold, mode, threshold_mode, cooldown, low = plateau_options(node)
        self._gamma, self._patience, self._cooldown = gamma, patience, cooldown
        self._low = low
        self._high = mode == "max"
        self._rel = threshold_mode == "rel"
        # The same float operations as torch's _is_better, so that ties decide alike.
        self._scale = (
            (threshold + 1.0 if self._high else 1.0 - threshold) if self._rel else threshold
        )
        self.metrics: list[float] = []
        self.times: list[float] = []
        self.reductions: list[float] = []
        self._restart()
        for metric, time in zip(node.metrics, node.times, strict=True):
            self.record(metric, time)

    def _restart(self) -> None:
        self._best = -math.inf if self._high else math.inf
        self._bad = 0
        self._cooling = 0
        self.metrics.clear()
        self.times.clear()
        self.reductions.clear()

    def _better(self, metric: float) -> bool:
        best = self._best
        if self._high:
            return metric > (best * self._scale if self._rel else best + self._scale)
        return metric < (best * self._scale if self._rel else best - self._scale)

    def record(self, metric: float, time: float) -> None:
        """Record ``metric`` at ``time``; metrics at times >= ``time`` are replaced first."""
        if math.isnan(metric):
            # Never better, as in torch; the mode's worst value decides alike.
            metric = -math.inf if self._high else math.inf
        if self.times and time <= self.times[-1]:
            keep = bisect.bisect_left(self.times, time)
            history = list(zip(self.metrics[:keep], self.times[:keep], strict=True))
            self._restart()
            for m, at in history:
                self._advance(m, at)
        self._advance(metric, time)

    def _advance(self, metric: float, time: float) -> None:
        self.metrics.append(metric)
        self.times.append(time)
        if self._better(metric):
            self._best, self._bad = metric, 0
        else:
            self._bad += 1
        if self._cooling > 0:
            self._cooling -= 1
            self._bad = 0  # bad epochs during the cooldown are ignored
        if self._bad > self._patience:
            self.reductions.append(time)
            self._bad, self._cooling = 0, self._cooldown

    def level(self, count: int) -> float:
        """The value after ``count`` reductions: ``max(gamma ** count, low)``."""
        value = self._gamma**count
        low = self._low
        return max(value, low)

    def count_at(self, t: float) -> int:
        """The number of reductions decided at times <= ``t``."""
        reductions = self.reductions
        if not reductions or t >= reductions[-1]:
            return len(reductions)
        return bisect.bisect_right(reductions, t)

    def next_change(self, t: float) -> float:
        """The first reduction time > ``t`` (inf if none): the value holds on ``[t, that)``."""
        reductions = self.reductions
        if not reductions or t >= reductions[-1]:
            return math.inf
        return reductions[bisect.bisect_right(reductions, t)]
