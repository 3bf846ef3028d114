"""Resumable SSE: a client whose stream closes mid-call gets the rest with Last-Event-ID."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import anyio
import httpx2 as httpx
import pytest

from midstream_mcp.server.event_store import SQLiteEventStore
from tests.server.conftest import RunningServer, free_port, server_env, stop

HEADERS = {
    "Accept": "application/json, text/event-stream",
    "Content-Type": "application/json",
    "MCP-Protocol-Version": "2025-11-25",
}


def sse_events(text: str) -> list[dict[str, str]]:
    events = []
    for block in text.strip().split("\n\n"):
        fields: dict[str, str] = {}
        for line in block.splitlines():
            key, _, value = line.partition(":")
            fields[key] = value.strip()
        events.append(fields)
    return events


@pytest.fixture
def fixture_server(tmp_path: Path) -> Iterator[RunningServer]:
    """The conformance fixture build: it has a tool that closes its own stream mid-call."""
    port = free_port()
    log = tmp_path / "fixture.log"
    with log.open("wb") as err:
        proc = subprocess.Popen(
            [sys.executable, "-m", "tests.conformance.fixture_server", "--port", str(port)],
            stderr=err,
            env=server_env(),
            cwd=Path(__file__).resolve().parents[2],
        )
    server = RunningServer(proc, f"http://127.0.0.1:{port}", log)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{server.base_url}/healthz", timeout=1).status_code == 200:
                break
        except httpx.HTTPError:
            time.sleep(0.1)
    try:
        yield server
    finally:
        stop(proc)


def test_closed_stream_resumes_with_last_event_id(fixture_server: RunningServer) -> None:
    url = fixture_server.mcp_url
    init = {
        "jsonrpc": "2.0",
        "id": 1,
        "method": "initialize",
        "params": {
            "protocolVersion": "2025-11-25",
            "capabilities": {},
            "clientInfo": {"name": "t", "version": "0"},
        },
    }
    first = httpx.post(url, json=init, headers=HEADERS)
    session = {**HEADERS, "mcp-session-id": first.headers["mcp-session-id"]}
    httpx.post(url, json={"jsonrpc": "2.0", "method": "notifications/initialized"}, headers=session)
    call = {
        "jsonrpc": "2.0",
        "id": 2,
        "method": "tools/call",
        "params": {"name": "test_reconnection", "arguments": {}},
    }
    cut = sse_events(httpx.post(url, json=call, headers=session, timeout=10).text)
    # The server primes the stream with an event id and a retry hint, then closes it mid-call.
    assert cut[0]["data"] == "" and cut[0]["retry"] == "1000" and cut[0]["id"]
    assert not any('"id":2' in e.get("data", "") for e in cut)
    resumed = ""
    with httpx.stream(
        "GET", url, headers={**session, "Last-Event-ID": cut[-1]["id"]}, timeout=10
    ) as response:
        assert response.status_code == 200
        for line in response.iter_lines():
            resumed += line + "\n"
            if '"id":2' in line:
                break
    result = json.loads(next(e["data"] for e in sse_events(resumed) if '"id":2' in e.get("data", "")))
    assert result["result"]["content"][0]["text"] == "Reconnection test completed successfully"


def test_event_store_replays_only_later_events_of_the_same_stream(tmp_path: Path) -> None:
    from mcp_types import JSONRPCNotification

    store = SQLiteEventStore(str(tmp_path / "events.sqlite3"), max_per_stream=3)

    async def main() -> tuple[list[str], str | None, str | None]:
        def note(i: int) -> JSONRPCNotification:
            return JSONRPCNotification(jsonrpc="2.0", method="notifications/message", params={"i": i})

        prime = await store.store_event("a", None)
        ids = [await store.store_event("a", note(i)) for i in range(5)]
        await store.store_event("b", note(99))
        got: list[str] = []

        async def collect(event: object) -> None:
            got.append(event.event_id)  # type: ignore[attr-defined]

        stream = await store.replay_events_after(ids[2], collect)
        unknown = await store.replay_events_after("nope", collect)
        assert prime
        return got, stream, unknown

    got, stream, unknown = anyio.run(main)
    # Only the last 3 events of stream "a" are kept; replay after the 3rd gives the 4th and 5th.
    assert stream == "a" and len(got) == 2 and got == sorted(got)
    assert unknown is None
    store.close()
