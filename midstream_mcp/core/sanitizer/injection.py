"""Prompt-injection and jailbreak detection: weighted phrase rules over normalised text, plus decoding.

Signals are the phrase rules of :mod:`._rules` (over the folded and the raw
view), Unicode tag characters, homoglyph-mixed words, an adversarial-suffix
heuristic and payloads hidden in base64/base32/hex/URL encoding, rot13,
reversed text or letter-splitting, which are decoded and rescanned. Each signal
becomes a finding whose score is the rule weight; the engine combines them
(see :func:`combine_scores`).
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from midstream_mcp.core.sanitizer._base import Budget, Kind, Prepared, excerpt
from midstream_mcp.core.sanitizer._decode import find_encoded, find_split_letters, rot13, rot13_word
from midstream_mcp.core.sanitizer._model import Finding, ScanContext
from midstream_mcp.core.sanitizer._rules import RULES, Rule
from midstream_mcp.core.sanitizer.policy import Policy

#: Words whose presence makes a rot13 or reversed reading worth trying.
_TRIGGERS = frozenset(
    "ignore disregard forget previous instructions prompt system reveal jailbreak pretend developer "
    "anything restrictions password secret print repeat override rules mode unfiltered".split()
)
_ROT13_TRIGGERS = frozenset(rot13_word(w) for w in _TRIGGERS)
_REVERSED_TRIGGERS = frozenset(w[::-1] for w in _TRIGGERS)
_FOLDED_RULES = tuple(r for r in RULES if r.view == "folded")
_RAW_RULES = tuple(r for r in RULES if r.view == "raw")
_RAW_GATE = re.compile(r"[<\[{#=*\-!]|^\s*\w+\s*:|\brm\b|\bcurl\b|\bwget\b|/bin/", re.MULTILINE)
_MIXED_SCRIPT_RE = re.compile(r"\b(?=\w*[a-zA-Z])(?=\w*[\u0370-\u03ff\u0400-\u04ff])\w{3,}\b")
_SUFFIX_TOKEN_RE = re.compile(
    r"[a-z]{2,}[A-Z][a-z]+|[A-Za-z]+[\\\]\[(){}*+!^~`|<>]{1,3}[A-Za-z\"']+|(?:[\\\]\[(){}*+!^~`|<>@#\"']\s?){3,}"
)
_ENCODING_WEIGHT = {"unicode_tags": 0.9}
_TAG_CHAR_RE = re.compile("(?<!\U0001f3f4)[\U000e0000-\U000e007f]+")
_FLAG_TAGS_RE = re.compile("\U0001f3f4[\U000e0020-\U000e007e]+\U000e007f")


def _evidence(text: str, start: int, end: int) -> str:
    return excerpt(text, start, end, 80)


class InjectionDetector:
    """Scores manipulation attempts: override, hijack, persona, extraction, markup, tool hijack, encodings."""

    name = "injection"
    kind: Kind = "manipulation"

    def detect(self, text: Prepared, policy: Policy, context: ScanContext, budget: Budget) -> list[Finding]:
        """Every signal in ``text``, offsets into the original text, score = signal weight."""
        found: list[Finding] = []
        self._scan(text, context, budget, policy.decode_depth, None, found)
        return found

    # -- internals -----------------------------------------------------------------------------

    def _scan(
        self,
        text: Prepared,
        context: ScanContext,
        budget: Budget,
        depth: int,
        carrier: tuple[int, int, str] | None,
        out: list[Finding],
    ) -> None:
        """Append findings for ``text``; inside a decoded payload, spans are the ``carrier`` span."""
        raw = text.text
        words = text.words
        for rule in _FOLDED_RULES:
            if rule.needs and rule.needs.isdisjoint(words):
                continue
            m = rule.regex.search(text.folded)
            if m is not None:
                start, end = text.folded_span(m.start(), m.end())
                self._emit(rule, context, raw, start, end, carrier, out)
        if _RAW_GATE.search(raw):
            for rule in _RAW_RULES:
                m = rule.regex.search(raw)
                if m is not None:
                    self._emit(rule, context, raw, m.start(), m.end(), carrier, out)
        if not text.is_ascii:
            self._unicode_signals(text, carrier, out)
        self._suffix_signal(raw, carrier, out)
        if depth > 0:
            budget.check()
            self._decoded(text, context, budget, depth, carrier, out)

    def _emit(
        self,
        rule: Rule,
        context: ScanContext,
        raw: str,
        start: int,
        end: int,
        carrier: tuple[int, int, str] | None,
        out: list[Finding],
    ) -> None:
        weight = rule.agentic_weight if context.agentic and rule.agentic_weight is not None else rule.weight
        if carrier is None:
            out.append(Finding(self.name, rule.category, start, end, weight, _evidence(raw, start, end)))
        else:
            cs, ce, kind = carrier
            ev = f"{kind}: {_evidence(raw, start, end)}"
            out.append(Finding(self.name, rule.category, cs, ce, weight, ev))

    def _unicode_signals(self, text: Prepared, carrier: tuple[int, int, str] | None, out: list[Finding]) -> None:
        raw = text.text
        flags = _FLAG_TAGS_RE.sub("", raw) if "\U0001f3f4" in raw else raw
        m = _TAG_CHAR_RE.search(flags)
        if m is not None:
            start = raw.find(m.group())
            span = (start, start + len(m.group())) if carrier is None else carrier[:2]
            out.append(Finding(self.name, "tag_smuggling", *span, 0.9, f"{len(m.group())} Unicode tag characters"))
        m = _MIXED_SCRIPT_RE.search(raw)
        if m is not None:
            span = (m.start(), m.end()) if carrier is None else carrier[:2]
            out.append(Finding(self.name, "obfuscation", *span, 0.4, "word mixing Latin with Greek/Cyrillic letters"))

    def _suffix_signal(self, raw: str, carrier: tuple[int, int, str] | None, out: list[Finding]) -> None:
        # Optimised adversarial suffixes read as word salad glued with stray markup and camelCase joins.
        hits = _SUFFIX_TOKEN_RE.findall(raw)
        if len(hits) < 4:
            return
        ms = list(_SUFFIX_TOKEN_RE.finditer(raw))
        for i in range(len(ms) - 3):
            if ms[i + 3].end() - ms[i].start() <= 120:
                start, end = ms[i].start(), ms[min(i + 5, len(ms) - 1)].end()
                span = (start, end) if carrier is None else carrier[:2]
                score = 0.6 if len(hits) < 6 else 0.8
                out.append(Finding(self.name, "adversarial_suffix", *span, score, _evidence(raw, start, end)))
                return

    def _decoded(
        self,
        text: Prepared,
        context: ScanContext,
        budget: Budget,
        depth: int,
        carrier: tuple[int, int, str] | None,
        out: list[Finding],
    ) -> None:
        for start, end, kind, decoded in _decodings(text):
            budget.check()
            span = (start, end, kind) if carrier is None else carrier
            inner: list[Finding] = []
            self._scan(Prepared(decoded), context, budget, depth - 1, span, inner)
            inner_score = max((f.score for f in inner), default=0.0)
            base = _ENCODING_WEIGHT.get(kind, 0.0)
            if inner_score > 0 or base > 0:
                out.extend(inner)
                # Hiding an instruction in an encoding is itself a strong signal.
                weight = max(base, min(0.95, inner_score + 0.15)) if inner_score else base
                ev = f"{kind} payload: {_evidence(decoded, 0, len(decoded))}"
                out.append(Finding(self.name, "encoded_payload", span[0], span[1], weight, ev))
            elif kind in ("base64", "base32", "hex") and end - start >= 24:
                # Readable text smuggled in an encoding, with nothing recognised inside.
                out.append(
                    Finding(self.name, "encoded_text", span[0], span[1], 0.3, f"{kind} text ({end - start} chars)")
                )


def _decodings(text: Prepared) -> Iterable[tuple[int, int, str, str]]:
    raw = text.text
    yield from find_encoded(raw)
    words = text.words
    if len(words & _ROT13_TRIGGERS) >= 2:
        yield 0, len(raw), "rot13", rot13(raw)
    if len(words & _REVERSED_TRIGGERS) >= 2:
        yield 0, len(raw), "reversed", raw[::-1]
    for start, end, squeezed in find_split_letters(raw):
        yield start, end, "split_letters", squeezed
