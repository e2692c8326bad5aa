"""Pictures of schedules: `plot` for scripts and papers, and the picture a notebook shows.

[`plot`][lrsched.plot] returns matplotlib axes; `Schedule._repr_mimebundle_` gives Jupyter and
VS Code an inline SVG of a schedule with its breakpoints marked.
Every picture is drawn from the same exact curve ([`curve`][lrsched._display.curve]): the schedule
at every epoch (or at evenly spaced ones plus every possible peak for long horizons), and at
each breakpoint both the value just before it and the value from it on, so that a step decay or
a plateau drops vertically where it drops instead of sloping over one epoch. matplotlib is an
optional dependency (`pip install "lrsched-algebra[plot]"`): without it a notebook shows the
schedule's text form, and `plot` says what to install.
"""

from __future__ import annotations

import io
import math
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from lrsched._errors import ScheduleError

if TYPE_CHECKING:
    from matplotlib.axes import Axes

    from lrsched._core import FloatArray, Schedule

__all__ = ["curve", "mimebundle", "natural_horizon", "plot", "short_label"]

MAX_POINTS = 20_000
"""Horizons up to this many epochs are drawn at every epoch; longer ones are sampled."""

MAX_DROPS = 20_000
"""At most this many breakpoints are drawn as vertical drops (beyond, the curve is sampled)."""

MAX_MARKERS = 200
"""Breakpoint markers are drawn only when there are at most this many (else they hide the line)."""

PLOT_HINT = "plotting needs matplotlib, which is not installed: pip install 'lrsched-algebra[plot]'"

_LABEL_WIDTH = 48


def curve(s: Schedule, horizon: int) -> tuple[FloatArray, FloatArray]:
    """Times and values that draw `s` over `[0, horizon - 1]` with its drops vertical.

    The times are every integer up to [`MAX_POINTS`][lrsched._display.MAX_POINTS] epochs (for
    longer horizons, that many evenly spaced epochs plus every epoch where a drop or a peak can
    happen), and each breakpoint `b` of `s` appears twice: with the value just before `b`, then
    with `s(b)`.

    Examples:
        >>> import lrsched as ls
        >>> from lrsched._display import curve
        >>> times, values = curve(ls.step(2, 0.5), 5)
        >>> times.tolist()
        [0.0, 1.0, 2.0, 2.0, 3.0, 4.0, 4.0]
        >>> values.tolist()
        [1.0, 1.0, 1.0, 0.5, 0.5, 0.5, 0.25]

    """
    from lrsched._inspect import key_times  # noqa: PLC0415 (lazy: inspection is optional)

    last = float(horizon - 1)
    if horizon <= MAX_POINTS:
        grid = np.arange(horizon, dtype=np.float64)
    else:
        spaced = np.linspace(0.0, last, MAX_POINTS).round()
        grid = np.union1d(spaced, key_times(s, horizon).astype(np.float64))
    drops = np.array([b for b in _breakpoints(s, horizon) if b <= last], dtype=np.float64)
    times = np.union1d(grid, drops)
    values = s(times)
    if not drops.size:
        return times, values
    before = s(np.nextafter(drops, -math.inf))
    at = np.searchsorted(times, drops)
    return np.insert(times, at, drops), np.insert(values, at, before)


def natural_horizon(s: Schedule) -> int:
    """A horizon that shows what `s` does: a little past its last breakpoint.

    A schedule whose breakpoints go on for ever (a step decay, a periodic cosine) is shown over
    its first 8 pieces; one without breakpoints over 100.

    Examples:
        >>> import lrsched as ls
        >>> from lrsched._display import natural_horizon
        >>> natural_horizon(ls.warmup(ls.cosine(95), 5))
        120
        >>> natural_horizon(ls.step(30, 0.1)), natural_horizon(ls.constant(0.1))
        (300, 100)

    """
    probe = 10**6
    points = _breakpoints(s, probe)
    endless = not points or points[-1] > probe / 2
    for horizon in (10**4, 10**3, 100):
        if points:
            break
        points = _breakpoints(s, horizon)
    if not points:
        return 100
    shown = points[min(len(points), 8 if endless else 64) - 1]
    return _nice_ceiling(max(shown * 1.2, shown + 2, 10.0))


def short_label(s: Schedule) -> str:
    """The text form of `s`, cut to 48 characters with `...`: a legend entry.

    Examples:
        >>> import lrsched as ls
        >>> from lrsched._display import short_label
        >>> short_label(0.1 * ls.warmup(ls.cosine(95), 5))
        '0.1 * warmup(cosine(95), 5)'
        >>> short_label(ls.concat([ls.cosine(10)] * 9, [10 * i for i in range(1, 9)]))
        'concat([cosine(10), cosine(10), cosine(10), c...'

    """
    text = " ".join(repr(s).split())
    return text if len(text) <= _LABEL_WIDTH else text[: _LABEL_WIDTH - 3] + "..."


def plot(  # noqa: PLR0913 (the options of a figure, all keyword-only)
    schedules: Schedule | str | Sequence[Schedule | str],
    horizon: int | None = None,
    *,
    ax: Axes | None = None,
    unit: str = "epoch",
    log: bool = False,
    labels: Sequence[str] | None = None,
    breakpoints: bool = False,
) -> Axes:
    """Draw one or several schedules with matplotlib and return the axes.

    Drops are vertical at the exact breakpoints (from inspection, not from sampling), so a step
    decay looks like a staircase and a linear decay like a line.

    Args:
        schedules: a schedule, its text form, or a list of them (one line each).
        horizon: draw the times `0` to `horizon - 1` (an integer >= 1); by default a little
            past the last breakpoint of the schedules.
        ax: the matplotlib axes to draw on; by default the current axes of pyplot.
        unit: what time counts, for the x axis label (`"epoch"`, `"step"`, ...).
        log: a logarithmic y axis (values <= 0 are left out).
        labels: one legend entry per schedule; by default their text forms, shortened.
        breakpoints: mark each breakpoint with a dot (when there are at most 200).

    Returns:
        The `matplotlib.axes.Axes` drawn on, for further styling.

    Raises:
        ScheduleError: for a bad horizon, unit or labels, or `log=True` for a schedule with no
            positive value.
        ImportError: if matplotlib is not installed.

    Examples:
        >>> import matplotlib
        >>> matplotlib.use("Agg")
        >>> import lrsched as ls
        >>> ax = ls.plot(["step(30, 0.1)", ls.cosine(90)], 90, unit="step")
        >>> ax.get_xlabel()
        'step'
        >>> [text.get_text() for text in ax.get_legend().get_texts()]
        ['step(30, 0.1)', 'cosine(90)']
        >>> ax.lines[0].get_xdata()[29:33].tolist()  # the drop at 30 is vertical
        [29.0, 30.0, 30.0, 31.0]

    """
    items = _schedules(schedules)
    names = _labels(items, labels)
    if horizon is None:
        horizon = max(natural_horizon(s) for s in items)
    elif isinstance(horizon, bool) or not isinstance(horizon, int | np.integer) or horizon < 1:
        msg = f"horizon must be an integer >= 1 (got {horizon!r})"
        raise ScheduleError(msg)
    if not isinstance(unit, str) or not unit.strip():
        msg = f"unit must be a non-empty string such as 'epoch' or 'step' (got {unit!r})"
        raise ScheduleError(msg)
    if ax is None:
        try:
            from matplotlib import pyplot as plt  # noqa: PLC0415 (optional extra, loaded on use)
        except ImportError:
            raise ImportError(PLOT_HINT) from None
        ax = plt.gca()
    draw(ax, items, int(horizon), unit=unit, log=log, labels=names, breakpoints=breakpoints)
    return ax


def draw(  # noqa: PLR0913 (the options of a figure, all keyword-only)
    ax: Axes,
    schedules: Sequence[Schedule],
    horizon: int,
    *,
    unit: str,
    log: bool,
    labels: Sequence[str] | None,
    breakpoints: bool,
) -> None:
    """Draw validated `schedules` on `ax` (shared by `plot`, `lrsched plot` and notebooks).

    `labels=None` draws no legend.
    """
    for s, label in zip(schedules, labels or [""] * len(schedules), strict=True):
        times, values = curve(s, horizon)
        if log:
            if not (values > 0).any():
                msg = f"a log scale needs positive values, and {short_label(s)} has none"
                raise ScheduleError(msg)
            values = np.where(values > 0, values, np.nan)
        (line,) = ax.plot(times, values, label=label, linewidth=1.6)
        points = _breakpoints(s, horizon)
        if breakpoints and 0 < len(points) <= MAX_MARKERS:
            at = np.array(points, dtype=np.float64)
            shown = s(at)
            keep = shown > 0 if log else np.ones(len(at), dtype=bool)
            ax.plot(at[keep], shown[keep], "o", markersize=3.5, color=line.get_color())
    if log:
        ax.set_yscale("log")
    ax.set_xlabel(unit)
    ax.set_ylabel("value")
    ax.set_xlim(0, max(horizon - 1, 1))
    ax.grid(visible=True, alpha=0.3)
    if labels is not None:
        ax.legend(loc="best", fontsize="small")


def mimebundle(s: Schedule, include: Any = None, exclude: Any = None) -> dict[str, str | bytes]:
    """What a notebook shows for `s`: its text form, and a picture when matplotlib is there.

    The picture is SVG (or PNG when only `image/png` is asked for), over
    [`natural_horizon`][lrsched._display.natural_horizon], with the breakpoints marked and the
    text form as its title. Without matplotlib, or if drawing fails, only the text is given.

    Examples:
        >>> import lrsched as ls
        >>> bundle = ls.step(30, 0.1)._repr_mimebundle_()
        >>> bundle["text/plain"]
        'step(30, 0.1)'
        >>> bundle["image/svg+xml"].startswith("<?xml")
        True

    """
    bundle: dict[str, str | bytes] = {"text/plain": repr(s)}
    wanted = [
        kind
        for kind in ("image/svg+xml", "image/png")
        if (include is None or kind in include) and (exclude is None or kind not in exclude)
    ]
    if not wanted:
        return bundle
    try:
        from matplotlib.figure import Figure  # noqa: PLC0415 (optional extra, loaded on use)
    except ImportError:
        return bundle
    figure = Figure(figsize=(5.6, 2.8), layout="constrained")
    axes = figure.add_subplot()
    try:
        draw(axes, [s], natural_horizon(s), unit="t", log=False, labels=None, breakpoints=True)
    except (ScheduleError, ArithmeticError, ValueError):
        return bundle  # a picture is a bonus; the text form is always right
    axes.set_title(short_label(s), fontsize="medium")
    kind = wanted[0]
    out = io.BytesIO()
    if kind == "image/svg+xml":
        figure.savefig(out, format="svg", metadata={"Date": None})
        bundle[kind] = out.getvalue().decode("utf-8")
    else:
        figure.savefig(out, format="png", dpi=100)
        bundle[kind] = out.getvalue()
    return bundle


def _schedules(schedules: object) -> list[Schedule]:
    from lrsched._core import Schedule  # noqa: PLC0415 (_core imports this module lazily)
    from lrsched._parse import parse  # noqa: PLC0415

    items = [schedules] if isinstance(schedules, Schedule | str) else schedules
    if not isinstance(items, Sequence) or not items:
        msg = f"give a schedule, its text form, or a non-empty list of them (got {items!r:.60})"
        raise ScheduleError(msg)
    result = []
    for i, item in enumerate(items):
        if isinstance(item, str):
            result.append(parse(item))
        elif isinstance(item, Schedule):
            result.append(item)
        else:
            msg = f"schedules[{i}] must be a Schedule or its text form (got {item!r:.60})"
            raise ScheduleError(msg)
    return result


def _labels(items: list[Schedule], labels: Sequence[str] | None) -> list[str]:
    if labels is None:
        return [short_label(s) for s in items]
    if isinstance(labels, str) or len(labels) != len(items):
        count = "a string" if isinstance(labels, str) else len(labels)
        msg = f"give one label per schedule (got {count} for {len(items)})"
        raise ScheduleError(msg)
    return [str(label) for label in labels]


def _breakpoints(s: Schedule, horizon: float) -> tuple[float, ...]:
    """`s.breakpoints(horizon)`, or none when there are too many to draw one by one."""
    try:
        points = s.breakpoints(horizon)
    except (ScheduleError, ArithmeticError):  # too many to list (or to count in a float)
        return ()
    return points if len(points) <= MAX_DROPS else ()


def _nice_ceiling(x: float) -> int:
    """The smallest of 10, 12, 15, 20, 25, 30, 40, 50, 60, 80, 100, 120, ... that is >= `x`."""
    scale = 10.0 ** max(1, math.floor(math.log10(x)))
    for factor in (1, 1.2, 1.5, 2, 2.5, 3, 4, 5, 6, 8, 10):
        if scale * factor >= x:
            return round(scale * factor)
    return round(scale * 10)  # pragma: no cover (the loop ends at 10 * scale >= x)
