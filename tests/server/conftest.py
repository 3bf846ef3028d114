"""Fixtures that run the real server as a subprocess, over stdio or streamable HTTP."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import anyio
import httpx2 as httpx
import pytest

REPO = Path(__file__).resolve().parents[2]


def run_in_memory(body: Any, settings: Any = None, mode: str = "auto") -> Any:
    """Build the server, connect the SDK's in-memory client, and return ``await body(client)``."""
    from mcp import Client

    from midstream_mcp.config import Settings
    from midstream_mcp.server.app import build_server

    server = build_server(settings or Settings(warmup=False))

    async def main() -> Any:
        async with Client(server, mode=mode) as client:
            return await body(client)

    return anyio.run(main)


def text_of(result: Any) -> str:
    """The text blocks of a tool result, joined."""
    return "\n".join(block.text for block in result.content if getattr(block, "type", "") == "text")


class UpdateRecorder:
    """A client message handler that keeps the URIs of ``notifications/resources/updated``."""

    def __init__(self) -> None:
        self.uris: list[str] = []
        self._got: anyio.Event | None = None  # made on first use: an Event needs the running loop

    def _event(self) -> anyio.Event:
        if self._got is None:
            self._got = anyio.Event()
        return self._got

    async def __call__(self, message: Any) -> None:
        root = getattr(message, "root", message)
        if getattr(root, "method", None) == "notifications/resources/updated":
            self.uris.append(str(root.params.uri))
            self._event().set()

    async def wait(self) -> None:
        """Until the first update has arrived."""
        await self._event().wait()


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def server_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MIDSTREAM_")}
    env["MIDSTREAM_STREAMING__STORE_PATH"] = ":memory:"  # never the user's data directory
    env.update(extra)
    return env


@dataclass
class RunningServer:
    process: subprocess.Popen[bytes]
    base_url: str
    stderr_path: Path

    @property
    def mcp_url(self) -> str:
        return f"{self.base_url}/mcp"

    def stderr(self) -> str:
        return self.stderr_path.read_text(errors="replace")


def start_http_server(
    tmp_path: Path, *args: str, env: dict[str, str] | None = None, host: str = "127.0.0.1"
) -> RunningServer:
    port = free_port()
    stderr_path = tmp_path / f"server-{port}.log"
    with stderr_path.open("wb") as err:
        proc = subprocess.Popen(
            [sys.executable, "-m", "midstream_mcp", "--http", "--host", host, "--port", str(port), *args],
            stdout=subprocess.PIPE,
            stderr=err,
            env=env or server_env(),
            cwd=tmp_path,
        )
    # A wildcard bind is still reached over loopback only.
    reach = {"0.0.0.0": "127.0.0.1", "::": "[::1]"}.get(host, f"[{host}]" if ":" in host else host)
    server = RunningServer(proc, f"http://{reach}:{port}", stderr_path)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited with {proc.returncode}:\n{server.stderr()}")
        try:
            if httpx.get(f"{server.base_url}/healthz", timeout=1).status_code == 200:
                return server
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    stop(proc)
    raise RuntimeError(f"server did not become healthy:\n{server.stderr()}")


def stop(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


@pytest.fixture
def http_server(tmp_path: Path) -> Iterator[RunningServer]:
    server = start_http_server(tmp_path)
    try:
        yield server
    finally:
        stop(server.process)
