"""XML sitemaps (sitemaps.org), sitemap indexes and Google News sitemaps.

A news sitemap gives title, publication date and language per URL; a plain sitemap gives only
``loc``/``lastmod``, so use ``fetch_articles`` to take each page's main text (bounded by
``max_articles``). Cursor: ``{"seen": [canonical locs], "children": {sitemap_url: lastmod}}``;
child sitemaps whose ``lastmod`` did not change since the last run are skipped.

Sitemaps may be gzip files (``.xml.gz``); they are inflated here, never past ``max_bytes``. A child
sitemap that fails (corrupt gzip, malformed XML, HTTP error, too large) does not stop the others: its
posts are retried next run (its ``lastmod`` is not recorded, the index's validators are not saved),
the other children's pages are yielded, then the first failure is raised.
"""

from __future__ import annotations

import gzip
import io
import zlib
from collections.abc import AsyncIterator
from typing import Any

from lxml import etree

from .base import Adapter, CrawlContext, OptionSpec
from .errors import CrawlError, DropPost, ParseError, ParseLimitExceeded, ResponseTooLarge, TimeoutExceeded
from .models import CrawlPage, Post
from .pagelimits import SITEMAP_MAX_URLS, PageBudget
from .text import canonicalize_url, parse_datetime
from .web import article_text

__all__ = ["ADAPTER", "parse_sitemap"]

OPTIONS = {
    "fetch_articles": OptionSpec(
        bool, help="fetch each URL and use its main text (default: news title only)"
    ),
    "max_articles": OptionSpec(int, help="article pages fetched per run when fetch_articles (default 50)"),
    "article": OptionSpec(str, help="CSS for the article body (default: heuristic)"),
}
NS = {
    "sm": "http://www.sitemaps.org/schemas/sitemap/0.9",
    "news": "http://www.google.com/schemas/sitemap-news/0.9",
}


def _entry(el: Any) -> dict[str, str] | None:
    """loc, lastmod and the Google News fields of one ``<url>`` / ``<sitemap>`` element (None without loc)."""

    def first(path: str) -> str:
        found = el.find(path, NS)
        return (found.text or "").strip() if found is not None and found.text else ""

    loc = first("sm:loc") or first("loc")
    if not loc:
        return None
    return {
        "loc": loc,
        "lastmod": first("sm:lastmod") or first("lastmod"),
        "title": first("news:news/news:title"),
        "date": first("news:news/news:publication_date"),
        "language": first("news:news/news:publication/news:language"),
        "publication": first("news:news/news:publication/news:name"),
    }


def parse_sitemap(
    body: bytes, *, url: str, max_bytes: int, page: PageBudget | None = None
) -> tuple[str, list[dict[str, str]]]:
    """Returns ("index"|"urlset", entries) where entries hold loc, lastmod, title, date, language.

    Read incrementally: each top-level element is dropped once read, so memory follows one entry, not the
    file. libxml2's depth limit holds (huge_tree off); more than SITEMAP_MAX_URLS entries is refused, and
    with ``page`` its clock is checked as the file is read.
    """
    if body[:2] == b"\x1f\x8b":
        try:
            with gzip.GzipFile(fileobj=io.BytesIO(body)) as gz:
                body = gz.read(max_bytes + 1)  # inflates at most max_bytes + 1 bytes
        except (OSError, EOFError, zlib.error) as exc:  # BadGzipFile is an OSError; EOFError: truncated
            raise ParseError(f"corrupt gzip sitemap: {exc}", url=url) from None
        if len(body) > max_bytes:
            raise ResponseTooLarge(f"gunzipped sitemap exceeds max_bytes={max_bytes}", url=url)
    events = etree.iterparse(io.BytesIO(body), events=("start", "end"), resolve_entities=False, no_network=True,
                             huge_tree=False, recover=False)
    root: Any = None
    child = ""
    entries: list[dict[str, str]] = []
    try:
        for n, (event, el) in enumerate(events):
            if root is None:  # the first start event: the root element
                root, tag = el, etree.QName(el).localname
                if tag not in ("urlset", "sitemapindex"):
                    raise ParseError(f"not a sitemap (root element <{tag}>)", url=url)
                child = "sitemap" if tag == "sitemapindex" else "url"
                continue
            if event != "end":
                continue
            if page is not None and n % 1024 == 0:
                page.check()
            if el.tag in (f"{{{NS['sm']}}}{child}", child) and (entry := _entry(el)) is not None:
                entries.append(entry)
                if len(entries) > SITEMAP_MAX_URLS:
                    message = f"more than {SITEMAP_MAX_URLS} entries in one sitemap file (the protocol's limit)"
                    raise page.refuse(message) if page is not None else ParseLimitExceeded(message, url=url)
            if el.getparent() is root:  # read: drop it and what came before
                el.clear()
                while el.getprevious() is not None:
                    del root[0]
    except etree.XMLSyntaxError as exc:
        if "Excessive depth" in str(exc):
            message = f"sitemap XML nested deeper than libxml2 allows without huge_tree ({exc})"
            raise page.refuse(message) if page is not None else ParseLimitExceeded(message, url=url) from None
        raise ParseError(f"malformed sitemap XML: {exc}", url=url) from None
    if root is None:
        raise ParseError("malformed sitemap XML: no root element", url=url)
    return ("index" if child == "sitemap" else "urlset"), entries


async def run(ctx: CrawlContext, cursor: dict[str, Any] | None) -> AsyncIterator[CrawlPage]:
    seen: list[str] = list((cursor or {}).get("seen", []))
    seen_set = set(seen)
    children: dict[str, str] = dict((cursor or {}).get("children", {}))
    articles_left = int(ctx.options.get("max_articles", 50))
    root = await ctx.fetch(ctx.spec.url, expect="sitemap", conditional=True)
    if root.not_modified:
        return
    root_page = ctx.page(root.url)
    kind, entries = parse_sitemap(root.content, url=root.url, max_bytes=ctx.settings.max_bytes, page=root_page)
    if kind == "index":
        todo = [
            (e["loc"], e["lastmod"])
            for e in entries
            if not e["lastmod"] or children.get(e["loc"]) != e["lastmod"]
        ]
        todo = todo[: ctx.max_pages]
    else:
        todo = [(ctx.spec.url, "")]

    async def entries_of(sm_url: str) -> tuple[list[dict[str, str]], PageBudget]:
        if sm_url == ctx.spec.url and kind == "urlset":
            return entries, root_page
        res = await ctx.fetch(sm_url, expect="sitemap")
        page = ctx.page(res.url)
        sub_kind, sub = parse_sitemap(res.content, url=res.url, max_bytes=ctx.settings.max_bytes, page=page)
        if sub_kind != "urlset":
            raise ParseError("nested sitemap indexes are not followed", url=sm_url)
        return sub, page

    failures: list[CrawlError] = []
    for sm_url, lastmod in todo:
        posts: list[Post] = []
        try:
            sm_entries, page = await entries_of(sm_url)
        except TimeoutExceeded:
            raise  # the source's time is up (or the host hangs): the other children would fail too
        except CrawlError as exc:
            if sm_url == ctx.spec.url:
                raise
            failures.append(exc)  # this child only: the others still go through
            continue
        new_ids: list[str] = []
        for e in sm_entries:
            page.check()
            cid = canonicalize_url(e["loc"])
            if cid in seen_set:
                continue
            try:
                text = e["title"]
                if ctx.options.get("fetch_articles") and articles_left > 0:
                    articles_left -= 1
                    with page.paused():  # the article page has its own budget
                        text = await article_text(ctx, e["loc"], ctx.options.get("article")) or text
                if not text:
                    raise DropPost("sitemap entry without news:title (enable fetch_articles)")
                post = ctx.post(
                    external_id=cid,
                    url=e["loc"],
                    text=text,
                    title=e["title"] or None,
                    published_at=parse_datetime(e["date"] or e["lastmod"]),
                    language=e["language"] or None,
                    author_handle=e["publication"] or None,
                    extra={"lastmod": e["lastmod"]} if e["lastmod"] else {},
                )
            except DropPost as exc:
                ctx.dropped(exc)
                continue
            seen_set.add(cid)
            new_ids.append(cid)
            posts.append(post)
        if lastmod:
            children[sm_url] = lastmod
        seen = (new_ids[::-1] + seen)[: ctx.settings.seen_ids_cap]
        yield CrawlPage(posts, {"seen": list(seen), "children": dict(children)})
    if failures:
        # no ctx.commit(): with the index's ETag saved, a 304 would hide the failed children until it changes
        first = failures[0]
        if len(failures) > 1:
            first.message += f" (and {len(failures) - 1} more child sitemaps failed)"
        raise first
    ctx.commit()


ADAPTER = Adapter("sitemap", OPTIONS, run)
