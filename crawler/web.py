"""Generic HTML listings driven by CSS selectors, plus main-text extraction for article pages.

Options: ``item`` (required), ``text``, ``link``, ``time``, ``author``, ``title``, ``next``
(next-page link, default ``a[rel=next]``), ``max_pages``, ``extract_article`` (follow each
item's link and take the page's main text). Cursor: ``{"seen": [ids], "resume": url|None}`` --
ids are canonical item links; ``resume`` is the next listing page of an interrupted run (or one
cut by ``max_pages``), walked first on the following run; a fresh walk stops at the first page
holding an already-seen item. The first run ever stops at ``max_pages`` without backfilling.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from typing import Any
from urllib.parse import urljoin

from bs4 import BeautifulSoup, Tag
from soupsieve import SelectorSyntaxError

from .base import Adapter, CrawlContext, OptionSpec
from .errors import DropPost, ParseError
from .models import CrawlPage, Post
from .pagelimits import PageBudget
from .text import canonicalize_url, html_to_text, parse_datetime

__all__ = ["ADAPTER", "article_text", "extract_main_text"]

OPTIONS = {
    "item": OptionSpec(str, required=True, help="CSS selector for one post/item in the listing"),
    "text": OptionSpec(str, help="CSS inside the item for its text (default: the whole item)"),
    "link": OptionSpec(str, help="CSS inside the item for its link (default: first a[href])"),
    "time": OptionSpec(str, help="CSS inside the item for its time (datetime attr or text)"),
    "author": OptionSpec(str, help="CSS inside the item for the author as shown"),
    "title": OptionSpec(str, help="CSS inside the item for its title"),
    "next": OptionSpec(str, help="CSS for the next-page link (default a[rel=next])"),
    "extract_article": OptionSpec(bool, help="fetch each item's link and use the page's main text"),
    "article": OptionSpec(str, help="CSS for the article body on article pages (default: heuristic)"),
}


def _check(options: Mapping[str, Any]) -> None:
    soup = BeautifulSoup("<p></p>", "lxml")
    for key in ("item", "text", "link", "time", "author", "title", "next", "article"):
        if options.get(key):
            try:
                soup.select(str(options[key]))
            except SelectorSyntaxError as exc:
                raise ValueError(f"web: option {key!r} is not a valid CSS selector: {exc}") from None


_BOILERPLATE = [
    "script",
    "style",
    "noscript",
    "nav",
    "header",
    "footer",
    "aside",
    "form",
    "iframe",
    "template",
]


def extract_main_text(html: str, selector: str | None = None, *, page: PageBudget | None = None) -> str:
    """Main text of an article page: ``selector`` if given, else ``<article>``/articleBody/``<main>``,
    else the block whose direct ``<p>`` children hold the most text. With ``page``, under its limits."""
    soup = page.soup(html) if page is not None else BeautifulSoup(html, "lxml")
    for bad in soup(_BOILERPLATE):
        bad.decompose()
    node: Tag | None = None
    if selector:
        node = soup.select_one(selector)
    if node is None:
        node = soup.select_one("[itemprop=articleBody], article, main")
    if node is None:
        best, best_len = None, 0
        for block in soup.find_all(["div", "section", "td"]):
            if page is not None:
                page.check()
            n = sum(len(p.get_text(" ", strip=True)) for p in block.find_all("p", recursive=False))
            if n > best_len:
                best, best_len = block, n
        node = best or soup.body or soup
    return html_to_text(str(node))


async def article_text(ctx: CrawlContext, url: str, selector: str | None) -> str:
    """Fetch an article page and take its main text, under that page's own parse limits."""
    art = await ctx.fetch(url, expect="html")
    return extract_main_text(art.text, selector, page=ctx.page(art.url))


def _text_of(el: Tag | None) -> str:
    return el.get_text(" ", strip=True) if el is not None else ""


async def run(ctx: CrawlContext, cursor: dict[str, Any] | None) -> AsyncIterator[CrawlPage]:
    o = ctx.options
    seen: list[str] = list((cursor or {}).get("seen", []))
    seen_set = set(seen)
    budget = ctx.max_pages

    async def page_posts(url: str) -> tuple[list[Post], list[str], str | None]:
        res = await ctx.fetch(url, expect="html")
        page = ctx.page(res.url)
        soup = page.soup(res.text)
        if soup.find() is None or soup.body is None:
            raise ParseError("response is not an HTML document", url=res.url)
        items = page.select(soup, str(o["item"]), "items")
        posts: list[Post] = []
        ids: list[str] = []
        for item in items:
            page.check()
            try:
                post = await _item_to_post(ctx, item, res.url, page)
            except DropPost as exc:
                ctx.dropped(exc)
                continue
            ids.append(post.external_id)
            if post.external_id not in seen_set:
                posts.append(post)
        nxt_el = soup.select_one(str(o.get("next") or "a[rel=next]"))
        nxt = urljoin(res.url, str(nxt_el["href"])) if nxt_el is not None and nxt_el.get("href") else None
        return posts, ids, nxt

    first_ever = cursor is None

    async def walk(url: str | None, *, stop_on_seen: bool) -> AsyncIterator[CrawlPage]:
        nonlocal seen, budget
        while url is not None and budget > 0:
            posts, ids, nxt = await page_posts(url)
            budget -= 1
            hit_seen = any(i in seen_set for i in ids)
            new_ids = [p.external_id for p in posts]
            seen = (new_ids + seen)[: ctx.settings.seen_ids_cap]
            seen_set.update(new_ids)
            done = nxt is None or (stop_on_seen and hit_seen) or (not stop_on_seen and not posts)
            if budget == 0 and first_ever:
                done = True  # the first run ever does not backfill beyond max_pages
            yield CrawlPage(posts, {"seen": seen, "resume": None if done else nxt})
            if done:
                return
            url = nxt

    resume = (cursor or {}).get("resume")
    if resume:
        async for page in walk(resume, stop_on_seen=False):
            yield page
    async for page in walk(ctx.spec.url, stop_on_seen=True):
        yield page


async def _item_to_post(ctx: CrawlContext, item: Tag, page_url: str, page: PageBudget) -> Post:
    o = ctx.options
    link_el = item.select_one(str(o["link"])) if o.get("link") else item.select_one("a[href]")
    if link_el is not None and link_el.name != "a":
        link_el = link_el.select_one("a[href]") or link_el
    href = link_el.get("href") if link_el is not None else None
    if not href:
        raise DropPost("item has no link")
    url = urljoin(page_url, str(href))
    text_el = item.select_one(str(o["text"])) if o.get("text") else item
    text = html_to_text(str(text_el)) if text_el is not None else ""
    title = _text_of(item.select_one(str(o["title"]))) if o.get("title") else None
    time_el = item.select_one(str(o["time"])) if o.get("time") else item.select_one("time[datetime]")
    published = None
    if time_el is not None:
        published = parse_datetime(str(time_el.get("datetime") or time_el.get("title") or _text_of(time_el)))
    if o.get("extract_article"):
        with page.paused():  # the article page has its own budget
            text = await article_text(ctx, url, str(o["article"]) if o.get("article") else None) or text
    author = _text_of(item.select_one(str(o["author"]))) if o.get("author") else None
    return ctx.post(
        external_id=canonicalize_url(url),
        url=url,
        text=text,
        title=title,
        author_handle=author or None,
        published_at=published,
    )


ADAPTER = Adapter("web", OPTIONS, run, _check)
