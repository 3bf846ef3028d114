"""Layered configuration: defaults < TOML file < ``MIDSTREAM_*`` environment < flags.

Environment variables use ``__`` between section and key, e.g.
``MIDSTREAM_SERVER__PORT=9000`` or ``MIDSTREAM_LIMITS__MAX_SEQUENCE_LENGTH=50000``.
The TOML file is named by ``--config`` or ``MIDSTREAM_CONFIG``; its tables are
the same sections (``[server]``, ``[limits]``, ``[streaming]``).
"""

from __future__ import annotations

import ipaddress
import os
from contextvars import ContextVar
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, Field, SecretStr, field_validator
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

LogLevel = Literal["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"]

_toml_file: ContextVar[Path | None] = ContextVar("_toml_file", default=None)


class ServerSettings(BaseModel):
    """Network-facing settings for ``--http`` mode."""

    host: str = "127.0.0.1"
    port: int = Field(default=8765, ge=0, le=65535)
    auth_token: SecretStr | None = Field(
        default=None, description="Static bearer token required on every HTTP request except /healthz."
    )
    insecure_no_auth: bool = Field(
        default=False, description="Allow a non-loopback bind without a token (logs a warning)."
    )
    allowed_hosts: list[str] = Field(
        default_factory=list, description="Extra Host header values accepted (DNS-rebinding protection)."
    )
    allowed_origins: list[str] = Field(
        default_factory=list, description="Extra Origin header values accepted (DNS-rebinding protection)."
    )
    max_request_bytes: int = Field(
        default=32 * 1024 * 1024, ge=1024, description="Largest HTTP request body accepted (413 beyond)."
    )
    event_store: str = Field(
        default=":memory:",
        description="SQLite file (or :memory:) of SSE events kept so clients can resume with Last-Event-ID.",
    )
    sse_retry_ms: int = Field(default=1000, ge=1, description="Reconnect delay suggested to SSE clients.")
    max_sessions: int | None = Field(default=256, ge=1)
    session_idle_timeout_s: float | None = Field(default=1800.0, gt=0)


class LimitsSettings(BaseModel):
    """Input limits enforced at the edge, before any large allocation."""

    max_sequence_length: int = Field(default=100_000, ge=1)
    max_candidates: int = Field(default=10_000, ge=1)
    max_path_cells: int = Field(
        default=10_000_000, ge=1, description="Largest n*m for which a DTW warping path is returned."
    )
    max_compare_cells: int = Field(
        default=2_000_000_000,
        ge=1,
        description="Largest total number of DP cells (summed n*m) one tool call may compute.",
    )


class SchedulerSettings(BaseModel):
    """The analysis job scheduler."""

    workers: int = Field(default=2, ge=1, le=256, description="Worker threads (one per core pays best).")
    aging_s: float = Field(default=5.0, gt=0, description="Waiting this long promotes a job one class.")
    max_queued: int = Field(default=10_000, ge=1)
    retain_finished: int = Field(default=1_000, ge=1, description="Finished jobs kept for job_status.")
    tool_priority: Literal["critical", "high", "normal", "low", "background"] = "high"


class StreamingSettings(BaseModel):
    """Limits and defaults for stream ingest (the server passes them to ``core.pipeline.PipelineConfig``)."""

    max_chunk_bytes: int = Field(default=65_536, ge=1)
    max_streams: int = Field(default=1_000, ge=1, description="Streams open at once.")
    queue_size: int = Field(
        default=1_024, ge=1, description="Chunks queued per stream before backpressure (a policy may lower)."
    )
    on_full: Literal["wait", "reject"] = Field(
        default="wait", description="A full queue makes the producer wait, or answers 'busy' at once."
    )
    wait_timeout_s: float = Field(default=30.0, gt=0, description="Longest wait for room before 'busy'.")
    window: int = Field(
        default=128, ge=16, le=65_536, description="Carry-over window (characters) rescanned across chunks."
    )
    max_batch: int = Field(default=256, ge=1, description="Queued chunks of a stream analysed in one step.")
    store_path: str = Field(
        default=str(
            Path(os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share")
            / "midstream-mcp"
            / "streams.sqlite3"
        ),
        description="SQLite file of stream history (one server per file), or ':memory:'.",
    )
    store_synchronous: Literal["NORMAL", "FULL"] = Field(
        default="NORMAL", description="NORMAL survives a process crash; FULL also survives power loss."
    )
    retention_max_events: int | None = Field(default=100_000, ge=1, description="Events kept per stream.")
    retention_max_age_s: float | None = Field(
        default=30 * 86_400.0, gt=0, description="Closed streams older than this are deleted."
    )
    notify_max_per_second: float = Field(
        default=10.0, gt=0, le=1000, description="resources/updated notifications per resource per second."
    )


class SanitizerSettings(BaseModel):
    """The default sanitizer policy and its limits (per call, a policy argument can override them)."""

    warn_threshold: float = Field(default=0.5, gt=0, le=1, description="Manipulation score that warns.")
    block_threshold: float = Field(default=0.8, gt=0, le=1, description="Manipulation score that blocks.")
    time_budget_s: float = Field(
        default=0.05,
        gt=0,
        le=60,
        description="Scan time per chunk (or per KiB of a long text) before failing.",
    )
    fail_open: bool = Field(
        default=False,
        description="On a detector error or time-out, allow instead of block (logs a warning every time).",
    )
    max_text_chars: int = Field(default=1_000_000, ge=1, description="Longest text the sanitize tool takes.")


class UpstreamSettings(BaseModel):
    """Where ``stream_from_llm`` may pull completions from, and with which keys.

    The server makes the request, so the base URL is an allow-list (host, port
    and path prefix are compared, not string prefixes), and an API key is only
    ever read from an environment variable named here; it is never logged or
    returned.
    """

    allowed_base_urls: list[str] = Field(
        default_factory=lambda: ["http://127.0.0.1", "http://localhost", "http://[::1]"],
        description="Base URLs stream_from_llm may call; an entry without a port allows any port.",
    )
    api_key_envs: list[str] = Field(
        default_factory=lambda: ["OPENAI_API_KEY", "MIDSTREAM_UPSTREAM_API_KEY"],
        description="Environment variables a caller may name as api_key_env.",
    )
    timeout_s: float = Field(default=120.0, gt=0, description="Read timeout of the upstream stream.")


class Settings(BaseSettings):
    """All of midstream-mcp's configuration."""

    model_config = SettingsConfigDict(
        env_prefix="MIDSTREAM_",
        env_nested_delimiter="__",
        extra="ignore",
    )

    log_level: LogLevel = "INFO"
    warmup: bool = Field(default=True, description="Compile/load numba kernels in the background at start.")
    server: ServerSettings = Field(default_factory=ServerSettings)
    limits: LimitsSettings = Field(default_factory=LimitsSettings)
    streaming: StreamingSettings = Field(default_factory=StreamingSettings)
    sanitizer: SanitizerSettings = Field(default_factory=SanitizerSettings)
    upstream: UpstreamSettings = Field(default_factory=UpstreamSettings)
    scheduler: SchedulerSettings = Field(default_factory=SchedulerSettings)

    @field_validator("log_level", mode="before")
    @classmethod
    def _upper_log_level(cls, value: Any) -> Any:
        return value.upper() if isinstance(value, str) else value

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        # First source wins: flags (init) > environment > TOML file > defaults.
        sources: list[PydanticBaseSettingsSource] = [init_settings, env_settings]
        toml_file = _toml_file.get()
        if toml_file is not None:
            sources.append(TomlConfigSettingsSource(settings_cls, toml_file=toml_file))
        return tuple(sources)


class ConfigError(ValueError):
    """The configuration file is missing or unusable."""


def load_settings(config_file: str | Path | None = None, **overrides: Any) -> Settings:
    """Build the settings from every layer.

    ``config_file`` (else ``MIDSTREAM_CONFIG``) names a TOML file; ``overrides``
    are command-line values, nested as ``{"server": {"port": 9000}}``. ``None``
    values in overrides are dropped so that an unset flag never hides a lower layer.
    """
    path_text = config_file if config_file is not None else os.environ.get("MIDSTREAM_CONFIG")
    path = Path(path_text).expanduser() if path_text else None
    if path is not None and not path.is_file():
        raise ConfigError(f"config file not found: {path}")
    token = _toml_file.set(path)
    try:
        return Settings(**_drop_none(overrides))
    finally:
        _toml_file.reset(token)


def _drop_none(values: dict[str, Any]) -> dict[str, Any]:
    cleaned: dict[str, Any] = {}
    for key, value in values.items():
        if isinstance(value, dict):
            nested = _drop_none(value)
            if nested:
                cleaned[key] = nested
        elif value is not None:
            cleaned[key] = value
    return cleaned


def is_loopback(host: str) -> bool:
    """True when ``host`` names only this machine (``localhost``, 127.0.0.0/8, ``::1``)."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False
