"""A resource a verifier is given, or makes on first use and then closes itself."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any, Generic, Protocol, TypeVar


class _Closable(Protocol):
    def close(self) -> None: ...


T = TypeVar("T", bound=_Closable)


class MadeOnUse(Generic[T]):
    """The caller's resource (`given`), or one `make` makes on the first `get` (thread-safe),
    which `close` then closes. Pickles without a resource it made: the copy makes its own
    (`make` must pickle)."""

    def __init__(self, make: Callable[[], T], given: T | None = None) -> None:
        self._make = make
        self._value = given
        self._made_here = given is None
        self._lock = threading.Lock()

    def get(self) -> T:
        with self._lock:
            if self._value is None:
                self._value = self._make()
            return self._value

    def close(self) -> None:
        """Close the resource if it was made here (a given one is its owner's to close)."""
        with self._lock:
            if self._made_here and self._value is not None:
                self._value.close()
                self._value = None

    def __getstate__(self) -> dict[str, Any]:
        state = dict(self.__dict__)
        del state["_lock"]
        if self._made_here:
            state["_value"] = None
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        self._lock = threading.Lock()
