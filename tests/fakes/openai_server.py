"""A small OpenAI-compatible ``/v1/chat/completions`` SSE server on loopback, for tests.

The model name picks the behaviour: ``echo`` streams the configured deltas;
``fail-401`` answers 401 with an error body quoting the key it was given (as
some providers do); ``not-sse`` answers JSON; ``bad-json`` streams a broken
event; ``error-event`` streams an ``error`` object mid-way.
"""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route


@dataclass
class FakeOpenAI:
    """What the fake streams and what it saw."""

    deltas: list[str] = field(default_factory=lambda: ["Hello", ", ", "world", "!"])
    expected_key: str | None = None
    delay_s: float = 0.0
    requests: list[dict[str, Any]] = field(default_factory=list)
    auth_headers: list[str | None] = field(default_factory=list)
    url: str = ""

    def app(self) -> Starlette:
        async def completions(request: Request) -> Response:
            body = await request.json()
            self.requests.append(body)
            auth = request.headers.get("authorization")
            self.auth_headers.append(auth)
            model = body.get("model")
            if self.expected_key is not None and auth != f"Bearer {self.expected_key}":
                return JSONResponse({"error": {"message": "missing or wrong key"}}, status_code=401)
            if model == "fail-401":
                key = (auth or "").removeprefix("Bearer ")
                return JSONResponse({"error": {"message": f"Incorrect API key provided: {key}"}}, 401)
            if model == "not-sse":
                return JSONResponse({"choices": []})
            return StreamingResponse(self._events(model), media_type="text/event-stream")

        return Starlette(routes=[Route("/v1/chat/completions", completions, methods=["POST"])])

    async def _events(self, model: str) -> AsyncIterator[bytes]:
        import anyio

        for i, delta in enumerate(self.deltas):
            if self.delay_s:
                await anyio.sleep(self.delay_s)
            if model == "error-event" and i == 1:
                yield b'data: {"error": {"message": "overloaded"}}\n\n'
                return
            if model == "bad-json" and i == 1:
                yield b"data: {not json\n\n"
                return
            chunk = {
                "id": "chatcmpl-1",
                "object": "chat.completion.chunk",
                "model": model,
                "choices": [{"index": 0, "delta": {"content": delta}, "finish_reason": None}],
            }
            # Split each event over two writes, CRLF line ends on odd events: parsers must cope.
            raw = f"data: {json.dumps(chunk)}\n\n".encode()
            if i % 2:
                raw = raw.replace(b"\n", b"\r\n")
            yield raw[:7]
            yield raw[7:]
        yield b": keep-alive comment\n\n"
        yield b'data: {"choices": [], "usage": {"total_tokens": 4}}\n\n'
        yield b"data: [DONE]\n\n"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def serve_fake_openai(fake: FakeOpenAI | None = None) -> Iterator[FakeOpenAI]:
    """Run ``fake`` on a loopback port in a thread; ``fake.url`` is its ``/v1`` base URL."""
    fake = fake or FakeOpenAI()
    port = _free_port()
    config = uvicorn.Config(fake.app(), host="127.0.0.1", port=port, log_level="warning", lifespan="off")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if time.monotonic() > deadline:
            raise RuntimeError("fake OpenAI server did not start")
        time.sleep(0.01)
    fake.url = f"http://127.0.0.1:{port}/v1"
    try:
        yield fake
    finally:
        server.should_exit = True
        thread.join(timeout=10)
