"""Validators that turn a pattern match into a finding: checksums, number rules, entropy, masking."""

from __future__ import annotations

import math
import re
from collections import Counter

#: IBAN length by ISO 3166 country code (SWIFT IBAN registry).
IBAN_LENGTHS = {
    "AD": 24, "AE": 23, "AL": 28, "AT": 20, "AZ": 28, "BA": 20, "BE": 16, "BG": 22, "BH": 22,
    "BI": 27, "BR": 29, "BY": 28, "CH": 21, "CR": 22, "CY": 28, "CZ": 24, "DE": 22, "DJ": 27,
    "DK": 18, "DO": 28, "EE": 20, "EG": 29, "ES": 24, "FI": 18, "FK": 18, "FO": 18, "FR": 27,
    "GB": 22, "GE": 22, "GI": 23, "GL": 18, "GR": 27, "GT": 28, "HR": 21, "HU": 28, "IE": 22,
    "IL": 23, "IQ": 23, "IS": 26, "IT": 27, "JO": 30, "KW": 30, "KZ": 20, "LB": 28, "LC": 32,
    "LI": 21, "LT": 20, "LU": 20, "LV": 21, "LY": 25, "MC": 27, "MD": 24, "ME": 22, "MK": 19,
    "MN": 20, "MR": 27, "MT": 31, "MU": 30, "NI": 28, "NL": 18, "NO": 15, "OM": 23, "PK": 24,
    "PL": 28, "PS": 29, "PT": 25, "QA": 29, "RO": 24, "RS": 22, "RU": 33, "SA": 24, "SC": 31,
    "SD": 18, "SE": 24, "SI": 19, "SK": 24, "SM": 27, "SO": 23, "ST": 25, "SV": 28, "TL": 23,
    "TN": 24, "TR": 26, "UA": 29, "VA": 22, "VG": 24, "XK": 20, "YE": 30,
}  # fmt: skip


#: ``str.translate`` table: each digit to the digit of its double with the Luhn fold (2d - 9 over 9).
_LUHN_DOUBLE = str.maketrans("0123456789", "0246813579")


def luhn_ok(digits: str) -> bool:
    """True when the digit string passes the Luhn (mod 10) check."""
    if digits.isascii():
        # Every second digit from the right is doubled (and folded); the digit sum of the whole
        # must end in 0. Both halves are summed in C.
        doubled = digits[-2::-2].translate(_LUHN_DOUBLE)
        return (sum(map(int, digits[-1::-2])) + sum(map(int, doubled))) % 10 == 0
    return _luhn_by_digits(digits)


def _luhn_by_digits(digits: str) -> bool:
    """Luhn a digit at a time, as defined (any Unicode decimal digits; the tests' reference)."""
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = ord(ch) - 48
        if i & 1:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return total % 10 == 0


def card_brand(digits: str) -> str | None:
    """The card scheme whose issuer prefix and length fit ``digits``, else None."""
    n = len(digits)
    p2, p4 = int(digits[:2]), int(digits[:4])
    if digits[0] == "4" and n in (13, 16, 19):
        return "visa"
    if (51 <= p2 <= 55 or 2221 <= p4 <= 2720) and n == 16:
        return "mastercard"
    if p2 in (34, 37) and n == 15:
        return "amex"
    if (digits.startswith("6011") or p2 == 65 or 644 <= int(digits[:3]) <= 649) and n in (16, 19):
        return "discover"
    if (3528 <= p4 <= 3589 and 16 <= n <= 19) or (p4 in (1800, 2131) and n == 15):
        return "jcb"
    if (p2 in (36, 38, 39) or 300 <= int(digits[:3]) <= 305 or p4 == 3095) and 14 <= n <= 19:
        return "diners"
    if p2 == 62 and 16 <= n <= 19:
        return "unionpay"
    if (p2 == 50 or 56 <= p2 <= 69) and 12 <= n <= 19:
        return "maestro"
    return None


#: ``str.translate`` table: the capital letters to their IBAN numbers (A=10 ... Z=35).
_IBAN_LETTERS = str.maketrans({chr(65 + i): str(10 + i) for i in range(26)})
_IBAN_CHARS = frozenset("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ")


def iban_ok(compact: str) -> bool:
    """True for an IBAN (no spaces, upper case) of its country's length whose mod-97 is 1."""
    country = compact[:2]
    if IBAN_LENGTHS.get(country) != len(compact) or not compact[2:4].isdigit():
        return False
    rearranged = compact[4:] + compact[:4]
    if _IBAN_CHARS.issuperset(rearranged):
        # Letters count as 10..35: the number they spell, taken mod 97 in one C-level conversion.
        return int(rearranged.translate(_IBAN_LETTERS)) % 97 == 1
    return _mod97_by_digits(rearranged) == 1


def _mod97_by_digits(rearranged: str) -> int | None:
    """A rearranged IBAN's number mod 97, folded a character at a time (ints stay small; letters
    count as 10..35); None for a character that is neither a digit nor A-Z. The tests' reference."""
    total = 0
    for ch in rearranged:
        if ch.isdigit():
            total = (total * 10 + ord(ch) - 48) % 97
        elif "A" <= ch <= "Z":
            total = (total * 100 + ord(ch) - 55) % 97
        else:
            return None
    return total


def ssn_ok(area: str, group: str, serial: str) -> bool:
    """US SSN structure: area not 000, 666 or 900-999; group not 00; serial not 0000.

    Also rejects the numbers the SSA lists as invalid for use (the Woolworth card
    078-05-1120 and the 987-65-432x advertising range, already outside by area).
    """
    a = int(area)
    if a == 0 or a == 666 or a >= 900 or group == "00" or serial == "0000":
        return False
    return (area, group, serial) != ("078", "05", "1120")


def shannon_entropy(s: str) -> float:
    """Bits per character of ``s`` under its own character frequencies."""
    n = len(s)
    if n == 0:
        return 0.0
    return -sum(c / n * math.log2(c / n) for c in Counter(s).values())


def char_classes(s: str) -> int:
    """How many of lower, upper, digit, other occur in ``s``."""
    return (
        any(c.islower() for c in s)
        + any(c.isupper() for c in s)
        + any(c.isdigit() for c in s)
        + any(not c.isalnum() for c in s)
    )


_MASKED = re.compile(r"[^ \-.@]")
#: ``_MASKED.sub("*", ...)`` for ASCII text, as a ``str.translate`` table.
_MASK_ASCII = str.maketrans({chr(c): "*" for c in range(128) if chr(c) not in " -.@"})


def mask(value: str, keep_start: int = 0, keep_end: int = 0) -> str:
    """``value`` with all but ``keep_start`` leading and ``keep_end`` trailing characters starred.

    Separators (space, ``-``, ``.``, ``@``) stay so the shape remains readable.
    At most a quarter of the characters are ever kept.
    """
    n = len(value)
    budget = n // 4
    keep_start = min(keep_start, budget)
    keep_end = min(keep_end, budget - keep_start)
    middle = value[keep_start : n - keep_end]
    middle = middle.translate(_MASK_ASCII) if middle.isascii() else _MASKED.sub("*", middle)
    return value[:keep_start] + middle + value[n - keep_end : n]
