"""JSON API of takedown requests: list (filters, overdue), one with its check history, a status change with a
note, and the compliance summary. The same actions as the Takedowns page and ``kiemtin takedowns``; times are
UTC (ISO 8601)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field

from review.compliance import compliance
from review.takedowns import MAX_NOTE, get_request, list_requests, mark
from web.deps import CurrentUser, RuntimeDep
from web.params import RowId

router = APIRouter(prefix="/api", tags=["takedowns"])

_REFUSALS: dict[int | str, dict[str, Any]] = {
    403: {"description": "your role may not do this"}, 404: {"description": "no such request"},
    409: {"description": "the request's status cannot change that way (the message says why)"},
    422: {"description": "a value that cannot be used (the message says which)"}}


@router.get("/takedowns", summary="Takedown requests, the nearest deadline first", responses=_REFUSALS)
def api_takedowns(user: CurrentUser, runtime: RuntimeDep,
                  status: Annotated[str | None, Query(max_length=20)] = None, overdue: bool = False,
                  recipient: Annotated[str | None, Query(max_length=200)] = None,
                  limit: Annotated[int, Query(ge=1, le=1000)] = 200,
                  offset: Annotated[int, Query(ge=0, le=10_000_000)] = 0) -> list[dict[str, Any]]:
    return [r.as_json() for r in list_requests(runtime.db, actor=user.actor, status=status, overdue=overdue,
                                               recipient=recipient, limit=limit, offset=offset)]


@router.get("/takedowns/compliance", summary="Per recipient and month: sent, removed in time, median hours ...",
            responses=_REFUSALS)
def api_compliance(user: CurrentUser, runtime: RuntimeDep) -> list[dict[str, Any]]:
    return [row.__dict__ for row in compliance(runtime.db, actor=user.actor)]


@router.get("/takedowns/{request_id}", summary="One request with its check history", responses=_REFUSALS)
def api_takedown(request_id: RowId, user: CurrentUser, runtime: RuntimeDep) -> dict[str, Any]:
    return get_request(runtime.db, actor=user.actor, request_id=request_id).as_json()


class MarkIn(BaseModel):
    status: str = Field(max_length=20)
    note: str = Field(max_length=MAX_NOTE)
    ref: str | None = Field(None, max_length=200, description="the recipient's own reference number")


@router.post("/takedowns/{request_id}/mark", summary="Change a request's status, with a note saying why",
             responses=_REFUSALS)
def api_mark(request_id: RowId, body: MarkIn, user: CurrentUser, runtime: RuntimeDep) -> dict[str, Any]:
    return mark(runtime.db, actor=user.actor, request_id=request_id, status=body.status, note=body.note,
                recipient_ref=body.ref, watch_days=runtime.config.settings.takedown_watch_days).as_json()
