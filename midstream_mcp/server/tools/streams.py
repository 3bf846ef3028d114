"""Stream tools: open a stream, push chunks, close it, look at it, or pull one from an LLM.

Thin adapters over :class:`midstream_mcp.core.pipeline.Pipeline` (through the
server's :class:`~midstream_mcp.server.streams.StreamService`). These tools are
async: the pipeline has its own worker thread and the event loop only waits.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any, Literal

from mcp.server import MCPServer
from mcp.server.mcpserver.exceptions import ToolError
from mcp.types import CallToolResult, ToolAnnotations
from pydantic import BaseModel, Field

from midstream_mcp.config import Settings
from midstream_mcp.core.analytics import InvalidInput
from midstream_mcp.server.streams import StreamService, events_uri, stream_uri
from midstream_mcp.server.tools._common import structured, tool_errors

if TYPE_CHECKING:
    from midstream_mcp.core.pipeline import ChunkResult

#: Chunks one stream_push call may carry.
MAX_CHUNKS_PER_CALL = 10_000

WRITES = ToolAnnotations(read_only_hint=False, destructive_hint=False, idempotent_hint=False)
READS = ToolAnnotations(
    read_only_hint=True, destructive_hint=False, idempotent_hint=True, open_world_hint=False
)

PolicyArg = Annotated[
    dict[str, Any] | None,
    Field(
        description=(
            "What to check on every chunk (all fields optional). "
            "sanitizer: false, or {enabled, mode: 'scan'|'redact', warn_threshold, block_threshold, "
            "injection, pii, secrets, invisible, fail_open, agentic}. "
            "patterns: literal strings, or {name, literal | regex | tokens, ignore_case, max_span, "
            "max_distance, metric: 'edit'|'lcs'}; a tokens pattern matches a token sequence within "
            "max_distance edits. "
            "intents / urgency: [{label, keywords | regex, weight}]; built-in defaults, [] turns them off. "
            "monitors: [LTL formula | {name, formula}] over one event per chunk with fields chunk, index, "
            'blocked, verdict, score, pattern, "pattern:<name>", intent, "intent:<label>", urgent, '
            "tokens, bytes, gap_ms. "
            "Also on_full 'wait'|'reject', queue_size, wait_timeout_s, window, store_text, label."
        )
    ),
]
StreamIdArg = Annotated[str, Field(min_length=1, max_length=128, description="The stream's id.")]


class StreamOpenResult(BaseModel):
    """A new stream and where to watch it."""

    stream_id: str
    state: str
    policy: dict[str, Any] = Field(description="The normalised policy in force.")
    resources: list[str] = Field(description="Subscribable resources of this stream.")
    ingest_url: str | None = Field(
        default=None,
        description="HTTP NDJSON ingest endpoint (POST one JSON chunk per line), when served over HTTP.",
    )


class ChunkVerdict(BaseModel):
    """What happened to one chunk."""

    index: int
    seq: int = Field(description="The chunk event's sequence number (a cursor for the events resource).")
    action: Literal["allow", "warn", "redact", "block"]
    reason: str
    blocked: bool
    emitted: str | None = Field(
        description="Text to forward now (redacted in redact mode, lagging by the window); null when blocked."
    )
    score: float
    tokens: int
    findings: list[dict[str, Any]]
    matches: list[dict[str, Any]] = Field(description="Pattern, intent and urgency matches decided here.")
    monitors: dict[str, str] = Field(description="Each LTL monitor's verdict after this chunk.")
    latency_ms: float


class StreamPushResult(BaseModel):
    """Per-chunk verdicts, in order; every listed chunk is processed and stored."""

    stream_id: str
    accepted: int
    results: list[ChunkVerdict]


class StreamInfo(BaseModel):
    """A stream's state, policy, metrics and monitor verdicts."""

    stream_id: str
    state: Literal["open", "closed", "interrupted"]
    label: str = ""
    opened_at: float
    closed_at: float | None = None
    policy: dict[str, Any]
    metrics: dict[str, Any]
    monitors: dict[str, str]
    queued: int = 0
    last_seq: int = 0
    emitted: str | None = Field(
        default=None, description="stream_close only: text held back for redaction and released at close."
    )


class StreamList(BaseModel):
    """Open streams first, then stored ones, most recent first."""

    streams: list[StreamInfo]


class LLMStreamResult(BaseModel):
    """A completion pulled from an OpenAI-compatible endpoint through the pipeline."""

    stream_id: str
    resources: list[str]
    state: str = Field(description="'closed' when the completion ended, 'running' when wait=false.")
    text: str | None = Field(
        default=None, description="The text the pipeline released (redacted, blocked chunks left out)."
    )
    chunks: int = 0
    blocked_chunks: int = 0
    verdicts: dict[str, int] = Field(default_factory=dict, description="Chunks per sanitizer verdict.")
    monitors: dict[str, str] = Field(default_factory=dict)
    error: str | None = Field(default=None, description="Why the upstream stream ended early, if it did.")


def verdict_model(r: ChunkResult) -> ChunkVerdict:
    return ChunkVerdict(
        index=r.index,
        seq=r.seq,
        action=r.action,  # type: ignore[arg-type]
        reason=r.reason,
        blocked=r.blocked,
        emitted=r.emitted,
        score=round(r.score, 6),
        tokens=r.tokens,
        findings=list(r.findings),
        matches=list(r.matches),
        monitors=dict(r.monitors),
        latency_ms=round(r.latency_ms, 3),
    )


def info_model(info: dict[str, Any]) -> StreamInfo:
    return StreamInfo.model_validate(info)


def _resources(stream_id: str) -> list[str]:
    return [stream_uri(stream_id), events_uri(stream_id)]


def register(server: MCPServer, service: StreamService, settings: Settings) -> None:
    """Add the stream tools to ``server``."""

    def ingest_url(stream_id: str) -> str | None:
        base = service.http_base
        return f"{base}/v1/streams/{stream_id}/chunks" if base else None

    @server.tool(name="stream_open", title="Open a stream for inflight analysis", annotations=WRITES)
    async def stream_open(
        policy: PolicyArg = None,
        stream_id: Annotated[
            str | None, Field(max_length=128, description="Choose the id (default: a random one).")
        ] = None,
    ) -> Annotated[CallToolResult, StreamOpenResult]:
        """Open a stream: every chunk pushed to it is sanitised, pattern-matched, measured and monitored.

        Returns the stream id, the subscribable resources that follow it, and (over HTTP) the
        NDJSON ingest URL for high-volume producers.
        """
        service.start()
        with tool_errors():
            info = service.pipeline.open(policy, stream_id)
        sid = info["stream_id"]
        result = StreamOpenResult(
            stream_id=sid,
            state=info["state"],
            policy=info["policy"],
            resources=_resources(sid),
            ingest_url=ingest_url(sid),
        )
        return structured(result, f"Opened stream {sid}; subscribe to {stream_uri(sid)}.")

    @server.tool(name="stream_push", title="Push chunks into a stream", annotations=WRITES)
    async def stream_push(
        stream_id: StreamIdArg,
        chunks: Annotated[
            list[str],
            Field(
                min_length=1,
                max_length=MAX_CHUNKS_PER_CALL,
                description="Chunks of LLM output in arrival order (e.g. tokens or deltas).",
            ),
        ],
    ) -> Annotated[CallToolResult, StreamPushResult]:
        """Push chunks into an open stream and get each chunk's verdict once it is analysed and stored.

        A blocked chunk's emitted text is null: never forward it. An oversize chunk refuses the
        whole call before anything is queued. If a chunk is refused later (stream closed, queue full
        with on_full='reject'), the error names it; chunks before it were accepted and processed.
        """
        service.start()
        limit = settings.streaming.max_chunk_bytes
        for i, chunk in enumerate(chunks):
            size = len(chunk.encode("utf-8", "surrogatepass"))
            if size > limit:
                raise ToolError(f"chunks[{i}]: has {size} bytes, more than the limit of {limit}")
        results, error = await service.pipeline.push_accepted(stream_id, chunks)
        if error is not None:
            where = f"chunks[{len(results)}]"
            detail = str(error)
            if isinstance(error, InvalidInput):
                detail = f"{error.field}: {error.reason}" if error.field != "chunk" else error.reason
            raise ToolError(
                f"{where}: refused ({detail}); {len(results)} earlier chunk(s) were accepted and processed"
            )
        out = StreamPushResult(
            stream_id=stream_id, accepted=len(results), results=[verdict_model(r) for r in results]
        )
        blocked = sum(r.blocked for r in results)
        return structured(out, f"{len(results)} chunk(s) analysed; {blocked} blocked.")

    @server.tool(name="stream_close", title="Close a stream", annotations=WRITES)
    async def stream_close(stream_id: StreamIdArg) -> Annotated[CallToolResult, StreamInfo]:
        """Close a stream after its queued chunks; returns its final metrics and LTL verdicts."""
        with tool_errors():
            info = await service.pipeline.close(stream_id)
        result = info_model(info)
        return structured(
            result, f"Closed stream {stream_id} after {result.metrics.get('chunks', 0)} chunk(s)."
        )

    @server.tool(name="stream_get", title="Get a stream's state", annotations=READS)
    async def stream_get(stream_id: StreamIdArg) -> Annotated[CallToolResult, StreamInfo]:
        """A stream's state, policy, metrics and monitor verdicts (open, closed or from the store)."""
        with tool_errors():
            info = service.pipeline.get(stream_id)
        result = info_model(info)
        return structured(result, f"Stream {stream_id} is {result.state}.")

    @server.tool(name="stream_list", title="List streams", annotations=READS)
    async def stream_list(
        limit: Annotated[int, Field(ge=1, le=1000, description="At most this many streams.")] = 100,
    ) -> Annotated[CallToolResult, StreamList]:
        """Open streams first, then closed or interrupted ones from the store, most recent first."""
        result = StreamList(streams=[info_model(s) for s in service.pipeline.list_streams(limit)])
        return structured(result, f"{len(result.streams)} stream(s).")

    @server.tool(
        name="stream_from_llm",
        title="Pull a completion from an LLM through the pipeline",
        annotations=ToolAnnotations(read_only_hint=False, destructive_hint=False, open_world_hint=True),
    )
    async def stream_from_llm(
        base_url: Annotated[
            str,
            Field(
                description="OpenAI-compatible API base, e.g. http://127.0.0.1:8000/v1 (must be allowed by "
                "the server's upstream.allowed_base_urls)."
            ),
        ],
        model: Annotated[str, Field(description="Model name sent upstream.")],
        messages: Annotated[
            list[dict[str, Any]], Field(min_length=1, description="Chat messages: [{role, content}, ...].")
        ],
        api_key_env: Annotated[
            str | None,
            Field(description="Name of the environment variable holding the API key (never its value)."),
        ] = None,
        policy: PolicyArg = None,
        max_tokens: Annotated[int | None, Field(ge=1, le=1_000_000)] = None,
        temperature: Annotated[float | None, Field(ge=0, le=2)] = None,
        wait: Annotated[
            bool, Field(description="Wait for the completion (default), or return at once and watch it.")
        ] = True,
    ) -> Annotated[CallToolResult, LLMStreamResult]:
        """Stream a chat completion from an OpenAI-compatible endpoint through the pipeline.

        Each delta is a chunk: sanitised, matched and monitored as it arrives; subscribers of the
        stream's resources see it live. Returns the released (sanitised) text and the verdicts.
        """
        from midstream_mcp.core.transport.upstream import UpstreamError, build_request, stream_chat

        up = settings.upstream
        with tool_errors():
            request = build_request(
                base_url,
                model,
                messages,
                allowed_base_urls=up.allowed_base_urls,
                api_key_env=api_key_env,
                allowed_key_envs=up.api_key_envs,
                max_tokens=max_tokens,
                temperature=temperature,
            )
            service.start()
            info = service.pipeline.open(policy)
        sid = info["stream_id"]

        async def pull() -> LLMStreamResult:
            pipeline = service.pipeline
            texts: list[str] = []
            counts: dict[str, int] = {}
            n = blocked = 0
            error: str | None = None
            try:
                async for delta in stream_chat(request, timeout_s=up.timeout_s):
                    r = await pipeline.push(sid, delta)
                    n += 1
                    blocked += r.blocked
                    counts[r.action] = counts.get(r.action, 0) + 1
                    if r.emitted:
                        texts.append(r.emitted)
            except UpstreamError as exc:
                error = str(exc)
            except InvalidInput as exc:
                error = str(exc)
            summary = await pipeline.close(sid)
            tail = summary.get("emitted")
            if isinstance(tail, str):
                texts.append(tail)
            return LLMStreamResult(
                stream_id=sid,
                resources=_resources(sid),
                state=summary["state"],
                text="".join(texts),
                chunks=n,
                blocked_chunks=blocked,
                verdicts=counts,
                monitors=summary.get("monitors", {}),
                error=error,
            )

        if not wait:
            service.spawn(pull())
            started = LLMStreamResult(stream_id=sid, resources=_resources(sid), state="running")
            return structured(started, f"Pulling into stream {sid}; subscribe to {stream_uri(sid)}.")
        result = await pull()
        note = f"; upstream error: {result.error}" if result.error else ""
        return structured(
            result, f"Stream {sid}: {result.chunks} chunk(s), {result.blocked_chunks} blocked{note}."
        )
