"""An OpenAI-compatible chat-completions endpoint as a model source (vLLM, llama.cpp's
server, Ollama, hosted APIs).

Each answer is one request (``n`` is not supported everywhere; seeds differ per answer),
sent from a pool of `concurrency` threads over one pooled HTTP client. Connection errors,
timeouts, 429 and 5xx answers are retried with exponential backoff (honouring
``Retry-After``); any other error status stops the run with the server's message. The run
itself keeps everything scored so far, so rerunning the command resumes it.

Needs ``httpx`` (``pip install 'rlvr-envs[endpoint]'``).
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from rlvr_envs.errors import ConfigError, RlvrError
from rlvr_envs.evaluation.sources import Generation, GenerationRequest, ModelSource

__all__ = ["EndpointError", "EndpointSource"]

_RETRIED_STATUSES = {408, 409, 425, 429, 500, 502, 503, 504}


class EndpointError(RlvrError):
    """The endpoint refused a request, or kept failing after every retry."""


class EndpointSource(ModelSource):
    """Chat completions from `url`.

    Args:
        url: the API base (``http://localhost:8000/v1``) or the full
            ``.../chat/completions`` address.
        model: the model name the server expects in requests.
        api_key: sent as a bearer token when given.
        concurrency: requests in flight at once.
        retries: further tries of a failed request before giving up.
        timeout: seconds to wait for one answer.
        backoff: seconds before the first retry; doubled at each further one.
    """

    def __init__(
        self,
        url: str,
        *,
        model: str,
        api_key: str | None = None,
        concurrency: int = 8,
        retries: int = 4,
        timeout: float = 120.0,
        backoff: float = 0.5,
    ) -> None:
        try:
            import httpx
        except ModuleNotFoundError:
            raise ConfigError(
                "the endpoint source needs httpx: pip install 'rlvr-envs[endpoint]'"
            ) from None
        if concurrency < 1 or retries < 0:
            raise ConfigError(
                f"concurrency must be >= 1 and retries >= 0, got {concurrency} and {retries}"
            )
        url = url.rstrip("/")
        self.url = url if url.endswith("/chat/completions") else f"{url}/chat/completions"
        self.model = model
        self.name = f"{model} @ {self.url}"
        self.retries, self.backoff = retries, backoff
        self.batch_rows = concurrency * 4
        headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
        self._httpx = httpx
        self._client = httpx.Client(
            headers=headers,
            timeout=timeout,
            limits=httpx.Limits(max_connections=concurrency),
        )
        self._pool = ThreadPoolExecutor(max_workers=concurrency)

    def generate(self, requests: Sequence[GenerationRequest]) -> list[list[Generation]]:
        calls = [(request, index) for request in requests for index in request.indices]
        answers = list(self._pool.map(lambda call: self._complete(*call), calls))
        grouped: list[list[Generation]] = []
        position = 0
        for request in requests:
            grouped.append(answers[position : position + request.n])
            position += request.n
        return grouped

    def _complete(self, request: GenerationRequest, index: int) -> Generation:
        """One answer: the request's `index`-th sample (its own seed)."""
        settings = request.settings
        body: dict[str, Any] = {
            "model": self.model,
            "messages": request.messages,
            "max_tokens": settings.max_new_tokens,
            "temperature": settings.temperature,
            "top_p": settings.top_p,
            "seed": request.seed + index,
        }
        if settings.stop:
            body["stop"] = list(settings.stop)
        reply = self._post(body)
        try:
            choice = reply["choices"][0]
            text = choice["message"].get("content") or ""
        except (KeyError, IndexError, TypeError, AttributeError):
            raise EndpointError(
                f"{self.url} answered without choices[0].message: {str(reply)[:300]}"
            ) from None
        usage = reply.get("usage") or {}
        tokens = usage.get("completion_tokens")
        finish = choice.get("finish_reason")
        return Generation(
            text=text,
            tokens=int(tokens) if isinstance(tokens, int) else None,
            truncated=None if finish is None else finish == "length",
        )

    def _post(self, body: dict[str, Any]) -> dict[str, Any]:
        httpx = self._httpx
        problem = ""
        for attempt in range(self.retries + 1):
            delay = self.backoff * 2**attempt
            try:
                response = self._client.post(self.url, json=body)
            except httpx.TransportError as exc:  # refused, reset, timed out
                problem = f"{type(exc).__name__}: {exc}"
            else:
                if response.status_code == 200:
                    try:
                        return response.json()
                    except ValueError:
                        problem = f"not JSON: {response.text[:200]!r}"
                elif response.status_code in _RETRIED_STATUSES:
                    problem = f"HTTP {response.status_code}: {response.text[:200]}"
                    delay = _retry_after(response.headers.get("retry-after"), delay)
                else:
                    raise EndpointError(
                        f"{self.url} refused the request with HTTP {response.status_code}: "
                        f"{response.text[:300]}"
                    )
            if attempt < self.retries:
                time.sleep(delay)
        raise EndpointError(
            f"{self.url} failed {self.retries + 1} times; last: {problem}. Everything scored "
            "so far is kept: rerun the same command to resume."
        )

    def close(self) -> None:
        self._pool.shutdown(wait=True)
        self._client.close()


def _retry_after(header: str | None, default: float) -> float:
    try:
        return min(float(header), 60.0) if header else default
    except ValueError:  # an HTTP date: use our own backoff
        return default
