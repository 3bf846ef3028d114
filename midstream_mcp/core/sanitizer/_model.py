"""The sanitizer's vocabulary: findings, verdicts, redactions and the scan context.

Everything here is a small frozen dataclass of plain types, so verdicts can be
shared between threads, cached, and turned into JSON by the server unchanged.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum


class Action(StrEnum):
    """What to do with the text, from most to least permissive."""

    ALLOW = "allow"
    WARN = "warn"
    REDACT = "redact"
    BLOCK = "block"

    @property
    def rank(self) -> int:
        """Severity order: allow < warn < redact < block."""
        return _RANK[self]


_RANK = {Action.ALLOW: 0, Action.WARN: 1, Action.REDACT: 2, Action.BLOCK: 3}


@dataclass(frozen=True, slots=True)
class Finding:
    """One thing a detector found in ``text[start:end]``.

    ``score`` is in [0, 1]; ``evidence`` is a short, human-readable excerpt that
    never contains a secret or a personal identifier in clear (those are masked).
    ``placeholder`` is set for spans that redaction replaces (``"[EMAIL]"``...).
    """

    detector: str
    category: str
    start: int
    end: int
    score: float
    evidence: str
    placeholder: str | None = None


@dataclass(frozen=True, slots=True)
class Redaction:
    """``original[start:end]`` became ``redacted[out_start:out_end]`` (the placeholder or nothing)."""

    start: int
    end: int
    out_start: int
    out_end: int
    replacement: str


@dataclass(frozen=True, slots=True)
class Verdict:
    """The outcome of scanning one text or chunk.

    ``action`` is allow | warn | redact | block and ``reason`` says why in one line.
    ``score`` is the manipulation (injection/jailbreak) score in [0, 1].
    ``redacted_text`` is the text with every redactable finding replaced, present
    whenever redaction was asked for (even when nothing changed). ``errors``
    lists detectors that failed or ran out of time: they are why a fail-closed
    verdict blocks.
    """

    action: Action
    reason: str
    findings: tuple[Finding, ...] = ()
    score: float = 0.0
    redacted_text: str | None = None
    redactions: tuple[Redaction, ...] = ()
    errors: tuple[str, ...] = ()
    elapsed_s: float = 0.0

    @property
    def blocked(self) -> bool:
        """True when the text must not be passed on."""
        return self.action is Action.BLOCK


@dataclass(frozen=True, slots=True)
class ScanContext:
    """Where the text comes from, which changes how some signals weigh.

    ``agentic`` marks text that reaches an agent able to call tools (tool output,
    retrieved documents): there, tool-call hijack phrasings weigh more.
    """

    source: str = "unknown"
    agentic: bool = False
    stream_id: str | None = None
    extra: dict[str, str] = field(default_factory=dict, compare=False, hash=False)


DEFAULT_CONTEXT = ScanContext()
