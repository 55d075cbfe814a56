"""The JSON API: the same actions as the pages, signed in the same way (session cookie; X-CSRF-Token header on
POST). 401 when not signed in, 403 when the role does not allow it. Schema: /api/openapi.json."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Request
from pydantic import BaseModel, Field

from review import decisions
from review.browse import QueueRow, audit_page, count_matching, item_detail, queue_page
from review.comments import comments_on
from review.errors import NotFound
from service.explain import ensure_explained
from web.deps import AuditViewer, CurrentUser, DbSession, ItemViewer, QueueViewer, RuntimeDep, SignedIn
from web.params import OptionalRowIdQuery, RowId
from web.routes.items import claim_lease, undo_window
from web.routes.queue import COUNT_CAP, parse_filters
from web.security import AuthUser
from web.templating import merge_spans, safe_href

router = APIRouter(prefix="/api", tags=["review"])


class QueueEntry(BaseModel):
    id: int
    status: str
    priority: float
    score: float
    model_version: str
    post_id: int
    platform: str
    source: str | None
    url: str | None
    title: str | None
    excerpt: str
    published_at: datetime | None
    flagged_at: datetime
    category: str | None
    assignee_id: int | None
    lease_expires_at: datetime | None


class QueueList(BaseModel):
    items: list[QueueEntry]
    next_cursor: str | None = Field(None, description="pass as `after` for the next page")


class Evidence(BaseModel):
    term: str
    weight: float | None
    spans: list[tuple[int, int]]


class ClusterPost(BaseModel):
    post_id: int
    source: str | None
    url: str | None
    queue_item_id: int | None
    status: str | None


class DecisionOut(BaseModel):
    id: int
    action: str
    user: str
    category: str | None
    dismiss_reason: str | None
    justification: str
    reference_url: str | None
    supersedes_id: int | None
    created_at: datetime


class QueueCount(BaseModel):
    count: int = Field(description=f"items matching the filters, counted up to {COUNT_CAP + 1:,}")
    more: bool = Field(description=f"true when more than {COUNT_CAP:,} match (count is then {COUNT_CAP + 1:,})")


class CommentOut(BaseModel):
    id: int
    user: str
    text: str
    created_at: datetime


class ItemOut(BaseModel):
    id: int
    status: str
    priority: float
    category: str | None
    assignee: str | None
    lease_expires_at: datetime | None
    score: float
    threshold: float
    model_version: str
    snapshot_text: str
    snapshot_sha256: str
    captured_at: datetime
    evidence: list[Evidence]
    highlights: list[tuple[int, int]] = Field(description="merged [start, end) character offsets into the text")
    post_id: int
    platform: str
    source: str | None
    url: str | None
    author: str | None
    published_at: datetime | None
    like_count: int | None
    comment_count: int | None
    share_count: int | None
    view_count: int | None
    cluster: list[ClusterPost]
    cluster_total: int
    decisions: list[DecisionOut]
    comments: list[CommentOut]
    can_decide: bool = Field(description="whether the decide action would accept a decision from me now")
    decide_block: str | None = Field(description="why not, when it would not")
    undo_until: datetime | None = Field(None, description="until when I may undo the item's latest decision")


class DecideIn(BaseModel):
    action: Literal["confirm", "dismiss", "escalate", "skip"]
    category: str | None = Field(None, max_length=40)
    dismiss_reason: str | None = Field(None, max_length=40)
    justification: str = Field("", max_length=5000)
    reference_url: str | None = Field(None, max_length=2000)
    apply_to_cluster: bool = False


class LeftOut(BaseModel):
    item_id: int
    reason: str


class DecideOut(BaseModel):
    item_id: int
    status: str
    decision_ids: list[int]
    decided: list[int] = Field(default_factory=list, description="item ids decided (the named item first)")
    left: list[LeftOut] = Field(default_factory=list,
                                description="items of the cluster left as they were, and why")
    summary: str = ""


class AppealIn(BaseModel):
    reason: str = Field(max_length=5000)


class ReleasedOut(BaseModel):
    item_id: int
    released: bool = Field(description="false when nobody held the item")


class ClaimOut(BaseModel):
    item: ItemOut | None


class AuditOut(BaseModel):
    id: int
    at: datetime
    actor: str
    action: str
    target_type: str | None
    target_id: str | None
    details: dict[str, Any]


class AuditList(BaseModel):
    entries: list[AuditOut]
    next_before: int | None


class Me(BaseModel):
    id: int
    username: str
    role: str


def _entry(row: QueueRow) -> QueueEntry:
    item, post, verdict = row.item, row.post, row.verdict
    return QueueEntry(
        id=item.id, status=item.status, priority=item.priority, score=verdict.score,
        model_version=verdict.model_version, post_id=post.id, platform=post.platform, source=row.source_name,
        url=safe_href(post.url), title=post.title, excerpt=" ".join(post.text.split())[:280],
        published_at=post.published_at, flagged_at=item.created_at, category=item.category,
        assignee_id=item.assignee_id, lease_expires_at=item.lease_expires_at,
    )


def item_out(session: Any, item_id: int, user: AuthUser, undo: timedelta) -> ItemOut:
    """One item as the API shows it to ``user`` (``undo``: the undo window)."""
    d = item_detail(session=session, item_id=item_id)
    if d is None:
        raise NotFound("no queue item #%(id)s", id=item_id)
    block = decisions.decide_block(session, user.actor, d.item)
    text = d.snapshot.text
    evidence = []
    for f in d.verdict.features or []:
        if isinstance(f, dict):
            spans = [(int(s[0]), int(s[1])) for s in f.get("spans") or []
                     if isinstance(s, list | tuple) and len(s) == 2]
            weight = f.get("weight")
            evidence.append(Evidence(term=str(f.get("term", "")), spans=spans,
                                     weight=float(weight) if isinstance(weight, int | float) else None))
    return ItemOut(
        id=d.item.id, status=d.item.status, priority=d.item.priority, category=d.item.category,
        assignee=d.assignee, lease_expires_at=d.item.lease_expires_at, score=d.verdict.score,
        threshold=d.verdict.threshold, model_version=d.verdict.model_version, snapshot_text=text,
        snapshot_sha256=d.snapshot.sha256, captured_at=d.snapshot.captured_at, evidence=evidence,
        highlights=[(s, e) for s, e, _ in merge_spans(len(text), d.verdict.features)],
        post_id=d.post.id, platform=d.post.platform, source=d.source_name, url=safe_href(d.post.url),
        author=d.post.author_handle, published_at=d.post.published_at, like_count=d.post.like_count,
        comment_count=d.post.comment_count, share_count=d.post.share_count, view_count=d.post.view_count,
        cluster=[ClusterPost(post_id=m.post.id, source=m.source_name, url=safe_href(m.post.url),
                             queue_item_id=m.queue_item_id, status=m.status) for m in d.cluster],
        cluster_total=d.cluster_total,
        decisions=[DecisionOut(id=r.decision.id, action=r.decision.action, user=r.username,
                               category=r.decision.category, dismiss_reason=r.decision.dismiss_reason,
                               justification=r.decision.justification, reference_url=r.decision.reference_url,
                               supersedes_id=r.decision.supersedes_id, created_at=r.decision.created_at)
                   for r in d.decisions],
        comments=[CommentOut(id=c.id, user=c.username, text=c.text, created_at=c.created_at)
                  for c in comments_on(session, d.item.id)],
        can_decide=block is None, decide_block=block,
        undo_until=decisions.undo_deadline(session, user.actor, d.item, undo),
    )


@router.get("/me", response_model=Me, summary="Who I am signed in as")
def me(user: SignedIn) -> Me:
    return Me(id=user.id, username=user.username, role=user.role)


@router.get("/queue", response_model=QueueList, summary="Queue items with filters, keyset-paged",
            responses={422: {"description": "a filter that cannot be used (the message names it)"}})
def api_queue(
    request: Request, user: QueueViewer, session: DbSession,
    status: Annotated[str, Query(description="pending, open, escalated, appealed, confirmed, dismissed, all")]
    = "pending",
    sort: Annotated[str, Query(description="priority, newest or score")] = "priority",
    source: int | None = None, platform: str | None = None, score_min: float | None = None,
    score_max: float | None = None, date_from: str | None = None, date_to: str | None = None,
    category: str | None = None, q: str | None = None, after: Annotated[str | None, Query(max_length=200)] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> QueueList:
    filters = parse_filters(request.query_params, strict=True)
    page = queue_page(session=session, filters=filters, after=after, limit=limit)
    return QueueList(items=[_entry(r) for r in page.rows], next_cursor=page.next_cursor)


@router.get("/queue/count", response_model=QueueCount, summary=f"How many items match, up to {COUNT_CAP:,}",
            responses={422: {"description": "a filter that cannot be used (the message names it)"}})
def api_queue_count(request: Request, user: QueueViewer, session: DbSession) -> QueueCount:
    """The same filters as GET /api/queue. A selective filter walks every candidate item: a separate call, so
    a page of the queue never waits for it."""
    count = count_matching(session=session, filters=parse_filters(request.query_params, strict=True), cap=COUNT_CAP)
    return QueueCount(count=count, more=count > COUNT_CAP)


def claimed(runtime: RuntimeDep, user: AuthUser, *, cases: bool) -> ClaimOut:
    """Lease the next item (or case) to ``user`` and show it."""
    item_id = decisions.claim_next(runtime.db, user.actor, lease=claim_lease(runtime), cases=cases)
    if item_id is None:
        return ClaimOut(item=None)
    ensure_explained(runtime, [item_id])
    with runtime.db.session() as session:
        return ClaimOut(item=item_out(session, item_id, user, undo_window(runtime)))


@router.post("/queue/next", response_model=ClaimOut, summary="Lease the next item to me for claim_minutes")
def api_next(user: CurrentUser, runtime: RuntimeDep) -> ClaimOut:
    return claimed(runtime, user, cases=False)


@router.get("/items/{item_id}", response_model=ItemOut, summary="One item with its snapshot, evidence and comments")
def api_item(item_id: RowId, user: ItemViewer, session: DbSession, runtime: RuntimeDep) -> ItemOut:
    ensure_explained(runtime, [item_id])  # evidence still being computed is computed now
    return item_out(session, item_id, user, undo_window(runtime))


_REFUSALS: dict[int | str, dict[str, Any]] = {
    403: {"description": "your role may not do this"}, 404: {"description": "no such item"},
    409: {"description": "the rules or the item's state forbid it now (the message says why)"},
    422: {"description": "a value that cannot be used (the message says which)"}}


@router.post("/items/{item_id}/decide", response_model=DecideOut, responses=_REFUSALS,
             summary="Confirm, dismiss, escalate or skip an item (and, for confirm/dismiss, its cluster)")
def api_decide(item_id: RowId, body: DecideIn, user: CurrentUser, runtime: RuntimeDep) -> DecideOut:
    ensure_explained(runtime, [item_id])  # nobody decides without the evidence (the cluster's too)
    outcome = decisions.decide(runtime.db, user.actor, item_id, decisions.Choice(
        action=body.action, category=body.category, dismiss_reason=body.dismiss_reason,
        justification=body.justification, reference_url=body.reference_url, apply_to_cluster=body.apply_to_cluster))
    return decide_out(outcome)


def decide_out(outcome: decisions.DecisionOutcome) -> DecideOut:
    return DecideOut(item_id=outcome.item_id, status=outcome.status, decision_ids=outcome.decision_ids,
                     decided=outcome.decided, left=[LeftOut(item_id=x.item_id, reason=x.reason) for x in outcome.left],
                     summary=outcome.summary())


@router.post("/items/{item_id}/appeal", response_model=DecideOut, responses=_REFUSALS,
             summary="Reopen a confirmed item; a person who took no part in the case decides it again")
def api_appeal(item_id: RowId, body: AppealIn, user: CurrentUser, runtime: RuntimeDep) -> DecideOut:
    decision_id = decisions.appeal(runtime.db, user.actor, item_id, body.reason)
    return DecideOut(item_id=item_id, status="appealed", decision_ids=[decision_id], decided=[item_id],
                     summary="appealed")


@router.post("/items/{item_id}/release", response_model=ReleasedOut, responses=_REFUSALS,
             summary="Give an item I hold back to the queue")
def api_release(item_id: RowId, user: CurrentUser, runtime: RuntimeDep) -> ReleasedOut:
    return ReleasedOut(item_id=item_id, released=decisions.release(runtime.db, user.actor, item_id))


@router.get("/audit", response_model=AuditList, summary="Audit log, newest first (admin)")
def api_audit(user: AuditViewer, session: DbSession, before: OptionalRowIdQuery = None,
              actor: Annotated[str | None, Query(max_length=64)] = None,
              action: Annotated[str | None, Query(max_length=64)] = None,
              limit: Annotated[int, Query(ge=1, le=200)] = 100) -> AuditList:
    page = audit_page(session=session, before=before, actor=actor, action=action, limit=limit)
    return AuditList(entries=[AuditOut(id=e.id, at=e.at, actor=e.actor, action=e.action, target_type=e.target_type,
                                       target_id=e.target_id, details=e.details or {}) for e in page.entries],
                     next_before=page.next_before)
