"""Durable stream history: streams, chunk verdicts (with emitted or redacted text), events and metrics.

:class:`SQLiteStore` writes on its own thread with group commit: everything
appended while the previous transaction was committing goes into the next
one, so the writer keeps up with any ingest rate and the caller never waits
on disk. A callback passed to :meth:`SQLiteStore.append` runs (on the writer
thread) once its records are committed: that is what "acknowledged" means.

Durability: the database is in WAL mode with ``synchronous=NORMAL`` by default,
so a committed transaction survives a crash or kill of the process;
``synchronous="FULL"`` also survives power loss, at the cost of an fsync per
group commit. One process owns a store file at a time (it holds a lock on
``<file>.lock``; a second opener gets a clear error). WAL checkpoints run on
their own connection and thread, so their fsyncs never delay a commit.

Chunks are stored as their ``chunk`` events, packed in runs: one row of the
``chunk_runs`` table holds the chunk events of one stream from one append (an
analysis batch), as columns (see :mod:`._chunk_runs`; a row per chunk cost more
than everything else in ingest). Other events are JSON rows of ``events``;
readers see both as one seq-ordered sequence of event dicts. The text kept is
the event's ``emitted`` text, i.e. the redacted form when the stream's policy
redacts, and nothing for blocked chunks. Raw text is never written in redact
mode. A file written by an older version (one ``chunks`` row per chunk) is
converted when it is opened.
"""

from __future__ import annotations

import json
import logging
import os
import sqlite3
import sys
import threading
import time
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from itertools import chain
from operator import itemgetter
from pathlib import Path
from typing import Any, Protocol, cast, runtime_checkable

from midstream_mcp.core import _chunk_runs as chunk_runs
from midstream_mcp.core.events import ChunkProcessed, Event, event_from_dict

logger = logging.getLogger("midstream_mcp.store")

__all__ = ["Retention", "SQLiteStore", "Store", "StoreError", "StreamRecord"]

Callback = Callable[[BaseException | None], None]


class StoreError(RuntimeError):
    """The store cannot be opened or a write failed."""


@dataclass(frozen=True, slots=True)
class Retention:
    """Retention limits: events kept per stream, and age (seconds) after which closed streams go."""

    max_events_per_stream: int | None = 100_000
    max_age_s: float | None = 30 * 86_400.0
    sweep_interval_s: float = 30.0


@dataclass(frozen=True, slots=True)
class StreamRecord:
    """The latest state of one stream, as the store keeps it."""

    stream_id: str
    state: str
    opened_at: float
    closed_at: float | None
    label: str
    policy: dict[str, Any]
    metrics: dict[str, Any]
    monitors: dict[str, str]
    last_seq: int

    def to_dict(self) -> dict[str, Any]:
        return {
            "stream_id": self.stream_id,
            "state": self.state,
            "opened_at": self.opened_at,
            "closed_at": self.closed_at,
            "label": self.label,
            "policy": self.policy,
            "metrics": self.metrics,
            "monitors": self.monitors,
            "last_seq": self.last_seq,
        }


@runtime_checkable
class Store(Protocol):
    """Where the pipeline persists its history. Implementations must keep append order."""

    def append(
        self, events: Sequence[Event], streams: Sequence[StreamRecord] = (), callback: Callback | None = None
    ) -> None:
        """Queue records for writing; ``callback(None)`` once committed, ``callback(exc)`` on failure."""
        ...

    def flush(self, timeout: float | None = None) -> bool:
        """Wait until everything appended so far is committed; False on time-out."""
        ...

    def max_seq(self) -> int:
        """Highest event ``seq`` stored (0 when empty)."""
        ...

    def recover(self) -> int:
        """Mark streams left ``open`` by a previous process as ``interrupted``; how many."""
        ...

    def streams(self, limit: int = 1000) -> list[StreamRecord]:
        """Stored streams, most recently opened first."""
        ...

    def stream(self, stream_id: str) -> StreamRecord | None:
        """One stored stream, or None."""
        ...

    def events(
        self, stream_id: str | None = None, after_seq: int = 0, limit: int = 100, kinds: Sequence[str] = ()
    ) -> list[dict[str, Any]]:
        """Events with ``seq > after_seq`` in seq order (of one stream or all), as dicts."""
        ...

    def close(self) -> None:
        """Commit what is queued and release the file."""
        ...


_SCHEMA = """
CREATE TABLE IF NOT EXISTS streams (
    stream_id TEXT PRIMARY KEY,
    state TEXT NOT NULL,
    opened_at REAL NOT NULL,
    closed_at REAL,
    label TEXT NOT NULL DEFAULT '',
    policy TEXT NOT NULL,
    metrics TEXT NOT NULL,
    monitors TEXT NOT NULL,
    last_seq INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS events (
    seq INTEGER PRIMARY KEY,
    stream_id TEXT NOT NULL,
    ts REAL NOT NULL,
    kind TEXT NOT NULL,
    data TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS events_stream ON events (stream_id, seq);
CREATE TABLE IF NOT EXISTS chunk_runs (
    first_seq INTEGER PRIMARY KEY,
    last_seq INTEGER NOT NULL,
    stream_id TEXT NOT NULL,
    n INTEGER NOT NULL,
    ts_min REAL NOT NULL,
    ts_max REAL NOT NULL,
    cols BLOB NOT NULL
);
CREATE INDEX IF NOT EXISTS chunk_runs_stream ON chunk_runs (stream_id, first_seq);
"""

_dumps = chunk_runs.dumps


class SQLiteStore:
    """:class:`Store` over one SQLite file (or ``":memory:"``), written by one writer thread."""

    def __init__(
        self,
        path: str | os.PathLike[str] = ":memory:",
        *,
        retention: Retention | None = None,
        synchronous: str = "NORMAL",
        max_queue: int = 1_000_000,
    ) -> None:
        if synchronous.upper() not in ("OFF", "NORMAL", "FULL", "EXTRA"):
            raise ValueError(f"synchronous must be OFF, NORMAL, FULL or EXTRA, got {synchronous!r}")
        self.path = str(path)
        self.retention = retention or Retention()
        self._max_queue = max_queue
        if self.path != ":memory:":
            Path(self.path).expanduser().parent.mkdir(parents=True, exist_ok=True)
            self.path = str(Path(self.path).expanduser())
        on_disk = self.path != ":memory:"
        self._lockfile = _lock_file(self.path + ".lock") if on_disk else None
        try:
            self._db = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None, timeout=0.5)
            if on_disk:
                self._db.execute("PRAGMA journal_mode=WAL")
                # checkpoints (and their fsyncs) run on their own connection and thread, not in commits
                self._db.execute("PRAGMA wal_autocheckpoint=0")
            self._db.execute(f"PRAGMA synchronous={synchronous.upper()}")
            self._db.executescript(_SCHEMA)
            _convert_chunk_rows(self._db)
            # a process holding the file with an older, exclusive-mode store makes this fail
            self._db.execute("BEGIN IMMEDIATE")
            self._db.execute("COMMIT")
        except sqlite3.OperationalError as exc:
            _unlock_file(self._lockfile)
            raise StoreError(
                f"cannot open stream store {self.path!r}: {exc} (in use by another process?)"
            ) from exc
        self._ckpt_wake = threading.Event()
        self._ckpt_stop = False
        self._ckpt_thread: threading.Thread | None = None
        if on_disk:
            self._ckpt_thread = threading.Thread(target=self._checkpoints, name="midstream-ckpt", daemon=True)
            self._ckpt_thread.start()
        self._db_lock = threading.Lock()  # the writer thread and readers share one connection
        self._cv = threading.Condition(threading.Lock())
        self._pending: deque[tuple[Sequence[Event], Sequence[StreamRecord], Callback | None]] = deque()
        self._queued_events = 0
        self._appended = 0  # append() calls so far
        self._committed = 0  # append() calls committed (or failed) so far
        self._closing = False
        self._policies: dict[str, tuple[dict[str, Any], str]] = {}  # stream_id -> (policy, its JSON)
        self._last_sweep = time.monotonic()
        self.commits = 0
        self._thread = threading.Thread(target=self._run, name="midstream-store", daemon=True)
        self._thread.start()

    # ------------------------------------------------------------------ writing

    def append(
        self, events: Sequence[Event], streams: Sequence[StreamRecord] = (), callback: Callback | None = None
    ) -> None:
        with self._cv:
            if self._closing:
                raise StoreError("the store is closed")
            while self._queued_events > self._max_queue:
                self._cv.wait(0.1)  # the disk is far behind: hold the producer (bounded memory)
            self._pending.append((events, streams, callback))
            self._queued_events += len(events)
            self._appended += 1
            self._cv.notify_all()

    def flush(self, timeout: float | None = None) -> bool:
        deadline = None if timeout is None else time.monotonic() + timeout
        with self._cv:
            target = self._appended
            while self._committed < target:
                left = None if deadline is None else deadline - time.monotonic()
                if left is not None and left <= 0:
                    return False
                self._cv.wait(left)
        return True

    def _run(self) -> None:
        interval = self.retention.sweep_interval_s
        while True:
            with self._cv:
                while not self._pending and not self._closing:
                    if not self._cv.wait(interval):
                        break  # quiet for a while: time to sweep
                if self._closing and not self._pending:
                    return
                batch = list(self._pending)
                self._pending.clear()
            if batch:
                try:
                    self._commit(batch)
                finally:
                    with self._cv:
                        self._committed += len(batch)
                        self._cv.notify_all()
            if time.monotonic() - self._last_sweep > interval:
                try:
                    self.sweep()
                except Exception:
                    logger.exception("stream store retention sweep failed")

    def _checkpoints(self) -> None:
        """Copy the WAL into the database off the commit path (PASSIVE: never blocks the writer).

        A checkpoint's fsync stalls the commits' WAL writes on the same disk for a
        moment, so checkpoints come every ``_CHECKPOINT_INTERVAL_S`` (2 s), not more
        often: at 0.25 s one chunk in a hundred of a steady 1,000 chunks/s met one,
        which set the p99 of the added latency. Commits keep landing while a passive
        checkpoint runs, so the WAL cannot restart on its own under steady load;
        past ``_WAL_RESTART_PAGES`` a RESTART checkpoint (a short writer stall,
        everything already copied) lets it start over.
        """
        db = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None, timeout=5.0)
        try:
            while not self._ckpt_stop:
                self._ckpt_wake.wait(_CHECKPOINT_INTERVAL_S)
                self._ckpt_wake.clear()
                if self._ckpt_stop:
                    break
                try:
                    _, frames, _ = db.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
                    if frames > _WAL_RESTART_PAGES:
                        db.execute("PRAGMA wal_checkpoint(RESTART)").fetchone()
                except sqlite3.Error:
                    logger.debug("checkpoint failed; retrying later", exc_info=True)
        finally:
            db.close()

    def _commit(self, batch: list[tuple[Sequence[Event], Sequence[StreamRecord], Callback | None]]) -> None:
        """Write one transaction, free its queue room, then run its callbacks (with the error, if it failed).

        Room first: a callback may need a lock held by a producer that waits in
        :meth:`append` for room (the pipeline's seq lock, when it reports a failed commit).
        """
        error: BaseException | None = None
        try:
            self._write(batch)
        except Exception as exc:
            logger.exception("stream store write failed")
            error = StoreError(f"store write failed: {exc}")
        finally:
            with self._cv:
                self._queued_events -= sum(len(e) for e, _, _ in batch)
                self._cv.notify_all()
        for _, _, cb in batch:
            if cb is not None:
                try:
                    cb(error)
                except Exception:
                    logger.exception("store callback failed")

    def _write(self, batch: list[tuple[Sequence[Event], Sequence[StreamRecord], Callback | None]]) -> None:
        rows: list[tuple[Any, ...]] = []
        runs: list[chunk_runs.Run] = []
        chunk_type = ChunkProcessed
        for events, _, _ in batch:
            has_chunks = False
            for ev in events:
                if type(ev) is chunk_type:
                    has_chunks = True
                else:
                    rows.append((ev.seq, ev.stream_id, ev.ts, ev.kind, _dumps(ev.to_dict())))
            if has_chunks:
                runs.extend(map(chunk_runs.encode, chunk_runs.runs_of(events)))
        latest: dict[str, StreamRecord] = {}
        for _, streams, _ in batch:
            for rec in streams:
                latest[rec.stream_id] = rec
        srows = [
            (
                r.stream_id,
                r.state,
                r.opened_at,
                r.closed_at,
                r.label,
                self._policy_json(r),
                _dumps(r.metrics),
                _dumps(r.monitors),
                r.last_seq,
            )
            for r in latest.values()
        ]
        with self._db_lock:
            db = self._db
            db.execute("BEGIN")
            try:
                if runs:
                    db.executemany("INSERT OR REPLACE INTO chunk_runs VALUES (?, ?, ?, ?, ?, ?, ?)", runs)
                if rows:
                    db.executemany("INSERT OR REPLACE INTO events VALUES (?, ?, ?, ?, ?)", rows)
                if srows:
                    db.executemany(
                        "INSERT INTO streams VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"
                        " ON CONFLICT(stream_id) DO UPDATE SET state=excluded.state,"
                        " closed_at=excluded.closed_at, label=excluded.label,"
                        " metrics=excluded.metrics, monitors=excluded.monitors,"
                        " last_seq=max(streams.last_seq, excluded.last_seq)",
                        srows,
                    )
                db.execute("COMMIT")
            except BaseException:
                db.execute("ROLLBACK")
                raise
            self.commits += 1

    def _policy_json(self, r: StreamRecord) -> str:
        """The policy as JSON, serialised once per stream (it never changes; commits repeat the record)."""
        cached = self._policies.get(r.stream_id)
        if cached is not None and cached[0] is r.policy:
            return cached[1]
        text = _dumps(r.policy)
        if len(self._policies) >= 4096:
            self._policies.clear()
        self._policies[r.stream_id] = (r.policy, text)
        return text

    def sweep(self, now: float | None = None) -> int:
        """Apply the retention limits now; returns how many events were deleted."""
        self._last_sweep = time.monotonic()
        r = self.retention
        deleted = 0
        with self._db_lock:
            db = self._db
            db.execute("BEGIN")
            try:
                if r.max_age_s is not None:
                    horizon = (time.time() if now is None else now) - r.max_age_s
                    old = [
                        row[0]
                        for row in db.execute(
                            "SELECT stream_id FROM streams"
                            " WHERE state != 'open' AND coalesce(closed_at, opened_at) < ?",
                            (horizon,),
                        )
                    ]
                    for sid in old:
                        deleted += db.execute("DELETE FROM events WHERE stream_id = ?", (sid,)).rowcount
                        deleted += _delete_runs(db, "stream_id = ?", (sid,))
                        db.execute("DELETE FROM streams WHERE stream_id = ?", (sid,))
                    deleted += db.execute("DELETE FROM events WHERE ts < ?", (horizon,)).rowcount
                    deleted += _delete_runs(db, "ts_max < ?", (horizon,))
                    deleted += _trim_runs(db, "ts_min < ?", (horizon,), lambda c: c["ts"] >= horizon)
                if r.max_events_per_stream is not None:
                    for (sid,) in db.execute("SELECT stream_id FROM streams").fetchall():
                        cutoff = _cutoff_seq(db, sid, r.max_events_per_stream)
                        if cutoff is None:
                            continue
                        deleted += db.execute(
                            "DELETE FROM events WHERE stream_id = ? AND seq <= ?", (sid, cutoff)
                        ).rowcount
                        deleted += _delete_runs(db, "stream_id = ? AND last_seq <= ?", (sid, cutoff))
                        deleted += _trim_runs(
                            db, "stream_id = ? AND first_seq <= ?", (sid, cutoff), _seq_after(cutoff)
                        )
                db.execute("COMMIT")
            except BaseException:
                db.execute("ROLLBACK")
                raise
        return deleted

    # ------------------------------------------------------------------ reading

    def max_seq(self) -> int:
        with self._db_lock:
            row = self._db.execute("SELECT max(seq) FROM events").fetchone()
            row1 = self._db.execute("SELECT max(last_seq) FROM chunk_runs").fetchone()
            row2 = self._db.execute("SELECT max(last_seq) FROM streams").fetchone()
        return max(int(row[0] or 0), int(row1[0] or 0), int(row2[0] or 0))

    def recover(self) -> int:
        with self._db_lock:
            cur = self._db.execute(
                "UPDATE streams SET state = 'interrupted', closed_at = coalesce(closed_at, ?)"
                " WHERE state = 'open'",
                (time.time(),),
            )
            return int(cur.rowcount)

    def streams(self, limit: int = 1000) -> list[StreamRecord]:
        with self._db_lock:
            rows = self._db.execute(
                "SELECT * FROM streams ORDER BY opened_at DESC LIMIT ?", (limit,)
            ).fetchall()
        return [_record(r) for r in rows]

    def stream(self, stream_id: str) -> StreamRecord | None:
        with self._db_lock:
            row = self._db.execute("SELECT * FROM streams WHERE stream_id = ?", (stream_id,)).fetchone()
        return None if row is None else _record(row)

    def events(
        self, stream_id: str | None = None, after_seq: int = 0, limit: int = 100, kinds: Sequence[str] = ()
    ) -> list[dict[str, Any]]:
        limit = max(0, int(limit))
        where = " WHERE seq > ?"
        args: list[Any] = [after_seq]
        if stream_id is not None:
            where += " AND stream_id = ?"
            args.append(stream_id)
        if kinds:
            where += f" AND kind IN ({','.join('?' * len(kinds))})"
            args += list(kinds)
        with self._db_lock:
            rows = self._db.execute(
                f"SELECT seq, data FROM events{where} ORDER BY seq LIMIT ?", [*args, limit]
            )
            out = [(seq, json.loads(data)) for seq, data in rows]
            if not kinds or "chunk" in kinds:
                out += ((c["seq"], c) for c in self._chunks_after(stream_id, after_seq, limit))
        out.sort(key=itemgetter(0))
        return [ev for _, ev in out[:limit]]

    def _chunks_after(self, stream_id: str | None, after_seq: int, limit: int) -> list[dict[str, Any]]:
        """The first ``limit`` chunk events with ``seq > after_seq`` (caller holds the db lock).

        Runs do not interleave, so they are read in ``first_seq`` order from the one
        that holds ``after_seq`` (if any) until ``limit`` chunks are in hand.
        """
        by_stream = "" if stream_id is None else " AND stream_id = ?"
        extra = () if stream_id is None else (stream_id,)
        db = self._db
        found: list[dict[str, Any]] = []
        # The last run starting at or before the cursor (one index step; asking for last_seq > cursor
        # in SQL would scan back through every older run when this one ends at the cursor).
        holding = [
            (sid, cols)
            for sid, cols, last in db.execute(
                f"SELECT stream_id, cols, last_seq FROM chunk_runs WHERE first_seq <= ?{by_stream}"
                " ORDER BY first_seq DESC LIMIT 1",
                (after_seq, *extra),
            )
            if last > after_seq
        ]
        later = db.execute(
            f"SELECT stream_id, cols FROM chunk_runs WHERE first_seq > ?{by_stream} ORDER BY first_seq",
            (after_seq, *extra),
        )
        for sid, cols in chain(holding, later):
            if len(found) >= limit:
                break
            found += (c for c in chunk_runs.decode(sid, cols) if c["seq"] > after_seq)
        return found[:limit]

    def count_events(self, stream_id: str | None = None) -> int:
        """How many events are stored (of one stream or all)."""
        with self._db_lock:
            return _count_events(self._db, stream_id)

    def close(self) -> None:
        with self._cv:
            if self._closing:
                return
            self._closing = True
            self._cv.notify_all()
        self._thread.join()
        if self._ckpt_thread is not None:
            self._ckpt_stop = True
            self._ckpt_wake.set()
            self._ckpt_thread.join()
        with self._db_lock:
            self._db.close()  # the last connection: checkpoints everything and removes the WAL
        _unlock_file(self._lockfile)
        self._lockfile = None

    def __enter__(self) -> SQLiteStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


_CHECKPOINT_INTERVAL_S = 2.0  # ~20 MB of WAL at 1,000 one-chunk commits a second
_WAL_RESTART_PAGES = 16_384  # 64 MiB of 4 KiB pages


def _lock_file(path: str) -> int:
    """Hold an exclusive lock on ``path`` (created if needed) while the store lives: one process per file."""
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        if sys.platform == "win32":
            import msvcrt

            msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)
        else:
            import fcntl

            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError as exc:
        os.close(fd)
        raise StoreError(
            f"cannot open stream store {path.removesuffix('.lock')!r}: in use by another process ({exc})"
        ) from exc
    return fd


def _unlock_file(fd: int | None) -> None:
    if fd is not None:
        os.close(fd)  # releases the lock


def _convert_chunk_rows(db: sqlite3.Connection) -> None:
    """Move the chunk rows of a file from an older version (a ``chunks`` row each) into runs."""
    if db.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'chunks'").fetchone() is None:
        return
    cols = [row[1] for row in db.execute("PRAGMA table_info(chunks)")]
    db.execute("BEGIN IMMEDIATE")
    try:
        cursor = db.execute("SELECT * FROM chunks ORDER BY seq")
        while page := cursor.fetchmany(4096):
            events = [_old_chunk_event(dict(zip(cols, row, strict=True))) for row in page]
            db.executemany(
                "INSERT OR REPLACE INTO chunk_runs VALUES (?, ?, ?, ?, ?, ?, ?)",
                [chunk_runs.encode(run) for run in chunk_runs.runs_of(events)],
            )
        db.execute("DROP TABLE chunks")
        db.execute("COMMIT")
    except BaseException:
        db.execute("ROLLBACK")
        raise


def _old_chunk_event(row: dict[str, Any]) -> ChunkProcessed:
    return ChunkProcessed(
        row["seq"], row["stream_id"], row["ts"], row["idx"], row["start"], row["end"], row["bytes"],
        row["tokens"], row["action"], row["reason"], bool(row["blocked"]), row["score"], row["emitted"],
        tuple(json.loads(row["findings"])) if row["findings"] else (), row["gap_ms"], row["latency_ms"],
    )  # fmt: skip


def _seq_after(cutoff: int) -> Callable[[dict[str, Any]], bool]:
    return lambda event: bool(event["seq"] > cutoff)


def _delete_runs(db: sqlite3.Connection, where: str, args: tuple[Any, ...]) -> int:
    """Delete the chunk runs matching ``where``; how many chunk events went with them."""
    n = db.execute(f"SELECT coalesce(sum(n), 0) FROM chunk_runs WHERE {where}", args).fetchone()[0]
    if n:
        db.execute(f"DELETE FROM chunk_runs WHERE {where}", args)
    return int(n)


def _trim_runs(
    db: sqlite3.Connection, where: str, args: tuple[Any, ...], keep: Callable[[dict[str, Any]], bool]
) -> int:
    """Rewrite the runs matching ``where`` with only the chunk events ``keep`` accepts; how many went."""
    removed = 0
    for first, sid, cols in db.execute(
        f"SELECT first_seq, stream_id, cols FROM chunk_runs WHERE {where}", args
    ).fetchall():
        chunks = chunk_runs.decode(sid, cols)
        kept = [c for c in chunks if keep(c)]
        if len(kept) == len(chunks):
            continue
        removed += len(chunks) - len(kept)
        db.execute("DELETE FROM chunk_runs WHERE first_seq = ?", (first,))
        if kept:
            events = [cast(ChunkProcessed, event_from_dict(c)) for c in kept]
            db.execute("INSERT INTO chunk_runs VALUES (?, ?, ?, ?, ?, ?, ?)", chunk_runs.encode(events))
    return removed


def _count_events(db: sqlite3.Connection, stream_id: str | None) -> int:
    """How many events are stored (of one stream or all): JSON rows plus the chunks of the runs."""
    where, args = ("", ()) if stream_id is None else (" WHERE stream_id = ?", (stream_id,))
    events = db.execute(f"SELECT count(*) FROM events{where}", args).fetchone()[0]
    chunks = db.execute(f"SELECT coalesce(sum(n), 0) FROM chunk_runs{where}", args).fetchone()[0]
    return int(events) + int(chunks)


def _cutoff_seq(db: sqlite3.Connection, stream_id: str, keep: int) -> int | None:
    """The newest seq of ``stream_id`` beyond its ``keep`` newest events, or None if it has no more."""
    if _count_events(db, stream_id) <= keep:
        return None
    newest = [
        seq
        for (seq,) in db.execute(
            "SELECT seq FROM events WHERE stream_id = ? ORDER BY seq DESC LIMIT ?", (stream_id, keep + 1)
        )
    ]
    have = 0
    for sid, cols in db.execute(
        "SELECT stream_id, cols FROM chunk_runs WHERE stream_id = ? ORDER BY first_seq DESC", (stream_id,)
    ):
        if have > keep:
            break  # older runs hold only older seqs: the newest keep + 1 are in hand
        seqs = [c["seq"] for c in chunk_runs.decode(sid, cols)]
        newest += seqs
        have += len(seqs)
    newest.sort(reverse=True)
    return int(newest[keep])


def _record(row: Sequence[Any]) -> StreamRecord:
    return StreamRecord(
        stream_id=row[0],
        state=row[1],
        opened_at=row[2],
        closed_at=row[3],
        label=row[4],
        policy=json.loads(row[5]),
        metrics=json.loads(row[6]),
        monitors=json.loads(row[7]),
        last_seq=int(row[8]),
    )
