"""``--help`` follows the CLI's language: every help text of every command and group has Vietnamese in the catalog,
and the help, the command list and usage errors read Vietnamese by default and English with --lang en or
$KIEMTIN_UI_LANGUAGE=en, with option names, metavars and defaults as they are."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import typer.main
from babel.messages.pofile import read_po
from click.testing import Result
from typer.testing import CliRunner

from cli.help import (
    CLICK_WORDS,
    RICH_WORDS,
    USAGE_ERRORS,
    _commands,
    _leading_options,
    help_texts,
    localize,
    said_usage_error,
)
from pipeline import app
from web.i18n import catalog_path, gettext
from web.i18n_extract import extract


@pytest.fixture
def no_config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """No configuration file and no language variable: the CLI's default language, Vietnamese."""
    monkeypatch.setenv("KIEMTIN_CONFIG", str(tmp_path / "absent.toml"))
    monkeypatch.delenv("KIEMTIN_UI_LANGUAGE", raising=False)
    monkeypatch.chdir(tmp_path)
    return tmp_path


def _run(*args: str) -> Result:
    return CliRunner().invoke(app, list(args), prog_name="kiemtin")


def _words(text: str) -> str:
    """Rendered help with its panel borders and line wrapping taken out: one space between words."""
    return " ".join(re.sub(r"[│╭╮╰╯─]", " ", text).split())


def _paths() -> list[tuple[str, ...]]:
    """The name path of every command and group, the main one first."""
    def walk(command: typer.main.TyperGroup, path: tuple[str, ...]) -> list[tuple[str, ...]]:
        subs = getattr(command, "commands", {})
        return [path, *(p for name, sub in subs.items() for p in walk(sub, (*path, name)))]

    return walk(typer.main.get_command(app), ())


def test_every_help_text_has_a_vietnamese_translation_in_the_catalog() -> None:
    with catalog_path("vi").open("rb") as handle:
        vi = read_po(handle, locale="vi")
    texts = ({text for text, _where in help_texts()} | set(RICH_WORDS.values()) | set(CLICK_WORDS)
             | {template for _pattern, template in USAGE_ERRORS})
    assert len(texts) > 150
    assert not texts - {m.id for m in extract()}, "babel.cfg no longer reaches the help texts"
    missing = [t for t in sorted(texts) if vi.get(t) is None or not vi.get(t).string or vi.get(t).fuzzy]
    assert not missing, f"no Vietnamese for {missing[:5]} (run python -m web.i18n_extract, then translate)"
    # Click shows a docstring's first paragraph as the short help: the Vietnamese keeps the paragraphs
    reshaped = [t for t in texts if vi.get(t).string.count("\n\n") != t.count("\n\n")]
    assert not reshaped, f"keep the paragraphs (blank lines) of {reshaped[:3]}"


def test_each_text_is_found_in_the_module_that_defines_it() -> None:
    where = dict(help_texts())
    assert where["The review queue: list, and next/decide/bulk/undo/comment/appeal/release as a person (--as)."] \
        == "cli.queue"
    assert where["log debug details"] == "cli.app"
    assert where["Database migrations."] == "cli.database"


@pytest.mark.parametrize("path", _paths(), ids=lambda p: " ".join(p) or "kiemtin")
def test_the_help_of_every_command_and_group_is_vietnamese(no_config, path: tuple[str, ...]) -> None:
    shown = _run(*path, "--help")
    assert shown.exit_code == 0, shown.output
    words = _words(shown.stdout)
    english = {text for text, _ in help_texts()} | {"Usage:", "Show this message and exit."}
    left = [t for t in english if _words(t) in words]
    assert not left, f"English left in `kiemtin {' '.join(path)} --help`: {left[:3]}"
    assert words.startswith("Cách dùng: kiemtin")
    assert "Tùy chọn" in words and "Hiện trợ giúp này rồi thoát." in words


def test_help_in_english_with_lang_or_the_variable(no_config, monkeypatch) -> None:
    queue = _words(_run("--lang", "en", "queue", "--help").stdout)
    assert queue.startswith("Usage: kiemtin queue [OPTIONS] COMMAND [ARGS]...")
    assert "The review queue: list, and next/decide/bulk/undo/comment/appeal/release as a person (--as)." in queue
    assert "Options --help <bool> Show this message and exit." in queue and "Commands list Print queued" in queue
    assert "Tùy chọn" not in queue
    equal = _words(_run("--lang=en", "--help").stdout)
    assert "Options --config -c <path> configuration file (default kiemtin.toml or $KIEMTIN_CONFIG)" in equal
    monkeypatch.setenv("KIEMTIN_UI_LANGUAGE", "en")
    assert _words(_run("--help").stdout) == equal
    assert _words(_run("--lang", "vi", "sources", "add", "--help").stdout).startswith(
        "Cách dùng: kiemtin sources add [OPTIONS] {name}")


def test_help_in_vietnamese_by_default(no_config) -> None:
    main = _words(_run("--help").stdout)
    assert main.startswith("Cách dùng: kiemtin [OPTIONS] COMMAND [ARGS]...")
    assert "Tùy chọn --config -c <path> tệp cấu hình (mặc định kiemtin.toml hoặc $KIEMTIN_CONFIG)" in main
    assert " Lệnh crawl " in main and "Options" not in main and "Commands" not in main
    queue = _words(_run("queue", "--help").stdout)
    assert "Tùy chọn --help <bool> Hiện trợ giúp này rồi thoát." in queue
    listing = _words(_run("queue", "list", "--help").stdout)
    assert "--limit <int range> [1<=x<=1000]" in listing and "[mặc định: 20]" in listing
    assert _words(_run("queue").stdout) == queue  # no command: the group's help (no_args_is_help)
    assert _words(_run().stdout) == main
    assert "Đối số" in _words(_run("sources", "add", "--help").stdout)


def test_a_usage_error_says_its_hint_in_the_language(no_config) -> None:
    vi = _run("nosuch")
    assert vi.exit_code == 2
    words = _words(vi.stderr)
    assert words.startswith("Cách dùng: kiemtin [OPTIONS] COMMAND [ARGS]...")
    assert "Thử 'kiemtin --help' để xem trợ giúp." in words and "Lỗi Không có lệnh 'nosuch'." in words, words
    en = _words(_run("--lang", "en", "queue", "nosuch").stderr)
    assert "Try 'kiemtin queue --help' for help." in en and "Error No such command 'nosuch'." in en, en


def test_a_tree_translated_again_starts_from_its_english() -> None:
    root = typer.main.get_command(app)
    queue = root.commands["queue"]  # type: ignore[attr-defined]
    english = queue.help
    localize(root, "vi")
    assert queue.help == gettext("vi", english) != english
    localize(root, "en")
    assert queue.help == english
    localize(root, "vi")
    assert queue.help == gettext("vi", english)
    assert all(c.context_class.formatter_class.__name__ == "_Formatter" for c in _commands(root))


@pytest.mark.parametrize(("args", "found"), [
    ([], (None, None)),
    (["--lang", "en", "queue", "--lang", "vi"], (None, "en")),
    (["--lang=vi", "-c", "k.toml", "--help"], ("k.toml", "vi")),
    (["-v", "-ck.toml", "--config=x.toml", "status"], ("x.toml", None)),
    (["--verbose", "--lang"], (None, None)),
    (["--", "--lang", "en"], (None, None)),
])
def test_the_language_and_configuration_are_read_before_the_command(args, found) -> None:
    assert _leading_options(args) == found


@pytest.mark.parametrize(("args", "vi", "en"), [
    (("queue", "undo"), "Lỗi Thiếu đối số 'item'.", "Error Missing argument 'item'."),
    (("users", "add", "lan"), "Thiếu tùy chọn '--role'.", "Missing option '--role'."),
    (("queue", "list", "--lim", "3"), "Không có tùy chọn --lim (có thể bạn muốn dùng: --limit)",
     "No such option: --lim (Possible options: --limit)"),
    (("queue", "list", "--json"), "Không có tùy chọn --json", "No such option: --json"),
    (("queue", "list", "--limit"), "Tùy chọn '--limit' cần một giá trị.", "Option '--limit' requires an argument."),
    (("queue", "list", "extra"), "Thừa đối số không mong đợi (extra)", "Got unexpected extra argument(s) (extra)"),
    (("queue", "list", "--limit", "0"), "Giá trị không hợp lệ cho '--limit': giá trị phải lớn hơn hoặc bằng 1",
     "Invalid value for '--limit': Input should be greater than or equal to 1"),
    (("queue", "list", "--limit", "x"), "Giá trị không hợp lệ cho '--limit': giá trị phải là một số nguyên",
     "Invalid value for '--limit': Input should be a valid integer, unable to parse string as an integer"),
    (("quue",), "Không có lệnh 'quue'. Có phải ý bạn là 'queue'?", "No such command 'quue'. Did you mean 'queue'?"),
])
def test_click_s_usage_errors_are_said_in_the_language(no_config, args, vi, en) -> None:
    said_vi, said_en = _run(*args), _run("--lang", "en", *args)
    assert said_vi.exit_code == said_en.exit_code == 2
    assert vi in _words(said_vi.stderr), said_vi.stderr
    assert en in _words(said_en.stderr), said_en.stderr


@pytest.mark.parametrize(("message", "vi"), [
    ("Argument 'x' takes 2 values.", "Đối số 'x' cần 2 giá trị."),
    ("Option '--at' requires 2 arguments.", "Tùy chọn '--at' cần 2 giá trị."),
    ("Missing parameter 'x'.", "Thiếu tham số 'x'."),
    ("Invalid value for '--role': 'boss' is not one of 'analyst', 'admin'.",
     "Giá trị không hợp lệ cho '--role': 'boss' không phải một trong các giá trị 'analyst', 'admin'."),
    ("Invalid value for '--data': File 'a.csv' does not exist.",
     "Giá trị không hợp lệ cho '--data': Tệp 'a.csv' không tồn tại."),
    ("Invalid value for 'DIR': Directory 'x' is a file.", "Giá trị không hợp lệ cho 'DIR': Thư mục 'x' là một tệp."),
    ("Invalid value for '--n': Input should be greater than 0",
     "Giá trị không hợp lệ cho '--n': giá trị phải lớn hơn 0"),
    ("Invalid value for '--on': Input should be a valid boolean, unable to interpret input",
     "Giá trị không hợp lệ cho '--on': giá trị phải là true hoặc false"),
    ("Invalid value for '--at': Value 'x' is not a valid datetime.",
     "Giá trị không hợp lệ cho '--at': Giá trị 'x' không phải là datetime hợp lệ."),
])
def test_rarer_usage_errors_are_said_in_the_language(message, vi) -> None:
    assert said_usage_error(message, "vi") == vi
    assert said_usage_error(message, "en") == message


def test_another_usage_error_is_left_as_click_says_it() -> None:
    assert said_usage_error("Something Click has no sentence for.", "vi") is None
    assert said_usage_error("Invalid value for '--at': not a time", "vi") == \
        "Giá trị không hợp lệ cho '--at': not a time"
