"""One queued item: the snapshot with highlighted evidence, its cluster and history; decide, appeal, release.

Every decision goes through ``review.decisions``, which checks the role, the lease, who took part in the case
and the item's state; these routes only translate the form and show the outcome or the refusal.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response

from review import decisions
from review.browse import ItemDetail, item_detail
from review.errors import ActionError, NotFound
from review.permissions import allowed
from review.policy import OPEN_STATUSES
from store.types import utcnow
from web.deps import CurrentUser, ItemViewer, RuntimeDep
from web.errors import status_for
from web.params import RowId
from web.render import is_htmx, render
from web.security import AuthUser

router = APIRouter(include_in_schema=False)


def load_detail(runtime: Any, user: AuthUser, item_id: int) -> tuple[ItemDetail, str | None]:
    """The item and, when the form is not for this person, why (the decide action's own rules)."""
    with runtime.db.session() as session:
        detail = item_detail(session=session, item_id=item_id)
        if detail is None:
            raise NotFound(f"There is no queue item #{item_id}.")
        block = decisions.decide_block(session, user.actor, detail.item)
    return detail, block


def item_context(detail: ItemDetail, block: str | None, user: AuthUser, **extra: Any) -> dict[str, Any]:
    item = detail.item
    now = utcnow()
    live = bool(item.lease_expires_at and item.lease_expires_at > now)
    context = {
        "d": detail, "item": item, "post": detail.post, "verdict": detail.verdict, "snapshot": detail.snapshot,
        "evidence": detail.verdict.features or [],
        "can_decide": block is None and item.status in OPEN_STATUSES, "decide_block": block,
        "can_appeal": allowed(user.role, "item.appeal") and item.status == "confirmed",
        "leased_to_other": live and item.assignee_id not in (None, user.id),
        "mine": live and item.assignee_id == user.id,
        "form": {}, "decision_error": None, "appeal_error": None, "appealed": False, "outcome": None,
    }
    context.update(extra)
    return context


def _item_page(request: Request, runtime: Any, user: AuthUser, item_id: int, *, status_code: int = 200,
               block_only: bool = False, **extra: Any) -> Response:
    detail, block = load_detail(runtime, user, item_id)
    context = item_context(detail, block, user, **extra)
    return render(request, "item.html", context, user=user, status_code=status_code,
                  block="decision" if block_only else None)


@router.get("/items/{item_id}")
def item_page(request: Request, item_id: RowId, user: ItemViewer, runtime: RuntimeDep) -> Response:
    return _item_page(request, runtime, user, item_id, appealed=request.query_params.get("appealed") == "1")


def _go(request: Request, url: str) -> Response:
    if is_htmx(request):
        return Response(status_code=204, headers={"HX-Redirect": url})
    return RedirectResponse(url, status_code=303)


@router.post("/items/{item_id}/decide")
def decide_item(
    request: Request, item_id: RowId, user: CurrentUser, runtime: RuntimeDep,
    action: Annotated[str, Form(max_length=16)],
    category: Annotated[str, Form(max_length=40)] = "",
    dismiss_reason: Annotated[str, Form(max_length=40)] = "",
    justification: Annotated[str, Form(max_length=5000)] = "",
    reference_url: Annotated[str, Form(max_length=2000)] = "",
    apply_to_cluster: Annotated[str, Form(max_length=8)] = "",
) -> Response:
    choice = decisions.Choice(action=action, category=category or None, dismiss_reason=dismiss_reason or None,
                              justification=justification, reference_url=reference_url or None,
                              apply_to_cluster=apply_to_cluster in ("1", "on"))
    try:
        outcome = decisions.decide(runtime.db, user.actor, item_id, choice)
        following = None
        if action == "skip":  # skipping moves straight on to the next item
            lease = timedelta(minutes=runtime.config.settings.claim_minutes)
            following = decisions.claim_next(runtime.db, user.actor, lease=lease)
    except ActionError as exc:
        if status_for(exc) in (403, 404):
            raise
        form = {"action": action, "category": category, "dismiss_reason": dismiss_reason,
                "justification": justification, "reference_url": reference_url}
        return _item_page(request, runtime, user, item_id, status_code=status_for(exc), block_only=is_htmx(request),
                          decision_error=str(exc), form=form)
    if action == "skip":
        return _go(request, f"/items/{following}" if following else "/queue?empty=1")
    if outcome.left:  # some of the cluster was left: say which and why before moving on
        if is_htmx(request):
            return _item_page(request, runtime, user, item_id, block_only=True, outcome=outcome)
        return _item_page(request, runtime, user, item_id, outcome=outcome)
    return _go(request, f"/queue?done={item_id}&action={action}")


@router.post("/items/{item_id}/appeal")
def appeal_item(
    request: Request, item_id: RowId, user: CurrentUser, runtime: RuntimeDep,
    reason: Annotated[str, Form(max_length=5000)] = "",
) -> Response:
    try:
        decisions.appeal(runtime.db, user.actor, item_id, reason)
    except ActionError as exc:
        if status_for(exc) in (403, 404):
            raise
        return _item_page(request, runtime, user, item_id, status_code=status_for(exc), appeal_error=str(exc))
    return _go(request, f"/items/{item_id}?appealed=1")


@router.post("/items/{item_id}/release")
def release_item(request: Request, item_id: RowId, user: CurrentUser, runtime: RuntimeDep) -> Response:
    """Give a claimed item back to the queue without deciding."""
    decisions.release(runtime.db, user.actor, item_id)
    return _go(request, "/queue")
