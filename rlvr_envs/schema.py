"""Validation of task files and option blocks, with errors that name the file and the field.

Specs are pydantic dataclasses (validated on construction, unknown keys refused);
`validate` builds one from plain data and turns pydantic's error list into one
`TaskSpecError` line: ``tasks/x-v1.yaml: field 'verifier.name' is required``.
"""

from __future__ import annotations

import dataclasses
import typing
from collections.abc import Mapping
from typing import Any, TypeVar

import pydantic

from rlvr_envs.errors import TaskSpecError, did_you_mean

__all__ = ["STRICT", "describe_validation_error", "validate"]

T = TypeVar("T")

STRICT = pydantic.ConfigDict(extra="forbid", arbitrary_types_allowed=True)
"""The config of every spec dataclass: unknown keys are errors, not silently dropped."""


def validate(cls: type[T], data: Any, *, where: str, prefix: str = "") -> T:
    """Build `cls` from plain data (a YAML mapping) or raise `TaskSpecError`.

    Args:
        cls: a pydantic dataclass.
        data: the mapping to validate.
        where: what to name in the error (a file path, ``"task 'x-v1'"``).
        prefix: the dotted path of `data` inside the file (``"dataset.params"``).
    """
    if not isinstance(data, Mapping):
        field = f"'{prefix}'" if prefix else "the document"
        raise TaskSpecError(f"{where}: {field} must be a mapping, got {_kind(data)}")
    try:
        return pydantic.TypeAdapter(cls).validate_python(dict(data))
    except pydantic.ValidationError as exc:
        raise TaskSpecError(
            describe_validation_error(exc, cls, where=where, prefix=prefix)
        ) from None


def describe_validation_error(
    exc: pydantic.ValidationError, cls: type, *, where: str, prefix: str = ""
) -> str:
    """One line per problem pydantic found, each naming the field and what was expected."""
    problems = []
    for error in exc.errors(include_url=False):
        loc = [str(part) for part in error["loc"]]
        path = ".".join([p for p in [prefix] if p] + loc) or "the document"
        kind = error["type"]
        if kind == "missing":
            problems.append(f"field '{path}' is required but missing")
        elif kind == "extra_forbidden":
            known = _field_names_at(cls, loc[:-1])
            problems.append(
                f"field '{path}' is not a known field"
                + (did_you_mean(loc[-1], known) if known else "")
                + (f" (known: {', '.join(sorted(known))})" if known else "")
            )
        else:
            message = error["msg"].removeprefix("Value error, ")
            shown = f", got {_show(error['input'])}" if kind != "value_error" else ""
            problems.append(f"field '{path}': {message}{shown}")
    return f"{where}: " + "; ".join(problems)


def _field_names_at(cls: Any, loc: list[str]) -> list[str]:
    """Field names of the dataclass found by following `loc` from `cls` (best effort)."""
    current: Any = cls
    for part in loc:
        current = _dataclass_in(current)
        if current is None:
            return []
        hints = typing.get_type_hints(current)
        if part not in hints:
            return []
        current = hints[part]
    current = _dataclass_in(current)
    return [f.name for f in dataclasses.fields(current)] if current is not None else []


def _dataclass_in(annotation: Any) -> Any:
    if dataclasses.is_dataclass(annotation) and isinstance(annotation, type):
        return annotation
    for arg in typing.get_args(annotation):
        found = _dataclass_in(arg)
        if found is not None:
            return found
    return None


def _kind(value: Any) -> str:
    return "nothing" if value is None else f"a {type(value).__name__}"


def _show(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."
