"""Redact-mode release: what of a stream's text may go downstream, and when.

In redact mode nothing is forwarded until the detectors have seen enough of
what follows it: a span split across chunks ("4111 1111" + " 1111 1111") must
be replaced whole, and an attack whose second half blocks must not have had
its first half forwarded already. :class:`HeldText` holds back the last
``window`` characters of a stream, never releases part of a span that is being
redacted, drops withheld (blocked) text, and replaces redacted spans with
their placeholders. Offsets are stream offsets (characters since the start).
"""

from __future__ import annotations


class HeldText:
    """The held-back tail of one stream and the edits still to apply to it.

    Parameters
    ----------
    window : int
        Characters held back after each release (the detectors' look-ahead).
    max_held : int
        Most characters ever held: a span that never ends cannot stall the
        stream; past this, text is released even mid-span.
    """

    __slots__ = ("base", "blocked", "held", "max_held", "spans", "window")

    def __init__(self, window: int, max_held: int) -> None:
        self.window = window
        self.max_held = max(max_held, window)
        self.held = ""
        self.base = 0  # stream offset of held[0]
        self.spans: list[tuple[int, int, str]] = []  # (start, end, placeholder)
        self.blocked: list[tuple[int, int]] = []  # (start, end): never released

    @property
    def end(self) -> int:
        """Stream offset just past the last character appended."""
        return self.base + len(self.held)

    def append(self, text: str) -> None:
        self.held += text

    def redact(self, start: int, end: int, placeholder: str) -> None:
        """Release ``[start, end)`` as ``placeholder`` (once, however the span is cut)."""
        self.spans.append((start, end, placeholder))

    def withhold(self, start: int, end: int) -> None:
        """Never release ``[start, end)``."""
        self.blocked.append((start, end))

    def release(self, final: bool = False, keep_from: int | None = None) -> str:
        """Release what is safe now (everything if ``final``), redacted and without withheld text.

        ``keep_from`` (a stream offset) holds back everything from there on as
        well: a span the caller is not yet sure about (still growing at the
        end of the text seen so far).
        """
        base = self.base
        total = base + len(self.held)
        cut = total if final else max(base, total - self.window)
        if not final:
            if keep_from is not None and keep_from < cut:
                cut = max(base, keep_from)
            for s, e, _ in self.spans:
                if base <= s < cut < e:
                    cut = s  # never release part of a span that is replaced whole
            if total - cut > self.max_held:
                cut = total - self.max_held
        if cut <= base:
            return ""
        # (start, withheld first, longest first, end, placeholder): at one start, withheld text wins,
        # so no placeholder stands for text that is not released at all.
        edits: list[tuple[int, int, int, int, str]] = []
        for s, e in self.blocked:
            if e > base and s < cut:
                edits.append((max(s, base), 0, -e, min(e, cut), ""))
        for s, e, ph in self.spans:
            if e > base and s < cut:
                # a span partly released before (only past max_held) gets no second placeholder
                edits.append((max(s, base), 1, -e, min(e, cut), ph if s >= base else ""))
        text = self.held[: cut - base]
        if edits:
            edits.sort()
            out: list[str] = []
            pos = base
            for s, _, _, e, ph in edits:
                if e <= pos:
                    continue  # inside an edit already applied
                if s >= pos:
                    out.append(text[pos - base : s - base])
                    out.append(ph)
                pos = max(pos, e)
            out.append(text[pos - base :])
            text = "".join(out)
        self.held = self.held[cut - base :]
        self.base = cut
        self.spans = [x for x in self.spans if x[1] > cut]
        self.blocked = [x for x in self.blocked if x[1] > cut]
        return text
