"""Managing sources: add, edit, pause, resume, run now, remove, export to and import from TOML.

The command line (``kiemtin sources ...``) and the web pages both call these functions. Every function takes
the caller's ``session`` (commit it, e.g. with ``runtime.db.write()``), validates first and changes nothing when
validation fails, and records each change in the audit log in the same transaction under ``actor``.
Validation is the one used for the TOML file: a :class:`config.SourceConfig` is built from the values, and its
errors are raised as :class:`SourceError` with one readable line per problem.

A running scheduler sees changes within seconds (its leader polls the ``sources`` table); a run-now request is
an audit-log row (``source.run_requested``) that the leader picks up, so it works from any process.
"""

from __future__ import annotations

import json
import math
import re
import tomllib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from config import SourceConfig, format_validation_error
from service.runtime import Runtime, seed_sources
from store.audit import record
from store.models import AuditEntry, Source
from store.types import utcnow

__all__ = [
    "EDITABLE_FIELDS",
    "RUN_DISPATCHED",
    "RUN_REQUESTED",
    "ImportResult",
    "SourceError",
    "SourceNotFound",
    "add_source",
    "edit_source",
    "export_toml",
    "get_source",
    "import_toml",
    "list_sources",
    "parse_option_pairs",
    "parse_sources_toml",
    "pause_source",
    "pending_run_requests",
    "remove_source",
    "removed_source_names",
    "request_run",
    "resume_source",
    "seed_from_config",
    "source_config",
    "source_config_from",
    "sources_to_toml",
    "validate_source",
]

FIELDS = ("name", "kind", "url", "schedule", "enabled", "jitter_s", "quiet_hours", "min_delay_s", "concurrency",
          "user_agent", "options")
EDITABLE_FIELDS = FIELDS  # everything, including the name (a rename)
RUN_REQUESTED = "source.run_requested"
RUN_DISPATCHED = "source.run_dispatched"
REQUEST_WINDOW = timedelta(days=1)  # run-now requests older than this are forgotten


class SourceError(ValueError):
    """A source change that cannot be made; the message says why, one line per problem."""


class SourceNotFound(SourceError, LookupError):
    """No source has that name (or id)."""


def validate_source(values: Mapping[str, Any]) -> SourceConfig:
    """The values as a valid SourceConfig, or SourceError with readable messages (as for the TOML file)."""
    name = values.get("name") or "(unnamed)"
    try:
        return SourceConfig.model_validate(dict(values))
    except ValidationError as exc:
        raise SourceError(format_validation_error(f"source {name!r}", exc)) from None


def source_config(source: Source) -> SourceConfig:
    """A stored source as the configuration that would create it (for editing and export)."""
    return SourceConfig.model_construct(**{key: getattr(source, key) for key in FIELDS})


def _values(source: Source) -> dict[str, Any]:
    return {key: getattr(source, key) for key in FIELDS}


def list_sources(*, session: Session) -> list[Source]:
    return list(session.scalars(select(Source).order_by(Source.name)))


def get_source(*, session: Session, name: str | int) -> Source:
    """The source by name (or numeric id); SourceNotFound otherwise."""
    source = session.scalar(select(Source).where(Source.name == str(name)))
    if source is None and (isinstance(name, int) or str(name).isdigit()):
        source = session.get(Source, int(name))
    if source is None:
        raise SourceNotFound(f"no source named {name!r}")
    return source


def add_source(*, session: Session, values: Mapping[str, Any], actor: str) -> Source:
    """Create a source from ``values`` (SourceConfig fields); refuses invalid values and taken names."""
    cfg = validate_source(values)
    if session.scalar(select(Source.id).where(Source.name == cfg.name)) is not None:
        raise SourceError(f"a source named {cfg.name!r} already exists; use edit to change it")
    stored = cfg.model_dump()
    source = Source(**stored)
    session.add(source)
    session.flush()
    record(session=session, actor=actor, action="source.create", target_type="source", target_id=cfg.name,
           source_id=source.id, **stored)
    return source


def edit_source(*, session: Session, name: str | int, changes: Mapping[str, Any], actor: str) -> dict[str, Any]:
    """Apply ``changes`` (a subset of SourceConfig fields; None clears an optional one) after validating the
    whole resulting source. Returns the changed fields as ``{field: (before, after)}`` (empty: nothing changed)."""
    unknown = sorted(set(changes) - set(EDITABLE_FIELDS))
    if unknown:
        raise SourceError(f"unknown source field(s): {', '.join(unknown)}; editable: {', '.join(EDITABLE_FIELDS)}")
    source = get_source(session=session, name=name)
    before = _values(source)
    cfg = validate_source({**before, **changes})
    after = cfg.model_dump()
    diff = {key: (before[key], after[key]) for key in FIELDS if before[key] != after[key]}
    if not diff:
        return {}
    if "name" in diff and session.scalar(select(Source.id).where(Source.name == cfg.name,
                                                                  Source.id != source.id)) is not None:
        raise SourceError(f"a source named {cfg.name!r} already exists")
    for key, (_old, new) in diff.items():
        setattr(source, key, new)
    session.flush()
    record(session=session, actor=actor, action="source.update", target_type="source", target_id=before["name"],
           source_id=source.id, before={k: v[0] for k, v in diff.items()}, after={k: v[1] for k, v in diff.items()})
    return diff


def pause_source(*, session: Session, name: str | int, actor: str, reason: str = "") -> bool:
    """Stop scheduled runs of the source (the scheduler drops its job within seconds). False if already paused."""
    source = get_source(session=session, name=name)
    if not source.enabled:
        return False
    source.enabled = False
    record(session=session, actor=actor, action="source.pause", target_type="source", target_id=source.name,
           source_id=source.id, reason=reason)
    return True


def resume_source(*, session: Session, name: str | int, actor: str) -> bool:
    """Restart scheduled runs (the first one at once). False if the source was not paused."""
    source = get_source(session=session, name=name)
    if source.enabled:
        return False
    source.enabled = True
    record(session=session, actor=actor, action="source.resume", target_type="source", target_id=source.name,
           source_id=source.id)
    return True


def request_run(*, session: Session, name: str | int, actor: str) -> int:
    """Ask the scheduler's leader (in whichever process it runs) for one run of the source as soon as possible,
    even if it is paused or in quiet hours. Returns the request's audit entry id."""
    source = get_source(session=session, name=name)
    entry = record(session=session, actor=actor, action=RUN_REQUESTED, target_type="source", target_id=source.name,
                   source_id=source.id)
    session.flush()
    return entry.id


def pending_run_requests(*, session: Session, now: datetime | None = None) -> list[tuple[int, int]]:
    """Run-now requests of the last day that no leader has dispatched yet, as ``(request_id, source_id)``."""
    since = (now or utcnow()) - REQUEST_WINDOW
    requests = session.execute(
        select(AuditEntry.id, AuditEntry.details).where(AuditEntry.action == RUN_REQUESTED, AuditEntry.at >= since)
        .order_by(AuditEntry.id)
    ).all()
    if not requests:
        return []
    dispatched = set(session.scalars(
        select(AuditEntry.target_id).where(AuditEntry.action == RUN_DISPATCHED, AuditEntry.at >= since)
    ))
    return [(rid, int(details["source_id"])) for rid, details in requests
            if str(rid) not in dispatched and isinstance(details, dict) and "source_id" in details]


def remove_source(*, session: Session, name: str | int, actor: str) -> SourceConfig:
    """Delete the source and its run history (its posts stay, without a source). Returns what was removed;
    the audit entry keeps the full configuration."""
    source = get_source(session=session, name=name)
    values = _values(source)
    session.delete(source)
    record(session=session, actor=actor, action="source.delete", target_type="source", target_id=values["name"],
           source_id=source.id, **values)
    return source_config_from(values)


def source_config_from(values: Mapping[str, Any]) -> SourceConfig:
    return SourceConfig.model_construct(**dict(values))


def removed_source_names(*, session: Session, names: Iterable[str]) -> set[str]:
    """Of ``names``, those whose latest create/delete in the audit log is a delete (removed by a person)."""
    wanted = list(names)
    if not wanted:
        return set()
    latest: dict[str, str] = {}
    rows = session.execute(
        select(AuditEntry.target_id, AuditEntry.action)
        .where(AuditEntry.target_type == "source", AuditEntry.target_id.in_(wanted),
               AuditEntry.action.in_(("source.create", "source.delete")))
        .order_by(AuditEntry.id)
    ).all()
    for target, action in rows:
        if target is not None:
            latest[target] = action
    return {name for name, action in latest.items() if action == "source.delete"}


# --- TOML ---------------------------------------------------------------------------------------------

_BARE_KEY = re.compile(r"^[A-Za-z0-9_-]+$")


def _toml_string(value: str) -> str:
    return json.dumps(value, ensure_ascii=False).replace("\x7f", "\\u007f")


def _toml_key(key: str) -> str:
    return key if _BARE_KEY.match(key) else _toml_string(key)


def _toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if math.isnan(value):
            return "nan"
        if math.isinf(value):
            return "inf" if value > 0 else "-inf"
        return repr(value)
    if isinstance(value, str):
        return _toml_string(value)
    if isinstance(value, Mapping):
        items = [f"{_toml_key(str(k))} = {_toml_value(v)}" for k, v in value.items() if v is not None]
        return "{ " + ", ".join(items) + " }" if items else "{}"
    if isinstance(value, Sequence):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    raise SourceError(f"cannot write {type(value).__name__} value {value!r} as TOML")


def sources_to_toml(configs: Iterable[SourceConfig], *, header: str = "") -> str:
    """``[[sources]]`` tables for the configs, readable by ``load_config`` and :func:`import_toml`."""
    lines = [f"# {line}" if line else "#" for line in header.splitlines()]
    for cfg in configs:
        values = cfg.model_dump()
        lines += ["", "[[sources]]"]
        for key in FIELDS:
            value = values.get(key)
            if value is None or (key == "options" and not value):
                continue
            lines.append(f"{key} = {_toml_value(value)}")
    return "\n".join(lines).lstrip("\n") + "\n"


def export_toml(*, session: Session) -> str:
    """Every stored source as TOML (paste over the ``[[sources]]`` of kiemtin.toml, or ``sources import`` it)."""
    stamp = utcnow().strftime("%Y-%m-%d %H:%M UTC")
    header = (f"kiemtin sources, exported {stamp}.\n"
              "Schedules run in Asia/Ho_Chi_Minh: 'every 15m' (s, m, h, d) or 'cron MIN HOUR DOM MON DOW'.")
    return sources_to_toml((source_config(s) for s in list_sources(session=session)), header=header)


@dataclass
class ImportResult:
    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)  # exist and differ, but update was not asked for


def parse_sources_toml(text: str, *, where: str = "import") -> list[SourceConfig]:
    """The ``[[sources]]`` of a TOML text (a whole kiemtin.toml is fine; other tables are ignored), all
    validated; every problem in the file is reported at once."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise SourceError(f"{where}: not valid TOML: {exc}") from None
    raw = data.get("sources", [])
    if not isinstance(raw, list) or not all(isinstance(item, dict) for item in raw):
        raise SourceError(f"{where}: 'sources' must be an array of tables ([[sources]])")
    configs, problems, seen = [], [], set()
    for index, item in enumerate(raw):
        try:
            cfg = SourceConfig.model_validate(item)
        except ValidationError as exc:
            problems.append(format_validation_error(f"{where}: sources[{index}] ({item.get('name', '?')!r})", exc))
            continue
        if cfg.name in seen:
            problems.append(f"{where}: sources[{index}]: name {cfg.name!r} is used twice")
        seen.add(cfg.name)
        configs.append(cfg)
    if problems:
        raise SourceError("\n".join(problems))
    return configs


def import_toml(*, session: Session, text: str, actor: str, update: bool = False,
                where: str = "import") -> ImportResult:
    """Create the file's sources that do not exist; with ``update``, overwrite those that differ.
    All or nothing: an invalid file changes nothing."""
    configs = parse_sources_toml(text, where=where)
    result = ImportResult()
    for cfg in configs:
        existing = session.scalar(select(Source).where(Source.name == cfg.name))
        if existing is None:
            add_source(session=session, values=cfg.model_dump(), actor=actor)
            result.created.append(cfg.name)
        elif _values(existing) == cfg.model_dump():
            result.unchanged.append(cfg.name)
        elif update:
            edit_source(session=session, name=cfg.name, changes=cfg.model_dump(), actor=actor)
            result.updated.append(cfg.name)
        else:
            result.skipped.append(cfg.name)
    return result


def parse_option_pairs(pairs: Iterable[str]) -> dict[str, Any]:
    """``key=value`` strings as an options dict; values are read as JSON when they parse (numbers, true,
    lists...), else kept as text."""
    options: dict[str, Any] = {}
    for pair in pairs:
        key, sep, raw = pair.partition("=")
        if not sep or not key.strip():
            raise SourceError(f"option {pair!r} must look like key=value")
        try:
            value: Any = json.loads(raw)
        except ValueError:
            value = raw
        options[key.strip()] = value
    return options


def seed_from_config(runtime: Runtime, configs: Sequence[SourceConfig], *, actor: str = "config") -> list[str]:
    """Create the configuration file's sources that the database lacks, except those a person removed
    (``sources remove`` or the web page): the database, not the file, is the truth once seeded."""
    if not configs:
        return []
    with runtime.db.session() as session:
        removed = removed_source_names(session=session, names=[c.name for c in configs])
    return seed_sources(runtime, [c for c in configs if c.name not in removed], actor=actor)
