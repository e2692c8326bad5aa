"""Hypothesis strategies for bad input: nasty numbers, wrong types, and damaged nested data.

Used by the fuzz tests (``test_robustness.py``) and the checkpoint tests
(``test_checkpoints.py``). Nothing here imports torch.
"""

from __future__ import annotations

import copy
import math
from collections.abc import Callable
from fractions import Fraction
from typing import Any

import numpy as np
from hypothesis import strategies as st

__all__ = [
    "NASTY_FLOATS",
    "NASTY_INTS",
    "callables",
    "damaged",
    "garbage",
    "nasty_floats",
    "nasty_ints",
    "plausible_floats",
    "scalars",
]

NASTY_FLOATS = [
    math.nan,
    -math.nan,
    math.inf,
    -math.inf,
    0.0,
    -0.0,
    5e-324,  # the smallest subnormal
    -5e-324,
    2.2250738585072014e-308,  # the smallest normal
    1e-300,
    1e300,
    1e308,
    -1e308,
    1.7976931348623157e308,  # the largest float
    -1.7976931348623157e308,
    9007199254740993.0,  # 2**53 + 1 (rounds to 2**53)
    1e15,
    1e-15,
]
NASTY_INTS = [0, -1, 1, 2**24, 2**24 + 1, 2**53 + 1, 2**63, -(2**63), 10**30, 10**400, -(10**400)]

plausible_floats = st.one_of(
    st.integers(1, 100).map(float),
    st.floats(0.01, 100.0),
    st.sampled_from([0.1, 0.5, 0.9, 1.0, 2.0]),
)
"""Numbers most constructors accept, so that fuzzing also reaches evaluation."""

nasty_floats = st.one_of(st.sampled_from(NASTY_FLOATS), st.floats(), plausible_floats)
nasty_ints = st.one_of(st.sampled_from(NASTY_INTS), st.integers(), st.integers(-3, 200))

scalars: st.SearchStrategy[object] = st.one_of(
    nasty_floats,
    nasty_ints,
    st.booleans(),
    st.none(),
    st.text(max_size=6),
    st.binary(max_size=4),
    nasty_floats.map(np.float64),
    st.floats(width=32).map(np.float32),
    nasty_ints.filter(lambda i: -(2**63) <= i < 2**63).map(np.int64),
    st.sampled_from(
        [
            Fraction(10**400, 3),  # float() overflows
            Fraction(1, 10**400),  # float() underflows to 0.0
            Fraction(1, 3),
            complex(1, 1),
            1j,
            np.array([1.0, 2.0]),
            np.array(0.5),
            np.array([], dtype=np.float64),
            object(),
            Ellipsis,
            NotImplemented,
            range(3),
            frozenset({1.0}),
        ]
    ),
)
"""Single values of every kind: nasty numbers, bools, None, strings, numpy and odd objects."""


def _constant_function(value: object) -> Callable[[int], object]:
    def factor(k: int) -> object:
        return value

    return factor


def _power_function(base: float) -> Callable[[int], float]:
    def factor(k: int) -> float:
        return base ** min(k, 500) if base > 0 else base  # finite for every k

    return factor


callables: st.SearchStrategy[object] = st.one_of(
    st.sampled_from([float, int, abs, str, bool, math.sqrt, math.floor]),
    scalars.map(_constant_function),
    st.sampled_from([1e-200, 0.5, 1.5, -2.0]).map(_power_function),
)
"""Callables ``int -> anything``: the factor functions of ``multiplicative``."""


def garbage(leaves: st.SearchStrategy[Any] = scalars) -> st.SearchStrategy[Any]:
    """Nested garbage: ``leaves`` inside lists, tuples and dicts (str or odd keys)."""
    keys = st.one_of(st.text(max_size=8), st.integers(-2, 2), st.none(), st.booleans())
    return st.recursive(
        leaves,
        lambda children: st.one_of(
            st.lists(children, max_size=4),
            st.tuples(children, children),
            st.dictionaries(keys, children, max_size=3),
        ),
        max_leaves=8,
    )


def _paths(data: object, prefix: tuple[object, ...] = ()) -> list[tuple[object, ...]]:
    """Every path (a tuple of keys / indices) to a node inside nested dicts and lists."""
    out = [prefix]
    if isinstance(data, dict):
        for key, value in data.items():
            out.extend(_paths(value, (*prefix, key)))
    elif isinstance(data, list):
        for index, value in enumerate(data):
            out.extend(_paths(value, (*prefix, index)))
    return out


def _get(data: Any, path: tuple[object, ...]) -> Any:
    for key in path:
        data = data[key]
    return data


@st.composite
def damaged(
    draw: st.DrawFn, valid: object, leaves: st.SearchStrategy[Any] = scalars, max_edits: int = 3
) -> Any:
    """A deep copy of ``valid`` (nested dicts and lists) with 1 to ``max_edits`` random edits.

    Each edit picks a node and deletes it, replaces it with garbage, truncates or extends it (a
    list), or adds an unknown key (a dict). The root itself may be replaced too.
    """
    data = copy.deepcopy(valid)
    for _ in range(draw(st.integers(1, max_edits))):
        paths = _paths(data)
        path = draw(st.sampled_from(paths))
        node = _get(data, path)
        action = draw(st.sampled_from(["delete", "replace", "truncate", "extend", "add_key"]))
        if not path:
            if action == "replace":
                data = draw(garbage(leaves))
            continue
        parent = _get(data, path[:-1])
        key = path[-1]
        if action == "delete":
            del parent[key]
        elif action == "replace":
            parent[key] = draw(garbage(leaves))
        elif action == "truncate" and isinstance(node, list) and node:
            del node[draw(st.integers(0, len(node) - 1)) :]
        elif action == "extend" and isinstance(node, list):
            node.extend(draw(st.lists(garbage(leaves), min_size=1, max_size=3)))
        elif action == "add_key" and isinstance(node, dict):
            node[draw(st.text(max_size=8))] = draw(garbage(leaves))
        else:
            parent[key] = draw(garbage(leaves))
    return data
