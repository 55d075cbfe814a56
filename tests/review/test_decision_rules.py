"""The decision rules hold whichever way a person reaches them: the action itself, the web form, the JSON API
and the command line (each test runs once per adapter, on SQLite and on PostgreSQL).

These were walk-arounds before the rules moved into the action: an appellant deciding their own appeal, the
original confirmer deciding again after someone escalated the appeal, and a cluster decision deciding copies
that were claimed, appealed or escalated. Analysts decide pending items; escalated and appealed items are the
reviewers' (admins decide both, so an admin can be a party of a case from its start).
"""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import func, select

from builders import PASSWORD, appeal, claim, decide, flag, people
from builders import RUMOUR as TEXT
from drivers import Driver
from review.errors import ActionError
from service.runtime import Runtime
from store.models import Decision, QueueItem


def _status(runtime: Runtime, item_id: int) -> str:
    with runtime.db.session() as s:
        return s.get(QueueItem, item_id).status


def _decisions(runtime: Runtime, item_id: int) -> list[tuple[str, int]]:
    with runtime.db.session() as s:
        return [(d.action, d.user_id) for d in s.scalars(
            select(Decision).where(Decision.queue_item_id == item_id).order_by(Decision.id))]


def test_the_appellant_does_not_decide_their_own_appeal(driver: Driver) -> None:
    db = driver.runtime.db
    item = flag(db, "a", text=TEXT)
    decide(db, "ada", item, "confirm")
    assert driver.appeal("cam", item).ok
    before = _decisions(driver.runtime, item)

    own = driver.decide("cam", item, "dismiss")
    assert (own.ok, own.kind) == (False, "refused") and "you appealed" in own.message
    again = driver.decide("ada", item, "dismiss")
    assert (again.ok, again.kind) == (False, "refused") and "you confirmed" in again.message
    assert driver.decide("cam", item, "escalate").kind == "refused"
    assert _status(driver.runtime, item) == "appealed" and _decisions(driver.runtime, item) == before
    # "Next case" never offers it to them
    assert driver.claim("cam", cases=True) is None and driver.claim("ada", cases=True) is None

    assert driver.claim("dan", cases=True) == item
    assert driver.decide("dan", item, "dismiss").ok  # a person outside the case: a reversal
    assert _status(driver.runtime, item) == "dismissed"


def test_after_an_escalated_appeal_nobody_from_the_case_decides(driver: Driver) -> None:
    db = driver.runtime.db
    item = flag(db, "a", text=TEXT)
    decide(db, "ada", item, "confirm")
    appeal(db, "cam", item)
    decide(db, "dan", item, "escalate", justification="cần chuyên gia y tế")

    for name, did in (("ada", "confirmed"), ("cam", "appealed"), ("dan", "escalated")):
        answer = driver.decide(name, item, "confirm")
        assert (answer.ok, answer.kind) == (False, "refused"), name
        assert f"you {did}" in answer.message, answer.message
        assert driver.claim(name, cases=True) is None
    assert _status(driver.runtime, item) == "escalated"
    assert driver.decide("rita", item, "confirm").ok
    assert _status(driver.runtime, item) == "confirmed"


def test_analysts_decide_pending_items_and_reviewers_the_escalated_and_appealed(driver: Driver) -> None:
    db = driver.runtime.db
    escalated, pending = flag(db, "e", text=TEXT, score=0.9), flag(db, "p", text=TEXT + " khác", score=0.8)
    decide(db, "ana", escalated, "escalate")

    analyst = driver.decide("bao", escalated, "confirm")
    assert (analyst.ok, analyst.kind) == (False, "forbidden"), analyst
    assert "only a reviewer or an admin may decide escalated and appealed items" in analyst.message
    reviewer = driver.decide("rita", pending, "dismiss")
    assert (reviewer.ok, reviewer.kind) == (False, "forbidden")
    assert "only an analyst or an admin may decide items" in reviewer.message
    assert driver.claim("bao") == pending  # "Next item" offers analysts pending items only
    assert driver.claim("rita", cases=True) == escalated  # "Next case" offers reviewers the escalations
    assert driver.decide("rita", escalated, "dismiss").ok
    assert (_status(driver.runtime, escalated), _status(driver.runtime, pending)) == ("dismissed", "pending")


def test_an_escalation_needs_a_note(driver: Driver) -> None:
    item = flag(driver.runtime.db, "a", text=TEXT)
    answer = driver.decide("ana", item, "escalate", justification="")
    assert (answer.ok, answer.kind) == (False, "invalid") and "an escalation needs a note" in answer.message
    assert _decisions(driver.runtime, item) == []
    assert driver.decide("ana", item, "escalate", justification="ảnh có vẻ bị cắt ghép").ok
    assert _status(driver.runtime, item) == "escalated"


def test_only_the_lease_holder_decides_or_skips(driver: Driver) -> None:
    db = driver.runtime.db
    item = flag(db, "a", text=TEXT)
    assert claim(db, "bao") == item
    for action in ("confirm", "dismiss", "escalate", "skip"):
        answer = driver.decide("ana", item, action)
        assert (answer.ok, answer.kind) == (False, "refused"), action
        assert "claimed by bao" in answer.message
    assert _decisions(driver.runtime, item) == []
    assert driver.decide("bao", item, "confirm").ok


def test_a_cluster_decision_applies_every_rule_to_every_copy(driver: Driver) -> None:
    db = driver.runtime.db
    named = flag(db, "named", text=TEXT, score=0.9)
    leased = flag(db, "leased", text=TEXT, score=0.99)
    appealed = flag(db, "appealed", text=TEXT, score=0.8)
    escalated = flag(db, "escalated", text=TEXT, score=0.8)
    free = flag(db, "free", text=TEXT, score=0.7)
    assert claim(db, "bao") == leased
    decide(db, "ada", appealed, "confirm")
    appeal(db, "dan", appealed)
    decide(db, "bao", escalated, "escalate")

    answer = driver.decide("ana", named, "confirm", apply_to_cluster=True)
    assert answer.ok, answer
    assert sorted(answer.left) == sorted([leased, appealed, escalated])
    assert "claimed by bao" in answer.message and "decide it on its own" in answer.message
    statuses = {i: _status(driver.runtime, i) for i in (named, leased, appealed, escalated, free)}
    assert statuses == {named: "confirmed", leased: "pending", appealed: "appealed", escalated: "escalated",
                        free: "confirmed"}


def test_the_item_page_hides_the_form_and_says_why(runtime: Runtime) -> None:
    people(runtime.db, ("ada", "admin"), ("bao", "reviewer"), ("cam", "reviewer"), ("ana", "analyst"),
           password=PASSWORD)
    driver = Driver("web", runtime)
    item = flag(runtime.db, "a", text=TEXT)
    decide(runtime.db, "ada", item, "confirm")
    appeal(runtime.db, "bao", item)
    for name, shown in (("bao", "you appealed"), ("ada", "you confirmed"),
                        ("ana", "only a reviewer or an admin may decide escalated and appealed items")):
        page = driver.client(name).get(f"/items/{item}").text
        assert 'id="confirm-form"' not in page and shown in page
    assert 'id="confirm-form"' in driver.client("cam").get(f"/items/{item}").text
    api = Driver("api", runtime).client("bao").get(f"/api/items/{item}").json()
    assert api["can_decide"] is False and "you appealed" in api["decide_block"]


def test_the_command_line_decides_only_as_a_named_person(runtime: Runtime) -> None:
    people(runtime.db, ("rita", "reviewer"), password=PASSWORD)
    item = flag(runtime.db, "a", text=TEXT)
    driver = Driver("cli", runtime)
    console = driver._cli("queue", "decide", str(item), "--action", "dismiss", "--reason", "accurate")
    assert (console.ok, console.kind) == (False, "forbidden") and "--as USERNAME" in console.message
    reviewer = driver.decide("rita", item, "dismiss")
    assert (reviewer.ok, reviewer.kind) == (False, "forbidden")
    assert "only an analyst or an admin may decide items" in reviewer.message
    assert _decisions(runtime, item) == []


@pytest.mark.parametrize("clicks", [8])
def test_concurrent_clicks_on_one_item_make_one_decision(runtime: Runtime, clicks: int) -> None:
    people(runtime.db, ("ana", "analyst"), ("bao", "analyst"))
    item = flag(runtime.db, "a", text=TEXT)
    start, results = threading.Barrier(clicks), []

    def click(name: str) -> None:
        start.wait()
        try:
            decide(runtime.db, name, item, "confirm")
            results.append("ok")
        except ActionError as exc:
            results.append(type(exc).__name__)

    threads = [threading.Thread(target=click, args=("ana" if i % 2 else "bao",)) for i in range(clicks)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert results.count("ok") == 1 and len(results) == clicks, results
    with runtime.db.session() as s:
        assert s.scalar(select(func.count()).select_from(Decision).where(Decision.queue_item_id == item)) == 1


def test_two_people_deciding_one_cluster_at_once_neither_deadlock_nor_decide_twice(runtime: Runtime) -> None:
    people(runtime.db, ("ana", "analyst"), ("bao", "analyst"))
    items = [flag(runtime.db, str(i), text=TEXT) for i in range(6)]
    start, results = threading.Barrier(2), []

    def click(name: str, item: int) -> None:
        start.wait()
        try:
            results.append(decide(runtime.db, name, item, "confirm", apply_to_cluster=True).decided)
        except ActionError as exc:
            results.append(type(exc).__name__)

    threads = [threading.Thread(target=click, args=("ana", items[0])),
               threading.Thread(target=click, args=("bao", items[-1]))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert len(results) == 2 and all(isinstance(r, list) or r == "WrongState" for r in results), results
    with runtime.db.session() as s:
        counts = dict(s.execute(select(Decision.queue_item_id, func.count()).group_by(Decision.queue_item_id)).all())
    assert counts == {item: 1 for item in items}
