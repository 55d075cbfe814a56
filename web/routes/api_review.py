"""JSON API of the decision flow: undo, comments, bulk decisions, the reviewers' queue of escalations and appeals,
and saved filters. The same actions as the pages; refusals answer like every other API call (403, 404, 409,
422 with ``{"detail": "..."}``)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Path, Query, Response
from pydantic import BaseModel, Field

from review import decisions
from review.bulk import MAX_BULK, decide_many, selection
from review.cases import open_cases
from review.comments import MAX_COMMENT, add_comment
from review.errors import InvalidInput
from review.saved_filters import FILTER_KEYS, delete_filter, my_filters, save_filter
from service.explain import ensure_explained
from web.deps import CaseViewer, CurrentUser, DbSession, RuntimeDep
from web.params import RowId
from web.routes.api import ClaimOut, CommentOut, DecideOut, LeftOut, claimed, decide_out
from web.routes.items import claim_lease, undo_window
from web.routes.queue import parse_filters

router = APIRouter(prefix="/api", tags=["review"])

_REFUSALS: dict[int | str, dict[str, Any]] = {
    403: {"description": "your role may not do this"}, 404: {"description": "no such item"},
    409: {"description": "the rules or the item's state forbid it now (the message says why)"},
    422: {"description": "a value that cannot be used (the message says which)"}}


@router.post("/items/{item_id}/undo", response_model=DecideOut, responses=_REFUSALS,
             summary="Undo my latest confirmation, dismissal or escalation of an item (within undo_seconds, "
                     "never once exported); the item is held for me again")
def api_undo(item_id: RowId, user: CurrentUser, runtime: RuntimeDep) -> DecideOut:
    return decide_out(decisions.undo(runtime.db, user.actor, item_id, window=undo_window(runtime),
                                     lease=claim_lease(runtime)))


class CommentIn(BaseModel):
    text: str = Field(max_length=MAX_COMMENT)


@router.post("/items/{item_id}/comments", response_model=CommentOut, status_code=201, responses=_REFUSALS,
             summary="Comment on an item (about the post, not a person; never exported)")
def api_comment(item_id: RowId, body: CommentIn, user: CurrentUser, runtime: RuntimeDep) -> CommentOut:
    c = add_comment(runtime.db, user.actor, item_id, body.text)
    return CommentOut(id=c.id, user=c.username, text=c.text, created_at=c.created_at)


class BulkIn(BaseModel):
    action: Literal["confirm", "dismiss"]
    category: str | None = Field(None, max_length=40)
    dismiss_reason: str | None = Field(None, max_length=40)
    justification: str = Field("", max_length=5000)
    reference_url: str | None = Field(None, max_length=2000)
    item_ids: list[int] | None = Field(None, max_length=MAX_BULK, description="these items ...")
    filters: dict[str, str] | None = Field(None, description="... or the items the queue shows for these filters "
                                           f"(as GET /api/queue takes them; at most {MAX_BULK} may match)")


class BulkOut(BaseModel):
    decided: list[int]
    left: list[LeftOut]
    summary: str


@router.post("/queue/bulk", response_model=BulkOut, responses=_REFUSALS,
             summary=f"Confirm or dismiss up to {MAX_BULK} items, each through the same rules as one at a time")
def api_bulk(body: BulkIn, user: CurrentUser, runtime: RuntimeDep) -> BulkOut:
    if (body.item_ids is None) == (body.filters is None):
        raise InvalidInput("give either item_ids or filters")
    if body.filters is not None:
        unknown = sorted(set(body.filters) - set(FILTER_KEYS))
        if unknown:
            raise InvalidInput("unknown filter %(v1)s; filters are: %(v2)s", v1=", ".join(unknown),
                                   v2=", ".join(FILTER_KEYS))
        ids = [row.item.id for row in selection(runtime.db, user.actor, parse_filters(body.filters, strict=True))]
    else:
        ids = body.item_ids or []
    ensure_explained(runtime, ids[:MAX_BULK])  # nobody decides without the evidence
    outcome = decide_many(runtime.db, user.actor, ids, decisions.Choice(
        action=body.action, category=body.category, dismiss_reason=body.dismiss_reason,
        justification=body.justification, reference_url=body.reference_url))
    return BulkOut(decided=outcome.decided, left=[LeftOut(item_id=x.item_id, reason=x.reason) for x in outcome.left],
                   summary=outcome.summary())


class CaseOut(BaseModel):
    item_id: int
    status: str
    score: float
    priority: float
    excerpt: str
    opened_by: str | None = Field(description="who escalated or appealed it")
    opened_at: datetime | None
    note: str = Field(description="the escalation note or the appeal reason")
    assignee: str | None


class CaseList(BaseModel):
    cases: list[CaseOut]
    total: int


@router.get("/cases", response_model=CaseList, summary="Escalated and appealed items, most urgent first (reviewer)")
def api_cases(user: CaseViewer, session: DbSession,
              limit: Annotated[int, Query(ge=1, le=200)] = 200) -> CaseList:
    page = open_cases(session=session, limit=limit)
    return CaseList(total=page.total, cases=[CaseOut(
        item_id=c.item.id, status=c.item.status, score=c.verdict.score, priority=c.item.priority,
        excerpt=" ".join(c.post.text.split())[:280], opened_by=c.opened_by, opened_at=c.opened_at, note=c.note,
        assignee=c.assignee) for c in page.cases])


@router.post("/cases/next", response_model=ClaimOut, summary="Lease the next escalation or appeal to me")
def api_next_case(user: CurrentUser, runtime: RuntimeDep) -> ClaimOut:
    return claimed(runtime, user, cases=True)


class SavedOut(BaseModel):
    name: str
    params: dict[str, str]
    created_at: datetime


class SavedIn(BaseModel):
    params: dict[str, str] = Field(description=f"queue filters: {', '.join(FILTER_KEYS)}")


@router.get("/filters", response_model=list[SavedOut], summary="My saved queue filters")
def api_filters(user: CurrentUser, runtime: RuntimeDep) -> list[SavedOut]:
    return [SavedOut(name=f.name, params=f.params, created_at=f.created_at)
            for f in my_filters(runtime.db, user.actor)]


@router.put("/filters/{name}", response_model=SavedOut, responses=_REFUSALS,
            summary="Save queue filters under a name (replacing a filter of that name)")
def api_save_filter(name: Annotated[str, Path(max_length=100)], body: SavedIn, user: CurrentUser,
                    runtime: RuntimeDep) -> SavedOut:
    saved = save_filter(runtime.db, user.actor, name, body.params)
    return SavedOut(name=saved.name, params=saved.params, created_at=saved.created_at)


@router.delete("/filters/{name}", status_code=204, responses=_REFUSALS, summary="Delete one of my saved filters")
def api_delete_filter(name: str, user: CurrentUser, runtime: RuntimeDep) -> Response:
    delete_filter(runtime.db, user.actor, name[:200])
    return Response(status_code=204)
