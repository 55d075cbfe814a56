"""Health summary: failing and stale sources (quiet hours respected), next runs, daily posts and flags."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from config import SourceConfig
from review.queue import enqueue
from service.health import daily_counts, health_summary, run_history
from store import Database
from store.models import CrawlRun, Source, Verdict
from store.posts import upsert_post
from tests_support import crawled

NOW = datetime(2024, 5, 10, 5, 0, tzinfo=UTC)  # 12:00 in Vietnam


def _source(db: Database, name: str, schedule: str = "every 1h", **values: object) -> int:
    cfg = SourceConfig.model_validate({"name": name, "kind": "rss", "url": f"https://example.vn/{name}",
                                       "schedule": schedule, **values})
    with db.write() as s:
        source = Source(**cfg.model_dump(), created_at=NOW - timedelta(days=30))
        s.add(source)
        s.flush()
        return source.id


def _run(db: Database, source_id: int, started: datetime, status: str, **values: object) -> None:
    with db.write() as s:
        s.add(CrawlRun(source_id=source_id, trigger="schedule", started_at=started,
                       finished_at=started + timedelta(seconds=4), status=status, **values))


def test_failing_and_stale_sources(db: Database) -> None:
    fresh = _source(db, "fresh")
    _run(db, fresh, NOW - timedelta(minutes=50), "ok", fetched=3, new=2, http_status_counts={"200": 1})
    failing = _source(db, "failing")
    _run(db, failing, NOW - timedelta(minutes=70), "ok")
    _run(db, failing, NOW - timedelta(minutes=10), "error", errors=["HTTP 503 from https://example.vn/failing"])
    stale = _source(db, "stale")
    _run(db, stale, NOW - timedelta(hours=3, minutes=5), "ok")
    # Quiet overnight: the last success at 22:00 Vietnam time, and it is 06:30 now: only 0 planned runs missed.
    quiet = _source(db, "quiet", quiet_hours="23:00-06:00")
    _run(db, quiet, datetime(2024, 5, 9, 15, 0, tzinfo=UTC), "ok")
    _source(db, "paused", enabled=False)
    _source(db, "never", "cron 0 8 * * *")

    with db.session() as s:
        summary = health_summary(session=s, now=NOW)
        at_dawn = health_summary(session=s, now=datetime(2024, 5, 9, 23, 30, tzinfo=UTC))
    rows = {h.name: h for h in summary.sources}
    assert rows["fresh"].marker == "ok" and rows["fresh"].last_run.duration_s == 4
    assert rows["failing"].failing and rows["failing"].marker == "FAILING"
    assert rows["failing"].last_error.startswith("HTTP 503")
    assert rows["stale"].stale and rows["stale"].missed_runs == 3
    assert rows["paused"].marker == "paused" and not rows["paused"].stale
    assert rows["never"].stale  # created 30 days ago, never succeeded, daily 08:00 runs missed
    assert {h.name for h in summary.failing} == {"failing"}
    assert {h.name for h in summary.stale} == {"stale", "never", "quiet"}  # quiet: 12:00 now, runs were due
    assert not {h.name: h for h in at_dawn.sources}["quiet"].stale
    assert summary.leader is None and rows["fresh"].next_run_at is None  # no scheduler ran
    with db.session() as s:
        summary = health_summary(session=s, now=NOW, stale_after=5)
    assert "stale" not in {h.name for h in summary.stale}
    with db.session() as s:
        history = run_history(session=s, source="failing")
    assert [r.status for r in history] == ["error", "ok"]


def test_daily_counts_use_vietnam_days(db: Database) -> None:
    source_id = _source(db, "feed")
    _source(db, "empty")
    moments = [datetime(2024, 5, 9, 16, 59, tzinfo=UTC),  # 23:59 on the 9th in Vietnam
               datetime(2024, 5, 9, 17, 1, tzinfo=UTC),  # 00:01 on the 10th
               datetime(2024, 5, 10, 4, 0, tzinfo=UTC)]
    with db.write() as s:
        for i, moment in enumerate(moments):
            result = upsert_post(session=s, captured=crawled(str(i)), source_id=source_id, fetched_at=moment)
            result.post.first_seen_at = moment
            if i:
                verdict = Verdict(post_id=result.post.id, snapshot_id=result.snapshot.id, model_version="t",
                                  score=0.9, label=True, threshold=0.5, features=[])
                s.add(verdict)
                s.flush()
                enqueue(session=s, post=result.post, verdict=verdict).created_at = moment
    with db.session() as s:
        counts = daily_counts(session=s, days=3, now=NOW)
        summary = health_summary(session=s, now=NOW)
    assert [d.isoformat() for d in counts.days] == ["2024-05-08", "2024-05-09", "2024-05-10"]
    assert counts.posts == {"feed": [0, 1, 2], "empty": [0, 0, 0]}
    assert counts.flags == {"feed": [0, 0, 2], "empty": [0, 0, 0]}
    feed = {h.name: h for h in summary.sources}["feed"]
    assert (feed.posts_24h, feed.flags_24h) == (3, 2)
