"""Telegram public channel previews (``https://t.me/s/CHANNEL``), no login, no Bot API.

Messages are ``div.tgme_widget_message[data-post="channel/123"]``; older pages via
``?before=ID`` (the ``a.tme_messages_more`` link). Views like ``"4.85K"`` become 4850. A channel
without a public preview redirects to ``https://t.me/CHANNEL``: that raises AuthRequired.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Mapping
from typing import Any
from urllib.parse import urljoin, urlsplit

from .base import Adapter, CrawlContext, OptionSpec
from .errors import AuthRequired, DropPost, ParseError
from .models import CrawlPage, Post
from .paging import backward_walk
from .text import html_to_text, parse_datetime

__all__ = ["ADAPTER", "parse_count"]

OPTIONS = {
    "channel": OptionSpec(str, help="channel username; default: taken from spec.url (t.me/s/NAME)"),
}
_NAME = re.compile(r"^[A-Za-z0-9_]{4,64}$")


def _channel(url: str, options: Mapping[str, Any]) -> str:
    if options.get("channel"):
        return str(options["channel"]).lstrip("@")
    path = [p for p in urlsplit(url).path.split("/") if p]
    if path and path[0] == "s":
        path = path[1:]
    return path[0] if path else ""


def _check(options: Mapping[str, Any]) -> None:
    ch = options.get("channel")
    if ch is not None and not _NAME.match(str(ch).lstrip("@")):
        raise ValueError(f"telegram: {ch!r} is not a channel username")


def parse_count(text: str | None) -> int | None:
    """``"4.85K"`` -> 4850, ``"1.2M"`` -> 1200000, ``"987"`` -> 987."""
    if not text:
        return None
    m = re.fullmatch(r"\s*([\d.,]+)\s*([KMB]?)\s*", text.strip(), re.I)
    if not m:
        return None
    num = float(m.group(1).replace(",", ""))
    return round(num * {"": 1, "K": 1_000, "M": 1_000_000, "B": 1_000_000_000}[m.group(2).upper()])


def parse_page(ctx: CrawlContext, html: str, url: str) -> tuple[list[tuple[int, Post | None]], str | None]:
    page = ctx.page(url)
    soup = page.soup(html)
    msgs = page.select(soup, "div.tgme_widget_message[data-post]", "messages")
    if not msgs and not soup.select_one(
        ".tgme_channel_info, .tgme_widget_message_wrap, .tme_no_messages_found"
    ):
        raise ParseError("not a Telegram channel preview page (no messages, no channel header)", url=url)
    items: list[tuple[int, Post | None]] = []
    for m in msgs:
        page.check()
        data_post = m["data-post"]
        try:
            msg_id = int(str(data_post).rsplit("/", 1)[1])
        except (IndexError, ValueError):
            raise ParseError(f"bad data-post attribute {data_post!r}", url=url) from None
        try:
            items.append((msg_id, _message_to_post(ctx, m, str(data_post), url)))
        except DropPost as exc:
            ctx.dropped(exc)
            items.append((msg_id, None))
    items.sort(key=lambda kv: kv[0], reverse=True)
    more = soup.select_one("a.tme_messages_more[data-before]")
    nxt = urljoin(url, str(more["href"])) if more and more.get("href") else None
    if nxt is None and items and items[-1][0] > 1 and more is not None:
        nxt = f"{url.split('?', 1)[0]}?before={items[-1][0]}"
    return items, nxt


def _message_to_post(ctx: CrawlContext, m: Any, data_post: str, page_url: str) -> Post:
    if "service_message" in (m.get("class") or []):
        raise DropPost("service message")
    text_el = m.select_one(".tgme_widget_message_text")
    text = html_to_text(str(text_el)) if text_el else ""
    date_a = m.select_one("a.tgme_widget_message_date")
    time_el = m.select_one(".tgme_widget_message_date time[datetime], time[datetime]")
    link = str(date_a["href"]) if date_a and date_a.get("href") else f"https://t.me/{data_post}"
    views = m.select_one(".tgme_widget_message_views")
    author = m.select_one(".tgme_widget_message_from_author")
    return ctx.post(
        external_id=data_post,
        url=link,
        text=text,
        author_handle=author.get_text(strip=True) if author else data_post.split("/", 1)[0],
        published_at=parse_datetime(str(time_el["datetime"])) if time_el else None,
        view_count=parse_count(views.get_text()) if views else None,
    )


async def run(ctx: CrawlContext, cursor: dict[str, Any] | None) -> AsyncIterator[CrawlPage]:
    channel = _channel(ctx.spec.url, ctx.options)
    if not _NAME.match(channel):
        raise ParseError(f"cannot tell the channel name from {ctx.spec.url!r}", url=ctx.spec.url)
    parts = urlsplit(ctx.spec.url)
    first = f"{parts.scheme}://{parts.netloc}/s/{channel}"

    async def fetch_page(url: str) -> tuple[list[tuple[int, Post | None]], str | None]:
        res = await ctx.fetch(url, expect="html")
        if not urlsplit(res.url).path.startswith("/s/"):
            raise AuthRequired(
                f"Telegram channel {channel!r} has no public web preview (redirected to {res.url}); "
                "it cannot be read without an account",
                url=url,
            )
        return parse_page(ctx, res.text, res.url)

    async for page in backward_walk(cursor, first, fetch_page, max_pages=ctx.max_pages):
        yield page


ADAPTER = Adapter("telegram", OPTIONS, run, _check)
