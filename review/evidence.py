"""WARC evidence of confirmed posts: which confirmed posts still need their page archived, recording an archive
(``evidence.archive`` in the audit log), listing a post's archives and handing one out after checking its
SHA-256 (``evidence.download``). The fetching and writing happen in ``service.evidence``, outside any decision's
transaction, so a slow site never holds up a decision.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import Select, and_, func, select

from review.actors import SYSTEM_ACTOR, Actor, authorize, authorize_any
from review.errors import Gone, NotFound, Refused
from store.audit import record
from store.models import Decision, EvidenceArchive, ExportItem, Post, QueueItem, Source
from store.types import utcnow, valid_id

if TYPE_CHECKING:
    from store.db import Database

__all__ = ["EvidenceInfo", "PendingEvidence", "evidence_for_export", "evidence_for_post_query", "list_evidence",
           "open_evidence", "pending_evidence", "record_archive"]

MAX_ATTEMPTS = 3


@dataclass(frozen=True)
class PendingEvidence:
    decision_id: int
    post_id: int
    platform: str
    url: str
    external_id: str
    source_url: str | None


@dataclass(frozen=True)
class EvidenceInfo:
    id: int
    post_id: int
    decision_id: int | None
    status: str
    url: str
    file_name: str | None
    sha256: str | None
    payload_sha256: str | None
    http_status: int | None
    size: int | None
    captured_at: datetime | None
    error: str


def _info(row: EvidenceArchive) -> EvidenceInfo:
    return EvidenceInfo(row.id, row.post_id, row.decision_id, row.status, row.url, row.file_name, row.sha256,
                        row.payload_sha256, row.http_status, row.size, row.captured_at, row.error)


def pending_evidence(db: Database, *, limit: int = 50, actor: Actor = SYSTEM_ACTOR) -> list[PendingEvidence]:
    """Confirmed posts (the current decision of a confirmed item) with no archive yet and fewer than
    ``MAX_ATTEMPTS`` failed tries, oldest decision first."""
    archived = select(EvidenceArchive.id).where(EvidenceArchive.decision_id == Decision.id,
                                                EvidenceArchive.status == "archived")
    failures = (select(func.count()).select_from(EvidenceArchive)
                .where(EvidenceArchive.decision_id == Decision.id, EvidenceArchive.status == "failed")
                .scalar_subquery())
    with db.session() as session:
        authorize(session, actor, "evidence.archive")
        stmt = (select(Decision.id, Post.id, Post.platform, Post.url, Post.external_id, Source.url)
                .join(QueueItem, and_(QueueItem.current_decision_id == Decision.id, QueueItem.status == "confirmed"))
                .join(Post, Post.id == Decision.post_id)
                .outerjoin(Source, Source.id == Post.source_id)
                .where(Decision.action == "confirm", ~archived.exists(), failures < MAX_ATTEMPTS)
                .order_by(Decision.created_at, Decision.id).limit(limit))
        return [PendingEvidence(*row) for row in session.execute(stmt)]


def record_archive(db: Database, *, decision_id: int, post_id: int, url: str, file_name: str | None = None,
                   sha256: str | None = None, payload_sha256: str | None = None, http_status: int | None = None,
                   size: int | None = None, captured_at: datetime | None = None, error: str = "",
                   actor: Actor = SYSTEM_ACTOR) -> EvidenceInfo:
    """Record an archive (``file_name`` given) or a failed try (``error``); audited as ``evidence.archive``."""
    with db.write() as session:
        authorize(session, actor, "evidence.archive")
        row = EvidenceArchive(post_id=post_id, decision_id=decision_id, url=url,
                              status="archived" if file_name else "failed", file_name=file_name, sha256=sha256,
                              payload_sha256=payload_sha256, http_status=http_status, size=size,
                              captured_at=captured_at, error=error[:2000], created_at=utcnow())
        session.add(row)
        session.flush()
        record(session=session, actor=actor.name, action="evidence.archive", target_type="post", target_id=post_id,
               archive_id=row.id, status=row.status, url=url, file=file_name, sha256=sha256,
               payload_sha256=payload_sha256, http_status=http_status, error=error or None)
        return _info(row)


def list_evidence(db: Database, *, actor: Actor, post_id: int) -> list[EvidenceInfo]:
    """A post's archives and failed tries, newest first."""
    with db.session() as session:
        authorize_any(session, actor, ("item.view", "takedown.view"))
        return [_info(r) for r in session.scalars(select(EvidenceArchive).where(EvidenceArchive.post_id == post_id)
                                                  .order_by(EvidenceArchive.id.desc()))]


def evidence_for_post_query(session: object, post_ids: Select[int]) -> dict[int, EvidenceInfo]:
    """The latest archived evidence of each post ``post_ids`` (a statement selecting post ids) names, in one
    query, by post id."""
    from sqlalchemy.orm import Session

    assert isinstance(session, Session)
    latest: dict[int, EvidenceInfo] = {}
    for row in session.scalars(select(EvidenceArchive).where(
            EvidenceArchive.post_id.in_(post_ids), EvidenceArchive.status == "archived").order_by(EvidenceArchive.id)):
        latest[row.post_id] = _info(row)
    return latest


def evidence_for_export(session: object, export_id: int) -> list[EvidenceInfo]:
    """The latest archived evidence of each post an export sends as a takedown (one query), by post."""
    sent = select(ExportItem.post_id).where(ExportItem.export_id == export_id, ExportItem.kind == "takedown")
    latest = evidence_for_post_query(session, sent)
    return [latest[k] for k in sorted(latest)]


def open_evidence(db: Database, archive_dir: Path, *, actor: Actor, archive_id: int) -> tuple[Path, str]:
    """The kept WARC file's path and SHA-256, after checking it still matches; audited as
    ``evidence.download``."""
    with db.write() as session:
        user = authorize_any(session, actor, ("item.view", "takedown.view"))
        row = session.get(EvidenceArchive, archive_id) if valid_id(archive_id) else None
        if row is None or row.status != "archived" or not row.file_name:
            raise NotFound("no archived evidence with id %(id)s", id=archive_id)
        path = Path(archive_dir) / row.file_name
        if Path(row.file_name).name != row.file_name or not path.is_file():
            raise Gone("the WARC file of evidence %(id)s is missing (%(file)s); its SHA-256 was %(sha256)s",
                       id=archive_id, file=row.file_name, sha256=row.sha256)
        actual = hashlib.sha256(path.read_bytes()).hexdigest()
        if actual != row.sha256:
            raise Refused("the WARC file of evidence %(id)s no longer matches its SHA-256; not handed out",
                          id=archive_id)
        record(session=session, actor=user.username if user else actor.name, action="evidence.download",
               target_type="post", target_id=row.post_id, archive_id=row.id, sha256=actual)
        return path, actual
