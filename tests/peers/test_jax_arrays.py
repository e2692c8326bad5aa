"""The JAX path of `s(t)`: x64 and float32 arrays against numpy, `jax.jit`, and optax.

An lrsched schedule is optax's ``learning_rate`` as it is (optax calls it with its int32 step
count inside the jitted update), also through ``optax.inject_hyperparams`` for ``b1``: a
jitted training loop gives the parameters and the lr trajectory of the same loop with
optax's own schedules.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given

import lrsched as ls
from tests.strategies import schedules
from tests.test_arrays import F32, FAR, close, few, numpy32, times_of

jax = pytest.importorskip("jax")
jnp = pytest.importorskip("jax.numpy")
optax = pytest.importorskip("optax")


@few
@given(schedules)
def test_jax_x64_is_the_numpy_path(s: ls.Schedule) -> None:
    # XLA may round an intermediate differently from numpy (one ulp: a division by a constant
    # becomes a multiplication by its reciprocal), which periodic kinds amplify far out.
    t = times_of(s, far=FAR)
    with jax.enable_x64(True):  # noqa: FBT003
        got = s(jnp.asarray(t))
        assert got.dtype == jnp.float64
        close(np.asarray(got), s, t, 1e-12, far=True)


@few
@given(schedules)
def test_jax_float32_is_the_float32_formula(s: ls.Schedule) -> None:
    t32 = times_of(s, far=()).astype(np.float32)
    with jax.enable_x64(False):  # noqa: FBT003
        got = s(jnp.asarray(t32))
        assert got.dtype == jnp.float32
        close(np.asarray(got), lambda t: numpy32(s, t), t32, F32)


def test_a_jitted_schedule_traces_and_refuses_host_kinds_with_the_reason() -> None:
    s = 0.1 * ls.warmup(ls.cosine(90), 10)
    with jax.enable_x64(False):  # noqa: FBT003
        steps = jnp.arange(120, dtype=jnp.int32)
        got = jax.jit(s)(steps)
        assert got.dtype == jnp.float32
        t32 = np.arange(120, dtype=np.float32)
        close(np.asarray(got), lambda t: numpy32(s, t), t32, F32)
        with pytest.raises(ls.ScheduleError, match="cannot run inside a compiled or traced"):
            jax.jit(ls.function(lambda k: 0.5**k))(steps)
        # Outside a trace the host kinds are computed on numpy, exactly.
        host = ls.function(lambda k: 0.5**k)
        np.testing.assert_array_equal(np.asarray(host(steps)), host(np.arange(120)))


STEPS = 200


def _loop(learning_rate: object, b1: object) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """A jitted AdamW regression loop; returns the final params, the lrs and the b1s."""
    key = jax.random.PRNGKey(0)
    x = jax.random.normal(key, (64, 8), dtype=jnp.float32)
    y = x @ jnp.arange(8, dtype=jnp.float32) + 1.0
    params = {"w": jnp.zeros(8, jnp.float32), "b": jnp.zeros((), jnp.float32)}
    optimizer = optax.inject_hyperparams(optax.adamw)(learning_rate=learning_rate, b1=b1)
    state = optimizer.init(params)

    def loss(p: dict[str, jax.Array]) -> jax.Array:
        return jnp.mean((x @ p["w"] + p["b"] - y) ** 2)

    @jax.jit
    def step(p: dict, s: object) -> tuple[dict, object, jax.Array, jax.Array]:
        updates, s = optimizer.update(jax.grad(loss)(p), s, p)
        return (
            optax.apply_updates(p, updates),
            s,
            s.hyperparams["learning_rate"],
            s.hyperparams["b1"],
        )

    lrs, b1s = [], []
    for _ in range(STEPS):
        params, state, lr, beta = step(params, state)
        lrs.append(float(lr))
        b1s.append(float(beta))
    flat = np.concatenate([np.ravel(params["w"]), np.ravel(params["b"])])
    return flat, np.array(lrs), np.array(b1s)


def test_a_jitted_optax_loop_equals_the_loop_with_optax_schedules() -> None:
    peak, warmup, decay, end = 0.05, 20, 200, 1e-3
    ours = ls.concat(
        [
            ls.linear(0.0, peak, warmup),
            peak * ((1 - end / peak) * ls.cosine(decay - warmup) + end / peak),
        ],
        [warmup],
    )
    theirs = optax.warmup_cosine_decay_schedule(0.0, peak, warmup, decay, end)
    with jax.enable_x64(False):  # noqa: FBT003
        p_ours, lr_ours, b1_ours = _loop(ours, ls.linear(0.95, 0.85, 100))
        p_theirs, lr_theirs, b1_theirs = _loop(theirs, optax.linear_schedule(0.95, 0.85, 100))
    np.testing.assert_allclose(lr_ours, lr_theirs, rtol=2e-6, atol=1e-9)
    np.testing.assert_allclose(b1_ours, b1_theirs, rtol=2e-6)
    np.testing.assert_allclose(p_ours, p_theirs, rtol=1e-4, atol=1e-5)
    assert lr_ours[0] == 0.0  # the loop did see the schedule
    assert lr_ours.max() > 0.9 * peak
