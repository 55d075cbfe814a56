"""Exports hold confirmed decisions only, round-trip exactly in every format, are recorded with a manifest
whose SHA-256 proves what was sent, export each item once per profile, and retract reversals."""

from __future__ import annotations

import hashlib
import unicodedata
from datetime import timedelta
from pathlib import Path

import pytest

from export_builders import (
    T0,
    appeal_item,
    as_written,
    confirm,
    dismiss,
    escalate,
    expected_takedowns,
    flag,
    people,
    read_rows,
    reverse,
    settings_for,
    source,
)
from review.exports import (
    ExportFileError,
    ExportFilterError,
    ExportNotFound,
    ExportPermissionError,
    NothingToExport,
    delete_profile,
    download_export,
    export_file_bytes,
    get_export,
    list_exports,
    list_profiles,
    open_export_file,
    preview_export,
    run_export,
    save_profile,
)
from store import Database
from store.models import AuditEntry, ExportItem, Post

FORMATS = ("csv", "jsonl", "xlsx")


def _audits(db: Database, action: str) -> list[AuditEntry]:
    with db.session() as s:
        return list(s.query(AuditEntry).filter(AuditEntry.action == action).order_by(AuditEntry.id))


def _external_ids(path: Path, fmt: str) -> list[str]:
    return [row["platform_post_id"] for row in read_rows(path, fmt)]


def test_only_confirmed_decisions_are_exported(db: Database, tmp_path: Path) -> None:
    who = people(db)
    confirmed = flag(db, "confirmed")
    flag(db, "flagged-only")  # the classifier flagged it; nobody decided
    dismissed, escalated, appealed = flag(db, "dismissed"), flag(db, "escalated"), flag(db, "appealed")
    confirm(db, confirmed, who["ana"])
    dismiss(db, dismissed, who["ana"])
    escalate(db, escalated, who["ana"])
    confirm(db, appealed, who["ana"])
    appeal_item(db, appealed, who["bao"])  # confirmed once, now waiting on appeal: not a takedown
    settings = settings_for(tmp_path)
    info = run_export(db, settings, actor="rita", format="csv", since_last=False)
    assert info.row_count == 1 and info.retraction_count == 0
    assert _external_ids(settings.exports_dir / info.file_name, "csv") == ["confirmed"]
    preview = preview_export(db, settings, actor="rita", since_last=False)
    assert [r["platform_post_id"] for r in preview.rows] == ["confirmed"] and preview.takedown_count == 1


@pytest.mark.parametrize("fmt", FORMATS)
def test_round_trip_matches_the_database(db: Database, tmp_path: Path, fmt: str) -> None:
    who = people(db)
    src = source(db, "bao-x")
    for n, (platform, category) in enumerate([("rss", "false_claim"), ("facebook", "scam_fraud"),
                                              ("tiktok", "health_misinformation")]):
        item = flag(db, f"p{n}", platform=platform, source_id=src)
        confirm(db, item, who["ana"] if n % 2 else who["bao"], category=category, at=T0 + timedelta(hours=n),
                reference_url=None if n == 2 else f"https://factcheck.vn/{n}")
    save_profile(db, actor="rita", name="all", recipient="Nền tảng", format=fmt)
    settings = settings_for(tmp_path)
    info = run_export(db, settings, actor="rita", profile="all")
    path = settings.exports_dir / info.file_name
    rows = read_rows(path, fmt)
    expected = expected_takedowns(db, info.id)
    assert len(rows) == info.row_count == len(expected) == 3
    for row in rows:
        assert row == as_written(expected[int(row["decision_id"])], fmt)
    # the manifest proves what was sent
    data = path.read_bytes()
    assert hashlib.sha256(data).hexdigest() == info.sha256 == info.manifest["files"][0]["sha256"]
    assert info.manifest["files"][0]["bytes"] == len(data)
    assert info.manifest["created_by"] == {"username": "rita", "role": "reviewer"}
    assert info.manifest["profile"] == "all" and info.manifest["row_count"] == 3
    # re-download is byte-identical
    out = tmp_path / f"again.{fmt}"
    download_export(db, settings, actor="rita", export_id=info.id, out=out)
    assert out.read_bytes() == data
    file, content = export_file_bytes(db, settings, actor="root", export_id=info.id)
    assert content == data and file.sha256 == info.sha256
    assert [a.target_id for a in _audits(db, "export.create")] == [str(info.id)]
    assert len(_audits(db, "export.download")) == 2
    with db.session() as s:
        assert s.query(ExportItem).filter_by(export_id=info.id, kind="takedown").count() == 3


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_vietnamese_text_and_formula_injection_survive_round_trip(db: Database, tmp_path: Path, fmt: str) -> None:
    who = people(db)
    nfc = unicodedata.normalize("NFC", "Tiếng Việt: Đắk Lắk, Huế, Quảng Ngãi — ồ ạ ặ ỹ ự ẫ, “trích dẫn”\nDòng hai.")
    texts = {
        "vi": nfc,
        "eq": '=HYPERLINK("https://evil.example","bấm vào đây")',
        "plus": "+84 912 345 678 trúng thưởng",
        "minus": "-2+3 tin giả",
        "at": "@SUM(1,2) lừa đảo",
        "tab": "\tẩn ký tự",
        "cr": "\rdòng",
    }
    for key, text in texts.items():
        item = flag(db, key, text=text, author="=cmd|' /C calc'!A0" if key == "eq" else "Trang Tin Việt")
        confirm(db, item, who["ana"], justification="+ thêm: " + key if key == "plus" else "Lý do: " + text)
    settings = settings_for(tmp_path)
    info = run_export(db, settings, actor="rita", format=fmt, since_last=False)
    rows = {r["platform_post_id"]: r for r in read_rows(settings.exports_dir / info.file_name, fmt)}
    assert rows["vi"]["text_snapshot"] == nfc and unicodedata.is_normalized("NFC", rows["vi"]["text_snapshot"])
    assert rows["vi"]["author_handle"] == "Trang Tin Việt"
    for key in ("eq", "plus", "minus", "at", "tab", "cr"):
        assert rows[key]["text_snapshot"] == "'" + texts[key], key
        assert rows[key]["text_sha256"] == hashlib.sha256(texts[key].encode()).hexdigest()  # hash of the original
    assert rows["eq"]["author_handle"] == "'=cmd|' /C calc'!A0"
    assert rows["plus"]["justification"] == "'+ thêm: plus"
    if fmt == "xlsx":
        import openpyxl

        book = openpyxl.load_workbook(settings.exports_dir / info.file_name)  # not read-only: see data types
        sheet = book.worksheets[0]
        assert all(cell.data_type != "f" for row in sheet.iter_rows() for cell in row)
        book.close()


# Leaders beyond = + - @ tab CR: fullwidth forms, DDE pipe, percent, line feed, and whitespace before a trigger.
HOSTILE_LEADERS = {
    "fw-eq": '＝HYPERLINK("https://evil.example","bấm vào đây")',
    "fw-plus": "＋84 912 345 678 trúng thưởng",
    "fw-minus": "－2＋3 tin giả",
    "fw-at": "＠SUM(1,2) lừa đảo",
    "pipe": "|cmd lừa đảo",
    "percent": "%0A tin đồn",
    "lf": "\n=1+1 dòng",
    "space-eq": " =1+1 tin giả",
    "spaces-plus": "   +84 trúng thưởng",
    "nbsp-at": "\u00a0@SUM(1,2) lừa đảo",
    "ideographic-space-fw-eq": "\u3000＝1+1 tin giả",
}
HARMLESS = {
    "space-text": "  Tin thường, bắt đầu bằng khoảng trắng",
    "inner-triggers": "Giảm 50% = tin giả? a|b @ai -x ＝",
}


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_every_hostile_leader_is_neutralised_and_hashed_as_captured(db: Database, tmp_path: Path, fmt: str) -> None:
    who = people(db)
    for key, text in (HOSTILE_LEADERS | HARMLESS).items():
        item = flag(db, key, text=text, author=" =cmd|' /C calc'!A0" if key == "space-eq" else "Trang Tin Việt")
        confirm(db, item, who["ana"])
    settings = settings_for(tmp_path)
    info = run_export(db, settings, actor="rita", format=fmt, since_last=False)
    path = settings.exports_dir / info.file_name
    rows = {r["platform_post_id"]: r for r in read_rows(path, fmt)}
    assert len(rows) == len(HOSTILE_LEADERS) + len(HARMLESS)
    for key, text in HOSTILE_LEADERS.items():
        assert rows[key]["text_snapshot"] == "'" + text, key
        assert rows[key]["text_sha256"] == hashlib.sha256(text.encode()).hexdigest(), key  # of the captured text
    for key, text in HARMLESS.items():
        assert rows[key]["text_snapshot"] == text, key
    assert rows["space-eq"]["author_handle"] == "' =cmd|' /C calc'!A0"
    if fmt == "xlsx":
        import openpyxl

        book = openpyxl.load_workbook(path)  # not read-only: see data types
        cells = [cell for row in book.worksheets[0].iter_rows() for cell in row]
        book.close()
        assert all(cell.data_type != "f" for cell in cells)
        assert sum(1 for cell in cells if isinstance(cell.value, str) and cell.value.startswith("'")) == (
            len(HOSTILE_LEADERS) + 1)  # the texts and the one hostile author


def test_since_last_exports_each_confirmed_item_once_per_profile(db: Database, tmp_path: Path) -> None:
    who = people(db)
    first, second = flag(db, "a"), flag(db, "b")
    confirm(db, first, who["ana"])
    confirm(db, second, who["ana"])
    settings = settings_for(tmp_path)
    save_profile(db, actor="rita", name="fb", recipient="Facebook", format="jsonl")
    save_profile(db, actor="root", name="tt", recipient="TikTok", format="csv")
    one = run_export(db, settings, actor="rita", profile="fb")
    assert sorted(_external_ids(settings.exports_dir / one.file_name, "jsonl")) == ["a", "b"]
    kept = sorted(settings.exports_dir.iterdir())
    with pytest.raises(NothingToExport, match="nothing new to export for fb.*nothing was recorded"):
        run_export(db, settings, actor="rita", profile="fb")
    assert sorted(settings.exports_dir.iterdir()) == kept  # no file kept, no export recorded
    assert [a.target_id for a in _audits(db, "export.create")] == [str(one.id)]
    third = flag(db, "c")
    confirm(db, third, who["bao"])
    later = run_export(db, settings, actor="rita", profile="fb")
    assert _external_ids(settings.exports_dir / later.file_name, "jsonl") == ["c"]
    other = run_export(db, settings, actor="rita", profile="tt")  # another recipient gets everything once
    assert sorted(_external_ids(settings.exports_dir / other.file_name, "csv")) == ["a", "b", "c"]
    everything = run_export(db, settings, actor="rita", profile="fb", since_last=False)
    assert everything.row_count == 3 and everything.manifest["mode"] == "all"
    assert [e.id for e in list_exports(db, actor="rita", profile="fb")] == [everything.id, later.id, one.id]
    assert {p.name: p.last_export_id for p in list_profiles(db, actor="rita")} == {"fb": everything.id,
                                                                                  "tt": other.id}


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_reversal_after_export_is_retracted_in_the_next_export(db: Database, tmp_path: Path, fmt: str) -> None:
    who = people(db)
    kept, reversed_item, pending_appeal = flag(db, "kept"), flag(db, "reversed"), flag(db, "appealed")
    for item in (kept, reversed_item, pending_appeal):
        confirm(db, item, who["ana"], category="scam_fraud")
    settings = settings_for(tmp_path)
    save_profile(db, actor="rita", name="zalo", format=fmt)
    sent = run_export(db, settings, actor="rita", profile="zalo")
    assert sent.row_count == 3
    reversal_id = reverse(db, reversed_item, who["bao"], who["cam"])  # bao appeals, cam reverses
    appeal_item(db, pending_appeal, who["bao"])  # not decided yet: nothing to retract
    nxt = run_export(db, settings, actor="rita", profile="zalo")
    assert nxt.row_count == 1 and nxt.retraction_count == 1 and nxt.takedown_count == 0
    main = read_rows(settings.exports_dir / nxt.file_name, fmt)
    files = {f["kind"]: f for f in nxt.files}
    retractions_path = settings.exports_dir / files["retractions"]["name"]
    assert read_rows(retractions_path, fmt) == main
    (row,) = main
    assert row["row_kind"] == "retraction" and row["platform_post_id"] == "reversed"
    assert int(row["decision_id"]) == reversal_id and row["policy_category"] == "scam_fraud"
    assert row["justification"].startswith("Reversed on appeal (Accurate)")
    assert hashlib.sha256(retractions_path.read_bytes()).hexdigest() == files["retractions"]["sha256"]
    download_export(db, settings, actor="rita", export_id=nxt.id, out=tmp_path / "r", which="retractions")
    assert (tmp_path / "r").read_bytes() == retractions_path.read_bytes()
    with pytest.raises(NothingToExport):  # retracted once
        run_export(db, settings, actor="rita", profile="zalo")
    save_profile(db, actor="rita", name="fresh", format=fmt)
    fresh = run_export(db, settings, actor="rita", profile="fresh")  # never sent it: nothing to retract
    assert fresh.retraction_count == 0 and fresh.row_count == 1  # only "kept" is confirmed now


def test_an_analyst_cannot_export_or_manage_profiles(db: Database, tmp_path: Path) -> None:
    who = people(db)
    confirm(db, flag(db, "a"), who["ana"])
    settings = settings_for(tmp_path)
    with pytest.raises(ExportPermissionError, match="'ana' is an analyst; only a reviewer or an admin"):
        run_export(db, settings, actor="ana", since_last=False)
    with pytest.raises(ExportPermissionError, match="no user named 'nobody'"):
        run_export(db, settings, actor="nobody", since_last=False)
    for call in (lambda: preview_export(db, settings, actor="ana", since_last=False),
                 lambda: save_profile(db, actor="ana", name="x"),
                 lambda: list_exports(db, actor="ana")):
        with pytest.raises(ExportPermissionError):
            call()
    assert not list(settings.exports_dir.glob("*")) if settings.exports_dir.exists() else True
    assert _audits(db, "export.create") == []


def test_tampered_or_missing_file_is_refused_and_audited(db: Database, tmp_path: Path) -> None:
    who = people(db)
    confirm(db, flag(db, "a"), who["ana"])
    settings = settings_for(tmp_path)
    info = run_export(db, settings, actor="rita", format="csv", since_last=False)
    path = settings.exports_dir / info.file_name
    path.write_bytes(path.read_bytes().replace(b"false_claim", b"satire_xxxx"))
    with pytest.raises(ExportFileError, match="no longer matches its manifest"):
        open_export_file(db, settings, actor="rita", export_id=info.id)
    with pytest.raises(ExportFileError, match="no longer matches"):
        export_file_bytes(db, settings, actor="rita", export_id=info.id)
    path.unlink()
    with pytest.raises(ExportFileError, match="missing"):
        download_export(db, settings, actor="rita", export_id=info.id, out=tmp_path / "x.csv")
    assert not (tmp_path / "x.csv").exists()
    assert len(_audits(db, "export.download_refused")) == 3 and _audits(db, "export.download") == []
    with pytest.raises(ExportNotFound):
        get_export(db, actor="rita", export_id=999)
    with pytest.raises(ExportNotFound, match="no retractions file"):
        open_export_file(db, settings, actor="rita", export_id=info.id, which="retractions")


def test_filters_platform_source_category_and_dates(db: Database, tmp_path: Path) -> None:
    who = people(db)
    news, forum = source(db, "bao-moi"), source(db, "dien-dan")
    specs = [("fb1", "facebook", news, "false_claim", 0), ("fb2", "facebook", forum, "scam_fraud", 1),
             ("tt1", "tiktok", news, "scam_fraud", 2), ("rss1", "rss", None, "false_claim", 3)]
    for ext, platform, src, category, day in specs:
        confirm(db, flag(db, ext, platform=platform, source_id=src), who["ana"], category=category,
                at=T0 + timedelta(days=day))
    settings = settings_for(tmp_path)

    def ids(**filters: object) -> list[str]:
        preview = preview_export(db, settings, actor="rita", since_last=False, filters=filters)
        assert preview.takedown_count == len(preview.rows)
        return [r["platform_post_id"] for r in preview.rows]

    assert ids(platform="facebook") == ["fb1", "fb2"]
    assert ids(source="bao-moi") == ["fb1", "tt1"]
    assert ids(category=["scam_fraud"]) == ["fb2", "tt1"]
    assert ids(date_from="2024-05-02", date_to="2024-05-03") == ["fb2", "tt1"]  # both ends inclusive
    assert ids(platform=["facebook", "tiktok"], category="scam_fraud", source="dien-dan") == ["fb2"]
    with pytest.raises(ExportFilterError, match="unknown category 'opinion'"):
        ids(category="opinion")
    with pytest.raises(ExportFilterError, match="not a date"):
        ids(date_from="01/05/2024")
    with pytest.raises(ExportFilterError, match="'since the last export' is kept per profile"):
        run_export(db, settings, actor="rita", since_last=True)
    # a profile's saved filters apply; a run's filters narrow them field by field
    save_profile(db, actor="rita", name="facebook", recipient="Meta", filters={"platform": "facebook"})
    info = run_export(db, settings, actor="rita", profile="facebook", filters={"category": "false_claim"})
    assert _external_ids(settings.exports_dir / info.file_name, "csv") == ["fb1"]
    assert info.filters == {"platform": ["facebook"], "category": ["false_claim"]}
    assert run_export(db, settings, actor="rita", profile="facebook").row_count == 1  # fb2 now


def test_profiles_are_saved_changed_and_removed_with_audit(db: Database, tmp_path: Path) -> None:
    people(db)
    made = save_profile(db, actor="rita", name="Facebook VN", recipient="Meta T&S", format="xlsx",
                        filters={"platform": "facebook", "date_from": "2024-01-01"})
    assert made.filters == {"platform": ["facebook"], "date_from": "2024-01-01T00:00:00Z"}
    with pytest.raises(ExportFilterError, match="exists"):
        save_profile(db, actor="rita", name="Facebook VN")
    with pytest.raises(ExportFilterError, match="unknown format"):
        save_profile(db, actor="rita", name="pdf", format="pdf")
    with pytest.raises(ExportFilterError, match="unknown filter 'colour'"):
        save_profile(db, actor="rita", name="odd", filters={"colour": "red"})
    changed = save_profile(db, actor="root", name="Facebook VN", recipient="Meta", format="csv", replace=True)
    assert (changed.id, changed.format, changed.filters) == (made.id, "csv", {})
    delete_profile(db, actor="rita", name="Facebook VN")
    assert list_profiles(db, actor="rita") == []
    with pytest.raises(ExportNotFound, match="no export profile named 'Facebook VN'"):
        delete_profile(db, actor="rita", name="Facebook VN")
    actions = [a.action for a in _audits(db, "export_profile.create") + _audits(db, "export_profile.update")
               + _audits(db, "export_profile.delete")]
    assert actions == ["export_profile.create", "export_profile.update", "export_profile.delete"]


def test_decider_is_named_as_settings_say(db: Database, tmp_path: Path) -> None:
    who = people(db)
    confirm(db, flag(db, "a"), who["ana"])
    for names, expected in (("pseudonym", "Người duyệt A"), ("username", "ana"), ("role", "analyst")):
        settings = settings_for(tmp_path / names, names)
        info = run_export(db, settings, actor="rita", format="jsonl", since_last=False)
        (row,) = read_rows(settings.exports_dir / info.file_name, "jsonl")
        assert (row["decided_by_role"], row["decided_by"]) == ("analyst", expected)


def test_posts_are_untouched_by_exports(db: Database, tmp_path: Path) -> None:
    who = people(db)
    confirm(db, flag(db, "a"), who["ana"])
    with db.session() as s:
        before = [(p.id, p.text, p.content_sha256) for p in s.query(Post)]
    run_export(db, settings_for(tmp_path), actor="rita", format="xlsx", since_last=False)
    with db.session() as s:
        assert [(p.id, p.text, p.content_sha256) for p in s.query(Post)] == before
