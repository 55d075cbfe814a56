"""Every new post compared with the known claims: a match is recorded, raises the post's place in the queue, and
an auto-tier match queues a post the model left below its threshold. A person still decides every item.

``match_snapshots`` takes one batch of captured texts (snapshot id, text) so ingest calls it once per batch.
The claims' index (``classifier.claim_match``) is built once and rebuilt when claims are added. Tiers:
``auto`` at ``claim_auto_threshold`` or more for a text of at least ``claim_auto_min_words`` words,
``suggest`` at ``claim_suggest_threshold`` or more (very short texts are only ever suggested).
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from classifier.claim_match import ClaimIndex, word_count
from config import Settings
from review.policy import OPEN_STATUSES
from review.priority import PriorityWeights
from review.queue import enqueue
from review.webhooks import emit
from service.runtime import Runtime
from store.audit import record
from store.db import Database
from store.models import Claim, ClaimMatch, Post, QueueItem, Snapshot, Verdict
from store.types import utcnow

__all__ = ["ClaimHit", "claim_index", "match_snapshots", "match_texts", "tier_for"]

MAX_MATCHES = 3  # per text, best first


@dataclass(frozen=True)
class ClaimHit:
    claim_id: int
    score: float
    tier: str  # auto | suggest


@dataclass(frozen=True)
class _Built:
    fingerprint: tuple[int, int, str]
    ids: list[int]
    index: ClaimIndex


_cache: dict[str, _Built] = {}
_lock = threading.Lock()


def claim_index(db: Database) -> tuple[list[int], ClaimIndex]:
    """The claims' ids and their index, rebuilt only when claims were added (claims are never edited): the count,
    the last id and the newest creation time say whether the claims changed."""
    with db.session() as session:
        count, last, newest = session.execute(
            select(func.count(Claim.id), func.max(Claim.id), func.max(Claim.created_at))).one()
        fingerprint = (int(count or 0), int(last or 0), str(newest))
        key = str(db.engine.url)
        with _lock:
            built = _cache.get(key)
            if built is not None and built.fingerprint == fingerprint:
                return built.ids, built.index
        rows = session.execute(select(Claim.id, Claim.text).order_by(Claim.id)).all()
    built = _Built(fingerprint, [r.id for r in rows], ClaimIndex([r.text for r in rows]))
    with _lock:
        _cache[key] = built
    return built.ids, built.index


def tier_for(score: float, text: str, settings: Settings) -> str | None:
    """``auto``, ``suggest`` or None (no match) for a text's score against a claim."""
    if score >= settings.claim_auto_threshold and word_count(text) >= settings.claim_auto_min_words:
        return "auto"
    return "suggest" if score >= settings.claim_suggest_threshold else None


def match_texts(db: Database, settings: Settings, texts: Sequence[str]) -> list[list[ClaimHit]]:
    """For each text, the claims it matches (up to three), best first."""
    ids, index = claim_index(db)
    found = index.top(texts, minimum=settings.claim_suggest_threshold, k=MAX_MATCHES)
    out = []
    for text, matches in zip(texts, found, strict=True):
        hits = []
        for m in matches:
            tier = tier_for(m.score, text, settings)
            if tier is not None:
                hits.append(ClaimHit(ids[m.claim], round(m.score, 4), tier))
        out.append(hits)
    return out


def _on_item(session: Session, post: Post, snapshot_id: int, best: ClaimHit, weights: PriorityWeights) -> None:
    """Raise the post's open item (by the score weight times the match score); an auto match queues a post that
    is not queued yet, with its verdict."""
    item = session.scalar(select(QueueItem).where(QueueItem.post_id == post.id))
    if item is None and best.tier == "auto":
        verdict = session.scalar(select(Verdict).where(Verdict.snapshot_id == snapshot_id)
                                 .order_by(Verdict.id.desc()).limit(1))
        if verdict is not None:
            item = enqueue(session=session, post=post, verdict=verdict, weights=weights)
    if item is not None and item.status in OPEN_STATUSES:
        item.priority = item.priority + weights.score * best.score


def match_snapshots(runtime: Runtime, batch: Sequence[tuple[int, str]], *, now: datetime | None = None) -> int:
    """Compare a batch of captured texts (snapshot id, text) with the known claims and record what matches
    (each snapshot and claim once). Returns how many matches were new. Call it after the batch's verdicts are
    written, so an auto match can queue its post."""
    if not batch:
        return 0
    settings, now = runtime.config.settings, now or utcnow()
    hits = match_texts(runtime.db, settings, [text for _id, text in batch])
    if not any(hits):
        return 0
    weights, written = PriorityWeights(mode=settings.queue_priority), 0
    with runtime.db.write() as session:
        for (snapshot_id, _text), found in zip(batch, hits, strict=True):
            if not found:
                continue
            snapshot = session.get(Snapshot, snapshot_id)
            if snapshot is None:
                continue
            known = set(session.scalars(select(ClaimMatch.claim_id).where(ClaimMatch.snapshot_id == snapshot_id)))
            new = [h for h in found if h.claim_id not in known]
            for hit in new:
                session.add(ClaimMatch(claim_id=hit.claim_id, post_id=snapshot.post_id, snapshot_id=snapshot_id,
                                       score=hit.score, tier=hit.tier, created_at=now))
                record(session=session, actor="system", action="claim.match", target_type="claim",
                       target_id=hit.claim_id, post_id=snapshot.post_id, score=hit.score, tier=hit.tier)
                emit(session, "claim.matched", {"claim_id": hit.claim_id, "post_id": snapshot.post_id,
                                                "url": snapshot.url, "score": hit.score, "tier": hit.tier})
            if new:
                session.flush()
                _on_item(session, snapshot.post, snapshot_id, new[0], weights)
                written += len(new)
    return written
