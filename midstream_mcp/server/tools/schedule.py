"""Job tools: submit analysis work to run in the background, watch it, cancel it."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import Annotated, Any, Literal

from mcp.server import MCPServer
from mcp.server.mcpserver.exceptions import ToolError
from mcp.types import CallToolResult, ToolAnnotations
from pydantic import BaseModel, Field, ValidationError

from midstream_mcp.core.scheduler import AdmissionRejected, Job, Priority, Scheduler
from midstream_mcp.server.resources.jobs import JobInfo, job_info, job_uri
from midstream_mcp.server.resources.subscriptions import Subscriptions
from midstream_mcp.server.tools._common import structured

PriorityName = Literal["critical", "high", "normal", "low", "background"]

#: Progress-driven resource updates per job and second, so fast jobs do not flood clients.
_UPDATES_PER_S = 10.0


class JobList(BaseModel):
    jobs: list[JobInfo]


class Percentile(BaseModel):
    p50_ms: float
    p95_ms: float
    p99_ms: float
    count: int


class ClassStatsModel(BaseModel):
    queued: int
    running: int
    wait: Percentile
    run: Percentile


class SchedulerStatsModel(BaseModel):
    """Scheduler counters, utilisation and per-class latency percentiles."""

    workers: int
    queued: int
    running: int
    submitted: int
    completed: int
    failed: int
    cancelled: int
    timed_out: int
    rejected: int
    deadline_hits: int
    deadline_misses: int
    utilisation: float
    classes: dict[str, ClassStatsModel]


class CancelResult(BaseModel):
    job_id: str
    cancelled: bool
    state: str


def stats_model(scheduler: Scheduler) -> SchedulerStatsModel:
    s = scheduler.stats()

    def pct(p: Any) -> Percentile:
        return Percentile(p50_ms=p.p50 * 1e3, p95_ms=p.p95 * 1e3, p99_ms=p.p99 * 1e3, count=p.count)

    return SchedulerStatsModel(
        workers=s.workers,
        queued=s.queued,
        running=s.running,
        submitted=s.submitted,
        completed=s.completed,
        failed=s.failed,
        cancelled=s.cancelled,
        timed_out=s.timed_out,
        rejected=s.rejected,
        deadline_hits=s.deadline_hits,
        deadline_misses=s.deadline_misses,
        utilisation=s.utilisation,
        classes={
            name: ClassStatsModel(queued=c.queued, running=c.running, wait=pct(c.wait), run=pct(c.run))
            for name, c in s.classes.items()
        },
    )


def register(
    server: MCPServer[Any],
    scheduler: Scheduler,
    bodies: dict[str, Callable[..., Any]],
    subscriptions: Subscriptions,
) -> None:
    """Add the job tools; ``bodies`` are the synchronous tool bodies jobs may run."""

    def publisher(job: Job[Any], loop: asyncio.AbstractEventLoop) -> None:
        uri = job_uri(job.id)
        last = [0.0]

        def publish() -> None:
            loop.create_task(subscriptions.updated(uri))

        def on_progress(_: Job[Any]) -> None:
            now = time.monotonic()
            if now - last[0] >= 1.0 / _UPDATES_PER_S:
                last[0] = now
                loop.call_soon_threadsafe(publish)

        job.on_progress(on_progress)
        job.on_done(lambda _: loop.call_soon_threadsafe(publish))

    @server.tool(
        name="job_submit",
        title="Submit a background job",
        annotations=ToolAnnotations(read_only_hint=False, destructive_hint=False, open_world_hint=False),
    )
    async def job_submit(
        tool: Annotated[str, Field(description="An analysis tool to run, e.g. 'compare_many'.")],
        arguments: Annotated[dict[str, Any], Field(description="That tool's arguments.")],
        priority: PriorityName = "normal",
        deadline_ms: Annotated[
            float | None,
            Field(gt=0, description="Reject at once unless the job can finish within this many ms."),
        ] = None,
    ) -> Annotated[CallToolResult, JobInfo]:
        """Run an analysis tool as a background job and return its id and resource at once.

        Read or subscribe to ``midstream://jobs/{id}`` (or call job_status) for
        progress and, when done, the result.
        """
        body = bodies.get(tool)
        if body is None:
            raise ToolError(f"tool: unknown analysis tool {tool!r}; one of {', '.join(sorted(bodies))}")
        validator = server._tool_manager.get_tool(tool)
        assert validator is not None
        try:
            kwargs = validator.fn_metadata.validate_arguments(arguments)
        except ValidationError as exc:
            raise ToolError(f"arguments: invalid for {tool}: {exc}") from exc
        try:
            job = scheduler.submit(
                lambda _ctx: body(**kwargs),
                name=tool,
                priority=Priority.parse(priority),
                deadline_s=None if deadline_ms is None else deadline_ms / 1e3,
            )
        except AdmissionRejected as exc:
            raise ToolError(f"deadline_ms: rejected: {exc.reason}") from exc
        publisher(job, asyncio.get_running_loop())
        info = job_info(job, now=scheduler.now(), with_result=False)
        return structured(info, f"Submitted {tool} as {job.id} ({priority}); watch {info.resource}.")

    @server.tool(name="job_status", title="Job status", annotations=ToolAnnotations(read_only_hint=True))
    def job_status(job_id: str) -> Annotated[CallToolResult, JobInfo]:
        """Status, progress and (when done) the result of a job."""
        job = scheduler.get(job_id)
        if job is None:
            raise ToolError(f"job_id: unknown job {job_id!r}")
        info = job_info(job, now=scheduler.now())
        return structured(info, f"{job.id} ({job.name}) is {job.state.value}.")

    @server.tool(name="job_cancel", title="Cancel a job", annotations=ToolAnnotations(destructive_hint=False))
    def job_cancel(job_id: str) -> Annotated[CallToolResult, CancelResult]:
        """Cancel a queued or running job (a running kernel stops at its next checkpoint)."""
        job = scheduler.get(job_id)
        if job is None:
            raise ToolError(f"job_id: unknown job {job_id!r}")
        ok = scheduler.cancel(job_id, "cancelled by job_cancel")
        result = CancelResult(job_id=job_id, cancelled=ok, state=job.state.value)
        return structured(result, f"{job_id}: {'cancellation requested' if ok else 'already finished'}.")

    @server.tool(name="job_list", title="List jobs", annotations=ToolAnnotations(read_only_hint=True))
    def job_list() -> Annotated[CallToolResult, JobList]:
        """Queued, running and recently finished jobs (without their results)."""
        now = scheduler.now()
        jobs = [job_info(j, now=now, with_result=False) for j in scheduler.jobs()]
        return structured(JobList(jobs=jobs), f"{len(jobs)} job(s).")

    @server.tool(
        name="scheduler_stats", title="Scheduler statistics", annotations=ToolAnnotations(read_only_hint=True)
    )
    def scheduler_stats() -> Annotated[CallToolResult, SchedulerStatsModel]:
        """Queue wait and run time percentiles per priority class, deadline hits and misses, utilisation."""
        model = stats_model(scheduler)
        return structured(
            model,
            f"{model.running} running, {model.queued} queued on {model.workers} workers; "
            f"utilisation {model.utilisation:.0%}; {model.rejected} rejected.",
        )
