"""Invisible text: zero-width, bidi controls, tag characters, variation selectors; emoji glue left alone."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from midstream_mcp.core.sanitizer import Policy, ScanContext, redact
from midstream_mcp.core.sanitizer._base import Budget, Prepared
from midstream_mcp.core.sanitizer.invisible import InvisibleDetector, category_of

POLICY = Policy(injection=False, time_budget_s=10.0)


def found(text: str, policy: Policy = POLICY) -> list[tuple[str, int, int, str | None]]:
    return [
        (f.category, f.start, f.end, f.placeholder)
        for f in InvisibleDetector().detect(Prepared(text), policy, ScanContext(), Budget(10.0))
    ]


def tags(s: str) -> str:
    return "".join(chr(0xE0000 + ord(c)) for c in s)


def test_plain_text_has_nothing() -> None:
    assert found("hello world") == []
    assert found("naïve café, 日本語, Ελληνικά") == []


@pytest.mark.parametrize(
    ("text", "category", "span"),
    [
        ("ig\u200bnore", "zero_width", (2, 3)),
        ("a\u200c\u200db", "zero_width", (1, 3)),
        ("x\ufeffy", "zero_width", (1, 2)),
        ("soft\u00adhyphen", "zero_width", (4, 5)),
        ("abc\u202edcba", "bidi_control", (3, 4)),
        ("\u2066isolate\u2069", "bidi_control", (0, 1)),
        ("hi" + tags("secret"), "tag_characters", (2, 8)),
        ("a\ufe0fb", "variation_selector", (1, 2)),
    ],
)
def test_each_kind(text: str, category: str, span: tuple[int, int]) -> None:
    got = found(text)
    assert got[0][:3] == (category, *span)


def test_scores_tag_and_bidi_higher_than_zero_width() -> None:
    by_cat = {
        f.category: f.score
        for text in ("a\u200bb", "a\u202eb", "a" + tags("x"))
        for f in InvisibleDetector().detect(Prepared(text), POLICY, ScanContext(), Budget(1.0))
    }
    assert by_cat["tag_characters"] > by_cat["zero_width"]
    assert by_cat["bidi_control"] > by_cat["zero_width"]


@pytest.mark.parametrize(
    "text",
    [
        "family \U0001f468\u200d\U0001f469\u200d\U0001f467 photo",  # ZWJ sequence
        "love \u2764\ufe0f it",  # emoji presentation selector after a symbol
        "flag \U0001f3f4\U000e0067\U000e0062\U000e0065\U000e006e\U000e0067\U000e007f here",  # England
    ],
)
def test_emoji_glue_is_not_reported(text: str) -> None:
    assert found(text) == []


def test_strip_mode_removes_them_in_redaction_and_warn_mode_keeps_them() -> None:
    text = "pay\u200b now\u202e!"
    assert [p for *_, p in found(text)] == ["", ""]
    v = redact(text, policy=POLICY)
    assert v.redacted_text == "pay now!"
    warn = POLICY.with_(invisible_action="warn")
    assert [p for *_, p in found(text, warn)] == [None, None]
    assert redact(text, policy=warn).redacted_text == text


def test_category_of_prefers_the_most_telling_kind() -> None:
    assert category_of("\u200b" + tags("a")) == "tag_characters"
    assert category_of("\u200b\u202e") == "bidi_control"
    assert category_of("\u200b\ufe0f") == "variation_selector"
    assert category_of("\u200b") == "zero_width"


def test_evidence_names_code_points_not_text() -> None:
    (f,) = InvisibleDetector().detect(Prepared("a" + tags("pw")), POLICY, ScanContext(), Budget(1.0))
    assert "U+E0070" in f.evidence and "pw" not in f.evidence


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=100))
def test_never_raises_and_spans_are_invisible_runs(text: str) -> None:
    for cat, start, end, _ in found(text):
        assert 0 <= start < end <= len(text)
        assert cat in ("zero_width", "bidi_control", "tag_characters", "variation_selector")
