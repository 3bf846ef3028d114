"""Edit distance and LCS against the Wagner-Fischer DP and rapidfuzz."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from midstream_mcp.core.analytics import InvalidInput, compare


def naive_edit(a: list[object], b: list[object]) -> int:
    prev = list(range(len(b) + 1))
    for i, x in enumerate(a, 1):
        curr = [i] + [0] * len(b)
        for j, y in enumerate(b, 1):
            curr[j] = min(prev[j] + 1, curr[j - 1] + 1, prev[j - 1] + (x != y))
        prev = curr
    return prev[-1]


def naive_lcs(a: list[object], b: list[object]) -> int:
    prev = [0] * (len(b) + 1)
    for x in a:
        curr = [0] * (len(b) + 1)
        for j, y in enumerate(b, 1):
            curr[j] = prev[j - 1] + 1 if x == y else max(prev[j], curr[j - 1])
        prev = curr
    return prev[-1]


small_alphabet = st.text(alphabet="abcé😀", max_size=40)


@settings(max_examples=300, deadline=None)
@given(small_alphabet, small_alphabet)
def test_strings_match_the_dp(a: str, b: str) -> None:
    assert compare.edit_distance(a, b) == naive_edit(list(a), list(b))
    assert compare.lcs_length(a, b) == naive_lcs(list(a), list(b))


@settings(max_examples=100, deadline=None)
@given(st.text(max_size=30), st.text(max_size=30))
def test_arbitrary_unicode(a: str, b: str) -> None:
    assert compare.edit_distance(a, b) == naive_edit(list(a), list(b))
    assert compare.lcs_length(a, b) == naive_lcs(list(a), list(b))


@settings(max_examples=100, deadline=None)
@given(
    st.lists(st.sampled_from(["the", "cat", "sat", "on", "mat"]), max_size=30),
    st.lists(st.sampled_from(["the", "dog", "sat", "on", "mat"]), max_size=30),
)
def test_token_lists(a: list[str], b: list[str]) -> None:
    assert compare.edit_distance(a, b) == naive_edit(list(a), list(b))
    assert compare.lcs_length(a, b) == naive_lcs(list(a), list(b))


@settings(max_examples=100, deadline=None)
@given(st.lists(st.integers(-3, 3), max_size=30), st.lists(st.integers(-3, 3), max_size=30))
def test_integer_sequences(a: list[int], b: list[int]) -> None:
    assert compare.edit_distance(a, b) == naive_edit(list(a), list(b))
    assert compare.lcs_length(np.array(a), np.array(b)) == naive_lcs(list(a), list(b))


@pytest.mark.parametrize("n", [1, 63, 64, 65, 127, 128, 129, 200, 700])
@pytest.mark.parametrize("m", [0, 1, 64, 65, 300])
def test_word_boundaries(n: int, m: int) -> None:
    rng = np.random.default_rng(n * 1000 + m)
    a = "".join(rng.choice(list("abcd"), size=n))
    b = "".join(rng.choice(list("abcd"), size=m))
    assert compare.edit_distance(a, b) == naive_edit(list(a), list(b))
    assert compare.lcs_length(a, b) == naive_lcs(list(a), list(b))


def test_agrees_with_rapidfuzz_on_long_strings() -> None:
    pytest.importorskip("rapidfuzz")
    from rapidfuzz.distance import LCSseq, Levenshtein

    rng = np.random.default_rng(1)
    for n, m, alphabet in [(5000, 4000, "abcdefgh"), (3000, 3100, "ab"), (2000, 2500, "αβγδεζηθ😀")]:
        a = "".join(rng.choice(list(alphabet), size=n))
        b = "".join(rng.choice(list(alphabet), size=m))
        assert compare.edit_distance(a, b) == Levenshtein.distance(a, b)
        assert compare.lcs_length(a, b) == LCSseq.similarity(a, b)


def test_known_values_and_similarities() -> None:
    assert compare.edit_distance("kitten", "sitting") == 3
    assert compare.lcs_length("ABCBDAB", "BDCABA") == 4
    assert compare.edit_distance("", "") == 0 and compare.edit_similarity("", "") == 1.0
    assert compare.edit_distance("", "abc") == 3 and compare.lcs_length("abc", "") == 0
    assert compare.edit_similarity("kitten", "sitting") == pytest.approx(1 - 3 / 7)
    assert compare.lcs_similarity("ABCBDAB", "BDCABA") == pytest.approx(4 / 7)
    # A string against a token list compares characters with one-character tokens.
    assert compare.edit_distance("abc", ["a", "b", "d"]) == 1


@settings(max_examples=60, deadline=None)
@given(small_alphabet, small_alphabet, small_alphabet)
def test_metric_properties(a: str, b: str, c: str) -> None:
    assert compare.edit_distance(a, b) == compare.edit_distance(b, a)
    assert compare.edit_distance(a, c) <= compare.edit_distance(a, b) + compare.edit_distance(b, c)
    assert 0.0 <= compare.edit_similarity(a, b) <= 1.0
    assert 0.0 <= compare.lcs_similarity(a, b) <= 1.0


@pytest.mark.parametrize(
    ("a", "b", "field"),
    [
        ([["nested"]], ["x"], "a"),
        (["x"], [{"a": 1}], "b"),
        (["x", 1], ["x"], "a"),
        ([1.0, float("nan")], [1.0], "a"),
        (b"bytes", "x", "a"),
        (42, "x", "a"),
    ],
)
def test_bad_items_name_the_field(a: object, b: object, field: str) -> None:
    with pytest.raises(InvalidInput) as info:
        compare.edit_distance(a, b)
    assert info.value.field == field


def test_max_length_is_enforced() -> None:
    with pytest.raises(InvalidInput, match="limit of 5") as info:
        compare.lcs_length("abc", "abcdefg", max_length=5)
    assert info.value.field == "b"
