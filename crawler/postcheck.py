"""Is one post still online? Fetch it again, politely, and say what came back.

Used to follow takedown requests. The request goes through the same :class:`~crawler.Fetcher` as a crawl
(robots.txt, per-host gaps, retries, SSRF guard, size cap). Per platform:

    mastodon   GET {instance}/api/v1/statuses/{id}: 404/410 -> gone; 200 -> the status's text
    bluesky    GET {appview}/xrpc/app.bsky.feed.getPosts?uris=at://...: an empty ``posts`` list -> gone
    telegram   GET {origin}/s/{channel}/{id}: a channel preview without that message -> gone
    others     GET the post's URL: 404/410 -> gone; redirected to the site's home page -> gone (replaced);
               200 -> the page's main text

Anything else (timeouts, 5xx after retries, robots.txt refusals, blocked addresses, a page that is not what it
should be) is ``unreachable``: an error never counts as a removal.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal
from urllib.parse import quote, urlencode, urlsplit

from bs4 import BeautifulSoup

from .errors import CrawlError, HTTPStatusError, RobotsDisallowed
from .fetch import Fetcher
from .models import Politeness
from .result import FetchResult
from .robots import origin_of
from .text import html_to_text
from .web import extract_main_text

__all__ = ["GONE_STATUSES", "PostCheck", "check_post", "check_url"]

GONE_STATUSES = frozenset({404, 410})
DEFAULT_APPVIEW = "https://public.api.bsky.app"

Seen = Literal["present", "gone", "unreachable"]


@dataclass
class PostCheck:
    """What a re-fetch saw: ``present`` (with the post's ``text``), ``gone`` or ``unreachable`` (``detail``
    says why). ``result`` is the final response when there was one (for evidence)."""

    seen: Seen
    url: str
    status: int | None = None
    text: str | None = None
    detail: str = ""
    result: FetchResult | None = None


def check_url(platform: str, url: str, external_id: str, source_url: str | None = None) -> tuple[str, str | None]:
    """The URL to fetch for a post and the media type to expect."""
    if platform == "mastodon":
        status_id = urlsplit(url).path.rstrip("/").rsplit("/", 1)[-1]
        return f"{origin_of(url)}/api/v1/statuses/{quote(status_id)}", "json"
    if platform == "bluesky":
        base = (source_url or DEFAULT_APPVIEW).rstrip("/")
        return f"{base}/xrpc/app.bsky.feed.getPosts?{urlencode({'uris': external_id})}", "json"
    if platform == "telegram":
        base = origin_of(source_url) if source_url else "https://t.me"
        return f"{base}/s/{external_id}", "html"
    return url, "html"


def _json_text(result: FetchResult, platform: str) -> PostCheck:
    data = result.json()
    if platform == "bluesky":
        posts = data.get("posts") if isinstance(data, dict) else None
        if not isinstance(posts, list):
            return PostCheck("unreachable", result.url, result.status, detail="not a getPosts answer", result=result)
        if not posts:
            return PostCheck("gone", result.url, result.status, detail="Bluesky: post not found", result=result)
        return PostCheck("present", result.url, result.status, text=str((posts[0].get("record") or {}).get(
            "text") or ""), result=result)
    if not isinstance(data, dict) or "content" not in data:
        return PostCheck("unreachable", result.url, result.status, detail="not a Mastodon status", result=result)
    text = html_to_text(str(data.get("content") or ""))
    if data.get("spoiler_text"):
        text = f"{data['spoiler_text']}\n\n{text}"
    return PostCheck("present", result.url, result.status, text=text, result=result)


def _telegram(result: FetchResult, external_id: str) -> PostCheck:
    if not urlsplit(result.url).path.startswith("/s/"):
        return PostCheck("unreachable", result.url, result.status, result=result,
                         detail="the channel has no public preview now (cannot tell the message's fate)")
    soup = BeautifulSoup(result.text, "lxml")
    for message in soup.select("div.tgme_widget_message[data-post]"):
        if message.get("data-post") == external_id:
            body = message.select_one(".tgme_widget_message_text")
            return PostCheck("present", result.url, result.status, result=result,
                             text=html_to_text(str(body)) if body else "")
    if soup.select_one(".tgme_channel_info, .tgme_widget_message_wrap, .tme_no_messages_found"):
        return PostCheck("gone", result.url, result.status, result=result,
                         detail="Telegram: the message is missing from the channel preview")
    return PostCheck("unreachable", result.url, result.status, result=result,
                     detail="not a Telegram channel preview page")


def _web(result: FetchResult, requested: str) -> PostCheck:
    asked, landed = urlsplit(requested), urlsplit(result.url)
    if landed.path in ("", "/") and asked.path not in ("", "/"):
        return PostCheck("gone", result.url, result.status, result=result,
                         detail=f"redirected to the site's home page ({result.url})")
    return PostCheck("present", result.url, result.status, text=extract_main_text(result.text), result=result)


async def check_post(fetcher: Fetcher, *, platform: str, url: str, external_id: str,
                     source_url: str | None = None, politeness: Politeness | None = None) -> PostCheck:
    """Fetch one post again and say whether it is present, gone or unreachable (never raises CrawlError)."""
    target, expect = check_url(platform, url, external_id, source_url)
    try:
        result = await fetcher.get(target, expect=expect, conditional=False, politeness=politeness)
    except HTTPStatusError as exc:
        if exc.status in GONE_STATUSES:
            return PostCheck("gone", target, exc.status, detail=f"HTTP {exc.status}")
        return PostCheck("unreachable", target, exc.status, detail=str(exc))
    except RobotsDisallowed as exc:
        return PostCheck("unreachable", target, None, detail=f"robots.txt: {exc}")
    except CrawlError as exc:
        return PostCheck("unreachable", target, None, detail=str(exc))
    try:
        if expect == "json":
            return _json_text(result, platform)
        if platform == "telegram":
            return _telegram(result, external_id)
        return _web(result, target)
    except CrawlError as exc:
        return PostCheck("unreachable", result.url, result.status, detail=str(exc), result=result)
