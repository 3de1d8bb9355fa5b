import os
import re
import subprocess
import sys
import textwrap
import uuid
import warnings
from pathlib import Path

import gymnasium
import pytest
from gymnasium.utils.env_checker import check_env

import rlvr_envs
from rlvr_envs import (
    DatasetSpec,
    Status,
    TaskEnv,
    TaskError,
    TaskNotFound,
    TaskRegistry,
    TaskSpec,
    TaskSpecError,
    TextEnv,
    Verification,
    VerifierSpec,
    register_task,
)
from rlvr_envs.registry import (
    ENTRY_POINT_GROUP,
    TASKS_PATH_VARIABLE,
    builtin_tasks_dir,
    task_files,
)

ROOT = Path(rlvr_envs.__file__).resolve().parent.parent


def sums_spec(task_id: str, **changes) -> TaskSpec:
    fields = {
        "id": task_id,
        "dataset": DatasetSpec(generator="arithmetic", splits={"test": 10, "train": None}),
        "prompt": "What is {question}?",
        "verifier": VerifierSpec(name="integer"),
        "family": "testing",
        "description": "sums",
    }
    return TaskSpec(**{**fields, **changes})


class SayHi(TextEnv):
    """Say hi: a hand-written environment without a task spec."""

    family = "games"

    def _begin(self, options):
        return [{"role": "user", "content": "Say hi."}], {"problem_id": "hi/0", "task_id": "say-hi"}

    def _judge(self, response):
        if not isinstance(response, str):
            return Verification(Status.FORMAT_ERROR, 0.0, reason="not text")
        if response.strip().lower() == "hi":
            return Verification(Status.CORRECT, 1.0, answer="hi", reason="correct")
        return Verification(Status.WRONG, 0.0, answer=response, reason="that is not hi")

    def _reward(self, verification):
        return verification.score


# --- task folders ----------------------------------------------------------------------------


def test_builtin_tasks_are_registered():
    registry = TaskRegistry()
    added = registry.add_folder(builtin_tasks_dir())
    ids = registry.ids()
    assert ids == sorted(p.stem for p in task_files(builtin_tasks_dir()))
    assert "arithmetic-add-v1" in ids
    assert sorted(e.id for e in added) == ids  # added in file order, folder by folder
    assert set(ids) <= set(rlvr_envs.default_registry().ids())


def test_a_yaml_task_in_a_folder_is_registered(tmp_path, fresh_id, task_file):
    task_id = fresh_id()
    path = task_file(tmp_path / "nested" / "deeper", task_id)
    registry = TaskRegistry()
    (entry,) = registry.add_folder(tmp_path)
    assert entry.id == task_id
    assert entry.origin == str(path)
    assert (entry.family, entry.description) == ("testing", "sums for the tests")
    assert entry.gym_id == f"rlvr/{task_id}"
    assert task_id in registry
    assert registry.task(task_id).spec.id == task_id
    env = registry.make(task_id)
    assert isinstance(env, TaskEnv)
    prompt, _ = env.reset(seed=0)
    assert prompt.startswith("What is ")
    assert gymnasium.registry.get(f"rlvr/{task_id}") is None  # a private registry mirrors nothing


def test_yml_files_count_too(tmp_path, fresh_id, task_file):
    task_id = fresh_id()
    task_file(tmp_path, task_id, name=f"{task_id}.yml")
    assert [e.id for e in TaskRegistry().add_folder(tmp_path)] == [task_id]


def test_a_folder_added_to_the_default_registry_is_made_by_gymnasium(tmp_path, fresh_id, task_file):
    task_id = fresh_id()
    task_file(tmp_path, task_id)
    rlvr_envs.default_registry().add_folder(tmp_path)
    env = gymnasium.make(f"rlvr/{task_id}")
    assert isinstance(env.unwrapped, TaskEnv)
    assert env.unwrapped.task.id == task_id
    prompt, info = env.reset(seed=3)
    assert info["task_id"] == task_id
    question = prompt.removeprefix("What is ").removesuffix("?")
    _, reward, terminated, truncated, info = env.step(f"It is {eval(question)}.")
    assert (reward, terminated, truncated) == (1.0, True, False)
    assert rlvr_envs.make(task_id).unwrapped.task.id == task_id
    env_test = gymnasium.make(f"rlvr/{task_id}", split="test")
    assert env_test.reset(seed=0)[1]["problem_id"].startswith("test/")


def test_a_broken_file_fails_a_strict_folder(tmp_path, fresh_id, task_file):
    good, bad = fresh_id("good"), fresh_id("bad")
    task_file(tmp_path, good)
    bad_path = task_file(tmp_path, bad, "prompt: a: b\n")
    registry = TaskRegistry()
    with pytest.raises(TaskSpecError, match=re.escape(f"{bad_path}:2: not valid YAML")):
        registry.add_folder(tmp_path)


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        ('prompt: "What is {question}?"\n', "", "field 'prompt' is required but missing"),
        (
            "verifier: {name: integer}",
            "verifier: {}",
            "field 'verifier.name' is required but missing",
        ),
    ],
)
def test_a_task_file_missing_a_field_names_file_and_field(
    tmp_path, fresh_id, task_file, sums_body, old, new, message
):
    assert old in sums_body
    path = task_file(tmp_path, fresh_id(), sums_body.replace(old, new))
    with pytest.raises(TaskSpecError) as info:
        TaskRegistry().add_folder(tmp_path)
    assert str(info.value) == f"{path}: {message}"


def test_a_broken_file_is_recorded_by_a_lenient_folder(tmp_path, fresh_id, task_file):
    good, bad = fresh_id("good"), fresh_id("bad")
    task_file(tmp_path, good)
    bad_path = task_file(tmp_path, bad, "verifier: {}\n")
    registry = TaskRegistry()
    with pytest.warns(
        RuntimeWarning, match=re.escape(f"rlvr_envs: task not registered: {bad_path}")
    ):
        added = registry.add_folder(tmp_path, strict=False)
    assert [e.id for e in added] == [good]
    (problem,) = registry.problems
    assert problem.startswith(f"{bad_path}: ")
    assert "field 'prompt' is required but missing" in problem
    assert "field 'verifier.name' is required but missing" in problem
    with pytest.raises(TaskNotFound, match=re.escape("(1 task source(s) failed to load;")):
        registry.entry(bad)


def test_a_missing_folder_is_an_error(tmp_path):
    with pytest.raises(
        TaskError, match=re.escape(f"task folder {tmp_path / 'nope'} does not exist")
    ):
        TaskRegistry().add_folder(tmp_path / "nope")


def test_the_same_id_from_two_files_is_refused(tmp_path, fresh_id, task_file):
    task_id = fresh_id()
    first = task_file(tmp_path / "a", task_id)
    second = task_file(tmp_path / "b", task_id)
    registry = TaskRegistry()
    with pytest.raises(
        TaskSpecError,
        match=re.escape(f"task {task_id!r} is defined twice: by {first} and by {second}."),
    ):
        registry.add_folder(tmp_path)
    assert registry.entry(task_id).origin == str(first)


def test_a_python_task_cannot_take_the_id_of_a_file_task(tmp_path, fresh_id, task_file):
    task_id = fresh_id()
    task_file(tmp_path, task_id)
    registry = TaskRegistry()
    registry.add_folder(tmp_path)
    with pytest.raises(TaskSpecError, match="is defined twice"):
        registry.add_spec(sums_spec(task_id))


def test_reloading_the_same_folder_is_harmless(tmp_path, fresh_id, task_file):
    task_id = fresh_id()
    task_file(tmp_path, task_id)
    registry = rlvr_envs.default_registry()
    registry.add_folder(tmp_path)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # Gymnasium would warn about overriding rlvr/<id>
        registry.add_folder(tmp_path)
    assert gymnasium.make(f"rlvr/{task_id}").unwrapped.task.id == task_id


# --- lookup ----------------------------------------------------------------------------------


def test_resolve_takes_gym_ids_full_ids_and_bare_names():
    registry = TaskRegistry()
    for version in (1, 2, 10):
        registry.add_spec(sums_spec(f"sums-v{version}"))
    registry.add_spec(sums_spec("sums-extra-v3"))
    assert registry.resolve("sums-v2") == "sums-v2"
    assert registry.resolve("rlvr/sums-v2") == "sums-v2"
    assert registry.resolve("sums") == "sums-v10"  # the newest version, compared as numbers
    assert registry.resolve("rlvr/sums") == "sums-v10"
    assert registry.resolve("sums-extra") == "sums-extra-v3"
    assert "sums" in registry
    assert "sums-v4" not in registry
    assert 42 not in registry
    assert len(registry) == 4
    assert registry.ids() == ["sums-extra-v3", "sums-v1", "sums-v10", "sums-v2"]
    assert [e.id for e in registry.entries()] == registry.ids()


def test_an_unknown_version_lists_the_available_ones():
    registry = TaskRegistry()
    registry.add_spec(sums_spec("sums-v1"))
    registry.add_spec(sums_spec("sums-v2"))
    with pytest.raises(
        TaskNotFound,
        match=re.escape("no task 'sums-v3' is registered. Available versions: sums-v1, sums-v2."),
    ):
        registry.resolve("sums-v3")


def test_an_unknown_task_suggests_a_close_one():
    registry = TaskRegistry()
    registry.add_spec(sums_spec("sums-v1"))
    with pytest.raises(TaskNotFound) as info:
        registry.make("sumz-v1")
    assert str(info.value) == "no task 'sumz-v1' is registered. Did you mean 'sums-v1'?"
    assert isinstance(info.value, KeyError)


def test_make_passes_options_to_the_environment():
    registry = TaskRegistry()
    registry.add_spec(sums_spec("sums-v1"))
    env = registry.make("sums", split="test", max_turns=4, render_mode="ansi")
    assert (env.split, env.max_turns, env.render_mode) == ("test", 4, "ansi")


def test_the_default_registry_is_built_once_and_mirrored_into_gymnasium():
    registry = rlvr_envs.default_registry()
    assert registry is rlvr_envs.default_registry()
    assert registry.problems == []
    for task_id in registry.ids():
        assert gymnasium.registry[f"rlvr/{task_id}"].kwargs == {"task_id": task_id}


def test_module_level_make_resolves_names():
    env = rlvr_envs.make("arithmetic-add")
    assert env.spec.id == "rlvr/arithmetic-add-v1"
    assert env.unwrapped.task.id == "arithmetic-add-v1"
    with pytest.raises(TaskNotFound):
        rlvr_envs.make("arithmetic-nope-v1")


# --- Python registration ----------------------------------------------------------------------


def test_register_task_with_a_spec():
    registry = TaskRegistry()
    spec = sums_spec("sums-v1")
    assert register_task(spec, registry=registry) is spec
    entry = registry.entry("sums-v1")
    assert (entry.origin, entry.family, entry.description) == ("python", "testing", "sums")
    env = registry.make("sums-v1")
    prompt, info = env.reset(seed=1)
    assert prompt.startswith("What is ")
    assert info["task_id"] == "sums-v1"


def test_a_spec_with_a_bad_verifier_option_is_refused_at_registration():
    spec = sums_spec("sums-v1", verifier=VerifierSpec(name="integer", options={"extract": "first"}))
    with pytest.raises(
        TaskSpecError, match=re.escape("task 'sums-v1': field 'verifier.options.extract'")
    ):
        register_task(spec, registry=TaskRegistry())
    unknown = sums_spec("sums-v1", verifier=VerifierSpec(name="integr"))
    with pytest.raises(
        TaskSpecError,
        match=re.escape("task 'sums-v1': field 'verifier.name': unknown verifier 'integr'"),
    ):
        register_task(unknown, registry=TaskRegistry())


def test_register_task_as_a_decorator_with_an_id():
    registry = TaskRegistry()

    @register_task(id="say-hi-v1", registry=registry)
    class Hi(SayHi):
        """Say hi, registered by decorator."""

    assert Hi.__name__ == "Hi"  # the decorator returns the class itself
    entry = registry.entry("say-hi")
    assert entry.env_class is Hi
    assert entry.task is None
    assert entry.origin.startswith("python:") and entry.origin.endswith("Hi")
    assert (entry.family, entry.description) == ("games", "Say hi, registered by decorator.")
    env = registry.make("say-hi-v1", max_turns=2)
    assert isinstance(env, Hi)
    assert env.reset()[0] == "Say hi."
    assert env.step("hello")[2:4] == (False, False)  # a retry: two turns
    _, reward, terminated, truncated, _ = env.step("Hi")
    assert (reward, terminated, truncated) == (1.0, True, False)
    with pytest.raises(
        TaskError, match=re.escape("task 'say-hi-v1' is a hand-written environment")
    ):
        registry.task("say-hi-v1")


def test_register_task_on_a_class_with_a_task_id():
    registry = TaskRegistry()

    class Hi(SayHi):
        task_id = "say-hi-v2"

    assert register_task(Hi, registry=registry) is Hi
    assert registry.ids() == ["say-hi-v2"]


@pytest.mark.parametrize("bad_id", [None, "SayHi", "say-hi"])
def test_a_class_needs_a_valid_task_id(bad_id):
    with pytest.raises(
        TaskSpecError,
        match=re.escape(
            "a registered environment class needs a task id like 'my-game-v1' (class attribute "
            f"task_id or register_task(id=...)), got {bad_id!r}"
        ),
    ):
        register_task(id=bad_id, registry=TaskRegistry())(SayHi)


def test_register_task_refuses_anything_else():
    with pytest.raises(TypeError, match="takes a TaskSpec or a TextEnv subclass, got int"):
        register_task(42, registry=TaskRegistry())  # type: ignore[call-overload]


def test_a_class_registered_by_default_is_made_by_gymnasium(fresh_id):
    task_id = fresh_id("hi")

    @register_task(id=task_id)
    class Hi(SayHi):
        pass

    env = gymnasium.make(f"rlvr/{task_id}")
    assert isinstance(env.unwrapped, Hi)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        check_env(env.unwrapped)


# --- entry points -----------------------------------------------------------------------------


@pytest.fixture
def fake_distribution(tmp_path, monkeypatch):
    """Install a fake distribution declaring ``[rlvr_envs.tasks]`` entry points, on sys.path."""
    created = []

    def install(module_source: str, entry_points: dict[str, str]) -> str:
        module = f"fakepkg_{uuid.uuid4().hex[:8]}"
        created.append(module)
        (tmp_path / f"{module}.py").write_text(textwrap.dedent(module_source), encoding="utf-8")
        dist_info = tmp_path / f"{module}-0.1.dist-info"
        dist_info.mkdir()
        (dist_info / "METADATA").write_text(
            f"Metadata-Version: 2.1\nName: {module}\nVersion: 0.1\n"
        )
        lines = "".join(
            f"{name} = {target.format(module=module)}\n" for name, target in entry_points.items()
        )
        (dist_info / "entry_points.txt").write_text(f"[{ENTRY_POINT_GROUP}]\n{lines}")
        monkeypatch.syspath_prepend(str(tmp_path))
        return module

    yield install
    for module in created:
        sys.modules.pop(module, None)


def test_an_entry_point_loads_a_folder_and_specs(tmp_path, fake_distribution, fresh_id, task_file):
    folder_task, spec_task = fresh_id("epfolder"), fresh_id("epspec")
    task_file(tmp_path / "plugin_tasks", folder_task)
    fake_distribution(
        f"""
        from pathlib import Path
        from rlvr_envs import DatasetSpec, TaskSpec, VerifierSpec

        TASKS = [
            Path(__file__).parent / "plugin_tasks",
            TaskSpec(
                id="{spec_task}",
                dataset=DatasetSpec(generator="arithmetic", splits={{"train": None}}),
                prompt="{{question}} = ?",
                verifier=VerifierSpec(name="integer"),
            ),
        ]
        """,
        {"mine": "{module}:TASKS"},
    )
    registry = TaskRegistry()
    added = registry.add_entry_points()
    assert {e.id for e in added} == {folder_task, spec_task}
    assert registry.problems == []
    assert registry.entry(spec_task).origin.startswith("entry point mine = fakepkg_")
    assert registry.make(spec_task).reset(seed=0)[0].endswith(" = ?")
    assert registry.make(folder_task).reset(seed=0)[0].startswith("What is ")


def test_an_entry_point_may_be_a_function_returning_an_env_class(fake_distribution, fresh_id):
    task_id = fresh_id("epclass")
    fake_distribution(
        f"""
        from rlvr_envs import Status, TextEnv, Verification

        class Echo(TextEnv):
            task_id = "{task_id}"

            def _begin(self, options):
                return [{{"role": "user", "content": "echo"}}], {{}}

            def _judge(self, response):
                return Verification(Status.CORRECT, 1.0)

            def _reward(self, verification):
                return 1.0

        def tasks():
            return Echo
        """,
        {"echo": "{module}:tasks"},
    )
    registry = TaskRegistry()
    (entry,) = registry.add_entry_points()
    assert entry.id == task_id
    assert registry.make(task_id).reset()[0] == "echo"


def test_a_broken_entry_point_is_recorded_not_raised(fake_distribution):
    module = fake_distribution(
        """
        raise ImportError("the plugin needs a package that is not installed")
        """,
        {"broken": "{module}:TASKS"},
    )
    registry = TaskRegistry()
    with pytest.warns(RuntimeWarning, match="rlvr_envs: task not registered: entry point broken"):
        assert registry.add_entry_points() == []
    assert registry.problems == [
        f"entry point broken = {module}:TASKS: failed to load: ImportError: "
        "the plugin needs a package that is not installed"
    ]


def test_an_entry_point_of_the_wrong_kind_is_recorded(fake_distribution, fresh_id):
    good = fresh_id("epgood")
    module = fake_distribution(
        f"""
        from rlvr_envs import DatasetSpec, TaskSpec, VerifierSpec

        NUMBER = 42
        GOOD = TaskSpec(
            id="{good}",
            dataset=DatasetSpec(generator="arithmetic", splits={{"train": None}}),
            prompt="{{question}}",
            verifier=VerifierSpec(name="integer"),
        )
        """,
        {"number": "{module}:NUMBER", "good": "{module}:GOOD"},
    )
    registry = TaskRegistry()
    with pytest.warns(RuntimeWarning):
        added = registry.add_entry_points()
    assert [e.id for e in added] == [good]
    (problem,) = registry.problems
    assert problem == (
        f"entry point number = {module}:NUMBER: failed to load: TaskSpecError: "
        f"entry point number = {module}:NUMBER: expected a TaskSpec, a TextEnv subclass, a folder, "
        "a list of these or a function returning one, got int"
    )


def test_entry_points_of_other_groups_are_ignored(fake_distribution):
    fake_distribution("TASKS = []\n", {"mine": "{module}:TASKS"})
    assert TaskRegistry().add_entry_points(group="rlvr_envs.nothing_here") == []


# --- RLVR_TASKS_PATH ----------------------------------------------------------------------------


def test_tasks_path_variable_adds_folders_and_survives_broken_ones(tmp_path, fresh_id, task_file):
    good, bad = fresh_id("envgood"), fresh_id("envbad")
    task_file(tmp_path / "one", good)
    task_file(tmp_path / "one", bad, "prompt: 3\n")
    folders = os.pathsep.join([str(tmp_path / "one"), str(tmp_path / "missing")])
    code = textwrap.dedent(
        f"""
        import warnings
        warnings.simplefilter("ignore")
        import gymnasium, rlvr_envs
        registry = rlvr_envs.default_registry()
        print("{good}" in registry, "{bad}" in registry)
        for problem in registry.problems:
            print(problem)
        print(gymnasium.make("rlvr/{good}").reset(seed=0)[0])
        """
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        env={**os.environ, TASKS_PATH_VARIABLE: folders, "PYTHONPATH": str(ROOT)},
        capture_output=True,
        text=True,
        timeout=60,
        cwd=tmp_path,
    )
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0] == "True False"
    assert lines[1].startswith(str(tmp_path / "one" / f"{bad}.yaml") + ": ")
    missing = tmp_path / "missing"
    assert lines[2] == (
        f"{TASKS_PATH_VARIABLE}: task folder {missing} does not exist or is not a folder"
    )
    assert lines[3].startswith("What is ")
