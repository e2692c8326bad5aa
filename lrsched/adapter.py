"""The torch binding's public face: `bind` and `BoundSchedule` (imports torch).

The binding is split by responsibility: `lrsched._bound` (the LRScheduler),
`lrsched._drives` (the arguments), `lrsched._plan` (the writes and the value guard),
`lrsched._feeding` (plateaus), `lrsched._checkpoint` (the torch-free state format).
"""

from __future__ import annotations

try:
    import torch  # noqa: F401 (imported first, for the message below)
except ModuleNotFoundError as error:  # pragma: no cover - exercised in a subprocess test
    msg = (
        "lrsched.bind needs PyTorch, which is an optional extra: "
        "pip install 'lrsched-algebra[torch]' (or install torch yourself)"
    )
    raise ImportError(msg) from error

from lrsched._bound import BoundSchedule, bind
from lrsched._checkpoint import STATE_FORMAT, STATE_VERSION
from lrsched._drives import ScheduleSpec

__all__ = ["STATE_FORMAT", "STATE_VERSION", "BoundSchedule", "ScheduleSpec", "bind"]
