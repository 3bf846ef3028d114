"""SSE parsing and the OpenAI-compatible upstream client, against a fake server on loopback."""

from __future__ import annotations

import itertools
from typing import Any

import anyio
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from midstream_mcp.core.analytics import InvalidInput
from midstream_mcp.core.transport.sse import SSEError, SSEEvent, SSEParser
from midstream_mcp.core.transport.upstream import (
    UpstreamError,
    build_request,
    stream_chat,
    url_allowed,
)
from tests.fakes.openai_server import FakeOpenAI, serve_fake_openai

LOOPBACK = ["http://127.0.0.1"]


def naive_sse(text: str) -> list[SSEEvent]:
    """The standard's algorithm, spelled out over the whole text at once."""
    text = text.removeprefix("\ufeff")
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    lines = lines[:-1]  # the last piece has no line end: it is incomplete and never dispatched
    events, data, name, last_id = [], [], "", None
    for line in lines:
        if line == "":
            if data:
                events.append(SSEEvent("\n".join(data), name or "message", last_id))
            data, name = [], ""
            continue
        if line.startswith(":"):
            continue
        key, _, value = line.partition(":")
        value = value[1:] if value.startswith(" ") else value
        if key == "data":
            data.append(value)
        elif key == "event":
            name = value
        elif key == "id" and "\0" not in value:
            last_id = value
    return events


def parse_in_pieces(raw: bytes, cuts: list[int]) -> list[SSEEvent]:
    parser = SSEParser()
    points = sorted({min(c, len(raw)) for c in cuts} | {0, len(raw)})
    out: list[SSEEvent] = []
    for a, b in itertools.pairwise(points):
        out.extend(parser.feed(raw[a:b]))
    out.extend(parser.close())
    return out


def test_sse_basic_fields() -> None:
    raw = b": comment\nevent: delta\ndata: a\ndata:b\nid: 7\n\ndata: [DONE]\n\n"
    assert parse_in_pieces(raw, []) == [
        SSEEvent("a\nb", "delta", "7"),
        SSEEvent("[DONE]", "message", "7"),
    ]


def test_sse_crlf_split_between_feeds_is_one_line_end() -> None:
    assert parse_in_pieces(b"data: x\r\n\r\ndata: y\r\n\r\n", [8, 9, 10]) == [SSEEvent("x"), SSEEvent("y")]


def test_sse_multibyte_character_split_between_feeds() -> None:
    raw = "data: héllo 👍\n\n".encode()
    assert parse_in_pieces(raw, list(range(len(raw)))) == [SSEEvent("héllo 👍")]


def test_sse_limits_bound_memory() -> None:
    with pytest.raises(SSEError, match="line"):
        SSEParser(max_line=10).feed(b"data: " + b"x" * 20)
    with pytest.raises(SSEError, match="event"):
        SSEParser(max_event=10).feed(b"data: 12345\ndata: 67890\n")


_SSE_LINES = st.sampled_from(
    ["data: a", "data:b", "data", "event: e", "id: 1", "id", ": c", "", "retry: 5", "x: y", "data: é👍"]
)


@settings(max_examples=200, deadline=None)
@given(
    st.lists(st.tuples(_SSE_LINES, st.sampled_from(["\n", "\r\n", "\r"])), max_size=30),
    st.lists(st.integers(0, 400), max_size=20),
)
def test_sse_any_split_gives_the_standard_events(lines: list[tuple[str, str]], cuts: list[int]) -> None:
    text = "".join(line + end for line, end in lines)
    got = parse_in_pieces(text.encode(), cuts)
    assert [(e.data, e.event, e.id) for e in got] == [(e.data, e.event, e.id) for e in naive_sse(text)]


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=300), st.lists(st.integers(0, 300), max_size=10))
def test_sse_parser_never_raises_on_arbitrary_bytes(raw: bytes, cuts: list[int]) -> None:
    parse_in_pieces(raw, cuts)


def test_url_allowlist_matches_hosts_not_string_prefixes() -> None:
    allowed = ["http://127.0.0.1", "https://api.example.com:443/v1"]
    assert url_allowed("http://127.0.0.1:8000/v1", allowed)
    assert url_allowed("https://api.example.com:443/v1", allowed)
    assert url_allowed("https://api.example.com:443/v1/", allowed)
    assert not url_allowed("http://127.0.0.1.evil.example/v1", allowed)
    assert not url_allowed("https://api.example.com/v10", allowed)
    assert not url_allowed("https://api.example.com:8443/v1", allowed)
    assert not url_allowed("http://api.example.com:443/v1", allowed)
    assert url_allowed("https://api.example.com/v1", allowed)  # 443 is https's default
    assert not url_allowed("http://[::1", allowed)


def test_build_request_errors_name_the_field(monkeypatch: pytest.MonkeyPatch) -> None:
    msgs = [{"role": "user", "content": "hi"}]
    cases: list[tuple[dict[str, Any], str]] = [
        ({"base_url": "ftp://x"}, "base_url"),
        ({"base_url": "http://10.0.0.1/v1"}, "base_url"),
        ({"model": ""}, "model"),
        ({"messages": []}, "messages"),
        ({"messages": ["hi"]}, "messages[0]"),
        ({"messages": [{"role": "wizard", "content": "x"}]}, "messages[0].role"),
        ({"messages": [{"role": "user", "content": 3}]}, "messages[0].content"),
        ({"api_key_env": "AWS_SECRET_ACCESS_KEY"}, "api_key_env"),
        ({"api_key_env": "MIDSTREAM_TEST_KEY_UNSET"}, "api_key_env"),
        ({"max_tokens": 0}, "max_tokens"),
        ({"temperature": 3}, "temperature"),
    ]
    monkeypatch.delenv("MIDSTREAM_TEST_KEY_UNSET", raising=False)
    for change, name in cases:
        args: dict[str, Any] = {"base_url": "http://127.0.0.1:9/v1", "model": "m", "messages": msgs} | change
        with pytest.raises(InvalidInput) as err:
            build_request(**args, allowed_base_urls=LOOPBACK, allowed_key_envs=("MIDSTREAM_TEST_KEY_UNSET",))
        assert err.value.field == name, (change, err.value)


def collect(req: Any) -> list[str]:
    async def main() -> list[str]:
        return [piece async for piece in stream_chat(req, timeout_s=10)]

    return anyio.run(main)


def test_stream_chat_yields_the_deltas_and_sends_the_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MIDSTREAM_TEST_KEY", "sk-test-0123456789abcdef")
    with serve_fake_openai(FakeOpenAI(expected_key="sk-test-0123456789abcdef")) as fake:
        req = build_request(
            fake.url,
            "echo",
            [{"role": "user", "content": "hi"}],
            allowed_base_urls=LOOPBACK,
            api_key_env="MIDSTREAM_TEST_KEY",
            allowed_key_envs=("MIDSTREAM_TEST_KEY",),
            max_tokens=5,
        )
        assert "sk-test" not in repr(req)
        assert collect(req) == ["Hello", ", ", "world", "!"]
        assert fake.requests[0]["stream"] is True and fake.requests[0]["max_tokens"] == 5


@pytest.mark.parametrize(
    ("model", "message"),
    [
        ("fail-401", "answered HTTP 401: Incorrect API key provided: ***"),
        ("not-sse", "did not stream"),
        ("bad-json", "not JSON"),
        ("error-event", "reported an error: overloaded"),
    ],
)
def test_stream_chat_failures_are_clear_and_never_show_the_key(
    model: str, message: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MIDSTREAM_TEST_KEY", "sk-test-0123456789abcdef")
    with serve_fake_openai() as fake:
        req = build_request(
            fake.url,
            model,
            [{"role": "user", "content": "hi"}],
            allowed_base_urls=LOOPBACK,
            api_key_env="MIDSTREAM_TEST_KEY",
            allowed_key_envs=("MIDSTREAM_TEST_KEY",),
        )
        with pytest.raises(UpstreamError) as err:
            collect(req)
    assert message in str(err.value)
    assert "0123456789abcdef" not in str(err.value) and "89abcdef" not in str(err.value)


def test_stream_chat_connection_refused_is_an_upstream_error() -> None:
    with serve_fake_openai() as fake:
        url = fake.url
    req = build_request(url, "echo", [{"role": "user", "content": "x"}], allowed_base_urls=LOOPBACK)
    with pytest.raises(UpstreamError, match="ConnectError"):
        collect(req)
