"""The dashboard counts calendar days in the display zone: review.stats takes a zone (UTC by default) and the
page passes settings.display_timezone; day boundaries follow DST; the 60 s cache is per zone and local day."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from fastapi.testclient import TestClient

from builders import decide
from review.stats import dashboard_stats, day_bounds
from service.runtime import Runtime
from store import Database
from store.models import QueueItem
from web.routes import dashboard as dashboard_route
from web_support import add_user, flag, signed_in

VN = ZoneInfo("Asia/Ho_Chi_Minh")
BERLIN = ZoneInfo("Europe/Berlin")
LATE = datetime(2024, 5, 1, 16, 30, tzinfo=UTC)  # 23:30 ICT on 1 May
AFTER_MIDNIGHT = datetime(2024, 5, 1, 17, 30, tzinfo=UTC)  # 00:30 ICT on 2 May
NOW = datetime(2024, 5, 2, 3, 0, tzinfo=UTC)  # 10:00 ICT on 2 May; still 2 May in UTC


def _flag_and_decide(db: Database, name: str, at: datetime) -> int:
    """An item flagged at ``at`` and confirmed by ana at the same moment."""
    item_id = flag(db, name)
    with db.write() as s:
        s.get(QueueItem, item_id).created_at = at
    decide(db, "ana", item_id, "confirm", justification="Bộ Y tế đã bác bỏ", at=at)
    return item_id


def _flag_at(db: Database, name: str, at: datetime) -> None:
    item_id = flag(db, name)
    with db.write() as s:
        s.get(QueueItem, item_id).created_at = at


# --- review.stats on both backends ---

def test_days_are_days_in_the_given_zone(db: Database) -> None:
    add_user(db, "ana")
    _flag_and_decide(db, "late", LATE)
    _flag_and_decide(db, "early", AFTER_MIDNIGHT)
    with db.session() as s:
        local = dashboard_stats(session=s, now=NOW, zone=VN)
        utc = dashboard_stats(session=s, now=NOW)  # the default: UTC days, as before
    assert local.today == date(2024, 5, 2) and len(local.per_day) == 30
    assert local.per_day[0][0] == date(2024, 4, 3)
    assert local.per_day[-2:] == [(date(2024, 5, 1), 1), (date(2024, 5, 2), 1)]  # 23:30 ICT, 00:30 ICT
    assert local.decided_today == {"confirm": 1}  # only the one at 00:30 ICT on 2 May
    assert utc.today == date(2024, 5, 2) and utc.zone is UTC
    assert utc.per_day[-2:] == [(date(2024, 5, 1), 2), (date(2024, 5, 2), 0)]
    assert utc.decided_today == {}
    assert sum(n for _, n in local.per_day) == sum(n for _, n in utc.per_day) == 2


def test_today_follows_the_zone(db: Database) -> None:
    """At 17:10 UTC on 1 May it is already 2 May in Vietnam: the 23:30 ICT decision was yesterday there."""
    add_user(db, "ana")
    _flag_and_decide(db, "late", LATE)
    evening = datetime(2024, 5, 1, 17, 10, tzinfo=UTC)
    with db.session() as s:
        assert dashboard_stats(session=s, now=evening, zone=VN).decided_today == {}
        assert dashboard_stats(session=s, now=evening, zone=VN).today == date(2024, 5, 2)
        assert dashboard_stats(session=s, now=evening).decided_today == {"confirm": 1}
        assert dashboard_stats(session=s, now=LATE + timedelta(minutes=5), zone=VN).decided_today == {"confirm": 1}


@pytest.mark.parametrize(("first", "hours"), [(date(2024, 3, 31), 23), (date(2024, 10, 27), 25)])
def test_days_with_a_dst_change_are_not_24_hours(first: date, hours: int) -> None:
    start, end = day_bounds(first, 1, BERLIN)
    assert end - start == timedelta(hours=hours)


def test_a_zone_with_dst_counts_by_its_offset_on_that_day(db: Database) -> None:
    """Berlin: UTC+1 in winter, UTC+2 in summer. A fixed offset would put one of these on the wrong day."""
    for name, at in [
        ("spring-first", datetime(2024, 3, 30, 23, 30, tzinfo=UTC)),  # 00:30 CET on 31 Mar
        ("spring-last", datetime(2024, 3, 31, 21, 30, tzinfo=UTC)),  # 23:30 CEST on 31 Mar (23-hour day)
        ("spring-next", datetime(2024, 3, 31, 22, 30, tzinfo=UTC)),  # 00:30 CEST on 1 Apr
        ("autumn-first", datetime(2024, 10, 26, 22, 30, tzinfo=UTC)),  # 00:30 CEST on 27 Oct
        ("autumn-last", datetime(2024, 10, 27, 22, 30, tzinfo=UTC)),  # 23:30 CET on 27 Oct (25-hour day)
        ("autumn-next", datetime(2024, 10, 27, 23, 30, tzinfo=UTC)),  # 00:30 CET on 28 Oct
    ]:
        _flag_at(db, name, at)
    with db.session() as s:
        spring = dict(dashboard_stats(session=s, now=datetime(2024, 4, 1, 12, tzinfo=UTC), zone=BERLIN).per_day)
        autumn = dict(dashboard_stats(session=s, now=datetime(2024, 10, 28, 12, tzinfo=UTC), zone=BERLIN).per_day)
    assert (spring[date(2024, 3, 30)], spring[date(2024, 3, 31)], spring[date(2024, 4, 1)]) == (0, 2, 1)
    assert (autumn[date(2024, 10, 26)], autumn[date(2024, 10, 27)], autumn[date(2024, 10, 28)]) == (0, 2, 1)


# --- the page ---

@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> list[datetime]:
    """The dashboard's clock, fixed at NOW until a test moves it; its cache never expires by age."""
    now = [NOW]
    monkeypatch.setattr(dashboard_route, "utcnow", lambda: now[0])
    monkeypatch.setattr(dashboard_route, "CACHE_S", 10**9)
    return now


def _decided_today(client: TestClient) -> int:
    page = client.get("/")
    assert page.status_code == 200
    found = re.search(r'Decided today</p>\s*<p class="tile-value">(\d+)</p>', page.text)
    assert found, page.text
    return int(found.group(1))


def test_the_dashboard_counts_days_in_the_display_zone(rt: Runtime, clock: list[datetime]) -> None:
    ana = signed_in(rt, "ana")
    _flag_and_decide(rt.db, "late", LATE)
    _flag_and_decide(rt.db, "early", AFTER_MIDNIGHT)
    page = ana.get("/").text
    assert "<title>2024-05-01: 1 flagged</title>" in page and "<title>2024-05-02: 1 flagged</title>" in page
    assert "UTC day" not in page and "UTC days" not in page  # the labels are gone
    assert _decided_today(ana) == 1


def test_the_cache_is_per_zone_and_local_day(rt: Runtime, clock: list[datetime]) -> None:
    ana = signed_in(rt, "ana")
    _flag_and_decide(rt.db, "late", LATE)
    _flag_and_decide(rt.db, "early", AFTER_MIDNIGHT)
    assert _decided_today(ana) == 1
    _flag_and_decide(rt.db, "later", AFTER_MIDNIGHT + timedelta(minutes=30))  # 01:00 ICT on 2 May
    assert _decided_today(ana) == 1  # cached
    ana.app.state.display_zone = UTC  # type: ignore[attr-defined]
    assert _decided_today(ana) == 0  # counted afresh for the other zone: all three were on 1 May in UTC
    ana.app.state.display_zone = VN  # type: ignore[attr-defined]
    assert _decided_today(ana) == 2
    clock[0] = datetime(2024, 5, 2, 17, 5, tzinfo=UTC)  # 00:05 ICT on 3 May: a new day, counted at once
    assert _decided_today(ana) == 0
