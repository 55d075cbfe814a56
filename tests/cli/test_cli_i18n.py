"""Command-line messages for people follow --lang, else the setting ui_language ($KIEMTIN_UI_LANGUAGE)."""

from __future__ import annotations

from typer.testing import CliRunner

from pipeline import app


def test_a_refusal_is_said_in_the_chosen_language(cli_env, monkeypatch) -> None:
    vi = CliRunner().invoke(app, ["--lang", "vi", "users", "reactivate", "nobody"])
    assert vi.exit_code == 4 and "error: Không có người dùng 'nobody'" in vi.stderr
    en = CliRunner().invoke(app, ["users", "reactivate", "nobody"])
    assert en.exit_code == 4 and "error: there is no user 'nobody'" in en.stderr
    monkeypatch.setenv("KIEMTIN_UI_LANGUAGE", "vi")
    assert "Không có người dùng" in CliRunner().invoke(app, ["users", "reactivate", "nobody"]).stderr
    wrong = CliRunner().invoke(app, ["--lang", "fr", "users", "list"])
    assert wrong.exit_code == 2 and "unknown language 'fr'" in wrong.stderr


def test_messages_for_people_follow_the_language(cli_env) -> None:
    added = CliRunner().invoke(app, ["--lang", "vi", "users", "add", "lan", "--role", "analyst", "--password-stdin"],
                               input="mat-khau-dai-1234\n")
    assert added.exit_code == 0 and "đã tạo analyst lan" in added.stdout, added.output
    again = CliRunner().invoke(app, ["--lang", "vi", "users", "reactivate", "lan"])
    assert again.exit_code == 0 and "lan: vốn đang hoạt động" in again.stdout
    assert "lan: was already active" in CliRunner().invoke(app, ["users", "reactivate", "lan"]).stdout
