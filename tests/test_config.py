"""Schedules stay values inside config systems: attrs sees their classes, OmegaConf does not
see structured configs in their instances (lrsched/_config.py)."""

from __future__ import annotations

import attrs

import lrsched as ls
from lrsched._core import Schedule


def all_kinds(cls: type = Schedule) -> list[type]:
    found = []
    for sub in cls.__subclasses__():
        found += [sub, *all_kinds(sub)]
    return found


def test_every_kind_is_an_attrs_class_whose_instances_hide_it() -> None:
    kinds = [kind for kind in all_kinds() if "__attrs_attrs__" in vars(kind)]
    assert len(kinds) >= 15  # every kind of the algebra, found by walking the subclasses
    for kind in kinds:
        assert attrs.has(kind), kind
        bare = kind.__new__(kind)  # an instance without fields: enough to look up an attribute
        assert not hasattr(bare, "__attrs_attrs__"), kind


def test_attrs_still_works_on_schedules() -> None:
    s = ls.warmup(ls.cosine(10), 2)
    assert not attrs.has(s)
    assert attrs.has(type(s))
    assert attrs.evolve(s, duration=4.0) == ls.warmup(ls.cosine(10), 4)
    assert attrs.asdict(ls.cosine(10), recurse=False)["duration"] == 10.0
