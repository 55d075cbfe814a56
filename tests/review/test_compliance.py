"""The compliance report: per recipient and month, removed within the deadline, median time to removal,
overdue now, restored; written as CSV and xlsx with every request's evidence hashes."""

from __future__ import annotations

import csv
from datetime import timedelta
from pathlib import Path

import openpyxl
import pytest
from sqlalchemy import select

from export_builders import T0, confirm, flag, people, settings_for
from review.actors import person
from review.compliance import REQUEST_COLUMNS, SUMMARY_COLUMNS, compliance, daily_series, write_report
from review.errors import InvalidInput, NotAllowed
from review.exports import run_export, save_profile
from review.takedowns import list_requests, mark, record_check
from store import Database
from store.models import TakedownCheck, TakedownRequest
from tests_support import count_statements


def _scenario(db: Database, tmp_path: Path) -> list[int]:
    who = people(db)
    items = [flag(db, f"p{i}", text=f"=Tin giả số {i} lan truyền") for i in range(5)]
    for item in items:
        confirm(db, item, who["ana"])
    save_profile(db, actor="rita", name="fb", recipient="Meta")
    run_export(db, settings_for(tmp_path), actor="rita", profile="fb", now=T0)
    ids = [r.id for r in sorted(list_requests(db, actor=person("rita")), key=lambda r: r.id)]
    rita = person("rita")
    mark(db, actor=rita, request_id=ids[0], status="removed", note="gỡ sau 2 giờ", now=T0 + timedelta(hours=2))
    record_check(db, request_id=ids[1], url="u", outcome="removed", http_status=404, text=None,
                 now=T0 + timedelta(hours=10))
    record_check(db, request_id=ids[2], url="u", outcome="removed", http_status=410, text=None,
                 now=T0 + timedelta(hours=30))  # late
    record_check(db, request_id=ids[2], url="u", outcome="online", http_status=200, text="=Tin giả số 2 lan truyền",
                 now=T0 + timedelta(hours=40))  # came back
    mark(db, actor=rita, request_id=ids[3], status="rejected", note="Meta từ chối")
    return ids


def test_summary_per_recipient_and_month(db: Database, tmp_path: Path) -> None:
    _scenario(db, tmp_path)
    [row] = compliance(db, actor=person("rita"), now=T0 + timedelta(hours=48))
    assert (row.recipient, row.period, row.sent) == ("Meta", "2024-05", 5)
    assert (row.removed, row.removed_within_deadline, row.removed_late) == (3, 2, 1)
    assert row.median_hours_to_removal == 10.0
    assert row.overdue_now == 2  # the restored one and the one never removed
    assert (row.restored, row.rejected, row.withdrawn) == (1, 1, 0)
    assert compliance(db, actor=person("rita"), profile="fb", date_from=T0 + timedelta(days=1)) == []
    with pytest.raises(NotAllowed):
        compliance(db, actor=person("ana"))
    axis, series = daily_series(db, actor=person("rita"), days=3, now=T0 + timedelta(days=1))
    assert axis[1] == T0.date() and series["sent"] == [0, 5, 0] and series["removed in time"] == [0, 2, 0]


def test_report_as_csv_and_xlsx_with_evidence_hashes(db: Database, tmp_path: Path) -> None:
    ids = _scenario(db, tmp_path)
    rita = person("rita")
    report = write_report(db, actor=rita, out=tmp_path / "r" / "meta.csv", profile="fb", now=T0 + timedelta(hours=48))
    assert report.rows == 5 and report.extra is not None
    with report.path.open(encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert list(rows[0]) == list(REQUEST_COLUMNS)
    by_id = {int(r["request_id"]): r for r in rows}
    assert by_id[ids[0]]["removed_within_deadline"] == "yes" and by_id[ids[2]]["removed_within_deadline"] == "no"
    assert by_id[ids[2]]["status"] == "restored" and by_id[ids[2]]["last_check_text_sha256"]
    assert len(by_id[ids[1]]["text_sha256_sent"]) == 64 and by_id[ids[1]]["last_check_http_status"] == "404"
    with report.extra.open(encoding="utf-8-sig", newline="") as fh:
        summary = list(csv.DictReader(fh))
    assert list(summary[0]) == list(SUMMARY_COLUMNS) and summary[0]["removed_within_deadline"] == "2"

    xlsx = write_report(db, actor=rita, out=tmp_path / "meta.xlsx", now=T0 + timedelta(hours=48))
    book = openpyxl.load_workbook(xlsx.path, read_only=True)
    assert book.sheetnames == ["summary", "requests"]
    sheet_rows = list(book["requests"].iter_rows(values_only=True))
    assert sheet_rows[0] == REQUEST_COLUMNS and len(sheet_rows) == 6
    with pytest.raises(InvalidInput):
        write_report(db, actor=rita, out=tmp_path / "meta.xlsx")  # never overwritten
    with pytest.raises(InvalidInput):
        write_report(db, actor=rita, out=tmp_path / "meta.pdf")


def _more_requests(db: Database, copies: int) -> None:
    """``copies`` more requests like the first (same post and decision), each with a re-check."""
    with db.write() as s:
        first = s.scalars(select(TakedownRequest).order_by(TakedownRequest.id)).first()
        assert first is not None
        rows = [TakedownRequest(export_id=first.export_id, profile_id=first.profile_id, recipient=first.recipient,
                                post_id=first.post_id, decision_id=first.decision_id, status="sent",
                                sent_at=first.sent_at + timedelta(minutes=n), deadline_at=first.deadline_at)
                for n in range(copies)]
        s.add_all(rows)
        s.flush()
        s.add_all(TakedownCheck(request_id=r.id, checked_at=T0 + timedelta(hours=1), url="u", outcome="online",
                                http_status=200) for r in rows)


def test_the_report_runs_the_same_number_of_queries_for_many_requests(db: Database, tmp_path: Path) -> None:
    _scenario(db, tmp_path)
    rita = person("rita")
    with count_statements(db.engine) as few:
        write_report(db, actor=rita, out=tmp_path / "few.csv", profile="fb", now=T0 + timedelta(hours=48))
        compliance(db, actor=rita, profile="fb", now=T0 + timedelta(hours=48))
    _more_requests(db, 300)
    with count_statements(db.engine) as many:
        report = write_report(db, actor=rita, out=tmp_path / "many.csv", profile="fb", now=T0 + timedelta(hours=48))
        [row] = compliance(db, actor=rita, profile="fb", now=T0 + timedelta(hours=48))
    assert report.rows == 305 and row.sent == 305
    assert len(many) == len(few), many
    with report.path.open(encoding="utf-8-sig", newline="") as fh:
        copied = [r for r in csv.DictReader(fh) if r["last_check_outcome"] == "online" and r["status"] == "sent"]
    assert len(copied) == 300 and all(len(r["text_sha256_sent"]) == 64 for r in copied)
