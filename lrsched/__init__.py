"""lrsched: learning-rate schedules as values.

A schedule is an immutable function ``t -> value`` built from primitives (:func:`constant`,
:func:`step`, :func:`milestones`, :func:`exponential`, :func:`multiplicative`, :func:`linear`,
:func:`cosine`) and combinators (:func:`warmup`, :func:`concat`, :func:`clamp`, :func:`product`
and ``*``). :func:`bind` attaches schedules to a ``torch.optim.Optimizer``; it is the only part
that imports torch, and only when first used.

Examples:
    >>> import lrsched as ls
    >>> s = 0.5 * ls.warmup(ls.cosine(95), 5)
    >>> s
    0.5 * warmup(cosine(95), 5)
    >>> s(0), s(5), s(100)
    (0.0, 0.5, 0.0)

"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from lrsched._combinators import clamp, concat, product, warmup
from lrsched._core import Schedule
from lrsched._errors import ScheduleError
from lrsched._primitives import (
    constant,
    cosine,
    exponential,
    linear,
    milestones,
    multiplicative,
    step,
)

if TYPE_CHECKING:
    from lrsched.adapter import BoundSchedule, bind

__all__ = [
    "BoundSchedule",
    "Schedule",
    "ScheduleError",
    "bind",
    "clamp",
    "concat",
    "constant",
    "cosine",
    "exponential",
    "linear",
    "milestones",
    "multiplicative",
    "product",
    "step",
    "warmup",
]

__version__ = "0.1.0"

_TORCH_NAMES = frozenset({"BoundSchedule", "bind"})


def __getattr__(name: str) -> Any:
    # The torch binding is imported on first use, so `import lrsched` never imports torch.
    if name in _TORCH_NAMES:
        from lrsched import adapter  # noqa: PLC0415 (lazy on purpose)

        return getattr(adapter, name)
    msg = f"module 'lrsched' has no attribute {name!r}"
    raise AttributeError(msg)
