"""HTTP routes for volume: NDJSON chunk ingest and an NDJSON event tail.

``POST /v1/streams/{id}/chunks`` takes a streamed NDJSON body, one chunk per
line, and answers NDJSON verdicts as they are decided (the response starts
before the request ends). A line is ``{"text": "..."}``, ``{"b64": "..."}``
(raw bytes, e.g. a UTF-8 character split across chunks) or a bare JSON
string; ``"tokens"`` may give the chunk's token count. A malformed line gets
an ``{"line": n, "error": ...}`` answer and ingest goes on; a chunk the
pipeline refuses (invalid UTF-8, oversize) likewise.

``GET /v1/events[?stream=ID][&after=SEQ]`` streams events as NDJSON: first
those after ``after`` (``Pipeline.events``: stored, or published and not yet
committed), then live ones. A verdict line of the ingest route is written only
once its chunk is committed.

Both routes check Host and Origin like ``/mcp`` (DNS rebinding) and sit
behind the bearer token when one is configured.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import json
import logging
import math
import re
from collections.abc import AsyncIterator
from json.encoder import encode_basestring_ascii  # type: ignore[attr-defined]
from json.scanner import make_scanner  # type: ignore[attr-defined]
from typing import TYPE_CHECKING, Any

from mcp.server import MCPServer
from mcp.server.transport_security import TransportSecurityMiddleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.types import Receive, Scope, Send

from midstream_mcp.config import Settings
from midstream_mcp.core.analytics import InvalidInput
from midstream_mcp.server.http import transport_security
from midstream_mcp.server.streams import StreamService

if TYPE_CHECKING:
    from midstream_mcp.core.pipeline import ChunkResult

logger = logging.getLogger(__name__)

NDJSON = "application/x-ndjson"
_ACCEPTED_TYPES = ("application/x-ndjson", "application/jsonl", "application/json", "application/jsonlines")


class DuplexStreamingResponse(StreamingResponse):
    """A streaming response that answers while the request body is still arriving.

    Starlette's ``StreamingResponse`` (under ASGI spec < 2.4, which uvicorn
    declares) reads ``receive()`` itself to notice a disconnect, and so eats the
    request body the handler is still reading. Here the handler reads the body;
    a disconnect ends that read, and a failed send ends the response.
    """

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        try:
            await self.stream_response(send)
        except OSError:
            logger.debug("ingest client went away")


#: What the ingest writer answers: (line numbers, their results) or (line number, error).
_Answer = tuple[list[int], "asyncio.Future[list[ChunkResult]]"] | tuple[int, str]


_ENCODER = json.JSONEncoder(separators=(",", ":"))  # one encoder: json.dumps(separators=) builds one per call
_string = encode_basestring_ascii  # a str as a JSON string literal, like the encoder writes it


_scan_json = make_scanner(json.JSONDecoder())
# The line clients send, {"text": "...", "tokens": n} as json.dumps writes it, when its text needs no
# escape: one regex gives exactly what the JSON scanner would. Anything else takes the scanner.
_PLAIN_LINE = re.compile(r'\{"text": ?"([^"\\\x00-\x1f]*)"(?:, ?"tokens": ?(0|[1-9][0-9]*))?\}')
_JSON_SPACE = " \t\n\r"  # what JSON allows around a value (str.strip() would take more)


def _line(obj: dict[str, Any]) -> bytes:
    return _ENCODER.encode(obj).encode() + b"\n"


def _error(status: int, message: str) -> JSONResponse:
    return JSONResponse({"error": message}, status_code=status)


def parse_chunk_line(raw: bytes) -> tuple[bytes | str, int | None]:
    """One NDJSON line (UTF-8) as ``(chunk, tokens)``; raises ValueError saying what is wrong."""
    try:
        text = raw.decode("utf-8").strip(_JSON_SPACE)
    except UnicodeDecodeError:
        raise ValueError("not valid JSON (UnicodeDecodeError)") from None
    plain = _PLAIN_LINE.fullmatch(text)
    if plain is not None:
        tokens_text = plain.group(2)
        return plain.group(1), None if tokens_text is None else int(tokens_text)
    try:
        # The scanner is what json.loads runs, without its per-call wrappers (a quarter of the cost).
        value, end = _scan_json(text, 0)
    except (StopIteration, ValueError):  # StopIteration: no value at all (empty line, stray byte)
        end = -1
    except RecursionError:
        raise ValueError("not valid JSON (nested too deeply)") from None
    if end != len(text) or text.startswith("\ufeff"):
        raise ValueError("not valid JSON (JSONDecodeError)")
    if isinstance(value, str):
        return value, None
    if not isinstance(value, dict):
        raise ValueError("expected an object with 'text' or 'b64', or a JSON string")
    tokens = value.get("tokens")
    if tokens is not None and (isinstance(tokens, bool) or not isinstance(tokens, int) or tokens < 0):
        raise ValueError("tokens: must be a non-negative integer")
    if "text" in value:
        if not isinstance(value["text"], str):
            raise ValueError("text: must be a string")
        return value["text"], tokens
    if "b64" in value:
        if not isinstance(value["b64"], str):
            raise ValueError("b64: must be a base64 string")
        try:
            return base64.b64decode(value["b64"], validate=True), tokens
        except (binascii.Error, ValueError):
            raise ValueError("b64: not valid base64") from None
    raise ValueError("expected an object with 'text' or 'b64', or a JSON string")


def _verdict_line(line: int, r: ChunkResult) -> bytes:
    """The NDJSON verdict for one chunk: what ``_line`` gives for its dict, written directly.

    ``json.dumps`` costs more per verdict than the whole analysis of a token-sized
    chunk. Consecutive chunks of a stream mostly share everything but their
    numbers and text, so the JSON around ``emitted`` is cached by what it is made of.
    """
    emitted = "null" if r.emitted is None else _string(r.emitted)
    head_key = (r.action, r.blocked)
    head = _HEADS.get(head_key)
    if head is None:
        head = f'"action":{_string(r.action)},"blocked":{"true" if r.blocked else "false"},"emitted":'
        _remember(_HEADS, head_key, head)
    if r.findings or r.matches:
        tail = _tail(r)
    else:
        tail_key = (r.reason, repr(r.score), *r.monitors.items())  # repr: 0.0 and -0.0 differ
        cached = _TAILS.get(tail_key)
        if cached is None:
            cached = _tail(r)
            _remember(_TAILS, tail_key, cached)
        tail = cached
    return f'{{"line":{line:d},"index":{r.index:d},"seq":{r.seq:d},{head}{emitted}{tail}'.encode()


def _tail(r: ChunkResult) -> str:
    """The verdict line after ``emitted``: reason, score, findings, matches, monitors."""
    findings = _ENCODER.encode(list(r.findings)) if r.findings else "[]"
    matches = _ENCODER.encode(list(r.matches)) if r.matches else "[]"
    monitors = "{" + ",".join([f"{_string(k)}:{_string(v)}" for k, v in r.monitors.items()]) + "}"
    score = round(float(r.score), 6)
    score_text = repr(score) if math.isfinite(score) else _ENCODER.encode(score)  # repr is what json writes
    return (
        f',"reason":{_string(r.reason)},"score":{score_text},"findings":{findings},'
        f'"matches":{matches},"monitors":{monitors}}}\n'
    )


_HEADS: dict[tuple[Any, ...], str] = {}
_TAILS: dict[tuple[Any, ...], str] = {}


def _remember(cache: dict[tuple[Any, ...], str], key: tuple[Any, ...], text: str) -> None:
    if len(cache) >= 1024:  # reasons and monitor names are few; a flood of new ones starts over
        cache.clear()
    cache[key] = text


def register(server: MCPServer[Any], service: StreamService, settings: Settings) -> None:
    """Add the ingest and tail routes to ``server``'s HTTP app."""
    security = TransportSecurityMiddleware(transport_security(settings))
    max_line = 4 * settings.streaming.max_chunk_bytes + 1024  # JSON escaping can quadruple a chunk

    @server.custom_route("/v1/streams/{stream_id}/chunks", methods=["POST"])
    async def ingest_chunks(request: Request) -> Response:
        refused = await security.validate_request(request)
        if refused is not None:
            return refused
        ctype = request.headers.get("content-type", "").split(";")[0].strip().lower()
        if ctype not in _ACCEPTED_TYPES:
            return _error(415, f"Content-Type must be {NDJSON} (one JSON chunk per line)")
        stream_id = request.path_params["stream_id"]
        service.start()
        try:
            info = service.pipeline.get(stream_id)
        except InvalidInput:
            return _error(404, f"unknown stream {stream_id!r}")
        if info["state"] != "open":
            return _error(409, f"stream {stream_id!r} is {info['state']}")
        return DuplexStreamingResponse(_ingest(request, stream_id), media_type=NDJSON)

    async def _ingest(request: Request, stream_id: str) -> AsyncIterator[bytes]:
        # The reader queues each piece's lines as one batch (in order) and hands the writer
        # (line numbers, future of their results) or (line number, error): one future and one
        # event-loop wake-up per batch, not per chunk.
        pending: asyncio.Queue[_Answer | None] = asyncio.Queue(maxsize=1024)
        pipeline = service.pipeline

        async def read() -> None:
            n = 0
            buf = b""
            skipping = False
            try:
                async for piece in request.stream():
                    *complete, buf = (buf + piece).split(b"\n")  # one pass, not a slice per line
                    lines: list[tuple[int, bytes]] = []
                    for raw in complete:
                        if skipping:  # the rest of an over-long line
                            skipping = False
                            continue
                        n += 1
                        lines.append((n, raw))
                    await submit(lines)
                    if len(buf) > max_line and not skipping:
                        n += 1
                        await pending.put((n, f"line longer than {max_line} bytes"))
                        buf, skipping = b"", True
                    elif skipping:
                        buf = b""
                if buf.strip() and not skipping:
                    n += 1
                    await submit([(n, buf)])
            finally:
                await pending.put(None)

        async def submit(lines: list[tuple[int, bytes]]) -> None:
            run: list[tuple[int, bytes | str, int | None]] = []
            for n, raw in lines:
                if not raw.strip():
                    continue
                try:
                    chunk, tokens = parse_chunk_line(raw)
                except ValueError as exc:
                    await flush(run)
                    run = []
                    await pending.put((n, str(exc)))
                    continue
                run.append((n, chunk, tokens))
            await flush(run)

        async def flush(run: list[tuple[int, bytes | str, int | None]]) -> None:
            while run:
                fut, error = await pipeline.queue_accepted(
                    stream_id, [c for _, c, _ in run], tokens=[t for _, _, t in run]
                )
                if error is None:
                    await pending.put(([n for n, _, _ in run], fut))
                    return
                # Rare: a chunk was refused (invalid UTF-8, oversize, stream closed). Those before
                # it are queued; answer it with the error and go on with the rest, in order.
                done = await fut
                k = len(done)
                await pending.put(([n for n, _, _ in run[:k]], fut))
                await pending.put((run[k][0], str(error)))
                run = run[k + 1 :]

        reader = asyncio.get_running_loop().create_task(read())
        try:
            while True:
                item = await pending.get()
                if item is None:
                    break
                out = [await _answer(item)]
                # Answer everything already decided in one write.
                while not pending.empty():
                    nxt = pending.get_nowait()
                    if nxt is None:
                        pending.put_nowait(None)
                        break
                    out.append(await _answer(nxt))
                yield b"".join(out)
        finally:
            reader.cancel()
            try:
                await reader
            except (asyncio.CancelledError, Exception):
                logger.debug("ingest reader ended", exc_info=True)

    async def _answer(item: _Answer) -> bytes:
        where, what = item
        if isinstance(what, str):
            return _line({"line": where, "error": what})
        assert isinstance(where, list)
        try:
            results = await what
        except Exception as exc:
            return b"".join(_line({"line": n, "error": str(exc)}) for n in where)
        return b"".join([_verdict_line(n, r) for n, r in zip(where, results, strict=False)])

    @server.custom_route("/v1/events", methods=["GET"])
    async def tail_events(request: Request) -> Response:
        refused = await security.validate_request(request)
        if refused is not None:
            return refused
        stream_id = request.query_params.get("stream") or None
        after_text = request.query_params.get("after")
        try:
            after = int(after_text) if after_text else None
        except ValueError:
            return _error(400, "after: must be an integer")
        service.start()
        if stream_id is not None:
            try:
                service.pipeline.get(stream_id)
            except InvalidInput:
                return _error(404, f"unknown stream {stream_id!r}")
        return StreamingResponse(_tail(stream_id, after), media_type=NDJSON)

    async def _tail(stream_id: str | None, after: int | None) -> AsyncIterator[bytes]:
        pipeline = service.pipeline
        live = pipeline.bus.subscribe(None, stream_id, maxsize=10_000)
        try:
            last = 0
            if after is not None:
                # Replay from the store, then hand over to the live subscription without gaps or repeats.
                last = after
                while True:
                    page = pipeline.events(stream_id, last, 1000)
                    if not page:
                        break
                    yield b"".join(_line(e) for e in page)
                    last = page[-1]["seq"]
            async for event in live:
                if event.seq <= last:
                    continue
                yield _line(event.to_dict())
        finally:
            live.close()
