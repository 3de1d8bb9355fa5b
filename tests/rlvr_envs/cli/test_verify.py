import json
import signal
import subprocess
import sys
import time

import rlvr_envs


def _reference(problem_id: str) -> int:
    task = rlvr_envs.default_registry().task("arithmetic-add-v1")
    return task.problem("test", problem_id).reference


def test_verify_scores_good_lines_and_reports_malformed_ones(rlvr, tmp_path):
    responses = tmp_path / "responses.jsonl"
    good = [
        {"problem_id": "test/0", "response": f"It is {_reference('test/0')}.", "model": "m1"},
        {"problem_id": "test/1", "response": "It is -1."},
        {"problem_id": "test/2", "response": ""},
    ]
    raw_lines = [
        json.dumps(good[0]).encode(),
        b"{not json",
        json.dumps(good[1]).encode(),
        b"[1, 2]",
        b"\xff\xfe\x00 binary",
        json.dumps({"problem_id": "test/3"}).encode(),
        json.dumps({"problem_id": "test/100000", "response": "1"}).encode(),
        b"",
        json.dumps(good[2]).encode(),
    ]
    responses.write_bytes(b"\n".join(raw_lines) + b"\n")
    out = tmp_path / "out.jsonl"

    status, stdout, err = rlvr(
        "verify", "arithmetic-add-v1", "--responses", str(responses), "--out", str(out)
    )

    assert status == 1  # some lines could not be scored
    assert stdout == ""
    records = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert len(records) == 8  # every non-blank input line has its output line, in order
    assert records[0]["reward"] == 1.0
    assert records[0]["model"] == "m1"  # extra fields are carried through
    assert records[0]["verification"]["status"] == "correct"
    assert records[2]["verification"]["status"] == "wrong"
    assert records[7]["verification"]["status"] == "unparsable"
    assert records[7]["reward"] == 0.0
    bad = {record["line"]: record["error"] for record in records if "error" in record}
    assert sorted(bad) == [2, 4, 5, 6, 7]
    assert "not valid JSON" in bad[2]
    assert "must be a JSON object" in bad[4]
    assert "not UTF-8" in bad[5]
    assert "no 'response'" in bad[6]
    assert "out of range" in bad[7]
    assert all(records[i]["reward"] is None for i in (1, 3, 4, 5, 6))
    for line in (2, 4, 5, 6, 7):
        assert f"{responses}:{line}:" in err
    assert "scored 3 line(s)" in err


def test_verify_to_stdout_and_all_good_exits_zero(rlvr, tmp_path):
    responses = tmp_path / "r.jsonl"
    responses.write_text(
        json.dumps({"problem_id": "test/5", "response": str(_reference("test/5"))}) + "\n"
    )
    status, stdout, _ = rlvr("verify", "rlvr/arithmetic-add-v1", "--responses", str(responses))
    assert status == 0
    assert json.loads(stdout)["reward"] == 1.0


def test_verify_keeps_lone_surrogates_as_escapes(rlvr, tmp_path):
    responses = tmp_path / "r.jsonl"
    responses.write_text('{"problem_id": "test/0", "response": "\\ud800 12"}\n', encoding="utf-8")
    status, stdout, _ = rlvr("verify", "arithmetic-add-v1", "--responses", str(responses))
    assert status == 0
    record = json.loads(stdout)
    assert record["verification"]["status"] == "format_error"
    assert record["response"] == "\ud800 12"


def test_verify_missing_file_is_a_usage_error(rlvr, tmp_path):
    status, _, err = rlvr(
        "verify", "arithmetic-add-v1", "--responses", str(tmp_path / "nope.jsonl")
    )
    assert status == 2
    assert err.startswith("rlvr: error: cannot read responses file")


def _without_timing(lines: list[str]) -> list[dict]:
    records = [json.loads(line) for line in lines]
    for record in records:
        if record.get("verification"):
            record["verification"].pop("seconds")
    return records


def _responses_file(path, count: int) -> None:
    with path.open("w", encoding="utf-8") as handle:
        for index in range(count):
            handle.write(json.dumps({"problem_id": f"test/{index % 500}", "response": str(index)}))
            handle.write("\n" if index % 7 else "\nnot json\n")


def test_resume_after_a_cut_off_write_gives_the_full_output(rlvr, tmp_path):
    responses, out = tmp_path / "r.jsonl", tmp_path / "out.jsonl"
    _responses_file(responses, 40)
    rlvr("verify", "arithmetic-add-v1", "--responses", str(responses), "--out", str(out))
    full = out.read_text(encoding="utf-8").splitlines()
    cut = "\n".join(full[:17]) + "\n" + full[17][:25]  # a half-written 18th line
    out.write_text(cut, encoding="utf-8")

    status, _, err = rlvr(
        "verify", "arithmetic-add-v1", "--responses", str(responses), "--out", str(out), "--resume"
    )

    assert status == 1  # the "not json" lines are still reported
    assert "resuming after the 17 line(s)" in err
    resumed = out.read_text(encoding="utf-8").splitlines()
    assert _without_timing(resumed) == _without_timing(full)


def test_resume_after_kill_9_completes_with_one_line_per_input(tmp_path):
    responses, out = tmp_path / "r.jsonl", tmp_path / "out.jsonl"
    _responses_file(responses, 60_000)
    command = [sys.executable, "-m", "rlvr_envs.cli.main", "verify", "arithmetic-add-v1"]
    command += ["--responses", str(responses), "--out", str(out)]
    process = subprocess.Popen(command, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and (not out.exists() or out.stat().st_size < 200_000):
        time.sleep(0.01)
    process.send_signal(signal.SIGKILL)
    process.wait(timeout=30)
    written = out.read_text(encoding="utf-8").count("\n")
    assert 0 < written < 60_000 + 60_000 // 7, "the run should have been killed part-way"

    subprocess.run([*command, "--resume"], stderr=subprocess.DEVNULL, timeout=300, check=False)

    lines = out.read_text(encoding="utf-8").splitlines()
    expected = responses.read_text(encoding="utf-8").splitlines()
    assert len(lines) == len(expected)
    for index, (line, source) in enumerate(zip(lines, expected, strict=True)):
        record = json.loads(line)
        if source == "not json":
            assert record["reward"] is None and record["line"] == index + 1
        else:
            assert record["response"] == json.loads(source)["response"]
            assert record["reward"] in (0.0, 1.0)


def test_resume_needs_an_output_file(rlvr, tmp_path):
    responses = tmp_path / "r.jsonl"
    responses.write_text("{}\n")
    status, _, err = rlvr("verify", "arithmetic-add-v1", "--responses", str(responses), "--resume")
    assert status == 2
    assert "--resume needs --out" in err
