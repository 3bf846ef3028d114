"""Test-wide settings: servers built in tests keep stream history in memory unless a test says otherwise."""

from __future__ import annotations

import os

# The default store is a file in the user's data directory, owned by one process at a time:
# tests must neither touch it nor contend for it.
os.environ.setdefault("MIDSTREAM_STREAMING__STORE_PATH", ":memory:")
