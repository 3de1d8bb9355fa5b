import subprocess
import sys
import textwrap

import rlvr_envs


def _rlvr(*args: str, stdin: str = "", env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "rlvr_envs.cli.main", *args],
        input=stdin,
        capture_output=True,
        text=True,
        timeout=60,
        env=env,
    )


def _first_problem(task_id: str, seed: int):
    env = rlvr_envs.default_registry().make(task_id)
    env.reset(seed=seed)
    return env.problem


def test_play_single_turn_correct_answer():
    problem = _first_problem("arithmetic-add-v1", seed=7)
    result = _rlvr(
        "play", "arithmetic-add", "--seed", "7", "--episodes", "1", stdin=f"{problem.reference}\n"
    )
    assert result.returncode == 0, result.stderr
    assert problem.fields["question"] in result.stdout
    assert "correct  reward 1" in result.stdout
    assert "1 episode(s), mean reward 1" in result.stdout


def test_play_multi_turn_retries_then_runs_out_of_turns():
    problem = _first_problem("arithmetic-retry-v1", seed=3)
    wrong = problem.reference + 1
    result = _rlvr(
        "play",
        "arithmetic-retry-v1",
        "--seed",
        "3",
        "--episodes",
        "1",
        stdin=f"{wrong}\n{wrong}\n{wrong}\n",
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.count("Try again") == 2
    assert "out of turns after 3 turn(s)" in result.stdout


def test_play_multi_turn_recovers():
    problem = _first_problem("arithmetic-retry-v1", seed=4)
    stdin = f"{problem.reference + 5}\n{problem.reference}\n"
    result = _rlvr("play", "arithmetic-retry-v1", "--seed", "4", "--episodes", "1", stdin=stdin)
    assert "solved after 2 turn(s)" in result.stdout


def test_play_stops_at_end_of_input():
    result = _rlvr("play", "arithmetic-add-v1", stdin="")
    assert result.returncode == 0


def test_console_script_is_installed():
    result = subprocess.run(["rlvr", "--version"], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0
    assert result.stdout.startswith("rlvr-envs ")


def test_plugin_subcommand_from_an_entry_point(tmp_path):
    (tmp_path / "fake_rlvr_plugin.py").write_text(
        textwrap.dedent(
            """
            def main(argv):
                print("plugin ran with", argv)
                return 3
            """
        )
    )
    dist = tmp_path / "fake_rlvr_plugin-0.1.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: fake-rlvr-plugin\nVersion: 0.1\n")
    (dist / "entry_points.txt").write_text(
        "[rlvr_envs.commands]\nfrobnicate = fake_rlvr_plugin:main\n"
    )
    import os

    env = {**os.environ, "PYTHONPATH": f"{tmp_path}{os.pathsep}{os.environ.get('PYTHONPATH', '')}"}
    result = _rlvr("frobnicate", "--fast", env=env)
    assert result.returncode == 3
    assert "plugin ran with ['--fast']" in result.stdout
    listed = _rlvr("--help", env=env)
    assert "frobnicate" in listed.stdout
