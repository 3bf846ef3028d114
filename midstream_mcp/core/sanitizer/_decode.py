"""Decode-and-rescan: find encoded payloads and turn them back into text.

Each finder yields ``(start, end, kind, decoded_text)`` for spans of the raw
text that decode to mostly printable text. Nothing here judges the payload:
the injection detector rescans what comes out.
"""

from __future__ import annotations

import base64
import binascii
import codecs
import re
from collections.abc import Iterator
from urllib.parse import unquote

_B64_RE = re.compile(r"(?<![A-Za-z0-9+/_\-])[A-Za-z0-9+/_\-]{16,}={0,2}")
_HEX_RE = re.compile(r"(?<![0-9A-Fa-f])(?:(?:0x|\\x)?[0-9A-Fa-f]{2}[ :,\-]?){8,}")
_B32_RE = re.compile(r"(?<![A-Z2-7])[A-Z2-7]{16,}={0,6}")
_PCT_RE = re.compile(r"(?:%[0-9A-Fa-f]{2}[^%\s]{0,3}){3,}")
_TAGS_RE = re.compile("[\U000e0020-\U000e007e]{2,}")
_SPLIT_RE = re.compile(r"(?<![A-Za-z])(?:[A-Za-z](?:[^A-Za-z\n]{1,3})){5,}[A-Za-z](?![A-Za-z])")
_MAX_CANDIDATES = 16
_MAX_SPAN = 8192
_ROT13 = str.maketrans(
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz",
    "NOPQRSTUVWXYZABCDEFGHIJKLMnopqrstuvwxyzabcdefghijklm",
)


def printable_text(data: bytes) -> str | None:
    """``data`` as UTF-8 text if at least 85 % of it is printable and it has letters, else None."""
    try:
        s = data.decode("utf-8")
    except UnicodeDecodeError:
        return None
    if len(s) < 4:
        return None
    good = sum(1 for c in s if c.isprintable() or c in "\n\r\t")
    letters = sum(1 for c in s if c.isalpha())
    if good < 0.85 * len(s) or letters < 0.4 * len(s):
        return None
    return s


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


def find_encoded(text: str) -> Iterator[tuple[int, int, str, str]]:
    """Spans of ``text`` that are base64, base32, hex, URL-encoded or tag-character payloads.

    At most a fixed number of candidates per text, each at most 8 KiB, so a
    hostile input cannot make decoding the slow part.
    """
    n = 0
    if not text.isascii():
        for m in _TAGS_RE.finditer(text):
            yield m.start(), m.end(), "unicode_tags", "".join(chr(ord(c) - 0xE0000) for c in m.group())
    for regex, kind, decoder in ((_B64_RE, "base64", _b64), (_HEX_RE, "hex", _hex), (_B32_RE, "base32", _b32)):
        for m in regex.finditer(text):
            token = m.group().strip(" :,-")
            if len(token) > _MAX_SPAN:
                continue
            n += 1
            if n > _MAX_CANDIDATES:
                return
            decoded = decoder(token)
            if decoded is not None:
                yield m.start(), m.start() + len(token), kind, decoded
    if "%" in text:
        for m in _PCT_RE.finditer(text):
            decoded = unquote(m.group())
            if decoded != m.group():
                yield m.start(), m.end(), "url_encoding", decoded


def rot13(text: str) -> str:
    """ROT13 of the ASCII letters of ``text``."""
    return text.translate(_ROT13)


def rot13_word(word: str) -> str:
    """ROT13 of one word (used to pre-compute the rot13 gate vocabulary)."""
    return codecs.encode(word, "rot13")


def find_split_letters(text: str) -> Iterator[tuple[int, int, str]]:
    """Runs of single letters split by spaces or punctuation (``i g n o r e``), squeezed together."""
    for m in _SPLIT_RE.finditer(text):
        # A wider gap (two or more separators) is the usual word break: keep it as a space.
        spaced = re.sub(r"[^A-Za-z]{2,}", "\x00", m.group())
        yield m.start(), m.end(), re.sub(r"[^A-Za-z\x00]", "", spaced).replace("\x00", " ")
