"""Pictures: `ls.plot`, the exact curve behind every plot, and what a notebook shows."""

from __future__ import annotations

import sys

import numpy as np
import pytest

import lrsched as ls
from lrsched._display import MAX_POINTS, curve, natural_horizon

matplotlib = pytest.importorskip("matplotlib")
matplotlib.use("Agg")
from matplotlib.figure import Figure  # noqa: E402


def axes() -> object:
    return Figure().add_subplot()


def test_curve_drops_vertically_at_the_exact_breakpoints() -> None:
    s = ls.milestones([30, 60.5], 0.1)
    times, values = curve(s, 100)
    for b, before, after in [(30.0, 1.0, 0.1), (60.5, 0.1, 0.01)]:
        (at,) = np.flatnonzero(times == b)[:1]
        assert times[at + 1] == b  # the same time twice: a vertical segment
        assert values[at] == pytest.approx(before, rel=1e-12)
        assert values[at + 1] == pytest.approx(after, rel=1e-12)
    assert np.all(np.diff(times) >= 0)
    # Away from the drops the curve is the schedule itself.
    assert np.array_equal(values[times == 45.0], [s(45.0)])


def test_curve_of_a_long_horizon_keeps_every_drop() -> None:
    s = ls.step(1_000_003, 0.5)
    times, values = curve(s, 50_000_000)
    assert len(times) < 3 * MAX_POINTS
    drops = list(s.breakpoints(50_000_000))
    assert len(drops) == 49
    for b in drops:
        (at,) = np.flatnonzero(times == b)[:1]
        assert values[at] == 2 * values[at + 1]


def test_plot_returns_the_axes_with_one_line_per_schedule_and_labels() -> None:
    ax = ls.plot([ls.step(30, 0.1), "0.1 * cosine(90)"], 90, ax=axes(), unit="step", log=True,
                 labels=["step", "cosine"], breakpoints=True)  # fmt: skip
    assert ax.get_xlabel() == "step"
    assert ax.get_yscale() == "log"
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["step", "cosine"]
    step_line, markers, cosine_line = ax.lines
    assert markers.get_xdata().tolist() == [30.0, 60.0]  # the breakpoints, marked
    assert markers.get_ydata().tolist() == pytest.approx([0.1, 0.01], rel=1e-12)
    xs = step_line.get_xdata().tolist()
    assert xs[29:33] == [29.0, 30.0, 30.0, 31.0]
    assert ax.get_xlim() == (0.0, 89.0)
    assert cosine_line.get_ydata()[0] == pytest.approx(0.1)


def test_plot_chooses_a_horizon_past_the_last_breakpoint() -> None:
    ax = ls.plot(ls.warmup(ls.cosine(95), 5), ax=axes())
    assert ax.get_xlim() == (0.0, 119.0)
    assert natural_horizon(ls.step(1, 0.9)) == 10  # an endless staircase: its first 8 steps
    assert natural_horizon(ls.cosine(10, periodic=True)) == 100  # 4 periods
    assert natural_horizon(ls.milestones(list(range(10, 650, 10)), 0.9)) == 800  # all 64
    assert natural_horizon(ls.constant(1)) == 100


def test_plot_on_the_current_pyplot_axes() -> None:
    from matplotlib import pyplot as plt  # noqa: PLC0415

    plt.close("all")
    ax = ls.plot("cosine(10)", 10)
    assert ax is plt.gca()
    plt.close("all")


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: ls.plot([], 5, ax=axes()), "give a schedule, its text form, or a non-empty list"),
        (lambda: ls.plot([1.0], 5, ax=axes()), "schedules[0] must be a Schedule or its text form"),
        (lambda: ls.plot("cosine(5)", 0, ax=axes()), "horizon must be an integer >= 1 (got 0)"),
        (lambda: ls.plot("cosine(5)", 5.5, ax=axes()), "horizon must be an integer >= 1 (got 5.5)"),
        (lambda: ls.plot("cosine(5)", 5, ax=axes(), unit=""), "unit must be a non-empty string"),
        (lambda: ls.plot("cosine(5)", 5, ax=axes(), labels=["a", "b"]),
         "give one label per schedule (got 2 for 1)"),
        (lambda: ls.plot("-1 * cosine(5)", 5, ax=axes(), log=True),
         "a log scale needs positive values, and -1 * cosine(5) has none"),
        (lambda: ls.plot("cosin(5)", 5, ax=axes()), "unknown function 'cosin'"),
    ],
)  # fmt: skip
def test_plot_errors_name_the_problem(call: object, message: str) -> None:
    with pytest.raises(ls.ScheduleError) as info:
        call()  # type: ignore[operator]
    assert message in str(info.value)


def test_a_notebook_shows_an_svg_with_the_breakpoints_marked() -> None:
    s = 0.1 * ls.warmup(ls.milestones([30, 60], 0.1), 5)
    bundle = s._repr_mimebundle_()
    assert bundle["text/plain"] == repr(s)
    svg = bundle["image/svg+xml"]
    assert isinstance(svg, str)
    assert svg.startswith("<?xml")
    assert "<svg" in svg
    assert svg.count('id="m') >= 1  # the marker symbol of the breakpoints
    assert svg.count('<use xlink:href="#m') >= 3  # one dot per breakpoint: 5, 35, 65
    assert "Date" not in svg


def test_a_notebook_that_asks_only_for_png_gets_png() -> None:
    bundle = ls.cosine(10)._repr_mimebundle_(include=["text/plain", "image/png"])
    assert set(bundle) == {"text/plain", "image/png"}
    assert bundle["image/png"][:8] == b"\x89PNG\r\n\x1a\n"  # type: ignore[index]
    assert ls.cosine(10)._repr_mimebundle_(exclude=["image/svg+xml", "image/png"]) == {
        "text/plain": "cosine(10)"
    }


def test_without_matplotlib_a_notebook_shows_the_text_and_plot_says_what_to_install(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for name in [m for m in sys.modules if m == "matplotlib" or m.startswith("matplotlib.")]:
        monkeypatch.setitem(sys.modules, name, None)  # any import of matplotlib now fails
    assert ls.cosine(10)._repr_mimebundle_() == {"text/plain": "cosine(10)"}
    with pytest.raises(ImportError, match=r"pip install 'lrsched-algebra\[plot\]'"):
        ls.plot("cosine(10)", 10)


def test_a_picture_that_cannot_be_drawn_falls_back_to_the_text(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from lrsched import _display  # noqa: PLC0415

    def fail(*args: object, **kwargs: object) -> None:
        msg = "a log scale needs positive values"
        raise ls.ScheduleError(msg)

    monkeypatch.setattr(_display, "draw", fail)
    assert ls.step(3, 0.5)._repr_mimebundle_() == {"text/plain": "step(3, 0.5)"}
