"""Posts: insert-or-update by (platform, external id), text snapshots with SHA-256, near-duplicate clusters."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Literal, Protocol, cast

import numpy as np
from sqlalchemy import Table, delete, func, select
from sqlalchemy.orm import Session

from store.bulk import insert_rows, one_of, reserve_ids, update_rows
from store.models import Post, SimhashBand, Snapshot
from store.types import utcnow
from vntext import hamming_many, search_form, simhash64_many

__all__ = [
    "SEEN_REFRESH", "BulkResult", "CapturedPost", "Derived", "UpsertResult", "cluster_members", "derive",
    "post_search_text", "sha256_text", "upsert_post", "upsert_posts",
]

#: A known post that comes again unchanged gets its fetch time (when it was last seen, which retention counts in
#: days) refreshed at most this often: a re-crawl of an unchanged feed rewrites no rows.
SEEN_REFRESH = timedelta(hours=1)
SIMHASH_MAX_DISTANCE = 3  # bits; with 4 bands of 16 bits, any pair within 3 bits shares a band
_COUNTS = ("like_count", "comment_count", "share_count", "view_count")
_COUNT_COLUMNS = (Post.like_count, Post.comment_count, Post.share_count, Post.view_count)
_POSTS, _SNAPSHOTS = cast(Table, Post.__table__), cast(Table, Snapshot.__table__)
_BANDS = cast(Table, SimhashBand.__table__)


class CapturedPost(Protocol):
    """What a crawler hands over (``crawler.Post``, a frozen dataclass, fits); the store never imports the
    crawler. Read-only members: the store only reads them, so immutable objects satisfy the protocol."""

    @property
    def platform(self) -> str: ...
    @property
    def external_id(self) -> str: ...
    @property
    def url(self) -> str: ...
    @property
    def canonical_url(self) -> str: ...
    @property
    def text(self) -> str: ...
    @property
    def author_handle(self) -> str | None: ...
    @property
    def published_at(self) -> datetime | None: ...
    @property
    def like_count(self) -> int | None: ...
    @property
    def comment_count(self) -> int | None: ...
    @property
    def share_count(self) -> int | None: ...
    @property
    def view_count(self) -> int | None: ...
    @property
    def language(self) -> str: ...
    @property
    def title(self) -> str | None: ...


@dataclass(frozen=True)
class UpsertResult:
    post: Post
    outcome: Literal["new", "updated", "unchanged"]
    snapshot: Snapshot
    text_changed: bool


def sha256_text(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def post_search_text(text: str, title: str | None) -> str:
    """What search matches a post on: the accent-folded text, then the title (``vntext.search_form``)."""
    return search_form(text) if not title else f"{search_form(text)}\n{search_form(title)}"


@dataclass(frozen=True)
class Derived:
    """What storing computes of a new or edited text, computed ahead (``derive``): its SimHash (signed, None
    for a text without words) by text, and the search text by (text, title)."""

    simhashes: dict[str, int | None] = field(default_factory=dict)
    search_texts: dict[tuple[str, str | None], str] = field(default_factory=dict)

    def search_text(self, text: str, title: str | None) -> str:
        found = self.search_texts.get((text, title))
        return found if found is not None else post_search_text(text, title)


def derive(session: Session, captured: Sequence[CapturedPost]) -> Derived:
    """SimHash and search text of the captured posts that are new or whose text changed, as read in ``session``:
    done before the write transaction, so the database is not held while the CPU works (``upsert_posts`` computes
    whatever a writer in between made necessary)."""
    latest = {(c.platform, c.external_id): c for c in captured}
    known = _known(session, list(latest))
    todo = [c for key, c in latest.items()
            if key not in known or sha256_text(c.text) != known[key]["content_sha256"]]
    hashes = simhash64_many([c.text for c in todo]).tolist()
    return Derived({c.text: value or None for c, value in zip(todo, hashes, strict=True)},
                   {(c.text, c.title): post_search_text(c.text, c.title) for c in todo})


def _to_signed64(value: int) -> int:
    return value - (1 << 64) if value >= (1 << 63) else value


def _bands(simhash: int) -> list[int]:
    unsigned = simhash & ((1 << 64) - 1)
    return [(unsigned >> (16 * band)) & 0xFFFF for band in range(4)]


def _insert_bands(session: Session, hashes: Sequence[tuple[int | None, int | None]]) -> None:
    """The SimHash band rows of (post id, SimHash) pairs; texts without a SimHash have none."""
    insert_rows(session, _BANDS, [
        {"post_id": post_id, "band": band, "value": value}
        for post_id, simhash in hashes if simhash is not None for band, value in enumerate(_bands(simhash))])


@dataclass
class _Row:
    """One captured post on its way into the table (the last copy when a page repeats an id)."""

    captured: CapturedPost
    simhash: int | None  # signed int64, None: no words
    digest: str
    post_id: int | None = None
    cluster_id: int | None = None
    snapshot_id: int | None = None


@dataclass
class BulkResult:
    """What ``upsert_posts`` did, by outcome; ``post_ids`` and ``outcomes`` in the order of the captured posts
    (a page that repeats an id: the first copy is new or updated, the next ones unchanged)."""

    new: int = 0
    updated: int = 0
    unchanged: int = 0
    post_ids: list[int] = field(default_factory=list)
    outcomes: list[Literal["new", "updated", "unchanged"]] = field(default_factory=list)
    text_changed: list[bool] = field(default_factory=list)
    snapshot_ids: list[int | None] = field(default_factory=list)  # of the new posts (None for the others)
    digests: list[str] = field(default_factory=list)  # SHA-256 of each captured text
    fetched_at: datetime | None = None  # the posts' fetch time (a new post's first_seen_at)


def upsert_posts(
    *, session: Session, captured: Sequence[CapturedPost], source_id: int | None,
    simhashes: Sequence[int | None] | None = None, fetched_at: datetime | None = None,
    score_languages: Collection[str] | None = None, derived: Derived | None = None,
) -> BulkResult:
    """Insert new posts and update known ones, a statement per table for the whole page.

    A post is unique per (platform, external id): new ones are inserted with ``INSERT ... ON CONFLICT DO
    NOTHING`` (a post another process inserted meanwhile is then updated instead); a known one gets its
    non-empty counts, URL and fetch time; a changed text gets a new snapshot (a text the post had before keeps
    its first one), a new SimHash and is marked for scoring again. New posts join the cluster of an earlier
    post with the same text or a SimHash within 3 bits. ``score_languages``: posts in these languages are
    marked ``score_pending`` (None: every language). ``simhashes``: one per post, signed or unsigned, 0 or None
    for no words; when not given, ``vntext.simhash64_many`` of the new and changed texts only (taken from
    ``derived`` where it has them).
    """
    derived = derived or Derived()
    session.flush()  # ORM changes the caller made first, so the statements below see them
    now = fetched_at or utcnow()
    hashes = list(simhashes) if simhashes is not None else [None] * len(captured)
    rows: dict[tuple[str, str], _Row] = {}
    order: list[tuple[str, str]] = []
    for item, simhash in zip(captured, hashes, strict=True):
        key = (item.platform, item.external_id)
        order.append(key)
        rows[key] = _Row(item, None if not simhash else _to_signed64(simhash), sha256_text(item.text))
    result = BulkResult(fetched_at=now)
    if not rows:
        return result

    def pending(language: str) -> bool:
        return score_languages is None or language in score_languages

    known = _known(session, list(rows))
    fresh = [key for key in rows if key not in known]
    if simhashes is None:  # hash only the texts that are new or changed: a re-crawl compares digests and skips
        todo = [row for key, row in rows.items() if key not in known or row.digest != known[key]["content_sha256"]]
        for row in todo:  # 0: not derived ahead (None there: a text without words)
            row.simhash = derived.simhashes.get(row.captured.text, 0)
        missing = [row for row in todo if row.simhash == 0]
        for row, value in zip(missing, simhash64_many([row.captured.text for row in missing]).tolist(), strict=True):
            row.simhash = value or None
    if fresh:
        inserted = _insert_new(session, [rows[key] for key in fresh], source_id, now, pending, derived)
        raced = [key for key in fresh if key not in inserted]
        if raced:  # inserted by another process since we looked: update it like any known post
            known.update(_known(session, raced))
            fresh = [key for key in fresh if key in inserted]
        for key in fresh:
            rows[key].post_id = inserted[key]
        _index_new(session, [rows[key] for key in fresh], now)
    for key, stored in known.items():
        rows[key].post_id = stored["id"]
    changes = _update_known(session, rows, known, now, pending, derived)
    status: dict[tuple[str, str], tuple[Literal["new", "updated", "unchanged"], bool]] = {
        key: ("new", True) for key in fresh}
    status.update({key: ("updated" if changed else "unchanged", edited) for key, (changed, edited) in changes.items()})
    done: set[tuple[str, str]] = set()
    for key in order:
        outcome, edited = status[key] if key not in done else ("unchanged", False)
        done.add(key)
        result.post_ids.append(rows[key].post_id or 0)
        result.outcomes.append(outcome)
        result.text_changed.append(edited)
        result.snapshot_ids.append(rows[key].snapshot_id if outcome == "new" else None)
        result.digests.append(rows[key].digest)
    result.new = result.outcomes.count("new")
    result.updated = result.outcomes.count("updated")
    result.unchanged = result.outcomes.count("unchanged")
    return result


def _known(session: Session, keys: Sequence[tuple[str, str]]) -> dict[tuple[str, str], dict[str, Any]]:
    """The stored posts among ``keys``: id, text digest, URLs, fetch time and counts."""
    out: dict[tuple[str, str], dict[str, Any]] = {}
    by_platform: dict[str, list[str]] = {}
    for platform, external_id in keys:
        by_platform.setdefault(platform, []).append(external_id)
    columns = (Post.id, Post.platform, Post.external_id, Post.content_sha256, Post.url, Post.canonical_url,
               Post.fetched_at, *_COUNT_COLUMNS)
    for platform, ids in by_platform.items():
        for row in session.execute(
            select(*columns).where(Post.platform == platform, one_of(session, Post.external_id, ids))
        ).mappings():
            out[(row["platform"], row["external_id"])] = dict(row)
    return out


def _insert_new(session: Session, rows: Sequence[_Row], source_id: int | None, now: datetime,
                pending: Callable[[str], bool], derived: Derived) -> dict[tuple[str, str], int]:
    """INSERT the new posts (ON CONFLICT DO NOTHING); (platform, external id) -> id of those inserted."""
    values = [
        {"source_id": source_id, "platform": c.platform, "external_id": c.external_id, "url": c.url,
         "canonical_url": c.canonical_url, "author_handle": c.author_handle, "title": c.title, "text": c.text,
         "search_text": derived.search_text(c.text, c.title),
         "published_at": c.published_at, "first_seen_at": now, "fetched_at": now, "language": c.language,
         "content_sha256": row.digest, "simhash": row.simhash, "id": post_id, "cluster_id": post_id,
         "like_count": c.like_count, "comment_count": c.comment_count, "share_count": c.share_count,
         "view_count": c.view_count, "score_pending": pending(c.language)}
        for row, post_id in zip(rows, reserve_ids(session, _POSTS, len(rows)), strict=True) for c in (row.captured,)
    ]  # each its own cluster until _assign_clusters finds an earlier one (then one UPDATE, of those only)
    columns = _POSTS.c
    return {(platform, external_id): post_id for post_id, platform, external_id in insert_rows(
        session, _POSTS, values, conflict=["platform", "external_id"],
        returning=[columns.id, columns.platform, columns.external_id])}


def _index_new(session: Session, rows: list[_Row], now: datetime) -> None:
    """Snapshots, SimHash bands and clusters of freshly inserted posts."""
    if not rows:
        return
    rows.sort(key=lambda r: r.post_id or 0)
    for row, snapshot_id in zip(rows, reserve_ids(session, _SNAPSHOTS, len(rows)), strict=True):
        row.snapshot_id = snapshot_id
    insert_rows(session, _SNAPSHOTS, [
        {"id": r.snapshot_id, "post_id": r.post_id, "text": r.captured.text, "sha256": r.digest,
         "url": r.captured.url, "captured_at": now} for r in rows
    ])
    _insert_bands(session, [(r.post_id, r.simhash) for r in rows])
    _assign_clusters(session, rows)
    update_rows(session, _POSTS, [{"id": r.post_id, "cluster_id": r.cluster_id} for r in rows
                                  if r.cluster_id != r.post_id])


def _assign_clusters(session: Session, rows: list[_Row]) -> None:
    """Each new post (in id order) joins the cluster of the oldest other post with the same text, else of the
    oldest of up to 200 posts sharing a SimHash band within 3 bits, else starts its own (as one at a time)."""
    page_cluster: dict[int, int] = {}
    first_with_text: dict[str, int] = dict(session.execute(
        select(Post.content_sha256, func.min(Post.id))
        .where(one_of(session, Post.content_sha256, sorted({r.digest for r in rows})))
        .group_by(Post.content_sha256)).all())
    stored_cluster: dict[int, int | None] = dict(session.execute(
        select(Post.id, Post.cluster_id).where(one_of(session, Post.id, list(first_with_text.values())))).all())
    candidates = _band_candidates(session, [r for r in rows if r.simhash is not None])
    for row in rows:
        assert row.post_id is not None  # noqa: S101 - set by _insert_new
        first = first_with_text.get(row.digest)
        if first is not None and first != row.post_id:
            row.cluster_id = page_cluster.get(first) or stored_cluster.get(first) or first
        elif row.simhash is not None:
            row.cluster_id = _near_cluster(row, candidates, page_cluster)
        else:
            row.cluster_id = row.post_id
        page_cluster[row.post_id] = row.cluster_id


def _band_candidates(session: Session, rows: list[_Row]) -> dict[tuple[int, int], list[tuple[int, int, int | None]]]:
    """(band, value) -> [(post id, simhash, cluster id)], by post id, for the bands of ``rows``."""
    out: dict[tuple[int, int], list[tuple[int, int, int | None]]] = {}
    wanted: dict[int, set[int]] = {}
    for row in rows:
        for band, value in enumerate(_bands(row.simhash or 0)):
            wanted.setdefault(band, set()).add(value)
    for band, values in wanted.items():
        found = session.execute(
            select(SimhashBand.value, Post.id, Post.simhash, Post.cluster_id)
            .join(Post, SimhashBand.post_id == Post.id)
            .where(SimhashBand.band == band, one_of(session, SimhashBand.value, sorted(values)),
                   Post.simhash.is_not(None))
        ).all()
        for value, post_id, simhash, cluster in found:
            out.setdefault((band, value), []).append((post_id, int(simhash or 0), cluster))
    for members in out.values():
        members.sort()
    return out


def _near_cluster(row: _Row, candidates: dict[tuple[int, int], list[tuple[int, int, int | None]]],
                  page_cluster: dict[int, int]) -> int:
    assert row.post_id is not None and row.simhash is not None  # noqa: S101
    seen: dict[int, tuple[int, int | None]] = {}
    for band, value in enumerate(_bands(row.simhash)):
        for post_id, simhash, cluster in candidates.get((band, value), ()):
            if post_id < row.post_id:  # earlier posts only, as if the page were stored one post at a time
                seen[post_id] = (simhash, cluster)
    if not seen:
        return row.post_id
    ids = sorted(seen)[:200]
    distances = hamming_many(row.simhash, np.array([seen[i][0] for i in ids], dtype=np.int64))
    for post_id, distance in zip(ids, distances.tolist(), strict=True):
        if distance <= SIMHASH_MAX_DISTANCE:
            return page_cluster.get(post_id) or seen[post_id][1] or post_id
    return row.post_id


def _update_known(session: Session, rows: dict[tuple[str, str], _Row], known: dict[tuple[str, str], dict[str, Any]],
                  now: datetime, pending: Callable[[str], bool],
                  derived: Derived) -> dict[tuple[str, str], tuple[bool, bool]]:
    """Counts (those given), URL and fetch time of the known posts in one executemany UPDATE (a post with nothing
    new whose fetch time is under ``SEEN_REFRESH`` old is left as it is); changed texts get a snapshot, SimHash
    bands and a new turn at scoring. Returns key -> (anything changed, text changed)."""
    if not known:
        return {}
    changes: list[dict[str, Any]] = []
    edited: list[tuple[int, _Row]] = []
    outcome: dict[tuple[str, str], tuple[bool, bool]] = {}
    for key, stored in known.items():
        row, c = rows[key], rows[key].captured
        counts = {name: getattr(c, name) for name in _COUNTS}
        changed = any(value is not None and stored[name] != value for name, value in counts.items())
        values: dict[str, Any] = {"id": stored["id"], "fetched_at": now, "url": c.url,
                                  "canonical_url": c.canonical_url}
        values.update({name: stored[name] if value is None else value for name, value in counts.items()})
        text_changed = row.digest != stored["content_sha256"]
        if text_changed:
            edited.append((stored["id"], row))
        outcome[key] = (changed or text_changed, text_changed)
        moved = (c.url, c.canonical_url) != (stored["url"], stored["canonical_url"])
        seen = stored["fetched_at"]
        if changed or text_changed or moved or seen is None or now - seen >= SEEN_REFRESH:
            changes.append(values)
    update_rows(session, _POSTS, changes)
    if edited:
        update_rows(session, _POSTS, [
            {"id": post_id, "text": r.captured.text, "content_sha256": r.digest, "language": r.captured.language,
             "title": r.captured.title, "simhash": r.simhash,
             "search_text": derived.search_text(r.captured.text, r.captured.title),
             "score_pending": pending(r.captured.language)}
            for post_id, r in edited
        ])
        session.execute(delete(SimhashBand).where(one_of(session, SimhashBand.post_id, [i for i, _ in edited])))
        _insert_bands(session, [(post_id, r.simhash) for post_id, r in edited])
        insert_rows(session, _SNAPSHOTS, [
            {"post_id": post_id, "text": r.captured.text, "sha256": r.digest, "url": r.captured.url,
             "captured_at": now} for post_id, r in edited], conflict=["post_id", "sha256"])
    return outcome


def upsert_post(
    *, session: Session, captured: CapturedPost, source_id: int | None, simhash: int | None = None,
    fetched_at: datetime | None = None,
) -> UpsertResult:
    """One post through ``upsert_posts``: insert it, or update counts and text of a known one (a changed text
    gets a new snapshot); returns the post, its current snapshot and what happened."""
    bulk = upsert_posts(session=session, captured=[captured], source_id=source_id, simhashes=[simhash],
                        fetched_at=fetched_at)
    post = session.get(Post, bulk.post_ids[0], populate_existing=True)
    assert post is not None  # noqa: S101 - just written
    snapshot = session.scalars(
        select(Snapshot).where(Snapshot.post_id == post.id, Snapshot.sha256 == post.content_sha256)).one()
    return UpsertResult(post, bulk.outcomes[0], snapshot, text_changed=bulk.text_changed[0])


def cluster_members(*, session: Session, post: Post) -> list[Post]:
    """Other posts grouped with this one (same text or near-duplicate), oldest first."""
    if post.cluster_id is None:
        return []
    return list(session.scalars(
        select(Post).where(Post.cluster_id == post.cluster_id, Post.id != post.id).order_by(Post.id)
    ))
