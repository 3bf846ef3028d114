"""SQLite store: group commit, cursors, retention, exclusivity, durability across restarts."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import threading
from pathlib import Path
from typing import Any

import pytest

from midstream_mcp.core.events import ChunkProcessed, PatternMatched, StreamOpened
from midstream_mcp.core.pipeline import Pipeline
from midstream_mcp.core.store import Retention, SQLiteStore, StreamRecord


def _rec(sid: str, state: str = "open", last: int = 0, opened: float = 1.0) -> StreamRecord:
    return StreamRecord(sid, state, opened, None, "", {}, {"chunks": last}, {}, last)


def test_append_commit_callback_and_cursor(tmp_path: Path) -> None:
    with SQLiteStore(tmp_path / "a.sqlite3") as store:
        done = threading.Event()
        errors: list[BaseException | None] = []

        def cb(exc: BaseException | None) -> None:
            errors.append(exc)
            done.set()

        evs = [StreamOpened(1, "s", 1.0, {})] + [
            ChunkProcessed(i, "s", 1.0, index=i - 2) for i in range(2, 12)
        ]
        store.append(evs, [_rec("s", last=11)], cb)
        assert done.wait(5) and errors == [None]
        page = store.events("s", after_seq=0, limit=4)
        assert [e["seq"] for e in page] == [1, 2, 3, 4]
        assert [e["seq"] for e in store.events("s", after_seq=4, limit=100)] == list(range(5, 12))
        assert store.events("s", after_seq=11) == []
        assert [e["kind"] for e in store.events("s", kinds=["stream_opened"])] == ["stream_opened"]
        assert store.max_seq() == 11
        rec = store.stream("s")
        assert rec is not None and rec.metrics == {"chunks": 11}


def test_second_process_cannot_share_a_file(tmp_path: Path) -> None:
    path = tmp_path / "x.sqlite3"
    with SQLiteStore(path):
        code = f"from midstream_mcp.core.store import SQLiteStore; SQLiteStore({str(path)!r})"
        out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
        assert out.returncode != 0 and "StoreError" in out.stderr


def test_retention_limits(tmp_path: Path) -> None:
    with SQLiteStore(
        tmp_path / "r.sqlite3", retention=Retention(max_events_per_stream=5, max_age_s=100)
    ) as store:
        store.append(
            [ChunkProcessed(i, "new", 1000.0, index=i) for i in range(1, 21)], [_rec("new", opened=1000)]
        )
        store.append(
            [ChunkProcessed(i, "old", 10.0, index=i) for i in range(21, 24)],
            [_rec("old", "closed", opened=10)],
        )
        store.flush()
        store.sweep(now=1050.0)
        assert [e["seq"] for e in store.events("new", limit=100)] == [16, 17, 18, 19, 20]
        assert store.stream("old") is None and store.events("old") == []


def test_graceful_restart_lists_old_streams_events_and_metrics(tmp_path: Path) -> None:
    path = tmp_path / "g.sqlite3"
    store = SQLiteStore(path)
    pipe = Pipeline(store=store)
    done = pipe.open({"sanitizer": False, "label": "done"})["stream_id"]
    pipe.push_many_sync(done, ["a", "b"])
    pipe.close_sync(done)
    live = pipe.open({"sanitizer": False})["stream_id"]
    last = pipe.push_sync(live, "c").seq
    pipe.shutdown()
    store.close()

    store2 = SQLiteStore(path)
    pipe2 = Pipeline(store=store2)
    try:
        states = {s["stream_id"]: s["state"] for s in pipe2.list_streams()}
        assert states == {done: "closed", live: "interrupted"}
        info = pipe2.get(done)
        assert info["metrics"]["chunks"] == 2 and info["label"] == "done"
        evs = pipe2.events(done, 0, 2)
        assert [e["kind"] for e in evs] == ["stream_opened", "chunk"]
        assert [e["kind"] for e in pipe2.events(done, evs[-1]["seq"], 100)] == ["chunk", "stream_closed"]
        new = pipe2.open({"sanitizer": False})["stream_id"]
        assert pipe2.push_sync(new, "d").seq > last  # seq keeps increasing across restarts
        with pytest.raises(Exception, match="closed"):
            pipe2.push_sync(live, "e")
    finally:
        pipe2.shutdown()
        store2.close()


@pytest.mark.skipif(sys.platform == "win32", reason="SIGKILL")
def test_nothing_acknowledged_is_lost_on_kill(tmp_path: Path) -> None:
    path = tmp_path / "k.sqlite3"
    script = textwrap.dedent(
        f"""
        import sys
        from midstream_mcp.core.pipeline import Pipeline
        from midstream_mcp.core.store import SQLiteStore
        pipe = Pipeline(store=SQLiteStore({str(path)!r}))
        sid = pipe.open({{"sanitizer": {{"mode": "redact"}}}}, stream_id="victim")["stream_id"]

        def acked(fut):
            r = fut.result()
            print(r.index, r.seq, flush=True)

        i = 0
        while True:  # many chunks in flight: published, some committed, some not, when killed
            pipe.submit(sid, f"chunk {{i}} ").add_done_callback(acked)
            i += 1
        """
    )
    proc = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True)
    acked: list[tuple[int, int]] = []
    assert proc.stdout is not None
    for line in proc.stdout:
        idx, seq = map(int, line.split())
        acked.append((idx, seq))
        if len(acked) >= 50:
            os.kill(proc.pid, signal.SIGKILL)
            break
    proc.wait(10)
    with SQLiteStore(path) as store:
        assert store.recover() == 1
        rec = store.stream("victim")
        assert rec is not None and rec.state == "interrupted"
        stored = {e["seq"] for e in store.events("victim", 0, 100_000)}
        assert {seq for _, seq in acked} <= stored


def test_chunk_rows_read_back_like_to_dict_and_in_seq_order(tmp_path: Path) -> None:
    from midstream_mcp.core.events import PatternMatched, make_chunk

    finding = {"detector": "d", "category": "c", "start": 1, "end": 2, "score": 0.5, "evidence": "x*"}
    chunk = make_chunk(2, "s", 3.5, 0, 0, 5, 5, 1, "warn", "why", False, 0.25, "hello", (finding,), None, 0.1)
    assert chunk == ChunkProcessed(
        2, "s", 3.5, 0, 0, 5, 5, 1, "warn", "why", False, 0.25, "hello", (finding,), None, 0.1
    )
    evs = [
        StreamOpened(1, "s", 1.0, {"a": 1}),
        chunk,
        PatternMatched(3, "s", 3.5, "p", "literal", 0, 5, 0, "hello", 0),
        ChunkProcessed(4, "s", 4.0, index=1, blocked=True, emitted=None, gap_ms=2.0),
    ]
    with SQLiteStore(tmp_path / "c.sqlite3") as store:
        done = threading.Event()
        store.append(evs[:2], [_rec("s", last=2)], lambda exc: done.set())
        store.append(evs[2:], [_rec("s", last=4)])
        store.flush()
        assert done.is_set()
        assert store.events("s", 0, 100) == [e.to_dict() for e in evs]
        assert [e["seq"] for e in store.events(None, 1, 2)] == [2, 3]
        assert [e["kind"] for e in store.events("s", kinds=["chunk"])] == ["chunk", "chunk"]
        assert store.count_events("s") == 4 and store.max_seq() == 4
        with pytest.raises(Exception, match="in use"):
            SQLiteStore(tmp_path / "c.sqlite3")  # one owner per file, in this process too
    with SQLiteStore(tmp_path / "c.sqlite3") as again:  # released on close
        assert again.count_events() == 4


@pytest.mark.parametrize("n", [1, 61, 62, 63, 124, 200])
def test_many_chunk_rows_in_one_commit_read_back_whole(tmp_path: Path, n: int) -> None:
    # Chunk rows are inserted 62 to a statement: every row of every statement, and the remainder, lands.
    from midstream_mcp.core.events import make_chunk

    evs = [
        make_chunk(
            i,
            f"s{i % 2}",
            float(i),
            i,
            3 * i,
            3 * i + 3,
            3,
            1,
            "allow",
            f"r{i}",
            False,
            i / 1000,
            f"t{i}",
            (),
            None,
            0.5,
        )
        for i in range(1, n + 1)
    ]
    with SQLiteStore(tmp_path / "m.sqlite3") as store:
        store.append(evs, [])
        store.flush()
        assert store.events(None, 0, n + 10) == [e.to_dict() for e in evs]
        assert store.count_events("s1") == (n + 1) // 2


def test_paging_through_many_runs_of_interleaved_streams(tmp_path: Path) -> None:
    # Each append is one run per stream; other events sit between chunks; pages cut runs anywhere.
    with SQLiteStore(tmp_path / "p.sqlite3") as store:
        seq = 0
        expected: dict[str, list[int]] = {"a": [], "b": []}
        for batch in range(6):
            sid = "ab"[batch % 2]
            evs: list[Any] = []
            for i in range(5):
                seq += 1
                evs.append(ChunkProcessed(seq, sid, float(batch), index=i, emitted=f"{sid}{seq}"))
                if i == 2:
                    seq += 1
                    evs.append(PatternMatched(seq, sid, float(batch), "p"))
            store.append(evs, [])
            expected[sid] += [e.seq for e in evs]
        store.flush()
        for sid in "ab":
            got: list[int] = []
            cursor = 0
            while page := store.events(sid, after_seq=cursor, limit=4):
                got += [e["seq"] for e in page]
                cursor = page[-1]["seq"]
            assert got == expected[sid]
        every = store.events(None, after_seq=7, limit=10)
        assert [e["seq"] for e in every] == list(range(8, 18))
        chunks = store.events("a", after_seq=0, limit=7, kinds=["chunk"])
        assert [e["seq"] for e in chunks] == [s for s in expected["a"] if s % 6 != 4][:7]
        assert store.count_events() == seq and store.count_events("b") == len(expected["b"])


def test_retention_cuts_inside_a_run(tmp_path: Path) -> None:
    with SQLiteStore(
        tmp_path / "t.sqlite3", retention=Retention(max_events_per_stream=3, max_age_s=100)
    ) as store:
        # one run whose chunks straddle the age horizon (1050 - 100 = 950)
        store.append(
            [ChunkProcessed(i, "s", 900.0 + 20 * i, index=i) for i in range(1, 6)], [_rec("s", opened=900)]
        )
        store.flush()
        assert store.sweep(now=1050.0) == 2  # ts 920 and 940 are too old
        assert [e["seq"] for e in store.events("s")] == [3, 4, 5]
        store.append([ChunkProcessed(i, "s", 1000.0, index=i) for i in range(6, 9)], [_rec("s", opened=900)])
        store.flush()
        assert store.sweep(now=1050.0) == 3  # only the newest 3 stay
        assert [e["seq"] for e in store.events("s")] == [6, 7, 8]
        assert store.count_events("s") == 3


def test_a_file_from_the_row_per_chunk_version_is_converted(tmp_path: Path) -> None:
    import sqlite3

    path = tmp_path / "old.sqlite3"
    db = sqlite3.connect(path)
    db.executescript(
        """
        CREATE TABLE chunks (seq INTEGER PRIMARY KEY, stream_id TEXT NOT NULL, ts REAL NOT NULL,
            idx INTEGER NOT NULL, start INTEGER NOT NULL, "end" INTEGER NOT NULL, bytes INTEGER NOT NULL,
            tokens INTEGER NOT NULL, action TEXT NOT NULL, reason TEXT NOT NULL, blocked INTEGER NOT NULL,
            score REAL NOT NULL, emitted TEXT, findings TEXT, gap_ms REAL, latency_ms REAL NOT NULL);
        CREATE INDEX chunks_stream ON chunks (stream_id, seq);
        """
    )
    finding = {"detector": "pii", "category": "card", "start": 0, "end": 4, "score": 1.0, "evidence": "4***"}
    old = [
        ChunkProcessed(
            1, "s", 1.0, 0, 0, 4, 4, 1, "redact", "card", False, 0.9, "[CARD]", (finding,), None, 0.5
        ),
        ChunkProcessed(2, "s", 2.0, 1, 4, 6, 2, 1, "block", "injection", True, 0.95, None, (), 3.0, 0.25),
        ChunkProcessed(3, "t", 2.0, 0, 0, 2, 2, 1, "allow", "nothing found", False, 0.0, "hi", (), None, 0.1),
    ]
    db.executemany(
        "INSERT INTO chunks VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [
            (c.seq, c.stream_id, c.ts, c.index, c.start, c.end, c.bytes, c.tokens, c.action, c.reason,
             int(c.blocked), c.score, c.emitted, json.dumps(list(c.findings)) if c.findings else None,
             c.gap_ms, c.latency_ms)
            for c in old
        ],
    )  # fmt: skip
    db.commit()
    db.close()
    with SQLiteStore(path) as store:
        assert store.events(None, 0, 100) == [c.to_dict() for c in old]
        assert store.max_seq() == 3 and store.count_events("s") == 2
    db = sqlite3.connect(path)
    assert db.execute("SELECT name FROM sqlite_master WHERE name = 'chunks'").fetchone() is None
    db.close()
