"""Edit distance and longest common subsequence over symbol sequences.

Both measures run bit-parallel: the shorter sequence (the *pattern*) is held
as bit vectors, 64 pattern positions per machine word, and each symbol of the
longer sequence updates all of them with a handful of word operations.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import numpy.typing as npt
from numba import njit

from midstream_mcp.core.analytics._validate import InvalidInput

__all__ = [
    "edit_distance",
    "edit_similarity",
    "encode_pair",
    "lcs_length",
    "lcs_similarity",
    "warmup",
]

Codes = npt.NDArray[np.int64]


# --------------------------------------------------------------------------- encoding


def _as_symbols(x: Any, field: str, max_length: int | None) -> Codes | list[Any]:
    """A string becomes its code points; a sequence is checked item by item."""
    if isinstance(x, str):
        if max_length is not None and len(x) > max_length:
            raise InvalidInput(field, f"has {len(x)} characters, more than the limit of {max_length}")
        return np.frombuffer(x.encode("utf-32-le"), dtype=np.uint32).astype(np.int64)
    if isinstance(x, np.ndarray):
        if x.ndim != 1:
            raise InvalidInput(field, f"expected a 1-D sequence, got {x.ndim} dimensions")
        if max_length is not None and len(x) > max_length:
            raise InvalidInput(field, f"has {len(x)} items, more than the limit of {max_length}")
        if x.dtype.kind in "iub":
            return x.astype(np.int64)
        if x.dtype.kind == "f" and not np.isfinite(x).all():
            raise InvalidInput(field, "contains NaN or infinity")
        return list(x.tolist())
    if not isinstance(x, Sequence) or isinstance(x, (bytes, bytearray)):
        raise InvalidInput(field, "expected a string or an array of tokens or numbers")
    if max_length is not None and len(x) > max_length:
        raise InvalidInput(field, f"has {len(x)} items, more than the limit of {max_length}")
    kinds: set[str] = set()
    for i, item in enumerate(x):
        if isinstance(item, (bool, int, np.integer)):
            kinds.add("number")
        elif isinstance(item, (float, np.floating)):
            if item != item or item in (float("inf"), float("-inf")):
                raise InvalidInput(field, f"item {i} is NaN or infinite")
            kinds.add("number")
        elif isinstance(item, str):
            kinds.add("token")
        else:
            raise InvalidInput(
                field, f"item {i} is a {type(item).__name__}; items must be strings (tokens) or numbers"
            )
    if len(kinds) > 1:
        raise InvalidInput(field, "mixes tokens and numbers; use one kind of item")
    return list(x)


def encode_pair(
    a: Any,
    b: Any,
    *,
    field_a: str = "a",
    field_b: str = "b",
    max_length: int | None = None,
) -> tuple[Codes, Codes]:
    """Map two sequences onto one dense integer alphabet.

    Strings are compared by Unicode code point, token lists token by token and
    number lists by value; equal symbols get equal codes. A string paired with
    a token list is compared as a list of one-character tokens.

    Raises
    ------
    InvalidInput
        For unhashable, nested or mixed items, NaN, or a sequence longer than
        ``max_length``; the error names the field.
    """
    sa = _as_symbols(a, field_a, max_length)
    sb = _as_symbols(b, field_b, max_length)
    if isinstance(a, str) and isinstance(b, str):
        # Code points already are a shared alphabet.
        assert isinstance(sa, np.ndarray) and isinstance(sb, np.ndarray)
        return sa, sb
    if (
        isinstance(sa, np.ndarray)
        and isinstance(sb, np.ndarray)
        and not isinstance(a, str)
        and not isinstance(b, str)
    ):
        both = np.concatenate((sa, sb))
        _, inverse = np.unique(both, return_inverse=True)
        inverse = inverse.astype(np.int64)
        return inverse[: len(sa)], inverse[len(sa) :]
    la = [chr(int(c)) for c in sa] if isinstance(sa, np.ndarray) and isinstance(a, str) else list(sa)
    lb = [chr(int(c)) for c in sb] if isinstance(sb, np.ndarray) and isinstance(b, str) else list(sb)
    table: dict[Any, int] = {}
    ca = np.fromiter((table.setdefault(s, len(table)) for s in la), dtype=np.int64, count=len(la))
    cb = np.fromiter((table.setdefault(s, len(table)) for s in lb), dtype=np.int64, count=len(lb))
    return ca, cb


# --------------------------------------------------------------------------- kernels


@njit(cache=True, nogil=True)
def _build_peq(pcodes: Codes, n_symbols: int, words: int) -> npt.NDArray[np.uint64]:  # pragma: no cover
    peq = np.zeros((n_symbols, words), dtype=np.uint64)
    for i in range(pcodes.shape[0]):
        peq[pcodes[i], i >> 6] |= np.uint64(1) << np.uint64(i & 63)
    return peq


@njit(cache=True, nogil=True)
def _levenshtein_kernel(peq: npt.NDArray[np.uint64], tcodes: Codes, m: int) -> int:  # pragma: no cover
    """Myers (1999) bit-vector Levenshtein with Hyyrö's multi-word blocks.

    Horizontal deltas between blocks travel as two carry bits (+1, -1), which
    keeps the inner loop free of branches. Row 0 of the DP matrix is 0, 1, 2,
    ... (global distance), so block 0 always receives a +1 from above.
    """
    one = np.uint64(1)
    top = np.uint64(63)
    words = peq.shape[1]
    pv = np.empty(words, dtype=np.uint64)
    mv = np.zeros(words, dtype=np.uint64)
    for w in range(words):
        pv[w] = np.uint64(0xFFFFFFFFFFFFFFFF)
    last = np.uint64((m - 1) & 63)
    score = m
    for t in range(tcodes.shape[0]):
        row = peq[tcodes[t]]
        hp = one
        hn = np.uint64(0)
        for w in range(words - 1):
            p = pv[w]
            mm = mv[w]
            eq = row[w]
            xv = eq | mm
            eq |= hn
            xh = (((eq & p) + p) ^ p) | eq
            ph = mm | ~(xh | p)
            mh = p & xh
            hp_out = ph >> top
            hn_out = mh >> top
            ph = (ph << one) | hp
            mh = (mh << one) | hn
            pv[w] = mh | ~(xv | ph)
            mv[w] = ph & xv
            hp = hp_out
            hn = hn_out
        w = words - 1
        p = pv[w]
        mm = mv[w]
        eq = row[w]
        xv = eq | mm
        eq |= hn
        xh = (((eq & p) + p) ^ p) | eq
        ph = mm | ~(xh | p)
        mh = p & xh
        score += int((ph >> last) & one) - int((mh >> last) & one)
        ph = (ph << one) | hp
        mh = (mh << one) | hn
        pv[w] = mh | ~(xv | ph)
        mv[w] = ph & xv
    return score


@njit(cache=True, nogil=True)
def _lcs_kernel(peq: npt.NDArray[np.uint64], tcodes: Codes, m: int) -> int:  # pragma: no cover
    """Hyyrö (2004) bit-parallel LCS length, with carries across words.

    V starts all ones; for each text symbol with match mask M,
    ``V = (V + (V & M)) | (V & ~M)``. Zero bits of V count the LCS.
    """
    words = peq.shape[1]
    v = np.empty(words, dtype=np.uint64)
    for w in range(words):
        v[w] = np.uint64(0xFFFFFFFFFFFFFFFF)
    for t in range(tcodes.shape[0]):
        row = peq[tcodes[t]]
        carry = np.uint64(0)
        for w in range(words):
            x = v[w]
            u = x & row[w]
            s1 = x + carry
            c1 = np.uint64(1) if s1 < x else np.uint64(0)
            s2 = s1 + u
            c2 = np.uint64(1) if s2 < s1 else np.uint64(0)
            carry = c1 | c2
            v[w] = s2 | (x - u)
    zeros = 0
    for i in range(m):
        if not (v[i >> 6] >> np.uint64(i & 63)) & np.uint64(1):
            zeros += 1
    return zeros


@njit(cache=True, nogil=True)
def _measure(a: Codes, b: Codes, lcs: bool) -> int:  # pragma: no cover
    """Strip common affixes, recode the pattern densely, run the bit-parallel kernel.

    One compiled call for the whole job keeps the per-call overhead of short
    inputs to a single dispatch.
    """
    n, m = a.shape[0], b.shape[0]
    lo = 0
    while lo < n and lo < m and a[lo] == b[lo]:
        lo += 1
    hi_a, hi_b = n, m
    while hi_a > lo and hi_b > lo and a[hi_a - 1] == b[hi_b - 1]:
        hi_a -= 1
        hi_b -= 1
    common = lo + (n - hi_a)
    x = a[lo:hi_a]
    y = b[lo:hi_b]
    if x.shape[0] > y.shape[0]:
        x, y = y, x  # the shorter side becomes the bit-vector pattern
    plen = x.shape[0]
    if plen == 0:
        return int(common) if lcs else int(y.shape[0])
    top = max(x.max(), y.max())
    if top <= 8 * (x.shape[0] + y.shape[0]) + 1024:
        # Small alphabets (ASCII text, token ids): a lookup table beats sorting.
        lut = np.full(top + 1, -1, dtype=np.int64)
        k = 0
        for i in range(plen):
            if lut[x[i]] < 0:
                lut[x[i]] = k
                k += 1
        pcodes = np.empty(plen, dtype=np.int64)
        for i in range(plen):
            pcodes[i] = lut[x[i]]
        tcodes = np.empty(y.shape[0], dtype=np.int64)
        for i in range(y.shape[0]):
            c = lut[y[i]]
            tcodes[i] = c if c >= 0 else k
    else:
        symbols = np.unique(x)
        k = symbols.shape[0]
        pcodes = np.searchsorted(symbols, x)
        tpos = np.searchsorted(symbols, y)
        tcodes = np.empty(y.shape[0], dtype=np.int64)
        for i in range(y.shape[0]):
            p = tpos[i]
            tcodes[i] = p if p < k and symbols[p] == y[i] else k
    peq = _build_peq(pcodes.astype(np.int64), k + 1, (plen + 63) // 64)
    if lcs:
        return int(common) + int(_lcs_kernel(peq, tcodes, plen))
    return int(_levenshtein_kernel(peq, tcodes, plen))


# --------------------------------------------------------------------------- public API


def edit_distance(a: Any, b: Any, *, max_length: int | None = None) -> int:
    """Levenshtein distance: insertions, deletions and substitutions each cost 1.

    Parameters
    ----------
    a, b : str or sequence of str or numbers or 1-D integer array
        Strings are compared by code point, sequences item by item.
    max_length : int, optional
        Reject longer inputs before any allocation proportional to them.

    Notes
    -----
    Bit-vector algorithm of Myers (1999), "A fast bit-vector algorithm for
    approximate string matching based on dynamic programming", J. ACM 46(3),
    in the multi-word block form of Hyyrö (2003). O(n * ceil(m / 64)) time.
    """
    ca, cb = encode_pair(a, b, max_length=max_length)
    return int(_measure(ca, cb, False))


def lcs_length(a: Any, b: Any, *, max_length: int | None = None) -> int:
    """Length of the longest common subsequence of ``a`` and ``b``.

    Notes
    -----
    Bit-parallel algorithm of Hyyrö (2004), "Bit-parallel LCS-length
    computation revisited", after Allison & Dix (1986) and Crochemore et al.
    (2001). O(n * ceil(m / 64)) time.
    """
    ca, cb = encode_pair(a, b, max_length=max_length)
    return int(_measure(ca, cb, True))


def edit_similarity(a: Any, b: Any, *, max_length: int | None = None) -> float:
    """``1 - edit_distance / max(len(a), len(b))``, in [0, 1]; 1.0 for two empty inputs."""
    ca, cb = encode_pair(a, b, max_length=max_length)
    longest = max(len(ca), len(cb))
    return 1.0 if longest == 0 else 1.0 - edit_distance(ca, cb) / longest


def lcs_similarity(a: Any, b: Any, *, max_length: int | None = None) -> float:
    """``lcs_length / max(len(a), len(b))``, in [0, 1]; 1.0 for two empty inputs."""
    ca, cb = encode_pair(a, b, max_length=max_length)
    longest = max(len(ca), len(cb))
    return 1.0 if longest == 0 else lcs_length(ca, cb) / longest


def warmup() -> None:
    """Compile (or load from the cache) every kernel of this module."""
    edit_distance("warm-up", "warmed up")
    lcs_length("warm-up", "warmed up")
