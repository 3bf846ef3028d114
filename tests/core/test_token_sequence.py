"""Token-sequence matching over a stream: the same matches whatever the chunking, as a naive scan finds."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from midstream_mcp.core._patterns import TOKEN_RE, Match, TokenSequenceMatcher
from midstream_mcp.core.analytics.compare import edit_distance, lcs_length


def naive_matches(text: str, pattern: tuple[str, ...], k: int, metric: str) -> list[Match]:
    """Every token of the whole text in turn, as the last of a window of ``m + k`` tokens: the best window
    tail within ``k`` edits (shortest on ties), not overlapping the previous match."""
    m = len(pattern)
    pattern = tuple(t.lower() for t in pattern)
    tokens = [(t.group().lower(), t.start(), t.end(), t.lastindex == 1) for t in TOKEN_RE.finditer(text)]
    out: list[Match] = []
    last_end = -1
    for j in range(len(tokens)):
        window = tokens[max(0, j + 1 - (m + k)) : j + 1]
        toks = [t for t, _, _, _ in window]
        best_d, best_l = k + 1, 0
        for length in range(max(1, m - k), min(len(toks), m + k) + 1):
            cand = toks[-length:]
            d = m - lcs_length(list(pattern), cand) if metric == "lcs" else edit_distance(list(pattern), cand)
            if d < best_d:
                best_d, best_l = d, length
                if d == 0:
                    break
        if best_d > k:
            continue
        start, end = window[-best_l][1], window[-1][2]
        if start < last_end:
            continue
        last_end = end
        is_word = window[-1][3]
        # a word is complete once the next character arrives (at the close, if none does)
        decided = None if is_word and end == len(text) else end + (1 if is_word else 0)
        out.append(Match("t", start, end, decided, " ".join(toks[-best_l:]), best_d))
    return out


_words = st.sampled_from(["wire", "the", "money", "now", "Wire", "cash", "a", "b", ",", "!", "é", "x1"])


@settings(max_examples=300, deadline=None)
@given(
    st.lists(_words, min_size=0, max_size=40),
    st.lists(st.sampled_from([" ", "  ", "", "\n"]), min_size=40, max_size=40),
    st.lists(st.integers(1, 12), min_size=1, max_size=30),
    st.sampled_from([("wire", "the", "money", "now"), ("a", "b"), ("money",)]),
    st.integers(0, 2),
    st.sampled_from(["edit", "lcs"]),
)
def test_streamed_matches_equal_the_naive_scan(
    words: list[str], seps: list[str], cuts: list[int], pattern: tuple[str, ...], k: int, metric: str
) -> None:
    text = "".join(w + s for w, s in zip(words, seps, strict=False))
    matcher = TokenSequenceMatcher("t", pattern, k, metric)
    got: list[Match] = []
    at = 0
    for size in cuts:
        got += matcher.feed(text[at : at + size])
        at += size
    got += matcher.feed(text[at:]) + matcher.feed("", final=True)
    assert got == naive_matches(text, pattern, k, metric)
