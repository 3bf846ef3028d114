"""Configuration layers: defaults < TOML file < environment < flags."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from midstream_mcp.config import ConfigError, Settings, is_loopback, load_settings


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    import os

    for key in list(os.environ):
        if key.startswith("MIDSTREAM_"):
            monkeypatch.delenv(key)


def write_toml(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "midstream.toml"
    path.write_text(text)
    return path


def test_defaults_bind_loopback_without_a_token() -> None:
    s = load_settings()
    assert s.server.host == "127.0.0.1" and s.server.port == 8765
    assert s.server.auth_token is None
    assert s.streaming.max_chunk_bytes == 65_536


def test_each_layer_overrides_the_one_below(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    toml = write_toml(
        tmp_path,
        '[server]\nport = 7000\nhost = "127.0.0.2"\n[limits]\nmax_candidates = 5\nmax_sequence_length = 9\n',
    )
    s = load_settings(toml)
    assert (s.server.port, s.server.host, s.limits.max_candidates) == (7000, "127.0.0.2", 5)

    monkeypatch.setenv("MIDSTREAM_SERVER__PORT", "9000")
    monkeypatch.setenv("MIDSTREAM_LIMITS__MAX_CANDIDATES", "6")
    s = load_settings(toml)
    assert (s.server.port, s.server.host, s.limits.max_candidates) == (9000, "127.0.0.2", 6)
    assert s.limits.max_sequence_length == 9  # untouched keys of a section survive

    s = load_settings(toml, server={"port": 1234, "host": None})
    assert (s.server.port, s.server.host) == (1234, "127.0.0.2")


def test_config_file_from_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MIDSTREAM_CONFIG", str(write_toml(tmp_path, "[streaming]\nmax_chunk_bytes = 10\n")))
    assert load_settings().streaming.max_chunk_bytes == 10


def test_missing_config_file_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="not found"):
        load_settings(tmp_path / "nope.toml")


def test_invalid_values_name_the_field(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MIDSTREAM_SERVER__PORT", "99999")
    with pytest.raises(ValidationError, match="port"):
        load_settings()


def test_secret_token_never_shows_in_repr(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MIDSTREAM_SERVER__AUTH_TOKEN", "hunter2-token")
    s = Settings()
    assert s.server.auth_token is not None
    assert s.server.auth_token.get_secret_value() == "hunter2-token"
    assert "hunter2" not in repr(s) and "hunter2" not in str(s.model_dump())


@pytest.mark.parametrize(
    ("host", "loopback"),
    [
        ("127.0.0.1", True),
        ("127.5.0.1", True),
        ("localhost", True),
        ("::1", True),
        ("[::1]", True),
        ("0.0.0.0", False),
        ("192.0.2.1", False),
        ("example.com", False),
        ("::", False),
    ],
)
def test_is_loopback(host: str, loopback: bool) -> None:
    assert is_loopback(host) is loopback
