"""A second server on the same store file takes a sibling file instead of failing."""

from __future__ import annotations

from pathlib import Path

import pytest

from midstream_mcp.config import Settings, StreamingSettings
from midstream_mcp.core.store import StoreError
from midstream_mcp.server.streams import STORE_FALLBACKS, open_store


def settings_for(path: Path) -> Settings:
    return Settings(warmup=False, streaming=StreamingSettings(store_path=str(path)))


def test_second_opener_takes_the_next_free_sibling(tmp_path: Path) -> None:
    path = tmp_path / "streams.sqlite3"
    first = open_store(settings_for(path))
    second = open_store(settings_for(path))
    third = open_store(settings_for(path))
    try:
        assert Path(first.path) == path
        assert Path(second.path) == tmp_path / "streams.1.sqlite3"
        assert Path(third.path) == tmp_path / "streams.2.sqlite3"
    finally:
        for s in (first, second, third):
            s.close()
    # Once free, the configured file is taken again (a restart finds its history).
    again = open_store(settings_for(path))
    try:
        assert Path(again.path) == path
    finally:
        again.close()


def test_all_siblings_taken_is_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "s.sqlite3"
    held = [open_store(settings_for(path)) for _ in range(STORE_FALLBACKS + 1)]
    try:
        with pytest.raises(StoreError, match="in use by another process"):
            open_store(settings_for(path))
    finally:
        for s in held:
            s.close()
