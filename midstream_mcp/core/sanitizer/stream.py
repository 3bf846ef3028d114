"""Streaming: the same detectors over a stream of chunks, with a bounded carry-over window.

Each :class:`StreamScanner` belongs to one stream (there is no global state).
It rescans the last ``window`` characters together with each new chunk, so a
phrase or an identifier split across a chunk boundary is still found, and
reports only findings that reach into the new chunk. Work per chunk depends
on the chunk and the window, never on how long the stream has been running.

In redact mode the scanner holds back the last ``window`` characters (and any
span still open at the boundary) so that it can redact a span before any part
of it is released, and never releases a blocked chunk, nor the held-back start
of an attack that a later chunk completes (see :mod:`.release`);
:meth:`StreamScanner.close` releases the rest.
"""

from __future__ import annotations

from dataclasses import dataclass

from midstream_mcp.core.analytics import InvalidInput
from midstream_mcp.core.sanitizer._base import Budget
from midstream_mcp.core.sanitizer._model import (
    DEFAULT_CONTEXT,
    Finding,
    ScanContext,
    Verdict,
    _builder,
    _new_finding,
    _nothing_found,
    _quick_init,
)
from midstream_mcp.core.sanitizer.engine import DEFAULT_SANITIZER, DefaultSanitizer
from midstream_mcp.core.sanitizer.policy import Policy
from midstream_mcp.core.sanitizer.release import HeldText

_MEMO_LIMIT = 512  # entries in a stream's detector cache before it starts over


@_quick_init
@dataclass(frozen=True, slots=True)
class StreamVerdict:
    """The verdict for one chunk.

    ``verdict.findings`` are the findings new with this chunk, with offsets
    into the whole stream. ``emitted`` is the text released downstream now:
    the chunk itself in scan mode (the caller acts on the verdict), the redacted
    releasable prefix in redact mode (it lags behind by at most the window until
    :meth:`StreamScanner.close`, and leaves out blocked text).
    """

    verdict: Verdict
    emitted: str
    position: int


_new_stream_verdict = _builder(StreamVerdict)  # StreamVerdict(...) for the clean chunk, quicker


class StreamScanner:
    """Per-stream scanning state: the carry-over window, what was reported, what is held back."""

    def __init__(
        self,
        sanitizer: DefaultSanitizer | None = None,
        policy: Policy | None = None,
        context: ScanContext | None = None,
        *,
        window: int = 128,
        max_held: int = 4096,
    ) -> None:
        if window < 16:
            raise InvalidInput("window", f"must be at least 16 characters, got {window}")
        if max_held < window:
            raise InvalidInput("max_held", f"must be at least the window ({window}), got {max_held}")
        self.sanitizer = sanitizer or DEFAULT_SANITIZER
        self.policy = policy or self.sanitizer.policy
        self.context = context
        self.window = window
        self.max_held = max_held
        self._tail = ""  # released text kept as left context
        self._held = HeldText(window, max_held)  # text received but not yet released (redact mode only)
        self._pos = 0  # characters received so far
        self._reported: dict[tuple[str, str, int], int] = {}
        self._kinds = self.sanitizer._kind_map()
        self._active = self.sanitizer._active(self.policy)
        self._active_for = self.policy  # the policy ``_active`` was worked out for
        self._memo: dict[object, object] = {}  # per-stream detector cache (see Prepared.memo)
        self._budget = Budget(self.policy.time_budget_s)  # reset per chunk by ``_detect``
        self._own_scan = type(self.sanitizer).scan is not DefaultSanitizer.scan
        self.closed = False

    @property
    def position(self) -> int:
        """How many characters the stream has received."""
        return self._pos

    def feed(self, chunk: str) -> StreamVerdict:
        """Scan the next chunk; see :class:`StreamVerdict`."""
        if not isinstance(chunk, str):
            raise InvalidInput("chunk", f"must be a string, got {type(chunk).__name__}")
        if self.closed:
            raise InvalidInput("chunk", "the stream is closed")
        return self._step(chunk, False)

    def close(self) -> StreamVerdict:
        """End the stream: release (redacted) whatever is still held back."""
        if self.closed:
            raise InvalidInput("stream", "already closed")
        result = self._step("", final=True)
        self.closed = True
        return result

    def _step(self, chunk: str, final: bool) -> StreamVerdict:
        tail = self._tail
        held = self._held.held
        buf = tail + held + chunk
        position = self._pos
        self._pos = position + len(chunk)
        policy = self.policy
        if self._own_scan:
            # A sanitizer with its own ``scan`` (a subclass) is called through it, as documented.
            full = self.sanitizer.scan(buf, self.context, policy)
            failed = full if full.errors and not policy.fail_open else None
            return self._settle(
                chunk,
                buf,
                position,
                len(tail) + len(held),
                final,
                list(full.findings),
                full.errors,
                full.elapsed_s,
                failed,
            )
        # The detection and the verdict apart: the verdict is built once, for the new findings only.
        if self._active_for is not policy:
            self._active, self._active_for = self.sanitizer._active(policy), policy
        memo = self._memo
        findings, errors, elapsed = self.sanitizer._detect(
            buf, policy, self.context or DEFAULT_CONTEXT, self._active, memo, self._budget
        )
        if len(memo) > _MEMO_LIMIT:
            memo.clear()
        if not findings and not errors and policy.mode != "redact":
            # Most chunks: nothing found. The chunk goes on as it is (nothing is held back).
            self._tail = buf[-self.window :]
            return _new_stream_verdict(_nothing_found(elapsed), chunk, position)
        failed = (
            self.sanitizer._failed(findings, errors, elapsed) if errors and not policy.fail_open else None
        )
        return self._settle(
            chunk, buf, position, len(tail) + len(held), final, findings, errors, elapsed, failed
        )

    def _settle(
        self,
        chunk: str,
        buf: str,
        position: int,
        fresh_from: int,
        final: bool,
        findings: list[Finding],
        errors: tuple[str, ...],
        elapsed: float,
        failed: Verdict | None,
    ) -> StreamVerdict:
        """The verdict for a chunk with findings or errors (or any chunk in redact mode).

        ``buf`` is the scanned text, ``buf[fresh_from:]`` the new chunk; ``failed`` is the fail-closed
        verdict for the whole buffer, if any.
        """
        base = position - fresh_from  # stream offset of buf[0]
        new = self._new_findings(findings, base, fresh_from, buf, final) if findings else findings
        shifted = [_shift(f, base) for f in new] if new else []
        if failed is not None:
            verdict = Verdict(
                failed.action, failed.reason, tuple(shifted), failed.score, errors=errors, elapsed_s=elapsed
            )
        else:
            verdict = self.sanitizer._verdict(chunk, shifted, self.policy, errors, elapsed, redact=False)
        if self.policy.mode == "redact":
            emitted = self._release(chunk, buf, base, findings, shifted, verdict, final)
            verdict = Verdict(
                verdict.action,
                verdict.reason,
                verdict.findings,
                verdict.score,
                emitted,
                (),
                verdict.errors,
                verdict.elapsed_s,
            )
        else:
            emitted = chunk
            self._tail = buf[-self.window :]
        self._prune(base)
        return StreamVerdict(verdict, emitted, position)

    def _new_findings(
        self, findings: list[Finding], base: int, fresh_from: int, buf: str, final: bool
    ) -> list[Finding]:
        new = []
        for f in findings:
            # A finding ending at (or a separator or two before) where the last buffer ended may
            # have been deferred (below).
            if f.end + _MAX_BRIDGE < fresh_from and not (final and f.end > len(self._tail)):
                continue  # entirely in text we scanned before
            # Personal data or a secret at the end may still grow ("4111...1111" + "2" is no card):
            # report it once the next chunk or the close shows where it ends.
            # Manipulation is never deferred: it blocks now.
            if not final and _may_grow(f.end, buf) and self._kinds.get(f.detector) == "sensitive":
                continue
            key = (f.detector, f.category, base + f.start)
            if self._reported.get(key, -1) >= base + f.end:
                continue
            self._reported[key] = base + f.end
            new.append(f)
        return new

    def _release(
        self,
        chunk: str,
        buf: str,
        base: int,
        findings: list[Finding],
        new: list[Finding],
        verdict: Verdict,
        final: bool,
    ) -> str:
        held = self._held
        held.append(chunk)
        for f in new:  # stream offsets
            if f.placeholder is not None:
                held.redact(f.start, f.end, f.placeholder)
        if verdict.action == "block":
            # An attack split across chunks started earlier: withhold the part still held back too.
            start = min(
                [self._pos - len(chunk)]
                + [f.start for f in new if self._kinds.get(f.detector) == "manipulation"]
            )
            held.withhold(start, self._pos)
        # Personal data or a secret still growing at the end is not reported yet: hold it back whole.
        growing = [
            base + f.start
            for f in findings
            if f.placeholder is not None and not final and _may_grow(f.end, buf)
        ]
        emitted = held.release(final, min(growing) if growing else None)
        released = buf[: held.base - base]
        self._tail = released[-self.window :]
        return emitted

    def _prune(self, base: int) -> None:
        if len(self._reported) > 256:
            horizon = base
            self._reported = {k: v for k, v in self._reported.items() if v > horizon}


#: What an address or a key continues across ("a@b.co" + "." + "uk"), and a number also across a
#: space ("4111 1111 1111 1111 " + "1234" is one 20-digit number, no card); at most this many of them
#: may stand between a finding and the buffer's end.
_BRIDGE = frozenset(".-:_(/+")
_NUMBER_BRIDGE = _BRIDGE | {" "}
_MAX_BRIDGE = 2


def _may_grow(end: int, buf: str) -> bool:
    """True when personal data or a secret ending at ``end`` may still grow with the next chunk."""
    if len(buf) - end > _MAX_BRIDGE:
        return False
    bridge = _NUMBER_BRIDGE if end and buf[end - 1].isdigit() else _BRIDGE
    return all(c in bridge for c in buf[end:])


def _shift(f: Finding, base: int) -> Finding:
    return _new_finding(
        f.detector, f.category, f.start + base, f.end + base, f.score, f.evidence, f.placeholder
    )
