"""End to end: a real local feed, one scheduler tick, posts stored, scored and queued; bad input is recorded."""

from __future__ import annotations

import csv
import re
import time
import unicodedata
from pathlib import Path

import pytest
from sqlalchemy import func, select

from crawlkit import LocalServer, Resp, fixture_bytes
from service.crawl_job import run_source
from service.replay import ReplayPost, ReplayServer, load_replay_posts
from service.runtime import Runtime
from service.scheduler import CrawlScheduler
from store.models import CrawlRun, Post, QueueItem, Snapshot, Source, Verdict
from web.i18n import said_run_error

pytest.importorskip("classifier", reason="the classifier package is not built yet")

ROOT = Path(__file__).resolve().parents[2]


def labelled_posts(n_each: int = 6) -> list[ReplayPost]:
    """Real ReINTEL posts, half labelled unreliable, so some must be flagged."""
    csv.field_size_limit(10_000_000)
    chosen: dict[str, list[ReplayPost]] = {"0": [], "1": []}
    with (ROOT / "data/reintel/public_train.csv").open(encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            bucket = chosen[row["label"]]
            if len(bucket) < n_each and len(row["post_message"]) > 80:
                bucket.append(ReplayPost(f"train-{row['id']}", row["post_message"], row["num_like_post"],
                                         row["num_comment_post"], row["num_share_post"]))
    return chosen["1"] + chosen["0"]


def add_source(runtime: Runtime, url: str, *, name: str = "feed", schedule: str = "every 1h") -> int:
    with runtime.db.write() as session:
        source = Source(name=name, kind="rss", url=url, schedule=schedule)
        session.add(source)
        session.flush()
        return source.id


def wait_for_runs(runtime: Runtime, source_id: int, count: int, timeout: float = 60.0) -> list[CrawlRun]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with runtime.db.session() as session:
            runs = list(session.scalars(select(CrawlRun).where(CrawlRun.source_id == source_id,
                                                               CrawlRun.finished_at.is_not(None))
                                        .order_by(CrawlRun.id)))
        if len(runs) >= count:
            return runs
        time.sleep(0.2)
    raise AssertionError(f"expected {count} finished crawl runs within {timeout}s")


def test_one_tick_stores_scores_and_queues_then_second_tick_adds_nothing(runtime: Runtime) -> None:
    posts = labelled_posts()
    replay = ReplayServer(posts, initial=len(posts), step_s=0).start()
    scheduler = CrawlScheduler(runtime, sync_every_s=0.5)
    try:
        source_id = add_source(runtime, replay.feed_url)
        scheduler.start()
        (first,) = wait_for_runs(runtime, source_id, 1)
        assert first.status == "ok", first.errors
        assert (first.fetched, first.new) == (len(posts), len(posts))
        with runtime.db.session() as session:
            assert session.scalar(select(func.count()).select_from(Post)) == len(posts)
            verdicts = list(session.scalars(select(Verdict)))
            queued = session.scalar(select(func.count()).select_from(QueueItem))
        assert len(verdicts) == len(posts)
        assert queued == sum(v.label for v in verdicts) == first.flagged > 0
        assert all(v.model_version == runtime.model().version for v in verdicts)
        flagged = [v for v in verdicts if v.label]
        assert all(f["spans"] is not None for v in flagged for f in v.features)

        scheduler.run_now(source_id)
        second = wait_for_runs(runtime, source_id, 2)[1]
        assert second.status == "ok", second.errors
        assert (second.new, second.updated) == (0, 0)
        assert second.http_status_counts.get("304") == 1
        with runtime.db.session() as session:
            assert session.scalar(select(func.count()).select_from(Post)) == len(posts)
            assert session.scalar(select(func.count()).select_from(QueueItem)) == queued
    finally:
        scheduler.stop()
        replay.stop()


def test_a_feed_without_counts_or_times_queues_near_the_base_rate(runtime: Runtime) -> None:
    """All 3,288 unlabelled ReINTEL posts as a news feed delivers them (text only): the text head scores them
    against its own threshold, so the queue share stays near ReINTEL's 17 % base rate (at most 25 %)."""
    from classifier import EVIDENCE_KINDS, FeatureEvidence

    posts = load_replay_posts([ROOT / "data/reintel/public_test.csv", ROOT / "data/reintel/private_test.csv"])
    replay = ReplayServer(posts, initial=len(posts), step_s=0, metadata=False).start()
    try:
        summary = run_source(runtime, add_source(runtime, replay.feed_url, name="news"))
    finally:
        replay.stop()
    assert summary.status == "ok", summary.errors
    assert summary.counts.new == len(posts) == 3288
    with runtime.db.session() as session:
        assert session.scalar(select(func.count()).select_from(Post).where(Post.published_at.is_not(None))) == 0
        rows = session.execute(select(Verdict, Snapshot.text).join(Snapshot, Snapshot.id == Verdict.snapshot_id)).all()
        queued = session.scalar(select(func.count()).select_from(QueueItem))
    assert len(rows) == len(posts)
    assert {v.input_case for v, _ in rows} == {"text"}
    assert {v.threshold for v, _ in rows} == {runtime.model().threshold_for("text")}
    share = queued / len(posts)
    assert 0.10 <= share <= 0.25, f"{queued} of {len(posts)} queued ({share:.1%})"
    for verdict, text in rows:
        if not verdict.label:
            assert verdict.features == []
            continue
        evidence = [FeatureEvidence.from_dict(f) for f in verdict.features]
        assert evidence and {e.kind for e in evidence} <= set(EVIDENCE_KINDS)
        for e in evidence:
            assert e.term not in ("số lượt thích", "số bình luận", "số lượt chia sẻ", "giờ đăng")
            assert all(0 <= a < b <= len(text) for a, b in e.spans)


ROBOTS_OK = Resp(200, "User-agent: *\nAllow: /\n", content_type="text/plain")
GOOD_FEED = ('<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel><title>t</title>'
             '<item><guid>g1</guid><link>http://127.0.0.1/p/1</link><title>Tin mới</title>'
             '<description>Thông tin chính thức: người dân cần bình tĩnh theo dõi tin tức.</description></item>'
             "</channel></rss>")


@pytest.mark.parametrize(("route", "expected"), [
    (Resp(200, "<rss><channel><item><title>broken", content_type="application/rss+xml"), "parse|malformed|XML"),
    (Resp(500, "oops"), "500"),
    (Resp(200, GOOD_FEED, delay=2.0, content_type="application/rss+xml"), "no complete response within|time"),
    (Resp(200, bytes(range(256)) * 8, content_type="application/rss+xml"), "parse|decode|XML|feed"),
], ids=["malformed-feed", "http-500", "timeout", "binary-garbage"])
def test_bad_feed_is_recorded_and_the_process_keeps_going(runtime: Runtime, server: LocalServer, route: Resp,
                                                          expected: str) -> None:
    runtime.config.settings.request_timeout_s = 0.5
    runtime.config.settings.max_retries = 1
    server.routes.update({"/robots.txt": ROBOTS_OK, "/bad.xml": route,
                          "/good.xml": Resp(200, GOOD_FEED, content_type="application/rss+xml")})
    bad = run_source(runtime, add_source(runtime, server.url("/bad.xml"), name="bad"))
    assert bad.status == "error"
    assert bad.errors and re.search(expected, bad.errors[0], flags=re.IGNORECASE), bad.errors
    good = run_source(runtime, add_source(runtime, server.url("/good.xml"), name="good"))
    assert good.status == "ok" and good.counts.new == 1
    with runtime.db.session() as session:
        run = session.get(CrawlRun, bad.run_id)
        assert run.status == "error" and run.errors == bad.errors and run.finished_at is not None


def test_feed_in_another_encoding_than_declared_is_stored_correctly(runtime: Runtime, server: LocalServer) -> None:
    server.routes.update({"/robots.txt": ROBOTS_OK, "/f.xml": Resp(
        200, GOOD_FEED.encode("utf-16-le"), content_type="application/rss+xml; charset=utf-8")})
    summary = run_source(runtime, add_source(runtime, server.url("/f.xml")))
    assert summary.status == "ok", summary.errors
    with runtime.db.session() as session:
        assert "người dân cần bình tĩnh" in session.scalar(select(Post.text))


def test_robots_disallow_is_recorded_and_nothing_fetched(runtime: Runtime, server: LocalServer) -> None:
    server.routes.update({"/robots.txt": Resp(200, "User-agent: *\nDisallow: /private/\n",
                                              content_type="text/plain"),
                          "/private/feed.xml": Resp(200, GOOD_FEED, content_type="application/rss+xml")})
    summary = run_source(runtime, add_source(runtime, server.url("/private/feed.xml")))
    assert summary.status == "error" and summary.errors[0].startswith("RobotsDisallowed: ")
    assert server.hits_for("/private/feed.xml") == []
    said = said_run_error(summary.errors[0], "vi")  # the kind in the reader's language, the detail as written
    assert said.startswith("robots.txt không cho phép: ") and said.endswith("/private/feed.xml)")
    assert said_run_error(summary.errors[0], "en").startswith("robots.txt does not allow it: ")


def test_windows_1258_feed_is_stored_as_nfc_vietnamese(runtime: Runtime, server: LocalServer) -> None:
    server.routes.update({"/robots.txt": ROBOTS_OK, "/f.xml": Resp(
        200, fixture_bytes("rss/feed_cp1258.xml"), content_type="application/rss+xml")})
    summary = run_source(runtime, add_source(runtime, server.url("/f.xml")))
    assert summary.status == "ok" and summary.counts.new > 0, summary.errors
    with runtime.db.session() as session:
        texts = session.scalars(select(Post.text)).all()
    assert all(unicodedata.is_normalized("NFC", t) for t in texts)
    assert any(ch in "".join(texts) for ch in "ếộữảờ")
