"""Read pages and store them in order, one store at a time, the reading going on while a store runs.

Pages that arrive while a store runs are stored together by the next one: a source whose pages come faster than
they are stored (a paged API read back to back) pays one transaction for many pages, and a slow, polite source
still has each page stored as soon as it arrives.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterable, Awaitable, Callable, Sequence
from typing import TypeVar

from crawler import CrawlPage

__all__ = ["merge_pages", "store_while_reading"]

T = TypeVar("T")


async def store_while_reading(pages: AsyncIterable[T], store: Callable[[list[T]], Awaitable[None]], *,
                              full: Callable[[Sequence[T]], bool]) -> None:
    """Read ``pages`` in a task of its own and ``store`` them in order: each store takes every page read since
    the last one began. Reading pauses while the pages waiting are ``full``, so memory stays bounded.

    A reading error comes out after every page read before it is stored; a store error stops the reading and
    comes out at once (the pages after it are not stored: their cursor was never saved)."""
    waiting: list[T] = []
    changed = asyncio.Condition()
    finished = False

    async def read() -> None:
        nonlocal finished
        try:
            async for page in pages:
                async with changed:
                    await changed.wait_for(lambda: not full(waiting))
                    waiting.append(page)
                    changed.notify_all()
        finally:
            finished = True
            async with changed:
                changed.notify_all()

    reader = asyncio.create_task(read())
    try:
        while True:
            async with changed:
                await changed.wait_for(lambda: bool(waiting) or finished)
                batch = waiting[:]
                waiting.clear()
                changed.notify_all()
            if not batch:
                break
            await store(batch)
        await reader  # raises what stopped the reading, once everything read is stored
    finally:
        if not reader.done():
            reader.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await reader


def merge_pages(pages: Sequence[CrawlPage]) -> CrawlPage:
    """One page of the pages' posts in order, with the last cursor any of them carries (each page's cursor is the
    one to keep once it and the pages before it are stored)."""
    if len(pages) == 1:
        return pages[0]
    cursors = [page.cursor for page in pages if page.cursor is not None]
    return CrawlPage([post for page in pages for post in page.posts], cursors[-1] if cursors else None)
