"""Prompt-injection and jailbreak detection: weighted phrase rules over normalised text, plus decoding.

Signals are the phrase rules of :mod:`._rules` (over the folded and the raw
view), Unicode tag characters, homoglyph-mixed words, an adversarial-suffix
heuristic and payloads hidden in encodings (base64/32/85, hex, uuencode, URL
encoding, Unicode tags and variation selectors, invisible bits, Morse, Braille,
NATO spelling, rot13, Atbash, reversed text, letter splitting), which are
decoded and rescanned. Each signal becomes a finding whose score is the rule
weight; the engine combines them by noisy-OR over categories (see
:func:`combine_scores`), and when many distinct rules fire at once a
``multiple_signals`` finding adds their joint weight.

Cost: every rule sits behind a word gate (a set intersection against the
words of the text), so clean text runs almost no regular expression; on long
texts a rule is searched only in the blocks where all of its gates occur.
"""

from __future__ import annotations

import re
from bisect import bisect_left
from collections.abc import Iterable, Mapping
from types import MappingProxyType

import numpy as np

from midstream_mcp.core.sanitizer import _fast
from midstream_mcp.core.sanitizer._base import Budget, Kind, Prepared, excerpt
from midstream_mcp.core.sanitizer._decode import (
    COMMON_WORDS,
    NATO_WORDS,
    atbash,
    english_score,
    find_encoded,
    find_split_letters,
    looks_like_language,
    nothing_encoded,
    rot13,
    rot13_word,
    word_coverage,
)
from midstream_mcp.core.sanitizer._glue import GLUE_MIN, deglue, glued_words, origin, parts
from midstream_mcp.core.sanitizer._leads import Leads, after_newline, lead_positions, leads
from midstream_mcp.core.sanitizer._model import Finding, ScanContext, _new_finding
from midstream_mcp.core.sanitizer._rules import RULES, Rule
from midstream_mcp.core.sanitizer._text import fold, pattern
from midstream_mcp.core.sanitizer._view import (
    INJECTION_QUIET,
    INJECTION_SETTLED,
    LONG,
    SPLIT_LETTERS,
    TRIAGE,
    text_view,
)
from midstream_mcp.core.sanitizer.policy import Policy

#: Words whose presence makes a rot13 or reversed reading worth trying.
_TRIGGER_TEXT = (
    "ignore disregard forget previous instructions prompt system reveal jailbreak pretend developer "
    "anything restrictions password secret print repeat override rules mode unfiltered"
)
_TRIGGERS = frozenset(_TRIGGER_TEXT.split())
_ROT13_TRIGGERS = frozenset(rot13_word(w) for w in _TRIGGERS)
_REVERSED_TRIGGERS = frozenset(w[::-1] for w in _TRIGGERS)
_FOLDED_RULES = tuple(r for r in RULES if r.view == "folded")
_RAW_RULES = tuple(r for r in RULES if r.view == "raw")


#: Per raw rule, its literals (one of them must occur in the text), or None: no literal to check.
_RAW_LITERAL_CHECK: tuple[tuple[str, ...] | None, ...] = tuple(r.literals or None for r in _RAW_RULES)
#: Per raw rule anchored at line starts (``^...``), the same pattern after a newline (see ``_line_search``).
_RAW_AFTER_NEWLINE = tuple(None if r.anchored else after_newline(r.regex) for r in _RAW_RULES)
#: The raw rules with a head (see ``Rule.head``): the kernel settles them where none of their head words
#: stands at such a head.
_HEAD_RULES = tuple(i for i, r in enumerate(_RAW_RULES) if r.head)
#: All raw-rule literals in one list (the kernel reports which occur as a bit mask), and per raw rule
#: the mask of its own.
_ALL_LITERALS = tuple(sorted({lit for r in _RAW_RULES for lit in r.literals}))
_LITERAL_BIT = {lit: 1 << i for i, lit in enumerate(_ALL_LITERALS)}
_RAW_LITERAL_MASKS = tuple(sum(_LITERAL_BIT[lit] for lit in set(r.literals)) for r in _RAW_RULES)
#: Per raw rule, the number of the earlier raw rule it lies within (see ``Rule.within``), or -1.
_RAW_WITHIN = tuple(
    next(j for j, other in enumerate(_RAW_RULES[:i]) if other.name == r.within) if r.within else -1
    for i, r in enumerate(_RAW_RULES)
)
#: Per raw rule, what ``_scan`` asks of it: the rule, its literals, their mask, its after-newline
#: pattern, the rule it lies within.
_RAW_PLAN = tuple(
    zip(_RAW_RULES, _RAW_LITERAL_CHECK, _RAW_LITERAL_MASKS, _RAW_AFTER_NEWLINE, _RAW_WITHIN, strict=True)
)
#: Per folded rule, the strings every match starts with (see :mod:`._leads`), or None: search it all.
_FOLDED_LEADS: tuple[Leads | None, ...] = tuple(leads(r.regex) for r in _FOLDED_RULES)
#: The same split: (exact leads, a set to intersect with the words of the text; the other leads).
_LEAD_SETS: tuple[tuple[frozenset[str], tuple[str, ...]] | None, ...] = tuple(
    None if ls is None else (frozenset(s for s, ex in ls if ex), tuple(s for s, ex in ls if not ex))
    for ls in _FOLDED_LEADS
)


def _gate_masks(rules: tuple[Rule, ...]) -> dict[str, int]:
    """Gate word -> bit mask of the rules (bit i: ``rules[i]``) whose first gate holds the word."""
    masks: dict[str, int] = {}
    for i, rule in enumerate(rules):
        for w in rule.gates[0] if rule.gates else ():
            masks[w] = masks.get(w, 0) | (1 << i)
    return masks


_FOLDED_MASKS = _gate_masks(_FOLDED_RULES)
_FOLDED_WORDS = frozenset(_FOLDED_MASKS)
_RAW_MASKS = _gate_masks(_RAW_RULES)
_RAW_WORDS = frozenset(_RAW_MASKS)
_RAW_UNGATED = sum(1 << i for i, r in enumerate(_RAW_RULES) if not r.gates)
_MIXED_SCRIPT_RE = re.compile(r"\b(?=\w*[a-zA-Z])(?=\w*[\u0370-\u03ff\u0400-\u04ff\u0131])\w{2,}\b")
#: Categories whose phrasing is often *talked about* rather than used ("it may try to make you ignore ...").
_MENTIONABLE = frozenset({"instruction_override", "restriction_removal", "system_prompt_extraction"})
_MENTION_RE = re.compile(
    pattern(
        r"(?:\b(?:make|get|trick|convince|persuade|cause|force|lead|manipulate|coax|tempt|pressure)[\W_]+"
        r"(?:you|the[\W_]+model|the[\W_]+ai|the[\W_]+assistant|models|llms|it|them)[\W_]+(?:to[\W_]+|into[\W_]+)?"
        r"|\b(?:never|not|don[\W_]+t|do[\W_]+not|must[\W_]+not|should[\W_]+not|won[\W_]+t|will[\W_]+not|refuse[\W_]+to|"
        r"cannot|can[\W_]+t|attempts?[\W_]+to|tries[\W_]+to|try[\W_]+to|trying[\W_]+to|designed[\W_]+to|"
        r"asks?[\W_]+you[\W_]+to|tells?[\W_]+you[\W_]+to)[\W_]+)$"
    )
)
_NATO_FOLDED = frozenset(fold(w) for w in NATO_WORDS)
_LOOKALIKE_RE = re.compile("[\u0370-\u03ff\u0400-\u04ff\u0131]")
_TAG_CHAR_RE = re.compile("(?<!\U0001f3f4)[\U000e0000-\U000e007f]+")
_FLAG_TAGS_RE = re.compile("\U0001f3f4[\U000e0020-\U000e007e]+\U000e007f")
_INVISIBLE_CARRIERS = frozenset({"unicode_tags", "variation_selectors", "invisible_bits"})
_TEXT_CARRIERS = frozenset({"base64", "base32", "hex", "base85", "uuencode", "morse", "braille", "nato",
                            "rot13", "atbash", "reversed"})  # fmt: skip
_COMMON_FOLDED = frozenset(fold(w) for w in COMMON_WORDS)
_CIPHER_COMMON_TEXT = "the and is to of in it you for with this are that be not on your what how"
#: The commonest English words under rot13, Atbash and reversal: two of them make a ciphered reading
#: worth trying.
_CIPHERED_PLAIN = frozenset(
    f(w) for w in _CIPHER_COMMON_TEXT.split() for f in (rot13, atbash, lambda x: x[::-1])
) - frozenset(COMMON_WORDS)
_CIPHERED_COMMON = frozenset(map(fold, _CIPHERED_PLAIN)) - _COMMON_FOLDED
_LETTERS = frozenset("bcdefghjkmnopqruvwxyz")  # single-letter words other than a, i (and s, t of it's/don't)
#: Every word any gate here asks about: the word set of a text is only ever intersected with subsets
#: of this, so the text's words outside it need not be collected (see :func:`_gates`).
_VOCAB_LIST = tuple(
    sorted(
        w
        for w in frozenset().union(
            *(g for r in RULES for g in r.gates),
            *(ls[0] for ls in _LEAD_SETS if ls is not None),
            _COMMON_FOLDED, _NATO_FOLDED, _ROT13_TRIGGERS, _REVERSED_TRIGGERS, _CIPHERED_COMMON, _LETTERS,
        )
        if w.isascii() and w.isalpha() and w.islower()  # anything else is never an [a-z]+ word
    )
)  # fmt: skip
_VOCAB = frozenset(_VOCAB_LIST)
#: The rule words a glued word is split around (see :mod:`._glue`): gate words of GLUE_MIN letters or more.
_GLUE_WORDS = frozenset(w for r in RULES for g in r.gates for w in g if len(w) >= GLUE_MIN) & _VOCAB
#: Per folded rule, the words its pattern spells out (and its gates): a glued word whose part is one
#: of them may hide a match.
_PATTERN_WORDS = tuple(
    frozenset(re.findall("[a-z]{2,}", r.regex.pattern)).union(*r.gates) for r in _FOLDED_RULES
)
#: Folded rules whose leads are all exact and in :data:`_VOCAB`: the kernel gives their start positions.
_KERNEL_LEADS = tuple(ls is not None and not ls[1] and bool(ls[0]) and ls[0] <= _VOCAB for ls in _LEAD_SETS)
#: The word sets whose overlap with a text's words is counted (see :func:`_decodings`), in this order.
_WORD_SETS = (_COMMON_FOLDED, _NATO_FOLDED, _ROT13_TRIGGERS, _REVERSED_TRIGGERS, _CIPHERED_COMMON, _LETTERS)
_NSETS = len(_WORD_SETS)
_NFOLDED = len(_FOLDED_RULES)
_LONG = LONG  # texts longer than this are searched block by block (see _blocks)
_BLOCK = 1024  # long texts are searched block by block, blocks overlapping by _OVERLAP characters
_OVERLAP = 320
_WORDS_RE = re.compile(r"[a-z]+")
_LINE_WORDS_RE = re.compile(r"[A-Za-z]+")

# Adversarial suffixes (optimised token strings such as GCG's): isolated brackets and punctuation,
# words glued with a case change, and words fused with stray markup, densely packed.
_SUFFIX_RE = re.compile(
    r"(?P<punct>(?<!\S)(?![-*/&.,:;\"'|=+#>]+(?!\S))[!-/:-@\[-`{-~]{1,3}(?!\S))"
    r"|(?P<bracket>(?<!\S)[\[{][A-Za-z]\w*(?![\w\]}]))"
    r"|(?P<glue>\b[a-z]{3,}[A-Z]+[a-zA-Z]*\b|\b[A-Z][a-z]{2,}[A-Z]{2,}[a-zA-Z]*\b)"
    r"|(?P<fused>(?<![A-Za-z])[A-Za-z]{2,}[\\\]\[(){}*+!^~`|<>]{1,3}[A-Za-z\"'][A-Za-z]*)"
    r"|(?P<cluster>[!-/:-@\[-`{-~]{2,})"
)
#: Punctuation clusters that ordinary prose and markdown are full of.
_PROSE_CLUSTER_TEXT = (
    "... .. -- --- ?! !? !! ?? .\" ,\" ?\" !\" \") ). ), ); .) \". \", '. ', .' ,' ?' !' (\" (' ') ** __ :// "
    ':) :( ;) %) %. %, ]. ], ): ]( ... ?) !) >> << -> => <- ## ### \'\' "" ``` `` ). )." .") ?") .).'
)
_PROSE_CLUSTERS = frozenset(_PROSE_CLUSTER_TEXT.split())
#: Symbols that prose rarely uses and optimised suffixes are full of.
_ODD_RE = re.compile(r"[\[\]{}<>\\^~`|]")
_NOT_ODD = bytes(c for c in range(256) if not _ODD_RE.match(chr(c)))  # bytes.translate deletes these
_GLUE_HINT_RE = re.compile(r"[a-z][A-Z]")
_SUFFIX_KIND = {"punct": 0, "bracket": 1, "glue": 2, "cluster": 3, "fused": 4}
_CODE_RE = re.compile(
    r"[;{}]\s*$|=>|==|!=|&&|\|\||\bdef\b|\bfunction\b|\breturn\b|\bimport\b|\bconst\b|\bvar\b|\blet\b|"
    r"\bthen\b|\bfi\b|\becho\b|\bprint\b|\w\(|\w\[\w*\]|\$\{?\w|^\s*[#|]|\|\s*$",
    re.MULTILINE,
)


def _evidence(text: str, start: int, end: int) -> str:
    return excerpt(text, start, end, 80)


class InjectionDetector:
    """Scores manipulation attempts: override, hijack, persona, extraction, markup, tool hijack, encodings."""

    name = "injection"
    kind: Kind = "manipulation"
    quiet_flag = INJECTION_QUIET

    def detect(self, text: Prepared, policy: Policy, context: ScanContext, budget: Budget) -> list[Finding]:
        """Every signal in ``text``, offsets into the original text, score = signal weight."""
        found: list[Finding] = []
        self._scan(text, context, budget, policy.decode_depth, None, found)
        if len(found) >= 3:  # fewer cannot make three distinct signals
            _add_joint_signal(found)
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
        if text.vocab is None and text.is_ascii:
            view = text_view(text)
            if view is not None and view[0] & INJECTION_SETTLED:
                # Most chunks: the kernel settled every signal but the raw rules it lets through.
                first, end = _passing(view, TRIAGE + 1 + view[TRIAGE])
                passing = [r - _NFOLDED for r in view[first:end]]
                self._raw_rules(text, view[TRIAGE + 1], passing, context, carrier, out)
                return
        gates = _gates(text)
        rv = _raw_view(text)
        folded: str | None = None
        blocks: list[tuple[int, int, frozenset[str]]] | None = None
        lead_at: dict[str, list[int]] = {}  # lead string -> its word-start positions in the folded text
        missed: list[int] | None = [] if gates.glued else None  # rules searched in vain
        for i in gates.folded:
            rule = _FOLDED_RULES[i]
            if folded is None:
                folded = text.folded
            if len(folded) <= _LONG:
                starts = gates.starts.get(i)
                if starts is not None:
                    # Every lead of the rule is exact: a match starts where a lead is a whole word.
                    m = None
                    match = rule.regex.match
                    for p in starts:
                        m = match(folded, p)
                        if m is not None:
                            break
                else:
                    m = _lead_search(i, folded, gates.words, lead_at, 0, len(folded))
            else:
                if blocks is None:
                    blocks = _blocks(folded)
                m = _blocked_search(i, folded, gates.words, lead_at, blocks)
            if m is not None:
                start, end = text.folded_span(m.start(), m.end())
                self._emit(
                    rule, context, raw, start, end, carrier, out, _mention_weight(rule, folded, m.start())
                )
            elif missed is not None:
                missed.append(i)
        if missed is not None:
            self._glued(text, gates, missed, context, carrier, out)
        self._raw_rules(text, None if rv is None else rv[0], gates.raw, context, carrier, out)
        if not text.is_ascii:
            self._unicode_signals(text, carrier, out)
        if rv is None or rv[1] >= 4:  # the kernel's view: fewer than four marks report nothing
            _suffix_signal(self.name, raw, carrier, out, rv)
        if depth > 0:
            decodings = _decodings(text, gates, rv)
            if decodings:  # most texts: nothing to decode, told without a generator or a budget check
                self._decoded(text, decodings, context, budget, depth, carrier, out)

    def _raw_rules(
        self,
        text: Prepared,
        literals_seen: int | None,
        passing: Iterable[int],
        context: ScanContext,
        carrier: tuple[int, int, str] | None,
        out: list[Finding],
    ) -> None:
        """Search the raw rules ``passing`` their word gates; ``literals_seen`` is the kernel's mask of
        the literals in the text (``_kernels.raw_scan``), None: look for them here."""
        raw = text.text
        hit = 0  # bit i: raw rule i matched
        lower: str | None = None
        for i in passing:
            rule, literals, mask, line, within = _RAW_PLAN[i]
            if literals is not None:
                if literals_seen is not None:
                    if not literals_seen & mask:
                        continue  # the kernel saw none of the rule's literals
                else:
                    for lit in literals:
                        if lit in raw:
                            break
                    else:
                        continue  # none of the rule's literals occurs in the text
            if within >= 0 and not hit >> within & 1:
                continue  # the rule it lies within matched nowhere
            if rule.needs and text.is_ascii:
                if lower is None:
                    lower = raw.lower()
                if not _needs_met(rule.needs, lower):
                    continue
            if rule.anchored:
                m = _anchored_search(rule, raw, literals_seen)
            elif line is not None:
                m = _line_search(rule.regex, line, raw)
            else:
                m = rule.regex.search(raw)
            if m is not None:
                hit |= 1 << i
                self._emit(rule, context, raw, m.start(), m.end(), carrier, out)

    def _glued(
        self,
        text: Prepared,
        gates: _Gates,
        missed: list[int],
        context: ScanContext,
        carrier: tuple[int, int, str] | None,
        out: list[Finding],
    ) -> None:
        """Search the folded text with the glued words split ("instructions plain") for the rules that
        pass only so or whose glued lead left them no place to start (``gates.glue``), and for those
        searched in vain (``missed``) when a part of a glued word is a word of their pattern; spans
        map back to the text."""
        found = _glue_parts(gates.glued)
        related = [i for i in missed if not _PATTERN_WORDS[i].isdisjoint(found)]
        if not gates.glue and not related:
            return
        spaced, spaces = deglue(text.folded, gates.glued)
        words = gates.words | found
        lead_at: dict[str, list[int]] = {}
        for i in sorted(gates.glue + related):
            rule = _FOLDED_RULES[i]
            m = _lead_search(i, spaced, words, lead_at, 0, len(spaced))
            if m is None:
                continue
            start, end = text.folded_span(origin(spaces, m.start()), origin(spaces, m.end() - 1) + 1)
            weight = _mention_weight(rule, spaced, m.start())
            self._emit(rule, context, text.text, start, end, carrier, out, weight)

    def _emit(
        self,
        rule: Rule,
        context: ScanContext,
        raw: str,
        start: int,
        end: int,
        carrier: tuple[int, int, str] | None,
        out: list[Finding],
        weight: float | None = None,
    ) -> None:
        if weight is None:
            weight = (
                rule.agentic_weight if context.agentic and rule.agentic_weight is not None else rule.weight
            )
        if carrier is None:
            out.append(
                _new_finding(self.name, rule.category, start, end, weight, _evidence(raw, start, end), None)
            )
        else:
            cs, ce, kind = carrier
            ev = f"{kind}: {_evidence(raw, start, end)}"
            out.append(Finding(self.name, rule.category, cs, ce, weight, ev))

    def _unicode_signals(
        self, text: Prepared, carrier: tuple[int, int, str] | None, out: list[Finding]
    ) -> None:
        raw = text.text
        flags = _FLAG_TAGS_RE.sub("", raw) if "\U0001f3f4" in raw else raw
        m = _TAG_CHAR_RE.search(flags)
        if m is not None:
            start = raw.find(m.group())
            span = (start, start + len(m.group())) if carrier is None else carrier[:2]
            out.append(
                Finding(self.name, "tag_smuggling", *span, 0.9, f"{len(m.group())} Unicode tag characters")
            )
        mixed = _MIXED_SCRIPT_RE.findall(raw, 0, 20_000) if _LOOKALIKE_RE.search(raw) else []
        if mixed:
            m2 = _MIXED_SCRIPT_RE.search(raw)
            assert m2 is not None
            span = (m2.start(), m2.end()) if carrier is None else carrier[:2]
            # One mixed word can be a typo or a name; several are deliberate look-alike substitution.
            score = 0.4 if len(mixed) == 1 else 0.6 if len(mixed) < 4 else 0.75
            ev = f"{len(mixed)} word(s) mixing Latin with Greek/Cyrillic look-alikes"
            out.append(Finding(self.name, "obfuscation", *span, score, ev))

    def _decoded(
        self,
        text: Prepared,
        decodings: list[tuple[int, int, str, str]],
        context: ScanContext,
        budget: Budget,
        depth: int,
        carrier: tuple[int, int, str] | None,
        out: list[Finding],
    ) -> None:
        """Scan each payload of ``decodings`` (see :func:`_decodings`) one level deeper."""
        memo = text.memo
        for start, end, kind, decoded in decodings:
            budget.check()
            span = (start, end, kind) if carrier is None else carrier
            # What the payload yields depends on it, the depth, the kinds and the agentic flag only;
            # every inner finding spans the carrier. A stream decodes the same payload again when it
            # is in the carry-over window, so the outcome is kept in the stream's memo.
            key = ("decoded", decoded, kind, span[2], depth, context.agentic)
            got: tuple[tuple[tuple[str, float, str], ...], float] | None
            got = memo.get(key) if memo is not None else None  # type: ignore[assignment]
            if got is None:
                found: list[Finding] = []
                self._scan(Prepared(decoded), context, budget, depth - 1, span, found)
                if kind in _INVISIBLE_CARRIERS:
                    base = 0.9  # text nobody can see is smuggled by construction
                elif kind in _TEXT_CARRIERS and _readable(kind, decoded):
                    base = 0.5  # readable language hidden in an encoding
                else:
                    base = 0.0
                got = (tuple((f.category, f.score, f.evidence) for f in found), base)
                if memo is not None:
                    memo[key] = got
                inner = found
            else:
                template, base = got
                inner = [Finding(self.name, c, span[0], span[1], score, ev) for c, score, ev in template]
            inner_score = max((f.score for f in inner), default=0.0)
            if inner_score > 0 or base > 0:
                out.extend(inner)
                # Hiding an instruction in an encoding is itself a strong signal.
                weight = max(base, min(0.95, inner_score + 0.15)) if inner_score else base
                ev = f"{kind} payload: {_evidence(decoded, 0, len(decoded))}"
                out.append(Finding(self.name, "encoded_payload", span[0], span[1], weight, ev))
            elif kind in ("base64", "base32", "hex") and end - start >= 24:
                out.append(
                    Finding(
                        self.name, "encoded_text", span[0], span[1], 0.3, f"{kind} text ({end - start} chars)"
                    )
                )


def _readable(kind: str, decoded: str) -> bool:
    if kind == "nato":
        # A long spelled-out run is deliberate (unless it is the alphabet itself, in order).
        letters = decoded.lower()
        return (len(decoded) >= 6 and word_coverage(decoded) >= 0.6) or (
            len(letters) >= 8 and list(letters) != sorted(letters)
        )
    if kind in ("morse", "braille"):
        alpha = sum(c.isalpha() for c in decoded)
        return looks_like_language(decoded) or (len(decoded) >= 8 and alpha >= 0.6 * len(decoded))
    return looks_like_language(decoded)


def _line_search(regex: re.Pattern[str], line: re.Pattern[str], raw: str) -> re.Match[str] | None:
    """``regex.search(raw)`` for a pattern ``^X`` (MULTILINE), ``line`` being ``\\nX``.

    Every match starts at the text's start or right after a newline: try the start, then
    the first newline ``line`` finds (the leftmost match after it), where ``re`` scans for
    the newline instead of trying the whole pattern at every position.
    """
    m = regex.match(raw)
    if m is not None:
        return m
    hit = line.search(raw)
    return None if hit is None else regex.match(raw, hit.start() + 1)


def _needs_met(needs: tuple[tuple[str, ...], ...], lower: str) -> bool:
    """True when one string of each group of ``needs`` occurs in ``lower`` (see ``Rule.needs``)."""
    for group in needs:
        for s in group:
            if s in lower:
                break
        else:
            return False
    return True


def _anchored_search(rule: Rule, raw: str, seen: int | None = None) -> re.Match[str] | None:
    """``rule.regex.search(raw)`` for a rule whose matches all start with one of its literals
    (``seen``: the kernel's mask of the literals in ``raw``, if it has one; the others are not looked for)."""
    starts: set[int] = set()
    for lit in rule.literals:
        if seen is not None and not seen & _LITERAL_BIT[lit]:
            continue
        i = raw.find(lit)
        while i >= 0:
            starts.add(i)
            i = raw.find(lit, i + 1)
    for p in sorted(starts):
        m = rule.regex.match(raw, p)
        if m is not None:
            return m
    return None


#: The start positions of a text without any (shared: nobody writes to it).
_NO_STARTS: Mapping[int, list[int]] = MappingProxyType({})


class _Gates:
    """What the word gates let through for one text.

    ``folded``/``raw``: the indices of the folded and raw rules every gate of which shares a
    word with the text (and the ungated raw rules), in order; ``counts``: how many words of the
    text each of :data:`_WORD_SETS` holds; ``n``: how many distinct words the text has;
    ``words``: the text's words that are in :data:`_VOCAB` (every set this module intersects
    the words with is a subset of it); ``starts``: see below; ``glue``: the folded rules that pass
    only once the text's glued words are split, and ``glued`` those words with their split points
    (see :mod:`._glue`).
    """

    __slots__ = ("_ids", "_ids_at", "_words", "counts", "folded", "glue", "glued", "n", "raw", "starts")

    def __init__(
        self,
        n: int,
        counts: list[int],
        folded: list[int],
        raw: list[int],
        words: frozenset[str] | None,
        ids: list[int],
        ids_at: int = 0,
        starts: Mapping[int, list[int]] = _NO_STARTS,
        glue: list[int] | None = None,
        glued: dict[str, tuple[int, ...]] | None = None,
    ) -> None:
        self.n, self.counts, self.folded, self.raw = n, counts, folded, raw
        self.glue: list[int] = glue or []
        self.glued: dict[str, tuple[int, ...]] = glued or {}
        #: The words, or where the kernel's answer ``ids`` lists their vocabulary indices (to its end,
        #: from ``ids_at``): read only when a rule asks (most chunks never do).
        self._words, self._ids, self._ids_at = words, ids, ids_at
        #: Folded rule -> the positions where one of its lead words stands whole at a word start
        #: (in order): the only places where its match can start (kernel path only).
        self.starts = starts

    @property
    def words(self) -> frozenset[str]:
        if self._words is None:
            self._words = frozenset(map(_VOCAB_LIST.__getitem__, self._ids[self._ids_at :]))
        return self._words


def _gates(text: Prepared) -> _Gates:
    """The word gates of ``text`` (cached on it): one kernel pass when the kernels are loaded.

    For ASCII text the same kernel call also gives :func:`_raw_view` (cached too).
    """
    view = text.vocab
    if isinstance(view, _Gates):
        return view
    kernels = _fast.KERNELS
    if kernels is not None and len(text.text) >= _fast.MIN_CHARS:
        # Start positions are for texts searched whole; long ones are searched block by block.
        short = len(text.text) <= _LONG  # an ASCII text folds one character to one
        if text.is_ascii:
            out = text_view(text)
            assert out is not None
            at = TRIAGE + 1
            text.raw_view = out[at : at + out[TRIAGE]]
            view = _parse_gates(out, at + out[TRIAGE], short, text)
        else:
            # Writable (a bytearray's buffer): text_scan calls gate_view so, and numba compiles a kernel
            # once per argument types.
            data = np.frombuffer(bytearray(text.folded.encode("ascii", "replace")), np.uint8)
            short = len(data) <= _LONG
            view = _parse_gates(kernels.gate_view(data, *_fast.GATE_ARGS, short).tolist(), 0, short, text)
    else:
        view = _gates_py(text.words)
    text.vocab = view
    return view


def _passing(out: list[int], at: int) -> tuple[int, int]:
    """Where in ``out`` the rules passing lie (by number: the folded rules first, then the raw ones),
    for the answer of ``_kernels.gate_view`` that starts at ``out[at]``: ``out[first:end]``."""
    first = at + 3 + _NSETS
    return first, first + out[first - 1]


def _parse_gates(out: list[int], at: int, short: bool, text: Prepared) -> _Gates:
    """:class:`_Gates` of ``text`` from what ``_kernels.gate_view`` returned, from ``out[at]`` on."""
    first, end = _passing(out, at)
    counts = out[at + 1 : first - 2]
    folded: list[int] = []
    starts: Mapping[int, list[int]] = _NO_STARTS
    ids_at = end
    if end == first or out[first] >= _NFOLDED:  # no folded rule (most texts): no start positions either
        raw = [r - _NFOLDED for r in out[first:end]]
    else:
        passing = out[first:end]
        split = bisect_left(passing, _NFOLDED)
        folded = passing[:split]
        raw = [r - _NFOLDED for r in passing[split:]]
        starts = {}
        for r in folded if short else ():
            if _KERNEL_LEADS[r]:
                count = out[ids_at]
                starts[r] = out[ids_at + 1 : ids_at + 1 + count]
                ids_at += 1 + count
    # The glued words (see ``_glue``): the rules to search with them split, then the words.
    nglue = out[ids_at]
    glue = [r for r in out[ids_at + 1 : ids_at + 1 + nglue] if r < _NFOLDED] if nglue else []
    ids_at += 1 + nglue
    nglued = out[ids_at]
    glued: dict[str, tuple[int, ...]] = {}
    if nglued:
        folded_text = text.folded
        for k in range(ids_at + 1, ids_at + 1 + 4 * nglued, 4):
            s, e, cut, cut2 = out[k : k + 4]
            glued[folded_text[s:e]] = (cut, cut2) if 0 <= cut < cut2 else (max(cut, cut2),)
    ids_at += 1 + 4 * nglued
    return _Gates(out[at], counts, folded, raw, None, out, ids_at, starts, glue, glued)


def _gates_py(words: frozenset[str]) -> _Gates:
    """:class:`_Gates` from the whole word set (the reference the kernel must agree with)."""
    folded = [
        i
        for i in _candidates(words, _FOLDED_WORDS, _FOLDED_MASKS, 0)
        if len(_FOLDED_RULES[i].gates) <= 1 or _more_gates(_FOLDED_RULES[i].gates, words)
    ]
    raw = [
        i
        for i in _candidates(words, _RAW_WORDS, _RAW_MASKS, _RAW_UNGATED)
        if len(_RAW_RULES[i].gates) <= 1 or _more_gates(_RAW_RULES[i].gates, words)
    ]
    counts = [len(words & s) for s in _WORD_SETS]
    glue: list[int] = []
    glued = glued_words(words, _VOCAB, _GLUE_WORDS)
    if glued:
        more = words | (_glue_parts(glued) & _VOCAB)
        if more != words:
            passing = set(folded)
            glue = [
                i
                for i in _candidates(more, _FOLDED_WORDS, _FOLDED_MASKS, 0)
                if i not in passing
                and (len(_FOLDED_RULES[i].gates) <= 1 or _more_gates(_FOLDED_RULES[i].gates, more))
            ]
    return _Gates(len(words), counts, folded, raw, words & _VOCAB, [], glue=glue, glued=glued)


def _glue_parts(glued: dict[str, tuple[int, ...]]) -> frozenset[str]:
    """The parts of the glued words."""
    return frozenset(p for w, points in glued.items() for p in parts(w, points))


def _mention_weight(rule: Rule, folded: str, at: int) -> float | None:
    """0.3 for a match at ``at`` of ``folded`` that is reported or forbidden ("trick you into
    ignoring...", "never ignore..."), not ordered; None: the rule's own weight."""
    if rule.category in _MENTIONABLE and _MENTION_RE.search(folded, max(0, at - 48), at):
        return 0.3
    return None


def _more_gates(gates: tuple[frozenset[str], ...], words: frozenset[str]) -> bool:
    """True when every gate after the first shares a word with ``words``."""
    return all(not g.isdisjoint(words) for g in gates[1:])


def _literal_occurs(i: int, raw: str) -> bool:
    """True when raw rule ``i`` has no literals or one of them occurs in ``raw`` (as ``_scan`` tests it)."""
    literals = _RAW_LITERAL_CHECK[i]
    return literals is None or any(lit in raw for lit in literals)


def _candidates(
    words: frozenset[str], gate_words: frozenset[str], masks: dict[str, int], always: int
) -> list[int]:
    """Indices of the rules whose first gate shares a word with ``words`` (plus ungated ones), in order."""
    m = always
    for w in words & gate_words:
        m |= masks[w]
    out = []
    while m:
        low = m & -m
        out.append(low.bit_length() - 1)
        m ^= low
    return out


def _blocks(folded: str) -> list[tuple[int, int, frozenset[str]]]:
    """Overlapping blocks of a long folded text, each with its own word set.

    Blocks overlap by more than any rule's match is long, so no match is cut in two.
    """
    out = []
    for start in range(0, len(folded), _BLOCK - _OVERLAP):
        end = min(len(folded), start + _BLOCK)
        out.append((start, end, frozenset(_WORDS_RE.findall(folded, start, end))))
        if end == len(folded):
            break
    return out


def _blocked_search(
    i: int,
    folded: str,
    words: frozenset[str],
    lead_at: dict[str, list[int]],
    blocks: list[tuple[int, int, frozenset[str]]],
) -> re.Match[str] | None:
    """Search folded rule ``i`` only in the blocks where all of its gates occur together."""
    rule = _FOLDED_RULES[i]
    for start, end, block_words in blocks:
        if all(not g.isdisjoint(block_words) for g in rule.gates):
            m = _lead_search(i, folded, words, lead_at, start, end)
            if m is not None:
                return m
    return None


def _lead_search(
    i: int, folded: str, words: frozenset[str], lead_at: dict[str, list[int]], start: int, end: int
) -> re.Match[str] | None:
    """``_FOLDED_RULES[i].regex.search(folded, start, end)``, trying only where a match can start.

    ``lead_at`` caches the positions of each lead string for this text (shared by all rules).
    """
    regex = _FOLDED_RULES[i].regex
    lead_sets = _LEAD_SETS[i]
    if lead_sets is None:
        return regex.search(folded, start, end)
    exact, other = lead_sets
    positions: list[int] = []
    # An exact lead is a whole word: it cannot occur where the text lacks that word.
    for lead in (exact & words, other) if other else (exact & words,):
        for s in lead:
            at = lead_at.get(s)
            if at is None:
                at = lead_at[s] = lead_positions(folded, s)
            positions.extend(at)
    if not positions:
        return None
    positions.sort()
    for p in positions:
        if start <= p < end:
            m = regex.match(folded, p, end)
            if m is not None:
                return m
    return None


def _suffix_signal(
    name: str,
    raw: str,
    carrier: tuple[int, int, str] | None,
    out: list[Finding],
    view: list[int] | None = None,
) -> None:
    """Optimised adversarial suffixes: dense runs of stray punctuation tokens, glued and fused words.

    ``view`` is :func:`_raw_view` of ``raw`` (the kernel did the same steps), or None.
    """
    if len(raw) < 24:
        return
    code: bool | None = None
    if view is not None:
        count, best, kinds, start, last, seen = view[1:7]
        if count < 4:
            return
        code = None if seen < 0 else seen == 1
    else:
        if raw.isascii():
            odd = len(raw[:20_000].encode("ascii").translate(None, _NOT_ODD))
        else:
            odd = len(_ODD_RE.findall(raw, 0, 20_000))
        if odd < 3 and (odd == 0 or _GLUE_HINT_RE.search(raw, 0, 20_000) is None):
            return  # too few stray brackets and symbols to be an optimised suffix
        marks = _suffix_marks(raw)
        if len(marks) < 4:
            return
        best, kinds, start, last = _densest(marks)
    end = min(len(raw), last + 24)
    if best < 5 or (kinds < 2 and best < 7):
        return
    if code is None:
        line_start = raw.rfind("\n", 0, start) + 1
        line_end = raw.find("\n", end)
        hits = _CODE_RE.finditer(raw[line_start : line_end if line_end >= 0 else len(raw)])
        code = next(hits, None) is not None and next(hits, None) is not None
    if code:
        return  # source code (two hits or more) is dense in brackets and camelCase by nature
    score = 0.6 if best < 7 else 0.8
    span = (start, end) if carrier is None else carrier[:2]
    out.append(Finding(name, "adversarial_suffix", *span, score, _evidence(raw, start, end)))


def _raw_view(text: Prepared) -> list[int] | None:
    """What the kernel reads from the raw text (see ``_kernels.raw_scan``), cached; None without kernels,
    for non-ASCII text and for short texts (the pure-Python paths handle those)."""
    if text.raw_view is None:
        if _fast.KERNELS is None or not text.is_ascii or len(text.text) < _fast.MIN_CHARS:
            return None
        if text.vocab is None:
            _gates(text)  # the same kernel call
        else:  # the gates were worked out before the kernels were switched on
            text.raw_view = (
                _fast.KERNELS.raw_scan(
                    np.frombuffer(text.text.encode("ascii"), np.uint8),
                    min(len(text.text), 20_000),
                    *_fast.RAW_ARGS,
                )
            ).tolist()
    return text.raw_view  # type: ignore[return-value]


def _densest(marks: list[tuple[int, int]]) -> tuple[int, int, int, int]:
    """The densest run of marks within 160 characters: (count, kinds in it, first, last position)."""
    best, best_i, j = 0, 0, 0
    for i in range(len(marks)):
        while marks[i][0] - marks[j][0] > 160:
            j += 1
        if i - j + 1 > best:
            best, best_i = i - j + 1, i
    window = marks[best_i - best + 1 : best_i + 1]
    return best, len({k for _, k in window}), window[0][0], window[-1][0]


#: ASCII shape for the suffix scan: p punctuation, s the symbols of a fused word (also punctuation),
#: a lower case, A upper case, space white space, 0 digits and everything else.
_SUFFIX_SHAPE = bytes(
    ord(
        "s" if chr(c) in "\\][(){}*+!^~`|<>" else "p" if 33 <= c <= 126 and not chr(c).isalnum() else
        "a" if 97 <= c <= 122 else "A" if 65 <= c <= 90 else " " if chr(c).isspace() else "0"
    )
    for c in range(256)
)  # fmt: skip
#: Punctuation where a mark can start: after white space (or at the start), or followed by more.
_PUNCT_START_RE = re.compile(rb"(?:^|(?<= ))[ps]|[ps](?=[ps])")
_LETTER_HINTS = (b"aA", b"as", b"As")  # a case change (glued words) or letters before a symbol (fused)
_NOT_LETTER = (b" ", b"p", b"s", b"0")


def _suffix_marks(raw: str) -> list[tuple[int, int]]:
    """``(start, kind)`` of each mark of :data:`_SUFFIX_RE` in ``raw[:20000]``, prose clusters left out.

    The same as ``finditer``, which tries every position: for ASCII text only the
    positions where an alternative can start are tried (found by C-level scans
    of a character-class view), and each match continues after the last one.
    """
    limit = min(len(raw), 20_000)
    if not raw.isascii():
        found = [(m.start(), m.lastgroup or "punct", m.group()) for m in _SUFFIX_RE.finditer(raw, 0, limit)]
    else:
        shape = raw[:limit].encode("ascii").translate(_SUFFIX_SHAPE)
        cands = [m.start() for m in _PUNCT_START_RE.finditer(shape)]
        for hint in _LETTER_HINTS:  # glue and fused marks start where a run of letters does
            i = shape.find(hint)
            while i >= 0:
                cands.append(max(shape.rfind(c, 0, i) for c in _NOT_LETTER) + 1)
                i = shape.find(hint, i + 1)
        cands.sort()
        found = []
        pos = 0
        match = _SUFFIX_RE.match
        for c in cands:
            if c < pos:
                continue
            m = match(raw, c, limit)
            if m is not None:
                found.append((c, m.lastgroup or "punct", m.group()))
                pos = m.end()
    return [
        (at, _SUFFIX_KIND[kind])
        for at, kind, text in found
        if kind != "cluster" or text not in _PROSE_CLUSTERS
    ]


def _add_joint_signal(found: list[Finding]) -> None:
    """Many different weak signals at once are stronger evidence than their category maxima suggest."""
    by_evidence: dict[tuple[str, str], float] = {}
    for f in found:
        key = (f.category, f.evidence[:40])
        by_evidence[key] = max(by_evidence.get(key, 0.0), f.score)
    if len(by_evidence) < 3:
        return
    miss = 1.0
    for s in by_evidence.values():
        miss *= 1.0 - 0.4 * min(s, 1.0)
    score = min(0.9, 1.0 - miss)
    start = min(f.start for f in found)
    end = max(f.end for f in found)
    cats = ", ".join(sorted({c for c, _ in by_evidence}))
    found.append(
        Finding("injection", "multiple_signals", start, end, score, f"{len(by_evidence)} signals: {cats}")
    )


def _decodings(text: Prepared, gates: _Gates, view: list[int] | None) -> list[tuple[int, int, str, str]]:
    """The payloads hidden in ``text``: ``(start, end, kind, decoded text)``, in the order they are scanned.

    ``gates`` and ``view`` are :func:`_gates` and :func:`_raw_view` of ``text``. A list rather than a
    generator: most texts have none, and an empty list is the cheapest way to say so (every finder
    is bounded: at most a fixed number of candidates, each at most 8 KiB).
    """
    raw = text.text
    common, nato, rot13_triggers, reversed_triggers, ciphered, letters = gates.counts
    prose = gates.n >= 6 and common >= 0.4 * gates.n
    found: list[tuple[int, int, str, str]] = []
    if view is None or not nothing_encoded(raw, prose, nato >= 4, view):
        found.extend(find_encoded(raw, prose, nato=nato >= 4, memo=text.memo, view=view))
    if rot13_triggers >= 2:
        found.append((0, len(raw), "rot13", rot13(raw)))
    if reversed_triggers >= 2:
        found.append((0, len(raw), "reversed", raw[::-1]))
    if ciphered >= 2 and _unfolded_ciphered(raw) >= 2:
        found.extend(_ciphered_lines(raw))
    if letters >= 4 and (view is None or view[0] & SPLIT_LETTERS):  # the kernel saw a run of them
        found.extend(
            (start, end, "split_letters", squeezed) for start, end, squeezed in find_split_letters(raw)
        )
    return found


def _unfolded_ciphered(raw: str) -> int:
    """How many of the words of ``raw`` as written (lower-cased, not folded) are ciphered common words.

    The folded count can come from digits: leetspeak folding reads "98" as "gb" (rot13 "to"), and a
    table or code full of numbers would have every line tried under three ciphers."""
    return len(_CIPHERED_PLAIN.intersection(_LINE_WORDS_RE.findall(raw.lower())))


def _ciphered_lines(raw: str) -> Iterable[tuple[int, int, str, str]]:
    """Lines of words that are not English but become English under rot13, Atbash or reversal."""
    pos = 0
    for n, line in enumerate(raw.split("\n")):
        start, pos = pos, pos + len(line) + 1
        if n >= 64:
            return
        ws = _LINE_WORDS_RE.findall(line)
        if len(ws) < 2 or len(line) > 4000 or english_score(line) >= 0.2:
            continue
        for kind, fn in (("rot13", rot13), ("atbash", atbash)):
            t = fn(line)
            if english_score(t) >= 0.4:
                yield start, start + len(line), kind, t
                break
        else:
            t = line[::-1]
            if english_score(t) >= 0.4:
                yield start, start + len(line), "reversed", t
