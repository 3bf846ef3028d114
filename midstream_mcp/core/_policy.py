"""Stream policy: what the pipeline checks on every chunk of one stream, validated from plain dicts.

Every validation error is an :class:`InvalidInput` whose field is the full path
(``policy.patterns[2].regex``), so a client knows exactly what to fix.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from midstream_mcp.core._patterns import LiteralMatcher, RegexMatcher, TokenSequenceMatcher
from midstream_mcp.core.analytics import InvalidInput
from midstream_mcp.core.analytics.ltl import CompiledLTL, compile_ltl
from midstream_mcp.core.sanitizer.policy import Policy

OnFull = Literal["wait", "reject"]

MAX_PATTERNS = 64
MAX_RULES = 64
MAX_MONITORS = 16
MAX_SPAN = 4096
MAX_TOKENS = 64
_NAME_RE = re.compile(r"^[A-Za-z0-9_.\-]{1,64}$")


@dataclass(frozen=True, slots=True)
class SanitizerSpec:
    """Sanitizer settings of a stream: on/off, the sanitizer policy (mode, thresholds, detectors), context."""

    enabled: bool = True
    policy: Policy = field(default_factory=Policy)
    agentic: bool = False

    @property
    def mode(self) -> str:
        return self.policy.mode

    def to_dict(self) -> dict[str, Any]:
        p = self.policy
        return {
            "enabled": self.enabled,
            "mode": p.mode,
            "warn_threshold": p.warn_threshold,
            "block_threshold": p.block_threshold,
            "injection": p.injection,
            "pii": p.pii,
            "secrets": p.secrets,
            "invisible": p.invisible,
            "fail_open": p.fail_open,
            "time_budget_s": p.time_budget_s,
            "agentic": self.agentic,
        }


@dataclass(frozen=True, slots=True)
class PatternSpec:
    """A watch pattern: ``kind`` is ``literal``, ``regex`` or ``tokens``.

    ``max_span`` (regex) bounds a match plus its lookaround in characters: a
    regex match is reported once that many characters from its start have
    arrived (or at close). ``max_distance`` and ``metric`` (``edit`` | ``lcs``)
    tune token-sequence matching.
    """

    name: str
    kind: Literal["literal", "regex", "tokens"]
    value: str | tuple[str, ...]
    ignore_case: bool = False
    max_span: int = 64
    max_distance: int = 0
    metric: Literal["edit", "lcs"] = "edit"

    def matcher(self) -> RegexMatcher | TokenSequenceMatcher:
        if self.kind == "literal":
            assert isinstance(self.value, str)
            return LiteralMatcher(self.name, self.value, self.ignore_case)
        if self.kind == "regex":
            assert isinstance(self.value, str)
            flags = re.IGNORECASE if self.ignore_case else 0
            return RegexMatcher(self.name, re.compile(self.value, flags), self.max_span)
        assert isinstance(self.value, tuple)
        return TokenSequenceMatcher(self.name, self.value, self.max_distance, self.metric, self.ignore_case)

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"name": self.name, "kind": self.kind}
        if self.kind == "tokens":
            out["tokens"] = list(self.value)
            out["max_distance"] = self.max_distance
            out["metric"] = self.metric
        else:
            out[self.kind] = self.value
            if self.kind == "regex":
                out["max_span"] = self.max_span
        out["ignore_case"] = self.ignore_case
        return out


@dataclass(frozen=True, slots=True)
class RuleSpec:
    """An intent or urgency rule: keywords (whole words, case-insensitive) or a regex, with a weight."""

    label: str
    category: Literal["intent", "urgency"]
    regex: str
    weight: float = 1.0
    max_span: int = 64
    source: str = ""

    def matcher(self) -> RegexMatcher:
        return RegexMatcher(self.label, re.compile(self.regex, re.IGNORECASE), self.max_span)

    def to_dict(self) -> dict[str, Any]:
        return {"label": self.label, "regex": self.regex, "weight": self.weight, "max_span": self.max_span}


@dataclass(frozen=True, slots=True)
class MonitorSpec:
    """An LTL monitor compiled once per policy and cloned per stream."""

    name: str
    formula: str
    compiled: CompiledLTL = field(compare=False, repr=False)

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "formula": self.formula}


def _keywords_regex(words: Sequence[str]) -> str:
    alts = "|".join(re.escape(w) for w in sorted(words, key=len, reverse=True))
    return rf"(?<!\w)(?:{alts})(?!\w)"


def _rule(
    label: str, category: Literal["intent", "urgency"], regex: str, weight: float = 1.0, span: int = 64
) -> RuleSpec:
    return RuleSpec(label, category, regex, weight, span, "builtin")


DEFAULT_INTENTS: tuple[RuleSpec, ...] = (
    _rule(
        "refusal",
        "intent",
        r"(?<!\w)(?:I(?:'|’)?m sorry, but|I (?:can(?:no|')?t|cannot|won(?:'|’)t|am unable to"
        r"|(?:'|’)m unable to) (?:help|assist|comply|do that|provide|fulfil)"
        r"|as an AI(?: language model)?)(?!\w)",
        span=48,
    ),
    _rule(
        "tool_call",
        "intent",
        r"\"(?:tool_calls?|function_call|tool_use)\"\s*:|<(?:tool_call|function_call|invoke)\b",
        span=24,
    ),
    _rule("code", "intent", r"```|(?<!\w)(?:def|class|function|import|SELECT|#include)\s+[\w*<]", 0.5, 16),
)
DEFAULT_URGENCY: tuple[RuleSpec, ...] = (
    _rule(
        "urgent",
        "urgency",
        _keywords_regex(["urgent", "urgently", "asap", "immediately", "right now", "emergency", "critical"]),
        span=13,
    ),
)


@dataclass(frozen=True, slots=True)
class StreamPolicy:
    """Everything the pipeline does with one stream's chunks; build it with :meth:`from_dict`.

    ``queue_size``/``on_full``/``window``: None takes the pipeline's defaults.
    ``store_text``: keep emitted text in events and the store (False keeps only verdicts).
    """

    sanitizer: SanitizerSpec = field(default_factory=SanitizerSpec)
    patterns: tuple[PatternSpec, ...] = ()
    intents: tuple[RuleSpec, ...] = DEFAULT_INTENTS
    urgency: tuple[RuleSpec, ...] = DEFAULT_URGENCY
    monitors: tuple[MonitorSpec, ...] = ()
    on_full: OnFull | None = None
    queue_size: int | None = None
    wait_timeout_s: float = 30.0
    window: int | None = None
    store_text: bool = True
    label: str = ""

    @property
    def redacting(self) -> bool:
        return self.sanitizer.enabled and self.sanitizer.policy.mode == "redact"

    @classmethod
    def from_dict(cls, data: Mapping[str, Any] | None, field_prefix: str = "policy") -> StreamPolicy:
        """Validate a plain dict into a policy; errors name the field (``policy.patterns[2].regex``)."""
        if data is None:
            return cls()
        if isinstance(data, StreamPolicy):
            return data
        if not isinstance(data, Mapping):
            raise InvalidInput(field_prefix, f"must be an object, got {type(data).__name__}")
        known = {
            "sanitizer",
            "patterns",
            "intents",
            "urgency",
            "monitors",
            "on_full",
            "queue_size",
            "wait_timeout_s",
            "window",
            "store_text",
            "label",
        }
        for key in data:
            if key not in known:
                raise InvalidInput(
                    f"{field_prefix}.{key}", f"unknown field; known: {', '.join(sorted(known))}"
                )
        p = field_prefix
        kw: dict[str, Any] = {}
        if "sanitizer" in data:
            kw["sanitizer"] = _sanitizer(data["sanitizer"], f"{p}.sanitizer")
        if "patterns" in data:
            kw["patterns"] = _patterns(data["patterns"], f"{p}.patterns")
        if "intents" in data:
            kw["intents"] = _rules(data["intents"], f"{p}.intents", "intent")
        if "urgency" in data:
            kw["urgency"] = _rules(data["urgency"], f"{p}.urgency", "urgency")
        if "monitors" in data:
            kw["monitors"] = _monitors(data["monitors"], f"{p}.monitors")
        if data.get("on_full") is not None:
            if data["on_full"] not in ("wait", "reject"):
                raise InvalidInput(f"{p}.on_full", f"must be 'wait' or 'reject', got {data['on_full']!r}")
            kw["on_full"] = data["on_full"]
        if data.get("queue_size") is not None:
            kw["queue_size"] = _int(data["queue_size"], f"{p}.queue_size", 1, 1_000_000)
        if data.get("window") is not None:
            kw["window"] = _int(data["window"], f"{p}.window", 16, 65_536)
        if "wait_timeout_s" in data:
            v = data["wait_timeout_s"]
            if isinstance(v, bool) or not isinstance(v, (int, float)) or not 0 < v <= 3600:
                raise InvalidInput(f"{p}.wait_timeout_s", f"must be a number in (0, 3600], got {v!r}")
            kw["wait_timeout_s"] = float(v)
        if "store_text" in data:
            kw["store_text"] = _bool(data["store_text"], f"{p}.store_text")
        if "label" in data:
            v = data["label"]
            if not isinstance(v, str) or len(v) > 200:
                raise InvalidInput(f"{p}.label", "must be a string of at most 200 characters")
            kw["label"] = v
        return cls(**kw)

    def to_dict(self) -> dict[str, Any]:
        """The normalised policy as plain JSON types (round-trips through :meth:`from_dict`)."""
        out: dict[str, Any] = {
            "sanitizer": self.sanitizer.to_dict(),
            "patterns": [x.to_dict() for x in self.patterns],
            "intents": [x.to_dict() for x in self.intents],
            "urgency": [x.to_dict() for x in self.urgency],
            "monitors": [x.to_dict() for x in self.monitors],
            "wait_timeout_s": self.wait_timeout_s,
            "store_text": self.store_text,
            "label": self.label,
        }
        for key in ("on_full", "queue_size", "window"):
            if getattr(self, key) is not None:
                out[key] = getattr(self, key)
        return out


def _bool(v: Any, f: str) -> bool:
    if not isinstance(v, bool):
        raise InvalidInput(f, f"must be true or false, got {v!r}")
    return v


def _int(v: Any, f: str, lo: int, hi: int) -> int:
    if isinstance(v, bool) or not isinstance(v, int) or not lo <= v <= hi:
        raise InvalidInput(f, f"must be an integer in [{lo}, {hi}], got {v!r}")
    return v


def _name(v: Any, f: str) -> str:
    if not isinstance(v, str) or not _NAME_RE.match(v):
        raise InvalidInput(f, f"must be 1-64 characters of letters, digits, '_', '-', '.', got {v!r}")
    return v


def _list(v: Any, f: str, limit: int) -> Sequence[Any]:
    if isinstance(v, (str, bytes, Mapping)) or not isinstance(v, Sequence):
        raise InvalidInput(f, "must be a list")
    if len(v) > limit:
        raise InvalidInput(f, f"has {len(v)} items, more than the limit of {limit}")
    return v


def _sanitizer(v: Any, f: str) -> SanitizerSpec:
    if isinstance(v, bool):
        return SanitizerSpec(enabled=v)
    if not isinstance(v, Mapping):
        raise InvalidInput(f, "must be true, false or an object")
    known = {"enabled", "agentic"} | set(SanitizerSpec().to_dict()) | {"decode_depth", "invisible_action"}
    for key in v:
        if key not in known:
            raise InvalidInput(f"{f}.{key}", f"unknown field; known: {', '.join(sorted(known))}")
    enabled = _bool(v.get("enabled", True), f"{f}.enabled")
    agentic = _bool(v.get("agentic", False), f"{f}.agentic")
    kw = {k: v[k] for k in v if k not in ("enabled", "agentic")}
    for k in ("injection", "pii", "secrets", "invisible", "fail_open"):
        if k in kw:
            _bool(kw[k], f"{f}.{k}")
    for k in ("warn_threshold", "block_threshold", "time_budget_s"):
        if k in kw and (isinstance(kw[k], bool) or not isinstance(kw[k], (int, float))):
            raise InvalidInput(f"{f}.{k}", f"must be a number, got {kw[k]!r}")
    try:
        policy = Policy(**kw)
    except InvalidInput as exc:
        raise InvalidInput(f"{f}.{exc.field}", exc.reason) from None
    except TypeError as exc:
        raise InvalidInput(f, str(exc)) from None
    return SanitizerSpec(enabled, policy, agentic)


def _compile(regex: Any, f: str, ignore_case: bool) -> str:
    if not isinstance(regex, str) or not regex:
        raise InvalidInput(f, "must be a non-empty string")
    if len(regex) > 2000:
        raise InvalidInput(f, "is longer than 2000 characters")
    try:
        rx = re.compile(regex, re.IGNORECASE if ignore_case else 0)
    except re.error as exc:
        raise InvalidInput(f, f"invalid regular expression: {exc}") from None
    if rx.fullmatch("") is not None:
        raise InvalidInput(f, "matches the empty string")
    return regex


_PATTERN_FIELDS = frozenset(
    ("name", "kind", "literal", "regex", "tokens", "ignore_case", "max_span", "max_distance", "metric")
)


def _patterns(v: Any, f: str) -> tuple[PatternSpec, ...]:
    out: list[PatternSpec] = []
    names: set[str] = set()
    for i, item in enumerate(_list(v, f, MAX_PATTERNS)):
        fi = f"{f}[{i}]"
        if isinstance(item, str):
            item = {"literal": item}
        if not isinstance(item, Mapping):
            raise InvalidInput(fi, "must be a string (a literal) or an object")
        known = _PATTERN_FIELDS
        for key in item:
            if key not in known:
                raise InvalidInput(f"{fi}.{key}", f"unknown field; known: {', '.join(sorted(known))}")
        kinds = [k for k in ("literal", "regex", "tokens") if k in item]
        if len(kinds) != 1:
            raise InvalidInput(fi, "needs exactly one of 'literal', 'regex', 'tokens'")
        kind = kinds[0]
        if item.get("kind", kind) != kind:
            raise InvalidInput(f"{fi}.kind", f"is {item['kind']!r} but the pattern gives {kind!r}")
        ignore_case = _bool(item.get("ignore_case", kind == "tokens"), f"{fi}.ignore_case")
        value: str | tuple[str, ...]
        max_span, max_distance, metric = 64, 0, "edit"
        if kind == "literal":
            value = item["literal"]
            if not isinstance(value, str) or not value:
                raise InvalidInput(f"{fi}.literal", "must be a non-empty string")
            if len(value) > MAX_SPAN:
                raise InvalidInput(f"{fi}.literal", f"is longer than {MAX_SPAN} characters")
        elif kind == "regex":
            value = _compile(item["regex"], f"{fi}.regex", ignore_case)
            max_span = _int(item.get("max_span", 64), f"{fi}.max_span", 1, MAX_SPAN)
        else:
            toks = item["tokens"]
            if isinstance(toks, str):
                from midstream_mcp.core._patterns import TOKEN_RE

                toks = [m.group() for m in TOKEN_RE.finditer(toks)]
            toks = _list(toks, f"{fi}.tokens", MAX_TOKENS)
            if not toks or not all(isinstance(t, str) and t for t in toks):
                raise InvalidInput(f"{fi}.tokens", "must be a non-empty list of non-empty strings")
            value = tuple(toks)
            max_distance = _int(item.get("max_distance", 0), f"{fi}.max_distance", 0, max(0, len(toks) - 1))
            metric = item.get("metric", "edit")
            if metric not in ("edit", "lcs"):
                raise InvalidInput(f"{fi}.metric", f"must be 'edit' or 'lcs', got {metric!r}")
        default_name = value if isinstance(value, str) else " ".join(value)
        name = item.get("name")
        if name is None:
            name = re.sub(r"[^A-Za-z0-9_.\-]+", "_", default_name)[:64].strip("_") or f"pattern{i}"
        name = _name(name, f"{fi}.name")
        if name in names:
            raise InvalidInput(f"{fi}.name", f"duplicate pattern name {name!r}")
        names.add(name)
        out.append(PatternSpec(name, kind, value, ignore_case, max_span, max_distance, metric))  # type: ignore[arg-type]
    return tuple(out)


def _rules(v: Any, f: str, category: Literal["intent", "urgency"]) -> tuple[RuleSpec, ...]:
    out: list[RuleSpec] = []
    for i, item in enumerate(_list(v, f, MAX_RULES)):
        fi = f"{f}[{i}]"
        if not isinstance(item, Mapping):
            raise InvalidInput(fi, "must be an object with 'label' and 'keywords' or 'regex'")
        known = {"label", "keywords", "regex", "weight", "max_span"}
        for key in item:
            if key not in known:
                raise InvalidInput(f"{fi}.{key}", f"unknown field; known: {', '.join(sorted(known))}")
        label = _name(item.get("label"), f"{fi}.label")
        if ("keywords" in item) == ("regex" in item):
            raise InvalidInput(fi, "needs exactly one of 'keywords', 'regex'")
        if "keywords" in item:
            kws = _list(item["keywords"], f"{fi}.keywords", 256)
            if not kws or not all(isinstance(k, str) and k.strip() for k in kws):
                raise InvalidInput(f"{fi}.keywords", "must be a non-empty list of non-empty strings")
            regex = _keywords_regex([k.strip() for k in kws])
            default_span = max(len(k) for k in kws) + 2
        else:
            regex = _compile(item["regex"], f"{fi}.regex", True)
            default_span = 64
        weight = item.get("weight", 1.0)
        if isinstance(weight, bool) or not isinstance(weight, (int, float)) or not 0 <= weight <= 1000:
            raise InvalidInput(f"{fi}.weight", f"must be a number in [0, 1000], got {weight!r}")
        max_span = _int(item.get("max_span", default_span), f"{fi}.max_span", 1, MAX_SPAN)
        out.append(RuleSpec(label, category, regex, float(weight), max_span, "policy"))
    return tuple(out)


def _monitors(v: Any, f: str) -> tuple[MonitorSpec, ...]:
    out: list[MonitorSpec] = []
    names: set[str] = set()
    for i, item in enumerate(_list(v, f, MAX_MONITORS)):
        fi = f"{f}[{i}]"
        if isinstance(item, str):
            item = {"formula": item}
        if not isinstance(item, Mapping) or not isinstance(item.get("formula"), str):
            raise InvalidInput(fi, "must be a formula string or an object with 'formula' (and 'name')")
        formula = item["formula"]
        try:
            compiled = compile_ltl(formula)
        except InvalidInput as exc:
            raise InvalidInput(f"{fi}.formula", exc.reason) from None
        name = _name(item.get("name", f"m{i}"), f"{fi}.name")
        if name in names:
            raise InvalidInput(f"{fi}.name", f"duplicate monitor name {name!r}")
        names.add(name)
        out.append(MonitorSpec(name, formula, compiled))
    return tuple(out)
