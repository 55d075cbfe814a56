"""From crawled page to review queue: store posts (and the cursor) atomically, score what is new, queue flags."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from sqlalchemy import exists, select, true
from sqlalchemy.orm import Session

from crawler import CrawlPage
from review.priority import PriorityWeights
from review.queue import enqueue
from service.claim_matching import match_snapshots
from service.runtime import Runtime
from store.crawl_state import save_cursor
from store.models import Post, Snapshot, Verdict
from store.posts import upsert_post
from vntext import simhash64_many

if TYPE_CHECKING:
    from classifier import PostInput

__all__ = ["CLASSIFIED_LANGUAGES", "IngestCounts", "classify_unscored", "store_page"]

log = logging.getLogger("kiemtin.ingest")

CLASSIFIED_LANGUAGES = ("vi", "und")  # others are stored and marked with their language, not scored


@dataclass
class IngestCounts:
    fetched: int = 0
    new: int = 0
    updated: int = 0
    flagged: int = 0


def store_page(runtime: Runtime, *, source_id: int, page: CrawlPage, counts: IngestCounts) -> None:
    """Upsert the page's posts and save the source cursor in one transaction (a kill loses or repeats nothing).

    A post whose text has no words (only emoji or punctuation) gets no SimHash: it is nobody's near-duplicate."""
    simhashes = simhash64_many([captured.text for captured in page.posts])  # 0: no words
    with runtime.db.write() as session:
        for captured, simhash in zip(page.posts, simhashes.tolist(), strict=True):
            result = upsert_post(session=session, captured=captured, source_id=source_id, simhash=simhash or None)
            counts.fetched += 1
            if result.outcome == "new":
                counts.new += 1
            elif result.outcome == "updated":
                counts.updated += 1
        if page.cursor is not None:
            save_cursor(session=session, source_id=source_id, cursor=page.cursor)


def _unscored(session: Session, limit: int, source_id: int | None) -> list[tuple[Post, Snapshot]]:
    """Posts whose current text has no verdict yet (from any model version)."""
    has_verdict = exists().where(Verdict.snapshot_id == Snapshot.id)
    rows = session.execute(
        select(Post, Snapshot)
        .join(Snapshot, (Snapshot.post_id == Post.id) & (Snapshot.sha256 == Post.content_sha256))
        .where(~has_verdict, Post.language.in_(CLASSIFIED_LANGUAGES))
        .where(Post.source_id == source_id if source_id is not None else true())
        .order_by(Post.id).limit(limit)
    ).all()
    return [(post, snapshot) for post, snapshot in rows]


def _inputs(pairs: Sequence[tuple[Post, Snapshot]]) -> list[PostInput]:
    from classifier import PostInput

    return [
        PostInput(text=snapshot.text, like_count=post.like_count, comment_count=post.comment_count,
                  share_count=post.share_count, published_at=post.published_at)
        for post, snapshot in pairs
    ]


def classify_unscored(runtime: Runtime, *, source_id: int | None = None, batch: int = 256) -> int:
    """Score every post whose current snapshot lacks a verdict; queue those at or above the threshold.

    Returns how many were flagged. The model runs outside the write transaction to keep the lock short.
    """
    model, threshold, flagged = runtime.model(), runtime.config.settings.threshold, 0  # None: each case's own
    weights = PriorityWeights(mode=runtime.config.settings.queue_priority)
    while True:
        with runtime.db.session() as session:
            pairs = _unscored(session, batch, source_id)
        if not pairs:
            return flagged
        verdicts = model.score(_inputs(pairs), explain="flagged", threshold=threshold)
        with runtime.db.write() as session:
            for (post, snapshot), verdict in zip(pairs, verdicts, strict=True):
                if session.scalar(select(Verdict.id).where(Verdict.snapshot_id == snapshot.id)) is not None:
                    continue  # another worker scored it meanwhile
                row = Verdict(
                    post_id=post.id, snapshot_id=snapshot.id, model_version=verdict.model_version,
                    score=float(verdict.score), label=verdict.label, threshold=verdict.threshold,
                    input_case=verdict.case, features=[f.as_dict() for f in verdict.features],
                )
                session.add(row)
                session.flush()
                if row.label:
                    enqueue(session=session, post=session.merge(post), verdict=row, weights=weights)
                    flagged += 1
        match_snapshots(runtime, [(snapshot.id, snapshot.text) for _post, snapshot in pairs])  # known claims
        log.debug("scored %d posts", len(pairs))
