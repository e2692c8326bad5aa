"""The README's main job: the example script trains and prints the schedule's lrs."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import lrsched as ls

EXAMPLE = Path(__file__).parent.parent / "examples" / "train.py"


def test_example_prints_the_schedule_lr_of_every_epoch() -> None:
    result = subprocess.run(  # noqa: S603 (our own interpreter and script)
        [sys.executable, str(EXAMPLE)], capture_output=True, text=True, check=True, timeout=300
    )
    lines = result.stdout.splitlines()
    assert lines[0] == "schedule: warmup(cosine(17, end=0.01), 3)"
    rows = [line.split() for line in lines[3:]]
    assert len(rows) == 20
    schedule = ls.warmup(ls.cosine(17, end=0.01), 3)
    for epoch, row in enumerate(rows):
        assert int(row[0]) == epoch
        assert float(row[1]) == round(0.01 * schedule(epoch), 6)
        assert float(row[2]) == round(0.1 * schedule(epoch), 5)


def test_readme_quickstart_runs() -> None:
    readme = (Path(__file__).parent.parent / "README.md").read_text()
    block = readme.split("## Quickstart", 1)[1].split("```python", 1)[1].split("```", 1)[0]
    namespace: dict[str, object] = {}
    exec(compile(block, "README.md", "exec"), namespace)  # noqa: S102 (our own README)
    s = namespace["s"]
    assert isinstance(s, ls.Schedule)
    assert (s(0), s(5), s(100)) == (0.0, 1.0, 0.0)
    sched = namespace["sched"]
    assert sched.last_epoch == 100  # type: ignore[attr-defined]
