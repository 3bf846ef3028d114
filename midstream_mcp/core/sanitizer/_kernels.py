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

from midstream_mcp.core.sanitizer._glue import GLUE_MIN, GLUED_MIN
from midstream_mcp.core.sanitizer._view import (
    ASCII_TEXT,
    AT_SIGN,
    DIGIT_PAIR,
    DOTTED_QUAD,
    INJECTION_QUIET,
    INJECTION_SETTLED,
    KEY_BLOCK,
    LONG_PIECE,
    PII_QUIET,
    SECRETS_QUIET,
    SPLIT_LETTERS,
    TOKEN_HINT,
    TRIAGE,
    URL_MARK,
)

# -- character classes (ASCII; Python's ``str.isspace`` and ``re``'s ``\s`` agree on them) -------
#
# The small helpers called per byte or per word are ``inline="always"``: numba compiles each @njit
# function on its own and calls it through a pointer with an error check, never inlining it, and
# those calls were most of the time of the scans (perf: ``_punct``/``_letter`` in suffix_marks).


#: The character classes, one bit each, of every byte: the helpers below read this table rather than
#: compare ranges, because numba compiles a chain of ``or`` into a branch per term, in every caller it
#: is inlined into, and those branches were most of the compile time of the kernels.
_C_WS, _C_PUNCT, _C_UPPER, _C_LOWER, _C_WORD, _C_QUIET, _C_FSYM, _C_STRIP, _C_HEX, _C_B64 = (
    1 << i for i in range(10)
)
_CLASSES = np.array(
    [
        (_C_WS if c == 32 or 9 <= c <= 13 or 28 <= c <= 31 else 0)
        | (_C_PUNCT if 33 <= c <= 47 or 58 <= c <= 64 or 91 <= c <= 96 or 123 <= c <= 126 else 0)
        | (_C_UPPER if 65 <= c <= 90 else 0)
        | (_C_LOWER if 97 <= c <= 122 else 0)
        | (_C_WORD if 65 <= c <= 90 or 97 <= c <= 122 or 48 <= c <= 57 or c == 95 else 0)
        | (_C_QUIET if c in b"-*/&.,:;\"'|=+#>" else 0)
        | (_C_FSYM if c in b"\\][(){}*+!^~`|<>" else 0)
        | (_C_STRIP if c in b".,;:!?\"'()[]" else 0)
        | (_C_HEX if 48 <= c <= 57 or 65 <= c <= 70 or 97 <= c <= 102 else 0)
        | (_C_B64 if 65 <= c <= 90 or 97 <= c <= 122 or 48 <= c <= 57 or c in b"_+/-" else 0)
        for c in range(256)
    ],
    np.int64,
)


@njit(cache=True, nogil=True, inline="always")
def _ws(c: int) -> bool:  # [\t-\r\x1c-\x1f ]
    return bool(_CLASSES[c] & _C_WS)


@njit(cache=True, nogil=True, inline="always")
def _punct(c: int) -> bool:  # [!-/:-@\[-`{-~]
    return bool(_CLASSES[c] & _C_PUNCT)


@njit(cache=True, nogil=True, inline="always")
def _upper(c: int) -> bool:
    return bool(_CLASSES[c] & _C_UPPER)


@njit(cache=True, nogil=True, inline="always")
def _lower(c: int) -> bool:
    return bool(_CLASSES[c] & _C_LOWER)


@njit(cache=True, nogil=True, inline="always")
def _letter(c: int) -> bool:
    return bool(_CLASSES[c] & (_C_UPPER | _C_LOWER))


@njit(cache=True, nogil=True, inline="always")
def _word(c: int) -> bool:  # \w
    return bool(_CLASSES[c] & _C_WORD)


@njit(cache=True, nogil=True, inline="always")
def _quiet(c: int) -> bool:  # [-*/&.,:;"'|=+#>]: punctuation that alone is no punct mark
    return bool(_CLASSES[c] & _C_QUIET)


@njit(cache=True, nogil=True, inline="always")
def _fsym(c: int) -> bool:  # [\\\][(){}*+!^~`|<>]: the symbols of a fused word
    return bool(_CLASSES[c] & _C_FSYM)


#: ``_BIT_INDEX[(1 << i) % 67] == i`` for i < 63: the powers of two differ modulo 67, so a set bit's
#: index is one lookup (a loop over the bits cost up to 20 steps per candidate byte).
_BIT_INDEX = np.zeros(67, np.int64)
for _i in range(63):
    _BIT_INDEX[(1 << _i) % 67] = _i


@njit(cache=True, nogil=True, inline="always")
def _same(a: np.ndarray, i: int, b: np.ndarray, j: int, length: int) -> bool:
    """``a[i:i+length]`` equals ``b[j:j+length]`` (no slices: nothing to allocate in a hot loop)."""
    for k in range(length):  # noqa: SIM110 - numba compiles loops, not all() over a generator
        if a[i + k] != b[j + k]:
            return False
    return True


@njit(cache=True, nogil=True, inline="always")
def _suffix_punct(b: np.ndarray, p: int, n: int) -> tuple[int, int]:
    """``(kind, end)`` of ``_SUFFIX_RE.match(text, p)`` on ``b`` at punctuation ``p`` (kind -1: no match).

    Kinds as ``injection._SUFFIX_KIND``: punct 0, bracket 1, glue 2, cluster 3, fused 4;
    the alternatives are tried in the regex's order: punct, bracket, glue, fused, cluster
    (at punctuation only punct, bracket and cluster can match).
    """
    c = b[p]
    after_space = p == 0 or _ws(b[p - 1])
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


@njit(cache=True, nogil=True, inline="always")
def _suffix_word(b: np.ndarray, p: int, n: int) -> tuple[int, int]:
    """``(kind, end)`` of ``_SUFFIX_RE.match(text, p)`` at a letter ``p`` that no letter precedes, or
    ``(-1, end of its run of letters)``: no match starts inside that run either.

    Only glue and fused can match there; the runs they look at (lower case after the first letter,
    then letters) are found once, in one pass over the word.
    """
    c = b[p]
    q = p if c >= 97 else p + 1  # the lower-case run: from p, or after a capital
    while q < n and _lower(b[q]):
        q += 1
    r = q  # the end of the letters
    while r < n and _letter(b[r]):
        r += 1
    # glue: \b[a-z]{3,}[A-Z]+[a-zA-Z]*\b | \b[A-Z][a-z]{2,}[A-Z]{2,}[a-zA-Z]*\b
    if p == 0 or not _word(b[p - 1]):
        glue = False
        if c >= 97:
            glue = q - p >= 3 and q < n and _upper(b[q])
        elif q - p - 1 >= 2:
            u = q
            while u < n and _upper(b[u]):
                u += 1
            glue = u - q >= 2
        if glue and (r == n or not _word(b[r])):
            return 2, r
    # fused: (?<![A-Za-z])[A-Za-z]{2,}[fused symbols]{1,3}[A-Za-z"'][A-Za-z]*
    if r - p >= 2:
        s = r
        while s < n and _fsym(b[s]):
            s += 1
        if 1 <= s - r <= 3 and s < n and (_letter(b[s]) or b[s] == 34 or b[s] == 39):
            e = s + 1
            while e < n and _letter(b[e]):
                e += 1
            return 4, e
    return -1, r


#: Where a mark can start, found by pairs of bytes: the bits of a byte as the one before (low nibble)
#: meet its bits as the byte itself (high nibble). ``_T_SPACE_PUNCT``: punctuation after white space
#: or at the start (punct, bracket), the quiet kind left out, as alone it starts no mark and with
#: more punctuation after it ``_T_PUNCT_PUNCT`` fires; ``_T_PUNCT_PUNCT``: two punctuation in a row,
#: a cluster at the first (every pair of a run fires; the ones inside a mark or tried are skipped,
#: cheaper than keeping the scan from firing); ``_T_LOWER_UPPER`` and ``_T_LETTER_SYM``: a case
#: change (glue) or letters before a fused symbol (fused), the mark then starting with the word.
#: Most bytes trigger nothing, and the scan costs a table read and a branch that is rarely taken per
#: byte (one per word and per punctuation had the scan mispredicting at every word's end).
_T_SPACE_PUNCT, _T_PUNCT_PUNCT, _T_LOWER_UPPER, _T_LETTER_SYM = 1, 2, 4, 8
_TRIGGER = np.array(
    [
        (_T_SPACE_PUNCT if k & _C_WS else 0)
        | (_T_PUNCT_PUNCT if k & _C_PUNCT else 0)
        | (_T_LOWER_UPPER if k & _C_LOWER else 0)
        | (_T_LETTER_SYM if k & (_C_LOWER | _C_UPPER) else 0)
        | (_T_SPACE_PUNCT << 4 if k & _C_PUNCT and not k & _C_QUIET else 0)
        | (_T_PUNCT_PUNCT << 4 if k & _C_PUNCT else 0)
        | (_T_LOWER_UPPER << 4 if k & _C_UPPER else 0)
        | (_T_LETTER_SYM << 4 if k & _C_FSYM else 0)
        for k in _CLASSES.tolist()
    ],
    np.int64,
)


@njit(cache=True, nogil=True)
def _marks_packed(b: np.ndarray, prose: np.ndarray) -> tuple[np.ndarray, int]:
    """The marks of :func:`suffix_marks`, each ``position << 3 | kind``, and how many.

    The array starts small and grows (a few marks per text are usual; the allocation of an array as
    long as the text was a tenth of the time).
    """
    n = b.shape[0]
    out = np.empty(16, np.int64)
    m = 0
    done = 0  # the end of the last match: finditer goes on from there
    tried = -1
    prev = _T_SPACE_PUNCT  # the text's start counts as white space
    for p in range(n):
        t = _TRIGGER[b[p]]
        hit = prev & (t >> 4)
        prev = t
        if hit == 0:
            continue
        if hit & _T_SPACE_PUNCT:
            at = p
        elif hit & _T_PUNCT_PUNCT:
            at = p - 1
        else:  # the start of the word
            at = p - 1
            while at > 0 and _CLASSES[b[at - 1]] & (_C_UPPER | _C_LOWER):
                at -= 1
        if at < done or at <= tried:
            continue
        tried = at
        if hit & (_T_SPACE_PUNCT | _T_PUNCT_PUNCT):
            kind, end = _suffix_punct(b, at, n)
        else:
            kind, end = _suffix_word(b, at, n)
        if kind < 0:
            continue
        done = end
        if kind == 3 and end - at <= 8:
            code = 0
            for k in range(end - 1, at - 1, -1):
                code = (code << 8) | b[k]
            i = np.searchsorted(prose, code)
            if i < prose.shape[0] and prose[i] == code:
                continue
        if m == out.shape[0]:
            grown = np.empty(2 * m, np.int64)
            grown[:m] = out
            out = grown
        out[m] = at << 3 | kind
        m += 1
    return out, m


@njit(cache=True, nogil=True)
def suffix_marks(b: np.ndarray, prose: np.ndarray) -> tuple[np.ndarray, np.ndarray, int]:
    """Every mark of ``_SUFFIX_RE.finditer`` over ``b``: positions, kinds and how many.

    Clusters whose bytes (packed little-endian into an int64, at most 8 bytes) are in the
    sorted array ``prose`` are left out, as ``injection._PROSE_CLUSTERS`` are.
    """
    n = b.shape[0]
    packed, m = _marks_packed(b, prose)
    pos = np.empty(n, np.int64)
    kinds = np.empty(n, np.int64)
    for i in range(m):
        pos[i] = packed[i] >> 3
        kinds[i] = packed[i] & 7
    return pos, kinds, m


@njit(cache=True, nogil=True)
def suffix_window(b: np.ndarray, prose: np.ndarray, span: int) -> tuple[int, int, int, int, int]:
    """:func:`suffix_marks` then :func:`densest`: (marks, count, kinds, first, last), no arrays boxed."""
    packed, m = _marks_packed(b, prose)
    if m == 0:
        return 0, 0, 0, 0, 0
    best, nkinds, first, last = _densest_packed(packed, m, span)
    return m, best, nkinds, first, last


@njit(cache=True, nogil=True)
def densest(pos: np.ndarray, kinds: np.ndarray, m: int, span: int) -> tuple[int, int, int, int]:
    """The densest run of marks within ``span`` characters: (count, kinds in it, first, last position).

    The first such run wins ties, as in ``injection._suffix_signal``.
    """
    return _densest_packed(pos[:m] << 3 | kinds[:m], m, span)


@njit(cache=True, nogil=True, inline="always")
def _densest_packed(packed: np.ndarray, m: int, span: int) -> tuple[int, int, int, int]:
    """:func:`densest` of the marks of :func:`_marks_packed`."""
    best = 0
    best_i = 0
    j = 0
    for i in range(m):
        while (packed[i] >> 3) - (packed[j] >> 3) > span:
            j += 1
        if i - j + 1 > best:
            best = i - j + 1
            best_i = i
    seen = 0
    for k in range(best_i - best + 1, best_i + 1):
        seen |= 1 << (packed[k] & 7)
    nkinds = 0
    while seen:
        nkinds += seen & 1
        seen >>= 1
    return best, nkinds, packed[best_i - best + 1] >> 3, packed[best_i] >> 3


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
        if _same(b, p, words, s, e - s) and (q == hi or not _word(b[q])):
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
        if end < 0 and _lower(c) and (p == lo or not _word(b[p - 1])):
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


# -- the words of a folded text ------------------------------------------------------------------


def word_hash(word: bytes) -> int:
    """The hash of a word as the kernels compute it, a byte at a time (for the tables built in Python)."""
    h = 0
    for c in word:
        h = (h * 31 + c) & 0xFFFFFFFF
    return h


def vocab_table(words: list[bytes], size: int) -> np.ndarray:
    """Open-addressing table (``size`` a power of two) of ``words``: slot -> word index + 1, 0 empty."""
    table = np.zeros(size, np.int64)
    for i, w in enumerate(words):
        j = word_hash(w) & (size - 1)
        while table[j]:
            j = (j + 1) & (size - 1)
        table[j] = i + 1
    return table


@njit(cache=True, nogil=True, inline="always")
def _probe(h: int, b: np.ndarray, s: int, length: int, table: np.ndarray, vocab: np.ndarray,
           vstarts: np.ndarray) -> int:  # fmt: skip
    """The vocabulary index of the word ``b[s:s+length]``, whose hash is ``h``, or -1
    (see :func:`vocab_table`)."""
    vmask = table.shape[0] - 1
    j = h & vmask
    while table[j] != 0:
        t: int = table[j] - 1
        vs = vstarts[t]
        if vstarts[t + 1] - vs == length and _same(vocab, vs, b, s, length):
            return t
        j = (j + 1) & vmask
    return -1


@njit(cache=True, nogil=True, inline="always")
def _vocab_at(
    b: np.ndarray, s: int, e: int, table: np.ndarray, vocab: np.ndarray, vstarts: np.ndarray
) -> int:
    """The vocabulary index of the word ``b[s:e]``, or -1."""
    h = 0
    for q in range(s, e):
        h = (h * 31 + b[q]) & 0xFFFFFFFF
    return _probe(h, b, s, e - s, table, vocab, vstarts)


# Inline: gate_view calls it in its loop over the long words, where the call itself showed in timings.
@njit(cache=True, nogil=True, inline="always")
def _glue_split(
    b: np.ndarray,
    s: int,
    e: int,
    table: np.ndarray,
    vocab: np.ndarray,
    vstarts: np.ndarray,
    vsets: np.ndarray,
    glue_bit: int,
    prefixes: int,
    suffixes: int,
) -> tuple[int, int]:
    """``_glue.split_points`` of the word ``b[s:e]``: (after the longest glue-word prefix, before the
    longest glue-word suffix not overlapping it), offsets from ``s``, -1 where there is none. A glue
    word is a vocabulary word with ``glue_bit`` set in ``vsets``; what is left over is three letters
    or more, or a two-letter vocabulary word. Only the lengths with their bit set in ``prefixes``
    (``suffixes``) are looked up: the others are known to be no glue word (see ``gate_view``).
    (Prefix and suffix hashes grow a letter at a time: one pass each.)"""
    n = e - s
    first = -1
    h = 0
    for length in range(1, n - 1):
        h = (h * 31 + b[s + length - 1]) & 0xFFFFFFFF
        if GLUE_MIN <= length < 63 and (prefixes >> length) & 1:
            t = _probe(h, b, s, length, table, vocab, vstarts)
            glue = t >= 0 and (vsets[t] >> glue_bit) & 1 != 0
            if glue and (n - length > 2 or _vocab_at(b, s + length, e, table, vocab, vstarts) >= 0):
                first = length
    second = -1
    h = 0
    power = 1  # 31 ** (length - 1)
    for length in range(1, n - 1):
        h = (h + b[e - length] * power) & 0xFFFFFFFF
        power = (power * 31) & 0xFFFFFFFF
        if GLUE_MIN <= length < 63 and (suffixes >> length) & 1:
            t = _probe(h, b, e - length, length, table, vocab, vstarts)
            glue = t >= 0 and (vsets[t] >> glue_bit) & 1 != 0
            if glue and (n - length > 2 or _vocab_at(b, s, e - length, table, vocab, vstarts) >= 0):
                second = n - length
    if second < first:
        second = -1  # overlapping the prefix
    return first, second


@njit(cache=True, nogil=True)
def gate_view(
    b: np.ndarray,
    table: np.ndarray,
    vocab: np.ndarray,
    vstarts: np.ndarray,
    vsets: np.ndarray,
    nsets: int,
    rgroups_ptr: np.ndarray,
    always: np.ndarray,
    rleads_ptr: np.ndarray,
    rleads: np.ndarray,
    found: int,
    rlits: np.ndarray,
    pw2: np.ndarray,
    pexact: np.ndarray,
    pgap: np.ndarray,
    pbytes: np.ndarray,
    vrec: np.ndarray,
    rmasks: np.ndarray,
    glue5: np.ndarray,
    fbits: int,
    vlptr: np.ndarray,
    vlead: np.ndarray,
    with_starts: bool,
) -> np.ndarray:
    """Everything the injection detector's word gates ask of the folded text ``b``, in one array.

    ``[distinct words, count per word set (nsets), vocabulary hits, rules passing, *passing rule
    indices, then per passing rule with leads: count, *positions; then the glue block: rules passing
    only with glued words split, *their indices, glued words, *(start, end, split, split) of each;
    then *hit indices]``.

    The words are the ``[a-z]+`` runs of ``b``; the vocabulary is ``vocab``/``vstarts``
    (concatenated, word starts plus the end) with ``table`` its :func:`vocab_table`. A word set
    ``s`` is the vocabulary words with bit ``s`` of ``vsets``; a rule passes when each of its gate
    groups (``rgroups_ptr``: how many each rule has, numbered in rule order) holds a word of the
    text, or when ``always`` says so. With ``with_starts``, a rule with leads (``rleads`` CSR,
    vocabulary indices; empty: the caller finds its own) gets the positions, in order, where one of
    its leads is a whole word at a word start: the only places its match can start.
    A rule with pair leads (``_fast.pair_leads``: per pair, ``pw2`` CSR into ``pbytes`` the start of
    the next word, ``pexact`` whether that is the whole next word, ``pgap`` how many filler words may
    come first; see ``_leads.lead_pairs``; ``vlead`` below says which pairs each lead has) keeps only
    the positions where a word after the lead fits one of its pairs: a word starting after
    a byte that is no ASCII letter or digit, with at most ``pgap`` runs of word bytes holding a letter
    or digit between the lead and it (a run: bytes that are letters, digits, ``_`` or ``?``, which
    stands for any non-ASCII character of a folded text). A rule with
    leads and no position left cannot match: it is left out of the rules passing. So is a rule
    with literals (``rlits``, a mask of literal bits, 0: none) none of which is in ``found``.
    A word outside the vocabulary that starts or ends with a glue word (bit ``nsets`` of ``vsets``;
    see ``_glue``) is glued: its first occurrence and split points are reported, and so are apart
    the rules whose gate groups it completes once split and the rules with leads, no place to start
    and a lead that is a part of a glued word.
    Precomputed from these (see ``_fast._gate_args``): ``vrec``, per vocabulary word, the word sets'
    counts it adds, ``fbits`` bits per set, then the bit mask of its gate groups (``nw`` int64 words);
    ``rmasks`` the mask of each rule's gate groups; ``glue5`` (two halves: prefixes, suffixes) by the
    hash of the first (last) ``GLUE_MIN`` letters, the bit set of the lengths of the glue words that
    begin (end) with them, collisions or-ed together; ``vlptr``/``vlead`` (CSR), per vocabulary word,
    the rules it leads (see ``_fast._gate_args``: the rule, its run of pairs with that first word, the
    most filler words they allow, the first bytes of their next words).
    (Per word it calls only inline helpers: numba calls a compiled function through a pointer otherwise,
    and that overhead per word showed in the profile.) Pass a writable ``b``, as ``text_scan`` does:
    numba compiles a kernel once per argument types, and a read-only array is another type.
    """
    n = b.shape[0]
    nrules = rgroups_ptr.shape[0] - 1
    # Distinct words seen, open addressing, starts then ends then vocabulary indices (or -1): there
    # are at most n // 2 + 1 words, so this many slots always leave one free (and little to clear).
    size = 16
    while size < n // 2 + 2:
        size *= 2
    smask = size - 1
    # One allocation for the int32 scratch and one for the int64 (an allocation costs more than the
    # work on a short text): slots, then occ (below).
    cap = n // 2 + 1
    nl = n // (GLUED_MIN + 1) + 1  # at most this many words of GLUED_MIN letters or more
    work = np.empty(3 * size + 3 * cap + 9 * nl, np.int32)
    slots = work[: 3 * size]
    slots[:size] = -1  # (a run of starts: one fill; the ends and vocabulary indices after it)
    # Lead words at word starts, in text order: where the rules' matches can start.
    at = 3 * size
    occ = work[at : at + 3 * cap]  # occ_pos, occ_word, then ids (vocabulary hits)
    pos0, word0, ids0 = 0, cap, 2 * cap
    at += 3 * cap
    # Glued words (see ``_glue``): the gate groups their parts hit, the distinct long words outside
    # the vocabulary (start, end), the glued ones (start, end, split, split) and their parts'
    # vocabulary indices.
    longs = work[at : at + 2 * nl]
    glued = work[at + 2 * nl : at + 6 * nl]
    part_ids = work[at + 6 * nl : at + 9 * nl]
    nlong = 0
    nocc = 0
    head = 3 + nsets
    # Gate groups hit as bit masks: a rule passes when its mask is all hit (a word's groups: one or).
    nw = rmasks.shape[0] // nrules if nrules > 0 else 0
    stride = 1 + nw
    wide = np.empty(2 * nw + 4 * nrules, np.int64)
    hitm = wide[:nw]
    gluem = wide[nw : 2 * nw]
    for k in range(2 * nw):
        wide[k] = 0
    packed = 0  # the word sets' counts, fbits bits each
    nids = 0
    distinct = 0
    p = 0
    while p < n:
        x = b[p]
        if x < 97 or x > 122:
            p += 1
            continue
        s = p
        h = 0
        while p < n:
            x = b[p]
            if x < 97 or x > 122:
                break
            h = (h * 31 + x) & 0xFFFFFFFF
            p += 1
        length = p - s
        i = h & smask
        v = -2  # not looked up yet
        while slots[i] >= 0:
            ss = slots[i]
            if slots[size + i] - ss == length:
                same = True
                for k in range(length):  # (inline: a helper call here costs reference counting)
                    if b[ss + k] != b[s + k]:
                        same = False
                        break
                if same:
                    v = slots[2 * size + i]
                    break
            i = (i + 1) & smask
        if v == -2:
            v = _probe(h, b, s, length, table, vocab, vstarts)
            slots[i] = s
            slots[size + i] = p
            slots[2 * size + i] = v
            distinct += 1
            if v < 0 and length >= GLUED_MIN:  # looked at after the loop (it is rare and slower)
                longs[2 * nlong] = s
                longs[2 * nlong + 1] = p
                nlong += 1
            if v >= 0:
                occ[ids0 + nids] = v
                nids += 1
                packed += vrec[stride * v]
                for k in range(nw):
                    hitm[k] |= vrec[stride * v + 1 + k]
        if v >= 0 and with_starts and vlptr[v + 1] > vlptr[v]:  # (they serve only the lead positions)
            c = b[s - 1] if s > 0 else 32
            if not (97 <= c <= 122 or 65 <= c <= 90 or 48 <= c <= 57 or c == 95):
                occ[pos0 + nocc] = s
                occ[word0 + nocc] = v
                nocc += 1
    # Glued words among the long words outside the vocabulary, and the gate groups of their parts.
    nglued = 0
    nparts = 0
    for k in range(nlong):
        s = longs[2 * k]
        e = longs[2 * k + 1]
        # The lengths of the glue words that start (end) with the word's first (last) GLUE_MIN
        # letters, and are short enough to leave two letters: only those can be split off.
        gmask = glue5.shape[0] // 2 - 1  # a power of two less one
        keep = (1 << (e - s - 1)) - 1 if e - s - 1 < 63 else -1
        hp = 0
        hs = 0
        for q in range(GLUE_MIN):
            hp = (hp * 31 + b[s + q]) & 0xFFFFFFFF
            hs = (hs * 31 + b[e - GLUE_MIN + q]) & 0xFFFFFFFF
        lp = glue5[hp & gmask] & keep
        ls = glue5[gmask + 1 + (hs & gmask)] & keep
        if lp == 0 and ls == 0:
            continue
        first, second = _glue_split(b, s, e, table, vocab, vstarts, vsets, nsets, lp, ls)
        if first < 0 and second < 0:
            continue
        glued[4 * nglued] = s
        glued[4 * nglued + 1] = e
        glued[4 * nglued + 2] = first
        glued[4 * nglued + 3] = second
        nglued += 1
        # The parts: up to the first split, between the splits, after the last one.
        lo_cut = first if first >= 0 else second
        hi_cut = second if second >= 0 else first
        for part in range(3):
            ps = s if part == 0 else s + lo_cut if part == 1 else s + hi_cut
            pe = s + lo_cut if part == 0 else s + hi_cut if part == 1 else e
            if pe <= ps:
                continue
            t = _vocab_at(b, ps, pe, table, vocab, vstarts)
            if t >= 0:
                part_ids[nparts] = t
                nparts += 1
                for g in range(nw):
                    gluem[g] |= vrec[stride * t + 1 + g]
    passing = wide[2 * nw : 2 * nw + nrules]
    # Per rule: 0 fails, 1 passes its gates (and literals), 2 passes only with glued words split;
    # then how many lead positions it has, then where they go in ``out``.
    state = wide[2 * nw + nrules : 2 * nw + 2 * nrules]
    pos_cnt = wide[2 * nw + 2 * nrules : 2 * nw + 3 * nrules]
    pos_at = wide[2 * nw + 3 * nrules :]
    ncand = 0  # rules passing, either way, in order: from the start of ``pos_at``
    for r in range(nrules):
        miss = 0  # the gate groups of the rule not hit
        for g in range(nw):
            miss |= rmasks[nw * r + g] & ~hitm[g]
        st = 1 if always[r] != 0 or (miss == 0 and rgroups_ptr[r + 1] > rgroups_ptr[r]) else 0
        if st == 0 and nglued > 0 and rgroups_ptr[r + 1] > rgroups_ptr[r]:
            st = 2
            for g in range(nw):
                if rmasks[nw * r + g] & ~(hitm[g] | gluem[g]):
                    st = 0
                    break
        if st == 0 or (rlits[r] != 0 and (rlits[r] & found) == 0):
            state[r] = 0
            continue
        state[r] = st
        pos_cnt[r] = 0
        pos_at[ncand] = r
        ncand += 1
    # Lead positions: one pass over the vocabulary words at word starts, in text order (so each rule's
    # positions come in order); per word, its entries in ``vlead`` (rule, pairs lo, pairs hi, most
    # filler words or -1: any place, the next words' first letters as a bit set).
    nfit = 0
    total = 0
    if with_starts:
        for o in range(nocc):
            v = occ[word0 + o]
            total += vlptr[v + 1] - vlptr[v]
    fits = np.empty(2 * total, np.int64)  # (rule, position) per place a lead fits, in text order
    for o in range(nocc if with_starts else 0):
        s = occ[pos0 + o]
        v = occ[word0 + o]
        for ent in range(vlptr[v], vlptr[v + 1]):
            r = vlead[5 * ent]
            if state[r] != 1:
                continue
            most = vlead[5 * ent + 3]
            if most >= 0:
                plo = vlead[5 * ent + 1]
                phi = vlead[5 * ent + 2]
                fmask = vlead[5 * ent + 4]
                start = s + vstarts[v + 1] - vstarts[v]
                fits_here = False
                runs = 0  # runs of word bytes holding a letter or digit in b[start:q]
                in_run = False
                counted = False
                q = start
                while q < n:
                    x = b[q]
                    alnum = 97 <= x <= 122 or 65 <= x <= 90 or 48 <= x <= 57
                    if alnum and q > start and (fmask >> (x & 31)) & 1:
                        y = b[q - 1]
                        if not (97 <= y <= 122 or 65 <= y <= 90 or 48 <= y <= 57):
                            for j in range(plo, phi):
                                if pgap[j] < runs:
                                    continue
                                ws, we = pw2[j], pw2[j + 1]
                                e = q + we - ws
                                if e > n:
                                    continue
                                same = True
                                for k in range(we - ws):
                                    if pbytes[ws + k] != b[q + k]:
                                        same = False
                                        break
                                if not same:
                                    continue
                                if pexact[j] and e < n:
                                    z = b[e]
                                    if 97 <= z <= 122 or 65 <= z <= 90 or 48 <= z <= 57:
                                        continue
                                fits_here = True
                                break
                            if fits_here:
                                break
                    if alnum or x == 95 or x == 63:
                        if not in_run:
                            in_run = True
                            counted = False
                        if alnum and not counted:
                            counted = True
                            runs += 1
                            if runs > most:
                                break
                    else:
                        in_run = False
                    q += 1
                if not fits_here:
                    continue
            fits[2 * nfit] = r
            fits[2 * nfit + 1] = s
            nfit += 1
            pos_cnt[r] += 1
    npass = 0
    nlead = 0  # passing rules with lead positions
    npos = 0
    nglue_rules = 0  # rules passing only with glued words split: from the end of ``passing``
    for c in range(ncand):
        r = pos_at[c]
        st = state[r]
        if st == 2:
            nglue_rules += 1
            passing[nrules - nglue_rules] = r
            continue
        if with_starts and rleads_ptr[r + 1] > rleads_ptr[r]:
            if pos_cnt[r] == 0:
                # No place where a match could start, unless a lead is glued to a word ("andignore").
                glued_lead = False
                for g in range(rleads_ptr[r], rleads_ptr[r + 1]):
                    for q in range(nparts):
                        if part_ids[q] == rleads[g]:
                            glued_lead = True
                if glued_lead:
                    nglue_rules += 1
                    passing[nrules - nglue_rules] = r
                continue
            nlead += 1
            npos += pos_cnt[r]
        passing[npass] = r
        npass += 1
    out = np.empty(head + nids + npass + nlead + npos + 2 + nglue_rules + 4 * nglued, np.int64)
    out[0] = distinct
    fmask = (1 << fbits) - 1
    for k in range(nsets):
        out[1 + k] = (packed >> (fbits * k)) & fmask
    out[1 + nsets] = nids
    out[2 + nsets] = npass
    at = head
    for k in range(npass):
        out[at + k] = passing[k]
    at += npass
    for k in range(npass):
        r = passing[k]
        m = pos_cnt[r]
        if m == 0:
            continue
        out[at] = m
        pos_at[r] = at + 1
        at += 1 + m
    for k in range(nfit):  # each rule's in text order
        r = fits[2 * k]
        out[pos_at[r]] = fits[2 * k + 1]
        pos_at[r] += 1
    out[at] = nglue_rules
    at += 1
    for k in range(nglue_rules):  # in rule order
        out[at + k] = passing[nrules - 1 - k]
    at += nglue_rules
    out[at] = nglued
    at += 1
    for k in range(4 * nglued):
        out[at + k] = glued[k]
    at += 4 * nglued
    for k in range(nids):
        out[at + k] = occ[ids0 + k]
    at += nids
    return out[:at]


# -- encoded-payload candidates (``_decode.find_encoded``) ----------------------------------------


@njit(cache=True, nogil=True, inline="always")
def _strip_char(c: int) -> bool:  # .,;:!?"'()[]: what find_encoded strips off a token's ends
    return bool(_CLASSES[c] & _C_STRIP)


@njit(cache=True, nogil=True, inline="always")
def _hex_digit(c: int) -> bool:
    return bool(_CLASSES[c] & _C_HEX)


@njit(cache=True, nogil=True, inline="always")
def _hex_unit(b: np.ndarray, p: int, n: int) -> int:
    r"""End of ``(?:0x|\\x)?[2-7][0-9A-Fa-f]`` at ``p``, or -1."""
    if p + 1 < n and (b[p] == 48 or b[p] == 92) and b[p + 1] == 120:
        p += 2
    if p + 1 < n and 50 <= b[p] <= 55 and _hex_digit(b[p + 1]):
        return p + 2
    return -1


#: Byte classes of :func:`decode_scan`: capitals and digits (bit 1, counted), white space as
#: ``_ws``, where a hex unit can start (``0`` of ``0x``, ``\\`` of ``\\x``, ``2`` to ``7``), and
#: ``2`` to ``7`` (bit 8, counted: every hex unit holds one, so fewer than six rule a hex run out).
_D_UPPER_DIGIT, _D_SPACE, _D_HEX_START, _D_HEX_LEAD = 1, 2, 4, 8
_DECODE_CLASSES = np.array(
    [
        (_D_UPPER_DIGIT if 65 <= c <= 90 or 48 <= c <= 57 else 0)
        | (_D_SPACE if c == 32 or 9 <= c <= 13 or 28 <= c <= 31 else 0)
        | (_D_HEX_START if 50 <= c <= 55 or c == 48 or c == 92 else 0)
        | (_D_HEX_LEAD if 50 <= c <= 55 else 0)
        for c in range(256)
    ],
    np.uint8,
)


@njit(cache=True, nogil=True, inline="always")
def _stripped(b: np.ndarray, s: int, e: int) -> tuple[int, int]:
    """The token ``b[s:e]`` without the punctuation ``find_encoded`` strips off its ends: (lo, hi)."""
    lo, hi = s, e
    while lo < hi and _strip_char(b[lo]):
        lo += 1
    while hi > lo and _strip_char(b[hi - 1]):
        hi -= 1
    return lo, hi


@njit(cache=True, nogil=True, inline="always")
def _ordinary(b: np.ndarray, s: int, e: int) -> bool:
    """``b[s:e]`` is an ordinary word: letters, all lower case or capitalised, in stripped punctuation."""
    lo, hi = _stripped(b, s, e)
    for k in range(lo + 1, hi):
        if not _lower(b[k]):
            return False
    return hi > lo and (_lower(b[lo]) or _upper(b[lo]))


@njit(cache=True, nogil=True)
def _decode_into(b: np.ndarray, min_token: int, head: int) -> tuple[np.ndarray, int]:
    """:func:`decode_scan` after ``head`` unset slots of its array (for the caller's fields), and its end."""
    n = b.shape[0]
    out = np.empty(head + 2 + 2 * n + 2, np.int64)
    upper = 0  # capitals and digits, counted on the way (white space is neither)
    leads = 0  # bytes 2 to 7
    m = head + 2
    least = max(min_token, 1)  # a token is never empty
    s = 0  # where the current token starts (after the last white space)
    for p in range(n):
        k = _DECODE_CLASSES[b[p]]
        upper += k & _D_UPPER_DIGIT
        leads += k >> 3
        # No branch per white space (every few bytes, unpredictable): only long tokens branch.
        space = (k >> 1) & 1
        if space & (p - s >= least) and not _ordinary(b, s, p):
            out[m] = s
            out[m + 1] = p
            m += 2
        s += space * (p + 1 - s)
    if n - s >= least and not _ordinary(b, s, n):
        out[m] = s
        out[m + 1] = n
        m += 2
    out[head] = upper
    out[head + 1] = (m - head - 2) // 2
    if leads < 6:  # a hex run is six units or more
        return out, m
    p = 0
    while p < n:
        end = _hex_unit(b, p, n) if _DECODE_CLASSES[b[p]] & _D_HEX_START else -1
        if end < 0:
            p += 1
            continue
        units = 0
        while True:
            q = end
            if q < n and (b[q] == 32 or b[q] == 58 or b[q] == 44 or b[q] == 45):
                q += 1
            nxt = _hex_unit(b, q, n)
            if nxt < 0:
                break
            end = nxt
            units += 1
        if units >= 5:
            out[m] = p
            out[m + 1] = end
            m += 2
            p = end
        else:
            p += 1
    return out, m


@njit(cache=True, nogil=True)
def decode_scan(b: np.ndarray, min_token: int) -> np.ndarray:
    """What ``find_encoded`` looks at in the ASCII text ``b``, in one array.

    ``[capitals and digits, tokens, *token (start, end), *hex (start, end)]``: the
    whitespace-delimited tokens of at least ``min_token`` characters that are not an ordinary
    word (letters, all lower case or capitalised, between stripped punctuation), and the
    matches of ``_decode._HEX_RE.finditer``.
    """
    out, m = _decode_into(b, min_token, 0)
    return out[:m]


# -- which of those tokens can decode at all (``_decode._decode_token``) -------------------------


@njit(cache=True, nogil=True, inline="always")
def _b64_value(c: int) -> int:
    """The 6-bit value of a base64 character, standard or URL-safe alphabet (both as Python reads them)."""
    if 65 <= c <= 90:
        return c - 65
    if 97 <= c <= 122:
        return c - 71
    if 48 <= c <= 57:
        return c + 4
    if c == 43 or c == 45:  # + and -
        return 62
    if c == 47 or c == 95:  # / and _
        return 63
    return -1


@njit(cache=True, nogil=True)
def _maybe_text(out: np.ndarray, m: int) -> bool:
    """False only when ``_decode.printable_text(bytes(out[:m]))`` is certainly None.

    That wants UTF-8 of at least 3 characters, 85 % of them printable and 40 % letters. The
    UTF-8 check here is the structural one (lead and continuation bytes), looser than Python's,
    and every non-ASCII character counts as a printable letter, so nothing Python accepts is
    rejected; random bytes (what base85 makes of markdown) fail the structure almost always.
    """
    letters = 0
    chars = 0
    control = 0
    i = 0
    while i < m:
        c = out[i]
        i += 1
        chars += 1
        if c < 128:
            if 65 <= c <= 90 or 97 <= c <= 122:
                letters += 1
            elif (c < 32 and c != 9 and c != 10 and c != 13) or c == 127:
                control += 1
            continue
        if 0xC2 <= c <= 0xDF:
            more = 1
        elif 0xE0 <= c <= 0xEF:
            more = 2
        elif 0xF0 <= c <= 0xF4:
            more = 3
        else:
            return False
        if i + more > m:
            return False
        for j in range(i, i + more):
            if not 0x80 <= out[j] <= 0xBF:
                return False
        i += more
        letters += 1
    return chars >= 3 and 5 * letters >= 2 * chars and 20 * control <= 3 * chars


@njit(cache=True, nogil=True, inline="always")
def _b64_char(c: int) -> bool:  # [A-Za-z0-9+/_\-]
    return bool(_CLASSES[c] & _C_B64)


@njit(cache=True, nogil=True)
def _b32_possible(b: np.ndarray, s: int, e: int) -> bool:
    """``_decode._B32_RE`` finds a run of twelve or more base32 characters in ``b[s:e]``."""
    run = 0
    for p in range(s, e):
        c = b[p]
        if 65 <= c <= 90 or 50 <= c <= 55:
            run += 1
            if run >= 12:
                return True
        else:
            run = 0
    return False


@njit(cache=True, nogil=True)
def _b64_possible(b: np.ndarray, s: int, e: int, out: np.ndarray) -> bool:
    """False only when ``_decode._b64`` of the first ``_B64_RE`` match in ``b[s:e]`` is certainly None.

    As ``_b64``: the first run of twelve or more base64 characters (with up to two ``=``), not a
    plain one-case word, not one character past a multiple of four, decoded (``out`` is scratch
    space), and then :func:`_maybe_text`.
    """
    p = s
    q = s
    while p < e:
        if not _b64_char(b[p]):
            p += 1
            continue
        q = p
        while q < e and _b64_char(b[q]):
            q += 1
        if q - p >= 12:
            break
        p = q
    if p >= e:
        return False
    if q < e and b[q] == 61:  # a "=" after the run: not a plain word
        alpha = False
    else:
        alpha = True
        lower = True
        upper = True
        for k in range(p, q):
            c = b[k]
            if _lower(c):
                upper = False
            elif _upper(c):
                lower = False
            else:
                alpha = False
                break
        if alpha and (lower or upper):
            return False
    if (q - p) % 4 == 1:
        return False
    m = 0
    acc = 0
    bits = 0
    for k in range(p, q):
        acc = ((acc << 6) | _b64_value(b[k])) & 0xFFFFFF
        bits += 6
        if bits >= 8:
            bits -= 8
            out[m] = (acc >> bits) & 0xFF
            m += 1
    return _maybe_text(out, m)


@njit(cache=True, nogil=True)
def _a85_bytes(b: np.ndarray, s: int, e: int, out: np.ndarray) -> int:
    """``base64.a85decode`` of ``b[s:e]`` (no white space in it) into ``out``: the length, or -1 on error."""
    m = 0
    k = 0
    acc = 0
    for p in range(s, e + 4):
        c = b[p] if p < e else 117  # a85decode appends four "u"
        if 33 <= c <= 117:
            acc = 85 * acc + (c - 33)
            k += 1
            if k == 5:
                if acc > 0xFFFFFFFF:
                    return -1  # overflow
                for sh in (24, 16, 8, 0):
                    out[m] = (acc >> sh) & 0xFF
                    m += 1
                acc = 0
                k = 0
        elif c == 122:  # z: four zero bytes, only between groups
            if k:
                return -1
            for _ in range(4):
                out[m] = 0
                m += 1
        else:
            return -1
    return max(0, m - (4 - k))


_B85_SYMBOLS = tuple(b"!#$%&()*+-;<=>?@^_`{|}~")  # the symbols of RFC 1924's alphabet, in its order


@njit(cache=True, nogil=True, inline="always")
def _b85_digit(c: int) -> int:
    """The value of ``c`` in RFC 1924's base85 alphabet, or -1."""
    if 48 <= c <= 57:
        return c - 48
    if 65 <= c <= 90:
        return c - 55
    if 97 <= c <= 122:
        return c - 61
    i = 62
    for x in _B85_SYMBOLS:
        if x == c:
            return i
        i += 1
    return -1


@njit(cache=True, nogil=True)
def _b85_bytes(b: np.ndarray, s: int, e: int, out: np.ndarray) -> int:
    """``base64.b85decode`` of ``b[s:e]`` into ``out``: the length, or -1 on error."""
    padding = (-(e - s)) % 5
    m = 0
    acc = 0
    k = 0
    for p in range(s, e + padding):
        v = _b85_digit(b[p]) if p < e else 84  # b85decode pads with "~"
        if v < 0:
            return -1
        acc = acc * 85 + v
        k += 1
        if k == 5:
            if acc > 0xFFFFFFFF:
                return -1
            for sh in (24, 16, 8, 0):
                out[m] = (acc >> sh) & 0xFF
                m += 1
            acc = 0
            k = 0
    return max(0, m - padding)


@njit(cache=True, nogil=True)
def _b85_possible(b: np.ndarray, s: int, e: int, lo: int, hi: int, out: np.ndarray) -> bool:
    """False only when ``_decode._decode_token`` certainly gets nothing from base85 for the token ``b[s:e]``.

    ``b[lo:hi]`` is the token without the punctuation ``find_encoded`` strips: it needs two symbols
    and no ``://``; the token needs printable characters only, at most two ``/``, and an Ascii85
    or base85 reading that passes :func:`_maybe_text`.
    """
    symbols = 0
    for k in range(lo, hi):
        c = b[k]
        if not _word(c):
            symbols += 1
        if c == 58 and k + 2 < hi and b[k + 1] == 47 and b[k + 2] == 47:
            return False
    if symbols < 2:
        return False
    slashes = 0
    for k in range(s, e):
        c = b[k]
        if c < 33 or c > 126:
            return False
        if c == 47:
            slashes += 1
    if slashes > 2:
        return False
    m = _a85_bytes(b, s, e, out)
    if m >= 0 and _maybe_text(out, m):
        return True
    m = _b85_bytes(b, s, e, out)
    return m >= 0 and _maybe_text(out, m)


@njit(cache=True, nogil=True)
def _payload_into(b: np.ndarray, min_token: int, max_span: int, head: int) -> np.ndarray:
    """:func:`payload_scan` after ``head`` unset slots of its array (``raw_scan`` fills them: no copy)."""
    scan, m = _decode_into(b, min_token, head)
    ntok = scan[head + 1]
    scratch = np.empty(0, np.uint8)  # allocated when a token gets to decoding (most texts have none)
    kept = 0
    for t in range(ntok):
        at = head + 2 + 2 * t
        s = scan[at]
        e = scan[at + 1]
        if e - s > max_span:
            continue
        keep = _b32_possible(b, s, e)
        if not keep:
            if scratch.shape[0] == 0:
                scratch = np.empty(4 * b.shape[0] + 16, np.uint8)  # Ascii85 z: four bytes per character
            keep = _b64_possible(b, s, e, scratch)
        if not keep:
            lo, hi = _stripped(b, s, e)
            keep = _b85_possible(b, s, e, lo, hi, scratch)
        if keep:
            scan[at] = ~s  # marked in place, numbered below
            kept += 1
    hexes = head + 2 + 2 * ntok
    rest = m - hexes
    if kept == 0:  # the usual case: the hex matches move down in place
        scan[head + 1] = 0
        for i in range(rest):
            scan[head + 2 + i] = scan[hexes + i]
        return scan[: head + 2 + rest]
    out = np.empty(head + 2 + 3 * kept + rest, np.int64)
    out[head] = scan[head]
    out[head + 1] = kept
    j = head + 2
    number = 0
    for t in range(ntok):
        at = head + 2 + 2 * t
        s = scan[at]
        e = scan[at + 1]
        if s < 0:
            s = ~s
        if e - s > max_span:
            continue
        number += 1
        if scan[at] < 0:
            out[j] = s
            out[j + 1] = e
            out[j + 2] = number
            j += 3
    out[j : j + rest] = scan[hexes:m]
    return out


@njit(cache=True, nogil=True)
def payload_scan(b: np.ndarray, min_token: int, max_span: int) -> np.ndarray:
    """:func:`decode_scan` with the tokens ``find_encoded`` could decode only, numbered.

    ``[capitals and digits, tokens, *token (start, end, number), *hex (start, end)]``. A token's
    number counts the candidates ``find_encoded`` counts (not an ordinary word, at most
    ``max_span`` characters) up to and including it, so that it stops after the same ones; a token
    is left out when no decoder of ``_decode._decode_token`` can get text out of it (base32: no run
    of twelve; base64 and base85: nothing printable comes out, see :func:`_maybe_text`).
    """
    return _payload_into(b, min_token, max_span, 0)


# -- everything the injection detector reads from the raw (ASCII) text, in one call ---------------


#: Byte classes of :func:`raw_scan`'s pass: the odd symbols of the suffix gate, upper and lower case,
#: the uuencode alphabet (``!`` to backquote), the dot and dash of the Morse gate, and the newline.
_R_ODD, _R_UPPER, _R_LOWER, _R_UU, _R_MORSE, _R_NL = 1, 2, 4, 8, 16, 32
_RAW_CLASSES = np.array(
    [
        (_R_ODD if chr(c) in "[]{}<>\\^~`|" else 0)
        | (_R_UPPER if 65 <= c <= 90 else 0)
        | (_R_LOWER if 97 <= c <= 122 else 0)
        | (_R_UU if 33 <= c <= 96 else 0)
        | (_R_MORSE if chr(c) in ".-" else 0)
        | (_R_NL if c == 10 else 0)
        for c in range(256)
    ],
    np.uint8,
)


@njit(cache=True, nogil=True)
def raw_scan(
    b: np.ndarray,
    limit: int,
    lit_bytes: np.ndarray,
    lit_starts: np.ndarray,
    lit_first: np.ndarray,
    prose: np.ndarray,
    code_words: np.ndarray,
    code_starts: np.ndarray,
) -> np.ndarray:
    """The raw-text views of the injection detector for the ASCII text ``b``, in one array.

    ``[literals, marks, best, kinds, first, last, code, uu, morse, *decode_scan(b, 10)]``:

    - ``literals``: bit ``i`` set when literal ``i`` (``lit_bytes``/``lit_starts``; ``lit_first``
      maps a first byte to the literals starting with it, ``lit_first[256 + c]`` a second byte
      ``c`` to those it can follow, every one-byte literal included, and ``lit_first[512]`` is
      the one-byte literals) occurs in ``b``, and :data:`SPLIT_LETTERS`
      when ``_decode._SPLIT_RE`` has a match in ``b`` (single letters split apart: ``i g n o r e``);
    - the adversarial-suffix view of ``b[:limit]``: after ``injection._suffix_signal``'s gate (at
      least three odd symbols, or one with a lower-upper case change), :func:`suffix_window`
      over 160 characters (``marks`` 0 when gated out), and when the densest window is strong
      enough to be reported, whether the lines around it hold two ``_CODE_RE`` hits (``code``
      1 or 0; -1: not looked at);
    - ``uu``: some line starts with five characters of the uuencode alphabet, the first a length
      character (``!`` to ``M``), as ``_decode._UU_RE`` needs;
    - ``morse``: one of ``.- -. ` .-` ` -.` `-- ` `.. `` occurs (the Morse gate);
    - then :func:`payload_scan` (tokens of ten characters or more, at most 8 KiB).
    """
    n = b.shape[0]
    found = 0
    odd = 0  # the suffix gate: symbols prose rarely uses,
    hint = False  # and a case change inside a word
    uu = 0
    morse = 0
    prev = _R_NL  # the class of the byte before: the text starts a line
    split = 0  # a run of six single letters split by one to three other characters (no newline)
    chain = 0
    last = -1
    newline = -1
    letters = _R_UPPER | _R_LOWER
    for p in range(n):  # one pass for the literals, the gates of the suffix, uuencode, Morse, split letters
        c = b[p]
        k = _RAW_CLASSES[c]
        if k & letters and not prev & letters and split == 0:
            if p + 1 < n and _RAW_CLASSES[b[p + 1]] & letters:
                chain = 0  # a word: no single letter, and the chain is broken
            else:
                chain = chain + 1 if chain > 0 and p - last <= 4 and newline < last else 1
                last = p
                if chain >= 6:
                    split = SPLIT_LETTERS
        elif c == 10:
            newline = p
        if p < limit:
            if k & _R_ODD:
                odd += 1
            elif k & _R_UPPER and prev & _R_LOWER:
                hint = True
        if prev & _R_NL and uu == 0 and p + 5 <= n and c <= 77:  # a uuencoded line starts with ! to M
            ok = True
            for q in range(p, p + 5):
                if not _RAW_CLASSES[b[q]] & _R_UU:
                    ok = False
                    break
            if ok:
                uu = 1
        prev = k
        # The literals that can start here, by this byte and the next (no branch: "t" and "-" are
        # common and a second byte of "o" or "-" rare).
        cand = lit_first[c] & lit_first[256 + (b[p + 1] if p + 1 < n else 256)] & ~found
        while cand:
            low = cand & -cand
            cand ^= low
            i = _BIT_INDEX[low % 67]
            s, e = lit_starts[i], lit_starts[i + 1]
            if p + e - s <= n:
                same = True
                for j in range(e - s):  # (inline: a helper call here costs reference counting)
                    if b[p + j] != lit_bytes[s + j]:
                        same = False
                        break
                if same:
                    found |= low
        # Morse: ".- ", "-. ", "-- ", ".. " (two of [.-], a space) or " .-", " -." (a space, two
        # different ones), found at the first dot or dash, as spaces are many and dots few.
        if k & _R_MORSE and morse == 0 and p + 1 < n:
            c1 = b[p + 1]
            if (c1 == 46 or c1 == 45) and (
                (p + 2 < n and b[p + 2] == 32) or (c1 != c and p > 0 and b[p - 1] == 32)
            ):
                morse = 1
    marks = 0
    best = 0
    nkinds = 0
    first = 0
    last = 0
    code = -1
    if n >= 24 and not (odd < 3 and (odd == 0 or not hint)):
        marks, best, nkinds, first, last = suffix_window(b[:limit], prose, 160)
        if marks >= 4 and not (best < 5 or (nkinds < 2 and best < 7)):
            end = min(n, last + 24)
            line_start = 0
            for q in range(first - 1, -1, -1):
                if b[q] == 10:
                    line_start = q + 1
                    break
            stop = n
            for q in range(end, n):
                if b[q] == 10:
                    stop = q
                    break
            code = 1 if code_hits(b, line_start, stop, code_words, code_starts) >= 2 else 0
    # int64, not literal constants: numba would compile _payload_into again for the literals' types.
    out = _payload_into(b, np.int64(10), np.int64(8192), np.int64(9))  # type: ignore[arg-type]
    out[0] = found | split
    out[1] = marks
    out[2] = best
    out[3] = nkinds
    out[4] = first
    out[5] = last
    out[6] = code
    out[7] = uu
    out[8] = morse
    return out


# -- what the personal-data and secrets detectors need to know first (their gates), in one pass ----


#: Bits of :func:`triage_classes`.
_T_DIGIT, _T_SEP, _T_SPACE, _T_UPPER, _T_LOWER, _T_MARK = 1, 2, 4, 8, 16, 32


def _triage_classes() -> np.ndarray:
    """The byte classes :func:`triage` reads: digit, number separator (`` .-()/+``), white space
    (as ``secrets._SPACE_SHAPE``), upper case, lower case, and ``@`` or ``:``."""
    table = np.zeros(256, np.uint8)
    for c in range(256):
        bits = 0
        if 48 <= c <= 57:
            bits |= _T_DIGIT
        if c in b" .-()/+":
            bits |= _T_SEP
        if c == 32 or 9 <= c <= 13:
            bits |= _T_SPACE
        if 65 <= c <= 90:
            bits |= _T_UPPER
        if 97 <= c <= 122:
            bits |= _T_LOWER
        if c in b"@:":
            bits |= _T_MARK
        table[c] = bits
    return table


_TRIAGE_CLASSES = _triage_classes()
#: What every private key block of ``secrets`` holds (case and all).
_KEY_BLOCK = np.frombuffer(b"PRIVATE KEY", np.uint8).copy()
#: ASCII lower case of each byte (other bytes unchanged).
_LOWER = np.array([c + 32 if 65 <= c <= 90 else c for c in range(256)], np.uint8)


@njit(cache=True, nogil=True, inline="always")
def _is_word3(b: np.ndarray, q: int, lower: np.ndarray, x: int, y: int, z: int) -> bool:
    return bool(lower[b[q]] == x and lower[b[q + 1]] == y and lower[b[q + 2]] == z)


@njit(cache=True, nogil=True, inline="always")
def _key_follows(b: np.ndarray, q: int, lower: np.ndarray) -> bool:
    """True when ``b[q:]`` starts like the rest of a key and its separator in ``secrets._KEY_VALUE``:
    ``[\\w.\\-]*["']?\\s*`` then ``:`` or ``=``, or white space, ``is`` or ``was`` and white space
    (the key may go on over the space of "api key")."""
    n = b.shape[0]
    while q < n:
        c = b[q]
        api = c == 32 and q >= 3 and q + 3 < n and _is_word3(b, q - 3, lower, 97, 112, 105)
        if api and _is_word3(b, q + 1, lower, 107, 101, 121):
            q += 1
            continue
        if not (_word(c) or c == 46 or c == 45):
            break
        q += 1
    if q < n and (b[q] == 34 or b[q] == 39):
        q += 1
    ws = 0
    while q < n and _ws(b[q]):
        q += 1
        ws += 1
    if q >= n:
        return False
    if b[q] == 58 or b[q] == 61:
        return True
    if ws == 0:
        return False
    k = 2 if lower[b[q]] == 105 and q + 1 < n and lower[b[q + 1]] == 115 else 0
    if k == 0 and q + 2 < n and lower[b[q]] == 119 and lower[b[q + 1]] == 97 and lower[b[q + 2]] == 115:
        k = 3
    if k == 0 or q + k >= n:
        return False
    return bool(_ws(b[q + k]))


@njit(cache=True, nogil=True, inline="always")
def _dotted_quad(b: np.ndarray, q: int) -> bool:
    """``\\.\\d{1,3}\\.\\d{1,3}\\.\\d`` matches at ``b[q]`` (a dot)."""
    n = b.shape[0]
    for _ in range(2):
        q += 1
        digits = 0
        while q < n and 48 <= b[q] <= 57 and digits < 4:
            q += 1
            digits += 1
        if digits == 0 or digits > 3 or q >= n or b[q] != 46:
            return False
    return bool(q + 1 < n and 48 <= b[q + 1] <= 57)


@njit(cache=True, nogil=True)
def triage(
    b: np.ndarray,
    lit_bytes: np.ndarray,
    lit_starts: np.ndarray,
    lit_next: np.ndarray,
    nkeys: int,
    free_keys: int,
    nbirth: int,
    discord_min: int,
) -> np.ndarray:
    """The gates of ``pii.PIIDetector`` and ``secrets.SecretsDetector`` for the ASCII text ``b``.

    ``[flags, iban, street, birth, ipv6, keys, numbers]``: ``flags`` the bits of ``_view``; ``iban`` where
    two capitals and two digits first stand in a row; ``street`` where a digit, a space and a
    capital (or a digit, two lower-case letters, a space and a capital) first do; ``birth`` where
    the first of the literals ``nkeys`` to ``nbirth`` starts; ``ipv6`` where ``pii._IPV6_GATE``
    first matches; ``keys`` bit ``i`` set when literal ``i < nkeys`` occurs followed by what
    ``secrets._KEY_VALUE`` needs after a key word (see :func:`_key_follows`), or anywhere when its
    bit is in ``free_keys``; ``numbers`` where ``pii._NUM_GATE`` first matches: the first digit of
    the first run of six digits with at most two of `` .-()/`` between neighbours. The literals
    (``lit_bytes``/``lit_starts``, three bytes or more, lower case) are matched against the
    lower-cased text; bit ``i`` of ``lit_next[c]``, ``lit_next[256 + c]`` and ``lit_next[512 + c]``
    says that byte 0, 1 and 2 of literal ``i`` is ``c`` in either case, so three lookups of the text's
    bytes and no branch rule out almost every place. The literals from ``nbirth`` on, or a piece of
    ``discord_min`` characters or more with two dots, set :data:`TOKEN_HINT` in ``flags`` (when it
    has :data:`LONG_PIECE`).
    ``flags`` also has :data:`KEY_BLOCK` and :data:`URL_MARK` when the text holds ``PRIVATE KEY`` or
    ``://``, and :data:`PII_QUIET` and :data:`SECRETS_QUIET` when the gates say that those detectors
    find nothing. Positions are -1 when absent.
    """
    classes = _TRIAGE_CLASSES
    lower = _LOWER
    n = b.shape[0]
    flags = 0
    iban = -1
    street = -1
    birth = -1
    ipv6 = -1
    found = 0
    numbers = -1
    run = 0  # digits with at most two separators between neighbours,
    run_at = 0  # from here
    gap = 0  # separators since the last digit
    piece = 0  # characters since the last white space
    dots = 0  # dots since the last white space
    token = False  # a token prefix or a piece that can hold a Discord token
    l1 = b[0] if n > 0 else 0
    l2 = b[1] if n > 1 else 0
    for p in range(n):
        c = b[p]
        k = classes[c]
        l0 = l1
        l1 = l2
        l2 = b[p + 2] if p + 2 < n else 0
        if k & _T_SPACE:
            piece = 0
            dots = 0
        else:
            piece += 1
            if c == 46:
                dots += 1
        if piece >= 15:
            flags |= LONG_PIECE
            if piece >= discord_min and dots >= 2:
                token = True
        if k & _T_DIGIT:
            if run == 0 or gap > 2:
                run = 0
                run_at = p
            run += 1
            gap = 0
            if run >= 6 and numbers < 0:
                numbers = run_at
            if p + 1 < n:
                d = b[p + 1]
                kd = classes[d]
                if kd & _T_DIGIT:
                    flags |= DIGIT_PAIR
                elif d == 46 and not flags & DOTTED_QUAD and _dotted_quad(b, p + 1):
                    flags |= DOTTED_QUAD
                if street < 0 and (
                    (d == 32 and p + 2 < n and classes[b[p + 2]] & _T_UPPER)
                    or (
                        p + 4 < n
                        and kd & _T_LOWER
                        and classes[b[p + 2]] & _T_LOWER
                        and b[p + 3] == 32
                        and classes[b[p + 4]] & _T_UPPER
                    )
                ):
                    street = p
        elif k & _T_SEP and c != 43:  # the separators of _NUM_GATE: " .-()/"
            gap += 1
        else:
            run = 0
        if k & _T_MARK:
            if c == 64:
                flags |= AT_SIGN
            else:
                if p + 2 < n and b[p + 1] == 47 and b[p + 2] == 47:
                    flags |= URL_MARK
                if ipv6 < 0:
                    q = p + 1
                    while q < n and q - p <= 5 and _hex_digit(b[q]):
                        q += 1
                    if q < n and q - p <= 5 and b[q] == 58:
                        ipv6 = p
        elif (
            k & _T_UPPER
            and iban < 0
            and p + 3 < n
            and classes[b[p + 1]] & _T_UPPER
            and classes[b[p + 2]] & _T_DIGIT
            and classes[b[p + 3]] & _T_DIGIT
        ):
            iban = p
        if c == 80 and p + 11 <= n and not flags & KEY_BLOCK:  # "P"
            same = True
            for j in range(1, 11):
                if b[p + j] != _KEY_BLOCK[j]:
                    same = False
                    break
            if same:
                flags |= KEY_BLOCK
        cand = lit_next[l0] & lit_next[256 + l1] & lit_next[512 + l2] & ~found
        while cand:
            bit = cand & -cand
            cand ^= bit
            i = _BIT_INDEX[bit % 67]
            s, e = lit_starts[i], lit_starts[i + 1]
            if p + e - s > n:
                continue
            same = True
            for j in range(e - s):
                if lower[b[p + j]] != lit_bytes[s + j]:
                    same = False
                    break
            if same:
                if i < nkeys and not free_keys & bit and not _key_follows(b, p + e - s, lower):
                    continue  # a key word in prose ("the token stream"): look at its next one
                found |= bit
                if i >= nbirth:
                    token = True
                elif i >= nkeys and birth < 0:
                    birth = p
    if token and flags & LONG_PIECE:
        flags |= TOKEN_HINT
    keys = found & ((1 << nkeys) - 1)
    # What ``pii._triaged`` and the start of ``secrets.SecretsDetector.detect`` read: nothing to do.
    if (
        not flags & (AT_SIGN | DOTTED_QUAD)
        and ipv6 < 0
        and (not flags & DIGIT_PAIR or (numbers < 0 and iban < 0 and birth < 0 and street < 0))
    ):
        flags |= PII_QUIET
    url_user = flags & (URL_MARK | AT_SIGN) == URL_MARK | AT_SIGN  # a password may stand in a URL
    if not flags & (TOKEN_HINT | KEY_BLOCK) and keys == 0 and not url_user:
        flags |= SECRETS_QUIET
    out = np.empty(TRIAGE, np.int64)
    out[0] = flags
    out[1] = iban
    out[2] = street
    out[3] = birth
    out[4] = ipv6
    out[5] = keys
    out[6] = numbers
    return out


def pack(arrays: list[np.ndarray], dtype: type) -> np.ndarray:
    """``arrays`` in one array of ``dtype``: a header of (start, end) per array, then the arrays.

    (numba's dispatcher checks each argument's type on every call: one packed argument is much
    cheaper than a dozen arrays, let alone a tuple of them.)
    """
    head = 2 * len(arrays)
    out: np.ndarray = np.empty(head + sum(len(a) for a in arrays), dtype)
    at = head
    for i, a in enumerate(arrays):
        out[2 * i], out[2 * i + 1] = at, at + len(a)
        out[at : at + len(a)] = a
        at += len(a)
    return out


@njit(cache=True, nogil=True, inline="always")
def _part(packed: np.ndarray, i: int) -> np.ndarray:
    return packed[packed[2 * i] : packed[2 * i + 1]]


@njit(cache=True, nogil=True, inline="always")
def _bpart(ints: np.ndarray, bytes_: np.ndarray, i: int) -> np.ndarray:
    where = _part(ints, 12)  # byte arrays: (start, end) each, in the int pack
    return bytes_[where[2 * i] : where[2 * i + 1]]


@njit(cache=True, nogil=True)
def _settled(b: np.ndarray, raw: np.ndarray, gate: np.ndarray, nsets: int, nfolded: int) -> bool:
    """True when the injection detector need search only the raw rules ``gate`` lets through.

    ``raw`` and ``gate`` are :func:`raw_scan` and :func:`gate_view` of the ASCII text ``b``. Nothing
    else can signal: no folded rule passes, no word is glued, no ciphered reading, split letters,
    adversarial suffix (``injection._suffix_signal``'s thresholds, outside what the kernel found to
    be source code) or payload to decode (``_decode.nothing_encoded``'s tests: no candidate token,
    no Morse or uuencoded line, no NATO spelling outside prose, fewer than three ``%XX``; and no
    hex run with a hex letter: ``find_encoded`` decodes no other). The word sets' counts come in
    the order of ``injection._WORD_SETS``: common, NATO, rot13 and reversal triggers, ciphered,
    letters.
    """
    first = 3 + nsets  # gate: [n, *counts, ., npassing, *passing, leads (folded rules only), nglue, ...]
    end = first + gate[first - 1]
    if end > first and gate[first] < nfolded:
        return False  # folded rules to search
    if gate[end] != 0 or gate[end + 1] != 0:
        return False  # glued words
    n = gate[0]
    common, nato, rot13_triggers, reversed_triggers, ciphered, letters = gate[1 : 1 + 6]
    if rot13_triggers >= 2 or reversed_triggers >= 2 or ciphered >= 2:
        return False
    if letters >= 4 and raw[0] & SPLIT_LETTERS:
        return False
    marks, best, kinds = raw[1], raw[2], raw[3]
    if marks >= 4 and best >= 5 and (kinds >= 2 or best >= 7) and raw[6] != 1:
        return False  # a suffix to weigh (raw[6] == 1: the lines around it are source code)
    ntok = raw[10]  # raw[9:]: payload_scan (capitals and digits, tokens, *tokens, *hex runs)
    if raw[9] >= 8 and ntok != 0:
        return False  # tokens to decode
    for h in range(11 + 3 * ntok, raw.shape[0], 2):
        for q in range(raw[h], raw[h + 1]):
            if 97 <= (b[q] | 32) <= 102:
                return False  # a hex run with a hex letter (digits alone are numbers)
    prose = n >= 6 and common >= 0.4 * n
    if (not prose and nato >= 4) or raw[8] != 0:
        return False  # NATO spelling or Morse to look for
    units = 0  # "%XX", counted as ``re.findall`` does (never overlapping)
    lines = False  # a backquote or a newline (uuencoded lines need one)
    nb = b.shape[0]
    p = 0
    while p < nb:
        c = b[p]
        if c == 96 or c == 10:
            lines = True
        if c == 37 and p + 2 < nb and _hex_digit(b[p + 1]) and _hex_digit(b[p + 2]):
            units += 1
            p += 3
        else:
            p += 1
    if raw[7] != 0 and not prose and lines:
        return False  # uuencoded lines possible
    return units < 3


@njit(cache=True, nogil=True, inline="always")
def _head_skip(c: int) -> bool:  # [\s>#*=\-\[(]: what may stand before the word heading a line
    return bool(_CLASSES[c] & _C_WS) or c in (62, 35, 42, 61, 45, 91, 40)


@njit(cache=True, nogil=True, inline="always")
def _head_word(
    b: np.ndarray, folded: np.ndarray, q: int, table: np.ndarray, vocab: np.ndarray, vstarts: np.ndarray
) -> int:
    """The vocabulary index of the folded run of ASCII letters of ``b`` starting at ``q``, or -1."""
    e = q
    while e < b.shape[0] and _CLASSES[b[e]] & (_C_UPPER | _C_LOWER):
        e += 1
    return _vocab_at(folded, q, e, table, vocab, vstarts) if e > q else -1


@njit(cache=True, nogil=True)
def heads_open(
    b: np.ndarray,
    folded: np.ndarray,
    gate: np.ndarray,
    nsets: int,
    head_kind: np.ndarray,
    head_ptr: np.ndarray,
    head_words: np.ndarray,
    table: np.ndarray,
    vocab: np.ndarray,
    vstarts: np.ndarray,
) -> bool:
    r"""Whether a rule passing in ``gate`` (:func:`gate_view` of ``folded``, ``b`` folded) can still match.

    False only when every rule passing has a head (``head_kind``: 1 "line", 2 "marker", 0 none; see
    ``Rule.head``) and none of its head words (``head_ptr`` CSR over ``head_words``, vocabulary indices)
    stands at such a head in ``b``: at a line head, first on a line (at the text's start or after a
    newline) behind nothing but ``[\s>#*=\-\[(]``; at a marker head, right after a run of three or
    more of one of ``-=#*`` and white space. The word is the whole run of ASCII letters there, folded.
    """
    first = 3 + nsets
    npass = gate[first - 1]
    kinds = 0
    for k in range(npass):
        kind = head_kind[gate[first + k]]
        if kind == 0:
            return True
        kinds |= kind
    n = b.shape[0]
    for kind in (1, 2):
        if not kinds & kind:
            continue
        p = 0
        while p < n:
            q = -1  # where a head word may start
            if kind == 1:  # p starts a line
                q = p
                while q < n and _head_skip(b[q]):
                    q += 1
                nxt = q
                while nxt < n and b[nxt] != 10:
                    nxt += 1
                nxt += 1
            else:  # a run of one of -=#* from p
                c = b[p]
                nxt = p + 1
                if c == 45 or c == 61 or c == 35 or c == 42:
                    while nxt < n and b[nxt] == c:
                        nxt += 1
                    if nxt - p >= 3:
                        q = nxt
                        while q < n and _CLASSES[b[q]] & _C_WS:
                            q += 1
            if q >= 0 and q < n:
                v = _head_word(b, folded, q, table, vocab, vstarts)
                if v >= 0:
                    for k in range(npass):
                        r = gate[first + k]
                        if head_kind[r] == kind:
                            for w in range(head_ptr[r], head_ptr[r + 1]):
                                if head_words[w] == v:
                                    return True
            p = nxt
    return False


@njit(cache=True, nogil=True)
def text_scan(
    b: np.ndarray, limit: int, ints: np.ndarray, bytes_: np.ndarray, with_starts: bool
) -> np.ndarray:
    """:func:`raw_scan` of the ASCII text ``b`` and :func:`gate_view` of its folded bytes, in one call.

    ``[*triage, len of the raw_scan part, *raw_scan, *gate_view]`` (:func:`triage` too, for the
    other detectors: one kernel call per text for all of them). ``ints`` and ``bytes_`` are the
    other arguments, packed (see ``_fast``): ints (:func:`pack`) are lit_starts, lit_first,
    prose, code_starts, table, vstarts, vsets, rgroups_ptr, always, rleads_ptr, rleads, [nsets,
    number of folded rules], where each byte array lies in ``bytes_``, the triage literals' starts
    and first-bytes table, [nkeys, free_keys, nbirth, discord_min], rlits, pw2, pexact, pgap, vrec,
    rmasks, glue5, [fbits], the rules' heads (see :func:`heads_open`: head_kind, head_ptr,
    head_words), vlptr, vlead; the byte arrays are lit_bytes, code_words, vocab, the fold table
    (``_text.fold`` of each ASCII byte, one to one), the triage literals and pbytes. The raw rules
    are gated by the literals ``raw_scan`` found; :data:`INJECTION_SETTLED` in the flags is
    :func:`_settled`, and :data:`INJECTION_QUIET` is that with no rule passing or all those passing
    closed by :func:`heads_open`. The flags always have :data:`ASCII_TEXT`.
    """
    raw = raw_scan(
        b, limit, _bpart(ints, bytes_, 0), _part(ints, 0), _part(ints, 1), _part(ints, 2),
        _bpart(ints, bytes_, 1), _part(ints, 3),
    )  # fmt: skip
    fold_table = _bpart(ints, bytes_, 3)
    folded = np.empty(b.shape[0], np.uint8)
    for i in range(b.shape[0]):
        folded[i] = fold_table[b[i]]
    gate = gate_view(
        folded, _part(ints, 4), _bpart(ints, bytes_, 2), _part(ints, 5), _part(ints, 6), _part(ints, 11)[0],
        _part(ints, 7), _part(ints, 8), _part(ints, 9), _part(ints, 10), raw[0], _part(ints, 16),
        _part(ints, 17), _part(ints, 18), _part(ints, 19), _bpart(ints, bytes_, 5), _part(ints, 20),
        _part(ints, 21), _part(ints, 22), _part(ints, 23)[0], _part(ints, 27), _part(ints, 28), with_starts,
    )  # fmt: skip
    t = _part(ints, 15)  # nkeys, free_keys, nbirth, discord_min
    first = triage(b, _bpart(ints, bytes_, 4), _part(ints, 13), _part(ints, 14), t[0], t[1], t[2], t[3])
    out = np.empty(TRIAGE + 1 + raw.shape[0] + gate.shape[0], np.int64)
    out[:TRIAGE] = first
    out[0] |= ASCII_TEXT
    nsets = _part(ints, 11)[0]
    if _settled(b, raw, gate, nsets, _part(ints, 11)[1]):
        out[0] |= INJECTION_SETTLED
        if gate[2 + nsets] == 0 or not heads_open(
            b, folded, gate, nsets, _part(ints, 24), _part(ints, 25), _part(ints, 26), _part(ints, 4),
            _bpart(ints, bytes_, 2), _part(ints, 5),
        ):  # fmt: skip
            out[0] |= INJECTION_QUIET
    out[TRIAGE] = raw.shape[0]
    at = TRIAGE + 1
    out[at : at + raw.shape[0]] = raw
    out[at + raw.shape[0] :] = gate
    return out
