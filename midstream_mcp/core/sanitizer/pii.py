"""Personal data with validation, not bare regexes.

A match becomes a finding only when it passes its type's rules: Luhn and an
issuer range (or card words nearby) for cards, the country length and mod-97 for
IBANs, area/group/serial rules for US SSNs, the shapes numbering plans define
for phone numbers (international ``+CC``, North American 3-3-4, national numbers
with a trunk ``0``; any other grouping only next to a phone word), ``ipaddress``
for IPv6, octet ranges for IPv4, a real calendar date after a birth keyword for
dates of birth. Overlapping candidates are resolved by priority (the more
specific type wins).

Speed: a clean 256-byte chunk must cost a few microseconds. Every family sits
behind a gate that C code answers without a regex scan where possible (``@``
for e-mail, a birth word in the lower-cased text) or with one cheap regex
whose first character is a plain class, so ``re`` can skip ahead instead of
trying every position (a leading look-behind would disable that: look-behinds
come after the first consumed character here). Numbers are cut into tokens
once, and each token is classified as card, SSN or phone by its shape.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import re
from collections.abc import Iterator

from midstream_mcp.core.sanitizer._base import Budget, Kind, Prepared
from midstream_mcp.core.sanitizer._checks import IBAN_LENGTHS, card_brand, iban_ok, luhn_ok, mask, ssn_ok
from midstream_mcp.core.sanitizer._model import Finding, ScanContext, _new_finding
from midstream_mcp.core.sanitizer._view import AT_SIGN, DIGIT_PAIR, DOTTED_QUAD, PII_QUIET, triage
from midstream_mcp.core.sanitizer.policy import Policy

_EMAIL = re.compile(
    r"[A-Za-z0-9](?<![\w.+%\-][A-Za-z0-9])(?:[A-Za-z0-9._%+\-]{0,62}[A-Za-z0-9_%+\-])?"
    r"@(?:[A-Za-z0-9](?:[A-Za-z0-9\-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,24}(?![\w\-])"
)
#: Six digits with at most two separator characters between neighbours: what every card, SSN,
#: IBAN and phone number has and almost no prose does. Gate of the numeric families.
_NUM_GATE_SRC = r"\d(?:[ .\-()/]{0,2}\d){5}"
_NUM_GATE = re.compile(_NUM_GATE_SRC)
#: The same over the bytes of an ASCII text shaped by :data:`_NUM_SHAPE` (every digit a ``0``): the
#: same matches, but a literal first byte, which ``re`` skips ahead to instead of testing ``\d`` at
#: every position.
_NUM_GATE_SHAPED = re.compile(_NUM_GATE_SRC.replace(r"\d", "0").encode("ascii"))
#: ASCII digits become ``0``; what a number token holds besides digits (``+-.() ``) and the gate's
#: separator ``/`` stay; everything else becomes ``x``.
_NUM_SHAPE = bytes(48 if 48 <= c <= 57 else c if c in b"+-.() /" else 120 for c in range(256))
#: A number token: optional ``+``, digit groups and bracketed area codes joined by single separators.
#: Atomic and possessive, so a run is taken whole and never cut back to a shorter look-alike. Both
#: are written as a capturing lookahead plus a back-reference, ``(?=(X))(?P=...)``: the ``(?>...)`` and
#: ``*+`` syntax gives wrong matches on early Python 3.11 releases (Debian's 3.11.2; 3.11.7 is right).
_NUM_TOKEN = re.compile(
    r"[+(\d](?<![\w+\-.:/#][+(\d])(?<!\d,[+(\d])"
    r"(?=(?P<head>(?<=\+)(?:\(\d{1,5}\)|\d{1,15})|(?<=\()\d{1,5}\)|(?<=\d)\d{0,18}))(?P=head)"
    r"(?=(?P<groups>(?:[ .\-]?\(\d{1,5}\)|(?<=\))[ .\-]?\d{1,15}|[ .\-]\d{1,15})*))(?P=groups)"
    r"(?P<ext>\s?(?:x|ext\.?|extension)\s?\d{1,6})?(?![\w]|[/,:.]\d)"
)
_NOT_DIGITS = str.maketrans("", "", " .-()+")
_CARD_SHAPE = re.compile(r"\d{12,19}|\d{1,8}(?:([ \-])\d{1,8})(?:\1\d{1,8}){0,6}")
_SSN_SHAPE = re.compile(r"(\d{3})([- ])(\d{2})\2(\d{4})")
_CARD_CONTEXT = re.compile(
    r"(?i)\b(?:card|cards|cc|credit|debit|visa|mastercard|amex|maestro|jcb|discover|diners|unionpay|pan)\b"
)
_SSN_CONTEXT = re.compile(r"(?i)\b(?:ssn|ss#|social security|social sec|ssa|taxpayer|tin)\b")
#: North American numbering plan: 3-3-4 with separators or a bracketed area code, optional leading 1.
_NANP_SHAPE = re.compile(r"(?:\+?1[ .\-]?)?(?:\(\d{3}\)[ .\-]?|\d{3}[ .\-])\d{3}[ .\-]\d{4}")
#: National numbers with a trunk prefix 0, written in groups (UK, DE, FR, NL, AU, BR...).
_TRUNK_SHAPE = re.compile(r"(?:0\d{1,5}|\(0\d{0,4}\))(?:[ .\-]?\d{2,8})+")
_DATE_SHAPE = re.compile(r"\d{4}[.\-]\d{1,2}[.\-]\d{1,2}|\d{1,2}[.\-]\d{1,2}[.\-]\d{2,4}")
#: Words that make a digit run a phone number when they come shortly before it (or, for the
#: second list, right after it: ``555 0134 office``, ``...-Fax``).
_PHONE_BEFORE = re.compile(
    r"(?i)\b(?:(?:tele|cell|mobile|home|work|office|contact)?phone|tel|mobile|cell|fax|call(?:ing|ed)?|"
    r"ring|dial(?:led|ing)?|text|sms|messages?|whats ?app|signal|contact|desk|landline|hotline|"
    r"answering|reach(?:ed|able)?|voicemail|mob|ph)\b"
)
#: Every word of ``_PHONE_BEFORE`` holds one of these (see :func:`_word_before`).
_PHONE_HINTS = (
    "ph", "tel", "mob", "cell", "fax", "call", "ring", "dial", "text", "sms", "messag", "whats", "signal",
    "contact", "desk", "landline", "hotline", "answering", "reach", "voicemail",
)  # fmt: skip
_PHONE_AFTER = re.compile(r"(?i)[\s\-(,]{0,3}(?:phone|tel|mobile|cell|fax|office|home|work|desk|landline)\b")
_BEFORE_WINDOW = 40
_CODE_GAP = re.compile(r"[=;{}\[\]<>]|\n\s*\n")  # between the word and the number: not the same phrase
_STREET_TYPES = (
    r"(?:Street|St|Avenue|Ave|Road|Rd|Boulevard|Blvd|Lane|Ln|Drive|Dr|Court|Ct|Way|Place|Pl|Terrace|Ter|Circle|"
    r"Cir|Parkway|Pkwy|Highway|Hwy|Square|Sq|Trail|Trl|Loop|Row|Alley|Crescent|Close|Plaza|Point|Pike|Ridge|Run|"
    r"Path|Walk)"
)
_STREET_AFTER = re.compile(r"\s(?:[A-Z][\w'\-]*\s){1,3}" + _STREET_TYPES + r"\b")
_IBAN = re.compile(r"[A-Z](?<![\w][A-Z])[A-Z]\d{2}(?: ?[A-Z0-9]){11,32}")
_IPV4 = re.compile(r"\d(?<![\w.]\d)(?:(?<=[1-9])\d{1,2})?\.\d{1,3}\.\d{1,3}\.\d{1,3}(?![\w]|\.\d)")
_IPV4_CORE = re.compile(r"\.\d{1,3}\.\d{1,3}\.\d")
#: ``_IPV4_CORE`` after a digit, in the ``_SHAPE`` of a text: the gate of :func:`_ipv4`.
_DOTTED_QUAD = re.compile(rb"0\.0{1,3}\.0{1,3}\.0")
_IPV6_GATE = re.compile(r":[0-9A-Fa-f]{0,4}:")
_IPV6 = re.compile(
    r"(?<![\w:.])(?:[0-9A-Fa-f]{0,4}:){2,7}(?:(?:\d{1,3}\.){3}\d{1,3}|[0-9A-Fa-f]{0,4})(?![\w:]|\.\d)"
)
_MONTHS = (
    r"(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|"
    r"sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)"
)
_MONTH_NUM = {
    m: i + 1
    for i, m in enumerate(
        ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")
    )
}
_DOB_WORDS = ("born", "birth", "dob", "d.o.b", "b-day")
_DOB = re.compile(
    r"(?i)\b(?:born|birth|dob|d\.o\.b\.?|birthday|birthdate|b-day)\b[^.\n\d]{0,30}?"
    r"(?P<date>\d{4}-\d{1,2}-\d{1,2}|\d{1,2}[/.\-]\d{1,2}[/.\-](?:\d{4}|\d{2})"
    rf"|{_MONTHS}\.?\s+\d{{1,2}}(?:st|nd|rd|th)?,?\s+\d{{4}}"
    rf"|\d{{1,2}}(?:st|nd|rd|th)?\s+(?:of\s+)?{_MONTHS}\.?,?\s+\d{{4}})(?!\d)"
)
_ADDRESS = re.compile(
    r"\d(?<!\w\d)\d{0,5}(?:\s[A-Z][a-z]+|\s\d{1,3}(?:st|nd|rd|th)){1,4}\s" + _STREET_TYPES + r"\b\.?"
    r"(?:,?\s(?:Apt|Apartment|Suite|Ste|Unit|#)\.?\s?[\w-]{1,6})?"
    r"(?:,?\s[A-Z][a-z]+(?:\s[A-Z][a-z]+){0,2},?\s[A-Z]{2}\s\d{5}(?:-\d{4})?)?"
)

#: Higher wins an overlap.
_PRIORITY = {
    "iban": 9, "card": 8, "ssn": 7, "email": 6, "ip_address": 5, "date_of_birth": 4, "phone": 3, "address": 2,
}  # fmt: skip
_PLACEHOLDER = {
    "email": "[EMAIL]", "phone": "[PHONE]", "card": "[CARD]", "iban": "[IBAN]", "ssn": "[SSN]",
    "ip_address": "[IP_ADDRESS]", "date_of_birth": "[DATE_OF_BIRTH]", "address": "[ADDRESS]",
}  # fmt: skip

_Candidate = tuple[str, int, int, float, str]  # category, start, end, score, evidence


def _byte_table(keep: bytes, digit: int, upper: int, lower: int, other: int) -> bytes:
    table = bytearray([other]) * 256
    for c in range(256):
        ch = chr(c)
        if ch.isdigit() and c < 128:
            table[c] = digit
        elif "A" <= ch <= "Z":
            table[c] = upper
        elif "a" <= ch <= "z":
            table[c] = lower
        elif c in keep:
            table[c] = c
    return bytes(table)


_SHAPE = _byte_table(b" .:@-()/+", ord("0"), ord("A"), ord("a"), ord("x"))
_DIGITS_ONLY = _byte_table(b"", ord("0"), ord("x"), ord("x"), ord("x"))


class PIIDetector:
    """E-mail, phone, payment card, IBAN, US SSN, IPv4/IPv6, date of birth and US street address."""

    name = "pii"
    kind: Kind = "sensitive"
    quiet_flag = PII_QUIET

    def detect(self, text: Prepared, policy: Policy, context: ScanContext, budget: Budget) -> list[Finding]:
        """Validated personal-data spans, resolved so that no two overlap."""
        raw = text.text
        cands: list[_Candidate] = []
        view = triage(text, policy)
        _triaged(raw, _triage_py(raw, text.is_ascii) if view is None else view, cands)
        return self._findings(cands)

    def _findings(self, cands: list[_Candidate]) -> list[Finding]:
        if not cands:
            return []
        name = self.name
        return [
            _new_finding(name, c, s, e, score, ev, _PLACEHOLDER[c]) for c, s, e, score, ev in _resolve(cands)
        ]


def _triage_py(raw: str, is_ascii: bool) -> list[int]:
    """What ``_kernels.triage`` tells :func:`_triaged` (``[flags, iban, street, birth, ipv6, keys,
    numbers]``), by C-level scans: one pass classifies every byte (digit 0, upper A, lower a, a few
    punctuation marks kept, everything else x), and the gates are substring tests on it, far cheaper
    than regex scans. Positions are where the scans start (0 for non-ASCII text, whose bytes are not
    its characters; ``ipv6`` is found in the text; ``numbers`` is 0 when six digits stand with only
    separators between them, where the kernel says where the first cluster is); without two adjacent
    digits only the e-mail, IPv4 and IPv6 gates are answered."""
    flags = AT_SIGN if "@" in raw else 0
    data = raw.encode("utf-8", "surrogatepass")
    shape = data.translate(_SHAPE)
    if b"0.0" in shape and _DOTTED_QUAD.search(shape):
        flags |= DOTTED_QUAD
    gate = _IPV6_GATE.search(raw) if ":" in raw else None
    ipv6 = -1 if gate is None else gate.start()
    if b"00" not in shape:
        return [flags, -1, -1, -1, ipv6, 0, -1]
    flags |= DIGIT_PAIR
    # Six digits with only separators between them: a necessary condition for a number cluster
    # (one C pass); _numbers then scans from the start.
    numbers = 0 if b"000000" in data.translate(_DIGITS_ONLY, b" .-()/+") else -1
    low = raw.lower()
    found = [i for i in (low.find(w) for w in _DOB_WORDS) if i >= 0]
    birth = min(found) if found else -1
    # "1600 Pennsylvania", or an ordinal street: "350 5th Avenue"
    at = [shape.find(b"AA00"), _first(shape.find(b"0 A"), shape.find(b"0aa A")), birth]
    if not is_ascii:
        at = [min(x, 0) for x in at]
    return [flags, *at, ipv6, 0, numbers]


def _triaged(raw: str, view: list[int], out: list[_Candidate]) -> None:
    """The detectors :meth:`PIIDetector.detect` runs, chosen by its gates ``view`` (``_kernels.triage``
    for ASCII text when the kernel call is made anyway, else :func:`_triage_py`)."""
    flags, iban_at, street_at, birth_at, ipv6_at, _keys, numbers_at = view
    if flags & AT_SIGN:
        _emails(raw, out)
    if flags & DOTTED_QUAD:
        _ipv4(raw, out)
    if not flags & DIGIT_PAIR:  # no two adjacent digits: no card, phone, SSN, IBAN, date or address
        if ipv6_at >= 0:
            _ipv6(raw, out, ipv6_at)
        return
    if numbers_at >= 0:
        _numbers(raw, numbers_at, out)
    if iban_at >= 0:
        _ibans(raw, iban_at, out)
    if ipv6_at >= 0:
        _ipv6(raw, out, ipv6_at)
    if birth_at >= 0:
        _dobs(raw, max(0, birth_at - 1), out)
    if street_at >= 0:
        _addresses(raw, max(0, street_at - 12), out)


def _first(a: int, b: int) -> int:
    """The smaller of two ``find`` results, -1 if both are -1."""
    return b if a < 0 else a if b < 0 else min(a, b)


def _resolve(cands: list[_Candidate]) -> list[_Candidate]:
    if len(cands) == 1:
        return cands
    chosen: list[_Candidate] = []
    for c in sorted(cands, key=lambda c: (-_PRIORITY[c[0]], -(c[2] - c[1]), c[1])):
        if all(c[2] <= o[1] or c[1] >= o[2] for o in chosen):
            chosen.append(c)
    chosen.sort(key=lambda c: c[1])
    return chosen


def _emails(raw: str, out: list[_Candidate]) -> None:
    # Only around each "@": the local part is at most 64 characters, the domain at most 253.
    pos = 0
    at = raw.find("@")
    while at >= 0:
        m = _EMAIL.search(raw, max(pos, at - 64), at + 255)
        while m is not None and m.end() <= at:
            m = _EMAIL.search(raw, m.end(), at + 255)
        if m is not None and m.start() <= at:
            if ".." not in raw[m.start() : at] and not _in_url_userinfo(raw, m.start()):
                out.append(("email", m.start(), m.end(), 0.95, mask(m.group(), 1, 4)))
            pos = m.end()
            at = raw.find("@", pos)
        else:
            at = raw.find("@", at + 1)


def _in_url_userinfo(raw: str, start: int) -> bool:
    """True when ``start`` is inside ``scheme://user:password@host``: a login, not an e-mail address."""
    j = raw.rfind("://", max(0, start - 256), start)
    return j >= 0 and not any(c.isspace() for c in raw[j:start])


def _word_before(
    regex: re.Pattern[str], raw: str, start: int, gap: bool = False, hints: tuple[str, ...] = ()
) -> bool:
    """True when a word of ``regex`` ends at most ``_BEFORE_WINDOW`` characters before ``start``.

    Only that window is searched (plus room for the longest word), so the cost does not grow with
    the text. With ``gap``, the text between word and number must not hold code punctuation.
    ``hints``: strings one of which every word of ``regex`` holds (lower case); an ASCII window
    without any of them is not searched.
    """
    lo = max(0, start - _BEFORE_WINDOW - 16)
    if hints:
        window = raw[lo:start]
        if window.isascii():  # IGNORECASE also folds a few non-ASCII letters onto ASCII ones
            window = window.lower()
            for h in hints:
                if h in window:
                    break
            else:
                return False
    for m in regex.finditer(raw, lo, start):
        if m.end() >= start - _BEFORE_WINDOW and not (gap and _CODE_GAP.search(raw, m.end(), start)):
            return True
    return False


def _numbers(raw: str, pos: int, out: list[_Candidate]) -> None:
    """Cards, SSNs and phone numbers: each number token is classified by its shape.

    Every such number has six digits with at most two separators between neighbours, so only the
    tokens that hold a match of ``_NUM_GATE`` are looked at (the first one starts at ``pos``); a
    stray ``42`` costs nothing.
    """
    ssn_ctx: bool | None = None
    done = 0  # end of the last token classified
    m: re.Match[str] | None = None  # the first token at or after the current cluster, reused
    clusters = (
        _NUM_GATE_SHAPED.finditer(raw.encode("ascii").translate(_NUM_SHAPE), pos)
        if raw.isascii()
        else _NUM_GATE.finditer(raw, pos)
    )
    for g in clusters:
        if g.start() < done:
            continue  # a later cluster of a token already classified
        pos = g.start()
        floor = max(done, pos - 24)
        # Back to where the token holding this cluster starts (at most to ``floor``).
        pos = floor + len(raw[floor:pos].rstrip("0123456789+-.() "))
        if m is None or m.end() <= g.start():
            m = _NUM_TOKEN.search(raw, pos)
            while m is not None and m.end() <= g.start():
                m = _NUM_TOKEN.search(raw, m.end())
            if m is None:
                return
        if m.start() > g.start():
            continue  # glued to letters (an IBAN, a hash): no token holds this cluster
        done = m.end()
        tok = m.group()
        start, end = m.start(), m.end()
        ext = m.group("ext")
        body = tok[: len(tok) - len(ext)] if ext else tok
        digits = body if body.isdigit() else body.translate(_NOT_DIGITS)
        n = len(digits)
        if n < 6 or n > 19:
            continue
        # Payment card: 12-19 digits, in groups joined by one kind of separator (space or hyphen).
        if n >= 12 and not ext and _CARD_SHAPE.fullmatch(body) and luhn_ok(digits):
            if card_brand(digits) is not None:
                out.append(("card", start, end, 0.95, mask(tok, 0, 4)))
                continue
            if n >= 13 and _word_before(_CARD_CONTEXT, raw, start):
                out.append(("card", start, end, 0.75, mask(tok, 0, 4)))
                continue
        # US SSN: AAA-GG-SSSS (or bare nine digits next to an SSN word).
        if n == 9 and not ext:
            sm = _SSN_SHAPE.fullmatch(body)
            if sm is not None:
                if ssn_ok(sm.group(1), sm.group(3), sm.group(4)):
                    out.append(("ssn", start, end, 0.85, mask(tok)))
                continue
            if body.isdigit():
                if ssn_ctx is None:
                    ssn_ctx = _SSN_CONTEXT.search(raw) is not None
                if ssn_ctx and ssn_ok(body[:3], body[3:5], body[5:]):
                    out.append(("ssn", start, end, 0.75, mask(tok)))
                    continue
        if n > 15:
            continue
        if body[0] == "+":
            if n < 7:
                continue
            score = 0.85
        elif _NANP_SHAPE.fullmatch(body):
            score = 0.8
        elif 10 <= n <= 12 and not body.isdigit() and _TRUNK_SHAPE.fullmatch(body):
            score = 0.75
        else:
            # Any other grouping needs a phone word nearby: before it, or right after it.
            if (n < 10 and body.isdigit()) or _DATE_SHAPE.fullmatch(body):
                continue  # dates; bare runs shorter than a full national number are counts, ids, sizes
            if not _word_before(_PHONE_BEFORE, raw, start, True, _PHONE_HINTS) and not _PHONE_AFTER.match(
                raw, end, end + 16
            ):
                continue
            if _STREET_AFTER.match(raw, end):
                continue  # house numbers: "a taxi to 3348 84 Cassinia Street"
            score = 0.6
        out.append(("phone", start, end, score, mask(tok, 0, 2)))


def _ibans(raw: str, pos: int, out: list[_Candidate]) -> None:
    for m in _iban_matches(raw, pos):
        s = m.group()
        length = IBAN_LENGTHS.get(s[:2])
        if length is None:
            continue
        # Walk exactly the country's length of characters: the match may run into the next word.
        stop = _after_chars(s, length)
        if stop < 0:
            continue
        span = s[:stop]
        if stop < len(s) and s[stop].isalnum():
            continue  # glued to more letters or digits: part of a longer token
        if iban_ok(span.replace(" ", "")):
            out.append(("iban", m.start(), m.start() + stop, 0.95, mask(span, 4, 2)))


def _iban_matches(raw: str, pos: int) -> Iterator[re.Match[str]]:
    """``_IBAN.finditer(raw, pos)``: for ASCII text, tried only where two capitals and two digits
    stand in a row (found in the :data:`_SHAPE` bytes), where every match starts, instead of at
    every capital letter."""
    if not raw.isascii():  # ``\d`` also takes other scripts' digits
        yield from _IBAN.finditer(raw, pos)
        return
    shape = raw.encode("ascii").translate(_SHAPE)
    at = shape.find(b"AA00", pos)
    while at >= 0:
        m = _IBAN.match(raw, at)
        if m is not None:
            yield m
            at = shape.find(b"AA00", m.end())
        else:
            at = shape.find(b"AA00", at + 1)


def _after_chars(s: str, count: int) -> int:
    """Where ``s`` has ``count`` characters other than single spaces, or -1 if it has fewer."""
    if " " not in s:
        return count if len(s) >= count else -1
    at = 0
    for group in s.split(" "):
        if len(group) >= count:
            return at + count
        count -= len(group)
        at += len(group) + 1
    return -1


def _ipv4(raw: str, out: list[_Candidate]) -> None:
    """The matches of ``_IPV4.finditer(raw)`` with valid octets.

    Every match starts one to three characters before its first dot, where ``_IPV4_CORE``
    (".d.d.d": a literal first character, so a fast scan) matches: only those starts are tried,
    in order, each after the last match, instead of a scan of the whole text from the first one.
    """
    pos = 0
    core = _IPV4_CORE.search(raw)
    while core is not None:
        dot = core.start()
        for start in range(max(pos, dot - 3), dot):
            m = _IPV4.match(raw, start)
            if m is not None:
                s = m.group()
                if all(int(o) <= 255 and (o == "0" or o[0] != "0") for o in s.split(".")):
                    out.append(("ip_address", m.start(), m.end(), 0.8, mask(s)))
                pos = m.end()
                break
        core = _IPV4_CORE.search(raw, max(dot + 1, pos))


def _ipv6(raw: str, out: list[_Candidate], gate_at: int) -> None:
    """IPv6 addresses from the first match of ``_IPV6_GATE`` on (at ``gate_at``)."""
    pos = gate_at
    floor = max(0, pos - 40)
    while pos > floor and raw[pos - 1] in "0123456789abcdefABCDEF:":
        pos -= 1
    for m in _IPV6.finditer(raw, pos):
        s = m.group()
        if len(s) < 3 or (sum(1 for g in s.split(":") if g) < 2 and "::" not in s):
            continue
        try:
            ipaddress.IPv6Address(s)
        except ValueError:
            continue
        out.append(("ip_address", m.start(), m.end(), 0.8, mask(s)))


def _date_ok(text: str) -> bool:
    t = text.lower().replace(",", " ").replace(".", " ") if not text[0].isdigit() or " " in text else text
    nums = [int(x) for x in re.findall(r"\d+", t)]
    month_word = re.search(r"[a-z]{3}", t.lower())
    if month_word:
        month = _MONTH_NUM.get(month_word.group()[:3])
        if month is None or len(nums) < 2:
            return False
        day, year = nums[0], nums[-1]
        orders = [(year, month, day)]
    elif len(nums) == 3:
        a, b, c = nums
        if a > 31:
            orders = [(a, b, c)]
        else:
            year = c + (1900 if c >= 30 else 2000) if c < 100 else c
            orders = [(year, a, b), (year, b, a)]
    else:
        return False
    for y, mo, d in orders:
        try:
            if 1900 <= y <= 2100:
                dt.date(y, mo, d)
                return True
        except ValueError:
            continue
    return False


def _dobs(raw: str, pos: int, out: list[_Candidate]) -> None:
    for m in _DOB.finditer(raw, pos):
        if _date_ok(m.group("date")):
            out.append(("date_of_birth", m.start("date"), m.end("date"), 0.8, "date of birth"))


def _addresses(raw: str, pos: int, out: list[_Candidate]) -> None:
    for m in _ADDRESS.finditer(raw, pos):
        out.append(("address", m.start(), m.end(), 0.6, "street address"))
