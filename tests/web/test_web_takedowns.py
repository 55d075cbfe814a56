"""The Takedowns page in-process (SQLite and PostgreSQL) and in real Chromium: filters, overdue, a request with
its check history, item and WARC evidence, a manual status change with a note, and role refusals."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect
from sqlalchemy import update

from builders import decide
from config import Settings
from review.actors import person
from review.evidence import record_archive
from review.exports import run_export, save_profile
from review.takedowns import list_requests, record_check
from service.runtime import Runtime
from store.types import utcnow
from web_support import BROWSER_MARKS, PASSWORD, add_user, csrf_of, flag, served, signed_in


def _sent(rt: Runtime, tmp_path: Path, *, hours_ago: float = 30) -> list[int]:
    """Three confirmed posts sent to Meta ``hours_ago`` (24 h deadline): request ids, oldest first."""
    add_user(rt.db, "ana")
    items = [flag(rt.db, f"t{i}", text=f"Tin đồn số {i}: <b>nước muối</b> chữa khỏi bệnh") for i in range(3)]
    for item in items:
        decide(rt.db, "ana", item, "confirm", justification="Bộ Y tế bác bỏ", reference_url="https://moh.gov.vn/x")
    return items


def _export(rt: Runtime, tmp_path: Path, hours_ago: float) -> list[int]:
    save_profile(rt.db, actor="rita", name="meta", recipient="Meta")
    run_export(rt.db, rt.config.settings, actor="rita", profile="meta", now=utcnow() - timedelta(hours=hours_ago))
    return sorted(r.id for r in list_requests(rt.db, actor=person("rita")))


def test_reviewer_filters_opens_and_marks_a_request(rt: Runtime, tmp_path: Path) -> None:
    items = _sent(rt, tmp_path)
    ana = signed_in(rt, "ana2")
    rev = signed_in(rt, "rita", "reviewer")
    ids = _export(rt, tmp_path, hours_ago=30)
    record_check(rt.db, request_id=ids[0], url="https://x/1", outcome="removed", http_status=404, text=None)
    with rt.db.session() as s:
        from store.models import TakedownRequest

        post_id = s.get(TakedownRequest, ids[1]).post_id
    archive = record_archive(rt.db, decision_id=1, post_id=post_id, url="https://x/2", file_name="a.warc.gz",
                             sha256="ab" * 32, payload_sha256="cd" * 32, http_status=200, size=10,
                             captured_at=utcnow())
    assert ana.get("/takedowns").status_code == 403
    page = rev.get("/takedowns")
    assert page.status_code == 200 and page.text.count('class="request-row') == 3
    assert re.search(r'id="overdue-count">2<', page.text)
    overdue = rev.get("/takedowns?overdue=1")
    assert overdue.text.count('class="request-row') == 2 and f'id="request-{ids[0]}"' not in overdue.text
    removed = rev.get("/takedowns?status=removed&recipient=Meta")
    assert removed.text.count('class="request-row') == 1
    assert "compliance-row" in page.text and "<svg" in page.text
    dashboard = rev.get("/")
    assert 'id="takedown-panel"' in dashboard.text
    assert re.search(r'id="dashboard-overdue">2 overdue now<', dashboard.text)
    assert 'id="takedown-panel"' not in ana.get("/").text

    detail = rev.get(f"/takedowns/{ids[1]}")
    assert detail.status_code == 200 and f'href="/items/{items[1]}"' in detail.text
    assert f'href="/evidence/{archive.id}"' in detail.text
    token = csrf_of(rev, f"/takedowns/{ids[1]}")
    empty = rev.post(f"/takedowns/{ids[1]}/mark", data={"csrf_token": token, "status": "acknowledged", "note": ""})
    assert empty.status_code == 422 and 'id="mark-error"' in empty.text
    done = rev.post(f"/takedowns/{ids[1]}/mark", data={"csrf_token": token, "status": "acknowledged",
                                                      "note": "Meta đã nhận <script>", "ref": "M-1"},
                    follow_redirects=False)
    assert done.status_code == 303
    shown = rev.get(done.headers["location"])
    assert 'id="request-status">acknowledged<' in shown.text and "M-1" in shown.text
    assert "Meta đã nhận &lt;script&gt;" in shown.text
    wrong = rev.post(f"/takedowns/{ids[0]}/mark", data={"csrf_token": token, "status": "rejected", "note": "x"})
    assert wrong.status_code == 409
    assert rev.get("/takedowns/99999").status_code == 404
    api = rev.get("/api/takedowns", params={"overdue": "true"}).json()
    assert sorted(r["id"] for r in api) == ids[1:]  # the acknowledged one and the one untouched
    one = rev.get(f"/api/takedowns/{ids[0]}").json()
    assert one["status"] == "removed" and one["checks"][0]["http_status"] == 404
    marked = rev.post(f"/api/takedowns/{ids[2]}/mark", headers={"X-CSRF-Token": token},
                      json={"status": "rejected", "note": "Meta từ chối"})
    assert marked.status_code == 200 and marked.json()["status"] == "rejected"
    assert rev.post(f"/api/takedowns/{ids[2]}/mark", headers={"X-CSRF-Token": token},
                    json={"status": "removed", "note": "x"}).status_code == 409
    assert rev.get("/api/takedowns/compliance").json()[0]["sent"] == 3
    assert ana.get("/api/takedowns").status_code == 403
    item_page = rev.get(f"/items/{items[1]}")
    assert f'href="/evidence/{archive.id}"' in item_page.text
    assert f'href="/takedowns/{ids[1]}"' in item_page.text  # the item links its requests
    assert 'id="item-takedowns"' not in ana.get(f"/items/{items[1]}").text  # analysts do not follow requests
    assert rev.get(f"/evidence/{archive.id}").status_code == 410  # the file is not there


@pytest.fixture
def app(tmp_path: Path) -> Iterator[tuple[str, Runtime]]:
    with served(Settings(database_url=f"sqlite:///{tmp_path / 'web.db'}",
                                         exports_dir=tmp_path / "exports")) as served_app:  # type: ignore[arg-type]
        yield served_app


@BROWSER_MARKS[0]
@BROWSER_MARKS[1]
def test_chromium_walks_the_takedowns_page(browser: Any, app: Any, tmp_path: Path) -> None:
    url, runtime = app
    _sent(runtime, tmp_path)
    add_user(runtime.db, "rita", "reviewer")
    ids = _export(runtime, tmp_path, hours_ago=30)
    record_check(runtime.db, request_id=ids[2], url="https://x/3", outcome="online", http_status=200,
                 text="Tin đồn số 2: nước muối chữa khỏi bệnh")
    context = browser.new_context(viewport={"width": 1360, "height": 900}, locale="vi-VN")
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(f"{url}/login")
    page.fill("input[name=username]", "rita")
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{url}/")
    page.click("nav a[href='/takedowns']")  # the page is in Vietnamese (the default)
    page.wait_for_url(f"{url}/takedowns")
    expect(page.locator("tr.request-row")).to_have_count(3)
    expect(page.locator("#overdue-count")).to_have_text("3")
    page.select_option("#filter-status", "still_online")
    page.click("#filter-button")
    expect(page.locator("tr.request-row")).to_have_count(1)
    page.click(f"#request-{ids[2]} a.request-link")
    page.wait_for_url(f"{url}/takedowns/{ids[2]}")
    expect(page.locator("tr.check-row")).to_have_count(1)
    page.select_option("#mark-status", "removed")
    page.fill("#mark-ref", "META-42")
    page.fill("#mark-note", "Meta báo đã gỡ lúc 9 giờ")
    page.click("#mark-button")
    expect(page.locator("#mark-done")).to_be_visible()
    expect(page.locator("#request-status.takedown-removed")).to_have_text("đã gỡ")
    expect(page.locator("#request-ref")).to_have_text("META-42")
    expect(page.locator("#request-notes")).to_contain_text("rita: Meta báo đã gỡ lúc 9 giờ")
    page.click("main a[href='/takedowns']")
    page.check("#filter-overdue")
    page.click("#filter-button")
    expect(page.locator("tr.request-row")).to_have_count(2)
    assert not errors, errors
    context.close()


def test_a_refusal_on_the_request_page_is_in_the_readers_language(rt: Runtime, tmp_path: Path) -> None:
    _sent(rt, tmp_path)
    rev = signed_in(rt, "rita", "reviewer")
    ids = _export(rt, tmp_path, hours_ago=1)
    with rt.db.write() as s:
        from store.models import User

        s.execute(update(User).where(User.username == "rita").values(ui_language="vi"))
    token = csrf_of(rev, f"/takedowns/{ids[0]}")
    empty = rev.post(f"/takedowns/{ids[0]}/mark", data={"csrf_token": token, "status": "acknowledged", "note": ""})
    assert empty.status_code == 422
    assert re.search(r'id="mark-error">Hãy ghi lý do vào ghi chú', empty.text), empty.text[:2000]


def test_a_changed_post_is_decided_again_on_the_text_seen(rt: Runtime, tmp_path: Path) -> None:
    items = _sent(rt, tmp_path)
    rev = signed_in(rt, "rita", "reviewer")
    ids = _export(rt, tmp_path, hours_ago=1)
    record_check(rt.db, request_id=ids[0], url="https://x/1", outcome="changed", http_status=200,
                 text="Bài đã sửa: <i>thông tin chính thức</i>")
    page = rev.get(f"/items/{items[0]}")
    assert page.status_code == 200 and 'id="changed-text"' in page.text
    assert "Bài đã sửa: &lt;i&gt;thông tin chính thức&lt;/i&gt;" in page.text  # the text seen, escaped
    assert 'name="action"' in page.text  # a reviewer outside the case may decide it
    cases = rev.get("/cases")
    assert f'href="/items/{items[0]}"' in cases.text
    note = re.search(rf'id="changed-note-{items[0]}">(.*?)</span> <a href="/takedowns/{ids[0]}">(.*?)</a>', cases.text)
    assert note and "text changed since its takedown was sent" in note.group(1), cases.text[:3000]
    assert note.group(2) == f"Takedown request #{ids[0]} to Meta" and f'id="changed-note-{items[1]}"' not in cases.text
    for status in ("changed", "open"):  # the queue's status filter: the changed item alone, or among the open
        listed = rev.get(f"/queue?status={status}")
        assert listed.status_code == 200 and f'href="/items/{items[0]}"' in listed.text
        assert f'href="/items/{items[1]}"' not in listed.text
        assert re.search(rf'<option value="{status}" selected>', listed.text)
    assert '<option value="changed" >Text changed since its takedown</option>' in listed.text
    assert "All open (pending, escalated, appealed, text changed)" in listed.text
    assert 'id="changed-text"' not in rev.get(f"/items/{items[1]}").text
