from __future__ import annotations

import unicodedata
from datetime import UTC, datetime

import pytest

import crawler.rss
from crawler import CrawlSettings, MemoryValidatorStore, ParseError, SourceSpec
from crawler.rss import parse_feed
from crawlkit import LocalServer, Resp, crawl_all, fixture_bytes, last_cursor

RSS_CT = "application/rss+xml; charset=utf-8"


def _spec(server: LocalServer, path: str = "/rss/thoi-su.rss", **options: object) -> SourceSpec:
    return SourceSpec(name="tin-example", kind="rss", url=server.url(path), options=options)


def test_feed_items_become_posts_with_counts_and_canonical_url(server, settings):
    server.routes["/rss/thoi-su.rss"] = Resp(body=fixture_bytes("rss/feed_v1.xml"), content_type=RSS_CT)
    pages = crawl_all(_spec(server), settings)
    assert len(pages) == 1
    posts = pages[0].posts
    assert len(posts) == 5
    p = posts[0]
    assert p.platform == "rss"
    assert p.external_id.startswith("tin-example-")
    assert "utm_source" in p.url and "utm_" not in p.canonical_url
    assert p.canonical_url.startswith("https://tin.example.vn/thoi-su/bai-")
    assert p.language == "vi"
    assert p.published_at is not None and p.published_at.tzinfo is not None
    assert p.published_at.utcoffset().total_seconds() == 0
    assert p.comment_count is not None
    assert p.extra["enclosures"].endswith(".jpg")
    assert p.author_handle == "Phóng viên 0"
    assert p.title and p.text.startswith(p.title)
    assert all(unicodedata.is_normalized("NFC", x.text) for x in posts)


def test_second_run_imports_only_new_items(server, settings):
    server.routes["/rss/thoi-su.rss"] = [
        Resp(body=fixture_bytes("rss/feed_v1.xml"), content_type=RSS_CT),
        Resp(body=fixture_bytes("rss/feed_v2.xml"), content_type=RSS_CT),
    ]
    first = crawl_all(_spec(server), settings)
    cursor = last_cursor(first)
    second = crawl_all(_spec(server), settings, cursor=cursor)
    first_ids = {p.external_id for p in first[0].posts}
    second_ids = [p.external_id for pg in second for p in pg.posts]
    assert len(second_ids) == 2
    assert not first_ids & set(second_ids)
    # third run, same feed: nothing new, no page
    third = crawl_all(_spec(server), settings, cursor=last_cursor(second, cursor))
    assert [p for pg in third for p in pg.posts] == []


def test_a_large_feed_is_handed_over_in_pieces_with_the_cursor_on_the_last(server, settings, monkeypatch):
    monkeypatch.setattr(crawler.rss, "CHUNK_POSTS", 2)  # 5 entries -> 2 + 2 + 1
    server.routes["/rss/thoi-su.rss"] = Resp(body=fixture_bytes("rss/feed_v1.xml"), content_type=RSS_CT)
    pages = crawl_all(_spec(server), settings)
    assert [len(page.posts) for page in pages] == [2, 2, 1]
    assert [page.cursor is None for page in pages] == [True, True, False]
    assert len(pages[-1].cursor["seen"]) == 5

    monkeypatch.setattr(crawler.rss, "CHUNK_POSTS", 5)  # all 5 in one piece: the cursor still follows them
    pages = crawl_all(_spec(server), settings, cursor={"seen": ["older"]})
    assert [len(page.posts) for page in pages] == [5, 0]
    assert pages[-1].cursor["seen"][-1] == "older" and len(pages[-1].cursor["seen"]) == 6


def test_not_modified_on_second_run_yields_nothing(server, settings):
    etag = '"feed-v1"'

    def handler(hit):
        if hit.headers.get("if-none-match") == etag:
            return Resp(304, content_type=None, headers={"ETag": etag})
        return Resp(
            body=fixture_bytes("rss/feed_v1.xml"),
            content_type=RSS_CT,
            headers={"ETag": etag, "Last-Modified": "Mon, 01 Jun 2020 00:00:00 GMT"},
        )

    server.routes["/rss/thoi-su.rss"] = handler
    validators = MemoryValidatorStore()
    first = crawl_all(_spec(server), settings, validators=validators)
    assert len(first[0].posts) == 5
    assert validators.get(server.url("/rss/thoi-su.rss")) == (etag, "Mon, 01 Jun 2020 00:00:00 GMT")
    second = crawl_all(_spec(server), settings, cursor=last_cursor(first), validators=validators)
    assert second == []
    hits = server.hits_for("/rss/thoi-su.rss")
    assert hits[-1].headers["if-none-match"] == etag
    assert hits[-1].headers["if-modified-since"] == "Mon, 01 Jun 2020 00:00:00 GMT"


def test_windows_1258_feed_is_decoded_and_nfc_normalised(server, settings):
    raw = fixture_bytes("rss/feed_cp1258.xml")
    with pytest.raises(UnicodeDecodeError):
        raw.decode("utf-8")
    server.routes["/legacy.rss"] = Resp(body=raw, content_type="text/xml")  # charset only in the XML decl
    posts = crawl_all(_spec(server, "/legacy.rss"), settings)[0].posts
    assert len(posts) == 3
    assert posts[0].title.startswith("GƯƠNG MẶT SHOWBIZ")
    for p in posts:
        assert unicodedata.is_normalized("NFC", p.text)
        assert p.language == "vi"
    assert "Khả Như vào vai nữ chính" in posts[0].text


def test_windows_1258_declared_only_in_http_header(server, settings):
    raw = fixture_bytes("rss/feed_cp1258.xml").replace(b' encoding="windows-1258"', b"")
    server.routes["/legacy2.rss"] = Resp(body=raw, content_type="application/rss+xml; charset=windows-1258")
    posts = crawl_all(_spec(server, "/legacy2.rss"), settings)[0].posts
    assert posts[0].title.startswith("GƯƠNG MẶT SHOWBIZ")


def test_utf16_feed_with_bom(server, settings):
    server.routes["/u16.rss"] = Resp(body=fixture_bytes("rss/feed_utf16.xml"), content_type="application/xml")
    posts = crawl_all(_spec(server, "/u16.rss"), settings)[0].posts
    assert len(posts) == 2
    assert all(p.language == "vi" for p in posts)


def test_atom_feed(server, settings):
    server.routes["/atom.xml"] = Resp(body=fixture_bytes("rss/atom.xml"), content_type="application/atom+xml")
    posts = crawl_all(_spec(server, "/atom.xml"), settings)[0].posts
    assert len(posts) == 3
    assert posts[0].external_id.startswith("tag:tin.example.vn,2020:")
    assert "#" not in posts[0].canonical_url
    assert posts[0].published_at.tzinfo == UTC or posts[0].published_at.utcoffset().total_seconds() == 0
    assert posts[0].published_at > datetime(2020, 1, 1, tzinfo=UTC)


def test_malformed_feed_raises_parse_error(server, settings):
    server.routes["/bad.rss"] = Resp(body=fixture_bytes("rss/malformed.xml"), content_type=RSS_CT)
    with pytest.raises(ParseError) as exc:
        crawl_all(_spec(server, "/bad.rss"), settings)
    assert "malformed feed XML" in str(exc.value)
    assert "/bad.rss" in str(exc.value)


def test_malformed_feed_accepted_when_lenient(server, settings):
    server.routes["/bad.rss"] = Resp(body=fixture_bytes("rss/malformed.xml"), content_type=RSS_CT)
    pages = crawl_all(_spec(server, "/bad.rss", lenient=True), settings)
    assert len(pages[0].posts) >= 1


def test_json_is_not_a_feed():
    with pytest.raises(ParseError):
        parse_feed('{"items": []}', url="http://x/feed")


def test_settings_are_plain_values():
    s = CrawlSettings(user_agent="ua")
    assert s.max_bytes == 5_000_000 and s.allow_networks == ()
