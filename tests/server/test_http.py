"""The server over streamable HTTP: a real uvicorn subprocess on a free loopback port."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import anyio
import httpx2 as httpx
import pytest
from mcp import Client
from mcp.client.streamable_http import streamable_http_client

from tests.server.conftest import RunningServer, free_port, server_env, start_http_server, stop

INIT = {
    "jsonrpc": "2.0",
    "id": 1,
    "method": "initialize",
    "params": {
        "protocolVersion": "2025-11-25",
        "capabilities": {},
        "clientInfo": {"name": "raw", "version": "0"},
    },
}
MCP_HEADERS = {"Accept": "application/json, text/event-stream", "Content-Type": "application/json"}


def test_healthz(http_server: RunningServer) -> None:
    resp = httpx.get(f"{http_server.base_url}/healthz")
    assert resp.status_code == 200
    body = resp.json()
    assert body["status"] == "ok" and body["warmup"] in {"running", "done"}


@pytest.mark.parametrize("mode", ["auto", "legacy"])
def test_python_client_over_http(http_server: RunningServer, mode: str) -> None:
    async def main() -> Any:
        async with Client(http_server.mcp_url, mode=mode) as client:
            tools = (await client.list_tools()).tools
            ok = await client.call_tool(
                "compare_many",
                {"query": [0, 1, 2], "candidates": [[9, 9], [0, 1, 2], [0, 2]], "k": 1},
            )
            bad = await client.call_tool("find_pattern", {"series": [1, 2, 3], "pattern": [], "k": 1})
            after = await client.call_tool("compare_sequences", {"a": "abc", "b": "abc", "method": "lcs"})
            return tools, ok, bad, after

    tools, ok, bad, after = anyio.run(main)
    assert {t.name for t in tools} >= {"compare_sequences", "compare_many", "find_pattern"}
    assert all(t.output_schema for t in tools)
    assert ok.structured_content["results"][0]["index"] == 1
    assert bad.is_error and "pattern" in bad.content[0].text
    assert after.structured_content["lcs_length"] == 3


def test_dns_rebinding_protection(http_server: RunningServer) -> None:
    url = http_server.mcp_url
    wrong_host = httpx.post(url, json=INIT, headers={**MCP_HEADERS, "Host": "evil.example"})
    assert wrong_host.status_code == 421
    wrong_origin = httpx.post(url, json=INIT, headers={**MCP_HEADERS, "Origin": "http://evil.example"})
    assert wrong_origin.status_code == 403
    good_origin = httpx.post(url, json=INIT, headers={**MCP_HEADERS, "Origin": http_server.base_url})
    assert good_origin.status_code == 200


def test_bearer_token_is_required_when_configured(tmp_path: Path) -> None:
    token = "s3cret-token-value"
    server = start_http_server(tmp_path, env=server_env(MIDSTREAM_SERVER__AUTH_TOKEN=token))
    try:
        assert httpx.get(f"{server.base_url}/healthz").status_code == 200
        denied = httpx.post(server.mcp_url, json=INIT, headers=MCP_HEADERS)
        assert denied.status_code == 401
        assert denied.headers["www-authenticate"].startswith("Bearer")
        wrong = httpx.post(server.mcp_url, json=INIT, headers={**MCP_HEADERS, "Authorization": "Bearer nope"})
        assert wrong.status_code == 401

        async def main() -> Any:
            headers = {"Authorization": f"Bearer {token}"}
            async with (
                httpx.AsyncClient(headers=headers) as http,
                Client(streamable_http_client(server.mcp_url, http_client=http)) as client,
            ):
                return await client.call_tool("compare_sequences", {"a": [1.0], "b": [3.0]})

        result = anyio.run(main)
        assert result.structured_content["distance"] == pytest.approx(2.0)
    finally:
        stop(server.process)
    assert token not in server.stderr()


def test_non_loopback_bind_requires_a_token_or_explicit_opt_out() -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "midstream_mcp", "--http", "--host", "0.0.0.0", "--port", str(free_port())],
        capture_output=True,
        env=server_env(),
        timeout=60,
    )
    assert proc.returncode == 2
    assert b"--insecure-no-auth" in proc.stderr
    assert proc.stdout == b""


def test_insecure_no_auth_serves_and_warns(tmp_path: Path) -> None:
    server = start_http_server(tmp_path, "--insecure-no-auth", host="0.0.0.0")
    try:
        # The bind is all interfaces, but we only ever talk to it over loopback.
        resp = httpx.post(server.mcp_url, json=INIT, headers=MCP_HEADERS)
        assert resp.status_code == 200
    finally:
        stop(server.process)
    assert "WITHOUT authentication" in server.stderr()


def test_malformed_requests_get_clear_errors_and_the_server_survives(http_server: RunningServer) -> None:
    url = http_server.mcp_url
    garbage = httpx.post(url, content=b"{not json", headers=MCP_HEADERS)
    assert 400 <= garbage.status_code < 500
    wrong_shape = httpx.post(url, json={"jsonrpc": "2.0", "id": 1}, headers=MCP_HEADERS)
    assert 400 <= wrong_shape.status_code < 500
    too_big = httpx.post(url, content=b"[" + b"1," * (17 * 1024 * 1024) + b"1]", headers=MCP_HEADERS)
    assert too_big.status_code == 413

    async def main() -> Any:
        async with Client(http_server.mcp_url) as client:
            return await client.call_tool("compare_sequences", {"a": [1.0, 2.0], "b": [2.0, 1.0]})

    assert anyio.run(main).structured_content["distance"] == pytest.approx(2**0.5)
    assert httpx.get(f"{http_server.base_url}/healthz").status_code == 200
