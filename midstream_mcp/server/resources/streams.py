"""Streams as subscribable MCP resources.

- ``midstream://streams``: every stream (open first, then stored), one line each.
- ``midstream://streams/{id}``: state, policy, metrics and LTL verdicts of one stream.
- ``midstream://streams/{id}/events{?after,limit}``: events with ``seq > after`` (default:
  the start), oldest first, and ``next_after``, the cursor for the next read. Every event a
  subscriber has been told of is there, its commit done or not (``Pipeline.events``).
- ``midstream://metrics``: global ingest metrics.

A subscriber is told (``notifications/resources/updated``) when a resource
changes, at most ``streaming.notify_max_per_second`` times a second.
"""

from __future__ import annotations

import json
from typing import Any

from mcp.server import MCPServer
from mcp.server.mcpserver.exceptions import ResourceError

from midstream_mcp.core.analytics import InvalidInput
from midstream_mcp.server.streams import METRICS_URI, STREAMS_URI, StreamService

#: Events one read of the events resource returns at most.
MAX_EVENTS_PER_READ = 1_000


def _json(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"))


def _int_param(value: str | None, name: str, default: int, lo: int, hi: int) -> int:
    if value is None or value == "":
        return default
    try:
        n = int(value)
    except ValueError:
        raise ResourceError(f"{name}: must be an integer, got {value!r}") from None
    if not lo <= n <= hi:
        raise ResourceError(f"{name}: must be between {lo} and {hi}, got {n}")
    return n


def register(server: MCPServer[Any], service: StreamService) -> None:
    """Serve the stream resources from ``service``'s pipeline."""

    @server.resource(
        STREAMS_URI,
        name="streams",
        title="Streams",
        description="Every stream: open ones first, then closed or interrupted ones from the store.",
        mime_type="application/json",
    )
    def streams_resource() -> str:
        return _json({"streams": service.pipeline.list_streams(1000)})

    @server.resource(
        METRICS_URI,
        name="metrics",
        title="Ingest metrics",
        description="Global ingest metrics: streams, chunks, tokens, bytes, rates, verdict counts.",
        mime_type="application/json",
    )
    def metrics_resource() -> str:
        return _json(service.pipeline.metrics())

    @server.resource(
        f"{STREAMS_URI}/{{id}}",
        name="stream",
        title="Stream",
        description="One stream's state, policy, metrics and LTL verdicts; subscribe for live updates.",
        mime_type="application/json",
    )
    def stream_resource(id: str) -> str:
        try:
            return _json(service.pipeline.get(id))
        except InvalidInput as exc:
            raise ResourceError(str(exc)) from None

    @server.resource(
        f"{STREAMS_URI}/{{id}}/events{{?after,limit}}",
        name="stream-events",
        title="Stream events",
        description=(
            "Events of one stream (chunk verdicts, pattern/intent matches, monitor changes) with "
            "seq > after, oldest first; next_after is the cursor for the next read."
        ),
        mime_type="application/json",
    )
    def events_resource(id: str, after: str | None = None, limit: str | None = None) -> str:
        after_seq = _int_param(after, "after", 0, 0, 2**62)
        n = _int_param(limit, "limit", 100, 1, MAX_EVENTS_PER_READ)
        try:
            events = service.pipeline.events(id, after_seq, n)
        except InvalidInput as exc:
            raise ResourceError(str(exc)) from None
        next_after = events[-1]["seq"] if events else after_seq
        return _json({"stream_id": id, "events": events, "next_after": next_after, "more": len(events) == n})
