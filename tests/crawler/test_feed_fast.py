"""The lxml fast path reads plain RSS 2.0 exactly as feedparser does; anything else goes to feedparser."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import feedparser
import pytest

from crawler.feed_fast import parse_rss_fast
from crawler.text import html_to_text
from service.replay import ReplayServer, load_replay_posts

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "tests/fixtures/crawler/rss"


def _fields(parsed: Any) -> list[tuple[Any, ...]]:
    """What the RSS adapter reads from each entry, as it reads it."""
    out = []
    for e in parsed.entries:
        content = " ".join(c.get("value", "") for c in e.get("content", []))
        published = e.get("published_parsed")
        out.append((
            e.get("link"), e.get("id"), html_to_text(e.get("title") or ""), html_to_text(content),
            html_to_text(e.get("summary") or ""), [x.get("href") for x in e.get("enclosures", [])],
            [t.get("term") for t in e.get("tags", [])], e.get("author"), tuple(published[:6]) if published else None,
            e.get("slash_comments"), parsed.feed.get("title"), parsed.feed.get("language"),
        ))
    return out


def _both(data: bytes) -> tuple[Any, Any]:
    fast = parse_rss_fast(data)
    slow = feedparser.parse(data, response_headers={"content-type": "application/xml; charset=utf-8"})
    return fast, slow


@pytest.mark.parametrize("name", ["feed_v1.xml", "feed_v2.xml"])
def test_fixture_feeds_read_the_same_by_both_paths(name: str) -> None:
    fast, slow = _both((FIXTURES / name).read_bytes())
    assert fast is not None and _fields(fast) == _fields(slow) and len(fast.entries) > 0


def test_thousands_of_real_posts_read_the_same_by_both_paths() -> None:
    posts = load_replay_posts([ROOT / "data/reintel/public_test.csv"], limit=600)
    for metadata in (True, False):
        fast, slow = _both(ReplayServer(posts, initial=len(posts), step_s=0, metadata=metadata).feed_xml())
        assert fast is not None and len(fast.entries) == len(posts)
        assert _fields(fast) == _fields(slow)


@pytest.mark.parametrize("name", ["atom.xml", "malformed.xml"])
def test_atom_and_broken_feeds_are_left_to_feedparser(name: str) -> None:
    assert parse_rss_fast((FIXTURES / name).read_bytes()) is None


def test_an_item_with_an_unknown_element_is_left_to_feedparser() -> None:
    feed = (b'<rss version="2.0"><channel><title>t</title><item><title>a</title><guid>1</guid>'
            b"<author>lan@example.vn (Lan)</author></item></channel></rss>")
    assert parse_rss_fast(feed) is None
