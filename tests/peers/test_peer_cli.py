"""The command line reads a peer's spelling (``hf:NAME(ARGS)``); bad input is one line."""

from __future__ import annotations

import pytest

import lrsched as ls
from lrsched.cli import main


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
