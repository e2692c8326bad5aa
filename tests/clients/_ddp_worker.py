"""One rank of the 2-process jobs run by ``test_distributed.py`` (not a test module).

Run as ``python -m tests.clients._ddp_worker RANK PORT MODE DIR WRAP``. Every rank trains the
same tiny model, wrapped by ``WRAP`` (``ddp``: DistributedDataParallel with the binding stepped
by the loop; ``fsdp2``: ``fully_shard`` with the binding on the optimizer clock), with its own
data, bound to the same schedule, and writes what it saw (the lr of every step and the full
weights after it) to ``DIR/MODE-RANK.pt``. Mode ``whole`` trains ``STEPS``
steps and writes a ``torch.distributed.checkpoint`` of model + optimizer + schedule before step
``CUT``; mode ``resume`` starts from other weights and lrs, loads that checkpoint and trains to
``STEPS``.
"""

from __future__ import annotations

import datetime as dt
import sys
import warnings
from pathlib import Path
from typing import Any

import torch
import torch.distributed as dist
from torch.distributed.checkpoint.state_dict import get_state_dict, set_state_dict
from torch.distributed.checkpoint.state_dict_loader import load as dcp_load
from torch.distributed.checkpoint.state_dict_saver import save as dcp_save
from torch.distributed.checkpoint.stateful import Stateful
from torch.distributed.device_mesh import init_device_mesh
from torch.distributed.fsdp import fully_shard
from torch.distributed.tensor import DTensor
from torch.nn.parallel import DistributedDataParallel

import lrsched as ls

WORLD = 2
STEPS = 10
CUT = 4
BASE_LR = 0.1
SCHEDULE = ls.warmup(ls.cosine(6), 3, start=0.1) * ls.milestones([7], 0.5)


class AppState(Stateful):
    """Model, optimizer and schedule as one DCP entry, as torch's DCP tutorial does."""

    def __init__(self, model: torch.nn.Module, optimizer: Any, bound: ls.BoundSchedule) -> None:
        self.model, self.optimizer, self.bound = model, optimizer, bound

    def state_dict(self) -> dict[str, Any]:
        model_state, optimizer_state = get_state_dict(self.model, self.optimizer)
        return {
            "model": model_state,
            "optim": optimizer_state,
            "scheduler": self.bound.state_dict(),
        }

    def load_state_dict(self, state: dict[str, Any]) -> None:
        set_state_dict(
            self.model,
            self.optimizer,
            model_state_dict=state["model"],
            optim_state_dict=state["optim"],
        )
        self.bound.load_state_dict(state["scheduler"])


def wrapped(wrap: str) -> torch.nn.Module:
    """The model of every rank: DDP, or FSDP2 with each layer and the whole sharded."""
    if wrap == "ddp":
        return DistributedDataParallel(torch.nn.Linear(4, 1))
    model = torch.nn.Sequential(torch.nn.Linear(4, 4), torch.nn.Linear(4, 1))
    mesh = init_device_mesh("cpu", (WORLD,))
    for layer in model:
        fully_shard(layer, mesh=mesh)
    fully_shard(model, mesh=mesh)
    return model


def full(parameter: torch.Tensor) -> list[float]:
    """A parameter's full values (an FSDP2 parameter is a DTensor: each rank holds a shard)."""
    tensor = parameter.full_tensor() if isinstance(parameter, DTensor) else parameter
    return [float(v) for v in tensor.detach().flatten().tolist()]


def run(rank: int, port: int, mode: str, directory: Path, wrap: str) -> None:
    dist.init_process_group(
        "gloo",
        init_method=f"tcp://127.0.0.1:{port}",
        rank=rank,
        world_size=WORLD,
        timeout=dt.timedelta(seconds=120),
    )
    try:
        torch.manual_seed(0 if mode == "whole" else 1)  # a resumed job starts from other weights
        model = wrapped(wrap)
        lr = BASE_LR if mode == "whole" else 5.0  # and another lr on its command line
        optimizer = torch.optim.SGD(model.parameters(), lr=lr, momentum=0.9)
        clock = "optimizer" if wrap == "fsdp2" else "step"
        bound = ls.bind(optimizer, SCHEDULE, clock=clock)
        app = {"app": AppState(model, optimizer, bound)}
        start = 0
        if mode == "resume":
            dcp_load(app, checkpoint_id=directory / f"{wrap}-checkpoint")
            start = bound.last_epoch
        lrs: list[float] = []
        weights: list[list[float]] = []
        for step in range(start, STEPS):
            if mode == "whole" and step == CUT:
                dcp_save(app, checkpoint_id=directory / f"{wrap}-checkpoint")
            generator = torch.Generator().manual_seed(1000 * step + rank)  # each rank its data
            x = torch.randn(8, 4, generator=generator)
            y = torch.randn(8, 1, generator=generator)
            loss = torch.nn.functional.mse_loss(model(x), y)
            optimizer.zero_grad()
            loss.backward()  # type: ignore[no-untyped-call]  # torch's Tensor.backward
            lrs.append(optimizer.param_groups[0]["lr"])
            optimizer.step()
            bound.step()
            weights.append([v for p in model.parameters() for v in full(p)])
        record = {"start": start, "lrs": lrs, "weights": weights, "last_epoch": bound.last_epoch}
        torch.save(record, directory / f"{wrap}-{mode}-{rank}.pt")
    finally:
        dist.destroy_process_group()


if __name__ == "__main__":
    warnings.filterwarnings("error", module="lrsched")  # lrsched itself never warns
    rank, port, mode, directory, wrap = sys.argv[1:]
    run(int(rank), int(port), mode, Path(directory), wrap)
