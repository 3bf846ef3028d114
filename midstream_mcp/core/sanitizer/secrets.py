"""Credentials: well-known token formats, private key blocks, JWTs, URLs with passwords,
and high-entropy values assigned to key-like names.

Evidence keeps at most the public prefix of a token (``ghp_``, ``AKIA``...) and
its length; the secret itself never appears.

Speed: a clean chunk costs a few microseconds. Every token format is at least 15
characters without whitespace, so the format patterns run only on the
whitespace-separated pieces that long (found by ``str.split``, in C); key/value
pairs are looked for only where a key word occurs, found with ``str.find`` in
the lower-cased text, and matched anchored at the start of that key.
"""

from __future__ import annotations

import base64
import binascii
import json
import re

from midstream_mcp.core.sanitizer._base import Budget, Kind, Prepared
from midstream_mcp.core.sanitizer._checks import char_classes, shannon_entropy
from midstream_mcp.core.sanitizer._model import Finding, ScanContext, _new_finding
from midstream_mcp.core.sanitizer._view import SECRETS_QUIET, TOKEN_HINT, triage
from midstream_mcp.core.sanitizer.policy import Policy

#: (name, regex, public prefix length kept in the evidence). Order: most specific first.
_FORMATS: tuple[tuple[str, re.Pattern[str], int], ...] = tuple(
    (name, re.compile(src), keep)
    for name, src, keep in (
        ("private_key", r"-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?-----"
                        r"(?:[\s\S]{0,8000}?-----END (?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?-----)?", 0),
        ("aws_access_key_id", r"\b(?:AKIA|ASIA|ABIA|ACCA|A3T[A-Z0-9])[A-Z0-9]{16}\b", 4),
        ("github_token", r"\bgh[pousr]_[A-Za-z0-9]{36,255}\b", 4),
        ("github_fine_grained_token", r"\bgithub_pat_[A-Za-z0-9_]{22,255}\b", 11),
        ("gitlab_token", r"\bglpat-[A-Za-z0-9_\-]{20,}", 6),
        ("slack_token", r"\bxox[abposr]-[A-Za-z0-9\-]{10,}", 5),
        ("slack_webhook", r"https://hooks\.slack\.com/services/T[A-Za-z0-9_]+/B[A-Za-z0-9_]+/"
                          r"[A-Za-z0-9_]+", 0),
        ("anthropic_api_key", r"\bsk-ant-(?:api|admin|oat|sid)\d{2}-[A-Za-z0-9_\-]{32,}", 7),
        ("openai_api_key", r"\bsk-(?:proj-|svcacct-|admin-|None-)?[A-Za-z0-9_\-]{20,}"
                           r"(?:T3BlbkFJ[A-Za-z0-9_\-]{20,})?", 3),
        ("stripe_key", r"\bsk_(?:live|test)_[A-Za-z0-9]{20,}", 8),
        ("stripe_key", r"\brk_(?:live|test)_[A-Za-z0-9]{20,}", 8),
        ("google_api_key", r"\bAIza[0-9A-Za-z_\-]{35}(?![0-9A-Za-z_\-])", 4),
        ("google_oauth_token", r"\bya29\.[0-9A-Za-z_\-]{20,}", 5),
        ("sendgrid_api_key", r"\bSG\.[A-Za-z0-9_\-]{22}\.[A-Za-z0-9_\-]{43}\b", 3),
        ("npm_token", r"\bnpm_[A-Za-z0-9]{36}\b", 4),
        ("pypi_token", r"\bpypi-AgEIcHlwaS5vcmc[A-Za-z0-9_\-]{50,}", 5),
        ("huggingface_token", r"\bhf_[A-Za-z0-9]{34,}\b", 3),
        ("twilio_api_key", r"\bSK[0-9a-f]{32}\b", 2),
        ("azure_storage_key", r"AccountKey=[A-Za-z0-9+/]{86}==", 11),
        ("discord_bot_token", r"\b[MNO][A-Za-z\d_\-]{23,25}\.[A-Za-z\d_\-]{6}\.[A-Za-z\d_\-]{27,38}\b", 0),
        ("telegram_bot_token", r"\b\d{8,10}:AA[A-Za-z0-9_\-]{33}\b", 0),
        ("shopify_token", r"\bshp(?:at|ca|pa|ss)_[a-fA-F0-9]{32}\b", 6),
    )
)  # fmt: skip
_PRIVATE_KEY = _FORMATS[0][1]
_TOKEN_FORMATS = _FORMATS[1:]
#: All token formats that begin with a fixed character, as one alternation without the leading
#: ``\b``: every branch then starts with a literal, so ``re`` skips ahead to those characters
#: instead of trying each position. The word boundary is checked on each hit, and the hit is then
#: matched format by format (in order) to name it. The two formats that begin with a character
#: class (Discord, Telegram) have their own cheap gates.
_LITERAL_FORMATS = tuple(f for f in _TOKEN_FORMATS if f[0] not in ("discord_bot_token", "telegram_bot_token"))
_ANY_TOKEN = re.compile("|".join(rx.pattern.removeprefix(r"\b") for _, rx, _k in _LITERAL_FORMATS))
_DISCORD = next(f for f in _TOKEN_FORMATS if f[0] == "discord_bot_token")
_TELEGRAM = next(f for f in _TOKEN_FORMATS if f[0] == "telegram_bot_token")
_MIN_TOKEN = 15  # the shortest format (xoxb- and ten characters)
#: Lower-case strings of three characters or more one of which starts every match of the literal
#: formats (``_LITERAL_FORMATS``) and of ``_JWT``, plus the ``:AA`` every Telegram token holds: the
#: kernel's triage looks for them, case blind (see ``_view.TOKEN_HINT``). The tests check each
#: format against them.
_TOKEN_PREFIXES = (
    "akia", "asia", "abia", "acca", "a3t", "ghp", "gho", "ghu", "ghs", "ghr", "github_pat_", "glpat-", "xox",
    "https://hooks.slack.com/services/", "sk-", "sk_", "rk_", "aiza", "ya29.", "sg.", "npm_", "pypi-", "hf_",
    *(f"sk{d}" for d in "0123456789abcdef"), "accountkey=", "shp", "eyj", ":aa",
)  # fmt: skip
#: The shortest Discord token (24 + 1 + 6 + 1 + 27 characters, two of them dots).
_DISCORD_MIN = 59
_JWT = re.compile(r"\beyJ[A-Za-z0-9_\-]{8,}\.eyJ[A-Za-z0-9_\-]{8,}\.[A-Za-z0-9_\-]{10,}")
_URL_PASSWORD = re.compile(
    r"\b[a-zA-Z][a-zA-Z0-9+.\-]{1,20}://[^\s:/@?#\[\]]{1,128}:(?P<pw>[^\s@/?#]{1,256})@[\w.\-\[\]]+"
)
_KEY_WORDS = (
    r"api[_\-. ]?key|apikey|secret|token|passw(?:or)?d|passwd|pwd|pass|auth|credential|private[_\-]?key|"
    r"access[_\-]?key|client[_\-]?secret|bearer|session[_\-]?id|signing[_\-]?key|encryption[_\-]?key"
)
_KEY_VALUE = re.compile(
    rf"(?i)(?P<key>[\w.\-]*(?:{_KEY_WORDS})[\w.\-]*)[\"']?\s*(?:=>|:=|[:=]|\s(?:is|was)\s)\s*"
    r"(?:bearer\s+)?[\"'`]?(?P<value>[^\s\"'`,;<>(){}\[\]]{6,256})"
)
#: Substrings of the lower-cased text that every key word contains (the key/value gate).
_KEY_HINTS = ("key", "secret", "token", "pass", "pwd", "auth", "credential", "bearer", "session")
_KEY_CHARS = frozenset("abcdefghijklmnopqrstuvwxyz0123456789_.-")
_BEARER = re.compile(r"(?i)\bbearer\s+(?P<value>[A-Za-z0-9_\-.=+/~]{20,})")
_PLACEHOLDER_VALUE = re.compile(
    r"(?i)^(?:x{3,}|\*{3,}|\.{3,}|<[^>]*>|\$\{?[\w.]+\}?|%\w+%|\{\{.*\}\}|your[_\-]?\w*|changeme|"
    r"example\w*|placeholder|redacted|none|null|true|false|undefined|password|secret|token|"
    r"\[[A-Z_]+\]|os\.environ.*|env\[.*|process\.env.*|getenv.*)$"
)
_PLACEHOLDER = "[SECRET]"


def _evidence(kind: str, value: str, keep: int) -> str:
    return f"{kind}: {value[:keep]}{'*' * 4}… ({len(value)} chars)"


def _jwt_ok(token: str) -> bool:
    head = token.split(".", 1)[0]
    try:
        header = json.loads(base64.urlsafe_b64decode(head + "=" * (-len(head) % 4)))
    except (binascii.Error, ValueError, UnicodeDecodeError):
        return False
    return isinstance(header, dict) and ("alg" in header or "typ" in header)


_NAME_LIKE = re.compile(r"[A-Za-z_][A-Za-z_]*(?:[.\-][A-Za-z_]+)*")  # words, identifiers, dotted names
_DOTTED_NAME = re.compile(r"[A-Za-z_]\w*(?:\.[A-Za-z_]\w*)+")  # obj.attr: code, not a password
_ENV_NAME = re.compile(r"[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+")  # AWS_SECRET_ACCESS_KEY: the name of a secret
_PASSWORD_KEY = re.compile(r"(?i)pass|pwd")


def looks_secret(value: str, key: str, after: str = "") -> float:
    """Score in [0, 1] for ``value`` being a real credential assigned to ``key`` (0: not one).

    ``after`` is the character following the value: a value followed by ``(`` or
    ``[`` is a call or an index expression in code, not a literal.
    """
    if after in ("(", "[") or _PLACEHOLDER_VALUE.match(value) or value.lower() == key.lower():
        return 0.0
    if _DOTTED_NAME.fullmatch(value) or _ENV_NAME.fullmatch(value):
        return 0.0
    n = len(value)
    if _PASSWORD_KEY.search(key):
        # Passwords are short and chosen by people: length and mixed classes matter more than entropy.
        if n >= 6 and (char_classes(value) >= 2 or shannon_entropy(value) >= 2.5):
            return 0.8
        return 0.0
    if n < 12 or _NAME_LIKE.fullmatch(value):
        return 0.0  # short, or identifiers and words (PydanticBaseSettingsSource, session_idle_timeout)
    entropy = shannon_entropy(value)
    classes = char_classes(value)
    if n >= 16 and entropy >= 3.5 and classes >= 2:
        return 0.9
    if n >= 12 and entropy >= 3.0 and classes >= 2 and not value.isalpha():
        return 0.7
    return 0.0


#: Bytes: whitespace stays a space, every other byte becomes "x" (the long-piece finder's view).
_SPACE_SHAPE = bytes(32 if chr(c) in " \t\n\r\x0b\x0c" else 120 for c in range(256))
_LONG_RUN = b"x" * _MIN_TOKEN
_LONG_PIECE = re.compile(rf"\S{{{_MIN_TOKEN},}}")


def _long_pieces(raw: str, is_ascii: bool) -> list[tuple[int, str]]:
    """``(offset, piece)`` for every whitespace-delimited piece of at least ``_MIN_TOKEN`` characters."""
    if not is_ascii:
        return [(m.start(), m.group()) for m in _LONG_PIECE.finditer(raw)]
    shape = raw.encode("ascii").translate(_SPACE_SHAPE)
    out = []
    i = shape.find(_LONG_RUN)
    while i >= 0:
        start = shape.rfind(b" ", 0, i) + 1
        end = shape.find(b" ", i)
        if end < 0:
            end = len(shape)
        out.append((start, raw[start:end]))
        i = shape.find(_LONG_RUN, end)
    return out


def _tokens(piece: str) -> list[tuple[str, int, int, int]]:
    """``(kind, start, end, keep)`` of every well-known token format in ``piece``."""
    out = []
    pos = 0
    while True:
        m = _ANY_TOKEN.search(piece, pos)
        if m is None:
            break
        start = m.start()
        if start and (piece[start - 1].isalnum() or piece[start - 1] == "_"):
            pos = start + 1  # inside a longer word: not a token start
            continue
        for kind, rx, keep in _LITERAL_FORMATS:
            mm = rx.match(piece, start)
            if mm is not None:
                out.append((kind, start, mm.end(), keep))
                pos = mm.end()
                break
        else:
            pos = start + 1
    if piece.count(".") >= 2:
        kind, rx, keep = _DISCORD
        out.extend((kind, m.start(), m.end(), keep) for m in rx.finditer(piece))
    if ":AA" in piece:
        kind, rx, keep = _TELEGRAM
        out.extend((kind, m.start(), m.end(), keep) for m in rx.finditer(piece))
    return out


class SecretsDetector:
    """Well-known credential formats plus high-entropy values in key/value context."""

    name = "secrets"
    kind: Kind = "sensitive"
    quiet_flag = SECRETS_QUIET

    def detect(self, text: Prepared, policy: Policy, context: ScanContext, budget: Budget) -> list[Finding]:
        """Credential spans; each finding's evidence shows the token type, a public prefix and the length."""
        raw = text.text
        view = triage(text, policy)  # the kernel's first look, or None
        if view is not None and view[0] & SECRETS_QUIET:
            return []  # most chunks: no token can start, no key word, no key block or URL
        out: list[Finding] = []
        taken: list[tuple[int, int]] = []

        def add(kind: str, start: int, end: int, score: float, keep: int) -> None:
            if any(start < e and end > s for s, e in taken):
                return
            taken.append((start, end))
            ev = _evidence(kind, raw[start:end], keep)
            out.append(_new_finding(self.name, kind, start, end, score, ev, _PLACEHOLDER))

        if "PRIVATE KEY" in raw:
            for m in _PRIVATE_KEY.finditer(raw):
                add("private_key", m.start(), m.end(), 0.95, 0)
        pieces = _long_pieces(raw, text.is_ascii) if view is None or view[0] & TOKEN_HINT else []
        for at, piece in pieces:
            for kind, start, end, keep in _tokens(piece):
                add(kind, at + start, at + end, 0.95, keep)
            if "eyJ" in piece:
                for m in _JWT.finditer(piece):
                    if _jwt_ok(m.group()):
                        add("jwt", at + m.start(), at + m.end(), 0.9, 3)
        if "://" in raw and "@" in raw:
            for m in _URL_PASSWORD.finditer(raw):
                pw = m.group("pw")
                if not _PLACEHOLDER_VALUE.match(pw):
                    add("connection_string_password", m.start("pw"), m.end("pw"), 0.9, 0)
        if view is None:
            low = raw.lower()
            hints = [h for h in _KEY_HINTS if h in low]
        else:
            keys = view[5]
            hints = [h for i, h in enumerate(_KEY_HINTS) if keys >> i & 1] if keys else []
            low = raw.lower() if hints else raw
        if hints:
            budget.check()
            seen: set[int] = set()
            for hint in hints:
                i = low.find(hint)
                while i >= 0:
                    start = i
                    floor = max(0, i - 48)
                    while start > floor and low[start - 1] in _KEY_CHARS:
                        start -= 1
                    i = low.find(hint, i + len(hint))
                    if start in seen:
                        continue
                    seen.add(start)
                    kv = _KEY_VALUE.match(raw, start)
                    if kv is None and start > 1 and low[start - 1] == " ":
                        # two-word keys: "api key is ...", "private key: ..."
                        prev = start - 1
                        while prev > floor and low[prev - 1] in _KEY_CHARS:
                            prev -= 1
                        kv = _KEY_VALUE.match(raw, prev)
                    if kv is None:
                        continue
                    value = kv.group("value")
                    score = looks_secret(value, kv.group("key"), raw[kv.end("value") : kv.end("value") + 1])
                    if score:
                        add("high_entropy_secret", kv.start("value"), kv.end("value"), score, 0)
            if "bearer" in hints:
                for m in _BEARER.finditer(raw):
                    if looks_secret(m.group("value"), "token", raw[m.end("value") : m.end("value") + 1]):
                        add("bearer_token", m.start("value"), m.end("value"), 0.85, 0)
        if len(out) > 1:
            out.sort(key=lambda f: f.start)
        return out
