"""Adapter registry, per-crawl context, and the ``crawl`` entry point."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator, Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from vntext import detect_language, has_text

from .errors import DropPost, UnsupportedSource
from .fetch import Fetcher, FetchResult
from .models import CrawlPage, CrawlSettings, Post, SourceSpec, ValidatorStore
from .pagelimits import PageBudget
from .text import canonicalize_url

__all__ = ["Adapter", "CrawlContext", "OptionSpec", "check_options", "crawl", "crawl_sync"]


@dataclass(frozen=True)
class OptionSpec:
    """One adapter option: accepted type(s), whether required, and a one-line description."""

    types: type | tuple[type, ...]
    required: bool = False
    help: str = ""
    choices: tuple[Any, ...] | None = None


COMMON_OPTIONS: dict[str, OptionSpec] = {
    "max_pages": OptionSpec(int, help="pages per run (default CrawlSettings.max_pages)"),
}


def check_options(kind: str, options: Mapping[str, Any], schema: Mapping[str, OptionSpec]) -> None:
    """Raise ValueError naming the first unknown, missing or mistyped option."""
    full = {**COMMON_OPTIONS, **schema}
    unknown = sorted(set(options) - set(full))
    if unknown:
        raise ValueError(f"{kind}: unknown option(s) {', '.join(unknown)}; known: {', '.join(sorted(full))}")
    for name, spec in full.items():
        if name not in options or options[name] is None:
            if spec.required:
                raise ValueError(f"{kind}: option {name!r} is required ({spec.help})")
            continue
        value = options[name]
        types = spec.types if isinstance(spec.types, tuple) else (spec.types,)
        if isinstance(value, bool) and bool not in types:
            raise ValueError(f"{kind}: option {name!r} must be {'/'.join(t.__name__ for t in types)}")
        if not isinstance(value, types):
            raise ValueError(
                f"{kind}: option {name!r} must be {'/'.join(t.__name__ for t in types)}, "
                f"got {type(value).__name__}"
            )
        if spec.choices is not None and value not in spec.choices:
            raise ValueError(f"{kind}: option {name!r} must be one of {spec.choices}, got {value!r}")
        if name == "max_pages" and isinstance(value, int) and value < 1:
            raise ValueError(f"{kind}: option 'max_pages' must be >= 1")


@dataclass
class CrawlContext:
    """What an adapter gets for one crawl: the spec, settings, shared fetcher, validators, deadline."""

    spec: SourceSpec
    settings: CrawlSettings
    fetcher: Fetcher
    validators: ValidatorStore | None
    deadline: float
    _pending: list[FetchResult] = field(default_factory=list)

    @property
    def options(self) -> Mapping[str, Any]:
        return self.spec.options

    @property
    def max_pages(self) -> int:
        return int(self.spec.options.get("max_pages") or self.settings.max_pages)

    async def fetch(
        self,
        url: str,
        *,
        expect: str | None,
        conditional: bool = False,
        headers: dict[str, str] | None = None,
    ) -> FetchResult:
        """Fetch with the source's politeness; conditional results are saved later by ``commit``."""
        result = await self.fetcher.get(
            url,
            expect=expect,
            conditional=conditional,
            validators=self.validators if conditional else None,
            politeness=self.spec.politeness,
            headers=headers,
            deadline=self.deadline,
        )
        if conditional:
            self._pending.append(result)
        return result

    def page(self, url: str) -> PageBudget:
        """The parse limits for one page at ``url``; its CPU budget starts now (crawler.pagelimits)."""
        left = self.deadline - asyncio.get_running_loop().time()
        return PageBudget(self.settings, url=url, deadline=time.monotonic() + left, stats=self.fetcher.stats)

    def commit(self) -> None:
        """Save validators of conditional fetches; adapters call it after yielding the page."""
        for res in self._pending:
            res.save_validators(self.validators)
        self._pending.clear()

    def dropped(self, exc: DropPost) -> None:
        self.fetcher.stats.dropped += 1

    def post(
        self,
        *,
        external_id: str,
        url: str,
        text: str,
        author_handle: str | None = None,
        published_at: datetime | None = None,
        title: str | None = None,
        language: str | None = None,
        extra: Mapping[str, str] | None = None,
        **counts: int | None,
    ) -> Post:
        """Build a Post: canonicalises the URL, detects language; DropPost if there is nothing to read.

        Text and title are kept exactly as extracted (outer whitespace trimmed): they are the evidence a
        reviewer's decision rests on. Only a normalised copy (``vntext``) decides whether they are empty.
        """
        text = text.strip()
        title = (title or "").strip() or None
        if not has_text(text):  # bool(normalize_text(text)), without building it
            text = title if title and has_text(title) else ""
        if not text:
            raise DropPost(f"no text in item {external_id}")
        if not external_id:
            raise DropPost("item has no stable id")
        lang = detect_language(text) if self.settings.detect_language else "und"
        if lang == "und" and language:
            lang = language.split("-")[0].lower()
        return Post(
            platform=self.spec.kind,
            external_id=external_id,
            url=url,
            canonical_url=canonicalize_url(url) if url else "",
            text=text,
            author_handle=author_handle or None,
            published_at=published_at,
            language=lang,
            title=title,
            extra=dict(extra or {}),
            **counts,
        )


@dataclass(frozen=True)
class Adapter:
    """A source kind: option validation plus the async page generator."""

    kind: str
    options: Mapping[str, OptionSpec]
    run: Callable[[CrawlContext, dict[str, Any] | None], AsyncIterator[CrawlPage]]
    extra_check: Callable[[Mapping[str, Any]], None] | None = None

    def validate(self, options: Mapping[str, Any]) -> None:
        check_options(self.kind, options, self.options)
        if self.extra_check is not None:
            self.extra_check(options)


def _registry() -> dict[str, Adapter]:
    from .registry import KNOWN_KINDS

    return KNOWN_KINDS


async def crawl(
    spec: SourceSpec,
    *,
    settings: CrawlSettings,
    cursor: dict[str, Any] | None,
    validators: ValidatorStore | None,
    fetcher: Fetcher | None = None,
) -> AsyncIterator[CrawlPage]:
    """Yield CrawlPages in order; store each page's posts, then persist ``page.cursor``.

    A 304 (feed unchanged) yields nothing. Restarting with the last saved cursor after a kill
    loses and duplicates nothing. Raises :mod:`crawler.errors` exceptions.
    """
    adapter = _registry().get(spec.kind)
    if adapter is None:
        raise UnsupportedSource(f"unknown source kind {spec.kind!r}", url=spec.url)
    try:
        adapter.validate(spec.options)
    except ValueError as exc:
        raise UnsupportedSource(str(exc), url=spec.url) from None
    own = fetcher is None
    f = fetcher if fetcher is not None else Fetcher(settings)
    ctx = CrawlContext(
        spec, settings, f, validators, asyncio.get_running_loop().time() + settings.max_total_s
    )
    gen = adapter.run(ctx, dict(cursor) if cursor else None)
    try:
        async for page in gen:
            yield page
    finally:
        with contextlib.suppress(Exception):
            await gen.aclose()  # type: ignore[attr-defined]
        if own:
            await f.aclose()


def crawl_sync(
    spec: SourceSpec,
    *,
    settings: CrawlSettings,
    cursor: dict[str, Any] | None,
    validators: ValidatorStore | None,
    on_page: Callable[[CrawlPage], None] | None = None,
) -> list[CrawlPage]:
    """Blocking wrapper for scheduler threads. ``on_page`` (store posts, then cursor) runs per page;
    prefer it over the returned list so a crash mid-run keeps what was stored."""

    async def _run() -> list[CrawlPage]:
        pages: list[CrawlPage] = []
        async with Fetcher(settings) as f:
            async for page in crawl(spec, settings=settings, cursor=cursor, validators=validators, fetcher=f):
                if on_page is not None:
                    on_page(page)
                pages.append(page)
        return pages

    return asyncio.run(_run())
