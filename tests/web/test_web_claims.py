"""Claims on the pages: the queue and the item say which known claim a post matches, the confirm form is
pre-filled from it, and an analyst makes a claim from a confirmed item or links an item to a claim."""

from __future__ import annotations

from sqlalchemy import select

from builders import decide
from review.actors import CONSOLE_ACTOR
from review.claims import ClaimInput, import_claims
from service.claim_matching import match_snapshots
from service.runtime import Runtime
from store.models import Claim, ClaimLink, QueueItem, Snapshot
from web_support import csrf_of, flag, signed_in

CLAIM = "Vắc xin COVID-19 có chứa chip theo dõi 5G"
POST = "Sự thật động trời: vắc-xin covid 19 có chứa con chip theo dõi qua sóng 5G, chia sẻ ngay!!!"


def _matched_item(runtime: Runtime) -> int:
    import_claims(runtime.db, CONSOLE_ACTOR, [ClaimInput(text=CLAIM, category="health_misinformation",
                                                         review_url="https://factcheck.example.vn/chip")])
    item_id = flag(runtime.db, "m1", text=POST)
    with runtime.db.session() as s:
        post_id = s.get(QueueItem, item_id).post_id  # type: ignore[union-attr]
        snapshot = s.scalar(select(Snapshot.id).where(Snapshot.post_id == post_id))
    assert match_snapshots(runtime, [(snapshot, POST)]) == 1  # type: ignore[list-item]
    return item_id


def test_the_queue_and_the_item_show_the_match_and_prefill_the_form(runtime: Runtime) -> None:
    item_id = _matched_item(runtime)
    ana = signed_in(runtime, "ana")
    queue = ana.get("/queue").text
    assert "matches claim #1, 0." in queue
    page = ana.get(f"/items/{item_id}").text
    assert "matches claim #1, 0." in page and ("(auto)" in page or "(suggested)" in page)
    assert '<option value="health_misinformation" selected>' in page
    assert 'value="https://factcheck.example.vn/chip"' in page
    token = csrf_of(ana)
    linked = ana.post(f"/items/{item_id}/claims/link", data={"csrf_token": token, "claim_id": "1"},
                      follow_redirects=False)
    assert linked.status_code == 303
    assert "linked by a person" in ana.get(f"/items/{item_id}").text
    missing = ana.post(f"/items/{item_id}/claims/link", data={"csrf_token": token, "claim_id": "99"})
    assert missing.status_code == 404


def test_an_analyst_makes_a_claim_from_a_confirmed_item(runtime: Runtime) -> None:
    item_id = flag(runtime.db, "c1", text=POST)
    ana = signed_in(runtime, "ana")
    token = csrf_of(ana)
    assert 'id="claim-form"' not in ana.get(f"/items/{item_id}").text  # pending: not yet
    decide(runtime.db, "ana", item_id, "confirm")
    assert 'id="claim-form"' in ana.get(f"/items/{item_id}").text
    refused = ana.post(f"/items/{item_id}/claims", data={"csrf_token": token, "text": " ", "verdict": "false"})
    assert refused.status_code == 422 and "claim text is required" in refused.text
    made = ana.post(f"/items/{item_id}/claims", data={"csrf_token": token, "text": CLAIM, "verdict": "false",
                                                      "review_url": "https://factcheck.example.vn/chip"},
                    follow_redirects=False)
    assert made.status_code == 303 and made.headers["location"] == f"/items/{item_id}?claimed=1#claims"
    with runtime.db.session() as s:
        claim = s.scalars(select(Claim)).one()
        assert claim.category == "false_claim" and claim.origin == "item"
        assert s.scalars(select(ClaimLink)).one().queue_item_id == item_id
    olga = signed_in(runtime, "olga", "operator")
    assert olga.post(f"/items/{item_id}/claims", data={"csrf_token": csrf_of(olga), "text": "x"}).status_code == 403


def test_the_json_api_adds_links_matches_and_lists_claims(runtime: Runtime) -> None:
    import re

    item_id = flag(runtime.db, "a1", text=POST)
    ana = signed_in(runtime, "ana")
    ana.headers["X-CSRF-Token"] = re.search(r'<meta name="csrf-token" content="([^"]*)"', ana.get("/").text)[1]  # type: ignore[index]
    made = ana.post("/api/claims", json={"text": CLAIM, "review_url": "https://factcheck.example.vn/chip"})
    assert made.status_code == 201 and made.json()["id"] == 1
    assert ana.post("/api/claims", json={"text": CLAIM, "review_url": "https://factcheck.example.vn/chip"}
                    ).status_code == 409
    assert ana.post("/api/claims", json={"text": "x", "verdict": "lies"}).status_code == 422
    assert ana.post("/api/claims/1/links", json={"item_id": item_id}).json() == {"linked": True}
    [hit] = ana.post("/api/claims/match", json={"text": POST}).json()["matches"]
    assert hit["claim_id"] == 1
    assert ana.get("/api/claims").json()[0]["links"] == 1
    assert ana.get("/api/narratives").json() == [] and ana.get("/api/alerts").json() == []
    olga = signed_in(runtime, "olga", "operator")
    assert olga.get("/api/claims").status_code == 403
