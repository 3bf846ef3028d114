"""Input validation shared by the analytics modules.

Every public analytics function turns untrusted input into contiguous numpy
arrays here, so that the kernels can assume finite, correctly shaped data.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt


class InvalidInput(ValueError):
    """An argument is unusable; ``field`` names it and ``reason`` says why.

    The server turns this into an MCP tool error whose message starts with the
    field name, so a client knows exactly what to fix.
    """

    def __init__(self, field: str, reason: str) -> None:
        super().__init__(f"{field}: {reason}")
        self.field = field
        self.reason = reason


def as_series(
    x: Any,
    field: str,
    *,
    min_length: int = 1,
    max_length: int | None = None,
    allow_multivariate: bool = True,
) -> npt.NDArray[np.float64]:
    """Return ``x`` as a C-contiguous float64 array of shape ``(n, d)``.

    A 1-D input becomes ``(n, 1)``. Rejects empty/too-short/too-long input,
    more than two dimensions, ragged rows, non-numeric values, NaN and inf.
    """
    if isinstance(x, (str, bytes)):
        raise InvalidInput(field, "expected an array of numbers, got a string")
    if max_length is not None:
        try:
            n_items = len(x)
        except TypeError:
            n_items = None
        if n_items is not None and n_items > max_length:
            raise InvalidInput(field, f"has {n_items} samples, more than the limit of {max_length}")
    try:
        arr = np.asarray(x, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise InvalidInput(field, "expected an array of numbers (or of equal-length number arrays)") from exc
    if arr.ndim == 0:
        raise InvalidInput(field, "expected an array of numbers, got a scalar")
    if arr.ndim == 1:
        arr = arr.reshape(-1, 1)
    elif arr.ndim == 2:
        if not allow_multivariate and arr.shape[1] != 1:
            raise InvalidInput(field, f"expected a univariate series, got {arr.shape[1]} dimensions")
    else:
        raise InvalidInput(field, f"expected a 1-D or 2-D array, got {arr.ndim} dimensions")
    n = arr.shape[0]
    if n < min_length:
        if n == 0:
            raise InvalidInput(field, "must not be empty")
        raise InvalidInput(field, f"needs at least {min_length} samples, got {n}")
    if max_length is not None and n > max_length:
        raise InvalidInput(field, f"has {n} samples, more than the limit of {max_length}")
    if arr.shape[1] == 0:
        raise InvalidInput(field, "samples must have at least one dimension")
    if not np.isfinite(arr).all():
        bad = int(np.flatnonzero(~np.isfinite(arr).all(axis=1))[0])
        raise InvalidInput(field, f"contains NaN or infinity (first at index {bad})")
    return np.ascontiguousarray(arr)


def check_window(window: int | None, field: str = "window") -> int | None:
    """Validate a Sakoe-Chiba half-width: ``None`` or a non-negative integer."""
    if window is None:
        return None
    if isinstance(window, bool) or not isinstance(window, (int, np.integer)):
        raise InvalidInput(field, f"must be a non-negative integer or null, got {window!r}")
    if window < 0:
        raise InvalidInput(field, f"must be non-negative, got {window}")
    return int(window)
