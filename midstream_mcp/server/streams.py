"""The server's stream service: one pipeline, its store, and the wiring from events to subscribers.

Every pipeline event (published as analysed, before its commit) touches the resources it changes
(``midstream://streams/{id}``, ``.../events``, ``midstream://streams``,
``midstream://metrics``); a :class:`CoalescingNotifier` turns those touches
into at most N ``notifications/resources/updated`` per second per resource,
for both protocol generations, without ingest ever waiting on a subscriber.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from pathlib import Path
from typing import TYPE_CHECKING, Any

from midstream_mcp.config import Settings
from midstream_mcp.core.events import ChunkProcessed, Event, EventBus
from midstream_mcp.core.store import Retention, SQLiteStore, StoreError
from midstream_mcp.server.resources.notifier import CoalescingNotifier
from midstream_mcp.server.resources.subscriptions import Subscriptions

if TYPE_CHECKING:  # the pipeline (and the sanitizer it loads) is imported on first use
    from midstream_mcp.core.pipeline import Pipeline

logger = logging.getLogger(__name__)

STREAMS_URI = "midstream://streams"
METRICS_URI = "midstream://metrics"

#: How many sibling store files to try when the configured one is held by another server.
STORE_FALLBACKS = 8


def stream_uri(stream_id: str) -> str:
    return f"{STREAMS_URI}/{stream_id}"


def events_uri(stream_id: str) -> str:
    return f"{STREAMS_URI}/{stream_id}/events"


def open_store(settings: Settings) -> SQLiteStore:
    """The configured SQLite store; if another server holds the file, the first free sibling.

    Hosts such as Claude Desktop may start several copies of a stdio server
    with the same configuration: the second must still start (and stay
    durable), so it takes ``streams.1.sqlite3``, ``streams.2.sqlite3``, ...
    and says so on stderr.
    """
    cfg = settings.streaming
    retention = Retention(max_events_per_stream=cfg.retention_max_events, max_age_s=cfg.retention_max_age_s)
    path = cfg.store_path
    try:
        return SQLiteStore(path, retention=retention, synchronous=cfg.store_synchronous)
    except StoreError:
        if path == ":memory:":
            raise
        first_error = f"stream store {path} is in use by another process"
    p = Path(path).expanduser()
    for n in range(1, STORE_FALLBACKS + 1):
        candidate = p.with_name(f"{p.stem}.{n}{p.suffix}")
        try:
            store = SQLiteStore(candidate, retention=retention, synchronous=cfg.store_synchronous)
        except StoreError:
            continue
        logger.warning("%s; using %s instead", first_error, candidate)
        return store
    raise StoreError(f"{first_error}, and so are its {STORE_FALLBACKS} fallbacks next to it")


class StreamService:
    """Owns the pipeline (created on first use) and relays its events to resource subscribers."""

    def __init__(self, settings: Settings, subscriptions: Subscriptions) -> None:
        self.settings = settings
        self._subscriptions = subscriptions
        self._lock = threading.Lock()
        self._pipeline: Pipeline | None = None
        self._store: SQLiteStore | None = None
        self.notifier = CoalescingNotifier(
            subscriptions.updated, max_per_second=settings.streaming.notify_max_per_second
        )
        self._tasks: set[asyncio.Task[Any]] = set()
        #: Base URL of the HTTP server (set when serving --http), for ingest URLs.
        self.http_base: str | None = None

    @property
    def pipeline(self) -> Pipeline:
        """The pipeline, opening the store and starting the worker on first use."""
        if self._pipeline is None:
            with self._lock:
                if self._pipeline is None:
                    self._pipeline = self._build()
        return self._pipeline

    def open_store_now(self) -> None:
        """Open the stream store at start-up, so a bad path fails then and not mid-session."""
        with self._lock:
            if self._store is None and self._pipeline is None:
                self._store = open_store(self.settings)

    def _build(self) -> Pipeline:
        from midstream_mcp.core.pipeline import Pipeline, PipelineConfig

        cfg = self.settings.streaming
        config = PipelineConfig(
            max_streams=cfg.max_streams,
            max_chunk_bytes=cfg.max_chunk_bytes,
            queue_size=cfg.queue_size,
            on_full=cfg.on_full,
            wait_timeout_s=cfg.wait_timeout_s,
            window=cfg.window,
            max_held=max(4_096, cfg.window),
            max_batch=cfg.max_batch,
        )
        bus = EventBus()
        store, self._store = self._store or open_store(self.settings), None
        pipeline = Pipeline(config, store=store, bus=bus)
        bus.subscribe(self._on_events, maxsize=100_000, batches=True)
        return pipeline

    def start(self) -> None:
        """Start relaying notifications on the running event loop (idempotent)."""
        self.notifier.start()

    async def shutdown(self) -> None:
        """Stop background pulls and the notifier; close streams (interrupted) and the store."""
        for task in list(self._tasks):
            task.cancel()
        await self.notifier.stop()
        with self._lock:
            pipeline, self._pipeline = self._pipeline, None
            unused, self._store = self._store, None
        if unused is not None:
            unused.close()
        if pipeline is not None:
            await asyncio.to_thread(pipeline.shutdown)
            pipeline.store.close()

    def spawn(self, coro: Any) -> asyncio.Task[Any]:
        """Run ``coro`` in the background, keeping a reference until it ends."""
        task = asyncio.get_running_loop().create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task

    def _on_events(self, events: list[Event]) -> None:
        # Runs on the bus dispatcher thread: only mark resources dirty, once per stream per batch.
        touch = self.notifier.touch
        for sid in {e.stream_id for e in events}:
            touch(stream_uri(sid))
            touch(events_uri(sid))
        touch(METRICS_URI)
        if any(e.kind in ("stream_opened", "stream_closed") for e in events if type(e) is not ChunkProcessed):
            touch(STREAMS_URI)
