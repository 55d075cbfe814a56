"""Crawl schedules: ``every 15m`` intervals or ``cron MIN HOUR DOM MON DOW`` in Asia/Ho_Chi_Minh.

Cron expressions follow standard crontab: day-of-week 0 and 7 are Sunday, 1 is Monday (apscheduler 3 itself
counts 0 as Monday, so numeric weekdays are translated to names before they reach it). Every trigger carries
the Asia/Ho_Chi_Minh zone explicitly, so the host's zone never matters.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger

from config.problems import ConfigValueError

__all__ = [
    "SCHEDULE_ZONE",
    "CronSchedule",
    "IntervalSchedule",
    "QuietHours",
    "Schedule",
    "fire_times",
    "parse_schedule",
]

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
        return CronTrigger(**_cron_fields(self.expression), timezone=SCHEDULE_ZONE, jitter=jitter_s or None)

    def __str__(self) -> str:
        return f"cron {self.expression}"


Schedule = IntervalSchedule | CronSchedule


_DAY_NAMES = ("sun", "mon", "tue", "wed", "thu", "fri", "sat")  # crontab numbering: 0 (and 7) is Sunday


def _crontab_day(token: str, expression: str) -> int:
    token = token.strip().lower()
    if token in _DAY_NAMES:
        return _DAY_NAMES.index(token)
    if token.isdigit() and 0 <= int(token) <= 7:
        return int(token) % 7
    raise ConfigValueError("invalid cron %(cron)r: day-of-week %(token)r is not 0-7 or sun..sat", cron=expression,
                           token=token)


def _day_of_week(field: str, expression: str) -> str:
    """A crontab day-of-week field (0/7 = Sunday) as apscheduler day names (apscheduler 3 counts 0 as Monday)."""
    if field == "*":
        return "*"
    days: set[int] = set()
    for part in field.split(","):
        base, _, step_text = part.partition("/")
        step = 1
        if step_text:
            if not step_text.isdigit() or int(step_text) < 1:
                raise ConfigValueError("invalid cron %(cron)r: bad step %(step)r in day-of-week", cron=expression,
                                       step=step_text)
            step = int(step_text)
        if base == "*":
            first, last = 0, 6
        elif "-" in base:
            start, _, end = base.partition("-")
            first, last = _crontab_day(start, expression), _crontab_day(end, expression)
            if end.strip() == "7":
                last = 7  # "5-7" means Friday to Sunday
            if last < first:
                raise ConfigValueError("invalid cron %(cron)r: day-of-week range %(range)r runs backwards",
                                       cron=expression, range=base)
        else:
            first = last = _crontab_day(base, expression)
            if step_text:
                last = 6
        days.update(day % 7 for day in range(first, last + 1, step))
    return ",".join(_DAY_NAMES[day] for day in sorted(days))


def _cron_fields(expression: str) -> dict[str, str]:
    minute, hour, day, month, day_of_week = expression.split()
    return {"minute": minute, "hour": hour, "day": day, "month": month,
            "day_of_week": _day_of_week(day_of_week, expression)}


def parse_schedule(text: str) -> Schedule:
    """Parse ``every 30s|15m|2h|1d`` or ``cron */30 6-22 * * *``; raise ValueError saying what is wrong."""
    value = " ".join(str(text).strip().lower().split())
    match = _INTERVAL.match(value)
    if match:
        seconds = int(match.group(1)) * _UNITS[match.group(2)]
        if seconds < _MIN_INTERVAL_S:
            raise ConfigValueError("interval %(text)r is too short: the minimum is %(minimum)ss", text=text,
                                   minimum=_MIN_INTERVAL_S)
        return IntervalSchedule(seconds)
    if value.startswith("cron "):
        expression = value[5:].strip()
        if len(expression.split()) != 5:
            raise ConfigValueError("cron %(cron)r needs 5 fields: minute hour day month day-of-week", cron=expression)
        try:
            trigger = CronTrigger(**_cron_fields(expression), timezone=SCHEDULE_ZONE)
        except ValueError as exc:
            if isinstance(exc, ConfigValueError):
                raise
            raise ConfigValueError("invalid cron %(cron)r: %(detail)s", cron=expression, detail=str(exc)) from None
        if trigger.get_next_fire_time(None, datetime.now(SCHEDULE_ZONE)) is None:
            raise ConfigValueError("invalid cron %(cron)r: it never fires", cron=expression)
        return CronSchedule(expression)
    raise ConfigValueError("schedule %(text)r is neither 'every <n><s|m|h|d>' nor 'cron <5 fields>'", text=text)


@dataclass(frozen=True)
class QuietHours:
    """A daily window (Asia/Ho_Chi_Minh) in which a source is not crawled, e.g. ``23:00-06:00``."""

    start: time
    end: time

    @classmethod
    def parse(cls, text: str) -> QuietHours:
        match = re.fullmatch(r"\s*(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})\s*", text)
        if not match:
            raise ConfigValueError("quiet hours %(text)r must look like 23:00-06:00", text=text)
        h1, m1, h2, m2 = (int(g) for g in match.groups())
        if h1 > 23 or h2 > 23 or m1 > 59 or m2 > 59:
            raise ConfigValueError("quiet hours %(text)r has an impossible time", text=text)
        if (h1, m1) == (h2, m2):
            raise ConfigValueError("quiet hours %(text)r is empty: start equals end", text=text)
        return cls(time(h1, m1), time(h2, m2))

    def contains(self, moment: time) -> bool:
        if self.start < self.end:
            return self.start <= moment < self.end
        return moment >= self.start or moment < self.end

    def __str__(self) -> str:
        return f"{self.start:%H:%M}-{self.end:%H:%M}"


def fire_times(schedule: Schedule, after: datetime, until: datetime, *, quiet: QuietHours | None = None,
               limit: int = 1000) -> Iterator[datetime]:
    """The planned run times in (``after``, ``until``], without jitter, skipping those inside quiet hours.

    An interval schedule counts from ``after`` (as a run at ``after`` would); cron counts wall-clock matches.
    At most ``limit`` times are examined, so a schedule that is always quiet cannot loop forever.
    """
    if after.tzinfo is None or until.tzinfo is None:
        raise ValueError("fire_times needs timezone-aware datetimes")
    moment = after
    for _ in range(limit):
        if isinstance(schedule, IntervalSchedule):
            moment = moment + timedelta(seconds=schedule.seconds)
        else:
            found = schedule.trigger().get_next_fire_time(None, moment + timedelta(seconds=1))
            if found is None:
                return
            moment = found
        if moment > until:
            return
        if quiet is None or not quiet.contains(moment.astimezone(SCHEDULE_ZONE).time()):
            yield moment
