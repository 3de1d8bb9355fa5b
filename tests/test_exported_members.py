"""``rlvr_envs.__all__`` lists exactly the public names of the package, like httpx's test."""

import tomllib
import types
from pathlib import Path

import pytest

import rlvr_envs

PRIVATE_BUT_EXPORTED = {"__version__"}


def test_all_exports_are_exactly_the_public_names():
    public = {
        name
        for name in dir(rlvr_envs)
        if not name.startswith("_") and not isinstance(getattr(rlvr_envs, name), types.ModuleType)
    }
    assert set(rlvr_envs.__all__) == public | PRIVATE_BUT_EXPORTED


def test_all_is_sorted_without_duplicates():
    assert rlvr_envs.__all__ == sorted(set(rlvr_envs.__all__))


def test_every_export_exists():
    for name in rlvr_envs.__all__:
        assert getattr(rlvr_envs, name) is not None, name


def test_star_import_gives_the_exports():
    namespace: dict = {}
    exec("from rlvr_envs import *", namespace)
    assert set(namespace) - {"__builtins__"} == set(rlvr_envs.__all__)


def test_version_matches_the_distribution_metadata():
    pyproject = Path(rlvr_envs.__file__).resolve().parent.parent / "pyproject.toml"
    if not pyproject.exists():
        pytest.skip("an installed wheel has no source tree to compare with")
    version = tomllib.loads(pyproject.read_text())["project"]["version"]
    assert rlvr_envs.__version__ == version
