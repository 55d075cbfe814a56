"""The queue and its decisions: leases keep analysts apart, decisions need policy and justification, appeals
need a new person, clusters are decided together, and every refusal is a named error."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from builders import appeal, claim, decide, flag, people
from review import decisions
from review.actors import CONSOLE_ACTOR
from review.browse import QueueFilters, queue_page
from review.errors import InvalidInput, NotAllowed, NotFound, WrongState
from review.queue import list_queue
from review.users import deactivate_user
from store import Database
from store.models import AuditEntry, Decision, QueueItem
from store.posts import upsert_post
from tests_support import crawled


@pytest.fixture
def team(db: Database) -> dict[str, int]:
    return people(db, ("ana", "analyst"), ("bao", "analyst"), ("rita", "reviewer"), ("op", "operator"))


def test_queue_lists_by_priority(db: Database) -> None:
    low, high = flag(db, "low", score=0.6), flag(db, "high", score=0.95)
    with db.session() as s:
        assert [r.item.id for r in list_queue(session=s)] == [high, low]


def test_two_analysts_never_get_the_same_item(db: Database, team: dict[str, int]) -> None:
    flag(db, "a", score=0.9)
    flag(db, "b", score=0.8)
    first, second, third = claim(db, "ana"), claim(db, "bao"), claim(db, "bao")
    assert first and second and first != second
    assert third == second  # bao keeps the item he holds


def test_expired_lease_returns_the_item(db: Database, team: dict[str, int]) -> None:
    item_id = flag(db, "a", score=0.9)
    assert claim(db, "ana", at=datetime.now(UTC) - timedelta(hours=1)) == item_id
    assert claim(db, "bao") == item_id


def test_confirmation_needs_category_and_justification(db: Database, team: dict[str, int]) -> None:
    item_id = flag(db, "a", score=0.9)
    with pytest.raises(InvalidInput, match="category"):
        decide(db, "ana", item_id, "confirm", category="opinion", justification="x")
    with pytest.raises(InvalidInput, match="justification"):
        decide(db, "ana", item_id, "confirm", category="false_claim", justification=" ")
    with pytest.raises(InvalidInput, match="http"):
        decide(db, "ana", item_id, "confirm", reference_url="javascript:alert(1)")
    with pytest.raises(InvalidInput, match="NUL"):
        decide(db, "ana", item_id, "confirm", justification="sai\x00")
    decide(db, "ana", item_id, "confirm", justification="Bộ Y tế đã bác bỏ", reference_url="https://moh.gov.vn/x")
    with db.session() as s:
        assert s.get(QueueItem, item_id).status == "confirmed"
        assert list_queue(session=s) == []
        assert s.query(AuditEntry).filter(AuditEntry.action == "decision.confirm").count() == 1
    with pytest.raises(WrongState, match="confirmed"):  # one decision per item: a second click is refused
        decide(db, "ana", item_id, "confirm")


def test_opinion_is_only_a_dismissal_reason(db: Database, team: dict[str, int]) -> None:
    item_id = flag(db, "a", score=0.9)
    decide(db, "ana", item_id, "dismiss", dismiss_reason="opinion")
    with db.session() as s:
        assert s.get(QueueItem, item_id).status == "dismissed"


def test_an_upheld_appeal_reversal_supersedes_the_confirmation(db: Database, team: dict[str, int]) -> None:
    item_id = flag(db, "a", score=0.9)
    confirmed = decide(db, "ana", item_id, "confirm", category="scam_fraud", justification="lừa đảo")
    appeal(db, "bao", item_id)
    people(db, ("cam", "reviewer"))
    reversed_ = decide(db, "cam", item_id, "dismiss")
    with db.session() as s:
        assert s.get(Decision, reversed_.decision_ids[0]).supersedes_id == confirmed.decision_ids[0]
        assert s.get(QueueItem, item_id).status == "dismissed"
        assert s.query(AuditEntry).filter(AuditEntry.action == "decision.dismiss").one().details["reversal"]


def test_decision_can_apply_to_the_whole_cluster(db: Database, team: dict[str, int]) -> None:
    first = flag(db, "a", score=0.9, text="Tin đồn giống hệt nhau về thuốc chữa bệnh thần kỳ")
    copy = flag(db, "b", score=0.7, text="Tin đồn giống hệt nhau về thuốc chữa bệnh thần kỳ")
    outcome = decide(db, "ana", first, "confirm", category="health_misinformation", apply_to_cluster=True)
    assert outcome.decided == [first, copy] and outcome.left == [] and len(outcome.decision_ids) == 2
    assert outcome.summary() == "2 decided"
    with db.session() as s:
        assert s.get(QueueItem, copy).status == "confirmed"


def test_roles_and_people_are_checked_by_the_action(db: Database, team: dict[str, int]) -> None:
    item_id = flag(db, "a", score=0.9)
    with pytest.raises(NotAllowed, match="'rita' is a reviewer; only an analyst or an admin"):
        decide(db, "rita", item_id, "confirm")
    with pytest.raises(NotAllowed, match="no user named 'ghost'"):
        decide(db, "ghost", item_id, "confirm")
    with pytest.raises(NotAllowed, match="command line"):
        decisions.decide(db, CONSOLE_ACTOR, item_id, decisions.Choice("confirm"))
    deactivate_user(db, CONSOLE_ACTOR, "ana")
    with pytest.raises(NotAllowed, match="deactivated"):
        decide(db, "ana", item_id, "dismiss")


def test_ids_outside_the_database_range_are_not_found(db: Database, team: dict[str, int]) -> None:
    for bad in (0, -1, 2**63, 10**30):
        with pytest.raises(NotFound):
            decide(db, "ana", bad, "dismiss")


def test_text_search_ignores_accents_and_folds_d(db: Database) -> None:
    first = flag(db, "a", score=0.9, text="Khu cách ly ở Đồng Nai, Trung Quốc thông báo ca nhiễm nCoV mới")
    flag(db, "b", score=0.8, text="Thời tiết Hà Nội hôm nay nắng đẹp")
    with db.session() as s:
        found = lambda q: [r.item.id for r in queue_page(session=s, filters=QueueFilters(q=q)).rows]  # noqa: E731
        for q in ("cach ly", "trung quoc", "ncov", "dong nai", "ĐỒNG NAI", "Cách Ly", "đong", "ca"):
            assert found(q) == [first], q
        assert found("cach ky") == []


def test_text_search_finds_words_in_a_row_case_insensitively_and_follows_edits(db: Database) -> None:
    first = flag(db, "a", score=0.9, text="CẢNH BÁO: uống nước chanh nóng chữa khỏi COVID-19, chia sẻ ngay")
    flag(db, "b", score=0.8, text="Thời tiết Hà Nội hôm nay nắng đẹp, không có mưa")
    with db.session() as s:
        found = lambda q: [r.item.id for r in queue_page(session=s, filters=QueueFilters(q=q)).rows]  # noqa: E731
        assert found("cảnh báo") == [first]          # case-folded Vietnamese
        assert found("nước chanh") == [first]        # words in a row
        assert found("covid-19") == [first]
        assert found('"; DROP TABLE posts; --') == []  # input is a bound parameter, never SQL
        assert found("xyz") == []
    with db.write() as s:
        upsert_post(session=s, captured=crawled("a", text="Bài đã được sửa lại hoàn toàn"), source_id=None)
    with db.session() as s:
        assert [r.item.id for r in queue_page(session=s, filters=QueueFilters(q="nước chanh")).rows] == []
        assert [r.item.id for r in queue_page(session=s, filters=QueueFilters(q="sửa lại")).rows] == [first]
