"""The rules of a takedown request, with no database: its statuses, which changes a person may make, what a
re-check's outcome does to it, when it is overdue and when its post is re-checked next.

    sent -> acknowledged -> removed | still_online | restored | rejected | withdrawn

A request is *open* (its post is re-checked) while it is sent, acknowledged, still online, removed (to see it
come back) or restored, and no longer than ``takedown_watch_days`` after it was sent. Rejected and withdrawn
requests are closed. A re-check that cannot reach the post changes nothing: errors never count as removal.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from config.i18n import N_
from vntext import dedupe_form

__all__ = [
    "CHECK_OUTCOMES",
    "CLOSED",
    "LABELS",
    "MANUAL",
    "OPEN",
    "OVERDUE_STATUSES",
    "STATUSES",
    "after_check",
    "can_mark",
    "check_outcome",
    "compare_text",
    "is_overdue",
    "next_check",
]

STATUSES: tuple[str, ...] = (
    "sent", "acknowledged", "removed", "still_online", "restored", "rejected", "withdrawn")
CLOSED: frozenset[str] = frozenset({"rejected", "withdrawn"})
OPEN: frozenset[str] = frozenset(STATUSES) - CLOSED
#: statuses in which the post is still (or again) up: past the deadline, the request is overdue
OVERDUE_STATUSES: frozenset[str] = frozenset({"sent", "acknowledged", "still_online", "restored"})
CHECK_OUTCOMES: tuple[str, ...] = ("removed", "online", "changed", "unreachable")
#: statuses and re-check outcomes as people read them (translated where shown: ``translated(status)``)
LABELS: dict[str, str] = {
    "sent": N_("sent"), "acknowledged": N_("acknowledged"), "removed": N_("removed"),
    "still_online": N_("still_online"), "restored": N_("restored"), "rejected": N_("rejected"),
    "withdrawn": N_("withdrawn"), "online": N_("online"), "changed": N_("changed"), "unreachable": N_("unreachable"),
}

#: what a person may change a status to (the recipient said so, or a reviewer saw it); withdrawn is final
MANUAL: dict[str, frozenset[str]] = {
    "sent": frozenset({"acknowledged", "removed", "still_online", "rejected", "withdrawn"}),
    "acknowledged": frozenset({"removed", "still_online", "rejected", "withdrawn"}),
    "still_online": frozenset({"acknowledged", "removed", "rejected", "withdrawn"}),
    "removed": frozenset({"restored", "still_online", "withdrawn"}),
    "restored": frozenset({"removed", "still_online", "rejected", "withdrawn"}),
    "rejected": frozenset({"acknowledged", "withdrawn"}),
    "withdrawn": frozenset(),
}


def can_mark(current: str, new: str) -> bool:
    return new in MANUAL.get(current, frozenset())


def _utc(value: datetime) -> datetime:
    if value.tzinfo is None:
        raise ValueError("naive datetime: attach a time zone")
    return value.astimezone(UTC)


def is_overdue(status: str, deadline_at: datetime, now: datetime) -> bool:
    """Past the deadline with the post not removed (time zones of both sides are honoured)."""
    return status in OVERDUE_STATUSES and _utc(now) > _utc(deadline_at)


def after_check(status: str, outcome: str, *, overdue: bool) -> str:
    """The status a re-check's outcome leads to (the same status when it changes nothing).

    removed: the post is gone (from sent, acknowledged, still online or restored). online/changed: a removed
    post came back (restored); one still up past its deadline is still online. unreachable: nothing changes."""
    if status in CLOSED or outcome == "unreachable":
        return status
    if outcome == "removed":
        return "removed" if status in OVERDUE_STATUSES else status
    if outcome in ("online", "changed"):
        if status == "removed":
            return "restored"
        if overdue and status in ("sent", "acknowledged"):
            return "still_online"
    return status


def next_check(status: str, *, sent_at: datetime, deadline_at: datetime, now: datetime,
               watch_days: int) -> datetime | None:
    """When the post is re-checked next, or None when no more: closed, or past the watch period.

    The pace tightens near the deadline: every 6 hours while more than 12 hours are left, hourly from 12 to
    2 hours before, every 15 minutes in the last 2 hours; hourly once overdue; a removed post daily (to see it
    come back). A re-check is never set before the deadline's own minute is reached if that comes sooner."""
    now, deadline_at, sent_at = _utc(now), _utc(deadline_at), _utc(sent_at)
    if status in CLOSED or now >= sent_at + timedelta(days=watch_days):
        return None
    left = deadline_at - now
    if status == "removed":
        step = timedelta(hours=24)
    elif left <= timedelta(0):
        step = timedelta(hours=1)
    elif left <= timedelta(hours=2):
        step = timedelta(minutes=15)
    elif left <= timedelta(hours=12):
        step = timedelta(hours=1)
    else:
        step = timedelta(hours=6)
    nxt = now + step
    if status != "removed" and now < deadline_at < nxt:
        nxt = deadline_at + timedelta(minutes=1)  # look right after the deadline passes
    return min(nxt, sent_at + timedelta(days=watch_days))


def compare_text(platform: str, sent: str, seen: str) -> str:
    """``online`` when the text seen is the text sent (compared as words, case- and tone-mark-insensitive;
    for a web page, the post's text within the page's main text), else ``changed``."""
    a, b = dedupe_form(sent), dedupe_form(seen)
    if a == b:
        return "online"
    if platform not in ("mastodon", "bluesky", "telegram") and a and a in b:
        return "online"
    return "changed"


def check_outcome(platform: str, sent: str, seen: str, seen_text: str | None) -> str:
    """What a re-check found (one of ``CHECK_OUTCOMES``): ``seen`` is the fetch's answer (gone, unreachable or
    a text); an error is never a removal."""
    if seen == "gone":
        return "removed"
    if seen == "unreachable":
        return "unreachable"
    return compare_text(platform, sent, seen_text or "")
