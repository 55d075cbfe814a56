"""Which failures are retried, how long to wait, and what rate-limit headers ask for (like Scrapy's
``downloadermiddlewares/retry.py``).

Only 429, 5xx, timeouts and connection errors are retried, at most ``max_retries`` times. The wait is the
response's ``Retry-After`` (seconds or HTTP date), or for a 429 without one the rate-limit reset time; that
wait pauses the whole host. Otherwise exponential backoff with jitter: ``backoff_base_s * 2**(n-1)``, capped
at ``backoff_max_s``, times 50-100 %. A wait longer than ``max_wait_s`` fails at once. ``RateLimit-*`` /
``X-RateLimit-*`` headers with remaining 0 pause the host until the reset, on any response.
"""

from __future__ import annotations

import math
import random
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

import httpx

from .errors import CrawlError, HTTPStatusError
from .models import CrawlSettings

__all__ = ["RetryPolicy", "parse_wait", "rate_limit_pause", "rate_limit_reset"]


def parse_wait(value: str | None, *, now: float) -> float | None:
    """Seconds to wait from a Retry-After / RateLimit-Reset value (delta, epoch, HTTP or ISO date).

    None for a value that is none of these (also negative, NaN or infinite numbers), so the caller
    falls back to its backoff; a date or epoch already past gives 0. Not clamped: callers compare
    the result with ``max_wait_s``.
    """
    if not value:
        return None
    value = value.strip()
    try:
        num = float(value)
        if not math.isfinite(num) or num < 0:
            return None
    except ValueError:
        try:
            dt = parsedate_to_datetime(value)
        except (TypeError, ValueError, IndexError):
            try:
                dt = datetime.fromisoformat(value.replace("Z", "+00:00"))
            except ValueError:
                return None
        if dt.tzinfo is None:
            dt = dt.replace(tzinfo=UTC)
        return max(0.0, dt.timestamp() - now)
    if num > 1_000_000_000:  # epoch seconds (GitHub/Bluesky style)
        return max(0.0, num - now)
    return max(0.0, num)


def rate_limit_pause(headers: httpx.Headers, now: float) -> float | None:
    """Seconds to pause the host when ``(X-)RateLimit-Remaining`` is 0: until the reset, or 1 s."""
    for prefix in ("x-ratelimit-", "ratelimit-"):
        remaining = headers.get(prefix + "remaining")
        if remaining is not None and remaining.strip().split(",")[0].strip() in ("0", "0.0"):
            return parse_wait(headers.get(prefix + "reset"), now=now) or 1.0
    return None


def rate_limit_reset(headers: httpx.Headers, now: float) -> float | None:
    """Seconds until ``RateLimit-Reset`` / ``X-RateLimit-Reset``, whatever ``Remaining`` says."""
    for name in ("ratelimit-reset", "x-ratelimit-reset"):
        wait = parse_wait(headers.get(name), now=now)
        if wait is not None:
            return wait
    return None


class RetryPolicy:
    """The retry decisions for one Fetcher's settings."""

    def __init__(self, settings: CrawlSettings) -> None:
        self.max_retries = settings.max_retries
        self.backoff_base_s = settings.backoff_base_s
        self.backoff_max_s = settings.backoff_max_s
        self.max_wait_s = settings.max_wait_s

    def judge(
        self, status: int, headers: httpx.Headers, *, url: str, now: float
    ) -> tuple[CrawlError | None, float | None]:
        """(None, None) for a usable response; (failure, host-wide wait or None) for one worth retrying.

        Raises HTTPStatusError for a status that is never retried, or one that asks for a wait longer than
        ``max_wait_s``.
        """
        if status == 429 or status >= 500:
            wait = parse_wait(headers.get("retry-after"), now=now)
            if wait is None and status == 429:  # a 429 says the quota is spent: wait for the reset
                wait = rate_limit_reset(headers, now)
            if wait is not None and wait > self.max_wait_s:
                raise HTTPStatusError(
                    f"HTTP {status} asks to wait {wait:.0f}s (Retry-After or rate-limit reset), "
                    f"longer than max_wait_s={self.max_wait_s:g}",
                    url=url,
                    status=status,
                )
            kind = " (rate limited)" if status == 429 else " (server error)"
            return HTTPStatusError(f"HTTP {status}{kind}", url=url, status=status), wait
        if status >= 400:
            raise HTTPStatusError(f"HTTP {status}", url=url, status=status)
        return None, None

    def give_up(self, failure: CrawlError, retries_done: int) -> bool:
        """True when no retry is left; the failure's message then says how many were made."""
        if retries_done < self.max_retries:
            return False
        if retries_done:
            failure.message += f" (gave up after {retries_done} retries)"
        return True

    def backoff(self, retry: int) -> float:
        """Seconds before retry number ``retry`` (1-based) when the server named no wait."""
        return min(self.backoff_max_s, self.backoff_base_s * 2 ** (retry - 1)) * random.uniform(0.5, 1.0)
