"""`kiemtin takedowns list|mark` on a real database: a reviewer follows a request; an analyst is refused."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from export_builders import confirm, flag, people
from pipeline import app
from review.takedowns import record_check
from store import Database

runner = CliRunner()


def _ok(args: list[str]) -> str:
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    return result.output


def test_reviewer_lists_and_marks_requests(cli_env: Path, db: Database) -> None:
    who = people(db)
    confirm(db, flag(db, "a"), who["ana"])
    _ok(["export", "profile", "add", "fb", "--recipient", "Meta", "--as", "rita"])
    _ok(["export", "--profile", "fb", "--out", str(cli_env / "fb.csv"), "--as", "rita"])
    listing = _ok(["takedowns", "list", "--as", "rita"])
    assert "Meta" in listing and "sent" in listing
    rows = [json.loads(line) for line in _ok(["takedowns", "list", "--json", "--as", "rita"]).splitlines()]
    assert len(rows) == 1 and rows[0]["status"] == "sent" and rows[0]["overdue"] is False
    rid = str(rows[0]["id"])
    assert "no takedown requests match" in _ok(["takedowns", "list", "--overdue", "--as", "rita"])
    printed = _ok(["takedowns", "mark", rid, "--status", "acknowledged", "--note", "Meta đã nhận", "--ref",
                   "M-77", "--as", "rita"])
    assert f"request {rid}: acknowledged" in printed
    assert "M-77" in _ok(["takedowns", "list", "--status", "acknowledged", "--as", "rita"])
    refused = runner.invoke(app, ["takedowns", "mark", rid, "--status", "restored", "--note", "x", "--as", "rita"])
    assert refused.exit_code == 3 and "can become" in refused.output
    analyst = runner.invoke(app, ["takedowns", "list", "--as", "ana"])
    assert analyst.exit_code == 5
    bad = runner.invoke(app, ["takedowns", "list", "--status", "gone", "--as", "rita"])
    assert bad.exit_code == 2 and "unknown status" in bad.output


def test_recheck_runs_from_the_console_and_refuses_an_analyst(cli_env: Path, db: Database) -> None:
    people(db)
    assert "no takedown request is due" in _ok(["takedowns", "recheck"])
    assert "no takedown request is due" in _ok(["takedowns", "recheck", "--now", "--as", "root"])
    refused = runner.invoke(app, ["takedowns", "recheck", "--as", "ana"])
    assert refused.exit_code == 5


def test_report_writes_csv_and_xlsx(cli_env: Path, db: Database) -> None:
    who = people(db)
    confirm(db, flag(db, "a"), who["ana"])
    _ok(["export", "profile", "add", "fb", "--recipient", "Meta", "--as", "rita"])
    _ok(["export", "--profile", "fb", "--out", str(cli_env / "fb.csv"), "--as", "rita"])
    printed = _ok(["takedowns", "report", "--profile", "fb", "--out", str(cli_env / "r.csv"), "--as", "rita"])
    assert "1 request(s)" in printed and (cli_env / "r-summary.csv").exists()
    _ok(["takedowns", "report", "--profile", "fb", "--from", "2020-01-01", "--out", str(cli_env / "r.xlsx"),
         "--as", "rita"])
    assert (cli_env / "r.xlsx").stat().st_size > 0
    missing = runner.invoke(app, ["takedowns", "report", "--profile", "nope", "--out", "x.csv", "--as", "rita"])
    assert missing.exit_code == 4


def test_queue_list_shows_an_item_whose_text_changed_since_its_takedown(cli_env: Path, db: Database) -> None:
    who = people(db)
    item = flag(db, "a")
    confirm(db, item, who["ana"])
    _ok(["export", "profile", "add", "fb", "--recipient", "Meta", "--as", "rita"])
    _ok(["export", "--profile", "fb", "--out", str(cli_env / "fb.csv"), "--as", "rita"])
    assert "no text changed: decide again items" in _ok(["queue", "list", "--status", "changed"])
    rid = json.loads(_ok(["takedowns", "list", "--json", "--as", "rita"]).splitlines()[0])["id"]
    record_check(db, request_id=rid, url="https://x/a", outcome="changed", http_status=200, text="Bài đã sửa")
    assert f"#{item}" in _ok(["queue", "list", "--status", "changed"])
    assert "no confirmed items" in _ok(["queue", "list", "--status", "confirmed"])
    assert "changed" in _ok(["queue", "list", "--help"])
