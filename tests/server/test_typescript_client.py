"""The official TypeScript SDK client against our real HTTP server (a 2025-11-25 era peer)."""

from __future__ import annotations

import json
import math
import os
import shutil
import signal
import subprocess
from pathlib import Path

import pytest

from tests.server.conftest import RunningServer
from tests.server.test_compare_tools import naive_dtw

REPO = Path(__file__).resolve().parents[2]
CLIENT = REPO / "clients" / "ts"

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(shutil.which("npm") is None, reason="npm is needed for the TypeScript client"),
]


def run(args: list[str], timeout: float) -> subprocess.CompletedProcess[str]:
    """Run ``args`` in ``clients/ts`` in its own process group, killed as a whole on timeout."""
    proc = subprocess.Popen(
        args, cwd=CLIENT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True
    )
    try:
        out, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        out, err = proc.communicate()
        pytest.fail(f"{' '.join(args)} timed out after {timeout} s\n{out[-3000:]}\n{err[-3000:]}")
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
    return subprocess.CompletedProcess(args, proc.returncode, out, err)


@pytest.fixture(scope="module")
def node_modules() -> Path:
    if not (CLIENT / "node_modules" / "@modelcontextprotocol" / "sdk").is_dir():
        proc = run(["npm", "ci", "--no-audit", "--no-fund", "--loglevel=error"], timeout=240)
        assert proc.returncode == 0, proc.stderr
    return CLIENT / "node_modules"


def test_typescript_sdk_client_calls_the_tools(node_modules: Path, http_server: RunningServer) -> None:
    proc = run([str(node_modules / ".bin" / "tsx"), "src/smoke.ts", http_server.mcp_url], timeout=120)
    assert proc.returncode == 0, proc.stderr + proc.stdout + http_server.stderr()[-3000:]
    seen = json.loads(proc.stdout.strip().splitlines()[-1])
    assert seen["protocol"] == "2025-11-25" and seen["server"] == "midstream-mcp"
    assert {"compare_sequences", "compare_many", "find_pattern"} <= set(seen["tools"])
    assert seen["dtw_zero"] == 0
    a = [0, 1, 2, 3, 2.5, 1]
    b = [0, 0.5, 2, 2, 3.5, 1.5, 1]
    assert math.isclose(seen["dtw"], naive_dtw(a, b), rel_tol=1e-12)
    assert seen["path"][0] == [0, 0] and seen["path"][-1] == [5, 6]
    assert seen["lcs_length"] == 4  # LCS("ABCBDAB", "BDCABA"), the textbook example
    assert seen["edit_distance"] == 3  # kitten -> sitting
    assert seen["bad_is_error"] is True and "b:" in seen["bad_text"]


def test_typescript_client_typechecks(node_modules: Path) -> None:
    proc = run([str(node_modules / ".bin" / "tsc"), "--noEmit", "-p", "."], timeout=120)
    assert proc.returncode == 0, proc.stdout + proc.stderr
