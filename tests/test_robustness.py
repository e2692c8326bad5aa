"""Bad input never crashes: fuzzed constructors, parse and from_dict, and extreme numerics.

The contract: building or evaluating a schedule raises :class:`~lrsched.ScheduleError` (or
``TypeError`` for a wrong type) and nothing else; no warning (pytest turns warnings into errors,
and the checks below do so explicitly too), no hang, and no NaN result.

The constructors are found in ``lrsched._core.CONSTRUCTORS`` (filled by ``@constructor``) and
their arguments are generated from ``inspect.signature``, so a new constructor is fuzzed as soon
as it is registered. Hypothesis is the whole fuzzer: atheris would need a compiled extension and
a separate runner for no coverage the generated trees do not already reach.
"""

from __future__ import annotations

import bisect
import collections.abc
import contextlib
import inspect
import math
import re
import signal
import traceback
import types
import typing
import warnings
from collections.abc import Callable, Iterator
from fractions import Fraction
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pytest
from hypothesis import HealthCheck, Phase, given, reject, settings
from hypothesis import strategies as st

import lrsched as ls
from lrsched._leaves import MULTIPLICATIVE_HORIZON
from lrsched._registry import CONSTRUCTORS
from tests.garbage import (
    callables,
    damaged,
    garbage,
    nasty_floats,
    plausible_floats,
    scalars,
)
from tests.strategies import schedules, transparent_schedules

NAMES = sorted(CONSTRUCTORS)

KNOWN_GAPS: dict[tuple[str, type[BaseException]], str] = {}
"""Exceptions known to escape from modules owned elsewhere, each pinned by the strict xfail test
named here. The fuzz rejects (does not count) an example that hits one of them, and stays
strict about everything else. Delete an entry when its test XPASSes (fails as fixed)."""


@contextlib.contextmanager
def known_gaps_rejected() -> Iterator[None]:
    """Reject the current hypothesis example if it hits one of :data:`KNOWN_GAPS`."""
    try:
        yield
    except Exception as error:
        frames = traceback.extract_tb(error.__traceback__)
        inside = [
            Path(f.filename).name for f in frames if Path(f.filename).parent.name == "lrsched"
        ]
        if inside and (inside[-1], type(error)) in KNOWN_GAPS:
            reject()
        raise


TIMES = [0, 1, 2.5, 1e3, 1e9, 1e15]
HANG_SECONDS = 60
"""A generous bound that only an algorithmic blow-up (a hang) can reach: not a timing test."""


class Hang(Exception):  # noqa: N818 (it names what happened, like KeyboardInterrupt)
    """Raised by :func:`no_hang` when the guarded code runs far longer than it should."""


@contextlib.contextmanager
def no_hang(seconds: int = HANG_SECONDS) -> Iterator[None]:
    """Fail (raise :class:`Hang`) if the block runs longer than ``seconds``; turn warnings into
    errors, whatever the pytest configuration."""

    def alarm(signum: int, frame: object) -> None:
        msg = f"still running after {seconds} s: a hang or a linear scan where bisect belongs"
        raise Hang(msg)

    previous = signal.signal(signal.SIGALRM, alarm)
    signal.alarm(seconds)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


# -- generating arguments for any constructor ------------------------------------------------


def _literals(hint: object) -> list[object]:
    """The values of every ``Literal[...]`` inside a type hint (``Literal`` in a union too)."""
    if typing.get_origin(hint) is Literal:
        return list(typing.get_args(hint))
    return [value for arg in typing.get_args(hint) for value in _literals(arg)]


def _hints(fn: Callable[..., object]) -> dict[str, object]:
    try:
        return typing.get_type_hints(fn)
    except (NameError, TypeError, AttributeError):  # an annotation we cannot resolve: no hints
        return {}


def _words(fn: Callable[..., object]) -> list[str]:
    """Quoted lowercase words in ``fn``'s source: the likely values of its string options."""
    try:
        source = inspect.getsource(fn)
    except (OSError, TypeError):
        return []
    return sorted(set(re.findall(r"[\"']([a-z][a-z0-9_]*)[\"']", source)))


def _plausible(  # noqa: C901, PLR0911 (one dispatch over the kinds of type hints)
    hint: object, nested: st.SearchStrategy[ls.Schedule], words: list[str]
) -> st.SearchStrategy[Any]:
    """Values of the kind ``hint`` describes, in ranges most constructors accept."""
    origin, args = typing.get_origin(hint), typing.get_args(hint)
    if origin is Literal:
        return st.sampled_from(args)
    if origin is types.UnionType or origin is typing.Union:
        return st.one_of([_plausible(arg, nested, words) for arg in args])
    if hint is type(None):
        return st.none()
    if hint is bool:
        return st.booleans()
    if hint is int:
        return st.integers(1, 100)
    if hint is float:
        return plausible_floats
    if hint is str:
        return st.sampled_from(words) if words else st.text(max_size=8)
    if isinstance(hint, type) and issubclass(hint, ls.Schedule):
        return nested
    if origin in {collections.abc.Iterable, collections.abc.Sequence, list, tuple} and args:
        if args[0] is float:  # points, boundaries: often required to be increasing
            return st.lists(plausible_floats, unique=True, max_size=4).map(sorted)
        return st.lists(_plausible(args[0], nested, words), min_size=1, max_size=4)
    if origin is collections.abc.Callable:
        return callables
    return st.one_of(  # object, Any or no hint at all: every kind of plausible value
        plausible_floats,
        nested,
        st.lists(plausible_floats, unique=True, max_size=4).map(sorted),
        st.lists(nested, min_size=1, max_size=4),
    )


def _value(
    hint: object, nested: st.SearchStrategy[ls.Schedule], words: list[str]
) -> st.SearchStrategy[Any]:
    """Any value for a parameter: usually a plausible one (so that the other parameters are
    checked too and evaluation is reached), sometimes garbage."""
    plausible = _plausible(hint, nested, words)
    bad = st.one_of(nasty_floats, scalars, callables, garbage(st.one_of(scalars, nested)))
    return st.integers(0, 3).flatmap(lambda coin: bad if coin == 0 else plausible)


@st.composite
def arguments(
    draw: st.DrawFn, fn: Callable[..., object], nested: st.SearchStrategy[ls.Schedule]
) -> tuple[list[Any], dict[str, Any]]:
    """Positional and keyword arguments that fit ``fn``'s signature, with random values.

    A parameter with a default is sometimes left out; after one is left out, the following
    positional-or-keyword parameters are passed by keyword.
    """
    hints, words = _hints(fn), _words(fn)
    args: list[Any] = []
    kwargs: dict[str, Any] = {}
    by_keyword = False
    for name, param in inspect.signature(fn).parameters.items():
        value = _value(hints.get(name), nested, words)
        kind = param.kind
        if kind is inspect.Parameter.VAR_POSITIONAL:
            if not by_keyword:
                args.extend(draw(st.lists(value, max_size=4)))
            continue
        if kind is inspect.Parameter.VAR_KEYWORD:
            continue
        if param.default is not inspect.Parameter.empty and draw(st.booleans()):
            by_keyword = True
            continue
        if kind is inspect.Parameter.KEYWORD_ONLY or (
            kind is inspect.Parameter.POSITIONAL_OR_KEYWORD and by_keyword
        ):
            kwargs[name] = draw(value)
        else:
            args.append(draw(value))
    return args, kwargs


@st.composite
def built(draw: st.DrawFn, depth: int = 1) -> ls.Schedule:
    """A schedule made by a fuzzed constructor call (children fuzzed too, ``depth`` levels)."""
    tame = st.one_of(transparent_schedules, schedules)
    nested = tame if depth <= 0 else st.one_of(tame, built(depth - 1))
    fn = CONSTRUCTORS[draw(st.sampled_from(NAMES))]
    args, kwargs = draw(arguments(fn, nested))
    try:
        return fn(*args, **kwargs)
    except (ls.ScheduleError, TypeError):
        return draw(tame)


# -- checks ------------------------------------------------------------------------------------


def same_value(a: float, b: float) -> bool:
    return a == b or math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-300)


def assert_evaluates_cleanly(s: object) -> None:
    """``s`` is a Schedule whose values at ``TIMES`` are floats, never NaN, scalar == array.

    A schedule that wraps a Python callable (``s.opaque``) may raise ScheduleError or TypeError:
    past its documented horizon, or when the callable returns garbage.
    """
    assert isinstance(s, ls.Schedule), type(s)
    for t in TIMES:
        try:
            value = s(t)
            array = s(np.array([t, t]))
        except (ls.ScheduleError, TypeError):
            if not s.opaque:
                raise
            continue
        assert type(value) is float, (s, t, value)
        assert not math.isnan(value), (s, t)
        assert array.dtype == np.float64
        assert array.shape == (2,)
        assert not np.isnan(array).any(), (s, t, array)
        assert same_value(float(array[0]), value), (s, t, value, array)


def outcome(fn: Callable[..., object], *args: object, **kwargs: object) -> object:
    """Call ``fn``; return its result, or the ScheduleError / TypeError it raised.

    Any other exception propagates and fails the test: that is the contract under test.
    """
    try:
        return fn(*args, **kwargs)
    except (ls.ScheduleError, TypeError) as error:
        assert str(error), f"{type(error).__name__} without a message"  # noqa: PT017 (see above)
        return error


# -- every registered constructor --------------------------------------------------------------


def test_the_registry_holds_every_public_constructor() -> None:
    for name in ("constant", "step", "milestones", "exponential", "multiplicative", "linear"):
        assert CONSTRUCTORS[name] is getattr(ls, name)
    for name in ("cosine", "warmup", "concat", "clamp", "product"):
        assert CONSTRUCTORS[name] is getattr(ls, name)
    assert all(getattr(ls, name, None) is fn for name, fn in CONSTRUCTORS.items())


@pytest.mark.parametrize("name", NAMES)
@settings(suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(data=st.data())
def test_constructor_raises_only_schedule_or_type_errors(name: str, data: st.DataObject) -> None:
    fn = CONSTRUCTORS[name]
    args, kwargs = data.draw(arguments(fn, built(depth=1)), label="arguments")
    with no_hang(), known_gaps_rejected():
        result = outcome(fn, *args, **kwargs)
        if not isinstance(result, Exception):
            assert_evaluates_cleanly(result)


class _Found(Exception):  # noqa: N818 (a signal, not an error)
    """Stops the search below at the first valid call."""


@pytest.mark.parametrize("name", NAMES)
def test_the_fuzzer_reaches_evaluation_for_every_constructor(name: str) -> None:
    # Guards the fuzz above against vacuity: the generated arguments must sometimes be valid.
    fn = CONSTRUCTORS[name]

    @settings(max_examples=2000, phases=[Phase.generate], database=None, derandomize=True)
    @given(arguments(fn, transparent_schedules))
    def search(drawn: tuple[list[Any], dict[str, Any]]) -> None:
        if isinstance(outcome(fn, *drawn[0], **drawn[1]), ls.Schedule):
            raise _Found

    with pytest.raises(_Found):
        search()


@pytest.mark.parametrize(
    "value",
    [10**400, Fraction(10**400, 3), -(10**400)],
    ids=["int", "fraction", "negative-int"],
)
@pytest.mark.parametrize("name", ["multiplicative", "function"])
def test_a_callable_returning_a_number_beyond_floats(name: str, value: object) -> None:
    s = CONSTRUCTORS[name](lambda _: value)
    with pytest.raises(ls.ScheduleError, match="must return a finite number"):
        s(3)
    with pytest.raises(ls.ScheduleError, match="must return a finite number"):
        s(np.array([3.0]))


@pytest.mark.parametrize("t", [1.0, 1e15])
def test_repeat_with_a_period_near_zero(t: float) -> None:
    s = ls.repeat(ls.cosine(10), 5e-324)
    for times in (t, np.array([t])):
        result = outcome(s, times)
        # Infinitely many cycles as far as floats can tell: the limit, s at local time 0.
        assert np.asarray(result).tolist() in (1.0, [1.0])


@settings(suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(built(depth=2))
def test_fuzzed_trees_evaluate_cleanly(s: ls.Schedule) -> None:
    with no_hang(), known_gaps_rejected():
        assert_evaluates_cleanly(s)
        if not s.opaque:
            assert eval(repr(s), vars(ls)) == s


@given(transparent_schedules, st.one_of(nasty_floats, scalars, garbage()))
def test_bad_times_raise_schedule_or_type_error(s: ls.Schedule, t: object) -> None:
    with no_hang(), known_gaps_rejected():
        result = outcome(s, t)
    if isinstance(result, Exception):
        return
    # Accepted: t was a finite number >= 0 (or an array of them) and the value is not NaN.
    assert not np.isnan(np.asarray(result)).any()
    times = np.asarray(t, dtype=np.float64)
    assert (times >= 0).all()
    assert np.isfinite(times).all()


# -- parse and from_dict (issue 4) -------------------------------------------------------------

needs_parse = pytest.mark.skipif(not hasattr(ls, "parse"), reason="ls.parse not written yet")
needs_from_dict = pytest.mark.skipif(
    not hasattr(ls, "from_dict"), reason="ls.from_dict not written yet"
)

ADVERSARIAL_TEXT = [
    "",
    " ",
    "\x00",
    "(" * 10_000,
    "clamp(" * 10_000 + "constant(1)" + ")" * 10_000,
    "[" * 10_000 + "]" * 10_000,
    "-" * 10_000 + "1",
    "9" * 100_000,
    "constant(" + "9" * 100_000 + ")",
    "constant(1e999999)",
    "constant(-1e999999)",
    "constant(nan)",
    "constant(inf)",
    "constant(10**10**10)",
    "step(1e-999, 0.5)",
    "constant(1) * " * 5_000 + "constant(1)",
    "__import__('os').system('true')",
    "().__class__.__bases__[0].__subclasses__()",
    "lambda: 1",
    "constant(x)",
    "constant(1); constant(2)",
    "constant(1)\nconstant(2)",
    "constant(value=1, value=2)",
    "constant(1, 2, 3)",
    "cosine(10, start=)",
    "multiplicative(_halving_every)",
    "milestones([" + ", ".join(map(str, range(100_000))) + "], 0.5)",
    "\N{FULLWIDTH DIGIT ONE}",
    "constant(\N{ARABIC-INDIC DIGIT ONE})",
]


@st.composite
def damaged_text(draw: st.DrawFn) -> str:
    """The repr of a random schedule with a few characters deleted, inserted or repeated."""
    text = repr(draw(transparent_schedules))
    alphabet = st.sampled_from(list("()[],.=*+-/eE0123456789_ abcnxyz'\"\\\n")) | st.characters()
    for _ in range(draw(st.integers(1, 4))):
        i = draw(st.integers(0, len(text)))
        j = draw(st.integers(i, min(len(text), i + 6)))
        action = draw(st.sampled_from(["delete", "insert", "repeat"]))
        if action == "delete":
            text = text[:i] + text[j:]
        elif action == "insert":
            text = text[:i] + draw(st.text(alphabet, min_size=1, max_size=4)) + text[i:]
        else:
            text = text[:i] + text[i:j] * draw(st.integers(2, 50)) + text[j:]
    return text


def assert_parse_is_clean(text: object) -> None:
    with no_hang():
        result = outcome(ls.parse, text)
        if not isinstance(result, Exception):
            assert_evaluates_cleanly(result)


@needs_parse
@settings(suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(st.one_of(damaged_text(), st.text(), st.text(st.sampled_from(list("()[],.=*e0123456789")))))
def test_parse_raises_only_schedule_or_type_errors(text: str) -> None:
    assert_parse_is_clean(text)


@needs_parse
@pytest.mark.parametrize("text", ADVERSARIAL_TEXT, ids=lambda text: repr(text[:20]))
def test_parse_adversarial_text(text: str) -> None:
    assert_parse_is_clean(text)


@needs_parse
@given(st.one_of(scalars, garbage(), transparent_schedules))
def test_parse_of_a_non_string(value: object) -> None:
    with no_hang(), known_gaps_rejected():
        result = outcome(ls.parse, value)
    assert isinstance(result, ls.ScheduleError | TypeError)


@needs_parse
@settings(suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(built(depth=2))
def test_parse_reads_back_every_fuzzed_transparent_schedule(s: ls.Schedule) -> None:
    if s.opaque:
        with no_hang(), known_gaps_rejected():
            assert isinstance(outcome(ls.parse, repr(s)), ls.ScheduleError | TypeError)
        return
    with no_hang(), known_gaps_rejected():
        assert ls.parse(repr(s)) == s


def _to_dict_or_none(s: ls.Schedule) -> object:
    to_dict = getattr(ls, "to_dict", None)
    if to_dict is None or s.opaque:
        return None
    return to_dict(s)


@st.composite
def dict_inputs(draw: st.DrawFn) -> object:
    """Garbage, or the to_dict form of a random schedule with a few random edits."""
    valid = _to_dict_or_none(draw(transparent_schedules))
    if valid is None or draw(st.booleans()):
        keys = st.sampled_from(["type", "kind", "name", "args", "kwargs", "format", "version"])
        return draw(garbage(st.one_of(scalars, keys)))
    return draw(damaged(valid))


@needs_from_dict
@settings(suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(dict_inputs())
def test_from_dict_raises_only_schedule_or_type_errors(data: object) -> None:
    with no_hang(), known_gaps_rejected():
        result = outcome(ls.from_dict, data)
        if not isinstance(result, Exception):
            assert_evaluates_cleanly(result)


def _deep(depth: int, leaf: object) -> dict[str, object]:
    """``{"format": "lrsched", "version": 1, "schedule": clamp(clamp(...(leaf)))}`` as data."""
    node = leaf
    for _ in range(depth):
        node = {"type": "clamp", "s": node, "low": 0.0}
    return {"format": "lrsched", "version": 1, "schedule": node}


def _deep_list(depth: int) -> list[object]:
    node: list[object] = []
    for _ in range(depth):
        node = [node]
    return node


DEEP_INPUTS = [
    pytest.param(_deep(100, {"type": "constant", "value": 1}), id="clamp-100"),
    pytest.param(_deep(10_000, {"type": "constant", "value": 1}), id="clamp-10000"),
    pytest.param(_deep(10_000, {"type": "nope"}), id="clamp-10000-bad-leaf"),
    pytest.param(_deep_list(10_000), id="list-10000"),
    pytest.param(_deep(1, _deep_list(10_000)), id="clamp-of-list-10000"),
]


@needs_from_dict
@pytest.mark.parametrize("data", DEEP_INPUTS)
def test_from_dict_of_deeply_nested_input(data: object) -> None:
    with no_hang():
        result = outcome(ls.from_dict, data)
    if isinstance(result, Exception):
        assert isinstance(result, ls.ScheduleError)
    else:
        assert isinstance(result, ls.Schedule)
        assert result(0) == 1.0


@needs_from_dict
@settings(suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(built(depth=2))
def test_from_dict_reads_back_every_fuzzed_transparent_schedule(s: ls.Schedule) -> None:
    data = _to_dict_or_none(s)
    if data is None:
        return
    with no_hang(), known_gaps_rejected():
        assert ls.from_dict(data) == s


# -- numerics ----------------------------------------------------------------------------------

far_times = st.one_of(
    st.floats(0, 1e15),
    st.sampled_from([1e9, 1e12, 1e15, 2.0**53, 2.0**53 + 2, 10**15, 10**12 + 1]),
)


@given(transparent_schedules, st.lists(far_times, min_size=1, max_size=8))
def test_far_future_is_never_nan_never_a_warning(s: ls.Schedule, ts: list[float]) -> None:
    with no_hang(), known_gaps_rejected():
        values = [s(t) for t in ts]
        array = s(np.array(ts, dtype=np.float64))
    assert not any(math.isnan(v) for v in values)
    for value, from_array in zip(values, array.tolist(), strict=True):
        assert same_value(from_array, value), (s, ts, values, array)


@given(st.floats(5e-324, 0.999), far_times.filter(lambda t: t >= 1e6))
def test_gamma_to_the_t_underflows_to_zero(gamma: float, t: float) -> None:
    # 0.999 ** 1e6 = e ** -1000.5 < 5e-324: every gamma drawn underflows at every t drawn.
    with no_hang(), known_gaps_rejected():
        assert ls.exponential(gamma)(t) == 0.0
        assert ls.exponential(gamma)(np.array([t]))[0] == 0.0
        assert ls.exponential(min(1 / gamma, 1e300))(t) == math.inf
        assert ls.step(1, gamma)(t) == 0.0
        assert ls.step(1, gamma)(np.array([t]))[0] == 0.0
        # 0 (underflow) wins over inf (overflow): a product of both is 0.0, not NaN.
        both = ls.exponential(gamma) * ls.exponential(2.0) * ls.constant(3.0)
        assert both(t) == 0.0
        assert both(np.array([t, t])).tolist() == [0.0, 0.0]


def test_times_beyond_float_range_are_schedule_errors() -> None:
    s = ls.cosine(10)
    for t in (10**400, -(10**400), math.inf, math.nan, -1, -5e-324):
        with pytest.raises(ls.ScheduleError, match="t must be a finite number >= 0"):
            s(t)
    assert s(10**300) == 0.0
    assert s(2**53 + 1) == 0.0


@pytest.mark.parametrize(
    "t",
    [(math.nan, []), [1.0, [2.0, 3.0]], [[1], [2, 3]], ["1"], [None], [1 + 1j]],
    ids=repr,
)
def test_ragged_or_non_numeric_time_arrays_are_type_errors(t: object) -> None:
    with pytest.raises(TypeError, match="t must be a real number or an array of them"):
        ls.cosine(10)(t)  # type: ignore[call-overload]


def test_huge_milestone_lists_build_and_evaluate_by_bisection() -> None:
    rng = np.random.default_rng(0)
    points = rng.uniform(0, 1e6, size=100_000)
    with no_hang():
        s = ls.milestones(points.tolist(), 0.9999)
        assert isinstance(s, ls.Schedule)
        ts = rng.uniform(0, 1.1e6, size=10_000)
        scalar = [s(t) for t in ts.tolist()]
        array = s(ts)
    ordered = sorted(points.tolist())
    for t, value, from_array in list(zip(ts.tolist(), scalar, array.tolist(), strict=True))[:200]:
        expected = 0.9999 ** int(np.count_nonzero(points <= t))
        assert math.isclose(value, expected, rel_tol=1e-12), t
        assert math.isclose(from_array, expected, rel_tol=1e-12), t
        assert bisect.bisect_right(ordered, t) == np.count_nonzero(points <= t)
    assert s(2e6) == 0.9999**100_000
    assert s(0) == 1.0


def test_huge_concat_builds_and_evaluates_by_bisection() -> None:
    n = 100_000
    pieces = [ls.linear(i % 3, (i + 1) % 3, 1.0) for i in range(n)]
    with no_hang():
        s = ls.concat(pieces, range(1, n))
        ts = np.linspace(0, n + 5, 20_000)
        array = s(ts)
        scalar = [s(t) for t in ts.tolist()]
    for t, value, from_array in list(zip(ts.tolist(), scalar, array.tolist(), strict=True)):
        i = min(math.floor(t), n - 1)
        expected = pieces[i](t - i)
        assert math.isclose(value, expected, rel_tol=1e-12, abs_tol=1e-12), t
        assert math.isclose(from_array, expected, rel_tol=1e-12, abs_tol=1e-12), t


TINY = 5e-324
"""The smallest positive float: durations do not get shorter than this."""


@pytest.mark.parametrize("t", [0.0, TINY, 1e-300, 0.5, 1.0, 1e9, 1e15])
def test_durations_near_zero(t: float) -> None:
    past_end = t >= TINY
    cases: list[tuple[ls.Schedule, float]] = [
        (ls.step(TINY, 0.5), 1.0 if t == 0 else 0.0 if t >= 1e-300 else 0.5),
        (ls.step(TINY, 2.0), 1.0 if t == 0 else math.inf if t >= 1e-300 else 2.0),
        (ls.linear(0.1, 1.0, TINY), ls.linear(0.1, 1.0, 1.0)(1.0) if past_end else 0.1),
        (ls.cosine(TINY, end=0.1), 0.1 if past_end else 1.0),
        (ls.cosine(TINY, start=0.3, end=0.7), 0.7 if past_end else 0.3),
        (ls.warmup(ls.constant(0.5), TINY, start=0.2), 0.5 if past_end else 0.2),
        (ls.concat([ls.constant(2.0), ls.exponential(0.5)], [TINY]), 0.5 ** (t - TINY)),
    ]
    if t == 0:
        cases[-1] = (cases[-1][0], 2.0)
    with no_hang():
        for s, expected in cases:
            value = s(t)
            from_array = float(s(np.array([t]))[0])
            assert value == expected, (s, t, value, expected)
            assert from_array == expected, (s, t, from_array, expected)


@pytest.mark.parametrize(
    ("s", "t", "expected"),
    [
        # A span end - start that overflows must not turn into inf * 0 = NaN.
        (ls.linear(-1e308, 1e308, 1), 0.0, -1e308),
        (ls.linear(-1e308, 1e308, 1), 1.0, 1e308),
        (ls.linear(-1e308, 1e308, 1), 1e15, 1e308),
        (ls.cosine(1, start=1e308, end=-1e308), 0.0, 1e308),
        (ls.cosine(1, start=1e308, end=-1e308), 1.0, -1e308),
        # A ramp start far below 0 over a long warmup: the fraction is taken before the span.
        (ls.warmup(ls.constant(1), 1e300, start=-1e308), 0.0, -1e308),
        # A wrapped value that overflowed: the ramp's 0 wins at t = 0, as in a product.
        (ls.warmup(ls.linear(1e200, 0, 1) * ls.linear(1e200, 0, 1), 5), 0.0, 0.0),
        (ls.warmup(ls.linear(1e200, 0, 1) * ls.linear(1e200, 0, 1), 5), 1.0, math.inf),
        (ls.linear(1e200, 0, 1) * ls.linear(1e200, 0, 1), 0.0, math.inf),
        (ls.linear(1e200, 0, 1) * ls.linear(-1e200, 0, 1), 0.0, -math.inf),
    ],
    ids=repr,
)
def test_overflowing_intermediates_are_not_nan(s: ls.Schedule, t: float, expected: float) -> None:
    with no_hang():
        value = s(t)
        from_array = float(s(np.array([t]))[0])
    assert value == expected
    assert from_array == expected


@pytest.mark.parametrize("base", [1e200, 1.5, 0.5, -3.0, 1e-200])
def test_multiplicative_running_product_overflow_is_never_nan_or_a_warning(base: float) -> None:
    def factor(k: int) -> float:
        return base if k % 5 else 0.0 if k == 500 else base

    s = ls.multiplicative(factor)
    with no_hang():
        values = [s(t) for t in (0, 1, 2, 3, 250, 499, 500, 1000)]
        array = s(np.array([0, 1, 2, 3, 250, 499, 500, 1000], dtype=np.float64))
    assert values == array.tolist()
    assert values[:2] == [1.0, base]
    assert not any(math.isnan(v) for v in values)
    assert values[-2:] == [0.0, 0.0]  # a factor of 0 wins over an overflowed product


def test_multiplicative_horizon_is_a_schedule_error() -> None:
    s = ls.multiplicative(float)
    with no_hang():
        assert s(20) == math.factorial(20)
        assert s(200) == math.inf
    with pytest.raises(ls.ScheduleError, match="running product"):
        s(MULTIPLICATIVE_HORIZON + 1)
