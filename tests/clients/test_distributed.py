"""torch.distributed: 2-process jobs on CPU (gloo) bound to one schedule, checkpointed with
``torch.distributed.checkpoint`` and resumed by a fresh 2-process job: DDP with the binding
stepped by the loop, and FSDP2 (``fully_shard``, sharded parameters) with the binding on the
optimizer clock.

The ranks run ``tests/clients/_ddp_worker.py`` in subprocesses (one job uninterrupted, writing a
DCP checkpoint at step CUT on the way; one job resuming from it). Every rank must see the
schedule's lr at every step, and the resumed job must continue bit-identically: the same lrs and
the same (full) weights (==) as the uninterrupted one.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import torch
import torch.distributed

if not torch.distributed.is_available():  # pragma: no cover - torch builds without distributed
    pytest.skip("torch.distributed is not available in this torch build", allow_module_level=True)

from tests.clients._ddp_worker import BASE_LR, CUT, SCHEDULE, STEPS, WORLD

ROOT = Path(__file__).resolve().parents[2]
TIMEOUT = 90  # seconds for one job: far above the 5-10 s it takes; a hung first try is retried


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def job(mode: str, directory: Path, wrap: str) -> list[dict[str, Any]]:
    """Run one 2-process job; return each rank's record.

    The port is free when chosen but another process may take it before rank 0 binds it, and a
    loaded CI machine can miss gloo's connect window: a failed job is retried once on a new
    port. A real bug fails both attempts.
    """
    try:
        return attempt(mode, directory, wrap)
    except (AssertionError, subprocess.TimeoutExpired):
        return attempt(mode, directory, wrap)


def attempt(mode: str, directory: Path, wrap: str) -> list[dict[str, Any]]:
    """One try at a 2-process job."""
    port = free_port()
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    if sys.platform.startswith("linux"):
        env.setdefault("GLOO_SOCKET_IFNAME", "lo")  # localhost only, whatever the hostname says
    command = [sys.executable, "-m", "tests.clients._ddp_worker"]
    processes = [
        subprocess.Popen(  # noqa: S603 (our interpreter, our module, our arguments)
            [*command, str(rank), str(port), mode, str(directory), wrap],
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        for rank in range(WORLD)
    ]
    try:
        outputs = [process.communicate(timeout=TIMEOUT)[0] for process in processes]
    finally:
        for process in processes:
            if process.poll() is None:
                process.kill()
                process.wait()
            if process.stdout is not None:
                process.stdout.close()
    for rank, (process, output) in enumerate(zip(processes, outputs, strict=True)):
        assert process.returncode == 0, f"rank {rank} of the {wrap} {mode} job failed:\n{output}"
    return [
        torch.load(directory / f"{wrap}-{mode}-{rank}.pt", weights_only=True)
        for rank in range(WORLD)
    ]


@pytest.fixture(scope="module", params=["ddp", "fsdp2"])
def records(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> dict[str, list[dict[str, Any]]]:
    wrap = request.param
    directory = tmp_path_factory.mktemp(wrap)
    whole = job("whole", directory, wrap)
    assert (directory / f"{wrap}-checkpoint").is_dir()
    resumed = job("resume", directory, wrap)
    return {"whole": whole, "resume": resumed}


def test_every_rank_sees_the_schedule_at_every_step(
    records: dict[str, list[dict[str, Any]]],
) -> None:
    expected = [BASE_LR * SCHEDULE(t) for t in range(STEPS)]
    for rank, record in enumerate(records["whole"]):
        assert record["start"] == 0
        assert record["lrs"] == expected, rank
        assert record["last_epoch"] == STEPS
    first, second = records["whole"]
    assert first["lrs"] == second["lrs"]
    assert first["weights"] == second["weights"]  # DDP or FSDP2 kept the models identical
    assert first["weights"][0] != first["weights"][-1]  # and they did train


def test_a_fresh_job_resumes_from_the_dcp_checkpoint_bit_identically(
    records: dict[str, list[dict[str, Any]]],
) -> None:
    for rank, (whole, resumed) in enumerate(zip(records["whole"], records["resume"], strict=True)):
        assert resumed["start"] == CUT, rank
        assert resumed["lrs"] == whole["lrs"][CUT:], rank
        assert resumed["weights"] == whole["weights"][CUT:], rank
        assert resumed["last_epoch"] == whole["last_epoch"]
