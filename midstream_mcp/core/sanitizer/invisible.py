"""Invisible and control text: zero-width characters, bidi overrides, tag characters, variation selectors.

Emoji keep their legitimate joiners: a zero-width joiner or variation selector
right after a symbol (👨‍👩‍👧, ❤️) and the tag sequences of subdivision flags are
not reported.
"""

from __future__ import annotations

import re
import unicodedata

from midstream_mcp.core.sanitizer._base import Budget, Kind, Prepared
from midstream_mcp.core.sanitizer._model import Finding, ScanContext
from midstream_mcp.core.sanitizer._text import INVISIBLE_RE
from midstream_mcp.core.sanitizer._view import ASCII_TEXT
from midstream_mcp.core.sanitizer.policy import Policy

_EMOJI_GLUE = frozenset("\u200d\ufe0e\ufe0f")
_FLAG_TAGS_RE = re.compile("\U0001f3f4[\U000e0020-\U000e007e]+\U000e007f")


def category_of(run: str) -> str:
    """The finding category for a run of invisible characters (the most telling one wins)."""
    cps = [ord(c) for c in run]
    if any(0xE0000 <= cp <= 0xE007F for cp in cps):
        return "tag_characters"
    if any(0x202A <= cp <= 0x202E or 0x2066 <= cp <= 0x2069 or cp in (0x200E, 0x200F, 0x061C) for cp in cps):
        return "bidi_control"
    if any(0xFE00 <= cp <= 0xFE0F or 0xE0100 <= cp <= 0xE01EF or 0x180B <= cp <= 0x180F for cp in cps):
        return "variation_selector"
    return "zero_width"


class InvisibleDetector:
    """Reports runs of invisible/control characters; ``invisible_action="strip"`` also removes them."""

    name = "invisible"
    kind: Kind = "notice"
    quiet_flag = ASCII_TEXT

    def detect(self, text: Prepared, policy: Policy, context: ScanContext, budget: Budget) -> list[Finding]:
        """One finding per run of invisible characters that is not part of an emoji sequence."""
        if text.is_ascii:
            return []
        raw = text.text
        flags = {(m.start(), m.end()) for m in _FLAG_TAGS_RE.finditer(raw)} if "\U0001f3f4" in raw else set()
        placeholder = "" if policy.invisible_action == "strip" else None
        out: list[Finding] = []
        for m in INVISIBLE_RE.finditer(raw):
            run = m.group()
            start, end = m.start(), m.end()
            if start > 0 and set(run) <= _EMOJI_GLUE and unicodedata.category(raw[start - 1]).startswith("S"):
                continue
            if any(fs < start and end <= fe for fs, fe in flags):
                continue
            cat = category_of(run)
            score = 0.6 if cat in ("tag_characters", "bidi_control") else 0.3
            names = sorted({f"U+{ord(c):04X}" for c in run})
            ev = f"{len(run)} invisible character(s): {', '.join(names[:4])}{'…' if len(names) > 4 else ''}"
            out.append(Finding(self.name, cat, start, end, score, ev, placeholder))
        return out
