"""Per-sample results: one JSON line per scored answer, written as it is produced.

A sample is identified by its key: task, problem id, mode (``greedy`` or ``sampled``) and
index (0 for the greedy answer, 0..n-1 for the samples). Lines are appended and flushed
one by one, so a killed run loses at most the answers that were not yet written; on the
next run `ResultsFile` drops a half-written last line, reports the keys already there,
and the runner produces only the others. Nothing is scored twice and nothing is lost.
"""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Literal

__all__ = ["Mode", "ResultsFile", "read_results", "sample_key"]

Mode = Literal["greedy", "sampled"]
SampleKey = tuple[str, str, str, int]


def sample_key(record: dict[str, Any]) -> SampleKey:
    """The identity of a result line."""
    return (record["task"], record["problem_id"], record["mode"], int(record["sample"]))


def read_results(path: Path) -> Iterator[dict[str, Any]]:
    """The complete result lines of a file, first occurrence of each key only.

    A last line cut short by a kill is skipped (it is not valid JSON)."""
    seen: set[SampleKey] = set()
    with path.open("rb") as lines:
        for raw in lines:
            if not raw.endswith(b"\n"):
                break
            record = json.loads(raw)
            key = sample_key(record)
            if key not in seen:
                seen.add(key)
                yield record


class ResultsFile:
    """The append-only results of one run, safe to write from several threads.

    Args:
        path: the JSONL file; created if missing, continued if present.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self.done: set[SampleKey] = set()
        if path.exists():
            _drop_partial_last_line(path)
            self.done = {sample_key(record) for record in read_results(path)}
        self._file = path.open("a", encoding="utf-8")
        self._lock = threading.Lock()

    def write(self, records: list[dict[str, Any]]) -> None:
        """Append records whose keys are new, each line flushed as soon as written."""
        with self._lock:
            for record in records:
                key = sample_key(record)
                if key in self.done:
                    continue
                # ASCII lines: a raw U+2028 or U+0085 in an answer would split the line for
                # readers that split on every Unicode line break (str.splitlines).
                self._file.write(json.dumps(record) + "\n")
                self._file.flush()
                self.done.add(key)
            os.fsync(self._file.fileno())

    def close(self) -> None:
        self._file.close()

    def __enter__(self) -> ResultsFile:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _drop_partial_last_line(path: Path) -> None:
    """Cut the file after its last newline: appending after a half line would merge two."""
    with path.open("rb+") as file:
        size = file.seek(0, os.SEEK_END)
        position = size
        while position > 0:
            step = min(4096, position)
            file.seek(position - step)
            chunk = file.read(step)
            newline = chunk.rfind(b"\n")
            if newline >= 0:
                position = position - step + newline + 1
                break
            position -= step
        if position != size:
            file.truncate(position)
