"""The ``sanitize`` tool: prompt-injection/jailbreak detection, PII and secret redaction.

A thin adapter over :mod:`midstream_mcp.core.sanitizer`: it checks the size
limit, builds the policy from the configured defaults and the call's
overrides, scans, and shapes the verdict as a pydantic model.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Literal

from mcp.server import MCPServer
from mcp.types import CallToolResult
from pydantic import BaseModel, ConfigDict, Field

from midstream_mcp.config import SanitizerSettings
from midstream_mcp.core.analytics import InvalidInput
from midstream_mcp.server.tools._common import PURE_COMPUTATION, structured, tool_errors

if TYPE_CHECKING:  # imported on first use: compiling its rules is not start-up work
    from midstream_mcp.core.sanitizer import Policy, Verdict

#: A long text gets this much extra scan time per 1,000 characters on top of the base budget.
BUDGET_PER_KCHAR_S = 0.02


class PolicyArg(BaseModel):
    """Per-call overrides of the server's sanitizer policy; omitted fields keep the configured values."""

    model_config = ConfigDict(extra="forbid")

    warn_threshold: float | None = Field(default=None, gt=0, le=1, description="Score that warns.")
    block_threshold: float | None = Field(default=None, gt=0, le=1, description="Score that blocks.")
    injection: bool | None = Field(default=None, description="Run prompt-injection/jailbreak detection.")
    pii: bool | None = Field(default=None, description="Detect personal data (e-mail, phone, card, ...).")
    secrets: bool | None = Field(default=None, description="Detect credentials (API keys, tokens, ...).")
    invisible: bool | None = Field(default=None, description="Detect zero-width, bidi and tag characters.")
    invisible_action: Literal["warn", "strip"] | None = Field(
        default=None, description="'strip' also removes invisible characters in redact mode."
    )
    decode_depth: int | None = Field(
        default=None,
        ge=0,
        le=4,
        description="Nested encodings (base64, hex, rot13, URL) decoded and rescanned.",
    )
    fail_open: bool | None = Field(
        default=None,
        description="On a detector error or time-out allow instead of block (logged as a warning each time).",
    )
    agentic: bool = Field(
        default=False,
        description="The text reaches an agent that can call tools (tool output, retrieved documents): "
        "tool-call hijack phrasings weigh more.",
    )
    source: str = Field(
        default="unknown", max_length=200, description="Where the text comes from (free text)."
    )


class FindingModel(BaseModel):
    """One thing a detector found; offsets are Unicode code points into the input text."""

    detector: str = Field(description="injection, pii, secrets or invisible.")
    category: str = Field(description="e.g. instruction_override, email, card, github_token, zero_width.")
    start: int
    end: int
    score: float = Field(description="Signal strength in [0, 1].")
    evidence: str = Field(
        description="A short excerpt; personal data and secrets are masked, never in clear."
    )
    placeholder: str | None = Field(
        default=None, description="What redaction puts in place of the span ('' strips it)."
    )


class SanitizeResult(BaseModel):
    """The sanitizer's verdict on one text."""

    action: Literal["allow", "warn", "redact", "block"] = Field(
        description="allow: nothing found; warn: suspicious, or personal data found in scan mode; "
        "redact: personal data or secrets replaced (redact mode); block: must not be passed on."
    )
    reason: str
    score: float = Field(description="Manipulation (injection/jailbreak) score in [0, 1].")
    findings: list[FindingModel]
    redacted_text: str | None = Field(
        default=None,
        description="In redact mode, the text with every finding that has a placeholder replaced; "
        "null in scan mode or when the scan failed closed.",
    )
    errors: list[str] = Field(
        description="Detectors that failed or ran out of time (why a fail-closed verdict blocks)."
    )
    text_length: int
    elapsed_ms: float


def build_policy(settings: SanitizerSettings, overrides: PolicyArg | None, mode: str, length: int) -> Policy:
    """The configured policy with the call's overrides; the time budget grows with the text."""
    from midstream_mcp.core.sanitizer import Policy

    values: dict[str, object] = {
        "warn_threshold": settings.warn_threshold,
        "block_threshold": settings.block_threshold,
        "fail_open": settings.fail_open,
        "mode": mode,
        "time_budget_s": min(60.0, settings.time_budget_s + BUDGET_PER_KCHAR_S * length / 1000),
    }
    if overrides is not None:
        values.update(overrides.model_dump(exclude_none=True, exclude={"agentic", "source"}))
    try:
        return Policy(**values)  # type: ignore[arg-type]
    except InvalidInput as exc:
        raise InvalidInput(f"policy.{exc.field}", exc.reason) from exc


def result_model(verdict: Verdict, length: int) -> SanitizeResult:
    """The pydantic shape of a core verdict."""
    return SanitizeResult(
        action=verdict.action.value,
        reason=verdict.reason,
        score=round(verdict.score, 6),
        findings=[
            FindingModel(
                detector=f.detector,
                category=f.category,
                start=f.start,
                end=f.end,
                score=round(f.score, 6),
                evidence=f.evidence,
                placeholder=f.placeholder,
            )
            for f in verdict.findings
        ],
        redacted_text=verdict.redacted_text,
        errors=list(verdict.errors),
        text_length=length,
        elapsed_ms=round(verdict.elapsed_s * 1e3, 3),
    )


def _summary(r: SanitizeResult) -> str:
    if r.action == "allow":
        return f"allow: nothing found in {r.text_length} characters."
    return f"{r.action}: {r.reason}."


def register(server: MCPServer, settings: SanitizerSettings) -> None:
    """Add the ``sanitize`` tool to ``server``."""

    @server.tool(name="sanitize", title="Scan or redact text", annotations=PURE_COMPUTATION)
    def sanitize(
        text: Annotated[str, Field(description="The text to judge: a prompt, a model output, a document.")],
        mode: Annotated[
            Literal["scan", "redact"],
            Field(
                description="'scan' judges and lists findings; 'redact' also returns the text with personal "
                "data and secrets replaced by typed placeholders ([EMAIL], [CARD], [SECRET], ...)."
            ),
        ] = "scan",
        policy: Annotated[
            PolicyArg | None, Field(description="Overrides of the server's sanitizer policy.")
        ] = None,
    ) -> Annotated[CallToolResult, SanitizeResult]:
        """Detect prompt injection, jailbreaks, personal data, secrets and invisible text in a text.

        Returns allow | warn | redact | block with a reason, the manipulation score, each finding
        (offsets, category, masked evidence) and, in redact mode, the redacted text. The sanitizer
        fails closed: a detector error or time-out blocks and says why.
        """
        from midstream_mcp.core.sanitizer import DEFAULT_SANITIZER, ScanContext

        with tool_errors():
            if len(text) > settings.max_text_chars:
                raise InvalidInput(
                    "text", f"has {len(text)} characters, more than the limit of {settings.max_text_chars}"
                )
            pol = build_policy(settings, policy, mode, len(text))
            context = ScanContext(
                source=policy.source if policy else "unknown", agentic=bool(policy and policy.agentic)
            )
            verdict = DEFAULT_SANITIZER.scan(text, context, pol)
        result = result_model(verdict, len(text))
        return structured(result, _summary(result))
