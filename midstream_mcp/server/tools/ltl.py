"""LTL tools: ``verify_ltl`` and ``ltl_explain``.

Thin adapters over :mod:`midstream_mcp.core.analytics.ltl`: they check the
configured limits, call the core and shape the answer as pydantic models.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from mcp.server import MCPServer
from mcp.types import CallToolResult
from pydantic import BaseModel, Field

from midstream_mcp.config import LimitsSettings
from midstream_mcp.core.analytics import ltl
from midstream_mcp.server.tools._common import PURE_COMPUTATION, structured, tool_errors

#: Events of a counterexample returned inline; longer ones are cut to their last events.
MAX_COUNTEREXAMPLE_EVENTS = 100

FormulaArg = Annotated[
    str,
    Field(
        description=(
            "LTL formula over finite traces (LTLf), e.g. 'G(tool_call -> F tool_result)' or "
            "'G(verdict == \"block\" -> G !output)'. Operators: ! & | xor -> <-> X (strong next) "
            "N or X[!] (weak next) F G U R W M, past Y Z O H S T; precedence as in Spot. Atoms are "
            "names or comparisons of an event field with a number, string or boolean."
        ),
        max_length=ltl.MAX_FORMULA_CHARS,
    ),
]
Event = Annotated[
    list[str] | dict[str, Any],
    Field(description="An event: the names of the atoms that hold, or an object of fields."),
]


class VerifyResult(BaseModel):
    """Whether a finite trace satisfies an LTLf formula, with a witness when it does not."""

    holds: bool
    decided_at: int = Field(
        description="Index of the first event after which every continuation gives the same verdict "
        "(the last index if only the end of the trace decided)."
    )
    decided_before_end: bool = Field(description="Whether the verdict was certain before the trace ended.")
    failing_subformula: str | None = Field(
        default=None, description="The most specific sub-formula that is false, when the trace fails."
    )
    failing_at: int | None = Field(default=None, description="Index at which failing_subformula is false.")
    counterexample: list[list[str] | dict[str, Any]] | None = Field(
        default=None,
        description="The shortest failing prefix (events 0..decided_at), cut to its last "
        f"{MAX_COUNTEREXAMPLE_EVENTS} events if longer; null when the trace holds.",
    )
    counterexample_start: int | None = Field(
        default=None, description="Index in the trace of the first event of counterexample."
    )
    counterexample_length: int = Field(description="Length of the shortest failing prefix; 0 when it holds.")
    trace_length: int
    monitor_states: int = Field(description="States of the minimal monitor automaton.")


class ExplainResult(BaseModel):
    """How a formula is read and monitored."""

    formula: str = Field(description="The formula as parsed, printed with minimal parentheses.")
    normalised: str = Field(description="Negation normal form (-> <-> xor expanded).")
    atoms: list[str]
    size: int = Field(description="Number of operators and atoms.")
    property_class: Literal[
        "safety & guarantee", "safety", "guarantee", "obligation", "beyond obligation"
    ] = Field(
        description="safety: every violation shows at a bad prefix; guarantee: every satisfaction at a good "
        "prefix; obligation: a Boolean combination of both; beyond obligation: only the end of the trace "
        "decides."
    )
    safety: bool
    guarantee: bool
    obligation: bool
    has_past: bool
    monitor_states: int = Field(description="States of the minimal DFA run per event by the online monitor.")
    initial_verdict: Literal["true", "false", "pending"]
    compile_ms: float


def _event_json(e: Any) -> list[str] | dict[str, Any]:
    if isinstance(e, dict):
        return e
    return sorted(str(x) for x in e)


def _verify(formula: str, trace: list[Any], limits: LimitsSettings) -> VerifyResult:
    r = ltl.verify_ltl(formula, trace, max_events=limits.max_sequence_length)
    cex: list[list[str] | dict[str, Any]] | None = None
    start: int | None = None
    if not r.holds:
        start = max(0, r.counterexample_length - MAX_COUNTEREXAMPLE_EVENTS)
        cex = [_event_json(e) for e in r.counterexample[start:]]
    return VerifyResult(
        holds=r.holds,
        decided_at=r.decided_at,
        decided_before_end=r.decided_before_end,
        failing_subformula=r.failing_subformula,
        failing_at=r.failing_at,
        counterexample=cex,
        counterexample_start=start,
        counterexample_length=r.counterexample_length,
        trace_length=r.trace_length,
        monitor_states=r.n_states,
    )


def _verify_summary(r: VerifyResult) -> str:
    if r.holds:
        when = (
            f"certain after event {r.decided_at}"
            if r.decided_before_end
            else "decided by the end of the trace"
        )
        return f"Holds on the {r.trace_length}-event trace ({when})."
    how = (
        f"violated for good at event {r.decided_at}"
        if r.decided_before_end
        else "fails at the end of the trace"
    )
    return f"Does not hold: {how}; '{r.failing_subformula}' is false at event {r.failing_at}."


def register(server: MCPServer, limits: LimitsSettings) -> None:
    """Add the LTL tools to ``server``, enforcing ``limits``."""

    @server.tool(
        name="verify_ltl", title="Verify a trace against an LTL formula", annotations=PURE_COMPUTATION
    )
    def verify_ltl(
        formula: FormulaArg,
        trace: Annotated[
            list[Event],
            Field(description="The finite trace, first event first; at least one event."),
        ],
    ) -> Annotated[CallToolResult, VerifyResult]:
        """Check a finite trace of events against an LTL formula (LTLf semantics).

        Returns whether it holds, the first event after which the verdict was certain,
        and for a failure the false sub-formula and the shortest failing prefix.
        """
        with tool_errors():
            result = _verify(formula, trace, limits)
        return structured(result, _verify_summary(result))

    @server.tool(name="ltl_explain", title="Explain an LTL formula", annotations=PURE_COMPUTATION)
    def ltl_explain(formula: FormulaArg) -> Annotated[CallToolResult, ExplainResult]:
        """Normal form, atoms, safety/guarantee/obligation class and monitor size of an LTL formula."""
        with tool_errors():
            e = ltl.explain_ltl(formula)
        result = ExplainResult(
            formula=e.formula,
            normalised=e.normalised,
            atoms=list(e.atoms),
            size=e.size,
            property_class=e.property_class,
            safety=e.safety,
            guarantee=e.guarantee,
            obligation=e.obligation,
            has_past=e.has_past,
            monitor_states=e.n_states,
            initial_verdict=e.initial_verdict.value,
            compile_ms=e.compile_ms,
        )
        summary = (
            f"{result.formula}: {result.property_class} property over {len(result.atoms)} atom(s); "
            f"monitor has {result.monitor_states} state(s)."
        )
        return structured(result, summary)
