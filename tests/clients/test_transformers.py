"""The Hugging Face Trainer recipe of docs/recipes.md, against the real Trainer.

A bound schedule passed as `optimizers=(optimizer, bound)` is stepped once per optimizer step;
the lr Trainer logs at step `k` is the one that step used, `base_lr * s(k - 1)`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

transformers = pytest.importorskip("transformers", reason="the [clients] extra installs it")

import torch  # noqa: E402 (after the import guard)
from transformers import Trainer, TrainingArguments  # noqa: E402

import lrsched as ls  # noqa: E402

BASE_LR = 0.1
STEPS = 12


class Regression(torch.nn.Module):
    """A model as Trainer wants it: keyword inputs in, a dict with the loss out."""

    def __init__(self) -> None:
        super().__init__()
        self.linear = torch.nn.Linear(4, 1)

    def forward(self, x: torch.Tensor, labels: torch.Tensor) -> dict[str, torch.Tensor]:
        return {"loss": torch.nn.functional.mse_loss(self.linear(x), labels)}


def test_trainer_logs_the_schedule_step_by_step(tmp_path: Path) -> None:
    generator = torch.Generator().manual_seed(0)
    data: list[dict[str, Any]] = [
        {"x": torch.randn(4, generator=generator), "labels": torch.randn(1, generator=generator)}
        for _ in range(4 * STEPS)
    ]
    model = Regression()
    optimizer = torch.optim.SGD(model.parameters(), lr=BASE_LR)
    schedule = ls.warmup(ls.cosine(STEPS - 3), 3)  # per step, as HF's schedules are
    bound = ls.bind(optimizer, schedule)
    arguments = TrainingArguments(
        output_dir=str(tmp_path),
        per_device_train_batch_size=4,
        max_steps=STEPS,
        logging_steps=1,
        report_to=[],
        save_strategy="no",
        use_cpu=True,
        disable_tqdm=True,
        dataloader_num_workers=0,
    )
    trainer = Trainer(
        model=model, args=arguments, train_dataset=data, optimizers=(optimizer, bound)
    )
    trainer.train()
    logged = [(e["step"], e["learning_rate"]) for e in trainer.state.log_history if "loss" in e]
    assert [step for step, _ in logged] == list(range(1, STEPS + 1))
    for step, lr in logged:
        assert lr == pytest.approx(BASE_LR * schedule(step - 1), rel=1e-12, abs=1e-15), step
    assert bound.time == STEPS
