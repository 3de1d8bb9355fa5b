"""Problems from local files through Hugging Face `datasets` (JSON, CSV, Parquet, ...).

Only local files: the builder is one of the packaged ones (``json``, ``csv``,
``parquet``, ``text``, ...) and `data_files` are paths, so nothing is downloaded. Rows are
records like JSONL lines; `record_format` adapts GSM8K and MATH rows
(`rlvr_envs.sources.formats`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path

from rlvr_envs.errors import DatasetError
from rlvr_envs.sources.formats import RecordFormat
from rlvr_envs.sources.records import RecordSource, records_to_problems

__all__ = ["load_huggingface_source"]


def load_huggingface_source(
    builder: str,
    files: Mapping[str, Path],
    *,
    id_field: str | None,
    reference_field: str,
    required_fields: Iterable[str] = (),
    record_format: RecordFormat = "records",
) -> RecordSource:
    try:
        import datasets
    except ImportError as exc:
        raise DatasetError(
            "this task reads its data through Hugging Face `datasets`, which is not installed; "
            "install it with: pip install 'rlvr-envs[datasets]'"
        ) from exc
    for path in files.values():
        if not path.exists():
            raise DatasetError(f"dataset file {path} does not exist")
    try:
        loaded = datasets.load_dataset(
            builder, data_files={split: str(path) for split, path in files.items()}
        )
    except Exception as exc:  # datasets raises many unrelated types for unreadable files
        raise DatasetError(f"datasets could not load {builder} files {dict(files)}: {exc}") from exc
    splits = {
        split: records_to_problems(
            ((f"{files[split]}[{row}]", record) for row, record in enumerate(loaded[split])),
            split=split,
            id_field=id_field,
            reference_field=reference_field,
            required_fields=required_fields,
            record_format=record_format,
        )
        for split in files
    }
    names = ", ".join(f"{split}={path.name}" for split, path in files.items())
    shown_format = "" if record_format == "records" else f"{record_format} "
    return RecordSource(splits, description=f"huggingface {builder} {shown_format}({names})")
