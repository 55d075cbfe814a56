"""Retention: posts nobody needs any more are deleted after ``retention_days``, in small batches.

A post is purged when it was last seen (``fetched_at``) more than ``retention_days`` ago and nothing points at
it: no verdict at or above its threshold (``label``), no queue item, decision or export row, no claim link or
match, no takedown request or archived evidence (:data:`KEEP_IF`). Its snapshots, verdicts and SimHash bands go
with it. Each batch is one short write transaction (``batch`` posts), so the purge never holds
the write lock for long; the purge is audited with counts, never contents.

The narrative rebuild's kept keyword phrases (``narrative_phrases``, keyed by a hash of a text, not owned by one
post or claim) go when no rebuild has needed them for ``PHRASES_UNUSED_DAYS`` days (a changed or deleted text,
an older phrase extractor), in one statement.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import ColumnElement, CursorResult, delete, exists, func, select, text, update

from service.narratives import PHRASES_UNUSED_DAYS
from service.runtime import Runtime
from store.audit import record
from store.models import (
    ClaimLink,
    ClaimMatch,
    Decision,
    EvidenceArchive,
    ExportItem,
    NarrativePhrases,
    Post,
    QueueItem,
    SimhashBand,
    Snapshot,
    TakedownRequest,
    Verdict,
)
from store.types import utcnow

__all__ = ["KEEP_IF", "PurgeCounts", "StorageFacts", "purge_expired", "storage_facts"]

log = logging.getLogger("kiemtin.retention")

RETENTION_ACTOR = "system:retention"

KEEP_IF: list[Callable[[], ColumnElement[bool]]] = [
    lambda: exists().where(Verdict.post_id == Post.id, Verdict.label.is_(True)),
    lambda: exists().where(QueueItem.post_id == Post.id),
    lambda: exists().where(ExportItem.post_id == Post.id),
    lambda: exists().where(Decision.post_id == Post.id),
    lambda: exists().where(ClaimLink.post_id == Post.id),
    lambda: exists().where(ClaimMatch.post_id == Post.id),
    lambda: exists().where(TakedownRequest.post_id == Post.id),
    lambda: exists().where(EvidenceArchive.post_id == Post.id),
]
"""Reasons to keep a post whatever its age: each an EXISTS over ``Post.id`` (a feature adds its own)."""


@dataclass
class PurgeCounts:
    posts: int = 0
    snapshots: int = 0
    verdicts: int = 0
    batches: int = 0
    narrative_phrases: int = 0

    def as_dict(self) -> dict[str, int]:
        return asdict(self)


def _count(result: Any) -> int:
    return int(cast(CursorResult[Any], result).rowcount or 0)


def purge_expired(runtime: Runtime, *, now: datetime | None = None, batch: int = 500,
                  max_batches: int | None = None) -> PurgeCounts:
    """Delete expired posts nothing keeps, ``batch`` at a time; audit the totals (when anything went)."""
    days = runtime.config.settings.retention_days
    cutoff = (now or utcnow()) - timedelta(days=days)
    counts = PurgeCounts()
    expired = select(Post.id).where(Post.fetched_at < cutoff, *(~keep() for keep in KEEP_IF)).order_by(Post.id)
    while max_batches is None or counts.batches < max_batches:
        with runtime.db.write() as session:
            ids = list(session.scalars(expired.limit(batch)))
            if not ids:
                break
            session.execute(update(Post).where(Post.cluster_id.in_(ids)).values(cluster_id=None)
                            .execution_options(synchronize_session=False))
            session.execute(delete(SimhashBand).where(SimhashBand.post_id.in_(ids)))
            counts.verdicts += _count(session.execute(delete(Verdict).where(Verdict.post_id.in_(ids))))
            counts.snapshots += _count(session.execute(delete(Snapshot).where(Snapshot.post_id.in_(ids))))
            counts.posts += _count(session.execute(delete(Post).where(Post.id.in_(ids))
                                                   .execution_options(synchronize_session=False)))
            counts.batches += 1
    with runtime.db.write() as session:
        unused = (now or utcnow()) - timedelta(days=PHRASES_UNUSED_DAYS)
        counts.narrative_phrases = _count(session.execute(
            delete(NarrativePhrases).where(NarrativePhrases.used_at < unused)))
    if counts.posts or counts.narrative_phrases:
        with runtime.db.write() as session:
            record(session=session, actor=RETENTION_ACTOR, action="retention.purge", target_type="posts",
                   retention_days=days, cutoff=cutoff.isoformat(), **counts.as_dict())
        log.info("retention: %d posts older than %d days deleted (%d snapshots, %d verdicts); %d unused narrative "
                 "phrase rows", counts.posts, days, counts.snapshots, counts.verdicts, counts.narrative_phrases)
    return counts


@dataclass(frozen=True)
class StorageFacts:
    database_bytes: int | None
    posts: int
    oldest_post_seen_at: datetime | None  # the oldest post still kept (first seen)


def storage_facts(runtime: Runtime) -> StorageFacts:
    """The database's size and the oldest post it still keeps (for ``kiemtin status`` and the Health page)."""
    with runtime.db.session() as session:
        if runtime.db.is_sqlite:
            size = session.execute(text(
                "SELECT page_count * page_size FROM pragma_page_count(), pragma_page_size()")).scalar()
        else:
            size = session.execute(text("SELECT pg_database_size(current_database())")).scalar()
        posts, oldest = session.execute(select(func.count(Post.id), func.min(Post.first_seen_at))).one()
    return StorageFacts(None if size is None else int(size), int(posts or 0), oldest)
