"""The dict form: `to_dict` and `from_dict`, plain JSON-able data with a version.

There is no per-kind code here. `to_dict` walks the nodes' spellings (the constructor calls
that build them, `lrsched._spelling`), so every key of a node is the name of a constructor
parameter, and nothing goes through the text form (no length or depth limits apply)::

    {"format": "lrsched", "version": 2,
     "schedule": {"type": "warmup", "s": {"type": "cosine", "duration": 95}, "duration": 5}}

A chain `a * b` is the node of `lrsched.product`, whose parameter is `*schedules`:
`{"type": "product", "schedules": [0.1, {...}]}`. `from_dict` checks every entry and calls
the constructors, so a kind added to the library later round-trips with no change here.
Documents of version 1 (lrsched 0.1) still load: see `_upgrade_v1`.
"""

from __future__ import annotations

import numbers
import reprlib
from collections.abc import Mapping, Sequence
from typing import Any

from lrsched._core import Schedule
from lrsched._errors import ScheduleError
from lrsched._parse import suggest
from lrsched._registry import CONSTRUCTORS
from lrsched._spelling import Call, Spelling, deep, signature

__all__ = ["FORMAT", "VERSION", "from_dict", "to_dict"]

FORMAT = "lrsched"
"""The `"format"` entry of every dict made by `to_dict`."""

VERSION = 2
"""The `"version"` entry `to_dict` writes, and the newest `from_dict` reads."""

_Path = tuple[str | int, ...]
_ENVELOPE = ("format", "version", "schedule")


def to_dict(s: Schedule) -> dict[str, Any]:
    """The schedule as plain nested dicts, lists, numbers and strings (JSON-able).

    Each node is `{"type": <constructor name>, <parameter>: <value>, ...}` with the arguments
    that its spelling passes (defaults left out), under a versioned envelope. `a * b` is
    `{"type": "product", "schedules": [a, b]}`. `from_dict(to_dict(s)) == s`.

    Args:
        s: A schedule that does not wrap a Python callable (`s.opaque` is False).

    Returns:
        `{"format": "lrsched", "version": 2, "schedule": {...}}`.

    Raises:
        ScheduleError: If `s` is opaque: a Python callable cannot be written as data.
        TypeError: If `s` is not a Schedule.

    Examples:
        >>> import json
        >>> import lrsched as ls
        >>> d = ls.to_dict(ls.warmup(ls.cosine(95, end=0.01), 5))
        >>> print(json.dumps(d))  # doctest: +NORMALIZE_WHITESPACE
        {"format": "lrsched", "version": 2, "schedule": {"type": "warmup",
         "s": {"type": "cosine", "duration": 95, "end": 0.01}, "duration": 5}}
        >>> ls.to_dict(0.1 * ls.cosine(95))["schedule"]
        {'type': 'product', 'schedules': [0.1, {'type': 'cosine', 'duration': 95}]}

    """
    if not isinstance(s, Schedule):
        msg = f"s must be a Schedule (got {type(s).__name__}: {_short(s)})"
        raise TypeError(msg)
    if s.opaque:
        culprit = next(node for node in s.walk() if node.opaque_self)
        msg = (
            f"cannot write {culprit!r} as data: it wraps a Python callable "
            f"(only schedules built from numbers can be converted to a dict)"
        )
        raise ScheduleError(msg)
    with deep(s.depth):
        return {"format": FORMAT, "version": VERSION, "schedule": _node(s._spelling())}


def _node(spelling: Spelling) -> dict[str, Any]:
    if not isinstance(spelling, Call):  # an operator chain: the operands are the arguments
        spelling = Call(spelling.name, spelling.operands, ())
    node: dict[str, Any] = {"type": spelling.name}
    node.update((key, _data(value)) for key, value in spelling.arguments().items())
    return node


def _data(value: object) -> object:
    if isinstance(value, Schedule):
        return _node(value._spelling())
    if isinstance(value, list | tuple):
        return [_data(v) for v in value]
    if isinstance(value, float) and value.is_integer() and abs(value) < 2**53:
        return int(value)  # 95, not 95.0: as a person writes it (read back as a float)
    return value


def from_dict(data: object) -> Schedule:
    """Build the schedule described by a dict from `to_dict` (or written by hand).

    ``data`` is the versioned envelope ``{"format": "lrsched", "version": 2, "schedule": node}``
    (version 1 documents of lrsched 0.1 are upgraded as they load) or a bare node
    ``{"type": ..., ...}`` (read as the current version). A node's keys are the
    parameters of the constructor named by ``"type"``; values are numbers, strings, booleans,
    None, lists and nested nodes. Any mapping and sequence types work (``OmegaConf``'s
    ``DictConfig`` and ``ListConfig`` included), so a config system can hand its section over
    as it is.

    Args:
        data: The dict.

    Returns:
        The schedule, built by its constructors (so validated and simplified as always).

    Raises:
        ScheduleError: For anything malformed; the message starts with the path of the bad
            entry, e.g. ``schedule.schedules[1].duration: duration must be > 0 (got 0)``.

    Examples:
        >>> import lrsched as ls
        >>> ls.from_dict({"type": "warmup", "s": {"type": "cosine", "duration": 95}, "duration": 5})
        warmup(cosine(95), 5)
        >>> ls.from_dict({"type": "cosine", "duration": 95, "edn": 0.1})
        Traceback (most recent call last):
        lrsched._errors.ScheduleError: edn: cosine has no parameter 'edn'; did you mean 'end'?

    """
    if not isinstance(data, Mapping):
        msg = f"expected a dict at the top level (got {_type_name(data)}: {_short(data)})"
        raise ScheduleError(msg)
    node: object = data
    path: _Path = ()
    version = VERSION
    if "type" not in data or "format" in data:
        node, path = _unwrap(data), ("schedule",)
        version = data["version"]
    if not isinstance(node, Mapping):
        raise _error(path, f"expected a schedule node (got {_type_name(node)}: {_short(node)})")
    depth = _depth(node)
    if depth > MAX_PATH:
        msg = f"nested deeper than {MAX_PATH} levels: not a schedule this library wrote"
        raise _error(path, msg)
    with deep(depth):
        upgraded = _upgrade_v1(node) if version == 1 else node
        assert isinstance(upgraded, Mapping)  # noqa: S101 (a mapping stays a mapping)
        return _schedule(upgraded, path)


def _depth(node: object) -> int:
    """How deep ``node`` nests (iteratively: also for hostile input)."""
    deepest, todo = 0, [(node, 1)]
    while todo:
        item, level = todo.pop()
        if level > MAX_PATH:
            return level
        deepest = max(deepest, level)
        if isinstance(item, Mapping):
            todo.extend((v, level + 1) for v in item.values())
        elif isinstance(item, list | tuple):
            todo.extend((v, level + 1) for v in item)
    return deepest


_V1_RENAMES = {
    "cosine_restarts": {"mult": "growth"},
    "one_cycle": {"anneal": "shape"},
    "plateau": {"factor": "gamma", "min_value": "low"},
}


def _upgrade_v1(node: object) -> object:
    """A version 1 node as version 2 says it (the vocabulary of lrsched 0.2).

    Renamed: `cosine_restarts(mult=)` is `growth=`, `one_cycle(anneal="cos")` is
    `shape="cosine"`, `plateau(factor=, min_value=)` are `gamma=, low=`. `warmup(start=)` was a
    fraction of `s(0)` and is now the value at t = 0: the fraction times `s(0)`.
    """
    if isinstance(node, list | tuple):
        return [_upgrade_v1(v) for v in node]
    if not isinstance(node, Mapping):
        return node
    out = {key: _upgrade_v1(value) for key, value in node.items()}
    kind = out.get("type")
    for old, new in _V1_RENAMES.get(kind, {}).items() if isinstance(kind, str) else ():
        if old in out:
            out[new] = out.pop(old)
    if kind == "one_cycle" and out.get("shape") == "cos":
        out["shape"] = "cosine"
    child = out.get("s")
    if kind == "warmup" and "start" in out and isinstance(child, Mapping):
        fraction = out["start"]
        inner = _schedule(child, ("s",))
        if _is_number(fraction):
            out["start"] = float(fraction) * inner(0)  # type: ignore[arg-type]
    return out


def _is_number(value: object) -> bool:
    return isinstance(value, numbers.Real) and not isinstance(value, bool)


def _unwrap(data: Mapping[Any, Any]) -> object:
    for key in data:
        if key not in _ENVELOPE:
            msg = f"unknown entry {key!r} (expected {', '.join(map(repr, _ENVELOPE))})"
            raise _error((str(key),), msg)
    for key in _ENVELOPE:
        if key not in data:
            raise _error((), f"missing {key!r} (expected {', '.join(map(repr, _ENVELOPE))})")
    if data["format"] != FORMAT:
        raise _error(("format",), f"must be {FORMAT!r} (got {_short(data['format'])})")
    version = data["version"]
    if isinstance(version, bool) or not isinstance(version, int) or version < 1:
        raise _error(("version",), f"must be a positive integer (got {_short(version)})")
    if version > VERSION:
        msg = f"version {version} is newer than this lrsched reads ({VERSION}): upgrade lrsched"
        raise _error(("version",), msg)
    return data["schedule"]


def _schedule(node: Mapping[Any, Any], path: _Path) -> Schedule:
    name = _type(node, path)
    given = _given(name, node, path)
    args, kwargs = _arguments(name, given, path)
    try:
        result = CONSTRUCTORS[name](*args, **kwargs)
    except Exception as error:  # from_dict raises ScheduleError and nothing else
        message = str(error).split("\n", 1)[0]
        if not isinstance(error, ScheduleError | TypeError):
            message = f"{type(error).__name__}: {message}"
        raise _error(_blame(path, message, given), message) from error
    if not isinstance(result, Schedule):  # pragma: no cover - constructors return schedules
        raise _error(path, f"{name} did not return a schedule")
    return result


def _type(node: Mapping[Any, Any], path: _Path) -> str:
    """The constructor name in ``node["type"]``, checked."""
    name = node.get("type")
    if name is None:
        msg = f"missing 'type' (the name of a constructor, e.g. 'cosine'; got {_short(node)})"
        raise _error(path, msg)
    if not isinstance(name, str):
        raise _error((*path, "type"), f"must be a string (got {_type_name(name)}: {_short(name)})")
    if name not in CONSTRUCTORS:
        msg = f"unknown schedule type {name!r}" + suggest(name, CONSTRUCTORS)
        raise _error((*path, "type"), msg)
    return name


def _given(name: str, node: Mapping[Any, Any], path: _Path) -> dict[str, object]:
    """The node's arguments by parameter name, each checked and converted."""
    parameters = signature(name).parameters
    takes_any = any(p.kind is p.VAR_KEYWORD for p in parameters.values())
    given: dict[str, object] = {}
    for key, raw in node.items():
        if key == "type":
            continue
        param = parameters.get(key) if isinstance(key, str) else None
        unknown = param is None or param.kind is param.VAR_KEYWORD
        if unknown and (not takes_any or not isinstance(key, str)):
            msg = f"{name} has no parameter {key!r}" + suggest(str(key), parameters)
            raise _error((*path, str(key)), msg)
        if param is not None and param.kind is param.VAR_POSITIONAL:
            if isinstance(raw, str | bytes) or not isinstance(raw, Sequence):
                msg = f"must be a list (got {_type_name(raw)}: {_short(raw)})"
                raise _error((*path, key), msg)
            given[key] = [_value(v, (*path, key, i)) for i, v in enumerate(raw)]
        else:
            given[key] = _value(raw, (*path, key))
    return given


def _arguments(
    name: str, given: dict[str, object], path: _Path
) -> tuple[list[object], dict[str, object]]:
    """Positional and keyword arguments for the constructor, in its signature's order."""
    params = list(signature(name).parameters.values())
    args: list[object] = []
    kwargs: dict[str, object] = {}
    var_positional = any(p.kind is p.VAR_POSITIONAL and p.name in given for p in params)
    for param in params:
        if param.kind is param.VAR_POSITIONAL:
            args.extend(given.get(param.name, []))  # type: ignore[arg-type]  # a list
        elif param.kind is param.VAR_KEYWORD:
            named = {p.name for p in params}
            kwargs.update({k: v for k, v in given.items() if k not in named})
        elif param.name not in given and param.default is param.empty:
            raise _error(path, f"missing parameter {param.name!r} of {name}")
        elif param.kind is param.KEYWORD_ONLY:
            if param.name in given:
                kwargs[param.name] = given[param.name]
        elif param.kind is param.POSITIONAL_ONLY or var_positional:
            args.append(given.get(param.name, param.default))
        elif param.name in given:
            kwargs[param.name] = given[param.name]
    return args, kwargs


def _value(raw: object, path: _Path) -> object:
    """A constructor argument from data: numbers, strings, None, booleans, lists, nodes."""
    if len(path) > MAX_PATH:
        msg = f"nested deeper than {MAX_PATH} levels: not a schedule this library wrote"
        raise _error((*path[:8], "..."), msg)
    if raw is None or isinstance(raw, bool | str):
        return raw
    if isinstance(raw, int):
        return int(raw)
    if isinstance(raw, numbers.Real):
        return float(raw)  # the constructors say which parameters must be finite
    if isinstance(raw, Mapping):
        return _schedule(raw, path)
    if isinstance(raw, Sequence) and not isinstance(raw, bytes):
        return [_value(v, (*path, i)) for i, v in enumerate(raw)]
    msg = (
        f"unsupported value of type {_type_name(raw)} ({_short(raw)}); expected a number, "
        "string, boolean, None, list or schedule node"
    )
    raise _error(path, msg)


def _blame(path: _Path, message: str, given: dict[str, object]) -> _Path:
    """The path of the parameter a constructor's message names first, else the node's path.

    Messages follow one style, ``duration must be > 0 (got 0)`` or ``boundaries[1] must ...``,
    so the parameter (and index) can be read off their start.
    """
    head = message.split(" ", 1)[0]
    name, _, rest = head.partition("[")
    if name not in given:
        return path
    out: list[str | int] = [*path, name]
    out.extend(int(i) for i in rest.rstrip("]").split("][") if i.isdigit())
    return tuple(out)


def _error(path: _Path, message: str) -> ScheduleError:
    if not path:
        return ScheduleError(message)
    text = ""
    for part in path:
        if isinstance(part, int):
            text += f"[{part}]"
        elif part.isidentifier():
            text += f".{part}" if text else part
        else:
            text += f"[{part!r}]"
    return ScheduleError(f"{text}: {message}")


MAX_PATH = 4_000
"""Deepest path ``from_dict`` follows; a deeper input is refused before Python's stack is."""

_SHORT = reprlib.Repr()
_SHORT.maxlevel, _SHORT.maxstring, _SHORT.maxother = 3, 60, 60
_SHORT.maxlist = _SHORT.maxtuple = _SHORT.maxdict = 6


def _short(value: object) -> str:
    """A bounded repr of user data for messages (never recurses through a huge input)."""
    return _SHORT.repr(value)


def _type_name(value: object) -> str:
    return "None" if value is None else type(value).__name__
