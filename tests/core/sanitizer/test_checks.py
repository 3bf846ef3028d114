"""Validators behind the PII and secrets detectors: Luhn, issuer ranges, IBAN mod-97, SSN, entropy, masks."""

from __future__ import annotations

import random
import string

import pytest
from hypothesis import given
from hypothesis import strategies as st

from midstream_mcp.core.sanitizer._checks import (
    IBAN_LENGTHS,
    _luhn_by_digits,
    _mod97_by_digits,
    card_brand,
    char_classes,
    iban_ok,
    luhn_ok,
    mask,
    shannon_entropy,
    ssn_ok,
)


def luhn_complete(prefix: str, length: int, seed: int = 0) -> str:
    """A digit string of ``length`` starting with ``prefix`` whose last digit makes the Luhn sum work."""
    rng = random.Random(seed)
    body = prefix + "".join(rng.choice(string.digits) for _ in range(length - len(prefix) - 1))
    for check in string.digits:
        if luhn_ok(body + check):
            return body + check
    raise AssertionError("unreachable: one check digit always fits")


def iban_with_check(country: str, bban: str) -> str:
    """An IBAN for ``country`` and ``bban`` with the check digits computed by ISO 13616 (98 - mod 97)."""
    num = int("".join(str(int(c, 36)) for c in bban + country + "00"))
    return f"{country}{98 - num % 97:02d}{bban}"


# -- Luhn ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("digits", ["79927398713", "4111111111111111", "5555555555554444", "378282246310005"])
def test_luhn_accepts_valid_numbers(digits: str) -> None:
    assert luhn_ok(digits)


@pytest.mark.parametrize("digits", ["79927398710", "4111111111111112", "1234567812345678"])
def test_luhn_rejects_wrong_check_digit(digits: str) -> None:
    assert not luhn_ok(digits)


@given(st.integers(min_value=0, max_value=10**18))
def test_luhn_exactly_one_check_digit_fits(n: int) -> None:
    body = str(n)
    assert sum(luhn_ok(body + d) for d in string.digits) == 1


def test_luhn_detects_every_single_digit_error() -> None:
    card = luhn_complete("4", 16, seed=3)
    for i in range(len(card)):
        for d in string.digits:
            if d != card[i]:
                assert not luhn_ok(card[:i] + d + card[i + 1 :])


# -- issuer ranges ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("prefix", "length", "brand"),
    [
        ("4", 16, "visa"),
        ("4", 13, "visa"),
        ("4", 19, "visa"),
        ("51", 16, "mastercard"),
        ("55", 16, "mastercard"),
        ("2221", 16, "mastercard"),
        ("2720", 16, "mastercard"),
        ("34", 15, "amex"),
        ("37", 15, "amex"),
        ("6011", 16, "discover"),
        ("65", 16, "discover"),
        ("644", 16, "discover"),
        ("3528", 16, "jcb"),
        ("3589", 16, "jcb"),
        ("1800", 15, "jcb"),
        ("2131", 15, "jcb"),
        ("36", 14, "diners"),
        ("300", 14, "diners"),
        ("62", 16, "unionpay"),
        ("5018", 12, "maestro"),
        ("6759", 19, "maestro"),
    ],
)
def test_card_brand_by_issuer_range_and_length(prefix: str, length: int, brand: str) -> None:
    assert card_brand(luhn_complete(prefix, length)) == brand


@pytest.mark.parametrize(
    ("prefix", "length"),
    [("4", 15), ("51", 15), ("34", 16), ("2721", 16), ("1234", 16), ("9", 16), ("7", 16), ("3500", 16)],
)
def test_card_brand_rejects_unknown_prefix_or_wrong_length(prefix: str, length: int) -> None:
    assert card_brand(luhn_complete(prefix, length)) is None


# -- IBAN ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "iban",
    [
        "DE89370400440532013000",
        "GB82WEST12345698765432",
        "NL91ABNA0417164300",
        "FR1420041010050500013M02606",
        "CH9300762011623852957",
        "NO9386011117947",
        "MT84MALT011000012345MTLCAST001S",
    ],
)
def test_iban_valid_examples(iban: str) -> None:
    assert iban_ok(iban)


def test_iban_check_digits_computed_for_every_country() -> None:
    rng = random.Random(5)
    for country, length in IBAN_LENGTHS.items():
        bban = "".join(rng.choice(string.digits) for _ in range(length - 4))
        iban = iban_with_check(country, bban)
        assert len(iban) == length
        assert iban_ok(iban), iban


@pytest.mark.parametrize(
    "iban",
    [
        "DE88370400440532013000",  # check digits off by one
        "DE8937040044053201300",  # one character short for DE
        "DE893704004405320130000",  # one too many
        "XX89370400440532013000",  # not a country in the registry
        "DEAB370400440532013000",  # check digits not digits
        "de89370400440532013000",  # lower case (callers upper-case nothing)
        "GB82WEST1234569876543!",
    ],
)
def test_iban_invalid_variants(iban: str) -> None:
    assert not iban_ok(iban)


def test_iban_single_character_change_is_caught() -> None:
    iban = "GB82WEST12345698765432"
    for i in range(4, len(iban)):
        repl = "7" if iban[i] != "7" else "8"
        assert not iban_ok(iban[:i] + repl + iban[i + 1 :])


# -- SSN -------------------------------------------------------------------------------------------


def test_ssn_structure_rules() -> None:
    assert ssn_ok("123", "45", "6789")
    assert ssn_ok("899", "99", "9999")
    assert ssn_ok("001", "01", "0001")
    assert not ssn_ok("000", "45", "6789")  # area 000
    assert not ssn_ok("666", "45", "6789")  # area 666
    assert not ssn_ok("900", "45", "6789")  # areas 900-999
    assert not ssn_ok("999", "45", "6789")
    assert not ssn_ok("123", "00", "6789")  # group 00
    assert not ssn_ok("123", "45", "0000")  # serial 0000
    assert not ssn_ok("078", "05", "1120")  # the Woolworth wallet card


# -- entropy, classes, masking ---------------------------------------------------------------------


def test_shannon_entropy() -> None:
    assert shannon_entropy("") == 0.0
    assert shannon_entropy("aaaa") == 0.0
    assert shannon_entropy("ab") == pytest.approx(1.0)
    assert shannon_entropy("abcd") == pytest.approx(2.0)
    assert shannon_entropy(string.ascii_letters + string.digits) == pytest.approx(5.954, abs=1e-3)


def test_char_classes() -> None:
    assert char_classes("") == 0
    assert char_classes("abc") == 1
    assert char_classes("aB") == 2
    assert char_classes("aB3") == 3
    assert char_classes("aB3-") == 4


def test_mask_keeps_at_most_a_quarter_and_the_separators() -> None:
    assert mask("4111 1111 1111 1111", 0, 4) == "**** **** **** 1111"
    assert mask("jane@example.com", 1, 4) == "j***@*******.com"
    assert mask("123-45-6789") == "***-**-****"
    assert mask("abcd", 4, 4) == "a***"  # a quarter of four characters is one


@given(st.text(max_size=60), st.integers(0, 80), st.integers(0, 80))
def test_mask_never_reveals_more_than_a_quarter(value: str, keep_start: int, keep_end: int) -> None:
    out = mask(value, keep_start, keep_end)
    assert len(out) == len(value)
    shown = sum(1 for a, b in zip(value, out, strict=True) if a == b and a not in " -.@*")
    assert shown <= len(value) // 4


# -- the C-level Luhn and mod-97 against the digit-by-digit fallbacks (their definitions) -----------


def _iban_by_digits(compact: str) -> bool:
    if IBAN_LENGTHS.get(compact[:2]) != len(compact) or not compact[2:4].isdigit():
        return False
    return _mod97_by_digits(compact[4:] + compact[:4]) == 1


@given(st.text(alphabet="0123456789٣", min_size=1, max_size=24))
def test_luhn_equals_the_digit_by_digit_sum(digits: str) -> None:
    assert luhn_ok(digits) == _luhn_by_digits(digits)


@given(
    st.sampled_from([*sorted(IBAN_LENGTHS), "XX"]),
    st.text(alphabet="0123456789ABCZ ²", min_size=0, max_size=34),
)
def test_iban_equals_the_digit_by_digit_mod_97(country: str, rest: str) -> None:
    for compact in (country + rest, iban_with_check(country, rest.replace(" ", "").replace("²", ""))):
        assert iban_ok(compact) == _iban_by_digits(compact)


@given(st.text(alphabet="ab1 -.@*é", max_size=30), st.integers(0, 8), st.integers(0, 8))
def test_mask_equals_the_regex_substitution(value: str, keep_start: int, keep_end: int) -> None:
    import re

    n = len(value)
    ks = min(keep_start, n // 4)
    ke = min(keep_end, n // 4 - ks)
    want = value[:ks] + re.sub(r"[^ \-.@]", "*", value[ks : n - ke]) + value[n - ke : n]
    assert mask(value, keep_start, keep_end) == want
