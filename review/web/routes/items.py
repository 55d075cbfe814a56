"""One queued item: the snapshot with highlighted evidence, its cluster and history; decide and appeal."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Form, HTTPException, Request
from fastapi.responses import RedirectResponse, Response

from review.browse import ItemDetail, item_detail
from review.policy import OPEN_STATUSES
from review.queue import DecisionError, appeal, claim_next, decide, release
from review.web.deps import Analyst, Appealer, ItemViewer, RuntimeDep
from review.web.permissions import APPEAL, REVIEW, allowed
from review.web.render import is_htmx, render
from review.web.security import AuthUser
from store.models import QueueItem, User
from store.types import utcnow

router = APIRouter(include_in_schema=False)

DECISION_ACTIONS = ("confirm", "dismiss", "escalate", "skip")


def load_detail(runtime: Any, item_id: int) -> ItemDetail:
    with runtime.db.session() as session:
        detail = item_detail(session=session, item_id=item_id)
    if detail is None:
        raise HTTPException(404, f"There is no queue item #{item_id}.")
    return detail


def item_context(detail: ItemDetail, user: AuthUser, **extra: Any) -> dict[str, Any]:
    item = detail.item
    now = utcnow()
    leased_to_other = bool(item.assignee_id not in (None, user.id) and item.lease_expires_at
                           and item.lease_expires_at > now)
    mine = bool(item.assignee_id == user.id and item.lease_expires_at and item.lease_expires_at > now)
    context = {
        "d": detail, "item": item, "post": detail.post, "verdict": detail.verdict, "snapshot": detail.snapshot,
        "evidence": detail.verdict.features or [],
        "can_decide": allowed(user.role, REVIEW) and item.status in OPEN_STATUSES and not leased_to_other,
        "can_appeal": allowed(user.role, APPEAL) and item.status == "confirmed",
        "leased_to_other": leased_to_other, "mine": mine, "form": {}, "decision_error": None, "appeal_error": None,
        "appealed": False,
    }
    context.update(extra)
    return context


@router.get("/items/{item_id}")
def item_page(request: Request, item_id: int, user: ItemViewer, runtime: RuntimeDep) -> Response:
    detail = load_detail(runtime, item_id)
    appealed = request.query_params.get("appealed") == "1"
    return render(request, "item.html", item_context(detail, user, appealed=appealed), user=user)


def _after_decision(request: Request, url: str) -> Response:
    if is_htmx(request):
        return Response(status_code=204, headers={"HX-Redirect": url})
    return RedirectResponse(url, status_code=303)


@router.post("/items/{item_id}/decide")
def decide_item(
    request: Request, item_id: int, user: Analyst, runtime: RuntimeDep,
    action: Annotated[str, Form(max_length=16)],
    category: Annotated[str, Form(max_length=40)] = "",
    dismiss_reason: Annotated[str, Form(max_length=40)] = "",
    justification: Annotated[str, Form(max_length=5000)] = "",
    reference_url: Annotated[str, Form(max_length=2000)] = "",
    apply_to_cluster: Annotated[str, Form(max_length=8)] = "",
) -> Response:
    error = None
    next_id = None
    try:
        with runtime.db.write() as session:
            item = session.get(QueueItem, item_id)
            if item is None:
                raise HTTPException(404, f"There is no queue item #{item_id}.")
            me = session.get(User, user.id)
            assert me is not None
            decide(session=session, item=item, user=me, action=action, category=category or None,
                   dismiss_reason=dismiss_reason or None, justification=justification,
                   reference_url=reference_url.strip() or None, apply_to_cluster=apply_to_cluster in ("1", "on"))
            if action == "skip":  # skipping moves straight on to the next item
                lease = timedelta(minutes=runtime.config.settings.claim_minutes)
                following = claim_next(session=session, user=me, lease=lease)
                next_id = following.id if following else None
    except DecisionError as exc:
        error = str(exc)
    if error is not None:
        form = {"action": action, "category": category, "dismiss_reason": dismiss_reason,
                "justification": justification, "reference_url": reference_url}
        context = item_context(load_detail(runtime, item_id), user, decision_error=error, form=form)
        if is_htmx(request):
            return render(request, "item.html", context, user=user, block="decision", status_code=422)
        return render(request, "item.html", context, user=user, status_code=422)
    if action == "skip":
        return _after_decision(request, f"/items/{next_id}" if next_id else "/queue?empty=1")
    return _after_decision(request, f"/queue?done={item_id}&action={action}")


@router.post("/items/{item_id}/appeal")
def appeal_item(
    request: Request, item_id: int, user: Appealer, runtime: RuntimeDep,
    reason: Annotated[str, Form(max_length=5000)] = "",
) -> Response:
    error = None
    try:
        with runtime.db.write() as session:
            item = session.get(QueueItem, item_id)
            if item is None:
                raise HTTPException(404, f"There is no queue item #{item_id}.")
            me = session.get(User, user.id)
            assert me is not None
            appeal(session=session, item=item, user=me, reason=reason)
    except DecisionError as exc:
        error = str(exc)
    if error is not None:
        context = item_context(load_detail(runtime, item_id), user, appeal_error=error)
        return render(request, "item.html", context, user=user, status_code=422)
    return _after_decision(request, f"/items/{item_id}?appealed=1")


@router.post("/items/{item_id}/release")
def release_item(request: Request, item_id: int, user: Analyst, runtime: RuntimeDep) -> Response:
    """Give a claimed item back to the queue without deciding."""
    with runtime.db.write() as session:
        item = session.get(QueueItem, item_id)
        if item is None:
            raise HTTPException(404, f"There is no queue item #{item_id}.")
        release(session=session, item=item, user=session.get(User, user.id))  # type: ignore[arg-type]
    return _after_decision(request, "/queue")
