"""A peer's spelling of a schedule, as the command line reads it: `hf:cosine(10, 110)`.

`PEER:NAME(ARGS)` is the call a user of that library writes, with literal arguments only
(numbers, strings, None, True/False), e.g. `hf:cosine(num_warmup_steps=10,
num_training_steps=110, num_cycles=1.5)`; the optimizer argument is left out. Nothing is
evaluated: the arguments are read with `ast.literal_eval`.
"""

from __future__ import annotations

import ast
import importlib
import re
from typing import TYPE_CHECKING, Any

from lrsched._errors import ScheduleError

if TYPE_CHECKING:
    from lrsched._core import Schedule

__all__ = ["PEERS", "is_peer_text", "parse_peer"]

_READERS = {
    "hf": ("lrsched._hf", "from_hf"),
    "timm": ("lrsched._timm", "from_timm"),
    "fvcore": ("lrsched._fvcore", "fvcore_text"),
    "optax": ("lrsched._optax", "from_optax"),
    "keras": ("lrsched._keras", "from_keras"),
}
"""Each prefix's module and function, imported on first use: the function takes the spelling's
name, then its arguments."""

PEERS = tuple(_READERS)
"""The peers the command line reads, by prefix: `hf` is Hugging Face transformers'
`get_scheduler`, `timm` is timm's `create_scheduler_v2`, `fvcore` fvcore's param schedulers
(built by fvcore, then converted), `optax` optax's schedule constructors, `keras` Keras'
schedule classes."""

_HEAD = re.compile(r"\s*([A-Za-z_]\w*)\s*:\s*([A-Za-z_]\w*)\s*(\(.*)?\s*\Z", re.DOTALL)


def is_peer_text(text: str) -> bool:
    """Whether `text` is written `PEER:NAME...` (lrsched's own text form has no colon).

    Examples:
        >>> from lrsched._peer_text import is_peer_text
        >>> is_peer_text("hf:cosine(10, 110)"), is_peer_text("0.1 * cosine(95)")
        (True, False)

    """
    return _HEAD.match(text) is not None


def parse_peer(text: str) -> Schedule:
    """The schedule of a peer's spelling `PEER:NAME(ARGS)`.

    Examples:
        >>> from lrsched._peer_text import parse_peer
        >>> parse_peer("hf:cosine(num_warmup_steps=10, num_training_steps=110)")
        warmup(cosine(100, periodic=True), 10)

    """
    match = _HEAD.match(text)
    if match is None:
        msg = f"not a peer's spelling (PEER:NAME(ARGS)): {text!r}"
        raise ScheduleError(msg)
    peer, name, call = match.groups()
    if peer not in PEERS:
        msg = f"unknown peer {peer!r} in {text.strip()!r}; the peers are {', '.join(PEERS)}"
        raise ScheduleError(msg)
    args, kwargs = _arguments(call or "()", text)
    module, function = _READERS[peer]
    read = getattr(importlib.import_module(module), function)
    result: Schedule = read(name, *args, **kwargs)
    return result


def _arguments(call: str, text: str) -> tuple[list[Any], dict[str, Any]]:
    try:
        node = ast.parse(f"f{call}", mode="eval").body
    except SyntaxError:
        msg = f"cannot read the arguments of {text.strip()!r}: write them as in Python"
        raise ScheduleError(msg) from None
    if not isinstance(node, ast.Call):
        msg = f"cannot read the arguments of {text.strip()!r}: write NAME(ARG, KEY=VALUE, ...)"
        raise ScheduleError(msg)
    try:
        args = [ast.literal_eval(a) for a in node.args]
        kwargs = {k.arg: ast.literal_eval(k.value) for k in node.keywords if k.arg is not None}
    except ValueError:
        msg = f"the arguments of {text.strip()!r} must be literal numbers, strings or None"
        raise ScheduleError(msg) from None
    if len(kwargs) != len(node.keywords):
        msg = f"the arguments of {text.strip()!r} must be literal numbers, strings or None"
        raise ScheduleError(msg)
    return args, kwargs
