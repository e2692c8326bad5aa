"""One schedule on every array library: torch tensors against the numpy path.

For random schedule trees of every kind, at every integer time of the strategies' horizon,
each breakpoint's neighbours and far past the end: float64 tensors agree with numpy to rel
1e-12; float32 tensors agree with the same formula computed by numpy in float32 (the same
operations at the same precision). The JAX path: tests/peers/test_jax_arrays.py.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import lrsched as ls
from tests.strategies import HORIZON, schedules

torch = pytest.importorskip("torch")
array_api_compat = pytest.importorskip("array_api_compat")
pytest.importorskip("array_api_compat.numpy")

FAR = (10**6, 10**9, 10**12)
F32 = 1e-4
"""float32 against numpy's float32: the same operations, each library's own rounding of the
transcendental functions, compounded through a tree (a difference of near values amplifies)."""
few = settings(max_examples=max(10, settings.default.max_examples // 2), deadline=None)


def times_of(s: ls.Schedule, *, far: tuple[int, ...]) -> np.ndarray:
    ts = set(range(int(HORIZON) + 2))
    for b in s.breakpoints(HORIZON):
        k = math.floor(b)
        ts.update(range(max(k - 1, 0), k + 3))
        ts.add(b)
    if not s.opaque:  # a running product of Python calls stops at 2**24
        ts.update(far)
    return np.array(sorted(ts), dtype=np.float64)


def close(
    got: np.ndarray,
    want: Callable[[np.ndarray], np.ndarray],
    t: np.ndarray,
    rel: float,
    *,
    far: bool = False,
) -> None:
    """``got == want(t)`` to ``rel`` of each value (and ``1e-3`` of the largest).

    Where they differ, ``want`` is also asked a few ulps either side of ``t``: the libraries
    round a transcendental function (a power, a logarithm) to within an ulp, not always to
    the same float, and where a kind is discontinuous in its clock (a step, a floor of a time
    map) that ulp is a jump. With ``far``, an ulp of the time as well: a periodic kind turns an
    ulp of ``pi * t / d`` into an error that grows with ``t``.
    """
    expected = want(t)
    scale = float(np.max(np.abs(expected[np.isfinite(expected)]), initial=1.0))

    def bad(w: np.ndarray) -> np.ndarray:
        with np.errstate(invalid="ignore"):
            err = np.where(np.isinf(got) & (got == w), 0.0, np.abs(got - w))
        bound = rel * np.maximum(np.abs(w), 1e-3 * scale)
        if far:
            bound = bound + 1e-14 * t * scale
        return ~(err <= bound)

    wrong = bad(expected)
    eps = float(np.finfo(t.dtype).eps)
    for k in (-4, -1, 1, 4):
        if not wrong.any():
            break
        near = (t * (1.0 + k * eps)).astype(t.dtype)
        wrong &= bad(want(near))
    shown = list(zip(t[wrong][:3], got[wrong][:3], expected[wrong][:3], strict=True))
    assert not wrong.any(), shown


def numpy32(s: ls.Schedule, t: np.ndarray) -> np.ndarray:
    """The formula over numpy's Array API namespace, in float32 (the public path is float64)."""
    from lrsched._arrays import evaluate  # noqa: PLC0415

    # numpy's warnings off, as for the libraries that never warn: the formulas quiet numpy's
    # own namespace only (`lrsched._arrays.quiet`), not array-api-compat's wrapper of it.
    with np.errstate(all="ignore"):
        return evaluate(s, array_api_compat.numpy, t)  # type: ignore[no-any-return]


@few
@given(schedules)
def test_torch_float64_is_the_numpy_path(s: ls.Schedule) -> None:
    t = times_of(s, far=FAR)
    got = s(torch.from_numpy(t))
    assert isinstance(got, torch.Tensor)
    assert got.dtype == torch.float64
    assert got.shape == (t.size,)
    close(got.numpy(), s, t, 1e-12)


@few
@given(schedules)
def test_torch_float32_is_the_float32_formula(s: ls.Schedule) -> None:
    t = times_of(s, far=())
    t32 = t.astype(np.float32)
    got = s(torch.from_numpy(t32))
    assert got.dtype == torch.float32
    assert numpy32(s, t32).dtype == np.float32
    close(got.numpy(), lambda t: numpy32(s, t), t32, F32)


@few
@given(schedules, st.sampled_from([torch.int32, torch.int64]))
def test_an_integer_step_tensor_gives_the_default_float(s: ls.Schedule, dtype: object) -> None:
    steps = torch.arange(int(HORIZON) + 2, dtype=dtype)  # type: ignore[call-overload]
    got = s(steps)
    assert got.dtype == torch.get_default_dtype()
    assert torch.equal(got, s(steps.to(torch.get_default_dtype())))


def test_a_zero_dimensional_tensor_gives_a_zero_dimensional_tensor() -> None:
    s = ls.warmup(ls.cosine(95), 5)
    got = s(torch.tensor(50.0, dtype=torch.float64))
    assert got.shape == ()
    assert got.item() == s(50)


@pytest.mark.parametrize("bad", [-1.0, math.nan, math.inf])
def test_bad_times_on_the_cpu_are_refused_with_the_value(bad: float) -> None:
    with pytest.raises(ls.ScheduleError, match=r"t must be a finite number >= 0 \(got t\[1\]"):
        ls.cosine(10)(torch.tensor([0.0, bad]))


def test_a_boolean_tensor_is_refused() -> None:
    with pytest.raises(TypeError, match=r"dtype torch\.bool"):
        ls.cosine(10)(torch.tensor([True]))
