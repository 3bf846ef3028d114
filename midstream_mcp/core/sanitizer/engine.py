"""The default sanitizer: runs the detectors, fails closed, and turns findings into one verdict."""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable, Mapping, Sequence
from typing import Protocol, runtime_checkable

from midstream_mcp.core.analytics import InvalidInput
from midstream_mcp.core.sanitizer._base import Budget, BudgetExceeded, Detector, Prepared
from midstream_mcp.core.sanitizer._model import (
    DEFAULT_CONTEXT,
    Action,
    Finding,
    Redaction,
    ScanContext,
    Verdict,
    _new_finding,
    _new_verdict,
)
from midstream_mcp.core.sanitizer._text import INVISIBLE_RE
from midstream_mcp.core.sanitizer._view import quiet_flags
from midstream_mcp.core.sanitizer.injection import InjectionDetector
from midstream_mcp.core.sanitizer.invisible import InvisibleDetector
from midstream_mcp.core.sanitizer.pii import PIIDetector
from midstream_mcp.core.sanitizer.policy import DEFAULT_POLICY, Policy
from midstream_mcp.core.sanitizer.secrets import SecretsDetector

logger = logging.getLogger("midstream_mcp.sanitizer")


@runtime_checkable
class Sanitizer(Protocol):
    """Anything that turns a text (or a chunk of a stream) into a :class:`Verdict`."""

    def scan(self, text: str, context: ScanContext | None = None, policy: Policy | None = None) -> Verdict:
        """Judge ``text``; never raises on any string."""
        ...


def default_detectors() -> list[Detector]:
    """The four built-in detector families, cheapest first."""
    return [InvisibleDetector(), SecretsDetector(), PIIDetector(), InjectionDetector()]


def combine_scores(findings: Iterable[Finding]) -> float:
    """Manipulation score: the strongest signal per category, combined by noisy-OR.

    Independent kinds of evidence reinforce each other (override + persona >
    either alone); repeating one phrasing does not.
    """
    best: dict[str, float] = {}
    for f in findings:
        if f.score > best.get(f.category, 0.0):
            best[f.category] = f.score
    miss = 1.0
    for s in best.values():
        miss *= 1.0 - min(max(s, 0.0), 1.0)
    return 1.0 - miss


def apply_redactions(text: str, findings: Iterable[Finding]) -> tuple[str, tuple[Redaction, ...]]:
    """``text`` with each finding that has a placeholder replaced; overlapping spans are merged.

    Returns the new text and where each replaced span landed, so offsets into
    the original map onto the redacted text.
    """
    spans: list[tuple[int, int, str]] = []
    for f in findings:
        if f.placeholder is not None and f.end > f.start:
            spans.append((f.start, f.end, f.placeholder))
    spans.sort(key=lambda s: (s[0], -s[1]))
    merged: list[tuple[int, int, str]] = []
    for start, end, ph in spans:
        if merged and start < merged[-1][1]:
            ls, le, lp = merged[-1]
            merged[-1] = (ls, max(le, end), lp or ph)
        else:
            merged.append((start, end, ph))
    out: list[str] = []
    redactions: list[Redaction] = []
    pos = 0
    length = 0
    for start, end, ph in merged:
        out.append(text[pos:start])
        length += start - pos
        out.append(ph)
        redactions.append(Redaction(start, end, length, length + len(ph), ph))
        length += len(ph)
        pos = end
    out.append(text[pos:])
    return "".join(out), tuple(redactions)


def _visible_view(text: str) -> tuple[str, list[int]] | None:
    """``text`` without invisible characters and the map back, or None if there are none."""
    if text.isascii() or INVISIBLE_RE.search(text) is None:
        return None
    keep = [i for i, _ in enumerate(text)]
    for m in INVISIBLE_RE.finditer(text):
        for i in range(m.start(), m.end()):
            keep[i] = -1
    offsets = [i for i in keep if i >= 0]
    visible = "".join(text[i] for i in offsets)
    offsets.append(len(text))
    return visible, offsets


def _remap(findings: list[Finding], offsets: list[int]) -> list[Finding]:
    out = []
    for f in findings:
        start = offsets[f.start]
        end = offsets[f.end - 1] + 1 if f.end > f.start else start
        out.append(_new_finding(f.detector, f.category, start, end, f.score, f.evidence, f.placeholder))
    return out


class DefaultSanitizer:
    """Runs a list of detectors under a policy; fails closed on any error or time-out.

    ``detectors`` replaces the built-in set; ``extra_detectors`` adds plug-ins
    to it. Instances hold no per-text state and are safe to share across threads.
    """

    def __init__(
        self,
        policy: Policy = DEFAULT_POLICY,
        detectors: Sequence[Detector] | None = None,
        extra_detectors: Sequence[Detector] = (),
    ) -> None:
        self.policy = policy
        self.detectors: tuple[Detector, ...] = tuple(
            default_detectors() if detectors is None else detectors
        ) + tuple(extra_detectors)
        self._kinds: tuple[tuple[Detector, ...], dict[str, str]] | None = None

    def scan(self, text: str, context: ScanContext | None = None, policy: Policy | None = None) -> Verdict:
        """Judge ``text``: allow, warn, redact or block, with findings and (in redact mode) the redacted text.

        Raises :class:`InvalidInput` only when ``text`` is not a string. Every
        detector failure or time-budget overrun blocks (fail closed) unless the
        policy sets ``fail_open``, which allows and logs a warning each time.
        """
        if not isinstance(text, str):
            raise InvalidInput("text", f"must be a string, got {type(text).__name__}")
        policy = policy or self.policy
        findings, errors, elapsed = self._detect(text, policy, context or DEFAULT_CONTEXT)
        if errors and not policy.fail_open:
            return self._failed(findings, errors, elapsed)
        return self._verdict(text, findings, policy, errors, elapsed)

    def _active(self, policy: Policy) -> tuple[Detector, ...]:
        """The detectors ``policy`` switches on, in order."""
        return tuple(det for det in self.detectors if policy.enabled(det.name))

    def _detect(
        self,
        text: str,
        policy: Policy,
        context: ScanContext,
        active: tuple[Detector, ...] | None = None,
        memo: dict[object, object] | None = None,
        budget: Budget | None = None,
    ) -> tuple[list[Finding], tuple[str, ...], float]:
        """Run the detectors: (findings sorted by position, errors, elapsed seconds); never raises.

        ``active`` is :meth:`_active` for ``policy`` when the caller has it already; ``memo`` is a
        per-stream cache that detectors may use for work that depends on a substring only (see
        :attr:`Prepared.memo`); ``budget`` is a :class:`Budget` to reuse (a stream's: it is set to
        ``policy.time_budget_s`` from now), so that a stream does not build one per chunk.
        """
        clock = time.perf_counter
        t0 = clock()
        seconds = policy.time_budget_s
        if budget is None:
            budget = Budget(seconds, t0)
        else:
            budget.seconds = seconds
            budget.deadline = t0 + seconds
        prepared = Prepared(text, memo)
        # Detectors whose quiet bit the kernel set would find nothing: most chunks skip most of them.
        try:
            quiet = quiet_flags(prepared, policy)
        except Exception:  # the detectors make the same call below, where a failure fails closed
            quiet = 0
        # Hidden characters must not split a card number or a key into pieces nobody matches:
        # sensitive-data detectors read the text with them removed, and offsets map back.
        visible = None if prepared.is_ascii else _visible_view(text)
        if visible is not None:
            visible_text = Prepared(visible[0])
        findings: list[Finding] = []
        errors: list[str] = []
        for det in self._active(policy) if active is None else active:
            if quiet & getattr(det, "quiet_flag", 0):
                continue
            try:
                if visible is not None and det.kind == "sensitive":
                    got = _remap(list(det.detect(visible_text, policy, context, budget)), visible[1])
                else:
                    got = det.detect(prepared, policy, context, budget)
                if type(got) is not list or got:  # most chunks: an empty list, nothing to check
                    got = list(got)  # a plug-in's other iterable (anything else raises: fail closed)
                    n = len(text)
                    for f in got:
                        if not (isinstance(f, Finding) and 0 <= f.start <= f.end <= n):
                            raise ValueError("detector returned a finding outside the text")
                    findings.extend(got)
            except BudgetExceeded as exc:
                errors.append(f"{det.name}: {exc}")
            except Exception as exc:  # any detector failure is a verdict, never a crash
                errors.append(f"{det.name} failed ({type(exc).__name__})")
            else:
                # Past the deadline is an error too (once: under fail_open the first error reports it).
                if errors or clock() <= budget.deadline:
                    continue
                errors.append(f"{det.name}: time budget of {seconds * 1e3:.1f} ms exceeded")
            if not policy.fail_open:
                break
        if len(findings) > 1:
            findings.sort(key=_order)
        elapsed = clock() - t0
        if not errors:
            return findings, (), elapsed
        if policy.fail_open:
            logger.warning("sanitizer failing OPEN (policy fail_open=True): %s", "; ".join(errors))
        return findings, tuple(errors), elapsed

    def _failed(self, findings: list[Finding], errors: tuple[str, ...], elapsed: float) -> Verdict:
        """The fail-closed verdict: block, saying which detectors failed."""
        kinds = self._kind_map()
        return Verdict(
            Action.BLOCK,
            "fail-closed: " + "; ".join(errors),
            tuple(findings),
            combine_scores(f for f in findings if kinds.get(f.detector, "notice") == "manipulation"),
            errors=errors,
            elapsed_s=elapsed,
        )

    def _kind_map(self) -> dict[str, str]:
        """Detector name -> kind, rebuilt only when the detector tuple is replaced."""
        cached = self._kinds
        if cached is None or cached[0] is not self.detectors:
            cached = self._kinds = (self.detectors, {det.name: det.kind for det in self.detectors})
        return cached[1]

    def _kind(self, f: Finding) -> str:
        return self._kind_map().get(f.detector, "notice")

    def _verdict(
        self,
        text: str,
        findings: list[Finding],
        policy: Policy,
        errors: tuple[str, ...],
        elapsed: float,
        redact: bool = True,
    ) -> Verdict:
        """Findings to a verdict; ``redact=False`` leaves the redacted text to the caller (streaming)."""
        redacting = policy.mode == "redact"
        if not findings and not errors:
            return _new_verdict(
                Action.ALLOW,
                "nothing found",
                (),
                0.0,
                text if redacting and redact else None,
                (),
                (),
                elapsed,
            )
        findings.sort(key=_order)
        action, reasons, score = judge(findings, self._kind_map(), policy)
        if errors:
            reasons.append("FAIL-OPEN after: " + "; ".join(errors))
        redacted_text: str | None = None
        redactions: tuple[Redaction, ...] = ()
        if redacting and redact:
            redacted_text, redactions = apply_redactions(text, findings)
        return _new_verdict(
            action,
            "; ".join(reasons) if reasons else "nothing found",
            tuple(findings),
            score,
            redacted_text,
            redactions,
            errors,
            elapsed,
        )


def judge(
    findings: Iterable[Finding], kinds: Mapping[str, str], policy: Policy
) -> tuple[Action, list[str], float]:
    """The verdict rules: ``(action, reasons, manipulation score)`` for ``findings`` under ``policy``.

    ``kinds`` maps detector names to their kind. Manipulation signals combine into a
    score that warns or blocks at the policy's thresholds; personal data and secrets
    warn (scan mode) or redact (redact mode); invisible text warns, or redacts when
    redaction strips it. The most severe action wins.
    """
    manip: list[Finding] = []
    sensitive: list[Finding] = []
    notices: list[Finding] = []
    for f in findings:
        kind = kinds.get(f.detector, "notice")
        if kind == "manipulation":
            manip.append(f)
        elif kind == "sensitive":
            sensitive.append(f)
        elif kind == "notice":
            notices.append(f)
    score = combine_scores(manip)
    action = Action.ALLOW
    reasons: list[str] = []
    if manip and score >= policy.warn_threshold:
        cats = ", ".join(sorted({f.category for f in manip}))
        if score >= policy.block_threshold:
            action = Action.BLOCK
            reasons.append(f"manipulation score {score:.2f} >= block {policy.block_threshold:.2f} ({cats})")
        else:
            action = Action.WARN
            reasons.append(f"manipulation score {score:.2f} >= warn {policy.warn_threshold:.2f} ({cats})")
    redacting = policy.mode == "redact"
    if sensitive:
        cats = ", ".join(sorted({f.category for f in sensitive}))
        reasons.append(f"{'redacted' if redacting else 'contains'} {cats}")
        action = max(action, Action.REDACT if redacting else Action.WARN, key=lambda a: a.rank)
    if notices:
        cats = ", ".join(sorted({f.category for f in notices}))
        stripped = redacting and any(f.placeholder is not None for f in notices)
        reasons.append(f"{'stripped' if stripped else 'contains'} invisible text ({cats})")
        action = max(action, Action.REDACT if stripped else Action.WARN, key=lambda a: a.rank)
    return action, reasons, score


def _order(f: Finding) -> tuple[int, int, str]:
    return (f.start, f.end, f.category)


DEFAULT_SANITIZER = DefaultSanitizer()


def scan(text: str, context: ScanContext | None = None, policy: Policy | None = None) -> Verdict:
    """Scan ``text`` with the default sanitizer (see :meth:`DefaultSanitizer.scan`)."""
    return DEFAULT_SANITIZER.scan(text, context, policy)


def redact(text: str, context: ScanContext | None = None, policy: Policy | None = None) -> Verdict:
    """Scan ``text`` in redact mode: ``verdict.redacted_text`` has every PII/secret span replaced.

    ``redacted_text`` is None only when the scan failed closed.
    """
    policy = (policy or DEFAULT_SANITIZER.policy).with_(mode="redact")
    return DEFAULT_SANITIZER.scan(text, context, policy)
