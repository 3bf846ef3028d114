"""Words glued together: "Ignore all previous instructionsplain", "previousinstructions".

Writing a phrase with a space left out keeps it readable for a model and takes it past any rule
that wants whole words. A word of the text that is not in the rules' vocabulary but starts or
ends with a rule word of :data:`GLUE_MIN` letters or more (what is left beside it three letters
or more, or a two-letter word) is read as two or three words, split where the rule word ends or
begins. The injection detector then searches the text with the spaces put back (:func:`deglue`)
for the rules that pass their word gates only with those parts, that lost their place to start
because a lead word was glued, or that were searched in vain while a part is a word of their
pattern; no other rule is, so ordinary compound words ("throughput", "otherwise") cost nothing
but the look-up.

This module is the reference; the kernel (``_kernels.gate_view``) finds the same splits.
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Iterable

#: The shortest rule word a glued word is split around ("ignore", "prompt", "rules" are five or more).
GLUE_MIN = 5
#: The shortest glued word worth splitting: a rule word and at least two more letters.
GLUED_MIN = GLUE_MIN + 2


def split_points(word: str, glue_words: frozenset[str], vocab: frozenset[str]) -> tuple[int, ...]:
    """Where ``word`` splits around a glue word, in order: after its longest glue-word prefix and
    before its longest glue-word suffix, the suffix only where it does not overlap the prefix; ()
    when neither exists. What is left beside the glue word must be three letters or more, or a
    two-letter word of ``vocab`` ("toignore"): "divisible" is no "di" + "visible".
    """
    n = len(word)
    first = second = -1
    for length in range(n - 2, GLUE_MIN - 1, -1):
        if word[:length] in glue_words and (n - length > 2 or word[length:] in vocab):
            first = length
            break
    for length in range(n - 2, GLUE_MIN - 1, -1):
        if word[n - length :] in glue_words and (n - length > 2 or word[: n - length] in vocab):
            second = n - length
            break
    if second < first:
        second = -1  # "encodedecipher": "encoded" + "ecipher", not also "encode" + "decipher"
    return tuple(sorted({p for p in (first, second) if p >= 0}))


def parts(word: str, points: Iterable[int]) -> list[str]:
    """``word`` cut at ``points`` (in order)."""
    out, at = [], 0
    for p in points:
        out.append(word[at:p])
        at = p
    out.append(word[at:])
    return out


def glued_words(
    words: Iterable[str], vocab: frozenset[str], glue_words: frozenset[str]
) -> dict[str, tuple[int, ...]]:
    """The words of a text that split around a glue word: word -> its split points.

    Only words outside ``vocab`` (a rule word is never split) and of :data:`GLUED_MIN` letters or more.
    """
    out = {}
    for w in words:
        if len(w) >= GLUED_MIN and w not in vocab:
            points = split_points(w, glue_words, vocab)
            if points:
                out[w] = points
    return out


def deglue(folded: str, glued: dict[str, tuple[int, ...]]) -> tuple[str, list[int]]:
    """``folded`` with a space put in at each split point of each whole glued word, and where in the
    result those spaces stand, in order (see :func:`origin`)."""
    cuts: list[int] = []  # split points in ``folded``
    for word, points in glued.items():
        # ``str.find`` and a look at the neighbours: a regex with look-arounds tries every position.
        i = folded.find(word)
        while i >= 0:
            end = i + len(word)
            if (i == 0 or not _is_letter(folded[i - 1])) and (
                end == len(folded) or not _is_letter(folded[end])
            ):
                cuts.extend(i + p for p in points)
            i = folded.find(word, end)
    cuts.sort()
    return " ".join(parts(folded, cuts)), [c + k for k, c in enumerate(cuts)]


def _is_letter(c: str) -> bool:
    return "a" <= c <= "z"


def origin(spaces: list[int], i: int) -> int:
    """Where character ``i`` of :func:`deglue`'s result came from (a space put in: the character after it)."""
    return i - bisect_left(spaces, i)
