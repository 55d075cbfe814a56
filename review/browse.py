"""Read-side queries for people looking at the queue: filtered keyset pages, one item with its evidence,
the audit log. Nothing here writes; decisions go through ``review.queue``.

Keyset paging: a page ends with a cursor naming the sort value and id of its last row, and the next page
asks for rows strictly after it, so page 500 costs what page 1 costs.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, timedelta, tzinfo
from typing import Any, Literal

from sqlalchemy import false, func, or_, select
from sqlalchemy.orm import Session

from config.i18n import N_
from review.policy import OPEN_STATUSES, STATUSES
from store.models import AuditEntry, Decision, Post, QueueItem, Snapshot, Source, User, Verdict
from store.search_index import fts5_item_ids, word_match
from store.types import day_start, valid_id
from vntext import search_words

__all__ = [
    "SORTS",
    "STATUS_CHOICES",
    "AuditPage",
    "ClusterMember",
    "DecisionRow",
    "ItemDetail",
    "QueueFilters",
    "QueuePage",
    "QueueRow",
    "audit_page",
    "count_matching",
    "filter_options",
    "item_detail",
    "queue_page",
]

Sort = Literal["priority", "newest", "score"]
SORTS: dict[str, str] = {"priority": N_("Priority (score, reach, recency)"), "newest": N_("Newest flagged"),
                         "score": N_("Highest score")}
STATUS_CHOICES: dict[str, str] = {"pending": N_("Pending"),
                                  "open": N_("All open (pending, escalated, appealed, text changed)"),
                                  "escalated": N_("Escalated"), "appealed": N_("Appealed"),
                                  "changed": N_("Text changed since its takedown"),
                                  "confirmed": N_("Confirmed"), "dismissed": N_("Dismissed"), "all": N_("Any status")}
MAX_PAGE = 200


@dataclass(frozen=True)
class QueueFilters:
    status: str = "pending"
    source_id: int | None = None
    platform: str | None = None
    score_min: float | None = None
    score_max: float | None = None
    date_from: date | None = None  # flagged on or after this day in ``zone``
    date_to: date | None = None  # flagged on or before this day in ``zone``
    category: str | None = None
    q: str | None = None
    sort: Sort = "priority"
    zone: tzinfo = UTC  # the zone of date_from/date_to (web pages: settings.display_timezone; the API: UTC)

    def statuses(self) -> Sequence[str] | None:
        if self.status == "all":
            return None
        if self.status == "open":
            return OPEN_STATUSES
        return (self.status,) if self.status in STATUSES else ("pending",)

    def is_filtered(self) -> bool:
        return self != QueueFilters(status=self.status, sort=self.sort, zone=self.zone)


@dataclass(frozen=True)
class QueueRow:
    item: QueueItem
    post: Post
    verdict: Verdict
    source_name: str | None


@dataclass(frozen=True)
class QueuePage:
    rows: list[QueueRow]
    next_cursor: str | None
    filters: QueueFilters


def _sort_column(sort: str) -> Any:
    return {"priority": QueueItem.priority, "score": QueueItem.score, "newest": QueueItem.created_at}[sort]


def encode_cursor(sort: str, row: QueueRow) -> str:
    value: Any = {"priority": row.item.priority, "score": row.item.score, "newest": row.item.created_at}[sort]
    text = value.isoformat() if isinstance(value, datetime) else repr(float(value))
    return f"{text}~{row.item.id}"


def _decode_cursor(sort: str, cursor: str) -> tuple[Any, int] | None:
    try:
        raw, _, raw_id = cursor.rpartition("~")
        value: Any = datetime.fromisoformat(raw) if sort == "newest" else float(raw)
        if isinstance(value, datetime) and value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        if isinstance(value, float) and not math.isfinite(value):
            return None
        row_id = int(raw_id)
    except ValueError:
        return None
    return (value, row_id) if valid_id(row_id) else None


def _like(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


@dataclass(frozen=True)
class _Search:
    """A text query: the phrase of ``words`` (``store.search_index``); no word (no letter or digit) matches
    nothing."""

    words: list[str]
    dialect: str

    def condition(self) -> Any:
        """Items whose post has the phrase. On SQLite the queue is walked in the page's order and each item looked
        up in the index's matches (``+ 0``: not through the primary key), so a common word stops at the page's
        end instead of sorting every match, and a rare one costs one walk of the queue's index."""
        if not self.words:
            return false()
        if self.dialect == "sqlite":
            return (QueueItem.id + 0).in_(fts5_item_ids(self.words))
        return word_match(self.words, self.dialect)


def _search(session: Session, q: str | None) -> _Search | None:
    """Posts whose text or title has the words of ``q`` in a row, accents and case aside (``cach ly`` finds
    "Cách ly", ``dong`` finds "Đồng"), the last word also as a prefix; None without a query."""
    if not (q and q.strip()):
        return None
    return _Search(search_words(q), session.get_bind().dialect.name)


def _filtered(query: Any, f: QueueFilters, text_match: Any | None) -> Any:
    statuses = f.statuses()
    if statuses is not None:
        query = query.where(QueueItem.status == statuses[0] if len(statuses) == 1 else QueueItem.status.in_(statuses))
    if f.source_id is not None:
        query = query.where(Post.source_id == f.source_id)
    if f.platform:
        query = query.where(Post.platform == f.platform)
    # the item's own copy of the score when sorting by it (one index range); otherwise the verdict's, so the
    # planner keeps walking the sort order's index instead of sorting every item in the score range
    score = QueueItem.score if f.sort == "score" else Verdict.score
    if f.score_min is not None:
        query = query.where(score >= f.score_min)
    if f.score_max is not None:
        query = query.where(score <= f.score_max)
    if f.date_from is not None:
        query = query.where(QueueItem.created_at >= day_start(f.date_from, f.zone))
    if f.date_to is not None:
        next_day = day_start(f.date_to + timedelta(days=1), f.zone)
        query = query.where(QueueItem.created_at < next_day)
    if f.category:
        query = query.where(QueueItem.category == f.category)
    if text_match is not None:
        query = query.where(text_match)
    return query


def queue_page(*, session: Session, filters: QueueFilters = QueueFilters(), after: str | None = None,
               limit: int = 50) -> QueuePage:
    """One page of the queue in the chosen order, after the cursor ``after`` (from the previous page)."""
    limit = max(1, min(limit, MAX_PAGE))
    sort = filters.sort if filters.sort in SORTS else "priority"
    filters = replace(filters, sort=sort)
    column = _sort_column(sort)
    query: Any = (
        select(QueueItem, Post, Verdict, Source.name)
        .join(Post, Post.id == QueueItem.post_id)
        .join(Verdict, Verdict.id == QueueItem.verdict_id)
        .outerjoin(Source, Source.id == Post.source_id)
    )
    decoded = _decode_cursor(sort, after) if after else None
    if decoded is not None:
        value, last_id = decoded
        if sort == "priority" or sort == "score":  # value descending, id ascending
            query = query.where(column <= value, or_(column < value, QueueItem.id > last_id))
            order = (column.desc(), QueueItem.id.asc())
        else:
            query = query.where(column <= value, or_(column < value, QueueItem.id < last_id))
            order = (column.desc(), QueueItem.id.desc())
    else:
        order = (column.desc(), QueueItem.id.asc() if sort != "newest" else QueueItem.id.desc())
    statuses = filters.statuses()
    search = _search(session, filters.q)
    match = search.condition() if search is not None else None
    if sort == "priority" and statuses is not None and len(statuses) > 1:
        # one index range scan per status, merged here: an IN list would sort every open item instead
        merged: list[Any] = []
        for status in statuses:
            merged += session.execute(_filtered(query, replace(filters, status=status), match).order_by(*order)
                                      .limit(limit + 1)).all()
        merged.sort(key=lambda r: (-r[0].priority, r[0].id))
        result: Sequence[Any] = merged[:limit + 1]
    else:
        result = session.execute(_filtered(query, filters, match).order_by(*order).limit(limit + 1)).all()
    rows = [QueueRow(item, post, verdict, source) for item, post, verdict, source in result[:limit]]
    next_cursor = encode_cursor(sort, rows[-1]) if len(result) > limit and rows else None
    return QueuePage(rows=rows, next_cursor=next_cursor, filters=filters)


def count_matching(*, session: Session, filters: QueueFilters, cap: int = 10_000) -> int:
    """How many items match ``filters``, counting at most ``cap + 1`` (more than ``cap`` shows as "cap+"), so
    the count costs at most a bounded walk of the filters' index."""
    query: Any = select(QueueItem.id)
    if filters.source_id is not None or filters.platform or (filters.q and filters.q.strip()):
        query = query.join(Post, Post.id == QueueItem.post_id)
    # nothing to order by: the item's own copy of the score, so a score range is one walk of (status, score)
    unordered = replace(filters, sort="score")
    search = _search(session, filters.q)
    match = search.condition() if search is not None else None  # the walk stops after cap + 1 of a common word
    matching = _filtered(query, unordered, match).limit(cap + 1).subquery()
    return session.scalar(select(func.count()).select_from(matching)) or 0


def filter_options(*, session: Session) -> dict[str, list[Any]]:
    """Choices for the filter form: sources and platforms that exist."""
    sources = [(s.id, s.name) for s in session.execute(select(Source.id, Source.name).order_by(Source.name))]
    platforms = [p for (p,) in session.execute(select(Post.platform).distinct().order_by(Post.platform).limit(50))]
    return {"sources": sources, "platforms": platforms}


@dataclass(frozen=True)
class ClusterMember:
    post: Post
    source_name: str | None
    queue_item_id: int | None
    status: str | None


@dataclass(frozen=True)
class DecisionRow:
    decision: Decision
    username: str


@dataclass
class ItemDetail:
    item: QueueItem
    post: Post
    verdict: Verdict
    snapshot: Snapshot
    source_name: str | None
    assignee: str | None
    cluster: list[ClusterMember] = field(default_factory=list)
    cluster_total: int = 0
    pending_cluster_items: int = 0  # siblings a cluster decision may decide
    decisions: list[DecisionRow] = field(default_factory=list)


def item_detail(*, session: Session, item_id: int, cluster_limit: int = 50) -> ItemDetail | None:
    """A queue item with the snapshot its verdict was made on, its near-duplicate cluster and its history."""
    row = session.execute(
        select(QueueItem, Post, Verdict, Snapshot, Source.name)
        .join(Post, Post.id == QueueItem.post_id)
        .join(Verdict, Verdict.id == QueueItem.verdict_id)
        .join(Snapshot, Snapshot.id == Verdict.snapshot_id)
        .outerjoin(Source, Source.id == Post.source_id)
        .where(QueueItem.id == item_id)
    ).first() if valid_id(item_id) else None
    if row is None:
        return None
    item, post, verdict, snapshot, source_name = row
    assignee = session.scalar(select(User.username).where(User.id == item.assignee_id)) if item.assignee_id else None
    detail = ItemDetail(item=item, post=post, verdict=verdict, snapshot=snapshot, source_name=source_name,
                        assignee=assignee)
    if post.cluster_id is not None:
        members = session.execute(
            select(Post, Source.name, QueueItem.id, QueueItem.status)
            .outerjoin(Source, Source.id == Post.source_id)
            .outerjoin(QueueItem, QueueItem.post_id == Post.id)
            .where(Post.cluster_id == post.cluster_id, Post.id != post.id)
            .order_by(Post.id).limit(cluster_limit)
        ).all()
        detail.cluster = [ClusterMember(p, s, qid, st) for p, s, qid, st in members]
        detail.cluster_total = session.scalar(
            select(func.count()).select_from(Post).where(Post.cluster_id == post.cluster_id, Post.id != post.id)
        ) or 0
        detail.pending_cluster_items = session.scalar(
            select(func.count()).select_from(QueueItem).join(Post, Post.id == QueueItem.post_id)
            .where(Post.cluster_id == post.cluster_id, QueueItem.id != item.id, QueueItem.status == "pending")
        ) or 0
    detail.decisions = [DecisionRow(d, name) for d, name in session.execute(
        select(Decision, User.username).join(User, User.id == Decision.user_id)
        .where(Decision.queue_item_id == item.id).order_by(Decision.id)
    )]
    return detail


@dataclass(frozen=True)
class AuditPage:
    entries: list[AuditEntry]
    next_before: int | None


def audit_page(*, session: Session, before: int | None = None, actor: str | None = None,
               action: str | None = None, limit: int = 100, actions: Sequence[str] = (),
               hidden: Sequence[str] = (), since: datetime | None = None, until: datetime | None = None) -> AuditPage:
    """Audit entries newest first, keyset-paged by id; ``action`` matches a prefix (``decision.``). ``actions``
    keeps only these exact actions, ``hidden`` leaves these out; ``since``/``until`` bound the time (until:
    exclusive)."""
    limit = max(1, min(limit, MAX_PAGE))
    query = select(AuditEntry)
    actor, action = (actor or "").replace("\x00", ""), (action or "").replace("\x00", "")
    if before is not None and valid_id(before):
        query = query.where(AuditEntry.id < before)
    if actor:
        query = query.where(AuditEntry.actor == actor)
    if action:
        query = query.where(AuditEntry.action.like(_like(action)[1:], escape="\\"))
    if actions:
        query = query.where(AuditEntry.action.in_(actions))
    if hidden:
        query = query.where(AuditEntry.action.not_in(hidden))
    if since is not None:
        query = query.where(AuditEntry.at >= since)
    if until is not None:
        query = query.where(AuditEntry.at < until)
    entries = list(session.scalars(query.order_by(AuditEntry.id.desc()).limit(limit + 1)))
    more = len(entries) > limit
    entries = entries[:limit]
    return AuditPage(entries=entries, next_before=entries[-1].id if more and entries else None)
