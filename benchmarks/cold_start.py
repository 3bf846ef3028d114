"""Cold and warm start of the stdio server, as an MCP host sees it.

For an empty numba cache (first run after install) and a warm one, measures:
time until ``initialize`` answers, time until background warm-up finishes, and
the latency of the first ``compare_sequences`` call made right after the
warm-up (so it should not pay any JIT compile time).

    python benchmarks/cold_start.py
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from typing import Any

INIT = {
    "jsonrpc": "2.0",
    "id": 1,
    "method": "initialize",
    "params": {
        "protocolVersion": "2025-11-25",
        "capabilities": {},
        "clientInfo": {"name": "b", "version": "0"},
    },
}


def _send(proc: subprocess.Popen[bytes], msg: dict[str, Any]) -> None:
    assert proc.stdin is not None
    proc.stdin.write((json.dumps(msg) + "\n").encode())
    proc.stdin.flush()


def _recv(proc: subprocess.Popen[bytes], want_id: int) -> dict[str, Any]:
    assert proc.stdout is not None
    while True:
        line = proc.stdout.readline()
        if not line:
            raise RuntimeError("server closed stdout")
        msg = json.loads(line)
        if msg.get("id") == want_id:
            return msg


def run_once(cache_dir: str) -> dict[str, float]:
    env = {**os.environ, "NUMBA_CACHE_DIR": cache_dir, "MIDSTREAM_LOG_LEVEL": "INFO"}
    t0 = time.perf_counter()
    proc = subprocess.Popen(
        [sys.executable, "-m", "midstream_mcp", "--stdio"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=env,
    )
    try:
        _send(proc, INIT)
        _recv(proc, 1)
        t_init = time.perf_counter() - t0
        _send(proc, {"jsonrpc": "2.0", "method": "notifications/initialized"})
        # Wait for the warm-up log line on stderr.
        assert proc.stderr is not None
        t_warm = float("nan")
        while True:
            line = proc.stderr.readline().decode()
            if not line:
                break
            if "warm-up finished" in line:
                t_warm = time.perf_counter() - t0
                break
        timings: list[float] = []
        for i, (a, b, method) in enumerate(
            [
                (list(range(1000)), list(range(0, 2000, 2)), "dtw"),
                ("kitten" * 100, "sitting" * 100, "edit"),
                ("kitten" * 100, "sitting" * 100, "lcs"),
            ]
        ):
            t1 = time.perf_counter()
            _send(
                proc,
                {
                    "jsonrpc": "2.0",
                    "id": 10 + i,
                    "method": "tools/call",
                    "params": {"name": "compare_sequences", "arguments": {"a": a, "b": b, "method": method}},
                },
            )
            resp = _recv(proc, 10 + i)
            assert not resp["result"].get("isError"), resp
            timings.append(time.perf_counter() - t1)
        return {"initialize_s": t_init, "warmup_done_s": t_warm, "first_call_ms": max(timings) * 1e3}
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def main() -> None:
    with tempfile.TemporaryDirectory() as cache:
        cold = run_once(cache)
        warm = run_once(cache)
    print(f"{'start':<12}{'initialize (s)':>16}{'warm-up done (s)':>18}{'first calls, max (ms)':>24}")
    for name, r in (("cold cache", cold), ("warm cache", warm)):
        print(f"{name:<12}{r['initialize_s']:>16.2f}{r['warmup_done_s']:>18.2f}{r['first_call_ms']:>24.1f}")


if __name__ == "__main__":
    main()
