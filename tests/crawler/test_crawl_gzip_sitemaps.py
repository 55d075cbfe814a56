"""Gzip-compressed sitemaps (.xml.gz files and Content-Encoding: gzip) served by the real local server:
posts come out, a corrupt child is a clear error that costs no other child's posts, and a gzip bomb is
cut at max_bytes without being inflated in memory."""

from __future__ import annotations

import gzip
import tracemalloc
import zlib
from dataclasses import replace

import pytest

from crawler import (
    CrawlError,
    Fetcher,
    FetchError,
    MemoryValidatorStore,
    ParseError,
    ResponseTooLarge,
    SourceSpec,
    crawl,
)
from crawler.sitemap import parse_sitemap
from crawlkit import Resp, crawl_all, fixture_bytes, last_cursor, run


@pytest.fixture
def server(reused_server):
    """One real local server for the whole module (tests/crawler/conftest.py), fresh routes per test."""
    return reused_server


SM = "http://www.sitemaps.org/schemas/sitemap/0.9"
NEWS = "http://www.google.com/schemas/sitemap-news/0.9"


def _news_urlset(base: str, ids: range) -> bytes:
    urls = "".join(
        f"<url><loc>{base}/bai/{i}.html</loc><lastmod>2024-05-0{1 + i % 9}T08:00:00+07:00</lastmod>"
        f"<news:news><news:publication><news:name>Tin Ví Dụ</news:name><news:language>vi</news:language>"
        f"</news:publication><news:publication_date>2024-05-0{1 + i % 9}T08:00:00+07:00</news:publication_date>"
        f"<news:title>Bản tin số {i}: người dân được khuyến cáo kiểm tra thông tin trước khi chia sẻ</news:title>"
        f"</news:news></url>"
        for i in ids
    )
    return (
        f'<?xml version="1.0" encoding="UTF-8"?>\n<urlset xmlns="{SM}" xmlns:news="{NEWS}">{urls}</urlset>'
    ).encode()


def _index(children: list[tuple[str, str]]) -> bytes:
    items = "".join(f"<sitemap><loc>{loc}</loc><lastmod>{mod}</lastmod></sitemap>" for loc, mod in children)
    return f'<?xml version="1.0" encoding="UTF-8"?>\n<sitemapindex xmlns="{SM}">{items}</sitemapindex>'.encode()


def _gzip_bomb(decompressed: int, head: bytes = b"") -> bytes:
    """``head`` plus ``decompressed`` zero bytes, gzip level 9, built without holding the inflated data."""
    c = zlib.compressobj(9, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
    block = bytes(1 << 20)
    parts = [c.compress(head)] + [c.compress(block) for _ in range(decompressed >> 20)] + [c.flush()]
    return b"".join(parts)


def _ids(pages) -> list[str]:
    return [p.external_id for pg in pages for p in pg.posts]


async def _pages_and_error(spec, settings, cursor=None, validators=None):
    """Pages yielded before the crawl raised (each one stored by a real caller), and the error."""
    pages = []
    try:
        store = validators or MemoryValidatorStore()
        async for page in crawl(spec, settings=settings, cursor=cursor, validators=store):
            pages.append(page)
    except CrawlError as exc:
        return pages, exc
    return pages, None


# ------------------------------------------------------------------------------------------------ .xml.gz


def _sitemap(server, path):
    return SourceSpec(name="s", kind="sitemap", url=server.url(path), options={})


def test_gzip_sitemap_file_gives_its_posts(server, settings):
    body = gzip.compress(fixture_bytes("sitemap/news.xml"))
    # what servers send for .gz files, plus mislabelled and unlabelled
    for i, ctype in enumerate(["application/x-gzip", "application/gzip", "application/octet-stream",
                               "application/xml", "text/html", None]):
        server.routes[f"/{i}/sitemap-news.xml.gz"] = Resp(body=body, content_type=ctype)
        posts = [p for pg in crawl_all(_sitemap(server, f"/{i}/sitemap-news.xml.gz"), settings) for p in pg.posts]
        assert len(posts) == 6 and all(p.language == "vi" and p.published_at for p in posts), ctype
        assert posts[0].canonical_url == "https://tin.example.vn/bai/4631.html"
        assert posts[0].title.startswith("Lãnh đạo Trung tâm kiểm soát bệnh tật Hà Nội")


def test_gzip_content_encoding_is_decoded(server, settings):
    raw = fixture_bytes("sitemap/news.xml")
    cases = {  # path: (content type, gzip layers); the last is a .gz file sent with Content-Encoding too
        "/a/news.xml": ("application/xml", 1),
        "/b/news.xml": ("text/xml; charset=utf-8", 1),
        "/c/news.xml.gz": ("application/x-gzip", 2),
    }
    for path, (ctype, layers) in cases.items():
        body = raw
        for _ in range(layers):
            body = gzip.compress(body)
        server.routes[path] = Resp(body=body, content_type=ctype, headers={"Content-Encoding": "gzip"})
        assert len(_ids(crawl_all(_sitemap(server, path), settings))) == 6, path
        assert "gzip" in server.hits_for(path)[0].headers["accept-encoding"]


def test_sitemap_index_with_gz_children(server, settings):
    base = server.url("")
    server.routes["/sm/a.xml.gz"] = Resp(body=gzip.compress(_news_urlset(base, range(1, 4))),
                                         content_type="application/x-gzip")
    server.routes["/sm/b.xml"] = Resp(body=_news_urlset(base, range(4, 6)), content_type="application/xml")
    index = _index([(base + "/sm/a.xml.gz", "2024-05-03"), (base + "/sm/b.xml", "2024-05-04")])
    server.routes["/sitemap_index.xml"] = Resp(body=index, content_type="application/xml")
    server.routes["/sitemap_index.xml.gz"] = Resp(body=gzip.compress(index), content_type="application/x-gzip")
    for path in ("/sitemap_index.xml", "/sitemap_index.xml.gz"):
        hits_before = len(server.hits_for("/sm/a.xml.gz"))
        pages = crawl_all(_sitemap(server, path), settings)
        assert [len(pg.posts) for pg in pages] == [3, 2], path
        assert _ids(pages) == [f"{base}/bai/{i}.html" for i in range(1, 6)]
        cur = last_cursor(pages)
        assert cur["children"] == {base + "/sm/a.xml.gz": "2024-05-03", base + "/sm/b.xml": "2024-05-04"}
        again = crawl_all(_sitemap(server, path), settings, cursor=cur)
        assert _ids(again) == []
        # unchanged lastmod: the gz child is not fetched again
        assert len(server.hits_for("/sm/a.xml.gz")) == hits_before + 1


# ------------------------------------------------------------------------------------------ corrupt .gz

GOOD = gzip.compress(_news_urlset("http://x.example", range(1, 3)))


@pytest.mark.parametrize(
    "blob",
    [
        GOOD[: len(GOOD) // 2],  # truncated mid-stream
        GOOD[:10],  # gzip header only
        GOOD[:-8] + b"\0\0\0\0" + GOOD[-4:],  # CRC mismatch
        b"\x1f\x8b" + b"not gzip at all, only the magic number" * 3,
        GOOD[:40] + bytes(b ^ 0x5A for b in GOOD[40:80]) + GOOD[80:],  # flipped bits in the deflate data
    ],
    ids=["truncated", "header-only", "bad-crc", "garbage", "bit-flips"],
)
def test_corrupt_gzip_is_a_parse_error(blob):
    with pytest.raises(ParseError, match="corrupt gzip sitemap") as exc:
        parse_sitemap(blob, url="http://x.example/s.xml.gz", max_bytes=1_000_000)
    assert exc.value.url == "http://x.example/s.xml.gz"


def test_corrupt_gz_root_sitemap_is_a_clear_error(server, settings):
    server.routes["/s.xml.gz"] = Resp(body=GOOD[: len(GOOD) // 2], content_type="application/x-gzip")
    with pytest.raises(ParseError, match="corrupt gzip sitemap") as exc:
        crawl_all(SourceSpec(name="s", kind="sitemap", url=server.url("/s.xml.gz"), options={}), settings)
    assert exc.value.url == server.url("/s.xml.gz")


def test_corrupt_gz_child_does_not_cost_the_other_children(server, settings):
    base = server.url("")
    a = gzip.compress(_news_urlset(base, range(1, 4)))
    b = gzip.compress(_news_urlset(base, range(4, 7)))
    server.routes["/sm/a.xml.gz"] = Resp(body=a, content_type="application/x-gzip")
    server.routes["/sm/b.xml.gz"] = Resp(body=b[: len(b) - 30], content_type="application/x-gzip")  # truncated
    server.routes["/sm/c.xml"] = Resp(body=_news_urlset(base, range(7, 9)), content_type="application/xml")
    children = [(base + "/sm/a.xml.gz", "2024-05-01"), (base + "/sm/b.xml.gz", "2024-05-02"),
                (base + "/sm/c.xml", "2024-05-03")]
    server.routes["/index.xml"] = Resp(body=_index(children), content_type="application/xml",
                                       headers={"ETag": '"idx-1"'})
    spec = SourceSpec(name="s", kind="sitemap", url=server.url("/index.xml"), options={})
    validators = MemoryValidatorStore()

    pages, err = run(_pages_and_error(spec, settings, validators=validators))
    # the children before and after the broken one are stored, then the error is raised, naming the child
    assert _ids(pages) == [f"{base}/bai/{i}.html" for i in (1, 2, 3, 7, 8)]
    assert isinstance(err, ParseError) and "corrupt gzip sitemap" in str(err)
    assert err.url == base + "/sm/b.xml.gz"
    cur = last_cursor(pages)
    assert set(cur["children"]) == {base + "/sm/a.xml.gz", base + "/sm/c.xml"}  # b is retried next run
    assert validators.data == {}  # the index's ETag is not saved, or a 304 would hide b until it changes

    server.routes["/sm/b.xml.gz"] = Resp(body=b, content_type="application/x-gzip")  # the site fixes it
    again, err = run(_pages_and_error(spec, settings, cursor=cur, validators=validators))
    assert err is None
    assert _ids(again) == [f"{base}/bai/{i}.html" for i in (4, 5, 6)]  # nothing lost, nothing repeated
    assert len(server.hits_for("/sm/a.xml.gz")) == 1 and len(server.hits_for("/sm/c.xml")) == 1
    assert validators.data[server.url("/index.xml")][0] == '"idx-1"'


def test_several_broken_children_are_all_counted(server, settings):
    base = server.url("")
    server.routes["/sm/bad1.xml.gz"] = Resp(body=b"\x1f\x8b\x08garbage", content_type="application/x-gzip")
    server.routes["/sm/bad2.xml"] = Resp(body=b"<urlset><url>", content_type="application/xml")
    server.routes["/sm/gone.xml"] = Resp(404, b"not found", content_type="text/plain")
    server.routes["/sm/ok.xml.gz"] = Resp(body=gzip.compress(_news_urlset(base, range(1, 3))),
                                          content_type="application/x-gzip")
    children = [(base + p, "2024-05-01") for p in ("/sm/bad1.xml.gz", "/sm/bad2.xml", "/sm/gone.xml", "/sm/ok.xml.gz")]
    server.routes["/index.xml"] = Resp(body=_index(children), content_type="application/xml")
    spec = SourceSpec(name="s", kind="sitemap", url=server.url("/index.xml"), options={})
    pages, err = run(_pages_and_error(spec, settings))
    assert _ids(pages) == [f"{base}/bai/1.html", f"{base}/bai/2.html"]
    assert isinstance(err, ParseError) and "corrupt gzip sitemap" in str(err)
    assert "2 more child sitemaps failed" in str(err)


# ------------------------------------------------------------------------------------------- gzip bombs

BOMB_SIZE = 64 << 20  # inflates to 64 MB; about 64 KB on the wire
BOMB_LIMIT = 1_000_000
PEAK_LIMIT = 16 << 20  # generous; inflating the bomb would need 64 MB


@pytest.fixture(scope="module")
def bomb() -> bytes:
    data = _gzip_bomb(BOMB_SIZE, head=f'<?xml version="1.0"?><urlset xmlns="{SM}">'.encode())
    assert len(data) < BOMB_LIMIT
    return data


def _peak_while(fn):
    tracemalloc.start()
    try:
        fn()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_gz_file_bomb_is_cut_at_max_bytes(server, settings, bomb):
    server.routes["/bomb.xml.gz"] = Resp(body=bomb, content_type="application/x-gzip")
    spec = SourceSpec(name="s", kind="sitemap", url=server.url("/bomb.xml.gz"), options={})
    caught = []

    def go():
        with pytest.raises(ResponseTooLarge) as exc:
            crawl_all(spec, replace(settings, max_bytes=BOMB_LIMIT))
        caught.append(exc.value)

    peak = _peak_while(go)
    assert f"gunzipped sitemap exceeds max_bytes={BOMB_LIMIT}" in str(caught[0])
    assert peak < PEAK_LIMIT, f"peak {peak / 1e6:.1f} MB"


def test_content_encoding_bomb_is_cut_while_streaming(server, settings, bomb):
    server.routes["/bomb.xml"] = Resp(body=bomb, content_type="application/xml",
                                      headers={"Content-Encoding": "gzip"})

    async def fetch():
        async with Fetcher(replace(settings, max_bytes=BOMB_LIMIT)) as f:
            await f.get(server.url("/bomb.xml"), expect="xml")

    caught = []

    def go():
        with pytest.raises(ResponseTooLarge) as exc:
            run(fetch())
        caught.append(exc.value)

    peak = _peak_while(go)
    assert f"max_bytes={BOMB_LIMIT}" in str(caught[0]) and "cut while streaming" in str(caught[0])
    assert peak < PEAK_LIMIT, f"peak {peak / 1e6:.1f} MB"
    assert len(server.hits_for("/bomb.xml")) == 1  # not retried


def test_gz_bomb_child_is_reported_and_other_children_kept(server, settings, bomb):
    base = server.url("")
    server.routes["/sm/bomb.xml.gz"] = Resp(body=bomb, content_type="application/x-gzip")
    server.routes["/sm/ok.xml"] = Resp(body=_news_urlset(base, range(1, 3)), content_type="application/xml")
    children = [(base + "/sm/bomb.xml.gz", "2024-05-01"), (base + "/sm/ok.xml", "2024-05-01")]
    server.routes["/index.xml"] = Resp(body=_index(children), content_type="application/xml")
    spec = SourceSpec(name="s", kind="sitemap", url=server.url("/index.xml"), options={})
    pages, err = run(_pages_and_error(spec, replace(settings, max_bytes=BOMB_LIMIT)))
    assert _ids(pages) == [f"{base}/bai/1.html", f"{base}/bai/2.html"]
    assert isinstance(err, ResponseTooLarge) and err.url == base + "/sm/bomb.xml.gz"


def test_corrupt_content_encoding_is_a_fetch_error(server, settings):
    for encoding in ("gzip", "deflate"):
        server.routes[f"/{encoding}.xml"] = Resp(body=b"\x1f\x8b\x08\x00 definitely not deflate data",
                                                 content_type="application/xml",
                                                 headers={"Content-Encoding": encoding})

    async def fetch():
        async with Fetcher(settings) as f:
            for encoding in ("gzip", "deflate"):
                with pytest.raises(FetchError, match=f"corrupt {encoding} body"):
                    await f.get(server.url(f"/{encoding}.xml"), expect="xml")

    run(fetch())


def test_deflate_content_encoding_both_forms(server, settings):
    raw = fixture_bytes("sitemap/news.xml")
    c = zlib.compressobj(6, zlib.DEFLATED, -zlib.MAX_WBITS)
    bodies = {"/zlib.xml": zlib.compress(raw), "/raw.xml": c.compress(raw) + c.flush()}  # RFC form, and raw
    for path, body in bodies.items():
        server.routes[path] = Resp(body=body, content_type="application/xml", headers={"Content-Encoding": "deflate"})

    async def fetch():
        async with Fetcher(settings) as f:
            return [(await f.get(server.url(path), expect="xml")).content for path in bodies]

    assert run(fetch()) == [raw, raw]
