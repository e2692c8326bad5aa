"""Feeding the plateaus of a bound expression: where they are, whether metrics can reach them.

A binding records metrics at its own time, which is a plateau's time only if no combinator above
it shifts the clock (``*`` and ``clamp`` do not; ``warmup``, ``concat``, ``repeat`` do). The
binding never rebuilds `lrsched._plateau.Plateau` nodes per metric: it keeps one
`lrsched._plateau_engine.Decisions` per plateau rule and evaluates the expression with
each plateau replaced by the constant it has decided (`substituted`), rebuilt only when a
decision changes. Torch-free.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import attrs

from lrsched._combinators import Clamp, Product
from lrsched._core import ScalarFunction, Schedule, scalar_function
from lrsched._leaves import constant
from lrsched._plateau import Plateau, plateau
from lrsched._plateau_engine import Decisions

__all__ = [
    "Evaluator",
    "clock_problem",
    "contains_plateau",
    "plateaus_in",
    "substituted",
    "torch_plateau_expression",
]

_SAME_CLOCK = (Product, Clamp)
"""Nodes whose children run on the caller's clock: a plateau below them sees the binding's time."""


def contains_plateau(s: Schedule) -> bool:
    """Whether a plateau occurs anywhere in ``s``."""
    return isinstance(s, Plateau) or any(contains_plateau(c) for c in _children(s))


def plateaus_in(s: Schedule) -> list[Plateau]:
    """The plateaus of ``s`` that run on its clock, in tree order (see `clock_problem`)."""
    if isinstance(s, Plateau):
        return [s]
    if isinstance(s, _SAME_CLOCK):
        return [p for child in _children(s) for p in plateaus_in(child)]
    return []


def clock_problem(s: Schedule, where: str) -> str | None:
    """Why metrics cannot be recorded into the plateaus of ``s``, or None if they can."""
    if isinstance(s, Plateau) or not contains_plateau(s):
        return None
    if isinstance(s, _SAME_CLOCK):
        problems = (clock_problem(child, where) for child in _children(s))
        return next((p for p in problems if p is not None), None)
    return (
        f"{where}: a plateau inside {type(s).__name__.lower()}(...) runs on a shifted clock, so "
        "metrics recorded by the binding would land at the wrong time; multiply instead, e.g. "
        "warmup(constant(1), 5) * plateau(...)"
    )


def _children(s: Schedule) -> list[Schedule]:
    return [part.child for part in s._parts()]


def substituted(s: Schedule, replacements: Mapping[Plateau, Schedule]) -> Schedule:
    """``s`` with each plateau on its clock replaced by a schedule.

    The structure (and so the order of the floating-point operations) is kept, so the value is
    what ``s`` with the decided history gives, bit for bit.
    """
    if isinstance(s, Plateau):
        return replacements.get(s, s)
    if isinstance(s, Product) and contains_plateau(s):
        factors = tuple(substituted(f, replacements) for f in s.factors)
        return attrs.evolve(s, factors=factors)
    if isinstance(s, Clamp) and contains_plateau(s):
        return attrs.evolve(s, schedule=substituted(s.schedule, replacements))
    return s


# -- the equivalent of a torch ReduceLROnPlateau, for messages -----------------------------------


def torch_plateau_expression(scheduler: Any, namespace: str = "") -> str:
    """The ``plateau(...)`` expression that reproduces a torch ``ReduceLROnPlateau`` when bound.

    Relative binding: ``min_lr`` becomes ``low = min_lr / lr`` of each group, with the
    group's ``initial_lr`` if it has one, else its current lr (so call it before the scheduler
    reduces anything). One expression if every group gets the same plateau, otherwise a list
    with one per group. Only the options are carried over, not the counters of a scheduler that
    has already stepped, nor ``eps`` (see `lrsched.plateau`). ``namespace`` prefixes each
    call (``"ls."`` gives ``ls.plateau(...)``, for messages).
    """
    groups = scheduler.optimizer.param_groups
    exprs = []
    for group, min_lr in zip(groups, scheduler.min_lrs, strict=False):
        lr = float(group.get("initial_lr", group["lr"]))
        rule = plateau(
            gamma=float(scheduler.factor),
            patience=int(scheduler.patience),
            threshold=float(scheduler.threshold),
            mode=str(scheduler.mode),
            threshold_mode=str(scheduler.threshold_mode),
            cooldown=int(scheduler.cooldown),
            low=_readable(min(float(min_lr) / lr, 1.0)) if lr > 0 else 0.0,
        )
        exprs.append(namespace + repr(rule))
    if len(set(exprs)) == 1:
        return exprs[0]
    return f"[{', '.join(exprs)}]"


def _readable(x: float) -> float:
    """``x`` rounded to 12 significant digits if that changes it by at most 1e-12 (relative)."""
    short = float(f"{x:.12g}")
    return short if math.isclose(short, x, rel_tol=1e-12) else x


class Evaluator:
    """The distinct schedules of a binding at its time, their plateaus fed incrementally.

    ``functions(t)`` are the scalar functions of the schedules with each plateau replaced by
    the constant it has decided at ``t``; they stay right on a window ``[since, until)``
    between two decisions, so stepping rebuilds them only when a decision changes the value.
    """

    def __init__(self, roots: tuple[Schedule, ...]) -> None:
        self.roots = roots
        self.decisions: dict[Plateau, Decisions] = {}
        for root in roots:
            for p in plateaus_in(root):
                if p not in self.decisions:
                    self.decisions[p] = Decisions(p)
        self.fns: list[ScalarFunction] = [scalar_function(r) for r in roots]
        self.since, self.until = (math.inf, math.inf) if self.decisions else (0.0, math.inf)

    def functions(self, t: float) -> list[ScalarFunction]:
        """The scalar functions that give the schedules' values at ``t`` (and near it)."""
        if not self.since <= t < self.until:
            self._build(t)
        return self.fns

    def values(self, t: float) -> list[float]:
        return [f(t) for f in self.functions(t)]

    def record(self, metric: float, time: float) -> None:
        """Record ``metric`` at ``time`` in every plateau (replacing times >= ``time``)."""
        for decisions in self.decisions.values():
            decisions.record(metric, time)
        self.since = math.inf  # the decisions may have changed: rebuilt on the next use

    def _build(self, t: float) -> None:
        replacements: dict[Plateau, Schedule] = {}
        since, until = 0.0, math.inf
        for p, decisions in self.decisions.items():
            count = decisions.count_at(t)
            replacements[p] = constant(decisions.level(count))
            if count:
                since = max(since, decisions.reductions[count - 1])
            until = min(until, decisions.next_change(t))
        self.fns = [scalar_function(substituted(r, replacements)) for r in self.roots]
        self.since, self.until = since, until
