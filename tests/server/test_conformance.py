"""The official MCP conformance suite, in server mode, against our streamable HTTP server."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


def run_script(args: list[str], env: dict[str, str], timeout: float) -> subprocess.CompletedProcess[str]:
    """Run ``args`` in its own process group; on timeout kill the whole group (server, node)."""
    proc = subprocess.Popen(
        args,
        cwd=REPO,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    try:
        out, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        out, err = proc.communicate()
        pytest.fail(f"conformance run timed out after {timeout} s\n{out[-4000:]}\n{err[-3000:]}")
    finally:
        if proc.poll() is None:  # interrupted (e.g. Ctrl-C): leave nothing behind
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
    return subprocess.CompletedProcess(args, proc.returncode, out, err)


@pytest.mark.slow
@pytest.mark.timeout(280)
@pytest.mark.skipif(shutil.which("npm") is None, reason="npm is needed to install the conformance suite")
def test_conformance_suite_passes_against_its_baseline(tmp_path: Path) -> None:
    proc = run_script(
        ["bash", str(REPO / "scripts" / "conformance.sh")],
        env={**os.environ, "PYTHON": sys.executable, "CONFORMANCE_OUT": str(tmp_path)},
        timeout=260,
    )
    report = proc.stdout[-6000:] + proc.stderr[-3000:]
    assert proc.returncode == 0, report
    assert "Baseline check passed" in proc.stdout, report
    # Every scenario ran and the suite saw real checks (not an empty or aborted run).
    assert "Total: 0 passed" not in proc.stdout, report
    assert "Unexpected failures" not in proc.stdout, report
