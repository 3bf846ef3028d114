"""Text normalisation for matching, with a way back to the original offsets.

The *folded* view of a text is what the injection patterns read: every
character goes through one translation table that

- drops zero-width, bidi-control, variation-selector, tag and combining
  characters (so ``ig\u200bnore`` and ``ïgnörë`` read ``ignore``),
- applies Unicode compatibility decomposition (fullwidth and mathematical
  letters become ASCII) and a small homoglyph table (Cyrillic, Greek, small caps),
- lower-cases, and folds leetspeak digits and symbols to letters
  (``1gn0r3`` -> ``ignore``); ``l`` and ``1`` both fold to ``i`` because ``1``
  stands for either, and patterns are folded the same way when compiled.

The table is a ``dict`` with ``__missing__``, so ``str.translate`` runs in C and
each new code point is worked out once. The mapping is per character, which
is what lets :func:`fold_offsets` map a folded index back to the original.
"""

from __future__ import annotations

import re
import unicodedata

#: Code points that render as nothing or reorder text: dropped when folding, reported by ``invisible``.
INVISIBLE_RANGES = (
    (0x00AD, 0x00AD),  # soft hyphen
    (0x034F, 0x034F),  # combining grapheme joiner
    (0x061C, 0x061C),  # Arabic letter mark
    (0x115F, 0x1160),  # Hangul fillers
    (0x17B4, 0x17B5),
    (0x180B, 0x180F),  # Mongolian free variation selectors, vowel separator
    (0x200B, 0x200F),  # zero-width space/non-joiner/joiner, LRM, RLM
    (0x202A, 0x202E),  # bidi embeddings and overrides
    (0x2060, 0x2064),  # word joiner, invisible operators
    (0x2066, 0x2069),  # bidi isolates
    (0x206A, 0x206F),  # deprecated format characters
    (0x3164, 0x3164),  # Hangul filler
    (0xFE00, 0xFE0F),  # variation selectors
    (0xFEFF, 0xFEFF),  # zero-width no-break space / BOM
    (0xFFA0, 0xFFA0),
    (0x1D173, 0x1D17A),  # musical format characters
    (0xE0000, 0xE007F),  # tag characters
    (0xE0100, 0xE01EF),  # variation selectors supplement
)

INVISIBLE_CLASS = "".join(f"\\U{a:08x}" if a == b else f"\\U{a:08x}-\\U{b:08x}" for a, b in INVISIBLE_RANGES)
INVISIBLE_RE = re.compile(f"[{INVISIBLE_CLASS}]+")

_HOMOGLYPHS = {
    # Cyrillic
    "а": "a", "в": "b", "е": "e", "ё": "e", "к": "k", "м": "m", "н": "h", "о": "o", "р": "p",
    "с": "c", "т": "t", "у": "y", "х": "x", "ѕ": "s", "і": "i", "ї": "i", "ј": "j", "ԁ": "d",
    "һ": "h", "ԛ": "q", "ԝ": "w", "ɡ": "g", "ӏ": "l", "ү": "y", "п": "n", "г": "r", "ь": "b",
    # Greek
    "α": "a", "β": "b", "γ": "y", "δ": "d", "ε": "e", "η": "n", "ι": "i", "κ": "k", "μ": "u",
    "ν": "v", "ο": "o", "ρ": "p", "σ": "o", "ς": "c", "τ": "t", "υ": "u", "χ": "x", "ω": "w",
    # Latin small capitals and look-alikes without a compatibility decomposition
    "ᴀ": "a", "ʙ": "b", "ᴄ": "c", "ᴅ": "d", "ᴇ": "e", "ꜰ": "f", "ɢ": "g", "ʜ": "h", "ɪ": "i",
    "ᴊ": "j", "ᴋ": "k", "ʟ": "l", "ᴍ": "m", "ɴ": "n", "ᴏ": "o", "ᴘ": "p", "ʀ": "r", "ꜱ": "s",
    "ᴛ": "t", "ᴜ": "u", "ᴠ": "v", "ᴡ": "w", "ʏ": "y", "ᴢ": "z", "ı": "i", "ȷ": "j", "ℓ": "l",
    "ø": "o", "đ": "d", "ł": "l", "ħ": "h", "ß": "ss", "æ": "ae", "œ": "oe",
}  # fmt: skip

#: Leetspeak: digits and symbols that stand for letters. ``l`` joins ``i`` (``1`` is either).
_LEET = {"0": "o", "1": "i", "3": "e", "4": "a", "5": "s", "7": "t", "8": "b", "9": "g",
         "@": "a", "$": "s", "|": "i", "l": "i"}  # fmt: skip

_CACHE_LIMIT = 65_536


def _fold_char(ch: str) -> str:
    cp = ord(ch)
    for a, b in INVISIBLE_RANGES:
        if a <= cp <= b:
            return ""
    if unicodedata.category(ch) == "Mn":
        return ""
    out = []
    for d in unicodedata.normalize("NFKD", ch):
        # A nonspacing mark is dropped whether it comes alone or out of a decomposition (Thai
        # SARA AM decomposes to NIKHAHIT, a mark of combining class 0): folding stays idempotent.
        if unicodedata.combining(d) or unicodedata.category(d) == "Mn":
            continue
        d = d.lower()
        d = _HOMOGLYPHS.get(d, d)
        out.append("".join(_LEET.get(c, c) for c in d))
    return "".join(out)


class _FoldTable(dict[int, str]):
    """``str.translate`` table that computes and caches each code point on first use."""

    def __missing__(self, cp: int) -> str:
        value = _fold_char(chr(cp))
        if len(self) < _CACHE_LIMIT:
            self[cp] = value
        return value


FOLD_TABLE = _FoldTable()
for _cp in range(128):
    FOLD_TABLE[_cp] = _fold_char(chr(_cp))


#: ASCII folds one byte to one byte: a ``bytes.translate`` table for the common case.
_ASCII_TABLE = bytes(ord(FOLD_TABLE[b]) for b in range(128)) + bytes(range(128, 256))


def fold(text: str) -> str:
    """The folded matching view of ``text`` (see the module docstring)."""
    if text.isascii():
        return text.encode("ascii").translate(_ASCII_TABLE).decode("ascii")
    return text.translate(FOLD_TABLE)


class _LengthTable(dict[int, str]):
    """``str.translate`` table: each code point to a character coding the length of its folded form."""

    def __missing__(self, cp: int) -> str:
        value = chr(0x100 + len(FOLD_TABLE[cp]))
        if len(self) < _CACHE_LIMIT:
            self[cp] = value
        return value


_LENGTHS = _LengthTable()
_ONE = chr(0x101)
_NOT_ONE_RE = re.compile(f"[^{_ONE}]")


def fold_offsets(text: str) -> list[int]:
    """``m`` with ``m[i]`` = index in ``text`` of the character that produced ``fold(text)[i]``.

    One extra entry maps ``len(fold(text))`` to ``len(text)``, so half-open spans
    map with ``m[start]`` and ``m[end - 1] + 1``. Runs of characters that fold to
    exactly one character are copied as ranges, so the cost is in C except at
    the (rare) characters that vanish or expand.
    """
    codes = text.translate(_LENGTHS)
    m: list[int] = []
    pos = 0
    for hit in _NOT_ONE_RE.finditer(codes):
        i = hit.start()
        m.extend(range(pos, i))
        m.extend([i] * (ord(codes[i]) - 0x100))
        pos = i + 1
    m.extend(range(pos, len(text)))
    m.append(len(text))
    return m


def map_span(offsets: list[int] | None, start: int, end: int) -> tuple[int, int]:
    """Map a half-open span of a derived view back to the original text."""
    if offsets is None:
        return start, end
    if end <= start:
        i = offsets[min(start, len(offsets) - 1)]
        return i, i
    return offsets[start], offsets[end - 1] + 1


_PATTERN_PART_RE = re.compile(r"(\\.|\{\d*,?\d*\})")  # escapes and {m,n} quantifiers: left alone
_PATTERN_FOLD = str.maketrans({k: v for k, v in _LEET.items() if k.isdigit() or k == "l"})


def pattern(src: str) -> str:
    """Fold a hand-written lower-case pattern the way text is folded.

    Bare ``l`` and the leetspeak digits change (``base64`` -> ``base6a``,
    ``rot13`` -> ``rotie``); escapes (``\\d``) and quantifiers (``{0,3}``) do not.
    """
    parts = _PATTERN_PART_RE.split(src)
    return "".join(p if i % 2 else p.translate(_PATTERN_FOLD) for i, p in enumerate(parts))
