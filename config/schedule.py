"""Crawl schedules: ``every 15m`` intervals or ``cron MIN HOUR DOM MON DOW`` in Asia/Ho_Chi_Minh."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import time
from zoneinfo import ZoneInfo

from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger

__all__ = ["SCHEDULE_ZONE", "CronSchedule", "IntervalSchedule", "QuietHours", "Schedule", "parse_schedule"]

SCHEDULE_ZONE = ZoneInfo("Asia/Ho_Chi_Minh")
_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
_INTERVAL = re.compile(r"^every\s+(\d+)\s*([smhd])$")
_MIN_INTERVAL_S = 10


@dataclass(frozen=True)
class IntervalSchedule:
    seconds: int

    def trigger(self, jitter_s: int = 0) -> IntervalTrigger:
        return IntervalTrigger(seconds=self.seconds, jitter=jitter_s or None, timezone=SCHEDULE_ZONE)

    def __str__(self) -> str:
        for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
            if self.seconds % size == 0:
                return f"every {self.seconds // size}{unit}"
        return f"every {self.seconds}s"


@dataclass(frozen=True)
class CronSchedule:
    expression: str

    def trigger(self, jitter_s: int = 0) -> CronTrigger:
        return CronTrigger.from_crontab(self.expression, timezone=SCHEDULE_ZONE) if not jitter_s else CronTrigger(
            **_cron_fields(self.expression), timezone=SCHEDULE_ZONE, jitter=jitter_s
        )

    def __str__(self) -> str:
        return f"cron {self.expression}"


Schedule = IntervalSchedule | CronSchedule


def _cron_fields(expression: str) -> dict[str, str]:
    minute, hour, day, month, day_of_week = expression.split()
    return {"minute": minute, "hour": hour, "day": day, "month": month, "day_of_week": day_of_week}


def parse_schedule(text: str) -> Schedule:
    """Parse ``every 30s|15m|2h|1d`` or ``cron */30 6-22 * * *``; raise ValueError saying what is wrong."""
    value = " ".join(str(text).strip().lower().split())
    match = _INTERVAL.match(value)
    if match:
        seconds = int(match.group(1)) * _UNITS[match.group(2)]
        if seconds < _MIN_INTERVAL_S:
            raise ValueError(f"interval {text!r} is too short: the minimum is {_MIN_INTERVAL_S}s")
        return IntervalSchedule(seconds)
    if value.startswith("cron "):
        expression = value[5:].strip()
        if len(expression.split()) != 5:
            raise ValueError(f"cron {expression!r} needs 5 fields: minute hour day month day-of-week")
        try:
            CronTrigger.from_crontab(expression, timezone=SCHEDULE_ZONE)
        except ValueError as exc:
            raise ValueError(f"invalid cron {expression!r}: {exc}") from None
        return CronSchedule(expression)
    raise ValueError(f"schedule {text!r} is neither 'every <n><s|m|h|d>' nor 'cron <5 fields>'")


@dataclass(frozen=True)
class QuietHours:
    """A daily window (Asia/Ho_Chi_Minh) in which a source is not crawled, e.g. ``23:00-06:00``."""

    start: time
    end: time

    @classmethod
    def parse(cls, text: str) -> QuietHours:
        match = re.fullmatch(r"\s*(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})\s*", text)
        if not match:
            raise ValueError(f"quiet hours {text!r} must look like 23:00-06:00")
        h1, m1, h2, m2 = (int(g) for g in match.groups())
        if h1 > 23 or h2 > 23 or m1 > 59 or m2 > 59:
            raise ValueError(f"quiet hours {text!r} has an impossible time")
        if (h1, m1) == (h2, m2):
            raise ValueError(f"quiet hours {text!r} is empty: start equals end")
        return cls(time(h1, m1), time(h2, m2))

    def contains(self, moment: time) -> bool:
        if self.start < self.end:
            return self.start <= moment < self.end
        return moment >= self.start or moment < self.end

    def __str__(self) -> str:
        return f"{self.start:%H:%M}-{self.end:%H:%M}"
