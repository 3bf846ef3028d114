"""A priority + deadline scheduler that runs analysis jobs on worker threads.

Jobs are ordered by priority class, then earliest deadline first (EDF) inside
a class (Liu & Layland 1973), then submission order. A job that has waited
``aging_s`` seconds counts one class more urgent for every such period, so low
priority work never starves under a flood of high-priority work. Jobs with a
deadline pass admission control: one whose deadline cannot be met, given the
work queued ahead of it and an estimate of its own cost, is rejected at
submission with the reason.

Workers are threads: numba kernels release the GIL, so two cores give two
jobs' worth of throughput. Cancellation is cooperative: a running job sees it
through :meth:`JobContext.check` (or ``cancelled``) between chunks of work.
"""

from __future__ import annotations

import heapq
import itertools
import logging
import math
import threading
import time
from collections import deque
from collections.abc import Callable
from contextvars import ContextVar
from dataclasses import dataclass, field
from enum import IntEnum, StrEnum
from typing import Any, Generic, TypeVar

logger = logging.getLogger(__name__)

T = TypeVar("T")

_current: ContextVar[JobContext | None] = ContextVar("midstream_current_job", default=None)


def current_job() -> JobContext | None:
    """The job running on this thread, if any: lets long computations deep in a call
    stack check for cancellation and report progress without threading a context through."""
    return _current.get()


class Priority(IntEnum):
    """Priority classes, most urgent first."""

    CRITICAL = 0
    HIGH = 1
    NORMAL = 2
    LOW = 3
    BACKGROUND = 4

    @classmethod
    def parse(cls, value: str | int | Priority) -> Priority:
        """Accept a name (``"high"``) or a number (1)."""
        if isinstance(value, str):
            try:
                return cls[value.upper()]
            except KeyError:
                names = ", ".join(p.name.lower() for p in cls)
                raise ValueError(f"unknown priority {value!r}; use one of {names}") from None
        return cls(value)


class JobState(StrEnum):
    """Life cycle of a job."""

    QUEUED = "queued"
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    CANCELLED = "cancelled"
    TIMED_OUT = "timed_out"

    @property
    def finished(self) -> bool:
        return self not in (JobState.QUEUED, JobState.RUNNING)


class JobCancelled(Exception):
    """Raised inside a job by :meth:`JobContext.check` once it is cancelled."""


class AdmissionRejected(Exception):
    """A job was refused at submission; ``reason`` says why."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class SchedulerClosed(RuntimeError):
    """The scheduler is shutting down and takes no more jobs."""


@dataclass
class JobContext:
    """What a running job sees: cancellation and progress reporting."""

    job: Job[Any]

    @property
    def cancelled(self) -> bool:
        return self.job._cancel.is_set()

    def check(self) -> None:
        """Raise :class:`JobCancelled` if the job was cancelled or ran out of time."""
        if self.job._cancel.is_set():
            raise JobCancelled(self.job.cancel_reason or "cancelled")

    def progress(self, done: float, total: float | None = None, message: str | None = None) -> None:
        """Report progress; listeners are called on this (worker) thread."""
        self.job.progress = (done, total, message)
        for listener in list(self.job._progress_listeners):
            try:
                listener(self.job)
            except Exception:  # a broken listener must not fail the job
                logger.exception("progress listener of job %s failed", self.job.id)


@dataclass(eq=False)
class Job(Generic[T]):
    """One unit of work and everything known about it."""

    id: str
    name: str
    priority: Priority
    fn: Callable[[JobContext], T]
    submitted_at: float
    deadline: float | None = None
    timeout_s: float | None = None
    estimate_s: float = 0.0
    state: JobState = JobState.QUEUED
    started_at: float | None = None
    finished_at: float | None = None
    result: T | None = None
    error: str | None = None
    cancel_reason: str | None = None
    progress: tuple[float, float | None, str | None] | None = None
    meta: dict[str, Any] = field(default_factory=dict)
    _cancel: threading.Event = field(default_factory=threading.Event, repr=False)
    _done: threading.Event = field(default_factory=threading.Event, repr=False)
    _progress_listeners: list[Callable[[Job[Any]], None]] = field(default_factory=list, repr=False)
    _done_listeners: list[Callable[[Job[Any]], None]] = field(default_factory=list, repr=False)

    def wait(self, timeout: float | None = None) -> bool:
        """Block until the job finished; False on time-out."""
        return self._done.wait(timeout)

    @property
    def met_deadline(self) -> bool | None:
        """None without a deadline or before the end; else whether it finished in time."""
        if self.deadline is None or self.finished_at is None:
            return None
        return self.state is JobState.SUCCEEDED and self.finished_at <= self.deadline

    def on_progress(self, listener: Callable[[Job[Any]], None]) -> None:
        self._progress_listeners.append(listener)

    def on_done(self, listener: Callable[[Job[Any]], None]) -> None:
        """Call ``listener(job)`` when the job finishes (at once if it already has)."""
        self._done_listeners.append(listener)
        if self._done.is_set():
            listener(self)


@dataclass(frozen=True)
class Percentiles:
    """p50/p95/p99 in seconds over a recent window, and the sample count."""

    p50: float
    p95: float
    p99: float
    count: int


@dataclass(frozen=True)
class ClassStats:
    """Statistics of one priority class."""

    queued: int
    running: int
    wait: Percentiles
    run: Percentiles


@dataclass(frozen=True)
class SchedulerStats:
    """A snapshot of the scheduler's counters."""

    workers: int
    queued: int
    running: int
    submitted: int
    completed: int
    failed: int
    cancelled: int
    timed_out: int
    rejected: int
    deadline_hits: int
    deadline_misses: int
    utilisation: float
    classes: dict[str, ClassStats]


def _percentiles(samples: deque[float]) -> Percentiles:
    if not samples:
        return Percentiles(0.0, 0.0, 0.0, 0)
    ordered = sorted(samples)
    n = len(ordered)

    def pick(q: float) -> float:
        return ordered[min(n - 1, max(0, math.ceil(q * n) - 1))]

    return Percentiles(pick(0.50), pick(0.95), pick(0.99), n)


class Scheduler:
    """Priority classes, EDF within a class, admission control, aging, worker threads.

    Parameters
    ----------
    workers : int
        Worker threads; numba kernels release the GIL, so one per core.
    aging_s : float
        Waiting this long promotes a queued job by one class (repeatedly).
    max_queued : int
        Submissions beyond this many queued jobs are rejected.
    retain : int
        Finished jobs kept for :meth:`get` and :meth:`jobs`, newest last.
    """

    def __init__(
        self,
        workers: int = 2,
        *,
        aging_s: float = 5.0,
        max_queued: int = 100_000,
        retain: int = 1000,
        stats_window: int = 2048,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if workers < 1:
            raise ValueError("workers must be at least 1")
        self.workers = workers
        self.aging_s = aging_s
        self.max_queued = max_queued
        self.retain = retain
        self._clock = clock
        mutex = threading.Lock()
        # Two conditions on one lock: workers wait for jobs, the watchdog for timers,
        # so a notify for one never wakes the other.
        self._lock = threading.Condition(mutex)
        self._timer_cv = threading.Condition(mutex)
        # One heap per class of (deadline or inf, sequence, job); cancelled jobs stay until popped.
        self._heaps: list[list[tuple[float, int, Job[Any]]]] = [[] for _ in Priority]
        self._queued_estimate = [0.0 for _ in Priority]
        self._seq = itertools.count()
        self._ids = itertools.count(1)
        self._jobs: dict[str, Job[Any]] = {}
        self._finished: deque[str] = deque()
        self._running: set[Job[Any]] = set()
        self._estimates: dict[str, float] = {}
        self._queued = 0
        self._closed = False
        self._counters = dict.fromkeys(
            ("submitted", "completed", "failed", "cancelled", "timed_out", "rejected", "hits", "misses"), 0
        )
        self._wait = [deque[float](maxlen=stats_window) for _ in Priority]
        self._run = [deque[float](maxlen=stats_window) for _ in Priority]
        self._busy_s = 0.0
        self._started = clock()
        self._timers: list[tuple[float, int, Job[Any]]] = []
        self._threads = [
            threading.Thread(target=self._worker, name=f"midstream-worker-{i}", daemon=True)
            for i in range(workers)
        ]
        for thread in self._threads:
            thread.start()
        self._watchdog = threading.Thread(target=self._watch, name="midstream-watchdog", daemon=True)
        self._watchdog.start()

    # ------------------------------------------------------------------ submission

    def now(self) -> float:
        """The scheduler's clock (monotonic seconds), for computing running times."""
        return self._clock()

    def estimate(self, name: str) -> float:
        """The running estimate of a job kind's run time (seconds), 0 if never seen."""
        return self._estimates.get(name, 0.0)

    def submit(
        self,
        fn: Callable[[JobContext], T],
        *,
        name: str = "job",
        priority: Priority | str | int = Priority.NORMAL,
        deadline_s: float | None = None,
        timeout_s: float | None = None,
        estimate_s: float | None = None,
        meta: dict[str, Any] | None = None,
    ) -> Job[T]:
        """Queue ``fn(ctx)`` and return its :class:`Job`.

        ``deadline_s`` is relative to now. Raises :class:`AdmissionRejected`
        when the queue is full or the deadline cannot be met, and
        :class:`SchedulerClosed` after :meth:`shutdown`.
        """
        prio = Priority.parse(priority)
        if deadline_s is not None and deadline_s <= 0:
            raise ValueError("deadline_s must be positive")
        if timeout_s is not None and timeout_s <= 0:
            raise ValueError("timeout_s must be positive")
        with self._lock:
            if self._closed:
                raise SchedulerClosed("the scheduler is shut down")
            now = self._clock()
            cost = self.estimate(name) if estimate_s is None else estimate_s
            if self._queued >= self.max_queued:
                self._counters["rejected"] += 1
                raise AdmissionRejected(f"queue is full ({self.max_queued} jobs waiting)")
            deadline = None if deadline_s is None else now + deadline_s
            if deadline is not None:
                self._admit(prio, deadline, cost, now, deadline_s or 0.0)
            job: Job[T] = Job(
                id=f"job-{next(self._ids)}",
                name=name,
                priority=prio,
                fn=fn,
                submitted_at=now,
                deadline=deadline,
                timeout_s=timeout_s,
                estimate_s=cost,
                meta=meta or {},
            )
            self._jobs[job.id] = job
            heapq.heappush(
                self._heaps[prio], (math.inf if deadline is None else deadline, next(self._seq), job)
            )
            self._queued_estimate[prio] += cost
            self._queued += 1
            self._counters["submitted"] += 1
            self._lock.notify()
        return job

    def _admit(self, prio: Priority, deadline: float, cost: float, now: float, deadline_s: float) -> None:
        """Reject if the work ahead (spread over the workers) plus its own cost passes the deadline."""
        ahead = sum(self._queued_estimate[: int(prio)])
        ahead += sum(
            job.estimate_s for dl, _, job in self._heaps[prio] if dl <= deadline and not job._cancel.is_set()
        )
        running_left = sum(
            max(0.0, job.estimate_s - (now - (job.started_at or now))) for job in self._running
        )
        busy = len(self._running) >= self.workers or self._queued > 0
        start_delay = (ahead + (running_left if busy else 0.0)) / self.workers
        finish = now + start_delay + cost
        if finish > deadline:
            self._counters["rejected"] += 1
            raise AdmissionRejected(
                f"deadline of {deadline_s * 1e3:.0f} ms cannot be met: about {start_delay * 1e3:.0f} ms of "
                f"work is ahead of it on {self.workers} workers and it needs about {cost * 1e3:.0f} ms"
            )

    # ------------------------------------------------------------------ control

    def cancel(self, job_id: str, reason: str = "cancelled") -> bool:
        """Cancel a queued or running job; False if unknown or already finished."""
        with self._lock:
            job = self._jobs.get(job_id)
            if job is None or job.state.finished:
                return False
            job.cancel_reason = reason
            job._cancel.set()
            if job.state is JobState.QUEUED:
                self._queued -= 1
                self._queued_estimate[job.priority] -= job.estimate_s
                self._finish_locked(job, JobState.CANCELLED, error=reason)
        return True

    def get(self, job_id: str) -> Job[Any] | None:
        with self._lock:
            return self._jobs.get(job_id)

    def jobs(self) -> list[Job[Any]]:
        """All known jobs: queued, running and the retained finished ones."""
        with self._lock:
            return list(self._jobs.values())

    def shutdown(self, *, wait: bool = True, cancel_running: bool = True) -> None:
        """Stop taking jobs, cancel the queued ones (and the running ones if asked)."""
        with self._lock:
            self._closed = True
            for heap in self._heaps:
                for _, _, job in heap:
                    if job.state is JobState.QUEUED:
                        job._cancel.set()
                        self._finish_locked(job, JobState.CANCELLED, error="scheduler shut down")
                heap.clear()
            self._queued = 0
            if cancel_running:
                for job in self._running:
                    job.cancel_reason = "scheduler shut down"
                    job._cancel.set()
            self._lock.notify_all()
            self._timer_cv.notify_all()
        if wait:
            for thread in self._threads:
                thread.join(timeout=5)

    # ------------------------------------------------------------------ workers

    def _pick_locked(self, now: float) -> Job[Any] | None:
        best: tuple[int, float, int] | None = None
        best_cls = -1
        for cls, heap in enumerate(self._heaps):
            while heap and heap[0][2].state is not JobState.QUEUED:
                heapq.heappop(heap)  # lazily drop cancelled entries
            if not heap:
                continue
            job = heap[0][2]
            waited = now - job.submitted_at
            promoted = cls - int(waited // self.aging_s) if self.aging_s > 0 else cls
            # Equal effective classes go to the longest-waiting head, so promoted work
            # overtakes a backlog that is itself aging.
            key = (max(0, promoted), job.submitted_at, cls)
            if best is None or key < best:
                best, best_cls = key, cls
        if best is None:
            return None
        _, _, job = heapq.heappop(self._heaps[best_cls])
        return job

    def _worker(self) -> None:
        while True:
            with self._lock:
                job = None
                while not self._closed:
                    job = self._pick_locked(self._clock())
                    if job is not None:
                        break
                    self._lock.wait()
                if job is None:
                    return
                now = self._clock()
                self._queued -= 1
                self._queued_estimate[job.priority] -= job.estimate_s
                job.state = JobState.RUNNING
                job.started_at = now
                self._running.add(job)
                self._wait[job.priority].append(now - job.submitted_at)
                if job.timeout_s is not None:
                    heapq.heappush(self._timers, (now + job.timeout_s, next(self._seq), job))
                    self._timer_cv.notify()
            self._execute(job)

    def _execute(self, job: Job[Any]) -> None:
        ctx = JobContext(job)
        state, result, error = JobState.SUCCEEDED, None, None
        token = _current.set(ctx)
        try:
            if job._cancel.is_set():
                raise JobCancelled(job.cancel_reason or "cancelled")
            result = job.fn(ctx)
        except JobCancelled as exc:
            state = JobState.TIMED_OUT if job.cancel_reason == "timed out" else JobState.CANCELLED
            error = str(exc)
        except Exception as exc:  # the job's failure is its result; the worker carries on
            state, error = JobState.FAILED, f"{type(exc).__name__}: {exc}"
            job.meta["exception"] = exc
        finally:
            _current.reset(token)
        with self._lock:
            self._running.discard(job)
            ran = self._clock() - (job.started_at or self._clock())
            self._busy_s += ran
            self._run[job.priority].append(ran)
            if state is JobState.SUCCEEDED:
                # Exponentially weighted run-time estimate per job kind, for admission control.
                old = self._estimates.get(job.name)
                self._estimates[job.name] = ran if old is None else 0.8 * old + 0.2 * ran
            job.result = result
            self._finish_locked(job, state, error=error)

    def _finish_locked(self, job: Job[Any], state: JobState, *, error: str | None = None) -> None:
        job.state = state
        job.error = error
        job.finished_at = self._clock()
        key = {
            JobState.SUCCEEDED: "completed",
            JobState.FAILED: "failed",
            JobState.CANCELLED: "cancelled",
            JobState.TIMED_OUT: "timed_out",
        }[state]
        self._counters[key] += 1
        if job.deadline is not None:
            self._counters["hits" if job.met_deadline else "misses"] += 1
        self._finished.append(job.id)
        while len(self._finished) > self.retain:
            self._jobs.pop(self._finished.popleft(), None)
        job._done.set()
        for listener in list(job._done_listeners):
            try:
                listener(job)
            except Exception:
                logger.exception("completion listener of job %s failed", job.id)

    def _watch(self) -> None:
        """Enforce per-job time limits by cancelling jobs that overrun."""
        with self._timer_cv:
            while not self._closed:
                now = self._clock()
                while self._timers and self._timers[0][0] <= now:
                    _, _, job = heapq.heappop(self._timers)
                    if job.state is JobState.RUNNING:
                        job.cancel_reason = "timed out"
                        job._cancel.set()
                timeout = self._timers[0][0] - now if self._timers else None
                self._timer_cv.wait(timeout)

    # ------------------------------------------------------------------ stats

    def stats(self) -> SchedulerStats:
        """Queue wait and run time percentiles per class, counters and utilisation."""
        with self._lock:
            now = self._clock()
            elapsed = max(now - self._started, 1e-9)
            busy = self._busy_s + sum(now - (j.started_at or now) for j in self._running)
            classes = {
                p.name.lower(): ClassStats(
                    queued=sum(1 for _, _, j in self._heaps[p] if j.state is JobState.QUEUED),
                    running=sum(1 for j in self._running if j.priority is p),
                    wait=_percentiles(self._wait[p]),
                    run=_percentiles(self._run[p]),
                )
                for p in Priority
            }
            c = self._counters
            return SchedulerStats(
                workers=self.workers,
                queued=self._queued,
                running=len(self._running),
                submitted=c["submitted"],
                completed=c["completed"],
                failed=c["failed"],
                cancelled=c["cancelled"],
                timed_out=c["timed_out"],
                rejected=c["rejected"],
                deadline_hits=c["hits"],
                deadline_misses=c["misses"],
                utilisation=min(1.0, busy / (elapsed * self.workers)),
                classes=classes,
            )
