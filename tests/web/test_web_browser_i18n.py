"""The review app in Vietnamese in real headless Chromium: the default language, the switch to English and back,
dates written day first, and a refusal in Vietnamese. Screenshots go to test-artifacts/screenshots/."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from config import Settings
from service.runtime import Runtime
from web_support import BROWSER_MARKS, PASSWORD, SCREENSHOTS, add_user, flag, served

pytestmark = BROWSER_MARKS


@pytest.fixture
def app(tmp_path: Path) -> Iterator[tuple[str, Runtime]]:
    with served(Settings(database_url=f"sqlite:///{tmp_path / 'web.db'}")) as served_app:
        yield served_app


def test_an_analyst_works_in_vietnamese_and_switches_to_english(browser: Any, app: Any) -> None:
    url, runtime = app
    add_user(runtime.db, "lan")
    item = flag(runtime.db, "vi1", 0.93, terms=("chữa khỏi",),
                text="Uống nước muối loãng mỗi sáng chữa khỏi hoàn toàn virus corona, chia sẻ ngay!")
    context = browser.new_context(viewport={"width": 1360, "height": 900}, locale="vi-VN")
    page = context.new_page()
    page.goto(f"{url}/login")
    expect(page.locator("html")).to_have_attribute("lang", "vi")
    expect(page.locator("h1")).to_have_text("Đăng nhập")
    page.fill("input[name=username]", "lan")
    page.fill("input[name=password]", PASSWORD)
    page.click("form[action='/login'] button[type=submit]")
    page.wait_for_url(f"{url}/")
    expect(page.locator("nav.nav")).to_contain_text("Hàng đợi")
    page.goto(f"{url}/items/{item}")
    expect(page.locator("#confirm-form button[type=submit]")).to_contain_text("Xác nhận")
    expect(page.locator("#dismiss-form button[type=submit]")).to_contain_text("Bác bỏ")
    expect(page.locator("#skip-form button")).to_contain_text("Bỏ qua")
    mark = page.locator("#post-text mark").first
    expect(mark).to_have_text("chữa khỏi")
    expect(mark).to_have_attribute("title", "trọng số +0.80")
    assert page.locator("#evidence-phrases blockquote mark").first.inner_text() == "chữa khỏi"
    captured = page.locator(".facts time").first.inner_text()
    assert captured[2] == ":" and captured[8] == "/" and captured.endswith("ICT")  # "23:30 01/05/2024 ICT"
    page.fill("#confirm-form textarea[name=justification]", " ")
    page.select_option("#confirm-category", "false_claim")
    page.click("#confirm-form button[type=submit]")
    expect(page.locator("#decision-error")).to_contain_text("Xác nhận cần có lý do")
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "item-vi.png"), full_page=True)

    page.click("#language-form button[value=en]")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.locator("#confirm-form button[type=submit]")).to_contain_text("Confirm")
    assert page.url.endswith(f"/items/{item}")
    page.click("#language-form button[value=vi]")
    expect(page.locator("html")).to_have_attribute("lang", "vi")
    context.close()
