"""XenForo-style forum threads: ``article.message`` posts, ``.bbWrapper`` bodies,
``time[datetime]``, and ``.pageNav-jump--next`` paging (oldest page first).

Cursor: ``{"page_url": last page read, "last_post_id": int}``. Threads only grow at the end,
so a run restarts from the last page read and keeps posts with a larger id. Quotes of other
posts (``.bbCodeBlock--quote``) are removed from the text so nothing is imported twice.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from typing import Any
from urllib.parse import urljoin

from bs4 import Tag

from .base import Adapter, CrawlContext, OptionSpec
from .errors import DropPost, ParseError
from .models import CrawlPage, Post
from .text import html_to_text, parse_datetime

__all__ = ["ADAPTER"]

OPTIONS = {
    "keep_quotes": OptionSpec(bool, help="keep quoted posts inside the text (default: removed)"),
}
_POST_ID = re.compile(r"(\d+)$")


def _post_id(article: Tag) -> int:
    for attr in ("data-content", "id", "data-post-id"):
        m = _POST_ID.search(str(article.get(attr) or ""))
        if m:
            return int(m.group(1))
    raise DropPost("message has no post id")


def _to_post(ctx: CrawlContext, art: Tag, pid: int, page_url: str) -> Post:
    body = art.select_one(".bbWrapper")
    if body is None:
        raise DropPost(f"post {pid} has no .bbWrapper body")
    if not ctx.options.get("keep_quotes"):
        for q in body.select(".bbCodeBlock--quote, blockquote"):
            q.decompose()
    time_el = art.select_one("time[datetime]")
    link = art.select_one("a[href*='/post-'], .message-attribution-main a[href]")
    url = urljoin(page_url, str(link["href"])) if link and link.get("href") else f"{page_url}#post-{pid}"
    thread = ctx.spec.url.rstrip("/")
    return ctx.post(
        external_id=f"{thread}#post-{pid}",
        url=url,
        text=html_to_text(str(body)),
        author_handle=str(art.get("data-author") or "") or None,
        published_at=parse_datetime(str(time_el["datetime"])) if time_el else None,
    )


async def run(ctx: CrawlContext, cursor: dict[str, Any] | None) -> AsyncIterator[CrawlPage]:
    url: str | None = (cursor or {}).get("page_url") or ctx.spec.url
    last_id = int((cursor or {}).get("last_post_id") or 0)
    for _ in range(ctx.max_pages):
        if url is None:
            return
        res = await ctx.fetch(url, expect="html")
        page = ctx.page(res.url)
        soup = page.soup(res.text)
        articles = page.select(soup, "article.message", "forum posts")
        if not articles and soup.select_one(".block-body, .p-body") is None:
            raise ParseError("not a XenForo thread page (no article.message, no .p-body)", url=res.url)
        posts: list[Post] = []
        max_id = last_id
        for art in articles:
            page.check()
            try:
                pid = _post_id(art)
                max_id = max(max_id, pid)
                if pid <= last_id:
                    continue
                posts.append(_to_post(ctx, art, pid, res.url))
            except DropPost as exc:
                ctx.dropped(exc)
        nxt_el = soup.select_one(".pageNav-jump--next[href], a.pageNav-jump--next")
        nxt = urljoin(res.url, str(nxt_el["href"])) if nxt_el is not None and nxt_el.get("href") else None
        last_id = max_id
        yield CrawlPage(posts, {"page_url": url, "last_post_id": last_id})
        url = nxt


ADAPTER = Adapter("forum", OPTIONS, run)
