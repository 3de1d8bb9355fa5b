"""Problems from JSONL files, one file per split."""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any

from rlvr_envs.errors import DatasetError
from rlvr_envs.sources.formats import RecordFormat
from rlvr_envs.sources.records import RecordSource, records_to_problems

__all__ = ["load_jsonl_source"]


def _parse_int(text: str) -> int | str:
    """A JSON integer; one beyond Python's int() digit limit (4300 by default) stays its
    digit string instead of failing the whole file: the integer verifier compares digit
    strings, so such a reference still works."""
    try:
        return int(text)
    except ValueError:
        return text


def _read_jsonl(path: Path) -> Iterator[tuple[str, Any]]:
    try:
        handle = path.open(encoding="utf-8")
    except OSError as exc:
        raise DatasetError(f"cannot read dataset file {path}: {exc.strerror}") from exc
    with handle:
        for number, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            where = f"{path}:{number}"
            try:
                yield where, json.loads(line, parse_int=_parse_int)
            except json.JSONDecodeError as exc:
                raise DatasetError(f"{where}: not valid JSON ({exc.msg})") from exc


def load_jsonl_source(
    files: Mapping[str, Path],
    *,
    id_field: str | None,
    reference_field: str,
    required_fields: Iterable[str] = (),
    record_format: RecordFormat = "records",
) -> RecordSource:
    """Read every split's file now, so a bad record fails at load with its file and line.

    `record_format` adapts each record first (``gsm8k``, ``math``: see
    `rlvr_envs.sources.formats`).
    """
    splits = {
        split: records_to_problems(
            _read_jsonl(path),
            split=split,
            id_field=id_field,
            reference_field=reference_field,
            required_fields=required_fields,
            record_format=record_format,
        )
        for split, path in files.items()
    }
    names = ", ".join(f"{split}={path.name}" for split, path in files.items())
    shown_format = "" if record_format == "records" else f"{record_format} "
    return RecordSource(splits, description=f"jsonl {shown_format}({names})")
