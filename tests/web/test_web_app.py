"""The review web app in-process (TestClient) on a real database: sign-in, sessions, CSRF, roles, decisions,
the JSON API, security headers, and hostile post text rendered as text."""

from __future__ import annotations

import re
from datetime import timedelta

from fastapi.testclient import TestClient
from sqlalchemy import select

from review.browse import QueueFilters, audit_page, queue_page
from review.queue import list_queue
from service.runtime import Runtime
from store.models import AuditEntry, LoginAttempt, QueueItem, WebSession
from web import create_app
from web.app import CSP
from web.security import SESSION_COOKIE, RateLimit, token_hash
from web.templating import highlight, safe_href
from web_support import HOSTILE, PASSWORD, add_user, csrf_of, flag, login, signed_in


def _audit(runtime: Runtime, action: str) -> list[AuditEntry]:
    with runtime.db.session() as s:
        return list(s.scalars(select(AuditEntry).where(AuditEntry.action == action).order_by(AuditEntry.id)))


def test_sign_in_sets_a_hardened_cookie_and_stores_only_its_hash(runtime: Runtime) -> None:
    add_user(runtime.db, "ana")
    client = TestClient(create_app(runtime))
    assert client.get("/", follow_redirects=False).headers["location"] == "/login"
    response = login(client, "ana")
    assert response.status_code == 303
    cookie = response.headers["set-cookie"]
    assert "HttpOnly" in cookie and "SameSite=lax" in cookie.replace("Lax", "lax")
    token = client.cookies[SESSION_COOKIE]
    with runtime.db.session() as s:
        stored = s.scalars(select(WebSession.token_sha256)).all()
    assert stored == [token_hash(token)] and token not in stored
    assert client.get("/").status_code == 200
    assert [e.actor for e in _audit(runtime, "auth.login")] == ["ana"]
    client.post("/logout", data={"csrf_token": csrf_of(client)}, follow_redirects=False)
    assert client.get("/", follow_redirects=False).status_code == 303
    with runtime.db.session() as s:
        assert s.scalars(select(WebSession)).all() == []


def test_wrong_password_is_refused_and_logged(runtime: Runtime) -> None:
    add_user(runtime.db, "ana")
    client = TestClient(create_app(runtime))
    response = login(client, "ana", "not the password")
    assert response.status_code == 401
    assert "Wrong username or password" in response.text
    assert SESSION_COOKIE not in client.cookies
    assert len(_audit(runtime, "auth.login_failed")) == 1


def test_failed_logins_are_rate_limited_per_username(runtime: Runtime) -> None:
    add_user(runtime.db, "ana")
    client = TestClient(create_app(runtime, rate_limit=RateLimit(per_user=3, per_client=100)))
    for _ in range(3):
        assert login(client, "ana", "wrong password!").status_code == 401
    blocked = login(client, "ana")  # even the right password waits now
    assert blocked.status_code == 429
    assert "Too many failed sign-in attempts" in blocked.text
    assert len(_audit(runtime, "auth.login_blocked")) == 1
    with runtime.db.session() as s:
        assert s.query(LoginAttempt).count() == 3


def test_failed_logins_are_rate_limited_per_client(runtime: Runtime) -> None:
    for name in ("a1", "a2", "a3"):
        add_user(runtime.db, name)
    client = TestClient(create_app(runtime, rate_limit=RateLimit(per_user=100, per_client=2)))
    assert login(client, "a1", "wrong password!").status_code == 401
    assert login(client, "a2", "wrong password!").status_code == 401
    assert login(client, "a3").status_code == 429


def test_login_form_needs_its_csrf_token(runtime: Runtime) -> None:
    add_user(runtime.db, "ana")
    client = TestClient(create_app(runtime))
    response = client.post("/login", data={"username": "ana", "password": PASSWORD}, follow_redirects=False)
    assert response.status_code == 403
    assert SESSION_COOKIE not in client.cookies


def test_posts_without_a_valid_csrf_token_are_refused(runtime: Runtime) -> None:
    flag(runtime.db, "a")
    client = signed_in(runtime, "ana")
    assert client.post("/queue/next", follow_redirects=False).status_code == 403
    assert client.post("/queue/next", data={"csrf_token": "forged"}, follow_redirects=False).status_code == 403
    assert client.post("/api/queue/next", headers={"X-CSRF-Token": "forged"}).status_code == 403
    denied = _audit(runtime, "access.denied")
    assert len(denied) == 3 and {e.details["reason"] for e in denied} == {"csrf"}
    with runtime.db.session() as s:
        assert s.scalars(select(QueueItem.assignee_id)).all() == [None]  # nothing was claimed
    ok = client.post("/queue/next", data={"csrf_token": csrf_of(client)}, follow_redirects=False)
    assert ok.status_code == 303 and ok.headers["location"].startswith("/items/")


def test_roles_are_checked_and_refusals_logged(runtime: Runtime) -> None:
    analyst = signed_in(runtime, "ana")
    for path in ("/admin/audit", "/admin/users", "/api/audit"):
        assert analyst.get(path).status_code == 403
    page = analyst.get("/")
    assert 'href="/queue"' in page.text and "/admin/audit" not in page.text and "/admin/users" not in page.text
    assert analyst.get("/cases").status_code == 403 and 'href="/cases"' not in page.text
    reviewer = signed_in(runtime, "rev", "reviewer")
    assert reviewer.get("/queue").status_code == 200  # reviewers browse the queue and work the escalations
    home = reviewer.get("/").text
    assert 'href="/queue"' in home and 'href="/cases"' in home
    assert 'id="next-form"' not in reviewer.get("/queue").text  # "Next item" hands out analysts' items only
    operator = signed_in(runtime, "op", "operator")
    assert operator.get("/api/queue").status_code == 403
    denied = _audit(runtime, "access.denied")
    assert [(e.actor, e.target_id) for e in denied] == [
        ("ana", "/admin/audit"), ("ana", "/admin/users"), ("ana", "/api/audit"), ("ana", "/cases"),
        ("op", "/api/queue")]
    assert denied[0].details["role"] == "analyst"
    admin = signed_in(runtime, "boss", "admin")
    audit = admin.get("/admin/audit")
    assert audit.status_code == 200 and "ana was refused /cases." in audit.text
    assert admin.get("/queue").status_code == 200  # admin may do everything


def test_claim_decide_and_leave_the_queue(runtime: Runtime) -> None:
    low, high = flag(runtime.db, "low", 0.7), flag(runtime.db, "high", 0.95)
    ana = signed_in(runtime, "ana")
    bao = signed_in(runtime, "bao")
    first = ana.post("/queue/next", data={"csrf_token": csrf_of(ana)}, follow_redirects=False)
    second = bao.post("/queue/next", data={"csrf_token": csrf_of(bao)}, follow_redirects=False)
    assert first.headers["location"] == f"/items/{high}" and second.headers["location"] == f"/items/{low}"
    item = ana.get(f"/items/{high}")
    assert "<mark" in item.text and "Claimed by you" in item.text
    assert "working on this item" in bao.get(f"/items/{high}").text  # bao sees ana holds it
    token = csrf_of(ana)
    refused = ana.post(f"/items/{high}/decide", data={"csrf_token": token, "action": "confirm",
                                                       "justification": "sai sự thật"})
    assert refused.status_code == 422 and "policy category" in refused.text
    refused = ana.post(f"/items/{high}/decide", data={"csrf_token": token, "action": "confirm",
                                                       "category": "health_misinformation", "justification": " "})
    assert refused.status_code == 422 and "justification" in refused.text
    refused = ana.post(f"/items/{high}/decide", data={"csrf_token": token, "action": "dismiss"})
    assert refused.status_code == 422 and "reason" in refused.text
    blocked = ana.post(f"/items/{low}/decide", data={"csrf_token": token, "action": "dismiss",
                                                      "dismiss_reason": "accurate"})
    assert blocked.status_code == 409 and f"item {low} is claimed by bao until" in blocked.text
    fragment = ana.post(f"/items/{high}/decide", data={"csrf_token": token, "action": "confirm"},
                        headers={"HX-Request": "true", "HX-Target": "decision"})
    assert fragment.status_code == 422 and "<html" not in fragment.text and 'id="decision"' in fragment.text
    done = ana.post(f"/items/{high}/decide", follow_redirects=False, data={
        "csrf_token": token, "action": "confirm", "category": "health_misinformation",
        "justification": "Bộ Y tế đã bác bỏ", "reference_url": "https://moh.gov.vn/x"})
    # nothing left that ana may claim (bao holds the other one): the queue, with Undo for what she just did
    assert done.status_code == 303 and done.headers["location"] == f"/queue?empty=1&decided={high}&did=confirm"
    queue = ana.get(done.headers["location"])
    assert f'You confirmed item <a href="/items/{high}">#{high}</a>.' in queue.text
    assert f'action="/items/{high}/undo"' in queue.text and f'data-item="{high}"' not in queue.text
    with runtime.db.session() as s:
        assert s.get(QueueItem, high).status == "confirmed"
        assert [r.item.id for r in list_queue(session=s)] == [low]
    assert [e.actor for e in _audit(runtime, "decision.confirm")] == ["ana"]


def test_skip_moves_on_and_escalate_needs_another_person(runtime: Runtime) -> None:
    a, b = flag(runtime.db, "a", 0.9), flag(runtime.db, "b", 0.8)
    ana = signed_in(runtime, "ana")
    token = csrf_of(ana)
    ana.post("/queue/next", data={"csrf_token": token})
    skipped = ana.post(f"/items/{a}/decide", data={"csrf_token": token, "action": "skip"}, follow_redirects=False)
    assert skipped.headers["location"] == f"/items/{b}"
    unexplained = ana.post(f"/items/{b}/decide", data={"csrf_token": token, "action": "escalate"})
    assert unexplained.status_code == 422 and "an escalation needs a note" in unexplained.text
    escalated = ana.post(f"/items/{b}/decide", data={"csrf_token": token, "action": "escalate",
                                                     "justification": "ảnh có thể bị cắt ghép"},
                         follow_redirects=False)
    assert escalated.status_code == 303
    again = ana.post(f"/items/{b}/decide", data={"csrf_token": token, "action": "dismiss",
                                                 "dismiss_reason": "satire"})
    assert again.status_code == 403 and "only a reviewer or an admin may decide escalated" in again.text
    boss = signed_in(runtime, "boss", "admin")
    own = boss.post(f"/items/{b}/decide", data={"csrf_token": csrf_of(boss), "action": "escalate",
                                                "justification": "cần thêm ý kiến"}, follow_redirects=False)
    assert own.status_code == 303
    twice = boss.post(f"/items/{b}/decide", data={"csrf_token": csrf_of(boss), "action": "dismiss",
                                                  "dismiss_reason": "satire"})
    assert twice.status_code == 409 and "you escalated" in twice.text and "different person" in twice.text


def test_confirmed_item_can_be_appealed_and_redecided_by_someone_else(runtime: Runtime) -> None:
    item = flag(runtime.db, "a", 0.9)
    ana = signed_in(runtime, "ana", "admin")
    rev = signed_in(runtime, "rev", "reviewer")
    bao = signed_in(runtime, "bao", "reviewer")
    ana.post(f"/items/{item}/decide", data={"csrf_token": csrf_of(ana), "action": "confirm",
                                            "category": "false_claim", "justification": "sai"})
    page = rev.get(f"/items/{item}")
    assert 'id="appeal-form"' in page.text and 'id="confirm-form"' not in page.text
    assert rev.post(f"/items/{item}/appeal", data={"csrf_token": csrf_of(rev), "reason": " "}).status_code == 422
    appealed = rev.post(f"/items/{item}/appeal", data={"csrf_token": csrf_of(rev), "reason": "đã đính chính"},
                        follow_redirects=False)
    assert appealed.status_code == 303
    same = ana.post(f"/items/{item}/decide", data={"csrf_token": csrf_of(ana), "action": "dismiss",
                                                   "dismiss_reason": "accurate"})
    assert same.status_code == 409 and "you confirmed" in same.text and "different person" in same.text
    assert bao.post("/cases/next", data={"csrf_token": csrf_of(bao)},
                    follow_redirects=False).headers["location"] == f"/items/{item}"
    reversed_ = bao.post(f"/items/{item}/decide", data={"csrf_token": csrf_of(bao), "action": "dismiss",
                                                        "dismiss_reason": "accurate"}, follow_redirects=False)
    assert reversed_.status_code == 303
    history = bao.get(f"/items/{item}").text
    assert history.index("action-confirm") < history.index("action-appeal") < history.index("action-dismiss")


def test_hostile_post_text_is_rendered_as_text(runtime: Runtime) -> None:
    item = flag(runtime.db, "evil", 0.99, text=HOSTILE, terms=("chữa khỏi", "<script>"),
                url="javascript:alert(1)")
    ana = signed_in(runtime, "ana")
    for page in (ana.get(f"/items/{item}").text, ana.get("/queue").text):
        assert "<script>alert" not in page and "<img src=x" not in page and "<b>bold" not in page
        assert "&lt;script&gt;" in page
    page = ana.get(f"/items/{item}").text
    assert '<mark title="weight +0.80" aria-describedby="evidence-2">&lt;script&gt;</mark>' in page
    assert 'href="javascript:' not in page and "not an http(s) link" in page
    assert ana.get(f"/api/items/{item}").json()["url"] is None


def test_highlight_escapes_every_segment_and_survives_bad_spans() -> None:
    text = "a<b>c & d"
    features = [{"term": "<b>", "spans": [[1, 4], [100, 200], "x", [3, 2]]}, {"term": "d", "spans": [[8, 9]]},
                {"term": "overlap", "spans": [[2, 5]]}]
    assert str(highlight(text, features)) == 'a<mark title="&lt;b&gt;">&lt;b&gt;c</mark> &amp; <mark title="d">d</mark>'
    assert safe_href("https://x.vn/a") == "https://x.vn/a"
    assert safe_href(" JavaScript:alert(1)") is None and safe_href("//evil") is None and safe_href(None) is None


def test_security_headers_on_every_response(runtime: Runtime) -> None:
    client = TestClient(create_app(runtime))
    for response in (client.get("/login"), client.get("/static/app.css"), client.get("/nowhere"),
                     client.get("/api/queue")):
        assert response.headers["content-security-policy"] == CSP
        assert response.headers["x-content-type-options"] == "nosniff"
        assert response.headers["referrer-policy"] == "no-referrer"
    page = client.get("/login").text
    assert "<script>" not in page and " style=" not in page and " onclick=" not in page


def test_api_needs_a_session_and_the_csrf_header(runtime: Runtime) -> None:
    a = flag(runtime.db, "a", 0.9)
    flag(runtime.db, "b", 0.6, source="tuoitre")
    anonymous = TestClient(create_app(runtime))
    for method, path in (("GET", "/api/queue"), ("POST", "/api/queue/next"), ("GET", f"/api/items/{a}")):
        response = anonymous.request(method, path)
        assert response.status_code == 401 and response.json() == {"detail": "not signed in"}
    ana = signed_in(runtime, "ana")
    listing = ana.get("/api/queue").json()
    assert [i["id"] for i in listing["items"]][0] == a
    assert [i["source"] for i in ana.get("/api/queue", params={"score_max": 0.7}).json()["items"]] == ["tuoitre"]
    assert ana.post(f"/api/items/{a}/decide", json={"action": "skip"}).status_code == 403  # no CSRF header
    headers = {"X-CSRF-Token": csrf_of(ana)}
    claimed = ana.post("/api/queue/next", headers=headers).json()["item"]
    assert claimed["id"] == a and claimed["highlights"] and claimed["snapshot_sha256"]
    bad = ana.post(f"/api/items/{a}/decide", headers=headers, json={"action": "confirm", "justification": "x"})
    assert bad.status_code == 422 and "category" in bad.json()["detail"]
    assert ana.post(f"/api/items/{a}/decide", headers=headers, json={"action": "nope"}).status_code == 422
    ok = ana.post(f"/api/items/{a}/decide", headers=headers,
                  json={"action": "confirm", "category": "scam_fraud", "justification": "lừa đảo"})
    assert ok.status_code == 200 and ok.json()["status"] == "confirmed"
    assert ana.get("/api/audit").status_code == 403
    schema = ana.get("/api/openapi.json").json()
    assert "/api/items/{item_id}/decide" in schema["paths"] and "/queue" not in schema["paths"]
    assert ana.get("/docs").status_code == 404  # the default docs page would load from a CDN
    admin = signed_in(runtime, "boss", "admin")
    actions = [e["action"] for e in admin.get("/api/audit").json()["entries"]]
    assert "decision.confirm" in actions and "auth.login" in actions


def test_queue_filters_keyset_paging_and_htmx_fragments(runtime: Runtime) -> None:
    ids = [flag(runtime.db, f"p{i}", 0.5 + i / 20, source="vnexpress" if i % 2 else "tuoitre") for i in range(7)]
    flag(runtime.db, "special", 0.55, text="Một bài viết hoàn toàn khác về thời tiết", terms=("thời tiết",))
    with runtime.db.session() as s:
        seen, cursor = [], None
        while True:
            page = queue_page(session=s, after=cursor, limit=3)
            seen += [r.item.id for r in page.rows]
            cursor = page.next_cursor
            if cursor is None:
                break
        assert seen == [r.item.id for r in list_queue(session=s)]
        s.get(QueueItem, seen[1]).status = "escalated"  # "open" merges one index scan per status
        s.get(QueueItem, seen[4]).status = "appealed"
        s.flush()
        merged, cursor = [], None
        while True:
            page = queue_page(session=s, filters=QueueFilters(status="open"), after=cursor, limit=2)
            merged += [r.item.id for r in page.rows]
            if (cursor := page.next_cursor) is None:
                break
        assert merged == seen
        assert len(queue_page(session=s).rows) == len(seen) - 2
        s.rollback()
        newest = queue_page(session=s, filters=QueueFilters(sort="newest"), limit=2)
        after = queue_page(session=s, filters=QueueFilters(sort="newest"), after=newest.next_cursor, limit=50)
        assert [r.item.id for r in newest.rows + after.rows] == sorted(seen, reverse=True)
        vn = queue_page(session=s, filters=QueueFilters(source_id=2, score_min=0.6))
        assert {r.source_name for r in vn.rows} <= {"vnexpress"} and all(r.verdict.score >= 0.6 for r in vn.rows)
    ana = signed_in(runtime, "ana")
    text = ana.get("/queue", params={"q": "thời tiết"}).text
    assert text.count('class="queue-row"') == 1 and "thời tiết" in text
    fragment = ana.get("/queue", params={"score_min": "0.72"}, headers={"HX-Request": "true",
                                                                       "HX-Target": "queue-results"})
    assert fragment.text.lstrip().startswith('<section id="queue-results"') and "<html" not in fragment.text
    assert fragment.text.count('class="queue-row"') == 2
    assert ana.get("/queue", params={"score_min": "abc", "date_from": "nope", "sort": "x"}).status_code == 200
    assert ids


def test_dashboard_draws_the_chart_server_side(runtime: Runtime) -> None:
    flag(runtime.db, "a", 0.9, source="vnexpress")
    flag(runtime.db, "b", 0.8, source="vnexpress")
    page = signed_in(runtime, "op", "operator").get("/")
    assert page.status_code == 200
    assert page.text.count("<rect") == 30 and "2 flagged" in page.text and "vnexpress" in page.text
    assert "Next item" not in page.text  # operators do not review


def test_admin_creates_and_deactivates_users(runtime: Runtime) -> None:
    admin = signed_in(runtime, "boss", "admin")
    token = csrf_of(admin)
    short = admin.post("/admin/users", data={"csrf_token": token, "username": "x", "password": "short",
                                             "role": "analyst"})
    assert short.status_code == 422 and "at least 10" in short.text
    created = admin.post("/admin/users", data={"csrf_token": token, "username": "linh", "password": PASSWORD,
                                               "role": "analyst"}, follow_redirects=False)
    assert created.status_code == 303
    linh = TestClient(create_app(runtime))
    assert login(linh, "linh").status_code == 303 and linh.get("/queue").status_code == 200
    users = admin.get("/admin/users").text
    user_id = re.search(r'/admin/users/(\d+)/deactivate', users).group(1)
    unconfirmed = admin.post(f"/admin/users/{user_id}/deactivate", data={"csrf_token": token},
                             follow_redirects=False)  # the button opens a page that asks first
    assert unconfirmed.headers["location"] == f"/admin/users/{user_id}/deactivate"
    asking = admin.get(unconfirmed.headers["location"]).text
    assert "Deactivate linh?" in asking and 'name="confirm" value="yes"' in asking
    assert linh.get("/queue").status_code == 200  # nothing happened yet
    admin.post(f"/admin/users/{user_id}/deactivate", data={"csrf_token": token, "confirm": "yes"})
    assert linh.get("/queue", follow_redirects=False).status_code == 303  # the session stopped working
    assert login(linh, "linh").status_code == 401
    assert [e.details["username"] for e in _audit(runtime, "user.deactivate")] == ["linh"]
    assert [e.target_id for e in _audit(runtime, "user.create")][-1] == user_id
    with runtime.db.session() as s:
        assert audit_page(session=s, action="user.").entries[0].action == "user.deactivate"


def test_expired_session_is_refused(runtime: Runtime) -> None:
    client = signed_in(runtime, "ana")
    with runtime.db.write() as s:
        session = s.scalars(select(WebSession)).one()
        session.expires_at = session.created_at - timedelta(minutes=1)
    assert client.get("/api/queue").status_code == 401
