"""Render the frozen PII evaluation corpus from Microsoft's presidio-evaluator templates.

    pip install "presidio-evaluator==0.3.2" presidio-anonymizer   # or: --no-deps + faker pandas tqdm
    python benchmarks/make_presidio_sentences.py            # writes benchmarks/data/presidio_sentences.jsonl

The sentences and the fake identities are Microsoft's (presidio-evaluator, MIT):
``PresidioSentenceFaker`` picks one of its 200-odd templates at random and fills
it from its fake-person table and Faker providers, and labels every filled span.
Nobody on this project wrote or edited a sentence. The output differs between
runs and library versions despite the seed (Faker providers and the template
file change), so the file is generated once and committed; the benchmark reads
the frozen file and never regenerates it.

One transformation, applied to the *templates* before rendering so that the
faker computes the spans itself: the template file stores line breaks as the two
characters backslash-``n`` (one template per line), which are turned back into
real newlines. Without it a phone number at the start of a line would be glued
to a literal ``n`` (``...\\n(73) 4746-3459``), which is not text anybody writes.

Each line of the output is ``{"id", "template_id", "text", "spans": [{"type",
"value", "start", "end"}]}`` with the faker's entity types (``EMAIL_ADDRESS``,
``CREDIT_CARD``, ``IBAN_CODE``, ``IP_ADDRESS``, ``US_SSN``, ``PHONE_NUMBER``...).
A sibling ``.meta.json`` records the versions, seed and count.
"""

from __future__ import annotations

import argparse
import json
import platform
from importlib.metadata import version
from pathlib import Path

OUT = Path(__file__).parent / "data" / "presidio_sentences.jsonl"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("-n", type=int, default=1500, help="number of sentences (default 1500)")
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args()

    from presidio_evaluator.data_generator import PresidioSentenceFaker
    from presidio_evaluator.data_generator.presidio_sentence_faker import presidio_templates_file_path

    raw = presidio_templates_file_path.read_text(encoding="utf-8").splitlines()
    templates = [line.strip().replace("\\n", "\n") for line in raw if line.strip()]
    faker = PresidioSentenceFaker(
        "en_US", lower_case_ratio=0.05, sentence_templates=templates, random_seed=args.seed
    )
    samples = faker.generate_new_fake_sentences(args.n)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    with args.out.open("w", encoding="utf-8") as fh:
        for i, s in enumerate(samples):
            spans = [
                dict(type=sp.entity_type, value=sp.entity_value, start=sp.start_position, end=sp.end_position)
                for sp in s.spans
            ]
            spans.sort(key=lambda d: (d["start"], d["end"]))
            for sp in spans:
                # lower_case_ratio lower-cases some names in the text but not in the label
                assert s.full_text[sp["start"] : sp["end"]].lower() == sp["value"].lower(), (i, sp)
            row = {"id": i, "template_id": s.template_id, "text": s.full_text, "spans": spans}
            fh.write(json.dumps(row, ensure_ascii=False) + "\n")
    meta = {
        "generator": "presidio_evaluator.data_generator.PresidioSentenceFaker",
        "presidio-evaluator": version("presidio-evaluator"),
        "faker": version("faker"),
        "python": platform.python_version(),
        "locale": "en_US",
        "lower_case_ratio": 0.05,
        "seed": args.seed,
        "count": len(samples),
        "template_transform": "literal backslash-n in templates -> newline",
    }
    args.out.with_suffix(".meta.json").write_text(json.dumps(meta, indent=2) + "\n", encoding="utf-8")
    print(f"wrote {len(samples)} sentences to {args.out}")


if __name__ == "__main__":
    main()
