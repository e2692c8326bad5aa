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


# -- plateaus: both ways Lightning configures a monitored scheduler (issue 12, Why 1) -----------

VAL_LOSSES = [1.0, 0.8, 0.8, 0.8, 0.8, 0.8, 0.5, 0.5, 0.5, 0.5]


class Monitored(Tiny):
    """Logs a fixed val_loss per epoch; its scheduler is stepped with it."""

    def __init__(self, make: Any, config: dict[str, Any]) -> None:
        super().__init__(ls.constant(1), "epoch")
        self.make, self.config = make, config

    def validation_step(self, batch: tuple[torch.Tensor, torch.Tensor], batch_idx: int) -> None:
        self.log("val_loss", VAL_LOSSES[self.current_epoch])

    def val_dataloader(self) -> DataLoader[tuple[torch.Tensor, ...]]:
        return self.train_dataloader()

    def configure_optimizers(self) -> Any:
        optimizer = torch.optim.SGD(self.parameters(), lr=BASE_LR, momentum=0.9)
        scheduler = {"scheduler": self.make(optimizer), **self.config}
        return {"optimizer": optimizer, "lr_scheduler": scheduler}


def fit_monitored(make: Any, config: dict[str, Any]) -> list[float]:
    torch.manual_seed(0)
    used = UsedLrs()
    trainer = Trainer(
        accelerator="cpu",
        devices=1,
        max_epochs=len(VAL_LOSSES),
        logger=False,
        callbacks=[used],
        enable_checkpointing=False,
        enable_progress_bar=False,
        enable_model_summary=False,
    )
    trainer.fit(Monitored(make, config))
    return used.lrs[::BATCHES_PER_EPOCH]  # the lr of each epoch


@pytest.mark.parametrize(
    "config",
    [{"monitor": "val_loss", "reduce_on_plateau": True}, {"monitor": "val_loss"}],
    ids=["reduce_on_plateau", "monitor only"],
)
def test_a_bound_plateau_drops_like_reduce_lr_on_plateau_in_both_configurations(
    config: dict[str, Any],
) -> None:
    # Why 1: with reduce_on_plateau the binding crashed on the tensor metric; with "monitor"
    # alone it never saw a metric and the lr never dropped (torch's scheduler drops).
    def theirs(optimizer: torch.optim.Optimizer) -> Any:
        return torch.optim.lr_scheduler.ReduceLROnPlateau(optimizer, factor=0.5, patience=1)

    def ours(optimizer: torch.optim.Optimizer) -> Any:
        return ls.bind(optimizer, ls.plateau(gamma=0.5, patience=1))

    expected = fit_monitored(theirs, config)
    assert min(expected) < BASE_LR  # the setup does reduce
    assert fit_monitored(ours, config) == expected


# -- LightningCLI binds from its YAML ----------------------------------------------------------


@pytest.mark.filterwarnings(
    # Lightning's own use of jsonargparse, not lrsched's.
    "ignore::jsonargparse._deprecated.JsonargparseDeprecationWarning"
)
def test_lightning_cli_binds_a_schedule_given_by_its_text_form(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    pytest.importorskip("jsonargparse", reason="the [test] extra installs jsonargparse")
    from lightning.pytorch.cli import LightningCLI  # noqa: PLC0415 (needs jsonargparse)

    class Plain(Tiny):
        def __init__(self) -> None:
            super().__init__(ls.constant(1), "epoch")

        configure_optimizers = LightningModule.configure_optimizers  # the CLI provides them

    schedule = "warmup(cosine(2), 1)"
    config = {
        "trainer": {
            "max_epochs": 3,
            "accelerator": "cpu",
            "logger": False,
            "enable_checkpointing": False,
            "enable_progress_bar": False,
            "enable_model_summary": False,
            "callbacks": [],
        },
        "optimizer": {"class_path": "torch.optim.SGD", "init_args": {"lr": BASE_LR}},
        "lr_scheduler": {
            "class_path": "lrsched.BoundSchedule",
            "init_args": {"schedule": schedule},
        },
    }
    monkeypatch.setattr("sys.argv", ["train"])  # the config is the command line
    cli = LightningCLI(
        Plain, args=config, run=False, seed_everything_default=0, save_config_callback=None
    )
    used = UsedLrs()
    cli.trainer.callbacks.append(used)
    cli.trainer.fit(cli.model)
    bound = cli.trainer.lr_scheduler_configs[0].scheduler
    assert isinstance(bound, ls.BoundSchedule)
    assert bound.schedules == (ls.parse(schedule),)
    assert used.lrs[::BATCHES_PER_EPOCH] == expected(ls.parse(schedule), range(3))


# -- a longer budget on resume, under ckpt_path (issue 12, Why 7) -------------------------------


class Budgeted(Tiny):
    def configure_optimizers(self) -> Any:
        optimizer = torch.optim.SGD(self.parameters(), lr=BASE_LR, momentum=0.9)
        bound = ls.bind(optimizer, self.schedule, on_schedule_change="rescale")
        return {"optimizer": optimizer, "lr_scheduler": {"scheduler": bound, "interval": "epoch"}}


def test_resume_under_ckpt_path_with_a_longer_budget_keeps_the_lr_continuous(
    tmp_path: Path,
) -> None:
    def run(schedule: ls.Schedule, epochs: int, path: Path | None) -> tuple[UsedLrs, Trainer]:
        torch.manual_seed(0)
        used = UsedLrs()
        trainer = Trainer(
            accelerator="cpu",
            devices=1,
            max_epochs=epochs,
            logger=False,
            callbacks=[used],
            enable_checkpointing=False,
            enable_progress_bar=False,
            enable_model_summary=False,
        )
        trainer.fit(Budgeted(schedule, "epoch"), ckpt_path=path)
        return used, trainer

    _, trainer = run(ls.cosine(6), 3, None)
    path = tmp_path / "budget.ckpt"
    trainer.save_checkpoint(path)
    second, trainer = run(ls.cosine(10), 6, path)
    c = BASE_LR * ls.cosine(6)(3) / (BASE_LR * ls.cosine(10)(3))
    assert second.lrs[0] == pytest.approx(BASE_LR * ls.cosine(6)(3), rel=1e-12)
    per_epoch = second.lrs[::BATCHES_PER_EPOCH]
    assert per_epoch == pytest.approx([BASE_LR * c * ls.cosine(10)(t) for t in range(3, 6)])
    assert trainer.lr_scheduler_configs[0].scheduler.schedules == (c * ls.cosine(10),)
