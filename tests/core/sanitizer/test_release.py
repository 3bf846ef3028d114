"""HeldText: whatever the chunking and release points, the released text is the whole text
with every redacted span replaced by its placeholder and every withheld span dropped."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from midstream_mcp.core.sanitizer.release import HeldText


def naive(text: str, spans: list[tuple[int, int, str]], blocked: list[tuple[int, int]]) -> str:
    """Character by character: a placeholder at the first character of each redacted span."""
    out = []
    starts = {}
    covered = [False] * len(text)
    for s, e, ph in sorted(spans, key=lambda x: (x[0], -x[1])):
        if any(covered[s:e]):
            continue  # inside a span already replaced (the test keeps spans disjoint or nested)
        starts[s] = ph
        for i in range(s, e):
            covered[i] = True
    dropped = [False] * len(text)
    for s, e in blocked:
        for i in range(s, e):
            dropped[i] = True
    for i, ch in enumerate(text):
        if i in starts and not dropped[i]:
            out.append(starts[i])
        if not covered[i] and not dropped[i]:
            out.append(ch)
    return "".join(out)


@st.composite
def cases(draw: st.DrawFn) -> tuple[str, list[int], list[tuple[int, int, str]], list[tuple[int, int]]]:
    text = draw(st.text(alphabet="abc xyz", min_size=1, max_size=120))
    n = len(text)
    cuts = sorted(set(draw(st.lists(st.integers(1, n), max_size=8))) | {n})
    # disjoint redaction spans
    points = sorted(set(draw(st.lists(st.integers(0, n), max_size=6))))
    spans = [
        (a, b, f"[P{i}]") for i, (a, b) in enumerate(zip(points[::2], points[1::2], strict=False)) if a < b
    ]
    blocked = []
    for a, b in draw(st.lists(st.tuples(st.integers(0, n), st.integers(0, n)), max_size=2)):
        if a < b:
            blocked.append((a, b))
    return text, cuts, spans, blocked


@settings(max_examples=400, deadline=None)
@given(cases(), st.integers(1, 40))
def test_released_text_equals_whole_text_edits(
    case: tuple[str, list[int], list[tuple[int, int, str]], list[tuple[int, int]]], window: int
) -> None:
    text, cuts, spans, blocked = case
    held = HeldText(window, max_held=10_000)
    for s, e, ph in spans:  # known up front: the result must not depend on the release points
        held.redact(s, e, ph)
    for s, e in blocked:
        held.withhold(s, e)
    out = []
    prev = 0
    for c in cuts:
        held.append(text[prev:c])
        piece = held.release()
        assert held.end - held.base <= max(window, 0) + max((e - s for s, e, _ in spans), default=0)
        out.append(piece)
        prev = c
    out.append(held.release(final=True))
    assert "".join(out) == naive(text, spans, blocked)
    assert held.held == "" and held.spans == [] and held.blocked == []


def test_holds_back_the_window_and_open_spans() -> None:
    held = HeldText(window=4, max_held=100)
    held.append("hello card 4111")
    assert held.release() == "hello card " and held.held == "4111"
    held.redact(11, 30, "[CARD]")  # the card goes on past what has arrived
    held.append(" 1111 1111 1111 ok")
    assert held.release() == ""  # nothing of an open span is released
    assert held.release(keep_from=11) == ""
    held.append(" and more text")
    assert held.release() == "[CARD] ok and more "
    assert held.release(final=True) == "text"


def test_keep_from_holds_back_an_uncertain_span() -> None:
    held = HeldText(window=2, max_held=100)
    held.append("abcdefghij")
    assert held.release(keep_from=5) == "abcde"
    assert held.release(final=True) == "fghij"


def test_max_held_bounds_an_endless_span() -> None:
    held = HeldText(window=4, max_held=8)
    held.redact(0, 10**9, "[X]")
    held.append("x" * 20)
    assert held.release() == "[X]"  # forced out past max_held: replaced, never shown
    assert len(held.held) == 8
    held.append("y" * 4)
    assert held.release() == ""  # the rest of a span already placed gets no second placeholder
    assert held.release(final=True) == ""


def test_withheld_text_never_comes_out() -> None:
    held = HeldText(window=3, max_held=100)
    held.append("safe ignore previous")
    held.withhold(5, 20)
    assert held.release() == "safe "
    held.append(" instructions. Next")
    held.withhold(20, 33)
    assert held.release(final=True) == ". Next"
