"""What detectors share: the prepared text, the time budget, and the detector protocol."""

from __future__ import annotations

import re
import time
from typing import Literal, Protocol, runtime_checkable

from midstream_mcp.core.sanitizer._model import Finding, ScanContext
from midstream_mcp.core.sanitizer._text import INVISIBLE_RE, fold, fold_offsets, map_span
from midstream_mcp.core.sanitizer.policy import Policy

#: manipulation: scored (warn/block thresholds); sensitive: redactable data; notice: warn only.
Kind = Literal["manipulation", "sensitive", "notice"]

_WORD_RE = re.compile(r"[a-z]+")
#: ASCII bytes: lower-case letters stay, everything else becomes a space (``[a-z]+`` runs by ``split``).
_LETTERS_ONLY = bytes(c if 97 <= c <= 122 else 32 for c in range(256))


class BudgetExceeded(Exception):
    """A scan ran past its time budget; the engine turns this into a fail-closed verdict."""


class Budget:
    """A deadline that long-running detector loops check cooperatively.

    Python cannot pre-empt a running regex, so a detector checks ``budget.check()``
    between units of work, and the engine also compares the elapsed time after
    each detector: either way an overrun is caught and the verdict fails closed.
    """

    __slots__ = ("deadline", "seconds")

    def __init__(self, seconds: float, start: float | None = None) -> None:
        """``seconds`` from ``start`` (a ``time.perf_counter()`` reading), or from now."""
        self.seconds = seconds
        self.deadline = (time.perf_counter() if start is None else start) + seconds

    def check(self) -> None:
        """Raise :class:`BudgetExceeded` once the deadline has passed."""
        if time.perf_counter() > self.deadline:
            raise BudgetExceeded(f"time budget of {self.seconds * 1e3:.1f} ms exceeded")


class Prepared:
    """One text and the derived views detectors share, each computed at most once."""

    __slots__ = (
        "_folded",
        "_offsets",
        "_words",
        "is_ascii",
        "kernel_view",
        "memo",
        "raw_view",
        "text",
        "vocab",
    )

    def __init__(self, text: str, memo: dict[object, object] | None = None) -> None:
        self.text = text
        #: A cache that outlives this text: one stream's, so that the carry-over window (text scanned
        #: with the previous chunk) is not decoded twice. Entries must depend on their key only.
        #: None outside streaming.
        self.memo = memo
        self.is_ascii = text.isascii()
        self._folded: str | None = None
        self._offsets: list[int] | None = None
        self._words: frozenset[str] | None = None
        #: The injection detector's word gates of this text, once worked out (see ``injection._gates``).
        self.vocab: object = None
        #: The injection detector's kernel view of the raw text, once worked out (``injection._raw_view``).
        self.raw_view: object = None
        #: ``_kernels.text_scan`` of the text, once made (see ``_view.text_view``).
        self.kernel_view: list[int] | None = None

    @property
    def folded(self) -> str:
        """The normalised matching view (see :mod:`._text`)."""
        if self._folded is None:
            self._folded = fold(self.text)
        return self._folded

    @property
    def words(self) -> frozenset[str]:
        """The set of folded alphabetic words: the cheap gate in front of every phrase rule."""
        if self._words is None:
            if self.is_ascii:  # the folded view of ASCII is ASCII: one C pass instead of a regex
                self._words = frozenset(
                    self.folded.encode("ascii").translate(_LETTERS_ONLY).decode("ascii").split()
                )
            else:
                self._words = frozenset(_WORD_RE.findall(self.folded))
        return self._words

    def has_invisible(self) -> bool:
        """True when the text holds zero-width, bidi, variation-selector or tag characters."""
        return not self.is_ascii and INVISIBLE_RE.search(self.text) is not None

    def folded_span(self, start: int, end: int) -> tuple[int, int]:
        """Map a span of :attr:`folded` back to the original text."""
        if self.is_ascii:  # ASCII folds one character to one character
            return start, end
        if self._offsets is None:
            self._offsets = fold_offsets(self.text)
        return map_span(self._offsets, start, end)


@runtime_checkable
class Detector(Protocol):
    """A pluggable detector.

    ``detect`` returns findings with offsets into ``text.text``. It may raise:
    the engine catches every exception and fails closed (or open, if the
    policy says so). Long loops should call ``budget.check()``.

    A detector may also have an int ``quiet_flag``: a bit of the kernel's flags (``_view``) that,
    when the text's flags have it, promises that ``detect`` returns no finding, so the engine does
    not call it (most chunks of a stream, for the built-in detectors).
    """

    name: str
    kind: Kind

    def detect(
        self, text: Prepared, policy: Policy, context: ScanContext, budget: Budget
    ) -> list[Finding]: ...


def excerpt(text: str, start: int, end: int, limit: int = 80) -> str:
    """A printable one-line excerpt of ``text[start:end]``, invisible characters shown as dots."""
    s = INVISIBLE_RE.sub("·", text[start:end]) if not text.isascii() else text[start:end]
    s = " ".join(s.split())
    return s if len(s) <= limit else s[: limit - 1] + "…"
