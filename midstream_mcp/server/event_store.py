"""SQLite-backed event store: lets a streamable-HTTP client resume with ``Last-Event-ID``.

The SDK numbers nothing itself; every SSE event the server sends is stored
here first, and a client that reconnects with the id of the last event it saw
gets the rest of that stream replayed. Retention is bounded per stream and by
age, so memory (or the file) stays bounded however long the server runs.
"""

from __future__ import annotations

import sqlite3
import threading
import time

import anyio
from mcp.server.streamable_http import EventCallback, EventId, EventMessage, EventStore, StreamId
from mcp_types import JSONRPCMessage, jsonrpc_message_adapter

_SCHEMA = """
CREATE TABLE IF NOT EXISTS sse_events (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    stream_id TEXT NOT NULL,
    payload TEXT,
    created REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS sse_events_stream ON sse_events (stream_id, id);
"""


class SQLiteEventStore(EventStore):
    """Events in one SQLite table (``:memory:`` by default, or a file path).

    Event ids are the table's increasing integer keys, so "after event N" is a
    range scan. Calls run in a worker thread so the event loop never waits on disk.
    """

    def __init__(
        self, path: str = ":memory:", *, max_per_stream: int = 1000, max_age_s: float = 3600.0
    ) -> None:
        self._db = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        self._db.executescript(_SCHEMA)
        self._lock = threading.Lock()
        self.max_per_stream = max_per_stream
        self.max_age_s = max_age_s
        self._writes = 0

    def _store(self, stream_id: str, payload: str | None) -> str:
        now = time.time()
        with self._lock:
            cur = self._db.execute(
                "INSERT INTO sse_events (stream_id, payload, created) VALUES (?, ?, ?)",
                (stream_id, payload, now),
            )
            event_id = int(cur.lastrowid or 0)
            self._writes += 1
            if self._writes % 256 == 0:
                self._prune(now)
            else:
                self._db.execute(
                    "DELETE FROM sse_events WHERE stream_id = ? AND id <= ?",
                    (stream_id, event_id - self.max_per_stream),
                )
        return str(event_id)

    def _prune(self, now: float) -> None:
        self._db.execute("DELETE FROM sse_events WHERE created < ?", (now - self.max_age_s,))

    def _after(self, last_event_id: str) -> tuple[str | None, list[tuple[int, str | None]]]:
        try:
            last = int(last_event_id)
        except ValueError:
            return None, []
        with self._lock:
            row = self._db.execute("SELECT stream_id FROM sse_events WHERE id = ?", (last,)).fetchone()
            if row is None:
                return None, []
            stream_id = str(row[0])
            rows = self._db.execute(
                "SELECT id, payload FROM sse_events WHERE stream_id = ? AND id > ? ORDER BY id",
                (stream_id, last),
            ).fetchall()
        return stream_id, [(int(i), p) for i, p in rows]

    async def store_event(self, stream_id: StreamId, message: JSONRPCMessage | None) -> EventId:
        payload = None if message is None else message.model_dump_json(by_alias=True, exclude_none=True)
        return await anyio.to_thread.run_sync(self._store, stream_id, payload)

    async def replay_events_after(
        self, last_event_id: EventId, send_callback: EventCallback
    ) -> StreamId | None:
        stream_id, rows = await anyio.to_thread.run_sync(self._after, last_event_id)
        for event_id, payload in rows:
            if payload is None:  # a priming event carries no message
                continue
            message = jsonrpc_message_adapter.validate_json(payload, by_name=False)
            await send_callback(EventMessage(message, str(event_id)))
        return stream_id

    def close(self) -> None:
        with self._lock:
            self._db.close()
