"""Bluesky via the public AppView (``app.bsky.feed.getAuthorFeed``), no login.

``spec.url`` is the AppView base (default https://public.api.bsky.app). Pages walk newest-first
with the API's ``cursor``; keys are the posts' ``indexedAt``. Reposts and the pinned post are
skipped (they sit out of time order). Search (``app.bsky.feed.searchPosts``) needs an
authenticated session, so it is not offered: asking for it is a config error.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from typing import Any
from urllib.parse import urlencode

from .base import Adapter, CrawlContext, OptionSpec
from .errors import AuthRequired, DropPost, HTTPStatusError, ParseError
from .models import CrawlPage, Post
from .paging import backward_walk
from .text import parse_datetime

__all__ = ["ADAPTER", "DEFAULT_APPVIEW"]

DEFAULT_APPVIEW = "https://public.api.bsky.app"
OPTIONS = {
    "actor": OptionSpec(str, required=True, help="handle (name.bsky.social) or DID"),
    "filter": OptionSpec(
        str,
        help="getAuthorFeed filter",
        choices=("posts_with_replies", "posts_no_replies", "posts_with_media", "posts_and_author_threads"),
    ),
    "limit": OptionSpec(int, help="posts per page, max 100"),
    "search": OptionSpec(str, help="NOT SUPPORTED: Bluesky search requires an authenticated session"),
}


def _check(options: Mapping[str, Any]) -> None:
    if options.get("search"):
        raise ValueError(
            "bluesky: search (app.bsky.feed.searchPosts) requires an authenticated session; "
            "kiemtin only reads public author feeds. Use option 'actor' instead"
        )
    if not 1 <= int(options.get("limit", 50)) <= 100:
        raise ValueError("bluesky: 'limit' must be 1..100")


def _item_to_post(ctx: CrawlContext, item: Mapping[str, Any]) -> Post:
    reason = (item.get("reason") or {}).get("$type", "")
    if reason:
        raise DropPost(f"feed item is a {reason.rsplit('#', 1)[-1]}, not an original post")
    post = item["post"]
    rec = post.get("record") or {}
    handle = (post.get("author") or {}).get("handle")
    rkey = str(post["uri"]).rsplit("/", 1)[-1]
    langs = rec.get("langs") or []
    return ctx.post(
        external_id=str(post["uri"]),
        url=f"https://bsky.app/profile/{handle or post['author']['did']}/post/{rkey}",
        text=str(rec.get("text") or ""),
        author_handle=handle,
        published_at=parse_datetime(rec.get("createdAt") or post.get("indexedAt")),
        like_count=post.get("likeCount"),
        comment_count=post.get("replyCount"),
        share_count=(post.get("repostCount") or 0) + (post.get("quoteCount") or 0),
        language=langs[0] if langs else None,
        extra={"cid": str(post.get("cid", ""))},
    )


async def run(ctx: CrawlContext, cursor: dict[str, Any] | None) -> AsyncIterator[CrawlPage]:
    base = (ctx.spec.url or DEFAULT_APPVIEW).rstrip("/")
    params: dict[str, Any] = {"actor": ctx.options["actor"], "limit": int(ctx.options.get("limit", 50))}
    if ctx.options.get("filter"):
        params["filter"] = ctx.options["filter"]
    endpoint = f"{base}/xrpc/app.bsky.feed.getAuthorFeed"

    async def fetch_page(api_cursor: str) -> tuple[list[tuple[str, Post | None]], str | None]:
        q = dict(params)
        if api_cursor:
            q["cursor"] = api_cursor
        url = f"{endpoint}?{urlencode(q)}"
        try:
            res = await ctx.fetch(url, expect="json")
        except HTTPStatusError as exc:
            if exc.status in (401, 403):
                raise AuthRequired(
                    "this AppView requires authentication for getAuthorFeed", url=url
                ) from None
            raise
        data = res.json()
        if not isinstance(data, dict) or not isinstance(data.get("feed"), list):
            raise ParseError("expected {'feed': [...]} from getAuthorFeed", url=url)
        page = ctx.page(res.url)
        page.items(data["feed"], "feed items")
        items: list[tuple[str, Post | None]] = []
        for item in data["feed"]:
            page.check()
            try:
                post = _item_to_post(ctx, item)
            except DropPost as exc:
                ctx.dropped(exc)
                continue  # reposts/pins are out of time order: they must not move the floor
            except (KeyError, TypeError) as exc:
                raise ParseError(f"malformed feed item: {exc!r}", url=url) from None
            items.append((str(item["post"].get("indexedAt") or ""), post))
        nxt = data.get("cursor") if data["feed"] else None
        return items, nxt

    async for page in backward_walk(cursor, "", fetch_page, max_pages=ctx.max_pages):
        yield page


ADAPTER = Adapter("bluesky", OPTIONS, run, _check)
