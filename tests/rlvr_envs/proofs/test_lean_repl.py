"""The Lean REPL client, tested by replaying the recorded transcripts of the REPL's own
test suite (``data/lean_repl/``, see its README): every request goes out framed as the
REPL reads it, every recorded answer comes back in small pieces and must parse into our
types and give back the recorded JSON exactly."""

import json
import random
from pathlib import Path

import pytest

from rlvr_envs.verifiers.proof.lean_repl import (
    CommandResponse,
    LeanRepl,
    ProofStepResponse,
    ReplError,
    ReplProtocolError,
    frame_request,
    parse_response,
    split_frames,
)

DATA = Path(__file__).parent / "data" / "lean_repl"
TRANSCRIPTS = sorted(path.name.removesuffix(".in") for path in DATA.glob("*.in"))
RECORDED = [name for name in TRANSCRIPTS if (DATA / f"{name}.expected.out").exists()]


def frames(text: str) -> list[str]:
    return [block for block in text.split("\n\n") if block.strip()]


class Replay:
    """A transport that checks each request against the recording and answers with the
    recorded output, handed over in pieces of random size."""

    def __init__(self, requests: list[str], output: str, seed: int) -> None:
        self.requests = list(requests)
        self.output = output.encode("utf-8")
        self.buffer = b""
        self.random = random.Random(seed)

    def write(self, data: bytes) -> None:
        assert data.endswith(b"\n\n") and b"\n\n" not in data[:-2], data
        expected = self.requests.pop(0)
        sent = data.decode("utf-8")[:-2]
        try:
            assert json.loads(sent) == json.loads(expected)
        except json.JSONDecodeError:  # recorded with raw line breaks: sent as written
            assert sent == expected.strip("\n")

    def read_until(self, done, *, timeout):
        while (end := done(self.buffer)) is None:
            assert self.output, "the client waited for more than the REPL answered"
            size = self.random.randint(1, 64)
            self.buffer += self.output[:size]
            self.output = self.output[size:]
        answer, self.buffer = self.buffer[:end], self.buffer[end:]
        return answer


def test_every_transcript_is_here():
    assert len(TRANSCRIPTS) == 57 and len(RECORDED) == 55


@pytest.mark.parametrize("name", RECORDED)
def test_replaying_a_transcript_parses_every_answer(name):
    requests = frames((DATA / f"{name}.in").read_text(encoding="utf-8"))
    output = (DATA / f"{name}.expected.out").read_text(encoding="utf-8")
    answers = frames(output)
    assert len(requests) == len(answers)
    transport = Replay(requests, output, seed=len(name))
    client = LeanRepl(transport)
    for request, answer in zip(requests, answers, strict=True):
        try:
            response = client.send(json.loads(request))
        except json.JSONDecodeError:
            response = client.send_text(request)
        recorded = json.loads(answer)
        assert response.to_json() == recorded
        if set(recorded) == {"message"}:
            assert isinstance(response, ReplError)
        elif "goals" in recorded:
            assert isinstance(response, ProofStepResponse)
            assert response.proof_state == recorded["proofState"]
        else:
            assert isinstance(response, CommandResponse)
            assert response.env == recorded.get("env")
    assert not transport.requests and not transport.output.strip()
    assert client.uses == len(requests)


@pytest.mark.parametrize("name", sorted(set(TRANSCRIPTS) - set(RECORDED)))
def test_unrecorded_requests_frame_as_they_were_sent(name):
    for request in frames((DATA / f"{name}.in").read_text(encoding="utf-8")):
        data = json.loads(request)
        assert json.loads(frame_request(data)[:-2]) == data


def test_proof_states_goals_and_completion_are_typed():
    output = (DATA / "proof_step.expected.out").read_text(encoding="utf-8")
    command, *steps = [parse_response(json.loads(a)) for a in frames(output)]
    assert isinstance(command, CommandResponse)
    assert command.env == 0 and command.sorries[0].proof_state == 0
    assert command.sorries[0].goal == "⊢ Nat"
    assert command.messages[0].severity == "warning" and not command.errors
    assert [s.proof_state for s in steps] == [1, 2, 3]
    assert steps[1].goals == ("t : Nat\n⊢ Nat",)
    assert [s.complete for s in steps] == [False, False, True]


def test_errors_of_tactics_and_commands_are_typed():
    output = (DATA / "invalid_tactic.expected.out").read_text(encoding="utf-8")
    step = parse_response(json.loads(frames(output)[1]))
    assert isinstance(step, ProofStepResponse)
    assert not step.complete
    assert step.errors[0].data == "Unknown identifier `my_fake_premise`"
    output = (DATA / "unknown_proof_state.expected.out").read_text(encoding="utf-8")
    assert parse_response(json.loads(frames(output)[1])) == ReplError("Unknown proof state.")


def test_framing_finds_the_end_of_an_answer():
    assert split_frames(b'{"env": 0}') is None
    assert split_frames(b'{"env":\n 0}\n\n{"env"') == len(b'{"env":\n 0}\n\n')
    assert split_frames(b'\n\n{"env": 1}\n\n') == len(b'\n\n{"env": 1}\n\n')


def test_garbage_is_a_protocol_error():
    with pytest.raises(ReplProtocolError, match="not an object"):
        parse_response([1, 2])
    with pytest.raises(ReplProtocolError, match="unexpected answer shape"):
        parse_response({"proofState": "x", "goals": []})

    class Garbage:
        def write(self, data):
            pass

        def read_until(self, done, *, timeout):
            return b"uncaught exception: out of memory\n\n"

    with pytest.raises(ReplProtocolError, match="not JSON"):
        LeanRepl(Garbage()).command("example : True := trivial")
