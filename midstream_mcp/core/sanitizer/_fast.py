"""Switch for the numba kernels of :mod:`._kernels`: off until :func:`load` has compiled them.

The sanitizer never imports numba at import time and never compiles on a request:
:func:`load` runs in the background warm-up (``midstream_mcp.core.warmup`` calls the
package's ``warmup()``). Until it has finished, :data:`KERNELS` is None and every
caller takes its pure-Python path, which gives exactly the same findings.
"""

from __future__ import annotations

import threading
from types import ModuleType

#: The loaded :mod:`._kernels` module, or None (pure-Python paths).
KERNELS: ModuleType | None = None
#: ``injection._PROSE_CLUSTERS`` as the sorted int64 codes :func:`._kernels.suffix_marks` takes.
PROSE_CODES: object = None
#: The keywords of ``injection._CODE_RE``, concatenated, and where each starts (for ``code_hits``).
CODE_WORDS: object = None
CODE_STARTS: object = None
_LOCK = threading.Lock()


def load() -> ModuleType:
    """Import the kernels, compile (or load from the cache) each of them, then switch them on."""
    global KERNELS
    with _LOCK:
        if KERNELS is not None:
            return KERNELS
        import numpy as np

        from midstream_mcp.core.sanitizer import _kernels as k
        from midstream_mcp.core.sanitizer import injection

        global PROSE_CODES, CODE_WORDS, CODE_STARTS
        CODE_WORDS = np.frombuffer(b"".join(k._CODE_WORDS), np.uint8)
        CODE_STARTS = np.cumsum([0] + [len(w) for w in k._CODE_WORDS]).astype(np.int64)
        PROSE_CODES = np.array(
            sorted(
                int.from_bytes(c.encode("ascii"), "little") for c in injection._PROSE_CLUSTERS if len(c) <= 8
            ),
            np.int64,
        )
        sample = np.frombuffer(b"x [a ab{c} abcDef !! -- {q}", np.uint8)
        pos, kinds, m = k.suffix_marks(sample, PROSE_CODES)
        k.densest(pos, kinds, m, 160)
        k.suffix_window(sample, PROSE_CODES, 160)
        k.code_hits(sample, 0, len(sample), CODE_WORDS, CODE_STARTS)
        KERNELS = k
        return k


def unload() -> None:
    """Back to the pure-Python paths (tests compare the two)."""
    global KERNELS
    with _LOCK:
        KERNELS = None
