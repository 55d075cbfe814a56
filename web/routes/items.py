"""One queued item: the snapshot with highlighted evidence, its cluster, history and comments; decide, undo,
appeal, release, comment.

Every decision goes through ``review.decisions``, which checks the role, the lease, who took part in the case
and the item's state; these routes only translate the form and show the outcome or the refusal. After a
confirmation, dismissal or escalation the next item opens (from the queue the item came from), with Undo.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response

from review import decisions
from review.browse import ItemDetail, item_detail
from review.claims import ClaimInput, add_claim, claim_notes, link_item
from review.comments import Comment, add_comment, comments_on
from review.errors import ActionError, NotFound
from review.evidence import list_evidence
from review.permissions import allowed
from review.policy import OPEN_STATUSES, REDECIDED_STATUSES, UNDOABLE_ACTIONS
from review.takedowns import list_requests
from service.explain import ensure_explained
from service.runtime import Runtime
from store.models import Snapshot
from store.types import utcnow
from web.deps import CurrentUser, ItemViewer, RuntimeDep
from web.errors import form_refusal_status
from web.params import RowId
from web.render import is_htmx, render
from web.security import AuthUser

router = APIRouter(include_in_schema=False)


def undo_window(runtime: Runtime) -> timedelta:
    return timedelta(seconds=runtime.config.settings.undo_seconds)


def claim_lease(runtime: Runtime) -> timedelta:
    return timedelta(minutes=runtime.config.settings.claim_minutes)


def load_detail(runtime: Runtime, user: AuthUser, item_id: int
                ) -> tuple[ItemDetail, ActionError | None, datetime | None, list[Comment]]:
    """The item; when the form is not for this person, why (the decide action's own rules); until when they may
    undo its latest decision; its comments. Evidence still being computed is computed first."""
    ensure_explained(runtime, [item_id])
    with runtime.db.session() as session:
        detail = item_detail(session=session, item_id=item_id)
        if detail is None:
            raise NotFound("There is no queue item #%(id)s.", id=item_id)
        changed = decisions.changed_text(session, detail.item)
        snapshot = session.get(Snapshot, changed) if changed is not None else None
        if snapshot is not None:  # the text a re-check saw changed is what the person decides on
            detail = replace(detail, snapshot=snapshot)
        block = decisions.decide_refusal_for(session, user.actor, detail.item)
        undo_until = decisions.undo_deadline(session, user.actor, detail.item, undo_window(runtime))
        comments = comments_on(session, detail.item.id)
    return detail, block, undo_until, comments


def item_context(detail: ItemDetail, block: ActionError | None, user: AuthUser, **extra: Any) -> dict[str, Any]:
    item = detail.item
    now = utcnow()
    live = bool(item.lease_expires_at and item.lease_expires_at > now)
    context = {
        "d": detail, "item": item, "post": detail.post, "verdict": detail.verdict, "snapshot": detail.snapshot,
        "evidence": [] if changed_text(detail) else detail.verdict.features or [],
        "changed_text": changed_text(detail),
        "can_decide": block is None and item.status in OPEN_STATUSES, "decide_block": block,
        "can_appeal": allowed(user.role, "item.appeal") and item.status == "confirmed",
        "can_comment": allowed(user.role, "item.comment"),
        "can_cases": allowed(user.role, "case.decide"),
        "is_case": item.status in REDECIDED_STATUSES,
        "leased_to_other": live and item.assignee_id not in (None, user.id),
        "mine": live and item.assignee_id == user.id,
        "form": {}, "decision_error": None, "appeal_error": None, "comment_error": None, "appealed": False,
        "outcome": None, "undo_until": None, "comments": [], "just_decided": None, "undone": False,
        "comment_text": "", "case_note": case_note(detail),
    }
    context.update(extra)
    return context


def changed_text(detail: ItemDetail) -> bool:
    """The page shows the text a takedown re-check saw changed, not the one the model scored (so no evidence
    spans: they point into the other text)."""
    return detail.snapshot.id != detail.verdict.snapshot_id


def case_note(detail: ItemDetail) -> Any:
    """The appeal or escalation that put an open item in the reviewers' queue (an undone one does not count)."""
    if detail.item.status not in REDECIDED_STATUSES:
        return None
    undone = {row.decision.supersedes_id for row in detail.decisions if row.decision.action == "undo"}
    return next((row for row in reversed(detail.decisions)
                 if row.decision.action in ("appeal", "escalate") and row.decision.id not in undone), None)


def _claims_context(runtime: Runtime, user: AuthUser, detail: ItemDetail, extra: dict[str, Any]) -> dict[str, Any]:
    """The claims the item's post matched or was linked to; the best one pre-fills the confirm form's category and
    reference (a person still chooses and confirms)."""
    with runtime.db.session() as session:
        notes = claim_notes(session, [detail.post.id]).get(detail.post.id, [])
    context: dict[str, Any] = {"claim_notes": notes, "can_make_claims": allowed(user.role, "claim.manage")}
    if notes and "form" not in extra:
        context["form"] = {"category": notes[0].category or "", "reference_url": notes[0].review_url or ""}
    return context


def _item_page(request: Request, runtime: Runtime, user: AuthUser, item_id: int, *, status_code: int = 200,
               block_only: bool = False, **extra: Any) -> Response:
    detail, block, undo_until, comments = load_detail(runtime, user, item_id)
    extra = {**extra, **_claims_context(runtime, user, detail, extra)}
    context = item_context(detail, block, user, undo_until=undo_until, comments=comments, **extra)
    context["archives"] = list_evidence(runtime.db, actor=user.actor, post_id=detail.post.id)
    context["takedowns"] = (list_requests(runtime.db, actor=user.actor, post_id=detail.post.id)
                            if allowed(user.role, "takedown.view") else [])
    return render(request, "item.html", context, user=user, status_code=status_code,
                  block="decision" if block_only else None)


def _shown_again(request: Request, runtime: Runtime, user: AuthUser, item_id: int, exc: ActionError,
                 **extra: Any) -> Response:
    """A form's refusal: the item page again with the reason beside the form (403 and 404 as error pages)."""
    return _item_page(request, runtime, user, item_id, status_code=form_refusal_status(exc), **extra)


def just_decided(params: Any) -> dict[str, Any] | None:
    """The decision the person made just before this page ("decided=41&did=confirm"), for its Undo banner."""
    raw, did = params.get("decided", ""), params.get("did", "")
    if raw.isdigit() and len(raw) < 19 and did in UNDOABLE_ACTIONS:
        return {"item_id": int(raw), "action": did}
    return None


@router.get("/items/{item_id}")
def item_page(request: Request, item_id: RowId, user: ItemViewer, runtime: RuntimeDep) -> Response:
    params = request.query_params
    return _item_page(request, runtime, user, item_id, appealed=params.get("appealed") == "1",
                      just_decided=just_decided(params), undone=params.get("undone") == "1")


def go(request: Request, url: str) -> Response:
    """Open ``url`` next: a redirect, or for htmx a full-page navigation."""
    if is_htmx(request):
        return Response(status_code=204, headers={"HX-Redirect": url})
    return RedirectResponse(url, status_code=303)


def _after(request: Request, runtime: Runtime, user: AuthUser, outcome: decisions.DecisionOutcome) -> Response:
    """After a decision, the next item from the queue the item came from (with Undo for what was just done)."""
    cases = outcome.status_before in REDECIDED_STATUSES
    if outcome.action == "skip":
        following = decisions.claim_next(runtime.db, user.actor, lease=claim_lease(runtime), cases=cases)
        return go(request, f"/items/{following}" if following else ("/cases?empty=1" if cases else "/queue?empty=1"))
    try:
        following = decisions.claim_next(runtime.db, user.actor, lease=claim_lease(runtime), cases=cases)
    except ActionError:  # the decision is made; if no next item can be claimed now (a role changed), the list opens
        following = None
    done = f"decided={outcome.item_id}&did={outcome.action}"
    if following:
        return go(request, f"/items/{following}?{done}")
    return go(request, f"/cases?empty=1&{done}" if cases else f"/queue?empty=1&{done}")


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
        ensure_explained(runtime, [item_id])  # nobody decides without the evidence (the cluster's too)
        outcome = decisions.decide(runtime.db, user.actor, item_id, choice)
    except ActionError as exc:
        form = {"action": action, "category": category, "dismiss_reason": dismiss_reason,
                "justification": justification, "reference_url": reference_url}
        return _shown_again(request, runtime, user, item_id, exc, block_only=is_htmx(request),
                            decision_error=exc, form=form)
    if outcome.left:  # some of the cluster was left: say which and why before moving on
        return _item_page(request, runtime, user, item_id, block_only=is_htmx(request), outcome=outcome)
    return _after(request, runtime, user, outcome)


@router.post("/items/{item_id}/undo")
def undo_item(request: Request, item_id: RowId, user: CurrentUser, runtime: RuntimeDep) -> Response:
    """Undo my latest decision on the item (within ``undo_seconds``); the item is then mine to decide again."""
    outcome = decisions.undo(runtime.db, user.actor, item_id, window=undo_window(runtime),
                             lease=claim_lease(runtime))
    if outcome.left:
        return _item_page(request, runtime, user, item_id, undone=True, outcome=outcome)
    return go(request, f"/items/{item_id}?undone=1")


@router.post("/items/{item_id}/appeal")
def appeal_item(
    request: Request, item_id: RowId, user: CurrentUser, runtime: RuntimeDep,
    reason: Annotated[str, Form(max_length=5000)] = "",
) -> Response:
    try:
        decisions.appeal(runtime.db, user.actor, item_id, reason)
    except ActionError as exc:
        return _shown_again(request, runtime, user, item_id, exc, appeal_error=exc)
    return go(request, f"/items/{item_id}?appealed=1")


@router.post("/items/{item_id}/comments")
def comment_item(
    request: Request, item_id: RowId, user: CurrentUser, runtime: RuntimeDep,
    text: Annotated[str, Form(max_length=5000)] = "",
) -> Response:
    try:
        comment = add_comment(runtime.db, user.actor, item_id, text)
    except ActionError as exc:
        return _shown_again(request, runtime, user, item_id, exc, comment_error=exc, comment_text=text)
    return go(request, f"/items/{item_id}#comment-{comment.id}")


@router.post("/items/{item_id}/release")
def release_item(request: Request, item_id: RowId, user: CurrentUser, runtime: RuntimeDep) -> Response:
    """Give a claimed item back to the queue without deciding."""
    decisions.release(runtime.db, user.actor, item_id)
    return go(request, "/queue")


@router.post("/items/{item_id}/claims")
def claim_from_item(
    request: Request, item_id: RowId, user: CurrentUser, runtime: RuntimeDep,
    text: Annotated[str, Form(max_length=5000)] = "",
    verdict: Annotated[str, Form(max_length=20)] = "false",
    review_url: Annotated[str, Form(max_length=2000)] = "",
    summary: Annotated[str, Form(max_length=5000)] = "",
) -> Response:
    """Make a claim from this (confirmed) item: its post is linked, its category carried over."""
    try:
        claim = add_claim(runtime.db, user.actor, ClaimInput(text=text, verdict=verdict, review_url=review_url or None,
                                                             summary=summary), from_item_id=item_id)
    except ActionError as exc:
        return _shown_again(request, runtime, user, item_id, exc, claim_error=exc,
                            claim_form={"text": text, "verdict": verdict, "review_url": review_url,
                                        "summary": summary})
    return go(request, f"/items/{item_id}?claimed={claim.id}#claims")


@router.post("/items/{item_id}/claims/link")
def link_item_to_claim(
    request: Request, item_id: RowId, user: CurrentUser, runtime: RuntimeDep,
    claim_id: Annotated[int, Form(ge=1, le=2**63 - 1)],
) -> Response:
    """Link this item's post to a claim (a person's judgement that the post repeats it)."""
    try:
        link_item(runtime.db, user.actor, claim_id, item_id)
    except ActionError as exc:
        return _shown_again(request, runtime, user, item_id, exc, claim_error=exc)
    return go(request, f"/items/{item_id}#claims")
