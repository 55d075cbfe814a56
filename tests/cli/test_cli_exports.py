"""`kiemtin export ...` on a real database: a reviewer exports, lists and re-downloads; an analyst is refused."""

from __future__ import annotations

import json
import re
from pathlib import Path

from typer.testing import CliRunner

from export_builders import confirm, flag, people, reverse
from pipeline import app
from store import Database
from store.models import AuditEntry

runner = CliRunner()


def _ok(args: list[str]) -> str:
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    return result.output


def test_reviewer_exports_lists_and_downloads_again(cli_env: Path, db: Database) -> None:
    who = people(db)
    first = flag(db, "a", text="=1+1 Tin giả về vắc-xin lan truyền")
    confirm(db, first, who["ana"])
    confirm(db, flag(db, "b", platform="facebook"), who["bao"], category="scam_fraud")
    _ok(["export", "profile", "add", "fb", "--recipient", "Meta", "--format", "csv", "--platform", "facebook",
         "--as", "rita"])
    _ok(["export", "profile", "add", "all", "--format", "xlsx", "--as", "root"])
    listing = _ok(["export", "profile", "list", "--as", "rita"])
    assert "fb" in listing and "Meta" in listing and "never" in listing

    out = cli_env / "sent" / "fb.csv"
    printed = _ok(["export", "--profile", "fb", "--out", str(out), "--as", "rita"])
    assert "export 1: 1 takedown(s), 0 retraction(s)" in printed
    kept = next((cli_env / "data" / "exports").glob("export-000001-fb-*Z.csv"))
    assert out.read_bytes() == kept.read_bytes()
    manifest = json.loads((cli_env / "sent" / "fb.manifest.json").read_text(encoding="utf-8"))
    assert manifest["files"][0]["name"] == kept.name and manifest["filters"] == {"platform": ["facebook"]}
    assert (cli_env / "sent" / "fb-retractions.csv").read_bytes().startswith(b"\xef\xbb\xbf")

    again = runner.invoke(app, ["export", "--profile", "fb", "--out", str(cli_env / "fb2.csv"), "--as", "rita"])
    assert again.exit_code == 3 and "nothing new to export for fb" in again.output  # since the last export
    assert not (cli_env / "fb2.csv").exists()
    everything = _ok(["export", "--profile", "fb", "--all", "--out", str(cli_env / "fb3.csv"), "--as", "rita"])
    assert "1 takedown(s)" in everything

    adhoc = cli_env / "adhoc.jsonl"
    _ok(["export", "--all", "--category", "false_claim", "--out", str(adhoc), "--as", "root"])
    rows = [json.loads(line) for line in adhoc.read_text(encoding="utf-8").splitlines()]
    assert [r["text_snapshot"] for r in rows] == ["=1+1 Tin giả về vắc-xin lan truyền"]  # JSON is not neutralised

    _ok(["export", "--profile", "all", "--out", str(cli_env / "all.xlsx"), "--as", "rita"])
    reverse(db, first, who["bao"], who["cam"])
    retracted = _ok(["export", "--profile", "all", "--out", str(cli_env / "all2.xlsx"), "--as", "rita"])
    assert "0 takedown(s), 1 retraction(s)" in retracted and (cli_env / "all2-retractions.xlsx").exists()

    history = _ok(["export", "list", "--as", "rita"])
    last = int(re.search(r"#(\d+)", history).group(1))  # the newest first (ids may skip a refused export's)
    assert history.index(f"#{last}") < history.index("#1") and history.count("\n") == 5
    copy = cli_env / "again.csv"
    printed = _ok(["export", "download", "1", "--out", str(copy), "--as", "root"])
    assert "(verified)" in printed and copy.read_bytes() == kept.read_bytes()
    _ok(["export", "download", str(last), "--retractions", "--out", str(cli_env / "r.xlsx"), "--as", "root"])
    assert (cli_env / "r.xlsx").read_bytes() == (cli_env / "all2-retractions.xlsx").read_bytes()

    kept.write_bytes(kept.read_bytes() + b"x")
    tampered = runner.invoke(app, ["export", "download", "1", "--out", str(cli_env / "t.csv"), "--as", "rita"])
    assert tampered.exit_code == 3 and "no longer matches its manifest" in tampered.output

    asked = runner.invoke(app, ["export", "profile", "remove", "fb", "--as", "rita"], input="n\n")
    assert asked.exit_code == 1 and "delete the export profile 'fb'?" in asked.output  # it asks first
    assert "fb " in _ok(["export", "profile", "list", "--as", "rita"])
    _ok(["export", "profile", "remove", "fb", "--yes", "--as", "rita"])
    assert "fb " not in _ok(["export", "profile", "list", "--as", "rita"])
    with db.session() as s:
        actions = [a.action for a in s.query(AuditEntry).filter(AuditEntry.action.like("export%"))]
    assert actions.count("export.create") == 5 and actions.count("export.download") == 2
    assert "export.download_refused" in actions and "export_profile.delete" in actions


def test_analyst_cannot_export_from_the_command_line(cli_env: Path, db: Database) -> None:
    who = people(db)
    confirm(db, flag(db, "a"), who["ana"])
    out = cli_env / "x.csv"
    refused = runner.invoke(app, ["export", "--all", "--out", str(out), "--as", "ana"])
    assert refused.exit_code == 5  # not allowed
    assert "'ana' is an analyst; only a reviewer or an admin may export" in refused.output
    assert not out.exists() and not list((cli_env / "data" / "exports").glob("*"))
    nobody = runner.invoke(app, ["export", "--all", "--out", str(out)])
    assert nobody.exit_code == 5 and "--as USERNAME" in nobody.output
    profile = runner.invoke(app, ["export", "profile", "add", "p", "--as", "bao"])
    assert profile.exit_code == 5 and "analyst" in profile.output
    unknown = runner.invoke(app, ["export", "--profile", "ghost", "--out", str(out), "--as", "rita"])
    assert unknown.exit_code == 4 and "no export profile named 'ghost'" in unknown.output
    with db.session() as s:
        assert s.query(AuditEntry).filter(AuditEntry.action == "export.create").count() == 0
