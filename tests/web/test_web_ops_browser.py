"""Operators' and reviewers' pages in real headless Chromium (the system's /usr/bin/chromium), served by uvicorn
in a thread against a SQLite file: a schedule changed on the page reaches a running scheduler, analysts are
refused, a reviewer runs and downloads an export. Screenshots go to test-artifacts/screenshots/."""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from builders import decide
from config import AppConfig, Settings
from review.actors import CONSOLE_ACTOR
from service.runtime import Runtime
from service.scheduler import CrawlScheduler, read_job_times
from service.sources import add_source
from tests_support import wait_until
from web_support import BROWSER_MARKS, HOSTILE, PASSWORD, SCREENSHOTS, add_user, flag, served

pytestmark = BROWSER_MARKS


@pytest.fixture
def app(tmp_path: Path) -> Iterator[tuple[str, Runtime, Settings]]:
    settings = Settings(ui_language="en", database_url=f"sqlite:///{tmp_path / 'web.db'}",
                        exports_dir=tmp_path / "exports",
                        lease_seconds=5)  # type: ignore[arg-type]
    with served(settings) as (url, runtime):
        yield url, runtime, settings


def _login(browser: Any, url: str, name: str) -> tuple[Any, Any, list[str]]:
    context = browser.new_context(viewport={"width": 1360, "height": 900}, locale="vi-VN", accept_downloads=True)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("dialog", lambda d: (errors.append("dialog: " + d.message), d.dismiss()))
    page.goto(f"{url}/login")
    page.fill("input[name=username]", name)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{url}/")
    return context, page, errors


def _shot(page: Any, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)


def _add(runtime: Runtime, name: str, schedule: str, url: str | None = None, **values: Any) -> int:
    return add_source(runtime, CONSOLE_ACTOR, {"name": name, "kind": "rss", "url": url or f"https://{name}.vn/rss.xml",
                                               "schedule": schedule, **values}).id


def test_schedule_changed_on_the_page_reaches_the_running_scheduler(browser: Any, app: Any) -> None:
    url, runtime, settings = app
    feed = _add(runtime, "vnexpress", "every 1h", jitter_s=0)
    _add(runtime, "tuoitre", "cron 30 4 * * *", quiet_hours="23:00-06:00", min_delay_s=2.0, concurrency=2)
    _add(runtime, "báo lạ", "every 6h", url="https://example.vn/x?q=<script>alert(1)</script>")
    for i in range(3):
        flag(runtime.db, f"p{i}", source="vnexpress")
    add_user(runtime.db, "olga", "operator")
    calls: list[tuple[int, str]] = []
    lock = threading.Lock()

    def crawl(_rt: Runtime, source_id: int, trigger: str) -> None:
        with lock:
            calls.append((source_id, trigger))

    scheduler_rt = Runtime.open(AppConfig(settings=settings))
    scheduler = CrawlScheduler(scheduler_rt, crawl=crawl, sync_every_s=0.3)
    scheduler.start()
    try:
        def next_run() -> datetime | None:
            with runtime.db.session() as s:
                return read_job_times(s).next_run.get(feed)

        wait_until(lambda: (next_run() or datetime.min.replace(tzinfo=UTC)) > datetime.now(UTC)
                    + timedelta(minutes=55), 15, "next run about an hour away")
        context, page, errors = _login(browser, url, "olga")
        page.goto(f"{url}/sources")
        assert page.locator("tr[data-source='vnexpress']").count() == 1
        assert page.locator("a[href^='https://vnexpress.vn'][rel='noopener noreferrer']").count() == 1
        assert page.evaluate("document.querySelectorAll('main script, main b').length") == 0
        _shot(page, "sources")
        page.click(f"a[href='/sources/{feed}']")
        page.wait_for_url(f"{url}/sources/{feed}")
        page.fill("#edit-form input[name=every]", "0m")
        page.click("#edit-form button[type=submit]")
        expect(page.locator("#form-errors")).to_contain_text("too short")
        page.fill("#edit-form input[name=every]", "3h")
        page.click("#edit-form button[type=submit]")
        page.wait_for_url(f"{url}/sources/{feed}?*")
        expect(page.locator(".flash-ok")).to_contain_text("schedule")
        took = wait_until(lambda: (next_run() or datetime.max.replace(tzinfo=UTC)) > datetime.now(UTC)
                           + timedelta(hours=2, minutes=55), 10, "next run moved to ~3h away")
        assert took < 10
        page.click("form[action$='/run'] button")
        page.wait_for_url(f"{url}/sources/{feed}?*")
        wait_until(lambda: (feed, "manual") in calls or any(c[0] == feed and c[1] != "schedule" for c in calls)
                    or len([c for c in calls if c[0] == feed]) >= 2, 15, "the run-now request ran")
        page.goto(f"{url}/sources/{feed}")
        _shot(page, "source")
        page.goto(f"{url}/health")
        expect(page.locator("#leader")).not_to_have_text("none")
        assert page.locator("svg.chart").count() == 3
        _shot(page, "health")
        assert [e for e in errors if "status of 422" not in e] == []  # the refused 0m schedule answered 422
        context.close()
    finally:
        scheduler.stop()
        scheduler_rt.close()


def test_analyst_is_refused_operator_and_export_pages(browser: Any, app: Any) -> None:
    url, runtime, _settings = app
    add_user(runtime.db, "ana")
    context, page, _errors = _login(browser, url, "ana")
    for link in ("/sources", "/health", "/exports"):
        assert page.locator(f"nav a[href='{link}']").count() == 0
    for path in ("/sources", "/health", "/exports"):
        response = page.goto(f"{url}{path}")
        assert response.status == 403
        expect(page.locator("h1")).to_have_text("Not allowed")
    _shot(page, "ops-refused")
    context.close()


def test_reviewer_runs_an_export_and_downloads_it(browser: Any, app: Any) -> None:
    url, runtime, settings = app
    add_user(runtime.db, "ana")
    add_user(runtime.db, "rita", "reviewer")
    items = [flag(runtime.db, "evil", text=HOSTILE, source="vnexpress"), flag(runtime.db, "b", source="tuoitre")]
    flag(runtime.db, "undecided", text="Bài chưa ai quyết định KHÔNG-XUẤT", source="tuoitre")
    for item in items:
        decide(runtime.db, "ana", item, "confirm", category="health_misinformation",
               justification="Bộ Y tế đã bác bỏ", reference_url="https://moh.gov.vn/x")
    context, page, errors = _login(browser, url, "rita")
    page.click("nav a[href='/exports']")
    page.fill("#profile-form input[name=name]", "Bo-TTTT")
    page.fill("#profile-form input[name=recipient]", "Cục PTTH&TTĐT")
    page.click("#profile-form button[type=submit]")
    expect(page.locator(".flash-ok")).to_contain_text("Bo-TTTT")
    page.select_option("#run-form select[name=profile]", "Bo-TTTT")
    page.click("#preview-button")
    expect(page.locator("#takedown-count")).to_have_text("2")
    assert page.locator("tr.preview-row").count() == 2
    assert page.evaluate("document.querySelectorAll('main script, main img, main b').length") == 0
    assert "KHÔNG-XUẤT" not in page.content()
    _shot(page, "exports-preview")
    page.click("#run-button")
    page.wait_for_url(f"{url}/exports?created=*")
    row = page.locator("tr.highlight")
    expect(row).to_have_count(1)
    with page.expect_download() as download_info:
        row.locator("a", has_text="File").click()
    download = download_info.value
    data = Path(download.path()).read_bytes()
    with runtime.db.session() as s:
        from store.models import Export
        export = s.scalars(select(Export)).one()
        manifest_sha = export.manifest["files"][0]["sha256"]
    assert hashlib.sha256(data).hexdigest() == manifest_sha
    assert "KHÔNG-XUẤT" not in data.decode("utf-8-sig")
    _shot(page, "exports")
    assert errors == []
    context.close()
