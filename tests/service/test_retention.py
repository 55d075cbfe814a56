"""Retention: never-flagged posts older than retention_days are purged in batches, anything flagged, in the queue
or decided is kept with its snapshots; the purge is audited with counts; status facts give size and oldest post."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select, update

from builders import flag, source
from service.retention import purge_expired, storage_facts
from store.models import AuditEntry, Claim, ClaimLink, ClaimMatch, Post, Snapshot, Verdict
from store.posts import upsert_post
from store.types import utcnow
from tests_support import crawled


def _plain(runtime, external_id: str, source_id: int, *, score: bool = False) -> int:
    with runtime.db.write() as s:
        result = upsert_post(session=s, captured=crawled(external_id, text=f"Tin thường số {external_id} hôm nay."),
                             source_id=source_id, simhash=None)
        if score:
            s.add(Verdict(post_id=result.post.id, snapshot_id=result.snapshot.id, model_version="test-1",
                          score=0.1, label=False, threshold=0.5, features=[]))
        return result.post.id


def _age(runtime, days: int) -> None:
    with runtime.db.write() as s:
        s.execute(update(Post).values(fetched_at=utcnow() - timedelta(days=days),
                                      first_seen_at=utcnow() - timedelta(days=days + 1)))


def test_purge_keeps_flagged_and_deletes_old_unflagged_in_batches(runtime):
    sid = source(runtime.db, "nguon")
    flag(runtime.db, "flagged-1", source_id=sid)
    for k in range(5):
        _plain(runtime, f"plain-{k}", sid, score=k % 2 == 0)
    _age(runtime, 100)
    _plain(runtime, "fresh", sid)  # seen today: kept

    counts = purge_expired(runtime, batch=2)

    assert (counts.posts, counts.snapshots, counts.verdicts, counts.batches) == (5, 5, 3, 3)
    with runtime.db.session() as s:
        kept = sorted(s.scalars(select(Post.external_id)))
        assert kept == ["flagged-1", "fresh"]
        assert s.scalar(select(func.count(Snapshot.id))) == 2  # the flagged post keeps its snapshot
        audit = s.scalars(select(AuditEntry).where(AuditEntry.action == "retention.purge")).all()
    assert len(audit) == 1 and audit[0].details["posts"] == 5 and "text" not in str(audit[0].details)
    assert purge_expired(runtime).posts == 0  # idempotent: nothing more to do, nothing audited
    facts = storage_facts(runtime)
    assert facts.posts == 2 and facts.database_bytes and facts.oldest_post_seen_at is not None


def test_nothing_younger_than_retention_days_goes(runtime):
    sid = source(runtime.db, "nguon")
    _plain(runtime, "a", sid)
    _age(runtime, runtime.config.settings.retention_days - 1)
    assert purge_expired(runtime).posts == 0


def test_a_post_linked_to_a_claim_or_matching_one_is_kept(runtime):
    sid = source(runtime.db, "nguon")
    linked, matched, plain = (_plain(runtime, name, sid) for name in ("linked", "matched", "plain"))
    with runtime.db.write() as s:
        claim = Claim(key="c-1", text="Tỏi chữa khỏi bệnh", verdict="false", created_by="lan")
        s.add(claim)
        s.flush()
        s.add(ClaimLink(claim_id=claim.id, post_id=linked, linked_by="lan"))
        snapshot = s.scalar(select(Snapshot.id).where(Snapshot.post_id == matched))
        s.add(ClaimMatch(claim_id=claim.id, post_id=matched, snapshot_id=snapshot, score=0.6, tier="suggest"))
    _age(runtime, 100)

    assert purge_expired(runtime).posts == 1
    with runtime.db.session() as s:
        assert set(s.scalars(select(Post.id))) == {linked, matched}
    assert plain not in (linked, matched)
