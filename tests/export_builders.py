"""Builders for the export tests: flagged posts, people, decisions, and readers for the three file formats."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import builders
from config import Settings
from review.exports.query import COLUMNS, iso
from review.exports.writers import neutralise
from store import Database
from store.models import Post, QueueItem, Snapshot, Source, User

T0 = datetime(2024, 5, 1, 8, 0, tzinfo=UTC)


def people(db: Database) -> dict[str, int]:
    """ana and bao (analysts), cam and rita (reviewers, pseudonyms), root (admin). Nobody signs in here, so the
    password hash is a placeholder (argon2 would cost half a second per person per test)."""
    with db.write() as s:
        users = [User(username=name, password_hash="-", role=role, pseudonym=pseudo)
                 for name, role, pseudo in (("ana", "analyst", "Người duyệt A"), ("bao", "analyst", "Người duyệt B"),
                                            ("cam", "reviewer", "Người duyệt C"), ("rita", "reviewer", "reviewer-r1"),
                                            ("root", "admin", "admin-0"))]
        s.add_all(users)
        s.flush()
        return {u.username: u.id for u in users}


def source(db: Database, name: str) -> int:
    with db.write() as s:
        row = Source(name=name, kind="rss", url=f"https://{name}.example.vn/feed")
        s.add(row)
        s.flush()
        return row.id


def flag(db: Database, external_id: str, *, text: str | None = None, platform: str = "rss",
         author: str = "Báo X", source_id: int | None = None) -> int:
    """A post the classifier flagged (a verdict and a pending queue item): the queue item's id."""
    text = text or f"Bài viết số {external_id}: tin đồn về dịch bệnh lan truyền trên mạng xã hội {external_id}."
    return builders.flag(db, external_id, text=text, platform=platform, author_handle=author, source_id=source_id)


def _name(db: Database, user_id: int) -> str:
    with db.session() as s:
        return s.get(User, user_id).username


def confirm(db: Database, item_id: int, user_id: int, *, category: str = "false_claim",
            justification: str = "Bộ Y tế đã bác bỏ thông tin này", reference_url: str | None = "https://moh.gov.vn/x",
            at: datetime | None = None) -> int:
    return builders.decide(db, _name(db, user_id), item_id, "confirm", category=category, justification=justification,
                           reference_url=reference_url, at=at or T0).decision_ids[0]


def dismiss(db: Database, item_id: int, user_id: int, *, reason: str = "accurate", justification: str = "",
            at: datetime | None = None) -> int:
    return builders.decide(db, _name(db, user_id), item_id, "dismiss", dismiss_reason=reason,
                           justification=justification, at=at or T0).decision_ids[0]


def escalate(db: Database, item_id: int, user_id: int) -> None:
    builders.decide(db, _name(db, user_id), item_id, "escalate", at=T0)


def appeal_item(db: Database, item_id: int, user_id: int, reason: str = "tác giả đã đính chính") -> None:
    builders.appeal(db, _name(db, user_id), item_id, reason)


def reverse(db: Database, item_id: int, appealer: int, decider: int, *, at: datetime | None = None) -> int:
    """Appeal a confirmed item and have someone else dismiss it: the reversal decision's id."""
    appeal_item(db, item_id, appealer)
    return dismiss(db, item_id, decider, reason="accurate", justification="Nguồn chính thức xác nhận là đúng",
                   at=at or T0 + timedelta(days=1))


def settings_for(tmp_path: Path, names: str = "pseudonym") -> Settings:
    return Settings(exports_dir=tmp_path / "exports", export_names=names)  # type: ignore[arg-type]


def expected_takedowns(db: Database, export_id: int, names: str = "pseudonym") -> dict[int, tuple[Any, ...]]:
    """What the database says each takedown row must hold, keyed by decision id (built without the query)."""
    out: dict[int, tuple[Any, ...]] = {}
    with db.session() as s:
        for item in s.query(QueueItem).filter(QueueItem.status == "confirmed"):
            from store.models import Decision

            decision = s.get(Decision, item.current_decision_id)
            post, snap, user = s.get(Post, decision.post_id), s.get(Snapshot, decision.snapshot_id), decision.user
            by = {"pseudonym": user.pseudonym, "username": user.username, "role": user.role}[names]
            out[decision.id] = (
                export_id, "takedown", post.platform, post.url, post.external_id, post.author_handle,
                iso(snap.captured_at), snap.text, snap.sha256, decision.category, decision.justification,
                decision.reference_url, user.role, by, iso(decision.created_at), post.cluster_id, decision.id,
            )
    return out


def read_rows(path: Path, fmt: str) -> list[dict[str, Any]]:
    """Parse an export file back: csv module, json, or openpyxl."""
    if fmt == "csv":
        raw = path.read_bytes()
        assert raw.startswith(b"\xef\xbb\xbf"), "CSV must start with a UTF-8 byte-order mark"
        reader = csv.reader(io.StringIO(raw.decode("utf-8-sig"), newline=""))
        header = next(reader)
        assert tuple(header) == COLUMNS
        return [dict(zip(COLUMNS, row, strict=True)) for row in reader]
    if fmt == "jsonl":
        return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
    import openpyxl
    from openpyxl.utils.escape import unescape

    book = openpyxl.load_workbook(path, read_only=True)
    try:
        rows = list(book.worksheets[0].iter_rows(values_only=True))
    finally:
        book.close()
    assert tuple(rows[0]) == COLUMNS
    # control characters are stored as _xHHHH_ (OOXML ST_Xstring); Excel decodes them, openpyxl's reader does not
    return [{c: unescape(v) if isinstance(v, str) else v for c, v in zip(COLUMNS, row, strict=True)}
            for row in rows[1:]]


def as_written(values: tuple[Any, ...], fmt: str) -> dict[str, Any]:
    """How a row of database values reads back from a file of this format."""
    if fmt == "jsonl":
        return dict(zip(COLUMNS, values, strict=True))
    if fmt == "csv":
        return {c: "" if v is None else neutralise(v) if isinstance(v, str) else str(v)
                for c, v in zip(COLUMNS, values, strict=True)}
    return {c: (neutralise(v) or None) if isinstance(v, str) else v for c, v in zip(COLUMNS, values, strict=True)}
