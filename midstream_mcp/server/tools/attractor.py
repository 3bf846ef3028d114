"""Attractor tool: ``analyze_attractor``.

A thin adapter over :mod:`midstream_mcp.core.analytics.attractor`: it checks
the configured limits, calls the core, shapes the answer as a pydantic model
and, on request, adds a PNG (phase portrait and divergence curve) drawn with
matplotlib, an optional extra (``pip install "midstream-mcp[plot]"``).
"""

from __future__ import annotations

import base64
import io
from typing import Annotated, Any, Literal

import numpy as np
from mcp.server import MCPServer
from mcp.types import CallToolResult, ImageContent
from pydantic import BaseModel, Field

from midstream_mcp.config import LimitsSettings
from midstream_mcp.core.analytics import InvalidInput, attractor
from midstream_mcp.core.scheduler import current_job
from midstream_mcp.server.tools._common import PURE_COMPUTATION, structured, tool_errors

Classification = Literal["fixed point", "limit cycle", "quasi-periodic", "chaotic", "noise"]

#: Points drawn in the phase portrait at most (evenly spread).
_PLOT_POINTS = 20_000


class EmbeddingModel(BaseModel):
    """How the series was turned into points of a state space."""

    delay: int | None = Field(description="Delay in samples; null for multivariate input (state vectors).")
    dim: int = Field(description="Embedding dimension (columns of a multivariate input).")
    delay_method: str = Field(
        description="'mutual information', 'autocorrelation', 'given' or 'state vectors'."
    )
    dim_method: str = Field(description="'Cao', 'Cao (stochastic: E2 near 1)', 'given' or 'state vectors'.")


class SurrogateModel(BaseModel):
    """Nearest-neighbour prediction error of the data against phase-randomised surrogates."""

    error: float = Field(description="Normalised prediction error of the data (1 ~ no better than the mean).")
    surrogate_median: float
    surrogates: int
    rank: int = Field(
        description="Surrogates predicted at least as well as the data; 0 rejects linear noise."
    )
    z: float = Field(description="How many surrogate standard deviations the data predicts better.")


class AttractorAnalysis(BaseModel):
    """Dynamics behind a series: Lyapunov exponent, correlation dimension and a classification."""

    classification: Classification
    confidence: float = Field(ge=0, le=1, description="Confidence in the classification, 0-1.")
    reasons: list[str]
    lyapunov_max: float = Field(description="Largest Lyapunov exponent, per time unit if dt was given.")
    lyapunov_uncertainty: float = Field(description="One standard error of lyapunov_max, same unit.")
    lyapunov_unit: Literal["per sample", "per time unit"]
    lyapunov_per_sample: float
    lyapunov_method: Literal["local Jacobians", "divergence"] = Field(
        description=(
            "'local Jacobians': the largest exponent of the spectrum from local quadratic fits chained by QR "
            "(Eckmann-Ruelle / Sano-Sawada), used when neighbours diverge exponentially and it agrees with "
            "the divergence slope within a factor of 2; 'divergence': the slope of the mean log divergence "
            "of nearest neighbours (Rosenstein)."
        )
    )
    lyapunov_divergence_slope: float | None = Field(
        description="Slope of the nearest-neighbour divergence curve (Rosenstein), same unit as lyapunov_max."
    )
    lyapunov_fit: tuple[int, int] = Field(
        description="Steps [start, end] of the divergence curve over which its slope was fitted."
    )
    lyapunov_spectrum: list[float] | None = Field(
        description=(
            "All Lyapunov exponents of the local maps, largest first, same unit as lyapunov_max; null when "
            "lyapunov_method is 'divergence'. From a delay embedding the most negative ones are too small "
            "in size; from state vectors the whole spectrum is accurate."
        )
    )
    kaplan_yorke_dimension: float | None = Field(
        description="Kaplan-Yorke (Lyapunov) dimension of lyapunov_spectrum; null without a spectrum."
    )
    correlation_dimension: float
    correlation_dimension_uncertainty: float
    embedding: EmbeddingModel
    theiler: int = Field(description="Theiler window in samples: neighbours closer in time are excluded.")
    mean_period: float = Field(description="Mean period in samples (reciprocal mean spectral frequency).")
    surrogate_test: SurrogateModel | None
    samples: int
    plot: str | None = Field(default=None, description="What happened to a requested plot.")


def _model(r: attractor.AttractorResult) -> AttractorAnalysis:
    lyap = r.lyapunov
    sur = r.surrogates
    per_time = lyap.per_time is not None
    return AttractorAnalysis(
        classification=r.classification,
        confidence=r.confidence,
        reasons=list(r.reasons),
        lyapunov_max=lyap.per_time if lyap.per_time is not None else lyap.exponent,
        lyapunov_uncertainty=(
            lyap.uncertainty_per_time if lyap.uncertainty_per_time is not None else lyap.uncertainty
        ),
        lyapunov_unit="per time unit" if per_time else "per sample",
        lyapunov_per_sample=lyap.exponent,
        lyapunov_method="local Jacobians" if lyap.method == "local Jacobians" else "divergence",
        lyapunov_divergence_slope=None
        if lyap.divergence_exponent is None
        else lyap.divergence_exponent / (r.dt or 1.0),
        lyapunov_fit=(lyap.fit_start, lyap.fit_end),
        lyapunov_spectrum=None
        if lyap.spectrum is None
        else [float(v) for v in lyap.spectrum / (r.dt or 1.0)],
        kaplan_yorke_dimension=lyap.kaplan_yorke,
        correlation_dimension=r.dimension.dimension,
        correlation_dimension_uncertainty=r.dimension.uncertainty,
        embedding=EmbeddingModel(
            delay=r.embedding.delay,
            dim=r.embedding.dim,
            delay_method=r.embedding.delay_method,
            dim_method=r.embedding.dim_method,
        ),
        theiler=r.theiler,
        mean_period=r.mean_period,
        surrogate_test=None
        if sur is None
        else SurrogateModel(
            error=sur.error,
            surrogate_median=float(np.median(sur.surrogate_errors)),
            surrogates=len(sur.surrogate_errors),
            rank=sur.rank,
            z=sur.z,
        ),
        samples=r.samples,
    )


def render_plot(xs: np.ndarray, r: attractor.AttractorResult) -> bytes:
    """PNG: phase portrait of the embedding and the divergence curve with its fitted region.

    Raises ``ImportError`` when matplotlib (the ``plot`` extra) is missing.
    """
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.figure import Figure

    arr = np.asarray(xs, dtype=np.float64)
    if arr.ndim == 1:
        arr = arr.reshape(-1, 1)
    emb = r.embedding
    if arr.shape[1] > 1:
        pts = arr
    else:
        delay = emb.delay or 1
        dims = min(max(emb.dim, 2), 3)
        pts = attractor.delay_embed(arr[:, 0], dims, delay)
    step = max(1, len(pts) // _PLOT_POINTS)
    pts = pts[::step]
    fig = Figure(figsize=(10, 4.5), dpi=100)
    if pts.shape[1] >= 3:
        ax = fig.add_subplot(1, 2, 1, projection="3d")
        ax.plot(pts[:, 0], pts[:, 1], pts[:, 2], lw=0.3)
    else:
        ax = fig.add_subplot(1, 2, 1)
        ax.plot(pts[:, 0], pts[:, 1], lw=0.3)
    ax.set_title(f"phase portrait ({r.classification})")
    bx = fig.add_subplot(1, 2, 2)
    lyap = r.lyapunov
    k = np.arange(len(lyap.curve))
    bx.plot(k, lyap.curve, lw=1, label="mean ln divergence")
    a, b = lyap.fit_start, lyap.fit_end
    seg = lyap.curve[a : b + 1]
    slope = lyap.exponent if lyap.divergence_exponent is None else lyap.divergence_exponent
    if b > a and np.isfinite(seg).all():
        # The least-squares line of the fit region.
        fit = seg.mean() + slope * (k[a : b + 1] - k[a : b + 1].mean())
        bx.plot(k[a : b + 1], fit, "r-", lw=2, label=f"slope {slope:.4g} / sample")
    bx.set_xlabel("steps")
    bx.set_ylabel("ln distance")
    bx.set_title("nearest-neighbour divergence (Rosenstein)")
    bx.legend(loc="lower right")
    fig.tight_layout()
    buf = io.BytesIO()
    fig.savefig(buf, format="png")
    return buf.getvalue()


def _summary(m: AttractorAnalysis) -> str:
    unit = "per time unit" if m.lyapunov_unit == "per time unit" else "per sample"
    delay = "state vectors" if m.embedding.delay is None else f"delay {m.embedding.delay}"
    spectrum = ""
    if m.lyapunov_spectrum is not None and m.kaplan_yorke_dimension is not None:
        values = ", ".join(f"{v:.3g}" for v in m.lyapunov_spectrum)
        spectrum = f"; spectrum [{values}], Kaplan-Yorke dimension {m.kaplan_yorke_dimension:.3f}"
    return (
        f"{m.classification} (confidence {m.confidence:.2f}): largest Lyapunov exponent "
        f"{m.lyapunov_max:.4g} ± {m.lyapunov_uncertainty:.2g} {unit} ({m.lyapunov_method}), correlation "
        f"dimension {m.correlation_dimension:.3f}{spectrum}; embedding {delay}, dimension {m.embedding.dim}."
    )


def analyze_series(
    series: Any,
    dt: float | None,
    delay: int | None,
    dim: int | None,
    theiler: int | None,
    plot: bool,
    limits: LimitsSettings,
) -> CallToolResult:
    """The body of ``analyze_attractor`` (also used by the tests)."""
    if isinstance(series, (list, tuple)) and len(series) > limits.max_sequence_length:
        raise InvalidInput(
            "series",
            f"has {len(series)} samples, more than the limit of {limits.max_sequence_length} "
            "(limits.max_sequence_length)",
        )
    job = current_job()
    progress: attractor.Progress | None = None
    if job is not None:

        def report(done: int, total: int, message: str) -> None:
            job.check()  # raises when the job was cancelled: the analysis stops between steps
            job.progress(done, total, message)

        progress = report

    result = attractor.analyze(series, dt=dt, delay=delay, dim=dim, theiler=theiler, progress=progress)
    model = _model(result)
    image: ImageContent | None = None
    if plot:
        try:
            png = render_plot(np.asarray(series, dtype=np.float64), result)
        except ImportError:
            model.plot = 'not drawn: matplotlib is not installed (pip install "midstream-mcp[plot]")'
        else:
            model.plot = "PNG image attached: phase portrait and divergence curve with the fitted region"
            image = ImageContent(
                type="image", data=base64.b64encode(png).decode("ascii"), mime_type="image/png"
            )
    out = structured(model, _summary(model))
    if image is not None:
        out.content.append(image)
    return out


def register(server: MCPServer, limits: LimitsSettings) -> None:
    """Add ``analyze_attractor`` to ``server``, enforcing ``limits``."""

    @server.tool(
        name="analyze_attractor", title="Analyse the dynamics of a signal", annotations=PURE_COMPUTATION
    )
    def analyze_attractor(
        series: Annotated[
            list[float] | list[list[float]],
            Field(
                description=(
                    "The signal, evenly sampled: an array of numbers (delay-embedded automatically) or an "
                    "array of state vectors (one row per sample, used as they are). At least "
                    f"{attractor.MIN_SAMPLES} samples; a few thousand give reliable exponents."
                )
            ),
        ],
        dt: Annotated[
            float | None, Field(gt=0, description="Sampling interval; the exponent is then per time unit.")
        ] = None,
        delay: Annotated[
            int | None, Field(ge=1, description="Embedding delay in samples; default: automatic.")
        ] = None,
        dim: Annotated[
            int | None, Field(ge=1, le=64, description="Embedding dimension; default: automatic (Cao).")
        ] = None,
        theiler: Annotated[
            int | None,
            Field(ge=0, description="Theiler window in samples; default: the mean period."),
        ] = None,
        plot: Annotated[
            bool,
            Field(description="Attach a PNG phase portrait and divergence curve (needs matplotlib)."),
        ] = False,
    ) -> Annotated[CallToolResult, AttractorAnalysis]:
        """Is this signal at a fixed point, periodic, quasi-periodic, chaotic or noise?

        Returns the largest Lyapunov exponent with uncertainty (local quadratic Jacobians
        chained by QR, checked against the Rosenstein divergence slope with its automatic fit
        region), the Lyapunov spectrum and Kaplan-Yorke dimension, the correlation dimension
        (Grassberger-Procaccia, automatic scaling range), the delay embedding used (mutual
        information / Cao), a surrogate-data test against linear noise, and a classification
        with confidence and reasons.
        """
        with tool_errors():
            return analyze_series(series, dt, delay, dim, theiler, plot, limits)
