"""Convert torch learning-rate schedulers into schedules: `from_torch`.

This module imports torch; ``import lrsched`` does not import it (``lrsched.from_torch`` is
resolved on first use).

torch's schedulers compute each epoch's lr by *mutating* the optimizer: most of them multiply
the current lr by a ratio (they are "chainable"), a few recompute it from the base lr, and the
containers (``SequentialLR``, ``ChainedScheduler``) step their children in ways that depend on
how they were entered. The conversion models each scheduler by the way torch first applies it
(its *entry*):

``construct``
    A scheduler used on its own: its constructor applied epoch 0 to the optimizer's lr.
``initial``
    The first piece of a top-level ``SequentialLR``: its initial step again, from
    ``initial_lr``.
``step0``
    Stepped from epoch -1 *without* torch's initial-step guard: the first piece of a nested
    ``SequentialLR``, or a child of a ``ChainedScheduler`` that is a piece of a
    ``SequentialLR``. ``ExponentialLR`` and friends then apply a factor at epoch 0 already.
``restart``
    A later piece of a ``SequentialLR``, restarted at its milestone with ``_update_lr(0)``: the
    closed form at epoch 0 (from ``base_lrs``), or ``get_lr()`` for the classes without one.

Everything that no clean expression reproduces is refused with a
`lrsched.ScheduleError` that names the scheduler and the quirk; see ``docs/migration.md``.
"""

from __future__ import annotations

import bisect
import functools
import math
import numbers
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Literal, Self, overload

import torch
from torch.optim import lr_scheduler as tls

from lrsched._combinators import Concat, concat, product
from lrsched._curves import Linear, cosine, linear, polynomial
from lrsched._cycles import cosine_restarts, cyclic, one_cycle
from lrsched._errors import ScheduleError
from lrsched._hf import hf_lambda
from lrsched._leaves import (
    Constant,
    constant,
    exponential,
    function,
    milestones,
    multiplicative,
    step,
)
from lrsched._validate import format_number

if TYPE_CHECKING:
    from lrsched._core import Schedule

__all__ = ["Converted", "from_torch"]


class Converted:
    """A ``from_torch`` result: absolute schedules of a scheduler now at ``epoch``.

    `lrsched.bind` reads it: the schedules are bound absolute (the base lr is already in
    them) and the binding starts at ``epoch``, so a scheduler converted mid-run continues its
    trajectory. It compares, prints and pickles as the plain tuple or list it is.
    """

    epoch: int


class ConvertedTuple(tuple, Converted):  # type: ignore[type-arg]  # noqa: SLOT001 (has .epoch)
    """The tuple of lr schedules of `from_torch`."""

    def __new__(cls, items: Any, epoch: int) -> Self:
        made: Self = super().__new__(cls, items)
        made.epoch = epoch
        return made

    def __reduce__(self) -> Any:
        return (ConvertedTuple, (tuple(self), self.epoch))


class ConvertedList(list, Converted):  # type: ignore[type-arg]  # of entries
    """One list of ``from_torch(s, keys=True)``."""

    def __init__(self, items: Any, epoch: int) -> None:
        super().__init__(items)
        self.epoch = epoch

    def __reduce__(self) -> Any:
        return (ConvertedList, (list(self), self.epoch))


_CONSTRUCT = "construct"
_INITIAL = "initial"
_STEP0 = "step0"
_RESTART = "restart"

_CHECK_REL = 1e-6
"""Relative tolerance of the check that the optimizer's current lr is the converted value."""

# Classes whose step multiplies the lr by a factor of the epoch (or, for the cosine, applies
# an affine map that is a factor when eta_min is 0): the ones a ChainedScheduler multiplies.
_CHAINABLE: tuple[type[Any], ...] = (
    tls.StepLR,
    tls.MultiStepLR,
    tls.ConstantLR,
    tls.LinearLR,
    tls.ExponentialLR,
    tls.PolynomialLR,
    tls.CosineAnnealingLR,
    tls.MultiplicativeLR,
)
# Classes that compute the lr from their base lrs at every step, whatever the current lr is.
_CLOSED: tuple[type[Any], ...] = (
    tls.LambdaLR,
    tls.CosineAnnealingWarmRestarts,
    tls.CyclicLR,
    tls.OneCycleLR,
)
_CONTAINERS: tuple[type[Any], ...] = (tls.SequentialLR, tls.ChainedScheduler)
_SUPPORTED = _CHAINABLE + _CLOSED + _CONTAINERS


@overload
def from_torch(scheduler: object, *, keys: Literal[False] = False) -> tuple[Schedule, ...]: ...
@overload
def from_torch(scheduler: object, *, keys: Literal[True]) -> dict[str, Any]: ...
@overload
def from_torch(scheduler: object, *, keys: bool) -> tuple[Schedule, ...] | dict[str, Any]: ...


def from_torch(scheduler: object, *, keys: bool = False) -> tuple[Schedule, ...] | dict[str, Any]:
    """The schedules of a torch lr scheduler: one per param group, giving absolute lrs.

    ``from_torch(s)[g](t)`` is ``optimizer.param_groups[g]["lr"]`` after ``t`` calls of
    ``s.step()`` from the scheduler's construction (``t = 0`` is right after construction),
    within a relative 1e-10 (see ``docs/migration.md`` for the few-ulp drift of torch's recursive
    formulas). ``lrsched.bind(optimizer, from_torch(s))`` binds them back absolute, starting at
    the scheduler's current epoch (the result carries it), so a scheduler converted mid-run
    continues its exact trajectory; ``lrsched.bind(optimizer, s)`` does the same in one call.

    Supported: ``LambdaLR``, ``MultiplicativeLR``, ``StepLR``, ``MultiStepLR``, ``ConstantLR``,
    ``LinearLR``, ``ExponentialLR``, ``PolynomialLR``, ``CosineAnnealingLR`` (periodic past
    ``T_max``, as torch), ``CosineAnnealingWarmRestarts`` (stepped once per epoch),
    ``CyclicLR``, ``OneCycleLR`` (torch's value at ``t = total_steps``, then held),
    ``SequentialLR`` (nested too) and ``ChainedScheduler`` where torch's result is a product.

    With ``keys=True`` the result is a dict of `lrsched.bind` keywords, each a list with
    one absolute schedule per param group: ``{"lr": [...]}``, plus the momentum that a
    ``CyclicLR`` or ``OneCycleLR`` with ``cycle_momentum=True`` cycles, as torch writes it:
    ``"momentum": [...]`` (SGD, RMSprop), or ``"betas": [(beta1, None), ...]`` for optimizers
    with betas (Adam: the second beta is left alone). Bind it all with
    ``lrsched.bind(optimizer, **from_torch(s, keys=True))``. The momentum of a
    ``CyclicLR`` is ``cyclic(max_momentum, base_momentum, ...)`` (the lr's cycle, inverted);
    that of a ``OneCycleLR`` is ``one_cycle(total_steps, base_momentum,
    div_factor=base_momentum / max_momentum, final_div_factor=1, ...)`` with the lr's phases.

    The conversion only reads the scheduler and its optimizer (nothing is stepped or changed)
    and is deterministic. Python callables (``LambdaLR``, ``MultiplicativeLR``) are wrapped, not
    called, except to check the current epoch, and are called with ints as torch calls them.

    Args:
        scheduler: A ``torch.optim.lr_scheduler.LRScheduler`` of one of the classes above,
            created with the default ``last_epoch=-1``.
        keys: Return a dict of bind keywords (lr and cycled momentum) instead of the tuple of
            lr schedules; keyword-only.

    Returns:
        One schedule per param group of the scheduler's optimizer; with ``keys=True``, a dict
        from param-group keys (``"lr"``, ``"momentum"`` or ``"betas"``) to lists with one
        entry per param group.

    Raises:
        TypeError: If ``scheduler`` is not a torch lr scheduler.
        ScheduleError: If it is ``ReduceLROnPlateau`` (driven by metrics, not by the epoch), a
            class of its own (subclasses included), or a configuration whose torch behaviour
            is a quirk that no schedule expression reproduces; the message names the scheduler
            and the quirk. Also if the optimizer's current lr (or, with ``keys=True``, its
            momentum) is not what the scheduler's settings give at its current epoch (it was
            changed from outside). With ``keys=True``, also if a scheduler that cycles
            momentum sits inside a ``SequentialLR`` or ``ChainedScheduler``, or if a
            ``OneCycleLR``'s momentum runs through 0 (no ``one_cycle`` expresses it).

    Examples:
        >>> import torch
        >>> import lrsched as ls
        >>> params = [torch.zeros(1, requires_grad=True)]
        >>> opt = torch.optim.SGD(params, lr=0.1)
        >>> sched = torch.optim.lr_scheduler.StepLR(opt, step_size=30, gamma=0.5)
        >>> ls.from_torch(sched)
        (0.1 * step(30, 0.5),)
        >>> opt = torch.optim.SGD(params, lr=0.1, momentum=0.9)
        >>> sched = torch.optim.lr_scheduler.CyclicLR(opt, base_lr=0.01, max_lr=0.1)
        >>> ls.from_torch(sched, keys=True)
        {'lr': [cyclic(0.01, 0.1, 2000)], 'momentum': [cyclic(0.9, 0.8, 2000)]}

    """
    if not isinstance(scheduler, tls.LRScheduler):
        msg = (
            "from_torch expects a torch.optim.lr_scheduler.LRScheduler "
            f"(got {type(scheduler).__name__})"
        )
        raise TypeError(msg)
    name = type(scheduler).__name__
    _check_tree(scheduler, name)
    if keys:
        _check_momentum_tree(scheduler, name)
    groups = scheduler.optimizer.param_groups
    converter = _Converter(groups)
    schedules = converter.convert(scheduler, _CONSTRUCT, 0, name)
    _check_current_lrs(scheduler, schedules, groups, name)
    epoch = max(_clock(scheduler) or 0, 0)
    if not keys:
        return ConvertedTuple(schedules, epoch)
    out: dict[str, Any] = {"lr": ConvertedList(schedules, epoch)}
    if _cycles_momentum(scheduler):
        momenta = converter.momentum(scheduler, name)
        key = "betas" if getattr(scheduler, "use_beta1", False) else "momentum"
        _check_current_momenta(scheduler, momenta, groups, key, name)
        if key == "betas":
            out[key] = ConvertedList(
                [
                    (m, *(None,) * (len(group["betas"]) - 1))
                    for m, group in zip(momenta, groups, strict=True)
                ],
                epoch,
            )
        else:
            out[key] = ConvertedList(momenta, epoch)
    return out


def _lambda(fn: Callable[[int], float]) -> Schedule:
    """A LambdaLR's lambda: transformers' own lambdas exactly, any other callable wrapped."""
    try:
        known = hf_lambda(fn)
    except ScheduleError:  # transformers' lambda with parameters no expression reproduces
        known = None
    return function(fn) if known is None else known


def _refuse(where: str, reason: str) -> ScheduleError:
    return ScheduleError(f"cannot convert {where}: {reason}")


def _where(s: object, path: str) -> str:
    name = type(s).__name__
    return name if path == name else f"{name} (at {path})"


def _children(s: object) -> list[Any]:
    return list(getattr(s, "_schedulers", ()))


def _check_tree(top: tls.LRScheduler, path: str) -> None:
    """Refuse unsupported classes, shared optimizers and schedulers that appear twice."""
    seen: dict[int, str] = {}
    optimizer = top.optimizer

    def visit(s: object, path: str) -> None:
        where = _where(s, path)
        if isinstance(s, tls.ReduceLROnPlateau):
            reason = (
                "its learning rates depend on the metrics passed to step(), not on the epoch "
                f"alone, so no function of t reproduces them{_plateau_hint(s)}"
            )
            raise _refuse(where, reason)
        if type(s) not in _SUPPORTED:
            names = ", ".join(sorted(c.__name__ for c in _SUPPORTED))
            reason = (
                f"only torch's own schedulers have known formulas ({names}); "
                f"{type(s).__name__} (or a subclass) may compute anything in get_lr()"
            )
            raise _refuse(where, reason)
        if id(s) in seen:
            reason = (
                f"the same scheduler object also appears at {seen[id(s)]}; torch then steps "
                "one shared state twice"
            )
            raise _refuse(where, reason)
        seen[id(s)] = path
        if getattr(s, "optimizer", optimizer) is not optimizer:
            raise _refuse(where, "it drives another optimizer than the outer scheduler")
        for i, child in enumerate(_children(s)):
            visit(child, f"{path}.schedulers[{i}]")

    visit(top, path)


def _cycles_momentum(s: object) -> bool:
    """Whether ``s`` is a ``CyclicLR`` or ``OneCycleLR`` that also writes the momentum."""
    return type(s) in {tls.CyclicLR, tls.OneCycleLR} and getattr(s, "cycle_momentum", False) is True


def _check_momentum_tree(top: tls.LRScheduler, path: str) -> None:
    """Refuse ``keys=True`` where a scheduler inside a container cycles the momentum."""

    def visit(s: object, path: str, container: str | None) -> None:
        if container is not None and _cycles_momentum(s):
            reason = (
                f"keys=True with a scheduler that cycles momentum inside a {container}: torch "
                "sets the momentum when the scheduler is built and at each of its own steps, "
                "whichever piece drives the lr, which from_torch does not model (from_torch "
                "without keys converts the lrs; or pass cycle_momentum=False)"
            )
            raise _refuse(_where(s, path), reason)
        inside = type(s).__name__ if type(s) in _CONTAINERS else container
        for i, child in enumerate(_children(s)):
            visit(child, f"{path}.schedulers[{i}]", inside)

    visit(top, path, None)


def _plateau_hint(s: Any) -> str:
    """Where lrsched has a metric-driven equivalent, say how to use it instead."""
    try:
        from lrsched._feeding import torch_plateau_expression  # noqa: PLC0415 (optional part)

        expression = torch_plateau_expression(s, "ls.")
    except (ImportError, ScheduleError, TypeError, ValueError, ZeroDivisionError):
        return ""
    return (
        f"; lrsched's equivalent is {expression}, bound relatively "
        "(ls.bind(optimizer, schedule)) and fed with bound.step(metric=...)"
    )


def _lr(value: object, what: str, where: str) -> float:
    """A learning rate read from torch as a float (a float64 tensor is fine, float32 is not)."""
    if isinstance(value, torch.Tensor):
        if value.numel() != 1 or value.dtype != torch.float64:
            reason = (
                f"{what} is a {value.dtype} tensor of {value.numel()} element(s); torch then "
                "computes this group's schedule in that precision, which lrsched (float64) "
                "does not reproduce within 1e-10"
            )
            raise _refuse(where, reason)
        return float(value.item())
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise _refuse(where, f"{what} must be a real number (got {value!r})")
    x = float(value)
    if not math.isfinite(x):
        raise _refuse(where, f"{what} must be finite (got {x!r})")
    return x


def _whole(value: object, what: str, minimum: int, where: str, why: str) -> float:
    """A hyperparameter that must be a whole number >= ``minimum`` for torch's recursion."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise _refuse(where, f"{what} must be a number (got {value!r})")
    x = float(value)
    if not (math.isfinite(x) and x.is_integer() and x >= minimum):
        shown = format_number(x) if math.isfinite(x) else repr(x)
        raise _refuse(where, f"{what} must be a whole number >= {minimum} (got {shown}): {why}")
    return x


def _real(value: object, what: str, where: str) -> float:
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise _refuse(where, f"{what} must be a real number (got {value!r})")
    return float(value)


def _built(where: str, build: Callable[..., Schedule], *args: Any, **kwargs: Any) -> Schedule:
    """Call a constructor; its validation errors become refusals that name the scheduler."""
    try:
        return build(*args, **kwargs)
    except ScheduleError as error:
        raise _refuse(where, str(error)) from None


def _shortest(make: Callable[[float], float], target: float, guess: float) -> float:
    """The shortest decimal ``x`` with ``make(x) == target`` exactly (``guess`` if none).

    Used to recover a torch hyperparameter (such as ``pct_start`` or ``div_factor``) that torch
    only stores in a derived form, so that the converted schedule prints ``0.3`` rather than
    ``0.30000000000000004`` and recomputes exactly torch's derived value.
    """
    if not math.isfinite(guess):
        return guess
    for digits in range(1, 18):
        candidate = float(f"{guess:.{digits}g}")
        try:
            if make(candidate) == target:
                return candidate
        except ZeroDivisionError:
            continue
    return guess


class _Converter:
    """Converts one scheduler tree for the param groups of its optimizer."""

    def __init__(self, groups: list[dict[str, Any]]) -> None:
        self.groups = groups
        self.n = len(groups)

    # -- dispatch ----------------------------------------------------------------------------

    def convert(self, s: Any, entry: str, depth: int, path: str) -> list[Schedule]:
        """Absolute schedules (one per group) of ``s`` entered as ``entry``.

        ``depth`` is the number of enclosing ``SequentialLR``: each one steps a nested
        ``SequentialLR`` once more while it is built, which offsets the nested one's clock.
        """
        kind = type(s)
        if kind is tls.SequentialLR:
            return self.sequential(s, entry, depth, path)
        if kind is tls.ChainedScheduler:
            return self.chained(s, entry, depth, path)
        if kind in _CLOSED:
            return self.closed_form(s, path)
        return self.chainable(s, entry, path)

    def base_lrs(self, s: Any, where: str) -> list[float]:
        bases = list(s.base_lrs)
        if len(bases) != self.n:
            reason = (
                f"the optimizer has {self.n} param groups but the scheduler has {len(bases)} "
                "base lrs (a param group was added after the scheduler was created)"
            )
            raise _refuse(where, reason)
        return [_lr(b, f"base_lrs[{g}]", where) for g, b in enumerate(bases)]

    def start_lrs(self, s: Any, entry: str, where: str) -> list[float]:
        """The lr a chainable scheduler starts multiplying from, per group."""
        bases = self.base_lrs(s, where)
        if entry in {_CONSTRUCT, _RESTART}:
            return bases
        starts = [
            _lr(group["initial_lr"], f"param_groups[{g}]['initial_lr']", where)
            for g, group in enumerate(self.groups)
        ]
        for g, (start, base) in enumerate(zip(starts, bases, strict=True)):
            if start != base:
                reason = (
                    f"SequentialLR starts it from param_groups[{g}]['initial_lr'] = {start!r} "
                    f"but its own formulas use its base lr {base!r} (initial_lr was overwritten "
                    "after it was created, e.g. by a OneCycleLR)"
                )
                raise _refuse(where, reason)
        return starts

    # -- containers --------------------------------------------------------------------------

    def sequential(self, s: Any, entry: str, depth: int, path: str) -> list[Schedule]:
        where = _where(s, path)
        if entry == _RESTART:
            raise _refuse(where, _no_restart(s))
        pieces = _children(s)
        points = [
            _whole(m, f"milestones[{i}]", 0, where, "torch only switches where last_epoch == m")
            for i, m in enumerate(s._milestones)
        ]
        for i in range(1, len(points)):
            if points[i] < points[i - 1]:
                reason = (
                    f"milestones must be non-decreasing (got {format_number(points[i - 1])} "
                    f"then {format_number(points[i])}): torch bisects them as if sorted"
                )
                raise _refuse(where, reason)
        # A nested SequentialLR's clock runs `depth` epochs ahead of the outer one.
        first = bisect.bisect_right(points, depth)
        if depth == 0:
            first_entry = _INITIAL
        elif first == 0:
            first_entry = _STEP0
        elif points[first - 1] == depth:
            first_entry = _RESTART
        else:
            reason = (
                f"this nested SequentialLR's clock starts at {depth} (each enclosing "
                "SequentialLR steps it once while it is built), so its milestone "
                f"{format_number(points[first - 1])} is already past and torch would run "
                f"schedulers[{first}] from a stale state"
            )
            raise _refuse(where, reason)
        segments: list[tuple[int, float, str]] = [(first, 0.0, first_entry)]
        for j in range(first + 1, len(pieces)):
            if j < len(points) and points[j] == points[j - 1]:
                continue  # a repeated milestone: this piece never runs
            segments.append((j, points[j - 1] - depth, _RESTART))
        converted = [
            self.convert(pieces[j], piece_entry, depth + 1, f"{path}.schedulers[{j}]")
            for j, _, piece_entry in segments
        ]
        bounds = [b for _, b, _ in segments[1:]]
        return [_built(where, concat, [c[g] for c in converted], bounds) for g in range(self.n)]

    def chained(self, s: Any, entry: str, depth: int, path: str) -> list[Schedule]:
        where = _where(s, path)
        if entry == _RESTART:
            raise _refuse(where, _no_restart(s))
        child_entry = _CONSTRUCT if entry == _CONSTRUCT else _STEP0
        leaves = _flatten_chain(s, path)
        if len(leaves) == 1:
            child, child_path = leaves[0]
            return self.convert(child, child_entry, depth, child_path)
        for child, child_path in leaves:
            self.check_chain_member(child, _where(child, child_path))
        factors = [self.factors(child, child_entry, child_path) for child, child_path in leaves]
        for (child, child_path), own in zip(leaves, factors, strict=True):
            if type(child) is tls.CosineAnnealingLR:
                others = [f for f in factors if f is not own]
                self.check_cosine_in_chain(child, others, _where(child, child_path))
        starts = [self.start_lrs(child, child_entry, _where(child, p)) for child, p in leaves]
        for (child, child_path), start in zip(leaves, starts, strict=True):
            if start != starts[0]:
                reason = (
                    "its base lrs differ from those of the chain's first scheduler, so the "
                    "lr is not one base lr times the factors"
                )
                raise _refuse(_where(child, child_path), reason)
        return [
            _built(where, product, starts[0][g], *(f[g] for f in factors)) for g in range(self.n)
        ]

    def check_chain_member(self, s: Any, where: str) -> None:
        kind = type(s)
        if kind in _CONTAINERS:
            reason = (
                f"a {kind.__name__} inside a ChainedScheduler with other schedulers: "
                "a SequentialLR restarts its pieces from their base lrs (and resets the lr when "
                "it is built), discarding the other schedulers' factors, so the chain is not a "
                "product"
            )
            raise _refuse(where, reason)
        if kind in _CLOSED:
            reason = (
                "inside a ChainedScheduler with other schedulers: it sets the lr from its base "
                "lrs at every step, overwriting the factors of the schedulers before it (the "
                "ones after it multiply by their per-step ratios), so the chain is not a product"
            )
            raise _refuse(where, reason)
        if kind is tls.CosineAnnealingLR and _real(s.eta_min, "eta_min", where) != 0.0:
            reason = (
                "CosineAnnealingLR with eta_min > 0 inside a ChainedScheduler: its step is "
                "lr -> eta_min + (lr - eta_min) * ratio, an affine map rather than a factor, so "
                "the chain is not a product"
            )
            raise _refuse(where, reason)

    def check_cosine_in_chain(self, s: Any, others: list[list[Schedule]], where: str) -> None:
        t_max = _whole(s.T_max, "T_max", 1, where, "see CosineAnnealingLR")
        for factor in others:
            if not all(_one_from(f, t_max) for f in factor):
                reason = (
                    "CosineAnnealingLR inside a ChainedScheduler whose other schedulers are not "
                    "all back to a factor of exactly 1 by T_max: past T_max torch's cosine "
                    "restarts by *adding* (base_lr - eta_min) * (1 - cos(pi / T_max)) / 2 to the "
                    "lr, which discards the other factors, so the chain is not a product"
                )
                raise _refuse(where, reason)

    # -- leaves ------------------------------------------------------------------------------

    def chainable(self, s: Any, entry: str, path: str) -> list[Schedule]:
        where = _where(s, path)
        starts = self.start_lrs(s, entry, where)
        if type(s) is tls.CosineAnnealingLR:
            eta = _real(s.eta_min, "eta_min", where)
            if eta != 0.0:
                t_max = self.t_max(s, entry, where)
                return [_built(where, cosine, t_max, b, eta, periodic=True) for b in starts]
        factors = self.factors(s, entry, path)
        return [product(b, f) for b, f in zip(starts, factors, strict=True)]

    def t_max(self, s: Any, entry: str, where: str) -> float:
        if entry == _STEP0:
            raise _refuse(where, _step0_quirk(s))
        return _whole(s.T_max, "T_max", 1, where, "torch's recursion relies on whole half-periods")

    def factors(self, s: Any, entry: str, path: str) -> list[Schedule]:
        """Per-group multipliers of a chainable scheduler (relative to its start lr)."""
        where = _where(s, path)
        if type(s) is tls.MultiplicativeLR:
            return self.multiplicative(s, entry, where)
        if entry == _STEP0 and type(s) in {tls.ExponentialLR, tls.PolynomialLR}:
            raise _refuse(where, _step0_quirk(s))
        if type(s) is tls.CosineAnnealingLR:  # eta_min == 0: checked by the callers
            return [cosine(self.t_max(s, entry, where), periodic=True)] * self.n
        build = {
            tls.StepLR: _step_factor,
            tls.MultiStepLR: _milestones_factor,
            tls.ConstantLR: _constant_factor,
            tls.LinearLR: _linear_factor,
            tls.ExponentialLR: _exponential_factor,
            tls.PolynomialLR: _polynomial_factor,
        }[type(s)]
        return [build(s, where)] * self.n

    def multiplicative(self, s: Any, entry: str, where: str) -> list[Schedule]:
        if entry == _RESTART:
            reason = (
                "MultiplicativeLR as a later piece of SequentialLR: it has no closed form, so "
                "torch continues from the previous piece's lr times lr_lambda(0) instead of "
                "restarting from the base lr"
            )
            raise _refuse(where, reason)
        if entry == _STEP0:
            raise _refuse(where, _step0_quirk(s))
        return [multiplicative(fn) for fn in s.lr_lambdas]

    def closed_form(self, s: Any, path: str) -> list[Schedule]:
        where = _where(s, path)
        kind = type(s)
        if kind is tls.LambdaLR:
            bases = self.base_lrs(s, where)
            return [product(b, _lambda(fn)) for b, fn in zip(bases, s.lr_lambdas, strict=True)]
        if kind is tls.CosineAnnealingWarmRestarts:
            return self.warm_restarts(s, where)
        if kind is tls.CyclicLR:
            return self.cyclic(s, where)
        return self.one_cycle(s, where)

    def warm_restarts(self, s: Any, where: str) -> list[Schedule]:
        bases = self.base_lrs(s, where)
        period = _whole(s.T_0, "T_0", 1, where, "torch's restarts are whole epochs")
        mult = _whole(s.T_mult, "T_mult", 1, where, "torch's cycle lengths are whole epochs")
        eta = _real(s.eta_min, "eta_min", where)
        if eta == 0.0:
            shape = cosine_restarts(period, growth=mult)
            return [product(b, shape) for b in bases]
        return [
            _built(where, cosine_restarts, period, growth=mult, start=b, end=eta) for b in bases
        ]

    def cyclic(self, s: Any, where: str) -> list[Schedule]:
        lows = self.base_lrs(s, where)
        highs = [_lr(h, f"max_lrs[{g}]", where) for g, h in enumerate(s.max_lrs)]
        return self.cycles(s, lows, highs, where)

    def cycles(self, s: Any, lows: list[float], highs: list[float], where: str) -> list[Schedule]:
        """A ``CyclicLR``'s cycle between ``lows`` and ``highs`` (per group)."""
        if s._scale_fn_custom is not None:
            reason = (
                "CyclicLR with a custom scale_fn: the lr is base + height * scale_fn(...), a "
                "sum of schedules that lrsched has no node for"
            )
            raise _refuse(where, reason)
        total = _real(s.total_size, "total_size", where)
        ratio = _real(s.step_ratio, "step_ratio", where)
        up = _shortest(lambda u: u / (u + (total - u)), ratio, ratio * total)
        down = total - up
        mode = s.mode
        gamma = _real(s.gamma, "gamma", where) if mode == "exp_range" else 1.0
        return [
            _built(where, cyclic, lo, hi, up, down, mode=mode, gamma=gamma)
            for lo, hi in zip(lows, highs, strict=True)
        ]

    def one_cycle(self, s: Any, where: str) -> list[Schedule]:
        kind, phases, total, pct = self.one_cycle_shape(s, where)
        out = []
        for g, group in enumerate(self.groups):
            initial = _lr(group["initial_lr"], f"param_groups[{g}]['initial_lr']", where)
            peak = _lr(group["max_lr"], f"param_groups[{g}]['max_lr']", where)
            low = _lr(group["min_lr"], f"param_groups[{g}]['min_lr']", where)
            div = _shortest(functools.partial(_divide, peak), initial, _ratio(peak, initial))
            final = _shortest(functools.partial(_divide, initial), low, _ratio(initial, low))
            body = _built(
                where,
                one_cycle,
                total,
                peak,
                pct_start=pct,
                div_factor=div,
                final_div_factor=final,
                shape="cosine" if kind == "cos" else kind,
                three_phase=len(phases) == 3,
            )
            last = _torch_one_cycle_value(phases, group, kind, total, which="lr", where=where)
            out.append(body if last is None else concat([body, constant(last)], [total]))
        return out

    def one_cycle_shape(self, s: Any, where: str) -> tuple[str, list[dict[str, Any]], float, float]:
        """A ``OneCycleLR``'s anneal strategy, phases, ``total_steps`` and ``pct_start``."""
        kind = getattr(s, "_anneal_func_type", None)
        if kind not in {"cos", "linear"}:
            reason = (
                "OneCycleLR without a known anneal strategy (restored from a legacy state dict "
                "with a custom anneal_func?)"
            )
            raise _refuse(where, reason)
        phases = list(s._schedule_phases)
        total = _whole(s.total_steps, "total_steps", 1, where, "torch counts whole steps")
        rise_end = _real(phases[0]["end_step"], "end_step", where)
        pct = _shortest(lambda p: float(p * total) - 1, rise_end, (rise_end + 1) / total)
        return kind, phases, total, pct

    # -- momentum (from_torch(..., keys=True)) -----------------------------------------------

    def momentum(self, s: Any, where: str) -> list[Schedule]:
        """Absolute momentum schedules (one per group) of a top-level momentum-cycling ``s``."""
        if type(s) is tls.CyclicLR:
            bottoms = self.momenta(s.base_momentums, "base_momentums", where)
            tops = self.momenta(s.max_momentums, "max_momentums", where)
            # torch: max_m - (max_m - base_m) * scale, the lr's cycle from max_m towards base_m.
            return self.cycles(s, tops, bottoms, where)
        return self.one_cycle_momentum(s, where)

    def momenta(self, values: Any, what: str, where: str) -> list[float]:
        listed = list(values)
        if len(listed) != self.n:
            reason = (
                f"the optimizer has {self.n} param groups but the scheduler has {len(listed)} "
                f"{what} (a param group was added after the scheduler was created)"
            )
            raise _refuse(where, reason)
        return [_lr(m, f"{what}[{g}]", where) for g, m in enumerate(listed)]

    def one_cycle_momentum(self, s: Any, where: str) -> list[Schedule]:
        # torch's momentum phases are the lr's with the anchors max_m -> base_m -> max_m (three
        # phases: max_m -> base_m -> max_m -> max_m): one_cycle with peak = base_m,
        # initial = peak / div_factor = max_m and low = initial / final_div_factor = max_m.
        kind, phases, total, pct = self.one_cycle_shape(s, where)
        out: list[Schedule] = []
        for g, group in enumerate(self.groups):
            top = _lr(group["max_momentum"], f"param_groups[{g}]['max_momentum']", where)
            bottom = _lr(group["base_momentum"], f"param_groups[{g}]['base_momentum']", where)
            if top == bottom:
                out.append(constant(top))
                continue
            if top == 0.0 or bottom == 0.0 or (top < 0.0) != (bottom < 0.0):
                reason = (
                    f"its momentum runs from max_momentum {format_number(top)} to "
                    f"base_momentum {format_number(bottom)} (param group {g}): one_cycle's "
                    "anchors are its peak divided by positive factors, so a curve through 0 "
                    "(or changing sign) has no one_cycle expression"
                )
                raise _refuse(where, reason)
            div = _shortest(functools.partial(_divide, bottom), top, bottom / top)
            body = _built(
                where,
                one_cycle,
                total,
                bottom,
                pct_start=pct,
                div_factor=div,
                final_div_factor=1,
                shape="cosine" if kind == "cos" else kind,
                three_phase=len(phases) == 3,
            )
            last = _torch_one_cycle_value(phases, group, kind, total, which="momentum", where=where)
            out.append(body if last is None else concat([body, constant(last)], [total]))
        return out


def _step_factor(s: Any, where: str) -> Schedule:
    why = "torch applies gamma where last_epoch % step_size == 0"
    size = _whole(s.step_size, "step_size", 1, where, why)
    gamma = _real(s.gamma, "gamma", where)
    if gamma == 0.0:
        return concat([constant(1), constant(0)], [size])
    return _built(where, step, size, gamma)


def _milestones_factor(s: Any, where: str) -> Schedule:
    why = "torch only applies gamma where last_epoch == m"
    points = [_whole(m, "milestones", 0, where, why) for m in s.milestones.elements()]
    gamma = _real(s.gamma, "gamma", where)
    if gamma == 0.0 and points:
        first = min(points)
        return constant(0) if first == 0 else concat([constant(1), constant(0)], [first])
    return _built(where, milestones, points, gamma)


def _constant_factor(s: Any, where: str) -> Schedule:
    why = "torch undoes the factor only where last_epoch == total_iters (and never for 0)"
    total = _whole(s.total_iters, "total_iters", 1, where, why)
    factor = _real(s.factor, "factor", where)
    if factor == 0.0:
        reason = (
            "ConstantLR with factor=0: torch divides the lr by the factor at total_iters "
            "(ZeroDivisionError)"
        )
        raise _refuse(where, reason)
    return concat([constant(factor), constant(1)], [total])


_HELD = "torch's recursion holds the value reached at the last whole epoch <= total_iters"


def _linear_factor(s: Any, where: str) -> Schedule:
    total = _whole(s.total_iters, "total_iters", 1, where, _HELD)
    start = _real(s.start_factor, "start_factor", where)
    end = _real(s.end_factor, "end_factor", where)
    return _built(where, linear, start, end, total)


def _exponential_factor(s: Any, where: str) -> Schedule:
    gamma = _real(s.gamma, "gamma", where)
    if gamma == 0.0:
        return concat([constant(1), constant(0)], [1])
    return _built(where, exponential, gamma)


def _polynomial_factor(s: Any, where: str) -> Schedule:
    total = _whole(s.total_iters, "total_iters", 1, where, _HELD)
    power = _real(s.power, "power", where)
    return _built(where, polynomial, total, power=power)


def _ratio(a: float, b: float) -> float:
    return a / b if b else math.inf


def _divide(a: float, b: float) -> float:
    return a / b


def _torch_one_cycle_value(  # noqa: PLR0913 (the phase lookup of torch's get_lr)
    phases: list[dict[str, Any]],
    group: dict[str, Any],
    kind: str,
    step: float,
    *,
    which: str,
    where: str,
) -> float | None:
    """The lr (``which="lr"``) or momentum (``"momentum"``) torch's OneCycleLR gives at ``step``.

    Computed with torch's arithmetic; None if torch raises there.
    """
    start_step = 0.0
    for i, phase in enumerate(phases):
        end_step = _real(phase["end_step"], "end_step", where)
        if step <= end_step or i == len(phases) - 1:
            first, last = phase[f"start_{which}"], phase[f"end_{which}"]
            start = _lr(group[first], first, where)
            end = _lr(group[last], last, where)
            try:
                pct = (step - start_step) / (end_step - start_step)
            except ZeroDivisionError:
                return None
            if kind == "cos":
                return end + (start - end) / 2.0 * (math.cos(math.pi * pct) + 1)
            return (end - start) * pct + start
        start_step = end_step
    return None  # pragma: no cover - the last phase always matches


def _flatten_chain(s: Any, path: str) -> list[tuple[Any, str]]:
    """The leaves of nested ChainedSchedulers, in stepping order, with their paths."""
    out: list[tuple[Any, str]] = []
    for i, child in enumerate(_children(s)):
        child_path = f"{path}.schedulers[{i}]"
        if type(child) is tls.ChainedScheduler:
            out.extend(_flatten_chain(child, child_path))
        else:
            out.append((child, child_path))
    return out


def _one_from(s: Schedule, t: float) -> bool:
    """Whether ``s`` is exactly 1 at every time >= ``t`` (decided from its structure)."""
    if isinstance(s, Constant):
        return s.value == 1.0
    if isinstance(s, Linear):
        return s.end == 1.0 and s.duration <= t
    if isinstance(s, Concat):
        return s.boundaries[-1] <= t and _one_from(s.pieces[-1], 0.0)
    return False


def _no_restart(s: object) -> str:
    return (
        f"a {type(s).__name__} as a later piece of SequentialLR: torch restarts a piece with "
        "_update_lr(0), which a container does not implement (NotImplementedError at its "
        "milestone)"
    )


def _step0_quirk(s: object) -> str:
    effect = {
        tls.ExponentialLR: "already multiplies the lr by gamma at epoch 0",
        tls.PolynomialLR: "already applies a decay ratio at epoch 0",
        tls.CosineAnnealingLR: "already applies a cosine ratio at epoch 0",
        tls.MultiplicativeLR: "already multiplies the lr by lr_lambda(0) at epoch 0",
    }[type(s)]
    return (
        f"{type(s).__name__} as the first piece of a nested SequentialLR, or inside a "
        "ChainedScheduler inside a SequentialLR: torch steps it from epoch -1 without its "
        f"initial-step guard, so it {effect}, shifting its whole curve"
    )


def _clock(s: Any) -> int | None:
    """The scheduler's current epoch, or None if its children disagree."""
    epoch = getattr(s, "last_epoch", None)
    if isinstance(epoch, int):
        return epoch
    epochs = {getattr(child, "last_epoch", None) for child in _children(s)}
    if len(epochs) == 1:
        only = epochs.pop()
        if isinstance(only, int):
            return only
    return None


def _check_current_lrs(
    s: Any, schedules: list[Schedule], groups: list[dict[str, Any]], name: str
) -> None:
    """Refuse if the optimizer's lrs now are not what the schedules give at the current epoch.

    That happens when the lr was changed from outside the scheduler, or the scheduler was
    resumed with ``last_epoch`` or jumped with ``step(epoch)``: its later (chainable) values
    then follow the optimizer's lr, not its settings.
    """
    epoch = _clock(s)
    if epoch is None or epoch < 0:
        return
    for g, (schedule, group) in enumerate(zip(schedules, groups, strict=True)):
        actual = _lr(group["lr"], f"param_groups[{g}]['lr']", name)
        try:
            expected = schedule(epoch)
        except ScheduleError:
            return  # past a callable's horizon: nothing to compare with
        if not _close(actual, expected):
            reason = (
                f"param_groups[{g}]['lr'] is {actual!r} at epoch {epoch}, but the scheduler's "
                f"settings give {expected!r} there: the lr was changed outside the scheduler, "
                "or the scheduler was created with last_epoch or stepped with step(epoch), so "
                "its later values do not follow from its settings"
            )
            raise _refuse(name, reason)


def _check_current_momenta(
    s: Any, schedules: list[Schedule], groups: list[dict[str, Any]], key: str, name: str
) -> None:
    """Refuse if the momentum (or first beta) now is not what the schedules give (see above)."""
    epoch = _clock(s)
    if epoch is None or epoch < 0:
        return
    for g, (schedule, group) in enumerate(zip(schedules, groups, strict=True)):
        where = f"param_groups[{g}][{key!r}]"
        value = group[key]
        if key == "betas":
            where, value = f"{where}[0]", value[0]
        actual = _lr(value, where, name)
        expected = schedule(epoch)
        if not _close(actual, expected):
            reason = (
                f"{where} is {actual!r} at epoch {epoch}, but the scheduler's settings give "
                f"{expected!r} there: the momentum was changed outside the scheduler, or the "
                "scheduler was created with last_epoch or stepped with step(epoch)"
            )
            raise _refuse(name, reason)


def _close(actual: float, expected: float) -> bool:
    scale = max(abs(actual), abs(expected))
    return math.isclose(actual, expected, rel_tol=_CHECK_REL, abs_tol=1e-12 * scale)
