"""Every constructor validates eagerly: ScheduleError (a ValueError) with the exact message."""

from __future__ import annotations

import math
import re
from collections.abc import Callable

import numpy as np
import pytest

import lrsched as ls

NAN, INF = math.nan, math.inf
ONE, TWO = ls.constant(1), ls.constant(2)

CASES: list[tuple[str, Callable[[], object], str]] = [
    ("nan constant", lambda: ls.constant(NAN), "value must be a finite number (got nan)"),
    ("inf constant", lambda: ls.constant(INF), "value must be a finite number (got inf)"),
    ("zero step size", lambda: ls.step(0, 0.5), "size must be > 0 (got 0)"),
    ("negative step size", lambda: ls.step(-2.5, 0.5), "size must be > 0 (got -2.5)"),
    ("zero gamma", lambda: ls.step(2, 0), "gamma must be > 0 (got 0)"),
    ("negative gamma", lambda: ls.exponential(-0.5), "gamma must be > 0 (got -0.5)"),
    ("nan gamma", lambda: ls.milestones([1], NAN), "gamma must be a finite number (got nan)"),
    ("nan milestone", lambda: ls.milestones([1, NAN], 0.5), "points[1] must be a finite number"),
    ("negative milestone", lambda: ls.milestones([-1], 0.5), "points[0] must be >= 0 (got -1)"),
    ("zero factor", lambda: ls.multiplicative(0), "factor must be > 0 (got 0)"),
    ("nan factor", lambda: ls.multiplicative(NAN), "factor must be a finite number (got nan)"),
    ("negative linear duration", lambda: ls.linear(1, 0, -1), "duration must be > 0 (got -1)"),
    ("nan linear end", lambda: ls.linear(1, NAN, 5), "end must be a finite number (got nan)"),
    ("zero cosine duration", lambda: ls.cosine(0), "duration must be > 0 (got 0)"),
    ("inf cosine start", lambda: ls.cosine(5, start=INF), "start must be a finite number"),
    ("negative warmup", lambda: ls.warmup(ONE, -1), "duration must be >= 0 (got -1)"),
    ("nan warmup start", lambda: ls.warmup(ONE, 5, start=NAN), "start must be a finite number"),
    (
        "duplicate boundaries",
        lambda: ls.concat([ONE, TWO, ONE], [5, 5]),
        "boundaries must be strictly increasing (got boundaries[0] = 5, boundaries[1] = 5)",
    ),
    (
        "unsorted boundaries",
        lambda: ls.concat([ONE, TWO, ONE], [5, 3]),
        "boundaries must be strictly increasing (got boundaries[0] = 5, boundaries[1] = 3)",
    ),
    (
        "nan boundary",
        lambda: ls.concat([ONE, TWO], [NAN]),
        "boundaries[0] must be a finite number (got nan)",
    ),
    ("zero boundary", lambda: ls.concat([ONE, TWO], [0]), "boundaries[0] must be > 0 (got 0)"),
    (
        "too few boundaries",
        lambda: ls.concat([ONE, TWO], []),
        "boundaries must have one entry fewer than schedules (got 2 schedules and 0 boundaries)",
    ),
    (
        "too many boundaries",
        lambda: ls.concat([ONE], [1, 2]),
        "boundaries must have one entry fewer than schedules (got 1 schedules and 2 boundaries)",
    ),
    ("empty concat", lambda: ls.concat([], []), "schedules must not be empty (got 0 schedules)"),
    (
        "clamp low above high",
        lambda: ls.clamp(ls.cosine(5), 1, 0),
        "low must be <= high (got low=1, high=0)",
    ),
    ("clamp nan", lambda: ls.clamp(ONE, NAN), "low must be a finite number (got nan)"),
    ("times nan", lambda: ls.cosine(5) * NAN, "factor 1 must be a finite number (got nan)"),
    ("nan times", lambda: NAN * ls.cosine(5), "factor 0 must be a finite number (got nan)"),
    ("product inf", lambda: ls.product(ONE, INF), "factor 1 must be a finite number (got inf)"),
]


@pytest.mark.parametrize(("build", "message"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_constructor_errors_name_parameter_rule_and_value(
    build: Callable[[], object], message: str
) -> None:
    with pytest.raises(ls.ScheduleError, match=re.escape(message)):
        build()


def test_schedule_error_is_a_value_error() -> None:
    assert issubclass(ls.ScheduleError, ValueError)


@pytest.mark.parametrize(
    ("t", "message"),
    [
        (-1, "t must be a finite number >= 0 (got -1.0)"),
        (-0.5, "t must be a finite number >= 0 (got -0.5)"),
        (NAN, "t must be a finite number >= 0 (got nan)"),
        (-INF, "t must be a finite number >= 0 (got -inf)"),
        (INF, "t must be a finite number >= 0 (got inf)"),
        (np.float32(-2), "t must be a finite number >= 0 (got -2.0)"),
        (np.array([0.0, 1.0, -1.0]), "t must be a finite number >= 0 (got t[2] = -1.0)"),
        (np.array([[0.0, NAN]]), "t must be a finite number >= 0 (got t[(0, 1)] = nan)"),
        ([0, 1, -INF], "t must be a finite number >= 0 (got t[2] = -inf)"),
    ],
)
def test_bad_times_raise_schedule_error(t: object, message: str) -> None:
    for s in (ls.cosine(5), ls.warmup(ls.step(3, 0.5), 2) * 0.5):
        with pytest.raises(ls.ScheduleError, match=re.escape(message)):
            s(t)  # type: ignore[call-overload]


@pytest.mark.parametrize(
    ("build", "message"),
    [
        (
            lambda: ls.step(True, 0.5),  # noqa: FBT003 (the point of the test)
            "size must be a real number (got True of type bool)",
        ),
        (lambda: ls.cosine("5"), "duration must be a real number (got '5' of type str)"),
        (lambda: ls.warmup(3, 5), "s must be a Schedule (got int: 3)"),
        (lambda: ls.constant(1)("3"), "t must be a real number or an array of them"),
        (lambda: ls.constant(1)(np.array(["a"])), "t must be a real number or an array of them"),
    ],
)
def test_wrong_types_raise_type_error(build: Callable[[], object], message: str) -> None:
    with pytest.raises(TypeError, match=re.escape(message)):
        build()


def test_errors_are_raised_at_construction_not_at_evaluation() -> None:
    # A schedule that was built never yields NaN later: bad parameters cannot get in.
    with pytest.raises(ls.ScheduleError):
        ls.warmup(ls.cosine(10), 5, start=NAN)
