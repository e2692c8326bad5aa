"""Arrays of other libraries: `s(t)` for a torch tensor, a JAX array, any Array API array.

Every kind writes its formula once over an array module ``xp`` (`Schedule._formula`). For a
numpy array ``xp`` is numpy itself; for an array of another library it is that library's
Array API namespace, found by `array-api-compat <https://data-apis.org/array-api-compat/>`_
(the ``arrays`` extra), so a torch tensor is computed with torch operations on its own device
and a JAX array with `jax.numpy`: traceable by ``torch.compile(fullgraph=True)`` and
``jax.jit``, capturable in a CUDA graph. This module is the only place that knows about
libraries; it knows nothing about kinds.

What it decides, once for every kind:

- The dtype: a floating array keeps its dtype; an integer array (a step counter) becomes the
  library's default floating dtype (float32 for torch and for JAX without x64; float64 with
  `jax_enable_x64`). Pass a float64 array for float64 precision.
- The checks: times are checked (finite, ``>= 0``) only where reading them costs nothing: a
  concrete array on the CPU. On an accelerator or inside a trace, reading them would be a host
  synchronisation, so they are not checked there.
- The host: a kind that cannot run on a device (a Python callable, timm's seeded noise) calls
  `on_host`, which computes on numpy and hands the result back on the array's device, for a
  concrete array; inside a trace it refuses with the reason.

Nothing here is imported by `import lrsched`; array-api-compat is imported on the first call
with such an array.
"""

from __future__ import annotations

import contextlib
import math
import sys
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

import numpy as np

from lrsched._core import array_times
from lrsched._errors import ScheduleError

if TYPE_CHECKING:
    from lrsched._core import Schedule

__all__ = [
    "capped",
    "constants",
    "evaluate",
    "host_refused",
    "huge",
    "namespace",
    "on_host",
    "quiet",
]

_LARGEST = sys.float_info.max
_KEPT = 256  # constant arrays kept (see `constants`)
_CONSTANTS: dict[tuple[Any, ...], Any] = {}
_EXTRA = "pip install 'lrsched-algebra[arrays]'"


def namespace(t: object) -> Any:
    """The Array API namespace of ``t``, or None if ``t`` is not an array of a known library.

    torch and JAX are recognised first, without array-api-compat's generic inspection, so
    that the lookup traces cleanly inside ``torch.compile`` and ``jax.jit``.
    """
    torch = sys.modules.get("torch")
    if torch is not None and isinstance(t, torch.Tensor):
        return _compat("torch")
    jax = sys.modules.get("jax")
    if jax is not None and isinstance(t, jax.Array):
        import jax.numpy as jnp  # noqa: PLC0415 (already imported with jax)

        return jnp  # JAX implements the Array API itself
    if not hasattr(t, "__array_namespace__"):
        return None
    return _compat("").array_namespace(t)


def _compat(library: str) -> Any:
    """array-api-compat (its namespace for ``library``), or an ImportError naming the extra."""
    try:
        if library == "torch":
            import array_api_compat.torch as compat  # noqa: PLC0415 (optional: the arrays extra)
        else:
            import array_api_compat as compat  # type: ignore[no-redef]  # noqa: PLC0415
    except ImportError:
        what = library or "non-numpy"
        msg = f"evaluating a schedule at a {what} array needs array-api-compat: {_EXTRA}"
        raise ImportError(msg) from None
    return compat


def evaluate(schedule: Schedule, xp: Any, t: Any) -> Any:
    """``schedule`` at the times ``t`` (an array of ``xp``), with ``xp``'s operations."""
    if xp.isdtype(t.dtype, "real floating"):
        times = t
    elif xp.isdtype(t.dtype, "integral"):
        info = xp.__array_namespace_info__()
        times = xp.astype(t, info.default_dtypes(device=_device(t))["real floating"])
    else:
        msg = f"t must be a real number or an array of them (got an array of dtype {t.dtype})"
        raise TypeError(msg)
    if _concrete_on_cpu(t):
        array_times(_to_numpy(times))  # the numpy path's checks and messages; no copy
    if times.ndim == 0:
        out = schedule._formula(xp, xp.reshape(times, (1,)))
        out = xp.reshape(out, ())
    else:
        out = schedule._formula(xp, times)
    return out if out.dtype == times.dtype else xp.astype(out, times.dtype)


def constants(xp: Any, values: tuple[float, ...], like: Any) -> Any:
    """``values`` (numbers) as an array of ``xp`` with the dtype and device of ``like``.

    Outside a compiler's trace the array is made once per dtype and device and kept, so that
    a CUDA graph captured after a warm-up step copies nothing from the host.
    """
    if xp is np:
        return np.asarray(values, dtype=like.dtype)
    if _compiling(like):  # a constant of the compiled graph
        return _made(xp, values, like)
    key = (values, like.dtype, _device(like))
    made = _CONSTANTS.get(key)
    if made is None:
        if len(_CONSTANTS) >= _KEPT:
            _CONSTANTS.clear()
        made = _CONSTANTS[key] = _made(xp, values, like)
    return made


def _made(xp: Any, values: tuple[float, ...], like: Any) -> Any:
    largest = float(xp.finfo(like.dtype).max)
    numbers: Any = values
    if largest < _LARGEST:  # a narrower dtype: what overflows it is inf (the cast, no warning)
        numbers = [v if abs(v) <= largest else math.copysign(math.inf, v) for v in values]
    return xp.asarray(numbers, dtype=like.dtype, device=_device(like))


def quiet(xp: Any, **ignore: str) -> contextlib.AbstractContextManager[Any]:
    """The floating-point events a formula expects (an overflow to inf, a NaN it masks), quiet.

    For numpy its `errstate`; nothing for the other libraries, which never warn (and whose
    tracers cannot enter numpy's context).
    """
    return np.errstate(**ignore) if xp is np else contextlib.nullcontext()  # type: ignore[arg-type]


_refusing_host = False


@contextlib.contextmanager
def host_refused() -> Iterator[None]:
    """Within: `on_host` refuses as inside a trace (how a device binding asks each kind)."""
    global _refusing_host  # noqa: PLW0603 (read by on_host, also inside a trace)
    before, _refusing_host = _refusing_host, True
    try:
        yield
    finally:
        _refusing_host = before


def capped(xp: Any, t: Any) -> Any:
    """``t`` with an overflow to inf brought back to the dtype's largest finite time."""
    return xp.clip(t, None, float(xp.finfo(t.dtype).max))


def huge(xp: Any, t: Any, limit: float) -> float:
    """``limit``, or less for a narrower dtype: a bound far enough below its overflow."""
    return min(limit, float(xp.finfo(t.dtype).max) * 1e-8)


def on_host(xp: Any, t: Any, compute: Callable[[Any], Any], node: object) -> Any:
    """``compute`` (numpy in, numpy out) at ``t``, computed on the host, returned like ``t``.

    For numpy ``t`` this is ``compute(t)``. A concrete array of another library is copied to
    the host and back (exact; a synchronisation on an accelerator). Inside a trace
    (``torch.compile``, ``jax.jit``) there is nothing to copy: refused, with the reason.
    """
    if xp is np:
        return compute(t)
    if _traced(t) or _refusing_host:
        what = f"{type(node).__name__.lower()}(...)"  # not its repr: that would be traced
        msg = (
            f"{what} is computed on the host (numpy), so it cannot run inside a compiled or "
            "traced function (torch.compile, jax.jit, a CUDA graph); evaluate it outside, or "
            "write the schedule without it"
        )
        raise ScheduleError(msg)
    host = compute(_to_numpy(t))
    return xp.asarray(np.asarray(host), dtype=t.dtype, device=_device(t))


def _device(t: Any) -> Any:
    """``t``'s device (torch, JAX arrays, the Array API standard); None for a JAX tracer."""
    try:
        return t.device
    except AttributeError:  # a tracer inside jax.jit: its arrays go where jit puts them
        return None


def _compiling(t: Any) -> bool:
    """Whether ``t`` is a value inside a compiler's trace (torch.compile, jax.jit)."""
    torch = sys.modules.get("torch")
    if torch is not None and isinstance(t, torch.Tensor):
        return bool(torch.compiler.is_compiling())
    jax = sys.modules.get("jax")
    if jax is not None and isinstance(t, jax.Array):
        return isinstance(t, jax.core.Tracer)
    return bool(_compat("").is_lazy_array(t))


def _traced(t: Any) -> bool:
    """Whether ``t`` is a value inside a trace or a CUDA graph capture (nothing to read)."""
    if _compiling(t):
        return True
    torch = sys.modules.get("torch")
    return bool(
        torch is not None
        and isinstance(t, torch.Tensor)
        and t.is_cuda
        and torch.cuda.is_current_stream_capturing()
    )


def _concrete_on_cpu(t: Any) -> bool:
    if _traced(t):
        return False
    return "cpu" in str(_device(t)).lower()


def _to_numpy(t: Any) -> Any:
    torch = sys.modules.get("torch")
    if torch is not None and isinstance(t, torch.Tensor):
        return t.detach().cpu().numpy()
    return np.asarray(t)
