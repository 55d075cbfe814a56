"""Schedules: cron in Asia/Ho_Chi_Minh whatever the host zone, crontab weekday numbering, clear refusals."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

import pytest

from config import QuietHours, parse_schedule
from config.schedule import fire_times


@pytest.fixture
def utc_host(monkeypatch: pytest.MonkeyPatch):
    """Make this process's local zone UTC, like a server configured in UTC."""
    monkeypatch.setenv("TZ", "UTC")
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


def test_cron_fires_at_vietnam_local_time_on_a_utc_host(utc_host) -> None:
    assert time.strftime("%Z") == "UTC"
    trigger = parse_schedule("cron 30 8 * * *").trigger()
    # 2024-03-10 00:00 UTC is 07:00 in Vietnam: the next 08:30 Vietnam time is 01:30 UTC the same day.
    fire = trigger.get_next_fire_time(None, datetime(2024, 3, 10, 0, 0, tzinfo=UTC))
    assert fire.astimezone(UTC) == datetime(2024, 3, 10, 1, 30, tzinfo=UTC)
    # After 08:30 Vietnam time (02:00 UTC), the next one is tomorrow.
    fire = trigger.get_next_fire_time(None, datetime(2024, 3, 10, 2, 0, tzinfo=UTC))
    assert fire.astimezone(UTC) == datetime(2024, 3, 11, 1, 30, tzinfo=UTC)
    # Midnight in Vietnam is 17:00 UTC the day before.
    midnight = parse_schedule("cron 0 0 * * *").trigger().get_next_fire_time(None, datetime(2024, 3, 10, 12, 0,
                                                                                             tzinfo=UTC))
    assert midnight.astimezone(UTC) == datetime(2024, 3, 10, 17, 0, tzinfo=UTC)


def test_cron_weekdays_use_crontab_numbering(utc_host) -> None:
    monday_0900_vn = datetime(2024, 1, 1, 2, 0, tzinfo=UTC)  # 2024-01-01 was a Monday
    monday = parse_schedule("cron 0 8 * * 1").trigger().get_next_fire_time(None, monday_0900_vn)
    assert monday.astimezone(UTC) == datetime(2024, 1, 8, 1, 0, tzinfo=UTC)  # next Monday, not Tuesday
    sunday = parse_schedule("cron 0 8 * * 0").trigger().get_next_fire_time(None, monday_0900_vn)
    assert sunday.astimezone(UTC) == datetime(2024, 1, 7, 1, 0, tzinfo=UTC)
    assert parse_schedule("cron 0 8 * * 7").trigger().get_next_fire_time(None, monday_0900_vn) == sunday
    weekdays = parse_schedule("cron 0 8 * * 1-5").trigger()
    friday_0900 = datetime(2024, 1, 5, 2, 0, tzinfo=UTC)
    assert weekdays.get_next_fire_time(None, friday_0900).astimezone(UTC) == datetime(2024, 1, 8, 1, 0, tzinfo=UTC)
    named = parse_schedule("cron 0 8 * * mon-fri").trigger()
    assert named.get_next_fire_time(None, friday_0900) == weekdays.get_next_fire_time(None, friday_0900)


@pytest.mark.parametrize(("text", "message"), [
    ("every 0m", "too short"),
    ("every 5s", "too short"),
    ("every 15 minutes", "neither"),
    ("cron 61 * * * *", "invalid cron"),
    ("cron 0 25 * * *", "invalid cron"),
    ("cron * * * *", "needs 5 fields"),
    ("cron 0 0 31 2 *", "never fires"),
    ("cron 0 8 * * 8", "day-of-week"),
    ("cron 0 8 * * 5-1", "runs backwards"),
    ("hourly", "neither"),
])
def test_bad_schedules_are_refused_with_a_reason(text: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        parse_schedule(text)


def test_interval_and_cron_round_trip_as_text() -> None:
    assert str(parse_schedule("every 90m")) == "every 90m"
    assert str(parse_schedule("every 120m")) == "every 2h"
    assert str(parse_schedule("  CRON  */30 6-22 * * *")) == "cron */30 6-22 * * *"


def test_jitter_is_carried_by_both_kinds_of_trigger() -> None:
    assert parse_schedule("every 15m").trigger(30).jitter == 30
    assert parse_schedule("cron 0 * * * *").trigger(30).jitter == 30
    assert parse_schedule("cron 0 * * * *").trigger(0).jitter is None


def test_fire_times_skip_quiet_hours() -> None:
    start = datetime(2024, 1, 1, 15, 0, tzinfo=UTC)  # 22:00 in Vietnam
    hourly = parse_schedule("every 1h")
    everything = list(fire_times(hourly, start, start + timedelta(hours=10)))
    assert len(everything) == 10
    quiet = QuietHours.parse("23:00-06:00")
    awake = list(fire_times(hourly, start, start + timedelta(hours=10), quiet=quiet))
    # 23:00 .. 05:00 Vietnam time are quiet; 06:00, 07:00, 08:00 are not.
    assert [t.astimezone(UTC).hour for t in awake] == [23, 0, 1]
    cron = list(fire_times(parse_schedule("cron 0 */6 * * *"), start, start + timedelta(days=1), quiet=quiet))
    assert [t.hour for t in cron] == [6, 12, 18]
