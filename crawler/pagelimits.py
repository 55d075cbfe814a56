"""Parse limits for untrusted pages: a hostile or broken page ends in ParseLimitExceeded within seconds, without
deep recursion and without building a huge tree.

Per page (``CrawlSettings``):

* ``max_items_per_page``: entries, items, statuses or messages on one page (a sitemap file may hold
  :data:`SITEMAP_MAX_URLS`, the sitemaps.org limit). Feeds are counted before feedparser reads them, CSS
  selections stop one item past the cap.
* ``max_parse_depth`` and ``max_page_elements``: HTML goes through a tree builder that counts the elements
  (and comments) lxml reports and their nesting, and stops the parse as soon as one passes its cap, so the
  tree is never built beyond it. A feed with more than twice ``max_page_elements`` tags (escaped ones too:
  feedparser parses those as HTML) is refused before parsing. XML sitemaps are read incrementally and
  libxml2 keeps its own depth limit (``huge_tree`` off); JSON nested too deep is refused (FetchResult.json).
* ``parse_budget_s``: CPU seconds this thread spends on the page, checked every 1024 elements while the
  tree is built and between items. Network waits are not counted: adapters pause the budget around them.
* The source's ``max_total_s`` (wall clock) is checked at the same points, so CPU-bound work cannot run
  past it either.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator, Sized
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from bs4 import BeautifulSoup, Tag
from bs4.builder._lxml import LXMLTreeBuilder

from .errors import ParseLimitExceeded, source_time_up

if TYPE_CHECKING:
    from .models import CrawlSettings, FetchStats

__all__ = ["SITEMAP_MAX_URLS", "PageBudget"]

SITEMAP_MAX_URLS = 50_000  # per sitemap file (sitemaps.org protocol)
_CHECK_EVERY = 1024  # elements between two clock checks while a tree is built


class PageBudget:
    """The limits for parsing one page (see the module docstring); ``check`` between items."""

    def __init__(
        self,
        settings: CrawlSettings,
        *,
        url: str,
        deadline: float | None = None,
        stats: FetchStats | None = None,
    ) -> None:
        """``deadline``: the source's end in ``time.monotonic()`` seconds; ``stats`` counts the refusals."""
        self.url = url
        self.max_items = settings.max_items_per_page
        self.max_depth = settings.max_parse_depth
        self.max_elements = settings.max_page_elements
        self.budget_s = settings.parse_budget_s
        self._deadline = deadline
        self._stats = stats
        self._spent = 0.0
        self._since: float | None = time.thread_time()

    # -- time -------------------------------------------------------------------------------------------------
    def spent(self) -> float:
        """CPU seconds spent on this page so far (outside :meth:`paused` blocks)."""
        running = time.thread_time() - self._since if self._since is not None else 0.0
        return self._spent + running

    def check(self) -> None:
        """ParseLimitExceeded past ``parse_budget_s``; TimeoutExceeded past the source's ``max_total_s``."""
        if self.spent() > self.budget_s:
            raise self.refuse(f"parsing took more than parse_budget_s={self.budget_s:g}s of CPU time; "
                              "the page is too big or too complex")
        if self._deadline is not None and time.monotonic() >= self._deadline:
            if self._stats is not None:
                self._stats.errors += 1
            raise source_time_up(self.url)

    @contextmanager
    def paused(self) -> Iterator[None]:
        """Around awaits (fetching an article page): other work on this thread is not this page's."""
        if self._since is None:
            yield
            return
        self._spent += time.thread_time() - self._since
        self._since = None
        try:
            yield
        finally:
            self._since = time.thread_time()

    # -- counts -----------------------------------------------------------------------------------------------
    def refuse(self, message: str) -> ParseLimitExceeded:
        """The error for a limit this page passed (counted in ``FetchStats.errors``)."""
        if self._stats is not None:
            self._stats.errors += 1
        return ParseLimitExceeded(message, url=self.url)

    def items(self, items: Sized, what: str) -> None:
        """Refuse a page with more than ``max_items_per_page`` ``what``."""
        if len(items) > self.max_items:
            raise self.refuse(f"more than max_items_per_page={self.max_items} {what} on one page")

    def select(self, node: Tag, css: str, what: str) -> list[Tag]:
        """``node.select(css)``, refused when it matches more than ``max_items_per_page`` (it stops one past)."""
        found = node.select(css, limit=self.max_items + 1)
        self.items(found, what)
        return list(found)

    def count_tags(self, text: str, pattern: re.Pattern[str], what: str) -> None:
        """Refuse ``text`` when ``pattern`` (an item's start tag) occurs more than ``max_items_per_page`` times;
        scanning stops one past the cap."""
        for n, _ in enumerate(pattern.finditer(text), start=1):
            if n > self.max_items:
                raise self.refuse(f"more than max_items_per_page={self.max_items} {what} on one page")

    def check_markup(self, text: str, what: str) -> None:
        """Refuse markup with more than twice ``max_page_elements`` tags, escaped ones included (an upper
        bound: every ``<``, ``&lt;`` and numeric character reference counts)."""
        cap = 2 * self.max_elements
        tags = text.count("<") + text.count("&lt;") + text.count("&LT;") + text.count("&#")
        if tags > cap:
            raise self.refuse(f"{what} has more than {cap} tags (2 x max_page_elements)")

    # -- HTML ---------------------------------------------------------------------------------------------------
    def soup(self, markup: str) -> BeautifulSoup:
        """BeautifulSoup (lxml) that stops at ``max_page_elements``, ``max_parse_depth`` or the time limits."""
        return BeautifulSoup(markup, builder=_BoundedBuilder(self))


class _BoundedBuilder(LXMLTreeBuilder):
    """bs4's lxml HTML builder, counting what lxml reports; raising in a callback stops lxml's parse."""

    def __init__(self, page: PageBudget) -> None:
        super().__init__()
        self._page = page
        self._depth = 0
        self._nodes = 0

    def feed(self, markup: Any) -> None:
        self._depth = self._nodes = 0  # bs4 may feed a second encoding after a rejected first try
        super().feed(markup)

    def _count(self) -> None:
        self._nodes += 1
        if self._nodes > self._page.max_elements:
            raise self._page.refuse(
                f"more than max_page_elements={self._page.max_elements} HTML elements; parsing stopped there"
            )
        if self._nodes % _CHECK_EVERY == 0:
            self._page.check()

    def start(self, tag: Any, attrib: Any, nsmap: Any = None) -> None:
        self._depth += 1
        self._count()
        if self._depth > self._page.max_depth:
            raise self._page.refuse(
                f"HTML nested deeper than max_parse_depth={self._page.max_depth}; parsing stopped there"
            )
        super().start(tag, attrib, nsmap or {})

    def end(self, tag: Any) -> None:
        self._depth -= 1
        super().end(tag)

    def comment(self, text: Any) -> None:
        self._count()
        super().comment(text)

    def pi(self, target: str, data: str) -> None:
        self._count()
        super().pi(target, data)
