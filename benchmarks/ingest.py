"""Stream ingest throughput and added latency through the full core pipeline.

    python benchmarks/ingest.py [--chunks N] [--quick]

Every row pushes LLM-token-sized chunks (a few bytes each, one token each) of
one stream through the whole core: UTF-8 decode, bounded queue, sanitizer
(scan mode, carry-over window), 10 watch patterns (literal, regex, one
token-sequence), the default intent/urgency rules, metrics, one LTL monitor,
events, SQLite store (WAL, group commit, temporary file) and the event bus.

Columns: chunks/s and tokens/s from the first submit to the last
acknowledgement; latency is *arrival -> event*: from the producer's submit to
the ``chunk`` event reaching a bus subscriber (queueing, the analysis and the
fan-out; not the commit, which follows the event on the store's thread), with its
p50, p99 and p99.9. The paced row runs ``--paced-seconds`` (10 s: 10,000 chunks, so the
p99.9 rests on ten chunks, the p99 on a hundred) and its note adds *arrival ->
acknowledgement* (the result, once committed). Each row's note says how much CPU the
rest of the machine used meanwhile (other processes, in cores): on a shared machine
that is the first suspect for an outlier.

Every row runs after the kernels' warm-up, as the server does at start, with the
process's start-up objects frozen out of the garbage collector's full collections
(``start_warmup(tune_gc=True)``, what the server does; recommended for any
long-running process that ingests through the Python API). Server rows
start the real server (``python -m midstream_mcp --http``, measured once its warm-up is done,
store in a temporary file), open the stream with the ``stream_open`` tool, and
push either NDJSON lines ``{"text": ...}`` to ``POST /v1/streams/{id}/chunks``
(body streamed by httpx2, verdicts read back; latency: line sent -> its verdict
line read, and since httpx sends the whole body before reading, requests are
``--http-lines`` lines each) or ``stream_push`` tool calls of ``--push-batch``
chunks (latency: the call's duration, for each of its chunks).

Rows are entries of ``ROWS``: a function taking the options and returning a
:class:`Row`. ``--rows core,http,push`` picks families.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import anyio
import httpx2 as httpx
from mcp import Client

from midstream_mcp.core.events import ChunkProcessed, Event
from midstream_mcp.core.pipeline import Pipeline, PipelineConfig
from midstream_mcp.core.store import SQLiteStore
from midstream_mcp.core.warmup import start_warmup

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
        p999 = lat[min(len(lat) - 1, int(0.999 * len(lat)))] if lat else float("nan")
        return [
            self.name,
            f"{self.chunks:,}",
            f"{self.chunks / self.seconds:,.0f}",
            f"{self.tokens / self.seconds:,.0f}",
            f"{p50:.2f}",
            f"{p99:.2f}",
            f"{p999:.2f}",
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
        acked = [0.0] * n
        futures = []
        others = _OtherCPU()
        t0 = time.perf_counter()
        interval = 1.0 / rate if rate else 0.0
        if interval:  # one chunk at a time, at a steady rate
            # Like a real producer, keep no future once it is resolved: holding thousands of them
            # (each with its lock and condition) made the collector's generation-1 passes take
            # ~20 ms, a stall the pipeline would not see in the server.
            # The producer waits once, after the last chunk, for the last acknowledgement (taking n
            # semaphore counts there held the GIL for milliseconds while the last chunks were analysed).
            acks = itertools.count(1)
            all_acked = threading.Event()
            failed: list[BaseException] = []

            def ack(fut: Future[Any], i: int) -> None:
                acked[i] = time.perf_counter()
                if (exc := fut.exception()) is not None:
                    failed.append(exc)
                if next(acks) == n:
                    all_acked.set()

            for i, chunk in enumerate(data):
                # sleep, not spin: a real producer waits on I/O and leaves the GIL to the pipeline
                left = t0 + i * interval - time.perf_counter()
                if left > 0:
                    time.sleep(left)
                sent[i] = time.perf_counter()
                pipe.submit(sid, chunk, tokens=1).add_done_callback(lambda f, i=i: ack(f, i))
            if not all_acked.wait(120):
                raise TimeoutError("a paced chunk was not acknowledged in 120 s")
            if failed:
                raise failed[0]
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
        busy = others.share()
        lat = [(r - s) * 1e3 for s, r in zip(sent, rec.received, strict=True) if r]
        if interval:
            ack = sorted((a - s) * 1e3 for s, a in zip(sent, acked, strict=True))
            note += f"; acknowledged p50 {ack[len(ack) // 2]:.2f} / p99 {ack[int(0.99 * len(ack))]:.2f} ms"
        dropped = sum(s.dropped for s in extra)
        if subscribers:
            note = (note + f" {subscribers} subscribers, {dropped:,} events dropped").strip()
        if busy is not None:
            note += f"; rest of the machine {busy:.0%} of a core"
        return Row(name, n, seconds, n, lat, note)
    finally:
        pipe.shutdown()
        pipe.store.close()


class _OtherCPU:
    """CPU time the rest of the machine used since creation, in cores (Linux ``/proc``; else None).

    On a shared 2-core machine another process's burst is the usual cause of a latency outlier;
    the rows say how busy the rest of the machine was while they ran.
    """

    def __init__(self) -> None:
        self.start = self._read()
        self.t0 = time.monotonic()

    @staticmethod
    def _read() -> tuple[int, int] | None:
        try:
            with open("/proc/stat") as f:
                cpu = [int(x) for x in f.readline().split()[1:]]
            with open("/proc/self/stat") as f:
                mine = f.read().rsplit(")", 1)[1].split()
        except (OSError, ValueError, IndexError):
            return None
        busy = sum(cpu) - cpu[3] - (cpu[4] if len(cpu) > 4 else 0)  # all but idle and iowait
        return busy, int(mine[11]) + int(mine[12])  # this process: utime + stime (clock ticks)

    def share(self) -> float | None:
        end = self._read()
        if self.start is None or end is None:
            return None
        seconds = time.monotonic() - self.t0
        ticks = os.sysconf("SC_CLK_TCK")
        other = (end[0] - self.start[0]) - (end[1] - self.start[1])
        return max(0, other) / ticks / seconds if seconds > 0 else None


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
    n = max(200, min(opts.chunks, int(rate * opts.paced_seconds)))
    return _run(tmp, f"core, 1 stream, paced {rate:,.0f}/s", n, rate=rate, note="latency at a steady rate")


def row_core_async_batches(opts: argparse.Namespace, tmp: Path) -> Row:
    """What an asyncio producer (the server's ingest route) gets with ``await pipeline.push_many(batch)``."""
    n = opts.chunks
    batch = 256
    pipe = _pipeline(tmp, "async")
    try:
        sid = pipe.open(POLICY)["stream_id"]
        pipe.push_many_sync(sid, chunks_of(300))
        data = chunks_of(n)

        async def go() -> tuple[float, list[float]]:
            lat: list[float] = []
            pending: list[tuple[float, int, Any]] = []
            t0 = time.perf_counter()
            for i in range(0, n, batch):  # keep a few batches in flight, like a body being read
                part = data[i : i + batch]
                pending.append(
                    (time.perf_counter(), len(part), asyncio.ensure_future(pipe.push_many(sid, part)))
                )
                if len(pending) >= 8:
                    sent, k, fut = pending.pop(0)
                    await fut
                    lat += [(time.perf_counter() - sent) * 1e3] * k
            for sent, k, fut in pending:
                await fut
                lat += [(time.perf_counter() - sent) * 1e3] * k
            return time.perf_counter() - t0, lat

        seconds, lat = asyncio.run(go())
        return Row(
            "core, asyncio push_many x256", n, seconds, n, lat, "8 batches in flight; latency per batch"
        )
    finally:
        pipe.shutdown()
        pipe.store.close()


# --------------------------------------------------------------------------- server rows


class _Server:
    """``python -m midstream_mcp --http`` as a subprocess on a free port, store in ``tmp``."""

    def __init__(self, tmp: Path, name: str) -> None:
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port = int(s.getsockname()[1])
        env = {k: v for k, v in os.environ.items() if not k.startswith("MIDSTREAM_")}
        env["MIDSTREAM_STREAMING__STORE_PATH"] = str(tmp / f"{name}.sqlite3")
        self.log = (tmp / f"{name}.log").open("wb")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "midstream_mcp", "--http", "--port", str(self.port)],
            stdout=subprocess.DEVNULL,
            stderr=self.log,
            env=env,
        )
        self.base = f"http://127.0.0.1:{self.port}"
        deadline = time.monotonic() + 600  # a cold numba cache compiles every kernel first
        while True:
            if self.proc.poll() is not None or time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"server did not start; see {self.log.name}")
            try:
                health = httpx.get(f"{self.base}/healthz", timeout=1)
                # measured as users run it: after the start-up warm-up has loaded the kernels
                if health.status_code == 200 and health.json()["warmup"] != "running":
                    break
            except httpx.HTTPError:
                pass
            time.sleep(0.1)

    def call(self, tool: str, args: dict[str, Any]) -> Any:
        async def go() -> Any:
            async with Client(f"{self.base}/mcp") as c:
                return (await c.call_tool(tool, args)).structured_content

        return anyio.run(go)

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.log.close()


def _ndjson(n: int, start: int = 0) -> list[bytes]:
    return [
        json.dumps({"text": " " + WORDS[i % len(WORDS)], "tokens": 1}).encode() + b"\n"
        for i in range(start, start + n)
    ]


def _post_ndjson(
    http: httpx.Client, url: str, lines: list[bytes], block: int = 256
) -> tuple[list[float], list[float], list[dict[str, Any]]]:
    """POST ``lines`` as a streamed body; returns (sent times, verdict times, verdicts) per line."""
    sent = [0.0] * len(lines)
    got = [0.0] * len(lines)
    verdicts: list[dict[str, Any]] = []

    def body() -> Any:
        for i in range(0, len(lines), block):
            now = time.perf_counter()
            for j in range(i, min(len(lines), i + block)):
                sent[j] = now
            yield b"".join(lines[i : i + block])

    with http.stream("POST", url, content=body(), headers={"content-type": "application/x-ndjson"}) as r:
        r.raise_for_status()
        for line in r.iter_lines():
            if not line:
                continue
            v = json.loads(line)
            got[v["line"] - 1] = time.perf_counter()
            verdicts.append(v)
    return sent, got, verdicts


def row_http_ndjson(opts: argparse.Namespace, tmp: Path) -> Row:
    n = opts.chunks
    srv = _Server(tmp, "http")
    try:
        sid = srv.call("stream_open", {"policy": POLICY})["stream_id"]
        url = f"{srv.base}/v1/streams/{sid}/chunks"
        lat: list[float] = []
        errors = 0
        with httpx.Client(timeout=120) as http:
            _post_ndjson(http, url, _ndjson(300))  # warm-up
            per = opts.http_lines
            data = _ndjson(n)
            t0 = time.perf_counter()
            for i in range(0, n, per):
                sent, got, verdicts = _post_ndjson(http, url, data[i : i + per])
                errors += sum(1 for v in verdicts if "error" in v)
                lat += [(g - s) * 1e3 for s, g in zip(sent, got, strict=True) if g]
            seconds = time.perf_counter() - t0
        note = f"{opts.http_lines:,} lines per POST"
        if errors:
            note += f", {errors:,} error lines"
        return Row("HTTP NDJSON, 1 stream, saturated", n, seconds, n, lat, note)
    finally:
        srv.stop()


def row_stream_push(opts: argparse.Namespace, tmp: Path) -> Row:
    n = opts.chunks
    batch = opts.push_batch
    srv = _Server(tmp, "push")
    try:
        data = [" " + WORDS[i % len(WORDS)] for i in range(n)]

        async def go() -> tuple[float, int, list[float]]:
            async with Client(f"{srv.base}/mcp") as c:
                sid = (await c.call_tool("stream_open", {"policy": POLICY})).structured_content["stream_id"]
                await c.call_tool("stream_push", {"stream_id": sid, "chunks": data[:300]})  # warm-up
                lat: list[float] = []
                tokens = 0
                t0 = time.perf_counter()
                for i in range(0, n, batch):
                    part = data[i : i + batch]
                    t = time.perf_counter()
                    out = (
                        await c.call_tool("stream_push", {"stream_id": sid, "chunks": part})
                    ).structured_content
                    ms = (time.perf_counter() - t) * 1e3
                    lat += [ms] * len(part)
                    tokens += sum(r["tokens"] for r in out["results"])
                return time.perf_counter() - t0, tokens, lat

        seconds, tokens, lat = anyio.run(go)
        return Row(
            f"stream_push tool, batches of {batch:,}", n, seconds, tokens, lat, "MCP over streamable HTTP"
        )
    finally:
        srv.stop()


ROW_FAMILIES: dict[str, list[Callable[[argparse.Namespace, Path], Row]]] = {
    "core": [row_core_saturated, row_core_fanout, row_core_paced, row_core_async_batches],
    "http": [row_http_ndjson],
    "push": [row_stream_push],
}
ROWS: list[Callable[[argparse.Namespace, Path], Row]] = [f for rows in ROW_FAMILIES.values() for f in rows]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--chunks", type=int, default=100_000)
    ap.add_argument("--rate", type=float, default=1_000.0, help="chunks/s of the paced row")
    ap.add_argument(
        "--paced-seconds", type=float, default=10.0, help="length of the paced row (at most --chunks chunks)"
    )
    ap.add_argument("--quick", action="store_true", help="10,000 chunks")
    ap.add_argument("--rows", default="core,http,push", help="row families: core, http, push")
    ap.add_argument("--http-lines", type=int, default=2_000, help="NDJSON lines per POST")
    ap.add_argument("--push-batch", type=int, default=1_000, help="chunks per stream_push call")
    opts = ap.parse_args()
    if opts.quick:
        opts.chunks = 10_000
    rows_wanted = [f for fam in opts.rows.split(",") for f in ROW_FAMILIES[fam.strip()]]
    # The server warms its kernels up at start; the Python API rows do the same first.
    warm = start_warmup(("midstream_mcp.core.sanitizer", "midstream_mcp.core.pipeline"), tune_gc=True)
    warm.wait()
    if warm.errors:
        sys.exit(f"warm-up failed: {warm.errors}")
    header = ["row", "chunks", "chunks/s", "tokens/s", "p50 ms", "p99 ms", "p99.9 ms", "note"]
    rows: list[list[str]] = []
    with tempfile.TemporaryDirectory() as d:
        results: dict[str, Row] = {}
        for fn in rows_wanted:
            row = fn(opts, Path(d))
            results[fn.__name__] = row
            if fn is row_core_fanout and "row_core_saturated" in results:
                base = results["row_core_saturated"]
                slow = 1 - (row.chunks / row.seconds) / (base.chunks / base.seconds)
                row.note = f"{row.note}; slowdown {slow:.0%} vs saturated"
            rows.append(row.cells())
            print(" | ".join(rows[-1]), flush=True)
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
    print()
    for r in [header, ["-" * w for w in widths], *rows]:
        print("| " + " | ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)) + " |")


if __name__ == "__main__":
    main()
