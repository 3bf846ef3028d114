"""PII recall and precision on sentences nobody on the team wrote, next to presidio-analyzer.

    python benchmarks/sanitizer_pii.py               # the table
    python benchmarks/sanitizer_pii.py --misses      # also every missed / spurious span

The corpus is ``benchmarks/data/presidio_sentences.jsonl``: 1,500 sentences
rendered once by presidio-evaluator's ``PresidioSentenceFaker`` from Microsoft's
templates and fake identities (see ``make_presidio_sentences.py``). For each
structured type a prediction counts only if its span is *exactly* the labelled
span (same start, same end, same type). Precision counts every predicted span of
the type that is not exactly a labelled one as a false positive (including ones
that overlap a label but have different bounds).

The reference is presidio-analyzer's own predefined recognizers for the same
types, called directly (``recognizer.analyze(text, entities, None)``): they are
pattern recognizers (plus ``phonenumbers`` for phones) and need no spaCy model,
so they run offline. Every result with a score above 0 counts, as in
``AnalyzerEngine`` with its default threshold; context words cannot raise
scores without an NLP engine, but they never add or remove spans. If
presidio-analyzer is not installed, its columns say so and our side still runs.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path

from _presidio import offline_recognizers

from midstream_mcp.core.sanitizer import Policy, scan

DATA = Path(__file__).parent / "data" / "presidio_sentences.jsonl"

#: corpus label -> our PII category
TYPES = {
    "EMAIL_ADDRESS": "email",
    "CREDIT_CARD": "card",
    "IBAN_CODE": "iban",
    "IP_ADDRESS": "ip_address",
    "US_SSN": "ssn",
    "PHONE_NUMBER": "phone",
}
TARGET = 0.95
_POLICY = Policy(injection=False, secrets=False, invisible=False, time_budget_s=5.0)

Span = tuple[str, int, int]  # corpus type, start, end
Predictor = Callable[[str], set[Span]]


def load() -> list[dict[str, object]]:
    with DATA.open(encoding="utf-8") as fh:
        return [json.loads(line) for line in fh]


def ours(text: str) -> set[Span]:
    back = {v: k for k, v in TYPES.items()}
    verdict = scan(text, policy=_POLICY)
    if verdict.errors:
        raise RuntimeError(f"scan failed: {verdict.errors}")
    return {(back[f.category], f.start, f.end) for f in verdict.findings if f.category in back}


def presidio() -> tuple[Predictor | None, str]:
    """presidio-analyzer's predefined recognizers for our six types, offline; or None and why not."""
    recognizers, note = offline_recognizers()
    if recognizers is None:
        return None, note

    def predict(text: str) -> set[Span]:
        out: set[Span] = set()
        for r in recognizers:
            for res in r.analyze(text, r.supported_entities, None):
                if res.score > 0 and res.entity_type in TYPES:
                    out.add((res.entity_type, res.start, res.end))
        return out

    return predict, note


def evaluate(
    rows: list[dict[str, object]], predict: Predictor
) -> tuple[dict[str, list[int]], list[tuple[str, str, str, str]]]:
    """Per type [gold, true positives, predicted]; and the misses/spurious spans for --misses."""
    counts: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0])
    errors: list[tuple[str, str, str, str]] = []
    for row in rows:
        text = str(row["text"])
        gold = {(s["type"], s["start"], s["end"]) for s in row["spans"] if s["type"] in TYPES}  # type: ignore[attr-defined]
        pred = predict(text)
        for t, s, e in gold:
            counts[t][0] += 1
            if (t, s, e) in pred:
                counts[t][1] += 1
            else:
                errors.append(("miss", t, text[s:e], text))
        for t, s, e in pred:
            counts[t][2] += 1
            if (t, s, e) not in gold:
                errors.append(("spurious", t, text[s:e], text))
    return counts, errors


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--misses", action="store_true", help="print every missed and spurious span")
    args = parser.parse_args()
    rows = load()
    ours_counts, ours_errors = evaluate(rows, ours)
    ref, ref_name = presidio()
    ref_counts: dict[str, list[int]] | None = None
    if ref is not None:
        ref_counts, _ = evaluate(rows, ref)
    print(f"corpus: {DATA.name}, {len(rows)} sentences; span-exact matching")
    print(f"reference: {ref_name}\n")
    head = (
        f"{'type':<15}{'gold':>6} | {'ours TP':>8}{'recall':>8}{'prec.':>8} | "
        f"{'presidio TP':>12}{'recall':>8}{'prec.':>8}"
    )
    print(head)
    print("-" * len(head))
    failed = []
    for t in TYPES:
        g, tp, pr = ours_counts[t]
        rec = tp / g if g else float("nan")
        prec = tp / pr if pr else float("nan")
        if not rec >= TARGET:
            failed.append(t)
        line = f"{t:<15}{g:>6} | {tp:>8}{rec:>8.3f}{prec:>8.3f} | "
        if ref_counts is not None:
            _, rtp, rpr = ref_counts[t]
            line += (
                f"{rtp:>12}{rtp / g if g else float('nan'):>8.3f}{rtp / rpr if rpr else float('nan'):>8.3f}"
            )
        else:
            line += f"{'not run':>12}"
        print(line)
    verdict = "met" if not failed else "NOT met for " + ", ".join(failed)
    print(f"\ntarget: recall >= {TARGET} per type: {verdict}")
    if args.misses:
        for kind, t, value, text in ours_errors:
            print(f"{kind:<9}{t:<14}{value!r:<34}{text!r}")
    sys.exit(0)


if __name__ == "__main__":
    main()
