"""Temporal comparison of sequences: DTW, LCS, edit distance, pattern search.

(Being written: DTW parts in this module and ``_dtw.py``; the string measures
live in ``_strings.py`` and are re-exported here.)
"""

from midstream_mcp.core.analytics._strings import (
    edit_distance,
    edit_similarity,
    lcs_length,
    lcs_similarity,
)

__all__ = ["edit_distance", "edit_similarity", "lcs_length", "lcs_similarity"]
