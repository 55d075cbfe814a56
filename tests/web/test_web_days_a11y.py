"""The analyst's, reviewer's, operator's and admin's days in real headless Chromium (Debian's /usr/bin/chromium,
Playwright), with axe-core run on every page visited (0 serious or critical violations) and a phone-sized walk
(390 px: nothing wider than the screen, the decision form on the first screen).

The full walks run in every one of LANGUAGES (Vietnamese, the default, then English); every other language also
gets a short walk: each page of the admin's menu, an item and the sign-in page with axe, and the queue and an item
on a phone. The assertions use ids and data attributes, never the words on the page, so they hold in Vietnamese
and English. axe-core comes from the npm registry into tests/web/axe (`npm ci --prefix tests/web/axe`);
without it these tests are skipped with that reason.

With KIEMTIN_SCREENSHOTS=1 the walks save the README's screenshots into docs/screenshots/.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from builders import decide
from config import AppConfig, Settings
from review.actors import CONSOLE_ACTOR
from service.runtime import Runtime
from service.scheduler import CrawlScheduler, read_job_times
from service.sources import add_source
from store.models import CrawlRun
from store.types import utcnow
from tests_support import wait_until
from web_support import BROWSER_MARKS, PASSWORD, add_user, flag, served

ROOT = Path(__file__).resolve().parents[2]
AXE = ROOT / "tests" / "web" / "axe" / "node_modules" / "axe-core" / "axe.min.js"
DOCS_SHOTS = ROOT / "docs" / "screenshots"
SCREENSHOTS = os.environ.get("KIEMTIN_SCREENSHOTS") == "1"

# The languages the walks run in: Vietnamese (the default, and the README's screenshots) first. The full walks run
# in each; the others also get the short walk (every page of the admin's menu + axe).
LANGUAGES = ["vi", "en"]
LOCALES = {"vi": "vi-VN", "en": "en-US"}

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1360, "height": 900}

pytestmark = [*BROWSER_MARKS, pytest.mark.skipif(not AXE.exists(), reason=(
    "axe-core is not installed: run `npm ci --prefix tests/web/axe` (needs npm; the CI does it)"))]

LONG_URL = ("https://www.baomoi-example.vn/tin-tuc/thoi-su/" + "suc-khoe-cong-dong-" * 6
            + "rss.xml?chuyen-muc=suc-khoe&trang=1")
RUMOURS = [
    "Bộ Y tế xác nhận uống nước muối loãng mỗi sáng chữa khỏi hoàn toàn virus corona, chia sẻ ngay cho người "
    "thân! Thông tin này đã được nhiều bác sĩ ở Hà Nội kiểm chứng. " * 4,
    "Nóng: ngân hàng nhà nước sẽ đổi tiền vào tuần sau, mọi người rút hết tiền mặt ngay kẻo mất trắng.",
    "Cách ly toàn thành phố từ tối nay, các siêu thị sẽ đóng cửa, hãy mua tích trữ lương thực ngay.",
    "Tin đồn đổi tiền số 1: tiền polyme sẽ bị thu hồi hết trong tháng này.",
    "Tin đồn đổi tiền số 2: tiền mệnh giá nhỏ sẽ không còn giá trị.",
]


@pytest.fixture(params=LANGUAGES)
def lang(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def app(tmp_path: Path) -> Iterator[tuple[str, Runtime, Settings]]:
    settings = Settings(database_url=f"sqlite:///{tmp_path / 'web.db'}", exports_dir=tmp_path / "exports",
                        claim_minutes=5)  # type: ignore[arg-type]
    with served(settings) as (url, runtime):
        yield url, runtime, settings


class Axe:
    """axe-core injected into each page (evaluated through the DevTools protocol, so the page's CSP stays on)."""

    source = AXE.read_text(encoding="utf-8") if AXE.exists() else ""

    def __init__(self) -> None:
        self.pages: list[str] = []

    def check(self, page: Any, where: str) -> None:
        page.wait_for_load_state("load")
        if not page.evaluate("typeof window.axe !== 'undefined'"):
            page.evaluate(self.source)
        result = page.evaluate("axe.run(document, {resultTypes: ['violations']})")
        bad = [f"{v['id']} ({v['impact']}, {len(v['nodes'])}x, e.g. {v['nodes'][0]['target']}): {v['help']}"
               for v in result["violations"] if v["impact"] in ("serious", "critical")]
        assert bad == [], f"axe on {where} ({page.url}):\n" + "\n".join(bad)
        self.pages.append(where)


def _use_language(page: Any, lang: str) -> None:
    """Read the app in ``lang`` the way a person chooses it: the language switch in the header (or, signed out, in
    the footer), which keeps a signed-in person's choice on their account. Nothing to do in the default language."""
    assert lang in LOCALES
    if page.locator("html").get_attribute("lang") == lang:
        return
    page.click(f"#language-form button[value='{lang}']")
    expect(page.locator("html")).to_have_attribute("lang", lang)


def _open(browser: Any, url: str, runtime: Runtime, name: str, role: str, lang: str,
          viewport: dict[str, int] = DESKTOP) -> tuple[Any, Any, list[str]]:
    add_user(runtime.db, name, role)
    context = browser.new_context(viewport=viewport, locale=LOCALES[lang], accept_downloads=True)
    context.set_default_timeout(10_000)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("dialog", lambda d: _refuse_dialog(d, errors))
    page.goto(f"{url}/login")
    page.fill("input[name=username]", name)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{url}/")
    _use_language(page, lang)
    page.wait_for_url(f"{url}/")
    return context, page, errors


def _refuse_dialog(dialog: Any, errors: list[str]) -> None:
    errors.append("dialog: " + dialog.message)
    dialog.dismiss()


def _readme_shot(page: Any, name: str, lang: str) -> None:
    """The README's screenshots (first screen only, so they stay small), when KIEMTIN_SCREENSHOTS=1."""
    if SCREENSHOTS and lang == LANGUAGES[0]:
        DOCS_SHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(DOCS_SHOTS / f"{name}.png"), full_page=False)


def _seed(runtime: Runtime) -> list[int]:
    return [flag(runtime.db, f"r{i}", 0.95 - i * 0.12, text=text, source=("vnexpress", "tuoitre")[i % 2],
                 terms=("chữa khỏi", "đổi tiền", "cách ly", "rút hết tiền mặt"))
            for i, text in enumerate(RUMOURS)]


def _scroll_width(page: Any) -> int:
    return int(page.evaluate("document.documentElement.scrollWidth"))


def test_analyst_day_search_decide_undo_escalate_and_bulk_dismiss(browser: Any, app: Any, lang: str) -> None:
    url, runtime, _settings = app
    top, second, third, *rumours = _seed(runtime)
    axe = Axe()
    context, page, errors = _open(browser, url, runtime, "ana", "analyst", lang)
    axe.check(page, "dashboard")
    page.goto(f"{url}/queue")
    expect(page.locator("tr.queue-row")).to_have_count(len(RUMOURS))
    expect(page.locator("p.result-count")).to_have_count(1)
    axe.check(page, "queue")
    _readme_shot(page, "queue", lang)
    # an unaccented search finds the accented post: "cach ly" finds "Cách ly toàn thành phố"
    page.fill("#f-q", "cach ly")
    page.wait_for_url(re.compile(r"q=cach(\+|%20)ly"))
    expect(page.locator("#queue-results")).to_be_visible()
    expect(page.locator("tr.queue-row")).to_have_count(1)
    expect(page.locator(f"tr.queue-row[data-item='{third}']")).to_have_count(1)
    axe.check(page, "queue, unaccented search")
    page.fill("#f-q", "cách ly")
    expect(page.locator("tr.queue-row")).to_have_count(1)
    page.goto(f"{url}/queue")
    # decide: the next item opens with Undo, and Undo brings the decision back
    page.keyboard.press("n")
    page.wait_for_url(f"{url}/items/{top}")
    assert page.locator("#post-text mark").count() >= 1
    axe.check(page, "item")
    _readme_shot(page, "item", lang)
    page.select_option("#dismiss-reason", index=1)
    page.click("#dismiss-form button[type=submit]")
    page.wait_for_url(f"{url}/items/{second}?decided={top}&did=dismiss")
    expect(page.locator("#done-flash")).to_be_visible()
    axe.check(page, "item after a decision (undo)")
    page.click("#undo-button")
    page.wait_for_url(f"{url}/items/{top}?undone=1")
    expect(page.locator("#undone-flash")).to_be_visible()
    assert page.locator("#confirm-form").count() == 1
    # escalate with a note: it leaves the analyst's queue for the reviewers'
    page.keyboard.press("e")
    assert page.evaluate("document.activeElement.id") == "escalate-note"
    page.keyboard.type("Ảnh có thể bị cắt ghép, cần người rà lại")
    page.click("#escalate-form button[type=submit]")
    page.wait_for_url(re.compile(rf"/items/\d+\?decided={top}&did=escalate$"))
    # bulk dismiss two rumours found by a search, reviewed before anything is decided
    page.goto(f"{url}/queue?q=" + "tin đồn đổi tiền")
    expect(page.locator("tr.queue-row")).to_have_count(2)
    bulk = page.locator("#bulk-form")
    expect(bulk).to_be_visible()
    axe.check(page, "queue with the bulk form")
    bulk.locator("select[name=action]").select_option("dismiss")
    bulk.locator("select[name=dismiss_reason]").select_option(index=1)
    bulk.locator("button[type=submit]").click()
    expect(page.locator("tr.bulk-row")).to_have_count(2)
    axe.check(page, "bulk review")
    page.click("#bulk-confirm")
    expect(page.locator("#bulk-outcome")).to_be_visible()
    axe.check(page, "bulk outcome")
    with runtime.db.session() as s:
        from store.models import QueueItem
        statuses = {i: s.get(QueueItem, i).status for i in (top, *rumours)}
    assert statuses == {top: "escalated", rumours[0]: "dismissed", rumours[1]: "dismissed"}
    assert errors == []
    context.close()


def test_reviewer_works_an_escalation(browser: Any, app: Any, lang: str) -> None:
    url, runtime, _settings = app
    top, second, *_ = _seed(runtime)
    add_user(runtime.db, "ana")
    decide(runtime.db, "ana", top, "escalate", justification="Ảnh có thể bị cắt ghép, cần người rà lại")
    decide(runtime.db, "ana", second, "confirm", category="false_claim", justification="Ngân hàng nhà nước bác bỏ",
           reference_url="https://sbv.gov.vn/tin")
    axe = Axe()
    context, page, errors = _open(browser, url, runtime, "rita", "reviewer", lang)
    axe.check(page, "dashboard (reviewer)")
    page.goto(f"{url}/cases")
    expect(page.locator("tr.case-row")).to_have_count(1)
    axe.check(page, "escalations")
    page.click("#next-form button")
    page.wait_for_url(f"{url}/items/{top}")
    expect(page.locator("#case-note")).to_be_visible()
    axe.check(page, "escalated item")
    page.select_option("#confirm-category", "manipulated_media")
    page.fill("#confirm-form textarea[name=justification]", "Ảnh ghép từ hai bức ảnh khác nhau.")
    page.click("#confirm-form button[type=submit]")
    page.wait_for_url(re.compile(rf"decided={top}&did=confirm"))
    axe.check(page, "after the escalation was decided")
    page.goto(f"{url}/cases")
    expect(page.locator("tr.case-row")).to_have_count(0)
    page.goto(f"{url}/exports")
    axe.check(page, "exports")
    page.fill("#profile-form input[name=name]", "Bo-TTTT")
    page.fill("#profile-form input[name=recipient]", "Cục PTTH&TTĐT")
    page.click("#profile-form button[type=submit]")
    expect(page.locator("tr[data-profile='Bo-TTTT']")).to_have_count(1)
    page.select_option("#run-form select[name=profile]", "Bo-TTTT")
    page.click("#preview-button")
    expect(page.locator("tr.preview-row")).to_have_count(2)
    axe.check(page, "export preview")
    assert errors == []
    context.close()


def test_operator_day_sources_long_urls_errors_and_a_paused_source(browser: Any, app: Any, lang: str) -> None:
    url, runtime, settings = app
    feed = add_source(runtime, CONSOLE_ACTOR, {"name": "baomoi", "kind": "rss", "url": LONG_URL,
                                               "schedule": "every 1h", "jitter_s": 0}).id
    other = add_source(runtime, CONSOLE_ACTOR, {"name": "tuoitre", "kind": "rss", "url": "https://tuoitre.vn/rss.xml",
                                                "schedule": "every 2h", "jitter_s": 0}).id
    error = f"HTTP 503 from {LONG_URL}: Service Unavailable, the server asked to retry after 120 s"
    with runtime.db.write() as s:
        from datetime import timedelta
        start = utcnow() - timedelta(minutes=5)
        s.add(CrawlRun(source_id=feed, trigger="schedule", started_at=start, finished_at=start + timedelta(seconds=3),
                       status="error", http_status_counts={"503": 3}, fetched=3, errors=[error]))
    scheduler_rt = Runtime.open(AppConfig(settings=settings))
    scheduler = CrawlScheduler(scheduler_rt, crawl=lambda *_: None, sync_every_s=0.3)
    scheduler.start()
    try:
        def next_runs() -> dict[int, Any]:
            with runtime.db.session() as s:
                return read_job_times(s).next_run

        wait_until(lambda: {feed, other} <= set(next_runs()), 15, "both sources scheduled")
        axe = Axe()
        context, page, errors = _open(browser, url, runtime, "olga", "operator", lang)
        page.goto(f"{url}/sources")
        row = page.locator("tr[data-source='tuoitre']")
        expect(row.locator("time")).to_have_count(1)  # next run shown while it runs on a schedule
        link = page.locator("tr[data-source='baomoi'] a.url")
        assert link.get_attribute("title") == LONG_URL  # the whole URL on hover
        box = link.bounding_box()
        assert box is not None and box["height"] < 30  # one line, with an ellipsis, not a few characters a line
        axe.check(page, "sources")
        row.locator("form[action$='/pause'] button").click()
        page.wait_for_url(f"{url}/sources?*")
        expect(page.locator("tr[data-source='tuoitre'] form[action$='/resume']")).to_have_count(1)
        page.goto(f"{url}/sources")
        cells = page.locator("tr[data-source='tuoitre'] td")
        assert cells.nth(4).locator("time").count() == 0  # a paused source shows no next run
        assert cells.nth(4).inner_text().strip().startswith("—")
        axe.check(page, "sources with a paused one")
        page.goto(f"{url}/sources/{feed}")
        errors_cell = page.locator("table.runs td.errors").first
        expect(errors_cell).to_contain_text("HTTP 503")
        expect(errors_cell).to_be_in_viewport()  # the run-history errors are on screen, not scrolled away
        axe.check(page, "source")
        page.goto(f"{url}/health")
        axe.check(page, "health")
        assert errors == []
        context.close()
    finally:
        scheduler.stop()
        scheduler_rt.close()


def test_admin_day_users_audit_and_confirmations(browser: Any, app: Any, lang: str) -> None:
    url, runtime, _settings = app
    top, *_ = _seed(runtime)
    add_user(runtime.db, "ana")
    decide(runtime.db, "ana", top, "confirm", category="health_misinformation", justification="Bộ Y tế đã bác bỏ")
    axe = Axe()
    context, page, errors = _open(browser, url, runtime, "boss", "admin", lang)
    axe.check(page, "dashboard (admin)")
    page.keyboard.press("Tab")  # the first Tab stop skips the menu
    assert page.evaluate("document.activeElement.getAttribute('href')") == "#main"
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "main"
    page.goto(f"{url}/admin/audit")
    expect(page.locator("tr.audit-row").first).to_be_visible()
    axe.check(page, "audit log")
    page.goto(f"{url}/admin/users")
    axe.check(page, "users")
    ana = page.locator("tr[data-user='ana']")
    ana.locator("a[href$='/deactivate']").click()
    page.wait_for_url(re.compile(r"/admin/users/\d+/deactivate"))
    axe.check(page, "confirm deactivation")
    page.goto(f"{url}/items/{top}")
    axe.check(page, "a decided item")
    page.goto(f"{url}/no-such-page")
    axe.check(page, "not found")
    assert [e for e in errors if "404" not in e] == []
    context.close()
    context = page.context.browser.new_context(viewport=DESKTOP, locale=LOCALES[lang])
    login = context.new_page()
    login.goto(f"{url}/login")
    _use_language(login, lang)
    axe.check(login, "sign in")
    context.close()


def test_a_phone_390_px_wide(browser: Any, app: Any, lang: str) -> None:
    url, runtime, _settings = app
    top, *_ = _seed(runtime)
    axe = Axe()
    context, page, errors = _open(browser, url, runtime, "ana", "analyst", lang, PHONE)
    toggle = page.locator("#nav-toggle")
    expect(toggle).to_be_visible()  # the menu folds behind a button
    expect(page.locator("#main-nav")).to_be_hidden()
    toggle.click()
    expect(toggle).to_have_attribute("aria-expanded", "true")
    expect(page.locator("#main-nav a[href='/queue']")).to_be_visible()
    assert _scroll_width(page) <= PHONE["width"]
    axe.check(page, "dashboard, phone, menu open")
    page.locator("#main-nav a[href='/queue']").click()
    page.wait_for_url(f"{url}/queue")
    expect(page.locator("tr.queue-row")).to_have_count(len(RUMOURS))
    assert _scroll_width(page) <= PHONE["width"]
    expect(page.locator("#f-q")).to_be_visible()  # the filters fold to the text search; a button unfolds them
    expect(page.locator("#queue-filters select[name=status]")).to_be_hidden()
    first_row = page.locator("tr.queue-row").first.bounding_box()
    assert first_row is not None and first_row["y"] < PHONE["height"], "the first row is on the first screen"
    row = page.locator(f"tr[data-item='{top}']").bounding_box()
    assert row is not None and row["x"] >= 0 and row["x"] + row["width"] <= PHONE["width"]  # rows are cards
    assert page.evaluate(f"getComputedStyle(document.querySelector(\"tr[data-item='{top}']\")).display") == "flex"
    axe.check(page, "queue, phone")
    _readme_shot(page, "queue-phone", lang)
    page.click("#filters-toggle")
    expect(page.locator("#queue-filters select[name=status]")).to_be_visible()
    expect(page.locator("#bulk-form")).to_be_visible()
    assert _scroll_width(page) <= PHONE["width"]
    page.click("#next-form button")
    page.wait_for_url(f"{url}/items/{top}")
    assert _scroll_width(page) <= PHONE["width"]
    form_top = page.evaluate("document.getElementById('confirm-form').getBoundingClientRect().top")
    assert form_top < PHONE["height"] / 2, f"the decision form starts {form_top} px down"
    header = page.locator("header.topbar").bounding_box()
    assert header is not None and header["width"] <= PHONE["width"] and header["height"] < 80  # not cut off
    axe.check(page, "item, phone")
    _readme_shot(page, "item-phone", lang)
    toggle = page.locator("#post-toggle")  # the long post starts folded; one button unfolds it
    expect(toggle).to_have_attribute("aria-expanded", "false")
    folded = page.locator("#post-text").bounding_box()["height"]
    toggle.click()
    expect(toggle).to_have_attribute("aria-expanded", "true")
    assert page.locator("#post-text").bounding_box()["height"] > folded * 1.5
    for path in ("/cases", "/", f"/items/{top}?undone=1"):
        page.goto(f"{url}{path}")
        assert _scroll_width(page) <= PHONE["width"], path
    assert [e for e in errors if "403" not in e] == []
    context.close()
    context, page, errors = _open(browser, url, runtime, "boss", "admin", lang, PHONE)
    for path in ("/sources", "/health", "/exports", "/admin/audit", "/admin/users"):
        page.goto(f"{url}{path}")
        assert _scroll_width(page) <= PHONE["width"], path
        axe.check(page, f"{path}, phone")
    assert errors == []
    context.close()


@pytest.mark.parametrize("lang", LANGUAGES[1:])
def test_short_walk_in_the_other_languages(browser: Any, app: Any, lang: str) -> None:
    url, runtime, _settings = app
    top, *_ = _seed(runtime)
    axe = Axe()
    context, page, errors = _open(browser, url, runtime, "boss", "admin", lang)
    menu = page.locator("#main-nav a").evaluate_all("links => links.map(a => a.getAttribute('href'))")
    assert {"/queue", "/sources", "/admin/users", "/narratives", "/takedowns"} <= set(menu)
    for path in [*menu, f"/items/{top}", "/queue?q=cach%20ly"]:
        page.goto(f"{url}{path}")
        expect(page.locator("html")).to_have_attribute("lang", lang)  # the person's choice holds on every page
        axe.check(page, path)
    page.set_viewport_size(PHONE)
    for path in ("/queue", f"/items/{top}"):
        page.goto(f"{url}{path}")
        assert _scroll_width(page) <= PHONE["width"], path
        axe.check(page, f"{path}, phone")
    assert errors == []
    context.close()
    context = browser.new_context(viewport=DESKTOP, locale=LOCALES[lang])
    login = context.new_page()
    login.goto(f"{url}/login")
    _use_language(login, lang)
    axe.check(login, "sign in")
    context.close()
