"""Analytical primitives over numeric series and symbol sequences.

Each module validates its inputs in public functions and runs private
``@njit(cache=True, nogil=True)`` kernels.
"""

from midstream_mcp.core.analytics._validate import InvalidInput

__all__ = ["InvalidInput"]
