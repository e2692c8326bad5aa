"""Checkpoints of bound schedules: exact resume, refused mismatches, damaged dicts, copies.

``tests/test_bind.py`` covers the basic contract (one resume of a transparent schedule, a few
hand-written malformed dicts, one pickle). This file generalises each of those: schedule trees
with opaque nodes, several param groups, a real model and optimizer checkpointed alongside,
repeated resumes, random damage to the state dict, and copies compared with torch's own.
"""

from __future__ import annotations

import copy
import io
import math
import numbers
import pickle
import re
from collections.abc import Callable
from functools import partial
from typing import Any

import numpy as np
import pytest
import torch
from hypothesis import HealthCheck, assume, example, given, settings
from hypothesis import strategies as st
from torch.optim import lr_scheduler as tls

import lrsched as ls
from lrsched._fingerprint import fingerprint
from lrsched._leaves import MULTIPLICATIVE_HORIZON
from lrsched.adapter import STATE_FORMAT
from tests.bindable import lr_schedules as schedules
from tests.bindable import lr_transparent_schedules as transparent_schedules
from tests.garbage import NASTY_FLOATS, NASTY_INTS, damaged, garbage, scalars


def _bindable(s: ls.Schedule) -> bool:
    # A plateau can only be bound where it runs on the binding's own clock (not inside a
    # concat, warmup, ...): such trees are refused at bind time, by design.
    optimizer = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=0.1)
    try:
        ls.bind(optimizer, s)
    except ls.ScheduleError:
        return False
    return True


bindable_transparent = transparent_schedules.filter(_bindable)
bindable = st.one_of(transparent_schedules, schedules).filter(_bindable)

lrs_per_group = st.lists(st.sampled_from([0.1, 0.03, 1.0, 2.5e-4]), min_size=1, max_size=3)


def save_and_load(obj: object) -> Any:
    """``torch.save`` then ``torch.load(weights_only=True)``: what a checkpoint goes through."""
    buffer = io.BytesIO()
    torch.save(obj, buffer)
    buffer.seek(0)
    return torch.load(buffer, weights_only=True)


class Run:
    """A tiny model trained with SGD + momentum, one param group per lr, bound to schedules."""

    def __init__(
        self,
        lrs: list[float],
        schedule: ls.Schedule | list[ls.Schedule],
        *,
        seed: int = 0,
        absolute: bool = False,
        on_schedule_change: str = "refuse",
    ) -> None:
        torch.manual_seed(seed)
        self.layers = torch.nn.ModuleList(torch.nn.Linear(3, 1) for _ in lrs)
        groups = [
            {"params": layer.parameters(), "lr": lr}
            for layer, lr in zip(self.layers, lrs, strict=True)
        ]
        self.optimizer: torch.optim.Optimizer = torch.optim.SGD(groups, momentum=0.9)
        self.bound = ls.bind(
            self.optimizer, schedule, absolute=absolute, on_schedule_change=on_schedule_change
        )

    @classmethod
    def of(cls, layers: Any, optimizer: torch.optim.Optimizer, bound: ls.BoundSchedule) -> Run:
        run = cls.__new__(cls)
        run.layers, run.optimizer, run.bound = layers, optimizer, bound
        return run

    def lrs(self) -> list[float]:
        return [group["lr"] for group in self.optimizer.param_groups]

    def train(self, epochs: int) -> list[list[float]]:
        """Train ``epochs`` epochs; return the lrs each optimizer step used."""
        seen = []
        for _ in range(epochs):
            epoch = self.bound.last_epoch
            generator = torch.Generator().manual_seed(epoch)
            x = torch.randn(4, 3, generator=generator)
            loss = sum((layer(x) ** 2).mean() for layer in self.layers)
            self.optimizer.zero_grad()
            loss.backward()
            seen.append(self.lrs())
            self.optimizer.step()
            self.bound.step()
        return seen

    def weights(self) -> list[list[str]]:
        """The weights, bit for bit (``float.hex``: a large lr may make them inf or NaN)."""
        return [[v.hex() for v in p.detach().flatten().tolist()] for p in self.layers.parameters()]

    def checkpoint(self) -> dict[str, Any]:
        state = {
            "model": self.layers.state_dict(),
            "optimizer": self.optimizer.state_dict(),
            "scheduler": self.bound.state_dict(),
        }
        loaded: dict[str, Any] = save_and_load(state)
        return loaded


def resume(
    lrs: list[float],
    schedule: ls.Schedule | list[ls.Schedule],
    checkpoint: dict[str, Any],
    *,
    absolute: bool = False,
    scheduler_first: bool = False,
) -> Run:
    """A fresh process's view: other initial weights and lrs, then the checkpoint loaded."""
    run = Run([lr * 7 for lr in lrs], schedule, seed=1, absolute=absolute)
    run.layers.load_state_dict(checkpoint["model"])
    if scheduler_first:
        run.bound.load_state_dict(checkpoint["scheduler"])
        run.optimizer.load_state_dict(checkpoint["optimizer"])
    else:
        run.optimizer.load_state_dict(checkpoint["optimizer"])
        run.bound.load_state_dict(checkpoint["scheduler"])
    return run


def per_group(draw: Callable[..., Any], n: int, pool: st.SearchStrategy[ls.Schedule]) -> Any:
    """One schedule for all groups, or one per group."""
    if draw(st.booleans()):
        return draw(pool)
    return draw(st.lists(pool, min_size=n, max_size=n))


# -- resume reproduces the uninterrupted run exactly -------------------------------------------


@settings(max_examples=25, suppress_health_check=[HealthCheck.too_slow])
@given(st.data(), lrs_per_group, st.lists(st.integers(0, 12), min_size=1, max_size=3))
def test_resume_reproduces_the_uninterrupted_run_exactly(
    data: st.DataObject, lrs: list[float], cuts: list[int]
) -> None:
    schedule = per_group(data.draw, len(lrs), bindable)
    absolute = data.draw(st.booleans(), label="absolute")
    scheduler_first = data.draw(st.booleans(), label="scheduler_first")
    horizon = sum(cuts) + 10

    whole = Run(lrs, schedule, absolute=absolute)
    expected = whole.train(horizon)

    # Train in pieces; between pieces, everything goes through torch.save / torch.load and
    # into a fresh model, optimizer and binding.
    run = Run(lrs, schedule, absolute=absolute)
    seen = []
    for cut in cuts:
        seen += run.train(cut)
        run = resume(
            lrs, schedule, run.checkpoint(), absolute=absolute, scheduler_first=scheduler_first
        )
        assert run.bound.last_epoch == len(seen)
        assert run.bound.get_last_lr() == run.lrs() == expected[len(seen)]
    seen += run.train(horizon - len(seen))

    assert seen == expected
    assert run.weights() == whole.weights()  # bit-identical training, not just the lrs
    assert run.bound.state_dict() == whole.bound.state_dict()


@settings(max_examples=30)
@given(bindable_transparent, st.integers(0, 10**6), st.integers(0, 10**6))
def test_resume_at_any_epoch_then_seek(s: ls.Schedule, cut: int, later: int) -> None:
    first = Run([0.1], s)
    first.bound.seek(cut)
    state = save_and_load(first.bound.state_dict())
    second = Run([0.1], s)
    second.bound.load_state_dict(state)
    assert second.bound.last_epoch == cut
    assert second.lrs() == first.lrs() == [0.1 * s(cut)]
    second.bound.seek(later)
    second.bound.step()
    assert second.lrs() == [0.1 * s(later + 1)]


def test_state_dict_survives_weights_only_load_and_is_plain_data() -> None:
    bound = Run([0.1, 0.2], [ls.cosine(10), ls.multiplicative(abs)]).bound
    bound.seek(3)
    state = bound.state_dict()
    loaded = save_and_load(state)
    assert loaded == state
    assert _is_data(loaded)
    assert "torch.Tensor" not in repr(loaded)
    assert "tensor(" not in repr(loaded)
    assert loaded["schedules"] == ["cosine(10)", "multiplicative(abs)"]


# -- a checkpoint of another schedule -----------------------------------------------------------


@settings(max_examples=40)
@given(bindable_transparent, bindable_transparent, st.integers(0, 50))
def test_mismatch_shows_both_expressions_unless_allowed(
    saved: ls.Schedule, new: ls.Schedule, cut: int
) -> None:
    assume(repr(saved) != repr(new))
    old = Run([0.1, 0.2], [ls.constant(1), saved])
    old.bound.seek(cut)
    state = save_and_load(old.bound.state_dict())
    fresh = Run([0.5, 0.7], [ls.constant(1), new])  # other lrs: the saved base lrs must win
    before = snapshot(fresh)
    message = (
        "another schedule for param group 1:\n"
        f"  saved: {re.escape(repr(saved))}\n"
        f"  bound: {re.escape(repr(new))}\n"
        "pass on_schedule_change='jump'"
    )
    with pytest.raises(ls.ScheduleError, match=message):
        fresh.bound.load_state_dict(state)
    assert snapshot(fresh) == before

    fresh.bound.load_state_dict(state, on_schedule_change="jump")
    assert fresh.bound.last_epoch == cut
    for t in range(cut, cut + 5):
        assert fresh.lrs() == [0.1, 0.2 * new(t)]
        fresh.bound.step()


def test_mismatch_message_shows_both_expressions_on_their_own_lines() -> None:
    old = Run([0.1], ls.warmup(ls.cosine(90), 10))
    old.bound.seek(12)
    new = Run([0.1], ls.warmup(ls.cosine(80), 10))
    with pytest.raises(ls.ScheduleError) as caught:
        new.bound.load_state_dict(old.bound.state_dict())
    lines = str(caught.value).splitlines()
    assert lines[0] == "the checkpoint was made with another schedule for param group 0:"
    assert lines[1:3] == ["  saved: warmup(cosine(90), 10)", "  bound: warmup(cosine(80), 10)"]
    assert "on_schedule_change='jump'" in lines[3]


# -- damaged state dicts change nothing ---------------------------------------------------------


def plain(value: object) -> object:
    """``value`` with tensors turned into comparable data (dtype, shape, values), deeply."""
    if isinstance(value, torch.Tensor):
        return ("tensor", str(value.dtype), tuple(value.shape), value.detach().flatten().tolist())
    if isinstance(value, dict):
        return {key: plain(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [plain(item) for item in value]
    return value


def _is_data(value: object) -> bool:
    if isinstance(value, dict):
        return all(_is_data(k) and _is_data(v) for k, v in value.items())
    if isinstance(value, list | tuple):
        return all(_is_data(v) for v in value)
    return value is None or isinstance(value, bool | int | float | str | torch.Tensor)


def snapshot(run: Run) -> object:
    """Everything a failed load could touch, observed from outside and in plain attributes.

    The binding: its state_dict, epoch, lrs now and at other times, and every attribute that
    is plain data (counters, lists of numbers). The optimizer: its state_dict and the values
    in its param groups (tensor lrs by identity too, since they are written in place).
    """
    bound = run.bound
    groups = run.optimizer.param_groups
    return plain(
        {
            "state_dict": copy.deepcopy(bound.state_dict()),
            "last_epoch": bound.last_epoch,
            "last_lr": bound.get_last_lr(),
            "base_lrs": list(bound.base_lrs),
            "schedules": [repr(s) for s in bound.schedules],
            "at": [bound.at(t) for t in (0, 1, 5, 100)],
            "attributes": copy.deepcopy({k: v for k, v in vars(bound).items() if _is_data(v)}),
            "groups": copy.deepcopy(
                [{k: v for k, v in g.items() if k != "params"} for g in groups]
            ),
            "optimizer": copy.deepcopy(run.optimizer.state_dict()),
            "lr_objects": [id(g["lr"]) for g in groups],
        }
    )


tensors = st.sampled_from(
    [
        torch.tensor(1),
        torch.tensor(3),
        torch.tensor(0.1),
        torch.tensor([0.1, 0.2]),
        torch.tensor(math.nan),
        torch.tensor([], dtype=torch.float64),
        torch.tensor(True),  # noqa: FBT003 (a tensor, not a flag)
    ]
)


state_leaves = st.one_of(
    scalars, tensors, st.sampled_from(["lrsched.BoundSchedule", "cosine(10)", 1, 0, True, False])
)


@settings(max_examples=150, suppress_health_check=[HealthCheck.too_slow])
@given(bindable_transparent, st.integers(0, 40), st.data())
def test_damaged_state_is_refused_and_changes_nothing(
    s: ls.Schedule, cut: int, data: st.DataObject
) -> None:
    lrs = [0.1, 0.2]
    valid_source = Run(lrs, s)
    valid_source.bound.seek(cut)
    valid = valid_source.bound.state_dict()
    state = data.draw(damaged(valid, state_leaves), label="state")

    run = Run(lrs, s)
    run.train(3)
    before = snapshot(run)
    try:
        run.bound.load_state_dict(state)
    except ls.ScheduleError as error:
        assert str(error)  # noqa: PT017 (the refusal is one outcome; acceptance is the other)
        assert snapshot(run) == before
        return
    # Accepted: then it was a state this binding can continue from (an edit may leave the
    # essentials valid: an unknown key, a different epoch or base lr), and it was applied.
    epoch, base_lrs = state["last_epoch"], state["base_lrs"]
    assert type(epoch) is int
    assert epoch >= 0
    assert state["schedules"] == valid["schedules"]
    assert state["absolute"] is False
    assert len(base_lrs) == len(lrs)
    assert all(isinstance(b, numbers.Real) and not isinstance(b, bool) for b in base_lrs)
    assert all(math.isfinite(b) for b in base_lrs)
    assert run.bound.last_epoch == epoch
    assert run.bound.base_lrs == [float(b) for b in base_lrs]
    expected = [float(b) * s(epoch) for b in base_lrs]
    assert run.bound.get_last_lr() == expected
    assert [float(g["lr"]) for g in run.optimizer.param_groups] == expected


@pytest.mark.parametrize(
    ("state", "message"),
    [
        ({}, "missing"),
        (None, "must be a dict"),
        ([1, 2], "must be a dict"),
        ("lrsched.BoundSchedule", "must be a dict"),
        (
            {"format": "lrsched.BoundSchedule", "version": 1, "last_epoch": 3},
            "missing 'absolute', 'base_lrs', 'schedules'",
        ),
    ],
    ids=repr,
)
def test_truncated_or_foreign_state_is_refused(state: object, message: str) -> None:
    run = Run([0.1, 0.2], ls.cosine(10))
    run.train(2)
    before = snapshot(run)
    with pytest.raises(ls.ScheduleError, match=message):
        run.bound.load_state_dict(state)  # type: ignore[arg-type]
    assert snapshot(run) == before


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("format", torch.tensor([1, 1])),
        ("format", [STATE_FORMAT]),
        ("version", 4),
        ("version", "1"),
        ("format", np.array([1.0, 2.0])),
        ("version", np.array([1.0, 2.0])),
        ("version", torch.tensor([1, 1])),
        ("version", [1]),
        ("version", {}),
    ],
    ids=repr,
)
def test_odd_format_or_version_is_a_schedule_error(key: str, value: object) -> None:
    run = Run([0.1], ls.cosine(10))
    state = run.bound.state_dict()
    state[key] = value
    before = snapshot(run)
    with pytest.raises(ls.ScheduleError, match="format"):
        run.bound.load_state_dict(state)
    assert snapshot(run) == before


def test_a_torch_scheduler_state_is_refused() -> None:
    optimizer = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=0.1)
    torch_state = tls.StepLR(optimizer, 3).state_dict()
    run = Run([0.1], ls.step(3, 0.1))
    before = snapshot(run)
    with pytest.raises(ls.ScheduleError, match="missing 'format', 'version'"):
        run.bound.load_state_dict(torch_state)
    assert snapshot(run) == before


@pytest.mark.parametrize(
    ("schedule", "epoch"),
    [
        (ls.cosine(10), 10**400),  # an int that no float can hold
        (ls.multiplicative(abs), MULTIPLICATIVE_HORIZON + 1),  # past a callable's horizon
    ],
    ids=["huge-int", "past-horizon"],
)
def test_an_epoch_the_schedule_cannot_evaluate_changes_nothing(
    schedule: ls.Schedule, epoch: int
) -> None:
    run = Run([0.1, 0.2], schedule)
    run.train(2)
    state = run.bound.state_dict()
    state["last_epoch"] = epoch
    state["base_lrs"] = [0.5, 0.5]
    before = snapshot(run)
    with pytest.raises(ls.ScheduleError):
        run.bound.load_state_dict(state)
    assert snapshot(run) == before


# -- pickle and deepcopy, as torch's schedulers do ----------------------------------------------


def copies(obj: Any) -> list[tuple[str, Any]]:
    return [("pickle", pickle.loads(pickle.dumps(obj))), ("deepcopy", copy.deepcopy(obj))]


@settings(max_examples=30)
@given(st.data(), lrs_per_group, st.integers(0, 20), st.integers(1, 15))
def test_copies_carry_their_own_optimizer_and_continue_alike(
    data: st.DataObject, lrs: list[float], before: int, after: int
) -> None:
    schedule = per_group(data.draw, len(lrs), bindable)
    original = Run(lrs, schedule)
    original.train(before)
    for how, (layers, optimizer, bound) in copies(
        (original.layers, original.optimizer, original.bound)
    ):
        # The links survive: the copy's binding drives the copy's optimizer, whose params are
        # the copy's model's.
        assert bound.optimizer is optimizer, how
        assert optimizer.param_groups[0]["params"][0] is next(layers.parameters()), how
        assert optimizer is not original.optimizer, how
        assert bound.schedules == original.bound.schedules, how
        assert bound.state_dict() == original.bound.state_dict(), how
        twin = Run.of(layers, optimizer, bound)
        reference = copy.deepcopy(original)
        assert twin.train(after) == reference.train(after), how
        assert twin.weights() == reference.weights(), how
        assert original.bound.last_epoch == before  # the original did not move
    alone = pickle.loads(pickle.dumps(original.bound))
    assert alone.optimizer is not original.optimizer
    assert alone.get_last_lr() == original.bound.get_last_lr()


def torch_step_lr(optimizer: torch.optim.Optimizer) -> tls.LRScheduler:
    return tls.StepLR(optimizer, 2, 0.5)


def lrsched_step(optimizer: torch.optim.Optimizer) -> tls.LRScheduler:
    return ls.bind(optimizer, ls.step(2, 0.5))


def copy_semantics(build: Callable[[torch.optim.Optimizer], tls.LRScheduler]) -> list[object]:
    """What copying a scheduler does, observed the same way for any scheduler."""
    optimizer = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=0.1)
    scheduler = build(optimizer)
    optimizer.step()
    scheduler.step()
    seen: list[object] = []
    for _, (opt, sched) in copies((optimizer, scheduler)):
        seen.append(sched.optimizer is opt)  # copied together: the link is kept
        for _ in range(3):
            opt.step()
            sched.step()
        seen.append((sched.last_epoch, opt.param_groups[0]["lr"]))
    seen.append((scheduler.last_epoch, optimizer.param_groups[0]["lr"]))  # original unmoved
    for _, lone in copies(scheduler):
        seen.append(lone.optimizer is optimizer)  # copied alone: with a copy of the optimizer
        seen.append(lone.optimizer.param_groups[0]["lr"])
    return seen


def test_copies_behave_like_copies_of_torch_schedulers() -> None:
    ours, theirs = copy_semantics(lrsched_step), copy_semantics(torch_step_lr)
    assert ours == theirs
    assert ours[:2] == [True, (4, 0.025)]


def test_garbage_strategy_reaches_the_nested_values() -> None:
    # The damage strategy must be able to reach every part of a state dict.
    valid = Run([0.1, 0.2], ls.cosine(10)).bound.state_dict()
    seen_paths: set[str] = set()

    @settings(max_examples=600, database=None, derandomize=True)
    @given(damaged(valid, garbage()))
    def collect(state: object) -> None:
        if isinstance(state, dict):
            seen_paths.update(k for k in valid if repr(state.get(k)) != repr(valid[k]))

    collect()
    assert seen_paths == set(valid)


# -- a different schedule is told apart by meaning (issue 12, Why 2) --------------------------


def linear_decay(k: int, n: int) -> float:
    return max(0.0, 1.0 - k / n)


def decay_by(gamma: float) -> Callable[[int], float]:
    return lambda k: gamma**k


class Halving:
    """A callable whose state no fingerprint can read (slots, no __dict__): probes tell."""

    __slots__ = ("every",)

    def __init__(self, every: int) -> None:
        self.every = every

    def __call__(self, k: int) -> float:
        return 0.5 ** (k // self.every)


ALIKE = [
    (ls.function(partial(linear_decay, n=100)), ls.function(partial(linear_decay, n=150))),
    (ls.function(lambda k: 0.9**k), ls.function(lambda k: 0.8**k)),
    (ls.parse("function(cosine(10))"), ls.parse("function(cosine(20))")),
    (ls.function(decay_by(0.9)), ls.function(decay_by(0.8))),
    (ls.function(Halving(3)), ls.function(Halving(4))),
    (
        ls.multiplicative(partial(linear_decay, n=100)),
        ls.multiplicative(partial(linear_decay, n=99)),
    ),
]


@pytest.mark.parametrize(("saved", "bound"), ALIKE, ids=repr)
def test_a_schedule_that_prints_alike_but_means_otherwise_is_refused(
    saved: ls.Schedule, bound: ls.Schedule
) -> None:
    old = Run([0.1], saved)
    old.train(2)
    state = save_and_load(old.bound.state_dict())
    fresh = Run([0.1], bound)
    before = snapshot(fresh)
    # The old check compared repr strings; where they are equal the message says so.
    alike = " \\(they print alike but differ in meaning\\)" if repr(saved) == repr(bound) else ""
    with pytest.raises(ls.ScheduleError, match=f"another schedule for param group 0{alike}:"):
        fresh.bound.load_state_dict(state)
    assert snapshot(fresh) == before


EQUAL = [
    lambda: ls.function(partial(linear_decay, n=100)),
    lambda: ls.function(decay_by(0.9)),
    lambda: ls.parse("function(cosine(10))"),
    lambda: ls.function(Halving(3)),
    lambda: ls.multiplicative(decay_by(0.99)) * ls.warmup(ls.cosine(9), 2),
]


@pytest.mark.parametrize("make", EQUAL, ids=lambda make: repr(make()))
def test_an_equal_schedule_built_anew_is_always_accepted(make: Callable[[], ls.Schedule]) -> None:
    whole = Run([0.1], make())
    whole.train(7)
    old = Run([0.1], make())
    old.train(3)
    state = pickle.loads(pickle.dumps(old.bound.state_dict()))
    fresh = Run([0.1], make())  # other callables objects, the same meaning
    fresh.bound.load_state_dict(state)
    fresh.train(4)
    assert fresh.lrs() == whole.lrs()


@settings(max_examples=30)
@given(st.tuples(transparent_schedules, transparent_schedules))
def test_fingerprints_of_transparent_schedules_agree_with_equality(
    pair: tuple[ls.Schedule, ls.Schedule],
) -> None:
    a, b = pair
    assert (fingerprint(a) == fingerprint(b)) == (a == b)
    assert fingerprint(a) == fingerprint(ls.parse(repr(a)))


# -- budget and batch-size changes on resume (issue 12, Why 7) ----------------------------------


def test_rescale_keeps_the_lr_continuous_when_the_budget_changes() -> None:
    old = Run([0.1], ls.cosine(100))
    old.bound.seek(40)
    saved_lr = old.lrs()[0]
    state = save_and_load(old.bound.state_dict())
    jumped = Run([0.1], ls.cosine(150))
    jumped.bound.load_state_dict(state, on_schedule_change="jump")
    assert jumped.lrs()[0] == pytest.approx(0.1 * ls.cosine(150)(40), rel=1e-12)
    assert jumped.lrs()[0] / saved_lr > 1.2  # the jump that rescale avoids
    # The option given at bind time: what a trainer's own load_state_dict call follows.
    fresh = Run([0.1], ls.cosine(150), on_schedule_change="rescale")
    fresh.bound.load_state_dict(state)
    assert fresh.lrs()[0] == pytest.approx(saved_lr, rel=1e-12)
    c = saved_lr / (0.1 * ls.cosine(150)(40))
    assert fresh.bound.schedules == (c * ls.cosine(150),)
    for t in range(41, 60):
        fresh.bound.step()
        assert fresh.lrs()[0] == pytest.approx(0.1 * c * ls.cosine(150)(t), rel=1e-12)
    # Saved again, the scaled schedule is what the next resume sees.
    again = Run([0.1], ls.cosine(150), on_schedule_change="rescale")
    again.bound.load_state_dict(save_and_load(fresh.bound.state_dict()))
    assert again.lrs()[0] == pytest.approx(fresh.lrs()[0], rel=1e-12)


def test_rescale_refuses_when_the_new_schedule_is_zero_there() -> None:
    old = Run([0.1], ls.cosine(100))
    old.bound.seek(40)
    fresh = Run([0.1], ls.cosine(30))  # 0 at epoch 40: no factor makes it continuous
    before = snapshot(fresh)
    with pytest.raises(ls.ScheduleError, match="cannot keep lr of param group 0 continuous"):
        fresh.bound.load_state_dict(old.bound.state_dict(), on_schedule_change="rescale")
    assert snapshot(fresh) == before


@pytest.mark.parametrize("policy", ["jump", "rescale"])
def test_a_batch_size_change_resumes_at_the_same_epoch(policy: str) -> None:
    s = ls.warmup(ls.cosine(10), 2)
    optimizer = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=0.1)
    old = ls.bind(optimizer, s * ls.plateau(patience=0), steps_per_epoch=4)
    for epoch in range(3):
        for _ in range(4):
            old.step()
        old.record(float(epoch))  # worse every epoch: reduced at epochs 2 and 3
    state = save_and_load(old.state_dict())
    fresh_optimizer = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=0.1)
    fresh = ls.bind(fresh_optimizer, s * ls.plateau(patience=0), steps_per_epoch=8)
    with pytest.raises(ls.ScheduleError, match=r"steps_per_epoch=4 .* on_schedule_change='jump'"):
        fresh.load_state_dict(state)
    fresh.load_state_dict(state, on_schedule_change=policy)
    assert (fresh.last_epoch, fresh.time) == (24, 3.0)
    assert fresh.metrics == old.metrics
    assert fresh.get_last_lr() == old.get_last_lr()
    assert fresh.at(2.5) == old.at(2.5)


# -- malformed states raise the documented error only (issue 12, Why 8) -------------------------

fuzz_leaves = st.one_of(
    state_leaves,
    st.sampled_from(NASTY_INTS),
    st.sampled_from(NASTY_FLOATS),
    st.lists(st.sampled_from([*NASTY_INTS, 0.5, None, "x"]), max_size=3),
)


def fuzzed_run() -> Run:
    return Run(
        [0.1, 0.2],
        [ls.warmup(ls.constant(1), 2) * ls.plateau(patience=1), ls.function(decay_by(0.9))],
    )


@settings(max_examples=200, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
@example(data=None)
def test_any_damage_to_a_rich_state_raises_schedule_error_only(data: st.DataObject | None) -> None:
    source = fuzzed_run()
    for m in [3.0, 2.0, 2.5, 2.5, float("nan")]:
        source.bound.step(metric=m)
    valid = source.bound.state_dict()
    cases = (
        [data.draw(damaged(valid, fuzz_leaves), label="state")]
        if data is not None
        else [
            {**valid, "base_lrs": [10**400, 0.2]},
            {**valid, "metrics": [10**400, *valid["metrics"][1:]]},
            {**valid, "metric_steps": [*valid["metric_steps"][:-1], 10**400]},
            {**valid, "last_epoch": 10**400},
            {**valid, "probes": {k: [10**400] for k in valid["probes"]}},
            {**valid, "probe_times": [10**400] * len(valid["probe_times"])},
        ]
    )
    for state in cases:
        run = fuzzed_run()
        run.train(2)
        before = snapshot(run)
        try:
            run.bound.load_state_dict(state)
        except ls.ScheduleError as error:
            assert str(error)  # noqa: PT017 (refusal is one outcome; acceptance the other)
            assert snapshot(run) == before
            continue
        assert run.bound.last_epoch == state["last_epoch"]


def test_a_fingerprint_does_not_change_when_a_schedule_is_evaluated() -> None:
    # Caches of opaque nodes (multiplicative's running products) are not part of the meaning.
    s = ls.multiplicative(decay_by(0.99)) * ls.function(partial(linear_decay, n=10**6))
    before = fingerprint(s)
    s(np.arange(2000.0))
    assert fingerprint(s) == before
    assert fingerprint(s) != fingerprint(ls.multiplicative(decay_by(0.98)))
