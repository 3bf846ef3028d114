"""Streaming matchers: literal/regex patterns and token sequences, found across chunk boundaries.

Every matcher keeps a bounded carry-over buffer, so memory does not grow with
the stream, and reports each match once, at the first moment it is *decided*:

- A literal or regex match at stream offset ``s`` is decided once the stream
  has ``s + span`` characters, where ``span`` bounds the match plus any
  lookaround (``len(literal)`` for a literal, the pattern's ``max_span`` for a
  regex). The reported matches are then exactly those of ``re.finditer`` over
  the whole text (leftmost, non-overlapping), whatever the chunking, as long
  as no match (with its lookaround) is longer than ``span``.
- A token-sequence pattern is matched over word/punctuation tokens with the
  bit-parallel edit distance (or LCS) kernels of :mod:`.analytics.compare`:
  the latest ``m +- k`` tokens are compared with the pattern as each token
  completes (a word completes when the next character arrives).
"""

from __future__ import annotations

import re
from collections import deque
from dataclasses import dataclass
from itertools import accumulate, chain

from midstream_mcp.core.analytics.compare import edit_distance, lcs_length

TOKEN_RE = re.compile(r"(\w+)|[^\w\s]")


@dataclass(frozen=True, slots=True)
class Match:
    """A decided match of matcher ``name`` at ``[start, end)`` (stream character offsets).

    ``decided_at`` is the number of stream characters received when the match
    was decided (None: decided only when the stream closed).
    """

    name: str
    start: int
    end: int
    decided_at: int | None
    text: str
    distance: int = 0


class RegexMatcher:
    """Leftmost non-overlapping matches of a compiled regex over a stream of text pieces."""

    __slots__ = ("_base", "_buf", "_pos", "name", "rx", "span")

    def __init__(self, name: str, rx: re.Pattern[str], span: int) -> None:
        self.name = name
        self.rx = rx
        self.span = max(1, span)
        self._buf = ""
        self._base = 0  # stream offset of _buf[0]
        self._pos = 0  # index into _buf where the search resumes

    def feed(self, text: str, final: bool = False) -> list[Match]:
        """Append ``text``; return the matches decided now (all remaining ones if ``final``)."""
        buf = self._buf + text if text else self._buf
        n = len(buf)
        span = self.span
        pos = self._pos
        search = self.rx.search
        m = search(buf, pos) if pos <= n else None
        base = self._base
        out: list[Match] = []
        while pos <= n:
            if m is None:
                pos = n if final else max(pos, n - span + 1)
                break
            s, e = m.span()
            if not final and s + span > n:
                pos = max(pos, min(s, n - span + 1))
                break
            if e > s:
                decided = None if final and s + span > n else base + s + span
                out.append(Match(self.name, base + s, base + e, decided, m.group()))
                pos = e
            else:
                pos = e + 1  # empty matches are never reported
            m = search(buf, pos) if pos <= n else None
        cut = max(0, pos - span)  # keep ``span`` characters of left context for lookbehind and \b
        if cut:
            buf = buf[cut:]
            base += cut
            pos -= cut
        self._buf, self._base, self._pos = buf, base, pos
        return out


class LiteralMatcher(RegexMatcher):
    """A literal string (optionally case-insensitive): decided as soon as it is complete."""

    __slots__ = ()

    def __init__(self, name: str, literal: str, ignore_case: bool = False) -> None:
        flags = re.IGNORECASE if ignore_case else 0
        super().__init__(name, re.compile(re.escape(literal), flags), len(literal))


class TokenSequenceMatcher:
    """A token sequence found with at most ``max_distance`` token edits (or missing tokens, for LCS)."""

    __slots__ = (
        "_base",
        "_carry",
        "_in_set",
        "_last_end",
        "_window",
        "ignore_case",
        "k",
        "m",
        "metric",
        "name",
        "pattern",
        "pattern_set",
    )

    def __init__(
        self,
        name: str,
        tokens: tuple[str, ...],
        max_distance: int = 0,
        metric: str = "edit",
        ignore_case: bool = True,
    ) -> None:
        self.name = name
        self.ignore_case = ignore_case
        self.pattern = tuple(t.lower() for t in tokens) if ignore_case else tuple(tokens)
        self.pattern_set = frozenset(self.pattern)
        self.m = len(self.pattern)
        self.k = max_distance
        self.metric = metric
        self._carry = ""  # trailing partial word
        self._base = 0  # stream offset of _carry[0]
        self._window: deque[tuple[str, int, int]] = deque(maxlen=self.m + self.k)
        self._in_set: deque[bool] = deque(maxlen=self.m + self.k)  # which of _window are pattern tokens
        self._last_end = -1

    def feed(self, text: str, final: bool = False) -> list[Match]:
        """Append ``text``; return the matches ending at tokens completed now."""
        buf = self._carry + text
        base = self._base
        nbuf = len(buf)
        found = list(TOKEN_RE.finditer(buf))
        if found and not final and found[-1].lastindex == 1 and found[-1].end() == nbuf:
            found.pop()  # a word at the end may continue in the next piece
        out: list[Match] = []
        if found:
            # (token, start, end) of each complete token, made once: the window and the checks share them
            lower = self.ignore_case
            new = [
                (t.group().lower() if lower else t.group(), base + t.start(), base + t.end()) for t in found
            ]
            pattern_set = self.pattern_set
            flags = [e[0] in pattern_set for e in new]
            window, in_set = self._window, self._in_set
            cap = self.m + self.k
            need = self.m - self.k
            # Token i of old + new can end a match only when the cap tokens up to it hold at least
            # m - k pattern tokens: prefix sums find those few, and only they get the full check
            # (none at all when the window and the new tokens hold fewer, the usual case).
            if sum(in_set) + sum(flags) >= need:
                old = len(window)
                counts = list(accumulate(chain(in_set, flags), initial=0))
                min_len = max(1, need)
                for j in range(len(found)):
                    i = old + j + 1  # tokens up to and including this one
                    lo = max(0, i - cap)
                    if counts[i] - counts[lo] < need or min(i, cap) < min_len:
                        continue
                    entries = [window[x] for x in range(lo, old)] + new[max(0, lo - old) : j + 1]
                    hit = self._check(entries, final and found[j].end() == nbuf, found[j].lastindex == 1)
                    if hit is not None:
                        out.append(hit)
            window.extend(new[-cap:])
            in_set.extend(flags[-cap:])
            end_of_complete = found[-1].end()
        else:
            end_of_complete = 0
        if final:
            self._carry, self._base = "", base + nbuf
        else:
            # keep the unfinished word (from the end of the last complete token, skipping spaces)
            rest = buf[end_of_complete:]
            stripped = rest.lstrip()
            self._base = base + end_of_complete + (len(rest) - len(stripped))
            self._carry = stripped
        return out

    def _check(self, window: list[tuple[str, int, int]], at_close: bool, is_word: bool) -> Match | None:
        """The best match ending with the last of ``window`` (the latest m + k tokens), if any."""
        m, k = self.m, self.k
        best_d, best_l = k + 1, 0
        toks = [t for t, _, _ in window]
        for length in range(max(1, m - k), min(len(toks), m + k) + 1):
            cand = toks[-length:]
            if self.metric == "lcs":
                d = m - lcs_length(list(self.pattern), cand)
            else:
                d = edit_distance(list(self.pattern), cand)
            if d < best_d:
                best_d, best_l = d, length
                if d == 0:
                    break
        if best_d > k:
            return None
        start = window[-best_l][1]
        end = window[-1][2]
        if start < self._last_end:
            return None
        self._last_end = end
        # a word is known complete when the next character arrives
        decided = None if at_close else end + (1 if is_word else 0)
        return Match(self.name, start, end, decided, " ".join(toks[-best_l:]), best_d)
