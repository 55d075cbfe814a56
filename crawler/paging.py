"""Kill-safe incremental paging for newest-first sources with ordered keys (ids or timestamps).

Cursor shape (JSON-safe)::

    {"done_upto": KEY | None,                  # everything newer than the previous floor up to here is stored
     "run": {"top": KEY, "next": POSITION, "floor": KEY | None} | None}   # an unfinished backward walk

A run walks pages newest -> oldest until it meets ``done_upto`` (the floor). Each yielded page
carries the cursor that is correct if the process dies right after storing it: an unfinished
walk is resumed first on the next run, then a fresh walk from the top stops at the new floor.
The first run ever (no cursor) stops after ``max_pages`` and declares that the floor.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

from .models import CrawlPage, Post

__all__ = ["backward_walk"]

Key = Any  # int or ISO-8601 string; compared with < and <=
FetchPage = Callable[[Any], Awaitable[tuple[list[tuple[Key, Post | None]], Any]]]


async def backward_walk(
    cursor: dict[str, Any] | None, first: Any, fetch_page: FetchPage, *, max_pages: int
) -> AsyncIterator[CrawlPage]:
    """Yield CrawlPages.

    ``fetch_page(position) -> ([(key, post or None for a dropped item), ...], next position | None)``.
    """
    cursor = cursor or {}
    done = cursor.get("done_upto")
    run = cursor.get("run")
    budget = [max_pages]

    async def walk(
        position: Any, floor: Key | None, top: Key | None
    ) -> AsyncIterator[tuple[CrawlPage, bool]]:
        first_ever = floor is None
        while position is not None and budget[0] > 0:
            items, nxt = await fetch_page(position)
            budget[0] -= 1
            keys = [k for k, _ in items]
            if top is None and keys:
                top = max(keys)
            posts = [p for k, p in items if p is not None and (floor is None or k > floor)]
            reached = (
                nxt is None
                or not items
                or (floor is not None and any(k <= floor for k in keys))
                or (first_ever and budget[0] == 0)
            )
            if top is None:  # nothing at all, nothing to remember
                return
            if reached:
                yield CrawlPage(posts, {"done_upto": top, "run": None}), True
                return
            yield (
                CrawlPage(posts, {"done_upto": floor, "run": {"top": top, "next": nxt, "floor": floor}}),
                False,
            )
            position = nxt

    if run:
        finished = False
        async for page, fin in walk(run["next"], run.get("floor"), run["top"]):
            finished = fin
            yield page
        if not finished:
            return
        done = run["top"]
    async for page, _ in walk(first, done, None):
        yield page
