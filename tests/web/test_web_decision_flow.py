"""The decision flow on the pages (TestClient, SQLite and PostgreSQL): the next item opens after a decision with
Undo, reviewers work the escalations and appeals, bulk decisions are reviewed before they happen, saved
filters, the count of results, comments, and confirmation pages before destructive changes."""

from __future__ import annotations

import re

from sqlalchemy import select

from builders import appeal, decide
from review.browse import QueueFilters, count_matching
from service.runtime import Runtime
from store.models import QueueItem
from web_support import HOSTILE, csrf_of, flag, signed_in


def _status(runtime: Runtime, item_id: int) -> str:
    with runtime.db.session() as s:
        return s.get(QueueItem, item_id).status


def test_after_a_decision_the_next_item_opens_with_undo(runtime: Runtime) -> None:
    first, second = flag(runtime.db, "a", 0.9), flag(runtime.db, "b", 0.8)
    ana = signed_in(runtime, "ana")
    token = csrf_of(ana)
    assert ana.post("/queue/next", data={"csrf_token": token}).url.path == f"/items/{first}"
    done = ana.post(f"/items/{first}/decide", data={"csrf_token": token, "action": "dismiss",
                                                    "dismiss_reason": "satire"}, follow_redirects=False)
    assert done.headers["location"] == f"/items/{second}?decided={first}&did=dismiss"
    page = ana.get(done.headers["location"]).text
    assert f'You dismissed item <a href="/items/{first}">#{first}</a>.' in page and "Claimed by you" in page
    assert f'action="/items/{first}/undo"' in page
    undone = ana.post(f"/items/{first}/undo", data={"csrf_token": token}, follow_redirects=False)
    assert undone.headers["location"] == f"/items/{first}?undone=1"
    back = ana.get(undone.headers["location"]).text
    assert 'id="undone-flash"' in back and "Claimed by you" in back and 'id="confirm-form"' in back
    assert _status(runtime, first) == "pending"
    ana.post(f"/items/{first}/decide", data={"csrf_token": token, "action": "confirm", "category": "false_claim",
                                             "justification": "sai"})
    mine = ana.get(f"/items/{first}").text
    assert 'id="undo-form"' in mine  # the decider sees Undo on the item while the window is open
    bao = signed_in(runtime, "bao")
    assert 'id="undo-form"' not in bao.get(f"/items/{first}").text
    too_late = bao.post(f"/items/{first}/undo", data={"csrf_token": csrf_of(bao)})
    assert too_late.status_code == 409 and "only ana can undo" in too_late.text


def test_reviewers_work_the_escalations_with_their_notes(runtime: Runtime) -> None:
    escalated = flag(runtime.db, "e", 0.9)
    ana = signed_in(runtime, "ana")
    ana.post(f"/items/{escalated}/decide", data={"csrf_token": csrf_of(ana), "action": "escalate",
                                                 "justification": "Ảnh <b>có thể</b> bị cắt ghép"})
    appealed = flag(runtime.db, "p", 0.7)
    signed_in(runtime, "ada", "admin")
    decide(runtime.db, "ada", appealed, "confirm")
    appeal(runtime.db, "ana", appealed, "tác giả đã đính chính")
    rev = signed_in(runtime, "rev", "reviewer")
    cases = rev.get("/cases").text
    assert cases.count('class="case-row"') == 2 and "2 waiting" in cases
    assert "Ảnh &lt;b&gt;có thể&lt;/b&gt; bị cắt ghép" in cases and "tác giả đã đính chính" in cases
    token = csrf_of(rev, "/cases")
    opened = rev.post("/cases/next", data={"csrf_token": token}, follow_redirects=False)
    assert opened.headers["location"] == f"/items/{escalated}"
    item = rev.get(opened.headers["location"]).text
    assert 'id="case-note"' in item and "escalated this item" in item and 'id="confirm-form"' in item
    assert 'action="/cases/next"' in item  # "Next case" on a case
    done = rev.post(f"/items/{escalated}/decide", data={"csrf_token": token, "action": "confirm",
                                                        "category": "manipulated_media", "justification": "ảnh ghép"},
                    follow_redirects=False)
    assert done.headers["location"] == f"/items/{appealed}?decided={escalated}&did=confirm"
    rev.post(f"/items/{appealed}/decide", data={"csrf_token": token, "action": "dismiss",
                                                "dismiss_reason": "accurate"})
    assert rev.get("/cases").text.count('class="case-row"') == 0
    assert (_status(runtime, escalated), _status(runtime, appealed)) == ("confirmed", "dismissed")
    api = rev.get("/api/cases").json()
    assert api == {"cases": [], "total": 0}


def test_a_bulk_decision_is_reviewed_and_each_item_decided_by_the_rules(runtime: Runtime) -> None:
    rumours = [flag(runtime.db, f"r{i}", 0.9 - i / 10, text=f"Tin đồn đổi tiền số {i} lan truyền") for i in range(3)]
    other = flag(runtime.db, "x", 0.95, text="Thời tiết Hà Nội hôm nay")
    ana = signed_in(runtime, "ana")
    bao = signed_in(runtime, "bao")
    bao.post("/queue/next", data={"csrf_token": csrf_of(bao)})  # bao holds "other", the most urgent
    page = ana.get("/queue", params={"q": "đổi tiền"}).text
    assert 'hx-get="/queue/count?status=pending&amp;sort=priority&amp;q=' in page  # counted after the rows show
    counted = ana.get("/queue/count", params={"q": "đổi tiền"}).text
    assert "3 items match." in counted and 'id="bulk-form"' in counted
    token = csrf_of(ana)
    review = ana.post("/queue/bulk/review", data={"csrf_token": token, "q": "đổi tiền", "action": "dismiss",
                                                  "dismiss_reason": "opinion"})
    assert review.status_code == 200 and review.text.count('name="item_id"') == 3
    assert "Dismiss these 3 items as Opinion or criticism?" in review.text
    assert all(_status(runtime, i) == "pending" for i in rumours)  # nothing decided yet
    ticked = [str(i) for i in rumours[:2]] + [str(other)]  # one unticked, one that bao holds
    result = ana.post("/queue/bulk", data={"csrf_token": token, "action": "dismiss", "dismiss_reason": "opinion",
                                           "item_id": ticked})
    assert result.status_code == 200 and "Dismissed 2 items" in result.text
    assert f"#{other}</a>: item {other} is claimed by bao" in result.text
    assert [_status(runtime, i) for i in rumours] == ["dismissed", "dismissed", "pending"]
    unusable = ana.post("/queue/bulk/review", data={"csrf_token": token, "q": "đổi tiền", "action": "confirm"})
    assert unusable.status_code == 422 and "policy category" in unusable.text


def test_saved_filters_belong_to_their_person(runtime: Runtime) -> None:
    flag(runtime.db, "a", 0.9, text="Tin đồn đổi tiền", source="vnexpress")
    ana = signed_in(runtime, "ana")
    token = csrf_of(ana)
    saved = ana.post("/queue/filters", data={"csrf_token": token, "name": "Đổi tiền", "q": "đổi tiền",
                                             "score_min": "0.5", "bogus": "x"}, follow_redirects=False)
    assert saved.status_code == 303 and "q=" in saved.headers["location"]
    page = ana.get("/queue").text
    link = re.search(r'<a href="(/queue\?[^"]+)">Đổi tiền</a>', page)
    assert link and "score_min=0.5" in link.group(1) and "bogus" not in link.group(1)
    assert "1 item matches." in ana.get(link.group(1).replace("&amp;", "&").replace("/queue?", "/queue/count?")).text
    bao = signed_in(runtime, "bao")
    assert "Đổi tiền</a>" not in bao.get("/queue").text
    assert bao.get("/api/filters").json() == []
    assert [f["name"] for f in ana.get("/api/filters").json()] == ["Đổi tiền"]
    nameless = ana.post("/queue/filters", data={"csrf_token": token, "name": " "})
    assert nameless.status_code == 422
    ana.post("/queue/filters/delete", data={"csrf_token": token, "name": "Đổi tiền"})
    assert ana.get("/api/filters").json() == []


def test_the_count_of_results_is_capped(runtime: Runtime) -> None:
    for i in range(5):
        flag(runtime.db, f"c{i}", 0.5 + i / 10)
    with runtime.db.session() as s:
        assert count_matching(session=s, filters=QueueFilters()) == 5
        assert count_matching(session=s, filters=QueueFilters(score_min=0.75)) == 2
        assert count_matching(session=s, filters=QueueFilters(), cap=3) == 4  # "more than 3"
    ana = signed_in(runtime, "ana")
    assert ana.get("/api/queue/count").json() == {"count": 5, "more": False}
    assert ana.get("/api/queue/count", params={"score_min": 0.75}).json() == {"count": 2, "more": False}
    assert ana.get("/api/queue/count", params={"score_min": "x"}).status_code == 422
    many = ana.get("/queue/count", params={"status": "pending"}).text
    assert "5 items match." in many and 'id="bulk-form"' in many
    rev = signed_in(runtime, "rev", "reviewer")
    assert 'id="bulk-form"' not in rev.get("/queue/count").text  # reviewers do not decide pending items


def test_comments_are_shown_as_text(runtime: Runtime) -> None:
    item = flag(runtime.db, "a", 0.9)
    ana = signed_in(runtime, "ana")
    token = csrf_of(ana)
    added = ana.post(f"/items/{item}/comments", data={"csrf_token": token, "text": HOSTILE},
                     follow_redirects=False)
    assert added.status_code == 303 and re.match(rf"/items/{item}#comment-\d+", added.headers["location"])
    page = ana.get(f"/items/{item}").text
    assert "&lt;script&gt;alert(" in page and "<script>alert(" not in page
    empty = ana.post(f"/items/{item}/comments", data={"csrf_token": token, "text": " "})
    assert empty.status_code == 422 and 'id="comment-error"' in empty.text


def test_deleting_an_export_profile_asks_first(runtime: Runtime) -> None:
    rev = signed_in(runtime, "rita", "reviewer")
    token = csrf_of(rev, "/exports")
    rev.post("/exports/profiles", data={"csrf_token": token, "name": "Meta", "format": "csv"})
    assert 'href="/exports/profiles/delete?name=Meta"' in rev.get("/exports").text
    unconfirmed = rev.post("/exports/profiles/delete", data={"csrf_token": token, "name": "Meta"},
                           follow_redirects=False)
    assert unconfirmed.headers["location"] == "/exports/profiles/delete?name=Meta"
    asking = rev.get(unconfirmed.headers["location"]).text
    assert "Delete the profile Meta?" in asking and 'name="confirm" value="yes"' in asking
    assert [p["name"] for p in rev.get("/api/exports/profiles").json()] == ["Meta"]
    rev.post("/exports/profiles/delete", data={"csrf_token": token, "name": "Meta", "confirm": "yes"})
    assert rev.get("/api/exports/profiles").json() == []
    assert rev.get("/exports/profiles/delete?name=Meta").status_code == 404


def test_the_audit_log_reads_as_sentences_and_hides_routine_entries(runtime: Runtime) -> None:
    item = flag(runtime.db, "a", 0.9)
    ana = signed_in(runtime, "ana")
    ana.post(f"/items/{item}/decide", data={"csrf_token": csrf_of(ana), "action": "confirm",
                                            "category": "health_misinformation", "justification": "sai"})
    boss = signed_in(runtime, "boss", "admin")
    page = boss.get("/admin/audit").text
    assert f'ana confirmed <a href="/items/{item}">#{item}</a> as Health misinformation.' in page
    assert "signed in" not in page and "The model flagged" not in page  # routine: hidden
    routine = boss.get("/admin/audit", params={"routine": "1"}).text
    assert "ana signed in from" in routine and f'The model flagged <a href="/items/{item}">#{item}</a>' in routine
    only = boss.get("/admin/audit", params={"action": "auth.login"}).text  # asking for a routine kind shows it
    assert only.count('class="audit-row"') == 2 and "boss signed in" in only
    group = boss.get("/admin/audit", params={"action": "group:Decisions", "actor": "boss"}).text
    assert 'class="audit-row"' not in group
    assert '<option value="ana" selected>' in boss.get("/admin/audit", params={"actor": "ana"}).text
    future = boss.get("/admin/audit", params={"date_from": "2999-01-01"}).text
    assert 'class="audit-row"' not in future
    raw = boss.get("/api/audit").json()["entries"]
    assert {"auth.login", "queue.flag", "decision.confirm"} <= {e["action"] for e in raw}  # the API: everything
    with runtime.db.session() as s:
        assert s.scalar(select(QueueItem.status).where(QueueItem.id == item)) == "confirmed"
