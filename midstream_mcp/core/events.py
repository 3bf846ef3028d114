"""Typed stream events and the in-process bus that fans them out.

One frozen dataclass per fact the pipeline learns. Every event has a global,
monotonically increasing ``seq`` (unique across streams and across restarts
over the same store), the ``stream_id`` it belongs to, a wall-clock ``ts``
(Unix seconds) and a ``kind`` string; ``to_dict()`` gives plain JSON types.

:class:`EventBus` delivers events to subscribers without ever blocking the
publisher: each subscription has a bounded buffer, and when a subscriber falls
behind the oldest buffered events are dropped and counted in
:attr:`Subscription.dropped`. A subscriber that sees a gap reads what it missed
from the pipeline (``Pipeline.events(stream_id, after_seq, limit)``).
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
import queue
import threading
from collections import deque
from collections.abc import AsyncIterator, Callable, Iterable
from dataclasses import dataclass, field, fields
from typing import Any, ClassVar

logger = logging.getLogger("midstream_mcp.events")

__all__ = [
    "EVENT_TYPES",
    "ChunkProcessed",
    "Event",
    "EventBus",
    "IntentDetected",
    "MonitorChanged",
    "PatternMatched",
    "StoreFailed",
    "StreamClosed",
    "StreamOpened",
    "Subscription",
    "event_from_dict",
]


@dataclass(frozen=True, slots=True)
class Event:
    """Fields common to every event."""

    kind: ClassVar[str] = "event"
    seq: int
    stream_id: str
    ts: float

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-compatible types; ``kind`` names the event class."""
        cls = type(self)
        names = _NAMES.get(cls)
        if names is None:
            names = _NAMES[cls] = tuple(f.name for f in fields(cls))
        out: dict[str, Any] = {"kind": self.kind}
        for name in names:
            v = getattr(self, name)
            out[name] = _plain(v) if type(v) in (tuple, dict) else v
        return out


_NAMES: dict[type, tuple[str, ...]] = {}


def _plain(value: Any) -> Any:
    if isinstance(value, tuple):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    return value


@dataclass(frozen=True, slots=True)
class StreamOpened(Event):
    """A stream was opened with ``policy`` (the normalised policy as a dict)."""

    kind: ClassVar[str] = "stream_opened"
    policy: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class ChunkProcessed(Event):
    """One chunk went through the pipeline.

    ``index`` counts chunks from 0 in the stream; ``start``/``end`` are its
    character offsets in the stream. ``action`` is the sanitizer verdict
    (allow | warn | redact | block) and ``reason`` says why; ``blocked`` chunks
    are never forwarded: their ``emitted`` is None. ``emitted`` is the text
    released downstream with this chunk (in redact mode the redacted text,
    lagging by at most the carry-over window). ``findings`` are the sanitizer
    findings new with this chunk (offsets into the stream, evidence masked).
    ``gap_ms`` is the time since the previous chunk arrived (None for the first).
    ``latency_ms`` is the time from arrival to the end of analysis.
    """

    kind: ClassVar[str] = "chunk"
    index: int = 0
    start: int = 0
    end: int = 0
    bytes: int = 0
    tokens: int = 0
    action: str = "allow"
    reason: str = ""
    blocked: bool = False
    score: float = 0.0
    emitted: str | None = None
    findings: tuple[dict[str, Any], ...] = ()
    gap_ms: float | None = None
    latency_ms: float = 0.0


@dataclass(frozen=True, slots=True)
class PatternMatched(Event):
    """Watch pattern ``pattern`` matched ``[start, end)`` of the stream (character offsets).

    ``chunk_index`` is the chunk at which the match was decided (a regex match
    may need some lookahead; None when decided at close). ``text`` is the
    matched text, or None in redact mode or when it overlaps a blocked chunk.
    ``distance`` is the edit distance for token-sequence patterns (0 otherwise).
    """

    kind: ClassVar[str] = "pattern"
    pattern: str = ""
    pattern_kind: str = "literal"
    start: int = 0
    end: int = 0
    chunk_index: int | None = None
    text: str | None = None
    distance: int = 0


@dataclass(frozen=True, slots=True)
class IntentDetected(Event):
    """An intent or urgency rule fired; ``category`` is ``"intent"`` or ``"urgency"``."""

    kind: ClassVar[str] = "intent"
    category: str = "intent"
    label: str = ""
    rule: str = ""
    weight: float = 1.0
    start: int = 0
    end: int = 0
    chunk_index: int | None = None
    text: str | None = None


@dataclass(frozen=True, slots=True)
class MonitorChanged(Event):
    """LTL monitor ``monitor`` (its formula ``formula``) changed verdict from ``previous`` to ``verdict``.

    Verdicts are ``true`` | ``false`` | ``pending`` while the stream runs; at
    close the final LTLf verdict is ``true`` | ``false``. ``chunk_index`` is None at close.
    """

    kind: ClassVar[str] = "monitor"
    monitor: str = ""
    formula: str = ""
    previous: str = "pending"
    verdict: str = "pending"
    chunk_index: int | None = None


@dataclass(frozen=True, slots=True)
class StreamClosed(Event):
    """The stream ended: ``state`` is ``closed`` or ``interrupted``.

    ``emitted`` is the text still held back (redact mode) and released at close;
    ``metrics`` and ``monitors`` (name -> final verdict) summarise the stream.
    ``dropped_bytes`` counts bytes of an incomplete UTF-8 character at the end.
    """

    kind: ClassVar[str] = "stream_closed"
    state: str = "closed"
    reason: str = ""
    emitted: str | None = None
    metrics: dict[str, Any] = field(default_factory=dict)
    monitors: dict[str, str] = field(default_factory=dict)
    dropped_bytes: int = 0


@dataclass(frozen=True, slots=True)
class StoreFailed(Event):
    """The store failed to commit events ``first_seq``..``last_seq`` of this stream (``events`` of them).

    Those events were already published; they are not in the stored history
    (reads no longer return them), and the acknowledgements of the chunks among
    them failed with ``error``. Published only, never stored.
    """

    kind: ClassVar[str] = "store_failed"
    first_seq: int = 0
    last_seq: int = 0
    events: int = 0
    error: str = ""


def _fast_constructor(cls: type[Event]) -> Callable[..., Any]:
    """``cls(*fields)`` without the frozen dataclass ``__init__`` (about twice as fast).

    Sets the slots through their member descriptors; positional arguments in
    field order, no defaults. For the pipeline's hot path only.
    """
    names = [f.name for f in fields(cls)]
    env: dict[str, Any] = {"_new": object.__new__, "_cls": cls}
    body = ["    o = _new(_cls)"]
    for i, name in enumerate(names):
        env[f"_s{i}"] = getattr(cls, name).__set__
        body.append(f"    _s{i}(o, a{i})")
    args = ", ".join(f"a{i}" for i in range(len(names)))
    src = f"def make({args}):\n" + "\n".join(body) + "\n    return o\n"
    exec(src, env)  # generated from the dataclass's own field names
    make: Callable[..., Any] = env["make"]
    return make


#: ``make_chunk(seq, stream_id, ts, index, start, end, bytes, tokens, action, reason, blocked, score,
#: emitted, findings, gap_ms, latency_ms)`` -> :class:`ChunkProcessed` (all positional, for the hot path).
make_chunk: Callable[..., ChunkProcessed] = _fast_constructor(ChunkProcessed)
#: From how many events :func:`make_chunks` sets a field at a time (measured crossover: 32 to 64).
_COLUMNWISE_FROM = 48
_CHUNK_SETTERS = tuple(getattr(ChunkProcessed, f.name).__set__ for f in fields(ChunkProcessed))


def make_chunks(n: int, *columns: Iterable[Any]) -> list[ChunkProcessed]:
    """``n`` chunk events from ``columns`` (one per field, in :func:`make_chunk` order, each at least
    ``n`` long). From ``_COLUMNWISE_FROM`` events on, set a field at a time: each column goes into its
    field in one C-level pass, cheaper than ``n`` calls of :func:`make_chunk`; fewer are made a call
    each. For the pipeline's hot path only."""
    if len(columns) != len(_CHUNK_SETTERS):
        raise TypeError(f"make_chunks takes {len(_CHUNK_SETTERS)} columns, got {len(columns)}")
    if n < _COLUMNWISE_FROM:  # a pass per field costs more than a call per event for a few events
        return list(itertools.islice(map(make_chunk, *columns), n))
    events: list[ChunkProcessed] = list(map(object.__new__, itertools.repeat(ChunkProcessed, n)))
    for setter, column in zip(_CHUNK_SETTERS, columns, strict=True):
        deque(map(setter, events, column), maxlen=0)
    return events


#: Set the ``seq`` of a fresh, unpublished event (the pipeline numbers events once, before commit).
set_seq: Callable[[Event, int], None] = Event.seq.__set__  # type: ignore[misc,attr-defined]


EVENT_TYPES: dict[str, type[Event]] = {
    cls.kind: cls
    for cls in (
        StreamOpened,
        ChunkProcessed,
        PatternMatched,
        IntentDetected,
        MonitorChanged,
        StreamClosed,
        StoreFailed,
    )
}


def event_from_dict(data: dict[str, Any]) -> Event:
    """Rebuild an event from :meth:`Event.to_dict` output (unknown keys are ignored)."""
    cls = EVENT_TYPES.get(str(data.get("kind")))
    if cls is None:
        raise ValueError(f"unknown event kind {data.get('kind')!r}")
    names = {f.name for f in fields(cls)}
    kwargs = {k: v for k, v in data.items() if k in names}
    if cls is ChunkProcessed and "findings" in kwargs:
        kwargs["findings"] = tuple(kwargs["findings"])
    return cls(**kwargs)


# --------------------------------------------------------------------------- bus


class Subscription:
    """One subscriber's bounded buffer; also an (async) iterator over its events.

    ``dropped`` counts events discarded because the subscriber fell behind
    (the oldest go first). Events are delivered in publication order.
    """

    def __init__(
        self,
        bus: EventBus,
        stream_id: str | None,
        maxsize: int,
        target: Any = None,
        loop: asyncio.AbstractEventLoop | None = None,
        batches: bool = False,
    ) -> None:
        self.stream_id = stream_id
        self.maxsize = maxsize
        self.dropped = 0
        self.delivered = 0
        self.closed = False
        self._bus = bus
        self._buf: deque[Event] = deque(maxlen=maxsize)  # full: appending drops the oldest
        self._lock = threading.Lock()
        self._ready = threading.Event()
        self._target = target
        self._batches = batches  # a callable target takes lists of events
        self._loop = loop
        self._async_waiter: asyncio.Future[None] | None = None
        self._scheduled = False  # an asyncio wake-up/drain is already queued
        # Pulled with get()/drain() only: an offer just sets _ready (a get() clears it, under the
        # lock, before it waits), so a subscriber that only drains costs an offer no wake-up at all.
        self._pull = loop is None and target is None

    # ----------------------------------------------------------------- publisher side

    def _offer(self, events: list[Event]) -> bool:
        """Append (dropping the oldest beyond maxsize); True if the buffer was empty before."""
        with self._lock:
            if self.closed:
                return False
            buf = self._buf
            before = len(buf)
            was_empty = not before
            over = before + len(events) - self.maxsize
            if over > 0:
                self.dropped += over
            buf.extend(events)
            if self._pull:
                wake = False
            else:
                wake = was_empty and not self._scheduled
                if wake:
                    self._scheduled = True
        if wake:
            self._wake()
        elif self._pull and not self._ready.is_set():
            self._ready.set()  # after the append: a reader that cleared it, finding nothing, wakes up
        return was_empty

    def _wake(self) -> None:
        if not self._ready.is_set():
            self._ready.set()
        if self._loop is not None:
            try:
                self._loop.call_soon_threadsafe(self._on_loop)
            except RuntimeError:  # loop closed: nobody will read
                self.close()
        elif self._target is not None:
            self._bus._dispatch(self)
        else:
            with self._lock:
                self._scheduled = False

    def _on_loop(self) -> None:
        with self._lock:
            self._scheduled = False
        if isinstance(self._target, asyncio.Queue):
            self._move_to_asyncio_queue(self._target)
        waiter = self._async_waiter
        if waiter is not None and not waiter.done():
            waiter.set_result(None)

    def _move_to_asyncio_queue(self, q: asyncio.Queue[Event]) -> None:
        for ev in self.drain():
            try:
                q.put_nowait(ev)
            except asyncio.QueueFull:
                with self._lock:
                    self.dropped += 1

    def _deliver_callback(self) -> None:
        """Run by the bus dispatcher thread: hand buffered events to the callback/queue target."""
        with self._lock:
            self._scheduled = False
        target = self._target
        if self._batches:
            events = self.drain()
            if events and not self.closed:
                try:
                    target(events)
                except Exception:
                    logger.exception("event subscriber %r failed", target)
            return
        for ev in self.drain():
            if self.closed:
                return
            try:
                if isinstance(target, queue.Queue):
                    target.put_nowait(ev)
                else:
                    target(ev)
            except queue.Full:
                with self._lock:
                    self.dropped += 1
            except Exception:
                logger.exception("event subscriber %r failed", target)

    # ----------------------------------------------------------------- subscriber side

    def drain(self, max_events: int | None = None) -> list[Event]:
        """Take buffered events without waiting (all of them, or at most ``max_events``)."""
        buf = self._buf
        if not buf:
            return []  # nothing to take: no lock (a poller of many idle subscriptions stays cheap)
        with self._lock:
            if max_events is None or max_events >= len(buf):
                out = list(buf)
                buf.clear()
            else:
                out = [buf.popleft() for _ in range(max_events)]
            self.delivered += len(out)
        return out

    def get(self, timeout: float | None = None) -> Event | None:
        """Next event, waiting up to ``timeout`` seconds (None: forever); None on time-out or close."""
        while True:
            with self._lock:
                if self._buf:
                    ev = self._buf.popleft()
                    self.delivered += 1
                    return ev
                if self.closed:
                    return None
                # Cleared only here, with nothing buffered and under the lock: an offer appends under
                # the lock and sets it after, so a stale set (its events already taken) costs one
                # more turn of this loop, never a busy loop.
                self._ready.clear()
            if not self._ready.wait(timeout):
                return None

    async def aget(self) -> Event | None:
        """Next event, awaiting it on the subscription's event loop; None once closed."""
        while True:
            with self._lock:
                if self._buf:
                    ev = self._buf.popleft()
                    self.delivered += 1
                    return ev
                if self.closed:
                    return None
                loop = self._loop or asyncio.get_running_loop()
                self._loop = loop
                self._pull = False  # offers now wake this loop
                waiter = loop.create_future()
                self._async_waiter = waiter
            try:
                await waiter
            finally:
                self._async_waiter = None

    def __aiter__(self) -> AsyncIterator[Event]:
        return self._aiter()

    async def _aiter(self) -> AsyncIterator[Event]:
        while True:
            ev = await self.aget()
            if ev is None:
                return
            yield ev

    def pending(self) -> int:
        """Events buffered and not yet taken."""
        return len(self._buf)

    def close(self) -> None:
        """Unsubscribe; buffered events can still be drained."""
        if self.closed:
            return
        with self._lock:  # get() checks closed and clears _ready under the lock: set() below wakes it
            self.closed = True
        self._bus._remove(self)
        self._ready.set()
        loop, waiter = self._loop, self._async_waiter
        if loop is not None and waiter is not None:
            with contextlib.suppress(RuntimeError):
                loop.call_soon_threadsafe(_resolve, waiter)

    unsubscribe = close

    def __enter__(self) -> Subscription:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _resolve(fut: asyncio.Future[None]) -> None:
    if not fut.done():
        fut.set_result(None)


class EventBus:
    """In-process fan-out of events to subscribers; ``publish`` never blocks on a subscriber.

    ``subscribe(target=None, stream_id=None)`` returns a :class:`Subscription`
    (call ``.close()`` to unsubscribe). ``target`` may be:

    - ``None``: pull events from the subscription (``get``, ``drain``, ``async for``);
    - an ``asyncio.Queue``: events are moved into it on its event loop (subscribe
      from inside that loop); a full queue drops and counts;
    - a ``queue.Queue`` or a callable: fed by one bus dispatcher thread, so a
      callback must be quick; a slow one only loses its own (counted) events.
      With ``batches=True`` a callable gets lists of events (all that arrived
      since its last call), for a subscriber whose cost is per call, not per event.

    ``stream_id`` restricts the subscription to one stream. ``maxsize`` bounds
    the per-subscriber buffer.
    """

    def __init__(self, default_maxsize: int = 10_000, max_subscribers: int = 10_000) -> None:
        self.default_maxsize = default_maxsize
        self.max_subscribers = max_subscribers
        self._lock = threading.Lock()
        self._all: tuple[Subscription, ...] = ()
        self._by_stream: dict[str, tuple[Subscription, ...]] = {}
        self._dispatch_q: deque[Subscription] = deque()
        self._dispatch_cv = threading.Condition(threading.Lock())
        self._dispatcher: threading.Thread | None = None
        self.published = 0

    def subscribe(
        self,
        target: Callable[[Event], Any] | queue.Queue[Event] | asyncio.Queue[Event] | None = None,
        stream_id: str | None = None,
        *,
        maxsize: int | None = None,
        batches: bool = False,
    ) -> Subscription:
        """Subscribe to all events, or to one stream's; see the class docstring."""
        if maxsize is not None and maxsize < 1:
            raise ValueError("maxsize must be at least 1")
        if batches and not (callable(target) and not isinstance(target, (queue.Queue, asyncio.Queue))):
            raise ValueError("batches=True needs a callable target")
        loop: asyncio.AbstractEventLoop | None = None
        if isinstance(target, asyncio.Queue) or target is None:
            try:
                loop = asyncio.get_running_loop()
            except RuntimeError:
                if target is not None:
                    raise ValueError("subscribe with an asyncio.Queue from inside its event loop") from None
        elif not (isinstance(target, queue.Queue) or callable(target)):
            raise TypeError("target must be None, a callable, a queue.Queue or an asyncio.Queue")
        sub = Subscription(self, stream_id, maxsize or self.default_maxsize, target, loop, batches)
        with self._lock:
            if self.subscriber_count() >= self.max_subscribers:
                raise RuntimeError(f"too many subscribers (limit {self.max_subscribers})")
            if stream_id is None:
                self._all = (*self._all, sub)
            else:
                self._by_stream[stream_id] = (*self._by_stream.get(stream_id, ()), sub)
        return sub

    def subscriber_count(self) -> int:
        """Live subscriptions."""
        return len(self._all) + sum(len(v) for v in self._by_stream.values())

    def _remove(self, sub: Subscription) -> None:
        with self._lock:
            if sub.stream_id is None:
                self._all = tuple(s for s in self._all if s is not sub)
            else:
                rest = tuple(s for s in self._by_stream.get(sub.stream_id, ()) if s is not sub)
                if rest:
                    self._by_stream[sub.stream_id] = rest
                else:
                    self._by_stream.pop(sub.stream_id, None)

    def publish(self, event: Event) -> None:
        """Deliver one event to every matching subscriber (never blocks on them)."""
        self.publish_many((event,))

    def publish_many(self, events: Iterable[Event], *, stream_id: str | None = None) -> None:
        """Deliver events in order; cheaper per event than :meth:`publish`.

        ``stream_id``, when given, promises that every event belongs to that stream.
        """
        evs = events if isinstance(events, list) else list(events)
        if not evs:
            return
        self.published += len(evs)
        for sub in self._all:
            sub._offer(evs)
        by_stream = self._by_stream
        if not by_stream:
            return
        if stream_id is not None:
            for sub in by_stream.get(stream_id, ()):
                sub._offer(evs)
            return
        groups: dict[str, list[Event]] = {}
        for ev in evs:
            if ev.stream_id in by_stream:
                groups.setdefault(ev.stream_id, []).append(ev)
        for sid, group in groups.items():
            for sub in by_stream.get(sid, ()):
                sub._offer(group)

    # ----------------------------------------------------------------- dispatcher thread

    def _dispatch(self, sub: Subscription) -> None:
        with self._dispatch_cv:
            self._dispatch_q.append(sub)
            if self._dispatcher is None:
                self._dispatcher = threading.Thread(
                    target=self._dispatch_loop, name="midstream-bus", daemon=True
                )
                self._dispatcher.start()
            self._dispatch_cv.notify()

    def _dispatch_loop(self) -> None:
        while True:
            with self._dispatch_cv:
                while not self._dispatch_q:
                    self._dispatch_cv.wait()
                sub = self._dispatch_q.popleft()
            sub._deliver_callback()
