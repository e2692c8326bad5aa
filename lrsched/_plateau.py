"""Plateaus: reduce a value when a metric stops improving, as a pure function of the history.

torch's ``ReduceLROnPlateau`` mutates the learning rate as metrics arrive. Here the same rule is
a value: a :class:`Plateau` holds the rule *and* the metrics recorded so far (each with the time
it was recorded), and its value at ``t`` is the piecewise-constant schedule those metrics
decide: ``max(factor ** (number of reductions decided at times <= t), min_value)``. Recording a
metric returns a new plateau; nothing mutates. Past the last recorded metric the value holds.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Iterable
from typing import final

import attrs

from lrsched._combinators import clamp
from lrsched._core import FloatArray, ScalarFunction, Schedule, constructor, scalar_function
from lrsched._errors import ScheduleError
from lrsched._primitives import milestones
from lrsched._validate import finite, format_number, non_negative, positive, sorted_points

__all__ = ["Plateau", "plateau"]

_MODES = ("min", "max")
_THRESHOLD_MODES = ("rel", "abs")


@attrs.frozen
class _Replay:
    """The rule's bookkeeping after the last recorded metric (torch's counters), and its result."""

    best: float
    bad: int
    cooling: int
    reductions: tuple[float, ...]
    resolved: Schedule


@final
@attrs.frozen(repr=False)
class Plateau(Schedule):
    """``max(factor ** (number of reductions at times <= t), min_value)``, decided by metrics.

    Build it with :func:`plateau`. ``metrics[i]`` was recorded at ``times[i]`` (strictly
    increasing); a reduction decided by a metric applies from that metric's time on.
    """

    factor: float
    patience: int
    threshold: float
    mode: str
    threshold_mode: str
    cooldown: int
    min_value: float
    metrics: tuple[float, ...]
    times: tuple[float, ...]
    _replay: _Replay | None = attrs.field(default=None, eq=False, hash=False)

    def __attrs_post_init__(self) -> None:
        if self._replay is None:
            replay = self._start()
            for metric, time in zip(self.metrics, self.times, strict=True):
                replay = self._advance(replay, metric, time)
            object.__setattr__(self, "_replay", replay)

    # -- the rule (torch's ReduceLROnPlateau.step, one metric at a time) ----------------------

    def _start(self) -> _Replay:
        worst = math.inf if self.mode == "min" else -math.inf
        return _Replay(worst, 0, 0, (), self._resolve(()))

    def _better(self, metric: float, best: float) -> bool:
        # The same float operations as torch's _is_better, so ties decide alike.
        if self.mode == "min":
            if self.threshold_mode == "rel":
                return metric < best * (1.0 - self.threshold)
            return metric < best - self.threshold
        if self.threshold_mode == "rel":
            return metric > best * (self.threshold + 1.0)
        return metric > best + self.threshold

    def _advance(self, replay: _Replay, metric: float, time: float) -> _Replay:
        best, bad, cooling, reductions = replay.best, replay.bad, replay.cooling, replay.reductions
        if self._better(metric, best):
            best, bad = metric, 0
        else:
            bad += 1
        if cooling > 0:
            cooling -= 1
            bad = 0  # bad epochs during the cooldown are ignored
        if bad <= self.patience:
            return _Replay(best, bad, cooling, reductions, replay.resolved)
        reductions = (*reductions, time)
        return _Replay(best, 0, self.cooldown, reductions, self._resolve(reductions))

    def _resolve(self, reductions: tuple[float, ...]) -> Schedule:
        steps = milestones(reductions, self.factor)
        return steps if self.min_value == 0.0 else clamp(steps, low=self.min_value)

    # -- the value --------------------------------------------------------------------------

    @property
    def reductions(self) -> tuple[float, ...]:
        """The times at which the recorded metrics reduced the value (each by ``factor``)."""
        return self._state.reductions

    @property
    def _state(self) -> _Replay:
        replay = self._replay
        assert replay is not None  # noqa: S101 (set in __attrs_post_init__)
        return replay

    def resolve(
        self, metrics: Iterable[object] = (), times: Iterable[object] | None = None
    ) -> Schedule:
        """The ordinary piecewise-constant schedule of this plateau's metric history.

        ``metrics`` (recorded at ``times``, by default one time unit apart after the last
        recorded metric) extend the history first. The result forgets the rule: it is a
        ``milestones`` schedule (clamped at ``min_value`` if that is > 0), or ``constant(1)``.

        Examples:
            >>> import lrsched as ls
            >>> ls.plateau(factor=0.5, patience=1).resolve([3, 2, 2, 2, 2, 1])
            milestones([4], 0.5)

        """
        p = self
        for metric, time in _history(metrics, times, self.times):
            p = p.record(metric, time)
        return p._state.resolved

    def record(self, metric: object, time: object = None) -> Plateau:
        """A new plateau with ``metric`` recorded at ``time`` (default: last time + 1, or 1).

        Recorded metrics at times >= ``time`` are replaced: the history is a function of time, so
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
            replay = self._advance(self._state, value, at)
            return attrs.evolve(
                self, metrics=(*self.metrics, value), times=(*self.times, at), replay=replay
            )
        keep = sum(1 for x in self.times if x < at)
        return attrs.evolve(
            self,
            metrics=(*self.metrics[:keep], value),
            times=(*self.times[:keep], at),
            replay=None,
        )

    def _scalar(self) -> ScalarFunction:
        return scalar_function(self._state.resolved)

    def _at(self, t: float) -> float:
        return scalar_function(self)(t)

    def _over(self, t: FloatArray) -> FloatArray:
        return self._state.resolved._over(t)

    def __repr__(self) -> str:
        args = [
            f"{name}={text}"
            for name, value, default, text in (
                ("factor", self.factor, 0.1, format_number(self.factor)),
                ("patience", self.patience, 10, str(self.patience)),
                ("threshold", self.threshold, 1e-4, format_number(self.threshold)),
                ("mode", self.mode, "min", repr(self.mode)),
                ("threshold_mode", self.threshold_mode, "rel", repr(self.threshold_mode)),
                ("cooldown", self.cooldown, 0, str(self.cooldown)),
                ("min_value", self.min_value, 0.0, format_number(self.min_value)),
            )
            if value != default
        ]
        if self.metrics:
            args.append(f"metrics=[{', '.join(_format_metric(m) for m in self.metrics)}]")
            if self.times != _default_times(len(self.times)):
                args.append(f"times=[{', '.join(format_number(x) for x in self.times)}]")
        return f"plateau({', '.join(args)})"


def _default_times(n: int) -> tuple[float, ...]:
    return tuple(float(i) for i in range(1, n + 1))


def _format_metric(x: float) -> str:
    if math.isinf(x):
        return "float('inf')" if x > 0 else "float('-inf')"
    return format_number(x)


def _metric(name: str, value: object, mode: str) -> float:
    """A metric as a float; NaN becomes the mode's worst value (torch never counts NaN better)."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        msg = f"{name} must be a real number (got {type(value).__name__}: {value!r})"
        raise TypeError(msg)
    x = float(value)
    if math.isnan(x):
        # A NaN is never better than the best in torch's comparisons, and neither is the worst
        # value of the mode: they decide alike, and a float that equals itself keeps == exact.
        return math.inf if mode == "min" else -math.inf
    return x


def _count(name: str, value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        msg = f"{name} must be an int >= 0 (got {type(value).__name__}: {value!r})"
        raise TypeError(msg)
    if value < 0:
        msg = f"{name} must be >= 0 (got {value})"
        raise ScheduleError(msg)
    return int(value)


def _choice(name: str, value: object, choices: tuple[str, ...]) -> str:
    if value not in choices:
        options = " or ".join(repr(c) for c in choices)
        msg = f"{name} must be {options} (got {value!r})"
        raise ScheduleError(msg)
    return str(value)


def _history(
    metrics: Iterable[object], times: Iterable[object] | None, after: tuple[float, ...]
) -> list[tuple[object, float]]:
    """Pair metrics with their times (default: one unit apart, after the times in ``after``)."""
    if isinstance(metrics, str | bytes) or not isinstance(metrics, Iterable):
        msg = f"metrics must be a sequence of numbers (got {metrics!r})"
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
def plateau(  # noqa: PLR0913, PLR0917 (torch's ReduceLROnPlateau options, in torch's order)
    factor: float = 0.1,
    patience: int = 10,
    threshold: float = 1e-4,
    mode: str = "min",
    threshold_mode: str = "rel",
    cooldown: int = 0,
    min_value: float = 0.0,
    *,
    metrics: Iterable[object] = (),
    times: Iterable[object] | None = None,
) -> Plateau:
    r"""Reduce by ``factor`` when a metric stops improving: torch's ReduceLROnPlateau as a value.

    .. math:: s(t) = \max(factor^{\#\{\text{reductions at times} \le t\}},\ min\_value)

    The metrics decide the reductions exactly as torch does: a metric is *better* if it is below
    ``best * (1 - threshold)`` (``mode="min"``, ``threshold_mode="rel"``), below
    ``best - threshold`` (``"abs"``), above ``best * (1 + threshold)`` or ``best + threshold``
    (``mode="max"``); after more than ``patience`` metrics in a row that are not better, the
    value is reduced and the next ``cooldown`` metrics are ignored. A NaN metric is never better.
    A reduction decided by the metric recorded at time ``k`` applies from ``k`` on, so with
    metrics recorded at 1, 2, ... (the default times) this is torch's ``step(metric)`` once per
    epoch. Past the last recorded metric the value holds.

    The value is a multiplier in ``[min_value, 1]`` (``min_lr`` of torch is
    ``min_value * initial_lr`` in a relative binding). torch also skips a reduction smaller than
    ``eps`` (1e-8, in lr units); a dimensionless schedule has no such rule, so pass ``eps=0`` to
    torch to compare them. :func:`~lrsched.bind` records metrics with ``step(metric=...)``.

    Args:
        factor: Multiplier per reduction, in (0, 1).
        patience: Number of metrics that are not better tolerated before a reduction, >= 0.
        threshold: Minimal improvement that counts as better, >= 0 (relative or absolute).
        mode: ``"min"`` (lower is better) or ``"max"``.
        threshold_mode: ``"rel"`` or ``"abs"``.
        cooldown: Number of metrics ignored after a reduction, >= 0.
        min_value: Lower bound of the value, in [0, 1].
        metrics: The recorded metrics (real numbers), oldest first.
        times: The time of each metric, strictly increasing, >= 0; default ``1, 2, ..., n``.

    Returns:
        A :class:`Plateau` schedule (even with no metrics, so that a binding can feed it).

    Examples:
        >>> import lrsched as ls
        >>> p = ls.plateau(factor=0.5, patience=1, metrics=[3, 2, 2, 2, 2, 1])
        >>> p.reductions
        (4.0,)
        >>> p(3), p(4), p(100)
        (1.0, 0.5, 0.5)
        >>> ls.warmup(ls.constant(1), 2) * ls.plateau(patience=3)
        warmup(constant(1), 2) * plateau(patience=3)

    """
    factor = positive("factor", factor)
    if factor >= 1.0:
        msg = f"factor must be < 1 (got {format_number(factor)})"
        raise ScheduleError(msg)
    min_value = finite("min_value", min_value)
    if not 0.0 <= min_value <= 1.0:
        msg = f"min_value must be in [0, 1] (got {format_number(min_value)})"
        raise ScheduleError(msg)
    mode = _choice("mode", mode, _MODES)
    empty = Plateau(
        factor,
        _count("patience", patience),
        non_negative("threshold", threshold),
        mode,
        _choice("threshold_mode", threshold_mode, _THRESHOLD_MODES),
        _count("cooldown", cooldown),
        min_value,
        (),
        (),
    )
    p = empty
    for metric, time in _history(metrics, times, ()):
        p = p.record(_metric(f"metrics[{len(p.metrics)}]", metric, mode), time)
    return p
