"""The one settings object: a TOML file validated with pydantic, with environment overrides.

Environment variables win over the file: ``KIEMTIN_DATABASE_URL``, ``KIEMTIN_CONFIG`` (the file's path),
``KIEMTIN_MODELS_DIR``, ``KIEMTIN_BROKER_URL``, ``KIEMTIN_UI_LANGUAGE``, ``KIEMTIN_ADMIN_PASSWORD`` (first admin, see
``kiemtin users``).
"""

from __future__ import annotations

import ipaddress
import os
import tomllib
from pathlib import Path
from typing import Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from config.problems import ConfigValueError, validation_lines
from config.schedule import QuietHours, Schedule, parse_schedule

__all__ = [
    "DEFAULT_CONFIG_PATH",
    "DEFAULT_DISPLAY_TIMEZONE",
    "AppConfig",
    "ConfigError",
    "Settings",
    "SourceConfig",
    "format_validation_error",
    "load_config",
    "validation_error",
]

DEFAULT_CONFIG_PATH = Path("kiemtin.toml")
DEFAULT_USER_AGENT = "kiemtin/0.1 (+https://github.com/kiemtin/kiemtin; public-post monitoring for fact-checkers)"
DEFAULT_DISPLAY_TIMEZONE = "Asia/Ho_Chi_Minh"


class ConfigError(Exception):
    """A configuration file or value that cannot be used; the message names the file, the field and the problem.

    A file that cannot be read is raised as ``ConfigError("%(file)s: no such configuration file", file=path)``: the
    English sentence is kept as ``template`` and ``params`` too, so that the command line says it in its language
    (``web.i18n.said``), like an action's refusal. Values that fail validation are raised by
    :func:`validation_error`: one line per problem, each a sentence (``config.problems``) translated the same way."""

    def __init__(self, message: str, /, **params: object) -> None:
        self.template, self.params = message, params
        super().__init__(message % params if params else message)


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", validate_assignment=True)


class Settings(_Strict):
    """Process-wide settings (``[settings]`` in kiemtin.toml)."""

    database_url: str = Field("sqlite:///data/kiemtin.db", description="SQLAlchemy URL; SQLite (WAL) or PostgreSQL")
    models_dir: Path = Field(Path("models"), description="folder holding model versions and the ACTIVE pointer")
    threshold: float | None = Field(None, ge=0, le=1, description="queue threshold; default: the model's own")
    user_agent: str = Field(DEFAULT_USER_AGENT, min_length=8, description="User-Agent with a contact URL")
    web_host: str = Field("127.0.0.1", description="address `kiemtin serve` listens on")
    web_port: int = Field(8000, ge=1, le=65535, description="port `kiemtin serve` listens on")
    allow_networks: list[str] = Field(
        default_factory=list, description="networks (IPs or CIDR networks, e.g. [\"10.1.2.0/24\"]) whose "
        "addresses sources may use besides public ones; cloud metadata addresses stay refused; empty: public "
        "addresses only"
    )
    request_timeout_s: float = Field(20.0, gt=0, le=600, description="per-request timeout")
    max_response_bytes: int = Field(5_000_000, gt=1024, description="responses larger than this are cut and refused")
    max_retries: int = Field(3, ge=0, le=10, description="retries on 429, 5xx, timeouts and connection errors")
    backoff_base_s: float = Field(1.0, ge=0, le=60, description="first retry delay; doubles each retry, with jitter")
    min_delay_s: float = Field(1.0, ge=0, description="default minimum delay between requests to one host")
    concurrency_per_host: int = Field(2, ge=1, le=32, description="default concurrent requests per host")
    run_history_days: int = Field(90, ge=1, description="crawl runs older than this are deleted")
    lease_seconds: int = Field(30, ge=5, le=3600, description="scheduler leader lease length")
    session_hours: int = Field(12, ge=1, le=24 * 30, description="web login session lifetime")
    queue_priority: Literal["risk", "uncertainty"] = Field(
        "risk", description="queue order: risk (score, reach, recency) or uncertainty (scores nearest the threshold "
        "first, so reviewers' decisions teach the model most)"
    )
    claim_minutes: int = Field(10, ge=1, le=240, description="how long 'next item' leases an item to an analyst")
    undo_seconds: int = Field(120, ge=0, le=3600, description="how long the person who confirmed, dismissed or "
                              "escalated an item may undo it (never once it was exported); 0 turns undo off")
    reset_link_hours: int = Field(24, ge=1, le=24 * 7, description="how long a password reset link an admin "
                                  "hands out stays valid (it works once)")
    exports_dir: Path = Field(Path("data/exports"), description="where export files are kept for re-download")
    export_names: Literal["pseudonym", "username", "role"] = Field(
        "pseudonym", description="how exports name the decider: pseudonym, username or role only"
    )
    takedown_deadline_hours: int = Field(24, ge=1, le=24 * 90, description="hours a recipient has to act on a "
                                         "takedown request after it is sent (Decree 147/2024: 24)")
    takedown_watch_days: int = Field(30, ge=1, le=365, description="how long after sending a request's post is "
                                     "re-checked (a removed post, for coming back)")
    archive_dir: Path = Field(Path("data/archive"), description="where WARC evidence of confirmed posts is kept")
    display_timezone: str = Field(
        DEFAULT_DISPLAY_TIMEZONE, description="IANA time zone for times shown on web pages, for dates typed "
        "into their filters and for the dashboard's days (exports and the API stay in UTC)"
    )
    ui_language: Literal["vi", "en"] = Field(
        "vi", description="language of the web pages and command-line messages for people who have not chosen "
        "one (vi: Vietnamese, en: English); each person can switch in the page header"
    )
    trusted_proxies: list[str] = Field(
        default_factory=list, description="reverse proxies (IP addresses or CIDR networks) whose X-Forwarded-For "
        "or Forwarded header names the client and whose X-Forwarded-Proto (or Forwarded proto=) https makes the "
        "request https (Secure cookies); empty: those headers are ignored"
    )

    broker_url: str | None = Field(
        None, description="Celery broker (e.g. redis://127.0.0.1:6379/0 or amqp://guest:guest@127.0.0.1:5672//): "
        "`kiemtin run` then enqueues crawls and scoring for `kiemtin worker` processes; unset: everything runs "
        "in-process"
    )
    redis_url: str | None = Field(
        None, description="Redis shared by all workers for politeness, source locks and results; default: "
        "broker_url when that is a redis:// URL"
    )
    redis_key_prefix: str = Field("kiemtin:", min_length=1, max_length=64, pattern=r"^[\w:.\-]+$",
                                  description="prefix of every Redis key and queue kiemtin uses (several "
                                  "deployments may share one Redis)")
    task_visibility_timeout_s: int = Field(
        3600, ge=2, le=7 * 24 * 3600, description="a task taken by a worker that died unacknowledged is given "
        "to another worker after this long"
    )
    retention_days: int = Field(90, ge=1, description="posts never flagged, decided, linked to a claim or under a "
                                "takedown request are deleted after this many days")

    claim_suggest_threshold: float = Field(
        0.4, ge=0, le=1, description="a post whose text scores at least this against a claim is shown as a "
        "possible repeat of it (suggest tier)")
    claim_auto_threshold: float = Field(
        0.5, ge=0, le=1, description="at least this (and claim_auto_min_words words) is an auto-tier match: the "
        "post is queued, its item ranked higher and pre-filled with the claim's category and fact-check URL; a "
        "person still confirms")
    claim_auto_min_words: int = Field(8, ge=1, le=1000, description="texts shorter than this many words are only "
                                      "ever suggested, never auto-matched")

    webhook_timeout_s: float = Field(10.0, gt=0, le=120, description="how long a webhook receiver may take to answer")
    webhook_backoff_s: float = Field(30.0, ge=0, le=3600, description="first retry of a failed webhook delivery "
                                     "after this many seconds, doubling each time")
    webhook_max_attempts: int = Field(6, ge=1, le=20, description="a webhook delivery is marked failed after this "
                                      "many attempts")

    spike_min_count: int = Field(5, ge=1, le=100_000, description="a narrative or claim needs at least this many "
                                 "posts in the last hour to raise a spike alert")
    spike_p_value: float = Field(0.001, gt=0, lt=1, description="spike alert when the last hour's count is this "
                                 "unlikely under a Poisson law with the trailing 7-day hourly rate")
    spike_cooldown_hours: int = Field(6, ge=1, le=24 * 30, description="at most one alert per narrative or claim "
                                      "in this many hours")

    @model_validator(mode="after")
    def _claim_tiers_in_order(self) -> Settings:
        if self.claim_auto_threshold < self.claim_suggest_threshold:
            raise ConfigValueError("claim_auto_threshold must be at least claim_suggest_threshold")
        return self

    @model_validator(mode="before")
    @classmethod
    def _no_old_network_switch(cls, data: Any) -> Any:
        if isinstance(data, dict) and "allow_private_networks" in data:
            old = data["allow_private_networks"]
            if old is False:
                raise ConfigValueError("allow_private_networks is no longer a setting; remove it: only public "
                                       "addresses are fetched unless allow_networks names more")
            raise ConfigValueError('allow_private_networks is no longer a setting; write allow_networks = '
                                   '["10.0.0.0/8"] with the networks (or single IPs) your sources are on, e.g. '
                                   '["127.0.0.1/32"] for a server on this machine, and remove allow_private_networks')
        return data

    @field_validator("display_timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        name = value.strip()
        try:
            ZoneInfo(name)
        except (ZoneInfoNotFoundError, ValueError, OSError):
            raise ConfigValueError("unknown time zone %(zone)r: use an IANA name such as 'Asia/Ho_Chi_Minh' "
                                   "or 'UTC'", zone=value) from None
        return name

    @field_validator("trusted_proxies", "allow_networks")
    @classmethod
    def _networks(cls, value: list[str]) -> list[str]:
        networks = []
        for entry in value:
            try:
                networks.append(str(ipaddress.ip_network(entry.strip())))
            except ValueError:
                raise ConfigValueError("%(entry)r is not an IP address or a network such as '10.0.0.0/8' "
                                       "(no host bits after the prefix)", entry=entry) from None
        return networks

    @field_validator("broker_url", "redis_url")
    @classmethod
    def _broker(cls, value: str | None) -> str | None:
        if value in (None, ""):
            return None
        if not value.startswith(("redis://", "rediss://", "amqp://", "amqps://", "pyamqp://", "unix://")):
            raise ConfigValueError("must be a redis://, rediss:// or amqp:// URL")
        return value

    @property
    def shared_redis_url(self) -> str | None:
        """The Redis for shared politeness and locks: ``redis_url``, else ``broker_url`` when it is Redis."""
        if self.redis_url:
            return self.redis_url
        if self.broker_url and self.broker_url.startswith(("redis://", "rediss://")):
            return self.broker_url
        return None

    @property
    def display_zone(self) -> ZoneInfo:
        """``display_timezone`` as a ZoneInfo."""
        return ZoneInfo(self.display_timezone)


class SourceConfig(_Strict):
    """One source (``[[sources]]``): what to crawl, how often, how politely."""

    name: str = Field(min_length=1, max_length=100, pattern=r"^[\w.\- ]+$")
    kind: str = Field(max_length=32)
    url: str = Field(max_length=2048)
    schedule: str = Field("every 15m", max_length=100)
    enabled: bool = True
    jitter_s: int = Field(0, ge=0, le=3600)
    quiet_hours: str | None = Field(None, max_length=20)
    min_delay_s: float | None = Field(None, ge=0, le=3600, allow_inf_nan=False)
    concurrency: int | None = Field(None, ge=1, le=32)
    user_agent: str | None = Field(None, min_length=8, max_length=300)
    options: dict[str, Any] = Field(default_factory=dict)

    @field_validator("url")
    @classmethod
    def _http_url(cls, value: str) -> str:
        if not value.startswith(("http://", "https://")):
            raise ConfigValueError("must be an http:// or https:// URL")
        if any(c.isspace() or not c.isprintable() for c in value):
            raise ConfigValueError("must not contain spaces or control characters")
        return value

    @field_validator("user_agent")
    @classmethod
    def _printable(cls, value: str | None) -> str | None:
        if value is not None and not value.isprintable():
            raise ConfigValueError("must not contain control characters")
        return value

    @field_validator("schedule")
    @classmethod
    def _schedule(cls, value: str) -> str:
        return str(parse_schedule(value))

    @field_validator("quiet_hours")
    @classmethod
    def _quiet(cls, value: str | None) -> str | None:
        return None if value in (None, "") else str(QuietHours.parse(value))

    @model_validator(mode="after")
    def _kind_and_options(self) -> SourceConfig:
        from crawler import validate_source_options

        validate_source_options(self.kind, self.options)
        return self

    @property
    def parsed_schedule(self) -> Schedule:
        return parse_schedule(self.schedule)


class AppConfig(_Strict):
    settings: Settings = Field(default_factory=Settings)  # type: ignore[arg-type]
    sources: list[SourceConfig] = Field(default_factory=list)

    @model_validator(mode="after")
    def _unique_names(self) -> AppConfig:
        seen: set[str] = set()
        for source in self.sources:
            if source.name in seen:
                raise ConfigValueError("source name %(name)r is used twice", name=source.name)
            seen.add(source.name)
        return self


def validation_error(where: str, exc: ValidationError) -> ConfigError:
    """The ConfigError for ``exc``: one line per problem, ``where: field.path: problem``, each said in the reader's
    language (``web.i18n.said``) and in Pydantic's English by ``str()``."""
    lines = validation_lines(where, exc)
    params = {f"line{i}": line for i, line in enumerate(lines)}
    template = "\n".join("%(" + name + ")s" for name in params)
    return ConfigError(template, **params)


def format_validation_error(where: str, exc: ValidationError) -> str:
    """One readable line per problem, in English: ``where: field.path: message``."""
    return str(validation_error(where, exc))


def load_config(path: Path | str | None = None, *, required: bool = False) -> AppConfig:
    """Read and validate the TOML file (or defaults if absent and not required), then apply the environment."""
    chosen = Path(path or os.environ.get("KIEMTIN_CONFIG") or DEFAULT_CONFIG_PATH)
    data: dict[str, Any] = {}
    if chosen.exists():
        try:
            data = tomllib.loads(chosen.read_text(encoding="utf-8"))
        except UnicodeDecodeError as exc:
            raise ConfigError("%(file)s: not UTF-8 text (%(reason)s at byte %(byte)s)", file=str(chosen),
                              reason=exc.reason, byte=exc.start) from None
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError("%(file)s: not valid TOML: %(detail)s", file=str(chosen), detail=str(exc)) from None
    elif required or path is not None:
        raise ConfigError("%(file)s: no such configuration file", file=str(chosen))
    try:
        config = AppConfig.model_validate(data)
    except ValidationError as exc:
        raise validation_error(str(chosen), exc) from None
    overrides = {"database_url": "KIEMTIN_DATABASE_URL", "models_dir": "KIEMTIN_MODELS_DIR",
                 "broker_url": "KIEMTIN_BROKER_URL", "ui_language": "KIEMTIN_UI_LANGUAGE"}
    for field, env in overrides.items():
        if os.environ.get(env):
            try:
                setattr(config.settings, field, os.environ[env])
            except ValidationError as exc:
                raise validation_error(env, exc) from None
    return config
