"""Runs: schedules written over the fraction of training or in epochs, bound to a total.

Torch-free: the conversion (exact), the horizon checks (a schedule in the wrong unit, a total that
does not match the run), the resume plans, and the numbers the CLI reads.
"""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

import lrsched as ls
from lrsched._run import parse_count
from lrsched.cli import main

FRACTION_SCHEDULES = [
    ls.cosine(1),
    ls.linear(1, 0, 1),
    ls.warmup(ls.cosine(0.95), 0.05),
    ls.warmup_stable_decay(0.05, 0.75, 0.2),
]


@given(
    st.integers(1, 10**9),
    st.data(),
    st.sampled_from(FRACTION_SCHEDULES),
)
def test_the_fraction_at_step_k_is_one_exact_division(
    total: int, data: st.DataObject, s: ls.Schedule
) -> None:
    k = data.draw(st.integers(0, total))
    in_steps = ls.run(steps=total).in_steps(s, check=False)
    assert in_steps(k) == s(k / total)
    assert in_steps(total) == s(1.0)  # the end of the schedule is the end of the run


@given(st.integers(1, 10**6), st.integers(1, 10**4), st.data())
def test_epochs_are_read_as_the_binding_reads_them(
    epochs: int, per_epoch: int, data: st.DataObject
) -> None:
    s = ls.warmup(ls.step(3, 0.5), 1)
    run = ls.run(epochs=epochs, steps_per_epoch=per_epoch, unit="epoch")
    assert run.steps == epochs * per_epoch
    k = data.draw(st.integers(0, run.steps))
    assert run.in_steps(s, check=False)(k) == s(k / per_epoch)


def test_changing_the_budget_changes_one_number_and_never_the_expression() -> None:
    s = ls.warmup(ls.cosine(0.95), 0.05)
    short, long = ls.run(steps=10_000), ls.run(steps=250_000)
    assert short.in_steps(s) == ls.stretch(s, 10_000)
    assert long.in_steps(s) == ls.stretch(s, 250_000)
    for run in (short, long):
        plan = run.in_steps(s)
        assert plan(run.steps // 20) == 1.0  # the warmup ends at 5% of every run
        assert plan(run.steps) == 0.0  # and the decay at its end


# -- caught or impossible by construction -------------------------------------------------


def test_a_per_step_schedule_given_an_epoch_count_is_caught() -> None:
    run = ls.run(epochs=90, steps_per_epoch=1000, unit="step")
    with pytest.raises(ls.ScheduleError) as info:
        run.in_steps(ls.one_cycle(90))  # OneCycleLR(total_steps=epochs), stepped per batch
    assert str(info.value) == (
        "one_cycle(90) is written in steps (the run ends at step 90000) but has decayed by step "
        "90, and the run has 90 epochs: is it written in epochs? give that unit "
        "(ls.run(..., unit='epoch'))"
    )
    # Written as the message says, it spans the run:
    plan = ls.run(epochs=90, steps_per_epoch=1000, unit="epoch").in_steps(ls.one_cycle(90))
    assert plan.breakpoints(10**6) == (26_000.0, 89_000.0)


def test_a_per_step_schedule_written_as_epochs_is_caught() -> None:
    run = ls.run(epochs=90, steps_per_epoch=1000, unit="epoch")
    with pytest.raises(ls.ScheduleError, match=r"first breakpoint is at 90000, past the end"):
        run.in_steps(ls.cosine(90_000))
    with pytest.raises(ls.ScheduleError, match=r"ends at epoch 90\) but its first breakpoint"):
        run.in_steps(ls.milestones([30_000, 60_000], 0.1))


def test_a_total_that_does_not_match_the_run_is_caught() -> None:
    # max_steps = 90k but the cosine still sized by epochs * len(loader) = 120k:
    run = ls.run(steps=90_000, unit="step")
    with pytest.raises(ls.ScheduleError) as info:
        run.in_steps(ls.warmup(ls.cosine(119_000), 1000))
    assert "(the run ends at step 90000)" in str(info.value)
    assert "a piece of it runs past the end, to 120000: it is sized for a longer run" in str(
        info.value
    )
    assert "write it over the fraction" in str(info.value)


def test_a_schedule_in_steps_bound_as_a_fraction_is_caught() -> None:
    with pytest.raises(
        ls.ScheduleError, match=r"the run ends at 1\) but its first breakpoint is at 1000"
    ):
        ls.run(steps=1000).in_steps(ls.cosine(1000))
    with pytest.raises(
        ls.ScheduleError, match=r"has decayed by epoch 1: is it written over the fraction"
    ):
        ls.run(epochs=90, steps_per_epoch=10, unit="epoch").in_steps(ls.cosine(1))


@pytest.mark.parametrize(
    ("s", "run"),
    [
        # a step decay whose next drop falls after the end (ResNet's 30-60-90 in 100 epochs)
        (ls.step(30, 0.1), ls.run(epochs=100, steps_per_epoch=10, unit="epoch")),
        (ls.milestones([30, 60, 80], 0.1), ls.run(epochs=90, steps_per_epoch=10, unit="epoch")),
        (ls.warmup(ls.constant(1), 500), ls.run(epochs=90, steps_per_epoch=100, unit="step")),
        (ls.inverse_sqrt(1000), ls.run(steps=10**6, unit="step")),
        (ls.step(0.3, 0.5), ls.run(steps=1000)),
        (ls.cosine(90), ls.run(epochs=90, steps_per_epoch=10, unit="epoch")),
    ],
)
def test_schedules_that_fit_the_run_are_accepted(s: ls.Schedule, run: ls.Run) -> None:
    plan = run.in_steps(s)
    assert plan(0) == s(0)
    assert plan(run.steps) == s(run.horizon)


def test_the_check_can_be_turned_off() -> None:
    run = ls.run(steps=1000, unit="step")
    assert run.in_steps(ls.cosine(2000), check=False) == ls.cosine(2000)


# -- the Run value ------------------------------------------------------------------------


def test_run_is_an_immutable_value() -> None:
    run = ls.run(epochs="90", steps_per_epoch="1_251", unit="epoch")
    assert run == ls.Run(112_590, 1251, "epoch")
    assert hash(run) == hash(ls.Run(112_590, 1251, "epoch"))
    assert run.epochs == 90.0
    with pytest.raises(AttributeError):
        run.steps = 5  # type: ignore[misc]


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({}, "give the run's length: ls.run(steps=N) or ls.run(epochs=E, steps_per_epoch=k)"),
        ({"epochs": 90}, "epochs needs steps_per_epoch"),
        (
            {"steps": 100, "epochs": 9, "steps_per_epoch": 10},
            "steps=100 does not match epochs=9 * steps_per_epoch=10 = 90: give one of them",
        ),
        (
            {"steps": 0},
            "steps must be a whole number >= 1 such as 100000, 100_000, 1e5 or 100k (got 0)",
        ),
        ({"steps": 1.5}, "steps must be a whole number >= 1"),
        ({"steps": "1e20"}, "steps must be a whole number up to 2**53"),
        ({"steps": 10, "unit": "epochs"}, "unit must be one of 'fraction', 'epoch', 'step'"),
        ({"steps": 10, "unit": "epoch"}, "unit='epoch' needs steps_per_epoch"),
    ],
)
def test_run_refuses_bad_lengths(kwargs: dict[str, object], message: str) -> None:
    with pytest.raises(ls.ScheduleError) as info:
        ls.run(**kwargs)  # type: ignore[arg-type]
    assert message in str(info.value)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ((0,), "steps must be an int from 1 to 2**53 (got 0)"),
        ((10, 0), "steps_per_epoch must be an int from 1 to 2**53 (got 0)"),
        ((10.0,), "steps must be an int from 1 to 2**53 (got 10.0)"),
        ((10, None, "steps"), "unit must be one of 'fraction', 'epoch', 'step' (got 'steps')"),
        ((10, None, "epoch"), "unit='epoch' needs steps_per_epoch"),
    ],
)
def test_a_run_built_directly_is_checked_too(args: tuple[object, ...], message: str) -> None:
    with pytest.raises(ls.ScheduleError) as info:
        ls.Run(*args)  # type: ignore[arg-type]
    assert str(info.value).startswith(message)


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("100000", 100_000),
        ("100_000", 100_000),
        ("1e5", 100_000),
        ("1E5", 100_000),
        ("100k", 100_000),
        ("1.5k", 1500),
        ("2.5e4", 25_000),
        ("3M", 3_000_000),
        ("1B", 10**9),
        (" 42 ", 42),
        (7, 7),
        (1e5, 100_000),
    ],
)
def test_counts_are_read_exactly(text: object, value: int) -> None:
    assert parse_count("steps", text) == value


@pytest.mark.parametrize(
    "text",
    ["", "ten", "1e", "1_", "_1", "1__0", "1.5", "1e-3", "-5", "0", "k", "1kk", "nan", "inf", True],
)
def test_garbage_counts_are_refused(text: object) -> None:
    with pytest.raises(ls.ScheduleError, match=r"^steps must be a whole number"):
        parse_count("steps", text)


# -- resume plans -----------------------------------------------------------------------------


S = ls.warmup(ls.cosine(0.95), 0.05)


def test_resume_with_a_longer_budget_continues_without_a_jump() -> None:
    old, new = ls.run(steps=1000), ls.run(steps=1500)
    plan, step = new.resume(S, old=old, step=600)
    assert step == 600
    before = old.in_steps(S)
    assert all(plan(k) == before(k) for k in range(601))  # the steps done are the same
    assert plan(1500) == S(1.0)  # and the schedule ends at the new end
    assert plan(1499) > plan(1500)


def test_resume_with_a_stretched_plan_is_the_new_plan() -> None:
    old, new = ls.run(steps=1000), ls.run(steps=1500)
    plan, step = new.resume(S, old=old, step=600, keep="stretch")
    assert (plan, step) == (new.in_steps(S), 600)
    epochs = ls.run(epochs=10, steps_per_epoch=100, unit="epoch")
    longer = ls.run(epochs=15, steps_per_epoch=100, unit="epoch")
    plan, _ = longer.resume(ls.cosine(10), old=epochs, step=600, keep="stretch")
    assert plan == ls.stretch(ls.cosine(10), 150)


def test_resume_past_the_new_end_is_refused() -> None:
    with pytest.raises(
        ls.ScheduleError, match=r"at step 600, at or past the new end \(500 steps\)"
    ):
        ls.run(steps=500).resume(S, old=ls.run(steps=1000), step=600)


def test_resume_with_another_batch_size_keeps_the_epoch() -> None:
    old = ls.run(epochs=10, steps_per_epoch=100)
    new = ls.run(epochs=10, steps_per_epoch=200)  # half the batch size
    plan, step = new.resume(S, old=old, step=600)
    assert (plan, step) == (new.in_steps(S), 1200)
    assert plan(1200) == old.in_steps(S)(600)
    with pytest.raises(ls.ScheduleError, match=r"not a whole step: resume at an epoch boundary"):
        ls.run(epochs=10, steps_per_epoch=30).step_of(7, ls.run(epochs=10, steps_per_epoch=100))
    in_steps = ls.run(epochs=10, steps_per_epoch=100, unit="step")
    with pytest.raises(ls.ScheduleError, match=r"written in steps cannot follow a change"):
        ls.run(epochs=10, steps_per_epoch=50, unit="step").resume(
            ls.cosine(1000), old=in_steps, step=600
        )


# -- the command line -------------------------------------------------------------------------


def test_cli_shows_a_fraction_schedule_over_the_steps_of_a_run(
    capsys: pytest.CaptureFixture[str],
) -> None:
    argv = ["show", "warmup(cosine(0.95), 0.05)", "--every", "25k", "--no-chart"]
    assert main([*argv, "--total", "100k"]) == 0
    out = capsys.readouterr().out
    assert out.splitlines()[:3] == [
        "stretch(warmup(cosine(0.95), 0.05), 100000)",
        " step  value",
        "    0  0",
    ]
    assert out.splitlines()[-1] == "min 0, max 1 over steps 0-99999; breakpoints: 5000"
    assert (
        main(
            [
                *argv,
                "--total",
                "1e5",
                "--steps-per-epoch",
                "1_000",
                "--unit",
                "epoch",
                "--every",
                "50",
            ]
        )
        == 0
    )
    out = capsys.readouterr().out
    assert out.splitlines()[-1] == "min 0, max 1 over epochs 0-99; breakpoints: 5"


def test_cli_shows_an_epoch_schedule_over_steps(capsys: pytest.CaptureFixture[str]) -> None:
    argv = ["show", "step(30, 0.1)", "--epochs", "90", "--steps-per-epoch", "100", "--unit", "step"]
    assert main([*argv, "--no-chart"]) == 0
    assert capsys.readouterr().out.splitlines()[-1] == (
        "min 0.01, max 1 over steps 0-8999; breakpoints: 3000, 6000"
    )


def test_cli_refuses_a_schedule_that_does_not_fit_the_run(
    capsys: pytest.CaptureFixture[str],
) -> None:
    argv = [
        "show",
        "one_cycle(90)",
        "--epochs",
        "90",
        "--steps-per-epoch",
        "1000",
        "--over",
        "step",
    ]
    assert main(argv) == 1
    err = capsys.readouterr().err
    assert err.startswith(
        "lrsched: error: one_cycle(90) is written in steps (the run ends at step 90000)"
    )
    assert err.endswith("(here: --over {fraction,epoch,step})\n")


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (
            ["--epochs", "abc"],
            (
                "argument --epochs: must be a positive integer (got 'abc'); write it as 100000, "
                "100_000, 1e5 or 100k"
            ),
        ),
        (
            ["--total", "1e-3"],
            "argument --total: must be a positive integer up to 2**53 (got 1e-3)",
        ),
        (["--total", "2.5"], "argument --total: must be a positive integer up to 2**53 (got 2.5)"),
        (
            ["--steps-per-epoch", "x", "--total", "9"],
            "argument --steps-per-epoch: must be a positive integer",
        ),
        (["--total", "9", "--steps", "9"], "not allowed with argument"),
    ],
)
def test_cli_refuses_garbage_numbers_without_a_traceback(
    capsys: pytest.CaptureFixture[str], argv: list[str], message: str
) -> None:
    with pytest.raises(SystemExit) as info:
        main(["show", "cosine(1)", *argv])
    assert info.value.code == 2
    err = capsys.readouterr().err
    assert message in err
    assert "Traceback" not in err


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--epochs", "9", "--over", "step"], "--over says what EXPR's time counts in a run"),
        (["--steps", "9", "--steps-per-epoch", "3"], "--steps-per-epoch needs the run's length"),
        (
            ["--total", "10", "--steps-per-epoch", "3", "--unit", "epoch"],
            "--unit epoch needs a whole number of epochs: 10 steps of 3 per epoch",
        ),
    ],
)
def test_cli_run_options_that_do_not_go_together(
    capsys: pytest.CaptureFixture[str], argv: list[str], message: str
) -> None:
    assert main(["show", "cosine(1)", *argv]) == 1
    assert message in capsys.readouterr().err


@pytest.mark.parametrize("text", ["1e5", "100_000", "100k", "0.1M"])
def test_cli_reads_epochs_written_in_every_form(
    capsys: pytest.CaptureFixture[str], text: str
) -> None:
    assert main(["show", "cosine(100000)", "--epochs", "100000", "--no-chart"]) == 0
    plain = capsys.readouterr().out
    assert "over epochs 0-99999" in plain
    assert main(["show", "cosine(100000)", "--epochs", text, "--no-chart"]) == 0
    assert capsys.readouterr().out == plain
