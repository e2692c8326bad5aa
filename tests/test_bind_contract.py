"""The binding's contract with trainers: one meaning per ``step(x)``, a clock that cannot drift,
a value guard, ``from_torch`` + ``bind`` and one binding per optimizer value.

Each test names the item of issue 12 it pins (the numbered "Why" list).
"""

from __future__ import annotations

import copy
import math
import pickle
import subprocess
import sys
from typing import Any

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from torch.optim import lr_scheduler as tls

import lrsched as ls


def sgd(*lrs: float, **options: Any) -> torch.optim.Optimizer:
    groups = [{"params": [torch.nn.Parameter(torch.zeros(1))], "lr": lr} for lr in lrs]
    return torch.optim.SGD(groups, **options)


def lrs(optimizer: torch.optim.Optimizer) -> list[float]:
    return [float(g["lr"]) for g in optimizer.param_groups]


def groups_of(optimizer: torch.optim.Optimizer) -> list[dict[str, Any]]:
    return [{k: v for k, v in g.items() if k != "params"} for g in optimizer.param_groups]


# -- 1. one meaning per step(x) -----------------------------------------------------------------


def test_a_positional_number_is_a_metric_when_the_schedule_holds_a_plateau() -> None:
    # Why 1: step(0.75) moved the step count from 8 back to 3 and recorded nothing.
    optimizer = sgd(1.0)
    bound = ls.bind(optimizer, ls.plateau(gamma=0.5, patience=0), steps_per_epoch=4)
    for _ in range(8):
        bound.step()
    bound.step(0.75)
    assert bound.last_epoch == 9
    assert bound.metrics == ((9 / 4, 0.75),)
    bound.step(torch.tensor(2.0))  # a one-element tensor, as Lightning passes the monitor
    assert bound.last_epoch == 10
    assert bound.metrics[-1] == (10 / 4, 2.0)
    assert lrs(optimizer) == [0.5]  # worse than 0.75: reduced from step 10 on


def test_a_positional_int_keeps_torchs_epoch_meaning_without_a_plateau() -> None:
    optimizer = sgd(0.1)
    bound = ls.bind(optimizer, ls.step(2, 0.5))
    bound.step(4)
    assert bound.last_epoch == 4
    assert lrs(optimizer) == [0.1 * 0.25]
    bound.step(epoch=1)
    assert bound.last_epoch == 1


@settings(max_examples=20)
@given(st.integers(1, 8), st.integers(1, 6))
def test_warm_restarts_idiom_of_fractional_epochs_works_with_steps_per_epoch(
    iters: int, epochs: int
) -> None:
    # CosineAnnealingWarmRestarts' documented idiom: scheduler.step(epoch + i / iters).
    s = ls.cosine_restarts(3)
    optimizer = sgd(1.0)
    bound = ls.bind(optimizer, s, steps_per_epoch=iters)
    for epoch in range(epochs):
        for i in range(iters):
            bound.step(epoch + i / iters)
            assert bound.last_epoch == epoch * iters + i
            assert lrs(optimizer) == [s(bound.last_epoch / iters)]


@pytest.mark.parametrize(
    ("value", "kwargs"),
    [(2.5, {}), (torch.tensor(3), {}), (torch.tensor(0.5), {"steps_per_epoch": 4})],
    ids=["float epoch without steps_per_epoch", "tensor epoch", "tensor with steps_per_epoch"],
)
def test_a_value_that_fits_neither_meaning_names_seek_and_metric(
    value: object, kwargs: dict[str, Any]
) -> None:
    optimizer = sgd(0.1)
    bound = ls.bind(optimizer, ls.cosine(10), **kwargs)
    bound.step()
    with pytest.raises(ls.ScheduleError, match=r"seek\(epoch\).*metric=") as caught:
        bound.step(value)
    assert "plateau" in str(caught.value)
    assert bound.last_epoch == 1  # the clock did not move


def test_a_plateau_binding_is_a_reduce_lr_on_plateau_for_trainers_that_ask() -> None:
    plain = ls.bind(sgd(0.1), ls.cosine(10))
    fed = ls.bind(sgd(0.1), ls.warmup(ls.constant(1), 2) * ls.plateau())
    text = ls.bind(sgd(0.1), "plateau(patience=2)")
    assert not isinstance(plain, tls.ReduceLROnPlateau)
    assert isinstance(fed, tls.ReduceLROnPlateau)
    assert isinstance(text, tls.ReduceLROnPlateau)
    assert isinstance(fed, ls.BoundSchedule)
    assert isinstance(ls.BoundSchedule(sgd(0.1), ls.plateau()), tls.ReduceLROnPlateau)
    again = pickle.loads(pickle.dumps(fed))
    assert isinstance(again, tls.ReduceLROnPlateau)


# -- 5. a clock that cannot drift ---------------------------------------------------------------

calls = st.lists(st.sampled_from(["optimizer", "scheduler", "scheduler-twice"]), max_size=40)


@settings(max_examples=40)
@given(calls, st.sampled_from([None, 3]))
def test_the_optimizer_clock_ignores_call_order_and_repeated_step_calls(
    order: list[str], k: int | None
) -> None:
    # Why 5: calling scheduler.step() before optimizer.step(), or N times per optimizer step
    # (Accelerate with N processes), shifts torch's schedule; the optimizer clock cannot drift.
    s = ls.warmup(ls.cosine(10), 3)
    optimizer = sgd(0.1)
    bound = ls.bind(optimizer, s, steps_per_epoch=k, clock="optimizer")
    used = []
    for call in order:
        if call == "optimizer":
            used.append(lrs(optimizer)[0])
            optimizer.step()
        else:
            for _ in range(1 + (call == "scheduler-twice")):
                bound.step()
    assert used == [0.1 * s(n / (k or 1)) for n in range(len(used))]
    assert bound.last_epoch == len(used)


def test_the_optimizer_clock_skips_the_steps_that_gradscaler_skips() -> None:
    # Why 5: AMP's GradScaler skips optimizer.step() on inf/NaN gradients; a scheduler stepped by
    # the loop counts that step anyway.
    s = ls.linear(1, 0, 10)

    def train(clock: str) -> tuple[list[float], int]:
        torch.manual_seed(0)
        model = torch.nn.Linear(2, 1)
        optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
        bound = ls.bind(optimizer, s, clock=clock)
        scaler = torch.amp.GradScaler("cpu")
        used = []
        for step in range(6):
            optimizer.zero_grad()
            loss = model(torch.ones(1, 2)).sum() * (math.inf if step == 2 else 1.0)
            scaler.scale(loss).backward()
            used.append(optimizer.param_groups[0]["lr"])
            scaler.step(optimizer)  # skipped at step 2
            scaler.update()
            bound.step()
        return used, bound.last_epoch

    follows, taken = train("optimizer")
    assert taken == 5
    assert follows == [0.1 * s(n) for n in [0, 1, 2, 2, 3, 4]]
    counted, calls = train("step")
    assert calls == 6
    assert counted == [0.1 * s(n) for n in range(6)]  # the skipped step shifted it


def test_the_optimizer_clock_resumes_and_copies_with_its_hook() -> None:
    s = ls.warmup(ls.cosine(20), 4)
    optimizer = sgd(0.1)
    bound = ls.bind(optimizer, s, clock="optimizer")
    for _ in range(7):
        optimizer.step()
    state = bound.state_dict()
    assert state["clock"] == "optimizer"
    fresh = sgd(0.1)
    resumed = ls.bind(fresh, s, clock="optimizer")
    resumed.load_state_dict(state)
    fresh.step()
    assert resumed.last_epoch == 8
    assert lrs(fresh) == [0.1 * s(8)]
    twin = copy.deepcopy(bound)
    twin.optimizer.step()
    assert (twin.last_epoch, bound.last_epoch) == (8, 7)
    assert lrs(twin.optimizer) == [0.1 * s(8)]
    assert lrs(optimizer) == [0.1 * s(7)]


def test_a_metric_with_the_optimizer_clock_is_recorded_at_the_current_step() -> None:
    optimizer = sgd(1.0)
    bound = ls.bind(optimizer, ls.plateau(gamma=0.5, patience=0), clock="optimizer")
    optimizer.step()
    bound.step(1.0)
    bound.step(1.0)  # again at the same step (Accelerate calls it once per process): replaced
    optimizer.step()
    bound.step(3.0)
    assert bound.metrics == ((1.0, 1.0), (2.0, 3.0))
    assert bound.last_epoch == 2
    assert lrs(optimizer) == [0.5]


def test_clock_option_is_checked() -> None:
    with pytest.raises(ls.ScheduleError, match=r"clock must be one of 'step', 'optimizer'"):
        ls.bind(sgd(0.1), ls.cosine(10), clock="wall")


# -- 3. the value guard -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("build", "message"),
    [
        (
            lambda o: ls.bind(o, ls.linear(1, -1, 10)),
            (
                r"param_groups\[0\]\['lr'\] must be >= 0 \(got -0.0199.*\) at epoch 6 \(step 6\), "
                r"from 0.1 \* linear\(1, -1, 10\)"
            ),
        ),
        (
            lambda o: ls.bind(o, betas=(ls.constant(1.2), None), absolute=True),
            r"param_groups\[0\]\['betas'\]\[0\] must be in \[0, 1\) \(got 1.2\) at epoch 0",
        ),
        (
            lambda o: ls.bind(o, weight_decay=ls.constant(-1)),
            r"\['weight_decay'\] must be >= 0 \(got -0.01\) at epoch 0",
        ),
    ],
    ids=["negative lr", "beta above 1", "negative weight decay"],
)
def test_values_outside_the_domain_are_refused_at_bind_time(build: Any, message: str) -> None:
    # Why 3: linear(1, -1, 10) gave lr -0.1 and betas (1.2, 0.999) were written without a word.
    model = torch.nn.Linear(2, 1)
    optimizer = torch.optim.Adam(model.parameters(), lr=0.1, weight_decay=0.01)
    before = groups_of(optimizer)
    with pytest.raises(ls.ScheduleError, match=message):
        build(optimizer)
    assert groups_of(optimizer) == before  # no initial_lr, nothing written


def test_a_negative_momentum_is_refused_and_other_keys_only_need_to_be_finite() -> None:
    optimizer = sgd(0.1, momentum=0.9, dampening=0.1)
    with pytest.raises(
        ls.ScheduleError, match=r"\['momentum'\] must be >= 0 \(got -0.149.*\) at epoch 3"
    ):
        ls.bind(optimizer, momentum=ls.linear(0.9, -0.5, 4), absolute=True)
    bound = ls.bind(optimizer, dampening=ls.linear(1, -1, 4))  # no domain but finiteness
    bound.seek(4)
    assert optimizer.param_groups[0]["dampening"] == pytest.approx(-0.1)


def test_an_opaque_or_overflowing_value_is_refused_when_written_and_changes_nothing() -> None:
    optimizer = sgd(0.1, 0.2)
    bound = ls.bind(optimizer, ls.function(lambda k: 1.0 if k < 3 else -2.0))
    bound.step()
    bound.step()
    before = (groups_of(optimizer), bound.last_epoch, bound.get_last_lr())
    with pytest.raises(
        ls.ScheduleError,
        match=r"param_groups\[0\]\['lr'\] must be >= 0 \(got -0.2\) at epoch 3 \(step 3\), "
        r"from 0.1 \* function\(.*<lambda>\); the optimizer was left unchanged",
    ):
        bound.step()
    assert (groups_of(optimizer), bound.last_epoch, bound.get_last_lr()) == before
    huge = ls.bind(sgd(0.1), ls.exponential(1e10))  # finite parameters, an overflowing value
    with pytest.raises(ls.ScheduleError, match=r"must be a finite number \(got inf\) at epoch 40"):
        huge.seek(40)


@settings(max_examples=40)
@given(st.floats(-2.0, 2.0), st.integers(0, 20))
def test_the_guard_never_lets_a_negative_lr_through(value: float, t: int) -> None:
    schedule = ls.function(lambda k: 1.0 if k < t else value)
    optimizer = sgd(0.1, 0.0)
    try:
        bound = ls.bind(optimizer, schedule)
    except ls.ScheduleError:
        assert value < 0
        assert t == 0
        return
    for _ in range(t + 2):
        try:
            bound.step()
        except ls.ScheduleError:
            assert value < 0
            break
    assert all(lr >= 0 for lr in lrs(optimizer))


# -- 4. from_torch + bind -----------------------------------------------------------------------


def test_binding_from_torch_does_not_apply_the_base_lr_twice() -> None:
    # Why 4: ls.bind(opt, ls.from_torch(s)) gave 0.01 where torch has 0.1.
    optimizer = sgd(0.1)
    scheduler = tls.StepLR(optimizer, step_size=3, gamma=0.5)
    bound = ls.bind(sgd(0.1), ls.from_torch(scheduler))
    assert bound.get_last_lr() == [0.1]
    assert bound.absolute == ("lr",) or bound.absolute is True
    with pytest.raises(ls.ScheduleError, match="absolute values: leave absolute unset"):
        ls.bind(sgd(0.1), ls.from_torch(scheduler), absolute=False)


@settings(max_examples=20, deadline=None)
@given(st.integers(0, 12), st.booleans())
def test_a_scheduler_converted_mid_run_continues_its_exact_trajectory(
    cut: int, one_call: bool
) -> None:
    # Why 4: a scheduler converted mid-run restarted at epoch 0.
    optimizer = sgd(0.1, 0.05, momentum=0.9)
    warm = tls.LinearLR(optimizer, 0.1, 1.0, 4)
    scheduler = tls.SequentialLR(
        optimizer, [warm, tls.CosineAnnealingLR(optimizer, 8)], milestones=[4]
    )
    expected = []
    for step in range(cut + 10):
        if step == cut:
            taken = lrs(optimizer)
            if one_call:
                bound = ls.bind(optimizer, scheduler, replace=True)
            else:
                bound = ls.bind(optimizer, ls.from_torch(scheduler))
            assert bound.last_epoch == cut
            assert lrs(optimizer) == pytest.approx(taken, rel=1e-12)
        if step >= cut:
            expected.append(lrs(optimizer))
        optimizer.step()
        if step < cut:
            scheduler.step()
        else:
            bound.step()
    reference = sgd(0.1, 0.05, momentum=0.9)
    torch_only = tls.SequentialLR(
        reference,
        [tls.LinearLR(reference, 0.1, 1.0, 4), tls.CosineAnnealingLR(reference, 8)],
        milestones=[4],
    )
    theirs = []
    for step in range(cut + 10):
        if step >= cut:
            theirs.append(lrs(reference))
        reference.step()
        torch_only.step()
    for ours, torchs in zip(expected, theirs, strict=True):
        assert ours == pytest.approx(torchs, rel=1e-10)


def test_a_torch_scheduler_of_another_optimizer_is_refused() -> None:
    scheduler = tls.StepLR(sgd(0.1), step_size=3)
    with pytest.raises(ls.ScheduleError, match="another optimizer"):
        ls.bind(sgd(0.1), scheduler)


def test_two_bindings_of_one_value_are_refused_unless_replaced() -> None:
    # Why 4: two bindings on one optimizer both wrote, silently.
    optimizer = sgd(0.1, 0.2, momentum=0.9)
    first = ls.bind(optimizer, ls.cosine(10))
    with pytest.raises(
        ls.ScheduleError, match=r"already has a binding that drives lr.*replace=True"
    ):
        ls.bind(optimizer, ls.step(2, 0.5))
    momentum = ls.bind(optimizer, momentum=ls.constant(0.5))  # another key: allowed
    second = ls.bind(optimizer, ls.step(2, 0.5), replace=True)
    with pytest.raises(ls.ScheduleError, match="was replaced"):
        first.step()
    second.step()
    second.step()
    assert lrs(optimizer) == [0.05, 0.1]
    momentum.step()
    assert optimizer.param_groups[0]["momentum"] == pytest.approx(0.45)
    disjoint = sgd(0.1, 0.2)
    ls.bind(disjoint, {0: ls.constant(0.5)})
    ls.bind(disjoint, {1: ls.constant(0.25)})  # other groups: allowed
    assert lrs(disjoint) == [0.05, 0.05]


def test_a_replaced_optimizer_clock_binding_stops_following() -> None:
    optimizer = sgd(1.0)
    old = ls.bind(optimizer, ls.step(1, 0.5), clock="optimizer")
    ls.bind(optimizer, ls.constant(0.25), clock="optimizer", replace=True)
    optimizer.step()
    assert old.last_epoch == 0
    assert lrs(optimizer) == [0.25]


# -- 8. a failed step changes nothing ----------------------------------------------------------


def test_a_failed_step_after_add_param_group_sets_no_initial_lr() -> None:
    # Why 8: the new group's initial_lr was set before the step failed.
    def spiky(k: int) -> float:
        return 1.0 if k < 1 else math.inf

    optimizer = sgd(0.1)
    bound = ls.bind(optimizer, ls.function(spiky))
    optimizer.add_param_group({"params": [torch.nn.Parameter(torch.zeros(1))], "lr": 0.3})
    with pytest.raises(ls.ScheduleError, match="must return a finite number"):
        bound.step()
    assert "initial_lr" not in optimizer.param_groups[1]
    assert lrs(optimizer) == [0.1, 0.3]
    bound.seek(0)  # a step that succeeds sets it
    assert optimizer.param_groups[1]["initial_lr"] == 0.3


# -- text and dict forms ------------------------------------------------------------------------


def test_bind_takes_the_text_and_dict_forms_of_a_schedule() -> None:
    s = ls.warmup(ls.cosine(4), 2)
    for given_as in (repr(s), ls.to_dict(s), [repr(s)], {0: ls.to_dict(s)}):
        bound = ls.bind(sgd(0.1), given_as)
        assert bound.schedules == (s,)
    adam = torch.optim.Adam([torch.nn.Parameter(torch.zeros(1))], lr=0.1)
    bound = ls.bind(adam, betas=("linear(0.95, 0.85, 10)", None), absolute=True)
    assert adam.param_groups[0]["betas"] == (0.95, 0.999)
    with pytest.raises(ls.ParseError):
        ls.bind(sgd(0.1), "cosine(")


# -- 9. the split -------------------------------------------------------------------------------


def test_the_checkpoint_format_and_the_plateau_engine_import_without_torch() -> None:
    # Why 9: the checkpoint format was mixed with the scheduler (and so with torch).
    code = (
        "import sys; sys.modules['torch'] = None\n"
        "import lrsched._checkpoint, lrsched._drives, lrsched._feeding, lrsched._fingerprint\n"
        "print('ok')"
    )
    result = subprocess.run(  # noqa: S603 (our interpreter, our code)
        [sys.executable, "-c", code], capture_output=True, text=True, check=False
    )
    assert result.stdout.strip() == "ok", result.stderr
