"""Chunk runs: chunk events packed as columns read back as their ``to_dict``, whatever the values."""

from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from midstream_mcp.core import _chunk_runs as chunk_runs
from midstream_mcp.core.events import ChunkProcessed, PatternMatched, make_chunk

_ints = st.integers(min_value=-(2**63), max_value=2**63 - 1) | st.integers(min_value=2**63, max_value=2**80)
_floats = st.floats(allow_nan=False)
_texts = st.text(max_size=20)  # any Unicode: newlines, quotes, surrogate-free non-ASCII
_findings = st.lists(
    st.fixed_dictionaries({"detector": _texts, "start": st.integers(0, 99), "score": _floats}), max_size=2
).map(tuple)


@st.composite
def _chunk(draw: st.DrawFn, seq: int) -> ChunkProcessed:
    # Values repeat often (``sampled_from``) so that columns are shared as often as they vary.
    pick = st.sampled_from
    return ChunkProcessed(
        seq,
        "s",
        draw(pick([1.5, 2.0]) | _floats),
        draw(pick([0, 7]) | _ints),
        draw(pick([3]) | _ints),
        draw(_ints),
        draw(pick([1]) | _ints),
        draw(pick([1]) | _ints),
        draw(pick(["allow", "block"]) | _texts),
        draw(pick(["nothing found"]) | _texts),
        draw(st.booleans()),
        draw(pick([0.0]) | _floats),
        draw(st.none() | pick(["tok"]) | _texts),
        draw(pick([()]) | _findings),
        draw(st.none() | _floats),
        draw(_floats),
    )


@st.composite
def _run(draw: st.DrawFn) -> list[ChunkProcessed]:
    n = draw(st.integers(1, 8))
    first = draw(st.integers(0, 10**6))
    return [draw(_chunk(first + 2 * i)) for i in range(n)]


@settings(max_examples=120, deadline=None)
@given(_run())
def test_a_run_reads_back_as_its_events_to_dict(events: list[ChunkProcessed]) -> None:
    run = chunk_runs.encode(events)
    assert (run.first_seq, run.last_seq, run.stream_id, run.n) == (
        events[0].seq,
        events[-1].seq,
        "s",
        len(events),
    )
    assert run.ts_min == min(e.ts for e in events) and run.ts_max == max(e.ts for e in events)
    assert chunk_runs.decode("s", run.cols) == [e.to_dict() for e in events]


def test_numbers_read_back_as_their_declared_types() -> None:
    # As typed SQL columns did: an int ts is a float, a 0/1 blocked a bool, a NaN gap None.
    odd = [ChunkProcessed(1, "s", 2, blocked=1, gap_ms=math.nan), ChunkProcessed(2, "s", 3, blocked=0)]  # type: ignore[arg-type]
    got = chunk_runs.decode("s", chunk_runs.encode(odd).cols)
    assert [(c["ts"], type(c["ts"]), c["blocked"], c["gap_ms"]) for c in got] == [
        (2.0, float, True, None),
        (3.0, float, False, None),
    ]


def test_a_typical_batch_stores_shared_values_once() -> None:
    events = [
        make_chunk(
            i, "s", 5.0, i, 3 * i, 3 * i + 3, 3, 1, "allow", "nothing found", False, 0.0, "tok", (), 0.1, 0.2
        )
        for i in range(256)
    ]
    run = chunk_runs.encode(events)
    header = run.cols[: run.cols.index(b"\n")].decode()
    assert header.count("nothing found") == 1 and header.count('"tok"') == 1
    assert len(run.cols) < 256 * 8 * 8 + 400  # 4 float columns and the 4 varying int columns, 8 bytes each


def test_runs_are_cut_where_the_stream_changes_and_skip_other_events() -> None:
    a1, a2, b1, a3 = (ChunkProcessed(i, sid, 1.0) for i, sid in enumerate("aaba", start=1))
    other = PatternMatched(9, "a", 1.0)
    assert list(chunk_runs.runs_of([a1, other, a2, b1, a3])) == [[a1, a2], [b1], [a3]]
    assert list(chunk_runs.runs_of([other])) == []


def test_a_damaged_or_newer_run_is_a_clear_error() -> None:
    cols = chunk_runs.encode(
        [ChunkProcessed(1, "s", 1.0, index=1), ChunkProcessed(2, "s", 1.0, index=2)]
    ).cols
    with pytest.raises(ValueError, match="truncated"):
        chunk_runs.decode("s", cols[:-3])
    with pytest.raises(ValueError, match="version"):
        chunk_runs.decode("s", cols.replace(b'"v":1', b'"v":9', 1))


@settings(max_examples=100, deadline=None)
@given(_chunk(7))
def test_a_one_chunk_run_is_packed_as_the_general_packer_packs_it(c: ChunkProcessed) -> None:
    assert chunk_runs._encode_one(c) == chunk_runs._encode_many([c])
