"""The dict form: round trips, the format, and malformed dicts named by their path."""

from __future__ import annotations

import copy
import inspect
import json
import pickle
from collections import OrderedDict
from types import MappingProxyType

import pytest
from hypothesis import given
from hypothesis import strategies as st

import lrsched as ls
from lrsched._registry import CONSTRUCTORS
from tests.strategies import schedules, transparent_schedules
from tests.test_parse import opaque_schedules

JSON_SCALARS = (int, float, str, bool, type(None))


def assert_plain_json(value: object) -> None:
    if isinstance(value, dict):
        assert all(isinstance(k, str) for k in value)
        for v in value.values():
            assert_plain_json(v)
    elif isinstance(value, list):
        for v in value:
            assert_plain_json(v)
    else:
        assert isinstance(value, JSON_SCALARS), value


@given(transparent_schedules)
def test_dict_round_trips(s: ls.Schedule) -> None:
    d = ls.to_dict(s)
    assert d["format"] == "lrsched"
    assert d["version"] == 1
    assert_plain_json(d)
    assert ls.from_dict(d) == s
    assert ls.from_dict(d["schedule"]) == s  # a bare node reads as the current version


@given(transparent_schedules)
def test_json_round_trips(s: ls.Schedule) -> None:
    text = json.dumps(ls.to_dict(s), allow_nan=False)
    rebuilt = ls.from_dict(json.loads(text))
    assert rebuilt == s
    assert repr(rebuilt) == repr(s)


@given(schedules)
def test_pickle_and_deepcopy_round_trip_every_node(s: ls.Schedule) -> None:
    for protocol in range(pickle.HIGHEST_PROTOCOL + 1):
        clone = pickle.loads(pickle.dumps(s, protocol=protocol))
        assert clone == s
        assert repr(clone) == repr(s)
    assert copy.deepcopy(s) == s
    assert copy.copy(s) == s


@given(opaque_schedules)
def test_opaque_schedules_are_refused_at_to_dict_time(s: ls.Schedule) -> None:
    with pytest.raises(
        ls.ScheduleError,
        match=r"cannot write multiplicative\(every_third\) as data: it wraps a Python callable",
    ):
        ls.to_dict(s)


def test_format_of_a_typical_schedule() -> None:
    s = 0.1 * ls.warmup(ls.concat([ls.cosine(90, end=0.01), ls.constant(0.01)], [90]), 5)
    assert ls.to_dict(s) == {
        "format": "lrsched",
        "version": 1,
        "schedule": {
            "type": "product",
            "schedules": [
                0.1,
                {
                    "type": "warmup",
                    "s": {
                        "type": "concat",
                        "schedules": [
                            {"type": "cosine", "duration": 90, "end": 0.01},
                            {"type": "constant", "value": 0.01},
                        ],
                        "boundaries": [90],
                    },
                    "duration": 5,
                },
            ],
        },
    }


def test_keys_are_the_constructor_parameters() -> None:
    node = ls.to_dict(ls.clamp(ls.milestones([30, 60], 0.1), low=0.01))["schedule"]
    assert node == {
        "type": "clamp",
        "s": {"type": "milestones", "points": [30, 60], "gamma": 0.1},
        "low": 0.01,
    }
    # so a node is also a keyword call of its constructor:
    args = {k: v for k, v in node.items() if k != "type"}
    args["s"] = ls.from_dict(args["s"])
    assert ls.clamp(**args) == ls.from_dict(node)


def test_no_constructor_has_a_parameter_named_type() -> None:
    for name, fn in CONSTRUCTORS.items():
        assert "type" not in inspect.signature(fn).parameters, name


def test_any_mapping_and_sequence_types_are_read() -> None:
    node = MappingProxyType(
        OrderedDict(type="concat", schedules=(ls.to_dict(ls.cosine(5))["schedule"],), boundaries=())
    )
    assert ls.from_dict(node) == ls.cosine(5)


def test_hand_written_dicts_may_use_floats_for_ints() -> None:
    d = {"type": "step", "size": 30.0, "gamma": 0.1}
    assert ls.from_dict(d) == ls.step(30, 0.1)


def test_to_dict_of_a_non_schedule_is_a_type_error() -> None:
    with pytest.raises(TypeError, match="s must be a Schedule"):
        ls.to_dict("cosine(95)")  # type: ignore[arg-type]


COSINE = {"type": "cosine", "duration": 10}
MALFORMED = [
    ([COSINE], r"^expected a dict at the top level \(got list"),
    ("cosine(10)", r"^expected a dict at the top level \(got str"),
    ({}, r"^missing 'format'"),
    ({"format": "lrsched", "version": 1}, r"^missing 'schedule'"),
    (
        {"format": "lrsched", "version": 1, "schedule": COSINE, "extra": 1},
        r"^extra: unknown entry 'extra'",
    ),
    ({"format": "torch", "version": 1, "schedule": COSINE}, r"^format: must be 'lrsched'"),
    (
        {"format": "lrsched", "version": 2, "schedule": COSINE},
        r"^version: version 2 is newer than this lrsched reads \(1\): upgrade lrsched",
    ),
    ({"format": "lrsched", "version": "1", "schedule": COSINE}, r"^version: must be a positive"),
    ({"format": "lrsched", "version": True, "schedule": COSINE}, r"^version: must be a positive"),
    ({"format": "lrsched", "version": 1, "schedule": [COSINE]}, r"^schedule: expected a schedule"),
    (
        {"format": "lrsched", "version": 1, "schedule": {"duration": 1}},
        r"^schedule: missing 'type'",
    ),
    ({"type": 3}, r"^type: must be a string \(got int: 3\)"),
    (
        {"type": "cosin", "duration": 1},
        r"^type: unknown schedule type 'cosin'; did you mean 'cosine'",
    ),
    ({"type": "__import__"}, r"^type: unknown schedule type '__import__'"),
    ({"type": "cosine"}, r"^missing parameter 'duration' of cosine"),
    ({"type": "cosine", "duration": 1, "edn": 0}, r"^edn: cosine has no parameter 'edn'; did you"),
    ({"type": "cosine", "duration": 1, 7: 0}, r"^\['7'\]: cosine has no parameter 7"),
    ({"type": "cosine", "duration": "1"}, r"^duration: duration must be a real number"),
    (
        {"type": "cosine", "duration": float("nan")},
        r"^duration: must be a finite number \(got nan\)",
    ),
    ({"type": "cosine", "duration": 0}, r"^duration: duration must be > 0 \(got 0\)"),
    ({"type": "cosine", "duration": {1}}, r"^duration: unsupported value of type set"),
    ({"type": "cosine", "duration": b"1"}, r"^duration: unsupported value of type bytes"),
    ({"type": "product", "schedules": 0.5}, r"^schedules: must be a list \(got float: 0.5\)"),
    ({"type": "product", "schedules": [0.5, "x"]}, r"^factor 1 must be a Schedule or a number"),
    ({"type": "warmup", "s": 1, "duration": 5}, r"^s: s must be a Schedule \(got int: 1\)"),
    (
        {
            "format": "lrsched",
            "version": 1,
            "schedule": {
                "type": "concat",
                "schedules": [COSINE, {"type": "warmup", "s": COSINE, "duration": -1}],
                "boundaries": [10],
            },
        },
        r"^schedule\.schedules\[1\]\.duration: duration must be >= 0 \(got -1\)",
    ),
    (
        {"type": "concat", "schedules": [COSINE, COSINE], "boundaries": [0]},
        r"^boundaries\[0\]: boundaries\[0\] must be > 0 \(got 0\)",
    ),
    (
        {
            "type": "concat",
            "schedules": [COSINE, {"type": "cosine", "duration": [1]}],
            "boundaries": [1],
        },
        r"^schedules\[1\]\.duration: duration must be a real number",
    ),
    (
        {"type": "milestones", "points": [1, [2]], "gamma": 0.5},
        r"^points\[1\]: points\[1\] must be a real number",
    ),
]


@pytest.mark.parametrize(("data", "message"), MALFORMED)
def test_malformed_dicts_raise_schedule_error_naming_the_path(data: object, message: str) -> None:
    with pytest.raises(ls.ScheduleError, match=message):
        ls.from_dict(data)


_json = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=8),
    lambda children: (
        st.lists(children, max_size=4)
        | st.dictionaries(
            st.sampled_from(["type", "s", "duration", "schedules", "boundaries", "value", "x"]),
            children,
            max_size=4,
        )
    ),
    max_leaves=12,
)
_types = st.sampled_from([*sorted(CONSTRUCTORS), "nope"])


@given(
    st.dictionaries(st.just("type"), _types, min_size=1),
    st.dictionaries(st.text(max_size=9), _json),
)
def test_from_dict_of_arbitrary_data_raises_only_schedule_error(
    head: dict[str, object], rest: dict[str, object]
) -> None:
    node = {**rest, **head}
    try:
        result = ls.from_dict(node)
    except ls.ScheduleError:
        return
    assert isinstance(result, ls.Schedule)
    assert ls.from_dict(ls.to_dict(result)) == result if not result.opaque else True
