"""Jobs as MCP resources: ``midstream://jobs/{id}`` holds status and, when done, the result."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any, Literal

from mcp.server import MCPServer
from mcp.server.mcpserver.exceptions import ResourceError
from mcp.types import CallToolResult, TextContent
from pydantic import BaseModel, Field

from midstream_mcp.core.scheduler import Job, Scheduler

JOB_URI = "midstream://jobs/{id}"


def job_uri(job_id: str) -> str:
    return JOB_URI.replace("{id}", job_id)


class JobProgress(BaseModel):
    done: float
    total: float | None = None
    message: str | None = None


class JobInfo(BaseModel):
    """Everything known about one job."""

    job_id: str
    resource: str
    tool: str
    priority: Literal["critical", "high", "normal", "low", "background"]
    state: Literal["queued", "running", "succeeded", "failed", "cancelled", "timed_out"]
    progress: JobProgress | None = None
    queued_ms: float | None = Field(default=None, description="Time from submission to start.")
    run_ms: float | None = Field(default=None, description="Time from start to finish (or until now).")
    deadline_met: bool | None = None
    error: str | None = None
    result: dict[str, Any] | None = Field(
        default=None, description="The tool's structured result, once the job succeeded."
    )
    summary: str | None = Field(default=None, description="The tool's one-line summary, once it succeeded.")


def job_info(job: Job[Any], *, now: float, with_result: bool = True) -> JobInfo:
    """Describe ``job`` (``now`` from the scheduler's clock, for running times)."""
    started, finished = job.started_at, job.finished_at
    result: dict[str, Any] | None = None
    summary: str | None = None
    if with_result and isinstance(job.result, CallToolResult):
        result = job.result.structured_content
        texts = [c.text for c in job.result.content if isinstance(c, TextContent)]
        summary = texts[0] if texts else None
    progress = None
    if job.progress is not None:
        done, total, message = job.progress
        progress = JobProgress(done=done, total=total, message=message)
    return JobInfo(
        job_id=job.id,
        resource=job_uri(job.id),
        tool=job.name,
        priority=job.priority.name.lower(),  # type: ignore[arg-type]
        state=job.state.value,  # type: ignore[arg-type]
        progress=progress,
        queued_ms=None if started is None else (started - job.submitted_at) * 1e3,
        run_ms=None if started is None else ((finished if finished is not None else now) - started) * 1e3,
        deadline_met=job.met_deadline,
        error=job.error,
        result=result,
        summary=summary,
    )


def register(server: MCPServer[Any], scheduler: Scheduler, stats: Callable[[], BaseModel]) -> None:
    """Serve ``midstream://jobs/{id}`` and ``midstream://scheduler/stats``."""

    @server.resource(
        "midstream://scheduler/stats",
        name="scheduler-stats",
        title="Scheduler statistics",
        description="Queue wait and run time percentiles per priority class, deadline hits and misses.",
        mime_type="application/json",
    )
    def scheduler_stats_resource() -> str:
        return json.dumps(stats().model_dump(mode="json"))

    @server.resource(
        JOB_URI,
        name="job",
        title="Analysis job",
        description="Status, progress and (when done) the result of a job from job_submit.",
        mime_type="application/json",
    )
    def job_resource(id: str) -> str:
        job = scheduler.get(id)
        if job is None:
            raise ResourceError(f"unknown job {id!r} (finished jobs are kept for a limited number)")
        return json.dumps(job_info(job, now=scheduler.now()).model_dump(mode="json"))
