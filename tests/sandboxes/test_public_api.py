"""``sandboxes.__all__`` is exactly its public names, and the package stands alone."""

from __future__ import annotations

import subprocess
import sys
import types
from pathlib import Path

import sandboxes

ROOT = Path(sandboxes.__file__).resolve().parent.parent


def test_all_exports_are_exactly_the_public_names():
    public = {
        name
        for name in dir(sandboxes)
        if not name.startswith("_") and not isinstance(getattr(sandboxes, name), types.ModuleType)
    }
    assert set(sandboxes.__all__) == public
    assert sandboxes.__all__ == sorted(set(sandboxes.__all__))


def test_sandboxes_imports_neither_rlvr_envs_nor_trainers():
    code = (
        "import sys, sandboxes\n"
        "sandboxes.describe_backends()\n"
        "print(sorted({name.split('.')[0] for name in sys.modules} & {'rlvr_envs', 'trainers'}))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=60
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout == "[]\n"


def test_importing_sandboxes_imports_no_sdk_and_starts_nothing():
    code = "import sys, sandboxes\nprint('docker' in sys.modules)"
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=60
    )
    assert result.returncode == 0 and result.stdout == "False\n", result.stderr
