"""Stream ingest throughput and added latency through the full core pipeline.

    python benchmarks/ingest.py [--chunks N] [--quick]

Every row pushes LLM-token-sized chunks (a few bytes each, one token each) of
one stream through the whole core: UTF-8 decode, bounded queue, sanitizer
(scan mode, carry-over window), 10 watch patterns (literal, regex, one
token-sequence), the default intent/urgency rules, metrics, one LTL monitor,
events, SQLite store (WAL, group commit, temporary file) and the event bus.

Columns: chunks/s and tokens/s from the first submit to the last
acknowledgement; latency is *arrival -> event*: from the producer's submit to
the ``chunk`` event reaching a bus subscriber (so it includes queueing, the
analysis, the store commit and the fan-out).

Rows are entries of ``ROWS``: a function taking the options and returning a
:class:`Row`; the server rows (HTTP NDJSON, ``stream_push``) are added the same way.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from midstream_mcp.core.events import ChunkProcessed, Event
from midstream_mcp.core.pipeline import Pipeline, PipelineConfig
from midstream_mcp.core.store import SQLiteStore

_TEXT = (
    "The quick brown fox jumps over the lazy dog while the model streams its answer token by token , "
    "with numbers like 42 and 1997 , some code such as def main ( ) : return 0 , and plain prose ."
)
WORDS = _TEXT.split()

POLICY: dict[str, Any] = {
    "sanitizer": {"mode": "scan"},
    "patterns": [
        "password",
        "api_key",
        {"literal": "BEGIN PRIVATE KEY", "name": "pem"},
        {"literal": "rm -rf", "name": "rm"},
        {"regex": r"\b\d{3}-\d{2}-\d{4}\b", "name": "ssn", "max_span": 16},
        {"regex": r"https?://\S{1,60}", "name": "url", "max_span": 80},
        {"regex": r"(?i)\bdrop\s+table\b", "name": "sql", "max_span": 24},
        {"regex": r"\b(?:sudo|chmod)\s+\S+", "name": "shell", "max_span": 32},
        {"literal": "lazy dog", "name": "dog"},
        {"tokens": "transfer the funds now", "max_distance": 1, "name": "transfer"},
    ],
    "monitors": ['G !"pattern:pem"'],
}


@dataclass
class Row:
    name: str
    chunks: int
    seconds: float
    tokens: int
    latencies_ms: list[float]
    note: str = ""

    def cells(self) -> list[str]:
        lat = sorted(self.latencies_ms)
        p50 = statistics.median(lat) if lat else float("nan")
        p99 = lat[min(len(lat) - 1, int(0.99 * len(lat)))] if lat else float("nan")
        return [
            self.name,
            f"{self.chunks:,}",
            f"{self.chunks / self.seconds:,.0f}",
            f"{self.tokens / self.seconds:,.0f}",
            f"{p50:.2f}",
            f"{p99:.2f}",
            self.note,
        ]


def chunks_of(n: int) -> list[bytes]:
    return [(" " + WORDS[i % len(WORDS)]).encode() for i in range(n)]


class _Recorder:
    """A bus subscriber thread that timestamps each chunk event as it arrives."""

    def __init__(self, pipe: Pipeline, stream_id: str, n: int, first_index: int) -> None:
        self.first = first_index
        self.received = [0.0] * n
        self.count = 0
        self.done = threading.Event()
        self.n = n
        self.sub = pipe.bus.subscribe(stream_id=stream_id, maxsize=1_000_000)
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self) -> None:
        while self.count < self.n:
            ev = self.sub.get(timeout=0.5)
            if ev is None:
                continue
            now = time.perf_counter()
            batch: list[Event] = [ev, *self.sub.drain()]
            for e in batch:
                if isinstance(e, ChunkProcessed) and e.index >= self.first:
                    self.received[e.index - self.first] = now
                    self.count += 1
        self.done.set()


def _pipeline(tmp: Path, name: str) -> Pipeline:
    return Pipeline(PipelineConfig(queue_size=4096), store=SQLiteStore(tmp / f"{name}.sqlite3"))


def _run(
    tmp: Path, name: str, n: int, subscribers: int = 0, rate: float | None = None, note: str = ""
) -> Row:
    pipe = _pipeline(tmp, name.replace(" ", "_").replace(",", ""))
    try:
        sid = pipe.open(POLICY)["stream_id"]
        warm = 300
        pipe.push_many_sync(sid, chunks_of(warm))  # warm caches (regex, numba kernels)
        extra = [pipe.bus.subscribe(maxsize=1024) for _ in range(subscribers)]
        drainers = _drain_threads(extra)
        rec = _Recorder(pipe, sid, n, warm)
        data = chunks_of(n)
        sent = [0.0] * n
        futures = []
        t0 = time.perf_counter()
        interval = 1.0 / rate if rate else 0.0
        if interval:  # one chunk at a time, at a steady rate
            for i, chunk in enumerate(data):
                # sleep, not spin: a real producer waits on I/O and leaves the GIL to the pipeline
                left = t0 + i * interval - time.perf_counter()
                if left > 0:
                    time.sleep(left)
                sent[i] = time.perf_counter()
                futures.append(pipe.submit(sid, chunk, tokens=1))
        else:  # bulk: submit_many in slices (one future per slice, queue backpressure applies)
            step = 1024
            for i in range(0, n, step):
                now = time.perf_counter()
                for j in range(i, min(n, i + step)):
                    sent[j] = now
                futures.append(pipe.submit_many(sid, data[i : i + step], results=False))
        for f in futures:
            f.result(120)
        seconds = time.perf_counter() - t0
        rec.done.wait(60)
        for stop in drainers:
            stop()
        lat = [(r - s) * 1e3 for s, r in zip(sent, rec.received, strict=True) if r]
        dropped = sum(s.dropped for s in extra)
        if subscribers:
            note = (note + f" {subscribers} subscribers, {dropped:,} events dropped").strip()
        return Row(name, n, seconds, n, lat, note)
    finally:
        pipe.shutdown()
        pipe.store.close()


def _drain_threads(subs: list[Any]) -> list[Callable[[], None]]:
    if not subs:
        return []
    stop = threading.Event()

    def run() -> None:
        while not stop.is_set():
            for s in subs:
                s.drain()
            time.sleep(0.001)

    t = threading.Thread(target=run, daemon=True)
    t.start()

    def halt() -> None:
        stop.set()
        t.join()

    return [halt]


def row_core_saturated(opts: argparse.Namespace, tmp: Path) -> Row:
    return _run(tmp, "core, 1 stream, saturated", opts.chunks, note="producer as fast as it can")


def row_core_fanout(opts: argparse.Namespace, tmp: Path) -> Row:
    return _run(tmp, "core, 1 stream, 100 subscribers", opts.chunks, subscribers=100)


def row_core_paced(opts: argparse.Namespace, tmp: Path) -> Row:
    rate = opts.rate
    n = max(200, min(opts.chunks, int(rate * 3)))
    return _run(tmp, f"core, 1 stream, paced {rate:,.0f}/s", n, rate=rate, note="latency at a steady rate")


ROWS: list[Callable[[argparse.Namespace, Path], Row]] = [row_core_saturated, row_core_fanout, row_core_paced]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--chunks", type=int, default=100_000)
    ap.add_argument("--rate", type=float, default=1_000.0, help="chunks/s of the paced row")
    ap.add_argument("--quick", action="store_true", help="10,000 chunks")
    opts = ap.parse_args()
    if opts.quick:
        opts.chunks = 10_000
    header = ["row", "chunks", "chunks/s", "tokens/s", "p50 ms", "p99 ms", "note"]
    rows: list[list[str]] = []
    with tempfile.TemporaryDirectory() as d:
        for fn in ROWS:
            rows.append(fn(opts, Path(d)).cells())
            print(" | ".join(rows[-1]), flush=True)
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
    print()
    for r in [header, ["-" * w for w in widths], *rows]:
        print("| " + " | ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)) + " |")


if __name__ == "__main__":
    main()
