"""``kiemtin claims``: add, import, export and a ClaimReview round trip into a fresh database."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from typer.testing import CliRunner

from builders import people
from pipeline import app
from store import Database

runner = CliRunner()


def _run(*args: str) -> str:
    result = runner.invoke(app, list(args))
    assert result.exit_code == 0, result.output
    return result.output


def test_claimreview_round_trips_into_a_fresh_database(cli_env: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    people(Database(os.environ["KIEMTIN_DATABASE_URL"]), ("ana", "analyst"))
    _run("claims", "add", "--text", "Uống nước muối chữa khỏi tiểu đường", "--url", "https://fc.example.vn/1",
         "--rating", "Sai sự thật", "--summary", "không có bằng chứng", "--as", "ana")
    _run("claims", "add", "--text", "Vắc xin chứa chip theo dõi", "--verdict", "unproven", "--as", "ana")
    (cli_env / "more.jsonl").write_text(json.dumps({"text": "Ăn tỏi chữa covid", "verdict": "misleading",
                                                    "category": "health_misinformation"}) + "\n", encoding="utf-8")
    assert "1 claim(s) added, 0 already known" in _run("claims", "import", "more.jsonl")
    assert "3 claim(s) written" in _run("claims", "export", "--format", "claimreview", "--out", "out.json")
    _run("claims", "export", "--format", "jsonl", "--out", "out.jsonl")
    before = [json.loads(line) for line in _run("claims", "list", "--json").splitlines()]

    monkeypatch.setenv("KIEMTIN_DATABASE_URL", f"sqlite:///{cli_env / 'fresh.db'}")
    assert "3 claim(s) added" in _run("claims", "import", "out.json")
    assert "0 claim(s) added, 3 already known" in _run("claims", "import", "out.jsonl")
    after = [json.loads(line) for line in _run("claims", "list", "--json").splitlines()]
    drop = ("id", "links", "matches")
    assert [{k: v for k, v in c.items() if k not in drop} for c in after] == [
        {k: v for k, v in c.items() if k not in drop} for c in before]


def test_claims_commands_refuse_clearly(cli_env: Path) -> None:
    no_person = runner.invoke(app, ["claims", "add", "--text", "x"])
    assert no_person.exit_code == 5 and "--as USERNAME" in no_person.output
    (cli_env / "bad.jsonl").write_text('{"text": "a"}\nnope\n', encoding="utf-8")
    bad = runner.invoke(app, ["claims", "import", "bad.jsonl"])
    assert bad.exit_code == 2 and "bad.jsonl, line 2: not JSON" in bad.output
    missing = runner.invoke(app, ["claims", "import", "absent.json"])
    assert missing.exit_code == 2 and "cannot read" in missing.output
    fmt = runner.invoke(app, ["claims", "export", "--format", "csv", "--out", "x.csv"])
    assert fmt.exit_code == 2 and "unknown format" in fmt.output
    assert "no claims yet" in _run("claims", "list")
