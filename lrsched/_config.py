"""Schedules inside config systems (OmegaConf, Hydra): kept as values, not taken apart.

OmegaConf treats any object of an attrs class as a *structured config* and replaces it by a
`DictConfig` of its fields. For a schedule that is wrong twice over: `OmegaConf.create({"s": s})`
silently gives the fields instead of the schedule, and Hydra's `instantiate` hands
`lrsched.product` or `lrsched.concat` a list of such `DictConfig`s instead of the schedules its
nested `_target_`s built. Both libraries ask `attrs.has(value)`, which looks up
`value.__attrs_attrs__`. [`class_level_fields`][lrsched._config.class_level_fields] makes that
attribute answer on the class only: a schedule class is still an attrs class to attrs
(`attrs.fields(type(s))`, `attrs.evolve(s)` work), but a schedule is an opaque value to
OmegaConf, kept as it is where objects are allowed (as in Hydra) and refused with a clear
error where they are not.
"""

from __future__ import annotations

from typing import Any

__all__ = ["class_level_fields"]


class _OnTheClassOnly:
    """A class attribute that instances do not see (a data descriptor raising for them)."""

    __slots__ = ("value",)

    def __init__(self, value: object) -> None:
        self.value = value

    def __get__(self, instance: object, owner: type | None = None) -> Any:
        if instance is not None:
            name = "__attrs_attrs__"
            raise AttributeError(name)
        return self.value


def class_level_fields(cls: type) -> None:
    """Make `cls.__attrs_attrs__`, if `cls` defines it, invisible from its instances.

    Called for each schedule class as it is created (`Schedule.__init_subclass__`).

    Examples:
        >>> import attrs
        >>> import lrsched as ls
        >>> s = ls.cosine(10)
        >>> attrs.has(type(s)), attrs.has(s)
        (True, False)
        >>> attrs.evolve(s, duration=20.0)
        cosine(20)

    """
    fields = cls.__dict__.get("__attrs_attrs__")
    if fields is not None and not isinstance(fields, _OnTheClassOnly):
        type.__setattr__(cls, "__attrs_attrs__", _OnTheClassOnly(fields))
