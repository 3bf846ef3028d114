"""The command line's verbs."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from midstream_mcp.cli import host_config, main

REPO = Path(__file__).resolve().parents[1]


def test_config_verb_prints_a_host_entry_with_an_absolute_interpreter(capsys) -> None:  # type: ignore[no-untyped-def]
    assert main(["config"]) == 0
    entry = json.loads(capsys.readouterr().out)["mcpServers"]["midstream"]
    assert Path(entry["command"]).is_absolute()
    assert entry["args"] == ["-m", "midstream_mcp", "--stdio"]
    assert isinstance(entry["env"], dict)


def test_repo_mcp_json_has_the_same_shape() -> None:
    shipped = json.loads((REPO / "mcp.json").read_text())["mcpServers"]["midstream"]
    generated = host_config()["mcpServers"]["midstream"]
    assert shipped["args"] == generated["args"]
    assert set(shipped) == set(generated)


def test_version_verb_and_flag() -> None:
    out = subprocess.run(
        [sys.executable, "-m", "midstream_mcp", "version"], capture_output=True, text=True, check=True
    )
    assert out.stdout.startswith("midstream-mcp ")


def test_bad_config_file_exits_2_with_a_message(tmp_path: Path) -> None:
    out = subprocess.run(
        [sys.executable, "-m", "midstream_mcp", "--config", str(tmp_path / "missing.toml")],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert out.returncode == 2
    assert "config file not found" in out.stderr
    assert out.stdout == ""
