"""analyze_attractor through the SDK's in-memory client: schema, answers, plot, errors."""

from __future__ import annotations

import base64
import math
from typing import Any

import pytest
from mcp import Client

from midstream_mcp.config import LimitsSettings, Settings
from midstream_mcp.server.app import ANALYSIS_TOOLS
from midstream_mcp.server.tools import attractor as attractor_tools
from tests.server.conftest import run_in_memory as run

SINE = [math.sin(0.3 * t) for t in range(600)]


def logistic(n: int) -> list[float]:
    out, x = [], 0.1234
    for _ in range(n + 100):
        x = 4.0 * x * (1.0 - x)
        out.append(x)
    return out[100:]


def call(args: dict[str, Any], settings: Settings | None = None) -> Any:
    async def body(client: Client) -> Any:
        return await client.call_tool("analyze_attractor", args)

    return run(body, settings)


@pytest.mark.parametrize("mode", ["auto", "legacy"])
def test_listed_with_output_schema(mode: str) -> None:
    async def body(client: Client) -> Any:
        return (await client.list_tools()).tools

    tool = {t.name: t for t in run(body, mode=mode)}["analyze_attractor"]
    assert tool.description and "chaotic" in tool.description
    assert tool.annotations is not None and tool.annotations.read_only_hint is True
    props = tool.input_schema["properties"]
    assert set(props) == {"series", "dt", "delay", "dim", "theiler", "plot"}
    out = tool.output_schema
    assert out is not None and out["type"] == "object"
    assert set(out["required"]) >= {
        "classification",
        "confidence",
        "lyapunov_max",
        "lyapunov_uncertainty",
        "correlation_dimension",
        "embedding",
        "reasons",
        "lyapunov_method",
        "lyapunov_spectrum",
        "kaplan_yorke_dimension",
    }
    assert out["properties"]["lyapunov_method"]["enum"] == ["local Jacobians", "divergence"]
    assert "analyze_attractor" in ANALYSIS_TOOLS


def test_sine_is_a_limit_cycle() -> None:
    result = call({"series": SINE})
    assert not result.is_error
    sc = result.structured_content
    assert sc["classification"] == "limit cycle"
    assert abs(sc["lyapunov_max"]) < 1e-3 and sc["lyapunov_unit"] == "per sample"
    assert sc["correlation_dimension"] == pytest.approx(1.0, abs=0.15)
    assert sc["embedding"]["dim_method"] == "Cao" and sc["embedding"]["delay"] >= 1
    assert sc["surrogate_test"]["surrogates"] == 19
    assert sc["reasons"] and 0 <= sc["confidence"] <= 1
    assert sc["plot"] is None
    assert sc["lyapunov_method"] == "divergence" and sc["lyapunov_spectrum"] is None
    assert sc["kaplan_yorke_dimension"] is None
    assert "limit cycle" in result.content[0].text
    assert [b.type for b in result.content] == ["text", "text"]


def test_logistic_map_per_time_unit() -> None:
    x = logistic(3000)
    result = call({"series": x, "dt": 0.5})
    sc = result.structured_content
    assert sc["classification"] == "chaotic"
    assert sc["lyapunov_unit"] == "per time unit"
    assert sc["lyapunov_per_sample"] == pytest.approx(math.log(2), rel=0.05)
    assert sc["lyapunov_max"] == pytest.approx(sc["lyapunov_per_sample"] / 0.5)
    assert sc["embedding"]["delay"] == 1
    # The spectrum is per time unit too, largest first; the largest is the reported exponent.
    assert sc["lyapunov_method"] == "local Jacobians"
    assert sc["lyapunov_spectrum"][0] == pytest.approx(sc["lyapunov_max"])
    assert sc["lyapunov_spectrum"] == sorted(sc["lyapunov_spectrum"], reverse=True)
    assert sc["lyapunov_divergence_slope"] == pytest.approx(2 * math.log(2), rel=0.05)
    assert sc["kaplan_yorke_dimension"] >= 1
    assert "Kaplan-Yorke dimension" in result.content[0].text


def test_state_vectors_and_given_parameters() -> None:
    xy = [[math.sin(0.3 * t), math.cos(0.3 * t)] for t in range(500)]
    sc = call({"series": xy}).structured_content
    assert sc["embedding"] == {
        "delay": None,
        "dim": 2,
        "delay_method": "state vectors",
        "dim_method": "state vectors",
    }
    assert sc["classification"] == "limit cycle"
    sc = call({"series": SINE, "delay": 3, "dim": 3, "theiler": 5}).structured_content
    assert sc["embedding"]["delay"] == 3 and sc["embedding"]["dim"] == 3 and sc["theiler"] == 5


def test_plot_attaches_a_png() -> None:
    pytest.importorskip("matplotlib")
    result = call({"series": SINE, "plot": True})
    images = [b for b in result.content if b.type == "image"]
    assert len(images) == 1 and images[0].mime_type == "image/png"
    assert base64.b64decode(images[0].data).startswith(b"\x89PNG")
    assert "PNG" in result.structured_content["plot"]


def test_plot_without_matplotlib_says_so(monkeypatch: pytest.MonkeyPatch) -> None:
    def missing(*_: Any) -> bytes:
        raise ImportError("No module named 'matplotlib'")

    monkeypatch.setattr(attractor_tools, "render_plot", missing)
    result = call({"series": SINE, "plot": True})
    assert not result.is_error
    assert "matplotlib is not installed" in result.structured_content["plot"]
    assert all(b.type == "text" for b in result.content)


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        ({"series": [1.0, 2.0, 3.0]}, "series: needs at least 100 samples"),
        ({"series": [0.5] * 300}, "series: is constant"),
        (
            {"series": SINE[:150], "dim": 30, "delay": 10},
            "dim: embedding dimension 30 with delay 10 needs at least 390",
        ),
        ({"series": [[1.0, 2.0], [2.0, 1.0]] * 100, "delay": 2}, "delay: only applies to a univariate"),
        ({"series": ["a", "b"] * 100}, "series"),
        ({"series": SINE, "dt": 0}, "dt"),
        ({"series": SINE, "dim": 0}, "dim"),
    ],
)
def test_bad_input_is_a_tool_error_naming_the_field(args: dict[str, Any], fragment: str) -> None:
    async def body(client: Client) -> Any:
        bad = await client.call_tool("analyze_attractor", args)
        ok = await client.call_tool("analyze_attractor", {"series": SINE[:300]})
        return bad, ok

    bad, ok = run(body)
    assert bad.is_error and fragment in bad.content[0].text
    assert not ok.is_error  # the session carries on


def test_length_limit_is_enforced() -> None:
    settings = Settings(warmup=False, limits=LimitsSettings(max_sequence_length=200))
    result = call({"series": SINE}, settings)
    assert result.is_error and "limits.max_sequence_length" in result.content[0].text
