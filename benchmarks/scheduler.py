"""Scheduler overhead and deadline behaviour, against asyncio's own tools as the baseline.

    python benchmarks/scheduler.py

1. Overhead per job, submit to start, for empty jobs submitted one at a time:
   ours (EDF + admission control + worker threads) against an
   ``asyncio.PriorityQueue`` feeding ``loop.run_in_executor`` on a thread pool.
2. Throughput: 100,000 tiny jobs submitted at once.
3. A mixed load of DTW jobs with deadlines: the share of feasible deadlines met
   (jobs rejected by admission control are the infeasible ones).
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import random
import statistics
import time

import numpy as np

from midstream_mcp.core.analytics import compare
from midstream_mcp.core.scheduler import AdmissionRejected, Priority, Scheduler

N_LATENCY = 5_000
N_THROUGHPUT = 100_000


def pct(samples: list[float], q: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def ours_latency() -> list[float]:
    s = Scheduler(workers=2)
    lat: list[float] = []
    try:
        for i in range(N_LATENCY):
            submitted = time.perf_counter()
            started: list[float] = []
            job = s.submit(lambda ctx, box=started: box.append(time.perf_counter()), deadline_s=1.0)
            job.wait()
            lat.append(started[0] - submitted)
            if i % 1000 == 0:
                time.sleep(0.01)
    finally:
        s.shutdown()
    return lat


def baseline_latency() -> list[float]:
    async def main() -> list[float]:
        loop = asyncio.get_running_loop()
        pool = concurrent.futures.ThreadPoolExecutor(max_workers=2)
        queue: asyncio.PriorityQueue[tuple[int, int, float]] = asyncio.PriorityQueue()
        lat: list[float] = []

        async def dispatcher() -> None:
            while True:
                _, _, submitted = await queue.get()
                started = await loop.run_in_executor(pool, time.perf_counter)
                lat.append(started - submitted)
                queue.task_done()

        task = asyncio.create_task(dispatcher())
        for i in range(N_LATENCY):
            await queue.put((1, i, time.perf_counter()))
            await queue.join()
        task.cancel()
        pool.shutdown()
        return lat

    return asyncio.run(main())


def ours_throughput() -> float:
    s = Scheduler(workers=2, max_queued=N_THROUGHPUT + 10)
    try:
        start = time.perf_counter()
        jobs = [s.submit(lambda ctx: None, priority=Priority(i % 5)) for i in range(N_THROUGHPUT)]
        for job in jobs:
            job.wait()
        return N_THROUGHPUT / (time.perf_counter() - start)
    finally:
        s.shutdown()


def baseline_throughput() -> float:
    async def main() -> float:
        loop = asyncio.get_running_loop()
        pool = concurrent.futures.ThreadPoolExecutor(max_workers=2)
        start = time.perf_counter()
        await asyncio.gather(*(loop.run_in_executor(pool, lambda: None) for _ in range(N_THROUGHPUT)))
        pool.shutdown()
        return N_THROUGHPUT / (time.perf_counter() - start)

    return asyncio.run(main())


def deadline_mix() -> tuple[int, int, int]:
    rng = np.random.default_rng(0)
    pool = [rng.normal(size=n) for n in (500, 1000, 2000)]
    for x in pool:
        compare.dtw_distance(x, x)  # compiled before timing
    s = Scheduler(workers=2)
    accepted, rejected = [], 0
    try:
        for _ in range(2000):
            a = pool[random.randrange(3)]
            b = pool[random.randrange(3)]
            prio = random.choice(["high", "normal", "low"])
            try:
                accepted.append(
                    s.submit(
                        lambda ctx, a=a, b=b: compare.dtw_distance(a, b),
                        name=f"dtw-{len(a)}x{len(b)}",
                        priority=prio,
                        deadline_s=random.uniform(0.002, 0.05),
                    )
                )
            except AdmissionRejected:
                rejected += 1
            time.sleep(random.expovariate(1 / 0.0004))
        for job in accepted:
            job.wait()
        met = sum(1 for job in accepted if job.met_deadline)
        return met, len(accepted), rejected
    finally:
        s.shutdown()


def main() -> None:
    ours = ours_latency()
    base = baseline_latency()
    print(f"{'submit-to-start, one job at a time':<44}{'p50 (µs)':>10}{'p99 (µs)':>10}")
    for name, lat in (
        ("midstream Scheduler (EDF + admission)", ours),
        ("asyncio.PriorityQueue + executor", base),
    ):
        print(f"{name:<44}{statistics.median(lat) * 1e6:>10.1f}{pct(lat, 0.99) * 1e6:>10.1f}")
    print(
        f"{'ratio ours / baseline':<44}{statistics.median(ours) / statistics.median(base):>10.2f}"
        f"{pct(ours, 0.99) / pct(base, 0.99):>10.2f}"
    )
    print()
    t_ours, t_base = ours_throughput(), baseline_throughput()
    print(f"100,000 tiny jobs: ours {t_ours:,.0f} jobs/s, asyncio baseline {t_base:,.0f} jobs/s")
    met, accepted, rejected = deadline_mix()
    print(
        f"mixed DTW load with deadlines: {met}/{accepted} accepted jobs met their deadline "
        f"({met / accepted:.1%}); {rejected} rejected at submission as infeasible"
    )


if __name__ == "__main__":
    main()
