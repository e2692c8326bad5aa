"""The device mode of the binding: the optimizer's values are tensors updated on the device.

`bind_on_device` turns each driven param-group value (the lr, ``betas``, ...) into a tensor
on the device of the group's parameters and keeps a step counter there too. Its `step` is
``count += 1`` and ``value.copy_(base * s(count / steps_per_epoch))``, every operation on
the device, the schedule computed with torch operations (`lrsched._arrays`): no host
synchronisation, nothing a compiled graph sees change but tensor contents. So a training step
that calls `OnDevice.step` inside ``torch.compile(fullgraph=True)`` compiles once, and a step
with ``capturable=True`` optimizers can be captured in a CUDA graph once and replayed with the
schedule still advancing. docs/device.md has the recipes.

What it leaves to the host binding (`lrsched.bind`): the per-step value guard (reading a value
to check it would be a synchronisation; the schedules are checked once, at bind time, over the
run when ``run=`` gives its length), plateaus (a metric history), Python callables and timm's
noise (host-only kinds are refused here at bind time).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

import torch
from torch.optim import Optimizer

from lrsched._arrays import host_refused
from lrsched._bound import _converted, _in_run, _Setup
from lrsched._drives import drives
from lrsched._drives import steps_per_epoch as checked_steps_per_epoch
from lrsched._errors import ScheduleError
from lrsched._plan import build, check, scaled

if TYPE_CHECKING:
    from lrsched._core import Schedule
    from lrsched._drives import ScheduleSpec
    from lrsched._run import Run

__all__ = ["OnDevice", "bind_on_device"]


class OnDevice:
    """Schedules bound to an optimizer whose driven values are tensors on the device.

    Made by `bind_on_device`. `step` advances one optimizer step with device operations only;
    `count` is the step counter (a 0-d int64 tensor on the device).

    Examples:
        >>> import torch
        >>> import lrsched as ls
        >>> optimizer = torch.optim.SGD(torch.nn.Linear(2, 1).parameters(), lr=0.1)
        >>> ls.bind_on_device(optimizer, ls.cosine(10))
        OnDevice(cosine(10), step=0)

    """

    def __init__(  # noqa: PLR0913 (bind's keyword-only options)
        self,
        optimizer: Optimizer,
        schedule: ScheduleSpec = None,
        *,
        absolute: bool | Iterable[str] | None = None,
        steps_per_epoch: int | None = None,
        run: Run | None = None,
        dtype: torch.dtype = torch.float64,
        **keys: ScheduleSpec,
    ) -> None:
        if not isinstance(optimizer, Optimizer):
            msg = f"optimizer must be a torch.optim.Optimizer (got {type(optimizer).__name__})"
            raise TypeError(msg)
        self.optimizer = optimizer
        self.steps_per_epoch = checked_steps_per_epoch(steps_per_epoch)
        self.dtype = dtype
        spec, keys, absolute_keys, _ = _converted(optimizer, schedule, keys, absolute)
        made, self.absolute = drives(spec, keys, absolute_keys, optimizer.param_groups)
        if run is not None:
            made = _in_run(made, run, self.steps_per_epoch, 0)
        setup = _Setup.of(made)
        if setup.fed:
            msg = "a plateau is fed metrics on the host: bind it with ls.bind, not on the device"
            raise ScheduleError(msg)
        self.schedules: tuple[Schedule, ...] = tuple(setup.slots)
        device = _device_of(optimizer)
        for s in self.schedules:
            _runs_on_device(s, dtype, device)
        plan = build(optimizer.param_groups, made, setup.slots, {})
        for group, name, initial in plan.initials:
            group[name] = initial
        self.count = torch.zeros((), dtype=torch.int64, device=device)
        self._targets = [
            (_tensor_at(w.group, w.cell, device), w.base, w.slot, w.cell) for w in plan.writes
        ]
        horizon = None if run is None else run.steps
        self._check(horizon)
        self._write()

    def step(self) -> None:
        """Advance one optimizer step and write the new values, on the device.

        Examples:
            >>> import torch
            >>> import lrsched as ls
            >>> optimizer = torch.optim.SGD(torch.nn.Linear(2, 1).parameters(), lr=0.1)
            >>> bound = ls.bind_on_device(optimizer, ls.step(2, 0.5))
            >>> for _ in range(2):
            ...     bound.step()
            >>> bound.count, optimizer.param_groups[0]["lr"]
            (tensor(2), tensor(0.0500))

        """
        self.count.add_(1)
        self._write()

    def _write(self) -> None:
        t = self.count.to(self.dtype)
        if self.steps_per_epoch is not None:
            t = t / self.steps_per_epoch
        values = [s(t) for s in self.schedules]
        for tensor, base, slot, _ in self._targets:
            if base:
                tensor.copy_(values[slot] * base)
            else:  # a base of 0 wins over an overflowed value, as `scaled` does on the host
                tensor.zero_()

    def at(self, step: int) -> list[tuple[str, int, float]]:
        """The value each driven cell has at optimizer step ``step`` (computed on the host).

        Each entry is ``(key, group index, value)``; nothing is written.

        Examples:
            >>> import torch
            >>> import lrsched as ls
            >>> optimizer = torch.optim.SGD(torch.nn.Linear(2, 1).parameters(), lr=0.1)
            >>> ls.bind_on_device(optimizer, ls.step(2, 0.5)).at(4)
            [('lr', 0, 0.025)]

        """
        t = step if self.steps_per_epoch is None else step / self.steps_per_epoch
        return [
            (key, group, scaled(base, self.schedules[slot](t)))
            for _, base, slot, (key, group, _) in self._targets
        ]

    def state_dict(self) -> dict[str, Any]:
        """The step count (read from the device: call it outside the compiled step).

        Examples:
            >>> import torch
            >>> import lrsched as ls
            >>> optimizer = torch.optim.SGD(torch.nn.Linear(2, 1).parameters(), lr=0.1)
            >>> bound = ls.bind_on_device(optimizer, ls.cosine(10))
            >>> bound.step()
            >>> bound.state_dict()
            {'format': 'lrsched.on_device', 'version': 1, 'step': 1}

        """
        return {"format": "lrsched.on_device", "version": 1, "step": int(self.count.item())}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        """Continue from a `state_dict`: the step count, and the values at that step.

        Examples:
            >>> import torch
            >>> import lrsched as ls
            >>> optimizer = torch.optim.SGD(torch.nn.Linear(2, 1).parameters(), lr=0.1)
            >>> bound = ls.bind_on_device(optimizer, ls.step(2, 0.5))
            >>> bound.load_state_dict({"format": "lrsched.on_device", "version": 1, "step": 5})
            >>> optimizer.param_groups[0]["lr"]
            tensor(0.0250)

        """
        step = state.get("step") if isinstance(state, dict) else None
        if state.get("format") != "lrsched.on_device" or not isinstance(step, int) or step < 0:
            msg = f"not a state of an lrsched device binding: {state!r:.120}"
            raise ScheduleError(msg)
        self.count.fill_(step)
        self._write()

    def _check(self, horizon: int | None) -> None:
        """The value guard, once: at step 0, and at every step of the run where it is known."""
        for key, group, value in self.at(0):
            check(f"param_groups[{group}][{key!r}] at step 0", key, value)
        if horizon is None:
            return
        for _, base, slot, (key, group, element) in self._targets:
            low, high = self.schedules[slot].extrema(horizon + 1)
            for value in (scaled(base, low), scaled(base, high)):
                where = f"param_groups[{group}][{key!r}]" + (
                    "" if element is None else f"[{element}]"
                )
                check(f"{where} over the run's {horizon} steps", key, value)

    def __repr__(self) -> str:
        shown = ", ".join(repr(s) for s in self.schedules)
        return f"OnDevice({shown}, step={int(self.count.item())})"


def _runs_on_device(s: Schedule, dtype: torch.dtype, device: Any) -> None:
    """Refuse ``s`` if a kind of it computes on the host (each kind says so, by `on_host`)."""
    with host_refused():
        s(torch.zeros(1, dtype=dtype, device=device))


def _device_of(optimizer: Optimizer) -> torch.device:
    for group in optimizer.param_groups:
        for p in group["params"]:
            return p.device  # type: ignore[no-any-return]
    return torch.device("cpu")


def _tensor_at(group: dict[str, Any], cell: tuple[str, int, int | None], device: Any) -> Any:
    """The tensor that holds ``cell``'s value, made (a 0-d tensor on ``device``) if a number."""
    key, _, element = cell
    value = group[key]
    current = value if element is None else value[element]
    if isinstance(current, torch.Tensor):
        return current
    tensor = torch.tensor(float(current), dtype=torch.get_default_dtype(), device=device)
    if element is None:
        group[key] = tensor
    else:
        items = list(value)
        items[element] = tensor
        group[key] = tuple(items)
    return tensor


def bind_on_device(  # noqa: PLR0913 (the options of a binding, keyword-only)
    optimizer: Optimizer,
    schedule: ScheduleSpec = None,
    *,
    absolute: bool | Iterable[str] | None = None,
    steps_per_epoch: int | None = None,
    run: Run | None = None,
    dtype: torch.dtype = torch.float64,
    **keys: ScheduleSpec,
) -> OnDevice:
    """Bind schedules to an optimizer in device mode: its values become tensors on the device.

    The arguments mean what they mean for `lrsched.bind` (relative or absolute keys, one
    schedule or one per group, ``run=`` for schedules written in the run's unit). Each driven
    value that is a number becomes a 0-d tensor of the default dtype on the device of the
    group's parameters (a tensor already there is written in place). `OnDevice.step` then
    advances one optimizer step with device operations only: call it inside the compiled or
    captured training step, after ``optimizer.step()``.

    Args:
        optimizer: A ``torch.optim.Optimizer``; for a CUDA graph, made with
            ``capturable=True``.
        schedule: The lr schedule(s), or None to leave the lr alone.
        absolute: As for `lrsched.bind`.
        steps_per_epoch: If given, the schedules' time is ``steps / steps_per_epoch``.
        run: A `lrsched.Run`: schedules in its unit; its length bounds the bind-time check.
        dtype: The dtype the schedules are computed in (float64: the host binding's values,
            rounded once into the value's tensor).
        keys: Schedules for other param-group keys (``betas=``, ``weight_decay=``...).

    Returns:
        An `OnDevice` binding, at step 0 (its values written).

    Raises:
        ScheduleError: A kind that runs on the host only (a Python callable, noise, a
            plateau), or a value outside its key's domain at step 0 or within the run.

    Examples:
        >>> import torch
        >>> import lrsched as ls
        >>> model = torch.nn.Linear(2, 1)
        >>> optimizer = torch.optim.Adam(model.parameters(), lr=0.1)
        >>> bound = ls.bind_on_device(optimizer, ls.warmup(ls.cosine(8), 2))
        >>> optimizer.param_groups[0]["lr"]
        tensor(0.)
        >>> bound.step()
        >>> optimizer.param_groups[0]["lr"]
        tensor(0.0500)

    """
    return OnDevice(
        optimizer,
        schedule,
        absolute=absolute,
        steps_per_epoch=steps_per_epoch,
        run=run,
        dtype=dtype,
        **keys,
    )
