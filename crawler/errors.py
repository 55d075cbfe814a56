"""Crawler exceptions.

Everything :func:`crawler.crawl` and :class:`crawler.Fetcher` raise derives from
:class:`CrawlError`, which carries the ``url`` involved and a readable message::

    CrawlError                  base; .url, str(exc) is readable
    +-- FetchError              transport failed (connection refused/reset, DNS, TLS) after retries
    |   +-- HTTPStatusError     final response had an error status (.status); 429/5xx only after retries
    |   +-- TimeoutExceeded     a request (per-attempt timeout, after retries) or the source's total time cap
    |   +-- ResponseTooLarge    body passed CrawlSettings.max_bytes (streamed and cut, never fully read)
    |   +-- TooManyRedirects    more than max_redirects hops, or a redirect loop
    |   +-- ContentTypeError    response media type is not what the adapter can parse
    |   +-- BlockedAddress      host is (or resolves to) a non-public address outside allow_networks, or a
    |                           cloud metadata address (SSRF guard; checked on every redirect hop and when
    |                           connecting; crawler.netguard.check_source_url checks a URL without DNS)
    +-- RobotsDisallowed        robots.txt forbids the URL for our User-Agent (or robots.txt answered 5xx)
    +-- ParseError              malformed feed / HTML / JSON / XML
    |   +-- ParseLimitExceeded  a page passed a parse limit: max_items_per_page, max_parse_depth,
    |                           max_page_elements or parse_budget_s (a hostile or broken page)
    +-- AuthRequired            the source needs a login or token (instance disabled anonymous access,
    |                           Telegram channel has no public preview, Bluesky search) -- never worked around
    +-- UnsupportedSource       unknown kind or unusable options

:class:`DropPost` is *not* a CrawlError: adapters raise it while turning one item into a
:class:`~crawler.Post` when that item must not go on (no text, not public, ...). The adapter loop
catches it, counts it in ``FetchStats.dropped`` and continues; it never leaves :func:`crawl`.
"""

from __future__ import annotations

__all__ = [
    "AuthRequired",
    "BlockedAddress",
    "ContentTypeError",
    "CrawlError",
    "DropPost",
    "FetchError",
    "HTTPStatusError",
    "ParseError",
    "ParseLimitExceeded",
    "ResponseTooLarge",
    "RobotsDisallowed",
    "TimeoutExceeded",
    "TooManyRedirects",
    "UnsupportedSource",
    "source_time_up",
]


class CrawlError(Exception):
    """Base of all crawler errors; ``url`` is the URL being fetched or the source URL."""

    def __init__(self, message: str, *, url: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.url = url

    def __str__(self) -> str:
        return f"{self.message} ({self.url})" if self.url else self.message


class FetchError(CrawlError):
    """The HTTP exchange failed (network error after retries, or any subclass below)."""


class HTTPStatusError(FetchError):
    """The final response had an error status code."""

    def __init__(self, message: str, *, url: str | None = None, status: int) -> None:
        super().__init__(message, url=url)
        self.status = status


class TimeoutExceeded(FetchError):
    """A request timed out (after retries) or the source's total time budget ran out."""


class ResponseTooLarge(FetchError):
    """The body exceeded ``CrawlSettings.max_bytes``; it was cut while streaming."""


def source_time_up(url: str | None) -> TimeoutExceeded:
    """The error for a source crawl that ran past ``CrawlSettings.max_total_s`` (waiting or working)."""
    return TimeoutExceeded("source's total time cap (max_total_s) reached", url=url)


class TooManyRedirects(FetchError):
    """More than ``max_redirects`` redirect hops, or a redirect loop."""


class ContentTypeError(FetchError):
    """The response's media type is not one the adapter accepts."""


class BlockedAddress(FetchError):
    """SSRF guard: the host is, or resolves to, an address the crawler may not connect to."""


class RobotsDisallowed(CrawlError):
    """robots.txt disallows this URL for our User-Agent (robots.txt 5xx counts as disallow-all)."""


class ParseError(CrawlError):
    """The payload could not be parsed (malformed feed, HTML, JSON or XML)."""


class ParseLimitExceeded(ParseError):
    """The page is too big or too deep to parse within the limits (items, depth, elements, CPU time)."""


class AuthRequired(CrawlError):
    """The content needs a login or API token; the crawler never works around that."""


class UnsupportedSource(CrawlError):
    """Unknown source kind, or options the adapter cannot use."""


class DropPost(Exception):  # noqa: N818 - named like Scrapy's DropItem on purpose
    """Raised by an adapter for one item that must not become a Post; caught inside the adapter loop."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason
