"""Narratives and spike alerts: flagged posts and claims grouped by keyword phrases; a replayed burst of one
narrative raises exactly one alert and one webhook delivery to a local receiver with a valid signature."""

from __future__ import annotations

import json
import unicodedata
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select, update
from test_webhooks import LOCAL, Receiver
from typer.testing import CliRunner

import classifier.narrative_terms as narrative_terms
from builders import flag, people
from pipeline import app
from review.actors import CONSOLE_ACTOR
from review.claims import ClaimInput, import_claims
from review.narratives import alerts, narrative_detail, narratives
from review.webhooks import add_webhook, deliveries
from service.narratives import MIN_RATE, check_spikes, poisson_tail, rebuild_narratives
from service.retention import purge_expired
from service.runtime import Runtime
from service.webhooks import deliver_due
from store.models import (
    AuditEntry,
    Claim,
    ClaimLink,
    ClaimMatch,
    Narrative,
    NarrativeClaim,
    NarrativePhrases,
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


def _segmented(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Records every text the narrative rebuild segments (``unit_phrases`` runs only on texts not kept)."""
    texts: list[str] = []
    inner = narrative_terms.unit_phrases

    def counting(text: str) -> object:
        texts.append(text)
        return inner(text)

    monkeypatch.setattr(narrative_terms, "unit_phrases", counting)
    return texts


def _grouping(runtime: Runtime) -> set[tuple[str, frozenset[int], frozenset[int]]]:
    """Every narrative as (key, its claims, its posts)."""
    with runtime.db.session() as s:
        keys = {i: k for i, k in s.execute(select(Narrative.id, Narrative.key))}
        claims: dict[int, set[int]] = {i: set() for i in keys}
        posts: dict[int, set[int]] = {i: set() for i in keys}
        for narrative_id, claim_id in s.execute(select(NarrativeClaim.narrative_id, NarrativeClaim.claim_id)):
            claims[narrative_id].add(claim_id)
        for narrative_id, post_id in s.execute(select(NarrativePost.narrative_id, NarrativePost.post_id)):
            posts[narrative_id].add(post_id)
    return {(keys[i], frozenset(claims[i]), frozenset(posts[i])) for i in keys if posts[i] or claims[i]}


def test_kept_phrases_give_the_same_narratives_and_only_changed_texts_are_segmented(
        runtime: Runtime, monkeypatch: pytest.MonkeyPatch) -> None:
    import_claims(runtime.db, CONSOLE_ACTOR, [ClaimInput(text="Tiêm vắc xin gây vô sinh ở trẻ em"),
                                              ClaimInput(text="Ngân hàng sắp đổi tiền mới, tiền cũ bị hủy")])
    for n in range(3):
        flag(runtime.db, f"v{n}", text=VACCINE.format(n=n), source_name="nhom-a")
        flag(runtime.db, f"m{n}", text=MONEY.format(n=n), source_name="nhom-b")
    segmented = _segmented(monkeypatch)
    rebuild_narratives(runtime)
    cold, first = _grouping(runtime), len(segmented)
    assert first == 8 and len(cold) >= 2  # two claims and six flagged posts, all new
    with runtime.db.session() as s:
        kept = {k: p for k, p in s.execute(select(NarrativePhrases.key, NarrativePhrases.phrases))}
    assert len(kept) == 8 and any("vắc xin" in phrases for phrases in kept.values())

    rebuild_narratives(runtime)  # a restart or another worker: the kept rows are in the database
    assert len(segmented) == first and _grouping(runtime) == cold  # nothing segmented, the same narratives

    with runtime.db.write() as s:
        s.execute(update(Claim).where(Claim.text.like("Ngân hàng%")).values(text="Ngân hàng đổi tiền, tiền mặt cũ hết"))
    rebuild_narratives(runtime)
    assert len(segmented) == first + 1 and segmented[-1].startswith("Ngân hàng đổi tiền, tiền mặt cũ hết")

    monkeypatch.setattr(narrative_terms, "PHRASES_VERSION", "test-next")  # a new extractor: nothing kept is used
    del segmented[:]
    rebuild_narratives(runtime)
    assert len(segmented) == 8
    monkeypatch.setattr(narrative_terms, "unit_phrases", lambda text: pytest.fail("segmented again"))
    warm = _grouping(runtime)
    rebuild_narratives(runtime)
    assert _grouping(runtime) == warm


def test_kept_phrases_are_the_classifiers_own(runtime: Runtime) -> None:
    texts = [VACCINE.format(n=1), MONEY.format(n=2), "Tiêm vắc xin gây vô sinh ở trẻ em"]
    counted = narrative_terms.phrase_counts(texts)
    known = {narrative_terms.phrase_key(t): dict(c) for t, c in zip(texts, counted, strict=True)}
    assert narrative_terms.keyword_phrases(texts, known=known) == narrative_terms.keyword_phrases(texts)
    nfd = unicodedata.normalize("NFD", texts[0])
    assert narrative_terms.phrase_key(nfd) == narrative_terms.phrase_key(texts[0])
    assert narrative_terms.unit_phrases(nfd) == narrative_terms.unit_phrases(texts[0])


def test_retention_prunes_kept_phrases_no_rebuild_needed_for_a_week(runtime: Runtime) -> None:
    now = utcnow()
    flag(runtime.db, "v", text=VACCINE.format(n=1))
    rebuild_narratives(runtime, now=now - timedelta(days=10))  # kept then; that text is gone since
    with runtime.db.write() as s:
        s.add(NarrativePhrases(key="0" * 64, phrases={"tin giả": 1}, used_at=now - timedelta(days=8)))
    with runtime.db.write() as s:
        s.execute(update(Post).values(text="Ngân hàng đổi tiền mới"))
    rebuild_narratives(runtime, now=now - timedelta(days=2))  # the old key is needed no more
    rebuild_narratives(runtime, now=now)  # the new one is, and stays marked as used
    counts = purge_expired(runtime, now=now)
    with runtime.db.session() as s:
        left = list(s.scalars(select(NarrativePhrases.key)))
    assert counts.narrative_phrases == 2 and left == [narrative_terms.phrase_key("Ngân hàng đổi tiền mới")]
    with runtime.db.session() as s:
        audit = s.scalars(select(AuditEntry).where(AuditEntry.action == "retention.purge")).one()
    assert audit.details["narrative_phrases"] == 2 and audit.details["posts"] == 0


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
