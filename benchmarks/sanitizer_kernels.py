"""Where the sanitizer's kernel time goes: each numba kernel on the buffers a stream scans.

    python benchmarks/sanitizer_kernels.py            # about half a minute after the warm-up

The streaming benchmark (``sanitizer_speed.py``) feeds 256-byte chunks to a
``StreamScanner`` with a 128-character carry-over window, so every chunk's kernel
call reads a 384-byte buffer. This script builds those buffers from the same
seeded text and prints, per kernel, the median-free mean time per buffer of
calling it from Python (best of five passes over all buffers, each buffer once
per pass, so caches and branch predictors see what they see in a stream), and
the cost of an empty kernel call for scale. ``text_scan`` is the one call the
detectors make; the other rows are its parts (their sum is more: each pays a call).
There is no reference library for these kernels; the table is for finding the
next thing to speed up, and the end-to-end numbers are ``sanitizer_speed.py``'s.
"""

from __future__ import annotations

import time
from collections.abc import Callable

import numpy as np
from numba import njit
from sanitizer_speed import chunks_of, llm_text

from midstream_mcp.core.sanitizer import _fast, warmup


@njit(cache=True, nogil=True)
def _empty(b: np.ndarray) -> int:
    return 0


def buffers(nchunks: int = 600, window: int = 128) -> list[np.ndarray]:
    """The ASCII bytes of every buffer a stream with a ``window``-character carry-over scans."""
    out = []
    tail = ""
    for chunk in chunks_of(llm_text(256 * nchunks), 256):
        buf = tail + chunk
        out.append(np.frombuffer(buf.encode("ascii", "replace"), np.uint8).copy())
        tail = buf[-window:]
    return out


def per_buffer(fn: Callable[[np.ndarray], object], bufs: list[np.ndarray]) -> float:
    """Microseconds per buffer: the best of five passes over all of ``bufs``."""
    fn(bufs[0])
    best = float("inf")
    for _ in range(5):
        t0 = time.perf_counter()
        for b in bufs:
            fn(b)
        best = min(best, time.perf_counter() - t0)
    return best / len(bufs) * 1e6


def main() -> None:
    warmup()
    k = _fast.load()
    bufs = buffers()
    folded = {id(b): np.ascontiguousarray(_fast.FOLD_TABLE[b]) for b in bufs}
    ints, bytes_ = _fast.TEXT_ARGS
    rows: list[tuple[str, Callable[[np.ndarray], object]]] = [
        ("empty kernel call", _empty),
        ("text_scan (all of it)", lambda b: k.text_scan(b, len(b), ints, bytes_, True)),
        ("raw_scan", lambda b: k.raw_scan(b, len(b), *_fast.RAW_ARGS)),
        ("  payload_scan", lambda b: k.payload_scan(b, np.int64(10), np.int64(8192))),
        ("    decode_scan", lambda b: k.decode_scan(b, np.int64(10))),
        ("gate_view", lambda b: k.gate_view(folded[id(b)], *_fast.GATE_ARGS, True)),
        ("triage", lambda b: k.triage(b, *_fast.TRIAGE_ARGS)),
    ]
    mean = sum(len(b) for b in bufs) / len(bufs)
    print(f"{len(bufs)} buffers of {mean:.0f} bytes on average\n")
    print(f"| {'kernel':24s} | µs per buffer |")
    print(f"|{'-' * 26}|---------------|")
    for name, fn in rows:
        print(f"| {name:24s} | {per_buffer(fn, bufs):13.2f} |")


if __name__ == "__main__":
    main()
