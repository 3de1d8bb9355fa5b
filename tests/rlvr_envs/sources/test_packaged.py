"""Datasets shipped in installed packages: the registry, a plugin, and a missing package."""

import re
import sys
import textwrap
import uuid

import pytest

from rlvr_envs import DatasetError, DatasetSpec, Task, TaskSpec, TaskSpecError, VerifierSpec
from rlvr_envs.packages import BUILTIN_PACKAGES, find_package
from rlvr_envs.packages.champ import ChampDataset
from rlvr_envs.packages.humaneval import HumanEvalDataset
from rlvr_envs.sources.packaged import PackagedDataset, load_packaged_source


class Squares(PackagedDataset):
    """Records made up in memory; `module` names a module that is always installed."""

    name = "squares"
    module = "json"
    distribution = "python"
    install_hint = "nothing to install"
    splits = ("train", "test")
    id_field = "id"
    metadata_fields = ("size",)

    def records(self, split):
        start = 0 if split == "train" else 10
        for n in range(start, start + 3):
            yield f"squares:{split}:{n}", {"id": f"sq{n}", "question": f"{n}^2", "answer": n * n}


class NotInstalled(Squares):
    name = "absent"
    module = "rlvr_envs_no_such_module.data"
    distribution = "no-such-dataset"
    install_hint = "pip install 'rlvr-envs[nothing]'"


def test_records_become_a_source_with_the_datasets_splits():
    source = load_packaged_source(Squares(), required_fields=["question"])
    assert source.splits == ("train", "test")
    assert [p.id for p in source.iter_split("test")] == ["sq10", "sq11", "sq12"]
    problem = source.get("train", "sq2")
    assert (problem.fields["question"], problem.reference) == ("2^2", 4)
    assert problem.metadata == {"source": "squares:train:2"}  # no "size" field to report
    assert source.describe() == "package squares (python)"


def test_a_missing_prompt_field_names_the_record():
    with pytest.raises(DatasetError, match=re.escape("squares:train:0: record has no field 'q'")):
        load_packaged_source(Squares(), required_fields=["q"])


def test_a_package_that_is_not_installed_says_how_to_install_it():
    with pytest.raises(
        DatasetError,
        match=re.escape(
            "dataset package 'absent' reads its data from the Python package 'no-such-dataset' "
            "(module rlvr_envs_no_such_module.data), which is not installed; install it with: "
            "pip install 'rlvr-envs[nothing]'"
        ),
    ):
        load_packaged_source(NotInstalled())


def test_the_builtin_packages_are_found_by_name():
    assert dict(BUILTIN_PACKAGES) == {"champ": ChampDataset, "humaneval": HumanEvalDataset}
    assert find_package("champ") is ChampDataset
    assert ChampDataset.install_hint == "pip install 'rlvr-envs[math]'"
    with pytest.raises(
        TaskSpecError, match=re.escape("unknown dataset package 'chomp'; known: champ, humaneval.")
    ):
        find_package("chomp")


def test_a_package_spec_takes_its_splits_from_the_dataset():
    spec = TaskSpec(
        id="champ-split-check-v1",
        dataset=DatasetSpec(package="champ"),
        prompt="{problem}",
        verifier=VerifierSpec(name="integer"),
        default_split="test",
    )
    assert spec.split_names == ("test",)
    assert spec.dataset.kind == "package"
    assert Task(spec).describe_source() == "package champ"
    with pytest.raises(ValueError, match=re.escape("default_split 'train' is not one of")):
        TaskSpec(
            id="champ-split-check-v1",
            dataset=DatasetSpec(package="champ"),
            prompt="{problem}",
            verifier=VerifierSpec(name="integer"),
        )


@pytest.fixture
def plugin_package(tmp_path, monkeypatch):
    """A fake distribution whose ``rlvr_envs.packages`` entry point is a PackagedDataset."""
    module = f"fakedata_{uuid.uuid4().hex[:8]}"
    (tmp_path / f"{module}.py").write_text(
        textwrap.dedent(
            """
            from rlvr_envs.sources.packaged import PackagedDataset

            class Cubes(PackagedDataset):
                name = "cubes"
                module = "json"
                distribution = "fake"
                install_hint = "-"
                splits = ("test",)

                def records(self, split):
                    for n in range(4):
                        yield f"cubes:{n}", {"question": f"{n}^3", "answer": n**3}
            """
        ),
        encoding="utf-8",
    )
    dist_info = tmp_path / f"{module}-0.1.dist-info"
    dist_info.mkdir()
    (dist_info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {module}\nVersion: 0.1\n")
    (dist_info / "entry_points.txt").write_text(
        f"[rlvr_envs.packages]\ncubes-{module} = {module}:Cubes\n"
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    yield f"cubes-{module}"
    sys.modules.pop(module, None)


def test_a_plugin_package_dataset_serves_a_task(plugin_package):
    spec = TaskSpec(
        id="cubes-check-v1",
        dataset=DatasetSpec(package=plugin_package),
        prompt="What is {question}?",
        verifier=VerifierSpec(name="integer"),
        default_split="test",
    )
    task = Task(spec)
    assert task.split_sizes() == {"test": 4}
    problem = task.problem("test", "test/3")
    assert (task.prompt(problem), problem.reference) == ("What is 3^3?", 27)
