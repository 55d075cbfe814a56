"""Value objects shared by the fetcher and every adapter."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol, runtime_checkable

from .netguard import parse_networks

__all__ = [
    "CrawlPage",
    "CrawlSettings",
    "FetchStats",
    "MemoryValidatorStore",
    "Politeness",
    "Post",
    "SourceSpec",
    "ValidatorStore",
]

PLATFORMS = ("rss", "web", "mastodon", "bluesky", "telegram", "forum", "sitemap")


@dataclass(frozen=True)
class Post:
    """One public post, the same shape whatever the source kind."""

    platform: str
    external_id: str
    url: str
    canonical_url: str
    text: str
    author_handle: str | None
    published_at: datetime | None
    like_count: int | None = None
    comment_count: int | None = None
    share_count: int | None = None
    view_count: int | None = None
    language: str = "und"
    title: str | None = None
    extra: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Politeness:
    """Per-source overrides; ``None`` means "use CrawlSettings"."""

    min_delay_s: float | None = None
    concurrency: int | None = None
    user_agent: str | None = None


@dataclass(frozen=True)
class SourceSpec:
    """One configured source: a kind, a URL and adapter options."""

    name: str
    kind: str
    url: str
    options: Mapping[str, Any] = field(default_factory=dict)
    politeness: Politeness = field(default_factory=Politeness)


@dataclass(frozen=True)
class CrawlSettings:
    """Crawler knobs, built by the caller from configuration and passed in (never read globally)."""

    user_agent: str
    timeout: float = 20.0  # per attempt: connect + whole body, wall clock
    max_bytes: int = 5_000_000
    max_total_s: float = 300.0  # whole crawl of one source, including waits
    max_redirects: int = 5
    max_retries: int = 3
    backoff_base_s: float = 1.0
    backoff_max_s: float = 60.0
    min_delay_s: float = 1.0
    concurrency_per_host: int = 2
    # networks (IPs or CIDR) allowed besides public addresses; cloud metadata addresses are refused anyway
    allow_networks: tuple[str, ...] = ()
    max_pages: int = 10
    # additions
    obey_robots: bool = True
    robots_ttl_s: float = 24 * 3600.0
    robots_error_ttl_s: float = 600.0  # how long a robots.txt 5xx/network failure disallows the host
    robots_max_bytes: int = 500_000
    autothrottle: bool = True  # AutoThrottle-like: delay follows observed latency / target concurrency
    autothrottle_target_concurrency: float = 1.0
    autothrottle_max_delay_s: float = 30.0
    max_wait_s: float = 300.0  # longest Retry-After / rate-limit reset we are willing to wait
    max_connections: int = 100
    seen_ids_cap: int = 2000  # bounded "already seen" id lists kept in cursors
    detect_language: bool = True
    # parse limits per page (crawler.pagelimits): beyond them the page fails with ParseLimitExceeded
    max_items_per_page: int = 10_000  # entries / items / statuses / messages on one page
    max_parse_depth: int = 512  # HTML element nesting (browsers stop nesting at 512 too)
    max_page_elements: int = 100_000  # HTML elements and comments on one page; feeds: twice as many tags
    parse_budget_s: float = 10.0  # CPU seconds for parsing one page (network waits excluded)

    def __post_init__(self) -> None:
        # a list is accepted too; each entry is checked here so a typo fails where the settings are built
        networks = (self.allow_networks,) if isinstance(self.allow_networks, str) else tuple(self.allow_networks)
        object.__setattr__(self, "allow_networks", tuple(str(n) for n in parse_networks(networks)))


@runtime_checkable
class ValidatorStore(Protocol):
    """HTTP validators per URL for conditional requests; implemented by the caller over its database."""

    def get(self, url: str) -> tuple[str | None, str | None] | None: ...

    def put(self, url: str, etag: str | None, last_modified: str | None) -> None: ...


@dataclass
class CrawlPage:
    """Posts plus the source cursor to persist *after* those posts are stored."""

    posts: list[Post]
    cursor: dict[str, Any] | None


@dataclass
class FetchStats:
    """Counters for one Fetcher's lifetime; read by the caller for its crawl-run record."""

    requests: int = 0
    bytes: int = 0
    retries: int = 0
    errors: int = 0
    not_modified: int = 0
    robots_disallowed: int = 0
    dropped: int = 0
    status_counts: dict[int, int] = field(default_factory=dict)

    def count_status(self, status: int) -> None:
        self.status_counts[status] = self.status_counts.get(status, 0) + 1

    def as_dict(self) -> dict[str, Any]:
        return {
            "requests": self.requests,
            "bytes": self.bytes,
            "retries": self.retries,
            "errors": self.errors,
            "not_modified": self.not_modified,
            "robots_disallowed": self.robots_disallowed,
            "dropped": self.dropped,
            "status_counts": dict(self.status_counts),
        }


class MemoryValidatorStore:
    """Dict-backed ValidatorStore for tests, the bench and one-off runs."""

    def __init__(self) -> None:
        self.data: dict[str, tuple[str | None, str | None]] = {}

    def get(self, url: str) -> tuple[str | None, str | None] | None:
        return self.data.get(url)

    def put(self, url: str, etag: str | None, last_modified: str | None) -> None:
        self.data[url] = (etag, last_modified)
