"""The vocabulary of the text and dict forms: every public constructor, by name."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

__all__ = ["CONSTRUCTORS", "constructor"]

_F = TypeVar("_F", bound="Callable[..., Any]")

CONSTRUCTORS: dict[str, Callable[..., Any]] = {}
"""Every public schedule constructor by name: what ``repr``, ``parse`` and the dict form call."""


def constructor(fn: _F) -> _F:
    """Register ``fn`` as a public schedule constructor (spellings of schedules may call it)."""
    CONSTRUCTORS[fn.__name__] = fn
    return fn
