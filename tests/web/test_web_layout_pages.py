"""Layout and accessibility facts the pages carry in their HTML (TestClient, SQLite and PostgreSQL): no empty table
headers, a skip link and a menu button on every page, long source URLs whole in their title, and no next run
shown for a paused source even when the scheduler's job table still holds one. The same pages in real Chromium,
with axe-core and at 390 px, are walked in test_web_days_a11y.py."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from sqlalchemy import Column as SAColumn
from sqlalchemy import Float, MetaData, String, Table, insert

from builders import decide
from review.actors import CONSOLE_ACTOR
from service.runtime import Runtime
from service.scheduler import JOBS_TABLE
from service.sources import add_source, pause_source
from web_support import flag, signed_in

LONG_URL = "https://www.example.vn/tin-tuc/" + "suc-khoe-" * 20 + "rss.xml?trang=1"
EMPTY_TH = re.compile(r"<th\b[^>]*>\s*</th>")


def _jobs_left_behind(runtime: Runtime, *source_ids: int) -> None:
    """Rows in apscheduler's job table as a leader leaves them (next run in an hour), read by read_job_times."""
    table = Table(JOBS_TABLE, MetaData(), SAColumn("id", String(191), primary_key=True),
                  SAColumn("next_run_time", Float(25)), SAColumn("job_state", String(10)))
    epoch = (datetime.now(UTC) + timedelta(hours=1)).timestamp()
    with runtime.db.write() as s:
        table.create(s.get_bind(), checkfirst=True)
        for source_id in source_ids:
            s.execute(insert(table).values(id=f"source:{source_id}", next_run_time=epoch, job_state="x"))


def test_a_paused_source_shows_no_next_run_even_with_a_job_left_behind(runtime: Runtime) -> None:
    running = add_source(runtime, CONSOLE_ACTOR, {"name": "vnexpress", "kind": "rss", "schedule": "every 1h",
                                                  "url": "https://vnexpress.vn/rss.xml"}).id
    paused = add_source(runtime, CONSOLE_ACTOR, {"name": "tuoitre", "kind": "rss", "schedule": "every 1h",
                                                 "url": "https://tuoitre.vn/rss.xml"}).id
    pause_source(runtime, CONSOLE_ACTOR, paused)
    _jobs_left_behind(runtime, running, paused)
    op = signed_in(runtime, "olga", "operator")
    page = op.get("/sources").text
    rows = {m.group(1): m.group(2) for m in re.finditer(r'<tr data-source="(\w+)"[^>]*>(.*?)</tr>', page, re.S)}
    next_cell = {name: re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)[4] for name, row in rows.items()}
    assert "<time" in next_cell["vnexpress"]
    assert "<time" not in next_cell["tuoitre"] and next_cell["tuoitre"].startswith("—")
    api = {s["name"]: s["next_run_at"] for s in op.get("/api/sources").json()}
    assert api["vnexpress"] is not None and api["tuoitre"] is None
    assert 'data-source="tuoitre"' not in op.get("/health").text  # not among the next runs
    assert "Next run —" in op.get(f"/sources/{paused}").text


def test_every_page_has_a_skip_link_a_menu_button_and_no_empty_table_header(runtime: Runtime) -> None:
    item = flag(runtime.db, "a", 0.7)
    add_source(runtime, CONSOLE_ACTOR, {"name": "baomoi", "kind": "rss", "schedule": "every 1h", "url": LONG_URL})
    admin = signed_in(runtime, "boss", "admin")
    decide(runtime.db, "boss", item, "confirm", category="false_claim", justification="sai")
    admin.post("/exports/profiles", data={"csrf_token": re.search(r'csrf-token" content="([^"]+)',
                                                                  admin.get("/").text).group(1),
                                          "name": "p1", "format": "csv"})
    assert 'data-profile="p1"' in admin.get("/exports").text  # a table with an actions column
    for path in ("/", "/queue", f"/items/{item}", "/cases", "/sources", "/health", "/exports", "/admin/audit",
                 "/admin/users"):
        page = admin.get(path)
        assert page.status_code == 200, path
        assert not EMPTY_TH.search(page.text), path
        assert '<a class="skip-link" href="#main">' in page.text and '<main class="container" id="main"' in page.text
        assert 'id="nav-toggle" aria-controls="main-nav" aria-expanded="false" hidden' in page.text
    sources = admin.get("/sources").text
    assert f'title="{LONG_URL}"' in sources  # the whole URL on hover; CSS shows one line with an ellipsis
