"""The one exception type of lrsched."""

from __future__ import annotations

__all__ = ["ScheduleError"]


class ScheduleError(ValueError):
    """A schedule was built, evaluated or loaded with an invalid value.

    The message names the parameter, the rule it breaks and the value it got, e.g.
    ``gamma must be > 0 (got -0.5)``. It subclasses `ValueError`, so code that already
    catches ``ValueError`` keeps working.
    """
