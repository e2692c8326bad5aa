"""Hugging Face Accelerate wraps a bound lrsched schedule: the lrs a training loop sees are the
schedule's.

``Accelerator.prepare(model, optimizer, dataloader, bound)`` wraps the binding in an
``AcceleratedScheduler``, which steps it only when the optimizer really stepped (not on the
micro-batches of gradient accumulation) and ``num_processes`` times per step (1 here, on CPU).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import pytest

accelerate = pytest.importorskip("accelerate", reason="the [test] extra installs accelerate")

import torch  # noqa: E402 (after the import guard)
from accelerate import Accelerator  # type: ignore[import-untyped]  # noqa: E402
from accelerate.scheduler import AcceleratedScheduler  # type: ignore[import-untyped]  # noqa: E402
from accelerate.state import AcceleratorState, GradientState  # type: ignore[import-untyped]  # noqa: E402
from torch.utils.data import DataLoader, TensorDataset  # noqa: E402

import lrsched as ls  # noqa: E402

BASE_LR = 0.1
SCHEDULE = ls.warmup(ls.cosine(10), 3, start=0.2)


@pytest.fixture(autouse=True)
def fresh_accelerate_state() -> Iterator[None]:
    # Accelerate keeps process-wide singletons; each test starts (and leaves) them empty.
    AcceleratorState._reset_state(reset_partial_state=True)
    GradientState._reset_state()
    yield
    AcceleratorState._reset_state(reset_partial_state=True)
    GradientState._reset_state()


def parts(seed: int = 0) -> tuple[torch.nn.Module, torch.optim.Optimizer, DataLoader[Any]]:
    torch.manual_seed(seed)
    model = torch.nn.Linear(4, 1)
    optimizer = torch.optim.SGD(model.parameters(), lr=BASE_LR, momentum=0.9)
    generator = torch.Generator().manual_seed(0)
    data = TensorDataset(
        torch.randn(32, 4, generator=generator), torch.randn(32, 1, generator=generator)
    )
    return model, optimizer, DataLoader(data, batch_size=4)  # 8 batches per epoch


def train(accelerator: Accelerator, prepared: Sequence[Any], epochs: int) -> list[float]:
    """The usual Accelerate loop; returns the lr of every batch, read before optimizer.step()."""
    model, optimizer, loader, scheduler = prepared
    seen = []
    for _ in range(epochs):
        for x, y in loader:
            with accelerator.accumulate(model):
                loss = torch.nn.functional.mse_loss(model(x), y)
                accelerator.backward(loss)
                seen.append(optimizer.param_groups[0]["lr"])
                optimizer.step()
                scheduler.step()
                optimizer.zero_grad()
    return seen


def test_prepared_binding_gives_the_schedule_step_by_step() -> None:
    accelerator = Accelerator(cpu=True)
    model, optimizer, loader = parts()
    bound = ls.bind(optimizer, SCHEDULE)
    model, optimizer, loader, scheduler = accelerator.prepare(model, optimizer, loader, bound)
    assert isinstance(scheduler, AcceleratedScheduler)
    assert scheduler.scheduler is bound
    assert accelerator.num_processes == 1

    seen = train(accelerator, (model, optimizer, loader, scheduler), epochs=2)
    assert seen == [BASE_LR * SCHEDULE(t) for t in range(16)]
    assert scheduler.get_last_lr() == [BASE_LR * SCHEDULE(16)]
    assert bound.last_epoch == 16


def test_gradient_accumulation_steps_the_schedule_once_per_optimizer_step() -> None:
    accelerator = Accelerator(cpu=True, gradient_accumulation_steps=2)
    model, optimizer, loader = parts()
    bound = ls.bind(optimizer, SCHEDULE)
    model, optimizer, loader, scheduler = accelerator.prepare(model, optimizer, loader, bound)

    seen = train(accelerator, (model, optimizer, loader, scheduler), epochs=2)
    # 16 micro-batches, 8 optimizer steps: the schedule's time counts optimizer steps.
    assert seen == [BASE_LR * SCHEDULE(t // 2) for t in range(16)]
    assert bound.last_epoch == 8
    assert scheduler.get_last_lr() == [BASE_LR * SCHEDULE(8)]


def test_save_state_and_load_state_continue_the_exact_run(tmp_path: Path) -> None:
    accelerator = Accelerator(cpu=True)
    model, optimizer, loader = parts()
    prepared = accelerator.prepare(model, optimizer, loader, ls.bind(optimizer, SCHEDULE))
    whole = train(accelerator, prepared, epochs=3)
    whole_weights = [p.detach().clone() for p in prepared[0].parameters()]

    AcceleratorState._reset_state(reset_partial_state=True)
    accelerator = Accelerator(cpu=True)
    model, optimizer, loader = parts()
    prepared = accelerator.prepare(model, optimizer, loader, ls.bind(optimizer, SCHEDULE))
    first = train(accelerator, prepared, epochs=1)
    accelerator.save_state(tmp_path / "state")

    # A fresh process: other initial weights and lr, the same schedule, then load_state.
    AcceleratorState._reset_state(reset_partial_state=True)
    accelerator = Accelerator(cpu=True)
    model, optimizer, loader = parts(seed=1)
    for group in optimizer.param_groups:
        group["lr"] = 123.0
    bound = ls.bind(optimizer, SCHEDULE)
    prepared = accelerator.prepare(model, optimizer, loader, bound)
    accelerator.load_state(tmp_path / "state")
    assert bound.last_epoch == 8
    rest = train(accelerator, prepared, epochs=2)

    assert first + rest == whole
    for a, b in zip(prepared[0].parameters(), whole_weights, strict=True):
        assert torch.equal(a, b)


def test_load_state_with_another_schedule_is_refused(tmp_path: Path) -> None:
    accelerator = Accelerator(cpu=True)
    model, optimizer, loader = parts()
    prepared = accelerator.prepare(model, optimizer, loader, ls.bind(optimizer, SCHEDULE))
    train(accelerator, prepared, epochs=1)
    accelerator.save_state(tmp_path / "state")

    AcceleratorState._reset_state(reset_partial_state=True)
    accelerator = Accelerator(cpu=True)
    model, optimizer, loader = parts()
    other = ls.warmup(ls.cosine(20), 3, start=0.2)
    bound = ls.bind(optimizer, other)
    accelerator.prepare(model, optimizer, loader, bound)
    message = r"saved: warmup\(cosine\(10\), 3, start=0.2\)\n  bound: warmup\(cosine\(20\)"
    with pytest.raises(ls.ScheduleError, match=message):
        accelerator.load_state(tmp_path / "state")
    assert bound.last_epoch == 0


def test_the_optimizer_clock_does_not_drift_when_accelerate_steps_once_per_process(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Issue 12, Why 5: with N processes (and split_batches=False) AcceleratedScheduler calls
    # step() N times per optimizer step, so the schedule runs N times faster than the optimizer.
    # Two processes are simulated on one CPU by the number the scheduler reads.
    monkeypatch.setattr(
        "accelerate.scheduler.AcceleratorState", lambda: type("Two", (), {"num_processes": 2})
    )
    runs = {}
    for clock in ("step", "optimizer"):
        AcceleratorState._reset_state(reset_partial_state=True)
        GradientState._reset_state()
        accelerator = Accelerator(cpu=True)
        model, optimizer, loader = parts()
        bound = ls.bind(optimizer, SCHEDULE, clock=clock)
        prepared = accelerator.prepare(model, optimizer, loader, bound)
        runs[clock] = (train(accelerator, prepared, epochs=1), bound.last_epoch)
    assert runs["step"] == ([BASE_LR * SCHEDULE(2 * t) for t in range(8)], 16)
    assert runs["optimizer"] == ([BASE_LR * SCHEDULE(t) for t in range(8)], 8)
