"""PyTorch Lightning drives a bound lrsched schedule: the lr it logs and uses is the schedule's.

``configure_optimizers`` returns the binding as an ordinary ``lr_scheduler`` (interval "epoch"
or "step"); ``Trainer.fit`` steps it. LearningRateMonitor's logged lrs, and the lrs each
optimizer step actually used, must equal ``base_lr * s(t)`` exactly, also after resuming from a
Lightning checkpoint.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

lightning = pytest.importorskip("lightning", reason="the [test] extra installs lightning")

import torch  # noqa: E402 (after the import guard)
from lightning.pytorch import Callback, LightningModule, Trainer  # noqa: E402
from lightning.pytorch.callbacks import LearningRateMonitor  # noqa: E402
from lightning.pytorch.loggers import Logger  # noqa: E402
from torch.utils.data import DataLoader, TensorDataset  # noqa: E402

import lrsched as ls  # noqa: E402

BASE_LR = 0.1
BATCHES_PER_EPOCH = 4

# Lightning's own warnings, none about lrsched: advice about dataloader workers for a 16-sample
# in-memory dataset, and Lightning 2.6 using torch.utils._pytree.LeafSpec, deprecated in torch.
pytestmark = pytest.mark.filterwarnings(
    r"ignore:`isinstance\(treespec, LeafSpec\)` is deprecated:FutureWarning",
    "ignore:The '.*dataloader' does not have many workers:UserWarning",
    "ignore:The number of training batches .* is smaller than the logging interval:UserWarning",
)


class MemoryLogger(Logger):
    """A logger that keeps every logged metric in memory: ``rows`` of (step, metrics)."""

    def __init__(self) -> None:
        super().__init__()
        self.rows: list[tuple[int | None, dict[str, float]]] = []

    @property
    def name(self) -> str:
        return "memory"

    @property
    def version(self) -> int:
        return 0

    def log_hyperparams(self, params: Any, *args: Any, **kwargs: Any) -> None:
        pass

    def log_metrics(self, metrics: dict[str, float], step: int | None = None) -> None:
        self.rows.append((step, dict(metrics)))

    def lrs(self) -> list[float]:
        return [metrics["lr-SGD"] for _, metrics in self.rows if "lr-SGD" in metrics]


class UsedLrs(Callback):
    """Records the lr of every optimizer step, read just before the step."""

    def __init__(self) -> None:
        self.lrs: list[float] = []

    def on_before_optimizer_step(
        self, trainer: Trainer, pl_module: LightningModule, optimizer: torch.optim.Optimizer
    ) -> None:
        self.lrs.append(optimizer.param_groups[0]["lr"])


class Tiny(LightningModule):
    def __init__(self, schedule: ls.Schedule, interval: str) -> None:
        super().__init__()
        self.schedule = schedule
        self.interval = interval
        self.layer = torch.nn.Linear(4, 1)

    def training_step(self, batch: tuple[torch.Tensor, torch.Tensor], batch_idx: int) -> Any:
        x, y = batch
        return torch.nn.functional.mse_loss(self.layer(x), y)

    def configure_optimizers(self) -> Any:
        optimizer = torch.optim.SGD(self.parameters(), lr=BASE_LR, momentum=0.9)
        bound = ls.bind(optimizer, self.schedule)
        return {
            "optimizer": optimizer,
            "lr_scheduler": {"scheduler": bound, "interval": self.interval, "frequency": 1},
        }

    def train_dataloader(self) -> DataLoader[tuple[torch.Tensor, ...]]:
        generator = torch.Generator().manual_seed(0)
        x = torch.randn(4 * BATCHES_PER_EPOCH, 4, generator=generator)
        y = torch.randn(4 * BATCHES_PER_EPOCH, 1, generator=generator)
        return DataLoader(TensorDataset(x, y), batch_size=4)


def fit(
    schedule: ls.Schedule, interval: str, epochs: int, ckpt_path: Path | None = None
) -> tuple[MemoryLogger, UsedLrs, Trainer, Tiny]:
    torch.manual_seed(0)
    logger, used = MemoryLogger(), UsedLrs()
    trainer = Trainer(
        accelerator="cpu",
        devices=1,
        max_epochs=epochs,
        logger=logger,
        callbacks=[LearningRateMonitor(), used],
        log_every_n_steps=1,
        enable_checkpointing=False,
        enable_progress_bar=False,
        enable_model_summary=False,
    )
    model = Tiny(schedule, interval)
    trainer.fit(model, ckpt_path=ckpt_path)
    return logger, used, trainer, model


def expected(schedule: ls.Schedule, times: range) -> list[float]:
    return [BASE_LR * schedule(t) for t in times]


def test_epoch_interval_logs_the_schedule_epoch_by_epoch() -> None:
    schedule = ls.warmup(ls.cosine(3), 2, start=0.25)
    logger, used, trainer, _ = fit(schedule, "epoch", epochs=5)
    assert logger.lrs() == expected(schedule, range(5))
    # Every step of epoch e used the lr of epoch e.
    per_step = [lr for lr in expected(schedule, range(5)) for _ in range(BATCHES_PER_EPOCH)]
    assert used.lrs == per_step
    bound = trainer.lr_scheduler_configs[0].scheduler
    assert isinstance(bound, ls.BoundSchedule)
    assert bound.last_epoch == 5


def test_step_interval_logs_the_schedule_step_by_step() -> None:
    schedule = ls.warmup(ls.cosine(8), 4)
    logger, used, trainer, _ = fit(schedule, "step", epochs=3)
    steps = range(3 * BATCHES_PER_EPOCH)
    assert logger.lrs() == expected(schedule, steps)
    assert used.lrs == expected(schedule, steps)
    assert [step for step, metrics in logger.rows if "lr-SGD" in metrics] == list(steps)
    assert trainer.lr_scheduler_configs[0].scheduler.last_epoch == len(steps)


@pytest.mark.parametrize("interval", ["epoch", "step"])
def test_resume_from_a_lightning_checkpoint_continues_the_schedule(
    interval: str, tmp_path: Path
) -> None:
    schedule = ls.warmup(ls.step(4, 0.5), 3, start=0.1)
    _, whole, _, whole_model = fit(schedule, interval, epochs=4)

    _, first, trainer, _ = fit(schedule, interval, epochs=2)
    path = tmp_path / "half.ckpt"
    trainer.save_checkpoint(path)
    checkpoint = torch.load(path, weights_only=True)  # plain data: loads without pickle
    assert checkpoint["lr_schedulers"][0]["schedules"] == [repr(schedule)]

    _, second, _, resumed_model = fit(schedule, interval, epochs=4, ckpt_path=path)
    assert first.lrs + second.lrs == whole.lrs
    for a, b in zip(resumed_model.parameters(), whole_model.parameters(), strict=True):
        assert torch.equal(a, b)


def test_resume_with_another_schedule_is_refused_with_both_expressions(tmp_path: Path) -> None:
    _, _, trainer, _ = fit(ls.cosine(10), "epoch", epochs=1)
    path = tmp_path / "cosine.ckpt"
    trainer.save_checkpoint(path)
    with pytest.raises(ls.ScheduleError, match=r"saved: cosine\(10\)\n  bound: cosine\(20\)"):
        fit(ls.cosine(20), "epoch", epochs=2, ckpt_path=path)
