"""The device mode of the binding: the lr a tensor updated inside a compiled step.

A compiled step (inductor, on the CPU) holds ``optimizer.step()`` and the binding's
`OnDevice.step` (itself ``fullgraph=True``): 200 steps compile once, and the lr trajectory
(rounded once to the lr tensor's float32) and the parameters equal those of the same run with
the host binding. A whole SGD update written out in one ``fullgraph=True`` graph, its lr the
schedule at a step tensor, does the same.
"""

from __future__ import annotations

import pytest

import lrsched as ls

torch = pytest.importorskip("torch")
pytest.importorskip("array_api_compat")
# torch's own warning, raised by importing inductor (not about lrsched).
pytestmark = pytest.mark.filterwarnings(
    "ignore:`torch.jit.script_method` is deprecated:DeprecationWarning"
)

STEPS = 200
SCHEDULES = [
    ls.warmup(ls.cosine(150), 20) + 0.01,
    ls.concat([ls.linear(0.1, 1.0, 30), ls.step(40, 0.5)], [30]),
    ls.milestones([50, 120], 0.1) * ls.repeat(ls.cosine(25), 25, growth=2.0),
]


def _model_and_optimizer(lr: float) -> tuple[torch.nn.Module, torch.optim.Optimizer]:
    torch.manual_seed(0)
    model = torch.nn.Linear(8, 1)
    return model, torch.optim.AdamW(model.parameters(), lr=lr, foreach=False)


def _grads(model: torch.nn.Module, step: int) -> None:
    g = torch.Generator().manual_seed(step)
    x, y = torch.randn(16, 8, generator=g), torch.randn(16, 1, generator=g)
    model.zero_grad()
    torch.nn.functional.mse_loss(model(x), y).backward()


def _run(schedule: ls.Schedule, compiled: bool) -> None:
    """200 steps of the host binding and of the device binding side by side."""
    host_model, host_opt = _model_and_optimizer(0.01)
    host = ls.bind(host_opt, schedule)
    model, opt = _model_and_optimizer(0.01)
    device = ls.bind_on_device(opt, schedule)
    assert isinstance(opt.param_groups[0]["lr"], torch.Tensor)

    torch._dynamo.reset()
    graphs = torch._dynamo.utils.counters["stats"]
    if compiled:
        # torch's Optimizer.step breaks the graph on purpose (around its no_grad switch), so
        # the optimizer's step is compiled as torch compiles it; the schedule's step must be
        # one graph of its own, with no break.
        schedule_step = torch.compile(device.step, fullgraph=True)

        @torch.compile
        def optimizer_step() -> None:
            opt.step()
            schedule_step()
    else:

        def optimizer_step() -> None:
            opt.step()
            device.step()

    before = graphs["unique_graphs"]
    host_lrs, device_lrs = [], []
    with torch._dynamo.config.patch(error_on_recompile=True):
        for k in range(STEPS):
            _grads(host_model, k)
            host_opt.step()
            host.step()
            _grads(model, k)
            optimizer_step()
            host_lrs.append(host_opt.param_groups[0]["lr"])
            device_lrs.append(opt.param_groups[0]["lr"].item())
    if compiled:
        assert 1 <= graphs["unique_graphs"] - before <= 4  # compiled once, no recompile
    assert device_lrs == torch.tensor(host_lrs, dtype=torch.float32).tolist()
    # Adam's tensor-lr arithmetic rounds in another order than its float-lr arithmetic.
    for p, q in zip(model.parameters(), host_model.parameters(), strict=True):
        torch.testing.assert_close(p, q, rtol=1e-4, atol=1e-6)


@pytest.mark.parametrize("schedule", SCHEDULES, ids=repr)
def test_the_device_binding_follows_the_host_binding(schedule: ls.Schedule) -> None:
    _run(schedule, compiled=False)


@pytest.mark.parametrize("schedule", SCHEDULES[:2], ids=repr)
def test_a_compiled_step_compiles_once_and_follows_the_host_binding(schedule: ls.Schedule) -> None:
    _run(schedule, compiled=True)


def test_the_schedule_step_is_one_graph_without_a_break() -> None:
    _, opt = _model_and_optimizer(0.01)
    device = ls.bind_on_device(opt, SCHEDULES[2])
    torch._dynamo.reset()
    explained = torch._dynamo.explain(device.step)()
    assert explained.graph_count == 1
    assert explained.graph_break_count == 0


def test_betas_on_the_device_follow_their_schedule() -> None:
    model, opt = _model_and_optimizer(0.01)
    betas = (ls.linear(0.95, 0.85, 10), None)
    device = ls.bind_on_device(opt, None, betas=betas, absolute=True)
    beta1, beta2 = opt.param_groups[0]["betas"]
    assert isinstance(beta1, torch.Tensor)
    assert beta2 == 0.999
    for k in range(1, 12):
        _grads(model, k)
        opt.step()
        device.step()
        assert beta1.item() == torch.tensor(betas[0](k), dtype=torch.float32).item()


@pytest.mark.parametrize(
    ("schedule", "message"),
    [
        (ls.function(lambda k: 1.0 / (k + 1)), "computed on the host"),
        (ls.noise(0.5, std=1.0, seed=3), "computed on the host"),
        (ls.plateau(gamma=0.5, patience=2), "plateau is fed metrics on the host"),
    ],
    ids=["function", "noise", "plateau"],
)
def test_host_only_kinds_are_refused_at_bind_time(schedule: ls.Schedule, message: str) -> None:
    _, opt = _model_and_optimizer(0.01)
    with pytest.raises(ls.ScheduleError, match=message):
        ls.bind_on_device(opt, schedule)


def test_a_value_outside_its_domain_within_the_run_is_refused_at_bind_time() -> None:
    _, opt = _model_and_optimizer(0.01)
    halves = ls.concat([ls.constant(1.0), ls.constant(0.5)], [300])
    ls.bind_on_device(opt, halves, run=ls.run(steps=600, unit="step"))
    assert opt.param_groups[0]["lr"].item() == pytest.approx(0.01)
    dips = ls.concat([ls.constant(1.0), ls.constant(-1.0)], [300])
    _, opt = _model_and_optimizer(0.01)
    with pytest.raises(ls.ScheduleError, match="over the run's 600 steps"):
        ls.bind_on_device(opt, dips, run=ls.run(steps=600, unit="step"))


def test_a_state_dict_resumes_at_its_step() -> None:
    _, opt = _model_and_optimizer(0.1)
    device = ls.bind_on_device(opt, ls.cosine(100))
    for _ in range(37):
        device.step()
    state = device.state_dict()
    _, opt2 = _model_and_optimizer(0.1)
    resumed = ls.bind_on_device(opt2, ls.cosine(100))
    resumed.load_state_dict(state)
    assert resumed.count.item() == 37
    assert opt2.param_groups[0]["lr"].item() == opt.param_groups[0]["lr"].item()
    with pytest.raises(ls.ScheduleError, match="not a state of an lrsched device binding"):
        resumed.load_state_dict({"step": -1})


def test_a_fullgraph_training_step_computes_the_lr_from_a_step_tensor() -> None:
    # A whole SGD update in one graph (fullgraph=True): torch's Optimizer.step cannot be one,
    # so the update is written out; the lr is the schedule at a step tensor, in the graph.
    schedule = SCHEDULES[0]
    host_model, _ = _model_and_optimizer(0.1)
    host_opt = torch.optim.SGD(host_model.parameters(), lr=0.1)
    host = ls.bind(host_opt, schedule)
    model, _ = _model_and_optimizer(0.1)
    params = list(model.parameters())
    count = torch.zeros((), dtype=torch.int64)

    torch._dynamo.reset()
    graphs = torch._dynamo.utils.counters["stats"]

    @torch.compile(fullgraph=True)
    def update() -> torch.Tensor:
        lr = 0.1 * schedule(count.to(torch.float64))
        with torch.no_grad():
            for p in params:
                p.sub_(lr * p.grad)
        count.add_(1)
        return lr

    before = graphs["unique_graphs"]
    with torch._dynamo.config.patch(error_on_recompile=True):
        for k in range(STEPS):
            _grads(host_model, k)
            lr_host = host_opt.param_groups[0]["lr"]
            host_opt.step()
            host.step()
            _grads(model, k)
            assert update().item() == lr_host
    assert graphs["unique_graphs"] - before == 1
    for p, q in zip(params, host_model.parameters(), strict=True):
        torch.testing.assert_close(p, q, rtol=1e-6, atol=1e-8)


def test_a_base_of_zero_wins_over_an_overflowed_value() -> None:
    model = torch.nn.Linear(2, 1)
    opt = torch.optim.SGD(model.parameters(), lr=0.0)
    device = ls.bind_on_device(opt, ls.exponential(2.0))  # 2.0 ** 2000 is inf in float64
    device.load_state_dict({"format": "lrsched.on_device", "version": 1, "step": 2000})
    assert opt.param_groups[0]["lr"].item() == 0.0
    assert device.at(2000) == [("lr", 0, 0.0)]
