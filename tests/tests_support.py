"""Small builders shared by tests."""

from __future__ import annotations

import csv
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import Engine, create_engine, event, text

from crawler import Post
from store import normalise_database_url

TEXT = "Bộ Y tế khuyến cáo người dân không nên hoảng loạn, hãy theo dõi thông tin chính thức về dịch bệnh."


def crawled(external_id: str = "1", text: str = TEXT, **kw: object) -> Post:
    """A crawled post as an adapter would hand it over."""
    base = Post(platform="rss", external_id=external_id, url=f"https://example.vn/{external_id}",
                canonical_url=f"https://example.vn/{external_id}", text=text, author_handle="Báo X",
                published_at=datetime(2020, 4, 1, tzinfo=UTC), like_count=1, share_count=2, language="vi")
    return replace(base, **kw)  # type: ignore[arg-type]


def wait_until(condition: Callable[[], object], timeout: float, what: str) -> float:
    """Poll ``condition`` every 0.1 s until it is truthy; the seconds it took, or AssertionError after ``timeout``."""
    start = time.monotonic()
    while time.monotonic() - start < timeout:
        if condition():
            return time.monotonic() - start
        time.sleep(0.1)
    raise AssertionError(f"not within {timeout}s: {what}")


@contextmanager
def fresh_postgres_database(base_url: str, prefix: str = "kiemtin_test") -> Iterator[str]:
    """A new, empty PostgreSQL database on the server of ``base_url`` (its URL), dropped afterwards."""
    admin_url = normalise_database_url(base_url)
    name = f"{prefix}_{uuid.uuid4().hex[:10]}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))  # name is generated above, never from input
    try:
        yield admin_url.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE datname = :name AND pid <> pg_backend_pid()"
            ), {"name": name})
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
        admin.dispose()


@contextmanager
def count_statements(engine: Engine) -> Iterator[list[str]]:
    """The SQL statements run on ``engine`` inside the block, in order (a ``before_cursor_execute`` listener).
    A statement counts once even when the driver sends a bulk insert's rows in several batches."""
    seen: list[str] = []
    held: dict[int, object] = {}  # the execution contexts seen, held so no two executions share an id

    def listen(_conn: object, _cursor: object, statement: str, _params: object, context: object,
               _many: bool) -> None:
        if id(context) not in held:
            held[id(context)] = context
            seen.append(statement)

    event.listen(engine, "before_cursor_execute", listen)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", listen)


def reintel_texts(n_each: int) -> list[str]:
    """ReINTEL training posts over 80 characters, ``n_each`` labelled unreliable then ``n_each`` not (so some
    are flagged)."""
    csv.field_size_limit(10_000_000)
    chosen: dict[str, list[str]] = {"0": [], "1": []}
    path = Path(__file__).resolve().parents[1] / "data/reintel/public_train.csv"
    with path.open(encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            if len(chosen[row["label"]]) < n_each and len(row["post_message"]) > 80:
                chosen[row["label"]].append(row["post_message"])
    return chosen["1"] + chosen["0"]
