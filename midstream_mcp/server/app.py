"""Builds the MCP server: metadata, lifespan, and the tool families."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field

import anyio
from mcp.server import MCPServer
from starlette.requests import Request
from starlette.responses import JSONResponse

from midstream_mcp import __version__
from midstream_mcp.config import Settings
from midstream_mcp.core.scheduler import Priority, Scheduler
from midstream_mcp.core.warmup import Warmup, start_warmup
from midstream_mcp.server import ingest
from midstream_mcp.server.resources import jobs as job_resources
from midstream_mcp.server.resources import streams as stream_resources
from midstream_mcp.server.resources.subscriptions import Subscriptions
from midstream_mcp.server.scheduling import route_tools
from midstream_mcp.server.streams import StreamService
from midstream_mcp.server.tools import attractor as attractor_tools
from midstream_mcp.server.tools import compare as compare_tools
from midstream_mcp.server.tools import ltl as ltl_tools
from midstream_mcp.server.tools import sanitize as sanitize_tools
from midstream_mcp.server.tools import schedule as schedule_tools
from midstream_mcp.server.tools import streams as stream_tools

logger = logging.getLogger(__name__)

INSTRUCTIONS = """\
midstream-mcp analyses sequences and LLM output streams.
Tools: compare_sequences (DTW, LCS, edit distance, cross-correlation between two sequences),
compare_many (rank candidates by similarity to a query), find_pattern (best matches of a
pattern inside a long series under subsequence DTW), verify_ltl (check a finite trace of
events against an LTL formula, with a witness), ltl_explain (normal form, safety/guarantee
class, monitor size), sanitize (detect prompt injection, jailbreaks, personal data, secrets
and invisible text in a text; redact personal data and secrets), analyze_attractor (Lyapunov
exponent, correlation dimension; fixed point/limit cycle/quasi-periodic/chaotic/noise).
Live streams: stream_open (with a policy: sanitizer, watch patterns, intents, LTL monitors),
stream_push (per-chunk verdicts; a blocked chunk must not be forwarded), stream_close,
stream_get, stream_list, stream_from_llm (pull an OpenAI-compatible completion through the
pipeline); subscribe to midstream://streams/{id} and midstream://streams/{id}/events.
Long work can run in the background: job_submit returns a job whose resource
midstream://jobs/{id} (subscribable) holds progress and the result; job_status, job_cancel,
job_list and scheduler_stats manage the queue.
Every tool returns structured content.
"""


#: Tools whose calls run as scheduler jobs (and that job_submit can run in the background).
ANALYSIS_TOOLS = (
    "compare_sequences",
    "compare_many",
    "find_pattern",
    "verify_ltl",
    "ltl_explain",
    "sanitize",
    "analyze_attractor",
)


@dataclass
class AppState:
    """Process-wide state shared by the tools and routes."""

    settings: Settings
    scheduler: Scheduler
    streams: StreamService | None = field(default=None)
    warmup: Warmup | None = field(default=None)

    def ensure_warmup(self) -> None:
        """Start the background kernel warm-up once, if configured."""
        if self.settings.warmup and self.warmup is None:
            self.warmup = start_warmup(tune_gc=True)


def build_server(settings: Settings | None = None) -> MCPServer[AppState]:
    """Assemble the midstream MCP server from its tool modules."""
    settings = settings or Settings()
    sched = settings.scheduler
    scheduler = Scheduler(
        workers=sched.workers,
        aging_s=sched.aging_s,
        max_queued=sched.max_queued,
        retain=sched.retain_finished,
    )
    state = AppState(settings=settings, scheduler=scheduler)

    @asynccontextmanager
    async def lifespan(_: MCPServer[AppState]) -> AsyncIterator[AppState]:
        state.ensure_warmup()
        assert state.streams is not None
        state.streams.start()
        try:
            yield state
        finally:
            # The host may be cancelling us: finish closing streams and the store regardless.
            with anyio.CancelScope(shield=True):
                await state.streams.shutdown()

    server: MCPServer[AppState] = MCPServer(
        "midstream-mcp",
        title="midstream",
        version=__version__,
        instructions=INSTRUCTIONS,
        lifespan=lifespan,
        log_level=settings.log_level,
    )
    compare_tools.register(server, settings.limits)
    ltl_tools.register(server, settings.limits)
    attractor_tools.register(server, settings.limits)
    sanitize_tools.register(server, settings.sanitizer)
    # Every analysis tool call runs through the scheduler, at the configured priority.
    bodies = route_tools(server, scheduler, ANALYSIS_TOOLS, Priority.parse(sched.tool_priority))
    subscriptions = Subscriptions(server)
    job_resources.register(server, scheduler, lambda: schedule_tools.stats_model(scheduler))
    schedule_tools.register(server, scheduler, bodies, subscriptions)
    state.streams = StreamService(settings, subscriptions)
    stream_tools.register(server, state.streams, settings)
    stream_resources.register(server, state.streams)
    ingest.register(server, state.streams, settings)

    @server.custom_route("/healthz", methods=["GET"])
    async def healthz(_: Request) -> JSONResponse:
        warm = state.warmup
        return JSONResponse(
            {
                "status": "ok",
                "version": __version__,
                "warmup": warm.status if warm is not None else "off",
            }
        )

    # Expose the state for the HTTP layer and tests without a global.
    server.app_state = state  # type: ignore[attr-defined]
    return server
