"""Mastodon public API: hashtag, account or public timelines (no login, no token).

``spec.url`` is the instance base URL (``https://mastodon.social``). Pages of ``limit=40`` are
walked newest-first via ``max_id`` (Link ``rel="next"``) with ``since_id`` = the last run's
newest id, so a second run only asks for what is new. An instance that disables anonymous
access (401/403/422, or the "requires an authenticated user" error) raises AuthRequired.
Boosts and non-public statuses are dropped; only the status is kept, never the account profile.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Mapping
from typing import Any
from urllib.parse import quote, urlencode

from .base import Adapter, CrawlContext, OptionSpec
from .errors import AuthRequired, DropPost, HTTPStatusError, ParseError
from .models import CrawlPage, Post
from .paging import backward_walk
from .text import html_to_text, parse_datetime

__all__ = ["ADAPTER", "parse_link_header"]

OPTIONS = {
    "timeline": OptionSpec(
        str, required=True, help="tag | account | public", choices=("tag", "account", "public")
    ),
    "tag": OptionSpec(str, help="hashtag without '#', for timeline=tag"),
    "account_id": OptionSpec(str, help="numeric account id, for timeline=account"),
    "local": OptionSpec(bool, help="only this instance's posts (tag/public)"),
    "limit": OptionSpec(int, help="statuses per page, max 40"),
}


def _check(options: Mapping[str, Any]) -> None:
    tl = options.get("timeline")
    if tl == "tag" and not options.get("tag"):
        raise ValueError("mastodon: timeline=tag needs option 'tag'")
    if tl == "account" and not str(options.get("account_id", "")).isdigit():
        raise ValueError("mastodon: timeline=account needs a numeric 'account_id' (look it up once by hand)")
    if not 1 <= int(options.get("limit", 40)) <= 40:
        raise ValueError("mastodon: 'limit' must be 1..40")


_LINK = re.compile(r'<([^>]+)>\s*;\s*rel="?([\w ]+)"?')


def parse_link_header(value: str | None) -> dict[str, str]:
    """``Link: <url>; rel="next", <url>; rel="prev"`` -> {"next": url, "prev": url}."""
    out: dict[str, str] = {}
    for url, rels in _LINK.findall(value or ""):
        for rel in rels.split():
            out[rel] = url
    return out


def _endpoint(ctx: CrawlContext) -> str:
    o = ctx.options
    base = ctx.spec.url.rstrip("/")
    if o["timeline"] == "tag":
        return f"{base}/api/v1/timelines/tag/{quote(str(o['tag']).lstrip('#'))}"
    if o["timeline"] == "account":
        return f"{base}/api/v1/accounts/{o['account_id']}/statuses"
    return f"{base}/api/v1/timelines/public"


def _status_to_post(ctx: CrawlContext, st: Mapping[str, Any]) -> Post:
    if st.get("reblog"):
        raise DropPost("boost (the original status is crawled where it was posted)")
    if st.get("visibility") not in (None, "public", "unlisted"):
        raise DropPost("not a public status")
    text = html_to_text(st.get("content") or "")
    if st.get("spoiler_text"):
        text = f"{st['spoiler_text']}\n\n{text}"
    media = [m.get("url") or "" for m in st.get("media_attachments") or []]
    return ctx.post(
        external_id=str(st.get("uri") or st.get("url") or st["id"]),
        url=str(st.get("url") or st.get("uri") or ""),
        text=text,
        author_handle=(st.get("account") or {}).get("acct"),
        published_at=parse_datetime(st.get("created_at")),
        like_count=st.get("favourites_count"),
        comment_count=st.get("replies_count"),
        share_count=st.get("reblogs_count"),
        language=st.get("language"),
        extra={"status_id": str(st.get("id")), **({"media": " ".join(filter(None, media))} if media else {})},
    )


async def run(ctx: CrawlContext, cursor: dict[str, Any] | None) -> AsyncIterator[CrawlPage]:
    o = ctx.options
    params: dict[str, Any] = {"limit": int(o.get("limit", 40))}
    if o.get("local"):
        params["local"] = "true"
    endpoint = _endpoint(ctx)
    floor = (cursor or {}).get("done_upto")

    async def fetch_page(url: str) -> tuple[list[tuple[int, Post | None]], str | None]:
        try:
            res = await ctx.fetch(url, expect="json")
        except HTTPStatusError as exc:
            if exc.status in (401, 403, 422):
                raise AuthRequired(
                    "this Mastodon instance does not allow anonymous access to the timeline "
                    f"(HTTP {exc.status}); pick another instance or source",
                    url=url,
                ) from None
            raise
        data = res.json()
        if isinstance(data, dict) and "error" in data:
            raise AuthRequired(f"Mastodon refused anonymous access: {data['error']}", url=url)
        if not isinstance(data, list):
            raise ParseError("expected a JSON array of statuses", url=url)
        page = ctx.page(res.url)
        page.items(data, "statuses")
        items: list[tuple[int, Post | None]] = []
        for st in data:
            page.check()
            try:
                sid = int(st["id"])
                items.append((sid, _status_to_post(ctx, st)))
            except DropPost as exc:
                ctx.dropped(exc)
                items.append((int(st["id"]), None))
            except (KeyError, TypeError, ValueError) as exc:
                raise ParseError(f"malformed status object: {exc!r}", url=url) from None
        if not data:
            return items, None
        nxt = parse_link_header(res.headers.get("link")).get("next")
        if nxt is None:
            nxt = f"{endpoint}?{urlencode({**params, 'max_id': min(int(s['id']) for s in data)})}"
        if floor is not None and "since_id" not in nxt:
            nxt += f"&since_id={floor}"
        return items, nxt

    first_params = dict(params)
    if floor is not None:
        first_params["since_id"] = floor
    first = f"{endpoint}?{urlencode(first_params)}"
    async for page in backward_walk(cursor, first, fetch_page, max_pages=ctx.max_pages):
        yield page


ADAPTER = Adapter("mastodon", OPTIONS, run, _check)
