"""The official TypeScript SDK client against our real HTTP server (a 2025-11-25 era peer)."""

from __future__ import annotations

import json
import math
import shutil
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


@pytest.fixture(scope="module")
def node_modules() -> Path:
    if not (CLIENT / "node_modules" / "@modelcontextprotocol" / "sdk").is_dir():
        subprocess.run(
            ["npm", "ci", "--no-audit", "--no-fund", "--loglevel=error"], cwd=CLIENT, check=True, timeout=600
        )
    return CLIENT / "node_modules"


def test_typescript_sdk_client_calls_the_tools(node_modules: Path, http_server: RunningServer) -> None:
    proc = subprocess.run(
        [str(node_modules / ".bin" / "tsx"), "src/smoke.ts", http_server.mcp_url],
        cwd=CLIENT,
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert proc.returncode == 0, proc.stderr + proc.stdout
    seen = json.loads(proc.stdout.strip().splitlines()[-1])
    assert {"compare_sequences", "compare_many", "find_pattern"} <= set(seen["tools"])
    assert seen["dtw_zero"] == 0
    a = [0, 1, 2, 3, 2.5, 1]
    b = [0, 0.5, 2, 2, 3.5, 1.5, 1]
    assert math.isclose(seen["dtw"], naive_dtw(a, b), rel_tol=1e-12)
    assert seen["path"][0] == [0, 0] and seen["path"][-1] == [5, 6]
    assert seen["lcs_length"] == 4
    assert seen["edit_distance"] == 3
    assert seen["bad_is_error"] is True and "b:" in seen["bad_text"]
