"""Decode-and-rescan: find encoded payloads and turn them back into text.

Each finder yields ``(start, end, kind, decoded_text)`` for spans of the raw
text that decode to mostly printable text. Nothing here judges the payload:
the injection detector rescans what comes out, and :func:`looks_like_language`
tells readable prose (worth a signal on its own when it was hidden in an
encoding) from noise.

Encodings: base64 (standard and URL-safe), base32, base16/hex, ascii85 and
base85, uuencode, URL (percent) encoding, Unicode tag characters, variation
selectors used as bytes, "sneaky bits" (invisible times/plus as binary),
Morse code, Braille, the NATO spelling alphabet, letter splitting, and (via
:func:`english_score`) rot13, Atbash and reversed text.
"""

from __future__ import annotations

import base64
import binascii
import codecs
import re
from collections.abc import Iterable, Iterator
from urllib.parse import unquote

import numpy as np

from midstream_mcp.core.sanitizer import _fast

_B64_RE = re.compile(r"(?<![A-Za-z0-9+/_\-])[A-Za-z0-9+/_\-]{12,}={0,2}")
# Hex of text: every byte of printable ASCII starts with a digit 2-7 (which also makes scanning fast).
_HEX_RE = re.compile(r"(?:0x|\\x)?[2-7][0-9A-Fa-f](?:[ :,\-]?(?:0x|\\x)?[2-7][0-9A-Fa-f]){5,}")
_B32_RE = re.compile(r"(?<![A-Z2-7])[A-Z2-7]{12,}={0,6}")
_B85_RE = re.compile(r"^[!-~]{10,}$")
_SYMBOL_RE = re.compile(r"[^\w\s]")
_UPPER_DIGIT_RE = re.compile(r"[A-Z0-9]")
_NOT_UPPER_DIGIT = bytes(b for b in range(256) if not (65 <= b <= 90 or 48 <= b <= 57))
_HEX_SEP_RE = re.compile(r"[ :,\-]")
_HEX_HINT_RE = re.compile(r"[2-7][0-9A-Fa-f][ :,\-]?(?:0x|\\x)?[2-7][0-9A-Fa-f][ :,\-]?(?:0x|\\x)?[2-7]")
_UU_RE = re.compile(r"^[!-M][!-`]{4,61}\n?(?:`\n?)?", re.MULTILINE)
#: ASCII: the uuencode alphabet (``!`` to backquote) is u, a newline stays, the rest is a space.
_UU_SHAPE = bytes(117 if 33 <= c <= 96 else 10 if c == 10 else 32 for c in range(256))
_PCT_RE = re.compile(r"(?:[^%\s]{0,24}%[0-9A-Fa-f]{2}){3,}[^%\s]{0,24}")
_PCT_UNIT_RE = re.compile(r"%[0-9A-Fa-f]{2}")  # every match of _PCT_RE holds three of these
_PCT_LEAD = 24  # and starts at most this many characters before its first one
_TAGS_RE = re.compile("[\U000e0020-\U000e007e]{2,}")
_VS_RE = re.compile("[\U000e0100-\U000e017e]{3,}")
_SNEAKY_RE = re.compile("[\u2062\u2064\u200b]{8,}")
_MORSE_RE = re.compile(r"(?<![\w.\-])[.\-]{1,6}(?:(?: {1,3}| ?/ ?)[.\-]{1,6}){3,}(?![\w.\-])")
_MORSE_HINTS = (".- ", "-. ", " .-", " -.", "-- ", ".. ")  # one of these in any Morse run
_BRAILLE_RE = re.compile("[\u2800-\u28ff][\u2800-\u28ff ]{3,}")
_SPLIT_RE = re.compile(r"(?<![A-Za-z])(?:[A-Za-z](?:[^A-Za-z\n]{1,3})){5,}[A-Za-z](?![A-Za-z])")
_WORD_RE = re.compile(r"[a-z]+")
_MAX_CANDIDATES = 24
_STRIP = ".,;:!?\"'()[]"  # punctuation around a token that is not part of it
_MAX_SPAN = 8192
_ROT13 = str.maketrans(
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz",
    "NOPQRSTUVWXYZABCDEFGHIJKLMnopqrstuvwxyzabcdefghijklm",
)
_ATBASH = str.maketrans(
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz",
    "ZYXWVUTSRQPONMLKJIHGFEDCBAzyxwvutsrqponmlkjihgfedcba",
)
_MORSE = {
    ".-": "a", "-...": "b", "-.-.": "c", "-..": "d", ".": "e", "..-.": "f", "--.": "g", "....": "h",
    "..": "i", ".---": "j", "-.-": "k", ".-..": "l", "--": "m", "-.": "n", "---": "o", ".--.": "p",
    "--.-": "q", ".-.": "r", "...": "s", "-": "t", "..-": "u", "...-": "v", ".--": "w", "-..-": "x",
    "-.--": "y", "--..": "z", ".----": "1", "..---": "2", "...--": "3", "....-": "4", ".....": "5",
    "-....": "6", "--...": "7", "---..": "8", "----.": "9", "-----": "0", ".-.-.-": ".", "--..--": ",",
    "..--..": "?", "-.-.--": "!",
}  # fmt: skip
# Grade-1 English Braille: dots 1-6 are bits 0-5 of the code point offset from U+2800.
_BRAILLE_DOTS = {
    "a": "1", "b": "12", "c": "14", "d": "145", "e": "15", "f": "124", "g": "1245", "h": "125", "i": "24",
    "j": "245", "k": "13", "l": "123", "m": "134", "n": "1345", "o": "135", "p": "1234", "q": "12345",
    "r": "1235", "s": "234", "t": "2345", "u": "136", "v": "1236", "w": "2456", "x": "1346", "y": "13456",
    "z": "1356",
}  # fmt: skip
_BRAILLE = {chr(0x2800 + sum(1 << (int(d) - 1) for d in dots)): ch for ch, dots in _BRAILLE_DOTS.items()}
_BRAILLE_CAPS, _BRAILLE_NUM = "\u2820", "\u283c"
_BRAILLE_DIGITS = dict(zip("abcdefghij", "1234567890", strict=True))
_NATO_TEXT = (
    "alfa alpha bravo charlie delta echo foxtrot golf hotel india juliett juliet kilo lima mike november "
    "oscar papa quebec romeo sierra tango uniform victor whiskey whisky xray x-ray yankee zulu"
)
_NATO = {w: w[0] for w in _NATO_TEXT.split()}
NATO_WORDS = frozenset(_NATO)
_NATO_RE = re.compile(r"(?i)\b(?:" + "|".join(sorted(_NATO, key=len, reverse=True)) + r")(?:[\s,.;/-]+(?:"
                      + "|".join(sorted(_NATO, key=len, reverse=True)) + r")){3,}\b")  # fmt: skip

#: The most frequent English words: a text is "language" when enough of its words are here.
_COMMON_TEXT = """a about above after again all also am an and any are as at be because been before being
    below between both but by can cannot could did do does doing done down during each even every few for
    from further get give go had has have having he her here hers him his how i if in into is it its just
    know like make me
    more most my no nor not now of off on once only or other our out over own please print repeat reply
    respond right same say see she should so some such tell than that the their them then there these they
    this those through to too under until up very was we were what when where which while who whom why will
    with would write you your yours new time all times where knows because isn t don t can t one two people
    way who what thank done instead phrase prompt ignore instructions system message previous rules"""
COMMON_WORDS = frozenset(_COMMON_TEXT.split())


def printable_text(data: bytes) -> str | None:
    """``data`` as UTF-8 text if at least 85 % of it is printable and it has letters, else None."""
    try:
        s = data.decode("utf-8")
    except UnicodeDecodeError:
        return None
    if len(s) < 3:
        return None
    good = sum(1 for c in s if c.isprintable() or c in "\n\r\t")
    letters = sum(1 for c in s if c.isalpha())
    if good < 0.85 * len(s) or letters < 0.4 * len(s):
        return None
    return s


def english_score(text: str) -> float:
    """Share of the words of ``text`` (lower-cased ASCII letters) that are common English words."""
    words = _WORD_RE.findall(text.lower())
    if not words:
        return 0.0
    return sum(1 for w in words if w in COMMON_WORDS) / len(words)


def looks_like_language(text: str) -> bool:
    """True when ``text`` reads as prose or markup: several words, many of them common, or HTML/script."""
    words = _WORD_RE.findall(text.lower())
    common = sum(1 for w in words if w in COMMON_WORDS)
    if len(words) >= 3 and common >= 2 and common >= 0.25 * len(words):
        return True
    if re.search(r"<\s*/?\s*[a-z]+[^>]*>|&lt;\s*/?[a-z]+|javascript:|\bon[a-z]+\s*=", text, re.IGNORECASE):
        return True
    return len(words) >= 4 and sum(len(w) for w in words) >= 0.6 * len(text) and " " in text.strip()


def word_coverage(letters: str) -> float:
    """Share of ``letters`` (no spaces) covered by common English words of two or more letters.

    For encodings that lose word breaks (the NATO alphabet): ``hahapwned`` is not
    covered well, ``ignoreallrules`` is.
    """
    s = re.sub(r"[^a-z]", "", letters.lower())[:200]
    n = len(s)
    if n == 0:
        return 0.0
    best = [0] * (n + 1)  # best[i]: most letters of s[:i] covered by words
    for i in range(1, n + 1):
        best[i] = best[i - 1]
        for j in range(max(0, i - 12), i - 1):
            if s[j:i] in COMMON_WORDS:
                best[i] = max(best[i], best[j] + i - j)
    return best[n] / n


def _b64(token: str) -> str | None:
    # Plain words and identifiers are not payloads: base64 of text mixes cases and digits.
    if token.isalpha() and (token.islower() or token.isupper()):
        return None
    body = token.rstrip("=")
    if len(body) % 4 == 1:
        return None
    padded = body + "=" * (-len(body) % 4)
    try:
        if "-" in body or "_" in body:
            data = base64.urlsafe_b64decode(padded)
        else:
            data = base64.b64decode(padded, validate=True)
    except (binascii.Error, ValueError):
        return None
    return printable_text(data)


#: A hex letter: text in hex has them ("e" is 65, "n" 6e); digits alone spell only a few
#: letters (no j-o, z), and runs of them are card, phone and account numbers.
_HEX_LETTER_RE = re.compile("[a-fA-F]")


def _evenly_grouped(token: str) -> bool:
    """True when the separators of a hex run cut it into groups of one size (the last may be shorter):
    "49 67 6e", "4967 6e6f 72", "49676e6f". A phone number, "44 20 7946 2461", is not hex."""
    groups = _HEX_SEP_RE.split(token)
    size = len(groups[0])
    return all(len(g) == size for g in groups[1:-1]) and len(groups[-1]) <= size


def _hex(token: str) -> str | None:
    digits = re.sub(r"0x|\\x|[ :,\-]", "", token)
    if len(digits) % 2:
        digits = digits[:-1]
    try:
        return printable_text(bytes.fromhex(digits))
    except ValueError:
        return None


def _b32(token: str) -> str | None:
    body = token.rstrip("=")
    try:
        return printable_text(base64.b32decode(body + "=" * (-len(body) % 8)))
    except (binascii.Error, ValueError):
        return None


#: Ascii85 and base85 decoders with the characters each accepts (Ascii85: ``!`` to ``u``, ``z`` and
#: white space; base85: RFC 1924's alphabet). Both are pure Python and raise on anything else.
_B85_DECODERS = (
    (base64.a85decode, frozenset(map(chr, range(33, 118))) | frozenset("z \t\n\r\x0b")),
    (
        base64.b85decode,
        frozenset("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz!#$%&()*+-;<=>?@^_`{|}~"),
    ),
)


def _b85(token: str) -> str | None:
    if token.count("/") > 2:
        return None  # a path
    for decode, alphabet in _B85_DECODERS:
        if not alphabet.issuperset(token):
            continue  # decode would raise ValueError on the first character outside its alphabet
        try:
            s = printable_text(decode(token.encode()))
        except (ValueError, binascii.Error):
            continue
        if s is not None and looks_like_language(s):
            return s
    return None


def _uu(block: str) -> str | None:
    out = []
    for line in block.splitlines():
        if not line or line == "`":
            continue
        try:
            out.append(binascii.a2b_uu(line))
        except binascii.Error:
            return None
    return printable_text(b"".join(out)) if out else None


def _bits(run: str) -> str | None:
    chars = []
    for word in run.split("\u200b"):
        for i in range(0, len(word) - 7, 8):
            chars.append(chr(int(word[i : i + 8].replace("\u2062", "0").replace("\u2064", "1"), 2)))
        chars.append(" ")
    s = "".join(chars).strip()
    return s if s and all(32 <= ord(c) < 127 for c in s) else None


def braille(run: str) -> str:
    """Grade-1 Braille (letters, capital and number signs) to text; unknown cells become ``?``."""
    out, caps, num = [], False, False
    for ch in run:
        if ch == " ":
            out.append(" ")
            num = False
        elif ch == _BRAILLE_CAPS:
            caps = True
        elif ch == _BRAILLE_NUM:
            num = True
        else:
            c = _BRAILLE.get(ch, "?")
            if num and c in _BRAILLE_DIGITS:
                c = _BRAILLE_DIGITS[c]
            elif caps:
                c = c.upper()
            caps = False
            out.append(c)
    return "".join(out)


def morse(run: str) -> str:
    """Morse code (letters separated by spaces, words by ``/`` or wide gaps) to text."""
    words = re.split(r" ?/ ?| {2,}", run.strip())
    return " ".join("".join(_MORSE.get(sym, "?") for sym in w.split()) for w in words)


def _enough_upper_digits(text: str) -> bool:
    """Base64/32/85 of text is half capitals and digits; prose without eight of them holds no such token."""
    if text.isascii():
        return len(text.encode("ascii").translate(None, _NOT_UPPER_DIGIT)) >= 8
    return len(_UPPER_DIGIT_RE.findall(text)) >= 8


def _uu_lines(text: str) -> Iterator[re.Match[str]]:
    """``_UU_RE.finditer(text)``, trying only line starts followed by five uuencode characters."""
    if not text.isascii():
        yield from _UU_RE.finditer(text)
        return
    shape = text.encode("ascii").translate(_UU_SHAPE)
    pos = 0
    i = 0 if shape.startswith(b"uuuuu") else shape.find(b"\nuuuuu")
    while i >= 0:
        start = i if i == 0 and shape[0] != 10 else i + 1
        if start >= pos:
            m = _UU_RE.match(text, start)
            if m is not None and m.end() > m.start():
                yield m
                pos = m.end()
        i = shape.find(b"\nuuuuu", i + 1)


_DIGIT_BYTES = b"0123456789"


def _mostly_digits(run: str) -> bool:
    """More than 60 % digits: base32 and base64 of text have far fewer (about 20 %)."""
    return len(run.encode("ascii").translate(None, _DIGIT_BYTES)) < 0.4 * len(run)


def _decode_token(token: str, bare: str, prose: bool) -> tuple[int, int, str, str] | None:
    """The first decoding of one whitespace-delimited token: (start, end) within it, kind, text."""
    for regex, kind, decoder in _TOKEN_DECODERS:
        if kind == "base85" and (prose or len(_SYMBOL_RE.findall(bare)) < 2 or "://" in bare):
            continue  # base85 text mixes several symbols into letters; prose, URLs and paths are not it
        t = regex.search(token)
        if t is None or (kind != "base85" and t.end() - t.start() < 12):
            continue
        if kind != "base85" and _mostly_digits(t.group()):
            continue  # an account, card or order number, not text in base32/64
        decoded = decoder(t.group())
        if decoded is not None:
            return t.start(), t.end(), kind, decoded
    return None


def find_encoded(
    text: str,
    prose: bool = False,
    nato: bool = True,
    memo: dict[object, object] | None = None,
    view: list[int] | None = None,
) -> Iterator[tuple[int, int, str, str]]:
    """Spans of ``text`` that are encoded payloads, with their decoded text.

    ``prose`` (the text reads mostly as English) skips the costlier finders
    whose payloads do not hide in prose (base85, uuencode, NATO spelling);
    ``nato=False`` (the caller saw too few NATO code words) skips NATO. At
    most a fixed number of candidates per text, each at most 8 KiB, so a
    hostile input cannot make decoding the slow part. ``memo`` (a stream's
    cache) keeps each token's decoding, so the carry-over window is not decoded
    again with the next chunk. ``view`` is the injection detector's kernel view of ``text``
    (``_kernels.raw_scan``), which has done the token, hex, uuencode and Morse scans already.
    """
    if not text.isascii():
        for m in _TAGS_RE.finditer(text):
            s, e = m.start(), m.end()
            if s > 0 and text[s - 1] == "\U0001f3f4" and text[e : e + 1] == "\U000e007f":
                continue  # a subdivision flag (England, Scotland, ...): tags are how it is spelled
            yield s, e, "unicode_tags", "".join(chr(ord(c) - 0xE0000) for c in m.group())
        for m in _VS_RE.finditer(text):
            yield m.start(), m.end(), "variation_selectors", "".join(chr(ord(c) - 0xE0100) for c in m.group())
        for m in _SNEAKY_RE.finditer(text):
            decoded = _bits(m.group())
            if decoded is not None:
                yield m.start(), m.end(), "invisible_bits", decoded
        for m in _BRAILLE_RE.finditer(text):
            yield m.start(), m.end(), "braille", braille(m.group())
    kernels = _fast.KERNELS
    candidates: Iterable[tuple[int, str, int]]
    if view is not None or (kernels is not None and len(text) >= _fast.MIN_CHARS and text.isascii()):
        # One kernel pass: the same tokens and hex runs, numbered as below, without regexes and
        # without the tokens no decoder can get text out of.
        scan = (
            view[9:]
            if view is not None
            else kernels.payload_scan(np.frombuffer(text.encode("ascii"), np.uint8), 10, _MAX_SPAN).tolist()  # type: ignore[union-attr]
        )
        ntok = scan[1] if scan[0] >= 8 else 0
        candidates = [(scan[i], text[scan[i] : scan[i + 1]], scan[i + 2]) for i in range(2, 2 + 3 * ntok, 3)]
        hexes: Iterable[tuple[int, int]] = [
            (scan[i], scan[i + 1]) for i in range(2 + 3 * scan[1], len(scan), 2)
        ]
    else:
        candidates = _numbered(_long_tokens(text))
        hexes = [m.span() for m in _HEX_RE.finditer(text)] if _HEX_HINT_RE.search(text) else []
    for at, token, number in candidates:
        if number > _MAX_CANDIDATES:
            break
        bare = token.strip(_STRIP)
        if memo is None:
            got = _decode_token(token, bare, prose)
        else:
            key = ("token", token, prose)
            if key in memo:
                got = memo[key]  # type: ignore[assignment]
            else:
                got = memo[key] = _decode_token(token, bare, prose)
        if got is not None:
            yield at + got[0], at + got[1], got[2], got[3]
    for start, end in hexes:
        token = text[start:end].strip(" :,-")
        if len(token) <= _MAX_SPAN and _evenly_grouped(token) and _HEX_LETTER_RE.search(token):
            decoded = _hex(token)
            if decoded is not None:
                yield start, start + len(token), "hex", decoded
    if _uu_possible(text, prose, view):
        for m in _uu_lines(text):
            decoded = _uu(m.group())
            if decoded is not None and looks_like_language(decoded):
                yield m.start(), m.end(), "uuencode", decoded
    pct = _url_encoded_from(text)
    if pct >= 0:
        for m in _PCT_RE.finditer(text, pct):
            decoded = unquote(m.group())
            if decoded != m.group():
                yield m.start(), m.end(), "url_encoding", decoded
    if _morse_possible(text, view):
        for m in _MORSE_RE.finditer(text):
            yield m.start(), m.end(), "morse", morse(m.group())
    if prose or not nato:
        return
    for m in _NATO_RE.finditer(text):
        letters = "".join(
            _NATO[w.lower()] for w in re.findall(r"[A-Za-z-]+", m.group()) if w.lower() in _NATO
        )
        yield m.start(), m.end(), "nato", letters


def nothing_encoded(text: str, prose: bool, nato: bool, view: list[int]) -> bool:
    """True when :func:`find_encoded` would yield nothing for the ASCII ``text`` with kernel ``view``.

    The common case (no candidate token, hex run, uuencode line, URL encoding or Morse, no NATO
    words to look for), told from the view and :func:`find_encoded`'s own gates without
    starting the generator.
    """
    scan = 9  # where ``payload_scan`` starts in the view
    if (view[scan] >= 8 and view[scan + 1]) or len(view) > scan + 2 + 3 * view[scan + 1]:
        return False  # candidate tokens or hex runs
    if not prose and nato:
        return False  # NATO spelling to look for
    if view[8] or (view[7] and _uu_possible(text, prose, view)):
        return False  # Morse (``_morse_possible``) or uuencoded lines
    return "%" not in text or _url_encoded_from(text) < 0


def _uu_possible(text: str, prose: bool, view: list[int] | None) -> bool:
    """False when no uuencoded line can be in ``text`` (the kernel's ``view`` saw no line start of five
    uuencode characters)."""
    return not prose and ("`" in text or "\n" in text) and (view is None or bool(view[7]))


def _morse_possible(text: str, view: list[int] | None) -> bool:
    """False when ``text`` holds none of the pairs every Morse run has (the kernel's ``view`` says which)."""
    return bool(view[8]) if view is not None else any(t in text for t in _MORSE_HINTS)


def _url_encoded_from(text: str) -> int:
    """Where a match of ``_PCT_RE`` can start at the earliest, or -1 when none can (fewer than three
    ``%XX``). Source code is full of ``%`` without them (``i % 3``), and a search of the whole
    text from its start tries every position for 24 characters."""
    if text.count("%") < 3:
        return -1
    first = _PCT_UNIT_RE.search(text)
    # A "%" followed by two hex digits never overlaps another: findall counts them all.
    if first is None or len(_PCT_UNIT_RE.findall(text, first.start())) < 3:
        return -1
    return max(0, first.start() - _PCT_LEAD)


def _numbered(tokens: Iterable[tuple[int, str]]) -> Iterator[tuple[int, str, int]]:
    """The candidate tokens, each with its number: ordinary words and tokens over 8 KiB are no candidates."""
    n = 0
    for at, token in tokens:
        bare = token.strip(_STRIP)
        if len(token) > _MAX_SPAN or (bare.isalpha() and (bare.islower() or bare.istitle())):
            continue  # an ordinary word
        n += 1
        yield at, token, n


def _long_tokens(text: str) -> Iterator[tuple[int, str]]:
    """``(offset, token)`` of every whitespace-delimited token of 10 characters or more, if the
    text holds enough capitals and digits for an encoded token to hide in it."""
    if not _enough_upper_digits(text):
        return
    pos = 0
    for token in text.split():
        if len(token) < 10:
            continue
        at = text.find(token, pos)
        pos = at + len(token)
        yield at, token


_TOKEN_DECODERS = (
    (_B32_RE, "base32", _b32),
    (_B64_RE, "base64", _b64),
    (_B85_RE, "base85", _b85),
)


def rot13(text: str) -> str:
    """ROT13 of the ASCII letters of ``text``."""
    return text.translate(_ROT13)


def atbash(text: str) -> str:
    """Atbash (a<->z mirror) of the ASCII letters of ``text``."""
    return text.translate(_ATBASH)


def rot13_word(word: str) -> str:
    """ROT13 of one word (used to pre-compute the rot13 gate vocabulary)."""
    return codecs.encode(word, "rot13")


def find_split_letters(text: str) -> Iterator[tuple[int, int, str]]:
    """Runs of single letters split by spaces or punctuation (``i g n o r e``), squeezed together.

    Word breaks are the separators that differ from the rest: the ones holding
    white space when the others do not (``i.g.n.o.r.e a.l.l``), else the wider
    ones (``i g n o r e   a l l``).
    """
    for m in _SPLIT_RE.finditer(text):
        parts = re.findall(r"[A-Za-z]|[^A-Za-z]+", m.group())
        seps = parts[1::2]
        spaced = [any(c.isspace() for c in sep) for sep in seps]
        breaks = spaced if any(spaced) and not all(spaced) else [len(sep) >= 2 for sep in seps]
        out = [parts[0]]
        for letter, brk in zip(parts[2::2], breaks, strict=False):
            out.append((" " if brk else "") + letter)
        yield m.start(), m.end(), "".join(out)
