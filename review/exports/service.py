"""What a page or a command calls: profiles, preview, run, list, download. Each function checks that the
person is an active reviewer or admin, raises an ``ExportError`` with a readable message, and writes the audit
log for what it changes or discloses (``export.preview``, ``export.create``, ``export.download``,
``export.download_refused``, ``export_profile.create|update|delete``). Listing is not audited.

Files are kept under ``settings.exports_dir`` and never overwritten; the database keeps the file name
(relative to that folder) and a manifest with the SHA-256 of each file, checked again on every download.
"""

from __future__ import annotations

import re
import shutil
from array import array
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

from sqlalchemy import Table, select
from sqlalchemy.orm import Session

from review.actors import Actor, authorize, person
from review.errors import NotAllowed
from review.evidence import evidence_for_export
from review.exports.errors import (
    ExportError,
    ExportFileChanged,
    ExportFileError,
    ExportFileMissing,
    ExportFilterError,
    ExportNotFound,
    ExportPermissionError,
    NothingToExport,
)
from review.exports.filters import FORMATS, ExportFilters
from review.exports.query import (
    COLUMNS,
    count,
    iso,
    iter_retractions,
    iter_takedowns,
    retraction_query,
    takedown_query,
)
from review.exports.writers import EXTENSIONS, MEDIA_TYPES, file_sha256, open_writer
from review.takedowns import open_requests
from review.webhooks import emit
from store.audit import record
from store.models import Export, ExportItem, ExportProfile, User
from store.types import utcnow, valid_id

if TYPE_CHECKING:
    from config.settings import Settings
    from store.db import Database

__all__ = [
    "ExportFile",
    "ExportInfo",
    "ExportPreview",
    "ProfileInfo",
    "delete_profile",
    "download_export",
    "export_file_bytes",
    "get_export",
    "get_profile",
    "list_exports",
    "list_profiles",
    "open_export_file",
    "preview_export",
    "require_exporter",
    "run_export",
    "save_profile",
]

ActorLike = Actor | str | User
FilterInput = ExportFilters | dict[str, Any] | None
_ITEM_BATCH = 5000


# --- results ----------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class ProfileInfo:
    id: int
    name: str
    recipient: str
    format: str
    filters: dict[str, Any]
    created_at: datetime
    last_export_id: int | None = None
    last_export_at: datetime | None = None


@dataclass(frozen=True)
class ExportInfo:
    """One recorded export. ``row_count`` counts every data row of the main file (takedowns + retractions)."""

    id: int
    profile: str | None
    recipient: str
    format: str
    created_at: datetime
    created_by: str | None
    filters: dict[str, Any]
    row_count: int
    retraction_count: int
    sha256: str | None
    file_name: str | None
    manifest: dict[str, Any]

    @property
    def takedown_count(self) -> int:
        return self.row_count - self.retraction_count

    @property
    def files(self) -> list[dict[str, Any]]:
        return list(self.manifest.get("files", []))


@dataclass(frozen=True)
class ExportPreview:
    """The first rows an export would hold now (dicts keyed by ``COLUMNS``), and how many it would hold."""

    columns: tuple[str, ...]
    rows: list[dict[str, Any]]
    takedown_count: int
    retraction_count: int
    profile: str | None
    format: str
    filters: dict[str, Any]
    since_last: bool


@dataclass(frozen=True)
class ExportFile:
    """A verified kept file: serve ``path`` as ``download_name`` with ``media_type``."""

    export_id: int
    kind: str  # main | retractions
    path: Path
    download_name: str
    media_type: str
    sha256: str
    size: int


# --- people and profiles ----------------------------------------------------------------------------------

def require_exporter(session: Session, actor: ActorLike) -> User:
    """The acting person when the permission table lets them export; otherwise ``ExportPermissionError``."""
    who = actor if isinstance(actor, Actor) else person(actor.username if isinstance(actor, User) else str(actor))
    try:
        user = authorize(session, who, "export.manage")
    except NotAllowed as exc:
        raise ExportPermissionError(exc.template, **exc.params) from None  # still said in the reader's language

    if user is None:  # the table gives exports to named people only
        raise ExportPermissionError("exports are made by a named reviewer or admin")
    return user


def _profile(session: Session, name: str, *, lock: bool = False) -> ExportProfile:
    stmt = select(ExportProfile).where(ExportProfile.name == name)
    profile = session.scalar(stmt.with_for_update() if lock else stmt)
    if profile is None:
        known = ", ".join(session.scalars(select(ExportProfile.name).order_by(ExportProfile.name))) or "none yet"
        raise ExportNotFound("no export profile named %(name)r (profiles: %(known)s)", name=name, known=known)
    return profile


def _profile_info(session: Session, profile: ExportProfile) -> ProfileInfo:
    last = session.execute(
        select(Export.id, Export.created_at).where(Export.profile_id == profile.id).order_by(Export.id.desc()).limit(1)
    ).first()
    return ProfileInfo(id=profile.id, name=profile.name, recipient=profile.recipient, format=profile.format,
                       filters=dict(profile.filters or {}), created_at=profile.created_at,
                       last_export_id=last[0] if last else None, last_export_at=last[1] if last else None)


def _check_format(fmt: str) -> str:
    fmt = (fmt or "").lower().strip()
    if fmt not in FORMATS:
        raise ExportFilterError("unknown format %(fmt)r; choose %(v2)s", fmt=fmt, v2=', '.join(FORMATS))
    return fmt


def _filters(value: FilterInput) -> ExportFilters:
    return value if isinstance(value, ExportFilters) else ExportFilters.from_dict(value)


def list_profiles(db: Database, *, actor: ActorLike) -> list[ProfileInfo]:
    """Every saved profile with its last export, by name."""
    with db.session() as session:
        require_exporter(session, actor)
        return [_profile_info(session, p) for p in session.scalars(select(ExportProfile).order_by(ExportProfile.name))]


def get_profile(db: Database, *, actor: ActorLike, name: str) -> ProfileInfo:
    with db.session() as session:
        require_exporter(session, actor)
        return _profile_info(session, _profile(session, name))


def save_profile(db: Database, *, actor: ActorLike, name: str, recipient: str = "", format: str = "csv",
                 filters: FilterInput = None, replace: bool = False) -> ProfileInfo:
    """Create a profile (or, with ``replace``, change an existing one's recipient, format and filters)."""
    name = (name or "").strip()
    if not name or len(name) > 100 or not re.fullmatch(r"[\w.\- ]+", name):
        raise ExportFilterError("a profile name is 1-100 letters, digits, spaces, '.', '-' or '_'")
    if len(recipient) > 200:
        raise ExportFilterError("the recipient is at most 200 characters")
    fmt = _check_format(format)
    stored = _filters(filters).to_dict()
    with db.write() as session:
        user = require_exporter(session, actor)
        profile = session.scalar(select(ExportProfile).where(ExportProfile.name == name))
        if profile is not None and not replace:
            raise ExportFilterError("an export profile named %(name)r exists; change it instead", name=name)
        if profile is None:
            profile = ExportProfile(name=name, recipient=recipient.strip(), format=fmt, filters=stored,
                                    created_by_id=user.id)
            session.add(profile)
            session.flush()
            action, before = "export_profile.create", None
        else:
            before = {"recipient": profile.recipient, "format": profile.format, "filters": profile.filters}
            profile.recipient, profile.format, profile.filters = recipient.strip(), fmt, stored
            action = "export_profile.update"
        record(session=session, actor=user.username, action=action, target_type="export_profile",
               target_id=profile.id, name=name, recipient=profile.recipient, format=fmt, filters=stored,
               before=before)
        return _profile_info(session, profile)


def delete_profile(db: Database, *, actor: ActorLike, name: str) -> None:
    """Delete a profile. Its past exports stay (with the profile's name in their manifests), but the next
    profile of that name starts afresh: "since the last export" and retractions are per profile."""
    with db.write() as session:
        user = require_exporter(session, actor)
        profile = _profile(session, name)
        record(session=session, actor=user.username, action="export_profile.delete", target_type="export_profile",
               target_id=profile.id, name=name, recipient=profile.recipient, format=profile.format,
               filters=profile.filters)
        session.delete(profile)


# --- preview and run --------------------------------------------------------------------------------------

def _plan(session: Session, profile_name: str | None, fmt: str | None, filters: FilterInput,
          since_last: bool | None, *, lock: bool = False) -> tuple[ExportProfile | None, str, ExportFilters, bool]:
    profile = _profile(session, profile_name, lock=lock) if profile_name else None
    if since_last is None:
        since_last = profile is not None
    if since_last and profile is None:
        raise ExportFilterError("'since the last export' is kept per profile: choose a profile, or export all")
    chosen = _check_format(fmt or (profile.format if profile else "csv"))
    base = ExportFilters.from_dict(profile.filters) if profile else ExportFilters()
    return profile, chosen, base.merged(_filters(filters)), since_last


def preview_export(db: Database, settings: Settings, *, actor: ActorLike, profile: str | None = None,
                   format: str | None = None, filters: FilterInput = None, since_last: bool | None = None,
                   limit: int = 50) -> ExportPreview:
    """What ``run_export`` with the same arguments would write now: counts and the first ``limit`` rows
    (retractions first). Nothing is recorded as sent. Audited as ``export.preview``."""
    with db.write() as session:
        user = require_exporter(session, actor)
        prof, fmt, effective, since_last = _plan(session, profile, format, filters, since_last)
        names = settings.export_names
        rows: list[dict[str, Any]] = []
        retractions = 0
        if prof is not None:
            retractions = count(session, retraction_query(prof.id))
            rows += [dict(zip(COLUMNS, v, strict=True)) for _d, _p, v in
                     iter_retractions(session, prof.id, None, export_id=0, names=names, limit=limit)]
        stmt = takedown_query(effective, profile_id=prof.id if prof else None, since_last=since_last)
        takedowns = count(session, stmt)
        if len(rows) < limit:
            rows += [dict(zip(COLUMNS, v, strict=True)) for _d, _p, v in iter_takedowns(
                session, effective, export_id=0, names=names, profile_id=prof.id if prof else None,
                since_last=since_last, limit=limit - len(rows))]
        for row in rows:
            row["export_id"] = None
        record(session=session, actor=user.username, action="export.preview", target_type="export_profile",
               target_id=prof.id if prof else None, profile=profile, filters=effective.to_dict(),
               since_last=since_last, takedowns=takedowns, retractions=retractions)
    return ExportPreview(columns=COLUMNS, rows=rows, takedown_count=takedowns, retraction_count=retractions,
                         profile=profile, format=fmt, filters=effective.to_dict(), since_last=since_last)


def _slug(name: str | None) -> str:
    return re.sub(r"[^a-z0-9]+", "-", (name or "adhoc").lower()).strip("-")[:40] or "profile"


def _insert_items(session: Session, export_id: int, kind: str, decisions: array[int], posts: array[int]) -> None:
    table = cast(Table, ExportItem.__table__)
    for start in range(0, len(decisions), _ITEM_BATCH):
        session.execute(table.insert(), [
            {"export_id": export_id, "decision_id": d, "post_id": p, "kind": kind}
            for d, p in zip(decisions[start:start + _ITEM_BATCH], posts[start:start + _ITEM_BATCH], strict=True)
        ])


def run_export(db: Database, settings: Settings, *, actor: ActorLike, profile: str | None = None,
               format: str | None = None, filters: FilterInput = None, since_last: bool | None = None,
               now: datetime | None = None, on_rows: Callable[[int], None] | None = None) -> ExportInfo:
    """Write an export file (and, for a profile, its retractions file) under ``settings.exports_dir``, record
    the export, its items and manifest, and audit ``export.create`` -- all in one transaction.

    ``filters`` narrow or replace the profile's saved filters field by field. With ``since_last`` (needs a
    profile; the default when a profile is given) only posts this profile has not sent yet are written.
    Retractions owed by the profile are written in both modes. An export that would hold no row is refused
    with ``NothingToExport`` and nothing is recorded or kept. Rows stream from the database to the file;
    memory does not grow with the export (beyond 16 bytes per row for the export items). ``on_rows(n)`` hears
    how many rows are written, every 5,000 rows (for a progress display).
    """
    folder = Path(settings.exports_dir)
    folder.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    try:
        with db.write() as session:
            user = require_exporter(session, actor)
            prof, fmt, effective, since_last = _plan(session, profile, format, filters, since_last, lock=True)
            created = now or utcnow()
            export = Export(profile_id=prof.id if prof else None, user_id=user.id, created_at=created, format=fmt,
                            filters=effective.to_dict(), manifest={})
            session.add(export)
            session.flush()
            stem = f"export-{export.id:06d}-{_slug(profile)}-{created:%Y%m%dT%H%M%SZ}"
            ext = EXTENSIONS[fmt]
            main_path = folder / f"{stem}.{ext}"
            retractions_path = folder / f"{stem}-retractions.{ext}"
            ids: dict[str, tuple[array[int], array[int]]] = {
                "takedown": (array("q"), array("q")), "retraction": (array("q"), array("q"))}
            names = settings.export_names
            written.append(main_path)
            with open_writer(fmt, main_path, sheet="takedowns") as main:
                for decision_id, post_id, values in iter_takedowns(
                        session, effective, export_id=export.id, names=names,
                        profile_id=prof.id if prof else None, since_last=since_last):
                    main.write(values)
                    ids["takedown"][0].append(decision_id)
                    ids["takedown"][1].append(post_id)
                    if on_rows is not None and len(ids["takedown"][0]) % _ITEM_BATCH == 0:
                        on_rows(len(ids["takedown"][0]))
                if prof is not None:
                    written.append(retractions_path)
                    with open_writer(fmt, retractions_path, sheet="retractions") as retractions:
                        for decision_id, post_id, values in iter_retractions(
                                session, prof.id, None, export_id=export.id, names=names):
                            main.write(values)
                            retractions.write(values)
                            ids["retraction"][0].append(decision_id)
                            ids["retraction"][1].append(post_id)
            for kind, (decisions, posts) in ids.items():
                _insert_items(session, export.id, kind, decisions, posts)
            takedowns, retracted = len(ids["takedown"][0]), len(ids["retraction"][0])
            if takedowns + retracted == 0:
                raise NothingToExport(_nothing(prof.name if prof else None, since_last))
            evidence = evidence_for_export(session, export.id)
            opened, withdrawn = open_requests(session, export, prof, actor=user.username,
                                              deadline_hours=settings.takedown_deadline_hours,
                                              watch_days=settings.takedown_watch_days)
            files: list[dict[str, Any]] = [{"kind": "main", "name": main_path.name, "sha256": file_sha256(main_path),
                      "bytes": main_path.stat().st_size, "rows": takedowns + retracted,
                      "takedowns": takedowns, "retractions": retracted}]
            if prof is not None:
                files.append({"kind": "retractions", "name": retractions_path.name,
                              "sha256": file_sha256(retractions_path), "bytes": retractions_path.stat().st_size,
                              "rows": retracted, "takedowns": 0, "retractions": retracted})
            export.manifest = {
                "export_id": export.id, "created_at": iso(created),
                "created_by": {"username": user.username, "role": user.role},
                "profile": prof.name if prof else None, "recipient": prof.recipient if prof else "",
                "format": fmt, "mode": "since_last" if since_last else "all", "filters": effective.to_dict(),
                "columns": list(COLUMNS), "decided_by_names": names, "formula_prefix": "'" if fmt != "jsonl" else None,
                "row_count": takedowns + retracted, "takedown_count": takedowns, "retraction_count": retracted,
                "files": files,
                "evidence": [{"post_id": e.post_id, "decision_id": e.decision_id, "url": e.url, "file": e.file_name,
                              "sha256": e.sha256, "payload_sha256": e.payload_sha256, "http_status": e.http_status,
                              "captured_at": iso(e.captured_at)} for e in evidence],
                "takedown_requests": {"opened": opened, "withdrawn": withdrawn,
                                      "deadline_hours": settings.takedown_deadline_hours},
            }
            export.row_count, export.retraction_count = takedowns + retracted, retracted
            export.sha256, export.file_path = files[0]["sha256"], main_path.name
            record(session=session, actor=user.username, action="export.create", target_type="export",
                   target_id=export.id, profile=export.manifest["profile"], format=fmt,
                   mode=export.manifest["mode"], filters=export.filters, row_count=export.row_count,
                   retraction_count=retracted, files=[{k: f[k] for k in ("kind", "name", "sha256")} for f in files])
            emit(session, "export.created", {"export_id": export.id, "profile": export.manifest["profile"],
                                             "format": fmt, "row_count": export.row_count, "sha256": export.sha256})
            info = _export_info(export, prof.name if prof else None, user.username)
    except BaseException:
        for path in written:
            path.unlink(missing_ok=True)
        raise
    return info


def _nothing(profile: str | None, since_last: bool) -> str:
    if profile is not None and since_last:
        return (f"nothing new to export for {profile}: it has been sent every confirmed decision that matches its "
                "filters, and it is owed no retraction; nothing was recorded")
    if profile is not None:
        return (f"nothing to export for {profile}: no confirmed decision matches these filters and no retraction "
                "is owed; nothing was recorded")
    return "nothing to export: no confirmed decision matches these filters; nothing was recorded"


# --- list and download ------------------------------------------------------------------------------------

def _export_info(export: Export, profile: str | None, username: str | None) -> ExportInfo:
    manifest = dict(export.manifest or {})
    return ExportInfo(id=export.id, profile=profile or manifest.get("profile"), recipient=manifest.get("recipient", ""),
                      format=export.format, created_at=export.created_at, created_by=username,
                      filters=dict(export.filters or {}), row_count=export.row_count,
                      retraction_count=export.retraction_count, sha256=export.sha256, file_name=export.file_path,
                      manifest=manifest)


def _infos(session: Session, exports: Iterable[Export]) -> list[ExportInfo]:
    rows = list(exports)
    users = dict(session.execute(select(User.id, User.username).where(
        User.id.in_({e.user_id for e in rows if e.user_id is not None}))).all())
    profiles = dict(session.execute(select(ExportProfile.id, ExportProfile.name).where(
        ExportProfile.id.in_({e.profile_id for e in rows if e.profile_id is not None}))).all())
    return [_export_info(e, profiles.get(e.profile_id) if e.profile_id else None,
                         users.get(e.user_id) if e.user_id else None) for e in rows]


def list_exports(db: Database, *, actor: ActorLike, profile: str | None = None, limit: int = 100,
                 offset: int = 0) -> list[ExportInfo]:
    """Recorded exports, newest first (optionally of one profile)."""
    with db.session() as session:
        require_exporter(session, actor)
        stmt = select(Export).order_by(Export.id.desc()).limit(limit).offset(offset)
        if profile:
            stmt = stmt.where(Export.profile_id == _profile(session, profile).id)
        return _infos(session, session.scalars(stmt))


def get_export(db: Database, *, actor: ActorLike, export_id: int) -> ExportInfo:
    with db.session() as session:
        require_exporter(session, actor)
        export = session.get(Export, export_id) if valid_id(export_id) else None
        if export is None:
            raise ExportNotFound("no export with id %(export_id)s", export_id=export_id)
        return _infos(session, [export])[0]


def _file_entry(export: Export, which: str) -> dict[str, Any]:
    if which not in ("main", "retractions"):
        raise ExportFilterError("unknown file %(which)r; choose main or retractions", which=which)
    for entry in (export.manifest or {}).get("files", []):
        if entry.get("kind") == which:
            return dict(entry)
    raise ExportNotFound("export %(id)s has no %(which)s file", id=export.id, which=which)


def _kept_path(settings: Settings, export: Export, entry: dict[str, Any]) -> Path:
    name = str(entry.get("name") or "")
    if not name or Path(name).name != name:
        raise ExportFileChanged("export %(id)s: its manifest names no usable file (%(name)r)", id=export.id, name=name)
    path = Path(settings.exports_dir) / name
    if not path.is_file():
        raise ExportFileMissing("export %(id)s: the kept file %(path)s is missing, so it cannot be sent again; its "
                                "manifest SHA-256 is %(sha256)s", id=export.id, path=path, sha256=entry.get("sha256"))
    return path


def _refuse(db: Database, user: str, export_id: int, which: str, reason: str) -> None:
    with db.write() as session:
        record(session=session, actor=user, action="export.download_refused", target_type="export",
               target_id=export_id, file=which, reason=reason)


def _verified(db: Database, settings: Settings, actor: ActorLike, export_id: int, which: str,
              data: bool) -> tuple[ExportFile, bytes | None]:
    with db.session() as session:
        user = require_exporter(session, actor)
        username = user.username
        export = session.get(Export, export_id) if valid_id(export_id) else None
        if export is None:
            raise ExportNotFound("no export with id %(export_id)s", export_id=export_id)
        entry = _file_entry(export, which)
    try:
        path = _kept_path(settings, export, entry)
        content = path.read_bytes() if data else None
        if content is not None:
            import hashlib

            actual = hashlib.sha256(content).hexdigest()
        else:
            actual = file_sha256(path)
        if actual != entry["sha256"]:
            raise ExportFileChanged(
                "export %(id)s: %(name)s no longer matches its manifest (SHA-256 %(actual)s on disk, %(sent)s when "
                "sent); it has been changed or replaced and will not be handed out", id=export_id, name=path.name,
                actual=actual, sent=entry["sha256"])
    except ExportFileError as exc:
        _refuse(db, username, export_id, which, str(exc))
        raise
    file = ExportFile(export_id=export_id, kind=which, path=path, download_name=path.name,
                      media_type=MEDIA_TYPES[export.format], sha256=actual, size=path.stat().st_size)
    with db.write() as session:
        record(session=session, actor=username, action="export.download", target_type="export",
               target_id=export_id, file=which, name=path.name, sha256=actual)
    return file, content


def open_export_file(db: Database, settings: Settings, *, actor: ActorLike, export_id: int,
                     which: str = "main") -> ExportFile:
    """Check a kept file against its manifest hash and audit ``export.download``; serve ``.path`` after.
    A missing or changed file raises ``ExportFileError`` (and is audited as ``export.download_refused``)."""
    return _verified(db, settings, actor, export_id, which, data=False)[0]


def export_file_bytes(db: Database, settings: Settings, *, actor: ActorLike, export_id: int,
                      which: str = "main") -> tuple[ExportFile, bytes]:
    """The kept file's bytes, hashed as read (so what is returned is exactly what the manifest names)."""
    file, content = _verified(db, settings, actor, export_id, which, data=True)
    assert content is not None
    return file, content


def download_export(db: Database, settings: Settings, *, actor: ActorLike, export_id: int, out: Path,
                    which: str = "main") -> ExportFile:
    """Copy a kept file to ``out`` after checking it, then check the copy too."""
    file = open_export_file(db, settings, actor=actor, export_id=export_id, which=which)
    out = Path(out)
    if out.resolve() != file.path.resolve():
        out.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(file.path, out)
        if file_sha256(out) != file.sha256:
            raise ExportError("the copy at %(out)s does not match export %(export_id)s's SHA-256; try again",
                              out=out, export_id=export_id)
    return file
