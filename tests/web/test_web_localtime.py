"""Times on web pages in the display zone (settings.display_timezone): each moment is a <time> element with its
UTC instant, on real rendered pages; hostile text stays escaped; dates typed into the Exports page's filters are
days in the same zone."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from builders import decide
from config import AppConfig, Settings
from service.runtime import Runtime
from store.models import AuditEntry, QueueItem, Snapshot
from web.localtime import (
    day_start,
    describe_bound,
    local_time,
    page_day_bound,
    shown_day,
    zone_abbreviation,
)
from web.templating import Templates
from web_support import HOSTILE, csrf_of, flag, signed_in

VN = ZoneInfo("Asia/Ho_Chi_Minh")
LATE = datetime(2024, 5, 1, 16, 30, tzinfo=UTC)  # 23:30 ICT on 1 May
AFTER_MIDNIGHT = datetime(2024, 5, 1, 17, 30, tzinfo=UTC)  # 00:30 ICT on 2 May
LATE_HTML = ('<time datetime="2024-05-01T16:30:00Z" title="2024-05-01 16:30:00 UTC">'
             '2024-05-01 23:30 ICT</time>')


def _runtime(database_url: str, tmp_path: Path, **settings: object) -> Runtime:
    return Runtime.open(AppConfig(settings=Settings(ui_language="en", database_url=database_url,
                                                    exports_dir=tmp_path / "exports",
                                                    **settings)))  # type: ignore[arg-type]


@pytest.fixture
def rt(database_url: str, tmp_path: Path) -> Iterator[Runtime]:
    runtime = _runtime(database_url, tmp_path)
    yield runtime
    runtime.close()


def _set_times(runtime: Runtime, item_id: int, at: datetime) -> None:
    """Pretend the item's post was captured and flagged at ``at``."""
    with runtime.db.write() as s:
        item = s.get(QueueItem, item_id)
        item.created_at = at
        for snapshot in s.scalars(select(Snapshot).where(Snapshot.post_id == item.post_id)):
            snapshot.captured_at = at


# --- the filter itself ---

def test_a_moment_is_local_text_with_its_utc_instant() -> None:
    assert str(local_time(LATE, zone=VN)) == LATE_HTML
    assert str(local_time(LATE, "%H:%M", zone=VN)).endswith(">23:30 ICT</time>")
    assert str(local_time(LATE, "%Y-%m-%d", zone=VN)).endswith(">2024-05-01</time>")  # no hour: no zone
    assert str(local_time(AFTER_MIDNIGHT, "%Y-%m-%d", zone=VN)).endswith(">2024-05-02</time>")
    assert str(local_time("2024-05-01T16:30:00Z", zone=VN)) == LATE_HTML  # export rows carry ISO strings
    assert str(local_time(LATE.replace(tzinfo=None), zone=VN)) == LATE_HTML  # naive is UTC, as stored
    assert local_time(None, zone=VN) == "—" and local_time("", zone=VN) == "—"


@pytest.mark.parametrize(("zone", "expected"), [
    ("Asia/Ho_Chi_Minh", "2024-05-01 23:30 ICT"), ("UTC", "2024-05-01 16:30 UTC"),
    ("Europe/Berlin", "2024-05-01 18:30 CEST"), ("America/Sao_Paulo", "2024-05-01 13:30 UTC-03"),
    ("Asia/Kathmandu", "2024-05-01 22:15 UTC+05:45"),
])
def test_zone_abbreviations(zone: str, expected: str) -> None:
    shown = str(local_time(LATE, zone=ZoneInfo(zone)))
    assert shown.endswith(f">{expected}</time>") and 'datetime="2024-05-01T16:30:00Z"' in shown
    assert zone_abbreviation(LATE.astimezone(ZoneInfo(zone))) == expected.rpartition(" ")[2]


def test_text_that_is_not_a_moment_is_escaped_by_the_template() -> None:
    env = Templates().env
    rendered = env.from_string("<p>{{ v|dt }}</p>").render(v=HOSTILE)
    assert "<script>" not in rendered and "&lt;script&gt;alert(" in rendered
    assert env.from_string("{{ v|dt }}").render(v=LATE, lang="en") == LATE_HTML  # markup, not escaped twice


def test_page_days_become_utc_instants_and_back() -> None:
    assert day_start(date(2024, 5, 1), VN) == datetime(2024, 4, 30, 17, 0, tzinfo=UTC)
    assert page_day_bound("2024-05-01", VN, end=False) == "2024-04-30T17:00:00Z"
    assert page_day_bound("2024-05-01", VN, end=True) == "2024-05-01T17:00:00Z"
    assert page_day_bound("2024-05-01", ZoneInfo("UTC"), end=True) == "2024-05-02T00:00:00Z"
    assert page_day_bound("not a date", VN, end=False) == "not a date"  # judged by review.exports
    assert shown_day("2024-04-30T17:00:00Z", VN, end=False) == "2024-05-01"
    assert shown_day("2024-05-01T17:00:00Z", VN, end=True) == "2024-05-01"  # exclusive end: the day before
    assert shown_day("2024-05-01", VN, end=True) == "2024-05-01"
    assert describe_bound("2024-05-01T17:00:00Z", VN, end=True) == "2024-05-01"
    assert describe_bound("2024-05-01", VN, end=False) == "2024-05-01 (UTC day)"
    assert describe_bound("2024-05-01T12:00:00Z", VN, end=False) == "2024-05-01 19:00 ICT"


# --- real pages ---

def test_queue_item_and_audit_pages_show_vietnam_time(rt: Runtime) -> None:
    item_id = flag(rt.db, "late", text=HOSTILE)
    _set_times(rt, item_id, LATE)
    with rt.db.write() as s:
        s.add(AuditEntry(at=LATE, actor="<b>mallory</b>", action="auth.login_failed", target_type="user",
                         target_id="<i>x</i>", details={"client": "<script>alert(2)</script>"}))
    ana = signed_in(rt, "ana")
    queue = ana.get("/queue", params={"status": "all"})
    assert queue.status_code == 200 and LATE_HTML in queue.text
    assert " UTC</" not in queue.text  # nothing is shown in UTC any more
    item = ana.get(f"/items/{item_id}")
    assert item.status_code == 200
    assert re.search(r"Captured</dt><dd>" + re.escape(LATE_HTML), item.text)
    assert "<script>alert(" not in item.text and "&lt;script&gt;alert(" in item.text
    admin = signed_in(rt, "boss", "admin")
    audit = admin.get("/admin/audit")
    assert ('<time datetime="2024-05-01T16:30:00Z" title="2024-05-01 16:30:00 UTC">2024-05-01 23:30:00 ICT'
            '</time>') in audit.text
    assert "&lt;b&gt;mallory&lt;/b&gt;" in audit.text and "<script>alert(2)" not in audit.text


def test_queue_dates_are_vietnam_days(rt: Runtime) -> None:
    """Flagged at 23:30 ICT on 1 May (16:30 UTC): found under 1 May on the page; at 00:30 ICT on 2 May (17:30 UTC
    on 1 May): under 2 May. The API keeps plain dates as UTC days."""
    _set_times(rt, flag(rt.db, "late", text="Tin đồn MUỘN-NGÀY-MỘT về vắc xin"), LATE)
    _set_times(rt, flag(rt.db, "early", text="Tin đồn SÁNG-NGÀY-HAI về vắc xin"), AFTER_MIDNIGHT)
    ana = signed_in(rt, "ana")

    def page(day: str) -> str:
        response = ana.get("/queue", params={"status": "all", "date_from": day, "date_to": day})
        assert response.status_code == 200
        return response.text

    first, second = page("2024-05-01"), page("2024-05-02")
    assert "MUỘN-NGÀY-MỘT" in first and LATE_HTML in first and "SÁNG-NGÀY-HAI" not in first
    assert "SÁNG-NGÀY-HAI" in second and "MUỘN-NGÀY-MỘT" not in second
    assert "No items match these filters" in page("2024-04-30")
    api = ana.get("/api/queue", params={"status": "all", "date_from": "2024-05-01", "date_to": "2024-05-01"})
    assert api.status_code == 200 and len(api.json()["items"]) == 2


def test_the_display_zone_is_a_setting(database_url: str, tmp_path: Path) -> None:
    runtime = _runtime(database_url, tmp_path, display_timezone="Europe/Berlin")
    try:
        item_id = flag(runtime.db, "late")
        _set_times(runtime, item_id, LATE)
        page = signed_in(runtime, "ana").get(f"/items/{item_id}")
        assert ('<time datetime="2024-05-01T16:30:00Z" title="2024-05-01 16:30:00 UTC">2024-05-01 18:30 CEST'
                '</time>') in page.text
        assert "ICT" not in page.text
    finally:
        runtime.close()


def _confirm_at(runtime: Runtime, item_id: int, at: datetime) -> None:
    decide(runtime.db, "ana", item_id, "confirm", justification="Bộ Y tế đã bác bỏ", at=at)


def test_export_page_dates_are_vietnam_days(rt: Runtime) -> None:
    """A decision at 23:30 ICT on 1 May (16:30 UTC) belongs to 1 May on the page, one at 00:30 ICT on 2 May
    (17:30 UTC on 1 May) to 2 May; the API keeps plain dates as UTC days."""
    signed_in(rt, "ana")
    _confirm_at(rt, flag(rt.db, "late", text="Tin đồn MUỘN-NGÀY-MỘT về vắc xin"), LATE)
    _confirm_at(rt, flag(rt.db, "early", text="Tin đồn SÁNG-NGÀY-HAI về vắc xin"), AFTER_MIDNIGHT)
    rev = signed_in(rt, "rita", "reviewer")
    token = csrf_of(rev, "/exports")

    def preview(day: str) -> str:
        page = rev.post("/exports/preview", data={"csrf_token": token, "since": "all", "date_from": day,
                                                  "date_to": day})
        assert page.status_code == 200, page.text
        return page.text

    first, second = preview("2024-05-01"), preview("2024-05-02")
    assert "MUỘN-NGÀY-MỘT" in first and "SÁNG-NGÀY-HAI" not in first
    assert "SÁNG-NGÀY-HAI" in second and "MUỘN-NGÀY-MỘT" not in second
    assert LATE_HTML in first  # the decided time, shown as the page shows every time
    head = {"X-CSRF-Token": token}
    api = rev.post("/api/exports/preview", headers=head, json={"filters": {"date_from": "2024-05-01",
                                                                           "date_to": "2024-05-01"}})
    assert api.status_code == 200 and len(api.json()["rows"]) == 2  # both are 1 May in UTC
    assert {r["decided_at"] for r in api.json()["rows"]} == {"2024-05-01T16:30:00Z", "2024-05-01T17:30:00Z"}

    saved = rev.post("/exports/profiles", data={"csrf_token": token, "name": "may-1", "format": "csv",
                                               "date_from": "2024-05-01", "date_to": "2024-05-01"},
                     follow_redirects=False)
    assert saved.status_code == 303
    stored = rev.get("/api/exports/profiles").json()
    profile = next(p for p in stored if p["name"] == "may-1")
    assert profile["filters"] == {"date_from": "2024-04-30T17:00:00Z", "date_to": "2024-05-01T17:00:00Z"}
    page = rev.get("/exports", params={"profile": "may-1"})
    assert "date_from: 2024-05-01" in page.text and "date_to: 2024-05-01" in page.text
    assert 'name="date_from" value="2024-05-01"' in page.text and 'name="date_to" value="2024-05-01"' in page.text
    by_profile = rev.post("/exports/preview", data={"csrf_token": token, "profile": "may-1", "since": "all"})
    assert "MUỘN-NGÀY-MỘT" in by_profile.text and "SÁNG-NGÀY-HAI" not in by_profile.text
