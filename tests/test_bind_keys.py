"""The binding beyond one lr per epoch: any key, any group, time units, tensors, torch.compile."""

from __future__ import annotations

import copy
import doctest
import io
import math
import pickle
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch
import torch._dynamo
from hypothesis import given, settings
from hypothesis import strategies as st

import lrsched as ls
from lrsched._fingerprint import fingerprint
from lrsched.adapter import STATE_VERSION
from tests.bindable import lr_transparent_schedules as transparent_schedules


def sgd(lrs: list[float], momentum: float = 0.9, **kw: Any) -> torch.optim.Optimizer:
    groups = [{"params": [torch.nn.Parameter(torch.zeros(1))], "lr": lr} for lr in lrs]
    return torch.optim.SGD(groups, momentum=momentum, **kw)


def adam(lrs: list[float], **kw: Any) -> torch.optim.Optimizer:
    groups = [{"params": [torch.nn.Parameter(torch.zeros(1))], "lr": lr} for lr in lrs]
    return torch.optim.Adam(groups, **kw)


def save_and_load(state: dict[str, Any]) -> dict[str, Any]:
    buffer = io.BytesIO()
    torch.save(state, buffer)
    buffer.seek(0)
    loaded: dict[str, Any] = torch.load(buffer, weights_only=True)
    return loaded


def is_plain(value: object) -> bool:
    if isinstance(value, dict):
        return all(isinstance(k, str) and is_plain(v) for k, v in value.items())
    if isinstance(value, list):
        return all(is_plain(v) for v in value)
    return value is None or isinstance(value, bool | int | float | str)


# -- any key --------------------------------------------------------------------------------


def test_momentum_absolute_while_lr_is_relative() -> None:
    lr, momentum = ls.cosine(10), ls.linear(0.95, 0.85, 10)
    optimizer = sgd([0.1, 0.2])
    bound = ls.bind(optimizer, lr, momentum=momentum, absolute={"momentum"})
    assert bound.absolute == ("momentum",)
    assert bound.driven == ("lr", "momentum")
    for t in range(12):
        for group, base in zip(optimizer.param_groups, (0.1, 0.2), strict=True):
            assert group["lr"] == base * lr(t)
            assert group["momentum"] == momentum(t)
        assert bound.at(t, "momentum") == [momentum(t)] * 2
        bound.step()
    assert "initial_momentum" not in optimizer.param_groups[0]


def test_relative_key_multiplies_its_initial_value_kept_like_initial_lr() -> None:
    optimizer = sgd([0.1], weight_decay=1e-4)
    optimizer.param_groups[0]["initial_momentum"] = 0.8  # e.g. restored from a checkpoint
    s = ls.step(1, 0.5)
    bound = ls.bind(optimizer, weight_decay=s, momentum=ls.constant(1))
    bound.step()
    group = optimizer.param_groups[0]
    assert group["initial_weight_decay"] == 1e-4
    assert group["weight_decay"] == 1e-4 * s(1)
    assert group["momentum"] == 0.8
    assert group["lr"] == 0.1  # not driven: left alone
    assert "initial_lr" not in group
    assert bound.get_last_lr() == [0.1]
    assert bound.schedules == (None,)


def test_tuple_key_takes_a_schedule_or_none_per_element() -> None:
    beta1 = ls.linear(0.85, 0.95, 4)
    optimizer = adam([1e-3], betas=(0.9, 0.999))
    bound = ls.bind(optimizer, betas=(beta1, None), absolute=True)
    for t in range(6):
        assert optimizer.param_groups[0]["betas"] == (beta1(t), 0.999)
        assert bound.at(t, "betas") == [(beta1(t), 0.999)]
        bound.step()
    relative = adam([1e-3], betas=(0.9, 0.999))
    ls.bind(relative, betas=(None, ls.constant(0.5)))
    assert relative.param_groups[0]["betas"] == (0.9, 0.999 * 0.5)
    assert relative.param_groups[0]["initial_betas"] == (0.9, 0.999)


def test_adam_steps_with_driven_betas() -> None:
    torch.manual_seed(0)
    model = torch.nn.Linear(3, 1)
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-2)
    bound = ls.bind(
        optimizer, ls.cosine(5), betas=[(ls.linear(0.8, 0.9, 5), None)], absolute={"betas"}
    )
    x, y = torch.randn(8, 3), torch.randn(8, 1)
    for _ in range(5):
        loss = torch.nn.functional.mse_loss(model(x), y)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        bound.step()
    assert optimizer.param_groups[0]["betas"] == (0.9, 0.999)


def test_mapping_drives_only_the_listed_groups() -> None:
    s = ls.step(1, 0.5)
    optimizer = sgd([0.1, 0.2, 0.3])
    bound = ls.bind(optimizer, {1: s}, momentum={0: ls.constant(0.5), 2: None})
    bound.step()
    groups = optimizer.param_groups
    assert [g["lr"] for g in groups] == [0.1, 0.2 * 0.5, 0.3]
    assert [g["momentum"] for g in groups] == [0.45, 0.9, 0.9]
    assert bound.get_last_lr() == [0.1, 0.1, 0.3]
    assert "initial_lr" not in groups[0]
    assert bound.base_lrs == [None, 0.2, None]
    assert bound.schedules == (None, s, None)


def test_a_list_may_leave_groups_alone_with_none() -> None:
    optimizer = sgd([0.1, 0.2])
    bound = ls.bind(optimizer, [None, ls.constant(0.5)])
    assert bound.get_last_lr() == [0.1, 0.1]


def test_schedules_keyword_and_lr_keyword_alias_the_lr_schedule() -> None:
    s = ls.constant(0.5)
    assert ls.bind(sgd([0.1]), schedules=s).get_last_lr() == [0.05]
    assert ls.bind(sgd([0.1]), lr=s).get_last_lr() == [0.05]
    with pytest.raises(TypeError, match=r"the lr schedule was given twice \(schedule and lr\)"):
        ls.bind(sgd([0.1]), s, lr=s)


@pytest.mark.parametrize(
    ("call", "error", "message"),
    [
        (lambda: ls.bind(adam([0.1]), momentum=ls.constant(1)), ls.ScheduleError, "no 'momentum'"),
        (
            lambda: ls.bind(adam([0.1]), betas=ls.constant(1)),
            TypeError,
            r"betas must be a tuple with a schedule or None for each of the 2 elements",
        ),
        (
            lambda: ls.bind(adam([0.1]), betas=(ls.constant(1),)),
            ls.ScheduleError,
            r"betas must be a tuple with a schedule or None for each of the 2 elements",
        ),
        (
            lambda: ls.bind(sgd([0.1]), momentum={0: (ls.constant(1), None)}),
            TypeError,
            r"momentum\[0\] must be a Schedule: the key holds a number, not a tuple",
        ),
        (
            lambda: ls.bind(sgd([0.1]), {2: ls.constant(1)}),
            ls.ScheduleError,
            r"schedules maps param group 2, but the optimizer has 1 param groups",
        ),
        (
            lambda: ls.bind(sgd([0.1, 0.2]), momentum=[ls.constant(1)]),
            ls.ScheduleError,
            r"momentum must have one entry per param group: the optimizer has 2 \(got 1\)",
        ),
        (
            lambda: ls.bind(sgd([0.1]), ls.cosine(3), absolute={"momentum"}),
            ls.ScheduleError,
            r"absolute names keys that are not bound: momentum \(bound: lr\)",
        ),
        (
            lambda: ls.bind(sgd([0.1]), momentum=ls.cosine(3), absolute="momentum"),
            TypeError,
            r"absolute must be True or False, or a collection of param-group keys",
        ),
        (lambda: ls.bind(sgd([0.1])), TypeError, r"nothing to bind"),
        (
            lambda: ls.bind(sgd([0.1]), ls.cosine(3), steps_per_epoch=0),
            ls.ScheduleError,
            r"steps_per_epoch must be >= 1 \(got 0\)",
        ),
        (
            lambda: ls.bind(sgd([0.1]), ls.cosine(3), steps_per_epoch=2.5),
            TypeError,
            r"steps_per_epoch must be an int >= 1 or None \(got float: 2.5\)",
        ),
        (
            lambda: ls.bind(sgd([0.1]), momentum=object()),
            TypeError,
            r"momentum must be a Schedule, a sequence of them \(one per param group\) or a mapping",
        ),
    ],
)
def test_binding_arguments_are_checked(call: Any, error: type[Exception], message: str) -> None:
    with pytest.raises(error, match=message):
        call()


# -- groups added after binding, optimizer state loaded after binding -----------------------------


def test_added_group_follows_every_key_given_for_all_groups() -> None:
    lr, momentum = ls.step(1, 0.5), ls.linear(0.9, 0.5, 4)
    optimizer = sgd([0.1])
    bound = ls.bind(optimizer, lr, momentum=momentum, absolute={"momentum"})
    bound.step()
    optimizer.add_param_group({"params": [torch.nn.Parameter(torch.zeros(1))], "lr": 0.4})
    before = dict(optimizer.param_groups[1])
    assert bound.at(3) == [0.1 * lr(3), 0.4 * lr(3)]  # at() sees it, and writes nothing
    assert optimizer.param_groups[1] == before
    bound.step()
    new = optimizer.param_groups[1]
    assert (new["lr"], new["initial_lr"], new["momentum"]) == (0.4 * lr(2), 0.4, momentum(2))
    assert bound.base_lrs == [0.1, 0.4]
    assert len(bound.state_dict()["base_lrs"]) == 2


def test_binding_follows_an_optimizer_state_loaded_after_bind() -> None:
    # The usual resume order: build optimizer and scheduler, then load both checkpoints.
    s = ls.warmup(ls.cosine(20), 5)
    optimizer = sgd([0.1])
    bound = ls.bind(optimizer, s)
    bound.seek(7)
    checkpoint = save_and_load({"optimizer": optimizer.state_dict(), "bound": bound.state_dict()})
    fresh = sgd([123.0])
    resumed = ls.bind(fresh, s)
    fresh.load_state_dict(checkpoint["optimizer"])  # replaces the param group dicts
    resumed.load_state_dict(checkpoint["bound"])
    resumed.step()
    bound.step()
    assert fresh.param_groups[0]["lr"] == optimizer.param_groups[0]["lr"] == 0.1 * s(8)


# -- time units --------------------------------------------------------------------------------


def test_steps_per_epoch_time_is_computed_from_the_step_count() -> None:
    s = ls.warmup(ls.cosine(10), 1)
    optimizer = sgd([0.1])
    bound = ls.bind(optimizer, s, steps_per_epoch=3)
    n = 3000
    for _ in range(n):
        bound.step()
    # an accumulated clock drifts: 3000 additions of 1/3 are not 1000
    assert sum([1 / 3] * n) != n / 3
    assert bound.time == n / 3 == 1000.0
    assert bound.last_epoch == n
    assert bound.get_last_lr() == [0.1 * s(1000.0)]
    bound.sync(10**7 + 1)
    assert bound.time == (10**7 + 1) / 3
    assert optimizer.param_groups[0]["lr"] == 0.1 * s((10**7 + 1) / 3)


def test_every_step_uses_exactly_steps_over_k() -> None:
    s = ls.warmup(ls.exponential(0.9), 2, start=0.1)
    optimizer = sgd([0.5])
    bound = ls.bind(optimizer, s, steps_per_epoch=7)
    for n in range(1, 50):
        bound.step()
        assert optimizer.param_groups[0]["lr"] == 0.5 * s(n / 7)


def test_seek_and_at_take_fractional_epochs() -> None:
    s = ls.linear(0, 1, 10)
    optimizer = sgd([1.0])
    bound = ls.bind(optimizer, s, steps_per_epoch=10)
    bound.seek(0.7)
    assert bound.last_epoch == 7
    assert bound.time == 0.7
    assert optimizer.param_groups[0]["lr"] == s(0.7)
    assert bound.at(2.345) == [s(2.345)]
    bound.step(2.5)
    assert bound.last_epoch == 25
    with pytest.raises(ls.ScheduleError, match=r"epoch must be a whole number of steps \(got 0.75"):
        bound.seek(0.75)
    with pytest.raises(ls.ScheduleError, match=r"epoch must be a finite number >= 0 \(got -1\)"):
        bound.seek(-1)
    assert bound.last_epoch == 25
    with pytest.raises(ls.ScheduleError, match=r"t must be a finite number >= 0 \(got -0.5\)"):
        bound.at(-0.5)


def test_sync_sets_the_clock_from_the_callers_counter() -> None:
    s = ls.step(100, 0.5)
    optimizer = sgd([1.0])
    bound = ls.bind(optimizer, s, steps_per_epoch=50)
    bound.sync(250)  # e.g. after AMP skipped steps, the loop's own count wins
    assert bound.last_epoch == 250
    assert optimizer.param_groups[0]["lr"] == s(5.0)
    with pytest.raises(TypeError, match=r"step must be an int >= 0 \(got float: 2.5\)"):
        bound.sync(2.5)  # type: ignore[arg-type]
    with pytest.raises(ls.ScheduleError, match=r"step must be >= 0 \(got -1\)"):
        bound.sync(-1)


# -- tensors ------------------------------------------------------------------------------------


@pytest.mark.parametrize("dtype", [torch.float64, torch.float32, torch.bfloat16])
def test_tensor_values_are_filled_in_place(dtype: torch.dtype) -> None:
    lr = torch.tensor(0.01, dtype=dtype)
    betas = (torch.tensor(0.9, dtype=dtype), torch.tensor(0.99, dtype=dtype))
    optimizer = adam([0.0], betas=betas)
    optimizer.param_groups[0]["lr"] = lr
    beta1 = ls.linear(0.8, 0.9, 3)
    bound = ls.bind(optimizer, ls.step(1, 0.5), betas=(beta1, None), absolute={"betas"})
    for t in range(4):
        group = optimizer.param_groups[0]
        assert group["lr"] is lr
        assert group["betas"][0] is betas[0]
        assert lr.dtype == dtype
        assert lr.device.type == "cpu"
        assert lr.item() == torch.tensor(0.01 * 0.5**t, dtype=dtype).item()
        assert betas[0].item() == torch.tensor(beta1(t), dtype=dtype).item()
        assert type(bound.get_last_lr()[0]) is float
        assert bound.get_last_lr() == [float(torch.tensor(0.01, dtype=dtype)) * 0.5**t]
        bound.step()
    assert optimizer.param_groups[0]["initial_lr"] is not lr


def test_tensor_on_the_meta_device_keeps_its_device() -> None:
    optimizer = sgd([0.1])
    lr = torch.tensor(0.1, device="meta")
    optimizer.param_groups[0]["lr"] = lr
    bound = ls.bind(optimizer, ls.constant(0.5), absolute=True)
    bound.step()
    assert optimizer.param_groups[0]["lr"] is lr
    assert lr.device.type == "meta"


def _compiled_steps(lr: float | torch.Tensor, n: int) -> int:
    """Run n compiled Adam steps with a bound schedule; return how many frames were compiled."""
    import torch._dynamo.testing  # noqa: PLC0415 (only this test compiles)

    torch._dynamo.reset()
    param = torch.nn.Parameter(torch.ones(4))
    param.grad = torch.ones(4)
    optimizer = torch.optim.Adam([param], lr=lr)
    counter = torch._dynamo.testing.CompileCounter()

    @torch.compile(backend=counter)
    def optimizer_step() -> None:
        optimizer.step()

    bound = ls.bind(optimizer, ls.warmup(ls.cosine(n), 2), absolute=False)
    values = []
    for _ in range(n):
        optimizer_step()
        bound.step()
        values.append(float(optimizer.param_groups[0]["lr"]))
    assert len(set(values)) > n // 2  # the lr really changed from step to step
    return int(counter.frame_count)


@pytest.mark.skipif(
    not torch._dynamo.is_dynamo_supported(), reason="torch.compile is not supported here"
)
@pytest.mark.filterwarnings("ignore:`torch.jit.script_method` is deprecated:DeprecationWarning")
def test_torch_compile_does_not_recompile_when_a_tensor_lr_is_scheduled() -> None:
    # A counting backend: dynamo traces and guards exactly as with inductor, without codegen.
    assert _compiled_steps(torch.tensor(0.01), 8) == 1
    # the control: a float lr is a constant of the graph, so a new value recompiles
    assert _compiled_steps(0.01, 8) > 1


# -- checkpoints ------------------------------------------------------------------------------


@settings(max_examples=30)
@given(
    transparent_schedules,
    transparent_schedules.map(lambda m: ls.clamp(m, high=0.999)),  # a beta is < 1
    st.integers(0, 30),
    st.sampled_from([None, 1, 4]),
)
def test_resume_with_keys_and_steps_per_epoch_continues_exactly(
    s: ls.Schedule, m: ls.Schedule, cut: int, k: int | None
) -> None:
    def make() -> tuple[torch.optim.Optimizer, ls.BoundSchedule]:
        optimizer = adam([0.1, 0.01])
        bound = ls.bind(
            optimizer, s, betas=[(m, None), None], absolute={"betas"}, steps_per_epoch=k
        )
        return optimizer, bound

    def values(o: torch.optim.Optimizer) -> list[object]:
        return [(g["lr"], g["betas"]) for g in o.param_groups]

    optimizer, whole = make()
    trajectory = []
    for _ in range(cut + 20):
        trajectory.append(values(optimizer))
        whole.step()
    _, first = make()
    for _ in range(cut):
        first.step()
    state = first.state_dict()
    assert is_plain(state)
    assert state["version"] == STATE_VERSION
    optimizer, resumed = make()
    resumed.load_state_dict(save_and_load(state))
    rest = []
    for _ in range(20):
        rest.append(values(optimizer))
        resumed.step()
    assert rest == trajectory[cut:]


def test_state_dict_layout() -> None:
    optimizer = adam([0.1, 0.2])
    bound = ls.bind(
        optimizer, ls.cosine(10), betas={1: (ls.constant(0.9), None)}, steps_per_epoch=5
    )
    bound.step()
    lrs = bound.get_last_lr()
    prints = {s: fingerprint(s) for s in (ls.cosine(10), ls.constant(0.9))}
    assert bound.state_dict() == {
        "format": "lrsched.BoundSchedule",
        "version": 3,
        "last_epoch": 1,
        "steps_per_epoch": 5,
        "clock": "step",
        "absolute": False,
        "base_lrs": [0.1, 0.2],
        "schedules": ["cosine(10)", "cosine(10)"],
        "fingerprints": [prints[ls.cosine(10)]] * 2,
        "lrs": lrs,
        "hyperparameters": {
            "betas": {
                "bases": [None, [0.9, None]],
                "schedules": [None, ["constant(0.9)", None]],
                "fingerprints": [None, [prints[ls.constant(0.9)], None]],
                "values": [None, [0.9 * 0.9, None]],
            }
        },
        "metrics": [],
        "metric_steps": [],
        "probe_times": [],
        "probes": {},
    }


def test_version_1_states_still_load() -> None:
    s = ls.warmup(ls.cosine(20), 5)
    v1 = {
        "format": "lrsched.BoundSchedule",
        "version": 1,
        "last_epoch": 9,
        "absolute": False,
        "base_lrs": [0.1],
        "schedules": [repr(s)],
    }
    optimizer = sgd([0.3])
    bound = ls.bind(optimizer, s)
    bound.load_state_dict(v1)
    assert bound.last_epoch == 9
    assert optimizer.param_groups[0]["lr"] == 0.1 * s(9)


def test_loading_another_momentum_schedule_shows_both() -> None:
    saved = ls.bind(sgd([0.1]), ls.cosine(10), momentum=ls.constant(1))
    state = saved.state_dict()
    other = ls.bind(sgd([0.1]), ls.cosine(10), momentum=ls.constant(0.5))
    message = r"'momentum' of param group 0:\n  saved: constant\(1\)\n  bound: constant\(0.5\)"
    with pytest.raises(ls.ScheduleError, match=message):
        other.load_state_dict(state)
    other.load_state_dict(state, allow_schedule_change=True)


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (lambda d: d.update(steps_per_epoch=3), r"saved with steps_per_epoch=3 but this binding"),
        (lambda d: d["hyperparameters"]["momentum"].update(values=[0.9]), r"\['values'\] must"),
        (lambda d: d.update(fingerprints=[1, 2]), r"\['fingerprints'\]\[0\] must be a string"),
        (lambda d: d.update(probes=[]), r"\['probes'\] must be a dict"),
        (lambda d: d.update(clock="wall"), r"\['clock'\] must be 'step' or 'optimizer'"),
        (lambda d: d.update(absolute=["momentum"]), r"saved with absolute=\['momentum'\]"),
        (lambda d: d.update(hyperparameters={}), r"state_dict drives other keys"),
        (lambda d: d.update(hyperparameters=[]), r"'hyperparameters'\] must be a dict"),
        (
            lambda d: d["hyperparameters"]["momentum"].update(bases=[0.9, math.inf]),
            r"\['momentum'\]\['bases'\]\[1\] must be a finite number \(got inf\)",
        ),
        (
            lambda d: d["hyperparameters"]["momentum"].update(schedules=["constant(1)"]),
            r"\['momentum'\]\['schedules'\] must be a list of 2 strings",
        ),
        (
            lambda d: d["hyperparameters"]["momentum"].pop("bases"),
            r"\['momentum'\] must have 'bases' and 'schedules'",
        ),
        (lambda d: d.pop("metrics"), r"missing 'metrics'"),
        (lambda d: d.update(version=1), r"saved with steps_per_epoch=None"),
    ],
)
def test_malformed_v2_state_is_refused_and_changes_nothing(mutate: Any, message: str) -> None:
    optimizer = sgd([0.1, 0.2])
    bound = ls.bind(optimizer, ls.cosine(10), momentum=ls.constant(1), steps_per_epoch=2)
    bound.seek(1.5)
    state = bound.state_dict()
    mutate(state)
    before = (bound.last_epoch, list(bound.base_lrs), [dict(g) for g in optimizer.param_groups])
    with pytest.raises(ls.ScheduleError, match=message):
        bound.load_state_dict(state)
    after = (bound.last_epoch, list(bound.base_lrs), [dict(g) for g in optimizer.param_groups])
    assert after == before


def test_pickle_and_deepcopy_with_keys_and_metrics() -> None:
    optimizer = sgd([0.1])
    bound = ls.bind(
        optimizer,
        ls.plateau(patience=0),
        momentum=ls.linear(0.9, 0.8, 4),
        absolute={"momentum"},
        steps_per_epoch=2,
    )
    bound.step(metric=1.0)
    bound.step(metric=2.0)
    for twin in (pickle.loads(pickle.dumps(bound)), copy.deepcopy(bound)):
        assert twin.optimizer is not optimizer
        assert twin.get_last_lr() == bound.get_last_lr()
        twin.step()
        assert twin.optimizer.param_groups[0]["momentum"] == ls.linear(0.9, 0.8, 4)(1.5)
        assert twin.metrics == bound.metrics
    assert optimizer.param_groups[0]["momentum"] == ls.linear(0.9, 0.8, 4)(1.0)


def test_repr_shows_what_is_bound() -> None:
    bound = ls.bind(sgd([0.1]), ls.cosine(10), momentum={0: ls.constant(1)}, steps_per_epoch=3)
    assert (
        repr(bound)
        == "BoundSchedule(SGD, cosine(10), momentum={0: constant(1)}, steps_per_epoch=3)"
    )
    assert repr(ls.bind(sgd([0.1]), ls.cosine(10), absolute=True)) == (
        "BoundSchedule(SGD, cosine(10), absolute=True)"
    )


def test_lr_values_keep_the_relative_formula_bit_for_bit() -> None:
    s = 0.3 * ls.warmup(ls.cosine(95), 5)
    optimizer = sgd([0.1, 0.07])
    bound = ls.bind(optimizer, s, momentum=ls.constant(1))  # not the simple path
    for t in range(100):
        assert bound.get_last_lr() == [0.1 * s(t), 0.07 * s(t)]
        bound.step()
    ts = np.arange(100.0)
    assert np.array_equal(s(ts), [s(t) for t in ts])


def test_binding_page_examples_run() -> None:
    page = Path(__file__).resolve().parent.parent / "docs" / "binding.md"
    result = doctest.testfile(
        str(page), module_relative=False, optionflags=doctest.NORMALIZE_WHITESPACE
    )
    assert result.attempted > 40
    assert result.failed == 0
