"""The `lrsched` command: look at a schedule before spending GPU hours on it.

Subcommands (`lrsched COMMAND --help` for details):

- `show EXPR --epochs N [--every K]`: a table of epoch -> value (with a row at each breakpoint)
  and a terminal chart with ticks on both axes. `--total N [--steps-per-epoch K] [--over UNIT]`
  shows a schedule written in the units of a run (the fraction of training, epochs) over its
  steps (see the runs page of the docs).
- `plot EXPR [EXPR ...] --epochs N -o FILE`: a PNG, SVG or PDF drawn with matplotlib, several
  schedules on one plot with a legend, drops vertical at the exact breakpoints (needs
  `pip install "lrsched-algebra[plot]"`).
- `describe EXPR [--epochs N]`: the expression as a tree with time ranges, its breakpoints and
  its min and max.
- `convert SOURCE [--to json|text]`: between the text form and the JSON dict form.

`EXPR` is the text form (`"0.1 * warmup(cosine(95), 5)"`), or the JSON form (anything that
starts with `{`), or `-` to read either from standard input. `--steps N` may stand for
`--epochs N` wherever it appears: it counts the same times and labels them "step". Counts may
be written `100000`, `100_000`, `1e5` or `100k`.

Whatever the arguments, the command answers in bounded time and memory, and a bad argument
exits with status 1 (a bad schedule) or 2 (a bad option) and one `lrsched:` message, never a
traceback. This module does not import torch.

Examples:
    >>> from lrsched.cli import main
    >>> main(["show", "warmup(cosine(8), 2)", "--epochs", "10", "--every", "5", "--no-chart"])
    warmup(cosine(8), 2)
    epoch  value
        0  0
        2  1          breakpoint
        5  0.691342
        9  0.0380602
    min 0, max 1 over epochs 0-9; breakpoints: 2
    0

"""

# ruff: noqa: T201 (a command-line program prints)

from __future__ import annotations

import argparse
import difflib
import io
import json
import math
import os
import re
import sys
from collections.abc import Sequence
from importlib import metadata
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn, TextIO

import numpy as np

from lrsched._display import PLOT_HINT, draw, short_label
from lrsched._errors import ScheduleError
from lrsched._parse import parse
from lrsched._peer_text import is_peer_text, parse_peer
from lrsched._run import UNITS, exact_number, run
from lrsched._serialize import from_dict, to_dict
from lrsched._validate import format_number

if TYPE_CHECKING:
    from lrsched._core import FloatArray, Schedule

__all__ = ["main"]

DISTRIBUTION = "lrsched-algebra"
"""The name of this library on the package index (`lrsched` there is another project)."""

MAX_ROWS = 100_000
"""Most rows `show` prints (`--epochs` divided by `--every`)."""

MAX_BREAKPOINT_ROWS = 40
"""`show` gives each breakpoint a table row when there are at most this many."""

MAX_WIDTH, MAX_HEIGHT, MAX_INDENT = 500, 200, 16
"""Bounds of `--width`, `--height` (terminal chart) and `--indent` (JSON)."""

MAX_PIXELS = 8_000
"""Most pixels on each side of an image written by `lrsched plot` (`--size` times `--dpi`)."""

MAX_SOURCE = 1_000_000
"""Most characters read as one schedule (from standard input, or a JSON argument)."""

MAX_JSON_DEPTH = 100
"""Deepest nesting of lists and objects read from JSON."""

MAX_LITERAL = 100
"""Longest number literal read from JSON (the text form has the same limit)."""

DENSE_LIMIT = 4_000_000
"""Up to this horizon, min and max are found by evaluating every integer time (exact, bounded)."""

_CHUNK = 1 << 20
_FORMATS = {".png": "png", ".svg": "svg", ".pdf": "pdf"}


class _CommandError(Exception):
    """An error to report in one message (exit status 1)."""


def main(argv: Sequence[str] | None = None) -> int:
    """Run the `lrsched` command with `argv` (default: `sys.argv[1:]`); return its status.

    Examples:
        >>> from lrsched.cli import main
        >>> main(["convert", "warmup( cosine( 95 ),5 )*0.1", "--to", "text"])
        0.1 * warmup(cosine(95), 5)
        0

    """
    args_list = list(sys.argv[1:] if argv is None else argv)
    parser = _parser(args_list)
    args = parser.parse_args(args_list)
    try:
        status: int = args.run(args)
    except (ScheduleError, _CommandError) as error:
        print(f"lrsched: error: {error}", file=sys.stderr)
        return 1
    except BrokenPipeError:  # e.g. `lrsched show ... | head`: stop quietly
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 1
    except KeyboardInterrupt:
        return 130
    except (ArithmeticError, RecursionError, MemoryError) as error:
        shown = _clip(f"{type(error).__name__}: {error}")
        print(
            f"lrsched: error: the numbers are too extreme to compute with ({shown})",
            file=sys.stderr,
        )
        return 1
    except Exception as error:  # noqa: BLE001 (a command line answers in one line, never a traceback)
        shown = _clip(f"{type(error).__name__}: {error}")
        print(
            f"lrsched: internal error: {shown}; please report it with the command line",
            file=sys.stderr,
        )
        return 1
    return status


# ------------------------------------------------------------------------------------ arguments


class _Parser(argparse.ArgumentParser):
    """argparse with "did you mean" for misspelled options and choices (Python 3.11 has none)."""

    argv: Sequence[str] = ()

    def error(self, message: str) -> NoReturn:
        if "did you mean" not in message:
            message += _suggestion(self, message)
        super().error(message)


def _suggestion(parser: _Parser, message: str) -> str:
    choice = re.search(r"invalid choice: '(.*?)' \(choose from (.*)\)", message)
    if choice:
        options = re.findall(r"'?([^',\s]+)'?", choice[2])
        close = difflib.get_close_matches(choice[1], options, n=1)
        return f"; did you mean '{close[0]}'?" if close else ""
    options = _option_strings(parser)
    hints = []
    for word in parser.argv:
        name = word.split("=", 1)[0]
        if name.startswith("--") and not any(o.startswith(name) for o in options):
            close = difflib.get_close_matches(name, options, n=1)
            if close:
                hints.append(f"{close[0]} instead of {name}")
    return f" (did you mean {', '.join(hints)}?)" if hints else ""


def _option_strings(parser: argparse.ArgumentParser) -> list[str]:
    """The options of `parser` and of the subcommand named in its `argv`, if any."""
    found: list[str] = []
    for action in parser._actions:
        found += action.option_strings
        if isinstance(action, argparse._SubParsersAction):
            for word in getattr(parser, "argv", ()):
                if word in action.choices:
                    found += _option_strings(action.choices[word])
                    break
    return found


def _parser(argv: Sequence[str]) -> _Parser:
    parser = _Parser(
        prog="lrsched",
        description="Look at learning-rate schedules written in lrsched's text form, "
        'e.g. "0.1 * warmup(cosine(95), 5)".',
    )
    parser.argv = argv
    parser.add_argument("--version", action="version", version=_version())
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    expr_help = "a schedule: text form, JSON dict form, or - to read from standard input"

    show = commands.add_parser("show", help="print a table of epoch -> value and a chart")
    show.add_argument("expr", metavar="EXPR", help=expr_help)
    _horizon_options(show, required=True)
    show.add_argument("--every", type=_positive_int, help="table step (default: about 20 rows)")
    show.add_argument("--width", type=_bounded(1, MAX_WIDTH), default=64, help="chart columns (64)")
    show.add_argument("--height", type=_bounded(1, MAX_HEIGHT), default=12, help="chart rows (12)")
    show.add_argument("--log", action="store_true", help="logarithmic chart")
    show.add_argument("--no-chart", dest="chart", action="store_false", help="table only")
    show.set_defaults(run=_show)

    plot = commands.add_parser("plot", help="plot schedules to an image file (matplotlib)")
    plot.add_argument("exprs", metavar="EXPR", nargs="+", help=expr_help)
    _horizon_options(plot, required=True)
    plot.add_argument(
        "-o", "--output", required=True, help="image file, ending in .png, .svg or .pdf"
    )
    plot.add_argument("--log", action="store_true", help="logarithmic y axis")
    plot.add_argument("--title", help="title of the plot")
    plot.add_argument("--label", action="append", help="legend label, once per EXPR")
    plot.add_argument("--breakpoints", action="store_true", help="mark each breakpoint")
    plot.add_argument(
        "--size", type=_size, default=(7.0, 3.6), metavar="WxH", help="inches (7x3.6)"
    )
    plot.add_argument("--dpi", type=_bounded(10, 1200), default=120, help="pixels per inch (120)")
    plot.set_defaults(run=_plot)

    describe = commands.add_parser("describe", help="print the tree, breakpoints, min and max")
    describe.add_argument("expr", metavar="EXPR", help=expr_help)
    _horizon_options(describe, required=False)
    describe.set_defaults(run=_describe)

    convert = commands.add_parser("convert", help="convert between the text and JSON forms")
    convert.add_argument("source", metavar="SOURCE", help=expr_help)
    convert.add_argument(
        "--to", choices=["json", "text"], help="output form (default: the other one)"
    )
    convert.add_argument(
        "--indent", type=_bounded(0, MAX_INDENT), default=2, help="JSON indentation (2)"
    )
    convert.set_defaults(run=_convert)
    for command in commands.choices.values():
        command.argv = argv
    return parser


def _horizon_options(parser: argparse.ArgumentParser, *, required: bool) -> None:
    group = parser.add_mutually_exclusive_group(required=required)
    group.add_argument("--epochs", type=_positive_int, metavar="N", help="times 0 to N-1")
    group.add_argument("--steps", type=_positive_int, metavar="N", help="the same, labelled 'step'")
    group.add_argument(
        "--total",
        type=_positive_int,
        metavar="N",
        help="a run of N optimizer steps: EXPR is written over the fraction of training "
        "(0 to 1) unless --over says otherwise, and is shown over steps 0 to N-1",
    )
    parser.add_argument(
        "--steps-per-epoch",
        type=_positive_int,
        metavar="K",
        help="optimizer steps per epoch of the run (with --total, or with --epochs: a run of "
        "N*K steps, EXPR in epochs)",
    )
    parser.add_argument(
        "--over",
        choices=list(UNITS),
        help="what EXPR's time counts in the run (default: fraction with --total, epoch with "
        "--epochs)",
    )
    parser.add_argument(
        "--unit",
        choices=["epoch", "step"],
        help="what the times count, for labels (default: epoch; step with --steps or --total); "
        "in a run, the unit it is shown in",
    )


def _horizon(args: argparse.Namespace) -> tuple[int | None, str]:
    """The horizon (`--epochs` or `--steps`) and the unit that labels it."""
    horizon: int | None = args.epochs if args.epochs is not None else args.steps
    unit: str = args.unit or ("step" if args.steps is not None else "epoch")
    return horizon, unit


def _timed(s: Schedule, args: argparse.Namespace) -> tuple[Schedule, int | None, str]:
    """`s` with the horizon and the unit it is shown in.

    In a run (`--total`, `--steps-per-epoch`), `s` is converted from the unit it is written in
    (`--over`) to the one it is shown in (`--unit`).
    """
    per_epoch = args.steps_per_epoch
    if args.total is None and per_epoch is None:
        if args.over is not None:
            msg = "--over says what EXPR's time counts in a run: give the run with --total N"
            raise _CommandError(msg)
        horizon, unit = _horizon(args)
        return s, horizon, unit
    if args.total is not None:
        the_run = run(steps=args.total, steps_per_epoch=per_epoch, unit=args.over or "fraction")
        unit = args.unit or "step"
    elif args.epochs is not None:
        the_run = run(epochs=args.epochs, steps_per_epoch=per_epoch, unit=args.over or "epoch")
        unit = args.unit or "epoch"
    else:
        msg = "--steps-per-epoch needs the run's length: --total N (steps) or --epochs N"
        raise _CommandError(msg)
    try:
        in_steps = the_run.in_steps(s)  # checks the horizon against the run
    except ScheduleError as error:
        msg = f"{error} (here: --over {{fraction,epoch,step}})"
        raise _CommandError(msg) from None
    if unit == "step":
        return in_steps, the_run.steps, unit
    epochs = the_run.epochs
    if epochs is None or not epochs.is_integer():
        msg = (
            f"--unit epoch needs a whole number of epochs: {the_run.steps} steps of "
            f"{per_epoch} per epoch are {epochs} epochs (or pass --steps-per-epoch)"
        )
        raise _CommandError(msg)
    return the_run.in_epochs(s), int(epochs), unit


def _version() -> str:
    try:
        version = metadata.version(DISTRIBUTION)
    except metadata.PackageNotFoundError:  # run from a source tree that is not installed
        from lrsched import __version__ as version  # noqa: PLC0415

    return f"lrsched {version} (distribution {DISTRIBUTION})"


def _positive_int(text: str) -> int:
    """A count written `100000`, `100_000`, `1e5` or `100k` (exactly: `1.5k` is 1500)."""
    exact = exact_number(text)
    if exact is None:
        msg = (
            f"must be a positive integer (got {_clip(repr(text), 40)}); write it as 100000, "
            "100_000, 1e5 or 100k"
        )
        raise argparse.ArgumentTypeError(msg)
    if exact.denominator != 1 or not 0 < exact <= 2**53:
        msg = f"must be a positive integer up to 2**53 (got {_clip(text, 40)})"
        raise argparse.ArgumentTypeError(msg)
    return int(exact)


def _bounded(low: int, high: int) -> Any:
    def bounded(text: str) -> int:
        try:
            value = int(text) if len(text) <= 20 else None
        except ValueError:
            value = None
        if value is None or not low <= value <= high:
            msg = f"must be an integer from {low} to {high} (got {_clip(text, 40)})"
            raise argparse.ArgumentTypeError(msg)
        return value

    return bounded


def _size(text: str) -> tuple[float, float]:
    match = re.fullmatch(r"\s*(\d{1,3}(?:\.\d{1,3})?)\s*[xX]\s*(\d{1,3}(?:\.\d{1,3})?)\s*", text)
    width, height = (float(match[1]), float(match[2])) if match else (0.0, 0.0)
    if not (0.5 <= width <= 100 and 0.5 <= height <= 100):
        shown = _clip(text, 40)
        msg = f"must be WIDTHxHEIGHT in inches, each from 0.5 to 100, e.g. 7x3.6 (got {shown})"
        raise argparse.ArgumentTypeError(msg)
    return width, height


# ------------------------------------------------------------------------------------- commands


def _show(args: argparse.Namespace) -> int:
    s, epochs, unit = _timed(_load(args.expr), args)
    assert epochs is not None  # required  # noqa: S101
    every: int = args.every or _nice_step(epochs / 20)
    if epochs / every > MAX_ROWS:
        msg = f"--every {every} gives more than {MAX_ROWS} rows for {epochs} {unit}s"
        raise _CommandError(msg)
    out = sys.stdout
    print(repr(s), file=out)
    _table(s, epochs, every, unit, out)
    if args.chart:
        _chart(s, epochs, args, unit, out)
    print(_summary(s, epochs, unit), file=out)
    return 0


def _describe(args: argparse.Namespace) -> int:
    s, horizon, unit = _timed(_load(args.expr), args)
    print(s.describe())
    if horizon:
        print(_summary(s, horizon, unit))
    return 0


def _convert(args: argparse.Namespace) -> int:
    source = _read_source(args.source)
    is_json = source.lstrip().startswith("{")
    s = _load_text(source, args.source)
    target = args.to or ("text" if is_json else "json")
    if target == "text":
        print(repr(s))
    else:
        print(json.dumps(to_dict(s), indent=args.indent or None))
    return 0


def _plot(args: argparse.Namespace) -> int:
    try:
        from matplotlib.figure import Figure  # noqa: PLC0415 (optional extra, loaded on use)
    except ImportError:
        raise _CommandError(f"lrsched plot: {PLOT_HINT}") from None
    target = Path(args.output)
    image_format = _FORMATS.get(target.suffix.lower())
    if image_format is None or args.output.endswith(("/", os.sep)):
        msg = (
            f"-o {_clip(args.output, 80)}: the file name must end in .png, .svg or .pdf "
            "(the image type follows it)"
        )
        raise _CommandError(msg)
    width, height = args.size
    if max(width, height) * args.dpi > MAX_PIXELS:
        msg = f"--size {width:g}x{height:g} at --dpi {args.dpi} is over {MAX_PIXELS} pixels a side"
        raise _CommandError(msg)
    loaded = [_load(expr) for expr in args.exprs]
    labels: list[str] = args.label or [short_label(s) for s in loaded]
    if len(labels) != len(loaded):
        msg = f"give one --label per EXPR (got {len(labels)} for {len(loaded)})"
        raise _CommandError(msg)
    timed = [_timed(s, args) for s in loaded]
    schedules = [s for s, _, _ in timed]
    _, epochs, unit = timed[0]
    assert epochs is not None  # required  # noqa: S101
    figure = Figure(figsize=(width, height), layout="constrained")
    axes = figure.add_subplot()
    draw(
        axes,
        schedules,
        epochs,
        unit=unit,
        log=args.log,
        labels=labels,
        breakpoints=args.breakpoints,
    )
    if args.title:
        axes.set_title(args.title)
    image = io.BytesIO()
    figure.savefig(image, format=image_format, dpi=args.dpi, metadata=_metadata(image_format))
    _write(target, image.getvalue())
    pixels = f", {round(width * args.dpi)}x{round(height * args.dpi)} pixels"
    print(f"wrote {args.output} ({image_format.upper()}{pixels if image_format == 'png' else ''})")
    return 0


def _metadata(image_format: str) -> dict[str, Any]:
    # No build date in SVG and PDF files: the same command writes the same file.
    return (
        {"Date": None}
        if image_format == "svg"
        else {"CreationDate": None}
        if image_format == "pdf"
        else {}
    )


def _write(target: Path, data: bytes) -> None:
    """Write `data` to exactly `target`; on failure leave no partial file behind."""
    try:
        existed = target.exists()
        with target.open("wb") as file:
            try:
                file.write(data)
                file.flush()
            except OSError:
                if not existed and target.is_file():
                    target.unlink()
                raise
    except OSError as error:
        msg = f"cannot write {target}: {error.strerror or error}"
        raise _CommandError(msg) from None


# -------------------------------------------------------------------------------------- reading


def _load(source: str) -> Schedule:
    return _load_text(_read_source(source), source)


def _read_source(source: str) -> str:
    if source != "-":
        return source
    text = sys.stdin.read(MAX_SOURCE + 1)
    if len(text) > MAX_SOURCE:
        msg = f"standard input holds more than {MAX_SOURCE} characters: not a schedule"
        raise _CommandError(msg)
    return text


def _load_text(text: str, source: str) -> Schedule:
    if not text.strip():
        where = "standard input is empty" if source == "-" else "the expression is empty"
        msg = f'{where}: give a schedule such as "0.1 * warmup(cosine(95), 5)"'
        raise _CommandError(msg)
    if is_peer_text(text):  # a peer's spelling, e.g. hf:cosine(10, 110)
        return parse_peer(text)
    if not text.lstrip().startswith("{"):
        return parse(text)
    return from_dict(read_json(text))


def read_json(text: str) -> Any:
    """Read a JSON document with the limits of the text form: bounded depth and literals.

    Raises a `ScheduleError` (a `ValueError`) naming the problem for malformed JSON, nesting
    deeper than 100 levels, a number literal longer than 100 characters, or `NaN`/`Infinity`.

    Examples:
        >>> from lrsched.cli import read_json
        >>> read_json('{"type": "cosine", "duration": 95}')
        {'type': 'cosine', 'duration': 95}
        >>> read_json("[" * 1000 + "]" * 1000)
        Traceback (most recent call last):
        lrsched._errors.ScheduleError: invalid JSON: nested deeper than 100 levels

    """
    if len(text) > MAX_SOURCE:
        msg = f"invalid JSON: more than {MAX_SOURCE} characters"
        raise ScheduleError(msg)
    if _json_depth(text) > MAX_JSON_DEPTH:
        msg = f"invalid JSON: nested deeper than {MAX_JSON_DEPTH} levels"
        raise ScheduleError(msg)
    try:
        return json.loads(
            text, parse_int=_json_int, parse_float=_json_float, parse_constant=_json_constant
        )
    except json.JSONDecodeError as error:
        msg = f"invalid JSON: {error}"
        raise ScheduleError(msg) from None


def _json_depth(text: str) -> int:
    """The deepest nesting of `[` and `{` outside strings (an upper bound for malformed text)."""
    bare = re.sub(r'"(?:[^"\\]|\\.)*"', "", text)
    steps = np.frombuffer(bare.encode("utf-8", "replace"), dtype=np.uint8)
    change = np.isin(steps, (ord("["), ord("{"))).astype(np.int64)
    change -= np.isin(steps, (ord("]"), ord("}")))
    return int(np.cumsum(change).max(initial=0))


def _json_int(text: str) -> int:
    _json_literal(text)
    return int(text)


def _json_float(text: str) -> float:
    _json_literal(text)
    return float(text)


def _json_literal(text: str) -> None:
    if len(text) > MAX_LITERAL:
        msg = f"invalid JSON: a number of {len(text)} characters (at most {MAX_LITERAL})"
        raise ScheduleError(msg)


def _json_constant(text: str) -> NoReturn:
    msg = f"invalid JSON: {text} is not a number here (write a finite number)"
    raise ScheduleError(msg)


# ---------------------------------------------------------------------------------------- table


def _table(s: Schedule, epochs: int, every: int, unit: str, out: TextIO) -> None:
    times = np.arange(0, epochs, every, dtype=np.float64)
    if times[-1] != epochs - 1:
        times = np.append(times, float(epochs - 1))
    marks = np.zeros(len(times), dtype=bool)
    points = _listed_breakpoints(s, epochs) or ()
    drops = np.array([b for b in points if b <= epochs - 1], dtype=np.float64)
    if 0 < len(drops) <= MAX_BREAKPOINT_ROWS:
        times = np.union1d(times, drops)
        marks = np.isin(times, drops)
    values = s(times)
    shown = [_short_time(t) for t in times.tolist()]
    width = max(len(unit), *map(len, shown))
    cells = [_short(v) for v in values.tolist()]
    value_width = max(len("value"), *map(len, cells))
    print(f"{unit.rjust(width)}  value", file=out)
    for t, v, mark in zip(shown, cells, marks.tolist(), strict=True):
        line = (
            f"{t.rjust(width)}  {v.ljust(value_width)}  breakpoint"
            if mark
            else f"{t.rjust(width)}  {v}"
        )
        print(line, file=out)


def _short_time(t: float) -> str:
    return str(int(t)) if t.is_integer() else f"{t:.6g}"


def _nice_step(target: float) -> int:
    """The smallest of 1, 2, 5, 10, 20, 50, ... that is >= `target`."""
    scale = 1
    while True:
        for factor in (1, 2, 5):
            if scale * factor >= target:
                return scale * factor
        scale *= 10


def _short(value: float) -> str:
    return f"{value:.6g}"


def _clip(text: str, width: int = 200) -> str:
    return text if len(text) <= width else f"{text[: width - 3]}..."


def _listed_breakpoints(s: Schedule, horizon: float) -> tuple[float, ...] | None:
    """`s.breakpoints(horizon)`, or None when there are too many to list."""
    try:
        return s.breakpoints(horizon)
    except (ScheduleError, ArithmeticError):  # too many to list (or to count in a float)
        return None


def _summary(s: Schedule, epochs: int, unit: str = "epoch") -> str:
    low, high = _extrema(s, epochs)
    points = _listed_breakpoints(s, epochs)
    if points is None:
        shown = "too many to list"
    else:
        shown = ", ".join(format_number(p) for p in points[:8])
        if len(points) > 8:
            shown += f", ... ({len(points)} in all)"
    where = f"{unit}s 0-{epochs - 1}" if epochs > 1 else f"{unit} 0"
    text = f"min {_short(low)}, max {_short(high)} over {where}"
    return f"{text}; breakpoints: {shown}" if shown else text


# ------------------------------------------------------------------------------ min, max, chart


def _extrema(s: Schedule, horizon: int) -> tuple[float, float]:
    lows, highs = _binned_extrema(s, np.array([0, horizon], dtype=np.int64))
    return float(lows[0]), float(highs[0])


def _binned_extrema(s: Schedule, edges: np.ndarray) -> tuple[FloatArray, FloatArray]:
    """Min and max of `s` over the integer times of each bin `[edges[j], edges[j + 1])`.

    Up to [`DENSE_LIMIT`][lrsched.cli.DENSE_LIMIT] by evaluating every integer time, in chunks
    (exact, bounded in time and memory whatever the expression); beyond, by inspection.
    """
    horizon = int(edges[-1])
    if horizon > DENSE_LIMIT:
        from lrsched._inspect import binned_extrema  # noqa: PLC0415 (lazy: inspection is optional)

        return binned_extrema(s, edges)
    lows = np.full(len(edges) - 1, math.inf)
    highs = np.full(len(edges) - 1, -math.inf)
    for start in range(0, horizon, _CHUNK):
        stop = min(start + _CHUNK, horizon)
        values = s(np.arange(start, stop, dtype=np.float64))
        first = int(np.searchsorted(edges, start, side="right")) - 1
        last = int(np.searchsorted(edges, stop - 1, side="right")) - 1
        bins = np.arange(first, last + 1)
        offsets = np.maximum(edges[bins], start) - start
        lows[bins] = np.minimum(lows[bins], np.minimum.reduceat(values, offsets))
        highs[bins] = np.maximum(highs[bins], np.maximum.reduceat(values, offsets))
    return lows, highs


def _chart(s: Schedule, epochs: int, options: argparse.Namespace, unit: str, out: TextIO) -> None:
    height: int = options.height
    log: bool = options.log
    columns = min(options.width, epochs)
    edges = np.unique(np.linspace(0, epochs, columns + 1).round().astype(np.int64))
    lows, highs = _binned_extrema(s, edges)
    if len(edges) > 2:  # join each column to the end of the previous one: a drop is drawn
        joins = s((edges[1:-1] - 1).astype(np.float64))
        lows[1:], highs[1:] = np.minimum(lows[1:], joins), np.maximum(highs[1:], joins)
    if log:
        positive = highs > 0
        if not positive.any():
            print("(no positive values: no log chart)", file=out)
            return
        floor = lows[lows > 0].min() if (lows > 0).any() else highs[positive].min()
        lows = np.log10(np.maximum(lows, floor))
        highs = np.where(positive, np.log10(np.where(positive, highs, 1.0)), np.nan)
    grid = _raster(lows, highs, height)
    top, bottom = float(np.nanmax(highs)), float(np.nanmin(lows))
    labels = _y_labels(top, bottom, height, log=log)
    label_width = max(map(len, labels))
    for label, row in zip(labels, grid, strict=True):
        print(f"{label.rjust(label_width)} {'+' if label else '|'}{row}".rstrip(), file=out)
    ticks, tick_labels = _x_ticks(edges, epochs)
    line = ["-"] * (len(edges) - 1)
    for column in ticks:
        if column:  # the corner marks column 0
            line[column] = "+"
    print(f"{' ' * label_width} +{''.join(line)}", file=out)
    print(f"{' ' * label_width}  {tick_labels}  {unit}", file=out)


def _y_labels(top: float, bottom: float, height: int, *, log: bool) -> list[str]:
    """Labels of the rows, top first: the top and bottom rows and about every fourth between."""

    def level(i: int) -> str:
        value = top - (top - bottom) * i / (height - 1) if height > 1 else top
        return _short(10.0**value if log else value)

    if top == bottom:  # a flat line, drawn on one row: one label there
        row = height - 1 - (height - 1) // 2
        return [level(0) if i == row else "" for i in range(height)]
    if log:  # the rows on which each power of ten between the ends is drawn
        powers = range(math.ceil(bottom), math.floor(top) + 1)
        rows = {height - 1 - round((k - bottom) / (top - bottom) * (height - 1)): k for k in powers}
        inner = {i: _short(10.0**k) for i, k in rows.items() if 1 < i < height - 2}
        return [level(i) if i in {0, height - 1} else inner.get(i, "") for i in range(height)]
    step = max(2, round((height - 1) / 4))
    labelled = {0, height - 1, *range(step, height - 2, step)}
    return [level(i) if i in labelled else "" for i in range(height)]


def _x_ticks(edges: np.ndarray, epochs: int) -> tuple[list[int], str]:
    """Columns of the x ticks (0, round numbers, the last time) and the line of their labels."""
    columns = len(edges) - 1

    def column(t: int) -> int:
        return int(np.searchsorted(edges, t, side="right")) - 1

    last = str(epochs - 1)
    last_start = max(column(epochs - 1) - len(last) + 1, 0)
    text = [" "] * max(columns, last_start + len(last))
    ticks: list[int] = []
    free = 0  # the first column a label may use
    if epochs > 1:
        step = _nice_step(epochs / max(1, columns // 8))
        for t in range(0, epochs - 1, step):
            label, at = str(t), column(t)
            if at >= free and at + len(label) < last_start:
                text[at : at + len(label)] = label
                ticks.append(at)
                free = at + len(label) + 1
    if last_start >= free:
        text[last_start : last_start + len(last)] = last
        ticks.append(column(epochs - 1))
    return ticks, "".join(text).rstrip()


def _raster(lows: FloatArray, highs: FloatArray, height: int) -> list[str]:
    """Rows (top first) of a chart where column j spans `lows[j]` to `highs[j]`."""
    top, bottom = np.nanmax(highs), np.nanmin(lows)
    span = top - bottom
    rows = [[" "] * len(lows) for _ in range(height)]
    for j, (low, high) in enumerate(zip(lows.tolist(), highs.tolist(), strict=True)):
        if math.isnan(high):
            continue
        if span > 0:
            r_low = round((low - bottom) / span * (height - 1))
            r_high = round((high - bottom) / span * (height - 1))
        else:
            r_low = r_high = (height - 1) // 2
        for r in range(r_low, r_high + 1):
            rows[height - 1 - r][j] = "*"
    return ["".join(row) for row in rows]
