"""Runs through the torch binding: `bind(..., run=)`, and resuming at 60% with another budget.

Each budget change: a run is interrupted at 60% (its `state_dict` saved), resumed in a new
binding of the recipe's plan (`on_schedule_change=`, `load_state_dict`), and run to its end. The
lr written at the resume step is the one written before the interruption where the recipe keeps
the value (==, no jump), and every lr from there on is == that of an uninterrupted run of the new
plan.
"""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import lrsched as ls

torch = pytest.importorskip("torch")

BASE = 0.1
S = ls.warmup(ls.cosine(0.95), 0.05)  # over the fraction of training


def sgd() -> torch.optim.Optimizer:
    return torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=BASE)


def trajectory(bound: ls.BoundSchedule, optimizer: torch.optim.Optimizer, end: int) -> list[float]:
    """The lr of every step from the binding's current step to ``end`` (included)."""
    lrs = [bound.get_last_lr()[0]]
    while bound.last_epoch < end:
        optimizer.step()
        bound.step()
        lrs.append(bound.get_last_lr()[0])
    return lrs


def interrupted(run: ls.Run, s: ls.Schedule, at: int) -> tuple[dict[str, object], float]:
    """A run of ``s`` stopped at step ``at``: its state and the lr it wrote there."""
    optimizer = sgd()
    bound = ls.bind(optimizer, s, run=run)
    trajectory(bound, optimizer, at)
    return bound.state_dict(), bound.get_last_lr()[0]


def resumed(
    plan: ls.Schedule, step: int, state: dict[str, object], end: int, policy: str = "jump"
) -> list[float]:
    optimizer = sgd()
    bound = ls.bind(optimizer, plan, on_schedule_change=policy)
    bound.load_state_dict(state)
    bound.sync(step)
    return trajectory(bound, optimizer, end)


def uninterrupted(plan: ls.Schedule, start: int, end: int) -> list[float]:
    optimizer = sgd()
    bound = ls.bind(optimizer, plan)
    trajectory(bound, optimizer, start)
    return trajectory(bound, optimizer, end)


@given(st.integers(1, 10**12), st.integers(0, 10**12))
@settings(max_examples=50)
def test_bound_with_a_run_the_lr_at_step_k_is_the_schedule_at_k_over_total(
    total: int, k: int
) -> None:
    k = min(k, total)
    bound = ls.bind(sgd(), S, run=ls.run(steps=total))
    bound.sync(k)
    assert bound.get_last_lr() == [BASE * S(k / total)]


def test_bind_with_a_run_refuses_what_does_not_fit() -> None:
    with pytest.raises(ls.ScheduleError, match=r"one_cycle\(90\) is written in steps"):
        ls.bind(sgd(), ls.one_cycle(90), run=ls.run(epochs=90, steps_per_epoch=1000, unit="step"))
    with pytest.raises(ls.ScheduleError, match=r"give steps_per_epoch to ls.run"):
        ls.bind(sgd(), S, run=ls.run(steps=100), steps_per_epoch=10)
    with pytest.raises(TypeError, match=r"run must be an lrsched.Run"):
        ls.bind(sgd(), S, run=100)  # type: ignore[arg-type]


def test_bind_with_a_run_converts_every_key_and_group() -> None:
    optimizer = torch.optim.SGD(
        [{"params": [torch.zeros(1, requires_grad=True)], "lr": lr} for lr in (0.1, 0.2)],
        momentum=0.9,
    )
    run = ls.run(steps=200)
    bound = ls.bind(
        optimizer,
        [ls.cosine(1), None],
        momentum=ls.linear(0.85, 0.95, 1),
        absolute={"momentum"},
        run=run,
    )
    assert bound.schedules == (ls.stretch(ls.cosine(1), 200), None)
    bound.sync(100)
    assert [g["lr"] for g in optimizer.param_groups] == [0.1 * ls.cosine(1)(0.5), 0.2]
    assert optimizer.param_groups[0]["momentum"] == ls.linear(0.85, 0.95, 1)(0.5)
    assert "run=Run(steps=200" in repr(bound)


OLD = ls.run(steps=1000)
AT = 600  # 60%


@pytest.mark.parametrize("policy", ["jump", "rescale"])
def test_extend_by_half_continues_without_a_jump(policy: str) -> None:
    state, lr = interrupted(OLD, S, AT)
    new = ls.run(steps=1500)
    plan, step = new.resume(S, old=OLD, step=AT)
    lrs = resumed(plan, step, state, new.steps, policy)
    assert lrs[0] == lr  # continuous: the value at the resume step is the one written before
    assert lrs == uninterrupted(plan, step, new.steps)  # == an uninterrupted run of the plan
    assert lrs[-1] == BASE * S(1.0)  # the schedule ends at the new end
    assert uninterrupted(plan, 0, AT) == uninterrupted(OLD.in_steps(S), 0, AT)  # past kept


def test_extend_by_half_stretched_is_the_new_plan_from_the_start() -> None:
    state, lr = interrupted(OLD, S, AT)
    new = ls.run(steps=1500)
    plan, step = new.resume(S, old=OLD, step=AT, keep="stretch")
    lrs = resumed(plan, step, state, new.steps)
    fresh = ls.bind(optimizer := sgd(), S, run=new)  # the run as if planned for 1500 steps
    assert lrs == trajectory(fresh, optimizer, new.steps)[AT:]
    assert lrs[0] == BASE * S(AT / 1500) != lr  # the value jumps to the new plan's


def test_shorten_the_rest_by_half_continues_without_a_jump() -> None:
    state, lr = interrupted(OLD, S, AT)
    new = ls.run(steps=AT + (OLD.steps - AT) // 2)  # 0.5x of what is left: 800 steps
    plan, step = new.resume(S, old=OLD, step=AT)
    lrs = resumed(plan, step, state, new.steps, "rescale")
    assert lrs[0] == lr
    assert lrs == uninterrupted(plan, step, new.steps)
    assert lrs[-1] == BASE * S(1.0)
    assert len(lrs) == 201


def test_halve_the_total_budget_at_60_percent_is_refused() -> None:
    with pytest.raises(ls.ScheduleError, match=r"at or past the new end \(500 steps\)"):
        ls.run(steps=500).resume(S, old=OLD, step=AT)


@pytest.mark.parametrize(
    ("s", "unit"),
    [(S, "fraction"), (ls.warmup(ls.cosine(9.5), 0.5), "epoch")],
)
def test_doubled_batch_size_continues_at_the_same_epoch(s: ls.Schedule, unit: str) -> None:
    old = ls.run(epochs=10, steps_per_epoch=100, unit=unit)
    state, lr = interrupted(old, s, AT)
    new = ls.run(epochs=10, steps_per_epoch=50, unit=unit)  # twice the batch: half the steps
    plan, step = new.resume(s, old=old, step=AT)
    assert step == 300
    lrs = resumed(plan, step, state, new.steps)
    assert lrs[0] == lr  # 60% of the epochs, the same value
    fresh = ls.bind(optimizer := sgd(), s, run=new)  # a run begun with the doubled batch
    assert lrs == trajectory(fresh, optimizer, new.steps)[step:]


def test_resuming_into_another_budget_without_a_policy_is_refused() -> None:
    state, _ = interrupted(OLD, S, AT)
    plan, _ = ls.run(steps=1500).resume(S, old=OLD, step=AT)
    bound = ls.bind(sgd(), plan)
    with pytest.raises(ls.ScheduleError, match=r"the checkpoint was made with another schedule"):
        bound.load_state_dict(state)
