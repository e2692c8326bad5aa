"""Schedules in units of the run: a `Run` binds a schedule written without its total.

A schedule written over the *fraction of training* (`cosine(1)` decays over the whole run,
`warmup(cosine(0.95), 0.05)` warms up over its first 5%) or *in epochs* never holds the run's
length; `Run` does, and turns the schedule into one over optimizer steps exactly:

- fraction: `stretch(s, steps)`, read at step `k` as `s(k / steps)`: one division of two
  integers, so the fraction is the correctly rounded `k / steps` at every step, never an
  accumulated sum;
- epochs: `stretch(s, steps_per_epoch)`, read as `s(k / steps_per_epoch)` (what
  `bind(..., steps_per_epoch=k)` computes);
- steps: `s` itself.

Changing the budget changes one number of the `Run`, never the expression. `Run.in_steps`
also refuses a schedule whose horizon does not fit the run (see `Run.in_steps`), and
`Run.resume` gives the plan for the three budget changes of a resumed run.
"""

from __future__ import annotations

import fractions
import math
import numbers
import re
from typing import final

import attrs
import numpy as np

from lrsched._core import Schedule  # noqa: TC001 (attrs and isinstance need it at runtime)
from lrsched._errors import ScheduleError
from lrsched._validate import choice, format_number
from lrsched._validate import schedule as checked_schedule

__all__ = ["UNITS", "Run", "exact_number", "parse_count", "run"]

UNITS = ("fraction", "epoch", "step")
"""What the time of a schedule counts: the fraction of training (0 to 1), epochs or steps."""

KEEPS = ("continuous", "stretch")
"""How `Run.resume` treats a change of budget (see there)."""

_LARGEST = 2**53  # step counts beyond this are not whole floats
_SUFFIXES = {"k": 10**3, "K": 10**3, "M": 10**6, "G": 10**9, "B": 10**9}
_COUNT = re.compile(
    r"(?P<number>[0-9](?:_?[0-9])*(?:\.[0-9](?:_?[0-9])*)?(?:[eE][+-]?[0-9]{1,3})?)"
    r"(?P<suffix>[kKMGB]?)"
)


def parse_count(name: str, value: object) -> int:
    """A whole number >= 1 from an int, a whole float or a text such as `100_000`, `1e5`, `100k`.

    Text may use `_` between digits, an exponent (`1e5`, `2.5e4`) and one suffix: `k` (1e3), `M`
    (1e6), `G` or `B` (1e9). The value is computed exactly (`1.5k` is 1500); it must be whole,
    >= 1 and at most 2**53.

    Examples:
        >>> from lrsched._run import parse_count
        >>> parse_count("steps", "100k"), parse_count("steps", "1e5"), parse_count("steps", 100_000)
        (100000, 100000, 100000)
        >>> parse_count("steps", "ten")
        Traceback (most recent call last):
        lrsched._errors.ScheduleError: steps must be a whole number >= 1 such as 100000, 100_000,
        1e5 or 100k (got 'ten')

    """
    example = "such as 100000, 100_000, 1e5 or 100k"
    shown = repr(value) if len(repr(value)) <= 40 else f"{repr(value)[:37]}..."
    exact = exact_number(value)
    if exact is None or exact.denominator != 1 or not 1 <= exact <= _LARGEST:
        rule = "a whole number up to 2**53" if exact and exact > _LARGEST else "a whole number >= 1"
        msg = f"{name} must be {rule} {example} (got {shown})"
        raise ScheduleError(msg)
    return int(exact)


def exact_number(value: object) -> fractions.Fraction | None:
    """The exact value of a count written as in `parse_count`, or None if it is not one."""
    if isinstance(value, str):
        match = _COUNT.fullmatch(value.strip()) if len(value) <= 40 else None
        if match is None:
            return None
        exact = fractions.Fraction(match["number"].replace("_", ""))
        return exact * _SUFFIXES.get(match["suffix"], 1)
    if isinstance(value, numbers.Integral) and not isinstance(value, bool):
        return fractions.Fraction(int(value))
    if isinstance(value, float) and math.isfinite(value):
        return fractions.Fraction(value)
    return None


@final
@attrs.frozen
class Run:
    """A training run's length: its total of optimizer steps and, optionally, steps per epoch.

    Build it with `run`. `unit` says what the time of the schedules written for it counts:
    `"fraction"` (0 to 1 over the whole run), `"epoch"` or `"step"`.

    Attributes:
        steps: The total number of optimizer steps, >= 1.
        steps_per_epoch: Optimizer steps per epoch, or None.
        unit: `"fraction"`, `"epoch"` or `"step"`.

    Examples:
        >>> import lrsched as ls
        >>> run = ls.run(epochs=90, steps_per_epoch=1000)
        >>> run
        Run(steps=90000, steps_per_epoch=1000, unit='fraction')
        >>> run.in_steps(ls.cosine(1))(45_000)
        0.5

    """

    steps: int
    steps_per_epoch: int | None = None
    unit: str = "fraction"

    def __attrs_post_init__(self) -> None:
        # Built directly (`Run(...)`) as well as by `run`: the same rules either way.
        for name, value in (("steps", self.steps), ("steps_per_epoch", self.steps_per_epoch)):
            if value is None and name == "steps_per_epoch":
                continue
            if type(value) is not int or not 1 <= value <= _LARGEST:
                msg = f"{name} must be an int from 1 to 2**53 (got {value!r})"
                raise ScheduleError(msg)
        choice("unit", self.unit, UNITS)
        if self.unit == "epoch" and self.steps_per_epoch is None:
            msg = "unit='epoch' needs steps_per_epoch: ls.run(..., steps_per_epoch=k)"
            raise ScheduleError(msg)

    @property
    def epochs(self) -> float | None:
        """The number of epochs, `steps / steps_per_epoch` (None without steps per epoch).

        Examples:
            >>> import lrsched as ls
            >>> ls.run(epochs=90, steps_per_epoch=1000).epochs
            90.0

        """
        k = self.steps_per_epoch
        return None if k is None else self.steps / k

    @property
    def horizon(self) -> float:
        """The end of the run in its unit: 1 (fraction), the epochs, or the steps.

        Examples:
            >>> import lrsched as ls
            >>> ls.run(steps=1000).horizon, ls.run(steps=1000, unit="step").horizon
            (1.0, 1000.0)

        """
        if self.unit == "fraction":
            return 1.0
        if self.unit == "epoch":
            return self.steps / self._per_epoch("unit='epoch'")
        return float(self.steps)

    def in_steps(self, s: Schedule | str, *, check: bool = True) -> Schedule:
        """The schedule `s`, written in this run's unit, as a schedule over optimizer steps.

        A fraction is read at step `k` as `k / steps` (one exact division), an epoch as
        `k / steps_per_epoch`. With `check` (the default), a schedule whose horizon does not fit
        the run is refused, naming both numbers (the horizon is where its breakpoints are, see
        `Schedule.breakpoints`):

        - a piece of it still changes at the end of the run (a decay sized for a longer run:
          `max_steps` set but the cosine sized by `epochs * len(loader)`); a step decay whose next
          drop falls after the end is fine;
        - nothing in it changes during the run (its first breakpoint is after the end);
        - it has decayed by step `epochs`, or by time 1 (its whole shape in the first epochs):
          a schedule written in epochs (or over the fraction) bound as if in steps.

        Args:
            s: The schedule (or its text form), its time in this run's unit.
            check: Refuse a schedule whose horizon does not fit the run (keyword-only).

        Returns:
            The schedule over optimizer steps `0 <= k <= steps`.

        Examples:
            >>> import lrsched as ls
            >>> run = ls.run(steps=100_000)
            >>> s = run.in_steps(ls.warmup(ls.cosine(0.95), 0.05))
            >>> s
            stretch(warmup(cosine(0.95), 0.05), 100000)
            >>> s(0), s(5_000), s(100_000)
            (0.0, 1.0, 0.0)
            >>> run.in_steps(ls.cosine(120_000))
            Traceback (most recent call last):
            lrsched._errors.ScheduleError: cosine(120000) is written over the fraction of training
            (the run ends at 1) but its first breakpoint is at 120000, past the end: it is written
            in another unit or sized for another run; write it over the fraction (e.g. cosine(1) for
            the whole run) or give the unit it is written in (ls.run(..., unit='step'))

        """
        s = _schedule(s)
        if check:
            self._check(s)
        if self.unit == "fraction":
            return _stretched(s, self.steps)
        if self.unit == "epoch":
            return _stretched(s, self._per_epoch("unit='epoch'"))
        return s

    def in_epochs(self, s: Schedule | str) -> Schedule:
        """The schedule `s`, written in this run's unit, as a schedule over epochs.

        Examples:
            >>> import lrsched as ls
            >>> run = ls.run(epochs=90, steps_per_epoch=500)
            >>> run.in_epochs(ls.cosine(1))
            stretch(cosine(1), 90)

        """
        s = _schedule(s)
        k = self._per_epoch("in_epochs")
        if self.unit == "fraction":
            return _stretched(s, self.steps / k)
        if self.unit == "epoch":
            return s
        return _stretched(s, 1 / k)

    def step_of(self, step: int, old: Run) -> int:
        """A step count of the run `old`, as a step count of this run at the same epoch.

        With another batch size the steps per epoch change; the step count follows (it must
        land on a whole step). Without a change of steps per epoch, it is `step`.

        Examples:
            >>> import lrsched as ls
            >>> old = ls.run(epochs=100, steps_per_epoch=1000)
            >>> ls.run(epochs=100, steps_per_epoch=500).step_of(60_000, old)
            30000

        """
        if isinstance(step, bool) or not isinstance(step, numbers.Integral) or step < 0:
            msg = f"step must be an int >= 0 (got {step!r})"
            raise ScheduleError(msg)
        if old.steps_per_epoch == self.steps_per_epoch:
            return int(step)
        if old.steps_per_epoch is None or self.steps_per_epoch is None:
            msg = (
                f"cannot convert a step count between a run with steps_per_epoch="
                f"{old.steps_per_epoch!r} and one with {self.steps_per_epoch!r}: give both"
            )
            raise ScheduleError(msg)
        exact = fractions.Fraction(int(step) * self.steps_per_epoch, old.steps_per_epoch)
        if exact.denominator != 1:
            msg = (
                f"step {step} of {old.steps_per_epoch} per epoch is {float(exact)!r} steps of "
                f"{self.steps_per_epoch} per epoch, not a whole step: resume at an epoch boundary"
            )
            raise ScheduleError(msg)
        return int(exact)

    def resume(
        self, s: Schedule | str, *, old: Run, step: int, keep: str = "continuous"
    ) -> tuple[Schedule, int]:
        """The plan over this run's steps for resuming, at `step` of `old`, the schedule `s`.

        `s` is written in the unit of both runs. Returns `(plan, step)`: bind `plan`, load the
        checkpoint with `on_schedule_change="jump"` and `sync(step)` (see the runs page).

        - **Another batch size** (other steps per epoch, the same epochs): the step count is
          converted to the same epoch and the plan is `in_steps(s)`: the run continues at the
          same epoch, and exactly as a run begun with the new batch size.
        - **Another budget** (more or fewer steps), `keep="continuous"` (the default): the steps
          done stay as they were and the rest of the schedule is stretched (or squeezed) to end
          at the new total; the value continues without a jump. `keep="stretch"`: the whole
          schedule is stretched to the new total (`in_steps(s)` of this run for a fraction,
          `stretch` of the old plan otherwise), as if the run had been planned that way; the
          value jumps to that plan's.

        Both may change at once (the batch size first). Resuming at or past the new end is
        refused.

        Examples:
            >>> import lrsched as ls
            >>> old = ls.run(steps=1000)
            >>> plan, step = ls.run(steps=1500).resume(ls.linear(1, 0, 1), old=old, step=600)
            >>> plan
            concat([stretch(linear(1, 0, 1), 1000), stretch(shift(stretch(linear(1, 0, 1), 1000),
            -600), 2.25)], [600])
            >>> step, plan(600) == old.in_steps(ls.linear(1, 0, 1))(600), plan(1500)
            (600, True, 0.0)

        """
        s = _schedule(s)
        keep = choice("keep", keep, KEEPS)
        if old.unit != self.unit:
            msg = f"the runs have other units ({old.unit!r} and {self.unit!r}): give both the same"
            raise ScheduleError(msg)
        at = self.step_of(step, old)
        mid = old
        if old.steps_per_epoch != self.steps_per_epoch:
            if self.unit == "step":
                msg = (
                    "a schedule written in steps cannot follow a change of steps per epoch (its "
                    "times are steps of the old batch size): write it in epochs or over the "
                    "fraction of training"
                )
                raise ScheduleError(msg)
            mid = Run(self.step_of(old.steps, old), self.steps_per_epoch, self.unit)
        if at >= self.steps:
            msg = (
                f"the run is at step {at}, at or past the new end ({self.steps} steps): nothing "
                "is left to plan"
            )
            raise ScheduleError(msg)
        if mid.steps == self.steps:
            return self.in_steps(s), at
        if keep == "stretch":
            if self.unit == "fraction":
                return self.in_steps(s), at
            return _stretched(mid.in_steps(s), self.steps / mid.steps), at
        done = mid.in_steps(s)
        if at >= mid.steps:
            msg = (
                f"the run is at step {at}, at the end of its plan ({mid.steps} steps): nothing "
                "is left to stretch"
            )
            raise ScheduleError(msg)
        from lrsched._combinators import concat  # noqa: PLC0415 (combinators import core late)
        from lrsched._recipes import shift  # noqa: PLC0415

        factor = (self.steps - at) / (mid.steps - at)
        rest = _stretched(shift(done, -at), factor) if at else _stretched(done, factor)
        return (concat([done, rest], [at]) if at else rest), at

    def _per_epoch(self, what: str) -> int:
        if self.steps_per_epoch is None:
            msg = f"{what} needs the run's steps_per_epoch: ls.run(..., steps_per_epoch=k)"
            raise ScheduleError(msg)
        return self.steps_per_epoch

    def _check(self, s: Schedule) -> None:  # noqa: C901 (one rule per way a horizon can be off)
        end = self.horizon
        points = None
        for far in (max(64 * end, 2.0 * self.steps), 2 * end):
            try:
                points = s.breakpoints(far)
                break
            except (ScheduleError, ArithmeticError):  # too many to list: look closer
                continue
        if points is None:  # too many even close: no horizon to compare
            return
        if not points:
            return
        where = self._where(end)
        after = [b for b in points if b > end]
        before = [b for b in points if b <= end]
        fix = self._fix(s)
        if after and not before:
            msg = (
                f"{_short(s)} is written {where} but its first breakpoint is at "
                f"{format_number(after[0])}, past the end: it is written in another unit or sized "
                f"for another run; {fix}"
            )
            raise ScheduleError(msg)
        if after and not _flat(s, end, after[0]):
            msg = (
                f"{_short(s)} is written {where} but a piece of it runs past the end, to "
                f"{format_number(after[0])}: it is sized for a longer run; {fix}"
            )
            raise ScheduleError(msg)
        if after:
            return
        last = before[-1]
        if any(b > 2 * end for b in points):
            return
        for small, name, why in self._smaller_units():
            if last <= small < end and _decays(s, points, end):
                msg = (
                    f"{_short(s)} is written {where} but has decayed by {self.unit} "
                    f"{format_number(small)}{why}: is it written "
                    f"{_UNIT_WORDS[name]}? give that unit (ls.run(..., unit={name!r}))"
                )
                raise ScheduleError(msg)

    def _where(self, end: float) -> str:
        if self.unit == "fraction":
            return "over the fraction of training (the run ends at 1)"
        return f"in {self.unit}s (the run ends at {self.unit} {format_number(end)})"

    def _fix(self, s: Schedule) -> str:
        other = "'step'" if self.unit != "step" else "'epoch'"
        return (
            "write it over the fraction (e.g. cosine(1) for the whole run) or give the unit it "
            f"is written in (ls.run(..., unit={other}))"
        )

    def _smaller_units(self) -> list[tuple[float, str, str]]:
        """The ends of the run in the units coarser than its own: (end, unit, why)."""
        out: list[tuple[float, str, str]] = []
        k = self.steps_per_epoch
        if self.unit == "step" and k is not None and k > 1:
            epochs = self.steps / k
            out.append((epochs, "epoch", f", and the run has {format_number(epochs)} epochs"))
        if self.unit != "fraction":
            out.append((1.0, "fraction", ""))
        return out


_UNIT_WORDS = {"epoch": "in epochs", "fraction": "over the fraction of training"}


def _short(s: Schedule) -> str:
    text = repr(s)
    return text if len(text) <= 80 else f"{text[:77]}..."


def _flat(s: Schedule, start: float, stop: float) -> bool:
    """Whether `s` holds one value on `[start, stop)` (sampled: pieces are monotone)."""
    last = math.nextafter(stop, -math.inf)
    times = np.linspace(start, last, 9)
    values = s(times)
    return bool(np.all(values == values[0]))


def _decays(s: Schedule, points: tuple[float, ...], end: float) -> bool:
    """Whether `s` ends (at `end`) below its highest value at 0 and its breakpoints."""
    values = s(np.array([0.0, *points], dtype=np.float64))
    return bool(s(end) < values.max())


def _stretched(s: Schedule, factor: float) -> Schedule:
    from lrsched._timemaps import stretch  # noqa: PLC0415 (time maps import core late)

    return stretch(s, factor)


def _schedule(s: object) -> Schedule:
    if isinstance(s, str):
        from lrsched._parse import parse  # noqa: PLC0415

        return parse(s)
    return checked_schedule("s", s)


def run(
    steps: float | str | None = None,
    *,
    epochs: float | str | None = None,
    steps_per_epoch: float | str | None = None,
    unit: str = "fraction",
) -> Run:
    """A training run: its total of optimizer steps, to bind schedules written without it.

    Give the total as `steps`, or as `epochs` with `steps_per_epoch` (or all three, which
    must agree). Numbers may be texts such as `"100k"`, `"1e5"` or `"100_000"` (a config file's).

    Args:
        steps: The total number of optimizer steps.
        epochs: The number of epochs (with `steps_per_epoch`); keyword-only.
        steps_per_epoch: Optimizer steps per epoch (`len(loader)` over gradient accumulation);
            keyword-only.
        unit: What the time of the schedules for this run counts: `"fraction"` (the default:
            0 at the start, 1 at the end), `"epoch"` or `"step"`; keyword-only.

    Returns:
        A `Run`: bind with `ls.bind(optimizer, s, run=run)`.

    Examples:
        >>> import lrsched as ls
        >>> ls.run(steps="100k")
        Run(steps=100000, steps_per_epoch=None, unit='fraction')
        >>> ls.run(epochs=90, steps_per_epoch=1251, unit="epoch").steps
        112590
        >>> ls.run(epochs=90)
        Traceback (most recent call last):
        lrsched._errors.ScheduleError: epochs needs steps_per_epoch (the run counts optimizer
        steps): ls.run(epochs=90, steps_per_epoch=len(loader))

    """
    unit = choice("unit", unit, UNITS)
    per_epoch = None if steps_per_epoch is None else parse_count("steps_per_epoch", steps_per_epoch)
    total = None if steps is None else parse_count("steps", steps)
    if epochs is not None:
        n = parse_count("epochs", epochs)
        if per_epoch is None:
            msg = (
                f"epochs needs steps_per_epoch (the run counts optimizer steps): "
                f"ls.run(epochs={n}, steps_per_epoch=len(loader))"
            )
            raise ScheduleError(msg)
        if total is not None and total != n * per_epoch:
            msg = (
                f"steps={total} does not match epochs={n} * steps_per_epoch={per_epoch} = "
                f"{n * per_epoch}: give one of them"
            )
            raise ScheduleError(msg)
        total = n * per_epoch
    if total is None:
        msg = "give the run's length: ls.run(steps=N) or ls.run(epochs=E, steps_per_epoch=k)"
        raise ScheduleError(msg)
    if total > _LARGEST:
        msg = f"the run's steps must be at most 2**53 (got {total})"
        raise ScheduleError(msg)
    if unit == "epoch" and per_epoch is None:
        msg = "unit='epoch' needs steps_per_epoch: ls.run(..., steps_per_epoch=k)"
        raise ScheduleError(msg)
    return Run(total, per_epoch, unit)
