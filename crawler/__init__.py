"""kiemtin crawler: polite fetching of public posts from feeds, sites and open social APIs.

Entry point: :func:`crawl` yields :class:`CrawlPage` objects; see CRAWLER_README.md.
The crawler persists nothing itself: HTTP validators and cursors go through the caller.
"""

from vntext import content_hash, detect_language, hamming, simhash64  # the dedupe helpers, shared with the classifier

from .base import CrawlContext, crawl, crawl_sync
from .errors import (
    AuthRequired,
    BlockedAddress,
    ContentTypeError,
    CrawlError,
    DropPost,
    FetchError,
    HTTPStatusError,
    ParseError,
    ParseLimitExceeded,
    ResponseTooLarge,
    RobotsDisallowed,
    TimeoutExceeded,
    TooManyRedirects,
    UnsupportedSource,
)
from .fetch import Fetcher, FetchResult
from .hoststate import HostStateStore, MemoryHostState, Reservation, RobotsRecord
from .models import (
    CrawlPage,
    CrawlSettings,
    FetchStats,
    MemoryValidatorStore,
    Politeness,
    Post,
    SourceSpec,
    ValidatorStore,
)
from .netguard import check_source_url
from .registry import KNOWN_KINDS, validate_source_options
from .text import canonicalize_url, html_to_text

__all__ = [
    "KNOWN_KINDS",
    "AuthRequired",
    "BlockedAddress",
    "ContentTypeError",
    "CrawlContext",
    "CrawlError",
    "CrawlPage",
    "CrawlSettings",
    "DropPost",
    "FetchError",
    "FetchResult",
    "FetchStats",
    "Fetcher",
    "HTTPStatusError",
    "HostStateStore",
    "MemoryHostState",
    "MemoryValidatorStore",
    "ParseError",
    "ParseLimitExceeded",
    "Politeness",
    "Post",
    "Reservation",
    "ResponseTooLarge",
    "RobotsDisallowed",
    "RobotsRecord",
    "SourceSpec",
    "TimeoutExceeded",
    "TooManyRedirects",
    "UnsupportedSource",
    "ValidatorStore",
    "canonicalize_url",
    "check_source_url",
    "content_hash",
    "crawl",
    "crawl_sync",
    "detect_language",
    "hamming",
    "html_to_text",
    "simhash64",
    "validate_source_options",
]
