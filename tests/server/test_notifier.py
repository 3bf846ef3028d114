"""Coalesced notifications: bounded rate per URI, the last change always sent, no blocking."""

from __future__ import annotations

import asyncio
import threading

import pytest

from midstream_mcp.server.resources.notifier import CoalescingNotifier


def test_a_burst_is_coalesced_and_the_last_change_is_sent() -> None:
    sent: list[str] = []

    async def publish(uri: str) -> None:
        sent.append(uri)

    async def main() -> CoalescingNotifier:
        n = CoalescingNotifier(publish, max_per_second=5)
        n.start()
        for _ in range(500):
            n.touch("midstream://streams/a")
            await asyncio.sleep(0)
        n.touch("midstream://streams/b")
        await asyncio.sleep(0.6)  # > one interval: the trailing change goes out
        await n.stop()
        return n

    n = asyncio.run(main())
    assert 2 <= sent.count("midstream://streams/a") <= 3  # the first at once, the rest coalesced
    assert sent.count("midstream://streams/b") == 1
    assert n.coalesced > 400


def test_touch_from_worker_threads_wakes_the_sender() -> None:
    sent: list[str] = []

    async def publish(uri: str) -> None:
        sent.append(uri)

    async def main() -> None:
        n = CoalescingNotifier(publish, max_per_second=100)
        n.start()
        threads = [threading.Thread(target=n.touch, args=(f"u{i}",)) for i in range(20)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        for _ in range(100):
            if len(sent) == 20:
                break
            await asyncio.sleep(0.01)
        await n.stop()

    asyncio.run(main())
    assert sorted(sent) == sorted(f"u{i}" for i in range(20))


def test_a_failing_or_slow_subscriber_does_not_stop_the_others() -> None:
    sent: list[str] = []

    async def publish(uri: str) -> None:
        if uri == "bad":
            raise RuntimeError("connection closed")
        if uri == "slow":
            await asyncio.sleep(10)
        sent.append(uri)

    async def main() -> None:
        n = CoalescingNotifier(publish, max_per_second=100, send_timeout_s=0.05)
        n.start()
        for uri in ("bad", "slow", "good"):
            n.touch(uri)
        for _ in range(100):
            if sent:
                break
            await asyncio.sleep(0.01)
        await n.stop()

    asyncio.run(main())
    assert sent == ["good"]


def test_rate_must_be_positive() -> None:
    async def publish(uri: str) -> None:
        return None

    with pytest.raises(ValueError, match="positive"):
        CoalescingNotifier(publish, max_per_second=0)
