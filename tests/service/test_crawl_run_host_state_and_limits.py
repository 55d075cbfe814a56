"""A crawl run keeps the hosts' politeness state in the database, so the next run starts from it; a hostile page
ends the run with a recorded error."""

from __future__ import annotations

from sqlalchemy import select

from crawlkit import LocalServer, Resp
from service.crawl_job import run_source
from service.runtime import Runtime
from store.models import CrawlHostState, CrawlRun, Source

FEED = ('<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel><title>t</title>'
        '<item><guid>g1</guid><link>http://127.0.0.1/p/1</link><title>Tin mới</title>'
        '<description>Thông tin chính thức: người dân cần bình tĩnh theo dõi tin tức.</description></item>'
        "</channel></rss>")


def _source(runtime: Runtime, url: str) -> int:
    with runtime.db.write() as session:
        source = Source(name="feed", kind="rss", url=url, schedule="every 1h")
        session.add(source)
        session.flush()
        return source.id


def test_the_next_run_reuses_robots_txt_and_the_crawl_delay(runtime: Runtime, server: LocalServer) -> None:
    server.routes.update({"/robots.txt": Resp(200, "User-agent: *\nCrawl-delay: 0.5\n", content_type="text/plain"),
                          "/feed.xml": Resp(200, FEED, content_type="application/rss+xml")})
    source_id = _source(runtime, server.url("/feed.xml"))
    first = run_source(runtime, source_id)
    second = run_source(runtime, source_id)
    assert (first.status, second.status) == ("ok", "ok"), (first.errors, second.errors)
    assert len(server.hits_for("/robots.txt")) == 1
    feeds = server.hits_for("/feed.xml")
    assert len(feeds) == 2 and feeds[1].t - feeds[0].t >= 0.45
    with runtime.db.session() as session:
        row = session.scalar(select(CrawlHostState).where(CrawlHostState.origin == f"http://127.0.0.1:{server.port}"))
    assert row is not None and "Crawl-delay" in (row.robots_body or "") and row.last_start is not None


def test_a_feed_with_too_many_entries_is_a_recorded_error(runtime: Runtime, server: LocalServer) -> None:
    entries = "".join(f"<item><guid>g{i}</guid><title>Tin {i}</title></item>" for i in range(10_001))
    server.routes["/feed.xml"] = Resp(200, FEED.replace("</channel>", entries + "</channel>"),
                                      content_type="application/rss+xml")
    summary = run_source(runtime, _source(runtime, server.url("/feed.xml")))
    assert summary.status == "error" and "more than max_items_per_page=10000 feed entries" in summary.errors[0]
    with runtime.db.session() as session:
        run = session.get(CrawlRun, summary.run_id)
    assert run is not None and run.status == "error" and run.errors == summary.errors
