"""Fingerprints of schedules by meaning, for checkpoints: equal meaning, equal fingerprint.

A transparent schedule's ``repr`` is already its meaning (one tree per meaning, every float
exact). An opaque one (``function(fn)``, ``multiplicative(fn)``) prints the callable's name only,
so two different callables print alike. Its fingerprint describes the callable instead: the
qualified name and module, the arguments and keywords of a ``functools.partial``, the defaults,
the closure cells and the globals the code reads where they are plain data (numbers, strings,
tuples, lists, dicts of them, schedules), and a hash of the code object (bytecode, constants,
names; not the file or line, so moving code keeps the fingerprint). What cannot be described
(a C function's state, an object with no plain attributes) is named by its type only; the
checkpoint also keeps an opaque schedule's values at a few probe times for that.

Everything is walked generically: a node's attrs fields, a callable's standard attributes.
Torch-free.
"""

from __future__ import annotations

import functools
import hashlib
import math
import types
from collections.abc import Callable
from typing import Any

import attrs

from lrsched._core import Schedule

__all__ = ["PROBE_TIMES", "fingerprint", "probe"]

PROBE_TIMES = (0.0, 1.0, 2.0, 3.0, 5.0, 10.0, 100.0, 1000.0)
"""Times at which an opaque schedule's values are kept, besides the saved time and the next."""

_DEPTH = 8  # how deep callables referring to callables are described


def fingerprint(s: Schedule) -> str:
    """A short hex digest of ``s``'s meaning (``repr`` where that is exact)."""
    text = repr(s) if not s.opaque else _describe(s, _DEPTH)
    return hashlib.sha256(text.encode()).hexdigest()[:32]


def probe(s: Schedule, times: tuple[float, ...]) -> list[float | None]:
    """``s`` at each time; None where it cannot be evaluated there (it raised)."""
    out: list[float | None] = []
    for t in times:
        try:
            out.append(s(t))
        except Exception:  # noqa: BLE001 (an opaque callable may raise anything; None records it)
            out.append(None)
    return out


def _describe(value: Any, depth: int) -> str:  # noqa: PLR0911 (one case per kind of value)
    if depth <= 0:
        return f"<{_name(type(value))}>"
    if isinstance(value, Schedule):
        if not value.opaque:
            return repr(value)
        # The fields that make up the node's value (caches are eq=False); every node is attrs.
        fields = [f for f in attrs.fields(type(value)) if f.eq]  # type: ignore[arg-type]
        inner = ", ".join(
            f"{f.name}={_describe(getattr(value, f.name), depth - 1)}" for f in fields
        )
        return f"{_name(type(value))}({inner})"
    plain = _plain(value, depth)
    if plain is not None:
        return plain
    if isinstance(value, functools.partial):
        args = ", ".join(_describe(a, depth - 1) for a in value.args)
        keywords = ", ".join(
            f"{k}={_describe(v, depth - 1)}" for k, v in sorted(value.keywords.items())
        )
        return f"partial({_describe(value.func, depth - 1)}; {args}; {keywords})"
    if isinstance(value, types.MethodType):
        owner = _describe(value.__self__, depth - 1)
        return f"method({_describe(value.__func__, depth - 1)} of {owner})"
    if isinstance(value, types.FunctionType):
        return _function(value, depth)
    if isinstance(value, types.BuiltinFunctionType | type):
        return _name(value)
    if callable(value):
        state = getattr(value, "__dict__", None)
        shown = "" if not isinstance(state, dict) else _describe_mapping(state, depth - 1)
        call = _describe(type(value).__call__, depth - 1)
        return f"{_name(type(value))}({shown}; call={call})"
    return f"<{_name(type(value))}>"


def _plain(value: Any, depth: int) -> str | None:  # noqa: PLR0911 (one case per kind of data)
    """The description of plain data, or None if ``value`` is not plain data."""
    if value is None or isinstance(value, bool | int | str | bytes):
        return repr(value)
    if isinstance(value, float):
        return "nan" if math.isnan(value) else repr(value)
    if isinstance(value, tuple | list):
        return f"{type(value).__name__}({', '.join(_describe(v, depth - 1) for v in value)})"
    if isinstance(value, dict):
        return _describe_mapping(value, depth - 1)
    if isinstance(value, frozenset | set):
        return f"set({', '.join(sorted(_describe(v, depth - 1) for v in value))})"
    tobytes = getattr(type(value), "tobytes", None)  # a numpy array or scalar: its bytes
    if tobytes is not None and hasattr(value, "dtype") and hasattr(value, "shape"):
        digest = hashlib.sha256(tobytes(value)).hexdigest()[:16]
        return f"array({value.dtype}, {value.shape}, {digest})"
    return None


def _describe_mapping(mapping: dict[Any, Any], depth: int) -> str:
    items = sorted((repr(k), _describe(v, depth)) for k, v in mapping.items())
    return "{" + ", ".join(f"{k}: {v}" for k, v in items) + "}"


def _name(obj: Any) -> str:
    module = getattr(obj, "__module__", None) or ""
    qualname = getattr(obj, "__qualname__", None) or type(obj).__name__
    return f"{module}.{qualname}"


def _function(fn: types.FunctionType, depth: int) -> str:
    code = fn.__code__
    cells = []
    for name, cell in zip(code.co_freevars, fn.__closure__ or (), strict=True):
        try:
            content = cell.cell_contents
        except ValueError:  # an empty cell (a name assigned after the closure was made)
            cells.append(f"{name}=<empty>")
            continue
        cells.append(f"{name}={_describe(content, depth - 1)}")
    globals_read = [
        f"{name}={_describe(fn.__globals__[name], depth - 1)}"
        for name in _global_names(code)
        if name in fn.__globals__ and not isinstance(fn.__globals__[name], types.ModuleType)
    ]
    defaults = _describe(fn.__defaults__, depth - 1)
    kwdefaults = _describe(fn.__kwdefaults__, depth - 1)
    return (
        f"function({_name(fn)}; code={_code_hash(code)}; defaults={defaults}; "
        f"kwdefaults={kwdefaults}; closure=({', '.join(cells)}); "
        f"globals=({', '.join(globals_read)}))"
    )


def _global_names(code: types.CodeType) -> list[str]:
    names = list(code.co_names)
    for const in code.co_consts:
        if isinstance(const, types.CodeType):
            names.extend(_global_names(const))
    return sorted(set(names))


def _code_hash(code: types.CodeType) -> str:
    digest = hashlib.sha256()
    _feed(digest.update, code)
    return digest.hexdigest()[:16]


def _feed(update: Callable[[bytes], object], code: types.CodeType) -> None:
    update(code.co_code)
    update(
        repr((code.co_names, code.co_varnames, code.co_argcount, code.co_kwonlyargcount)).encode()
    )
    for const in code.co_consts:
        if isinstance(const, types.CodeType):
            _feed(update, const)
        else:
            update(repr(const).encode())
