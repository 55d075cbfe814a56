"""Pages read while a store runs are stored together by the next store, in order; reading pauses when the pages
waiting are full; a reading error comes out after what was read is stored; a store error stops the reading."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Sequence

import pytest

from crawler import CrawlPage
from service.page_stream import merge_pages, store_while_reading
from tests_support import crawled


def _run(pages: AsyncIterator[int], *, full: int = 100, hold_first: asyncio.Event | None = None,
         fail_on: int | None = None) -> list[list[int]]:
    batches: list[list[int]] = []

    async def store(batch: list[int]) -> None:
        if not batches and hold_first is not None:
            await hold_first.wait()
        if fail_on in batch:
            raise OSError("disk full")
        batches.append(batch)
        await asyncio.sleep(0)

    async def main() -> None:
        await store_while_reading(pages, store, full=lambda waiting: len(waiting) >= full)

    asyncio.run(main())
    return batches


def test_pages_read_while_a_store_runs_are_stored_together_next_in_order() -> None:
    read: list[int] = []

    async def scenario() -> list[list[int]]:
        all_read = asyncio.Event()

        async def pages() -> AsyncIterator[int]:
            for n in range(1, 7):
                await asyncio.sleep(0)  # a fetch
                read.append(n)
                yield n
            all_read.set()

        batches: list[list[int]] = []

        async def store(batch: list[int]) -> None:
            if not batches:
                await all_read.wait()  # the first store lasts until every page is read
            batches.append(batch)

        await store_while_reading(pages(), store, full=lambda waiting: len(waiting) >= 100)
        return batches

    assert asyncio.run(scenario()) == [[1], [2, 3, 4, 5, 6]]
    assert read == [1, 2, 3, 4, 5, 6]


def test_a_store_that_keeps_up_stores_each_page_as_it_comes() -> None:
    async def pages() -> AsyncIterator[int]:
        for n in range(1, 5):
            await asyncio.sleep(0.01)  # a polite source: pages come slower than they are stored
            yield n

    assert _run(pages()) == [[1], [2], [3], [4]]


def test_reading_pauses_while_the_pages_waiting_are_full() -> None:
    produced: list[int] = []

    async def scenario() -> tuple[list[list[int]], int]:
        async def pages() -> AsyncIterator[int]:
            for n in range(1, 11):
                await asyncio.sleep(0)  # a fetch
                produced.append(n)
                yield n

        batches: list[list[int]] = []
        seen_while_held = 0

        async def store(batch: list[int]) -> None:
            nonlocal seen_while_held
            if not batches:
                for _ in range(50):  # give the reader every chance to run ahead
                    await asyncio.sleep(0)
                seen_while_held = len(produced) - len(batch)
            batches.append(batch)

        await store_while_reading(pages(), store, full=lambda waiting: len(waiting) >= 3)
        return batches, seen_while_held

    batches, seen_while_held = asyncio.run(scenario())
    # past the pages in the first store: three waiting (full) and one read and held back, no more
    assert seen_while_held == 4
    assert [n for batch in batches for n in batch] == list(range(1, 11))
    assert all(len(batch) <= 3 for batch in batches)


def test_a_reading_error_comes_out_after_every_page_read_before_it_is_stored() -> None:
    async def pages() -> AsyncIterator[int]:
        for n in range(1, 4):
            yield n
        raise ConnectionError("feed cut off")

    batches: list[list[int]] = []

    async def store(batch: list[int]) -> None:
        batches.append(batch)

    with pytest.raises(ConnectionError, match="feed cut off"):
        asyncio.run(store_while_reading(pages(), store, full=lambda waiting: False))
    assert [n for batch in batches for n in batch] == [1, 2, 3]


def test_a_store_error_stops_the_reading_and_comes_out() -> None:
    produced: list[int] = []

    async def endless() -> AsyncIterator[int]:
        n = 0
        while True:
            n += 1
            produced.append(n)
            yield n
            await asyncio.sleep(0)

    with pytest.raises(OSError, match="disk full"):
        _run(endless(), full=2, fail_on=3)
    assert len(produced) < 10  # stopped, not read on forever


def _page(ids: Sequence[str], cursor: dict[str, str] | None) -> CrawlPage:
    return CrawlPage([crawled(i) for i in ids], cursor)


def test_merged_pages_keep_the_posts_in_order_and_the_last_cursor() -> None:
    merged = merge_pages([_page(["1", "2"], {"at": "2"}), _page(["3"], {"at": "3"}), _page(["4"], None)])
    assert [p.external_id for p in merged.posts] == ["1", "2", "3", "4"]
    assert merged.cursor == {"at": "3"}
    assert merge_pages([_page(["1"], None), _page(["2"], None)]).cursor is None
    single = _page(["9"], {"at": "9"})
    assert merge_pages([single]) is single
