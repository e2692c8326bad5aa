"""The ``lrsched`` command, run in-process (and once as ``python -m lrsched``)."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from importlib import metadata
from pathlib import Path

import pytest

import lrsched as ls
from lrsched.cli import main

EXPR = "0.1 * warmup(cosine(95), 5)"


def run(capsys: pytest.CaptureFixture[str], *argv: str, status: int = 0) -> tuple[str, str]:
    assert main(list(argv)) == status
    out, err = capsys.readouterr()
    return out, err


def test_show_prints_the_expression_a_table_a_chart_and_a_summary(
    capsys: pytest.CaptureFixture[str],
) -> None:
    out, err = run(capsys, "show", EXPR, "--epochs", "100", "--every", "25", "--height", "5")
    assert err == ""
    lines = out.splitlines()
    assert lines[:8] == [
        "0.1 * warmup(cosine(95), 5)",
        "epoch  value",
        "    0  0",
        "    5  0.1          breakpoint",  # the end of the warmup has a row of its own
        "   25  0.089457",
        "   50  0.054129",
        "   75  0.0161359",
        "   99  2.73371e-05",
    ]
    chart = lines[8:15]
    assert [row[:6] for row in chart[:5]] == [" 0.1 +", "     |", "0.05 +", "     |", "   0 +"]
    assert max(len(row) for row in chart[:5]) == len(" 0.1 +") + 64
    # ticks on the x axis at round epochs, each under its label, and the unit
    assert chart[5] == "     +-------------+-----------+------------+------------+-----------+"
    assert chart[6].split() == ["0", "20", "40", "60", "80", "99", "epoch"]
    for tick in (i for i, c in enumerate(chart[5]) if c == "+" and i > 5):
        assert chart[6][tick] != " "
    assert lines[-1] == "min 0, max 0.1 over epochs 0-99; breakpoints: 5"


def test_show_chart_draws_drops_and_the_log_scale(capsys: pytest.CaptureFixture[str]) -> None:
    out, _ = run(capsys, "show", "step(30, 0.1)", "--epochs", "90", "--log", "--width", "9")
    rows = [
        line.split("|", 1)[1] if "|" in line else line.split("+", 1)[1]
        for line in out.splitlines()
        if line[:5].strip(" 0.1") == "" and line[5:6] in "|+" and "-" not in line
    ]
    assert len(rows) == 12
    assert rows[0] == "****"
    assert rows[5] == "   ****"  # 0.1 is halfway between 1 and 0.01 on a log scale
    assert rows[-1] == "      ***"
    assert all("*" in row for row in rows)  # each drop is drawn as a vertical line
    assert "   1 +****" in out
    assert " 0.1 +   ****" in out  # a power of ten is labelled on the row where it is drawn
    assert "0.01 +      ***" in out
    assert "   30  0.1    breakpoint" in out


def test_show_gives_each_breakpoint_a_row_up_to_a_limit(capsys: pytest.CaptureFixture[str]) -> None:
    out, _ = run(capsys, "show", "concat([constant(1), constant(0.5)], [2.5])", "--epochs", "6",
                 "--every", "5", "--no-chart")  # fmt: skip
    assert out.splitlines()[1:5] == [
        "epoch  value",
        "    0  1",
        "  2.5  0.5    breakpoint",
        "    5  0.5",
    ]
    out, _ = run(capsys, "show", "step(1, 0.9)", "--epochs", "100", "--every", "50", "--no-chart")
    assert "breakpoint\n" not in out  # 99 breakpoints: the summary counts them instead
    assert out.splitlines()[-1].endswith("... (99 in all)")


def test_show_labels_the_unit(capsys: pytest.CaptureFixture[str]) -> None:
    out, _ = run(capsys, "show", "cosine(40)", "--steps", "40", "--every", "20", "--height", "3")
    lines = out.splitlines()
    assert lines[1] == "step  value"
    assert lines[-2].split()[-1] == "step"
    assert lines[-1] == "min 0.00154133, max 1 over steps 0-39"
    out, _ = run(capsys, "show", "cosine(40)", "--epochs", "40", "--unit", "step", "--no-chart")
    assert out.splitlines()[1] == "step  value"


def test_show_default_step_gives_about_twenty_rows(capsys: pytest.CaptureFixture[str]) -> None:
    out, _ = run(capsys, "show", "cosine(1000)", "--epochs", "1000", "--no-chart")
    epochs = [int(line.split()[0]) for line in out.splitlines()[2:-1]]
    assert epochs[:3] == [0, 50, 100]
    assert epochs[-1] == 999
    assert len(epochs) == 21


def test_show_handles_huge_horizons_exactly(capsys: pytest.CaptureFixture[str]) -> None:
    s = "warmup(step(1, 0.999999), 1000)"
    out, _ = run(capsys, "show", s, "--epochs", "1_000_000_000_000", "--every", "100_000_000_000")
    assert out.splitlines()[-1] == (
        "min 0, max 1 over epochs 0-999999999999; breakpoints: too many to list"
    )


def test_show_reads_json_and_standard_input(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    as_json = json.dumps(ls.to_dict(ls.parse(EXPR)))
    out, _ = run(capsys, "show", as_json, "--epochs", "10", "--no-chart")
    assert out.splitlines()[0] == EXPR
    monkeypatch.setattr(sys, "stdin", io.StringIO(EXPR + "\n"))
    out, _ = run(capsys, "show", "-", "--epochs", "10", "--no-chart")
    assert out.splitlines()[0] == EXPR


@pytest.mark.parametrize("command", ["show", "describe", "plot", "convert"])
def test_bad_expressions_exit_1_with_the_message_and_caret(
    capsys: pytest.CaptureFixture[str], command: str, tmp_path: Path
) -> None:
    extra = {
        "show": ["--epochs", "10"],
        "plot": ["--epochs", "10", "-o", str(tmp_path / "x.png")],
    }.get(command, [])
    out, err = run(capsys, command, "0.1 * warmup(cosin(95), 5)", *extra, status=1)
    assert out == ""
    assert err == (
        "lrsched: error: unknown function 'cosin'; did you mean 'cosine'? (column 14)\n"
        "  0.1 * warmup(cosin(95), 5)\n"
        "               ^~~~~\n"
    )


def test_bad_json_exits_1_with_the_path(capsys: pytest.CaptureFixture[str]) -> None:
    _, err = run(capsys, "show", '{"type": "cosine", "duration": 0}', "--epochs", "5", status=1)
    assert err == "lrsched: error: duration: duration must be > 0 (got 0)\n"
    _, err = run(capsys, "convert", '{"type": ', status=1)
    assert err.startswith("lrsched: error: invalid JSON: Expecting value: line 1 column 10")


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["show", EXPR], "one of the arguments --epochs --steps --total is required"),
        (["show", EXPR, "--epochs", "0"], "must be a positive integer up to 2**53 (got 0)"),
        (["show", EXPR, "--epochs", "ten"], "must be a positive integer (got 'ten')"),
        (["plot", EXPR, "--epochs", "5"], "the following arguments are required: -o/--output"),
        (["frobnicate"], "invalid choice: 'frobnicate'"),
        (
            ["shwo", EXPR],
            (
                "invalid choice: 'shwo' (choose from 'show', 'plot', 'describe', "
                "'convert'); did you mean 'show'?"
            ),
        ),
        (["show", EXPR, "--epcohs", "5"], "(did you mean --epochs instead of --epcohs?)"),
        (
            ["show", EXPR, "--epochs", "5", "--widht", "9"],
            "did you mean --width instead of --widht",
        ),
        (["show", EXPR, "--epochs", "5", "--unit", "steps"], "did you mean 'step'?"),
        (["plot", EXPR, "--epochs", "5", "-o", "x.png", "--size", "7"], "must be WIDTHxHEIGHT"),
    ],
)
def test_usage_errors_exit_2(
    capsys: pytest.CaptureFixture[str], argv: list[str], message: str
) -> None:
    with pytest.raises(SystemExit) as info:
        main(argv)
    assert info.value.code == 2
    assert message in capsys.readouterr().err


def test_show_refuses_a_table_too_long(capsys: pytest.CaptureFixture[str]) -> None:
    _, err = run(capsys, "show", EXPR, "--epochs", "1000000", "--every", "1", status=1)
    assert err == "lrsched: error: --every 1 gives more than 100000 rows for 1000000 epochs\n"


def test_describe(capsys: pytest.CaptureFixture[str]) -> None:
    out, _ = run(capsys, "describe", EXPR, "--epochs", "200")
    assert out == (
        "0.1 * ...         [0, inf)\n"
        "  warmup(..., 5)  [0, inf)  linear ramp on [0, 5)\n"
        "    cosine(95)    [5, inf)  own clock from t = 5\n"
        "min 0, max 0.1 over epochs 0-199; breakpoints: 5, 100\n"
    )


def test_convert_between_text_and_json(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    out, _ = run(capsys, "convert", EXPR)
    assert json.loads(out) == ls.to_dict(ls.parse(EXPR))
    assert out.startswith('{\n  "format": "lrsched",\n')
    back, _ = run(capsys, "convert", out)
    assert back == EXPR + "\n"
    monkeypatch.setattr(sys, "stdin", io.StringIO(out))
    back, _ = run(capsys, "convert", "-")
    assert back == EXPR + "\n"
    same, _ = run(capsys, "convert", "warmup( cosine( 95 ),5 )*0.1", "--to", "text")
    assert same == EXPR + "\n"
    compact, _ = run(capsys, "convert", EXPR, "--indent", "0")
    assert compact == json.dumps(ls.to_dict(ls.parse(EXPR))) + "\n"


def test_convert_of_an_opaque_schedule_is_refused(capsys: pytest.CaptureFixture[str]) -> None:
    _, err = run(capsys, "convert", "multiplicative(cosine(5))", status=1)
    # The repr of the wrapped callable is the algebra's to choose; the refusal is the CLI's.
    assert err.startswith("lrsched: error: cannot write multiplicative(")
    assert "as data: it wraps a Python callable" in err


PNG = b"\x89PNG\r\n\x1a\n"


def test_plot_writes_an_image_with_one_line_per_expression(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    target = tmp_path / "schedules.png"
    out, _ = run(
        capsys, "plot", EXPR, "0.1 * cosine(100)", "--epochs", "100", "-o", str(target),
        "--title", "two", "--log",
    )  # fmt: skip
    assert out == f"wrote {target} (PNG, 840x432 pixels)\n"
    data = target.read_bytes()
    assert data.startswith(PNG)
    width, height = int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")
    assert (width, height) == (840, 432)


def test_plot_samples_long_horizons(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    target = tmp_path / "long.svg"
    run(capsys, "plot", "step(1000000, 0.5)", "--epochs", "100000000", "-o", str(target))
    text = target.read_text()
    assert text.startswith("<?xml")
    assert "step(1000000, 0.5)" in text  # the legend


def test_plot_errors(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    png = str(tmp_path / "x.png")
    _, err = run(
        capsys, "plot", EXPR, "--epochs", "9", "-o", png, "--label", "a", "--label", "b", status=1
    )
    assert err == "lrsched: error: give one --label per EXPR (got 2 for 1)\n"
    _, err = run(capsys, "plot", "-1 * cosine(5)", "--epochs", "9", "-o", png, "--log", status=1)
    assert err == "lrsched: error: a log scale needs positive values, and -1 * cosine(5) has none\n"
    missing = str(tmp_path / "no" / "such" / "dir" / "x.png")
    _, err = run(capsys, "plot", EXPR, "--epochs", "9", "-o", missing, status=1)
    assert err.startswith(f"lrsched: error: cannot write {missing}: ")


def test_plot_size_dpi_unit_markers_and_a_short_legend(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "small.png"
    out, _ = run(capsys, "plot", "step(3, 0.5)", "--steps", "10", "--breakpoints",
                 "--size", "4x2.5", "--dpi", "50", "-o", str(target))  # fmt: skip
    assert out == f"wrote {target} (PNG, 200x125 pixels)\n"
    data = target.read_bytes()
    assert (int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")) == (200, 125)
    # The legend is the schedule's short text form, not the raw input ("-" or a JSON document).
    svg = tmp_path / "legend.svg"
    document = json.dumps(ls.to_dict(ls.parse(EXPR)))
    monkeypatch.setattr(sys, "stdin", io.StringIO(document))
    run(capsys, "plot", "-", "--epochs", "100", "-o", str(svg))
    text = svg.read_text()
    assert f"<!-- {EXPR} -->" in text
    assert "<!-- - -->" not in text
    assert "<!-- epoch -->" in text
    run(capsys, "plot", EXPR, "--steps", "100", "-o", str(svg))
    assert "<!-- step -->" in svg.read_text()


@pytest.mark.parametrize("output", ["noext", "/dev/full", "lr.jpeg", "plot.png/"])
def test_plot_refuses_a_file_name_that_does_not_say_the_image_type(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch, output: str
) -> None:
    monkeypatch.chdir(tmp_path)
    out, err = run(capsys, "plot", EXPR, "--epochs", "9", "-o", output, status=1)
    assert out == ""
    assert err.startswith(f"lrsched: error: -o {output}: the file name must end in .png, .svg")
    assert list(tmp_path.iterdir()) == []
    assert not Path(output + ".png").exists()


def test_plot_reports_a_failed_write_and_leaves_no_file(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    folder = tmp_path / "a.png"
    folder.mkdir()
    _, err = run(capsys, "plot", EXPR, "--epochs", "9", "-o", str(folder), status=1)
    assert err == f"lrsched: error: cannot write {folder}: Is a directory\n"
    if Path("/dev/full").exists():  # a device that fails every write with "No space left"
        link = tmp_path / "full.png"
        link.symlink_to("/dev/full")
        _, err = run(capsys, "plot", EXPR, "--epochs", "9", "-o", str(link), status=1)
        assert err == f"lrsched: error: cannot write {link}: No space left on device\n"
    big = str(tmp_path / "big.png")
    _, err = run(capsys, "plot", EXPR, "--epochs", "9", "-o", big, "--size", "80x50", status=1)
    assert err == "lrsched: error: --size 80x50 at --dpi 120 is over 8000 pixels a side\n"
    assert not Path(big).exists()


def test_plot_without_matplotlib_says_what_to_install(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    monkeypatch.setitem(sys.modules, "matplotlib.figure", None)
    _, err = run(capsys, "plot", EXPR, "--epochs", "9", "-o", str(tmp_path / "x.png"), status=1)
    assert err == (
        "lrsched: error: lrsched plot: plotting needs matplotlib, which is not installed: "
        "pip install 'lrsched-algebra[plot]'\n"
    )


def test_python_dash_m_lrsched_runs_without_importing_torch() -> None:
    result = subprocess.run(  # noqa: S603 (this interpreter, fixed arguments)
        [sys.executable, "-X", "importtime", "-m", "lrsched", "show", EXPR, "--epochs", "20"],
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[0] == EXPR
    imported = {line.rsplit("|", 1)[-1].strip() for line in result.stderr.splitlines()}
    assert "lrsched.cli" in imported
    assert not {name for name in imported if name.split(".")[0] == "torch"}


def test_bad_expression_from_python_dash_m_has_no_traceback() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "lrsched", "show", "cosine(95).__class__", "--epochs", "5"],
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    assert result.returncode == 1
    assert result.stdout == ""
    assert "Traceback" not in result.stderr
    assert result.stderr.startswith("lrsched: error: attribute access is not allowed (column 1)")


def test_console_script_is_declared() -> None:
    (script,) = metadata.entry_points(group="console_scripts", name="lrsched")
    assert script.value == "lrsched.cli:main"
    assert script.load() is main


BIG = "1" * 5000
NESTED = '{"s":' * 100_000 + "1" + "}" * 100_000  # JSON nested 1e5 deep
# Each case of issue 14 that once printed a traceback or took too long or too much memory, with
# its standard input, its exit status and the start of what it must print instead.
HOSTILE = [
    (["describe", "step(5e-324, 0.5)", "--epochs", "10"], "", 0,
     "step(5e-324, 0.5)  [0, inf)\nmin 0, max 1 over epochs 0-9; breakpoints: too many to list"),
    (["show", "cosine(5e-324, periodic=True)", "--epochs", "10", "--no-chart"], "", 0,
     "cosine(5e-324, periodic=True)\nepoch  value\n    0  1\n"),
    (["show", "-", "--epochs", "5"], NESTED, 1, "lrsched: error: invalid JSON: nested deeper"),
    (["show", "-", "--epochs", "5"], "[" * 100_000, 1, "lrsched: error: text is too long"),
    (["show", BIG, "--epochs", "5"], "", 1, "lrsched: error: number literal is too long"),
    (["show", '{"type": "constant", "value": ' + BIG + "}", "--epochs", "5"], "", 1,
     "lrsched: error: invalid JSON: a number of 5000 characters (at most 100)"),
    (["show", "cosine(5)", "--epochs", BIG], "", 2, "usage: lrsched show"),
    (["show", "cosine(5)", "--epochs", "5", "--width", "1000000000"], "", 2, "usage:"),
    (["convert", "cosine(5)", "--indent", "1000000000"], "", 2, "usage:"),
    (["show", "cosine(5)", "--epochs", "5", "--height", "100000000"], "", 2, "usage:"),
    (["show", "cosine(1, periodic=True) * cosine(1.01, periodic=True)", "--epochs", "9999"], "",
     0, "cosine(1, periodic=True) * cosine(1.01, periodic=True)\nepoch  value\n"),
    (["show", "", "--epochs", "5"], "", 1, "lrsched: error: the expression is empty: give"),
    (["show", "-", "--epochs", "5"], "", 1, "lrsched: error: standard input is empty"),
    (["show", '{"type": "constant", "value": NaN}', "--epochs", "5"], "", 1,
     "lrsched: error: invalid JSON: NaN is not a number here"),
    (["plot", EXPR, "--epochs", "5", "-o", "/dev/full"], "", 1,
     "lrsched: error: -o /dev/full: the file name must end in .png, .svg or .pdf"),
    (["plot", "cosine(5e-324, periodic=True)", "--epochs", "10", "-o", "tiny.png"], "", 0,
     "wrote tiny.png (PNG, 840x432 pixels)\n"),
    (["--version"], "", 0, "lrsched 0.1.0 (distribution lrsched-algebra)\n"),
]  # fmt: skip


# preexec_fn makes subprocess fork; once a peer test has imported jax, jax's at-fork hook warns
# that forking a multithreaded process may deadlock (the child only execs lrsched: it cannot).
@pytest.mark.filterwarnings("ignore:os.fork\\(\\) was called:RuntimeWarning")
def test_no_argument_gets_a_traceback_or_unbounded_time_or_memory(tmp_path: Path) -> None:
    import resource  # noqa: PLC0415 (POSIX only, like the limits it sets)

    def limit_memory() -> None:  # 2 GiB of address space: a 7 GiB allocation would fail loudly
        resource.setrlimit(resource.RLIMIT_AS, (2 << 30, 2 << 30))

    for argv, stdin, status, start in HOSTILE:
        result = subprocess.run(  # noqa: S603 (this interpreter, fixed arguments)
            [sys.executable, "-m", "lrsched", *argv],
            input=stdin, capture_output=True, text=True, check=False, timeout=60,
            cwd=tmp_path, preexec_fn=limit_memory,
        )  # fmt: skip
        shown = argv[0] if len(" ".join(argv)) > 100 else " ".join(argv)
        assert result.returncode == status, (shown, result.stderr[-500:])
        assert "Traceback" not in result.stderr, shown
        printed = result.stdout if status == 0 else result.stderr
        assert printed.startswith(start) or (status == 2 and start in printed), (
            shown,
            printed[:300],
        )
        assert len(result.stderr) < 2000, shown  # one message, not an echo of a huge argument
