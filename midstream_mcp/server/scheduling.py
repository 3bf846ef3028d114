"""Runs tool calls through the scheduler: priority, progress, cancellation.

Analysis tools are written as plain synchronous functions. :func:`route_tools`
swaps each registered tool's body for an async wrapper that submits the body
as a scheduler job, relays the job's progress as MCP progress notifications,
and cancels the job when the client cancels the request.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterable
from typing import Any

from mcp.server import MCPServer
from mcp.server.mcpserver.exceptions import ToolError

from midstream_mcp.core.scheduler import AdmissionRejected, Job, JobContext, JobState, Priority, Scheduler

#: The keyword under which the SDK hands our wrappers the request context.
_CTX_KWARG = "_midstream_ctx"


async def run_job(
    scheduler: Scheduler,
    fn: Callable[[JobContext], Any],
    *,
    name: str,
    priority: Priority,
    ctx: Any = None,
    deadline_s: float | None = None,
) -> Any:
    """Submit ``fn`` and wait for it without blocking the event loop.

    Progress reported by the job reaches the client when it sent a progress
    token; cancelling the awaiting task cancels the job. A job that raised
    re-raises here, so a ``ToolError`` keeps its message.
    """
    loop = asyncio.get_running_loop()
    done: asyncio.Future[None] = loop.create_future()
    try:
        job = scheduler.submit(fn, name=name, priority=priority, deadline_s=deadline_s)
    except AdmissionRejected as exc:
        raise ToolError(f"rejected by the scheduler: {exc.reason}") from exc

    def finished(_: Job[Any]) -> None:
        loop.call_soon_threadsafe(lambda: done.done() or done.set_result(None))

    pending_progress: set[asyncio.Task[None]] = set()

    def progressed(j: Job[Any]) -> None:
        if ctx is None or j.progress is None:
            return
        current, total, message = j.progress

        def send() -> None:
            task = loop.create_task(ctx.report_progress(current, total, message))
            pending_progress.add(task)
            task.add_done_callback(pending_progress.discard)

        loop.call_soon_threadsafe(send)

    job.on_progress(progressed)
    job.on_done(finished)
    try:
        await done
    except asyncio.CancelledError:
        scheduler.cancel(job.id, "cancelled by the client")
        raise
    if job.state is JobState.SUCCEEDED:
        return job.result
    if job.state is JobState.FAILED and "exception" in job.meta:
        raise job.meta["exception"]
    raise ToolError(f"job {job.id} {job.state.value}: {job.error}")


def route_tools(
    server: MCPServer[Any], scheduler: Scheduler, names: Iterable[str], priority: Priority
) -> dict[str, Callable[..., Any]]:
    """Route the named (synchronous) tools through ``scheduler``.

    Returns the original bodies by tool name, which ``job_submit`` runs as
    background jobs.
    """
    bodies: dict[str, Callable[..., Any]] = {}
    for name in names:
        # The SDK has no public hook to wrap a tool's body; its Tool record is the seam.
        tool = server._tool_manager.get_tool(name)
        if tool is None or tool.is_async or tool.context_kwarg is not None:
            raise ValueError(f"tool {name!r} must be registered and synchronous to be scheduled")
        body = tool.fn
        bodies[name] = body

        async def routed(*, __body: Callable[..., Any] = body, __name: str = name, **kwargs: Any) -> Any:
            ctx = kwargs.pop(_CTX_KWARG, None)
            return await run_job(
                scheduler, lambda _job: __body(**kwargs), name=__name, priority=priority, ctx=ctx
            )

        tool.fn = routed
        tool.is_async = True
        tool.context_kwarg = _CTX_KWARG
    return bodies
