"""Compliance: per recipient and month, how many takedown requests were sent, removed within the deadline,
how long removal took, how many are overdue now and how many posts came back; and the report file.

``compliance`` returns the summary rows; ``write_report`` writes them with one row per request (and its
evidence hashes) as CSV (two files: the requests, and ``-summary.csv``) or xlsx (two sheets), reusing the
export writers (formula-injection guard, UTF-8 BOM for CSV, text cells as text). Audited as
``takedown.report``. Months are calendar months in UTC of the time a request was sent.
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session, aliased

from review.actors import Actor, authorize
from review.errors import InvalidInput, NotFound
from review.evidence import evidence_for_post_query
from review.exports.query import iso
from review.exports.writers import file_sha256, open_writer
from review.takedown_rules import is_overdue
from store.audit import record
from store.models import Decision, ExportProfile, Post, Snapshot, TakedownCheck, TakedownRequest
from store.types import utcnow

if TYPE_CHECKING:
    from store.db import Database

__all__ = ["REQUEST_COLUMNS", "SUMMARY_COLUMNS", "ComplianceRow", "ReportFile", "compliance", "daily_series",
           "write_report"]

SUMMARY_COLUMNS: tuple[str, ...] = (
    "recipient", "period", "sent", "acknowledged", "removed", "removed_within_deadline", "removed_late",
    "median_hours_to_removal", "overdue_now", "still_online", "restored", "rejected", "withdrawn")
REQUEST_COLUMNS: tuple[str, ...] = (
    "request_id", "recipient", "profile", "export_id", "platform", "post_url", "status", "sent_at", "deadline_at",
    "acknowledged_at", "removed_at", "restored_at", "hours_to_removal", "removed_within_deadline", "overdue_now",
    "recipient_ref", "text_sha256_sent", "last_check_at", "last_check_outcome", "last_check_http_status",
    "last_check_text_sha256", "evidence_warc_sha256", "evidence_body_sha256", "evidence_captured_at")


@dataclass(frozen=True)
class ComplianceRow:
    recipient: str
    period: str  # YYYY-MM (UTC)
    sent: int
    acknowledged: int
    removed: int
    removed_within_deadline: int
    removed_late: int
    median_hours_to_removal: float | None
    overdue_now: int
    still_online: int
    restored: int
    rejected: int
    withdrawn: int

    def values(self) -> tuple[Any, ...]:
        return tuple(getattr(self, c) for c in SUMMARY_COLUMNS)


@dataclass(frozen=True)
class ReportFile:
    path: Path
    sha256: str
    rows: int
    extra: Path | None = None  # the CSV summary file


def _request_query(session: Session, profile: str | None, date_from: datetime | None,
                   date_to: datetime | None) -> Select[TakedownRequest]:
    """The requests a report covers, oldest sent first (a statement, so rows and evidence join to it)."""
    stmt = select(TakedownRequest)
    if profile:
        prof = session.scalar(select(ExportProfile).where(ExportProfile.name == profile))
        if prof is None:
            raise NotFound("no export profile named %(name)r", name=profile)
        stmt = stmt.where(TakedownRequest.profile_id == prof.id)
    if date_from:
        stmt = stmt.where(TakedownRequest.sent_at >= date_from)
    if date_to:
        stmt = stmt.where(TakedownRequest.sent_at < date_to)
    return stmt.order_by(TakedownRequest.sent_at, TakedownRequest.id)


def _hours(request: TakedownRequest) -> float | None:
    if request.removed_at is None:
        return None
    return round((request.removed_at - request.sent_at).total_seconds() / 3600, 2)


def _summarise(requests: list[TakedownRequest], now: datetime) -> list[ComplianceRow]:
    groups: dict[tuple[str, str], list[TakedownRequest]] = {}
    for r in requests:
        groups.setdefault((r.recipient, f"{r.sent_at:%Y-%m}"), []).append(r)
    rows = []
    for (recipient, period), group in sorted(groups.items()):
        removed = [r for r in group if r.removed_at is not None]
        within = [r for r in removed if r.removed_at is not None and r.removed_at <= r.deadline_at]
        hours = [h for h in (_hours(r) for r in removed) if h is not None]
        rows.append(ComplianceRow(
            recipient=recipient, period=period, sent=len(group),
            acknowledged=sum(1 for r in group if r.acknowledged_at is not None), removed=len(removed),
            removed_within_deadline=len(within), removed_late=len(removed) - len(within),
            median_hours_to_removal=round(statistics.median(hours), 2) if hours else None,
            overdue_now=sum(1 for r in group if is_overdue(r.status, r.deadline_at, now)),
            still_online=sum(1 for r in group if r.status == "still_online"),
            restored=sum(1 for r in group if r.restored_at is not None),
            rejected=sum(1 for r in group if r.status == "rejected"),
            withdrawn=sum(1 for r in group if r.status == "withdrawn")))
    return rows


def compliance(db: Database, *, actor: Actor, profile: str | None = None, date_from: datetime | None = None,
               date_to: datetime | None = None, now: datetime | None = None) -> list[ComplianceRow]:
    """Per recipient and month: requests sent and what became of them (as of ``now``)."""
    with db.session() as session:
        authorize(session, actor, "takedown.view")
        requests = list(session.scalars(_request_query(session, profile, date_from, date_to)))
        return _summarise(requests, now or utcnow())


def daily_series(db: Database, *, actor: Actor, days: int = 14, now: datetime | None = None
                 ) -> tuple[list[date], dict[str, list[int]]]:
    """Per UTC day of the last ``days``: requests sent, and of them removed within the deadline (for a chart)."""
    now = now or utcnow()
    first = (now - timedelta(days=days - 1)).date()
    start = datetime(first.year, first.month, first.day, tzinfo=now.tzinfo)
    axis = [first + timedelta(days=i) for i in range(days)]
    sent, removed = [0] * days, [0] * days
    with db.session() as session:
        authorize(session, actor, "takedown.view")
        for sent_at, deadline_at, removed_at in session.execute(select(
                TakedownRequest.sent_at, TakedownRequest.deadline_at, TakedownRequest.removed_at).where(
                TakedownRequest.sent_at >= start)):
            index = (sent_at.date() - first).days
            if 0 <= index < days:
                sent[index] += 1
                if removed_at is not None and removed_at <= deadline_at:
                    removed[index] += 1
    return axis, {"sent": sent, "removed in time": removed}


def _request_rows(session: Session, stmt: Select[TakedownRequest], now: datetime
                  ) -> tuple[list[TakedownRequest], list[tuple[Any, ...]]]:
    """The requests of ``stmt`` and one report row each, in three queries whatever their number: the requests
    joined to their post, the snapshot sent and their latest check; the evidence; the profile names."""
    latest = (select(TakedownCheck.request_id, func.max(TakedownCheck.id).label("check_id"))
              .group_by(TakedownCheck.request_id).subquery())
    chosen = stmt.order_by(None).subquery()
    request = aliased(TakedownRequest, chosen)
    found = session.execute(
        select(request, Post.platform, Post.url, Post.content_sha256, Snapshot.sha256, TakedownCheck)
        .join(Post, Post.id == request.post_id)
        .outerjoin(Decision, Decision.id == request.decision_id)
        .outerjoin(Snapshot, Snapshot.id == Decision.snapshot_id)
        .outerjoin(latest, latest.c.request_id == request.id)
        .outerjoin(TakedownCheck, TakedownCheck.id == latest.c.check_id)
        .order_by(request.sent_at, request.id)).all()
    evidence = evidence_for_post_query(session, select(chosen.c.post_id))
    profiles = dict(session.execute(select(ExportProfile.id, ExportProfile.name)).all())
    rows = []
    for r, platform, url, content_sha, snapshot_sha, last in found:
        ev = evidence.get(r.post_id)
        within = None if r.removed_at is None else ("yes" if r.removed_at <= r.deadline_at else "no")
        rows.append((
            r.id, r.recipient, profiles.get(r.profile_id) if r.profile_id else None, r.export_id, platform, url,
            r.status, iso(r.sent_at), iso(r.deadline_at), iso(r.acknowledged_at), iso(r.removed_at),
            iso(r.restored_at), _hours(r), within, "yes" if is_overdue(r.status, r.deadline_at, now) else "no",
            r.recipient_ref, snapshot_sha or content_sha, iso(last.checked_at) if last else None,
            last.outcome if last else None, last.http_status if last else None, last.text_sha256 if last else None,
            ev.sha256 if ev else None, ev.payload_sha256 if ev else None, iso(ev.captured_at) if ev else None))
    return [r for r, *_rest in found], rows


def write_report(db: Database, *, actor: Actor, out: Path, profile: str | None = None,
                 date_from: datetime | None = None, date_to: datetime | None = None,
                 now: datetime | None = None) -> ReportFile:
    """Write the compliance report to ``out`` (``.csv`` or ``.xlsx``): the summary and every request with its
    evidence hashes. An existing file is not overwritten."""
    fmt = out.suffix.lower().lstrip(".")
    if fmt not in ("csv", "xlsx"):
        raise InvalidInput("the report is written as .csv or .xlsx: name the file so")
    if out.exists():
        raise InvalidInput("%(path)s exists; choose another file name", path=out)
    now = now or utcnow()
    out.parent.mkdir(parents=True, exist_ok=True)
    summary_path = out.with_name(f"{out.stem}-summary.csv") if fmt == "csv" else None
    if summary_path is not None and summary_path.exists():
        raise InvalidInput("%(path)s exists; choose another file name", path=summary_path)
    with db.write() as session:
        user = authorize(session, actor, "takedown.view")
        requests, rows = _request_rows(session, _request_query(session, profile, date_from, date_to), now)
        summary = _summarise(requests, now)
        if fmt == "xlsx":
            with open_writer("xlsx", out, sheet="summary", columns=SUMMARY_COLUMNS) as writer:
                for row in summary:
                    writer.write(row.values())
                writer.next_sheet("requests", REQUEST_COLUMNS)  # type: ignore[union-attr]
                for values in rows:
                    writer.write(values)
        else:
            assert summary_path is not None
            with open_writer("csv", out, columns=REQUEST_COLUMNS) as writer:
                for values in rows:
                    writer.write(values)
            with open_writer("csv", summary_path, columns=SUMMARY_COLUMNS) as writer:
                for row in summary:
                    writer.write(row.values())
        digest = file_sha256(out)
        record(session=session, actor=user.username if user else actor.name, action="takedown.report",
               target_type="export_profile", target_id=profile, file=out.name, sha256=digest, requests=len(rows),
               date_from=iso(date_from), date_to=iso(date_to))
    return ReportFile(path=out, sha256=digest, rows=len(rows), extra=summary_path)

