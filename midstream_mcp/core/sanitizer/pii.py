"""Personal data with validation, not bare regexes.

A match becomes a finding only when it passes its type's rules: Luhn and an
issuer prefix for cards, the country length and mod-97 for IBANs, area/group/
serial rules for US SSNs, digit counts for phone numbers, ``ipaddress`` for IP
addresses, a real calendar date near a birth keyword for dates of birth.
Overlapping candidates are resolved by priority (the more specific type wins).
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import re

from midstream_mcp.core.sanitizer._base import Budget, Kind, Prepared
from midstream_mcp.core.sanitizer._checks import IBAN_LENGTHS, card_brand, iban_ok, luhn_ok, mask, ssn_ok
from midstream_mcp.core.sanitizer._model import Finding, ScanContext
from midstream_mcp.core.sanitizer.policy import Policy

_DIGIT = re.compile(r"\d")
_EMAIL = re.compile(
    r"(?<![\w.+%\-])[A-Za-z0-9](?:[A-Za-z0-9._%+\-]{0,62}[A-Za-z0-9_%+\-])?"
    r"@(?:[A-Za-z0-9](?:[A-Za-z0-9\-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,24}(?![\w\-])"
)
_CARD = re.compile(r"(?<![\d\-.])\d(?:[ \-]?\d){11,18}(?![\d])")
_SSN = re.compile(r"(?<![\d\-])(\d{3})([- ])(\d{2})\2(\d{4})(?![\d\-])|(?<![\d\-])(\d{3})(\d{2})(\d{4})(?![\d\-])")
_CARD_CONTEXT = re.compile(
    r"(?i)\b(?:card|cards|cc|credit|debit|visa|mastercard|amex|maestro|jcb|discover|diners|unionpay|pan)\b"
)
_SSN_CONTEXT = re.compile(r"(?i)\b(?:ssn|ss#|social security|social sec|ssa|taxpayer|tin)\b")
#: A phone-shaped run: optional ``+``, digit groups and bracketed area codes, single separators.
#: Atomic and possessive, so a run is taken whole and never cut back to a shorter phone-looking prefix.
_PHONE_TOKEN = re.compile(
    r"(?<![\w+\-.:/#])(?<!\d,)(?>\+?(?:\(\d{1,5}\)|\d{1,15})"
    r"(?:[ .\-]?\(\d{1,5}\)|(?<=\))[ .\-]?\d{1,15}|[ .\-]\d{1,15})*+)"
    r"(?P<ext>\s?(?:x|ext\.?|extension)\s?\d{1,6})?(?![\w]|[/,:]\d|\.\d)"
)
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
_PHONE_AFTER = re.compile(r"(?i)[\s\-(,]{0,3}(?:phone|tel|mobile|cell|fax|office|home|work|desk|landline)\b")
_BEFORE_WINDOW = 40
_CODE_GAP = re.compile(r"[=;{}\[\]<>]|\n\s*\n")  # between the word and the number: not the same phrase
_STREET_TYPES = (
    r"(?:Street|St|Avenue|Ave|Road|Rd|Boulevard|Blvd|Lane|Ln|Drive|Dr|Court|Ct|Way|Place|Pl|Terrace|Ter|Circle|"
    r"Cir|Parkway|Pkwy|Highway|Hwy|Square|Sq|Trail|Trl|Loop|Row|Alley|Crescent|Close|Plaza|Point|Pike|Ridge|Run|"
    r"Path|Walk)"
)
_STREET_AFTER = re.compile(r"\s(?:[A-Z][\w'\-]*\s){1,3}" + _STREET_TYPES + r"\b")
_IBAN = re.compile(r"\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]){11,32}")
_IPV4 = re.compile(
    r"(?<![\w.])(?:(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\.){3}(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(?![\w]|\.\d)"
)
_IPV6 = re.compile(
    r"(?<![\w:.])(?:[0-9A-Fa-f]{0,4}:){2,7}(?:(?:\d{1,3}\.){3}\d{1,3}|[0-9A-Fa-f]{0,4})(?![\w:]|\.\d)"
)
_MONTHS = (
    r"(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|"
    r"sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)"
)
_MONTH_NUM = {m: i + 1 for i, m in enumerate("jan feb mar apr may jun jul aug sep oct nov dec".split())}
_DOB = re.compile(
    r"(?i)\b(?:born|birth|dob|d\.o\.b\.?|birthday|birthdate|b-day)\b[^.\n\d]{0,30}?"
    r"(?P<date>\d{4}-\d{1,2}-\d{1,2}|\d{1,2}[/.\-]\d{1,2}[/.\-](?:\d{4}|\d{2})"
    rf"|{_MONTHS}\.?\s+\d{{1,2}}(?:st|nd|rd|th)?,?\s+\d{{4}}"
    rf"|\d{{1,2}}(?:st|nd|rd|th)?\s+(?:of\s+)?{_MONTHS}\.?,?\s+\d{{4}})(?!\d)"
)
_ADDRESS = re.compile(
    r"\b\d{1,6}(?:\s[A-Z][a-z]+|\s\d{1,3}(?:st|nd|rd|th)){1,4}\s" + _STREET_TYPES + r"\b\.?"
    r"(?:,?\s(?:Apt|Apartment|Suite|Ste|Unit|#)\.?\s?[\w-]{1,6})?"
    r"(?:,?\s[A-Z][a-z]+(?:\s[A-Z][a-z]+){0,2},?\s[A-Z]{2}\s\d{5}(?:-\d{4})?)?"
)

#: Higher wins an overlap.
_PRIORITY = {"iban": 9, "card": 8, "ssn": 7, "email": 6, "ip_address": 5, "date_of_birth": 4, "phone": 3, "address": 2}
_PLACEHOLDER = {
    "email": "[EMAIL]", "phone": "[PHONE]", "card": "[CARD]", "iban": "[IBAN]", "ssn": "[SSN]",
    "ip_address": "[IP_ADDRESS]", "date_of_birth": "[DATE_OF_BIRTH]", "address": "[ADDRESS]",
}  # fmt: skip

_Candidate = tuple[str, int, int, float, str]  # category, start, end, score, evidence


class PIIDetector:
    """E-mail, phone, payment card, IBAN, US SSN, IPv4/IPv6, date of birth and US street address."""

    name = "pii"
    kind: Kind = "sensitive"

    def detect(self, text: Prepared, policy: Policy, context: ScanContext, budget: Budget) -> list[Finding]:
        """Validated personal-data spans, resolved so that no two overlap."""
        raw = text.text
        cands: list[_Candidate] = []
        if "@" in raw:
            _emails(raw, cands)
        has_digit = _DIGIT.search(raw) is not None
        if has_digit:
            _cards(raw, cands)
            _ibans(raw, cands)
            _ssns(raw, cands)
            _phones(raw, cands)
            if "." in raw:
                _ipv4(raw, cands)
            _dobs(raw, cands)
            _addresses(raw, cands)
        if raw.count(":") >= 2:
            _ipv6(raw, cands)
        return [
            Finding(self.name, cat, s, e, score, ev, _PLACEHOLDER[cat]) for cat, s, e, score, ev in _resolve(cands)
        ]


def _resolve(cands: list[_Candidate]) -> list[_Candidate]:
    chosen: list[_Candidate] = []
    for c in sorted(cands, key=lambda c: (-_PRIORITY[c[0]], -(c[2] - c[1]), c[1])):
        if all(c[2] <= o[1] or c[1] >= o[2] for o in chosen):
            chosen.append(c)
    chosen.sort(key=lambda c: c[1])
    return chosen


def _emails(raw: str, out: list[_Candidate]) -> None:
    for m in _EMAIL.finditer(raw):
        local = m.group().split("@", 1)[0]
        if ".." in local or len(local) > 64:
            continue
        out.append(("email", m.start(), m.end(), 0.95, mask(m.group(), 1, 4)))


def _cards(raw: str, out: list[_Candidate]) -> None:
    context: list[int] | None = None
    for m in _CARD.finditer(raw):
        s = m.group()
        seps = {c for c in s if not c.isdigit()}
        if len(seps) > 1:
            continue
        digits = s.replace(" ", "").replace("-", "") if seps else s
        if not luhn_ok(digits):
            continue
        if card_brand(digits) is not None:
            score = 0.95
        else:
            # Luhn-valid but no issuer range we know: a card only where the text talks about cards.
            if len(digits) < 13:
                continue
            if context is None:
                context = [c.end() for c in _CARD_CONTEXT.finditer(raw)]
            start = m.start()
            if not any(start - 40 <= e <= start for e in context):
                continue
            score = 0.75
        out.append(("card", m.start(), m.end(), score, mask(s, 0, 4)))


def _ibans(raw: str, out: list[_Candidate]) -> None:
    for m in _IBAN.finditer(raw):
        s = m.group()
        length = IBAN_LENGTHS.get(s[:2])
        if length is None:
            continue
        # Walk exactly the country's length of characters: the match may run into the next word.
        n = 0
        for end, ch in enumerate(s, 1):
            if ch != " ":
                n += 1
                if n == length:
                    break
        if n != length:
            continue
        span = s[:end]
        if end < len(s) and s[end].isalnum():
            continue  # glued to more letters or digits: part of a longer token
        if iban_ok(span.replace(" ", "")):
            out.append(("iban", m.start(), m.start() + end, 0.95, mask(span, 4, 2)))


def _ssns(raw: str, out: list[_Candidate]) -> None:
    context = None
    for m in _SSN.finditer(raw):
        if m.group(1) is not None:
            parts, score = (m.group(1), m.group(3), m.group(4)), 0.85
        else:
            if context is None:
                context = _SSN_CONTEXT.search(raw) is not None
            if not context:
                continue
            parts, score = (m.group(5), m.group(6), m.group(7)), 0.75
        if ssn_ok(*parts):
            out.append(("ssn", m.start(), m.end(), score, mask(m.group())))


def _phones(raw: str, out: list[_Candidate]) -> None:
    context: list[int] | None = None  # ends of phone words, computed on first need
    for m in _PHONE_TOKEN.finditer(raw):
        tok = m.group()
        body = tok[: m.start("ext") - m.start()] if m.group("ext") else tok
        n = sum(c.isdigit() for c in body)
        if n < 6 or n > 15:
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
            if _DATE_SHAPE.fullmatch(body) or (n < 10 and body.isdigit()):
                continue  # dates; bare runs shorter than a full national number are counts, ids, sizes
            if context is None:
                context = [c.end() for c in _PHONE_BEFORE.finditer(raw)]
            start = m.start()
            near = any(
                start - _BEFORE_WINDOW <= e <= start and _CODE_GAP.search(raw, e, start) is None for e in context
            )
            if not near and not _PHONE_AFTER.match(raw, m.end(), m.end() + 16):
                continue
            if _STREET_AFTER.match(raw, m.end()):
                continue  # house numbers: "a taxi to 3348 84 Cassinia Street"
            score = 0.6
        out.append(("phone", m.start(), m.end(), score, mask(tok, 0, 2)))


def _ipv4(raw: str, out: list[_Candidate]) -> None:
    for m in _IPV4.finditer(raw):
        out.append(("ip_address", m.start(), m.end(), 0.8, mask(m.group(), 0, 0)))


def _ipv6(raw: str, out: list[_Candidate]) -> None:
    for m in _IPV6.finditer(raw):
        s = m.group()
        if len(s) < 3 or sum(1 for g in s.split(":") if g) < 2 and "::" not in s:
            continue
        try:
            ipaddress.IPv6Address(s)
        except ValueError:
            continue
        out.append(("ip_address", m.start(), m.end(), 0.8, mask(s, 0, 0)))


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


def _dobs(raw: str, out: list[_Candidate]) -> None:
    for m in _DOB.finditer(raw):
        if _date_ok(m.group("date")):
            out.append(("date_of_birth", m.start("date"), m.end("date"), 0.8, "date of birth"))


def _addresses(raw: str, out: list[_Candidate]) -> None:
    for m in _ADDRESS.finditer(raw):
        out.append(("address", m.start(), m.end(), 0.6, "street address"))
