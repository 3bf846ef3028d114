"""Coalesced ``resources/updated`` notifications, so a fast stream never floods a slow client.

Producers call :meth:`CoalescingNotifier.touch` (from any thread, without
waiting) each time a resource changes; a single task on the event loop sends
at most ``max_per_second`` notifications per URI, the last change always
included. Ingest never waits on a subscriber: touching is a set insertion.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from collections.abc import Awaitable, Callable

logger = logging.getLogger(__name__)


class CoalescingNotifier:
    """Rate-limits change notifications per URI; thread-safe :meth:`touch`, one sender task."""

    def __init__(
        self,
        publish: Callable[[str], Awaitable[None]],
        *,
        max_per_second: float = 10.0,
        send_timeout_s: float = 5.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if max_per_second <= 0:
            raise ValueError("max_per_second must be positive")
        self._publish = publish
        self._interval = 1.0 / max_per_second
        self._send_timeout = send_timeout_s
        self._clock = clock
        self._lock = threading.Lock()
        self._dirty: set[str] = set()
        self._last_sent: dict[str, float] = {}
        self._wake: asyncio.Event | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._task: asyncio.Task[None] | None = None
        self.sent = 0
        self.coalesced = 0

    def start(self) -> None:
        """Start the sender task on the running loop (idempotent)."""
        if self._task is not None and not self._task.done():
            return
        self._loop = asyncio.get_running_loop()
        self._wake = asyncio.Event()
        self._task = self._loop.create_task(self._run(), name="midstream-notifier")

    async def stop(self) -> None:
        """Cancel the sender task; pending changes are dropped."""
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            await asyncio.wait({task}, timeout=2.0)

    def touch(self, uri: str) -> None:
        """Mark ``uri`` changed. Never blocks; safe from worker threads."""
        with self._lock:
            if uri in self._dirty:
                self.coalesced += 1
                return
            was_idle = not self._dirty
            self._dirty.add(uri)
        if was_idle and self._loop is not None and self._wake is not None:
            try:
                if _in_loop(self._loop):
                    self._wake.set()
                else:
                    self._loop.call_soon_threadsafe(self._wake.set)
            except RuntimeError:  # the loop closed under us: nothing left to notify
                pass

    async def _run(self) -> None:
        assert self._wake is not None
        while True:
            await self._wake.wait()
            self._wake.clear()
            while True:
                now = self._clock()
                due: list[str] = []
                wait = None
                with self._lock:
                    for uri in list(self._dirty):
                        ready_at = self._last_sent.get(uri, -1e18) + self._interval
                        if ready_at <= now:
                            due.append(uri)
                            self._dirty.discard(uri)
                        else:
                            wait = ready_at - now if wait is None else min(wait, ready_at - now)
                for uri in due:
                    self._last_sent[uri] = now
                    await self._send(uri)
                if wait is None:
                    break
                # asyncio.timeout, not wait_for: on Python 3.11 wait_for can swallow a
                # cancellation that races with its inner future, and stop() would wait forever.
                try:
                    async with asyncio.timeout(wait):
                        await self._wake.wait()
                    self._wake.clear()
                except TimeoutError:
                    pass
            if len(self._last_sent) > 10_000:  # forget URIs not touched for a while
                horizon = self._clock() - 60.0
                self._last_sent = {u: t for u, t in self._last_sent.items() if t > horizon}

    async def _send(self, uri: str) -> None:
        try:
            async with asyncio.timeout(self._send_timeout):
                await self._publish(uri)
            self.sent += 1
        except Exception:  # a broken or slow subscriber must not stop the others
            logger.debug("notification for %s failed", uri, exc_info=True)


def _in_loop(loop: asyncio.AbstractEventLoop) -> bool:
    try:
        return asyncio.get_running_loop() is loop
    except RuntimeError:
        return False
