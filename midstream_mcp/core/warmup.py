"""Background warm-up of the numba kernels.

``cache=True`` kernels still cost a cache load (and, on a cold cache, a
compile) on first use; doing that in a thread at start-up keeps it out of the
first user request.
"""

from __future__ import annotations

import gc
import importlib
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

logger = logging.getLogger(__name__)

#: Modules imported in order, and their ``warmup()`` function called when they have one.
WARMUP_MODULES: tuple[str, ...] = (
    "midstream_mcp.core.analytics._strings",
    "midstream_mcp.core.analytics.compare",
    "midstream_mcp.core.analytics.ltl",
    "midstream_mcp.core.analytics.attractor",
    "midstream_mcp.core.sanitizer",
    "midstream_mcp.core.pipeline",
)


@dataclass
class Warmup:
    """State of one background warm-up run."""

    done: threading.Event = field(default_factory=threading.Event)
    seconds: float | None = None
    errors: list[str] = field(default_factory=list)

    @property
    def status(self) -> str:
        """``running``, ``done`` or ``failed``."""
        if not self.done.is_set():
            return "running"
        return "failed" if self.errors else "done"

    def wait(self, timeout: float | None = None) -> bool:
        """Block until the warm-up finished; False on time-out."""
        return self.done.wait(timeout)


def _run(state: Warmup, modules: tuple[str, ...], tune_gc: bool) -> None:
    start = time.perf_counter()
    for name in modules:
        try:
            fn: Callable[[], None] | None = getattr(importlib.import_module(name), "warmup", None)
            if fn is not None:
                fn()
        except Exception as exc:  # a warm-up failure must never take the server down
            logger.exception("warm-up of %s failed", name)
            state.errors.append(f"{name}: {exc}")
    state.seconds = time.perf_counter() - start
    logger.info("kernel warm-up finished in %.2f s", state.seconds)
    if tune_gc:
        tune_collector()
    state.done.set()


#: Allocations (minus deallocations) between young-generation collections; the default, 700, means a
#: collection every ~50 chunks of ingest, and more objects promoted while still in flight.
GC_YOUNG_THRESHOLD = 10_000


def tune_collector() -> None:
    """Set the garbage collector up for a warm, long-running ingest process.

    Everything alive now (modules, numba's compiled kernels, the server: about
    185k objects) lives as long as the process: frozen (``gc.freeze()``), a
    full collection no longer walks it, which took 125 ms of GIL-holding pause
    each time. Young collections run every ``GC_YOUNG_THRESHOLD`` allocations
    instead of 700, so the short-lived objects of a chunk die uncounted
    (about 7% more ingest throughput). Process-wide: call it from the program
    that owns the process, once it is warm.
    """
    gc.freeze()
    _, middle, old = gc.get_threshold()
    gc.set_threshold(GC_YOUNG_THRESHOLD, middle, old)


def start_warmup(modules: tuple[str, ...] = WARMUP_MODULES, *, tune_gc: bool = False) -> Warmup:
    """Start warming up ``modules`` in a daemon thread and return its state.

    ``tune_gc``: once warm, :func:`tune_collector` (the server does this; for a
    long-running process that has imported what it needs).
    """
    state = Warmup()
    thread = threading.Thread(
        target=_run, args=(state, modules, tune_gc), name="midstream-warmup", daemon=True
    )
    thread.start()
    return state
