"""Reading a peer library's arguments, for the converters that take its spelling.

`from_optax` and `from_keras` call one private function per schedule, written with the peer's
own signature (names, order, defaults). `call` binds the user's arguments to it, so a missing
or unknown argument is reported as the peer would, and prefixes every `ScheduleError` with
where it happened (`optax exponential_decay: decay_rate must be > 0 (got -0.5) ...`).
"""

from __future__ import annotations

import inspect
import math
import numbers
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from lrsched._errors import ScheduleError
from lrsched._spelling import format_number

if TYPE_CHECKING:
    from lrsched._core import Schedule

__all__ = ["call", "flag", "number", "real", "scalar_parameters"]


def _shown(value: object) -> str:
    text = repr(value)
    return text if len(text) <= 60 else f"{text[:28]}...{text[-28:]}"


def number(name: str, value: object) -> float:
    """`value` as a finite float: a real number, or a 0-d array of numbers (jax, numpy).

    Examples:
        >>> from lrsched._peer_args import number
        >>> number("init_value", 1)
        1.0
        >>> number("init_value", "0.1")
        Traceback (most recent call last):
        ...
        lrsched._errors.ScheduleError: init_value must be a number (got '0.1')

    """
    x = value
    if not isinstance(x, numbers.Real) and getattr(x, "shape", None) == ():
        kind = getattr(getattr(x, "dtype", None), "kind", "")
        x = x.item() if kind in {"f", "i", "u"} else x  # type: ignore[attr-defined]
    if isinstance(x, bool) or not isinstance(x, numbers.Real):
        msg = f"{name} must be a number (got {_shown(value)})"
        raise ScheduleError(msg)
    out = float(x)
    if not math.isfinite(out):
        msg = f"{name} must be a finite number (got {_shown(value)})"
        raise ScheduleError(msg)
    return out + 0.0


def real(
    error: Callable[[str, str], ScheduleError],
    where: str,
    name: str,
    value: object,
    *,
    low: float | None = None,
) -> float:
    """`value` as a finite float (``>= low`` if given), or ``error(where, reason)`` naming it.

    The converters of live objects (timm, fvcore, ignite) and `from_hf` check each number
    they read with it; ``error`` prefixes the peer (``timm cosine: ...``).

    Examples:
        >>> from lrsched._errors import ScheduleError
        >>> from lrsched._peer_args import real
        >>> def error(where, reason):
        ...     return ScheduleError(f"timm {where}: {reason}")
        >>> real(error, "cosine", "cycle_mul", 2)
        2.0
        >>> real(error, "cosine", "cycle_mul", -1, low=0.0)
        Traceback (most recent call last):
        ...
        lrsched._errors.ScheduleError: timm cosine: cycle_mul must be a finite number >= 0, got -1

    """
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise error(where, f"{name} must be a number, got {value!r}")
    x = float(value)
    if not math.isfinite(x) or (low is not None and x < low):
        bound = "" if low is None else f" >= {format_number(low)}"
        raise error(where, f"{name} must be a finite number{bound}, got {value!r}")
    return x


def flag(name: str, value: object) -> bool:
    """`value` as a bool; it must be True or False (a numpy bool too)."""
    if type(value).__name__ not in {"bool", "bool_"}:
        msg = f"{name} must be True or False (got {_shown(value)})"
        raise ScheduleError(msg)
    return bool(value)


def scalar_parameters(where: str, config: Mapping[str, object]) -> dict[str, Any]:
    """A config's keys as keyword arguments (they must be strings)."""
    if not isinstance(config, Mapping) or not all(isinstance(k, str) for k in config):
        msg = f"{where} must be a dict of parameter names to values (got {_shown(config)})"
        raise ScheduleError(msg)
    return dict(config)


def call(
    where: str, fn: Callable[..., Schedule], args: tuple[Any, ...], kwargs: Mapping[str, Any]
) -> Schedule:
    """`fn(*args, **kwargs)`, with its errors reported as `ScheduleError("{where}: ...")`.

    A call that does not fit `fn`'s signature (a missing or unknown argument) and every
    `ScheduleError` that `fn` raises are reported with `where` in front.

    Examples:
        >>> import lrsched as ls
        >>> from lrsched._peer_args import call
        >>> call("optax linear", ls.linear, (1, 0), {})
        Traceback (most recent call last):
        ...
        lrsched._errors.ScheduleError: optax linear: missing a required argument: 'duration'

    """
    try:
        bound = inspect.signature(fn).bind(*args, **kwargs)
    except TypeError as wrong:
        raise ScheduleError(f"{where}: {wrong}") from None
    try:
        return fn(*bound.args, **bound.kwargs)
    except ScheduleError as bad:
        raise ScheduleError(f"{where}: {bad}") from None
