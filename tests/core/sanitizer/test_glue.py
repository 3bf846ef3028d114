"""Glued words: the split rule and the offset map of the text with the spaces put back."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from midstream_mcp.core.sanitizer._glue import deglue, glued_words, origin, parts, split_points

GLUE = frozenset({"ignore", "previous", "instructions", "prompt", "system"})
VOCAB = GLUE | {"all", "plain", "the"}


def test_a_word_glued_after_a_rule_word_splits_where_the_rule_word_ends() -> None:
    assert split_points("instructionsplain", GLUE, VOCAB) == (12,)
    assert parts("instructionsplain", (12,)) == ["instructions", "plain"]


def test_a_word_glued_before_a_rule_word_splits_where_it_begins() -> None:
    assert split_points("allignore", GLUE, VOCAB) == (3,)


def test_two_rule_words_glued_split_once() -> None:
    assert split_points("previousinstructions", GLUE, VOCAB) == (8,)


def test_a_rule_word_inside_a_word_both_sides_glued_is_not_split() -> None:
    assert split_points("xxignoreyy", GLUE, VOCAB) == ()


def test_two_letters_left_over_split_off_only_when_they_are_a_word() -> None:
    assert split_points("toignore", GLUE, VOCAB | {"to"}) == (2,)
    assert split_points("diprompt", GLUE, VOCAB) == ()  # "di" + "prompt": a prefix, no word


def test_a_rule_word_with_one_letter_more_is_not_split() -> None:
    # "prompts", "ignored": inflections, not glue (at least two letters must be left over).
    assert split_points("prompts", GLUE, VOCAB) == ()
    assert split_points("ignored", GLUE, VOCAB) == ()


def test_words_of_the_vocabulary_and_short_words_are_never_split() -> None:
    words = ["instructions", "systemic", "promptly", "allignore", "ignoreall"]
    got = glued_words(words, VOCAB | {"systemic"}, GLUE)
    assert got == {"allignore": (3,), "ignoreall": (6,)}  # "promptly": "ly" is no word


def test_deglue_puts_the_spaces_back_and_maps_every_character_home() -> None:
    folded = "ignore all previousinstructions, and ignoreall. previousinstructions"
    glued = {"previousinstructions": (8,), "ignoreall": (6,)}
    text, spaces = deglue(folded, glued)
    assert text == "ignore all previous instructions, and ignore all. previous instructions"
    assert [text[i] for i in spaces] == [" "] * 3
    for i, c in enumerate(text):
        if i not in spaces:
            assert folded[origin(spaces, i)] == c
        else:  # a space put in stands for the character after it
            assert origin(spaces, i) == origin(spaces, i + 1)


def test_deglue_leaves_a_glued_word_inside_a_longer_word_alone() -> None:
    text, _ = deglue("xignoreall ignoreallx ignoreall", {"ignoreall": (6,)})
    assert text == "xignoreall ignoreallx ignore all"


@given(st.text(alphabet="abcdeignorpstuvlm ,.", max_size=80))
def test_deglue_only_adds_spaces(folded: str) -> None:
    glued = glued_words(set(folded.replace(",", " ").replace(".", " ").split()), VOCAB, GLUE)
    if not glued:
        return
    text, spaces = deglue(folded, glued)
    assert len(text) == len(folded) + len(spaces)
    assert text.replace(" ", "") == folded.replace(" ", "")
    assert all(folded[origin(spaces, i)] == c for i, c in enumerate(text) if i not in spaces)


def test_a_suffix_overlapping_the_prefix_is_not_split_off_too() -> None:
    glue = GLUE | {"encode", "encoded", "decipher"}
    assert split_points("encodedecipher", glue, VOCAB) == (7,)
    assert split_points("encodeplaindecipher", glue, VOCAB) == (6, 11)
