"""Typed events and the non-blocking event bus."""

from __future__ import annotations

import asyncio
import queue
import threading
import time

import pytest

from midstream_mcp.core.events import (
    ChunkProcessed,
    Event,
    EventBus,
    MonitorChanged,
    PatternMatched,
    StoreFailed,
    StreamClosed,
    event_from_dict,
)


def _chunk(seq: int, sid: str = "s") -> ChunkProcessed:
    return ChunkProcessed(seq, sid, 1.0, index=seq, emitted="x", findings=({"category": "email"},))


def test_to_dict_round_trip() -> None:
    evs: list[Event] = [
        _chunk(3),
        PatternMatched(4, "s", 2.0, pattern="p", start=1, end=3, chunk_index=0, text="ab"),
        MonitorChanged(5, "s", 2.0, monitor="m", formula="G !x", previous="pending", verdict="false"),
        StreamClosed(6, "s", 3.0, state="interrupted", metrics={"chunks": 1}, monitors={"m": "false"}),
        StoreFailed(9, "s", 3.5, first_seq=7, last_seq=8, events=2, error="store write failed: disk full"),
    ]
    for ev in evs:
        d = ev.to_dict()
        assert d["kind"] == ev.kind and d["seq"] == ev.seq and d["stream_id"] == "s"
        assert event_from_dict(d) == ev
    assert _chunk(1).to_dict()["findings"] == [{"category": "email"}]


def test_pull_subscription_filters_by_stream_and_unsubscribes() -> None:
    bus = EventBus()
    every = bus.subscribe()
    only_a = bus.subscribe(stream_id="a")
    bus.publish_many([_chunk(1, "a"), _chunk(2, "b"), _chunk(3, "a")])
    assert [e.seq for e in every.drain()] == [1, 2, 3]
    assert [e.seq for e in only_a.drain()] == [1, 3]
    only_a.close()
    bus.publish(_chunk(4, "a"))
    assert only_a.drain() == [] and bus.subscriber_count() == 1
    got = every.get(timeout=1)
    assert got is not None and got.seq == 4
    assert every.get(timeout=0.01) is None


def test_slow_subscriber_never_blocks_publish_and_sees_drops() -> None:
    bus = EventBus()
    release = threading.Event()
    seen: list[int] = []

    def slow(ev: Event) -> None:
        release.wait(5)
        seen.append(ev.seq)

    sub = bus.subscribe(slow, maxsize=100)
    fast = bus.subscribe(queue.Queue(maxsize=10))
    t0 = time.perf_counter()
    for i in range(1, 20_001):
        bus.publish(_chunk(i))
    elapsed = time.perf_counter() - t0
    assert elapsed < 2.0  # tens of microseconds per event at worst, never a wait on the subscriber
    release.set()
    deadline = time.monotonic() + 5
    while sub.pending() and time.monotonic() < deadline:
        time.sleep(0.01)
    time.sleep(0.05)
    assert sub.dropped >= 19_000 and 1 <= len(seen) <= 2 * 100 + 1  # the buffer plus one batch in hand
    assert seen[-1] == 20_000  # the newest events are kept, the oldest dropped
    assert fast.dropped > 0


def test_failing_callback_does_not_stop_the_bus() -> None:
    bus = EventBus()
    got: list[int] = []

    def bad(ev: Event) -> None:
        raise RuntimeError("subscriber bug")

    bus.subscribe(bad)
    bus.subscribe(lambda ev: got.append(ev.seq))
    bus.publish_many([_chunk(1), _chunk(2)])
    deadline = time.monotonic() + 2
    while len(got) < 2 and time.monotonic() < deadline:
        time.sleep(0.01)
    assert got == [1, 2]


def test_async_subscription_and_asyncio_queue() -> None:
    async def main() -> None:
        bus = EventBus()
        sub = bus.subscribe(stream_id="s")
        q: asyncio.Queue[Event] = asyncio.Queue()
        bus.subscribe(q)

        def producer() -> None:
            for i in range(1, 6):
                bus.publish(_chunk(i))
                time.sleep(0.001)

        threading.Thread(target=producer).start()
        got = []
        async for ev in sub:
            got.append(ev.seq)
            if len(got) == 5:
                sub.close()
        assert got == [1, 2, 3, 4, 5]
        from_q = [(await asyncio.wait_for(q.get(), 2)).seq for _ in range(5)]
        assert from_q == [1, 2, 3, 4, 5]

    asyncio.run(main())


def test_fan_out_to_many_subscribers_is_cheap() -> None:
    bus = EventBus()
    subs = [bus.subscribe(maxsize=1000) for _ in range(100)]
    batch = [_chunk(i) for i in range(256)]
    t0 = time.perf_counter()
    for _ in range(100):
        bus.publish_many(batch)
    per_event_us = (time.perf_counter() - t0) / (100 * 256) * 1e6
    assert per_event_us < 50
    assert all(s.dropped == 100 * 256 - 1000 for s in subs)


def test_a_batch_subscriber_gets_lists_of_everything_published_since_its_last_call() -> None:
    bus = EventBus()
    got: list[list[Event]] = []
    done = threading.Event()

    def on_events(events: list[Event]) -> None:
        got.append(events)
        if sum(map(len, got)) == 5:
            done.set()

    bus.subscribe(on_events, batches=True)
    bus.publish_many([_chunk(1), _chunk(2), _chunk(3)])
    bus.publish_many([_chunk(4), _chunk(5, "t")])
    assert done.wait(5)
    assert [e.seq for batch in got for e in batch] == [1, 2, 3, 4, 5]
    assert all(isinstance(batch, list) and batch for batch in got)
    with pytest.raises(ValueError, match="callable"):
        bus.subscribe(queue.Queue(), batches=True)


class _CountingEvent(threading.Event):
    """A threading.Event that counts its waits (to tell one wait from a busy loop)."""

    def __init__(self) -> None:
        super().__init__()
        self.waits = 0

    def wait(self, timeout: float | None = None) -> bool:
        self.waits += 1
        return super().wait(timeout)


def test_pull_get_waits_instead_of_spinning_on_a_wakeup_whose_events_were_drained() -> None:
    bus = EventBus()
    sub = bus.subscribe()
    sub._ready = ready = _CountingEvent()
    bus.publish(_chunk(1))
    assert [e.seq for e in sub.drain()] == [1]  # taken by drain: the wake-up it left is stale
    assert sub.drain() == []
    assert sub.get(timeout=0.05) is None  # nothing there: it waited, once, and timed out
    assert ready.waits == 1
    got: list[Event | None] = []
    reader = threading.Thread(target=lambda: got.append(sub.get(timeout=10)))
    reader.start()
    bus.publish(_chunk(2))
    reader.join(10)
    assert [e.seq for e in got if e is not None] == [2]


def test_close_wakes_a_pull_reader_and_a_pull_subscription_can_be_awaited() -> None:
    bus = EventBus()
    sub = bus.subscribe()
    got: list[Event | None] = [_chunk(0)]
    reader = threading.Thread(target=lambda: got.append(sub.get()))
    reader.start()
    sub.close()  # before or while the reader waits: either way it returns None
    reader.join(10)
    assert not reader.is_alive() and got[-1] is None

    pulled = bus.subscribe()  # made outside any loop, then awaited: offers must wake the loop
    bus.publish(_chunk(1))
    assert [e.seq for e in pulled.drain()] == [1]

    async def main() -> Event | None:
        task = asyncio.ensure_future(pulled.aget())
        await asyncio.sleep(0)
        threading.Thread(target=bus.publish, args=(_chunk(2),)).start()
        return await asyncio.wait_for(task, 10)

    ev = asyncio.run(main())
    assert ev is not None and ev.seq == 2


def test_make_chunks_builds_what_make_chunk_builds() -> None:
    from midstream_mcp.core.events import make_chunk, make_chunks

    rows = [
        (i, "s", 1.5, i, 2 * i, 2 * i + 2, 2, 1, "allow", "ok", i == 1, 0.5 * i, None if i == 1 else "ab",
         ({"category": "email"},) if i == 2 else (), None if i == 0 else 1.0, 0.25)
        for i in range(3)
    ]  # fmt: skip
    built = make_chunks(3, *zip(*rows, strict=True))
    assert built == [make_chunk(*row) for row in rows]
    many = [(i, *row[1:]) for i in range(60) for row in rows[:1]]  # past the column-wise threshold
    assert make_chunks(60, *zip(*many, strict=True)) == [make_chunk(*row) for row in many]
    assert all(type(e) is ChunkProcessed for e in built) and built[1].blocked and built[1].emitted is None
    with pytest.raises(TypeError):
        make_chunks(1, [1])
