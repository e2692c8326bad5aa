"""The safe text form: `parse` reads the expressions that ``repr`` prints.

The text form is a small subset of Python expressions, read with `ast` and *walked*, never
evaluated: a text is first checked token by token (length, bracket depth, literal sizes), then
parsed by `ast.parse`, then every node of the tree must be one of an allowlist (calls of
registered constructors, numbers, strings, ``True``/``False``/``None``, lists, tuples, keyword
arguments, unary ``-``/``+`` and the operators ``+ - * / **``). Anything else is refused with its
position in the text.

Grammar (``NAME`` is a key of `lrsched._registry.CONSTRUCTORS`)::

    expr     := term (("+" | "-") term)*
    term     := factor (("*" | "/") factor)*
    factor   := ("-" | "+") factor | power
    power    := atom ["**" factor]
    atom     := NUMBER | STRING | "True" | "False" | "None"
              | NAME "(" [args] ")" | "[" [items] "]" | "(" expr ")" | "(" [items] ")"
    args     := arg ("," arg)* [","]      positional arguments before keyword arguments
    arg      := expr | IDENTIFIER "=" expr
    items    := expr ("," expr)* [","]

Meaning: exactly Python's. For every text that `parse` accepts,
``parse(text) == eval(text, vars(lrsched))``. The operators take numbers and schedules (an
operation on numbers is a number; the exponent of ``**`` is a number), numbers must be finite.

The front end (`read`) turns a text into a small tree of `Call`, `Mul` and
`Arith` nodes over plain values; `build` calls the constructors.
`lrsched._serialize` reuses the front end to turn ``repr(s)`` into a dict, so the two
forms share one vocabulary.
"""

from __future__ import annotations

import ast
import difflib
import inspect
import io
import math
import numbers
import tokenize
from typing import TypeAlias

import attrs

from lrsched._core import Schedule
from lrsched._errors import ScheduleError
from lrsched._registry import CONSTRUCTORS
from lrsched._spelling import signature

__all__ = [
    "MAX_DEPTH",
    "MAX_LENGTH",
    "MAX_LITERAL",
    "Arith",
    "Call",
    "Mul",
    "ParseError",
    "build",
    "parse",
    "read",
]

MAX_LENGTH = 10_000
"""Longest text `parse` reads, in characters."""

MAX_DEPTH = 64
"""Deepest nesting of brackets, calls, lists and signs `parse` reads."""

MAX_OPERATORS = 2000
"""The most arithmetic operators a text may hold (a chain of them nests in Python's parser)."""
_OPERATOR_TOKENS = frozenset({"+", "-", "*", "/", "**"})

MAX_LITERAL = 100
"""Longest numeric or string literal, in characters."""

_LARGEST_INT_BITS = 1000  # larger integers could not become a float

Value: TypeAlias = (
    "int | float | str | bool | list[Value] | tuple[Value, ...] | Call | Mul | Arith | None"
)
"""What `read` produces: plain values, and calls and products still to be built."""


class ParseError(ScheduleError):
    """A text that `lrsched.parse` cannot read, with the position of the problem.

    ``str(error)`` is the message, the line of the text and a caret under the problem::

        unknown function 'cosin'; did you mean 'cosine'? (column 7)
          0.1 * cosin(95)
                ^~~~~

    Attributes:
        msg: The message alone, without position.
        text: The text that was parsed.
        pos: Offset of the problem in ``text`` (0-based, in characters).
        end: Offset just after the problem (``end > pos`` unless the text ended early).
        lineno: Line of ``pos``, from 1.
        colno: Column of ``pos``, from 1.

    """

    def __init__(self, msg: str, text: str, pos: int, end: int | None = None) -> None:
        pos = max(0, min(pos, len(text)))
        end = pos + 1 if end is None else max(pos, min(end, len(text)))
        self.msg = msg
        self.text = text
        self.pos = pos
        self.end = end
        self.lineno = text.count("\n", 0, pos) + 1
        self.colno = pos - (text.rfind("\n", 0, pos) + 1) + 1
        super().__init__(self._format())

    def __reduce__(self) -> tuple[type[ParseError], tuple[str, str, int, int]]:
        return (type(self), (self.msg, self.text, self.pos, self.end))

    def _format(self) -> str:
        where = f"column {self.colno}"
        if "\n" in self.text:
            where = f"line {self.lineno}, {where}"
        line_start = self.pos - (self.colno - 1)
        line_end = self.text.find("\n", self.pos)
        line = self.text[line_start : len(self.text) if line_end < 0 else line_end]
        col = self.colno - 1
        width = max(1, min(self.end, line_start + len(line)) - self.pos)
        # Show at most about 70 characters of a long line, starting a little before the problem.
        left = max(0, col - 30)
        right = min(len(line), left + 70)
        shown = "".join(_printable(c) for c in line[left:right])
        shown = ("..." if left else "") + shown + ("..." if right < len(line) else "")
        indent = col - left + (3 if left else 0)
        caret = " " * indent + "^" + "~" * (max(1, min(width, right - col)) - 1)
        return f"{self.msg} ({where})\n  {shown}\n  {caret}"


def _printable(char: str) -> str:
    """One printable character for ``char``, so that the caret stays aligned."""
    if char.isprintable():
        return char
    return " " if char.isspace() else "?"


@attrs.frozen
class Call:
    """A call of a registered constructor, read but not yet built.

    ``start`` and ``end`` locate it in the text (character offsets); errors raised while
    building it point there.
    """

    name: str
    args: tuple[Value, ...]
    kwargs: tuple[tuple[str, Value], ...]
    start: int = attrs.field(eq=False)
    end: int = attrs.field(eq=False)


@attrs.frozen
class Mul:
    """A chain ``a * b * ...`` with at least one schedule among its operands."""

    operands: tuple[Value, ...]
    start: int = attrs.field(eq=False)
    end: int = attrs.field(eq=False)


@attrs.frozen
class Arith:
    """``a + b``, ``a - b``, ``a / b``, ``a ** b`` or ``-a`` with a schedule among its operands.

    ``op`` is the operator (``"neg"`` for ``-a``); `build` applies Python's own operator,
    so the text means what it means in Python.
    """

    op: str
    operands: tuple[Value, ...]
    start: int = attrs.field(eq=False)
    end: int = attrs.field(eq=False)


_ARITH = {ast.Add: "+", ast.Sub: "-", ast.Div: "/", ast.Pow: "**"}
_APPLY = {
    "+": lambda a, b: a + b,
    "-": lambda a, b: a - b,
    "/": lambda a, b: a / b,
    "**": lambda a, b: a**b,
}
_MAX_POWER_BITS = 4096  # an integer power of integers is computed only if this small


def parse(text: str) -> Schedule:
    """Read a schedule from its text form, the expression that ``repr`` prints.

    Safe on untrusted text: nothing is evaluated. Only the library's constructors, finite
    numbers, short strings, ``True``/``False``/``None``, lists, tuples, keyword arguments, unary
    ``-``/``+`` and ``+ - * / **`` are accepted, and whatever is accepted means what it means in
    Python:
    ``parse(text) == eval(text, vars(lrsched))``. For every schedule that does not wrap a Python
    callable, ``parse(repr(s)) == s``.

    Args:
        text: The expression, at most 10,000 characters, 64 levels of nesting and 2000
            operators. It may span
            several lines inside brackets, and may carry ``#`` comments.

    Returns:
        The schedule.

    Raises:
        ParseError: (a `lrsched.ScheduleError`) for any text that is not a valid
            schedule expression, including one whose constructor rejects its arguments. Its
            message shows the position with a caret. No other exception escapes for a ``str``.
        TypeError: If ``text`` is not a ``str``.

    Examples:
        >>> import lrsched as ls
        >>> s = ls.parse("0.1 * warmup(cosine(95), 5)")
        >>> s == 0.1 * ls.warmup(ls.cosine(95), 5)
        True
        >>> ls.parse(repr(s)) == s
        True
        >>> ls.parse("cosine(95).__class__")
        Traceback (most recent call last):
        lrsched._parse.ParseError: attribute access is not allowed (column 1)
          cosine(95).__class__
          ^~~~~~~~~~~~~~~~~~~~

    """
    value = read(text)
    if not isinstance(value, Call | Mul | Arith):
        if _is_number(value):
            msg = f"expected a schedule, got the number {value!r}"
            msg += f"; write constant({value!r}) for a constant schedule"
        else:
            msg = f"expected a schedule, got a {_kind(value)}"
        raise ParseError(msg, text, 0, len(text))
    try:
        result = build(value, text)
    except RecursionError:
        msg = "expression is too deeply nested"
        raise ParseError(msg, text, 0, len(text)) from None
    if not isinstance(result, Schedule):  # pragma: no cover - constructors return schedules
        msg = f"expected a schedule, got {type(result).__name__}"
        raise ParseError(msg, text, 0, len(text))
    return result


def read(text: str) -> Value:
    """Check ``text`` and turn it into plain values, `Call` and `Mul` nodes.

    Nothing is built: constructors are looked up (an unknown name is an error) but not called.
    Numbers are computed (``-2``, ``2 * 0.5``), with Python's meaning.

    Raises:
        ParseError: For a text outside the grammar, or over the limits.
        TypeError: If ``text`` is not a ``str``.

    """
    if not isinstance(text, str):
        msg = f"text must be a str (got {type(text).__name__}: {text!r:.80})"
        raise TypeError(msg)
    if len(text) > MAX_LENGTH:
        msg = f"text is too long: {len(text)} characters (at most {MAX_LENGTH})"
        raise ParseError(msg, text, MAX_LENGTH, len(text))
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    return _Reader(text).read()


def build(value: Value, text: str = "") -> object:  # noqa: PLR0911 (one return per kind of value)
    """Call the constructors of a tree made by `read`; errors point into ``text``."""
    if isinstance(value, Call):
        args = [build(a, text) for a in value.args]
        kwargs = {name: build(v, text) for name, v in value.kwargs}
        return _call(value, args, kwargs, text)
    if isinstance(value, Arith):
        operands = [build(v, text) for v in value.operands]
        try:
            if value.op == "neg":
                return -operands[0]  # type: ignore[operator]  # a schedule, checked by read
            return _APPLY[value.op](*operands)
        except Exception as error:  # any failure: reported where it happened
            raise ParseError(_describe_error(error), text, value.start, value.end) from error
    if isinstance(value, Mul):
        operands = [build(v, text) for v in value.operands]
        result = operands[0]
        try:
            for operand in operands[1:]:
                result = result * operand  # type: ignore[operator]  # numbers and schedules
        except Exception as error:  # any failure: reported where it happened
            raise ParseError(_describe_error(error), text, value.start, value.end) from error
        return result
    if isinstance(value, list):
        return [build(v, text) for v in value]
    if isinstance(value, tuple):
        return tuple(build(v, text) for v in value)
    return value


def _call(where: Call, args: list[object], kwargs: dict[str, object], text: str) -> object:
    name = where.name
    try:
        return CONSTRUCTORS[name](*args, **kwargs)
    except Exception as error:  # parse raises ParseError and nothing else
        msg = _describe_error(error)
        if not msg.startswith(f"{name}()"):
            msg = f"{name}(): {msg}"
        raise ParseError(msg, text, where.start, where.end) from error


def _describe_error(error: Exception) -> str:
    message = str(error).split("\n", 1)[0]
    if isinstance(error, ScheduleError | TypeError):
        return message
    return f"{type(error).__name__}: {message}"


def suggest(name: str, choices: object) -> str:
    """``"; did you mean 'x'?"`` for the closest of ``choices``, or ``""``."""
    close = difflib.get_close_matches(name, list(choices), n=1)  # type: ignore[call-overload]
    return f"; did you mean {close[0]!r}?" if close else ""


def _is_number(value: object) -> bool:
    return isinstance(value, numbers.Real) and not isinstance(value, bool)


def _kind(value: object) -> str:
    if isinstance(value, Call | Mul | Arith):
        return "schedule"
    if value is None:
        return "None"
    return type(value).__name__


_NODE_NAMES: dict[type[ast.AST], str] = {
    ast.Attribute: "attribute access",
    ast.Subscript: "indexing",
    ast.Slice: "slicing",
    ast.Lambda: "lambda",
    ast.JoinedStr: "an f-string",
    ast.FormattedValue: "an f-string",
    ast.NamedExpr: "an assignment expression (:=)",
    ast.Starred: "unpacking with *",
    ast.Dict: "a dict (the dict form is read by from_dict)",
    ast.Set: "a set",
    ast.ListComp: "a comprehension",
    ast.SetComp: "a comprehension",
    ast.DictComp: "a comprehension",
    ast.GeneratorExp: "a generator expression",
    ast.IfExp: "a conditional expression",
    ast.BoolOp: "'and' / 'or'",
    ast.Compare: "a comparison",
    ast.Await: "await",
    ast.Yield: "yield",
    ast.YieldFrom: "yield",
}

_OPERATORS: dict[type[ast.AST], str] = {
    ast.Add: "+",
    ast.Sub: "-",
    ast.Div: "/",
    ast.FloorDiv: "//",
    ast.Mod: "%",
    ast.Pow: "**",
    ast.MatMult: "@",
    ast.LShift: "<<",
    ast.RShift: ">>",
    ast.BitOr: "|",
    ast.BitAnd: "&",
    ast.BitXor: "^",
    ast.Not: "not",
    ast.Invert: "~",
}

_WHITESPACE = " \t\n\f\v"


class _Reader:
    """Walks the ast of one text, turning allowed nodes into `Value` s."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.lead = len(text) - len(text.lstrip(_WHITESPACE))
        self.body = text[self.lead :]
        starts = [0]
        for line in self.body.split("\n")[:-1]:
            starts.append(starts[-1] + len(line) + 1)
        self.line_starts = starts

    def fail(self, msg: str, start: int, end: int | None = None) -> ParseError:
        return ParseError(msg, self.text, start, end)

    def offset(self, lineno: int, col: int, *, utf8: bool) -> int:
        """Offset in the text of an ast / tokenize position in the body."""
        index = max(0, min(lineno - 1, len(self.line_starts) - 1))
        start = self.line_starts[index]
        if utf8:  # ast columns count UTF-8 bytes
            line_end = self.body.find("\n", start)
            line = self.body[start : len(self.body) if line_end < 0 else line_end]
            col = len(line.encode("utf-8", "surrogatepass")[:col].decode("utf-8", "replace"))
        return self.lead + start + col

    def span(self, node: ast.AST) -> tuple[int, int]:
        start = self.offset(node.lineno, node.col_offset, utf8=True)  # type: ignore[attr-defined]
        end_lineno = getattr(node, "end_lineno", None) or node.lineno  # type: ignore[attr-defined]
        end_col = getattr(node, "end_col_offset", None)
        end = start + 1 if end_col is None else self.offset(end_lineno, end_col, utf8=True)
        return start, end

    def read(self) -> Value:
        self.check_tokens()
        try:
            tree = ast.parse(self.body, mode="eval")
        except SyntaxError as error:
            raise self.syntax_error(error) from None
        except (RecursionError, MemoryError):
            msg = "expression is too long a chain or too deeply nested for Python's parser"
            raise self.fail(msg, 0, len(self.text)) from None
        except ValueError as error:  # pragma: no cover - null bytes and surrogates checked before
            raise self.fail(f"unreadable text: {error}", 0, len(self.text)) from None
        try:
            return self.node(tree.body, 1)
        except RecursionError:
            msg = f"expression is too deeply nested (at most {MAX_DEPTH} levels)"
            raise self.fail(msg, 0, len(self.text)) from None

    def check_tokens(self) -> None:  # noqa: C901 (one check per limit)
        """Limits that must hold before `ast.parse` sees the text (it may recurse)."""
        if "\0" in self.text:
            msg = "text contains a null character"
            raise self.fail(msg, self.text.index("\0"))
        try:
            self.text.encode("utf-8")
        except UnicodeEncodeError as error:
            msg = "text contains a lone surrogate character"
            raise self.fail(msg, error.start) from None
        depth = operators = 0
        try:
            for token in tokenize.generate_tokens(io.StringIO(self.body).readline):
                kind, string = token.type, token.string
                if kind == tokenize.OP and string in _OPERATOR_TOKENS:
                    # ast.parse recurses once per operator of a chain: its limit is the
                    # process's recursion limit (libraries raise it), so keep a fixed one.
                    operators += 1
                    if operators > MAX_OPERATORS:
                        msg = (
                            "expression is too long a chain or too deeply nested for Python's "
                            f"parser (more than {MAX_OPERATORS} operators)"
                        )
                        raise self.fail(msg, 0, len(self.text))
                elif kind == tokenize.OP and string in {"(", "[", "{"}:
                    depth += 1
                    if depth > MAX_DEPTH:
                        start = self.offset(*token.start, utf8=False)
                        msg = f"expression is too deeply nested (at most {MAX_DEPTH} levels)"
                        raise self.fail(msg, start)
                elif kind == tokenize.OP and string in {")", "]", "}"}:
                    depth -= 1
                elif kind in {tokenize.NUMBER, tokenize.STRING} and len(string) > MAX_LITERAL:
                    start = self.offset(*token.start, utf8=False)
                    what = "number" if kind == tokenize.NUMBER else "string"
                    msg = f"{what} literal is too long: {len(string)} characters"
                    msg += f" (at most {MAX_LITERAL})"
                    raise self.fail(msg, start, start + len(string))
        except (tokenize.TokenError, SyntaxError):
            return  # ast.parse reports it, with a better message

    def syntax_error(self, error: SyntaxError) -> ParseError:
        message = error.msg or "invalid syntax"
        lineno = error.lineno or 1
        if lineno > len(self.line_starts):
            return self.fail(message, len(self.text))
        start = self.offset(lineno, max(0, (error.offset or 1) - 1), utf8=False)
        end = None
        if error.end_offset and (error.end_lineno or lineno) == lineno:
            end = self.offset(lineno, max(0, error.end_offset - 1), utf8=False)
        return self.fail(message, start, end)

    def node(self, node: ast.expr, depth: int) -> Value:  # noqa: C901, PLR0911, PLR0912 (a branch per kind of node)
        if depth > MAX_DEPTH:
            msg = f"expression is too deeply nested (at most {MAX_DEPTH} levels)"
            raise self.fail(msg, *self.span(node))
        if isinstance(node, ast.Constant):
            return self.constant(node)
        if isinstance(node, ast.Call):
            return self.call(node, depth)
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Mult):
            return self.product(node, depth)
        if isinstance(node, ast.BinOp) and type(node.op) in _ARITH:
            return self.arith(node, depth)
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub | ast.UAdd):
            operand = self.node(node.operand, depth + 1)
            if isinstance(operand, Call | Mul | Arith):
                if isinstance(node.op, ast.UAdd):
                    return operand
                return Arith("neg", (operand,), *self.span(node))
            if not _is_number(operand):
                sign = "-" if isinstance(node.op, ast.USub) else "+"
                msg = f"unary {sign} applies to numbers and schedules (got a {_kind(operand)})"
                raise self.fail(msg, *self.span(node))
            return -operand if isinstance(node.op, ast.USub) else +operand  # type: ignore[operator]
        if isinstance(node, ast.List):
            return [self.node(item, depth + 1) for item in node.elts]
        if isinstance(node, ast.Tuple):
            return tuple(self.node(item, depth + 1) for item in node.elts)
        if isinstance(node, ast.Name):
            raise self.name_error(node)
        if isinstance(node, ast.BinOp | ast.UnaryOp):
            symbol = _OPERATORS.get(type(node.op), type(node.op).__name__)
            msg = f"operator {symbol!r} is not allowed (only +, -, *, /, ** and unary - and + are)"
            raise self.fail(msg, *self.span(node))
        if isinstance(node, ast.Attribute):
            raise self.attribute_error(node)
        what = _NODE_NAMES.get(type(node), f"{type(node).__name__} expression")
        raise self.fail(f"{what} is not allowed", *self.span(node))

    def constant(self, node: ast.Constant) -> Value:
        value = node.value
        if value is None or isinstance(value, bool):
            return value
        if isinstance(value, int):
            return value
        if isinstance(value, float):
            if not math.isfinite(value):
                msg = "number is out of range (overflows to inf)"
                raise self.fail(msg, *self.span(node))
            return value
        if isinstance(value, str):
            if len(value) > MAX_LITERAL:  # implicit concatenation of short literals
                msg = f"string is too long: {len(value)} characters (at most {MAX_LITERAL})"
                raise self.fail(msg, *self.span(node))
            return value
        what = {complex: "complex number", bytes: "bytes literal"}.get(type(value), repr(value))
        raise self.fail(f"{what} is not allowed", *self.span(node))

    def name_error(self, node: ast.Name) -> ParseError:
        name = node.id
        if name in CONSTRUCTORS:
            msg = f"{name!r} is a constructor: call it, e.g. {name}(...)"
        elif name in {"inf", "nan", "infinity"}:
            msg = f"{name!r} is not allowed: schedule parameters are finite numbers"
        else:
            msg = f"unknown name {name!r}" + suggest(name, CONSTRUCTORS)
        return self.fail(msg, *self.span(node))

    def attribute_error(self, node: ast.Attribute) -> ParseError:
        msg = "attribute access is not allowed"
        base = node.value
        if isinstance(base, ast.Name) and node.attr in CONSTRUCTORS:
            msg += f"; write {node.attr}(...) without the {base.id + '.'!r} prefix"
        return self.fail(msg, *self.span(node))

    def call(self, node: ast.Call, depth: int) -> Call:
        start, end = self.span(node)
        func = node.func
        if isinstance(func, ast.Attribute):
            raise self.attribute_error(func)
        if not isinstance(func, ast.Name):
            msg = "only lrsched constructors can be called"
            raise self.fail(msg, *self.span(func))
        name = func.id
        if name not in CONSTRUCTORS:
            msg = f"unknown function {name!r}" + (
                suggest(name, CONSTRUCTORS) or " (only lrsched constructors can be called)"
            )
            raise self.fail(msg, *self.span(func))
        args: list[Value] = []
        for arg in node.args:
            if isinstance(arg, ast.Starred):
                msg = "unpacking with * is not allowed"
                raise self.fail(msg, *self.span(arg))
            args.append(self.node(arg, depth + 1))
        parameters = signature(name).parameters
        takes_any = any(p.kind is inspect.Parameter.VAR_KEYWORD for p in parameters.values())
        kwargs: dict[str, Value] = {}
        for keyword in node.keywords:
            if keyword.arg is None:
                msg = "unpacking with ** is not allowed"
                raise self.fail(msg, *self.span(keyword))
            key = keyword.arg
            if key in kwargs:
                msg = f"keyword argument {key!r} is repeated"
                raise self.fail(msg, *self.span(keyword))
            param = parameters.get(key)
            positional_only = param is not None and param.kind in {
                inspect.Parameter.POSITIONAL_ONLY,
                inspect.Parameter.VAR_POSITIONAL,
            }
            if (param is None and not takes_any) or positional_only:
                keywords = [
                    p.name
                    for p in parameters.values()
                    if p.kind in {p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY}
                ]
                msg = f"{name}() has no keyword argument {key!r}" + suggest(key, keywords)
                raise self.fail(msg, *self.span(keyword))
            kwargs[key] = self.node(keyword.value, depth + 1)
        return Call(name, tuple(args), tuple(kwargs.items()), start, end)

    def arith(self, node: ast.BinOp, depth: int) -> Value:
        """``a + b``, ``a - b``, ``a / b``, ``a ** b``: numbers computed, schedules kept."""
        op = _ARITH[type(node.op)]
        left = self.node(node.left, depth + 1)
        right = self.node(node.right, depth + 1)
        for side, value in ((node.left, left), (node.right, right)):
            if not (_is_number(value) or isinstance(value, Call | Mul | Arith)):
                msg = f"{op} takes numbers and schedules (got a {_kind(value)})"
                raise self.fail(msg, *self.span(side))
        start, end = self.span(node)
        if isinstance(left, Call | Mul | Arith) or isinstance(right, Call | Mul | Arith):
            if op == "**" and not _is_number(right):
                msg = "the exponent of ** must be a number"
                raise self.fail(msg, *self.span(node.right))
            return Arith(op, (left, right), start, end)
        return self.number(op, left, right, start, end)

    def number(self, op: str, left: Value, right: Value, start: int, end: int) -> Value:
        """``left op right`` for two numbers, as Python computes it, within float range."""
        out_of_range = self.fail("number is out of range", start, end)
        if (
            op == "**"
            and isinstance(left, int)
            and isinstance(right, int)
            and abs(left) > 1
            and right * abs(left).bit_length() > _MAX_POWER_BITS
        ):
            raise out_of_range
        try:
            result = _APPLY[op](left, right)
        except ZeroDivisionError:
            msg = "division by zero"
            raise self.fail(msg, start, end) from None
        except OverflowError:
            raise out_of_range from None
        if isinstance(result, complex):
            msg = "the result is not a real number"
            raise self.fail(msg, start, end)
        too_big = isinstance(result, int) and result.bit_length() > _LARGEST_INT_BITS
        if too_big or (isinstance(result, float) and not math.isfinite(result)):
            raise out_of_range
        return result  # type: ignore[no-any-return]

    def product(self, node: ast.BinOp, depth: int) -> Value:
        start, end = self.span(node)
        chain: list[ast.expr] = []
        left: ast.expr = node
        while isinstance(left, ast.BinOp) and isinstance(left.op, ast.Mult):
            chain.append(left.right)
            left = left.left
        chain.append(left)
        chain.reverse()
        operands: list[Value] = []
        for operand_node in chain:
            operand = self.node(operand_node, depth + 1)
            if not (_is_number(operand) or isinstance(operand, Call | Mul | Arith)):
                msg = f"* multiplies numbers and schedules (got a {_kind(operand)})"
                raise self.fail(msg, *self.span(operand_node))
            operands.append(operand)
        if any(isinstance(v, Call | Mul | Arith) for v in operands):
            return Mul(tuple(operands), start, end)
        out_of_range = self.fail("number is out of range", start, end)
        result = operands[0]
        for number in operands[1:]:
            try:
                result = result * number  # type: ignore[operator]  # numbers, checked above
            except OverflowError:
                raise out_of_range from None
            if isinstance(result, int) and result.bit_length() > _LARGEST_INT_BITS:
                raise out_of_range
        if isinstance(result, float) and not math.isfinite(result):
            raise out_of_range
        return result
