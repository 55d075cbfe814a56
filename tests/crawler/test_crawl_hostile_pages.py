"""A hostile page must not hold a worker: generated payloads served by the real local server end in a recorded
ParseLimitExceeded (or the source's TimeoutExceeded), without RecursionError and without building a huge tree.

The limits stop the work early (the tree is never built past a cap); no test measures speed. Memory is checked
with tracemalloc where a page could otherwise allocate hundreds of megabytes.
"""

from __future__ import annotations

import tracemalloc
from dataclasses import replace

import pytest

from crawler import Fetcher, ParseLimitExceeded, SourceSpec, TimeoutExceeded
from crawler.text import html_to_text
from crawlkit import Resp, collect, run

FEED_HEAD = '<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel><title>t</title>'
SITEMAP_HEAD = '<?xml version="1.0" encoding="UTF-8"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'


def _crawl(server, settings, kind: str, path: str, body: bytes | str, content_type: str, *, trace: bool = False,
           base: str | None = None, **options):
    """Crawl one source (at ``base``, default ``path``) serving ``body`` at ``path``; the exception it ends with,
    the Fetcher's stats and, with ``trace``, the peak of traced memory (MB) while crawling."""
    server.routes[path] = Resp(body=body, content_type=content_type)
    spec = SourceSpec(name="hostile", kind=kind, url=server.url(base or path), options=options)

    async def go():
        async with Fetcher(settings) as f:
            try:
                await collect(spec, settings, fetcher=f)
            except Exception as exc:
                return exc, f.stats
        return None, f.stats

    if not trace:
        return (*run(go()), None)
    tracemalloc.start()
    try:
        error, stats = run(go())
        peak_mb = tracemalloc.get_traced_memory()[1] / 1e6
    finally:
        tracemalloc.stop()
    return error, stats, peak_mb


def _listing(items: str) -> str:
    return f"<!doctype html><html><body>{items}</body></html>"


def test_listing_whose_items_nest_100k_deep_is_refused_at_the_depth_cap(server, settings):
    n = 100_000
    page = _listing('<div class="item"><a href="/p">tin</a>' * n + "</div>" * n)
    error, stats, peak_mb = _crawl(server, settings, "web", "/list", page, "text/html", trace=True, item="div.item")
    assert isinstance(error, ParseLimitExceeded), error
    assert "nested deeper than max_parse_depth=512" in str(error) and server.url("/list") in str(error)
    assert stats.errors == 1  # counted for the run
    assert peak_mb < 60, peak_mb  # the body and its text; the tree stopped at 512 levels


def test_listing_with_more_items_than_the_cap_is_refused(server, settings):
    page = _listing("".join(f'<div class="item"><a href="/p/{i}">tin {i}</a></div>' for i in range(1500)))
    capped = replace(settings, max_items_per_page=1000)
    error, _, _ = _crawl(server, capped, "web", "/list", page, "text/html", item="div.item")
    assert isinstance(error, ParseLimitExceeded)
    assert "more than max_items_per_page=1000 items on one page" in str(error)
    error, _, _ = _crawl(server, replace(settings, max_items_per_page=2000), "web", "/list", page, "text/html",
                         item="div.item", max_pages=1)
    assert error is None  # the same page within a higher cap


def test_page_with_more_elements_than_the_cap_stops_parsing_there(server, settings):
    page = _listing("<b>x</b>" * 600_000)  # 4.8 MB, fits max_bytes; as a tree it would take about 400 MB
    roomy = replace(settings, parse_budget_s=120.0, max_total_s=600.0)  # the cap must stop it, not a time limit
    error, _, peak_mb = _crawl(server, roomy, "forum", "/thread", page, "text/html", trace=True)
    assert isinstance(error, ParseLimitExceeded)
    assert "more than max_page_elements=100000 HTML elements" in str(error)
    assert peak_mb < 150, peak_mb


def test_feed_with_a_million_entries_is_refused_before_it_is_parsed(server, settings):
    body = FEED_HEAD + "<item><title>a</title></item>" * 1_000_000 + "</channel></rss>"
    big = replace(settings, max_bytes=64_000_000)
    error, stats, peak_mb = _crawl(server, big, "rss", "/feed.xml", body, "application/rss+xml", trace=True)
    assert isinstance(error, ParseLimitExceeded)
    assert "more than max_items_per_page=10000 feed entries" in str(error)
    assert stats.errors == 1
    assert peak_mb < 250, peak_mb  # body bytes and decoded text (about 30 MB each); feedparser never ran


def test_feed_full_of_escaped_tags_is_refused_before_it_is_parsed(server, settings):
    body = FEED_HEAD + "<item><title>a</title><description>" + "&lt;b&gt;x" * 300_000 + "</description></item>"
    error, _, _ = _crawl(server, settings, "rss", "/feed.xml", body + "</channel></rss>", "application/rss+xml")
    assert isinstance(error, ParseLimitExceeded) and "more than 200000 tags" in str(error)


def test_sitemap_nested_100k_deep_is_refused_by_the_xml_depth_limit(server, settings):
    n = 100_000
    body = SITEMAP_HEAD + "<url>" * n + "</url>" * n + "</urlset>"
    error, _, _ = _crawl(server, settings, "sitemap", "/sitemap.xml", body, "application/xml")
    assert isinstance(error, ParseLimitExceeded) and "nested deeper than libxml2 allows" in str(error)


def test_sitemap_with_more_urls_than_the_protocol_allows_is_refused(server, settings):
    body = SITEMAP_HEAD + "".join(f"<url><loc>https://tin.example/{i}</loc></url>" for i in range(50_001))
    error, _, _ = _crawl(server, settings, "sitemap", "/sitemap.xml", body + "</urlset>", "application/xml")
    assert isinstance(error, ParseLimitExceeded) and "more than 50000 entries in one sitemap file" in str(error)


def test_json_nested_100k_deep_is_refused_without_recursion_error(server, settings):
    body = "[" * 100_000 + "]" * 100_000
    error, _, _ = _crawl(server, settings, "mastodon", "/api/v1/timelines/public", body, "application/json",
                         base="/", timeline="public")
    assert isinstance(error, ParseLimitExceeded) and "JSON nested deeper than the decoder allows" in str(error)


def test_api_page_with_more_statuses_than_the_cap_is_refused(server, settings):
    statuses = ",".join(f'{{"id": "{i}", "content": "tin {i}", "visibility": "public"}}' for i in range(1001, 0, -1))
    error, _, _ = _crawl(server, replace(settings, max_items_per_page=1000), "mastodon", "/api/v1/timelines/public",
                         f"[{statuses}]", "application/json", base="/", timeline="public")
    assert isinstance(error, ParseLimitExceeded) and "more than max_items_per_page=1000 statuses" in str(error)


def test_parse_budget_stops_a_page_that_takes_too_long(server, settings):
    page = _listing("".join(f'<div class="item"><a href="/p/{i}"><b>tin</b> <i>{i}</i></a></div>' for i in range(900))
                    + "<p><span>x</span></p>" * 20_000)
    error, _, _ = _crawl(server, replace(settings, parse_budget_s=0.05), "web", "/list", page, "text/html",
                         item="div.item")
    assert isinstance(error, ParseLimitExceeded) and "parse_budget_s=0.05" in str(error)


def test_total_time_cap_stops_cpu_bound_parsing(server, settings):
    """The page arrives at once; only the parsing is slow. Before the cap covered CPU work, this crawl ran to its
    end (and succeeded) however long it took."""
    item = '<div class="item"><a href="/p/{i}">tin {i}</a>' + "<p><b>a</b><i>b</i></p>" * 30 + "</div>"
    page = _listing("".join(item.format(i=i) for i in range(950)))
    s = replace(settings, max_total_s=0.5, parse_budget_s=600.0)
    error, _, _ = _crawl(server, s, "web", "/list", page, "text/html", item="div.item")
    assert isinstance(error, TimeoutExceeded) and "max_total_s" in str(error)
    assert len(server.hits_for("/list")) == 1  # fetched once, in full


def test_html_to_text_of_a_100k_deep_fragment_returns(server):
    n = 100_000
    assert html_to_text("<div>" * n + "tin" + "</div>" * n) == "tin"
    assert html_to_text("<p>a<br>b</p><div><script>x</script>c</div>") == "a\nb\n\nc"


@pytest.mark.parametrize("fragment", [
    "<p>Một <b>hai</b></p><p>ba<br>bốn</p>",
    "<ul><li>a<li>b</ul><table><tr><td>x<td>y</table>",
    "<div><!-- c --><style>p{}</style>chữ <template>t</template><noscript>n</noscript></div>",
    "<pre>  giữ\n  dòng </pre><blockquote>q</blockquote> &amp; &lt;b&gt; <![CDATA[cd]]>",
    "<h1>T</h1>\n\n\n<section><article><p>x</p></article></section><figure><figcaption>f</figcaption></figure>",
])
def test_html_to_text_keeps_its_output(fragment):
    """The one-walk html_to_text gives what the old insert-newlines-then-get_text version gave."""
    assert html_to_text(fragment) == _html_to_text_before(fragment)


def _html_to_text_before(html: str) -> str:
    """The previous implementation (quadratic in depth), kept here as the reference."""
    import re

    from bs4 import BeautifulSoup

    from crawler.text import _BLOCK_TAGS

    soup = BeautifulSoup(html, "lxml")
    for bad in soup(["script", "style", "noscript", "template"]):
        bad.decompose()
    for br in soup.find_all("br"):
        br.replace_with("\n")
    for tag in soup.find_all(_BLOCK_TAGS):
        tag.insert_before("\n")
        tag.insert_after("\n")
    lines = [re.sub(r"[ \t\r\f\v\xa0]+", " ", line).strip() for line in soup.get_text().split("\n")]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()
