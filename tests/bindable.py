"""Random schedules that a binding accepts as lr schedules: values in [0, 1e6] (the guard
refuses negative and non-finite lrs; the shared strategies draw values from -2 on)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import lrsched as ls
from tests.strategies import schedules, transparent_schedules

if TYPE_CHECKING:
    from hypothesis import strategies as st

__all__ = ["lr_schedules", "lr_transparent_schedules", "lr_valued"]


def lr_valued(s: ls.Schedule) -> ls.Schedule:
    """``s`` kept in an lr's domain (a clamp runs on its child's clock: plateaus stay fed)."""
    return ls.clamp(s, low=0.0, high=1e6)


lr_transparent_schedules: st.SearchStrategy[ls.Schedule] = transparent_schedules.map(lr_valued)
lr_schedules: st.SearchStrategy[ls.Schedule] = schedules.map(lr_valued)
