"""The scheduler's MCP surface: routed tool calls, background jobs, job resources, progress."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import anyio
import numpy as np
import pytest
from mcp import Client

from midstream_mcp.config import Settings
from midstream_mcp.server.app import build_server
from tests.server.conftest import UpdateRecorder, start_http_server, stop

ONE_PAIR = {"a": [1.0], "b": [1.0]}


def run(body: Any, mode: str = "auto") -> Any:
    server = build_server(Settings(warmup=False))

    async def main() -> Any:
        async with Client(server, mode=mode) as client:
            return await body(client)

    try:
        return anyio.run(main)
    finally:
        server.app_state.scheduler.shutdown()  # type: ignore[attr-defined]


async def wait_done(client: Client, job_id: str) -> dict[str, Any]:
    with anyio.fail_after(60):
        while True:
            status = (await client.call_tool("job_status", {"job_id": job_id})).structured_content
            if status["state"] not in ("queued", "running"):
                return status
            await anyio.sleep(0.02)


def test_job_submit_runs_a_tool_in_the_background_and_keeps_its_result() -> None:
    args = {"query": [0.0, 1.0, 2.0], "candidates": [[5.0, 5.0], [0.0, 1.0, 2.0]], "k": 1}

    async def body(client: Client) -> Any:
        direct = await client.call_tool("compare_many", args)
        submitted = await client.call_tool("job_submit", {"tool": "compare_many", "arguments": args})
        job_id = submitted.structured_content["job_id"]
        status = await wait_done(client, job_id)
        resource = await client.read_resource(f"midstream://jobs/{job_id}")
        listed = await client.call_tool("job_list", {})
        stats = await client.call_tool("scheduler_stats", {})
        return direct, submitted, status, resource, listed, stats

    direct, submitted, status, resource, listed, stats = run(body)
    assert submitted.structured_content["resource"] == f"midstream://jobs/{status['job_id']}"
    assert status["state"] == "succeeded"
    assert status["result"] == direct.structured_content
    assert status["summary"].startswith("1 nearest")
    from_resource = json.loads(resource.contents[0].text)
    assert from_resource["state"] == "succeeded" and from_resource["result"] == direct.structured_content
    assert status["job_id"] in {j["job_id"] for j in listed.structured_content["jobs"]}
    s = stats.structured_content
    # The direct call ran through the scheduler at high priority, the job at normal.
    assert s["completed"] >= 2
    assert s["classes"]["high"]["run"]["count"] >= 1 and s["classes"]["normal"]["run"]["count"] >= 1


@pytest.mark.parametrize(
    ("args", "field"),
    [
        ({"tool": "rm_rf", "arguments": {}}, "tool"),
        ({"tool": "compare_sequences", "arguments": {"a": [1.0]}}, "arguments"),
        (
            {"tool": "compare_sequences", "arguments": {"a": [1.0], "b": [1.0]}, "priority": "urgent"},
            "priority",
        ),
        (
            {"tool": "compare_sequences", "arguments": {"a": [1.0], "b": [1.0]}, "deadline_ms": -5},
            "deadline_ms",
        ),
    ],
)
def test_job_submit_errors_name_the_field(args: dict[str, Any], field: str) -> None:
    async def body(client: Client) -> Any:
        return await client.call_tool("job_submit", args), await client.call_tool("job_list", {})

    bad, after = run(body)
    assert bad.is_error and field in bad.content[0].text
    assert not after.is_error


def test_failed_job_reports_the_tool_error() -> None:
    async def body(client: Client) -> Any:
        sub = await client.call_tool(
            "job_submit", {"tool": "compare_sequences", "arguments": {"a": [], "b": [1.0]}}
        )
        return await wait_done(client, sub.structured_content["job_id"])

    status = run(body)
    assert status["state"] == "failed" and "a: must not be empty" in status["error"]


def test_job_cancel_stops_a_long_job() -> None:
    rng = np.random.default_rng(0)
    args = {
        "query": rng.normal(size=400).tolist(),
        "candidates": rng.normal(size=(3000, 400)).tolist(),
        "k": 1,
    }

    async def body(client: Client) -> Any:
        sub = await client.call_tool("job_submit", {"tool": "compare_many", "arguments": args})
        job_id = sub.structured_content["job_id"]
        with anyio.fail_after(30):
            while (await client.call_tool("job_status", {"job_id": job_id})).structured_content[
                "state"
            ] != "running":
                await anyio.sleep(0.01)
        cancelled = await client.call_tool("job_cancel", {"job_id": job_id})
        status = await wait_done(client, job_id)
        unknown = await client.call_tool("job_cancel", {"job_id": "job-999999"})
        return cancelled, status, unknown

    cancelled, status, unknown = run(body)
    assert cancelled.structured_content["cancelled"] is True
    assert status["state"] == "cancelled"
    assert unknown.is_error and "job_id" in unknown.content[0].text


def test_progress_and_job_notifications_over_streamable_http(tmp_path: Path) -> None:
    server = start_http_server(tmp_path)
    rng = np.random.default_rng(1)
    args = {
        "query": np.round(rng.normal(size=300), 3).tolist(),
        "candidates": np.round(rng.normal(size=(2000, 300)), 3).tolist(),
        "k": 3,
    }
    progress: list[tuple[float, float | None]] = []
    updates = UpdateRecorder()

    async def on_progress(done: float, total: float | None, message: str | None) -> None:
        progress.append((done, total))

    async def main() -> Any:
        async with Client(server.mcp_url, mode="legacy", message_handler=updates) as client:
            result = await client.call_tool("compare_many", args, progress_callback=on_progress)
            sub = await client.call_tool("job_submit", {"tool": "compare_many", "arguments": args})
            uri = sub.structured_content["resource"]
            await client.subscribe_resource(uri)
            status = await wait_done(client, sub.structured_content["job_id"])
            with anyio.fail_after(10):
                while uri not in updates.uris:
                    await anyio.sleep(0.02)
            return result, status, uri

    try:
        result, status, uri = anyio.run(main)
    finally:
        stop(server.process)
    assert not result.is_error
    assert len(progress) >= 2 and all(total == 2000 for _, total in progress)
    assert [d for d, _ in progress] == sorted(d for d, _ in progress)
    assert status["state"] == "succeeded"
    assert uri in updates.uris


def test_client_cancellation_cancels_the_running_job() -> None:
    rng = np.random.default_rng(2)
    args = {
        "query": rng.normal(size=400).tolist(),
        "candidates": rng.normal(size=(3000, 400)).tolist(),
        "k": 1,
    }

    async def body(client: Client) -> Any:
        async with anyio.create_task_group() as tg:
            scope = anyio.CancelScope()

            async def call() -> None:
                with scope:
                    await client.call_tool("compare_many", args)

            tg.start_soon(call)
            # Cancel only once the job runs (parsing the arguments alone takes a while).
            with anyio.fail_after(60):
                while (await client.call_tool("scheduler_stats", {})).structured_content["running"] == 0:
                    await anyio.sleep(0.01)
            scope.cancel()
        with anyio.fail_after(10):
            while True:
                stats = (await client.call_tool("scheduler_stats", {})).structured_content
                if stats["running"] == 0:
                    break
                await anyio.sleep(0.02)
        resource = await client.read_resource("midstream://scheduler/stats")
        return stats, json.loads(resource.contents[0].text)

    stats, from_resource = run(body, mode="legacy")
    assert stats["cancelled"] == 1 and stats["completed"] == 0
    assert from_resource["cancelled"] == 1


def test_job_updates_reach_2026_listen_subscribers() -> None:
    rng = np.random.default_rng(3)
    # Long enough (about a second) that the listen is acknowledged well before it ends.
    args = {
        "query": rng.normal(size=400).tolist(),
        "candidates": rng.normal(size=(3000, 400)).tolist(),
        "k": 1,
    }

    async def body(client: Client) -> Any:
        submitted = await client.call_tool("job_submit", {"tool": "compare_many", "arguments": args})
        uri = submitted.structured_content["resource"]
        seen: list[str] = []
        async with client.listen(resource_subscriptions=[uri]) as sub:
            with anyio.fail_after(30):
                async for event in sub:
                    seen.append(getattr(event, "uri", ""))
                    status = await client.call_tool(
                        "job_status", {"job_id": submitted.structured_content["job_id"]}
                    )
                    if status.structured_content["state"] == "succeeded":
                        break
        return uri, seen

    uri, seen = run(body)
    assert seen and all(u == uri for u in seen)
