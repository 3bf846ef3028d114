"""temporal-compare tools: ``compare_sequences``, ``compare_many``, ``find_pattern``.

Thin adapters over :mod:`midstream_mcp.core.analytics.compare`: they check the
configured limits, call the core, and shape the answer as pydantic models.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Annotated, Any, Literal

import numpy as np
from mcp.server import MCPServer
from mcp.types import CallToolResult
from pydantic import BaseModel, Field

from midstream_mcp.config import LimitsSettings
from midstream_mcp.core.analytics import InvalidInput, compare
from midstream_mcp.core.analytics._validate import as_series
from midstream_mcp.core.scheduler import current_job
from midstream_mcp.server.tools._common import PURE_COMPUTATION, structured, tool_errors

Method = Literal["dtw", "lcs", "edit", "correlation"]

#: About this many DP cells between two cancellation checks in compare_many (~10 ms).
_CHUNK_CELLS = 20_000_000
Metric = Literal["euclidean", "absolute"]

SequenceInput = Annotated[
    str | list[float] | list[list[float]] | list[str],
    Field(
        description=(
            "A sequence: an array of numbers, an array of equal-length number arrays "
            "(a multivariate series, one row per sample), an array of tokens, or a string "
            "(compared character by character)."
        )
    ),
]
WindowArg = Annotated[
    int | None,
    Field(ge=0, description="Sakoe-Chiba band half-width in samples for DTW; null means unconstrained."),
]
MetricArg = Annotated[
    Metric,
    Field(
        description=(
            "DTW local cost: 'euclidean' returns sqrt of summed squared differences along the path "
            "(dtaidistance/tslearn convention); 'absolute' returns summed absolute differences."
        )
    ),
]


class CompareResult(BaseModel):
    """How similar two sequences are under one method."""

    method: Method
    distance: float = Field(
        description=(
            "dtw: DTW distance; edit: Levenshtein distance; lcs: max(len a, len b) - LCS length; "
            "correlation: 1 - best normalised cross-correlation."
        )
    )
    similarity: float = Field(
        description=(
            "In [0, 1], 1 = identical. dtw: 1 / (1 + distance); edit: 1 - distance / max length; "
            "lcs: LCS length / max length; correlation: (1 + r) / 2."
        )
    )
    length_a: int
    length_b: int
    lcs_length: int | None = None
    lag: int | None = Field(default=None, description="correlation: best lag of b relative to a.")
    correlation: float | None = None
    window: int | None = None
    metric: Metric | None = None
    path: list[tuple[int, int]] | None = Field(
        default=None, description="dtw with return_path: the optimal warping path as (i, j) index pairs."
    )


class RankedCandidate(BaseModel):
    """One candidate of ``compare_many``."""

    index: int = Field(description="Position of the candidate in the input list.")
    distance: float
    similarity: float


class CompareManyResult(BaseModel):
    """Candidates nearest to the query, best first."""

    method: Method
    n_candidates: int
    results: list[RankedCandidate]


class PatternMatchModel(BaseModel):
    """One occurrence of the pattern: ``series[start:end]``."""

    start: int
    end: int = Field(description="Exclusive end index.")
    distance: float


class FindPatternResult(BaseModel):
    """Best non-overlapping matches of a pattern in a series, best first."""

    series_length: int
    pattern_length: int
    window: int | None
    metric: Metric
    matches: list[PatternMatchModel]


def _length(x: Any) -> int:
    return len(x)


def _check_length(x: Any, field: str, limits: LimitsSettings) -> None:
    if _length(x) > limits.max_sequence_length:
        raise InvalidInput(
            field,
            f"has {_length(x)} items, more than the limit of {limits.max_sequence_length} "
            "(limits.max_sequence_length)",
        )


def _dp_cells(n: int, m: int, window: int | None) -> int:
    if window is None:
        return n * m
    return max(n, m) * min(m, 2 * window + 1 + abs(n - m))


def _check_cells(cells: int, field: str, limits: LimitsSettings) -> None:
    if cells > limits.max_compare_cells:
        raise InvalidInput(
            field,
            f"needs {cells:,} dynamic-programming cells, more than the limit of "
            f"{limits.max_compare_cells:,} (limits.max_compare_cells); use a window or shorter inputs",
        )


def _numeric(x: Any, field: str, method: str) -> np.ndarray:
    if isinstance(x, str) or (isinstance(x, list) and x and all(isinstance(v, str) for v in x)):
        raise InvalidInput(
            field, f"method '{method}' compares numbers; use method 'lcs' or 'edit' for text and tokens"
        )
    return as_series(x, field)


def _symbolic(x: Any, field: str, method: str) -> Any:
    if isinstance(x, list) and x and isinstance(x[0], list):
        raise InvalidInput(
            field,
            f"method '{method}' compares strings, token arrays or number arrays, not multivariate series",
        )
    return x


def _compare_pair(
    a: Any,
    b: Any,
    method: Method,
    window: int | None,
    metric: Metric,
    return_path: bool,
    limits: LimitsSettings,
    field_b: str = "b",
) -> CompareResult:
    if method == "dtw":
        xa, xb = _numeric(a, "a", method), _numeric(b, field_b, method)
        if xa.shape[1] != xb.shape[1]:
            raise InvalidInput(field_b, f"has {xb.shape[1]} dimensions per sample but a has {xa.shape[1]}")
        _check_cells(_dp_cells(len(xa), len(xb), window), field_b, limits)
        path: list[tuple[int, int]] | None = None
        if return_path:
            if len(xa) * len(xb) > limits.max_path_cells:
                raise InvalidInput(
                    "return_path",
                    f"a path for {len(xa)} x {len(xb)} samples exceeds limits.max_path_cells "
                    f"({limits.max_path_cells:,}); ask for the distance only",
                )
            res = compare.dtw_path(xa, xb, window=window, metric=metric, max_cells=limits.max_path_cells)
            distance = res.distance
            assert res.path is not None
            path = [(int(i), int(j)) for i, j in res.path]
        else:
            distance = compare.dtw_distance(xa, xb, window=window, metric=metric)
        return CompareResult(
            method=method,
            distance=distance,
            similarity=1.0 / (1.0 + distance),
            length_a=len(xa),
            length_b=len(xb),
            window=window,
            metric=metric,
            path=path,
        )
    if method == "correlation":
        xa, xb = _numeric(a, "a", method), _numeric(b, field_b, method)
        for field, x in (("a", xa), (field_b, xb)):
            if x.shape[1] != 1:
                raise InvalidInput(field, "correlation needs a univariate series (an array of numbers)")
        corr = compare.correlation(xa[:, 0], xb[:, 0])
        return CompareResult(
            method=method,
            distance=1.0 - corr.correlation,
            similarity=(1.0 + corr.correlation) / 2.0,
            length_a=len(xa),
            length_b=len(xb),
            lag=corr.lag,
            correlation=corr.correlation,
        )
    sa, sb = _symbolic(a, "a", method), _symbolic(b, field_b, method)
    longest = max(len(sa), len(sb))
    if method == "edit":
        d = compare.edit_distance(sa, sb)
        return CompareResult(
            method=method,
            distance=float(d),
            similarity=1.0 - d / longest if longest else 1.0,
            length_a=len(sa),
            length_b=len(sb),
        )
    lcs = compare.lcs_length(sa, sb)
    return CompareResult(
        method=method,
        distance=float(longest - lcs),
        similarity=lcs / longest if longest else 1.0,
        length_a=len(sa),
        length_b=len(sb),
        lcs_length=lcs,
    )


def _summary(r: CompareResult) -> str:
    sizes = f"a ({r.length_a}) vs b ({r.length_b})"
    if r.method == "dtw":
        band = "unconstrained" if r.window is None else f"window {r.window}"
        return (
            f"DTW distance {r.distance:.6g} ({r.metric}, {band}) for {sizes}; similarity {r.similarity:.4f}."
        )
    if r.method == "correlation":
        return f"Best normalised cross-correlation {r.correlation:.4f} at lag {r.lag} for {sizes}."
    if r.method == "edit":
        return f"Edit (Levenshtein) distance {int(r.distance)} for {sizes}; similarity {r.similarity:.4f}."
    return f"Longest common subsequence {r.lcs_length} for {sizes}; similarity {r.similarity:.4f}."


def _rank_many(
    query: Any,
    candidates: Sequence[Any],
    method: Method,
    k: int,
    window: int | None,
    metric: Metric,
    limits: LimitsSettings,
) -> CompareManyResult:
    if not candidates:
        raise InvalidInput("candidates", "must contain at least one sequence")
    if len(candidates) > limits.max_candidates:
        raise InvalidInput(
            "candidates",
            f"has {len(candidates)} sequences, more than the limit of {limits.max_candidates} "
            "(limits.max_candidates)",
        )
    _check_length(query, "query", limits)
    for i, c in enumerate(candidates):
        _check_length(c, f"candidates[{i}]", limits)
    if method == "dtw":
        q = _numeric(query, "query", method)
        series = [_numeric(c, f"candidates[{i}]", method) for i, c in enumerate(candidates)]
        for i, s in enumerate(series):
            if s.shape[1] != q.shape[1]:
                raise InvalidInput(
                    f"candidates[{i}]", f"has {s.shape[1]} dimensions per sample but query has {q.shape[1]}"
                )
        cells = sum(_dp_cells(len(q), len(s), window) for s in series)
        _check_cells(cells, "candidates", limits)
        job = current_job()
        # Chunks keep a long ranking cancellable and let it report progress.
        step = max(_CHUNK_CELLS // max(cells // len(series), 1), 64)
        dists: list[float] = []
        for start in range(0, len(series), step):
            if job is not None:
                job.check()
                job.progress(start, len(series), "candidates compared")
            part = compare.dtw_one_to_many(q, series[start : start + step], window=window, metric=metric)
            dists.extend(float(d) for d in part)
        scored = [(d, 1.0 / (1.0 + d)) for d in dists]
    else:
        if method in ("lcs", "edit"):
            cells = sum(len(query) * len(c) for c in candidates)
            _check_cells(cells, "candidates", limits)
        scored = []
        job = current_job()
        for i, c in enumerate(candidates):
            if job is not None and i % 64 == 0:
                job.check()
                job.progress(i, len(candidates), "candidates compared")
            r = _compare_pair(query, c, method, window, metric, False, limits, field_b=f"candidates[{i}]")
            scored.append((r.distance, r.similarity))
    order = sorted(range(len(scored)), key=lambda i: (scored[i][0], i))[:k]
    return CompareManyResult(
        method=method,
        n_candidates=len(candidates),
        results=[RankedCandidate(index=i, distance=scored[i][0], similarity=scored[i][1]) for i in order],
    )


def register(server: MCPServer, limits: LimitsSettings) -> None:
    """Add the temporal-compare tools to ``server``, enforcing ``limits``."""

    @server.tool(name="compare_sequences", title="Compare two sequences", annotations=PURE_COMPUTATION)
    def compare_sequences(
        a: SequenceInput,
        b: SequenceInput,
        method: Annotated[
            Method,
            Field(
                description=(
                    "dtw: dynamic time warping over numbers; lcs: longest common subsequence; "
                    "edit: Levenshtein distance; correlation: normalised cross-correlation with best lag."
                )
            ),
        ] = "dtw",
        window: WindowArg = None,
        metric: MetricArg = "euclidean",
        return_path: Annotated[
            bool, Field(description="dtw only: include the optimal warping path.")
        ] = False,
    ) -> Annotated[CallToolResult, CompareResult]:
        """Compare two sequences with DTW, LCS, edit distance or cross-correlation.

        Numbers and multivariate series work with every method that applies;
        strings and token arrays with lcs and edit.
        """
        with tool_errors():
            _check_length(a, "a", limits)
            _check_length(b, "b", limits)
            if return_path and method != "dtw":
                raise InvalidInput("return_path", "is only available with method 'dtw'")
            result = _compare_pair(a, b, method, window, metric, return_path, limits)
        return structured(result, _summary(result))

    @server.tool(name="compare_many", title="Rank candidates by similarity", annotations=PURE_COMPUTATION)
    def compare_many(
        query: SequenceInput,
        candidates: Annotated[list[SequenceInput], Field(description="Sequences to rank against the query.")],
        method: Method = "dtw",
        k: Annotated[int, Field(ge=1, description="How many of the nearest candidates to return.")] = 5,
        window: WindowArg = None,
        metric: MetricArg = "euclidean",
    ) -> Annotated[CallToolResult, CompareManyResult]:
        """Rank candidate sequences by their distance to a query and return the k nearest."""
        with tool_errors():
            result = _rank_many(query, candidates, method, k, window, metric, limits)
        best = result.results[0]
        summary = (
            f"{len(result.results)} nearest of {result.n_candidates} candidates by {method}; "
            f"best is candidates[{best.index}] at distance {best.distance:.6g}."
        )
        return structured(result, summary)

    @server.tool(name="find_pattern", title="Find a pattern in a series", annotations=PURE_COMPUTATION)
    def find_pattern(
        series: Annotated[list[float] | list[list[float]], Field(description="The long series to search.")],
        pattern: Annotated[list[float] | list[list[float]], Field(description="The shape to look for.")],
        k: Annotated[int, Field(ge=1, le=1000, description="Number of matches to return.")] = 5,
        window: WindowArg = None,
        metric: MetricArg = "euclidean",
    ) -> Annotated[CallToolResult, FindPatternResult]:
        """Find the k best non-overlapping matches of a pattern in a series under subsequence DTW."""
        with tool_errors():
            _check_length(series, "series", limits)
            _check_length(pattern, "pattern", limits)
            xs, xp = as_series(series, "series"), as_series(pattern, "pattern")
            if xs.shape[1] != xp.shape[1]:
                raise InvalidInput(
                    "pattern", f"has {xp.shape[1]} dimensions per sample but series has {xs.shape[1]}"
                )
            _check_cells(len(xs) * len(xp), "series", limits)
            matches = compare.find_pattern(xs, xp, k=k, window=window, metric=metric)
        result = FindPatternResult(
            series_length=len(xs),
            pattern_length=len(xp),
            window=window,
            metric=metric,
            matches=[PatternMatchModel(start=m.start, end=m.end, distance=m.distance) for m in matches],
        )
        if result.matches:
            top = result.matches[0]
            summary = (
                f"{len(result.matches)} match(es); best at [{top.start}, {top.end}) "
                f"with DTW distance {top.distance:.6g}."
            )
        else:
            summary = "No match found."
        return structured(result, summary)
