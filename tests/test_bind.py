"""The torch binding: differential tests against torch's schedulers, time travel, checkpoints."""

from __future__ import annotations

import copy
import io
import math
import pickle
import subprocess
import sys
import warnings
from collections.abc import Callable

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from torch.optim import lr_scheduler as tls

import lrsched as ls
from tests.bindable import lr_transparent_schedules as transparent_schedules

EPOCHS = 120
REL = 1e-12

lrs_per_group = st.lists(st.floats(1e-4, 1.0), min_size=1, max_size=3)


def make_optimizer(lrs: list[float], **kwargs: float) -> torch.optim.Optimizer:
    groups = [{"params": [torch.nn.Parameter(torch.zeros(1))], "lr": lr} for lr in lrs]
    return torch.optim.SGD(groups, **kwargs)


def torch_trajectory(
    lrs: list[float], build: Callable[[torch.optim.Optimizer], tls.LRScheduler], epochs: int
) -> list[list[float]]:
    optimizer = make_optimizer(lrs)
    scheduler = build(optimizer)
    out = []
    for _ in range(epochs):
        out.append([g["lr"] for g in optimizer.param_groups])
        optimizer.step()
        scheduler.step()
    return out


def bound_trajectory(
    lrs: list[float], schedules: ls.Schedule | list[ls.Schedule], epochs: int, **kw: bool
) -> list[list[float]]:
    optimizer = make_optimizer(lrs)
    bound = ls.bind(optimizer, schedules, **kw)
    out = []
    for _ in range(epochs):
        out.append([g["lr"] for g in optimizer.param_groups])
        assert out[-1] == bound.get_last_lr()
        optimizer.step()
        bound.step()
    return out


def assert_trajectories_close(
    ours: list[list[float]], theirs: list[list[float]], rel: float = REL
) -> None:
    for epoch, (a, b) in enumerate(zip(ours, theirs, strict=True)):
        for group, (x, y) in enumerate(zip(a, b, strict=True)):
            assert math.isclose(x, y, rel_tol=rel, abs_tol=1e-15), (epoch, group, x, y)


# -- differential tests against torch's own schedulers ---------------------------------------


@settings(max_examples=25)
@given(lrs_per_group, st.integers(1, 40), st.floats(0.05, 1.5))
def test_step_lr(lrs: list[float], size: int, gamma: float) -> None:
    theirs = torch_trajectory(lrs, lambda o: tls.StepLR(o, size, gamma), EPOCHS)
    assert_trajectories_close(bound_trajectory(lrs, ls.step(size, gamma), EPOCHS), theirs)


@settings(max_examples=25)
@given(lrs_per_group, st.lists(st.integers(0, EPOCHS), max_size=6), st.floats(0.05, 1.5))
def test_multistep_lr_with_repeated_and_unsorted_milestones(
    lrs: list[float], points: list[int], gamma: float
) -> None:
    theirs = torch_trajectory(lrs, lambda o: tls.MultiStepLR(o, points, gamma), EPOCHS)
    ours = bound_trajectory(lrs, ls.milestones(points, gamma), EPOCHS)
    assert_trajectories_close(ours, theirs)


@settings(max_examples=25)
@given(lrs_per_group, st.floats(0.8, 1.05))
def test_exponential_lr(lrs: list[float], gamma: float) -> None:
    theirs = torch_trajectory(lrs, lambda o: tls.ExponentialLR(o, gamma), EPOCHS)
    # torch multiplies step by step; the closed form differs by a few ulps per step.
    assert_trajectories_close(bound_trajectory(lrs, ls.exponential(gamma), EPOCHS), theirs, 1e-12)


@settings(max_examples=25)
@given(lrs_per_group, st.floats(0.01, 1.0), st.floats(0.01, 1.0), st.integers(1, 60))
def test_linear_lr(lrs: list[float], start: float, end: float, total: int) -> None:
    theirs = torch_trajectory(lrs, lambda o: tls.LinearLR(o, start, end, total), EPOCHS)
    ours = bound_trajectory(lrs, ls.linear(start, end, total), EPOCHS)
    assert_trajectories_close(ours, theirs, 1e-12)


@settings(max_examples=25)
@given(lrs_per_group, st.integers(1, 100), st.floats(0.0, 1e-4))
def test_cosine_annealing_lr_within_t_max(lrs: list[float], t_max: int, eta_min: float) -> None:
    theirs = torch_trajectory(lrs, lambda o: tls.CosineAnnealingLR(o, t_max, eta_min), t_max + 1)
    # eta_min is an absolute lr in torch: absolute mode, one schedule per group.
    schedules = [ls.cosine(t_max, start=lr, end=eta_min) for lr in lrs]
    ours = bound_trajectory(lrs, schedules, t_max + 1, absolute=True)
    # torch's recursive form drifts from its own closed form near the end of the cosine.
    assert_trajectories_close(ours, theirs, 1e-10)


@settings(max_examples=25)
@given(lrs_per_group, st.floats(0.01, 1.0), st.integers(1, 20), st.integers(1, 40))
def test_sequential_lr_of_linear_warmup_then_cosine(
    lrs: list[float], start: float, warm: int, t_max: int
) -> None:
    def build(o: torch.optim.Optimizer) -> tls.LRScheduler:
        pieces = [tls.LinearLR(o, start, 1.0, warm), tls.CosineAnnealingLR(o, t_max)]
        return tls.SequentialLR(o, pieces, milestones=[warm])

    epochs = warm + t_max + 1
    theirs = torch_trajectory(lrs, build, epochs)
    ours = bound_trajectory(lrs, ls.warmup(ls.cosine(t_max), warm, start=start), epochs)
    assert_trajectories_close(ours, theirs, 1e-10)
    concat = ls.concat([ls.linear(start, 1.0, warm), ls.cosine(t_max)], [warm])
    assert_trajectories_close(bound_trajectory(lrs, concat, epochs), theirs, 1e-10)


@settings(max_examples=25)
@given(lrs_per_group, st.integers(1, 30), st.floats(0.1, 0.9), st.integers(1, 30))
def test_sequential_lr_of_step_then_exponential(
    lrs: list[float], size: int, gamma: float, milestone: int
) -> None:
    def build(o: torch.optim.Optimizer) -> tls.LRScheduler:
        pieces = [tls.StepLR(o, size, gamma), tls.ExponentialLR(o, gamma)]
        return tls.SequentialLR(o, pieces, milestones=[milestone])

    theirs = torch_trajectory(lrs, build, EPOCHS)
    schedule = ls.concat([ls.step(size, gamma), ls.exponential(gamma)], [milestone])
    assert_trajectories_close(bound_trajectory(lrs, schedule, EPOCHS), theirs, 1e-12)


# -- the binding's contract --------------------------------------------------------------------


def test_bound_schedule_is_a_torch_lr_scheduler() -> None:
    bound = ls.bind(make_optimizer([0.1]), ls.cosine(10))
    assert isinstance(bound, tls.LRScheduler)
    assert isinstance(bound, ls.BoundSchedule)


def test_construction_applies_epoch_zero_and_sets_initial_lr() -> None:
    optimizer = make_optimizer([0.1, 0.2])
    bound = ls.bind(optimizer, ls.warmup(ls.cosine(10), 4, start=0.5))
    assert bound.last_epoch == 0
    assert [g["lr"] for g in optimizer.param_groups] == [0.05, 0.1]
    assert [g["initial_lr"] for g in optimizer.param_groups] == [0.1, 0.2]
    assert bound.get_last_lr() == [0.05, 0.1]


def test_existing_initial_lr_is_kept_as_torch_does() -> None:
    optimizer = make_optimizer([0.1])
    optimizer.param_groups[0]["initial_lr"] = 0.4
    ls.bind(optimizer, ls.constant(0.5))
    assert optimizer.param_groups[0]["lr"] == 0.2


def test_absolute_mode_uses_schedule_values_as_lrs() -> None:
    optimizer = make_optimizer([0.1, 0.2])
    bound = ls.bind(optimizer, [ls.constant(3e-4), ls.step(1, 0.5)], absolute=True)
    bound.step()
    assert bound.get_last_lr() == [3e-4, 0.5]
    assert "initial_lr" not in optimizer.param_groups[0]


def test_one_schedule_per_group() -> None:
    optimizer = make_optimizer([0.1, 1.0])
    bound = ls.bind(optimizer, [ls.constant(1), ls.step(1, 0.5)])
    bound.step()
    assert bound.get_last_lr() == [0.1, 0.5]


def test_wrong_number_of_schedules() -> None:
    optimizer = make_optimizer([0.1, 1.0])
    message = r"schedules must have one entry per param group: the optimizer has 2 \(got 3\)"
    with pytest.raises(ls.ScheduleError, match=message):
        ls.bind(optimizer, [ls.constant(1)] * 3)


def test_wrong_types() -> None:
    with pytest.raises(TypeError, match=r"optimizer must be a torch\.optim\.Optimizer"):
        ls.bind(object(), ls.constant(1))  # type: ignore[arg-type]
    with pytest.raises(TypeError, match=r"schedules\[1\] must be a Schedule \(got float: 0.5\)"):
        ls.bind(make_optimizer([0.1, 0.1]), [ls.constant(1), 0.5])  # type: ignore[list-item]
    with pytest.raises(TypeError, match="absolute must be True or False"):
        ls.bind(make_optimizer([0.1]), ls.constant(1), absolute=1)  # type: ignore[arg-type]


def test_seek_jumps_and_at_changes_nothing() -> None:
    optimizer = make_optimizer([0.1])
    s = ls.warmup(ls.cosine(90), 10)
    bound = ls.bind(optimizer, s)
    assert bound.at(55) == [0.1 * s(55)]
    assert bound.last_epoch == 0
    assert optimizer.param_groups[0]["lr"] == 0.0
    bound.seek(55)
    assert bound.last_epoch == 55
    assert optimizer.param_groups[0]["lr"] == 0.1 * s(55)
    bound.seek(3)
    assert optimizer.param_groups[0]["lr"] == 0.1 * s(3)
    bound.step()
    assert bound.last_epoch == 4
    assert bound.get_lr() == bound.at(4) == bound.get_last_lr()
    bound.step(20)
    assert bound.last_epoch == 20
    assert bound.get_last_lr() == [0.1 * s(20)]
    with pytest.raises(ls.ScheduleError, match=r"epoch must be >= 0 \(got -1\)"):
        bound.seek(-1)
    with pytest.raises(TypeError, match="epoch must be an int >= 0"):
        bound.seek(2.5)  # type: ignore[arg-type]


def test_lr_depends_only_on_time_not_on_the_current_lr() -> None:
    optimizer = make_optimizer([0.1])
    bound = ls.bind(optimizer, ls.step(2, 0.5))
    torch.optim.lr_scheduler.StepLR(optimizer, 1, 0.1)  # another scheduler mutating the lr
    optimizer.param_groups[0]["lr"] = 123.0
    bound.step()
    bound.step()
    assert optimizer.param_groups[0]["lr"] == 0.05


def test_no_monkey_patching_and_no_warnings() -> None:
    optimizer = make_optimizer([0.1])
    step_before = optimizer.step
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        bound = ls.bind(optimizer, ls.cosine(10))
        bound.step()  # before optimizer.step(): torch would warn, we do not
        bound.step()
        optimizer.step()
    assert caught == []
    assert "step" not in vars(optimizer)
    assert optimizer.step == step_before
    assert not hasattr(optimizer.step, "_wrapped_by_lr_sched")


def test_tensor_lr_is_written_in_place() -> None:
    param = torch.nn.Parameter(torch.zeros(1))
    optimizer = torch.optim.Adam([param], lr=torch.tensor(0.01))
    tensor = optimizer.param_groups[0]["lr"]
    bound = ls.bind(optimizer, ls.step(1, 0.5))
    bound.step()
    assert optimizer.param_groups[0]["lr"] is tensor
    assert tensor.item() == pytest.approx(0.005)
    assert type(bound.get_last_lr()[0]) is float
    assert optimizer.param_groups[0]["initial_lr"] is not tensor


def test_param_group_added_after_binding_follows_a_schedule_given_for_every_group() -> None:
    # One schedule (for every group): a group added later follows it from the current time,
    # relative to its own lr when first seen. A list (one per group) leaves it alone.
    s = ls.step(1, 0.5)
    optimizer = make_optimizer([0.1])
    bound = ls.bind(optimizer, s)
    bound.step()
    optimizer.add_param_group({"params": [torch.nn.Parameter(torch.zeros(1))], "lr": 0.2})
    bound.step()
    assert bound.get_last_lr() == [0.1 * s(2), 0.2 * s(2)]
    assert optimizer.param_groups[1]["initial_lr"] == 0.2
    listed = make_optimizer([0.1])
    per_group = ls.bind(listed, [s])
    listed.add_param_group({"params": [torch.nn.Parameter(torch.zeros(1))], "lr": 0.2})
    per_group.step()
    assert per_group.get_last_lr() == [0.1 * s(1), 0.2]
    assert "initial_lr" not in listed.param_groups[1]


def test_bind_runs_against_a_real_training_loop() -> None:
    torch.manual_seed(0)
    model = torch.nn.Linear(3, 1)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    s = ls.warmup(ls.cosine(8), 2)
    bound = ls.bind(optimizer, s)
    x, y = torch.randn(16, 3), torch.randn(16, 1)
    seen = []
    for _ in range(10):
        loss = torch.nn.functional.mse_loss(model(x), y)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        seen.append(optimizer.param_groups[0]["lr"])
        bound.step()
    assert seen == [0.1 * v for v in s(np.arange(10)).tolist()]


# -- checkpoints -----------------------------------------------------------------------------


def is_plain(value: object) -> bool:
    if isinstance(value, dict):
        return all(isinstance(k, str) and is_plain(v) for k, v in value.items())
    if isinstance(value, list):
        return all(is_plain(v) for v in value)
    return value is None or isinstance(value, bool | int | float | str)


def save_and_load(state: dict[str, object]) -> dict[str, object]:
    buffer = io.BytesIO()
    torch.save(state, buffer)
    buffer.seek(0)
    loaded: dict[str, object] = torch.load(buffer, weights_only=True)
    return loaded


@settings(max_examples=40)
@given(
    transparent_schedules,
    st.integers(0, 60),
    st.lists(st.floats(1e-3, 1.0), min_size=1, max_size=3),
    st.booleans(),
)
def test_resume_continues_the_exact_trajectory(
    s: ls.Schedule, cut: int, lrs: list[float], absolute: bool
) -> None:
    horizon = cut + 40
    whole = bound_trajectory(lrs, s, horizon, absolute=absolute)

    first = ls.bind(make_optimizer(lrs), s, absolute=absolute)
    for _ in range(cut):
        first.step()
    state = first.state_dict()
    assert is_plain(state)
    loaded = save_and_load(state)

    optimizer = make_optimizer(lrs)
    resumed = ls.bind(optimizer, s, absolute=absolute)
    resumed.load_state_dict(loaded)
    assert resumed.last_epoch == cut
    rest = []
    for _ in range(horizon - cut):
        rest.append([g["lr"] for g in optimizer.param_groups])
        resumed.step()
    assert rest == whole[cut:]


def test_resume_with_optimizer_checkpoint_restores_base_lrs() -> None:
    s = ls.warmup(ls.cosine(20), 5)
    optimizer = make_optimizer([0.1])
    bound = ls.bind(optimizer, s)
    bound.seek(12)
    checkpoint = save_and_load(
        {"optimizer": optimizer.state_dict(), "scheduler": bound.state_dict()}
    )
    fresh = make_optimizer([999.0])  # a different lr on the command line
    fresh.load_state_dict(checkpoint["optimizer"])  # type: ignore[arg-type]
    resumed = ls.bind(fresh, s)
    resumed.load_state_dict(checkpoint["scheduler"])  # type: ignore[arg-type]
    assert resumed.get_last_lr() == bound.get_last_lr()
    resumed.step()
    bound.step()
    assert resumed.get_last_lr() == bound.get_last_lr()


def test_loading_a_checkpoint_of_another_schedule_shows_both() -> None:
    saved = ls.bind(make_optimizer([0.1]), ls.cosine(10))
    saved.seek(4)
    state = saved.state_dict()
    other = ls.bind(make_optimizer([0.1]), ls.cosine(20))
    message = r"saved: cosine\(10\)\n  bound: cosine\(20\)"
    with pytest.raises(ls.ScheduleError, match=message):
        other.load_state_dict(state)
    assert other.last_epoch == 0
    other.load_state_dict(state, allow_schedule_change=True)
    assert other.last_epoch == 4
    assert other.get_last_lr() == [0.1 * ls.cosine(20)(4)]


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (lambda d: d.pop("last_epoch"), "missing 'last_epoch'"),
        (
            lambda d: d.update(last_epoch=-3),
            r"last_epoch'\] must be an int in \[0, 2\*\*53\] \(got -3\)",
        ),
        (lambda d: d.update(last_epoch=2.5), r"last_epoch'\] must be an int in \[0, 2\*\*53\]"),
        (lambda d: d.update(version=99), "version 99"),
        (lambda d: d.update(format="torch"), "format 'torch'"),
        (lambda d: d.update(absolute=True), "saved with absolute=True"),
        (lambda d: d.update(base_lrs=[0.1]), "list of 2 numbers"),
        (lambda d: d.update(base_lrs=[0.1, math.nan]), r"base_lrs'\]\[1\] must be a finite"),
        (lambda d: d.update(schedules=["cosine(10)"]), "list of 2 strings"),
    ],
)
def test_malformed_state_is_refused_and_changes_nothing(
    mutate: Callable[[dict[str, object]], object], message: str
) -> None:
    optimizer = make_optimizer([0.1, 0.2])
    bound = ls.bind(optimizer, ls.cosine(10))
    bound.seek(3)
    state = bound.state_dict()
    mutate(state)
    before = (bound.last_epoch, list(bound.base_lrs), [dict(g) for g in optimizer.param_groups])
    with pytest.raises(ls.ScheduleError, match=message):
        bound.load_state_dict(state)
    after = (bound.last_epoch, list(bound.base_lrs), [dict(g) for g in optimizer.param_groups])
    assert after == before


def test_not_a_dict_is_refused() -> None:
    bound = ls.bind(make_optimizer([0.1]), ls.cosine(10))
    with pytest.raises(ls.ScheduleError, match=r"state_dict must be a dict \(got list\)"):
        bound.load_state_dict([])  # type: ignore[arg-type]


def test_pickle_and_deepcopy_carry_the_optimizer() -> None:
    optimizer = make_optimizer([0.1])
    bound = ls.bind(optimizer, ls.step(2, 0.5))
    bound.step()
    for twin in (pickle.loads(pickle.dumps(bound)), copy.deepcopy(bound)):
        assert twin.optimizer is not optimizer
        assert twin.last_epoch == 1
        twin.step()
        twin.step()
        assert twin.optimizer.param_groups[0]["lr"] == 0.05
        assert optimizer.param_groups[0]["lr"] == 0.1


# -- torch stays optional ----------------------------------------------------------------------


def run_python(code: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(  # noqa: S603 (our own interpreter, fixed code)
        [sys.executable, "-c", code], capture_output=True, text=True, check=False, timeout=120
    )


def test_import_lrsched_does_not_import_torch() -> None:
    code = (
        "import sys, numpy as np, lrsched as ls\n"
        "s = ls.warmup(ls.cosine(95), 5)\n"
        "print(s(50), s(np.arange(3)).tolist(), repr(0.5 * s))\n"
        "print('torch' in sys.modules)\n"
        "print(sorted(m for m in sys.modules if m.startswith('lrsched._')))\n"
    )
    result = run_python(code)
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[-2] == "False"
    # What a training loop does not need is imported on first use (issue 16: import time).
    loaded = result.stdout.splitlines()[-1]
    for lazy in (
        "_parse",
        "_serialize",
        "_display",
        "_run",
        "_hf",
        "_timm",
        "_timm_schedulers",
        "_fvcore",
        "_ignite",
        "_optax",
        "_keras",
        "_bound",
    ):
        assert f"'lrsched.{lazy}'" not in loaded, lazy


def test_bind_without_torch_names_the_extra() -> None:
    code = (
        "import sys\nsys.modules['torch'] = None\n"
        "import lrsched as ls\n"
        "try:\n    ls.bind\nexcept ImportError as e:\n    print('ImportError:', e)\n"
    )
    result = run_python(code)
    assert result.returncode == 0, result.stderr
    assert "ImportError:" in result.stdout
    assert "pip install 'lrsched-algebra[torch]'" in result.stdout


def test_a_zero_lr_group_stays_zero_when_the_schedule_overflows() -> None:
    # 0 * inf is NaN in IEEE arithmetic; a frozen group (lr 0) must never get a NaN lr, and
    # the guard must not refuse it: only the group whose lr overflows is refused.
    optimizer = make_optimizer([0.0, 0.0])
    bound = ls.bind(optimizer, ls.exponential(2.0))
    bound.seek(2000)
    assert bound.get_last_lr() == [0.0, 0.0]
    optimizer = make_optimizer([0.0, 0.1])
    bound = ls.bind(optimizer, ls.exponential(2.0))
    with pytest.raises(
        ls.ScheduleError, match=r"param_groups\[1\]\['lr'\] must be a finite number"
    ):
        bound.seek(2000)
    assert [g["lr"] for g in optimizer.param_groups] == [0.0, 0.1]
    assert bound.at(3000) == [0.0, math.inf]  # time travel shows it, writes nothing
