"""Validation of task files and option blocks, with errors that name the file and the field.

Specs are pydantic dataclasses (validated on construction, unknown keys refused);
`validate` builds one from plain data and turns pydantic's error list into one
`TaskSpecError` line: ``tasks/x-v1.yaml: field 'verifier.name' is required``.
"""

from __future__ import annotations

import dataclasses
import types
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
    errors = exc.errors(include_url=False)
    located = [(error, _file_loc(cls, error["loc"])) for error in errors]
    # Errors of the Python-only alternative of a union (``is-instance[Verifier]``) say
    # nothing about a mapping from a file; keep them only if nothing else was found.
    shown_errors = [(error, loc) for error, loc in located if loc is not None] or [
        (error, [str(part) for part in error["loc"]]) for error in errors
    ]
    for error, loc in shown_errors:
        path = ".".join([p for p in [prefix] if p] + loc)
        kind = error["type"]
        if kind == "missing":
            problems.append(f"field '{path or 'the document'}' is required but missing")
        elif kind in ("extra_forbidden", "unexpected_keyword_argument"):
            # pydantic dataclasses report an unknown key as an unexpected keyword argument
            known = _field_names_at(cls, loc[:-1])
            problems.append(
                f"field '{path}' is not a known field."
                + (did_you_mean(loc[-1], known) if known else "")
                + (f" (known: {', '.join(sorted(known))})" if known else "")
            )
        else:
            message = error["msg"].removeprefix("Value error, ")
            shown = f", got {_show(error['input'])}" if kind != "value_error" else ""
            # A check of the whole document names its fields in its own message.
            problems.append(f"field '{path}': {message}{shown}" if path else f"{message}{shown}")
    return f"{where}: " + "; ".join(problems)


def _file_loc(cls: Any, loc: tuple[int | str, ...]) -> list[str] | None:
    """`loc` as the field path of a file: without the union member names pydantic inserts
    (``verifier.VerifierSpec.name`` -> ``verifier.name``); None for an error of a union's
    Python-only alternative (``verifier.is-instance[Verifier]``)."""
    current: Any = cls
    path: list[str] = []
    for raw in loc:
        part = str(raw)
        if part.startswith("is-instance["):
            return None
        if typing.get_origin(current) in (typing.Union, types.UnionType):
            member = next(
                (arg for arg in typing.get_args(current) if getattr(arg, "__name__", None) == part),
                None,
            )
            if member is not None:
                current = member
                continue
        path.append(part)
        is_spec = dataclasses.is_dataclass(current) and isinstance(current, type)
        current = typing.get_type_hints(current).get(part) if is_spec else None
    return path


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
