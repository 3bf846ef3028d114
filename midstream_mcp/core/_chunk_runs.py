"""Chunk events stored as runs: the ``chunk`` events of one stream packed into one row of columns.

A row per chunk costs SQLite about 6 µs (sixteen bound parameters, a table and an
index insert); at tens of thousands of chunks a second that was the largest single
cost of ingest. A *run* is the chunk events one append holds for one stream, in
order (the pipeline appends one analysis batch at a time). Its columns are packed
once: a value the whole run shares is stored once, numbers go in typed arrays,
and only the columns that vary and are text go through JSON. Readers unpack a run
only when they ask for history.

The format (``cols``): a compact JSON header, a newline, then the float columns
(``ts``, ``score``, ``gap_ms``, ``latency_ms``) as one float64 array, then the
varying integer columns the header names under ``ints`` as one int64 array, all
little-endian::

    {"v": 1, "n": 3, "same": {"action": "allow", ...}, "json": {"emitted": [...]},
     "ints": ["seq", "index", ...]}\\n<4 x 3 float64><2 x 3 int64>

JSON never writes a raw newline outside strings and escapes it inside them, so the
first newline ends the header.
"""

from __future__ import annotations

import json
import math
import sys
from array import array
from collections.abc import Callable, Iterator, Sequence
from itertools import chain
from typing import Any, NamedTuple

from midstream_mcp.core.events import ChunkProcessed

__all__ = ["Run", "decode", "encode", "runs_of"]

#: The columns of a run, in ``ChunkProcessed.to_dict`` order (``stream_id`` is the row's own column).
FIELDS = (
    "seq", "ts", "index", "start", "end", "bytes", "tokens", "action", "reason", "blocked", "score",
    "emitted", "findings", "gap_ms", "latency_ms",
)  # fmt: skip
#: Float columns: always one float64 array, column after column (``gap_ms`` None as NaN), because
#: formatting floats as JSON costs more than their bytes.
_FLOATS = ("ts", "score", "gap_ms", "latency_ms")
#: Integer columns: stored once when the run shares the value, else in one int64 array.
_INTS = frozenset(("seq", "index", "start", "end", "bytes", "tokens"))
_VERSION = 1
_SWAP = sys.byteorder == "big"  # arrays are stored little-endian whatever the machine


def _compact_encoder() -> Callable[[Any], str]:
    """Compact JSON, non-ASCII kept, through one C encoder made once (``json.dumps`` makes a new one
    per call, which costs more than encoding a one-chunk run's header); the store's encoder too."""
    fallback = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), default=str).encode
    make = getattr(json.encoder, "c_make_encoder", None)
    try:
        encoder = make(None, str, json.encoder.encode_basestring, None, ":", ",", False, False, True)  # type: ignore[misc]
        probe = {"a": [1, 2.5, None, True, "é\n"], "b": {}}
        if "".join(encoder(probe, 0)) == fallback(probe):
            return lambda value: "".join(encoder(value, 0))
    except TypeError:  # pragma: no cover - no C encoder, or another signature
        pass
    return fallback  # pragma: no cover


dumps = _compact_encoder()


class Run(NamedTuple):
    """One row of the ``chunk_runs`` table."""

    first_seq: int
    last_seq: int
    stream_id: str
    n: int
    ts_min: float
    ts_max: float
    cols: bytes


def runs_of(events: Sequence[Any]) -> Iterator[list[ChunkProcessed]]:
    """The chunk events of ``events``, cut into runs: consecutive chunk events of one stream.

    Other events in between do not cut a run; a chunk of another stream does, so
    runs never interleave when seqs increase in append order (the store's contract).
    """
    chunks = [ev for ev in events if type(ev) is ChunkProcessed]
    if len({c.stream_id for c in chunks}) <= 1:  # the usual case: one analysis batch of one stream
        if chunks:
            yield chunks
        return
    run: list[ChunkProcessed] = []
    for c in chunks:
        if run and c.stream_id != run[-1].stream_id:
            yield run
            run = []
        run.append(c)
    yield run


def encode(chunks: Sequence[ChunkProcessed]) -> Run:
    """Pack the chunk events of one stream (at least one, seqs increasing) into a :class:`Run`.

    :func:`decode` gives back what ``to_dict`` gives, with numbers read back as their
    field's declared type (a ``ts`` of 2 as 2.0, ``blocked`` as a bool, a NaN
    ``gap_ms`` as None), as typed SQL columns would.
    """
    return _encode_one(chunks[0]) if len(chunks) == 1 else _encode_many(chunks)


def _encode_one(c: ChunkProcessed) -> Run:
    """:func:`_encode_many` of one chunk event, the same bytes, quicker: a steady trickle of chunks
    commits them one at a time, and then every value but the floats is the run's own."""
    try:
        floats = array("d", (c.ts, c.score, math.nan if c.gap_ms is None else c.gap_ms, c.latency_ms))
    except TypeError:
        return _encode_as_json([c])
    if _SWAP:
        floats.byteswap()
    same = {
        "seq": c.seq, "index": c.index, "start": c.start, "end": c.end, "bytes": c.bytes,
        "tokens": c.tokens, "action": c.action, "reason": c.reason, "blocked": c.blocked,
        "emitted": c.emitted, "findings": c.findings,
    }  # fmt: skip
    header = dumps({"v": _VERSION, "n": 1, "same": same, "json": {}, "ints": []})
    return Run(c.seq, c.seq, c.stream_id, 1, c.ts, c.ts, header.encode("utf-8") + b"\n" + floats.tobytes())


def _encode_many(chunks: Sequence[ChunkProcessed]) -> Run:
    n = len(chunks)
    rows = [
        (
            c.seq, c.ts, c.index, c.start, c.end, c.bytes, c.tokens, c.action, c.reason, c.blocked,
            c.score, c.emitted, c.findings, c.gap_ms, c.latency_ms,
        )
        for c in chunks
    ]  # fmt: skip
    columns = dict(zip(FIELDS, zip(*rows, strict=False), strict=True))
    same: dict[str, Any] = {}
    as_json: dict[str, list[Any]] = {}
    ints: list[str] = []
    for name, col in columns.items():
        if name in _FLOATS:
            continue
        if col.count(col[0]) == n:
            same[name] = col[0]
        elif name in _INTS:
            ints.append(name)  # array("q") below refuses what is not an integer
        else:
            as_json[name] = list(col)
    gaps = columns["gap_ms"]
    if None in gaps:
        columns["gap_ms"] = tuple(math.nan if x is None else x for x in gaps)
    try:
        floats = array("d", chain.from_iterable(columns[name] for name in _FLOATS))
        packed_ints = array("q", chain.from_iterable(columns[name] for name in ints))
    except (TypeError, OverflowError):  # not numbers, or too large for 64 bits: JSON keeps them
        return _encode_as_json(chunks)
    if _SWAP:
        floats.byteswap()
        packed_ints.byteswap()
    header = dumps({"v": _VERSION, "n": n, "same": same, "json": as_json, "ints": ints})
    ts = columns["ts"]
    return Run(
        rows[0][0], rows[-1][0], chunks[0].stream_id, n, min(ts), max(ts),
        b"".join((header.encode("utf-8"), b"\n", floats.tobytes(), packed_ints.tobytes())),
    )  # fmt: skip


def _encode_as_json(chunks: Sequence[ChunkProcessed]) -> Run:
    """Every column as JSON: for the rare run whose numbers do not fit the arrays."""
    dicts = [c.to_dict() for c in chunks]
    as_json = {name: [d[name] for d in dicts] for name in FIELDS}
    header = dumps(
        {"v": _VERSION, "n": len(chunks), "same": {}, "json": as_json, "ints": [], "floats": False}
    )
    ts = [t for t in as_json["ts"] if isinstance(t, (int, float))] or [0.0]
    return Run(
        dicts[0]["seq"], dicts[-1]["seq"], chunks[0].stream_id, len(chunks), min(ts), max(ts),
        header.encode("utf-8") + b"\n",
    )  # fmt: skip


def decode(stream_id: str, cols: bytes) -> list[dict[str, Any]]:
    """The chunk events of a run as :meth:`ChunkProcessed.to_dict` gives them, in seq order."""
    cut = cols.index(b"\n")
    header = json.loads(cols[:cut])
    if header.get("v") != _VERSION:
        raise ValueError(f"unknown chunk-run format version {header.get('v')!r}")
    n: int = header["n"]
    columns: dict[str, list[Any]] = dict(header["json"])
    at = cut + 1
    if header.get("floats", True):
        floats = _array("d", cols, at, len(_FLOATS) * n)
        at += 8 * len(_FLOATS) * n
        for k, name in enumerate(_FLOATS):
            columns[name] = floats[k * n : (k + 1) * n]
        columns["gap_ms"] = [None if math.isnan(x) else x for x in columns["gap_ms"]]
    ints = _array("q", cols, at, len(header["ints"]) * n)
    for k, name in enumerate(header["ints"]):
        columns[name] = ints[k * n : (k + 1) * n]
    for name, value in header["same"].items():
        columns[name] = [value] * n
    if "blocked" not in header["json"]:
        columns["blocked"] = [x is True or x == 1 for x in columns["blocked"]]
    findings = columns["findings"]
    seq, ts, index, start, end = (columns[k] for k in ("seq", "ts", "index", "start", "end"))
    nbytes, tokens, action, reason, blocked = (
        columns[k] for k in ("bytes", "tokens", "action", "reason", "blocked")
    )
    score, emitted, gap_ms, latency_ms = (columns[k] for k in ("score", "emitted", "gap_ms", "latency_ms"))
    return [
        {
            "kind": "chunk",
            "seq": seq[i],
            "stream_id": stream_id,
            "ts": ts[i],
            "index": index[i],
            "start": start[i],
            "end": end[i],
            "bytes": nbytes[i],
            "tokens": tokens[i],
            "action": action[i],
            "reason": reason[i],
            "blocked": blocked[i],
            "score": score[i],
            "emitted": emitted[i],
            "findings": [dict(f) for f in findings[i]] if findings[i] else [],
            "gap_ms": gap_ms[i],
            "latency_ms": latency_ms[i],
        }
        for i in range(n)
    ]


def _array(code: str, data: bytes, at: int, count: int) -> list[Any]:
    a = array(code)
    end = at + a.itemsize * count
    if len(data) < end:
        raise ValueError("chunk run is truncated")
    a.frombytes(data[at:end])
    if _SWAP:
        a.byteswap()
    return a.tolist()
