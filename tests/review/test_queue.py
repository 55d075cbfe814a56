"""The queue: leases keep analysts apart, decisions need policy and justification, appeals need a new person."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from crawler import simhash64
from review.queue import DecisionError, appeal, claim_next, decide, enqueue, list_queue
from store import Database
from store.models import AuditEntry, Decision, QueueItem, User, Verdict
from store.posts import upsert_post
from store.users import create_user
from tests_support import crawled

LEASE = timedelta(minutes=5)


def _flag(db: Database, external_id: str, score: float, text: str | None = None) -> int:
    with db.write() as s:
        captured = crawled(external_id, text=text) if text else crawled(external_id)
        result = upsert_post(session=s, captured=captured, source_id=None, simhash=simhash64(captured.text))
        verdict = Verdict(post_id=result.post.id, snapshot_id=result.snapshot.id, model_version="test",
                          score=score, label=True, threshold=0.5, features=[])
        s.add(verdict)
        s.flush()
        return enqueue(session=s, post=result.post, verdict=verdict).id


def _users(db: Database, *names: str) -> list[int]:
    with db.write() as s:
        return [create_user(session=s, username=n, password="correct horse battery", role="analyst").id
                for n in names]


def test_queue_lists_by_priority(db: Database) -> None:
    low, high = _flag(db, "low", 0.6), _flag(db, "high", 0.95)
    with db.session() as s:
        assert [r.item.id for r in list_queue(session=s)] == [high, low]


def test_two_analysts_never_get_the_same_item(db: Database) -> None:
    _flag(db, "a", 0.9)
    _flag(db, "b", 0.8)
    ana, bao = _users(db, "ana", "bao")
    with db.write() as s:
        first = claim_next(session=s, user=s.get(User, ana), lease=LEASE)
    with db.write() as s:
        second = claim_next(session=s, user=s.get(User, bao), lease=LEASE)
    with db.write() as s:
        third = claim_next(session=s, user=s.get(User, bao), lease=LEASE)
    assert first and second and first.id != second.id
    assert third is not None and third.id == second.id  # bao keeps the item he holds


def test_expired_lease_returns_the_item(db: Database) -> None:
    item_id = _flag(db, "a", 0.9)
    ana, bao = _users(db, "ana", "bao")
    past = datetime.now(UTC) - timedelta(hours=1)
    with db.write() as s:
        assert claim_next(session=s, user=s.get(User, ana), lease=LEASE, now=past).id == item_id
    with db.write() as s:
        assert claim_next(session=s, user=s.get(User, bao), lease=LEASE).id == item_id


def test_confirmation_needs_category_and_justification(db: Database) -> None:
    item_id = _flag(db, "a", 0.9)
    (ana,) = _users(db, "ana")
    with db.write() as s:
        item, user = s.get(QueueItem, item_id), s.get(User, ana)
        with pytest.raises(DecisionError, match="category"):
            decide(session=s, item=item, user=user, action="confirm", category="opinion", justification="x")
        with pytest.raises(DecisionError, match="justification"):
            decide(session=s, item=item, user=user, action="confirm", category="false_claim", justification=" ")
        decide(session=s, item=item, user=user, action="confirm", category="false_claim",
               justification="Bộ Y tế đã bác bỏ", reference_url="https://moh.gov.vn/x")
    with db.session() as s:
        assert s.get(QueueItem, item_id).status == "confirmed"
        assert list_queue(session=s) == []
        assert s.query(AuditEntry).filter(AuditEntry.action == "decision.confirm").count() == 1


def test_opinion_is_only_a_dismissal_reason(db: Database) -> None:
    item_id = _flag(db, "a", 0.9)
    (ana,) = _users(db, "ana")
    with db.write() as s:
        decide(session=s, item=s.get(QueueItem, item_id), user=s.get(User, ana), action="dismiss",
               dismiss_reason="opinion")
    with db.session() as s:
        assert s.get(QueueItem, item_id).status == "dismissed"


def test_appeal_is_decided_by_a_different_person_and_can_reverse(db: Database) -> None:
    item_id = _flag(db, "a", 0.9)
    ana, bao = _users(db, "ana", "bao")
    with db.write() as s:
        item = s.get(QueueItem, item_id)
        confirm = decide(session=s, item=item, user=s.get(User, ana), action="confirm", category="scam_fraud",
                         justification="lừa đảo")[0]
        appeal(session=s, item=item, user=s.get(User, bao), reason="tác giả đã đính chính")
    with db.write() as s:
        item = s.get(QueueItem, item_id)
        assert claim_next(session=s, user=s.get(User, ana), lease=LEASE) is None
        with pytest.raises(DecisionError, match="different person"):
            decide(session=s, item=item, user=s.get(User, ana), action="dismiss", dismiss_reason="accurate")
    with db.write() as s:
        item = s.get(QueueItem, item_id)
        assert claim_next(session=s, user=s.get(User, bao), lease=LEASE).id == item_id
        reversal = decide(session=s, item=item, user=s.get(User, bao), action="dismiss",
                          dismiss_reason="accurate")[0]
    with db.session() as s:
        assert s.get(Decision, reversal.id).supersedes_id == confirm.id
        assert s.get(QueueItem, item_id).status == "dismissed"


def test_decision_can_apply_to_the_whole_cluster(db: Database) -> None:
    first = _flag(db, "a", 0.9)
    copy = _flag(db, "b", 0.7)  # same text, another post: same cluster
    (ana,) = _users(db, "ana")
    with db.write() as s:
        written = decide(session=s, item=s.get(QueueItem, first), user=s.get(User, ana), action="confirm",
                         category="health_misinformation", justification="sai", apply_to_cluster=True)
    assert len(written) == 2
    with db.session() as s:
        assert s.get(QueueItem, copy).status == "confirmed"


def test_text_search_finds_substrings_case_insensitively_and_follows_edits(db: Database) -> None:
    from review.browse import QueueFilters, queue_page

    first = _flag(db, "a", 0.9, text="CẢNH BÁO: uống nước chanh nóng chữa khỏi COVID-19, chia sẻ ngay")
    _flag(db, "b", 0.8, text="Thời tiết Hà Nội hôm nay nắng đẹp, không có mưa")
    with db.session() as s:
        found = lambda q: [r.item.id for r in queue_page(session=s, filters=QueueFilters(q=q)).rows]  # noqa: E731
        assert found("cảnh báo") == [first]          # case-folded Vietnamese
        assert found("nước chanh") == [first]        # a substring across words
        assert found("covid-19") == [first]
        assert found('"; DROP TABLE posts; --') == []  # input is a bound parameter, never SQL
        assert found("xyz") == []
    with db.write() as s:
        upsert_post(session=s, captured=crawled("a", text="Bài đã được sửa lại hoàn toàn"), source_id=None)
    with db.session() as s:
        assert [r.item.id for r in queue_page(session=s, filters=QueueFilters(q="nước chanh")).rows] == []
        assert [r.item.id for r in queue_page(session=s, filters=QueueFilters(q="sửa lại")).rows] == [first]
