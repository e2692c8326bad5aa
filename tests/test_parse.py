"""The safe text form: round trips, Python's meaning, and a corpus of hostile inputs."""

from __future__ import annotations

import pickle
import re
import sys

import pytest
from hypothesis import given
from hypothesis import strategies as st

import lrsched as ls
from lrsched._parse import MAX_DEPTH, MAX_LENGTH, read
from tests.strategies import transparent_schedules


def every_third(k: int) -> float:
    return 0.5 if k % 3 == 0 else 1.0


# Schedule trees with a Python callable somewhere inside.
opaque_schedules = st.builds(
    lambda s, where, at: {
        "product": lambda: s * ls.multiplicative(every_third),
        "concat": lambda: ls.concat([s, ls.multiplicative(every_third)], [at]),
        "warmup": lambda: ls.warmup(ls.multiplicative(every_third) * s, at),
    }[where](),
    transparent_schedules,
    st.sampled_from(["product", "concat", "warmup"]),
    st.integers(1, 50),
).filter(lambda s: s.opaque)  # a product with 0 is constant(0), without its callable


@given(transparent_schedules)
def test_parse_of_repr_round_trips(s: ls.Schedule) -> None:
    text = repr(s)
    parsed = ls.parse(text)
    assert parsed == s
    assert repr(parsed) == text


@given(transparent_schedules)
def test_parse_means_what_python_means(s: ls.Schedule) -> None:
    # Re-spelled with extra spaces, parentheses and a comment: still Python's value.
    text = f"(\n  {s!r}  # a comment\n)"
    assert ls.parse(text) == eval(text, vars(ls))


@given(opaque_schedules)
def test_opaque_reprs_do_not_parse(s: ls.Schedule) -> None:
    assert s.opaque
    with pytest.raises(ls.ParseError, match="unknown name 'every_third'"):
        ls.parse(repr(s))


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("cosine(95)", ls.cosine(95)),
        ("cosine(duration=95, end=0.1)", ls.cosine(95, end=0.1)),
        ("0.1 * warmup(cosine(95), 5)", 0.1 * ls.warmup(ls.cosine(95), 5)),
        ("warmup(cosine(95), 5) * 0.1", 0.1 * ls.warmup(ls.cosine(95), 5)),
        ("2 * 0.5 * step(10, 0.5)", ls.step(10, 0.5)),
        ("-2 * step(10, 0.5)", -2 * ls.step(10, 0.5)),
        ("linear(+1, -(-2), 3)", ls.linear(1, 2, 3)),
        ("cosine(2 * 5)", ls.cosine(10)),
        ("milestones((60, 30,), 0.1)", ls.milestones([30, 60], 0.1)),
        ("clamp(exponential(0.5), None, 0.25)", ls.clamp(ls.exponential(0.5), high=0.25)),
        ("concat([linear(0, 1, 5),\n        cosine(95)],\n       [5])", None),
        ("  \n\tcosine(1_000)\n", ls.cosine(1000)),
        ("cosine(0x10)", ls.cosine(16)),
        ("\uff43\uff4f\uff53\uff49\uff4e\uff45(95)", ls.cosine(95)),  # NFKC, as in Python
    ],
)
def test_accepted_texts(text: str, expected: ls.Schedule | None) -> None:
    parsed = ls.parse(text)
    assert parsed == (eval(text, vars(ls)) if expected is None else expected)


# Each hostile or malformed text, the message it gets, and the column of the caret.
HOSTILE = [
    ("__import__('os')", r"unknown function '__import__' \(only lrsched constructors", 1),
    ("__import__('os').system('ls')", "attribute access is not allowed", 1),
    ("().__class__", "attribute access is not allowed", 1),
    ("cosine.__globals__", "attribute access is not allowed", 1),
    ("cosine(95).__class__.__mro__", "attribute access is not allowed", 1),
    ("ls.cosine(95)", r"write cosine\(\.\.\.\) without the 'ls\.' prefix", 1),
    ("lambda: 0", "lambda is not allowed", 1),
    ("eval('1')", "unknown function 'eval'", 1),
    ("exec('import os')", "unknown function 'exec'", 1),
    ("open('/etc/passwd')", "unknown function 'open'", 1),
    ("cosine(95)[0]", "indexing is not allowed", 1),
    ("cosine(95)(3)", "only lrsched constructors can be called", 1),
    ('"a" * 10**6', r"\* multiplies numbers and schedules \(got a str\)", 1),
    ("[0] * 10**6", r"\* multiplies numbers and schedules \(got a list\)", 1),
    ("9**9**9", r"number is out of range", 1),
    ("cosine(95) ** cosine(2)", r"the exponent of \*\* must be a number", 15),
    ("cosine(95) @ 2", r"operator '@' is not allowed", 1),
    ("cosine(95) / 0", r"cosine\(95\) / 0: denominator may be 0|denominator may be 0", 1),
    ("~1", r"operator '~' is not allowed", 1),
    ("not cosine(1)", r"operator 'not' is not allowed", 1),
    ("-'a'", r"unary - applies to numbers and schedules \(got a str\)", 1),
    ("1e999 * cosine(1)", r"number is out of range \(overflows to inf\)", 1),
    ("cosine(1e308 * 10)", "number is out of range", 8),
    ("cosine(" + "9" * 101 + ")", "number literal is too long: 101 characters", 8),
    ("cosine('" + "x" * 120 + "')", "string literal is too long", 8),
    ("f'{cosine}'", "an f-string is not allowed", 1),
    ("(x := cosine(1))", r"an assignment expression \(:=\) is not allowed", 2),
    ("cosine(*[95])", r"unpacking with \* is not allowed", 8),
    ("cosine(**{'duration': 95})", r"unpacking with \*\* is not allowed", 8),
    ("{'type': 'cosine'}", r"a dict \(the dict form is read by from_dict\) is not allowed", 1),
    ("{cosine(1)}", "a set is not allowed", 1),
    ("[c for c in ()]", "a comprehension is not allowed", 1),
    ("cosine(1) if 1 else cosine(2)", "a conditional expression is not allowed", 1),
    ("cosine(1) < cosine(2)", "a comparison is not allowed", 1),
    ("cosine(1) or cosine(2)", "'and' / 'or' is not allowed", 1),
    ("cosine(1j)", "complex number is not allowed", 8),
    ("cosine(b'1')", "bytes literal is not allowed", 8),
    ("cosine(...)", "Ellipsis is not allowed", 8),
    ("cosin(95)", "unknown function 'cosin'; did you mean 'cosine'?", 1),
    ("warmup(cosine(95), dration=5)", "warmup\\(\\) has no keyword argument 'dration'; did", 20),
    ("cosine(95, end=1, end=2)", "keyword argument 'end' is repeated", 19),
    ("cosine(x)", "unknown name 'x'", 8),
    ("cosine(inf)", "'inf' is not allowed: schedule parameters are finite numbers", 8),
    ("warmup(cosine, 5)", r"'cosine' is a constructor: call it, e.g. cosine\(\.\.\.\)", 8),
    ("cosine()", r"cosine\(\) missing 1 required positional argument: 'duration'", 1),
    ("cosine(-1)", r"cosine\(\): duration must be > 0 \(got -1\)", 1),
    ("warmup(cosine(95), -5)", r"warmup\(\): duration must be >= 0 \(got -5\)", 1),
    ("0.1 * warmup(2, 5)", r"warmup\(\): s must be a Schedule \(got int: 2\)", 7),
    ("cosine('95')", "duration must be a real number", 1),
    ("cosine(95, 1, 0, 4)", "takes from 1 to 3 positional arguments but 4 were given", 1),
    ("0.1", r"expected a schedule, got the number 0.1; write constant\(0.1\)", 1),
    ("[cosine(1)]", "expected a schedule, got a list", 1),
    ("cosine(1), cosine(2)", "expected a schedule, got a tuple", 1),
    ("'cosine(1)'", "expected a schedule, got a str", 1),
    ("", "invalid syntax", 1),
    ("cosine(95", r"'\(' was never closed", 7),
    ("cosine(95))", "unmatched '\\)'", 11),
    ("0.1 *", "invalid syntax", 1),
    ("import os", "invalid syntax", 1),
    ("cosine(1); cosine(2)", "invalid syntax", 10),
    ("cosine(\x00)", "text contains a null character", 8),
    ("cosine(\ud800)", "text contains a lone surrogate character", 8),
    ("(" * 10_000, "expression is too deeply nested", MAX_DEPTH + 1),
    ("cosine(" * 100 + ")" * 100, "expression is too deeply nested", 7 * (MAX_DEPTH + 1)),
    ("-" * 200 + "1", "expression is too deeply nested", MAX_DEPTH + 1),
    ("1*" * 4000 + "cosine(1)", "too long a chain or too deeply nested", 1),
    ("x" * (MAX_LENGTH + 1), "text is too long: 10001 characters", MAX_LENGTH + 1),
]


@pytest.mark.parametrize(("text", "message", "column"), HOSTILE)
def test_hostile_and_malformed_texts_are_refused_with_their_position(
    text: str, message: str, column: int
) -> None:
    with pytest.raises(ls.ParseError, match=message) as info:
        ls.parse(text)
    error = info.value
    assert error.colno == column, str(error)
    assert error.text == text
    assert isinstance(error, ls.ScheduleError)
    # The message ends with the line of the text and a caret under the problem.
    *_, shown, caret = str(error).split("\n")
    assert caret.lstrip().startswith("^")
    assert len(caret) - len(caret.lstrip()) == len(shown) - len(shown.lstrip()) + column - 1 or (
        "..." in shown
    )


def test_error_positions_count_characters_not_bytes() -> None:
    with pytest.raises(ls.ParseError) as info:
        ls.parse("warmup(cosine(95), 5) * 'é' * inconnu(1)")
    assert info.value.msg.startswith("* multiplies numbers and schedules (got a str)")
    assert info.value.colno == 25
    with pytest.raises(ls.ParseError) as info:
        ls.parse("[cosine('é'), inconnu(1)]")
    assert info.value.msg == "unknown function 'inconnu' (only lrsched constructors can be called)"
    assert info.value.colno == 15


def test_multi_line_errors_name_the_line_and_show_it() -> None:
    text = "concat(\n  [cosine(10), cosine(-1)],\n  [10])"
    with pytest.raises(ls.ParseError) as info:
        ls.parse(text)
    error = info.value
    assert (error.lineno, error.colno) == (2, 16)
    assert str(error) == (
        "cosine(): duration must be > 0 (got -1) (line 2, column 16)\n"
        "    [cosine(10), cosine(-1)],\n"
        "                 ^~~~~~~~~~"
    )


def test_long_lines_are_shown_around_the_problem() -> None:
    text = "0.1 * " * 30 + "cosin(95)"
    with pytest.raises(ls.ParseError) as info:
        ls.parse(text)
    lines = str(info.value).split("\n")
    assert lines[0] == "unknown function 'cosin'; did you mean 'cosine'? (column 181)"
    assert lines[1].startswith("  ...")
    assert lines[1].endswith("cosin(95)")
    assert lines[2].index("^") == lines[1].index("cosin(95)")


def test_constructor_errors_keep_the_original_as_cause() -> None:
    with pytest.raises(ls.ParseError) as info:
        ls.parse("step(10, -0.5)")
    assert isinstance(info.value.__cause__, ls.ScheduleError)
    assert str(info.value.__cause__) == "gamma must be > 0 (got -0.5)"


def test_parse_error_pickles() -> None:
    with pytest.raises(ls.ParseError) as info:
        ls.parse("cosine(x)")
    clone = pickle.loads(pickle.dumps(info.value))
    assert type(clone) is ls.ParseError
    assert str(clone) == str(info.value)
    assert (clone.pos, clone.end, clone.text) == (7, 8, "cosine(x)")


@pytest.mark.parametrize("bad", [None, 95, b"cosine(95)", ["cosine(95)"]])
def test_parse_of_a_non_string_is_a_type_error(bad: object) -> None:
    with pytest.raises(TypeError, match="text must be a str"):
        ls.parse(bad)  # type: ignore[arg-type]


def outcome(text: str) -> ls.Schedule | ls.ParseError:
    """What parse gives: a schedule or a ParseError (any other exception fails the test)."""
    try:
        return ls.parse(text)
    except ls.ParseError as error:
        return error


@given(st.text(max_size=200))
def test_parse_of_any_text_returns_a_schedule_or_raises_schedule_error(text: str) -> None:
    result = outcome(text)
    if isinstance(result, ls.ParseError):
        assert 0 <= result.pos <= len(text)
        assert isinstance(result, ls.ScheduleError)
    else:
        assert isinstance(result, ls.Schedule)


_ALPHABET = [
    *"0123456789.,*-+()[]=_ ex'\"\n",
    "cosine",
    "warmup",
    "concat",
    "step",
    "milestones",
    "clamp",
    "low=",
    "None",
    "True",
    "1e308",
    "**",
    "lambda",
    ".__class__",
]


@given(st.lists(st.sampled_from(_ALPHABET), max_size=40).map("".join))
def test_parse_of_near_miss_texts_returns_a_schedule_or_raises_schedule_error(text: str) -> None:
    result = outcome(text)
    if isinstance(result, ls.ParseError):
        assert re.search(r"\((line \d+, )?column \d+\)\n", str(result))
    else:
        assert isinstance(result, ls.Schedule)
        assert result == eval(text, vars(ls))


def test_read_keeps_calls_unbuilt_and_folds_numbers() -> None:
    value = read("0.5 * 2 * warmup(cosine(95, end=-0.1), 5)")
    assert repr(value).startswith("Mul(operands=(0.5, 2, Call(name='warmup'")
    assert read("cosine(2 * -3)") == read("cosine(-6)")


def test_the_chain_limit_does_not_depend_on_the_recursion_limit() -> None:
    # torch's inductor raises the process's recursion limit; Python's parser recurses once per
    # operator of a chain, so the parser keeps a limit of its own.
    before = sys.getrecursionlimit()
    sys.setrecursionlimit(100_000)
    try:
        with pytest.raises(ls.ParseError, match="more than 2000 operators"):
            ls.parse("1*" * 2001 + "cosine(1)")
        assert ls.parse("1*" * 2000 + "cosine(1)") == ls.cosine(1)
    finally:
        sys.setrecursionlimit(before)
