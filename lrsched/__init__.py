"""lrsched: learning-rate schedules as values.

A schedule is an immutable function `t -> value` built from primitives
([`constant`][lrsched.constant], [`step`][lrsched.step], [`cosine`][lrsched.cosine], ...) and
combinators ([`warmup`][lrsched.warmup], [`concat`][lrsched.concat], [`product`][lrsched.product]
and `*`, ...). [`plot`][lrsched.plot] draws schedules with matplotlib, and a notebook shows a
schedule as a picture. [`bind`][lrsched.bind] attaches schedules to a `torch.optim.Optimizer`; it
is the only part that imports torch, and only when first used.

Examples:
    >>> import lrsched as ls
    >>> s = 0.5 * ls.warmup(ls.cosine(95), 5)
    >>> s
    0.5 * warmup(cosine(95), 5)
    >>> s(0), s(5), s(100)
    (0.0, 0.5, 0.0)

"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from lrsched._arithmetic import add, divide, maximum, minimum, power, tanh
from lrsched._combinators import clamp, concat, product, warmup
from lrsched._core import Schedule
from lrsched._curves import cosine, inverse_sqrt, linear, piecewise_linear, polynomial
from lrsched._cycles import cosine_restarts, cyclic, one_cycle, repeat
from lrsched._errors import ScheduleError
from lrsched._leaves import constant, exponential, function, milestones, multiplicative, step
from lrsched._noise import noise
from lrsched._plateau import plateau
from lrsched._recipes import shift, warmup_stable_decay
from lrsched._timemaps import compose, staircase, stretch, time

if TYPE_CHECKING:
    from lrsched._display import plot
    from lrsched._fvcore import from_fvcore
    from lrsched._hf import from_hf
    from lrsched._ignite import from_ignite
    from lrsched._keras import from_keras
    from lrsched._on_device import OnDevice, bind_on_device
    from lrsched._optax import from_optax
    from lrsched._parse import ParseError, parse
    from lrsched._run import Run, run
    from lrsched._serialize import from_dict, to_dict
    from lrsched._timm import from_timm
    from lrsched.adapter import BoundSchedule, bind
    from lrsched.interop import from_torch

__all__ = [
    "BoundSchedule",
    "OnDevice",
    "ParseError",
    "Run",
    "Schedule",
    "ScheduleError",
    "add",
    "bind",
    "bind_on_device",
    "clamp",
    "compose",
    "concat",
    "constant",
    "cosine",
    "cosine_restarts",
    "cyclic",
    "divide",
    "exponential",
    "from_dict",
    "from_fvcore",
    "from_hf",
    "from_ignite",
    "from_keras",
    "from_optax",
    "from_timm",
    "from_torch",
    "function",
    "inverse_sqrt",
    "linear",
    "maximum",
    "milestones",
    "minimum",
    "multiplicative",
    "noise",
    "one_cycle",
    "parse",
    "piecewise_linear",
    "plateau",
    "plot",
    "polynomial",
    "power",
    "product",
    "repeat",
    "run",
    "shift",
    "staircase",
    "step",
    "stretch",
    "tanh",
    "time",
    "to_dict",
    "warmup",
    "warmup_stable_decay",
]

__version__ = "0.1.0"

# Names imported on first use (PEP 562), so that `import lrsched` loads the algebra only: the
# binding and the torch converter (they import torch), and the text form, the dict form, runs,
# plots and peer recipes, which a training loop does not need (issue 16: import time).
_LAZY = {
    "BoundSchedule": "adapter",
    "bind": "adapter",
    "OnDevice": "_on_device",
    "bind_on_device": "_on_device",
    "from_torch": "interop",
    "plot": "_display",
    "from_hf": "_hf",
    "from_timm": "_timm",
    "from_fvcore": "_fvcore",
    "from_ignite": "_ignite",
    "from_keras": "_keras",
    "from_optax": "_optax",
    "ParseError": "_parse",
    "parse": "_parse",
    "Run": "_run",
    "run": "_run",
    "from_dict": "_serialize",
    "to_dict": "_serialize",
}
_TORCH_NAMES = frozenset({"BoundSchedule", "bind", "OnDevice", "bind_on_device"})
"""The lazy names whose modules import torch (the docs build reads them without importing)."""


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        msg = f"module 'lrsched' has no attribute {name!r}"
        raise AttributeError(msg)
    value = getattr(importlib.import_module(f"lrsched.{module}"), name)
    globals()[name] = value  # later lookups are plain attribute reads
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
