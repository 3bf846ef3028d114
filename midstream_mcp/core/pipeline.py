"""Stream ingest: inflight analysis of live LLM output, chunk by chunk.

Each chunk of a stream goes through::

    UTF-8 decode (incremental) -> bounded per-stream queue (backpressure)
    -> sanitizer verdict (allow | warn | redact | block, carry-over window)
    -> watch patterns, intents, urgency (matches across chunk boundaries)
    -> metrics (chunks, tokens, bytes, gaps, tokens/s, time to first token, verdicts)
    -> LTL monitors step
    -> typed events -> event bus (seen) -> store (group commit) -> acknowledgement (durable)

Threading: producers only decode and enqueue (microseconds, safe on the event
loop); one analysis worker thread takes each stream's queued chunks in order,
several at a time. Batching is what makes the throughput: one sanitizer scan
costs a fixed few hundred microseconds plus a little per character, so the
worker scans all the chunks a stream has queued (up to ``max_batch``) in one
call and then splits the findings back to per-chunk verdicts (a finding belongs
to the chunk holding its last character). When the producer is slow, batches
are one chunk and latency is one scan; when it is fast, batches grow and the
throughput follows. Results never depend on how chunks were batched, except
that a finding may be seen with more right-hand context.

Seen before durable. An analysed batch's events are published on the bus at
once, before their commit (by the worker for a small batch; a big one, i.e. a
busy worker, by a publisher thread, so fanning out to many subscribers does
not hold up the analysis); the commit runs on the store's writer thread
(group commit), never on the analysis thread, so a slow disk write never
delays the analysis of the chunks behind it. Acknowledgements wait for the commit: a
result of :meth:`Pipeline.push` (or ``submit``, ``push_many``...) is
returned only once it is durable, so a restart loses nothing acknowledged.
(A stream's own row, its state and running metrics, is rewritten at most every
``record_interval_s`` and at each change of state: after a crash it may be behind
the stream's committed chunks by that much, never the chunks themselves.)
Until their commit, published events are kept in memory and merged into
:meth:`Pipeline.events` (by ``seq``, no duplicates, no gaps), so a subscriber
told of an event finds it when it reads. If the commit fails, the batch's
acknowledgements fail with :class:`~midstream_mcp.core.store.StoreError`, its
events leave the in-memory tail (they are not history), and a
:class:`~midstream_mcp.core.events.StoreFailed` event names the lost ``seq``
range on the bus; the stream carries on (its metrics still count those chunks).

LTL monitor events: every chunk is one event for each monitor, with fields

====================  =========================================================
``chunk``             always true
``index``             chunk number in the stream, from 0
``blocked``           the sanitizer blocked the chunk
``verdict``           ``"allow"`` | ``"warn"`` | ``"redact"`` | ``"block"``
``score``             the manipulation score of the chunk
``pattern:<name>``    watch pattern ``name`` matched (decided) at this chunk
``pattern``           any watch pattern matched
``intent:<label>``    an intent rule with this label matched
``intent``            any intent rule matched
``urgent``            an urgency rule matched
``tokens``            tokens in the chunk
``bytes``             bytes in the chunk
``gap_ms``            ms since the previous chunk arrived (0 for the first)
====================  =========================================================

so ``G !"pattern:secret"``, ``G (urgent -> F "intent:tool_call")`` or
``G (gap_ms < 2000)`` are monitors (quote names containing ``:``).
"""

from __future__ import annotations

import asyncio
import bisect
import codecs
import contextlib
import dataclasses
import itertools
import logging
import threading
import time
import uuid
from collections import Counter, deque
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import Future
from dataclasses import dataclass, field
from operator import itemgetter
from typing import Any

from midstream_mcp.core._patterns import Match, RegexMatcher, TokenSequenceMatcher
from midstream_mcp.core._policy import (
    DEFAULT_INTENTS,
    DEFAULT_URGENCY,
    MonitorSpec,
    OnFull,
    PatternSpec,
    RuleSpec,
    SanitizerSpec,
    StreamPolicy,
)
from midstream_mcp.core.analytics import InvalidInput
from midstream_mcp.core.analytics.ltl import Monitor
from midstream_mcp.core.events import (
    ChunkProcessed,
    Event,
    EventBus,
    IntentDetected,
    MonitorChanged,
    PatternMatched,
    StoreFailed,
    StreamClosed,
    StreamOpened,
    make_chunks,
    set_seq,
)
from midstream_mcp.core.metrics import GlobalMetrics, StreamMetrics
from midstream_mcp.core.sanitizer import (
    DEFAULT_SANITIZER,
    DefaultSanitizer,
    Finding,
    ScanContext,
    StreamScanner,
)
from midstream_mcp.core.sanitizer.engine import judge
from midstream_mcp.core.sanitizer.release import HeldText
from midstream_mcp.core.store import SQLiteStore, Store, StreamRecord

logger = logging.getLogger("midstream_mcp.pipeline")

__all__ = [
    "DEFAULT_INTENTS",
    "DEFAULT_URGENCY",
    "Busy",
    "ChunkResult",
    "MonitorSpec",
    "PatternSpec",
    "Pipeline",
    "PipelineConfig",
    "RuleSpec",
    "SanitizerSpec",
    "StreamPolicy",
]


class Busy(InvalidInput):
    """The stream's queue is full (``on_full="reject"``, or still full after ``wait_timeout_s``)."""


@dataclass(frozen=True, slots=True)
class PipelineConfig:
    """Pipeline limits and defaults (the server fills these from ``StreamingSettings``).

    ``queue_size``/``on_full``/``window`` are defaults a stream policy may lower
    or change; ``max_batch``/``max_batch_chars`` bound one analysis step;
    ``max_uncommitted`` bounds the events published and not yet committed (the
    analysis waits for the store beyond it). ``record_interval_s``: a stream's row
    in the store (state, metrics, monitor verdicts) is rewritten with a commit at
    most this often, and always when its state changes (open, close); its chunks
    and events are all in every commit. Only a process that dies leaves a row
    behind its history, by at most this long.
    """

    max_streams: int = 1_000
    max_chunk_bytes: int = 65_536
    queue_size: int = 1_024
    on_full: OnFull = "wait"
    wait_timeout_s: float = 30.0
    window: int = 128
    max_held: int = 4_096
    max_batch: int = 256
    max_batch_chars: int = 16_384
    retain_closed: int = 1_000
    max_uncommitted: int = 65_536
    record_interval_s: float = 0.1

    def __post_init__(self) -> None:
        for name in (
            "max_streams",
            "max_chunk_bytes",
            "queue_size",
            "max_batch",
            "max_batch_chars",
            "retain_closed",
            "max_uncommitted",
        ):
            v = getattr(self, name)
            if isinstance(v, bool) or not isinstance(v, int) or v < 1:
                raise InvalidInput(name, f"must be a positive integer, got {v!r}")
        if isinstance(self.record_interval_s, bool) or not (
            isinstance(self.record_interval_s, (int, float)) and 0 <= self.record_interval_s <= 60
        ):
            raise InvalidInput(
                "record_interval_s", f"must be seconds from 0 to 60, got {self.record_interval_s!r}"
            )
        if self.on_full not in ("wait", "reject"):
            raise InvalidInput("on_full", f"must be 'wait' or 'reject', got {self.on_full!r}")
        if self.window < 16:
            raise InvalidInput("window", f"must be at least 16 characters, got {self.window}")
        if self.max_held < self.window:
            raise InvalidInput(
                "max_held", f"must be at least the window ({self.window}), got {self.max_held}"
            )


@dataclass(frozen=True, slots=True)
class ChunkResult:
    """What happened to one chunk, once processed and committed.

    ``emitted`` is the text to forward downstream now: the chunk itself in scan
    mode, the redacted releasable text in redact mode (lagging by at most the
    window), and None when the chunk was blocked. ``matches`` are the pattern,
    intent and urgency matches decided at this chunk (as event dicts);
    ``monitors`` maps each LTL monitor to its verdict after the chunk.
    """

    stream_id: str
    index: int
    seq: int
    action: str
    reason: str
    blocked: bool
    emitted: str | None
    score: float
    tokens: int
    bytes: int
    latency_ms: float
    findings: tuple[dict[str, Any], ...] = ()
    matches: tuple[dict[str, Any], ...] = ()
    monitors: dict[str, str] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {
            "stream_id": self.stream_id,
            "index": self.index,
            "seq": self.seq,
            "action": self.action,
            "reason": self.reason,
            "blocked": self.blocked,
            "emitted": self.emitted,
            "score": self.score,
            "tokens": self.tokens,
            "bytes": self.bytes,
            "latency_ms": self.latency_ms,
            "findings": list(self.findings),
            "matches": list(self.matches),
            "monitors": dict(self.monitors),
        }


# --------------------------------------------------------------------------- per-stream state


class _Group:
    """One future for many chunks (``submit_many``): cheaper than a future per chunk.

    ``queued`` counts the chunks queued so far; :meth:`truncate` makes the group
    expect only those (the rest were refused), resolving it when they are done.
    """

    __slots__ = ("future", "lock", "n", "queued", "remaining", "results", "want")

    def __init__(self, n: int, want: bool) -> None:
        self.future: Future[Any] = Future()
        self.lock = threading.Lock()
        self.n = n
        self.queued = 0
        self.remaining = n
        self.results: list[Any] = [None] * n if want else []
        self.want = want

    def set_many(self, done: list[tuple[int, Any]], exc: BaseException | None) -> None:
        """Chunks ``(position, result)`` are committed (store callback, on its writer thread); one
        lock round for all of an analysis batch's chunks of this group."""
        with self.lock:
            if self.want and exc is None:
                results = self.results
                for pos, value in done:
                    results[pos] = value
            self._done(len(done), exc)

    def add(self, k: int, exc: BaseException | None) -> None:
        """``k`` chunks without a wanted result are done (store callback)."""
        with self.lock:
            self._done(k, exc)

    def _done(self, k: int, exc: BaseException | None) -> None:
        """``k`` more chunks are committed, or failed with ``exc`` (lock held)."""
        if self.future.done():
            return
        if exc is not None:
            self.future.set_exception(exc)
            return
        self.remaining -= k
        if self.remaining == 0:
            self.future.set_result(self.results if self.want else self.n)

    def truncate(self, k: int) -> None:
        """Only the first ``k`` chunks were queued: resolve with their results once they are done."""
        with self.lock:
            if self.future.done() or k >= self.n:
                return
            dropped = self.n - k
            self.n = k
            if self.want:
                del self.results[k:]
            self._done(dropped, None)  # the refused chunks count as done: resolves if the rest are

    def fail(self, exc: BaseException) -> None:
        with self.lock:
            self._done(0, exc)


Target = Future[Any] | tuple[_Group, int]


def _fail(target: Target, exc: BaseException) -> None:
    if isinstance(target, tuple):
        target[0].fail(exc)
    elif not target.done():
        target.set_exception(exc)


@dataclass(slots=True)
class _Item:
    text: str
    nbytes: int
    tokens: int | None
    arrival: float
    future: Target


@dataclass(slots=True)
class _Close:
    reason: str
    state: str
    future: Future[dict[str, Any]]


class _Stream:
    """One open stream: its queue (guarded by the pipeline lock) and its analysis state (worker only)."""

    def __init__(
        self, pipe: Pipeline, stream_id: str, policy: StreamPolicy, opened_wall: float, opened: float
    ):
        cfg = pipe.config
        self.id = stream_id
        self.policy = policy
        self.policy_dict = policy.to_dict()
        self.opened_wall = opened_wall
        self.closed_wall: float | None = None
        self.state = "open"
        self.queue: deque[_Item | _Close] = deque()
        self.queue_size = min(policy.queue_size or cfg.queue_size, cfg.queue_size)
        self.on_full: OnFull = policy.on_full or cfg.on_full
        self.not_full = threading.Condition(pipe._lock)
        self.scheduled = False
        self.decoder = codecs.getincrementaldecoder("utf-8")("strict")
        self.last_seq = 0
        # analysis state
        window = policy.window or cfg.window
        san = policy.sanitizer
        self.scanner: StreamScanner | None = None
        if san.enabled:
            context = ScanContext(source="stream", agentic=san.agentic, stream_id=stream_id)
            self.scanner = StreamScanner(
                pipe.sanitizer, san.policy.with_(mode="scan"), context, window=window, max_held=cfg.max_held
            )
        self.redactor = HeldText(window, cfg.max_held) if policy.redacting else None
        self.kinds = {d.name: d.kind for d in pipe.sanitizer.detectors}
        self.patterns: list[tuple[PatternSpec, RegexMatcher | TokenSequenceMatcher]] = [
            (p, p.matcher()) for p in policy.patterns
        ]
        self.rules: list[tuple[RuleSpec, RegexMatcher]] = [
            (r, r.matcher()) for r in policy.intents + policy.urgency
        ]
        self.monitors: list[tuple[MonitorSpec, Monitor]] = [
            (m, m.compiled.monitor()) for m in policy.monitors
        ]
        self.verdicts = {m.name: m.compiled.initial_verdict.value for m in policy.monitors}
        # The per-chunk event fields (see the module docstring) that some monitor's formula reads.
        read = {
            getattr(a, "name", None) or getattr(a, "field", None)
            for m in policy.monitors
            for a in m.compiled.atoms
        }
        self.monitor_fields = tuple(f for f in _CHUNK_FIELDS if f in read)
        self.last_verdict: dict[str, Any] = {}  # monitor name -> Verdict object of the last step
        self.metrics = StreamMetrics(opened)
        self.index = 0
        self.pos = 0  # characters received (analysed) so far
        self.recorded_state = ""  # state of the stream's row as last handed to the store
        self.recorded_at = 0.0  # pipeline clock when it was

    def record(self) -> StreamRecord:
        return StreamRecord(
            stream_id=self.id,
            state=self.state,
            opened_at=self.opened_wall,
            closed_at=self.closed_wall,
            label=self.policy.label,
            policy=self.policy_dict,
            metrics=self.metrics.snapshot(),
            monitors=dict(self.verdicts),
            last_seq=self.last_seq,
        )

    def info(self) -> dict[str, Any]:
        return {
            "stream_id": self.id,
            "state": self.state,
            "label": self.policy.label,
            "opened_at": self.opened_wall,
            "closed_at": self.closed_wall,
            "policy": self.policy.to_dict(),
            "metrics": self.metrics.snapshot(),
            "monitors": dict(self.verdicts),
            "queued": len(self.queue),
            "last_seq": self.last_seq,
        }


# --------------------------------------------------------------------------- pipeline


class Pipeline:
    """Stream ingest over one store and one event bus; see the module docstring.

    Parameters
    ----------
    config : PipelineConfig, optional
        Limits and defaults.
    store : Store, optional
        Durable history; default an in-memory :class:`SQLiteStore` (owned and
        closed by the pipeline). On start, streams a previous process left open
        are marked ``interrupted``.
    bus : EventBus, optional
        Where events are published as analysed, before their commit; default a
        new bus (``pipeline.bus``).
    sanitizer : DefaultSanitizer, optional
        Shared, stateless detector set; default the built-in one.
    clock, wallclock : callables, optional
        Monotonic seconds for metrics (inject a fake clock in tests) and Unix
        seconds for event timestamps.
    """

    def __init__(
        self,
        config: PipelineConfig | None = None,
        *,
        store: Store | None = None,
        bus: EventBus | None = None,
        sanitizer: DefaultSanitizer | None = None,
        clock: Callable[[], float] = time.perf_counter,
        wallclock: Callable[[], float] = time.time,
    ) -> None:
        self.config = config or PipelineConfig()
        self._own_store = store is None
        self.store: Store = store if store is not None else SQLiteStore(":memory:")
        self.bus = bus or EventBus()
        self.sanitizer = sanitizer or DEFAULT_SANITIZER
        self._clock = clock
        self._wallclock = wallclock
        self._lock = threading.Lock()
        self._work = threading.Condition(self._lock)
        self._ready: deque[_Stream] = deque()
        self._streams: dict[str, _Stream] = {}
        self._closed: dict[str, _Stream] = {}  # recently closed, most recent last
        # Reentrant: a store may run a (failing) commit's callback inside append, under this lock.
        self._seq_lock = threading.RLock()
        # Published events not yet committed, by the seq of each batch's first: (stream, events).
        self._uncommitted: dict[int, tuple[str, list[Event]]] = {}
        self._uncommitted_lock = threading.Lock()
        self._uncommitted_n = 0  # events in _uncommitted
        self._store_room = threading.Condition(self._uncommitted_lock)
        # Events the publisher thread is to publish, in seq order, and whether it is publishing some.
        self._outbox: deque[tuple[str, list[Event]]] = deque()
        self._outbox_cv = threading.Condition(threading.Lock())
        self._publishing = False
        first = self.store.max_seq() + 1
        if self.store.recover():
            # A process that died with streams open may have published seqs it never stored (a
            # batch not yet committed, a failed commit, its store_failed event): seqs resume well
            # above the highest stored, so none a subscriber saw is ever given out again.
            first += max(_SEQ_GAP_AFTER_CRASH, 4 * self.config.max_uncommitted)
        self._seq = itertools.count(first)
        self._global = GlobalMetrics(clock())
        self._stopping = False
        self._publisher = threading.Thread(target=self._publish_loop, name="midstream-publish", daemon=True)
        self._publisher.start()
        self._worker = threading.Thread(target=self._run, name="midstream-pipeline", daemon=True)
        self._worker.start()

    # ------------------------------------------------------------------ streams

    def open(
        self, policy: StreamPolicy | Mapping[str, Any] | None = None, stream_id: str | None = None
    ) -> dict[str, Any]:
        """Open a stream; returns its info (``stream_id``, ``state``, ``policy``, ...).

        ``policy`` is a :class:`StreamPolicy` or a plain dict (validated; errors
        name the field, e.g. ``policy.patterns[2].regex``).
        """
        pol = policy if isinstance(policy, StreamPolicy) else StreamPolicy.from_dict(policy)
        if stream_id is not None and (
            not isinstance(stream_id, str) or not 1 <= len(stream_id) <= 128 or not stream_id.isprintable()
        ):
            raise InvalidInput("stream_id", "must be 1-128 printable characters")
        sid = stream_id or uuid.uuid4().hex[:16]
        with self._lock:
            if self._stopping:
                raise InvalidInput("stream_id", "the pipeline is shutting down")
            if sid in self._streams or sid in self._closed:
                raise InvalidInput("stream_id", f"stream {sid!r} already exists")
            if len(self._streams) >= self.config.max_streams:
                raise Busy(
                    "stream_id", f"too many open streams (limit {self.config.max_streams}); close one first"
                )
            st = _Stream(self, sid, pol, self._wallclock(), self._clock())
            self._streams[sid] = st
            self._global.streams_opened += 1
        ev = StreamOpened(0, sid, st.opened_wall, pol.to_dict())
        self._emit(st, [ev], None)
        return st.info()

    def submit(
        self, stream_id: str, chunk: bytes | bytearray | memoryview | str, *, tokens: int | None = None
    ) -> Future[ChunkResult]:
        """Queue one chunk (sync); the future resolves once it is processed and committed.

        Waits while the queue is full if the stream's ``on_full`` is ``wait`` (up
        to ``wait_timeout_s``), else raises :class:`Busy`. Raises
        :class:`InvalidInput` for an unknown or closed stream, an oversize
        chunk (field ``chunk``) or invalid UTF-8 (field ``chunk``, with the byte
        offset; the stream carries on as if the chunk had not been sent).
        """
        return self._enqueue(stream_id, chunk, tokens, block=True)

    def submit_many(
        self, stream_id: str, chunks: Sequence[bytes | str], *, results: bool = True
    ) -> Future[Any]:
        """Queue many chunks (sync) under one future, resolved once all are processed and committed.

        The future's value is the list of :class:`ChunkResult`, or with
        ``results=False`` just the count. The fast path for bulk producers (no
        per-chunk future). Backpressure and errors as in :meth:`submit`; chunks
        queued before a failing one are still processed.
        """
        group = _Group(len(chunks), results)
        if not chunks:
            group.future.set_result([] if results else 0)
            return group.future
        try:
            self._enqueue_many(stream_id, chunks, group, None, block=True)
        except BaseException as exc:
            group.fail(exc)
            raise
        return group.future

    def push_sync(
        self,
        stream_id: str,
        chunk: bytes | bytearray | memoryview | str,
        *,
        tokens: int | None = None,
        timeout: float | None = None,
    ) -> ChunkResult:
        """Queue one chunk and wait for its result (sync)."""
        return self._enqueue(stream_id, chunk, tokens, block=True).result(timeout)

    def push_many_sync(
        self, stream_id: str, chunks: Iterable[bytes | str], *, timeout: float | None = None
    ) -> list[ChunkResult]:
        """Queue chunks in order (waiting for room as the policy says) and wait for all results."""
        return list(self.submit_many(stream_id, list(chunks)).result(timeout))

    async def push(
        self, stream_id: str, chunk: bytes | bytearray | memoryview | str, *, tokens: int | None = None
    ) -> ChunkResult:
        """Queue one chunk and await its result; never blocks the event loop."""
        fut = await self._aenqueue(stream_id, chunk, tokens)
        return await asyncio.wrap_future(fut)

    async def push_many(
        self, stream_id: str, chunks: Iterable[bytes | str], *, tokens: Sequence[int | None] | None = None
    ) -> list[ChunkResult]:
        """Queue chunks in order and await all their results (one error stops the rest from being queued).

        One future for the whole batch, and the queue lock taken once per slice
        that fits: the fast path for an async producer with many chunks at hand.
        """
        items = list(chunks)
        if tokens is not None and len(tokens) != len(items):
            raise InvalidInput("tokens", f"must have one entry per chunk ({len(items)}), got {len(tokens)}")
        if not items:
            return []
        group = _Group(len(items), True)
        try:
            done = self._enqueue_many(stream_id, items, group, tokens, block=False)
            if done < len(items):  # the queue is full: wait for room off the event loop
                await asyncio.to_thread(self._enqueue_many, stream_id, items, group, tokens, True, done)
        except BaseException as exc:
            group.fail(exc)
            raise
        return list(await asyncio.wrap_future(group.future))

    async def push_accepted(
        self, stream_id: str, chunks: Sequence[bytes | str], *, tokens: Sequence[int | None] | None = None
    ) -> tuple[list[ChunkResult], Exception | None]:
        """Queue chunks in order until one is refused; await the results of those accepted.

        Returns ``(results, error)``: the results of the chunks queued before the
        first refused one (all of them when ``error`` is None) and the refusal
        (:class:`InvalidInput` / :class:`Busy`). An accepted chunk is processed
        and committed whatever happens after it. One future for the batch and
        one event-loop wake-up per commit, instead of one per chunk.
        """
        results, error = await self.queue_accepted(stream_id, chunks, tokens=tokens)
        return list(await results), error

    async def queue_accepted(
        self, stream_id: str, chunks: Sequence[bytes | str], *, tokens: Sequence[int | None] | None = None
    ) -> tuple[asyncio.Future[list[ChunkResult]], Exception | None]:
        """:meth:`push_accepted` in two steps: returns once the chunks are queued, results to await later.

        Returns ``(results, error)`` where ``results`` is an asyncio future of
        the accepted chunks' results. For a producer that keeps reading while
        earlier batches are analysed (an NDJSON route: queue each parsed batch
        in order, hand the future to the writer of the response).
        """
        items = list(chunks)
        if tokens is not None and len(tokens) != len(items):
            raise InvalidInput("tokens", f"must have one entry per chunk ({len(items)}), got {len(tokens)}")
        group = _Group(len(items), True)
        error: Exception | None = None
        if items:
            try:
                done = self._enqueue_many(stream_id, items, group, tokens, block=False)
                if done < len(items):  # the queue is full: wait for room off the event loop
                    await asyncio.to_thread(self._enqueue_many, stream_id, items, group, tokens, True, done)
            except Exception as exc:
                error = exc
                group.truncate(group.queued)
        if group.queued == 0:
            empty: asyncio.Future[list[ChunkResult]] = asyncio.get_running_loop().create_future()
            empty.set_result([])
            return empty, error
        return asyncio.wrap_future(group.future), error

    async def _aenqueue(self, stream_id: str, chunk: Any, tokens: int | None) -> Future[ChunkResult]:
        try:
            return self._enqueue(stream_id, chunk, tokens, block=False)
        except _Full:
            return await asyncio.to_thread(self._enqueue, stream_id, chunk, tokens, True)

    def close_sync(self, stream_id: str, timeout: float | None = None) -> dict[str, Any]:
        """Close a stream after its queued chunks; returns the summary (its info)."""
        return self._close(stream_id, "closed", "closed by the producer").result(timeout)

    async def close(self, stream_id: str) -> dict[str, Any]:
        """Close a stream after its queued chunks and await the summary."""
        return await asyncio.wrap_future(self._close(stream_id, "closed", "closed by the producer"))

    def get(self, stream_id: str) -> dict[str, Any]:
        """A stream's state, policy, metrics and monitor verdicts (live, recently closed, or stored)."""
        with self._lock:
            st = self._streams.get(stream_id) or self._closed.get(stream_id)
            if st is not None:
                return st.info()
        rec = self.store.stream(stream_id)
        if rec is None:
            raise InvalidInput("stream_id", f"unknown stream {stream_id!r}")
        return {**rec.to_dict(), "queued": 0}

    def list_streams(self, limit: int = 1000) -> list[dict[str, Any]]:
        """Open streams first, then stored ones (closed or interrupted), most recent first."""
        with self._lock:
            live = [st.info() for st in reversed(list(self._streams.values()))]
        seen = {s["stream_id"] for s in live}
        out = live[:limit]
        if len(out) < limit:
            for rec in self.store.streams(limit):
                if rec.stream_id not in seen:
                    out.append({**rec.to_dict(), "queued": 0})
                    if len(out) >= limit:
                        break
        return out

    def events(
        self, stream_id: str | None = None, after_seq: int = 0, limit: int = 100
    ) -> list[dict[str, Any]]:
        """Events (of one stream, or all) with ``seq > after_seq``, oldest first, at most ``limit``.

        Every event published on the bus so far is there, committed or not (a
        published event whose commit then fails disappears; see the module docstring).
        """
        if stream_id is not None:
            with self._lock:
                known = stream_id in self._streams or stream_id in self._closed
            if not known and self.store.stream(stream_id) is None:
                raise InvalidInput("stream_id", f"unknown stream {stream_id!r}")
        # The uncommitted tail before the store: an event committed between the two reads is then
        # in both (dropped once), never in neither. The store holds a seq prefix of what was
        # published, so the merge has no gaps.
        with self._uncommitted_lock:
            pending = [
                evs for sid, evs in self._uncommitted.values() if stream_id is None or sid == stream_id
            ]
        stored = self.store.events(stream_id, after_seq, limit)
        if not pending:
            return stored
        have = {e["seq"] for e in stored}
        cut = stored[-1]["seq"] if len(stored) >= limit else None  # a full page: nothing beyond it
        extra: list[dict[str, Any]] = []
        for ev in itertools.chain.from_iterable(pending):  # in seq order
            if len(extra) >= limit or (cut is not None and ev.seq > cut):
                break
            if ev.seq > after_seq and ev.seq not in have:
                extra.append(ev.to_dict())
        if not extra:
            return stored
        return sorted(stored + extra, key=itemgetter("seq"))[:limit]

    def metrics(self) -> dict[str, Any]:
        """Global metrics over all streams since the pipeline started."""
        with self._lock:
            queued = sum(len(s.queue) for s in self._streams.values())
            return self._global.snapshot(self._clock(), len(self._streams), queued)

    def shutdown(self, timeout: float | None = 10.0) -> None:
        """Process what is queued, mark open streams ``interrupted``, stop the worker, flush the store."""
        with self._lock:
            if self._stopping:
                return
            open_ids = list(self._streams)
        futures = []
        for sid in open_ids:
            with contextlib.suppress(InvalidInput):
                futures.append(self._close(sid, "interrupted", "pipeline shut down"))
        for f in futures:
            with contextlib.suppress(Exception):
                f.result(timeout)
        with self._lock:
            self._stopping = True
            self._work.notify_all()
        self._worker.join(timeout)
        with self._outbox_cv:
            self._outbox_cv.notify()  # the publisher sees _stopping, publishes what is left and ends
        self._publisher.join(timeout)
        self.store.flush(timeout)
        if self._own_store:
            self.store.close()

    def __enter__(self) -> Pipeline:
        return self

    def __exit__(self, *exc: object) -> None:
        self.shutdown()

    # ------------------------------------------------------------------ producer side

    def _enqueue(
        self,
        stream_id: str,
        chunk: Any,
        tokens: int | None,
        block: bool,
        target: tuple[_Group, int] | None = None,
    ) -> Future[ChunkResult]:
        arrival = self._clock()
        if isinstance(chunk, str):
            raw: bytes | None = None
            nbytes = len(chunk) if chunk.isascii() else len(chunk.encode("utf-8", "surrogatepass"))
        elif isinstance(chunk, (bytes, bytearray, memoryview)):
            raw = bytes(chunk)
            nbytes = len(raw)
        else:
            raise InvalidInput("chunk", f"must be bytes or a string, got {type(chunk).__name__}")
        if nbytes > self.config.max_chunk_bytes:
            raise InvalidInput(
                "chunk", f"has {nbytes} bytes, more than the limit of {self.config.max_chunk_bytes}"
            )
        if tokens is not None and (isinstance(tokens, bool) or not isinstance(tokens, int) or tokens < 0):
            raise InvalidInput("tokens", f"must be a non-negative integer, got {tokens!r}")
        with self._lock:
            st = self._live(stream_id)
            if len(st.queue) >= st.queue_size:
                st = self._wait_room(st, stream_id, block)
            if raw is not None:
                text = _decode(st.decoder, raw)
            elif st.decoder.getstate()[0]:
                text = _decode(st.decoder, chunk.encode("utf-8", "surrogatepass"))
            else:
                text = chunk
                if not text.isascii():
                    try:
                        text.encode("utf-8")
                    except UnicodeEncodeError as exc:
                        raise InvalidInput(
                            "chunk", f"contains a lone surrogate at character {exc.start}"
                        ) from None
            fut: Future[ChunkResult] = _NO_FUTURE if target is not None else Future()
            st.queue.append(_Item(text, nbytes, tokens, arrival, target or fut))
            if not st.scheduled:
                st.scheduled = True
                self._ready.append(st)
                self._work.notify()
        return fut

    def _wait_room(self, st: _Stream, stream_id: str, block: bool) -> _Stream:
        """Called with the lock held and the queue full: wait for room (or raise ``Busy``/``_Full``)."""
        if st.on_full == "reject":
            raise Busy(
                "stream_id",
                f"busy: stream {stream_id!r} has {st.queue_size} chunks queued; retry later",
            )
        if not block:
            raise _Full
        deadline = time.monotonic() + st.policy.wait_timeout_s
        while len(st.queue) >= st.queue_size:
            left = deadline - time.monotonic()
            if left <= 0:
                raise Busy(
                    "stream_id",
                    f"busy: stream {stream_id!r}: queue still full after {st.policy.wait_timeout_s:g} s",
                )
            st.not_full.wait(left)
            st = self._live(stream_id)
        return st

    def _enqueue_many(
        self,
        stream_id: str,
        chunks: Sequence[Any],
        group: _Group,
        tokens: Sequence[int | None] | None,
        block: bool,
        start: int = 0,
    ) -> int:
        """Queue ``chunks[start:]`` under ``group``, one lock acquisition per slice that fits in the queue.

        Returns how many chunks of ``chunks`` are queued: all of them, or with
        ``block=False`` those before the queue filled up.
        """
        max_bytes = self.config.max_chunk_bytes
        clock = self._clock
        n = len(chunks)
        i = start
        while i < n:
            with self._lock:
                st = self._live(stream_id)
                if len(st.queue) >= st.queue_size:
                    if not block and st.on_full == "wait":
                        return i
                    st = self._wait_room(st, stream_id, True)
                end = min(n, i + st.queue_size - len(st.queue))
                q = st.queue
                decoder = st.decoder
                clean = not decoder.getstate()[0]  # no partial UTF-8 character carried over
                try:
                    while i < end:
                        c = chunks[i]
                        tok = None if tokens is None else tokens[i]
                        if tok is not None and (isinstance(tok, bool) or not isinstance(tok, int) or tok < 0):
                            raise InvalidInput("tokens", f"must be a non-negative integer, got {tok!r}")
                        arrival = clock()
                        tc = type(c)
                        if (tc is str or tc is bytes) and clean and c.isascii():
                            nbytes = len(c)
                            text = c if tc is str else c.decode("ascii")
                        elif isinstance(c, str):
                            nbytes = len(c.encode("utf-8", "surrogatepass"))
                            if nbytes <= max_bytes:
                                if clean:
                                    try:
                                        c.encode("utf-8")
                                    except UnicodeEncodeError as exc:
                                        raise InvalidInput(
                                            "chunk", f"contains a lone surrogate at character {exc.start}"
                                        ) from None
                                    text = c
                                else:
                                    text = _decode(decoder, c.encode("utf-8", "surrogatepass"))
                                    clean = not decoder.getstate()[0]
                        elif isinstance(c, (bytes, bytearray, memoryview)):
                            raw = bytes(c)
                            nbytes = len(raw)
                            if nbytes <= max_bytes:
                                text = _decode(decoder, raw)
                                clean = not decoder.getstate()[0]
                        else:
                            raise InvalidInput("chunk", f"must be bytes or a string, got {type(c).__name__}")
                        if nbytes > max_bytes:
                            raise InvalidInput(
                                "chunk", f"has {nbytes} bytes, more than the limit of {max_bytes}"
                            )
                        q.append(_Item(text, nbytes, tok, arrival, (group, i)))
                        i += 1
                finally:
                    group.queued = i
                    if q and not st.scheduled:
                        st.scheduled = True
                        self._ready.append(st)
                        self._work.notify()
        return i

    def _live(self, stream_id: str) -> _Stream:
        st = self._streams.get(stream_id)
        if st is None or st.state != "open":
            if (
                st is not None
                or stream_id in self._closed
                or (isinstance(stream_id, str) and self._stored_closed(stream_id))
            ):
                raise InvalidInput("stream_id", f"stream {stream_id!r} is closed")
            raise InvalidInput("stream_id", f"unknown stream {stream_id!r}")
        return st

    def _stored_closed(self, stream_id: str) -> bool:
        try:
            return self.store.stream(stream_id) is not None
        except Exception:
            return False

    def _close(self, stream_id: str, state: str, reason: str) -> Future[dict[str, Any]]:
        fut: Future[dict[str, Any]] = Future()
        with self._lock:
            st = self._live(stream_id)
            st.state = "closing"
            st.queue.append(_Close(reason, state, fut))
            st.not_full.notify_all()
            if not st.scheduled:
                st.scheduled = True
                self._ready.append(st)
                self._work.notify()
        return fut

    # ------------------------------------------------------------------ worker

    def _run(self) -> None:
        cfg = self.config
        while True:
            with self._store_room:
                while self._uncommitted_n >= cfg.max_uncommitted:
                    self._store_room.wait()  # the store is far behind: hold the analysis (bounded memory)
            with self._lock:
                while not self._ready and not self._stopping:
                    self._work.wait()
                if not self._ready:
                    return
                st = self._ready.popleft()
                batch: list[_Item] = []
                closing: _Close | None = None
                chars = 0
                q = st.queue
                while q and len(batch) < cfg.max_batch and chars < cfg.max_batch_chars:
                    item = q.popleft()
                    if isinstance(item, _Close):
                        closing = item
                        break
                    batch.append(item)
                    chars += len(item.text)
                st.not_full.notify_all()
            try:
                if batch:
                    self._process(st, batch)
                if closing is not None:
                    self._finish(st, closing)
            except BaseException as exc:  # never let one stream kill the worker
                for it in batch:
                    _fail(it.future, exc)
                if closing is not None and not closing.future.done():
                    closing.future.set_exception(exc)
            with self._lock:
                if st.queue:
                    self._ready.append(st)
                else:
                    st.scheduled = False

    def _process(self, st: _Stream, batch: list[_Item]) -> None:
        texts = [it.text for it in batch]
        n = len(batch)
        bounds = list(itertools.accumulate(map(len, texts), initial=st.pos))
        starts, ends = bounds[:-1], bounds[1:]
        joined = "".join(texts) if n > 1 else texts[0]
        st.pos = bounds[-1]
        policy = st.policy
        san = policy.sanitizer

        # 1. sanitizer: one scan for the batch, findings split back per chunk
        actions = ["allow"] * n
        reasons = ["nothing found" if st.scanner is not None else "sanitizer off"] * n
        scores = [0.0] * n
        # chunk position -> its new findings (few chunks have any)
        chunk_findings: dict[int, list[Finding]] = {}
        if st.scanner is not None:
            error = ""
            try:
                sv = st.scanner.feed(joined)
                if sv.verdict.errors and not san.policy.fail_open:
                    error = "fail-closed: " + "; ".join(sv.verdict.errors)
                for f in sv.verdict.findings:
                    i = bisect.bisect_right(ends, f.end - 1) if n > 1 else 0
                    chunk_findings.setdefault(min(i, n - 1), []).append(f)
            except Exception as exc:
                error = f"fail-closed: sanitizer error ({type(exc).__name__})"
            if error:
                actions, reasons = ["block"] * n, [error] * n
            else:
                for i, found in chunk_findings.items():
                    actions[i], reasons[i], scores[i] = _chunk_verdict(found, st.kinds, san)
        blocked = [a == "block" for a in actions]

        # 2. patterns, intents, urgency
        per_chunk: dict[int, list[tuple[str, Any, Match]]] = {}  # chunk position -> matches decided there
        closing_matches: list[tuple[str, Any, Match]] = []
        for spec, matcher in st.patterns:
            for m in matcher.feed(joined):
                self._place(per_chunk, closing_matches, ends, ("pattern", spec, m))
        for rule, rmatcher in st.rules:
            for m in rmatcher.feed(joined):
                self._place(per_chunk, closing_matches, ends, ("rule", rule, m))

        # 3..5 per chunk: emitted text, metrics, monitors, events
        now_wall = self._wallclock()
        results: list[tuple[Target, Callable[[], Any] | _ResultSpec]] = []
        counts: dict[_Group, int] = {}  # chunks of a submit_many(results=False): counted, no result
        metrics = st.metrics
        done_at = self._clock()
        g = self._global
        index = st.index
        # Per-chunk numbers as lists: the metrics take their sums and maxima with built-ins.
        arrivals = [it.arrival for it in batch]
        sizes = [it.nbytes for it in batch]
        nchars = [e - s for s, e in zip(starts, ends, strict=True)]
        token_counts = [
            (nc // 4 or 1 if nc else 0) if it.tokens is None else it.tokens
            for it, nc in zip(batch, nchars, strict=True)
        ]
        gaps = metrics.add_chunks(arrivals, sizes, nchars, token_counts)
        latencies = [(done_at - a) * 1e3 for a in arrivals]
        emitted = self._emitted(st, texts, starts, ends, blocked, chunk_findings)
        finding_dicts: list[tuple[dict[str, Any], ...]] = [()] * n
        for i, fs in chunk_findings.items():
            finding_dicts[i] = tuple(map(_finding_dict, fs))
        # The chunk events, made from the columns a field at a time (no per-chunk Python in between).
        chunk_events = make_chunks(
            n, itertools.repeat(0, n), itertools.repeat(st.id, n), itertools.repeat(now_wall, n),
            range(index, index + n), starts, ends, sizes, token_counts, actions, reasons, blocked, scores,
            emitted if policy.store_text else itertools.repeat(None, n), finding_dicts, gaps, latencies,
        )  # fmt: skip
        # After a chunk's event come the matches decided at it, then its monitor changes.
        flags: list[dict[str, Any]] | None = None
        if st.monitors:
            # Only the per-chunk fields some monitor reads (a monitor looks fields up by name, and
            # one it does not name cannot change its verdict); match flags are added below.
            fields = st.monitor_fields
            if not fields:
                flags = [{} for _ in range(n)]
            else:
                columns = {
                    "chunk": itertools.repeat(True, n), "index": range(index, index + n), "blocked": blocked,
                    "verdict": actions, "score": scores, "tokens": token_counts, "bytes": sizes,
                    "gap_ms": [0.0 if gap is None else gap for gap in gaps] if "gap_ms" in fields else gaps,
                }  # fmt: skip
                flags = [
                    dict(zip(fields, row, strict=True))
                    for row in zip(*[columns[f] for f in fields], strict=True)
                ]
        matched = {
            i: self._match_events(
                st,
                per_chunk[i],
                index + i,
                now_wall,
                blocked,
                starts,
                ends,
                None if flags is None else flags[i],
            )
            for i in sorted(per_chunk)
        }
        verdicts_before = dict(st.verdicts)
        changes = self._step_monitors(st, flags, index, now_wall) if flags is not None else {}
        events: list[Event] = []
        done = 0
        for i in sorted(matched.keys() | changes.keys()):
            events += chunk_events[done : i + 1]
            events += matched.get(i, ())
            events += changes.get(i, ())
            done = i + 1
        events += chunk_events[done:]
        # Results carry the verdicts as they stood after their chunk.
        after = verdicts_before
        for i, it in enumerate(batch):
            if i in changes:
                after = {**after, **{c.monitor: c.verdict for c in changes[i]}}
            target = it.future
            if type(target) is tuple and not target[0].want:
                grp = target[0]
                counts[grp] = counts.get(grp, 0) + 1
            else:
                result = _ResultSpec(chunk_events[i], emitted[i], matched.get(i, []), dict(after))
                results.append((target, result))
        index += n
        st.index = index
        metrics.emitted_chars += sum(map(len, filter(None, emitted)))
        metrics.latency_sum_ms += sum(latencies)
        metrics.latency_max_ms = max(metrics.latency_max_ms, max(latencies))
        verdicts = metrics.verdicts
        gverdicts = g.verdicts
        if n == 1:
            verdicts[actions[0]] += 1
            gverdicts[actions[0]] += 1
        else:
            for action, k in Counter(actions).items():
                verdicts[action] += k
                gverdicts[action] += k
        g.chunks += n
        g.tokens += metrics.batch_tokens  # summed once, by the stream's metrics
        g.bytes += metrics.batch_bytes
        if True in blocked:
            g.blocked += blocked.count(True)
        if closing_matches:  # only possible at close
            for what, spec, m in closing_matches:
                events.append(self._match_event(st, what, spec, m, None, now_wall, blocked, starts, ends))
        self._emit(st, events, results, counts)

    def _emitted(
        self,
        st: _Stream,
        texts: list[str],
        starts: list[int],
        ends: list[int],
        blocked: list[bool],
        chunk_findings: dict[int, list[Finding]],
    ) -> list[str | None]:
        """What each chunk releases downstream: itself, its redacted releasable text, or None if blocked."""
        redactor = st.redactor
        if redactor is None:
            return [None if b else t for t, b in zip(texts, blocked, strict=True)]
        for f in (f for fs in chunk_findings.values() for f in fs):
            if f.placeholder is not None:
                redactor.redact(f.start, f.end, f.placeholder)
        out: list[str | None] = []
        for i, text in enumerate(texts):
            redactor.append(text)
            if blocked[i]:
                # An attack split across chunks started earlier: withhold the part still held back.
                manipulation = [
                    f.start for f in chunk_findings.get(i, ()) if st.kinds.get(f.detector) == "manipulation"
                ]
                redactor.withhold(min([starts[i], *manipulation]), ends[i])
                out.append(None)
            else:
                out.append(redactor.release(False))
        return out

    def _match_events(
        self,
        st: _Stream,
        matches: Sequence[tuple[str, Any, Match]],
        index: int,
        now_wall: float,
        blocked: list[bool],
        starts: list[int],
        ends: list[int],
        flags: dict[str, Any] | None,
    ) -> list[Event]:
        """The events of the matches decided at chunk ``index``, counted in the metrics and set in
        its monitor ``flags`` (``pattern:<name>``, ``intent:<label>``, ``urgent``)."""
        out: list[Event] = []
        metrics = st.metrics
        urgent = False
        for what, spec, m in matches:
            mev = self._match_event(st, what, spec, m, index, now_wall, blocked, starts, ends)
            out.append(mev)
            if isinstance(mev, PatternMatched):
                metrics.patterns[m.name] = metrics.patterns.get(m.name, 0) + 1
                if flags is not None:
                    flags["pattern:" + m.name] = True
                    flags["pattern"] = True
            elif isinstance(mev, IntentDetected):
                if mev.category == "urgency":
                    urgent = True
                else:
                    metrics.intents[mev.label] = metrics.intents.get(mev.label, 0.0) + mev.weight
                    if flags is not None:
                        flags["intent:" + mev.label] = True
                        flags["intent"] = True
        if urgent:
            metrics.urgent += 1
            if flags is not None:
                flags["urgent"] = True
        return out

    def _step_monitors(
        self, st: _Stream, flags: list[dict[str, Any]], index: int, now_wall: float
    ) -> dict[int, list[MonitorChanged]]:
        """Step every monitor through the batch's chunks; chunk position -> its verdict changes,
        in monitor order."""
        changes: dict[int, list[MonitorChanged]] = {}
        for mspec, mon in st.monitors:
            name = mspec.name
            last = st.last_verdict.get(name)
            for i, vobj in enumerate(map(mon.step, flags)):
                if vobj is last:
                    continue  # unchanged (Verdict members are singletons): skip the enum lookups
                last = vobj
                v = vobj.value
                prev = st.verdicts[name]
                if v != prev:
                    st.verdicts[name] = v
                    change = MonitorChanged(0, st.id, now_wall, name, mspec.formula, prev, v, index + i)
                    changes.setdefault(i, []).append(change)
            st.last_verdict[name] = last
        return changes

    def _place(
        self,
        per_chunk: dict[int, list[tuple[str, Any, Match]]],
        closing: list[tuple[str, Any, Match]],
        ends: list[int],
        entry: tuple[str, Any, Match],
    ) -> None:
        m = entry[2]
        if m.decided_at is None:
            closing.append(entry)
            return
        i = bisect.bisect_left(ends, m.decided_at)
        per_chunk.setdefault(min(i, len(ends) - 1), []).append(entry)

    def _match_event(
        self,
        st: _Stream,
        what: str,
        spec: Any,
        m: Match,
        index: int | None,
        ts: float,
        blocked: list[bool],
        starts: list[int],
        ends: list[int],
    ) -> Event:
        text: str | None = m.text[:200]
        hidden = st.redactor is not None or not st.policy.store_text
        if hidden or (
            True in blocked
            and any(b and s < m.end and m.start < e for b, s, e in zip(blocked, starts, ends, strict=True))
        ):
            text = None
        if what == "pattern":
            return PatternMatched(0, st.id, ts, spec.name, spec.kind, m.start, m.end, index, text, m.distance)
        return IntentDetected(
            0,
            st.id,
            ts,
            spec.category,
            spec.label,
            spec.source or "policy",
            spec.weight,
            m.start,
            m.end,
            index,
            text,
        )

    def _finish(self, st: _Stream, closing: _Close) -> None:
        now_wall = self._wallclock()
        events: list[Event] = []
        # flush matchers
        metrics = st.metrics
        for spec, matcher in st.patterns:
            for m in matcher.feed("", final=True):
                events.append(self._match_event(st, "pattern", spec, m, None, now_wall, [], [], []))
                metrics.patterns[m.name] = metrics.patterns.get(m.name, 0) + 1
        for rule, rmatcher in st.rules:
            for m in rmatcher.feed("", final=True):
                events.append(self._match_event(st, "rule", rule, m, None, now_wall, [], [], []))
                if rule.category == "urgency":
                    metrics.urgent += 1
                else:
                    metrics.intents[rule.label] = metrics.intents.get(rule.label, 0.0) + rule.weight
        dropped = len(st.decoder.getstate()[0])
        emitted: str | None = None
        if st.redactor is not None:
            emitted = st.redactor.release(True)
            st.metrics.emitted_chars += len(emitted)
        for mspec, mon in st.monitors:
            final = mon.final()
            v = "pending" if final is None else ("true" if final else "false")
            prev = st.verdicts[mspec.name]
            if v != prev:
                events.append(MonitorChanged(0, st.id, now_wall, mspec.name, mspec.formula, prev, v, None))
            st.verdicts[mspec.name] = v
        st.closed_wall = now_wall
        st.state = closing.state
        events.append(
            StreamClosed(
                0,
                st.id,
                now_wall,
                closing.state,
                closing.reason,
                emitted if st.policy.store_text else None,
                st.metrics.snapshot(),
                dict(st.verdicts),
                dropped,
            )
        )
        with self._lock:
            self._streams.pop(st.id, None)
            self._closed[st.id] = st
            while len(self._closed) > self.config.retain_closed:
                self._closed.pop(next(iter(self._closed)))
            self._global.streams_closed += 1
            for item in st.queue:  # nothing can be queued behind a close, but be safe
                if isinstance(item, _Item):
                    _fail(item.future, InvalidInput("stream_id", f"stream {st.id!r} is closed"))
            st.queue.clear()
            st.not_full.notify_all()

        def summary() -> dict[str, Any]:
            info = st.info()
            info["emitted"] = emitted
            info["dropped_bytes"] = dropped
            return info

        self._emit(st, events, [(closing.future, summary)])

    # ------------------------------------------------------------------ commit + publish

    def _emit(
        self,
        st: _Stream,
        events: list[Event],
        results: Sequence[tuple[Target, Callable[[], Any] | _ResultSpec]] | None,
        counts: dict[_Group, int] | None = None,
    ) -> None:
        """Number and publish the events, hand them to the store; resolve the results once committed."""
        with self._seq_lock:
            for ev, n in zip(events, self._seq, strict=False):  # fresh, unshared events: numbered once
                set_seq(ev, n)
            sid = st.id
            key = events[0].seq if events else 0
            if events:
                st.last_seq = events[-1].seq
                # In the tail before the bus: whoever hears of an event can read it.
                with self._uncommitted_lock:
                    self._uncommitted[key] = (sid, events)
                    self._uncommitted_n += len(events)
                self._publish(sid, events)  # first: the results and the record below are not news
            fixed = (
                [(fut, b.result() if isinstance(b, _ResultSpec) else b()) for fut, b in results]
                if results
                else None
            )
            self._global.events += len(events)
            # The stream's row: on a change of state, else at most every record_interval_s (a row
            # per commit was a JSON of its metrics and an upsert for every chunk of a slow stream).
            now = self._clock()
            records: tuple[StreamRecord, ...] = ()
            if st.state != st.recorded_state or now - st.recorded_at >= self.config.record_interval_s:
                records = (st.record(),)
                st.recorded_state, st.recorded_at = st.state, now

            def done(exc: BaseException | None) -> None:
                if events:
                    with self._uncommitted_lock:
                        del self._uncommitted[key]
                        self._uncommitted_n -= len(events)
                        self._store_room.notify()
                    if exc is not None:
                        self._lost(sid, events, exc)
                if counts:
                    for grp, k in counts.items():
                        grp.add(k, exc)
                if fixed:
                    group: _Group | None = None
                    ready: list[tuple[int, Any]] = []
                    for target, value in fixed:
                        if isinstance(target, tuple):
                            if target[0] is not group:
                                if group is not None:
                                    group.set_many(ready, exc)
                                group, ready = target[0], []
                            ready.append((target[1], value))
                        elif target.done():
                            continue
                        elif exc is None:
                            target.set_result(value)
                        else:
                            target.set_exception(exc)
                    if group is not None:
                        group.set_many(ready, exc)

            # Always the store's writer thread: a commit stall must not hold up the analysis.
            self.store.append(events, records, done)

    def _lost(self, stream_id: str, events: list[Event], exc: BaseException) -> None:
        """Tell subscribers that published ``events`` failed to commit (store callback)."""
        with self._seq_lock:
            failed = StoreFailed(
                next(self._seq),
                stream_id,
                self._wallclock(),
                events[0].seq,
                events[-1].seq,
                len(events),
                str(exc),
            )
            self._publish(stream_id, [failed])

    def _publish(self, stream_id: str, events: list[Event]) -> None:
        """Publish now (a small batch), or through the publisher thread (a big one); seq lock held.

        A big batch means a busy worker, which fanning out to many subscribers
        would slow down; the publisher thread does it meanwhile, several batches
        at a time. A small batch goes straight out, saving the hand-off (latency)
        unless earlier ones are still in the outbox: bus order is seq order.
        """
        with self._outbox_cv:
            if len(events) > _PUBLISH_INLINE_MAX or self._outbox or self._publishing:
                self._outbox.append((stream_id, events))
                self._outbox_cv.notify()
                return
        self.bus.publish_many(events, stream_id=stream_id)

    def _publish_loop(self) -> None:
        while True:
            with self._outbox_cv:
                while not self._outbox:
                    if self._stopping:
                        return
                    self._outbox_cv.wait()
                batches = list(self._outbox)
                self._outbox.clear()
                self._publishing = True
            try:
                # Consecutive batches of one stream in one call: one offer per subscriber.
                for sid, group in itertools.groupby(batches, key=itemgetter(0)):
                    self.bus.publish_many([ev for _, evs in group for ev in evs], stream_id=sid)
            except Exception:
                logger.exception("publishing events failed")
            finally:
                with self._outbox_cv:
                    self._publishing = False


#: How far seqs jump after a crash (see ``Pipeline.__init__``): more than a dead process can have
#: published and not stored, unless its store failed for a long time before it died.
_SEQ_GAP_AFTER_CRASH = 1 << 20

#: The fields of a chunk's LTL event that come from the chunk itself (matches add their own).
_CHUNK_FIELDS = ("chunk", "index", "blocked", "verdict", "score", "tokens", "bytes", "gap_ms")

#: Events of one analysis batch published by the worker itself; bigger batches go to the publisher thread.
_PUBLISH_INLINE_MAX = 32


_NO_FUTURE: Future[Any] = Future()


class _Full(Exception):
    """Internal: the queue is full and the caller must not block here."""


class _ResultSpec:
    """What a chunk's :class:`ChunkResult` is made of; built once the event has its ``seq``."""

    __slots__ = ("emitted", "ev", "monitors", "related")

    def __init__(
        self, ev: ChunkProcessed, emitted: str | None, related: list[Event], monitors: dict[str, str]
    ) -> None:
        self.ev = ev
        self.emitted = emitted
        self.related = related
        self.monitors = monitors

    def result(self) -> ChunkResult:
        ev = self.ev
        return _make_result(
            ev.stream_id,
            ev.index,
            ev.seq,
            ev.action,
            ev.reason,
            ev.blocked,
            self.emitted,
            ev.score,
            ev.tokens,
            ev.bytes,
            ev.latency_ms,
            ev.findings,
            tuple([e.to_dict() for e in self.related]) if self.related else (),
            self.monitors,
        )


def _fast_init(cls: type) -> Callable[..., Any]:
    """``cls(*all_fields)`` for a frozen slots dataclass, without its ``__init__`` (about twice as fast)."""
    names = [f.name for f in dataclasses.fields(cls)]
    setters = [getattr(cls, n).__set__ for n in names]
    env: dict[str, Any] = {"_new": object.__new__, "_cls": cls}
    env.update({f"_s{i}": f for i, f in enumerate(setters)})
    args = ", ".join(f"a{i}" for i in range(len(names)))
    body = "".join(f"    _s{i}(o, a{i})\n" for i in range(len(names)))
    exec(f"def make({args}):\n    o = _new(_cls)\n{body}    return o\n", env)  # generated from field names
    make: Callable[..., Any] = env["make"]
    return make


_make_result: Callable[..., ChunkResult] = _fast_init(ChunkResult)


def _decode(decoder: codecs.IncrementalDecoder, raw: bytes) -> str:
    state = decoder.getstate()
    try:
        return decoder.decode(raw)
    except UnicodeDecodeError as exc:
        decoder.setstate(state)
        carried = len(state[0])
        offset = max(0, exc.start - carried)
        detail = exc.reason
        if exc.start < carried:
            detail += " (continuing the character split at the end of the previous chunk)"
        raise InvalidInput("chunk", f"invalid UTF-8 at byte {offset}: {detail}") from None


def _finding_dict(f: Finding) -> dict[str, Any]:
    return {
        "detector": f.detector,
        "category": f.category,
        "start": f.start,
        "end": f.end,
        "score": f.score,
        "evidence": f.evidence,
    }


def _chunk_verdict(
    findings: list[Finding], kinds: Mapping[str, str], san: SanitizerSpec
) -> tuple[str, str, float]:
    """The sanitizer's verdict rules applied to the findings new in one chunk."""
    action, reasons, score = judge(findings, kinds, san.policy)
    return action.value, "; ".join(reasons) if reasons else "nothing found", score
