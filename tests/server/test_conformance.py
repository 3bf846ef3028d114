"""The official MCP conformance suite, in server mode, against our streamable HTTP server."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


@pytest.mark.slow
@pytest.mark.skipif(shutil.which("npm") is None, reason="npm is needed to install the conformance suite")
def test_conformance_suite_passes_against_its_baseline(tmp_path: Path) -> None:
    proc = subprocess.run(
        ["bash", str(REPO / "scripts" / "conformance.sh")],
        cwd=REPO,
        env={**os.environ, "PYTHON": sys.executable, "CONFORMANCE_OUT": str(tmp_path)},
        capture_output=True,
        text=True,
        timeout=600,
    )
    report = proc.stdout[-6000:] + proc.stderr[-3000:]
    assert proc.returncode == 0, report
    assert "Baseline check passed" in proc.stdout, report
