"""Takedown requests: every exported takedown row becomes a request with a deadline; a retraction withdraws it;
people change statuses only along the allowed paths and always with a note; overdue is right in every time zone."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest

from builders import decide
from export_builders import T0, confirm, flag, people, reverse, settings_for
from review.actors import person
from review.errors import InvalidInput, NotAllowed, NotAnotherPerson, NotFound, Refused
from review.exports import run_export, save_profile
from review.takedown_rules import after_check, is_overdue, next_check
from review.takedowns import get_request, list_requests, mark, record_check
from store import Database
from store.models import AuditEntry, TakedownRequest

HANOI = timezone(timedelta(hours=7))


def _audits(db: Database, prefix: str) -> list[AuditEntry]:
    with db.session() as s:
        return [a for a in s.query(AuditEntry).order_by(AuditEntry.id) if a.action.startswith(prefix)]


def _sent(db: Database, tmp_path: Path, n: int = 2, *, deadline_hours: int = 24) -> tuple[dict[str, int], list[int]]:
    who = people(db)
    items = [flag(db, f"p{i}") for i in range(n)]
    for item in items:
        confirm(db, item, who["ana"])
    save_profile(db, actor="rita", name="fb", recipient="Facebook T&S", format="csv")
    settings = settings_for(tmp_path).model_copy(update={"takedown_deadline_hours": deadline_hours})
    run_export(db, settings, actor="rita", profile="fb", now=T0)
    return who, items


def test_each_exported_takedown_row_becomes_a_request_with_a_deadline(db: Database, tmp_path: Path) -> None:
    _sent(db, tmp_path, 3, deadline_hours=24)
    requests = list_requests(db, actor=person("rita"), now=T0)
    assert len(requests) == 3
    assert {r.status for r in requests} == {"sent"}
    assert {r.recipient for r in requests} == {"Facebook T&S"}
    assert all(r.deadline_at == T0 + timedelta(hours=24) and r.sent_at == T0 for r in requests)
    assert all(r.next_check_at is not None and r.next_check_at <= T0 + timedelta(hours=6) for r in requests)
    opened = _audits(db, "takedown.open")
    assert len(opened) == 1 and opened[0].details["requests"] == 3 and opened[0].actor == "rita"


def test_sending_again_does_not_open_a_second_request(db: Database, tmp_path: Path) -> None:
    _sent(db, tmp_path, 2)
    run_export(db, settings_for(tmp_path), actor="rita", profile="fb", since_last=False, now=T0 + timedelta(hours=1))
    assert len(list_requests(db, actor=person("rita"), now=T0)) == 2


def test_a_retraction_withdraws_the_request_and_stops_rechecks(db: Database, tmp_path: Path) -> None:
    who, items = _sent(db, tmp_path, 2)
    reverse(db, items[0], who["bao"], who["cam"])
    run_export(db, settings_for(tmp_path), actor="rita", profile="fb", now=T0 + timedelta(days=2))
    by_status = {r.status: r for r in list_requests(db, actor=person("rita"), now=T0)}
    assert set(by_status) == {"withdrawn", "sent"}
    withdrawn = by_status["withdrawn"]
    assert withdrawn.next_check_at is None
    entry = _audits(db, "takedown.withdraw")[0]
    assert entry.actor == "rita" and "retracted" in entry.details["reason"]


def test_marking_follows_the_rules_and_is_audited(db: Database, tmp_path: Path) -> None:
    _sent(db, tmp_path, 1)
    rid = list_requests(db, actor=person("rita"))[0].id
    info = mark(db, actor=person("rita"), request_id=rid, status="acknowledged", note="FB đã nhận",
                recipient_ref="FB-2024-118", now=T0 + timedelta(hours=2))
    assert info.status == "acknowledged" and info.recipient_ref == "FB-2024-118"
    assert info.acknowledged_at == T0 + timedelta(hours=2) and "rita: FB đã nhận" in info.notes
    with pytest.raises(InvalidInput):
        mark(db, actor=person("rita"), request_id=rid, status="removed", note="  ")
    with pytest.raises(InvalidInput):
        mark(db, actor=person("rita"), request_id=rid, status="gone", note="x")
    with pytest.raises(Refused):
        mark(db, actor=person("rita"), request_id=rid, status="restored", note="not possible from acknowledged")
    with pytest.raises(NotAllowed):
        mark(db, actor=person("ana"), request_id=rid, status="removed", note="analysts do not manage requests")
    with pytest.raises(NotFound):
        mark(db, actor=person("rita"), request_id=999, status="removed", note="x")
    mark(db, actor=person("rita"), request_id=rid, status="withdrawn", note="sent by mistake")
    with pytest.raises(Refused):
        mark(db, actor=person("rita"), request_id=rid, status="sent", note="withdrawn is final")
    marks = _audits(db, "takedown.mark")
    assert [(a.details["before"], a.details["after"]) for a in marks] == [("sent", "acknowledged"),
                                                                          ("acknowledged", "withdrawn")]
    assert marks[1].details["note"] == "sent by mistake"
    assert get_request(db, actor=person("rita"), request_id=rid).next_check_at is None


def test_overdue_is_the_same_instant_in_every_time_zone(db: Database, tmp_path: Path) -> None:
    _sent(db, tmp_path, 2, deadline_hours=24)
    deadline = T0 + timedelta(hours=24)  # 2024-05-02 08:00 UTC = 15:00 in Hà Nội
    just_before = (deadline - timedelta(seconds=1)).astimezone(HANOI)
    just_after = (deadline + timedelta(seconds=1)).astimezone(timezone(timedelta(hours=-5)))
    rita = person("rita")
    assert list_requests(db, actor=rita, overdue=True, now=just_before) == []
    assert len(list_requests(db, actor=rita, overdue=True, now=just_after)) == 2
    rid = list_requests(db, actor=rita)[0].id
    mark(db, actor=rita, request_id=rid, status="removed", note="đã gỡ", now=just_after)
    assert len(list_requests(db, actor=rita, overdue=True, now=just_after)) == 1
    assert is_overdue("sent", deadline.astimezone(HANOI), deadline.astimezone(UTC) + timedelta(minutes=1))
    assert not is_overdue("removed", deadline, deadline + timedelta(days=1))
    with pytest.raises(ValueError, match="naive"):
        is_overdue("sent", deadline, datetime(2024, 5, 3))  # noqa: DTZ001 - a naive time is refused


def test_check_outcomes_move_the_status() -> None:
    assert after_check("sent", "removed", overdue=False) == "removed"
    assert after_check("sent", "unreachable", overdue=True) == "sent"  # errors never count as removal
    assert after_check("removed", "unreachable", overdue=False) == "removed"
    assert after_check("removed", "online", overdue=False) == "restored"
    assert after_check("sent", "online", overdue=False) == "sent"
    assert after_check("acknowledged", "online", overdue=True) == "still_online"
    assert after_check("withdrawn", "removed", overdue=True) == "withdrawn"


def test_the_recheck_pace_tightens_near_the_deadline() -> None:
    deadline = T0 + timedelta(hours=24)

    def gap(now: datetime, status: str = "sent") -> timedelta | None:
        nxt = next_check(status, sent_at=T0, deadline_at=deadline, now=now, watch_days=30)
        return None if nxt is None else nxt - now

    assert gap(T0) == timedelta(hours=6)
    assert gap(deadline - timedelta(hours=10)) == timedelta(hours=1)
    assert gap(deadline - timedelta(hours=1)) == timedelta(minutes=15)
    assert gap(deadline - timedelta(minutes=5)) == timedelta(minutes=6)  # right after the deadline
    assert gap(deadline + timedelta(hours=3)) == timedelta(hours=1)
    assert gap(deadline + timedelta(hours=3), "removed") == timedelta(hours=24)
    assert gap(T0 + timedelta(days=31)) is None
    assert gap(T0, "withdrawn") is None


def test_a_recheck_record_changes_status_and_keeps_history(db: Database, tmp_path: Path) -> None:
    _sent(db, tmp_path, 1)
    rid = list_requests(db, actor=person("rita"))[0].id
    t = T0 + timedelta(hours=3)
    assert record_check(db, request_id=rid, url="https://x.vn/p0", outcome="unreachable", http_status=None,
                        text=None, detail="timeout", now=t) == "sent"
    assert record_check(db, request_id=rid, url="https://x.vn/p0", outcome="removed", http_status=404,
                        text=None, now=t + timedelta(hours=1)) == "removed"
    assert record_check(db, request_id=rid, url="https://x.vn/p0", outcome="changed", http_status=200,
                        text="Nội dung mới", now=t + timedelta(hours=30)) == "restored"
    info = get_request(db, actor=person("rita"), request_id=rid)
    assert [c.outcome for c in info.checks] == ["changed", "removed", "unreachable"]
    assert info.needs_decision and info.removed_at == t + timedelta(hours=1)
    assert info.restored_at == t + timedelta(hours=30)
    with db.session() as s:
        assert s.get(TakedownRequest, rid).last_outcome == "changed"
    statuses = [(a.actor, a.details["after"]) for a in _audits(db, "takedown.status")]
    assert statuses == [("system", "removed"), ("system", "restored")]
    assert len(_audits(db, "takedown.changed")) == 1


def test_a_changed_post_dismissed_on_its_new_text_is_retracted_by_the_next_export(db: Database,
                                                                                   tmp_path: Path) -> None:
    who = people(db)
    item = flag(db, "p0")
    confirm(db, item, who["root"])  # an admin decides both queues
    save_profile(db, actor="rita", name="fb", recipient="Facebook T&S", format="csv")
    run_export(db, settings_for(tmp_path), actor="rita", profile="fb", now=T0)
    [request] = list_requests(db, actor=person("rita"))
    record_check(db, request_id=request.id, url="https://x.vn/p0", outcome="changed", http_status=200,
                 text="Tác giả đã đính chính: thông tin chính thức", now=T0 + timedelta(hours=3))
    with pytest.raises(NotAnotherPerson, match="changed text"):
        decide(db, "root", item, "dismiss", at=T0 + timedelta(hours=4))  # the person who confirmed it
    outcome = decide(db, "cam", item, "dismiss", at=T0 + timedelta(hours=4))
    assert (outcome.status_before, outcome.status) == ("changed", "dismissed")
    assert not get_request(db, actor=person("rita"), request_id=request.id).needs_decision
    assert [a.details["decision_id"] for a in _audits(db, "takedown.decided")] == outcome.decision_ids
    assert get_request(db, actor=person("rita"), request_id=request.id).status == "sent"  # nothing sent yet
    run_export(db, settings_for(tmp_path), actor="rita", profile="fb", now=T0 + timedelta(hours=5))
    assert get_request(db, actor=person("rita"), request_id=request.id).status == "withdrawn"
