"""Secrets detection: each token format, JWTs, URL passwords, key/value entropy, masked evidence.

No real-looking credential sits in this file: every token is built at run time from its public
prefix and random characters (seeded), exactly as the formats define them.
"""

from __future__ import annotations

import base64
import json
import random
import string

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from midstream_mcp.core.sanitizer import Policy, ScanContext, _fast, _view, redact, scan
from midstream_mcp.core.sanitizer import secrets as sec
from midstream_mcp.core.sanitizer._base import Budget, Prepared
from midstream_mcp.core.sanitizer.secrets import SecretsDetector, looks_secret

POLICY = Policy(injection=False, time_budget_s=10.0)
ALNUM = string.ascii_letters + string.digits
HEX = "0123456789abcdef"
UPPER_NUM = string.ascii_uppercase + string.digits
URLSAFE = ALNUM + "_-"


def rand(n: int, alphabet: str = ALNUM, seed: int = 0) -> str:
    rng = random.Random(seed * 7919 + n)
    while True:
        s = "".join(rng.choice(alphabet) for _ in range(n))
        # random strings of a mixed alphabet: make sure the usual classes are there
        if alphabet != ALNUM or (any(c.isdigit() for c in s) and any(c.isupper() for c in s)):
            return s


def b64url(obj: object) -> str:
    return base64.urlsafe_b64encode(json.dumps(obj).encode()).decode().rstrip("=")


def jwt(header: object | None = None) -> str:
    header = {"alg": "HS256", "typ": "JWT"} if header is None else header
    return f"{b64url(header)}.{b64url({'sub': 'user-1', 'iat': 1700000000})}.{rand(43, URLSAFE, 5)}"


def secrets(text: str) -> list[tuple[str, str]]:
    found = SecretsDetector().detect(Prepared(text), POLICY, ScanContext(), Budget(10.0))
    return [(f.category, text[f.start : f.end]) for f in found]


#: (category, token, public prefix the evidence may show)
TOKENS = [
    ("aws_access_key_id", "AKIA" + rand(16, UPPER_NUM), "AKIA"),
    ("aws_access_key_id", "ASIA" + rand(16, UPPER_NUM, 1), "ASIA"),
    ("github_token", "ghp_" + rand(36), "ghp_"),
    ("github_token", "ghs_" + rand(36, seed=2), "ghs_"),
    ("github_fine_grained_token", "github_pat_" + rand(22) + "_" + rand(59), "github_pat_"),
    ("gitlab_token", "glpat-" + rand(20, URLSAFE), "glpat-"),
    (
        "slack_token",
        "xoxb-" + "-".join(rand(12, string.digits, i) for i in range(2)) + "-" + rand(24),
        "xoxb-",
    ),
    (
        "slack_webhook",
        f"https://hooks.slack.com/services/T{rand(8, UPPER_NUM)}/B{rand(10, UPPER_NUM)}/{rand(24)}",
        "",
    ),
    ("anthropic_api_key", "sk-ant-api03-" + rand(93, URLSAFE) + "AA", "sk-ant-"),
    ("openai_api_key", "sk-proj-" + rand(48, URLSAFE), "sk-"),
    ("openai_api_key", "sk-" + rand(20) + "T3BlbkFJ" + rand(20), "sk-"),
    ("stripe_key", "sk_live_" + rand(24), "sk_live_"),
    ("stripe_key", "rk_test_" + rand(24, seed=3), "rk_test_"),
    ("google_api_key", "AIza" + rand(35, URLSAFE), "AIza"),
    ("google_oauth_token", "ya29." + rand(60, URLSAFE), "ya29."),
    ("sendgrid_api_key", "SG." + rand(22, URLSAFE) + "." + rand(43, URLSAFE, 1), "SG."),
    ("npm_token", "npm_" + rand(36), "npm_"),
    ("pypi_token", "pypi-AgEIcHlwaS5vcmc" + rand(60, URLSAFE), "pypi-"),
    ("huggingface_token", "hf_" + rand(34), "hf_"),
    ("twilio_api_key", "SK" + rand(32, HEX), "SK"),
    ("azure_storage_key", "AccountKey=" + rand(86, ALNUM + "+/") + "==", "AccountKey="),
    ("discord_bot_token", "M" + rand(23) + "." + rand(6, URLSAFE) + "." + rand(27, URLSAFE), ""),
    ("telegram_bot_token", rand(9, string.digits) + ":AA" + rand(33, URLSAFE), ""),
    ("shopify_token", "shpat_" + rand(32, HEX), "shpat_"),
]


@pytest.mark.parametrize(
    ("kind", "token", "prefix"), TOKENS, ids=[f"{k}-{i}" for i, (k, _, _) in enumerate(TOKENS)]
)
def test_token_formats(kind: str, token: str, prefix: str) -> None:
    for text in (token, f"export X={token}\n", f'{{"key": "{token}"}}', f"use ({token}) now"):
        got = secrets(text)
        assert got == [(kind, token)], text
    (f,) = scan(f"token {token}", policy=POLICY).findings
    assert token not in f.evidence
    assert token[len(prefix) :][:6] not in f.evidence  # nothing past the public prefix
    assert f.evidence.startswith(f"{kind}: {prefix}")
    assert f"({len(token)} chars)" in f.evidence


def test_every_token_format_starts_with_a_prefix_the_kernel_looks_for() -> None:
    assert {name for name, _, _ in sec._TOKEN_FORMATS} <= {kind for kind, _, _ in TOKENS}  # an example each
    for kind, token, _ in TOKENS:
        low = token.lower()
        if kind == "discord_bot_token":
            assert len(token) >= sec._DISCORD_MIN and token.count(".") >= 2
        elif kind == "telegram_bot_token":
            assert ":aa" in low and ":aa" in sec._TOKEN_PREFIXES
        else:
            assert low.startswith(sec._TOKEN_PREFIXES), token
    assert jwt().lower().startswith(sec._TOKEN_PREFIXES)


def test_tokens_are_found_through_the_kernel_gate() -> None:
    """With the kernels on (and the injection detector, which makes the kernel call), every format is
    still found: the kernel's token hint lets it through; ordinary long pieces do not set the hint."""
    was = _fast.KERNELS
    _fast.load()
    try:
        policy = Policy(time_budget_s=10.0)
        filler = "and then the answer goes on for a while so that the text is long enough"
        for kind, token, _ in [*TOKENS, ("jwt", jwt(), "")]:
            for text in (f"the value is {token} {filler}", f"{filler}\nconfig: {token};"):
                p = Prepared(text)
                found = SecretsDetector().detect(p, policy, ScanContext(), Budget(10.0))
                assert p.kernel_view is not None and p.kernel_view[0] & _view.TOKEN_HINT, text
                assert [(f.category, text[f.start : f.end]) for f in found] == [(kind, token)]
        p = Prepared(f"resp.raise_for_status() returns console.log(items.map(f)) {filler}")
        assert SecretsDetector().detect(p, policy, ScanContext(), Budget(10.0)) == []
        assert p.kernel_view is not None and p.kernel_view[0] & _view.LONG_PIECE
        assert not p.kernel_view[0] & _view.TOKEN_HINT
    finally:
        if was is None:
            _fast.unload()


@pytest.mark.parametrize(
    "text",
    [
        "ghp_" + rand(20),  # too short for a GitHub token
        "AKIA" + rand(16, string.ascii_lowercase),  # AWS key ids are upper case
        "AKIA" + rand(15, UPPER_NUM),
        "xoxb-short",
        "sk-short",
        "npm_" + rand(35),
        "shpat_" + rand(32, "ghijklmnop"),  # not hex
        "hf_" + rand(20),
        "the sk_live_ prefix alone",
    ],
)
def test_token_look_alikes_are_not_secrets(text: str) -> None:
    assert secrets(text) == []


def test_private_key_block_is_one_finding_without_the_key() -> None:
    body = "\n".join(rand(64, ALNUM + "+/", i) for i in range(5))
    block = f"-----BEGIN RSA PRIVATE KEY-----\n{body}\n-----END RSA PRIVATE KEY-----"
    text = f"here it is:\n{block}\nkeep it safe"
    assert secrets(text) == [("private_key", block)]
    (f,) = scan(text, policy=POLICY).findings
    assert body[:20] not in f.evidence
    assert redact(text, policy=POLICY).redacted_text == "here it is:\n[SECRET]\nkeep it safe"


def test_openssh_and_encrypted_private_key_headers() -> None:
    for label in ("OPENSSH PRIVATE KEY", "ENCRYPTED PRIVATE KEY", "PRIVATE KEY", "EC PRIVATE KEY"):
        block = f"-----BEGIN {label}-----\n{rand(70)}\n-----END {label}-----"
        assert secrets(block) == [("private_key", block)]


# -- JWT -------------------------------------------------------------------------------------------


def test_jwt_valid() -> None:
    token = jwt()
    assert secrets(f"Authorization header value {token} here") == [("jwt", token)]
    (f,) = scan(token, policy=POLICY).findings
    assert f.evidence.startswith("jwt: eyJ") and token[3:12] not in f.evidence


def test_jwt_header_must_be_a_json_object_with_alg_or_typ() -> None:
    assert secrets(jwt({"kid": "x"})) == []  # JSON, but not a JOSE header
    fake = "eyJ" + rand(20) + ".eyJ" + rand(20) + "." + rand(30)  # not base64 JSON at all
    assert [k for k, _ in secrets(fake) if k == "jwt"] == []


# -- URLs with passwords ---------------------------------------------------------------------------


def test_connection_string_password_only_the_password_is_redacted() -> None:
    pw = rand(14, ALNUM + "!$%^", 8)
    text = f"DATABASE_URL=postgres://app_user:{pw}@db.internal:5432/app"
    assert secrets(text) == [("connection_string_password", pw)]
    assert (
        redact(text, policy=POLICY).redacted_text
        == "DATABASE_URL=postgres://app_user:[SECRET]@db.internal:5432/app"
    )


@pytest.mark.parametrize(
    "text",
    [
        "postgres://app_user:${DB_PASSWORD}@db:5432/app",
        "redis://:<password>@cache:6379",
        "https://user@example.com/path",
        "mongodb://admin:xxxxx@localhost",
    ],
)
def test_url_without_a_real_password(text: str) -> None:
    assert [k for k, _ in secrets(text) if k == "connection_string_password"] == []


# -- key = value with entropy ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("template", "kind"),
    [
        ("api_key = '{v}'", "high_entropy_secret"),
        ('"client_secret": "{v}",', "high_entropy_secret"),
        ("SECRET_TOKEN={v}", "high_entropy_secret"),
        ("apiKey: {v}", "high_entropy_secret"),
        ("the api key is {v}", "high_entropy_secret"),
        ("auth_token => {v}", "high_entropy_secret"),
        ("Authorization: Bearer {v}", "high_entropy_secret"),
    ],
)
def test_high_entropy_value_after_a_key_word(template: str, kind: str) -> None:
    value = rand(32, seed=9)
    text = template.format(v=value)
    assert secrets(text) == [(kind, value)]
    (f,) = scan(text, policy=POLICY).findings
    assert value not in f.evidence and value[:4] not in f.evidence


def test_bearer_token_without_a_key_word_before_it() -> None:
    value = rand(40, URLSAFE, 12)
    assert secrets(f"curl -H 'X: Bearer {value}'") == [("bearer_token", value)]


def test_passwords_are_judged_by_length_and_classes() -> None:
    assert secrets("password: hunter2hunter") == [("high_entropy_secret", "hunter2hunter")]
    assert secrets("db_pass = 'Tr0ub4dor&3'") == [("high_entropy_secret", "Tr0ub4dor&3")]
    assert secrets("password: abc") == []  # too short
    assert secrets("password = aaaaaa") == []  # one class, no entropy


@pytest.mark.parametrize(
    "text",
    [
        "api_key = 'your_api_key_here'",
        "token = os.environ['GITHUB_TOKEN']",
        "password = get_password()",
        "password = settings.db.password",
        "secret = '<secret>'",
        "api_key: ${API_KEY}",
        "token: [REDACTED]",
        "api_key = 'xxxxxxxxxxxxxxxx'",
        "secret = 'aaaaaaaaaaaaaaaaaaaa'",
        '{"api_key_env": "AWS_SECRET_ACCESS_KEY"}',
        "token = _current.set(ctx)",
        "file_secret_settings: PydanticBaseSettingsSource,",
        "session = first.headers['mcp-session-id']",
        "the token stream is chunked by the tokenizer",
        "password: changeme",
    ],
)
def test_key_value_non_secrets(text: str) -> None:
    assert secrets(text) == []


def test_looks_secret_scores() -> None:
    assert looks_secret(rand(32, seed=1), "api_key") == 0.9
    assert looks_secret("abc123XYZ789", "token") == 0.7
    assert looks_secret("PydanticBaseSettingsSource", "secret") == 0.0
    assert looks_secret(rand(32, seed=1), "api_key", after="(") == 0.0
    assert looks_secret("hunter2x", "password") == 0.8
    assert looks_secret("api_key", "api_key") == 0.0


# -- redaction, properties -------------------------------------------------------------------------


def test_redaction_of_several_secrets() -> None:
    gh, aws = TOKENS[2][1], TOKENS[0][1]
    text = f"GITHUB_TOKEN={gh}\nAWS_ACCESS_KEY_ID={aws}\n"
    v = redact(text, policy=POLICY)
    assert v.redacted_text == "GITHUB_TOKEN=[SECRET]\nAWS_ACCESS_KEY_ID=[SECRET]\n"
    for f in v.findings:
        assert gh not in f.evidence and aws not in f.evidence


def test_token_hidden_with_zero_width_characters_is_still_found() -> None:
    token = TOKENS[2][1]
    hidden = token[:10] + "\u200b" + token[10:]
    v = redact(f"here {hidden} there", policy=POLICY)
    assert v.redacted_text == "here [SECRET] there"


secretish = st.text(alphabet=st.sampled_from([*ALNUM, *"_-.:=/+@'\" \n", "\u200b", "é"]), max_size=120)


@settings(max_examples=300, deadline=None)
@given(
    st.one_of(
        st.text(max_size=200), secretish, st.builds(lambda a, b: a + TOKENS[4][1] + b, secretish, secretish)
    )
)
def test_secrets_never_raise_offsets_in_bounds_and_redaction_idempotent(text: str) -> None:
    for f in SecretsDetector().detect(Prepared(text), POLICY, ScanContext(), Budget(10.0)):
        assert 0 <= f.start < f.end <= len(text)
    v = redact(text, policy=POLICY)
    assert v.redacted_text is not None
    assert redact(v.redacted_text, policy=POLICY).redacted_text == v.redacted_text
