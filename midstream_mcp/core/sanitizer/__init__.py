"""Streaming AI-manipulation defence: prompt injection and jailbreak detection, PII and secret redaction.

``scan(text, context) -> Verdict`` judges a text (allow | warn | redact | block)
and lists its findings; ``redact`` does the same and replaces personal data and
secrets with typed placeholders; :class:`StreamScanner` runs the same detectors
over a stream of chunks. The default sanitizer fails closed: a detector error
or a time-budget overrun blocks.
"""

from midstream_mcp.core.sanitizer import _fast
from midstream_mcp.core.sanitizer._base import Budget, BudgetExceeded, Detector, Prepared
from midstream_mcp.core.sanitizer._model import Action, Finding, Redaction, ScanContext, Verdict
from midstream_mcp.core.sanitizer.engine import (
    DEFAULT_SANITIZER,
    DefaultSanitizer,
    Sanitizer,
    apply_redactions,
    combine_scores,
    default_detectors,
    redact,
    scan,
)
from midstream_mcp.core.sanitizer.policy import DEFAULT_POLICY, Policy
from midstream_mcp.core.sanitizer.stream import StreamScanner, StreamVerdict

__all__ = [
    "DEFAULT_POLICY",
    "DEFAULT_SANITIZER",
    "Action",
    "Budget",
    "BudgetExceeded",
    "DefaultSanitizer",
    "Detector",
    "Finding",
    "Policy",
    "Prepared",
    "Redaction",
    "Sanitizer",
    "ScanContext",
    "StreamScanner",
    "StreamVerdict",
    "Verdict",
    "apply_redactions",
    "combine_scores",
    "default_detectors",
    "redact",
    "scan",
    "warmup",
]


def warmup() -> None:
    """Compile (or load from the cache) the sanitizer's numba kernels and switch them on.

    Called by the background warm-up at server start (``midstream_mcp.core.warmup``). Until it
    has run, the detectors use their pure-Python paths, which find exactly the same things,
    so no request ever waits for a compilation.
    """
    _fast.load()
