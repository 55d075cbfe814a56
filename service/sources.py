"""The actions on sources: add, edit, pause, resume, run now, remove, import and export as TOML, and seeding
from kiemtin.toml. The command line (``kiemtin sources ...``), the operators' pages and the JSON API call these
and check nothing themselves.

Each action opens its own transaction, checks the actor against the permission table (operators, admins and
the console), validates the whole resulting source the way the TOML file is validated (a
:class:`config.SourceConfig`; one readable line per problem) and changes nothing when anything is wrong. A URL
that names an internal address is refused here, when the source is added or edited, not only when it is
crawled. Every change is in the audit log in the same transaction.

A running scheduler sees changes within seconds (its leader polls the ``sources`` table); a run-now request
is a ``run_requests`` row that the leader dispatches once; removing a source leaves a ``source_tombstones`` row
so that kiemtin.toml does not bring it back.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, cast

from pydantic import ValidationError
from sqlalchemy import CursorResult, delete, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from config import Sentence, SourceConfig, validation_lines
from review.actors import SYSTEM_ACTOR, Actor, authorize
from review.errors import NotFound
from review.inputs import checked_text
from service.source_toml import FIELDS, SourceError, parse_sources_toml, sources_to_toml
from store.audit import record
from store.models import RunRequest, Source, SourceTombstone
from store.types import utcnow, valid_id

if TYPE_CHECKING:
    from service.runtime import Runtime

__all__ = [
    "EDITABLE_FIELDS",
    "ImportResult",
    "SourceError",
    "SourceNotFound",
    "add_source",
    "dispatch_run_request",
    "edit_source",
    "export_sources",
    "get_source",
    "import_sources",
    "list_sources",
    "pause_source",
    "pending_run_requests",
    "remove_source",
    "request_run",
    "resume_source",
    "seed_from_config",
    "seed_sources",
    "source_config",
    "validate_source",
]

EDITABLE_FIELDS = FIELDS  # everything, including the name (a rename)
REQUEST_WINDOW = timedelta(days=1)  # run-now requests older than this are forgotten
SourceRef = int | str  # an id (int), or a name (str; digits also match an id when no source has that name)


class SourceNotFound(NotFound):
    """No source has that name (or id)."""


def validate_source(values: Mapping[str, Any]) -> SourceConfig:
    """The values as a valid SourceConfig, or SourceError with readable messages (as for the TOML file)."""
    name = values.get("name") or "(unnamed)"
    try:
        return SourceConfig.model_validate(dict(values))
    except ValidationError as exc:
        raise SourceError.of_lines(validation_lines(Sentence("source %(name)r", name=name), exc)) from None


def source_config(source: Source) -> SourceConfig:
    """A stored source as the configuration that would create it (for editing and export)."""
    return SourceConfig.model_construct(**_values(source))


def _values(source: Source) -> dict[str, Any]:
    return {key: getattr(source, key) for key in FIELDS}


def list_sources(*, session: Session) -> list[Source]:
    return list(session.scalars(select(Source).order_by(Source.name)))


def get_source(*, session: Session, name: SourceRef) -> Source:
    """The source by id (an int) or name (a str, or its digits as an id); SourceNotFound otherwise."""
    source = None
    if isinstance(name, str):
        source = session.scalar(select(Source).where(Source.name == name))
        if source is None and name.isdigit() and valid_id(int(name)):
            source = session.get(Source, int(name))
    elif valid_id(name):
        source = session.get(Source, name)
    if source is None:
        raise SourceNotFound(f"no source named {name!r}" if isinstance(name, str) else f"no source #{name}")
    return source


# --- the actions ------------------------------------------------------------------------------------------

def _check_target(runtime: Runtime, cfg: SourceConfig) -> None:
    """Refuse a URL that names an internal address (the crawler would refuse it at connect time anyway)."""
    from crawler import BlockedAddress
    from crawler.netguard import check_source_url

    try:
        check_source_url(cfg.url, runtime.config.settings.allow_networks)
    except BlockedAddress as exc:
        raise SourceError(f"source {cfg.name!r}: url: {exc}") from None


def _create(session: Session, runtime: Runtime, actor: Actor, cfg: SourceConfig) -> Source:
    _check_target(runtime, cfg)
    if session.scalar(select(Source.id).where(Source.name == cfg.name)) is not None:
        raise SourceError(f"a source named {cfg.name!r} already exists; use edit to change it")
    stored = cfg.model_dump()
    source = Source(**stored)
    session.add(source)
    session.flush()
    session.execute(delete(SourceTombstone).where(SourceTombstone.name == cfg.name))
    record(session=session, actor=actor.name, action="source.create", target_type="source", target_id=cfg.name,
           source_id=source.id, **stored)
    return source


def _edit(session: Session, runtime: Runtime, actor: Actor, source: Source,
          changes: Mapping[str, Any]) -> dict[str, Any]:
    unknown = sorted(set(changes) - set(EDITABLE_FIELDS))
    if unknown:
        raise SourceError(f"unknown source field(s): {', '.join(unknown)}; editable: {', '.join(EDITABLE_FIELDS)}")
    before = _values(source)
    cfg = validate_source({**before, **changes})
    after = cfg.model_dump()
    diff = {key: (before[key], after[key]) for key in FIELDS if before[key] != after[key]}
    if not diff:
        return {}
    if "url" in diff:
        _check_target(runtime, cfg)
    if "name" in diff and session.scalar(select(Source.id).where(Source.name == cfg.name,
                                                                  Source.id != source.id)) is not None:
        raise SourceError(f"a source named {cfg.name!r} already exists")
    for key, (_old, new) in diff.items():
        setattr(source, key, new)
    session.flush()
    record(session=session, actor=actor.name, action="source.update", target_type="source", target_id=before["name"],
           source_id=source.id, before={k: v[0] for k, v in diff.items()}, after={k: v[1] for k, v in diff.items()})
    return diff


def add_source(runtime: Runtime, actor: Actor, values: Mapping[str, Any]) -> Source:
    """Create a source from ``values`` (SourceConfig fields); refuses invalid values, internal addresses and
    taken names."""
    with runtime.db.write() as session:
        authorize(session, actor, "source.manage")
        return _create(session, runtime, actor, validate_source(values))


def edit_source(runtime: Runtime, actor: Actor, ref: SourceRef,
                changes: Mapping[str, Any]) -> tuple[str, dict[str, Any]]:
    """Apply ``changes`` (a subset of SourceConfig fields; None clears an optional one) after validating the
    whole resulting source. Returns the source's (old) name and ``{field: (before, after)}`` (empty: nothing
    changed)."""
    with runtime.db.write() as session:
        authorize(session, actor, "source.manage")
        source = get_source(session=session, name=ref)
        name = source.name
        return name, _edit(session, runtime, actor, source, changes)


def pause_source(runtime: Runtime, actor: Actor, ref: SourceRef, *, reason: str = "") -> tuple[str, bool]:
    """Stop scheduled runs (the scheduler drops the job within seconds). Returns (name, changed): changed is
    False when it was paused already."""
    with runtime.db.write() as session:
        authorize(session, actor, "source.manage")
        reason = checked_text(reason, "the reason", max_length=500)
        source = get_source(session=session, name=ref)
        if not source.enabled:
            return source.name, False
        source.enabled = False
        record(session=session, actor=actor.name, action="source.pause", target_type="source", target_id=source.name,
               source_id=source.id, reason=reason)
        return source.name, True


def resume_source(runtime: Runtime, actor: Actor, ref: SourceRef) -> tuple[str, bool]:
    """Restart scheduled runs (the first one at once). Returns (name, changed)."""
    with runtime.db.write() as session:
        authorize(session, actor, "source.manage")
        source = get_source(session=session, name=ref)
        if source.enabled:
            return source.name, False
        source.enabled = True
        record(session=session, actor=actor.name, action="source.resume", target_type="source",
               target_id=source.name, source_id=source.id)
        return source.name, True


def request_run(runtime: Runtime, actor: Actor, ref: SourceRef) -> tuple[str, int]:
    """Ask the scheduler's leader (in whichever process it runs) for one run of the source as soon as possible,
    even if it is paused or in quiet hours. Returns (name, request id)."""
    with runtime.db.write() as session:
        authorize(session, actor, "source.run")
        source = get_source(session=session, name=ref)
        request = RunRequest(source_id=source.id, requested_by=actor.name[:64], requested_at=utcnow())
        session.add(request)
        session.flush()
        record(session=session, actor=actor.name, action="source.run_requested", target_type="source",
               target_id=source.name, source_id=source.id, request_id=request.id)
        return source.name, request.id


def remove_source(runtime: Runtime, actor: Actor, ref: SourceRef) -> SourceConfig:
    """Delete the source and its run history (its posts stay, without a source) and remember its name so that
    kiemtin.toml does not seed it again. Returns what was removed; the audit entry keeps it too."""
    with runtime.db.write() as session:
        authorize(session, actor, "source.manage")
        source = get_source(session=session, name=ref)
        values = _values(source)
        session.delete(source)
        tombstone = session.get(SourceTombstone, values["name"])
        if tombstone is None:
            session.add(SourceTombstone(name=values["name"], removed_by=actor.name[:64], removed_at=utcnow()))
        else:
            tombstone.removed_by, tombstone.removed_at = actor.name[:64], utcnow()
        record(session=session, actor=actor.name, action="source.delete", target_type="source",
               target_id=values["name"], source_id=source.id, **values)
        return SourceConfig.model_construct(**values)


@dataclass
class ImportResult:
    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)  # exist and differ, but update was not asked for


def import_sources(runtime: Runtime, actor: Actor, text: str, *, update: bool = False,
                   where: str = "import") -> ImportResult:
    """Create the file's sources that do not exist; with ``update``, overwrite those that differ.
    All or nothing: an invalid file, or any refused source, changes nothing."""
    result = ImportResult()
    with runtime.db.write() as session:
        authorize(session, actor, "source.manage")
        configs = parse_sources_toml(text, where=where)
        for cfg in configs:
            existing = session.scalar(select(Source).where(Source.name == cfg.name))
            if existing is None:
                _create(session, runtime, actor, cfg)
                result.created.append(cfg.name)
            elif _values(existing) == cfg.model_dump():
                result.unchanged.append(cfg.name)
            elif update:
                _edit(session, runtime, actor, existing, cfg.model_dump())
                result.updated.append(cfg.name)
            else:
                result.skipped.append(cfg.name)
    return result


def export_sources(runtime: Runtime, actor: Actor) -> str:
    """Every stored source as TOML (paste over the ``[[sources]]`` of kiemtin.toml, or import it)."""
    stamp = utcnow().strftime("%Y-%m-%d %H:%M UTC")
    header = (f"kiemtin sources, exported {stamp}.\n"
              "Schedules run in Asia/Ho_Chi_Minh: 'every 15m' (s, m, h, d) or 'cron MIN HOUR DOM MON DOW'.")
    with runtime.db.session() as session:
        authorize(session, actor, "source.view")
        return sources_to_toml((source_config(s) for s in list_sources(session=session)), header=header)


# --- the system's part: seeding and dispatching ----------------------------------------------------------

def seed_sources(runtime: Runtime, sources: Sequence[SourceConfig], *, actor: Actor = SYSTEM_ACTOR) -> list[str]:
    """Create configured sources that the database lacks. Safe when several processes start at once: a source
    another process creates meanwhile is left to it."""
    created: list[str] = []
    with runtime.db.write() as session:
        for cfg in sources:
            if session.scalar(select(Source.id).where(Source.name == cfg.name)) is not None:
                continue
            values = cfg.model_dump()
            try:
                with session.begin_nested():
                    session.add(Source(**values))
            except IntegrityError:  # several processes starting at once on PostgreSQL: another one seeded it
                continue
            record(session=session, actor=actor.name, action="source.create", target_type="source",
                   target_id=cfg.name, **values)
            created.append(cfg.name)
    return created


def seed_from_config(runtime: Runtime, configs: Sequence[SourceConfig]) -> list[str]:
    """Create the configuration file's sources that the database lacks, except those a person removed
    (``sources remove`` or the web page): the database, not the file, is the truth once seeded."""
    if not configs:
        return []
    with runtime.db.session() as session:
        removed = set(session.scalars(select(SourceTombstone.name).where(
            SourceTombstone.name.in_([c.name for c in configs]))))
    return seed_sources(runtime, [c for c in configs if c.name not in removed], actor=Actor("config", "system"))


def pending_run_requests(*, session: Session, now: datetime | None = None) -> list[tuple[int, int]]:
    """Run-now requests of the last day that no leader has dispatched yet, as ``(request_id, source_id)``."""
    since = (now or utcnow()) - REQUEST_WINDOW
    rows = session.execute(
        select(RunRequest.id, RunRequest.source_id)
        .where(RunRequest.dispatched_at.is_(None), RunRequest.requested_at >= since).order_by(RunRequest.id)
    ).all()
    return [(request_id, source_id) for request_id, source_id in rows]


def dispatch_run_request(*, session: Session, request_id: int, holder: str) -> bool:
    """Mark a request dispatched by ``holder``; False when another leader did it first (so it runs once)."""
    result = cast(CursorResult[Any], session.execute(
        update(RunRequest).where(RunRequest.id == request_id, RunRequest.dispatched_at.is_(None))
        .values(dispatched_at=utcnow(), dispatched_by=holder[:128]).execution_options(synchronize_session=False)
    ))
    return bool(result.rowcount)

