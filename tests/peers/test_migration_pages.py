"""The examples of each migration page run (each page's peer installed: its examples use it)."""

from __future__ import annotations

import doctest
import importlib.util
from pathlib import Path

import pytest

from tests.peers._support import import_timm_scheduler

DOCS = Path(__file__).resolve().parents[2] / "docs"
PAGES = {
    "migration-hf.md": "transformers",
    "migration-timm.md": "timm",
    "migration-fvcore.md": "fvcore",
    "migration-ignite.md": "ignite",
    "migration-optax.md": "optax",
    "migration-keras.md": "keras",
}


@pytest.mark.parametrize(("page", "peer"), PAGES.items())
def test_the_migration_page_examples_run(page: str, peer: str) -> None:
    if peer == "timm":
        import_timm_scheduler()
    elif importlib.util.find_spec(peer) is None:
        pytest.skip(f"{peer} is not installed")
    flags = doctest.NORMALIZE_WHITESPACE | doctest.ELLIPSIS
    result = doctest.testfile(str(DOCS / page), module_relative=False, optionflags=flags)
    assert result.attempted > 0
    assert result.failed == 0
