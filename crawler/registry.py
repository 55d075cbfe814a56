"""``KNOWN_KINDS``: source kind -> adapter, and config-time option validation."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from . import bluesky, forum, mastodon, rss, sitemap, telegram, web
from .base import Adapter

__all__ = ["KNOWN_KINDS", "validate_source_options"]

KNOWN_KINDS: dict[str, Adapter] = {
    a.kind: a
    for a in (
        rss.ADAPTER,
        sitemap.ADAPTER,
        web.ADAPTER,
        mastodon.ADAPTER,
        bluesky.ADAPTER,
        telegram.ADAPTER,
        forum.ADAPTER,
    )
}


def validate_source_options(kind: str, options: Mapping[str, Any]) -> None:
    """Raise ValueError with a clear message if ``kind`` is unknown or ``options`` are unusable."""
    adapter = KNOWN_KINDS.get(kind)
    if adapter is None:
        raise ValueError(f"unknown source kind {kind!r}; known kinds: {', '.join(sorted(KNOWN_KINDS))}")
    adapter.validate(options)
