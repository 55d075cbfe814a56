"""The system's part in explaining flagged posts after they are queued: which verdicts still wait for their
evidence (``verdicts.explain_pending``, a partial index) and storing what the model found.

Scoring queues a flagged post at once and marks its verdict ``explain_pending``; ``service.explain`` computes
the words, phrases and signals with the model and hands them to :func:`store_explanations`. Storing is a
conditional UPDATE (``WHERE explain_pending``): two explainers racing for a verdict both compute the same
evidence and the first one stores it; the other changes nothing. The decide rules (``review.rules``) refuse an
item whose evidence is still pending, so nobody confirms a post without its reasons.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from sqlalchemy import CursorResult, Table, bindparam, select, true, update
from sqlalchemy.orm import Session

from store.db import Database
from store.models import Post, QueueItem, Snapshot, Verdict

__all__ = ["PendingExplanation", "pending_explanations", "store_explanations"]


@dataclass(frozen=True)
class PendingExplanation:
    """A flagged verdict waiting for its evidence, with the snapshot text and the post figures to explain it."""

    verdict_id: int
    text: str
    like_count: int | None
    comment_count: int | None
    share_count: int | None
    published_at: datetime | None


def pending_explanations(session: Session, *, limit: int, after_id: int = 0, source_id: int | None = None,
                         verdict_ids: Sequence[int] | None = None, items: Sequence[int] | None = None
                         ) -> list[PendingExplanation]:
    """Up to ``limit`` verdicts still waiting for evidence, oldest first, with id above ``after_id``: of one source,
    the given verdicts, or those of the given queue ``items`` and of the items of their posts' clusters."""
    query = (
        select(Verdict.id, Snapshot.text, Post.like_count, Post.comment_count, Post.share_count, Post.published_at)
        .join(Snapshot, Snapshot.id == Verdict.snapshot_id).join(Post, Post.id == Verdict.post_id)
        .where(Verdict.explain_pending.is_(true()), Verdict.id > after_id)
    )
    if source_id is not None:
        query = query.where(Post.source_id == source_id)
    if verdict_ids is not None:
        query = query.where(Verdict.id.in_(list(verdict_ids)))
    if items is not None:
        query = query.where(Verdict.id.in_(_items_and_clusters(items)))
    return [PendingExplanation(*row) for row in session.execute(query.order_by(Verdict.id).limit(limit))]


def _items_and_clusters(item_ids: Sequence[int]) -> Any:
    """The verdicts of the items and those of the queue items of the posts in their clusters (a subquery)."""
    ids = list(item_ids)
    named = select(QueueItem.verdict_id).where(QueueItem.id.in_(ids))
    cluster = select(Post.cluster_id).join(QueueItem, QueueItem.post_id == Post.id).where(QueueItem.id.in_(ids))
    siblings = (select(QueueItem.verdict_id).join(Post, Post.id == QueueItem.post_id)
                .where(Post.cluster_id.in_(cluster.scalar_subquery())))
    return named.union(siblings)


def store_explanations(db: Database, evidence: Mapping[int, list[dict[str, Any]]]) -> int:
    """Store the evidence of each verdict id that still waits for it and clear its mark, in one statement;
    returns how many were stored (a verdict another explainer stored first is left as it is)."""
    if not evidence:
        return 0
    table = cast(Table, Verdict.__table__)
    verdicts = table.c
    with db.write() as session:
        result = cast(CursorResult[Any], session.execute(
            update(table).where(verdicts.id == bindparam("vid"), verdicts.explain_pending.is_(true()))
            .values(features=bindparam("evidence"), explain_pending=False)
            .execution_options(synchronize_session=False),
            [{"vid": vid, "evidence": found} for vid, found in evidence.items()],
        ))
        return int(result.rowcount or 0)  # summed over the rows of the executemany
