"""Plateaus: reduce a value when a metric stops improving, as a pure function of the history.

torch's `ReduceLROnPlateau` mutates the learning rate as metrics arrive. Here the same rule is
a value: a `Plateau` holds the rule *and* the metrics recorded so far (each with the time it was
recorded), and its value at `t` is the piecewise-constant schedule those metrics decide:
`max(gamma ** (number of reductions decided at times <= t), low)`. Recording a metric returns a
new plateau; nothing mutates. Past the last recorded metric the value holds.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any, final

import attrs

from lrsched._combinators import clamp
from lrsched._core import ScalarFunction, Schedule, scalar_function
from lrsched._errors import ScheduleError
from lrsched._leaves import milestones
from lrsched._registry import constructor
from lrsched._spelling import Call, call, format_number
from lrsched._validate import choice, count, finite, non_negative, positive, sorted_points

if TYPE_CHECKING:
    from lrsched._lattice import Lattice, Part

__all__ = ["Plateau", "plateau"]

_MODES = ("min", "max")
_THRESHOLD_MODES = ("rel", "abs")


@attrs.frozen
class _Replay:
    """The rule's bookkeeping after the last recorded metric (torch's counters)."""

    best: float
    bad: int
    cooling: int
    reductions: tuple[float, ...]


@final
@attrs.frozen(repr=False)
class Plateau(Schedule):
    """`max(gamma ** (number of reductions at times <= t), low)`, decided by metrics.

    Build it with `plateau`. `metrics[i]` was recorded at `times[i]` (strictly increasing); a
    reduction decided by a metric applies from that metric's time on.
    """

    gamma: float
    patience: int
    threshold: float
    mode: str
    threshold_mode: str
    cooldown: int
    low: float
    metrics: tuple[float, ...]
    times: tuple[float, ...]
    _replay: _Replay | None = attrs.field(default=None, eq=False, hash=False)
    _resolved: Schedule | None = attrs.field(default=None, init=False, eq=False, hash=False)

    def __attrs_post_init__(self) -> None:
        if self._replay is None:
            replay = self._start()
            reductions: list[float] = []
            for metric, time in zip(self.metrics, self.times, strict=True):
                replay = self._advance(replay, metric, time, reductions)
            object.__setattr__(self, "_replay", attrs.evolve(replay, reductions=tuple(reductions)))
        state = self._state
        resolved = milestones(state.reductions, self.gamma)
        object.__setattr__(
            self, "_resolved", resolved if self.low == 0.0 else clamp(resolved, low=self.low)
        )

    # -- the rule (torch's ReduceLROnPlateau.step, one metric at a time) ----------------------

    def _start(self) -> _Replay:
        worst = math.inf if self.mode == "min" else -math.inf
        return _Replay(worst, 0, 0, ())

    def _better(self, metric: float, best: float) -> bool:
        # The same float operations as torch's _is_better, so ties decide alike.
        if self.mode == "min":
            if self.threshold_mode == "rel":
                return metric < best * (1.0 - self.threshold)
            return metric < best - self.threshold
        if self.threshold_mode == "rel":
            return metric > best * (self.threshold + 1.0)
        return metric > best + self.threshold

    def _advance(
        self, replay: _Replay, metric: float, time: float, reductions: list[float]
    ) -> _Replay:
        """The counters after one more metric; a reduction is appended to ``reductions``."""
        best, bad, cooling = replay.best, replay.bad, replay.cooling
        if self._better(metric, best):
            best, bad = metric, 0
        else:
            bad += 1
        if cooling > 0:
            cooling -= 1
            bad = 0  # bad epochs during the cooldown are ignored
        if bad <= self.patience:
            return _Replay(best, bad, cooling, ())
        reductions.append(time)
        return _Replay(best, 0, self.cooldown, ())

    # -- the value --------------------------------------------------------------------------

    @property
    def reductions(self) -> tuple[float, ...]:
        """The times at which the recorded metrics reduced the value (each by `gamma`)."""
        return self._state.reductions

    @property
    def _state(self) -> _Replay:
        replay = self._replay
        assert replay is not None  # noqa: S101 (set in __attrs_post_init__)
        return replay

    @property
    def _value(self) -> Schedule:
        resolved = self._resolved
        assert resolved is not None  # noqa: S101 (set in __attrs_post_init__)
        return resolved

    def resolve(
        self, metrics: Iterable[object] = (), times: Iterable[object] | None = None
    ) -> Schedule:
        """The ordinary piecewise-constant schedule of this plateau's metric history.

        `metrics` (recorded at `times`, by default one time unit apart after the last recorded
        metric) extend the history first. The result forgets the rule: it is a `milestones`
        schedule (clamped at `low` if that is > 0), or `constant(1)`.

        Examples:
            >>> import lrsched as ls
            >>> ls.plateau(gamma=0.5, patience=1).resolve([3, 2, 2, 2, 2, 1])
            milestones([4], 0.5)

        """
        pairs = _history(metrics, times, self.times)
        p = self._extended(
            [_metric("metric", m, self.mode) for m, _ in pairs], [t for _, t in pairs]
        )
        return p._value

    def record(self, metric: object, time: object = None) -> Plateau:
        """A new plateau with `metric` recorded at `time` (default: last time + 1, or 1).

        Recorded metrics at times >= `time` are replaced: the history is a function of time, so
        going back and recording again rewrites the future.

        Examples:
            >>> import lrsched as ls
            >>> p = ls.plateau(patience=0).record(1.0).record(2.0)
            >>> p
            plateau(patience=0, metrics=[1, 2])
            >>> p(0), p(1), p(2)
            (1.0, 1.0, 0.1)

        """
        value = _metric("metric", metric, self.mode)
        if time is None:
            at = self.times[-1] + 1.0 if self.times else 1.0
        else:
            at = non_negative("time", time)
        if not self.times or at > self.times[-1]:
            return self._extended([value], [at])
        keep = sum(1 for x in self.times if x < at)
        return attrs.evolve(
            self,
            metrics=(*self.metrics[:keep], value),
            times=(*self.times[:keep], at),
            replay=None,
        )

    def _extended(self, metrics: list[float], times: list[float]) -> Plateau:
        """The plateau with metrics recorded after its own (in one pass over the new ones)."""
        if not metrics:
            return self
        reductions = list(self._state.reductions)
        replay = self._state
        for metric, time in zip(metrics, times, strict=True):
            replay = self._advance(replay, metric, time, reductions)
        return attrs.evolve(
            self,
            metrics=(*self.metrics, *metrics),
            times=(*self.times, *times),
            replay=attrs.evolve(replay, reductions=tuple(reductions)),
        )

    def _formula(self, xp: Any, t: Any) -> Any:
        return self._value._formula(xp, t)

    def _scalar(self) -> ScalarFunction:
        return scalar_function(self._value)

    def _spelling(self) -> Call:
        times = None if self.times == _default_times(len(self.times)) else list(self.times)
        return call(self, plateau, metrics=list(self.metrics), times=times)

    def _range(self) -> tuple[float, float]:
        # gamma ** n for n = 0, 1, ... (gamma < 1), never below low.
        return (min(max(self.low, 0.0), 1.0), max(self.low, 1.0))

    def _parts(self) -> tuple[Part, ...]:
        return ()

    def _breakpoints(self, end: float) -> Any:
        return self._value._breakpoints(end)

    def _extrema(self, lattice: Lattice) -> tuple[float, float]:
        return self._value._extrema(lattice)


def _default_times(n: int) -> tuple[float, ...]:
    return tuple(float(i) for i in range(1, n + 1))


def _metric(name: str, value: object, mode: str) -> float:
    """A metric as a float; NaN becomes the mode's worst value (torch never counts NaN better)."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        msg = f"{name} must be a real number (got {type(value).__name__}: {value!r:.60})"
        raise TypeError(msg)
    x = float(value) + 0.0
    if math.isnan(x):
        # A NaN is never better than the best in torch's comparisons, and neither is the worst
        # value of the mode: they decide alike, and a float that equals itself keeps == exact.
        return math.inf if mode == "min" else -math.inf
    return x


def _history(
    metrics: Iterable[object], times: Iterable[object] | None, after: tuple[float, ...]
) -> list[tuple[object, float]]:
    """Pair metrics with their times (default: one unit apart, after the times in ``after``)."""
    if isinstance(metrics, str | bytes) or not isinstance(metrics, Iterable):
        msg = f"metrics must be a sequence of numbers (got {metrics!r:.60})"
        raise TypeError(msg)
    values = list(metrics)
    if times is None:
        first = after[-1] + 1.0 if after else 1.0
        return [(m, first + i) for i, m in enumerate(values)]
    at = sorted_points("times", times, strict=True)
    if len(at) != len(values):
        msg = (
            f"times must have one entry per metric (got {len(values)} metrics and {len(at)} times)"
        )
        raise ScheduleError(msg)
    if after and at and at[0] <= after[-1]:
        msg = (
            f"times must come after the recorded ones (got times[0] = {format_number(at[0])}, "
            f"last recorded time {format_number(after[-1])})"
        )
        raise ScheduleError(msg)
    return list(zip(values, at, strict=True))


@constructor
def plateau(  # noqa: PLR0913 (torch's ReduceLROnPlateau options, all keyword-only)
    *,
    gamma: float = 0.1,
    patience: int = 10,
    threshold: float = 1e-4,
    mode: str = "min",
    threshold_mode: str = "rel",
    cooldown: int = 0,
    low: float = 0.0,
    metrics: Iterable[object] = (),
    times: Iterable[object] | None = None,
) -> Plateau:
    r"""Reduce by `gamma` when a metric stops improving: torch's ReduceLROnPlateau as a value.

    $$s(t) = \max(\gamma^{\#\{	ext{reductions at times} \le t\}},\ low)$$

    The metrics decide the reductions exactly as torch does: a metric is *better* if it is below
    `best * (1 - threshold)` (`mode="min"`, `threshold_mode="rel"`), below `best - threshold`
    (`"abs"`), above `best * (1 + threshold)` or `best + threshold` (`mode="max"`); after more
    than `patience` metrics in a row that are not better, the value is reduced and the next
    `cooldown` metrics are ignored. A NaN metric is never better. A reduction decided by the
    metric recorded at time `k` applies from `k` on, so with metrics recorded at 1, 2, ... (the
    default times) this is torch's `step(metric)` once per epoch. Past the last recorded metric
    the value holds.

    The value is a multiplier in `[low, 1]` (torch's `min_lr` is `low * initial_lr` in a
    relative binding). torch also skips a reduction smaller than `eps` (1e-8, in lr units); a
    dimensionless schedule has no such rule, so pass `eps=0` to torch to compare them.
    `lrsched.bind` records metrics with `step(metric=...)`.

    Args:
        gamma: Multiplier per reduction, in (0, 1) (torch's `factor`).
        patience: Number of metrics that are not better tolerated before a reduction, >= 0.
        threshold: Minimal improvement that counts as better, >= 0 (relative or absolute).
        mode: `"min"` (lower is better) or `"max"`.
        threshold_mode: `"rel"` or `"abs"`.
        cooldown: Number of metrics ignored after a reduction, >= 0.
        low: Lower bound of the value, in [0, 1] (torch's `min_lr`, relative).
        metrics: The recorded metrics (real numbers), oldest first.
        times: The time of each metric, strictly increasing, >= 0; default `1, 2, ..., n`.

    Returns:
        A `Plateau` schedule (even with no metrics, so that a binding can feed it).

    Examples:
        >>> import lrsched as ls
        >>> p = ls.plateau(gamma=0.5, patience=1, metrics=[3, 2, 2, 2, 2, 1])
        >>> p.reductions
        (4.0,)
        >>> p(3), p(4), p(100)
        (1.0, 0.5, 0.5)
        >>> ls.warmup(ls.constant(1), 2) * ls.plateau(patience=3)
        warmup(constant(1), 2) * plateau(patience=3)

    """
    gamma = positive("gamma", gamma)
    if gamma >= 1.0:
        msg = f"gamma must be < 1 (got {format_number(gamma)})"
        raise ScheduleError(msg)
    low = finite("low", low)
    if not 0.0 <= low <= 1.0:
        msg = f"low must be in [0, 1] (got {format_number(low)})"
        raise ScheduleError(msg)
    mode = choice("mode", mode, _MODES)
    empty = Plateau(
        gamma,
        count("patience", patience),
        non_negative("threshold", threshold),
        mode,
        choice("threshold_mode", threshold_mode, _THRESHOLD_MODES),
        count("cooldown", cooldown),
        low,
        (),
        (),
    )
    pairs = _history(metrics, times, ())
    values = [_metric(f"metrics[{i}]", m, mode) for i, (m, _) in enumerate(pairs)]
    return empty._extended(values, [t for _, t in pairs])
