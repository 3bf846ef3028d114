"""The NDJSON verdict writer gives exactly what ``json.dumps`` gives for the verdict's dict."""

from __future__ import annotations

import json
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from midstream_mcp.core.pipeline import ChunkResult
from midstream_mcp.server.ingest import _verdict_line

_text = st.text(max_size=40)
_json_value = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | _text,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(_text, inner, max_size=3),
    max_leaves=8,
)
_event_dict = st.dictionaries(_text, _json_value, max_size=4)


@st.composite
def chunk_results(draw: st.DrawFn) -> ChunkResult:
    return ChunkResult(
        stream_id=draw(_text),
        index=draw(st.integers(0, 2**40)),
        seq=draw(st.integers(0, 2**40)),
        action=draw(st.sampled_from(["allow", "warn", "redact", "block"])),
        reason=draw(_text),
        blocked=draw(st.booleans()),
        emitted=draw(st.none() | _text),
        score=draw(st.floats(allow_nan=False) | st.integers(-5, 5)),
        tokens=draw(st.integers(0, 100)),
        bytes=draw(st.integers(0, 1000)),
        latency_ms=draw(st.floats(0, 100)),
        findings=tuple(draw(st.lists(_event_dict, max_size=2))),
        matches=tuple(draw(st.lists(_event_dict, max_size=2))),
        monitors=draw(st.dictionaries(_text, st.sampled_from(["true", "false", "pending"]), max_size=3)),
    )


def _expected(line: int, r: ChunkResult) -> dict[str, Any]:
    return {
        "line": line,
        "index": r.index,
        "seq": r.seq,
        "action": r.action,
        "blocked": r.blocked,
        "emitted": r.emitted,
        "reason": r.reason,
        "score": round(float(r.score), 6),
        "findings": list(r.findings),
        "matches": list(r.matches),
        "monitors": dict(r.monitors),
    }


@settings(max_examples=300, deadline=None)
@given(st.integers(1, 2**31), chunk_results())
def test_verdict_line_is_the_json_of_the_verdict(line: int, r: ChunkResult) -> None:
    expected = _expected(line, r)
    out = _verdict_line(line, r)
    assert out == json.dumps(expected, separators=(",", ":")).encode() + b"\n"
    assert json.loads(out) == expected
    assert out.count(b"\n") == 1  # one NDJSON line, whatever the strings hold
