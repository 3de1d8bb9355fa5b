"""Lookup of named, pluggable classes: built-ins first, then a package entry-point group."""

from __future__ import annotations

from collections.abc import Mapping
from importlib.metadata import entry_points
from typing import TypeVar

from rlvr_envs.errors import RlvrError, did_you_mean

__all__ = ["find_plugin"]

T = TypeVar("T")


def find_plugin(
    name: str,
    *,
    kind: str,
    builtins: Mapping[str, type[T]],
    group: str,
    base: type[T],
    error: type[RlvrError],
) -> type[T]:
    """The class registered as `name`: a built-in, or an entry point of `group`.

    Raises `error` naming the known names (with a did-you-mean) when there is none, or
    when the entry point does not load a subclass of `base`.
    """
    if name in builtins:
        return builtins[name]
    plugins = {ep.name: ep for ep in entry_points(group=group)}
    if name in plugins:
        try:
            found = plugins[name].load()
        except Exception as exc:
            raise error(
                f"{kind} {name!r} from entry point {plugins[name].value!r} failed to load: "
                f"{type(exc).__name__}: {exc}"
            ) from exc
        if not (isinstance(found, type) and issubclass(found, base)):
            raise error(
                f"entry point {plugins[name].value!r} for {kind} {name!r} is not a "
                f"{base.__name__} class"
            )
        return found
    known = sorted([*builtins, *plugins])
    raise error(f"unknown {kind} {name!r}; known: {', '.join(known)}." + did_you_mean(name, known))
