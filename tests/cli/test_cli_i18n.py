"""Command-line messages for people follow --lang, else the setting ui_language ($KIEMTIN_UI_LANGUAGE)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from click.testing import Result
from typer.testing import CliRunner

from cli.common import moment, number, set_language
from pipeline import app
from review.claimreview import parse_claims
from review.errors import InvalidInput
from web.i18n import said


def test_a_refusal_is_said_in_the_chosen_language(cli_env, monkeypatch) -> None:
    vi = CliRunner().invoke(app, ["--lang", "vi", "users", "reactivate", "nobody"])
    assert vi.exit_code == 4 and "lỗi: Không có người dùng 'nobody'" in vi.stderr
    en = CliRunner().invoke(app, ["users", "reactivate", "nobody"])
    assert en.exit_code == 4 and "error: there is no user 'nobody'" in en.stderr
    monkeypatch.setenv("KIEMTIN_UI_LANGUAGE", "vi")
    assert "Không có người dùng" in CliRunner().invoke(app, ["users", "reactivate", "nobody"]).stderr
    wrong = CliRunner().invoke(app, ["--lang", "fr", "users", "list"])
    assert wrong.exit_code == 2 and "lỗi: ngôn ngữ không rõ 'fr'; hãy chọn vi hoặc en" in wrong.stderr
    refused = CliRunner().invoke(app, ["export", "list", "--as", "nobody"])  # an export's refusal, passed on
    assert refused.exit_code == 5 and "lỗi: Không có người dùng tên 'nobody'" in refused.stderr



def test_messages_for_people_follow_the_language(cli_env) -> None:
    added = CliRunner().invoke(app, ["--lang", "vi", "users", "add", "lan", "--role", "analyst", "--password-stdin"],
                               input="mat-khau-dai-1234\n")
    assert added.exit_code == 0 and "đã tạo kiểm chứng viên lan" in added.stdout, added.output

    again = CliRunner().invoke(app, ["--lang", "vi", "users", "reactivate", "lan"])
    assert again.exit_code == 0 and "lan: vốn đang hoạt động" in again.stdout
    assert "lan: was already active" in CliRunner().invoke(app, ["users", "reactivate", "lan"]).stdout


def _run(*args: str) -> Result:
    return CliRunner().invoke(app, list(args))


def test_numbers_and_moments_follow_the_language(cli_env) -> None:
    moment_utc = datetime(2024, 5, 1, 16, 30, tzinfo=UTC)
    try:
        set_language("vi")
        assert (number(12345), number(0.5, 2), moment(moment_utc)) == ("12.345", "0,50", "23:30 01/05/2024")
        assert moment(moment_utc, zone=UTC, year=False) == "16:30 01/05"
        set_language("en")
        assert (number(12345), number(0.5, 2), moment(moment_utc)) == ("12,345", "0.50", "2024-05-01 23:30")
    finally:
        set_language(None)


def test_tables_headings_and_summaries_follow_the_language(cli_env) -> None:
    assert "không có nguồn nào; thêm bằng `kiemtin sources add" in _run("--lang", "vi", "sources", "list").stdout
    added = _run("--lang", "vi", "sources", "add", "feed", "--kind", "rss", "--url", "https://example.vn/feed",
                 "--min-delay", "2.5", "--paused")
    assert added.exit_code == 0 and added.stdout.startswith("đã thêm feed (rss, every 15m, đang tạm dừng)")
    vi, en = _run("--lang", "vi", "sources", "list").stdout, _run("--lang", "en", "sources", "list").stdout
    assert vi.split()[:3] == ["tên", "loại", "bật"] and " tạm dừng " in vi and " 2,5 " in vi, vi
    assert en.split()[:3] == ["name", "kind", "enabled"] and " paused " in en and " 2.5 " in en, en
    status = _run("--lang", "vi", "status").stdout
    assert "cơ sở dữ liệu:" in status and "(lưu giữ 90 ngày)" in status and "bộ lập lịch: không chạy" in status
    assert "giờ theo Asia/Ho_Chi_Minh" in status and " tạm dừng" in status.splitlines()[-1], status
    assert "retention 90 days" in _run("--lang", "en", "status").stdout
    assert _run("--lang", "vi", "queue", "list").stdout.strip() == "không có mục nào đang chờ"
    assert _run("--lang", "vi", "alerts", "check").stdout.strip() == "đã phát 0 cảnh báo"
    assert _run("--lang", "en", "alerts", "check").stdout.strip() == "0 alert(s) raised"


def test_a_claims_file_refused_says_where_in_the_chosen_language(cli_env) -> None:
    (cli_env / "f.jsonl").write_text('{"text": "a"}\n{"text": "b", "reviewed_at": "hôm qua"}\n', encoding="utf-8")
    vi, en = (_run("--lang", lang, "claims", "import", "f.jsonl") for lang in ("vi", "en"))
    assert vi.exit_code == en.exit_code == 2
    assert "lỗi: f.jsonl, dòng 2: 'hôm qua' không phải là ngày" in vi.stderr, vi.stderr
    assert "error: f.jsonl, line 2: 'hôm qua' is not a date" in en.stderr, en.stderr
    (cli_env / "g.jsonl").write_text('{"text": "a"}\n{"text": "b", "verdict": "??"}\n', encoding="utf-8")
    vi = _run("--lang", "vi", "claims", "import", "g.jsonl")
    assert "lỗi: Nhận định 2: Kết luận '??' không hợp lệ" in vi.stderr, vi.stderr


def test_a_phrase_inside_a_refusal_is_translated_with_it() -> None:
    with pytest.raises(InvalidInput) as refused:
        parse_claims("[1]")
    assert str(refused.value) == "the file, record 1: expected a JSON object, got int"
    assert said(refused.value, "vi").startswith("tệp, bản ghi 1: ")


def test_a_configuration_file_that_cannot_be_read_is_said_in_the_language(tmp_path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("KIEMTIN_UI_LANGUAGE", raising=False)
    (tmp_path / "bad.toml").write_text("x = [\n", encoding="utf-8")
    missing = _run("--config", "nope.toml", "status")
    assert missing.exit_code == 2 and missing.stderr.strip() == "lỗi: nope.toml: không có tệp cấu hình này"
    assert _run("--lang", "en", "-c", "nope.toml", "status").stderr.strip() == \
        "error: nope.toml: no such configuration file"
    assert _run("-c", "bad.toml", "status").stderr.startswith("lỗi: bad.toml: không phải TOML hợp lệ: ")
    monkeypatch.setenv("KIEMTIN_UI_LANGUAGE", "en")  # the file cannot say its language: the variable does
    assert _run("-c", "bad.toml", "status").stderr.startswith("error: bad.toml: not valid TOML: ")


def test_configuration_values_that_fail_validation_are_said_in_the_language(tmp_path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("KIEMTIN_UI_LANGUAGE", raising=False)
    (tmp_path / "bad.toml").write_text('[settings]\nweb_port = 0\nbogus = 1\n[[sources]]\nkind = "rss"\n'
                                       'url = "ftp://x"\n', encoding="utf-8")
    vi = _run("-c", "bad.toml", "status")
    assert vi.exit_code == 2 and vi.stderr.splitlines() == [
        "lỗi: bad.toml: settings.web_port: giá trị phải lớn hơn hoặc bằng 1",
        "lỗi: bad.toml: settings.bogus: không có trường này",
        "lỗi: bad.toml: sources[0].name: bắt buộc phải có",
        "lỗi: bad.toml: sources[0].url: phải là một URL http:// hoặc https://"]
    assert _run("--lang", "en", "-c", "bad.toml", "status").stderr.splitlines() == [
        "error: bad.toml: settings.web_port: Input should be greater than or equal to 1",
        "error: bad.toml: settings.bogus: Extra inputs are not permitted",
        "error: bad.toml: sources[0].name: Field required",
        "error: bad.toml: sources[0].url: must be an http:// or https:// URL"]


def test_errors_of_the_model_files_are_said_in_the_language(cli_env, monkeypatch) -> None:
    models = cli_env / "models"
    monkeypatch.setenv("KIEMTIN_MODELS_DIR", str(models))
    (cli_env / "data.csv").write_text("post_message,label\nmột bài,1\n", encoding="utf-8")

    def both(*args: str) -> tuple[str, str]:
        vi, en = _run("--lang", "vi", *args), _run("--lang", "en", *args)
        assert vi.exit_code != 0 and en.exit_code != 0
        return vi.stderr.strip(), en.stderr.strip()

    assert both("evaluate", "--data", "data.csv") == (
        f"lỗi: chưa có mô hình đang dùng trong {models} (hãy huấn luyện một mô hình, hoặc kích hoạt một phiên bản)",
        f"error: no active model in {models} (train one, or activate a version)")
    assert both("evaluate", "--data", "nope.csv") == ("lỗi: nope.csv: không có tệp này",
                                                      "error: nope.csv: no such file")
    (models / "v1").mkdir(parents=True)
    (models / "v1" / "model.skops").write_bytes(b"not a zip")  # a corrupt model: its card first, then the file
    assert both("evaluate", "--data", "data.csv", "--model-version", "v1") == (
        f"lỗi: {models / 'v1' / 'card.json'}: không có tệp này hoặc tệp không có ngưỡng",
        f"error: {models / 'v1' / 'card.json'}: missing or has no threshold")
    (models / "v1" / "card.json").write_text('{"threshold": 0.5}', encoding="utf-8")
    vi, en = both("evaluate", "--data", "data.csv", "--model-version", "v1")
    assert vi.startswith(f"lỗi: {models / 'v1' / 'model.skops'}: không đọc được tệp mô hình (BadZipFile: ")
    assert en.startswith(f"error: {models / 'v1' / 'model.skops'}: not a readable model file (BadZipFile: ")
    assert both("model", "activate", "v2") == (
        f"lỗi: không có phiên bản mô hình 'v2' trong {models}; xem `kiemtin model list`",
        f"error: no model version 'v2' in {models}; see `kiemtin model list`")
