import json
import time


def _write(path, records_or_raw):
    lines = [r if isinstance(r, bytes) else json.dumps(r).encode() for r in records_or_raw]
    path.write_bytes(b"\n".join(lines) + b"\n")


def test_grade_math_writes_one_verdict_per_line(rlvr, tmp_path):
    source = tmp_path / "in.jsonl"
    _write(
        source,
        [
            {"gold": "\\frac{1}{2}", "response": "So the answer is $0.5$.", "model": "a"},
            {"gold": "3", "response": "\\boxed{4}"},
            {"gold": "\\log_2 8", "response": "\\boxed{3}"},
            b"{broken",
            {"response": "no gold here"},
            {"gold": ["a list"], "response": "1"},
            {"gold": 12, "response": "The answer is 12."},
            {"gold": "e^2", "response": "x" * 300_000},
        ],
    )
    out = tmp_path / "out.jsonl"
    status, stdout, err = rlvr("grade", "math", str(source), "--out", str(out), "--jobs", "1")
    assert status == 1  # three lines could not be graded
    assert stdout == ""
    records = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert len(records) == 8
    first = records[0]
    assert first["model"] == "a"  # extra fields are carried through
    assert (first["reward"], first["status"], first["extracted"]) == (1.0, "correct", "0.5")
    assert first["gold_parsed"] and first["seconds"] >= 0
    assert [r.get("status") for r in records] == [
        "correct", "wrong", "correct", None, None, None, "correct", "format_error",
    ]  # fmt: skip
    assert "not valid JSON" in records[3]["error"]
    assert "no 'gold' field" in records[4]["error"]
    assert "'gold' must be a string or a number" in records[5]["error"]
    assert "too long" not in err and "scored 5 line(s)" in err


def test_grade_math_boxed_strictness_and_stdout(rlvr, tmp_path):
    source = tmp_path / "in.jsonl"
    _write(source, [{"gold": "7", "response": "The answer is 7."}])
    status, stdout, _ = rlvr("grade", "math", str(source), "--extract", "boxed")
    assert status == 0
    assert json.loads(stdout)["status"] == "format_error"


def test_grade_math_hostile_lines_return_quickly(rlvr, tmp_path):
    source = tmp_path / "in.jsonl"
    hostile = [
        "9^{9^{9^{9}}}",
        "\\boxed{" + "{" * 3000 + "}" * 3000 + "}",
        "\\frac{\\frac{",
        "\u0000\u0000",
        "\ud800",
        "\\boxed{10^{10^{10^{10}}}}",
    ]
    _write(source, [{"gold": "2", "response": r} for r in hostile])
    started = time.monotonic()
    status, stdout, _ = rlvr("grade", "math", str(source), "--timeout", "2")
    assert time.monotonic() - started < 20
    assert status == 0
    statuses = [json.loads(line)["status"] for line in stdout.splitlines()]
    assert len(statuses) == len(hostile)
    assert "correct" not in statuses and "verifier_error" not in statuses


def test_grade_needs_a_kind(rlvr):
    import pytest

    with pytest.raises(SystemExit) as exit_info:
        rlvr("grade")
    assert exit_info.value.code == 2
