"""The command line: every command a user runs, against a real database, with readable errors."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from typer.testing import CliRunner

from pipeline import app
from store import Database
from store.models import AuditEntry, User

runner = CliRunner()


def test_db_upgrade_reports_the_revision(cli_env: Path) -> None:
    result = runner.invoke(app, ["db", "upgrade"])
    assert result.exit_code == 0, result.output
    assert "revision 0" in result.output


def test_users_add_hashes_the_password_and_audits(cli_env: Path) -> None:
    result = runner.invoke(app, ["users", "add", "lan", "--role", "analyst", "--password-stdin"],
                           input="mật khẩu rất dài\n")
    assert result.exit_code == 0, result.output
    db = Database(os.environ["KIEMTIN_DATABASE_URL"])
    with db.session() as session:
        user = session.query(User).filter_by(username="lan").one()
        assert user.role == "analyst" and "mật khẩu" not in user.password_hash
        assert user.password_hash.startswith("$argon2")
        assert session.query(AuditEntry).filter_by(action="user.create").count() == 1
    listing = runner.invoke(app, ["users", "list"])
    assert "lan" in listing.output and "analyst" in listing.output


def test_users_add_refuses_unknown_role_and_short_password(cli_env: Path) -> None:
    bad_role = runner.invoke(app, ["users", "add", "x", "--role", "boss", "--password-stdin"], input="long enough pw\n")
    short = runner.invoke(app, ["users", "add", "x", "--role", "admin", "--password-stdin"], input="short\n")
    assert bad_role.exit_code == 2 and "unknown role" in bad_role.output
    assert short.exit_code == 2 and "at least" in short.output


def test_queue_list_on_an_empty_queue(cli_env: Path) -> None:
    result = runner.invoke(app, ["queue", "list"])
    assert result.exit_code == 0 and "no pending items" in result.output
    assert runner.invoke(app, ["queue", "list", "--status", "lost"]).exit_code == 2


def test_broken_config_fails_at_start_with_file_and_field(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    bad = tmp_path / "kiemtin.toml"
    bad.write_text('[[sources]]\nname = "x"\nkind = "rss"\nurl = "gopher://x"\n', encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    result = runner.invoke(app, ["--lang", "en", "--config", str(bad), "crawl"])
    assert result.exit_code == 2
    assert f"{bad}: sources[0].url: must be an http" in result.output


def test_evaluate_names_missing_columns(cli_env: Path, tmp_path: Path) -> None:
    pytest.importorskip("classifier", reason="the classifier package is not built yet")
    data = tmp_path / "posts.csv"
    data.write_text("id,post_message\n1,Xin chào\n", encoding="utf-8")
    result = runner.invoke(app, ["evaluate", "--data", str(data)])
    assert result.exit_code == 2
    assert "label" in result.output and str(data) in result.output
