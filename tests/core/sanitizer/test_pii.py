"""PII detection: every type with valid and invalid variants, exact spans, masked evidence, properties."""

from __future__ import annotations

import random
import re
import string

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from midstream_mcp.core.sanitizer import Policy, ScanContext, StreamScanner, redact, scan
from midstream_mcp.core.sanitizer import pii as pii_module
from midstream_mcp.core.sanitizer._base import Budget, Prepared
from midstream_mcp.core.sanitizer.pii import PIIDetector
from tests.core.sanitizer.test_checks import iban_with_check, luhn_complete

#: Only the PII-relevant detectors, with a generous budget: these tests are about PII, not about
#: the injection detector or a loaded CI machine.
POLICY = Policy(injection=False, time_budget_s=10.0)


def pii(text: str) -> list[tuple[str, str]]:
    """(category, matched text) for every PII finding, in order."""
    found = PIIDetector().detect(Prepared(text), POLICY, ScanContext(), Budget(10.0))
    for f in found:
        assert 0 <= f.start < f.end <= len(text)
    return [(f.category, text[f.start : f.end]) for f in found]


def cats(text: str) -> set[str]:
    return {c for c, _ in pii(text)}


# -- e-mail ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "email"),
    [
        ("write to jane.doe@example.com today", "jane.doe@example.com"),
        ("Mail me at a@b.io.", "a@b.io"),
        ("<ops+alerts@mail.example.co.uk>", "ops+alerts@mail.example.co.uk"),
        ("contact: First_Last-99@sub-domain.example.org, thanks", "First_Last-99@sub-domain.example.org"),
        ("TomaszJablonski@gustr.com?", "TomaszJablonski@gustr.com"),
    ],
)
def test_email_exact_span(text: str, email: str) -> None:
    assert pii(text) == [("email", email)]


@pytest.mark.parametrize(
    "text",
    [
        "user@localhost",  # no top-level domain
        "a..b@example.com",  # consecutive dots in the local part
        "@example.com",
        "name@",
        "the @decorator syntax",
        "x@y.z",  # one-letter TLD
        "user@-example.com",
    ],
)
def test_not_an_email(text: str) -> None:
    assert "email" not in cats(text)


def test_two_emails_and_a_decorator() -> None:
    text = "@dataclass\nclass A:  # owners: a.b@example.com and c@d.org"
    assert pii(text) == [("email", "a.b@example.com"), ("email", "c@d.org")]


# -- payment cards ---------------------------------------------------------------------------------


def group(digits: str, sep: str, sizes: tuple[int, ...] = (4, 4, 4, 4)) -> str:
    out, i = [], 0
    for n in sizes:
        out.append(digits[i : i + n])
        i += n
    if i < len(digits):
        out.append(digits[i:])
    return sep.join(p for p in out if p)


@pytest.mark.parametrize(
    ("prefix", "length"),
    [("4", 16), ("4", 13), ("4", 19), ("51", 16), ("2221", 16), ("34", 15), ("37", 15), ("6011", 16),
     ("3528", 16), ("1800", 15), ("2131", 15), ("36", 14), ("62", 16), ("5018", 12)],
)  # fmt: skip
def test_card_valid_in_every_layout(prefix: str, length: int) -> None:
    digits = luhn_complete(prefix, length, seed=length)
    for card in (digits, group(digits, " "), group(digits, "-")):
        assert pii(f"paid with {card}, thanks") == [("card", card)], card


def test_card_with_wrong_check_digit_is_not_a_card() -> None:
    good = luhn_complete("4", 16, seed=1)
    bad = good[:-1] + str((int(good[-1]) + 1) % 10)
    for text in (bad, group(bad, " "), group(bad, "-")):
        assert "card" not in cats(f"my card {text}")


def test_card_mixed_separators_is_not_a_card() -> None:
    d = luhn_complete("4", 16, seed=2)
    assert "card" not in cats(f"card {d[:4]}-{d[4:8]} {d[8:12]}-{d[12:]}")


def test_card_unknown_issuer_needs_card_words() -> None:
    d = luhn_complete("9", 16, seed=4)
    assert "card" not in cats(f"order {d} shipped")
    assert pii(f"Please block card no {d}") == [("card", d)]


def test_card_evidence_shows_only_last_four() -> None:
    d = luhn_complete("4", 16, seed=7)
    card = group(d, " ")
    (f,) = scan(f"card {card}", policy=POLICY).findings
    assert f.evidence == "**** **** **** " + d[-4:]


# -- IBAN ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "iban",
    ["DE89370400440532013000", "DE89 3704 0044 0532 0130 00", "GB82 WEST 1234 5698 7654 32",
     "NL91ABNA0417164300", "FR1420041010050500013M02606"],
)  # fmt: skip
def test_iban_valid(iban: str) -> None:
    assert pii(f"IBAN {iban}, please") == [("iban", iban)]


def test_iban_generated_for_many_countries() -> None:
    rng = random.Random(11)
    for country in ("AT", "BE", "CH", "ES", "IT", "PL", "PT", "SE", "NO", "IE"):
        from midstream_mcp.core.sanitizer._checks import IBAN_LENGTHS

        bban = "".join(rng.choice(string.digits) for _ in range(IBAN_LENGTHS[country] - 4))
        iban = iban_with_check(country, bban)
        assert pii(f"to {iban} now") == [("iban", iban)]


@pytest.mark.parametrize(
    "text",
    [
        "DE88370400440532013000",  # bad check digits
        "DE893704004405320130001",  # glued to another digit: too long for DE
        "DE89370400440532013000X",
        "ZZ89370400440532013000",
    ],
)
def test_iban_invalid(text: str) -> None:
    assert "iban" not in cats(text)


# -- SSN -------------------------------------------------------------------------------------------


@pytest.mark.parametrize("ssn", ["123-45-6789", "123 45 6789", "001-01-0001", "899-99-9999"])
def test_ssn_valid(ssn: str) -> None:
    assert pii(f"His social security number is {ssn}") == [("ssn", ssn)]


@pytest.mark.parametrize(
    "ssn",
    ["000-45-6789", "666-45-6789", "900-45-6789", "987-65-4321", "123-00-6789", "123-45-0000", "078-05-1120"],
)
def test_ssn_invalid_area_group_serial(ssn: str) -> None:
    assert pii(f"SSN: {ssn}") == []


def test_ssn_bare_nine_digits_only_next_to_ssn_words() -> None:
    assert pii("Here's my SSN: 123456789") == [("ssn", "123456789")]
    assert "ssn" not in cats("order number 123456789")


def test_ssn_mixed_separators_is_not_an_ssn() -> None:
    assert "ssn" not in cats("SSN 123-45 6789")


def test_ssn_evidence_is_fully_masked() -> None:
    (f,) = scan("SSN 123-45-6789", policy=POLICY).findings
    assert f.evidence == "***-**-****"


# -- phone numbers ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "phone",
    [
        "+44 20 7946 0958",
        "+1 (415) 555-0134",
        "+41 (0)27 240 04 99",
        "+447700900123",
        "+91 98765 43210",
        "(415) 555-0134",
        "(894)134-3524",
        "415-555-0134",
        "415.555.0134",
        "1-415-555-0134",
        "650-752-7354x549",
        "415-555-0134 ext. 12",
    ],
)
def test_phone_international_and_north_american_formats(phone: str) -> None:
    assert pii(f"reach the desk or write; {phone} is the number") == [("phone", phone)]


@pytest.mark.parametrize(
    "phone",
    ["020 7946 0958", "07700 900123", "06-12345678", "(02) 4071 4121", "04.15.68.30.65", "0699 888 72 47"],
)
def test_phone_national_with_trunk_prefix(phone: str) -> None:
    assert pii(f"the office is on {phone} most days") == [("phone", phone)]


@pytest.mark.parametrize(
    ("text", "phone"),
    [
        ("Mobile: 87 47 98", "87 47 98"),
        ("Can someone call me on 469 2020?", "469 2020"),
        ("Phone:\n96 771394", "96 771394"),
        ("26 841054-Office", "26 841054"),
        ("729 198 216 mobile", "729 198 216"),
        ("Desk: 6038505064", "6038505064"),
        ("They're not answering at (1) 995-8140", "(1) 995-8140"),
    ],
)
def test_phone_other_groupings_need_a_phone_word(text: str, phone: str) -> None:
    assert pii(text) == [("phone", phone)]
    bare = (
        text.replace("Mobile", "Ref")
        .replace("call", "see")
        .replace("Phone", "Code")
        .replace("Office", "Batch")
    )
    bare = bare.replace("mobile", "units").replace("Desk", "Id").replace("answering", "looking")
    assert "phone" not in cats(bare), bare


@pytest.mark.parametrize(
    "text",
    [
        "released on 2024-01-15 at 10:30:45",
        "version 1.2.3 and 10.4.2",
        "call it with max_cells = 10000000",
        "a taxi to 3348 84 Cassinia Street, call me",
        "we sold 1234 units in 2023",
        "x = 3.14159265",
        "call f(1, 2, 3)",
    ],
)
def test_not_a_phone(text: str) -> None:
    assert "phone" not in cats(text)


def test_phone_is_not_cut_short() -> None:
    # the whole run or nothing: never "0494 41 18" out of "0494 41 18 24"
    assert pii("Belgium\n0494 41 18 24-Office") == [("phone", "0494 41 18 24")]
    assert pii("Phone: 21 211 247 4770") == [("phone", "21 211 247 4770")]


# -- IP addresses ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "ip", ["192.168.0.1", "10.0.0.1", "8.8.8.8", "255.255.255.255", "0.0.0.0", "150.162.171.178"]
)
def test_ipv4_valid(ip: str) -> None:
    assert pii(f"blocked address {ip}.") == [("ip_address", ip)]


@pytest.mark.parametrize("text", ["256.1.1.1", "1.2.3.4.5", "01.2.3.4", "1.2.3", "1.2.3.999", "v1.2.3.4b"])
def test_ipv4_invalid(text: str) -> None:
    assert "ip_address" not in cats(text)


@pytest.mark.parametrize(
    "ip", ["2001:db8::1", "::1", "fe80::1ff:fe23:4567:890a", "2001:0db8:85a3:0000:0000:8a2e:0370:7334",
           "::ffff:192.0.2.128"]
)  # fmt: skip
def test_ipv6_valid(ip: str) -> None:
    assert pii(f"listen on {ip} now") == [("ip_address", ip)]


@pytest.mark.parametrize("text", ["2001:db8:::1", "12:30:45", "std::vector<int>", "a::b::c", "1:2"])
def test_ipv6_invalid(text: str) -> None:
    assert "ip_address" not in cats(text)


# -- dates of birth, addresses ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "date"),
    [
        ("born on 1990-05-17 in Leeds", "1990-05-17"),
        ("Date of birth: March 3, 1985", "March 3, 1985"),
        ("DOB 12/31/1985", "12/31/1985"),
        ("birthday: 3rd of July 1979", "3rd of July 1979"),
    ],
)
def test_date_of_birth_in_context(text: str, date: str) -> None:
    assert pii(text) == [("date_of_birth", date)]


@pytest.mark.parametrize(
    "text", ["born on 1990-02-30", "born on 13/13/1990", "meeting on 1990-05-17", "released March 3, 1985"]
)
def test_not_a_date_of_birth(text: str) -> None:
    assert "date_of_birth" not in cats(text)


def test_street_address() -> None:
    assert pii("ship it to 1600 Pennsylvania Avenue, Washington, DC 20500 please") == [
        ("address", "1600 Pennsylvania Avenue, Washington, DC 20500")
    ]


# -- several at once, redaction, evidence ----------------------------------------------------------

MIXED = (
    "Jane (jane.doe@example.com, +44 20 7946 0958) paid with card 4111 1111 1111 1111 from "
    "DE89 3704 0044 0532 0130 00; SSN 123-45-6789, server 10.0.0.1, born 1990-05-17."
)


def test_mixed_text_finds_each_once() -> None:
    assert pii(MIXED) == [
        ("email", "jane.doe@example.com"),
        ("phone", "+44 20 7946 0958"),
        ("card", "4111 1111 1111 1111"),
        ("iban", "DE89 3704 0044 0532 0130 00"),
        ("ssn", "123-45-6789"),
        ("ip_address", "10.0.0.1"),
        ("date_of_birth", "1990-05-17"),
    ]


def test_redaction_uses_typed_placeholders_and_consistent_offsets() -> None:
    v = redact(MIXED, policy=POLICY)
    assert v.redacted_text == (
        "Jane ([EMAIL], [PHONE]) paid with card [CARD] from [IBAN]; SSN [SSN], server [IP_ADDRESS], "
        "born [DATE_OF_BIRTH]."
    )
    assert v.redacted_text is not None
    for r in v.redactions:
        assert v.redacted_text[r.out_start : r.out_end] == r.replacement


def _digits(s: str) -> str:
    return re.sub(r"\D", "", s)


def test_evidence_never_holds_the_identifier() -> None:
    v = scan(MIXED, policy=POLICY)
    assert len(v.findings) == 7
    for f in v.findings:
        value = MIXED[f.start : f.end]
        assert value not in f.evidence
        d = _digits(value)
        if len(d) >= 4:
            shown = _digits(f.evidence)
            assert len(shown) <= len(d) // 4 or shown == d[-4:], (f.category, f.evidence)


def test_pii_split_across_stream_chunks_is_found() -> None:
    s = StreamScanner(policy=POLICY.with_(mode="redact"))
    out = [s.feed(c).emitted for c in ("call me on +44 20 79", "46 0958 or mail jane.d", "oe@example.com ok")]
    out.append(s.close().emitted)
    assert "".join(out) == "call me on [PHONE] or mail [EMAIL] ok"


# -- properties on arbitrary Unicode ---------------------------------------------------------------

pii_alphabet = st.sampled_from([*"0123456789 -.()+@:/abcxyzABCDEFGH_\n", "\u200b", "é", "٣", "\U000e0041"])
pii_like = st.text(alphabet=pii_alphabet, max_size=80)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.one_of(st.text(max_size=200), pii_like, st.builds(lambda a, b: a + MIXED + b, pii_like, pii_like)))
def test_redact_never_raises_offsets_in_bounds_and_idempotent(text: str) -> None:
    v = redact(text, policy=POLICY)
    assert not v.errors
    for f in v.findings:
        assert 0 <= f.start <= f.end <= len(text)
    assert v.redacted_text is not None
    again = redact(v.redacted_text, policy=POLICY)
    assert again.redacted_text == v.redacted_text


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=300))
def test_pii_detector_never_raises_on_any_unicode(text: str) -> None:
    for f in PIIDetector().detect(Prepared(text), POLICY, ScanContext(), Budget(10.0)):
        assert 0 <= f.start < f.end <= len(text)
        assert f.placeholder is not None


# -- cross-check against presidio-analyzer's pattern recognizers (optional dependency) -------------


def test_cross_check_with_presidio_pattern_recognizers() -> None:
    pytest.importorskip(
        "presidio_analyzer",
        reason="presidio-analyzer is not installed (optional; see benchmarks/sanitizer_pii.py)",
    )
    import tldextract
    from presidio_analyzer.predefined_recognizers import (
        CreditCardRecognizer,
        EmailRecognizer,
        IbanRecognizer,
        IpRecognizer,
    )

    tldextract.extract = tldextract.TLDExtract(suffix_list_urls=(), cache_dir=None)  # no network
    ours_type = {
        "CREDIT_CARD": "card",
        "EMAIL_ADDRESS": "email",
        "IBAN_CODE": "iban",
        "IP_ADDRESS": "ip_address",
    }
    recognizers = [CreditCardRecognizer(), EmailRecognizer(), IbanRecognizer(), IpRecognizer()]
    rng = random.Random(99)
    items = []
    for i in range(40):
        prefix = rng.choice(["4", "51", "37", "6011", "3530"])
        n = 15 if prefix == "37" else 16
        items.append(group(luhn_complete(prefix, n, seed=i), rng.choice([" ", "-", ""]), (4, 4, 4, 4)))
        items.append(f"{rng.choice(['ann', 'bo.li', 'x_y'])}{i}@example{i}.com")
        items.append(iban_with_check("DE", "".join(rng.choice(string.digits) for _ in range(18))))
        items.append(".".join(str(rng.randrange(256)) for _ in range(4)))
    agreed = 0
    for item in items:
        text = f"Details: {item} (sent today)"
        theirs = {
            (ours_type[r.entity_type], r.start, r.end)
            for rec in recognizers
            for r in rec.analyze(text, rec.supported_entities, None)
            if r.score > 0.5
        }
        ours = {(f.category, f.start, f.end) for f in scan(text, policy=POLICY).findings}
        assert theirs <= ours, (text, theirs, ours)
        agreed += len(theirs)
    assert agreed >= len(items) * 0.9  # presidio found (almost) all of them too: the check is not vacuous


@given(st.text(alphabet="AB12 ", max_size=40), st.integers(min_value=1, max_value=40))
def test_after_chars_counts_like_a_walk(s: str, count: int) -> None:
    from midstream_mcp.core.sanitizer.pii import _after_chars

    n, want = 0, -1
    for i, ch in enumerate(s, 1):
        if ch != " ":
            n += 1
            if n == count:
                want = i
                break
    assert _after_chars(s, count) == want


_PHONE_WORD_PIECES = [
    "phone", "Tel", "MOBILE", "cell", "fax", "calling", "ring", "dialled", "text", "SMS", "messages",
    "whats app", "WhatsApp", "signal", "contact", "desk", "landline", "hotline", "answering", "reachable",
    "voicemail", "mob", "ph", "home", "office", "string", "during", " ", ": ", "\n", "=", "x", "ı", "ſ",
]  # fmt: skip


@given(st.lists(st.sampled_from(_PHONE_WORD_PIECES), max_size=12).map("".join))
def test_phone_word_hints_never_hide_a_phone_word(before: str) -> None:
    from midstream_mcp.core.sanitizer import pii

    raw = before + " 555 0134 22"
    start = len(before) + 1
    want = pii._word_before(pii._PHONE_BEFORE, raw, start, True)
    assert pii._word_before(pii._PHONE_BEFORE, raw, start, True, pii._PHONE_HINTS) == want


def _pieced(words: str, n: int, seed: int, most: int) -> list[str]:
    """``n`` texts of at most ``most`` pieces: the space-separated ``words``, a space, two, a newline."""
    pieces = [*words.split(" "), " ", "  ", "\n"]
    rng = random.Random(seed)
    return ["".join(rng.choice(pieces) for _ in range(rng.randrange(0, most))) for _ in range(n)]


def test_ipv4_tries_only_starts_before_a_core_and_finds_what_finditer_finds() -> None:
    for raw in _pieced("1 0 25 255 256 192 . . .. a _ - : / \u0663 10.0.0.1", 6000, 12, 30):
        want = [
            (m.start(), m.end())
            for m in pii_module._IPV4.finditer(raw)
            if all(int(o) <= 255 and (o == "0" or o[0] != "0") for o in m.group().split("."))
        ]
        out: list[tuple[str, int, int, float, str]] = []
        pii_module._ipv4(raw, out)
        assert [(s, e) for _, s, e, _, _ in out] == want, raw


def test_shaped_scans_find_what_the_plain_regexes_find() -> None:
    for n, raw in enumerate(_pieced("DE GB X a 0 12 44 7 . - ( ) / + _ é", 6000, 13, 40)):
        pos = n % (len(raw) + 1)
        want = [m.span() for m in pii_module._IBAN.finditer(raw, pos)]
        assert [m.span() for m in pii_module._iban_matches(raw, pos)] == want, raw
        if raw.isascii():
            shape = raw.encode("ascii").translate(pii_module._NUM_SHAPE)
            got = [m.span() for m in pii_module._NUM_GATE_SHAPED.finditer(shape, pos)]
            assert got == [m.span() for m in pii_module._NUM_GATE.finditer(raw, pos)], raw
