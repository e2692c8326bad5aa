"""The ``lrsched`` command: look at a schedule before spending GPU hours on it.

Subcommands (``lrsched COMMAND --help`` for details):

- ``show EXPR --epochs N [--every K]``: a table of epoch -> value and a terminal chart.
- ``plot EXPR [EXPR ...] --epochs N -o FILE [--log]``: a PNG (or SVG, PDF) with matplotlib,
  several schedules on one plot with a legend (needs ``pip install 'lrsched[plot]'``).
- ``describe EXPR [--epochs N]``: the expression as a tree with time ranges, its breakpoints and
  its min and max.
- ``convert SOURCE [--to json|text]``: between the text form and the JSON dict form.

``EXPR`` is the text form (``"0.1 * warmup(cosine(95), 5)"``), or the JSON form (anything that
starts with ``{``), or ``-`` to read either from standard input. A bad expression exits with
status 1 and the parser's message with a caret under the problem, never a traceback. This
module does not import torch.

Examples:
    >>> from lrsched.cli import main
    >>> main(["show", "warmup(cosine(8), 2)", "--epochs", "10", "--every", "5", "--no-chart"])
    warmup(cosine(8), 2)
    epoch  value
        0  0
        5  0.691342
        9  0.0380602
    min 0, max 1 over epochs 0-9; breakpoints: 2
    0

"""

# ruff: noqa: T201 (a command-line program prints)

from __future__ import annotations

import argparse
import json
import math
import os
import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, TextIO

import numpy as np

from lrsched._errors import ScheduleError
from lrsched._inspect import binned_extrema, key_times
from lrsched._parse import parse
from lrsched._serialize import from_dict, to_dict
from lrsched._validate import format_number

if TYPE_CHECKING:
    from lrsched._core import FloatArray, Schedule

__all__ = ["main"]

MAX_ROWS = 100_000
"""Most rows ``show`` prints (``--epochs`` divided by ``--every``)."""

MAX_PLOT_POINTS = 20_000
"""Horizons up to this many epochs are plotted at every epoch; longer ones are sampled."""

_PLOT_HINT = "lrsched plot needs matplotlib, which is not installed: pip install 'lrsched[plot]'"


class _CommandError(Exception):
    """An error to report in one message (exit status 1)."""


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``lrsched`` command with ``argv`` (default: ``sys.argv[1:]``); return its status."""
    parser = _parser()
    args = parser.parse_args(argv)
    try:
        status: int = args.run(args)
    except (ScheduleError, _CommandError) as error:
        print(f"lrsched: error: {error}", file=sys.stderr)
        return 1
    except BrokenPipeError:  # e.g. `lrsched show ... | head`: stop quietly
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 1
    return status


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="lrsched",
        description="Look at learning-rate schedules written in lrsched's text form, "
        'e.g. "0.1 * warmup(cosine(95), 5)".',
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    expr_help = "a schedule: text form, JSON dict form, or - to read from standard input"

    show = commands.add_parser("show", help="print a table of epoch -> value and a chart")
    show.add_argument("expr", metavar="EXPR", help=expr_help)
    show.add_argument("--epochs", type=_positive_int, required=True, help="epochs 0 to N-1")
    show.add_argument("--every", type=_positive_int, help="table step (default: about 20 rows)")
    show.add_argument("--width", type=_positive_int, default=64, help="chart columns (64)")
    show.add_argument("--height", type=_positive_int, default=12, help="chart rows (12)")
    show.add_argument("--log", action="store_true", help="logarithmic chart")
    show.add_argument("--no-chart", dest="chart", action="store_false", help="table only")
    show.set_defaults(run=_show)

    plot = commands.add_parser("plot", help="plot schedules to an image file (matplotlib)")
    plot.add_argument("exprs", metavar="EXPR", nargs="+", help=expr_help)
    plot.add_argument("--epochs", type=_positive_int, required=True, help="epochs 0 to N-1")
    plot.add_argument("-o", "--output", required=True, help="image file (.png, .svg, .pdf)")
    plot.add_argument("--log", action="store_true", help="logarithmic y axis")
    plot.add_argument("--title", help="title of the plot")
    plot.add_argument("--label", action="append", help="legend label, once per EXPR")
    plot.set_defaults(run=_plot)

    describe = commands.add_parser("describe", help="print the tree, breakpoints, min and max")
    describe.add_argument("expr", metavar="EXPR", help=expr_help)
    describe.add_argument("--epochs", type=_positive_int, help="horizon for breakpoints, min, max")
    describe.set_defaults(run=_describe)

    convert = commands.add_parser("convert", help="convert between the text and JSON forms")
    convert.add_argument("source", metavar="SOURCE", help=expr_help)
    convert.add_argument(
        "--to", choices=["json", "text"], help="output form (default: the other one)"
    )
    convert.add_argument("--indent", type=int, default=2, help="JSON indentation (2)")
    convert.set_defaults(run=_convert)
    return parser


def _positive_int(text: str) -> int:
    try:
        value = int(text.replace("_", ""))
    except ValueError:
        msg = f"must be a positive integer (got {text!r})"
        raise argparse.ArgumentTypeError(msg) from None
    if not 0 < value <= 2**53:
        msg = f"must be a positive integer up to 2**53 (got {text})"
        raise argparse.ArgumentTypeError(msg)
    return value


# ------------------------------------------------------------------------------------ commands


def _show(args: argparse.Namespace) -> int:
    s = _load(args.expr)
    epochs: int = args.epochs
    every: int = args.every or _nice_step(epochs / 20)
    if epochs / every > MAX_ROWS:
        msg = f"--every {every} gives more than {MAX_ROWS} rows for {epochs} epochs"
        raise _CommandError(msg)
    out = sys.stdout
    print(repr(s), file=out)
    times = np.arange(0, epochs, every, dtype=np.int64)
    if times[-1] != epochs - 1:
        times = np.append(times, epochs - 1)
    values = s(times.astype(np.float64))
    width = max(len("epoch"), len(str(epochs - 1)))
    print(f"{'epoch'.rjust(width)}  value", file=out)
    for t, v in zip(times.tolist(), values.tolist(), strict=True):
        print(f"{str(t).rjust(width)}  {_short(v)}", file=out)
    if args.chart:
        _chart(s, epochs, args, out)
    print(_summary(s, epochs), file=out)
    return 0


def _describe(args: argparse.Namespace) -> int:
    s = _load(args.expr)
    print(s.describe())
    if args.epochs:
        print(_summary(s, args.epochs))
    return 0


def _convert(args: argparse.Namespace) -> int:
    source = _read_source(args.source)
    is_json = source.lstrip().startswith("{")
    s = _load_text(source)
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
        raise _CommandError(_PLOT_HINT) from None
    schedules = [_load(expr) for expr in args.exprs]
    labels: list[str] = args.label or []
    if labels and len(labels) != len(schedules):
        msg = f"give one --label per EXPR (got {len(labels)} for {len(schedules)})"
        raise _CommandError(msg)
    epochs: int = args.epochs
    times = _plot_times(schedules, epochs)
    figure = Figure(figsize=(7.0, 3.6), layout="constrained")
    axes = figure.add_subplot()
    for i, s in enumerate(schedules):
        values = s(times.astype(np.float64))
        if args.log:
            if not (values > 0).any():
                msg = f"--log needs positive values, and {s!r} has none"
                raise _CommandError(msg)
            values = np.where(values > 0, values, np.nan)
        label = labels[i] if labels else args.exprs[i].strip()
        axes.plot(times, values, label=label, linewidth=1.6)
    if args.log:
        axes.set_yscale("log")
    axes.set_xlabel("epoch")
    axes.set_ylabel("value")
    axes.set_xlim(0, max(epochs - 1, 1))
    axes.grid(visible=True, alpha=0.3)
    if args.title:
        axes.set_title(args.title)
    axes.legend(loc="best", fontsize="small")
    try:
        figure.savefig(args.output, dpi=120)
    except (OSError, ValueError) as error:
        msg = f"cannot write {args.output}: {error}"
        raise _CommandError(msg) from None
    print(f"wrote {args.output}")
    return 0


# ------------------------------------------------------------------------------------- helpers


def _load(source: str) -> Schedule:
    return _load_text(_read_source(source))


def _read_source(source: str) -> str:
    return sys.stdin.read() if source == "-" else source


def _load_text(text: str) -> Schedule:
    if not text.lstrip().startswith("{"):
        return parse(text)
    try:
        data: Any = json.loads(text)
    except json.JSONDecodeError as error:
        msg = f"invalid JSON: {error}"
        raise _CommandError(msg) from None
    return from_dict(data)


def _nice_step(target: float) -> int:
    """The smallest of 1, 2, 5, 10, 20, 50, ... that is >= ``target``."""
    scale = 1
    while True:
        for factor in (1, 2, 5):
            if scale * factor >= target:
                return scale * factor
        scale *= 10


def _short(value: float) -> str:
    return f"{value:.6g}"


def _summary(s: Schedule, epochs: int) -> str:
    low, high = s.extrema(epochs)
    try:
        points = s.breakpoints(epochs)
    except ScheduleError:
        points, shown = (), "too many to list"
    else:
        shown = ", ".join(format_number(p) for p in points[:8])
        if len(points) > 8:
            shown += f", ... ({len(points)} in all)"
    where = f"epochs 0-{epochs - 1}" if epochs > 1 else "epoch 0"
    text = f"min {_short(low)}, max {_short(high)} over {where}"
    return f"{text}; breakpoints: {shown}" if shown else text


def _chart(s: Schedule, epochs: int, options: argparse.Namespace, out: TextIO) -> None:
    height: int = options.height
    log: bool = options.log
    columns = min(options.width, epochs)
    edges = np.unique(np.linspace(0, epochs, columns + 1).round().astype(np.int64))
    lows, highs = binned_extrema(s, edges)
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
    if log:
        top, bottom = 10.0**top, 10.0**bottom
    labels = [_short(top)] + [""] * (height - 2) + [_short(bottom)] if height > 1 else [_short(top)]
    label_width = max(map(len, labels))
    for label, row in zip(labels, grid, strict=True):
        print(f"{label.rjust(label_width)} |{row}".rstrip(), file=out)
    print(f"{' ' * label_width} +{'-' * len(edges[:-1])}", file=out)
    last = str(epochs - 1)
    axis = "0".ljust(max(1, len(edges) - 1 - len(last))) + last if epochs > 1 else "0"
    print(f"{' ' * label_width}  {axis}", file=out)


def _raster(lows: FloatArray, highs: FloatArray, height: int) -> list[str]:
    """Rows (top first) of a chart where column j spans ``lows[j]`` to ``highs[j]``."""
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


def _plot_times(schedules: list[Schedule], epochs: int) -> np.ndarray:
    if epochs <= MAX_PLOT_POINTS:
        return np.arange(epochs, dtype=np.int64)
    chunks = [np.linspace(0, epochs - 1, MAX_PLOT_POINTS).round().astype(np.int64)]
    chunks += [key_times(s, epochs) for s in schedules]
    return np.unique(np.concatenate(chunks))
