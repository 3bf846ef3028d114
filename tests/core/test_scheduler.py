"""The scheduler: ordering, aging, admission control, cancellation, failures, time limits, stats."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator

import numpy as np
import pytest

from midstream_mcp.core.analytics import compare
from midstream_mcp.core.scheduler import (
    AdmissionRejected,
    JobCancelled,
    JobContext,
    JobState,
    Priority,
    Scheduler,
    SchedulerClosed,
)


@pytest.fixture
def scheduler() -> Iterator[Scheduler]:
    s = Scheduler(workers=1, aging_s=60.0)
    try:
        yield s
    finally:
        s.shutdown()


def blocker(s: Scheduler) -> tuple[threading.Event, threading.Event]:
    """Occupy the single worker until released, so queued jobs pile up."""
    started, release = threading.Event(), threading.Event()

    def hold(ctx: JobContext) -> None:
        started.set()
        release.wait(10)

    s.submit(hold, name="blocker", priority=Priority.CRITICAL)
    assert started.wait(5)
    return started, release


def test_priority_then_deadline_then_fifo(scheduler: Scheduler) -> None:
    _, release = blocker(scheduler)
    order: list[str] = []

    def record(tag: str):
        return lambda ctx: order.append(tag)

    jobs = [
        scheduler.submit(record("low"), priority="low"),
        scheduler.submit(record("normal-1"), priority="normal"),
        scheduler.submit(record("high-late"), priority="high", deadline_s=50.0),
        scheduler.submit(record("normal-2"), priority="normal"),
        scheduler.submit(record("high-early"), priority="high", deadline_s=10.0),
        scheduler.submit(record("high-none"), priority="high"),
        scheduler.submit(record("critical"), priority="critical"),
        scheduler.submit(record("background"), priority="background"),
    ]
    release.set()
    for job in jobs:
        assert job.wait(5)
    assert order == [
        "critical",
        "high-early",
        "high-late",
        "high-none",
        "normal-1",
        "normal-2",
        "low",
        "background",
    ]


def test_aging_prevents_starvation() -> None:
    s = Scheduler(workers=1, aging_s=0.05)
    try:
        done: list[str] = []
        low = s.submit(lambda ctx: done.append("low"), priority="background")
        stop = threading.Event()

        def flood() -> None:
            while not stop.is_set():
                try:
                    s.submit(lambda ctx: time.sleep(0.002), priority="high")
                except SchedulerClosed:
                    return
                time.sleep(0.001)

        flooder = threading.Thread(target=flood)
        flooder.start()
        try:
            assert low.wait(10), "a background job starved under a flood of high-priority work"
        finally:
            stop.set()
            flooder.join()
        assert low.state is JobState.SUCCEEDED
    finally:
        s.shutdown()


def test_admission_control(scheduler: Scheduler) -> None:
    _, release = blocker(scheduler)
    # 5 queued jobs of ~0.2 s each are ahead: a 0.3 s deadline is impossible ...
    for _ in range(5):
        scheduler.submit(lambda ctx: None, name="slow", priority="high", estimate_s=0.2)
    with pytest.raises(AdmissionRejected, match="cannot be met"):
        scheduler.submit(lambda ctx: None, name="x", priority="normal", deadline_s=0.3, estimate_s=0.01)
    # ... but a critical job jumps the queue, and a generous deadline is fine.
    ok1 = scheduler.submit(lambda ctx: 1, priority="critical", deadline_s=0.3, estimate_s=0.01)
    ok2 = scheduler.submit(lambda ctx: 2, priority="normal", deadline_s=30.0, estimate_s=0.01)
    assert scheduler.stats().rejected == 1
    release.set()
    assert ok1.wait(5) and ok2.wait(5)
    assert (ok1.result, ok2.result) == (1, 2)


def test_admission_learns_estimates_from_history(scheduler: Scheduler) -> None:
    for _ in range(3):
        scheduler.submit(lambda ctx: time.sleep(0.05), name="sleepy").wait(5)
    assert scheduler.estimate("sleepy") == pytest.approx(0.05, rel=0.5)
    with pytest.raises(AdmissionRejected):
        scheduler.submit(lambda ctx: time.sleep(0.05), name="sleepy", deadline_s=0.01)


def test_queue_limit() -> None:
    s = Scheduler(workers=1, max_queued=2)
    try:
        _, release = blocker(s)
        s.submit(lambda ctx: None)
        s.submit(lambda ctx: None)
        with pytest.raises(AdmissionRejected, match="queue is full"):
            s.submit(lambda ctx: None)
        release.set()
    finally:
        s.shutdown()


def chunked_dtw_matrix(ctx: JobContext, series: np.ndarray, chunk: int = 8) -> int:
    """A long DTW computation run in chunks, checking for cancellation between them."""
    rows = 0
    for start in range(0, len(series), chunk):
        ctx.check()
        # One query against the next 200 series: a few ms of kernel time per chunk.
        compare.dtw_one_to_many(
            series[start], series[start + 1 : start + 201] if start + 1 < len(series) else series[:1]
        )
        rows += 1
        ctx.progress(start, len(series))
    return rows


def test_cancelling_a_running_kernel_stops_it_quickly(scheduler: Scheduler) -> None:
    series = np.random.default_rng(0).normal(size=(4000, 256))
    compare.dtw_one_to_many(series[0], series[1:3])  # compiled before timing
    job = scheduler.submit(lambda ctx: chunked_dtw_matrix(ctx, series, chunk=1), name="dtw")
    deadline = time.monotonic() + 5
    while job.progress is None and time.monotonic() < deadline:
        time.sleep(0.005)
    assert job.state is JobState.RUNNING
    cancelled_at = time.monotonic()
    assert scheduler.cancel(job.id)
    assert job.wait(5)
    stopped_after = job.finished_at - cancelled_at  # type: ignore[operator]
    assert job.state is JobState.CANCELLED
    # Cooperative cancellation: the job stops at the next chunk boundary.
    assert stopped_after < 0.1, f"took {stopped_after * 1e3:.0f} ms to stop"


def test_cancelling_a_queued_job(scheduler: Scheduler) -> None:
    _, release = blocker(scheduler)
    ran = threading.Event()
    job = scheduler.submit(lambda ctx: ran.set())
    assert scheduler.cancel(job.id)
    assert job.state is JobState.CANCELLED
    assert not scheduler.cancel(job.id)
    release.set()
    follow = scheduler.submit(lambda ctx: "after")
    assert follow.wait(5) and follow.result == "after"
    assert not ran.is_set()


def test_failing_job_reports_and_worker_survives(scheduler: Scheduler) -> None:
    def boom(ctx: JobContext) -> None:
        raise ZeroDivisionError("division by zero")

    bad = scheduler.submit(boom)
    assert bad.wait(5)
    assert bad.state is JobState.FAILED and bad.error == "ZeroDivisionError: division by zero"
    good = scheduler.submit(lambda ctx: 42)
    assert good.wait(5) and good.result == 42
    assert scheduler.stats().failed == 1


def test_time_limit(scheduler: Scheduler) -> None:
    def forever(ctx: JobContext) -> None:
        while True:
            ctx.check()
            time.sleep(0.001)

    job = scheduler.submit(forever, timeout_s=0.05)
    assert job.wait(5)
    assert job.state is JobState.TIMED_OUT


def test_progress_listener_and_deadline_accounting(scheduler: Scheduler) -> None:
    seen: list[tuple[float, float | None, str | None]] = []

    def work(ctx: JobContext) -> str:
        for i in range(3):
            ctx.progress(i + 1, 3, f"step {i + 1}")
        return "ok"

    job = scheduler.submit(work, deadline_s=5.0)
    job.on_progress(lambda j: seen.append(j.progress))  # type: ignore[arg-type]
    assert job.wait(5)
    assert job.met_deadline is True
    stats = scheduler.stats()
    assert stats.deadline_hits == 1 and stats.deadline_misses == 0
    assert stats.classes["normal"].run.count == 1


def test_two_workers_run_kernels_in_parallel() -> None:
    s = Scheduler(workers=2)
    try:
        inside = threading.Barrier(2, timeout=5)

        def meet(ctx: JobContext) -> bool:
            inside.wait()  # both jobs must be running at once to pass
            return True

        jobs = [s.submit(meet) for _ in range(2)]
        assert all(j.wait(5) and j.result for j in jobs)
    finally:
        s.shutdown()


def test_shutdown_cancels_queued_jobs_and_refuses_new_ones() -> None:
    s = Scheduler(workers=1)
    _, release = blocker(s)
    queued = s.submit(lambda ctx: None)
    s.shutdown(wait=False)
    release.set()
    assert queued.state is JobState.CANCELLED
    with pytest.raises(SchedulerClosed):
        s.submit(lambda ctx: None)


def test_job_cancelled_exception_inside_job_counts_as_cancel(scheduler: Scheduler) -> None:
    def quits(ctx: JobContext) -> None:
        raise JobCancelled("gave up")

    job = scheduler.submit(quits)
    assert job.wait(5) and job.state is JobState.CANCELLED
