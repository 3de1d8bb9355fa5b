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
