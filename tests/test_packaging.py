"""The distribution: a real (non-editable) wheel carries all three packages and the tasks,
and README's test command is exactly what CI runs."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from rlvr_envs.registry import task_files

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    pytest.importorskip("hatchling", reason="building the wheel needs hatchling (the dev extra)")
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "--no-build-isolation",
            "-q",
            "-w",
            str(out),
            str(ROOT),
        ],
        check=True,
        timeout=300,
    )
    (built,) = out.glob("rlvr_envs-*.whl")
    return built


def test_wheel_holds_the_packages_and_the_builtin_tasks(wheel):
    names = zipfile.ZipFile(wheel).namelist()
    for package in ("rlvr_envs", "sandboxes", "trainers"):
        assert f"{package}/__init__.py" in names
    builtin = {Path(n).name for n in names if n.startswith("rlvr_envs/_builtin_tasks/")}
    shipped = {p.name for p in (ROOT / "tasks").rglob("*") if p.is_file()}
    assert shipped and shipped <= builtin
    entry_points = next(n for n in names if n.endswith(".dist-info/entry_points.txt"))
    assert "rlvr = rlvr_envs.cli.main:main" in zipfile.ZipFile(wheel).read(entry_points).decode()


def test_installed_wheel_finds_its_builtin_tasks(wheel, tmp_path):
    target = tmp_path / "site"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "--no-deps",
            "-q",
            "--target",
            str(target),
            str(wheel),
        ],
        check=True,
        timeout=300,
    )
    code = (
        "import rlvr_envs, gymnasium; "
        "print(rlvr_envs.__file__); "
        "print(len(rlvr_envs.default_registry())); "
        "env = gymnasium.make('rlvr/arithmetic-add-v1'); print(env.reset(seed=0)[0])"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=tmp_path,  # not the source tree
        env={**os.environ, "PYTHONPATH": str(target)},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    module_file, count, prompt = result.stdout.splitlines()
    assert module_file.startswith(str(target))
    assert int(count) == len(task_files(ROOT / "tasks"))
    assert prompt.startswith("What is ")


def test_ci_runs_exactly_the_readme_test_command():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("Run the tests:", 1)[1]
    command = re.search(r"```bash\n(.+?)\n```", section, re.S).group(1).strip()
    ci_commands = [
        line.strip()
        for line in (ROOT / ".ci" / "run").read_text().splitlines()
        if line.strip() and not line.startswith("#")
    ]
    assert command in ci_commands, (command, ci_commands)
