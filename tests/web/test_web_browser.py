"""The review app in real headless Chromium (Playwright, the system's /usr/bin/chromium), served by uvicorn in a
thread on 127.0.0.1 against a SQLite file. Screenshots go to test-artifacts/screenshots/."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from config import Settings
from service.runtime import Runtime
from web_support import BROWSER_MARKS, HOSTILE, PASSWORD, SCREENSHOTS, add_user, flag, served

pytestmark = BROWSER_MARKS


@pytest.fixture
def app(tmp_path: Path) -> Iterator[tuple[str, Runtime]]:
    with served(Settings(ui_language="en", database_url=f"sqlite:///{tmp_path / 'web.db'}",
                                         claim_minutes=5)) as served_app:
        yield served_app


class Watch:
    """Dialogs, page errors and console errors (CSP violations show up there)."""

    def __init__(self, page: Any) -> None:
        self.dialogs: list[str] = []
        self.errors: list[str] = []
        page.on("dialog", lambda d: (self.dialogs.append(d.message), d.dismiss()))
        page.on("pageerror", lambda e: self.errors.append(str(e)))
        page.on("console", lambda m: self.errors.append(m.text) if m.type == "error" else None)


def _login(browser: Any, url: str, name: str) -> tuple[Any, Any, Watch]:
    context = browser.new_context(viewport={"width": 1360, "height": 900}, locale="vi-VN")
    page = context.new_page()
    watch = Watch(page)
    page.goto(f"{url}/login")
    page.fill("input[name=username]", name)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{url}/")
    return context, page, watch


def _shot(page: Any, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)


def _seed(runtime: Runtime) -> list[int]:
    texts = [
        "Bộ Y tế xác nhận uống nước muối loãng mỗi sáng chữa khỏi hoàn toàn virus corona, chia sẻ ngay cho "
        "người thân!\nThông tin này đã được nhiều bác sĩ ở Hà Nội kiểm chứng.",
        "Nóng: ngân hàng nhà nước sẽ đổi tiền vào tuần sau, mọi người rút hết tiền mặt ngay kẻo mất trắng.",
        "Tỏi và gừng giúp tăng sức đề kháng, nhưng không chữa khỏi bệnh; hãy theo dõi thông tin chính thức.",
    ]
    ids = [flag(runtime.db, f"b{i}", 0.95 - i * 0.1, text=t, terms=("chữa khỏi", "rút hết tiền", "đổi tiền"),
                source=("vnexpress", "tuoitre", "facebook-page")[i]) for i, t in enumerate(texts)]
    flag(runtime.db, "b0-copy", 0.6, text=texts[0], terms=("chữa khỏi",), source="tuoitre")
    return ids


def test_analyst_claims_sees_evidence_confirms_and_the_item_leaves_the_queue(browser: Any, app: Any) -> None:
    url, runtime = app
    top, *_ = _seed(runtime)
    add_user(runtime.db, "ana")
    add_user(runtime.db, "boss", "admin")
    context, page, watch = _login(browser, url, "ana")
    page.goto(f"{url}/queue")
    assert page.locator(f"tr[data-item='{top}']").count() == 1
    expect(page.locator("p.result-count")).to_have_text("4 items match.")  # counted after the rows show
    _shot(page, "queue")
    page.keyboard.press("n")  # next item
    page.wait_for_url(f"{url}/items/{top}")
    marks = page.locator("#post-text mark")
    assert marks.count() >= 1 and marks.first.inner_text() == "chữa khỏi"
    assert page.locator("a[target=_blank][rel='noopener noreferrer']").count() >= 1
    _shot(page, "item")
    page.keyboard.press("c")
    assert page.evaluate("document.activeElement.id") == "confirm-category"
    page.select_option("#confirm-category", "health_misinformation")
    page.fill("#confirm-form textarea[name=justification]", "Bộ Y tế đã bác bỏ thông tin này.")
    page.fill("#confirm-form input[name=reference_url]", "https://moh.gov.vn/tin-tuc")
    page.check("#confirm-form input[name=apply_to_cluster]")
    page.click("#confirm-form button[type=submit]")
    page.wait_for_url(re.compile(rf"/items/\d+\?decided={top}&did=confirm$"))  # the next item opens
    assert f"You confirmed item #{top}." in page.locator("#done-flash").inner_text()
    page.goto(f"{url}/queue")
    assert page.locator(f"tr[data-item='{top}']").count() == 0
    assert page.locator("tr.queue-row").count() == 2  # its near-duplicate went with it
    page.fill("#f-q", "đổi tiền")  # htmx filter as you type
    expect(page.locator("tr.queue-row")).to_have_count(1)  # (wait_for_function would need eval: CSP refuses)
    assert watch.dialogs == [] and watch.errors == []
    context.close()
    context, page, watch = _login(browser, url, "boss")
    _shot(page, "dashboard")
    assert page.locator("svg.chart rect").count() == 30
    page.goto(f"{url}/admin/audit")
    assert page.locator(f"td.sentence:has-text('ana confirmed #{top} as Health misinformation')").count() == 1
    _shot(page, "audit")
    assert watch.errors == []
    context.close()


def test_escalate_by_keyboard_with_a_note_then_undo(browser: Any, app: Any) -> None:
    url, runtime = app
    top, following, *_ = _seed(runtime)
    add_user(runtime.db, "ana")
    context, page, watch = _login(browser, url, "ana")
    page.goto(f"{url}/queue")
    page.keyboard.press("n")
    page.wait_for_url(f"{url}/items/{top}")
    page.keyboard.press("e")  # the note an escalation needs, not a submit
    assert page.evaluate("document.activeElement.id") == "escalate-note"
    page.keyboard.type("Ảnh có thể bị cắt ghép, cần người rà lại")
    page.click("#escalate-form button[type=submit]")
    page.wait_for_url(f"{url}/items/{following}?decided={top}&did=escalate")
    page.click("#undo-button")
    page.wait_for_url(f"{url}/items/{top}?undone=1")
    expect(page.locator("#undone-flash")).to_be_visible()
    assert page.locator("#confirm-form").count() == 1 and "Claimed by you" in page.content()
    assert watch.dialogs == [] and watch.errors == []
    context.close()


def test_two_analysts_never_get_the_same_item(browser: Any, app: Any) -> None:
    url, runtime = app
    _seed(runtime)
    add_user(runtime.db, "ana")
    add_user(runtime.db, "bao")
    (c1, p1, _), (c2, p2, _) = _login(browser, url, "ana"), _login(browser, url, "bao")
    got = []
    for page in (p1, p2, p1, p2):
        page.click("#next-form button")
        page.wait_for_url(f"{url}/items/*")
        got.append(page.url)
    assert got[0] != got[1] and got[2] == got[0] and got[3] == got[1]  # each keeps their own lease
    p2.goto(got[0])
    assert p2.locator("#confirm-form").count() == 0 and "working on this item" in p2.content()
    c1.close()
    c2.close()


def test_hostile_post_renders_as_text_and_runs_nothing(browser: Any, app: Any) -> None:
    url, runtime = app
    item = flag(runtime.db, "evil", 0.99, text=HOSTILE, terms=("chữa khỏi", "<script>"),
                url="javascript:alert(document.cookie)")
    add_user(runtime.db, "ana")
    context, page, watch = _login(browser, url, "ana")
    for path in ("/queue", f"/items/{item}"):
        page.goto(f"{url}{path}")
        page.wait_for_timeout(300)
        assert page.evaluate("document.querySelectorAll('main script, main img, main b, main iframe').length") == 0
    text = page.locator("#post-text").inner_text()
    assert '<script>alert("xss")</script>' in text and "<img src=x onerror=" in text
    assert page.locator("#post-text mark").count() == 2
    assert page.locator("a[href^='javascript']").count() == 0
    assert watch.dialogs == []
    assert not [e for e in watch.errors if "Content Security Policy" not in e]
    _shot(page, "hostile-item")
    context.close()


def test_analyst_cannot_reach_admin_pages_and_forms_need_csrf(browser: Any, app: Any) -> None:
    url, runtime = app
    _seed(runtime)
    add_user(runtime.db, "ana")
    context, page, watch = _login(browser, url, "ana")
    assert page.locator("nav a[href='/admin/audit']").count() == 0
    for path in ("/admin/audit", "/admin/users"):
        response = page.goto(f"{url}{path}")
        assert response.status == 403 and "Not allowed" in page.content()
    status = page.evaluate("""async () => {
        const r = await fetch('/queue/next', {method: 'POST', body: new URLSearchParams({x: '1'})});
        return r.status; }""")
    assert status == 403
    page.goto(f"{url}/queue")
    with page.expect_navigation() as navigation:
        page.evaluate("""() => { const f = document.getElementById('next-form');
            f.querySelector('input[name=csrf_token]').remove(); f.submit(); }""")
    assert navigation.value.status == 403
    expect(page.locator("h1")).to_have_text("Not allowed")
    context.close()
