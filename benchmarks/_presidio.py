"""presidio-analyzer's predefined pattern recognizers for our six PII types, offline.

Shared by ``sanitizer_pii.py`` (recall) and ``sanitizer_speed.py`` (speed), so
both compare against the same reference set-up.
"""

from __future__ import annotations

from typing import Any


def offline_recognizers() -> tuple[list[Any] | None, str]:
    """The recognizers (card, e-mail, IBAN, IP, SSN, phone) and a note; None and why if not installed."""
    try:
        import tldextract
        from presidio_analyzer.predefined_recognizers import (
            CreditCardRecognizer,
            EmailRecognizer,
            IbanRecognizer,
            IpRecognizer,
            PhoneRecognizer,
            UsSsnRecognizer,
        )
    except ImportError as exc:
        return None, f"presidio-analyzer not importable ({exc}); pip install presidio-analyzer"
    # EmailRecognizer validates the domain with tldextract, which would fetch the public-suffix
    # list over the network; use the snapshot bundled with tldextract instead.
    tldextract.extract = tldextract.TLDExtract(suffix_list_urls=(), cache_dir=None)
    from importlib.metadata import version

    recognizers = [
        CreditCardRecognizer(),
        EmailRecognizer(),
        IbanRecognizer(),
        IpRecognizer(),
        PhoneRecognizer(),
        UsSsnRecognizer(),
    ]
    return (
        recognizers,
        f"presidio-analyzer {version('presidio-analyzer')} predefined recognizers, no NLP engine",
    )
