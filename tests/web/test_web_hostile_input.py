"""Out-of-range numbers and dates, NUL bytes and oversized fields get a clear answer, never a 500."""

from __future__ import annotations

from fastapi.testclient import TestClient

from service.runtime import Runtime
from web_support import csrf_of, flag, signed_in

HUGE = str(2**63)
HUGER = "9" * 30


def _no_server_error(client: TestClient, method: str, path: str, **kw: object) -> int:
    response = client.request(method, path, **kw)
    assert response.status_code < 500, (path, response.status_code, response.text[:300])
    return response.status_code


def test_ids_outside_the_64_bit_range_are_refused_not_crashed(runtime: Runtime) -> None:
    flag(runtime.db, "a")
    admin = signed_in(runtime, "boss", "admin")
    headers = {"X-CSRF-Token": csrf_of(admin)}
    for bad in (HUGE, HUGER, "-1", "0"):
        for path in (f"/items/{bad}", f"/api/items/{bad}", f"/sources/{bad}", f"/api/sources/{bad}",
                     f"/api/exports/{bad}", f"/exports/{bad}/download/main", f"/admin/audit?before={bad}",
                     f"/api/audit?before={bad}", f"/queue?source={bad}", f"/queue?after=1.0~{bad}"):
            assert _no_server_error(admin, "GET", path) in (200, 404, 422), path
        for path in (f"/items/{bad}/decide", f"/api/items/{bad}/decide", f"/api/sources/{bad}/pause",
                     f"/admin/users/{bad}/deactivate"):
            status = _no_server_error(admin, "POST", path, headers=headers, json={"action": "skip"},
                                      data=None if path.startswith("/api") else {"action": "skip"})
            assert status in (404, 422), (path, status)
    assert admin.get(f"/api/queue?source={HUGER}").status_code == 422


def test_dates_outside_the_calendar_are_refused_or_ignored(runtime: Runtime) -> None:
    flag(runtime.db, "a")
    ana = signed_in(runtime, "ana")
    for day in ("9999-12-31", "0001-01-01"):
        assert ana.get(f"/queue?date_from={day}&date_to={day}").status_code == 200  # pages ignore what they can't use
        refused = ana.get(f"/api/queue?date_to={day}")
        assert refused.status_code == 422 and "date_to" in refused.json()["detail"]
    rita = signed_in(runtime, "rita", "reviewer")
    headers = {"X-CSRF-Token": csrf_of(rita)}
    for day in ("9999-12-31", "0001-01-01"):
        preview = rita.post("/api/exports/preview", headers=headers, json={"filters": {"date_to": day}})
        assert preview.status_code == 422 and "out of range" in preview.json()["detail"]
        page = rita.post("/exports/preview", data={"csrf_token": headers["X-CSRF-Token"], "date_from": day})
        assert page.status_code == 422 and "out of range" in page.text


def test_a_nul_byte_in_a_search_or_filter_is_harmless(runtime: Runtime) -> None:
    flag(runtime.db, "a", text="Tin đồn về nước muối")
    ana = signed_in(runtime, "ana")
    for query in ("n\x00ước", "\x00", "%00"):
        assert ana.get("/queue", params={"q": query, "platform": query}).status_code == 200
        assert ana.get("/api/queue", params={"q": query}).status_code == 200
    admin = signed_in(runtime, "boss", "admin")
    assert admin.get("/admin/audit", params={"actor": "a\x00", "action": "\x00"}).status_code == 200


def test_free_text_through_the_api_has_limits(runtime: Runtime) -> None:
    op = signed_in(runtime, "op", "operator")
    headers = {"X-CSRF-Token": csrf_of(op)}
    source = {"name": "feed", "kind": "rss", "url": "https://example.vn/feed.xml"}
    too_long = [{"url": "https://example.vn/" + "a" * 3000}, {"user_agent": "kiemtin " + "x" * 400},
                {"name": "n" * 200}, {"schedule": "every " + "1" * 200}, {"url": "https://example.vn/a b"},
                {"user_agent": "kiemtin/1\r\nX-Evil: 1"}, {"url": "http://169.254.169.254/latest/meta-data/"}]
    for change in too_long:
        response = op.post("/api/sources", headers=headers, json={**source, **change})
        assert response.status_code == 422, change
    created = op.post("/api/sources", headers=headers, json=source)
    assert created.status_code == 201
    source_id = created.json()["id"]
    assert op.patch(f"/api/sources/{source_id}", headers=headers, json={"url": "https://x.vn/" + "a" * 3000}
                    ).status_code == 422
    assert op.post(f"/api/sources/{source_id}/pause", headers=headers, params={"reason": "x" * 600}
                   ).status_code == 422
    ana = signed_in(runtime, "ana")
    item = flag(runtime.db, "b")
    ana_headers = {"X-CSRF-Token": csrf_of(ana)}
    long_note = ana.post(f"/api/items/{item}/decide", headers=ana_headers,
                         json={"action": "escalate", "justification": "x" * 6000})
    assert long_note.status_code == 422
    rita = signed_in(runtime, "rita", "reviewer")
    r_headers = {"X-CSRF-Token": csrf_of(rita)}
    assert rita.put("/api/exports/profiles/" + "p" * 150, headers=r_headers, json={}).status_code == 422
    assert rita.put("/api/exports/profiles/p", headers=r_headers, json={"recipient": "r" * 300}).status_code == 422
