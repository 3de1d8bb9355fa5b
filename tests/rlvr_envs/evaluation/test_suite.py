"""Suite files: the built-in ones, the format, the errors, and where suites are found."""

from __future__ import annotations

import re

import pytest

import rlvr_envs
from rlvr_envs import ConfigError, TaskRegistry, TaskSpecError
from rlvr_envs.evaluation import find_suite, load_suite_file, suite_folders
from rlvr_envs.evaluation.runner import _resolve, plan_size
from rlvr_envs.evaluation.suite import suite_files
from rlvr_envs.registry import builtin_tasks_dir

BUILTIN = ("smoke", "math-core", "code-core")


@pytest.mark.parametrize("name", BUILTIN)
def test_builtin_suites_load_and_name_registered_tasks_with_enough_problems(name):
    suite = find_suite(name, suite_folders())
    registry = rlvr_envs.default_registry()
    tasks = {entry.task: _resolve(registry, entry) for entry in suite.tasks}
    assert all(entry.task == tasks[entry.task][0] for entry in suite.tasks)  # versions pinned
    assert plan_size(suite, tasks) > 0


def test_defaults_merge_into_every_task_entry(tmp_path):
    path = tmp_path / "mine.yaml"
    path.write_text(
        "suite: mine\ndefaults: {samples: 3, max_new_tokens: 32}\n"
        "tasks:\n  - {task: arithmetic-add-v1}\n  - {task: arithmetic-sub-v1, samples: 0}\n"
    )
    suite = find_suite(str(path), suite_folders())  # by path, any file name
    assert [(t.samples, t.max_new_tokens) for t in suite.tasks] == [(3, 32), (0, 32)]
    assert suite.to_dict()["tasks"][0]["task"] == "arithmetic-add-v1"
    assert "defaults" not in suite.to_dict()


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("tasks:\n  - {task: a-v1, sampels: 2}\n", "field 'tasks.0.sampels' is not a known field"),
        ("tasks: []\n", "at least one task"),
        ("tasks:\n  - {task: a-v1, greedy: false}\n", "no greedy answer and no samples"),
        ("tasks:\n  - {task: a-v1}\n  - {task: a-v1}\n", "tasks listed twice: ['a-v1']"),
        ("tasks:\n  - {task: a-v1, temperature: 0}\n", "temperature"),
    ],
)
def test_a_broken_suite_file_names_the_file_and_the_problem(tmp_path, body, message):
    path = tmp_path / "broken.suite.yaml"
    path.write_text("suite: broken\n" + body)
    with pytest.raises(TaskSpecError, match=re.escape(str(path))) as error:
        load_suite_file(path)
    assert message in str(error.value)


def test_the_file_name_must_match_the_suite_name(tmp_path):
    path = tmp_path / "smoke.suite.yaml"
    path.write_text("suite: other\ntasks:\n  - {task: a-v1}\n")
    with pytest.raises(TaskSpecError, match=re.escape("name the file 'other.suite.yaml'")):
        load_suite_file(path)


def test_an_unknown_suite_lists_the_known_ones():
    with pytest.raises(ConfigError, match=r"no suite named 'smok'.*Did you mean 'smoke'\?"):
        find_suite("smok", suite_folders())
    with pytest.raises(ConfigError, match="does not exist"):
        find_suite("missing.yaml", suite_folders())


def test_suites_in_task_folders_are_found_and_skipped_by_the_task_registry(
    tmp_path, task_file, fresh_id, monkeypatch
):
    folder = tmp_path / "tasks"
    task_id = fresh_id("sums")
    task_file(folder, task_id)
    (folder / "extra.suite.yaml").write_text(f"suite: extra\ntasks:\n  - {{task: {task_id}}}\n")
    registry = TaskRegistry()
    assert [entry.id for entry in registry.add_folder(folder)] == [task_id]
    assert find_suite("extra", suite_folders([folder])).tasks[0].task == task_id
    monkeypatch.setenv("RLVR_TASKS_PATH", str(folder))
    assert "extra" in suite_files(suite_folders())
    assert set(BUILTIN) <= set(suite_files([builtin_tasks_dir()]))
