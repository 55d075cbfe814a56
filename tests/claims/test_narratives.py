"""Narratives and spike alerts: flagged posts and claims grouped by keyword phrases; a replayed burst of one
narrative raises exactly one alert and one webhook delivery to a local receiver with a valid signature."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy import func, select, update
from test_webhooks import LOCAL, Receiver
from typer.testing import CliRunner

from builders import flag, people
from pipeline import app
from review.actors import CONSOLE_ACTOR
from review.claims import ClaimInput, import_claims
from review.narratives import alerts, narrative_detail, narratives
from review.webhooks import add_webhook, deliveries
from service.narratives import MIN_RATE, check_spikes, poisson_tail, rebuild_narratives
from service.runtime import Runtime
from service.webhooks import deliver_due
from store.models import (
    AuditEntry,
    Claim,
    ClaimLink,
    ClaimMatch,
    NarrativeClaim,
    NarrativePost,
    Post,
    QueueItem,
    Snapshot,
)
from store.types import utcnow
from tests_support import count_statements

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


TOPICS = ("Vắc xin gây vô sinh cho trẻ em, phụ huynh hoang mang lần {n}",
          "Ngân hàng sắp đổi tiền mới, tiền mặt cũ bị hủy lần {n}",
          "Uống nước muối ấm chữa khỏi bệnh dịch trong ba ngày lần {n}")


def _claims_with_posts(runtime: Runtime, first: int, count: int, now: datetime) -> None:
    """Claims ``first`` .. ``first + count - 1`` on three topics, each with one matched post first seen
    ``30 + 60 * (n % 167)`` minutes before ``now`` (so one claim in 167 has a post in the last hour, the topics
    taking turns); the first
    few posts matched twice (two snapshots) and linked to the next claim too."""
    with runtime.db.write() as s:
        numbers = range(first, first + count)
        claims = [Claim(key=f"claim-{n}", text=TOPICS[n % 3].format(n=n), verdict="false", created_by="test")
                  for n in numbers]
        posts = [Post(platform="rss", external_id=f"claim-post-{n}", url=f"https://example.vn/c/{n}",
                      canonical_url=f"https://example.vn/c/{n}", text=TOPICS[n % 3].format(n=n),
                      content_sha256=f"{n:064d}", first_seen_at=now - timedelta(minutes=30 + 60 * (n % 167)))
                 for n in numbers]
        s.add_all(claims + posts)
        s.flush()
        snapshots = [Snapshot(post_id=p.id, text=p.text, sha256=f"{v}{n:063d}", url=p.url)
                     for n, p in zip(numbers, posts, strict=True) for v in ((0, 1) if n < first + 3 else (0,))]
        s.add_all(snapshots)
        s.flush()
        claim_of = {p.id: c.id for c, p in zip(claims, posts, strict=True)}
        s.add_all(ClaimMatch(claim_id=claim_of[snap.post_id], post_id=snap.post_id, snapshot_id=snap.id, score=0.9,
                             tier="auto") for snap in snapshots)
        s.add_all(ClaimLink(claim_id=claims[i + 1].id, post_id=posts[i].id, linked_by="test") for i in range(3))


def test_a_tick_runs_the_same_statements_for_2000_claims_as_for_20(runtime: Runtime) -> None:
    now = utcnow()
    flag(runtime.db, "loose", text=MONEY.format(n=99))
    _claims_with_posts(runtime, 0, 20, now)
    with count_statements(runtime.db.engine) as few:
        rebuild_narratives(runtime, now=now)
        check_spikes(runtime, now=now)
    _claims_with_posts(runtime, 20, 1980, now)
    with count_statements(runtime.db.engine) as many:
        built = rebuild_narratives(runtime, now=now)
        checks = check_spikes(runtime, now=now)
    assert len(many) == len(few), "\n".join(s[:90] for s in many) + "\n---\n" + "\n".join(s[:90] for s in few)
    claims = {c.subject_id: c for c in checks if c.subject_type == "claim"}
    assert len(claims) == 2000 and not any(c.alerted for c in checks)
    assert sum(c.count for c in claims.values()) == 12  # n = 0, 167, ..., 1837: one post each in the last hour
    with runtime.db.session() as s:
        first = s.scalars(select(Claim.id).order_by(Claim.id)).first()
        in_narratives = s.scalar(select(func.count()).select_from(NarrativePost))
        linked = s.scalar(select(func.count()).select_from(NarrativeClaim))
    assert claims[first].count == 1 and claims[first].baseline == MIN_RATE  # two snapshots, one post
    assert built == len(narratives(runtime.db, CONSOLE_ACTOR)) and linked == 2000 and in_narratives >= 2000
    older = [c for c in claims.values() if c.count == 0]
    assert all(c.baseline == MIN_RATE for c in older)  # one post in 168 hours is below the floor rate
