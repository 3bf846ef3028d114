"""A store double whose commits wait at a gate: makes "published, not yet committed" a state a test holds."""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from midstream_mcp.core.store import SQLiteStore


class GatedStore(SQLiteStore):
    """A :class:`SQLiteStore` whose writer thread waits for ``gate`` before each commit.

    ``gate`` starts open. ``waiting`` is set when a commit has reached the
    closed gate. With ``fail`` set, a commit let through fails (as a full or
    broken disk would) instead of writing.
    """

    def __init__(self, path: str | Path, **options: Any) -> None:
        super().__init__(path, **options)
        self.gate = threading.Event()
        self.gate.set()
        self.waiting = threading.Event()
        self.fail = False

    def _write(self, batch: list[tuple[Sequence[Any], Sequence[Any], Any]]) -> None:
        if not self.gate.is_set():
            self.waiting.set()
            self.gate.wait()
        if self.fail:
            raise sqlite3.OperationalError("disk I/O error")
        super()._write(batch)
