"""Logging set-up: everything goes to stderr, because stdout belongs to the protocol."""

from __future__ import annotations

import logging
import sys

_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


def configure_logging(level: str = "INFO") -> None:
    """Send all log records to stderr at ``level``.

    Called before the MCP SDK configures logging, whose ``basicConfig`` then
    leaves our handler in place.
    """
    root = logging.getLogger()
    for handler in list(root.handlers):
        root.removeHandler(handler)
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter(_FORMAT))
    root.addHandler(handler)
    root.setLevel(level)
    # numba's own debug logging is very chatty and never useful to users.
    logging.getLogger("numba").setLevel(max(logging.WARNING, root.level))
