"""How a schedule is written: its constructor call, derived from the constructor's signature.

Every kind states its spelling with one line, ``call(self, constructor)``: the values of the
constructor's parameters are read from the node's fields of the same names (a kind whose fields
differ passes those values explicitly), and parameters equal to their default are left out. The
text form (``repr``), the dict form and ``describe`` are all printed from a spelling, so they
cannot disagree, and a default is written once: in the constructor's signature.

A spelling is a `Call` (``cosine(95, end=0.01)``) or an `Infix` chain
(``0.1 * cosine(95)``), whose operands are numbers or schedules.
"""

from __future__ import annotations

import functools
import inspect
import math
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, Protocol, runtime_checkable

import attrs

__all__ = [
    "Call",
    "Infix",
    "Spelling",
    "call",
    "deep",
    "format_number",
    "format_value",
    "signature",
    "text",
]


@attrs.frozen
class Call:
    """``name(*args, **kwargs)``: the call of a registered constructor."""

    name: str
    args: tuple[object, ...]
    kwargs: tuple[tuple[str, object], ...]

    def arguments(self) -> dict[str, object]:
        """Every given argument by parameter name (``*args`` parameters as lists)."""
        params = list(signature(self.name).parameters.values())
        out: dict[str, object] = {}
        position = 0
        for param in params:
            if param.kind is param.VAR_POSITIONAL:
                out[param.name] = list(self.args[position:])
                position = len(self.args)
            elif param.kind is not param.KEYWORD_ONLY and position < len(self.args):
                out[param.name] = self.args[position]
                position += 1
        out.update(self.kwargs)
        return out


@attrs.frozen
class Infix:
    """``operands[0] op operands[1] op ...``; ``name`` is the constructor it stands for.

    ``precedence`` orders operators as Python does (higher binds tighter): an operand that is
    itself an infix chain of lower precedence is written in parentheses.
    """

    op: str
    name: str
    operands: tuple[object, ...]
    precedence: int


Spelling = Call | Infix


@functools.cache
def signature(name: str) -> inspect.Signature:
    """The signature of the constructor registered as ``name`` (cached)."""
    from lrsched._registry import CONSTRUCTORS  # noqa: PLC0415 (the registry fills at import)

    return inspect.signature(CONSTRUCTORS[name])


def call(node: object, constructor: Callable[..., Any], **values: object) -> Call:
    """The call of ``constructor`` that builds ``node``, defaults left out.

    The value of each parameter is ``values[name]`` if given, else ``getattr(node, name)``.
    Required parameters are written positionally, optional ones by keyword (`cosine(95,
    end=0.01)`), so that a spelling reads the same whichever options are left out.
    """
    name = constructor.__name__
    args: list[object] = []
    kwargs: list[tuple[str, object]] = []
    for param in signature(name).parameters.values():
        value = values[param.name] if param.name in values else getattr(node, param.name)
        if param.kind is param.VAR_POSITIONAL:
            args.extend(value)  # type: ignore[arg-type]  # a sequence by contract
        elif param.default is param.empty:
            args.append(value)
        elif not _same(value, param.default):
            kwargs.append((param.name, value))
    return Call(name, tuple(args), tuple(kwargs))


def _same(value: object, default: object) -> bool:
    if default is None or value is None:
        return value is default
    if isinstance(default, bool) or isinstance(value, bool):
        return type(value) is type(default) and value == default
    if isinstance(value, list | tuple) and isinstance(default, list | tuple):
        return list(value) == list(default)
    try:
        return bool(value == default)
    except Exception:  # noqa: BLE001 (a value without a usable ==: never a default)
        return False


def text(spelling: Spelling) -> str:
    """The expression for ``spelling``, as Python would read it."""
    if isinstance(spelling, Infix):
        out = ""
        for i, given in enumerate(spelling.operands):
            op, operand = spelling.op, given
            inner = _spelling_of(operand)
            if i and op == "+" and isinstance(inner, Infix) and _negative_scale(inner):
                op, operand = "-", _negated(inner)  # a + -2 * b is written a - 2 * b
                inner = operand if isinstance(operand, Infix) else _spelling_of(operand)
            part = format_value(operand) if not isinstance(operand, Infix) else text(operand)
            if isinstance(inner, Infix) and _needs_parentheses(inner, spelling, first=not i):
                part = f"({part})"
            out = part if not i else f"{out} {op} {part}"
        return out
    items = [format_value(a) for a in spelling.args]
    items += [f"{key}={format_value(v)}" for key, v in spelling.kwargs]
    return f"{spelling.name}({', '.join(items)})"


def _needs_parentheses(inner: Infix, outer: Infix, *, first: bool) -> bool:
    """Whether an operand written with ``inner`` needs () inside ``outer`` (as Python parses).

    Operators of equal precedence group from the left (``a / b * c`` is ``(a / b) * c``),
    except ``**``, which groups from the right.
    """
    if inner.precedence != outer.precedence:
        return inner.precedence < outer.precedence
    return outer.op == "**" or not first


def _negative_scale(inner: Infix) -> bool:
    head = inner.operands[0] if inner.op == "*" else None
    return isinstance(head, float | int) and not isinstance(head, bool) and head < 0


def _negated(inner: Infix) -> Infix | object:
    """The product ``inner`` (whose scale is negative) with its scale negated: ``2 * b``, ``b``."""
    head, *rest = inner.operands
    if head == -1 and len(rest) == 1:
        return rest[0]
    operands = tuple(rest) if head == -1 else (-head, *rest)  # type: ignore[operator]
    return Infix(inner.op, inner.name, operands, inner.precedence)


@runtime_checkable
class Spelled(Protocol):
    """Anything with a spelling: every schedule."""

    def _spelling(self) -> Spelling: ...


def _spelling_of(value: object) -> Spelling | None:
    return value._spelling() if isinstance(value, Spelled) else None


def format_value(value: object) -> str:  # noqa: PLR0911 (one case per kind of value)
    """One argument as text: numbers exact and brief, schedules by their repr."""
    if isinstance(value, bool) or value is None:
        return repr(value)
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return format_number(value)
    if isinstance(value, list):
        return f"[{', '.join(format_value(v) for v in value)}]"
    if isinstance(value, tuple):
        inner = ", ".join(format_value(v) for v in value)
        return f"({inner},)" if len(value) == 1 else f"({inner})"
    if isinstance(value, str | Spelled) or not callable(value):
        return repr(value)
    # A wrapped Python callable: shown by name (such a schedule is opaque: no text form).
    return getattr(value, "__qualname__", None) or type(value).__name__


def format_number(x: float) -> str:
    """Format a float exactly and briefly: integral values without a fraction.

    The result evaluates back to the same float; infinities are ``float('inf')``.

    >>> format_number(95.0), format_number(0.1), format_number(-2.0), format_number(1e300)
    ('95', '0.1', '-2', '1e+300')
    """
    if math.isinf(x):
        return "float('inf')" if x > 0 else "float('-inf')"
    if math.isnan(x):
        return "float('nan')"
    if x.is_integer() and abs(x) < 1e16:
        return str(int(x)) if x or math.copysign(1.0, x) > 0 else "-0.0"
    return repr(x)


@contextmanager
def deep(depth: int) -> Iterator[None]:
    """Allow recursion about ``depth`` levels deeper than now (trees of any depth print)."""
    old = sys.getrecursionlimit()
    needed = 8 * depth + 500
    if needed > old:
        sys.setrecursionlimit(needed)
    try:
        yield
    finally:
        sys.setrecursionlimit(old)
