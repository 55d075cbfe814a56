"""The narrative page in real headless Chromium: chart, counts, claims and items render without a script error.
With ``KIEMTIN_SCREENSHOTS=1`` the page is saved as docs/screenshots/narrative.png for the README."""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select, update
from test_web_browser import _login, _shot

from config import Settings
from review.actors import CONSOLE_ACTOR
from review.claims import ClaimInput, import_claims
from service.narratives import check_spikes, rebuild_narratives
from service.runtime import Runtime
from store.models import Post, QueueItem
from store.types import utcnow
from web_support import BROWSER_MARKS, add_user, flag, served

pytestmark = BROWSER_MARKS
DOCS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
VACCINE = ("Phụ huynh hoang mang vì tin vắc xin gây vô sinh ở trẻ em, nhiều nhóm kêu gọi không cho con đi "
           "tiêm (bài {n})")
MONEY = "Ngân hàng sắp đổi tiền mới, tiền mặt cũ bị hủy, người dân đổ xô rút tiền (bài {n})"


@pytest.fixture
def app(tmp_path: Path) -> Iterator[tuple[str, Runtime]]:
    with served(Settings(database_url=f"sqlite:///{tmp_path / 'web.db'}")) as served_app:
        yield served_app


def _seed(runtime: Runtime) -> None:
    import_claims(runtime.db, CONSOLE_ACTOR, [ClaimInput(
        text="Tiêm vắc xin HPV gây vô sinh ở trẻ em gái", verdict="false", rating="Sai sự thật",
        review_url="https://factcheck.example.vn/hpv")])
    now = utcnow()
    sources = ("nhom-phu-huynh", "trang-suc-khoe", "dien-dan-me-be")
    for n in range(24):
        item = flag(runtime.db, f"v{n}", 0.9, text=VACCINE.format(n=n), terms=("vô sinh",), source=sources[n % 3])
        at = now - timedelta(minutes=10 + n) if n >= 12 else now - timedelta(days=1 + n // 2, hours=n)
        with runtime.db.write() as s:
            post_id = s.scalar(select(QueueItem.post_id).where(QueueItem.id == item))
            s.execute(update(Post).where(Post.id == post_id).values(first_seen_at=at))
    for n in range(4):
        flag(runtime.db, f"m{n}", 0.8, text=MONEY.format(n=n), terms=("đổi tiền",), source="nhom-tai-chinh")
    rebuild_narratives(runtime)
    check_spikes(runtime)


def test_the_narrative_page_in_a_browser(browser: Any, app: Any) -> None:
    url, runtime = app
    _seed(runtime)
    add_user(runtime.db, "ana")
    context, page, watch = _login(browser, url, "ana")
    page.goto(f"{url}/narratives")
    link = page.locator("#narrative-list a").first
    href = link.get_attribute("href")
    assert href and href.startswith("/narratives/")
    page.goto(f"{url}{href}")
    assert page.locator("#narrative-chart svg.chart").count() == 1
    assert page.locator("#narrative-items tr").count() == 24
    assert "vô sinh" in page.locator("h1").inner_text()
    assert page.locator("#narrative-alerts").count() == 1
    assert not watch.errors, watch.errors
    _shot(page, "narrative")
    if os.environ.get("KIEMTIN_SCREENSHOTS") == "1":
        DOCS.mkdir(parents=True, exist_ok=True)
        # the top of the page (phrases, alert, charts, claims, sources, the first items): small enough for the README
        page.screenshot(path=str(DOCS / "narrative.png"), full_page=True,
                        clip={"x": 0, "y": 0, "width": page.viewport_size["width"], "height": 1500})
    context.close()
