"""NDJSON ingest lines: any input line parses or fails with a ValueError; verdict lines are exact JSON."""

from __future__ import annotations

import base64
import dataclasses
import json
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from midstream_mcp.core.pipeline import ChunkResult
from midstream_mcp.server.ingest import _verdict_line, parse_chunk_line

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


_lines = (
    st.binary(max_size=200)
    | st.text(max_size=100).map(str.encode)
    | _json_value.map(lambda v: json.dumps(v).encode())
)


@settings(max_examples=400, deadline=None)
@given(_lines)
def test_any_line_parses_or_says_why(raw: bytes) -> None:
    try:
        chunk, tokens = parse_chunk_line(raw)
    except ValueError as exc:
        assert str(exc)  # a reason for the client's error line
        return
    assert isinstance(chunk, (str, bytes))
    assert tokens is None or (type(tokens) is int and tokens >= 0)


_INVALID = object()


def _reference(raw: bytes) -> Any:
    """What ``json.loads`` makes of a UTF-8 line, or _INVALID if it is not one JSON value."""
    try:
        return json.loads(raw.decode("utf-8"))
    except (ValueError, RecursionError):
        return _INVALID


_spaced = st.tuples(
    st.sampled_from(["", " ", "\t", "\r", " \n", "\x0b", "\u00a0", "\ufeff"]), _json_value
).map(lambda p: (p[0] + json.dumps(p[1]) + p[0]).encode())


@settings(max_examples=400, deadline=None)
@given(_lines | _spaced)
def test_json_validity_is_what_json_loads_says(raw: bytes) -> None:
    expected = _reference(raw)
    try:
        chunk, tokens = parse_chunk_line(raw)
    except ValueError as exc:
        assert (expected is _INVALID) == str(exc).startswith("not valid JSON")
        return
    if isinstance(expected, str):
        assert (chunk, tokens) == (expected, None)
    else:
        assert isinstance(expected, dict)


def test_deep_nesting_is_an_error_not_a_crash() -> None:
    for raw in (b"[" * 100_000, b'{"a":' * 50_000):
        with pytest.raises(ValueError, match="nested too deeply"):
            parse_chunk_line(raw)


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=60), st.none() | st.integers(0, 10**6), st.binary(max_size=60))
def test_well_formed_lines_round_trip(text: str, tokens: int | None, data: bytes) -> None:
    obj: dict[str, object] = {"text": text} if tokens is None else {"text": text, "tokens": tokens}
    assert parse_chunk_line(json.dumps(obj).encode()) == (text, tokens)
    assert parse_chunk_line(json.dumps(text).encode()) == (text, None)
    b64 = json.dumps({"b64": base64.b64encode(data).decode()}).encode()
    assert parse_chunk_line(b64) == (data, None)


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        (b"{", "not valid JSON"),
        (b"\xff\xfe", "not valid JSON"),
        (b"[1]", "expected an object"),
        (b'{"text": 5}', "text: must be a string"),
        (b'{"text": "a", "tokens": -1}', "tokens: must be a non-negative integer"),
        (b'{"text": "a", "tokens": true}', "tokens: must be a non-negative integer"),
        (b'{"b64": "***"}', "b64: not valid base64"),
        (b'{"other": 1}', "expected an object"),
    ],
)
def test_bad_lines_name_the_problem(raw: bytes, reason: str) -> None:
    with pytest.raises(ValueError, match=reason):
        parse_chunk_line(raw)


def test_verdict_lines_that_share_their_tail_stay_exact() -> None:
    # The JSON around ``emitted`` is cached: lines that differ only in numbers, text or the sign
    # of a zero score must still be the JSON of their own verdicts.
    base = ChunkResult(
        "s", 0, 1, "allow", "nothing found", False, "a", 0.0, 1, 1, 0.1, (), (), {"m": "pending"}
    )
    variants = [
        base,
        dataclasses.replace(base, index=1, seq=2, emitted='"quoted"\n'),
        dataclasses.replace(base, score=-0.0),
        dataclasses.replace(base, score=0),
        dataclasses.replace(base, monitors={"m": "false"}),
        dataclasses.replace(base, action="block", blocked=True, emitted=None),
        dataclasses.replace(base, findings=({"category": "email"},)),
    ]
    for _ in range(2):  # the second round reads every line from the caches
        for i, r in enumerate(variants):
            assert _verdict_line(i, r) == json.dumps(_expected(i, r), separators=(",", ":")).encode() + b"\n"


@settings(max_examples=300, deadline=None)
@given(
    st.text(max_size=60),
    st.none() | st.integers(0, 10**20),
    st.sampled_from([(", ", ": "), (",", ":"), (", ", ":")]),
    st.booleans(),
)
def test_the_usual_line_shape_reads_as_json_loads_reads_it(
    text: str, tokens: int | None, separators: tuple[str, str], ascii_only: bool
) -> None:
    # json.dumps' own output, plain text or with escapes, with and without spaces: the regex fast
    # path (unescaped text) and the JSON scanner (the rest) must agree with json.loads.
    obj: dict[str, object] = {"text": text} if tokens is None else {"text": text, "tokens": tokens}
    line = json.dumps(obj, separators=separators, ensure_ascii=ascii_only).encode()
    assert parse_chunk_line(line) == (text, tokens)
    assert parse_chunk_line(line.replace(b'"text"', b'"text" ', 1)) == (text, tokens)  # odd spacing: scanner
