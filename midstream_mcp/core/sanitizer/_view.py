"""The one kernel call per text that the detectors share (``_kernels.text_scan``).

The injection detector needs the kernel's view of every ASCII text it scans; the same call
also answers the cheap first questions of the personal-data and secrets detectors (is there
an "@", six digits, a long token, a key word...), so a clean chunk costs them almost nothing.
Without the kernels (not loaded yet, non-ASCII or short text) everyone takes their pure-Python
path, which finds exactly the same things.
"""

from __future__ import annotations

import numpy as np

from midstream_mcp.core.sanitizer import _fast
from midstream_mcp.core.sanitizer._base import Prepared
from midstream_mcp.core.sanitizer.policy import Policy

#: Texts longer than this are searched block by block by the injection detector (no start positions).
LONG = 1024
#: What ``_kernels.triage`` returns: ``[flags, iban, street, birth, ipv6, keys, numbers]`` (see there).
TRIAGE = 7
#: Bits of the triage flags.
AT_SIGN = 1  # an "@"
DOTTED_QUAD = 2  # r"\d\.\d{1,3}\.\d{1,3}\.\d" (every IPv4 address has it)
DIGIT_PAIR = 4  # two digits in a row
KEY_BLOCK = 8  # "PRIVATE KEY" (the secrets detector's key blocks all have it)
LONG_PIECE = 16  # fifteen characters or more without white space (every token format has it)
#: A long piece and a place where a token format can start (``secrets._TOKEN_PREFIXES``, case
#: blind), or a piece that can hold a Discord token: without it no token format matches.
TOKEN_HINT = 32
URL_MARK = 64  # "://"
#: The text is ASCII (every text the kernel scans is): no invisible character in it.
ASCII_TEXT = 128
#: The injection detector need search nothing but the raw rules the view lets through: no folded
#: rule passes, no glued word, no suffix or payload to weigh (``_kernels.text_scan`` says when).
INJECTION_SETTLED = 256
#: The detectors that can tell from the kernel's view alone that they find nothing in a text say so
#: with these bits (a detector's ``quiet_flag``): the engine then does not call them.
PII_QUIET = 512  # none of the personal-data gates opens (see ``pii._triaged``)
SECRETS_QUIET = 1024  # no token can start, no key word, no key block, no URL with a user
INJECTION_QUIET = 2048  # settled, and no raw rule can match (see ``_kernels.heads_open``)
#: The bit of the raw view's literal mask (``_kernels.raw_scan``) that says single letters stand
#: split apart somewhere (``_decode.find_split_letters`` may find a run).
SPLIT_LETTERS = 1 << 62


def text_view(text: Prepared) -> list[int] | None:
    """``_kernels.text_scan`` of ``text``, once per text (cached on it).

    None without the kernels, for non-ASCII text and for texts shorter than
    ``_fast.MIN_CHARS`` (there the Python paths are cheaper than a kernel call).
    """
    view = text.kernel_view
    if view is None:
        kernels = _fast.KERNELS
        n = len(text.text)
        if kernels is None or not text.is_ascii or n < _fast.MIN_CHARS:
            return None
        data = np.frombuffer(text.text.encode("ascii"), np.uint8)
        view = kernels.text_scan(data, min(n, 20_000), *_fast.TEXT_ARGS, n <= LONG).tolist()
        text.kernel_view = view
    return view  # type: ignore[no-any-return]


def _view_made_anyway(text: Prepared, policy: Policy) -> list[int] | None:
    """:func:`text_view` of ``text`` when the kernel call is made anyway (the injection detector is on,
    or it has been made), else None: on its own the call costs more than the gates it replaces."""
    if text.kernel_view is None and not policy.injection:
        return None
    return text_view(text)


def quiet_flags(text: Prepared, policy: Policy) -> int:
    """The kernel's flags of ``text`` (0 without a view, see above): the engine reads the ``*_QUIET`` bits."""
    view = _view_made_anyway(text, policy)
    return 0 if view is None else view[0]


def triage(text: Prepared, policy: Policy) -> list[int] | None:
    """The kernel's first look at ``text`` for the PII and secrets detectors, or None (no view, see above):
    use your own gates."""
    view = _view_made_anyway(text, policy)
    return None if view is None else view[:TRIAGE]
