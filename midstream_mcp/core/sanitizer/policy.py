"""The sanitizer's policy: thresholds, mode, detector toggles, failure behaviour."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any, Literal

from midstream_mcp.core.analytics import InvalidInput

Mode = Literal["scan", "redact"]
InvisibleAction = Literal["warn", "strip"]

DETECTORS = ("injection", "pii", "secrets", "invisible")


@dataclass(frozen=True, slots=True)
class Policy:
    """How findings become a verdict.

    - ``warn_threshold`` / ``block_threshold``: manipulation score at or above
      which the verdict is warn / block (``0 < warn <= block <= 1``).
    - ``mode``: ``"scan"`` reports personal data and secrets as a warning and
      leaves the text alone; ``"redact"`` replaces them with typed placeholders.
    - ``injection``, ``pii``, ``secrets``, ``invisible``: detector toggles.
    - ``invisible_action``: ``"warn"`` reports zero-width/bidi/tag characters;
      ``"strip"`` also removes them from the redacted text.
    - ``decode_depth``: how many nested encodings (base64, hex, rot13, URL) are
      decoded and rescanned.
    - ``time_budget_s``: a scan that takes longer is treated as a failure.
    - ``fail_open``: on a detector error or time-out, allow (with a logged
      warning every time) instead of blocking. Off by default: we fail closed.
    """

    warn_threshold: float = 0.5
    block_threshold: float = 0.8
    mode: Mode = "scan"
    injection: bool = True
    pii: bool = True
    secrets: bool = True
    invisible: bool = True
    invisible_action: InvisibleAction = "strip"
    decode_depth: int = 2
    time_budget_s: float = 0.05
    fail_open: bool = False

    def __post_init__(self) -> None:
        if not 0.0 < self.warn_threshold <= 1.0:
            raise InvalidInput("warn_threshold", f"must be in (0, 1], got {self.warn_threshold!r}")
        if not self.warn_threshold <= self.block_threshold <= 1.0:
            raise InvalidInput(
                "block_threshold",
                f"must be in [warn_threshold, 1] = [{self.warn_threshold}, 1], got {self.block_threshold!r}",
            )
        if self.mode not in ("scan", "redact"):
            raise InvalidInput("mode", f"must be 'scan' or 'redact', got {self.mode!r}")
        if self.invisible_action not in ("warn", "strip"):
            raise InvalidInput(
                "invisible_action", f"must be 'warn' or 'strip', got {self.invisible_action!r}"
            )
        if not 0 <= self.decode_depth <= 4:
            raise InvalidInput("decode_depth", f"must be between 0 and 4, got {self.decode_depth!r}")
        if not 0.0 < self.time_budget_s <= 60.0:
            raise InvalidInput("time_budget_s", f"must be in (0, 60] seconds, got {self.time_budget_s!r}")

    def with_(self, **changes: Any) -> Policy:
        """A copy with ``changes`` applied (validated like the constructor)."""
        return replace(self, **changes)

    def enabled(self, detector: str) -> bool:
        """Whether the built-in detector family ``detector`` runs; plug-ins always run."""
        return bool(getattr(self, detector)) if detector in DETECTORS else True


DEFAULT_POLICY = Policy()
