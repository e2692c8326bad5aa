"""The command line reads a peer's spelling (``hf:NAME(ARGS)``); bad input is one line."""

from __future__ import annotations

import importlib.util

import pytest

import lrsched as ls
from lrsched.cli import main

NEEDS_FVCORE = pytest.mark.skipif(
    importlib.util.find_spec("fvcore") is None, reason="fvcore: builds the scheduler it converts"
)


def test_show_reads_hf_spelling(capsys: pytest.CaptureFixture[str]) -> None:
    text = "hf:cosine(num_warmup_steps=10, num_training_steps=110, num_cycles=0.5)"
    assert main(["show", text, "--steps", "120", "--no-chart"]) == 0
    out = capsys.readouterr().out
    assert out.splitlines()[0] == "warmup(cosine(100, periodic=True), 10)"


def test_convert_writes_the_expression(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["convert", "hf:warmup_stable_decay(10, 100, num_decay_steps=20)"]) == 0
    out = capsys.readouterr().out
    assert ls.from_dict(__import__("json").loads(out)) == ls.from_hf(
        "warmup_stable_decay", 10, 100, num_decay_steps=20
    )


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("hf:linear(100, __import__('os'))", "must be literal"),
        ("hf:cosine(10", "write them as in Python"),
        ("tf:cosine(1)", "unknown peer 'tf'"),
        ("hf:plateau(1)", "transformers has no scheduler 'plateau'"),
        ("hf:reduce_lr_on_plateau", "follows the loss"),
        ("hf:linear(100)", "requires num_training_steps"),
        ("keras:CosineDecay(0.1, 0)", "Keras CosineDecay: decay_steps must be > 0 (got 0)"),
        ("keras:Nope(1)", "Keras has no schedule class 'Nope'"),
        ("keras:CosineDecay(0.1, decay_steps=abs(-1))", "must be literal"),
        (
            "optax:exponential_decay(0.1, 10, -0.5)",
            "optax exponential_decay: decay_rate must be > 0",
        ),
        ("optax:sgdr_schedule([{'decay_steps': 5}] * 2)", "must be literal"),
        ("optax:nope(1)", "optax has no schedule 'nope'"),
        ("optax:linear(1, 0)", "missing a required argument: 'transition_steps'"),
        pytest.param(
            "fvcore:CompositeParamScheduler()",
            "takes schedulers, which a command line cannot",
            marks=NEEDS_FVCORE,
        ),
        pytest.param(
            "fvcore:Cosine(1, 0)", "fvcore has no param scheduler 'Cosine'", marks=NEEDS_FVCORE
        ),
        pytest.param(
            "fvcore:StepParamScheduler(0, [1])",
            "fvcore refuses the arguments: Number of updates",
            marks=NEEDS_FVCORE,
        ),
        pytest.param(
            "fvcore:CosineParamScheduler(1)", "fvcore refuses the arguments", marks=NEEDS_FVCORE
        ),
        pytest.param(
            "fvcore:ExponentialParamScheduler(1, 0)",
            "decay must be > 0, got 0.0",
            marks=NEEDS_FVCORE,
        ),
    ],
)
def test_bad_peer_text_is_one_line(
    text: str, message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["convert", text, "--to", "text"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("lrsched: error: ")
    assert message in err
    assert len(err.strip().splitlines()) == 1
