"""numba kernels for the character-class scans of the injection detector (ASCII text only).

Imported only by :func:`._fast.load` (the background warm-up), never at import time
of the sanitizer: until the kernels are loaded the detectors run their pure-Python
paths, which are the reference these kernels must agree with exactly (see
``tests/core/sanitizer/test_kernels.py``).

Every kernel takes the text as a ``uint8`` array of ASCII bytes.
"""

from __future__ import annotations

import numpy as np
from numba import njit

# -- character classes (ASCII; Python's ``str.isspace`` and ``re``'s ``\s`` agree on them) -------


@njit(cache=True, nogil=True, inline="always")
def _ws(c: int) -> bool:
    return c == 32 or 9 <= c <= 13 or 28 <= c <= 31


@njit(cache=True, nogil=True, inline="always")
def _punct(c: int) -> bool:  # [!-/:-@\[-`{-~]
    return 33 <= c <= 47 or 58 <= c <= 64 or 91 <= c <= 96 or 123 <= c <= 126


@njit(cache=True, nogil=True, inline="always")
def _upper(c: int) -> bool:
    return 65 <= c <= 90


@njit(cache=True, nogil=True, inline="always")
def _lower(c: int) -> bool:
    return 97 <= c <= 122


@njit(cache=True, nogil=True, inline="always")
def _letter(c: int) -> bool:
    return 65 <= c <= 90 or 97 <= c <= 122


@njit(cache=True, nogil=True, inline="always")
def _word(c: int) -> bool:  # \w
    return 65 <= c <= 90 or 97 <= c <= 122 or 48 <= c <= 57 or c == 95


@njit(cache=True, nogil=True, inline="always")
def _quiet(c: int) -> bool:  # [-*/&.,:;"'|=+#>]: punctuation that alone is no punct mark
    return (
        c == 45 or c == 42 or c == 47 or c == 38 or c == 46 or c == 44 or c == 58 or c == 59
        or c == 34 or c == 39 or c == 124 or c == 61 or c == 43 or c == 35 or c == 62
    )  # fmt: skip


@njit(cache=True, nogil=True, inline="always")
def _fsym(c: int) -> bool:  # [\\\][(){}*+!^~`|<>]: the symbols of a fused word
    return (
        c == 92 or c == 93 or c == 91 or c == 40 or c == 41 or c == 123 or c == 125 or c == 42
        or c == 43 or c == 33 or c == 94 or c == 126 or c == 96 or c == 124 or c == 60 or c == 62
    )  # fmt: skip


@njit(cache=True, nogil=True, inline="always")
def _suffix_match(b: np.ndarray, p: int, n: int) -> tuple[int, int]:
    """``(kind, end)`` of ``_SUFFIX_RE.match(text, p)`` on ``b`` (kind -1: no match).

    Kinds as ``injection._SUFFIX_KIND``: punct 0, bracket 1, glue 2, cluster 3, fused 4;
    the alternatives are tried in the regex's order: punct, bracket, glue, fused, cluster.
    """
    c = b[p]
    after_space = p == 0 or _ws(b[p - 1])
    if _punct(c):
        run = p
        while run < n and _punct(b[run]):
            run += 1
        length = run - p
        # punct: (?<!\S)(?![quiet]+(?!\S))[P]{1,3}(?!\S)
        if after_space and length <= 3 and (run == n or _ws(b[run])):
            quiet = True
            for k in range(p, run):
                if not _quiet(b[k]):
                    quiet = False
                    break
            if not quiet:
                return 0, run
        # bracket: (?<!\S)[\[{][A-Za-z]\w*(?![\w\]}])
        if after_space and (c == 91 or c == 123) and p + 1 < n and _letter(b[p + 1]):
            q = p + 2
            while q < n and _word(b[q]):
                q += 1
            if q == n or (b[q] != 93 and b[q] != 125):
                return 1, q
        # cluster: [P]{2,}
        if length >= 2:
            return 3, run
        return -1, 0
    if not _letter(c):
        return -1, 0
    # glue: \b[a-z]{3,}[A-Z]+[a-zA-Z]*\b | \b[A-Z][a-z]{2,}[A-Z]{2,}[a-zA-Z]*\b
    if p == 0 or not _word(b[p - 1]):
        q = -1
        if _lower(c):
            r = p
            while r < n and _lower(b[r]):
                r += 1
            if r - p >= 3 and r < n and _upper(b[r]):
                q = r
        else:
            r = p + 1
            while r < n and _lower(b[r]):
                r += 1
            if r - p - 1 >= 2:
                u = r
                while u < n and _upper(b[u]):
                    u += 1
                if u - r >= 2:
                    q = r
        if q >= 0:
            while q < n and _letter(b[q]):
                q += 1
            if q == n or not _word(b[q]):
                return 2, q
    # fused: (?<![A-Za-z])[A-Za-z]{2,}[fused symbols]{1,3}[A-Za-z"'][A-Za-z]*
    if p == 0 or not _letter(b[p - 1]):
        r = p
        while r < n and _letter(b[r]):
            r += 1
        if r - p >= 2:
            s = r
            while s < n and _fsym(b[s]):
                s += 1
            if 1 <= s - r <= 3 and s < n and (_letter(b[s]) or b[s] == 34 or b[s] == 39):
                e = s + 1
                while e < n and _letter(b[e]):
                    e += 1
                return 4, e
    return -1, 0


@njit(cache=True, nogil=True)
def suffix_marks(b: np.ndarray, prose: np.ndarray) -> tuple[np.ndarray, np.ndarray, int]:
    """Every mark of ``_SUFFIX_RE.finditer`` over ``b``: positions, kinds and how many.

    Clusters whose bytes (packed little-endian into an int64, at most 8 bytes) are in the
    sorted array ``prose`` are left out, as ``injection._PROSE_CLUSTERS`` are.
    """
    n = b.shape[0]
    pos = np.empty(n, np.int64)
    kinds = np.empty(n, np.int64)
    m = 0
    p = 0
    while p < n:
        c = b[p]
        # A mark starts at punctuation or at a letter that no letter precedes.
        if not (_punct(c) or (_letter(c) and (p == 0 or not _letter(b[p - 1])))):
            p += 1
            continue
        kind, end = _suffix_match(b, p, n)
        if kind < 0:
            p += 1
            continue
        keep = True
        if kind == 3 and end - p <= 8:
            code = 0
            for k in range(end - 1, p - 1, -1):
                code = (code << 8) | b[k]
            i = np.searchsorted(prose, code)
            keep = not (i < prose.shape[0] and prose[i] == code)
        if keep:
            pos[m] = p
            kinds[m] = kind
            m += 1
        p = end
    return pos, kinds, m


@njit(cache=True, nogil=True)
def suffix_window(b: np.ndarray, prose: np.ndarray, span: int) -> tuple[int, int, int, int, int]:
    """:func:`suffix_marks` then :func:`densest`: (marks, count, kinds, first, last), no arrays boxed."""
    pos, kinds, m = suffix_marks(b, prose)
    if m == 0:
        return 0, 0, 0, 0, 0
    best, nkinds, first, last = densest(pos, kinds, m, span)
    return m, best, nkinds, first, last


@njit(cache=True, nogil=True)
def densest(pos: np.ndarray, kinds: np.ndarray, m: int, span: int) -> tuple[int, int, int, int]:
    """The densest run of marks within ``span`` characters: (count, kinds in it, first, last position).

    The first such run wins ties, as in ``injection._suffix_signal``.
    """
    best = 0
    best_i = 0
    j = 0
    for i in range(m):
        while pos[i] - pos[j] > span:
            j += 1
        if i - j + 1 > best:
            best = i - j + 1
            best_i = i
    seen = 0
    for k in range(best_i - best + 1, best_i + 1):
        seen |= 1 << kinds[k]
    nkinds = 0
    while seen:
        nkinds += seen & 1
        seen >>= 1
    return best, nkinds, pos[best_i - best + 1], pos[best_i]


_CODE_WORDS = (
    b"def",
    b"function",
    b"return",
    b"import",
    b"const",
    b"var",
    b"let",
    b"then",
    b"fi",
    b"echo",
    b"print",
)


@njit(cache=True, nogil=True, inline="always")
def _line_end_after_space(b: np.ndarray, p: int, hi: int) -> int:
    r"""End of ``\s*$`` (MULTILINE) matched from ``p`` within ``b[:hi]``, or -1."""
    q = p
    while q < hi and _ws(b[q]):
        q += 1
    if q == hi:
        return q
    while q > p:  # backtrack to the last newline inside the run
        q -= 1
        if b[q] == 10:
            return q
    return -1


@njit(cache=True, nogil=True, inline="always")
def _code_word_at(b: np.ndarray, p: int, lo: int, hi: int, words: np.ndarray, starts: np.ndarray) -> int:
    r"""End of ``\bWORD\b`` at ``p`` for the first of ``words`` that matches there, or -1."""
    if p > lo and _word(b[p - 1]):
        return -1
    for w in range(starts.shape[0] - 1):
        s, e = int(starts[w]), int(starts[w + 1])
        q = p + e - s
        if q > hi:
            continue
        same = True
        for k in range(e - s):
            if b[p + k] != words[s + k]:
                same = False
                break
        if same and (q == hi or not _word(b[q])):
            return q
    return -1


@njit(cache=True, nogil=True)
def code_hits(b: np.ndarray, lo: int, hi: int, words: np.ndarray, starts: np.ndarray) -> int:
    """How many matches ``injection._CODE_RE.finditer`` finds in ``b[lo:hi]``, counting up to two.

    ``words``/``starts``: the keywords of the pattern, concatenated, and where each starts (plus
    the end), in the pattern's order.
    """
    hits = 0
    p = lo
    while p < hi and hits < 2:
        c = b[p]
        nxt = b[p + 1] if p + 1 < hi else 0
        end = -1
        if c == 59 or c == 123 or c == 125:  # [;{}]\s*$
            end = _line_end_after_space(b, p + 1, hi)
        if end < 0 and c == 61 and (nxt == 62 or nxt == 61):  # => ==
            end = p + 2
        if end < 0 and ((c == 33 and nxt == 61) or (c == 38 and nxt == 38) or (c == 124 and nxt == 124)):
            end = p + 2  # != && ||
        if end < 0 and _lower(c):
            end = _code_word_at(b, p, lo, hi, words, starts)
        if end < 0 and _word(c):
            if nxt == 40:  # \w\(
                end = p + 2
            elif nxt == 91:  # \w\[\w*\]
                q = p + 2
                while q < hi and _word(b[q]):
                    q += 1
                if q < hi and b[q] == 93:
                    end = q + 1
        if end < 0 and c == 36:  # \$\{?\w
            if nxt == 123 and p + 2 < hi and _word(b[p + 2]):
                end = p + 3
            elif _word(nxt) and p + 1 < hi:
                end = p + 2
        if end < 0 and (p == lo or b[p - 1] == 10):  # ^\s*[#|]
            q = p
            while q < hi and _ws(b[q]):
                q += 1
            if q < hi and (b[q] == 35 or b[q] == 124):
                end = q + 1
        if end < 0 and c == 124:  # \|\s*$
            end = _line_end_after_space(b, p + 1, hi)
        if end < 0:
            p += 1
        else:
            hits += 1
            p = end
    return hits
