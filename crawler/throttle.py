"""AutoThrottle with Scrapy's semantics (``scrapy/extensions/throttle.py``).

After each response the host's delay moves toward ``latency / autothrottle_target_concurrency``:
``new = max(target, (old + target) / 2)``, clamped to [minimum delay, ``autothrottle_max_delay_s``]. A
response other than 200 may raise the delay but never lowers it, so errors never make the crawler faster.
"""

from __future__ import annotations

from .models import CrawlSettings

__all__ = ["AutoThrottle"]


class AutoThrottle:
    """``next_delay`` gives the host's new delay, or None to keep the stored one."""

    def __init__(self, settings: CrawlSettings) -> None:
        self.target_concurrency = max(settings.autothrottle_target_concurrency, 0.01)
        self.max_delay = settings.autothrottle_max_delay_s

    def next_delay(self, old: float | None, *, latency: float, status: int, min_delay: float) -> float | None:
        target = latency / self.target_concurrency
        previous = old if old is not None else min_delay
        new = min(max(min_delay, max(target, (previous + target) / 2.0)), self.max_delay)
        if status != 200 and new <= previous:
            return None  # errors must never make us faster
        return new
