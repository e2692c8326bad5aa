"""Figure 9: one schedule on other array libraries, each against its hand-written equivalent.

- ``s(t)`` for a float64 torch tensor against the same warmup + cosine written in torch ops;
- ``jax.jit(s)`` against optax's own jitted ``warmup_cosine_decay_schedule`` (JAX installed);
- a compiled optimizer step with the lr computed in the graph (`lrsched.bind_on_device`)
  against the same compiled step with the host binding writing the lr (`lrsched.bind`).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator
from typing import Any

from _timing import calibrated, compare

import lrsched as ls


def torch_formula(warmup: int, decay: int) -> Callable[[Any], Any]:
    import torch  # noqa: PLC0415 (only this figure needs torch)

    def hand(t: Any) -> Any:
        ramp = t / warmup
        cosine = 0.5 * (1.0 + torch.cos(math.pi * torch.clamp(t - warmup, 0.0, decay) / decay))
        return torch.where(t < warmup, ramp, cosine)

    return hand


def tensor_rows(
    s: ls.Schedule, cfg: Any, warmup: int, decay: int, row: Callable[..., Any]
) -> Iterator[Any]:
    import torch  # noqa: PLC0415

    t = torch.arange(cfg.size, dtype=torch.float64)
    hand = torch_formula(warmup, decay)
    torch.testing.assert_close(s(t), hand(t), rtol=1e-12, atol=1e-15)
    ns = {"s": s, "t": t, "hand": hand}
    pair = compare(calibrated("s(t)", ns, 0.0), calibrated("hand(t)", ns, 0.0), cfg.heavy_rounds)
    yield row("9. torch tensor s(t)", "s(torch.arange)", "the formula in torch ops", pair, 1.2)


def jax_rows(
    s: ls.Schedule, cfg: Any, warmup: int, decay: int, row: Callable[..., Any]
) -> Iterator[Any]:
    try:
        import jax  # noqa: PLC0415 (optional peer)
        import jax.numpy as jnp  # noqa: PLC0415
        import optax  # noqa: PLC0415
    except ImportError:
        return
    ours = jax.jit(s)
    theirs = jax.jit(optax.warmup_cosine_decay_schedule(0.0, 1.0, warmup, warmup + decay))
    t = jnp.arange(cfg.size, dtype=jnp.int32)
    ns = {"ours": ours, "theirs": theirs, "t": t}
    pair = compare(
        calibrated("ours(t).block_until_ready()", ns, cfg.min_sample_s),
        calibrated("theirs(t).block_until_ready()", ns, cfg.min_sample_s),
        cfg.heavy_rounds,
    )
    yield row("9. jitted JAX s(t)", "jax.jit(s)(steps)", "optax's jitted schedule", pair, 1.2)


def compiled_step_rows(s: ls.Schedule, cfg: Any, row: Callable[..., Any]) -> Iterator[Any]:
    import warnings  # noqa: PLC0415

    import torch  # noqa: PLC0415

    def optimizer(lr: Any) -> torch.optim.Optimizer:
        model = torch.nn.Linear(64, 64)
        for p in model.parameters():
            p.grad = torch.ones_like(p)
        return torch.optim.Adam(model.parameters(), lr=lr, foreach=False)

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # torch's own deprecation warnings from inductor
        on_device = optimizer(0.01)
        device = ls.bind_on_device(on_device, s)
        device_optimizer_step = torch.compile(on_device.step)
        schedule_step = torch.compile(device.step, fullgraph=True)
        host_opt = optimizer(torch.tensor(0.01))
        host = ls.bind(host_opt, s)
        host_optimizer_step = torch.compile(host_opt.step)

        def in_graph() -> None:
            device_optimizer_step()
            schedule_step()

        def host_step() -> None:
            host_optimizer_step()
            host.step()

        for _ in range(3):  # compile both before timing
            in_graph()
            host_step()
        ns = {"in_graph": in_graph, "host_step": host_step}
        pair = compare(
            calibrated("in_graph()", ns, cfg.min_sample_s),
            calibrated("host_step()", ns, cfg.min_sample_s),
            cfg.rounds,
        )
    yield row("9. compiled Adam step", "lr computed in the graph", "host writes the lr", pair, None)
