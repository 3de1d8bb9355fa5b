"""``rlvr train`` as a user meets it: help, config listing, usage errors."""

from __future__ import annotations

import subprocess
import sys

import pytest

pytest.importorskip("torch")

from trainers.cli import main


def test_rlvr_train_is_a_plugged_in_subcommand():
    done = subprocess.run(
        [sys.executable, "-m", "rlvr_envs.cli.main", "train", "--help"],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "rlvr train" in done.stdout and "--resume" in done.stdout


def test_help_config_lists_every_field(capsys):
    assert main(["--help-config"]) == 0
    out = capsys.readouterr().out
    assert "rollout:" in out and "group_size = 8" in out


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--set", "rollout.group_sise=4"], "did you mean 'group_size'"),
        (["--algo", "ppo2"], "unknown objective 'ppo2'"),
        (["--steps", "0"], "run.steps is 0"),
        (["--task", "no-such-task-v1", "--model", "/nonexistent"], "no-such-task"),
        (["--model", "/nonexistent/folder"], "not 'smollm2-135m-instruct' and not a checkpoint"),
    ],
)
def test_usage_errors_exit_2_with_one_line(argv, message, capsys, tmp_path):
    assert main([*argv, "--quiet", "--output", str(tmp_path / "run")]) == 2
    err = capsys.readouterr().err
    assert message in err
    assert "Traceback" not in err
