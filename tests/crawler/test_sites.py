# ruff: noqa: E501
"""Forum, web listing and sitemap adapters, plus text helpers."""

from __future__ import annotations

import pytest

from crawler import ParseError, SourceSpec, canonicalize_url
from crawler.web import extract_main_text
from crawlkit import FIXTURES, Resp, crawl_all, fixture_bytes, last_cursor

THREAD = "/threads/tin-gia-covid.123/"


def _forum_routes(server, grown=False):
    server.routes[THREAD] = Resp(body=fixture_bytes("forum/page1.html"))
    server.routes[THREAD + "page-2"] = Resp(body=fixture_bytes("forum/page2.html"))
    server.routes[THREAD + "page-3"] = Resp(
        body=fixture_bytes("forum/page3_grown.html" if grown else "forum/page3.html")
    )


def test_forum_thread_pages_and_new_replies_only(server, settings):
    _forum_routes(server)
    spec = SourceSpec(name="f", kind="forum", url=server.url(THREAD), options={})
    first = crawl_all(spec, settings)
    ids = [p.external_id for pg in first for p in pg.posts]
    assert len(first) == 3 and len(ids) == len(set(ids)) == 15
    p = first[0].posts[0]
    assert p.author_handle == "thanhvien2" and p.published_at is not None
    assert all("Trích dẫn bài trước" not in q.text for pg in first for q in pg.posts)  # quotes removed
    _forum_routes(server, grown=True)
    second = crawl_all(spec, settings, cursor=last_cursor(first))
    new = [p.external_id for pg in second for p in pg.posts]
    assert len(new) == 2 and not set(new) & set(ids)
    assert server.hits[-1].path == THREAD + "page-3"  # resumed from the last page read


def test_forum_malformed_page(server, settings):
    server.routes[THREAD] = Resp(body="<html><body>502 Bad Gateway from upstream</body></html>")
    with pytest.raises(ParseError, match="not a XenForo thread"):
        crawl_all(SourceSpec(name="f", kind="forum", url=server.url(THREAD), options={}), settings)


WEB_OPTS = {"item": "div.story", "text": "p.sapo", "title": "h3.title", "author": ".author", "link": "h3 a"}


def test_web_listing_follows_next_and_second_run_is_incremental(server, settings):
    server.routes["/tin-moi"] = Resp(body=fixture_bytes("web/list_p1.html"))
    server.routes["/tin-moi?page=2"] = Resp(body=fixture_bytes("web/list_p2.html"))
    server.routes["/tin-moi?page=3"] = Resp(body=fixture_bytes("web/list_p3.html"))
    spec = SourceSpec(name="w", kind="web", url=server.url("/tin-moi"), options=WEB_OPTS)
    first = crawl_all(spec, settings)
    ids = [p.external_id for pg in first for p in pg.posts]
    assert len(first) == 3 and len(ids) == len(set(ids)) == 10
    p = first[0].posts[0]
    assert "utm_campaign" in p.url and "utm_" not in p.canonical_url and p.title and p.author_handle
    server.routes["/tin-moi"] = Resp(body=fixture_bytes("web/list_p1_v2.html"))
    second = crawl_all(spec, settings, cursor=last_cursor(first))
    assert [len(pg.posts) for pg in second] == [2]  # stops at the first page holding seen items


def test_web_depth_limit(server, settings):
    server.routes["/tin-moi"] = Resp(body=fixture_bytes("web/list_p1.html"))
    server.routes["/tin-moi?page=2"] = Resp(body=fixture_bytes("web/list_p2.html"))
    spec = SourceSpec(name="w", kind="web", url=server.url("/tin-moi"), options={**WEB_OPTS, "max_pages": 1})
    pages = crawl_all(spec, settings)
    assert len(pages) == 1 and pages[0].cursor["resume"] is None  # first run: no backfill
    assert not server.hits_for("/tin-moi?page=2")
    server.routes["/tin-moi"] = Resp(body=fixture_bytes("web/list_p1_v2.html"))
    cur = {"seen": pages[0].cursor["seen"][1:]}  # pretend one item of page 1 is already stored
    again = crawl_all(spec, settings, cursor=cur)
    assert again[0].cursor["resume"] is None


def test_web_article_extraction(server, settings):
    server.routes["/tin-moi"] = Resp(body=fixture_bytes("web/list_p3.html"))
    server.routes["/tin/*"] = Resp(body=fixture_bytes("web/article.html"))
    spec = SourceSpec(
        name="w", kind="web", url=server.url("/tin-moi"), options={**WEB_OPTS, "extract_article": True}
    )
    posts = crawl_all(spec, settings)[0].posts
    assert all("Theo Tin Ví Dụ." in p.text and "quảng cáo" not in p.text for p in posts)
    text = extract_main_text(fixture_bytes("web/article.html").decode())
    assert "var x" not in text and "Liên hệ" not in text


def test_web_invalid_selector_is_a_config_error():
    from crawler import validate_source_options

    with pytest.raises(ValueError, match="not a valid CSS selector"):
        validate_source_options("web", {"item": "div..x["})
    with pytest.raises(ValueError, match="'item' is required"):
        validate_source_options("web", {})


def test_news_sitemap(server, settings):
    server.routes["/news.xml"] = Resp(body=fixture_bytes("sitemap/news.xml"), content_type="application/xml")
    spec = SourceSpec(name="s", kind="sitemap", url=server.url("/news.xml"), options={})
    pages = crawl_all(spec, settings)
    posts = pages[0].posts
    assert len(posts) == 6 and all(p.language == "vi" and p.published_at for p in posts)
    again = crawl_all(spec, settings, cursor=last_cursor(pages))
    assert [p for pg in again for p in pg.posts] == []


def test_sitemap_index_with_plain_child_fetches_articles(server, settings):
    idx = fixture_bytes("sitemap/index.xml").replace(b"SERVER", server.url("").encode())
    server.routes["/sitemap.xml"] = Resp(body=idx, content_type="application/xml")
    news = fixture_bytes("sitemap/news.xml").replace(b"https://tin.example.vn", server.url("").encode())
    server.routes["/sitemap/news.xml"] = Resp(body=news, content_type="text/xml")
    plain = fixture_bytes("sitemap/plain.xml").replace(b"SERVER", server.url("").encode())
    server.routes["/sitemap/plain.xml"] = Resp(body=plain, content_type="text/xml")
    server.routes["/bai/*"] = Resp(body=fixture_bytes("web/article.html"))
    spec = SourceSpec(
        name="s", kind="sitemap", url=server.url("/sitemap.xml"), options={"fetch_articles": True}
    )
    pages = crawl_all(spec, settings)
    assert [len(p.posts) for p in pages] == [6, 2]
    again = crawl_all(spec, settings, cursor=last_cursor(pages))
    assert again == [] or all(not pg.posts for pg in again)
    assert len(server.hits_for("/sitemap/news.xml")) == 1  # unchanged lastmod: child skipped


def test_malformed_sitemap(server, settings):
    server.routes["/bad.xml"] = Resp(body=b"<urlset><url><loc>x</loc></url", content_type="application/xml")
    with pytest.raises(ParseError, match="malformed sitemap XML"):
        crawl_all(SourceSpec(name="s", kind="sitemap", url=server.url("/bad.xml"), options={}), settings)


# ---------------------------------------------------------------- text helpers


def test_canonicalize_url():
    assert (
        canonicalize_url("HTTPS://VnExpress.NET:443/a.html?utm_source=fb&id=3&fbclid=x&gclid=y#c")
        == "https://vnexpress.net/a.html?id=3"
    )
    assert canonicalize_url("http://Example.com") == "http://example.com/"


def test_fixture_dir_exists():
    assert (FIXTURES / "rss/feed_v1.xml").exists()
