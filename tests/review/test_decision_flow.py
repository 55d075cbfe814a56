"""The decision flow holds whichever way a person reaches it (the action, the web form, the JSON API, the command
line; SQLite and PostgreSQL): undo within the window by the person who decided and never after an export, bulk
decisions through the same rules as one at a time, and comments on items."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from sqlalchemy import select

from builders import RUMOUR as TEXT
from builders import appeal, audit_trail, claim, decide, flag
from drivers import Driver
from review.bulk import MAX_BULK
from review.exports import run_export
from review.rules import party_action
from service.runtime import Runtime
from store.models import AuditEntry, Decision, QueueItem, User
from store.types import utcnow


def _item(runtime: Runtime, item_id: int) -> tuple[str, int | None, str | None]:
    """(status, current decision id, category)."""
    with runtime.db.session() as s:
        item = s.get(QueueItem, item_id)
        return item.status, item.current_decision_id, item.category


def _actions(runtime: Runtime, item_id: int) -> list[str]:
    with runtime.db.session() as s:
        return list(s.scalars(select(Decision.action).where(Decision.queue_item_id == item_id)
                              .order_by(Decision.id)))


def test_the_decider_undoes_within_the_window_and_the_item_is_theirs_again(driver: Driver) -> None:
    rt = driver.runtime
    item = flag(rt.db, "a", text=TEXT)
    assert driver.decide("ana", item, "confirm", category="health_misinformation").ok
    other = driver.undo("bao", item)
    assert (other.ok, other.kind) == (False, "refused") and "only ana can undo" in other.message
    assert driver.undo("ana", item).ok
    assert _item(rt, item) == ("pending", None, None) and _actions(rt, item) == ["confirm", "undo"]
    with rt.db.session() as s:
        confirm, undo = s.scalars(select(Decision).where(Decision.queue_item_id == item).order_by(Decision.id))
        assert undo.supersedes_id == confirm.id and undo.user_id == confirm.user_id
        assert s.get(QueueItem, item).assignee_id == undo.user_id  # held for ana to decide again
    assert ("ana", "decision.undo", str(item)) in audit_trail(rt.db)
    again = driver.undo("ana", item)
    assert (again.ok, again.kind) == (False, "refused")
    assert "no confirmation, dismissal or escalation to undo" in again.message
    assert driver.decide("ana", item, "dismiss").ok  # the undone decision does not count against her


def test_undo_is_refused_after_the_window_and_after_an_export(driver: Driver, tmp_path: Path) -> None:
    rt = driver.runtime
    late, exported = flag(rt.db, "late", text=TEXT), flag(rt.db, "sent", text=TEXT + " Bản khác.")
    decide(rt.db, "ana", late, "dismiss", at=utcnow() - timedelta(seconds=rt.config.settings.undo_seconds + 5))
    answer = driver.undo("ana", late)
    assert (answer.ok, answer.kind) == (False, "refused") and "can no longer be undone" in answer.message
    decide(rt.db, "ana", exported, "confirm")
    settings = rt.config.settings.model_copy(update={"exports_dir": tmp_path})
    export = run_export(rt.db, settings, actor="cam", since_last=False)
    answer = driver.undo("ana", exported)
    assert (answer.ok, answer.kind) == (False, "refused")
    assert f"went out in export #{export.id}; appeal it instead" in answer.message
    assert _item(rt, late)[0] == "dismissed" and _item(rt, exported)[0] == "confirmed"


def test_undoing_a_reversal_puts_the_appeal_back_as_it_was(driver: Driver) -> None:
    rt = driver.runtime
    item = flag(rt.db, "a", text=TEXT)
    confirmed = decide(rt.db, "ada", item, "confirm", category="scam_fraud").decision_ids[0]
    appeal(rt.db, "cam", item)
    assert driver.decide("dan", item, "dismiss").ok
    assert driver.undo("dan", item).ok
    assert _item(rt, item) == ("appealed", confirmed, "scam_fraud")
    with rt.db.session() as s:  # the case is as it was: ada and cam are its parties, dan's undone dismissal is not
        who = {name: party_action(s, s.get(QueueItem, item), user_id) for name, user_id in s.execute(
            select(User.username, User.id).where(User.username.in_(("ada", "cam", "dan"))))}
    assert who == {"ada": "confirm", "cam": "appeal", "dan": None}
    assert driver.decide("dan", item, "confirm", category="false_claim").ok


def test_undoing_an_escalation_returns_the_item_to_the_analysts(driver: Driver) -> None:
    rt = driver.runtime
    item = flag(rt.db, "a", text=TEXT)
    assert driver.decide("ana", item, "escalate", justification="cần bác sĩ xem").ok
    assert claim(rt.db, "cam", cases=True) == item
    held = driver.undo("ana", item)
    assert (held.ok, held.kind) == (False, "refused") and "claimed by cam" in held.message
    with rt.db.write() as s:
        s.get(QueueItem, item).lease_expires_at = utcnow() - timedelta(seconds=1)
    assert driver.undo("ana", item).ok
    assert _item(rt, item) == ("pending", None, None)
    assert claim(rt.db, "cam", cases=True) is None


def test_undoing_a_cluster_decision_puts_back_the_copies_still_as_it_left_them(driver: Driver) -> None:
    rt = driver.runtime
    named, copy, appealed = (flag(rt.db, name, text=TEXT, score=score)
                             for name, score in (("named", 0.9), ("copy", 0.8), ("appealed", 0.7)))
    outcome = decide(rt.db, "ana", named, "confirm", apply_to_cluster=True)
    assert sorted(outcome.decided) == sorted([named, copy, appealed])
    appeal(rt.db, "bao", appealed)
    answer = driver.undo("ana", named)
    assert answer.ok, answer
    assert (_item(rt, named)[0], _item(rt, copy)[0], _item(rt, appealed)[0]) == ("pending", "pending", "appealed")
    assert _actions(rt, copy) == ["confirm", "undo"]


def test_bulk_decisions_apply_every_rule_to_every_item(driver: Driver) -> None:
    rt = driver.runtime
    free, also, held, escalated = (flag(rt.db, name, text=f"{TEXT} {name}", score=score)
                                   for name, score in (("free", 0.6), ("also", 0.5), ("held", 0.99), ("esc", 0.4)))
    assert claim(rt.db, "bao") == held
    decide(rt.db, "bao", escalated, "escalate")
    answer = driver.bulk("ana", [free, also, held, escalated], "dismiss", dismiss_reason="opinion")
    assert answer.ok, answer
    assert sorted(answer.left) == sorted([held, escalated])
    assert "claimed by bao" in answer.message and "only a reviewer or an admin" in answer.message
    assert [_item(rt, i)[0] for i in (free, also, held, escalated)] == ["dismissed", "dismissed", "pending",
                                                                         "escalated"]
    with rt.db.session() as s:
        dismissals = s.scalars(select(AuditEntry).where(AuditEntry.action == "decision.dismiss")).all()
    assert sorted(int(e.target_id) for e in dismissals) == sorted([free, also])  # one audited decision per item


def test_bulk_decisions_refuse_the_wrong_role_action_or_size(driver: Driver) -> None:
    rt = driver.runtime
    item = flag(rt.db, "a", text=TEXT)
    reviewer = driver.bulk("cam", [item], "dismiss")
    assert (reviewer.ok, reviewer.kind) == (False, "forbidden")
    unreasoned = driver.bulk("ana", [item], "confirm", category="", justification="")
    assert (unreasoned.ok, unreasoned.kind) == (False, "invalid")
    too_many = driver.bulk("ana", list(range(1, MAX_BULK + 2)), "dismiss")
    assert (too_many.ok, too_many.kind) == (False, "invalid") and f"at most {MAX_BULK}" in too_many.message
    assert _item(rt, item)[0] == "pending" and _actions(rt, item) == []


def test_comments_are_kept_on_the_item_audited_and_never_exported(driver: Driver, tmp_path: Path) -> None:
    rt = driver.runtime
    item = flag(rt.db, "a", text=TEXT)
    assert driver.comment("ana", item, "Đã gọi cho Sở Y tế, đang chờ trả lời.").ok
    assert driver.comment("cam", item, "Nguồn gốc: một trang tin giả đã bị gỡ năm 2020.").ok
    empty = driver.comment("ana", item, "  ")
    assert (empty.ok, empty.kind) == (False, "invalid")
    assert (driver.comment("olga", item, "x").kind, driver.comment("ana", 999_999, "x").kind) == (
        "forbidden", "missing")
    shown = Driver("api", rt).client("dan").get(f"/api/items/{item}").json()["comments"]
    assert [(c["user"], c["text"][:9]) for c in shown] == [("ana", "Đã gọi ch"), ("cam", "Nguồn gốc")]
    assert [a for a in audit_trail(rt.db) if a[1] == "comment.add"] == [("ana", "comment.add", str(item)),
                                                                         ("cam", "comment.add", str(item))]
    decide(rt.db, "ana", item, "confirm")
    settings = rt.config.settings.model_copy(update={"exports_dir": tmp_path})
    export = run_export(rt.db, settings, actor="cam", since_last=False, format="jsonl")
    assert "Sở Y tế" not in (tmp_path / export.file_name).read_text(encoding="utf-8")
