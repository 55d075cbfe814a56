"""Times on web pages in one display zone (``settings.display_timezone``), and days typed into page filters.

Every moment is shown as ``<time datetime="2024-05-01T16:30:00Z" title="2024-05-01 16:30:00 UTC">2024-05-01
23:30 ICT</time>``: local for the reader, the exact UTC instant on hover and for machines. A date typed into a
page's filter is a day in the same zone, so a filter finds what the page shows under that date. Files and JSON
stay in UTC; only HTML changes.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta, tzinfo

from markupsafe import Markup

from store.types import day_start, usable_day
from web.i18n import format_moment

__all__ = ["day_start", "describe_bound", "local_time", "page_day_bound", "parse_instant", "shown_day",
           "zone_abbreviation"]

# tzdata calls these zones "+07"; people in Vietnam (and the rest of Indochina) say ICT
_ABBREVIATIONS = {name: "ICT" for name in ("Asia/Ho_Chi_Minh", "Asia/Saigon", "Asia/Bangkok", "Asia/Phnom_Penh",
                                           "Asia/Vientiane")}
_DEFAULT_FORMAT = "%Y-%m-%d %H:%M"
#: strftime formats templates use -> (with a time, with seconds) as Vietnamese writes them
_VI_FORMS = {_DEFAULT_FORMAT: (True, False), "%Y-%m-%d %H:%M:%S": (True, True), "%Y-%m-%d": (False, False)}


def zone_abbreviation(moment: datetime) -> str:
    """The zone's short name at ``moment``: ICT for Vietnam, CEST, UTC; ``UTC+07`` when tzdata has only numbers."""
    name = _ABBREVIATIONS.get(str(getattr(moment.tzinfo, "key", "")))
    if name:
        return name
    name = moment.tzname() or ""
    if not name or name[0] in "+-":
        offset = moment.strftime("%z")  # "+0700", "-0330"
        return "UTC" + (f"{offset[:3]}:{offset[3:]}" if offset[3:] != "00" else offset[:3])
    return name


def parse_instant(value: object) -> datetime | None:
    """An aware datetime from a datetime or an ISO 8601 string (naive means UTC, as stored); None otherwise."""
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
        except ValueError:
            return None
    if not isinstance(value, datetime):
        return None
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value


def _written(local: datetime, fmt: str, language: str | None) -> str:
    """``local`` as ``fmt`` says, or, for a date or a date and time in Vietnamese, as Vietnamese writes it
    (day first: "23:30 01/05/2024", with Babel)."""
    if language == "vi" and fmt in _VI_FORMS:
        with_time, seconds = _VI_FORMS[fmt]
        return format_moment(local, "vi", with_time=with_time, seconds=seconds)
    return local.strftime(fmt)


def local_time(value: datetime | str | None, fmt: str | None = None, *, zone: tzinfo,
               language: str | None = None) -> Markup | str:
    """``value`` in ``zone`` inside a ``<time>`` element carrying its UTC instant; "—" for None.

    ``fmt`` is a strftime format from a template (a date and a time by default; in Vietnamese dates are written
    day first); the zone's abbreviation follows when it shows the hour. A string that is not an ISO 8601 moment
    is shown as it is (escaped).
    """
    fmt = fmt or _DEFAULT_FORMAT
    if value is None or value == "":
        return "—"
    moment = parse_instant(value)
    if moment is None:
        return str(value)  # autoescaped by the template
    utc = moment.astimezone(UTC)
    local = moment.astimezone(zone)
    shown = _written(local, fmt, language) + (f" {zone_abbreviation(local)}" if "%H" in fmt else "")
    return Markup('<time datetime="{}" title="{}">{}</time>').format(
        utc.isoformat(timespec="seconds").replace("+00:00", "Z"), utc.strftime("%Y-%m-%d %H:%M:%S UTC"), shown)


def _plain_date(value: str) -> date | None:
    text = value.strip()
    if len(text) != 10:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        return None


def page_day_bound(value: str, zone: tzinfo, *, end: bool) -> str:
    """A date typed on a page (``YYYY-MM-DD``) as the UTC instant where that day starts in ``zone`` (with ``end``:
    where the next day starts, an exclusive bound). Anything else is returned unchanged for the caller to judge."""
    day = _plain_date(value)
    if day is None or not usable_day(day):
        return value
    bound = day_start(day + timedelta(days=1) if end else day, zone)
    return bound.isoformat().replace("+00:00", "Z")


def shown_day(value: object, zone: tzinfo, *, end: bool) -> str:
    """A stored date bound as the ``YYYY-MM-DD`` a page's date field shows: the inverse of ``page_day_bound``.

    A plain date is shown as it is; an instant is shown as its day in ``zone`` (for an exclusive end bound at
    midnight, the day before it).
    """
    text = "" if value is None else str(value)
    if _plain_date(text) is not None:
        return text.strip()
    moment = parse_instant(text)
    if moment is None:
        return text[:10]
    local = moment.astimezone(zone)
    if end and local.time() == time():
        local -= timedelta(days=1)
    return local.date().isoformat()


def describe_bound(value: object, zone: tzinfo, *, end: bool) -> str:
    """A stored date bound in words for a page: its day in ``zone`` when it falls on a day boundary there, a plain
    date as the UTC day it means, else the moment in ``zone``."""
    text = "" if value is None else str(value)
    if _plain_date(text) is not None:
        return f"{text.strip()} (UTC day)"
    moment = parse_instant(text)
    if moment is None:
        return text
    local = moment.astimezone(zone)
    if local.time() == time():
        return shown_day(text, zone, end=end)
    return local.strftime(_DEFAULT_FORMAT) + f" {zone_abbreviation(local)}"
