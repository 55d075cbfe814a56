"""A large page is stored in chunks and scored while the next chunk is stored; a kill between chunks loses and
repeats nothing; SQLite writers of one process take turns without SQLite's busy sleeps."""

from __future__ import annotations

import os
import threading
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import func, select

import service.crawl_job
import service.ingest
from crawler import CrawlPage
from crawlkit import LocalServer, Resp
from service.crawl_job import run_source
from service.ingest import IngestCounts, PendingPost, ScoreAlongside, store_page
from service.runtime import Runtime
from store.models import HttpValidator, Post, QueueItem, Snapshot, Source, Verdict
from tests_support import crawled, reintel_texts, wait_until


def _source(runtime: Runtime) -> int:
    with runtime.db.write() as session:
        source = Source(name="feed", kind="rss", url="http://127.0.0.1/f.xml", schedule="every 1h")
        session.add(source)
        session.flush()
        return source.id


def _count(runtime: Runtime, model: Any) -> int:
    with runtime.db.session() as session:
        return int(session.scalar(select(func.count()).select_from(model)) or 0)


def test_a_large_page_is_stored_in_chunks_with_the_cursor_in_the_last(runtime: Runtime) -> None:
    source_id = _source(runtime)
    posts = [crawled(str(i), text=f"bài số {i} về tiêm chủng ở xã {i}") for i in range(7)]
    posts.append(crawled("2", text="bài số 2, bản sửa sau cùng"))  # the page repeats a post: its last copy counts
    heard: list[list[PendingPost]] = []
    counts = IngestCounts()
    store_page(runtime, source_id=source_id, page=CrawlPage(posts, {"seen": ["6"]}), counts=counts,
               on_chunk=heard.append, chunk=3)
    assert [len(fresh) for fresh in heard] == [3, 3, 1]  # 7 distinct posts, 3 a transaction
    with runtime.db.session() as session:  # handed over as scoring would read them back
        assert [p for fresh in heard for p in fresh] == service.ingest._unscored(session, 100, source_id)
    assert (counts.fetched, counts.new, counts.updated) == (8, 7, 0)
    with runtime.db.session() as session:
        assert session.scalar(select(Post.text).where(Post.external_id == "2")) == "bài số 2, bản sửa sau cùng"
        assert session.scalar(select(func.count()).select_from(Snapshot)) == 7
        assert session.get(Source, source_id).cursor == {"seen": ["6"]}  # type: ignore[union-attr]


def test_a_kill_between_chunks_keeps_the_stored_ones_and_the_rerun_repeats_nothing(
        runtime: Runtime, monkeypatch: pytest.MonkeyPatch) -> None:
    source_id = _source(runtime)
    page = CrawlPage([crawled(str(i), text=f"tin đồn số {i} về dịch bệnh") for i in range(5)], {"seen": ["4"]})
    real = service.ingest.upsert_posts
    calls: list[int] = []

    def killed_on_the_second_chunk(**kwargs: Any) -> Any:
        calls.append(len(kwargs["captured"]))
        if len(calls) == 2:
            raise KeyboardInterrupt  # the process dies mid-page
        return real(**kwargs)

    monkeypatch.setattr(service.ingest, "upsert_posts", killed_on_the_second_chunk)
    with pytest.raises(KeyboardInterrupt):
        store_page(runtime, source_id=source_id, page=page, counts=IngestCounts(), chunk=2)
    assert _count(runtime, Post) == 2
    with runtime.db.session() as session:
        assert session.get(Source, source_id).cursor is None  # type: ignore[union-attr]  # the page comes again

    monkeypatch.setattr(service.ingest, "upsert_posts", real)
    counts = IngestCounts()
    store_page(runtime, source_id=source_id, page=page, counts=counts, chunk=2)
    assert (counts.new, counts.updated) == (3, 0)  # the first chunk is found unchanged
    assert (_count(runtime, Post), _count(runtime, Snapshot)) == (5, 5)
    with runtime.db.session() as session:
        assert session.get(Source, source_id).cursor == {"seen": ["4"]}  # type: ignore[union-attr]


def test_posts_are_scored_while_the_crawl_goes_on_and_finish_scores_the_rest(runtime: Runtime) -> None:
    source_id = _source(runtime)
    texts = reintel_texts(5)
    scorer = ScoreAlongside(runtime, source_id, min_batch=2)
    try:
        page = CrawlPage([crawled(str(i), text=text) for i, text in enumerate(texts[:4])], None)
        store_page(runtime, source_id=source_id, page=page, counts=IngestCounts(), on_chunk=scorer.stored, chunk=2)
        wait_until(lambda: _count(runtime, Verdict) == 4, 60, "the stored chunks scored before the crawl ends")
        last = CrawlPage([crawled("4", text=texts[4])], None)  # one post: fewer than min_batch, left for finish()
        store_page(runtime, source_id=source_id, page=last, counts=IngestCounts(), on_chunk=scorer.stored)
    finally:
        flagged = scorer.finish()
    assert (_count(runtime, Verdict), scorer.scored) == (5, 5)
    assert flagged == _count(runtime, QueueItem)
    with runtime.db.session() as session:
        assert session.scalars(select(Post).where(Post.score_pending)).all() == []


def test_a_scoring_failure_is_raised_by_finish_and_leaves_the_posts_waiting(
        runtime: Runtime, monkeypatch: pytest.MonkeyPatch) -> None:
    source_id = _source(runtime)

    def broken(*_args: Any, **_kwargs: Any) -> int:
        raise RuntimeError("model file unreadable")

    monkeypatch.setattr(service.ingest, "score_batch", broken)
    scorer = ScoreAlongside(runtime, source_id, min_batch=1)
    store_page(runtime, source_id=source_id, page=CrawlPage([crawled("1")], None), counts=IngestCounts(),
               on_chunk=scorer.stored)
    with pytest.raises(RuntimeError, match="model file unreadable"):
        scorer.finish()
    with runtime.db.session() as session:
        assert len(session.scalars(select(Post).where(Post.score_pending)).all()) == 1


def test_an_abandoned_scorer_stops_without_scoring_the_rest(runtime: Runtime) -> None:
    source_id = _source(runtime)
    store_page(runtime, source_id=source_id, page=CrawlPage([crawled("1")], None), counts=IngestCounts())
    scorer = ScoreAlongside(runtime, source_id)
    scorer.abandon()
    assert scorer.finish() == 0
    assert _count(runtime, Verdict) == 0


def _pending(n: int) -> list[PendingPost]:
    return [PendingPost(i, i, "0" * 64, f"bài {i}", None, None, None, None, datetime(2020, 4, 1, tzinfo=UTC))
            for i in range(n)]


def test_a_crawl_that_stores_faster_than_the_model_scores_waits_for_it(
        runtime: Runtime, monkeypatch: pytest.MonkeyPatch) -> None:
    """Posts handed over and not yet taken are bounded: the storing thread waits, so memory stays flat."""
    release, scoring = threading.Event(), threading.Event()

    def slow(_runtime: Runtime, batch: Any, *_args: Any, **_kwargs: Any) -> int:
        scoring.set()
        release.wait(30)
        return 0

    monkeypatch.setattr(service.ingest, "score_batch", slow)
    scorer = ScoreAlongside(runtime, _source(runtime), min_batch=4, max_waiting=8)
    scorer.stored(_pending(4))  # taken at once, and the model is busy with it
    assert scoring.wait(30)
    scorer.stored(_pending(7))  # room for it
    second = threading.Thread(target=scorer.stored, args=(_pending(3),))  # 10 waiting: over 8
    second.start()
    second.join(0.5)
    assert second.is_alive()  # the crawl waits ...
    release.set()
    second.join(30)
    assert not second.is_alive()  # ... until the scorer takes what waits
    assert scorer.finish() == 0 and scorer.scored == 14


def test_a_crawl_never_waits_for_a_scorer_that_failed(runtime: Runtime, monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(*_args: Any, **_kwargs: Any) -> int:
        raise RuntimeError("model file unreadable")

    monkeypatch.setattr(service.ingest, "score_batch", broken)
    scorer = ScoreAlongside(runtime, _source(runtime), min_batch=2, max_waiting=4)
    scorer.stored(_pending(2))
    wait_until(lambda: scorer._stopped, 30, "the scorer to stop on its error")
    scorer.stored(_pending(10))  # over the bound: returns all the same
    with pytest.raises(RuntimeError, match="model file unreadable"):
        scorer.finish()


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_sqlite_writers_of_one_process_take_turns_and_a_forked_child_is_not_locked_out(runtime: Runtime) -> None:
    source_id = _source(runtime)
    errors: list[BaseException] = []

    def writer(offset: int) -> None:
        try:
            for i in range(20):
                page = CrawlPage([crawled(f"{offset}-{i}", text=f"bài {offset} {i} về giá xăng")], None)
                store_page(runtime, source_id=source_id, page=page, counts=IngestCounts())
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == [] and _count(runtime, Post) == 80

    held, release = threading.Event(), threading.Event()

    def holder() -> None:
        with runtime.db.write():
            held.set()
            release.wait(30)

    thread = threading.Thread(target=holder)
    thread.start()
    held.wait(30)
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: its copy of the turn must be free, though a thread of the parent held it at fork
        try:
            acquired = runtime.db._write_turn.acquire(timeout=5)  # type: ignore[attr-defined]  # noqa: SLF001
            os.write(write, b"1" if acquired else b"0")
        finally:
            os._exit(0)
    os.close(write)
    try:
        assert os.read(read, 1) == b"1"
    finally:
        os.waitpid(pid, 0)
        os.close(read)
        release.set()
        thread.join()


def test_a_feed_whose_posts_were_not_stored_is_fetched_again_not_answered_304(
        runtime: Runtime, server: LocalServer, monkeypatch: pytest.MonkeyPatch) -> None:
    """The next page is read while the last one is stored, so the feed's ETag is saved only once its posts are:
    a failed store must not leave an ETag that makes the next run's 304 hide them."""
    etag = '"feed-v1"'
    items = "".join(f"<item><guid>g{i}</guid><link>http://127.0.0.1/p/{i}</link>"
                    f"<description>tin số {i} về giá điện tăng</description></item>" for i in range(3))
    feed = f'<?xml version="1.0"?><rss version="2.0"><channel><title>t</title>{items}</channel></rss>'

    def handler(hit: Any) -> Resp:
        if hit.headers.get("if-none-match") == etag:
            return Resp(304, content_type=None, headers={"ETag": etag})
        return Resp(200, feed, content_type="application/rss+xml", headers={"ETag": etag})

    server.routes.update({"/robots.txt": Resp(200, "User-agent: *\nAllow: /\n", content_type="text/plain"),
                          "/f.xml": handler})
    with runtime.db.write() as session:
        source = Source(name="feed", kind="rss", url=server.url("/f.xml"), schedule="every 1h")
        session.add(source)
        session.flush()
        source_id = source.id

    def disk_full(*_args: Any, **_kwargs: Any) -> None:
        raise OSError("database or disk is full")

    monkeypatch.setattr(service.crawl_job, "store_page", disk_full)
    failed = run_source(runtime, source_id)
    assert failed.status == "error" and "disk is full" in failed.errors[0]
    assert _count(runtime, HttpValidator) == 0 and _count(runtime, Post) == 0

    monkeypatch.setattr(service.crawl_job, "store_page", store_page)
    again = run_source(runtime, source_id)
    assert again.status == "ok" and again.counts.new == 3
    assert server.hits_for("/f.xml")[-1].headers.get("if-none-match") is None
    with runtime.db.session() as session:
        assert session.scalar(select(HttpValidator.etag)) == etag  # saved now that the posts are stored
    assert run_source(runtime, source_id).counts.fetched == 0  # and the next run is answered 304
    assert server.hits_for("/f.xml")[-1].headers.get("if-none-match") == etag
