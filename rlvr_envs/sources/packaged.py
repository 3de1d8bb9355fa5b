"""Datasets that an installed Python package ships, read from the package, never downloaded.

A task names one with ``dataset: {package: champ}``; the name resolves to a
`PackagedDataset` class (built-in, or from the entry-point group ``rlvr_envs.packages``:
see `rlvr_envs.packages`). The class knows which module carries the data, which
distribution to install when it is missing, its splits, and how to turn the package's data
into records; `load_packaged_source` reads them into an in-memory `RecordSource`.
"""

from __future__ import annotations

import importlib.util
from abc import ABC, abstractmethod
from collections.abc import Iterable, Iterator, Mapping
from typing import Any, ClassVar

from rlvr_envs.errors import DatasetError
from rlvr_envs.sources.records import RecordSource, records_to_problems

__all__ = ["PackagedDataset", "load_packaged_source"]


class PackagedDataset(ABC):
    """The data of one installed package, as records.

    Subclasses set the class attributes below and implement `records`, which may import
    `module` (it is only called once the module is known to be installed).
    """

    name: ClassVar[str]
    """The key task files use: ``dataset: {package: <name>}``."""
    module: ClassVar[str]
    """The importable module that carries the data (``champ_dataset``)."""
    distribution: ClassVar[str]
    """The distribution that installs `module` (``champ-dataset``)."""
    install_hint: ClassVar[str]
    """The command that installs it (``pip install 'rlvr-envs[math]'``)."""
    splits: ClassVar[tuple[str, ...]]
    """The split names, in order."""
    reference_field: ClassVar[str] = "answer"
    id_field: ClassVar[str | None] = None
    metadata_fields: ClassVar[tuple[str, ...]] = ()
    """Record fields also reported in each problem's metadata."""

    @abstractmethod
    def records(self, split: str) -> Iterator[tuple[str, Mapping[str, Any]]]:
        """``(where, record)`` pairs of `split`, `where` naming the record in errors."""


def load_packaged_source(
    dataset: PackagedDataset, *, required_fields: Iterable[str] = ()
) -> RecordSource:
    """Read every split of `dataset` now.

    Raises:
        DatasetError: the package is not installed (with the command that installs it),
            or a record lacks a field the task needs.
    """
    if not _installed(dataset.module):
        raise DatasetError(
            f"dataset package {dataset.name!r} reads its data from the Python package "
            f"{dataset.distribution!r} (module {dataset.module}), which is not installed; "
            f"install it with: {dataset.install_hint}"
        )
    required = list(required_fields)
    splits = {
        split: records_to_problems(
            dataset.records(split),
            split=split,
            id_field=dataset.id_field,
            reference_field=dataset.reference_field,
            required_fields=required,
            metadata_fields=dataset.metadata_fields,
        )
        for split in dataset.splits
    }
    return RecordSource(splits, description=f"package {dataset.name} ({dataset.distribution})")


def _installed(module: str) -> bool:
    try:
        return importlib.util.find_spec(module) is not None
    except ModuleNotFoundError:  # a dotted name whose parent package is missing
        return False
