"""What the proof tests share."""

import json
import shutil
from pathlib import Path

import pytest

DATA = Path(__file__).parent / "data"
COQ_PROOFS: dict[str, str] = json.loads((DATA / "coq_basics_proofs.json").read_text())

needs_coq = pytest.mark.skipif(
    shutil.which("coqtop") is None or shutil.which("coqc") is None,
    reason="Coq is not installed (Debian/Ubuntu: apt-get install coq; .ci/run installs it)",
)
LEAN_PROOFS: dict[str, str] = json.loads((DATA / "lean_basics_proofs.json").read_text())


def lean_available() -> str | None:
    """None where a Lean REPL can run, else why not (the skip reason)."""
    from rlvr_envs.verifiers.proof import ProverError
    from rlvr_envs.verifiers.proof.lean_backend import lean_repl_command

    try:
        lean_repl_command()
    except ProverError as exc:
        return f"no Lean toolchain here: {exc}"
    return None


needs_lean = pytest.mark.skipif(lean_available() is not None, reason=lean_available() or "")
