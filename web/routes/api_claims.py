"""JSON API of claims, narratives and alerts: the same actions as the pages and the command line; refusals answer
like every other API call (403, 404, 409, 422 with ``{"detail": "..."}``)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel, Field

from review.claimreview import to_record
from review.claims import MAX_CLAIM_TEXT, ClaimInput, add_claim, link_item, list_claims
from review.narratives import alerts, narratives
from service.claim_matching import match_texts
from web.deps import CurrentUser, RuntimeDep
from web.params import RowId

router = APIRouter(prefix="/api", tags=["claims"])

_REFUSALS: dict[int | str, dict[str, Any]] = {
    403: {"description": "your role may not do this"}, 404: {"description": "no such claim or item"},
    409: {"description": "the rules or the state forbid it now (the message says why)"},
    422: {"description": "a value that cannot be used (the message says which)"}}


class ClaimIn(BaseModel):
    text: str = Field(max_length=MAX_CLAIM_TEXT)
    verdict: str = Field("false", max_length=20)
    rating: str = Field("", max_length=100)
    summary: str = Field("", max_length=5000)
    review_url: str | None = Field(None, max_length=2000)
    publisher: str = Field("", max_length=200)
    category: str | None = Field(None, max_length=40)
    from_item_id: int | None = Field(None, ge=1, le=2**63 - 1, description="a confirmed item whose post it links")


class LinkIn(BaseModel):
    item_id: int = Field(ge=1, le=2**63 - 1)


class MatchIn(BaseModel):
    text: str = Field(max_length=100_000)


@router.get("/claims", responses=_REFUSALS, summary="Claims, newest first (JSON Lines records with counts)")
def api_claims(user: CurrentUser, runtime: RuntimeDep) -> list[dict[str, Any]]:
    return [{**to_record(c), "links": c.link_count, "matches": c.match_count}
            for c in list_claims(runtime.db, user.actor)]


@router.post("/claims", status_code=201, responses=_REFUSALS,
             summary="Add a claim, by hand or from a confirmed item (its post linked, its category carried over)")
def api_add_claim(body: ClaimIn, user: CurrentUser, runtime: RuntimeDep) -> dict[str, Any]:
    info = add_claim(runtime.db, user.actor, ClaimInput(
        text=body.text, verdict=body.verdict, rating=body.rating, summary=body.summary, review_url=body.review_url,
        publisher=body.publisher, category=body.category), from_item_id=body.from_item_id)
    return {**to_record(info), "links": info.link_count}


@router.post("/claims/{claim_id}/links", responses=_REFUSALS, summary="Link a queued item's post to a claim")
def api_link(claim_id: RowId, body: LinkIn, user: CurrentUser, runtime: RuntimeDep) -> dict[str, bool]:
    return {"linked": link_item(runtime.db, user.actor, claim_id, body.item_id)}


@router.post("/claims/match", responses=_REFUSALS,
             summary='Which known claims a text repeats: {"matches": [{"claim_id", "score", "tier"}]}, best first')
def api_match(body: MatchIn, user: CurrentUser, runtime: RuntimeDep) -> dict[str, Any]:
    list_claims(runtime.db, user.actor, limit=1)  # the permission to see claims
    [hits] = match_texts(runtime.db, runtime.config.settings, [body.text])
    return {"matches": [{"claim_id": h.claim_id, "score": h.score, "tier": h.tier} for h in hits]}


@router.get("/narratives", responses=_REFUSALS, summary="Narratives, busiest in the last 24 hours first")
def api_narratives(user: CurrentUser, runtime: RuntimeDep) -> list[dict[str, Any]]:
    return [{"id": r.id, "label": r.label, "keywords": r.keywords, "posts": r.posts, "last_24h": r.last_24h,
             "claims": r.claims} for r in narratives(runtime.db, user.actor)]


@router.get("/alerts", responses=_REFUSALS, summary="Spike alerts about narratives and claims, newest first")
def api_alerts(user: CurrentUser, runtime: RuntimeDep) -> list[dict[str, Any]]:
    return [{"id": a.id, "subject_type": a.subject_type, "subject_id": a.subject_id, "label": a.label,
             "count": a.count, "baseline_per_hour": a.baseline, "p_value": a.p_value,
             "window_start": a.window_start.isoformat(), "window_end": a.window_end.isoformat()}
            for a in alerts(runtime.db, user.actor)]
