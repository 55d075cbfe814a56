"""Posts carry the text exactly as extracted (the evidence); language and emptiness come from a normalised copy."""

from __future__ import annotations

import unicodedata

import pytest

from crawler import CrawlContext, DropPost, Fetcher, MemoryValidatorStore, SourceSpec
from crawler.text import html_to_text
from crawlkit import Resp, crawl_all

FAMILY = "👨\u200d👩\u200d👧"  # one emoji: three people joined by zero-width joiners
EXACT = f"Gia đình {FAMILY} cảnh giác: ðã có kh\u200bẩn cấp, người dân hoà bình theo dõi tin tức"


def _feed(*items: tuple[str, str, str]) -> str:
    body = "".join(
        f"<item><guid>{guid}</guid><link>http://127.0.0.1/p/{guid}</link><title>{title}</title>"
        f"<description>{text}</description></item>"
        for guid, title, text in items
    )
    return f'<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel><title>t</title>{body}</channel></rss>'


def test_crawled_text_keeps_emoji_sequences_zero_width_characters_and_eth_as_published(server, settings):
    server.routes["/feed.xml"] = Resp(body=_feed(("g1", "Tin m\u200bới", f"  {EXACT}  ")),
                                      content_type="application/rss+xml")
    spec = SourceSpec(name="t", kind="rss", url=server.url("/feed.xml"))
    [post] = crawl_all(spec, settings, validators=MemoryValidatorStore())[0].posts
    assert post.text == f"Tin m\u200bới\n\n{EXACT}"
    assert post.title == "Tin m\u200bới"
    assert FAMILY in post.text
    assert post.language == "vi"


def test_feed_items_with_only_invisible_characters_are_dropped(server, settings):
    server.routes["/feed.xml"] = Resp(
        body=_feed(("g1", "Tin mới hôm nay", "\u200b\u200d"), ("g2", "\u200b", "\u200b\u2060")),
        content_type="application/rss+xml",
    )
    spec = SourceSpec(name="t", kind="rss", url=server.url("/feed.xml"), options={"text": "summary"})
    pages = crawl_all(spec, settings, validators=MemoryValidatorStore())
    posts = [p for page in pages for p in page.posts]
    assert [p.external_id for p in posts] == ["g1"]
    assert posts[0].text.startswith("Tin mới hôm nay")


def _context(settings) -> CrawlContext:
    spec = SourceSpec(name="t", kind="rss", url="http://127.0.0.1/feed.xml")
    return CrawlContext(spec, settings, Fetcher(settings), None, deadline=0.0)


def test_post_keeps_decomposed_text_and_detects_its_language_on_a_normalised_copy(settings):
    nfd = unicodedata.normalize("NFD", "Người dân cần bình tĩnh theo dõi tin tức chính thức")
    post = _context(settings).post(external_id="1", url="http://127.0.0.1/p/1", text=f"\n {nfd} \t",
                                   title=f" {nfd} ")
    assert post.text == nfd and post.title == nfd
    assert not unicodedata.is_normalized("NFC", post.text)
    assert post.language == "vi"


def test_post_whose_text_is_only_invisible_characters_takes_its_title(settings):
    post = _context(settings).post(external_id="1", url="", text="\u200b\u200d", title=" Tin m\u200bới ")
    assert post.text == post.title == "Tin m\u200bới"


def test_post_with_nothing_to_read_is_dropped(settings):
    with pytest.raises(DropPost, match="no text"):
        _context(settings).post(external_id="1", url="", text="\u200b \u200d", title="\ufeff")


def test_html_to_text_keeps_characters_and_trims_only_whitespace():
    html = f"<p> {EXACT} </p><script>x()</script><p>Đ\u0300 dòng&nbsp;hai</p>"
    assert html_to_text(html) == f"{EXACT}\n\nĐ\u0300 dòng hai"
    assert html_to_text(f"  {FAMILY}\u200b  ") == f"{FAMILY}\u200b"
