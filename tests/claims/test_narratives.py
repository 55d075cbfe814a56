"""Narratives and spike alerts: flagged posts and claims grouped by keyword phrases; a replayed burst of one
narrative raises exactly one alert and one webhook delivery to a local receiver with a valid signature."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

from sqlalchemy import select, update
from test_webhooks import LOCAL, Receiver
from typer.testing import CliRunner

from builders import flag, people
from pipeline import app
from review.actors import CONSOLE_ACTOR
from review.claims import ClaimInput, import_claims
from review.narratives import alerts, narrative_detail, narratives
from review.webhooks import add_webhook, deliveries
from service.narratives import check_spikes, poisson_tail, rebuild_narratives
from service.runtime import Runtime
from service.webhooks import deliver_due
from store.models import AuditEntry, Post, QueueItem
from store.types import utcnow

VACCINE = "Tin đồn: vắc xin gây vô sinh cho trẻ em, phụ huynh hoang mang chia sẻ khắp nơi lần {n}"
MONEY = "Ngân hàng sắp đổi tiền mới, tiền mặt cũ bị hủy, người dân đổ xô rút tiền lần {n}"


def _seen(runtime: Runtime, item_ids: list[int], at: object) -> None:
    with runtime.db.write() as s:
        post_ids = list(s.scalars(select(QueueItem.post_id).where(QueueItem.id.in_(item_ids))))
        s.execute(update(Post).where(Post.id.in_(post_ids)).values(first_seen_at=at))


def test_poisson_tail() -> None:
    assert poisson_tail(0, 1.0) == 1.0
    assert abs(poisson_tail(1, 1.0) - (1 - 0.36787944)) < 1e-6
    assert poisson_tail(10, 0.05) < 1e-15


def test_posts_and_claims_are_grouped_by_keyword_phrases(runtime: Runtime) -> None:
    import_claims(runtime.db, CONSOLE_ACTOR, [ClaimInput(text="Tiêm vắc xin gây vô sinh ở trẻ em")])
    for n in range(3):
        flag(runtime.db, f"v{n}", text=VACCINE.format(n=n), source_name="nhom-a")
        flag(runtime.db, f"m{n}", text=MONEY.format(n=n), source_name="nhom-b")
    assert rebuild_narratives(runtime) >= 2
    rows = narratives(runtime.db, CONSOLE_ACTOR)
    vaccine = next(r for r in rows if "vắc xin" in r.keywords or "vô sinh" in r.keywords)
    money = next(r for r in rows if "ngân hàng" in r.keywords or "tiền mặt" in r.keywords)
    assert vaccine.id != money.id and vaccine.claims == 1 and vaccine.posts == 3 and money.posts == 3
    detail = narrative_detail(runtime.db, CONSOLE_ACTOR, vaccine.id)
    assert len(detail.items) == 3 and detail.per_source == [("nhom-a", 3)] and sum(n for _d, n in detail.per_day) == 3
    assert rebuild_narratives(runtime) >= 2 and vaccine.id in {r.id for r in narratives(runtime.db, CONSOLE_ACTOR)}


def test_a_replayed_burst_raises_one_alert_and_one_signed_delivery(runtime: Runtime) -> None:
    receiver = Receiver()
    try:
        people(runtime.db, ("ana", "analyst"))
        add_webhook(runtime.db, CONSOLE_ACTOR, url=receiver.url, events=["narrative.spike"],
                    secret="s3cret-for-the-test-receiver", allow_networks=LOCAL)
        now = utcnow()
        quiet = [flag(runtime.db, f"q{n}", text=VACCINE.format(n=n)) for n in range(3)]  # 3 posts in 7 days
        for n, item in enumerate(quiet):
            _seen(runtime, [item], now - timedelta(days=2 + n))
        burst = [flag(runtime.db, f"b{n}", text=VACCINE.format(n=10 + n)) for n in range(12)]
        _seen(runtime, burst, now - timedelta(minutes=20))
        flag(runtime.db, "other", text=MONEY.format(n=1))
        rebuild_narratives(runtime, now=now)
        raised = [c for c in check_spikes(runtime, now=now) if c.alerted]
        assert len(raised) == 1 and raised[0].subject_type == "narrative" and raised[0].count == 12
        assert raised[0].baseline < 0.05 + 1e-9 and raised[0].p_value < 1e-6
        # the same burst replayed: checked again, rebuilt, checked a few minutes later: no second alert
        assert not any(c.alerted for c in check_spikes(runtime, now=now))
        rebuild_narratives(runtime, now=now + timedelta(minutes=5))
        assert not any(c.alerted for c in check_spikes(runtime, now=now + timedelta(minutes=10)))
        [alert] = alerts(runtime.db, CONSOLE_ACTOR)
        assert alert.count == 12
        assert deliver_due(runtime, now=now + timedelta(minutes=11)).delivered == 1
        [got] = receiver.received
        assert got["valid"] and got["event"] == "narrative.spike" and got["body"]["alert_id"] == alert.id
        assert len(deliveries(runtime.db, CONSOLE_ACTOR)) == 1
        with runtime.db.session() as s:
            assert s.scalars(select(AuditEntry).where(AuditEntry.action == "alert.spike")).one()
    finally:
        receiver.close()


def test_narratives_and_alerts_list_as_json(cli_env: Path) -> None:
    runner = CliRunner()
    assert "no narratives yet" in runner.invoke(app, ["narratives", "list"]).output
    assert runner.invoke(app, ["narratives", "rebuild"]).exit_code == 0
    assert runner.invoke(app, ["alerts", "check"]).output.startswith("0 alert(s)")
    listed = runner.invoke(app, ["alerts", "list", "--json"])
    assert listed.exit_code == 0 and listed.output == ""
    assert json.loads("[" + ",".join(runner.invoke(app, ["narratives", "list", "--json"]).output.split()) + "]") == []
