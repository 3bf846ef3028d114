"""Stream metrics: counts, rates, gaps, time to first token and verdict counts, per stream and global.

Times come from the pipeline's monotonic clock (seconds); durations are
reported in milliseconds, rates per second.
"""

from __future__ import annotations

from typing import Any, cast

ACTIONS = ("allow", "warn", "redact", "block")


class StreamMetrics:
    """Running metrics of one stream (mutated only by the pipeline worker that owns the stream)."""

    __slots__ = (
        "batch_bytes",
        "batch_tokens",
        "bytes",
        "chars",
        "chunks",
        "emitted_chars",
        "first_at",
        "gap_max_ms",
        "gap_sum_ms",
        "gaps",
        "intents",
        "last_at",
        "last_gap_ms",
        "latency_max_ms",
        "latency_sum_ms",
        "opened_at",
        "patterns",
        "tokens",
        "urgent",
        "verdicts",
    )

    def __init__(self, opened_at: float) -> None:
        self.opened_at = opened_at
        self.first_at: float | None = None  # arrival of the first non-empty chunk
        self.last_at: float | None = None  # arrival of the latest chunk
        self.chunks = 0
        self.tokens = 0
        self.bytes = 0
        self.batch_bytes = 0  # of the latest add_chunks
        self.batch_tokens = 0
        self.chars = 0
        self.emitted_chars = 0
        self.gaps = 0
        self.gap_sum_ms = 0.0
        self.gap_max_ms = 0.0
        self.last_gap_ms: float | None = None
        self.latency_sum_ms = 0.0
        self.latency_max_ms = 0.0
        self.verdicts = dict.fromkeys(ACTIONS, 0)
        self.patterns: dict[str, int] = {}
        self.intents: dict[str, float] = {}
        self.urgent = 0

    def add_chunks(
        self, arrivals: list[float], nbytes: list[int], nchars: list[int], tokens: list[int]
    ) -> list[float | None]:
        """Count a batch of chunks (in arrival order); returns each one's gap to the chunk before it,
        in ms (None for the stream's first). One call per analysis batch: the sums and maxima are
        taken with built-ins, not step by step; the batch's byte and token sums stay in
        ``batch_bytes``/``batch_tokens`` for the global totals."""
        if not arrivals:
            self.batch_bytes = self.batch_tokens = 0
            return []
        before = [self.last_at, *arrivals[:-1]]
        gaps: list[float | None] = [
            None if a is None else (b - a) * 1e3 for a, b in zip(before, arrivals, strict=True)
        ]
        real = cast(list[float], gaps if gaps[0] is not None else gaps[1:])  # only the first can be None
        if real:
            self.gaps += len(real)
            self.gap_sum_ms += sum(real)
            self.gap_max_ms = max(self.gap_max_ms, max(real))
            self.last_gap_ms = real[-1]
        self.last_at = arrivals[-1]
        if self.first_at is None:
            self.first_at = next((a for a, n in zip(arrivals, nchars, strict=True) if n), None)
        self.chunks += len(arrivals)
        self.batch_bytes = sum(nbytes)
        self.batch_tokens = sum(tokens)
        self.bytes += self.batch_bytes
        self.chars += sum(nchars)
        self.tokens += self.batch_tokens
        return gaps

    def snapshot(self, now: float | None = None) -> dict[str, Any]:
        """Plain-JSON view of the metrics."""
        span = (
            (self.last_at - self.first_at) if self.first_at is not None and self.last_at is not None else 0.0
        )
        return {
            "chunks": self.chunks,
            "tokens": self.tokens,
            "bytes": self.bytes,
            "chars": self.chars,
            "emitted_chars": self.emitted_chars,
            "ttft_ms": None if self.first_at is None else (self.first_at - self.opened_at) * 1e3,
            "tokens_per_s": self.tokens / span if span > 0 else None,
            "chunks_per_s": self.chunks / span if span > 0 else None,
            "gap_ms": {
                "last": self.last_gap_ms,
                "mean": self.gap_sum_ms / self.gaps if self.gaps else None,
                "max": self.gap_max_ms if self.gaps else None,
            },
            "latency_ms": {
                "mean": self.latency_sum_ms / self.chunks if self.chunks else None,
                "max": self.latency_max_ms if self.chunks else None,
            },
            "verdicts": dict(self.verdicts),
            "patterns": dict(self.patterns),
            "intents": dict(self.intents),
            "urgent": self.urgent,
        }


class GlobalMetrics:
    """Totals over all streams of a pipeline (updated under the pipeline's lock)."""

    __slots__ = (
        "blocked",
        "bytes",
        "chunks",
        "events",
        "started_at",
        "streams_closed",
        "streams_opened",
        "tokens",
        "verdicts",
    )

    def __init__(self, started_at: float) -> None:
        self.started_at = started_at
        self.streams_opened = 0
        self.streams_closed = 0
        self.chunks = 0
        self.tokens = 0
        self.bytes = 0
        self.blocked = 0
        self.events = 0
        self.verdicts = dict.fromkeys(ACTIONS, 0)

    def snapshot(self, now: float, streams_open: int, queued: int) -> dict[str, Any]:
        up = max(now - self.started_at, 1e-9)
        return {
            "streams_open": streams_open,
            "streams_opened": self.streams_opened,
            "streams_closed": self.streams_closed,
            "chunks": self.chunks,
            "tokens": self.tokens,
            "bytes": self.bytes,
            "events": self.events,
            "queued_chunks": queued,
            "verdicts": dict(self.verdicts),
            "uptime_s": up,
            "chunks_per_s": self.chunks / up,
            "tokens_per_s": self.tokens / up,
        }
