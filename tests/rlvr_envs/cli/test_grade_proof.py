"""``rlvr grade proof``: lines carrying a statement and a proof, one verdict per line."""

from __future__ import annotations

import json
import shutil

import pytest

needs_coq = pytest.mark.skipif(
    shutil.which("coqtop") is None, reason="Coq is not installed (apt-get install coq)"
)

LINES = [
    {"statement": "forall n : nat, n + 0 = n", "proof": "Proof. induction n; simpl; auto. Qed."},
    {"statement": "forall n : nat, n + 0 = n", "proof": "Proof. intro n. Admitted."},
    {"statement": "forall n : nat, n + 0 = n", "proof": "Proof. intro n. reflexivity. Qed."},
    {
        "statement": "forall n : nat, 2 * n + 1 > n",
        "preamble": "Require Import Lia.",
        "proof": "Sure:\n```coq\nProof. intros. lia. Qed.\n```",
        "id": "kept",
    },
    {"statement": "forall n : nat, n = n"},
]


@needs_coq
@pytest.mark.timeout(120)
@pytest.mark.parametrize("mode", [[], ["--cold"]])
def test_grade_proof_writes_one_verdict_per_line(rlvr, tmp_path, mode):
    path = tmp_path / "proofs.jsonl"
    path.write_text("".join(json.dumps(line) + "\n" for line in LINES) + "not json\n")
    status, out, err = rlvr("grade", "proof", "--prover", "coq", str(path), "--jobs", "2", *mode)
    rows = [json.loads(line) for line in out.splitlines()]
    assert status == 1  # two lines could not be graded
    assert [row["reward"] for row in rows] == [1.0, 0.0, 0.0, 1.0, None, None]
    assert [row.get("status") for row in rows[:4]] == ["correct", "wrong", "wrong", "correct"]
    assert [row.get("stage") for row in rows[:4]] == ["accepted", "screen", "prover", "accepted"]
    assert rows[1]["reason"].startswith("`Admitted` leaves the theorem unproved")
    assert "Error:" in rows[2]["reason"]
    assert rows[3]["id"] == "kept" and rows[3]["seconds"] > 0
    assert rows[4]["error"] == "line has no 'proof' field (it has ['statement'])"
    assert "line 6" in err or ":6:" in err


def test_grade_proof_needs_a_prover(rlvr, tmp_path, capsys):
    path = tmp_path / "proofs.jsonl"
    path.write_text("")
    with pytest.raises(SystemExit) as exc:
        rlvr("grade", "proof", str(path))
    assert exc.value.code == 2
    assert "--prover" in capsys.readouterr().err
