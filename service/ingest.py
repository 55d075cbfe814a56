"""From crawled page to review queue: store posts (and the cursor) atomically, score what is new, queue flags."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, cast

from sqlalchemy import Table, func, select, true
from sqlalchemy.orm import Session

from crawler import CrawlPage
from review.explanations import PendingExplanation
from review.priority import PriorityWeights
from review.queue import Flag, enqueue_many
from service.claim_matching import match_snapshots
from service.runtime import Runtime
from store.bulk import insert_rows, one_of, update_rows
from store.crawl_state import save_cursor
from store.models import Post, Snapshot, Verdict
from store.posts import BulkResult, CapturedPost, derive, upsert_posts
from store.types import utcnow

if TYPE_CHECKING:
    from classifier import PostInput

__all__ = [
    "CLASSIFIED_LANGUAGES", "IngestCounts", "PendingPost", "ScoreAlongside", "classify_unscored", "score_batch",
    "score_snapshots", "store_page",
]

log = logging.getLogger("kiemtin.ingest")

CLASSIFIED_LANGUAGES = ("vi", "und")  # others are stored and marked with their language, not scored


@dataclass
class IngestCounts:
    fetched: int = 0
    new: int = 0
    updated: int = 0
    flagged: int = 0
    scored: int = 0  # while scoring: posts scored so far of ``to_score`` waiting when scoring began
    to_score: int = 0
    explained: int = 0  # flagged posts given their evidence after queueing (service.explain)


STORE_CHUNK = 512  # posts per transaction when a page is large: scoring starts on a chunk while the next is stored


def store_page(runtime: Runtime, *, source_id: int, page: CrawlPage, counts: IngestCounts,
               on_chunk: Callable[[list[PendingPost]], None] | None = None, chunk: int = STORE_CHUNK) -> None:
    """Upsert the page's posts (a statement per table) and save the source cursor. Posts in a classified
    language are marked for scoring.

    A page of up to ``chunk`` posts is one transaction. A larger one (a feed holding thousands of entries) is
    stored ``chunk`` posts a transaction, the cursor with the last: ``on_chunk(fresh)`` hears each
    committed chunk's new posts waiting for a verdict, as ``PendingPost`` (what scoring reads, without reading it
    back), so scoring can start on them while the next chunk is stored (``ScoreAlongside``; changed known posts
    are found by its ``finish``).
    A kill loses or repeats nothing either way: the chunks committed before it are found unchanged when the
    next run fetches the page again, since the cursor still points before it. A page that repeats a post keeps
    its last copy, at the place of the first.

    A post whose text has no words (only emoji or punctuation) gets no SimHash: it is nobody's near-duplicate."""
    posts = list({(p.platform, p.external_id): p for p in page.posts}.values())  # the last copy, at the first's place
    for start in range(0, max(len(posts), 1), chunk):
        part, last = posts[start:start + chunk], start + chunk >= len(posts)
        with runtime.db.session() as session:  # SimHashes and search texts of new and changed texts, ahead
            derived = derive(session, part)
        with runtime.db.write() as session:
            result = upsert_posts(session=session, captured=part, source_id=source_id,
                                  score_languages=CLASSIFIED_LANGUAGES, derived=derived)
            if last and page.cursor is not None:
                save_cursor(session=session, source_id=source_id, cursor=page.cursor)
        counts.new += result.new
        counts.updated += result.updated
        if on_chunk is not None and (fresh := _fresh(part, result)):
            on_chunk(fresh)
    counts.fetched += len(page.posts)


def _fresh(captured: Sequence[CapturedPost], result: BulkResult) -> list[PendingPost]:
    """The new posts of a stored chunk that wait for a verdict (in a classified language), as ``_unscored``
    would read them back."""
    assert result.fetched_at is not None  # noqa: S101 - set by every upsert
    return [
        PendingPost(post_id, snapshot_id, digest, c.text, c.like_count, c.comment_count, c.share_count,
                    c.published_at, result.fetched_at)
        for c, post_id, snapshot_id, digest in zip(captured, result.post_ids, result.snapshot_ids, result.digests,
                                                    strict=True)
        if snapshot_id is not None and c.language in CLASSIFIED_LANGUAGES
    ]


@dataclass(frozen=True)
class PendingPost:
    """A post waiting for a verdict on its current snapshot, with what the model and the queue need."""

    post_id: int
    snapshot_id: int
    sha256: str
    text: str
    like_count: int | None
    comment_count: int | None
    share_count: int | None
    published_at: datetime | None
    first_seen_at: datetime


def _unscored(session: Session, limit: int, source_id: int | None,
              snapshot_ids: Sequence[int] | None = None) -> list[PendingPost]:
    """Posts marked ``score_pending`` (a partial index), with their current snapshot; or the given snapshots
    when they are still current and unscored."""
    query = (
        select(Post.id, Snapshot.id, Snapshot.sha256, Snapshot.text, Post.like_count, Post.comment_count,
               Post.share_count, Post.published_at, Post.first_seen_at)
        .join(Snapshot, (Snapshot.post_id == Post.id) & (Snapshot.sha256 == Post.content_sha256))
        .where(Post.score_pending.is_(true()))
    )
    if source_id is not None:
        query = query.where(Post.source_id == source_id)
    if snapshot_ids is not None:
        query = query.where(one_of(session, Snapshot.id, list(snapshot_ids)))
    return [PendingPost(*row) for row in session.execute(query.order_by(Post.id).limit(limit))]


def model_inputs(batch: Sequence[PendingPost | PendingExplanation]) -> list[PostInput]:
    """What the model reads of each post: its text and figures (for scoring, and for explaining after)."""
    from classifier import PostInput

    return [
        PostInput(text=p.text, like_count=p.like_count, comment_count=p.comment_count,
                  share_count=p.share_count, published_at=p.published_at)
        for p in batch
    ]


def score_batch(runtime: Runtime, batch: Sequence[PendingPost], weights: PriorityWeights, *,
                parallel: bool | None = None) -> int:
    """Score a batch, write its verdicts (one per snapshot: a snapshot another scorer got to first is left to
    it) and queue items in bulk, and clear the posts' ``score_pending``; returns how many were flagged.

    Flagged verdicts are written without their evidence and marked ``explain_pending``: ``service.explain``
    fills it in right after (word segmentation costs more than scoring). ``parallel``: the model's choice of
    worker processes (``MisinfoModel.score``)."""
    if not batch:
        return 0
    verdicts = runtime.model().score(model_inputs(batch), explain=False, threshold=runtime.config.settings.threshold,
                                     parallel=parallel)
    now = utcnow()
    rows = [
        {"post_id": p.post_id, "snapshot_id": p.snapshot_id, "model_version": v.model_version,
         "score": float(v.score), "label": bool(v.label), "threshold": v.threshold, "input_case": v.case,
         "features": [], "explain_pending": bool(v.label), "created_at": now}
        for p, v in zip(batch, verdicts, strict=True)
    ]
    with runtime.db.write() as session:
        verdicts_table = cast(Table, Verdict.__table__)
        mine: dict[int, int] = dict(insert_rows(  # snapshot id -> verdict id
            session, verdicts_table, rows, conflict=["snapshot_id"],
            returning=[verdicts_table.c.snapshot_id, verdicts_table.c.id]))
        flags = [
            Flag(post_id=p.post_id, verdict_id=mine[p.snapshot_id], score=float(v.score), threshold=v.threshold,
                 model_version=v.model_version, like_count=p.like_count, comment_count=p.comment_count,
                 share_count=p.share_count, published_at=p.published_at or p.first_seen_at)
            for p, v in zip(batch, verdicts, strict=True) if v.label and p.snapshot_id in mine
        ]
        enqueue_many(session=session, flags=flags, weights=weights)
        # a post whose text changed meanwhile keeps waiting for a verdict on its new snapshot
        update_rows(session, cast(Table, Post.__table__), [
            {"id": p.post_id, "content_sha256": p.sha256, "score_pending": False} for p in batch],
            keys=("id", "content_sha256"))
    match_snapshots(runtime, [(p.snapshot_id, p.text) for p in batch])  # known claims (after the verdicts)
    log.debug("scored %d posts, %d flagged", len(batch), len(flags))
    return len(flags)


def score_snapshots(runtime: Runtime, snapshot_ids: Sequence[int]) -> int:
    """Score the given snapshots that are current and still unscored (for a worker handed a batch of ids);
    returns how many were flagged."""
    weights = PriorityWeights(mode=runtime.config.settings.queue_priority)
    with runtime.db.session() as session:
        batch = _unscored(session, len(snapshot_ids), None, snapshot_ids)
    return score_batch(runtime, batch, weights)


def classify_unscored(runtime: Runtime, *, source_id: int | None = None, batch: int = 1024,
                      on_batch: Callable[[int, int], None] | None = None) -> int:
    """Score every post whose current snapshot waits for a verdict; queue those at or above the threshold.

    Returns how many were flagged. The model runs outside the write transaction to keep the lock short.
    ``on_batch(scored, waiting)`` hears the progress after each batch (``waiting``: counted at the start).
    """
    weights = PriorityWeights(mode=runtime.config.settings.queue_priority)
    flagged = scored = 0
    waiting = _count_pending(runtime, source_id) if on_batch is not None else 0
    while True:
        with runtime.db.session() as session:
            pending = _unscored(session, batch, source_id)
        if not pending:
            return flagged
        flagged += score_batch(runtime, pending, weights)
        scored += len(pending)
        if on_batch is not None:
            on_batch(scored, max(waiting, scored))


def _count_pending(runtime: Runtime, source_id: int | None) -> int:
    with runtime.db.session() as session:
        query = select(func.count()).select_from(Post).where(Post.score_pending.is_(true()))
        if source_id is not None:
            query = query.where(Post.source_id == source_id)
        return int(session.scalar(query) or 0)


class ScoreAlongside:
    """Scores a source's new posts in a thread of its own while its crawl goes on storing: the model's worker
    processes score one chunk while the next is stored, instead of waiting for the whole crawl.

    ``stored(fresh)`` after each committed chunk (``store_page``'s ``on_chunk``): the new posts are
    handed over as stored, and scored once at least ``min_batch`` wait (a smaller batch alone would not keep the
    model's worker processes busy). ``finish()`` scores what was handed over and not yet scored, then every post
    of the source still waiting for a verdict (changed texts, posts a failed run left), and returns how many
    were flagged, or raises what failed. Batches go to the worker processes whatever their size, so the crawl's
    own process neither spends its CPU on the model nor fills its token cache. Two scorers of one source never
    write two verdicts for one snapshot (``score_batch``)."""

    def __init__(self, runtime: Runtime, source_id: int, *, batch: int = 1024, min_batch: int = STORE_CHUNK,
                 max_waiting: int = 2048, on_batch: Callable[[int], None] | None = None) -> None:
        self.runtime, self.source_id, self.batch, self.min_batch = runtime, source_id, batch, min_batch
        self.max_waiting = max_waiting
        self.on_batch, self.flagged, self.scored = on_batch, 0, 0
        self._handed: list[PendingPost] = []
        self._done, self._abandoned, self._stopped = False, False, False
        self._error: BaseException | None = None
        self._wake = threading.Condition()
        self._thread = threading.Thread(target=self._run, name=f"kiemtin-score-{source_id}", daemon=True)
        self._thread.start()

    def stored(self, fresh: Sequence[PendingPost]) -> None:
        """A chunk was committed: its new posts waiting for a verdict (changed known posts are found by
        ``finish``). Waits while ``max_waiting`` posts handed over are not taken yet: a crawl that stores faster
        than the model scores slows down to it, and memory stays bounded."""
        with self._wake:
            self._handed.extend(fresh)
            if len(self._handed) >= self.min_batch:
                self._wake.notify_all()
            self._wake.wait_for(lambda: len(self._handed) < self.max_waiting or self._done or self._stopped)

    def finish(self) -> int:
        with self._wake:
            self._done = True
            self._wake.notify_all()
        self._thread.join()
        if self._error is not None:
            raise self._error
        return self.flagged

    def abandon(self) -> None:
        """Stop after the batch in hand (the process is stopping); what was not scored stays waiting."""
        with self._wake:
            self._done = self._abandoned = True
            self._wake.notify_all()

    def _score(self, batch: Sequence[PendingPost], weights: PriorityWeights) -> None:
        self.flagged += score_batch(self.runtime, batch, weights, parallel=True)
        self.scored += len(batch)
        if self.on_batch is not None:
            self.on_batch(self.scored)

    def _run(self) -> None:
        weights = PriorityWeights(mode=self.runtime.config.settings.queue_priority)
        try:
            while True:
                with self._wake:
                    self._wake.wait_for(lambda: self._done or len(self._handed) >= self.min_batch)
                    done, handed, self._handed = self._done, self._handed, []
                    self._wake.notify_all()  # a crawl waiting for room goes on
                for start in range(0, len(handed), self.batch):
                    if self._abandoned:
                        return
                    self._score(handed[start:start + self.batch], weights)
                if done:
                    break
            while not self._abandoned:  # whatever else of the source waits: edits, posts a failed run left
                with self.runtime.db.session() as session:
                    pending = _unscored(session, self.batch, self.source_id)
                if not pending:
                    return
                self._score(pending, weights)
        except BaseException as exc:  # noqa: BLE001 - handed to finish(), which raises it in the crawl's thread
            self._error = exc
        finally:
            with self._wake:  # nothing is taken any more: a crawl waiting for room must not wait for it
                self._stopped = True
                self._wake.notify_all()
