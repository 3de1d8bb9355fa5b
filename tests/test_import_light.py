"""``import rlvr_envs`` stays light: no torch, no transformers, no trainers.

Both checks run in a fresh interpreter, so what this test session imported does not count.
"""

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import rlvr_envs

ROOT = Path(rlvr_envs.__file__).resolve().parent.parent
HEAVY = {"torch", "transformers", "trainers"}


def run_python(*args: str) -> subprocess.CompletedProcess:
    """Run a fresh interpreter on this source tree, outside it (so the cwd adds nothing)."""
    path = os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))
    return subprocess.run(
        [sys.executable, *args],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=ROOT / "tests",
        env={**os.environ, "PYTHONPATH": path},
    )


def test_importing_the_package_imports_no_heavy_module():
    result = run_python("-X", "importtime", "-c", "import rlvr_envs")
    assert result.returncode == 0, result.stderr
    imported = [
        line.split("|")[-1].strip()
        for line in result.stderr.splitlines()
        if line.startswith("import time:") and "|" in line
    ]
    top_level = {name.split(".")[0] for name in imported}
    assert {"rlvr_envs", "gymnasium", "numpy", "pydantic"} <= top_level  # the parse works
    assert not top_level & HEAVY, sorted(name for name in imported if name.split(".")[0] in HEAVY)


BLOCKED = textwrap.dedent(
    """
    import sys

    HEAVY = {"torch", "transformers", "trainers"}

    class Block:
        def find_spec(self, name, path=None, target=None):
            if name.split(".")[0] in HEAVY:
                raise ImportError(f"{name} is blocked by the test")
            return None

    sys.meta_path.insert(0, Block())
    try:
        import torch
    except ImportError:
        pass
    else:
        raise SystemExit("the blocker does not work")

    import gymnasium
    import rlvr_envs
    import rlvr_envs.cli.main  # rlvr eval and compare are built in; models come by entry point
    import rlvr_envs.evaluation

    env = gymnasium.make("rlvr/arithmetic-add-v1")
    prompt, info = env.reset(seed=0)
    answer = eval(prompt.removeprefix("What is ").removesuffix("?"))
    _, reward, terminated, truncated, info = env.step(f"The answer is {answer}.")
    print(reward, terminated, truncated, info["verification"].status)
    print(sorted(name for name in sys.modules if name.split(".")[0] in HEAVY))
    """
)


def test_the_package_works_where_heavy_modules_cannot_be_imported():
    result = run_python("-c", BLOCKED)
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == ["1.0 True False correct", "[]"]
