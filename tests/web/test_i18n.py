"""Vietnamese first, English as an option: every string meant for people has a Vietnamese translation, no
template shows text outside _(), and a page follows the person's language."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
from babel.messages.pofile import read_po
from jinja2 import Environment

from web.i18n import catalog_path, format_number, gettext
from web.i18n_extract import extract
from web.templating import TEMPLATES_DIR, Templates
from web_support import csrf_of, flag, signed_in

#: Templates whose strings are not through _() yet (each one leaving this list is translated for good).
NOT_YET: set[str] = set()
#: Text that is the same in every language.
_NEUTRAL_WORDS = re.compile(r"kiemtin|SHA-256|\bkiem\b|\btin\b|\bICT\b|\bUTC\b|https?://\S*|\b[a-z]+(?:-[a-z]+)+\b"
                            r"|key=value|\bHTTP\b|\bURL\b|\bcron\b|MIN HOUR DOM MON DOW|Asia/Ho_Chi_Minh")


def _neutral(text: str) -> bool:
    """Brand names, units, URLs and CSS class names ("page-login") read the same in every language."""
    return not re.search(r"[^\W\d_]{2,}", _NEUTRAL_WORDS.sub(" ", text))
_SPOKEN = ("placeholder", "title", "aria-label", "alt")


def test_every_string_has_a_vietnamese_translation() -> None:
    with catalog_path("vi").open("rb") as handle:
        vi = read_po(handle, locale="vi")
    missing = [m.id for m in extract() if m.id and (vi.get(m.id) is None or not vi.get(m.id).string
                                                   or vi.get(m.id).fuzzy)]
    assert not missing, f"no Vietnamese for {missing[:10]} (run python -m web.i18n_extract, then translate)"


class _BareText(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.found: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("script", "style"):
            self._skip += 1
        for name, value in attrs:
            if name in _SPOKEN and value and not _neutral(value):
                self.found.append(f'{name}="{value}"')

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style"):
            self._skip -= 1

    def handle_data(self, data: str) -> None:
        if not self._skip and data.strip() and not _neutral(data):
            self.found.append(data.strip())


def bare_text(source: str) -> list[str]:
    """Text of a template outside {{ }} and {% %}: what a page would show untranslated."""
    env = Environment(extensions=["jinja2.ext.i18n"])
    data = "".join(value if kind == "data" else "\x00" for _, kind, value in env.lex(source))
    parser = _BareText()
    parser.feed(data.replace("\x00", " "))
    return parser.found


@pytest.mark.parametrize("name", sorted(p.name for p in TEMPLATES_DIR.glob("*.html")))
def test_no_template_shows_text_outside_gettext(name: str) -> None:
    found = bare_text((TEMPLATES_DIR / name).read_text(encoding="utf-8"))
    if name in NOT_YET:
        pytest.skip(f"{name} is not translated yet")
    assert not found, f"{name}: wrap in {{{{ _(...) }}}}: {found[:5]}"


def english_literals(source: str) -> list[str]:
    """Strings in {{ }} and {% %} that read as English words ("Add a profile", 'Pause') outside _()."""
    tokens = [(kind, value) for _, kind, value in Environment(extensions=["jinja2.ext.i18n"]).lex(source)
              if kind != "whitespace"]
    found = []
    for i, (kind, value) in enumerate(tokens):
        text = value[1:-1] if kind == "string" else ""
        inside_gettext = i >= 2 and tokens[i - 2] == ("name", "_") and tokens[i - 1][1] == "("
        if text and not inside_gettext and (re.search(r"[A-Za-z]{2,} [A-Za-z]", text) or re.match(r"[A-Z][a-z]", text)):
            found.append(text)
    return [text for text in found if text != "(no source)"]  # compared with, then shown through translated()


@pytest.mark.parametrize("name", sorted(p.name for p in TEMPLATES_DIR.glob("*.html")))
def test_no_template_expression_holds_english_words(name: str) -> None:
    found = english_literals((TEMPLATES_DIR / name).read_text(encoding="utf-8"))
    assert not found, f"{name}: wrap in _(...): {found[:5]}"


def test_the_check_sees_bare_text() -> None:
    assert english_literals("{{ 'Pause' if x else _('Resume') }} {{ 'status-ok' }}") == ["Pause"]
    assert bare_text('<p>Hello {{ _("Hi") }}</p><input placeholder="Search">') == ["Hello", 'placeholder="Search"']
    assert bare_text('<p>{{ _("Hi") }} · #{{ n }}</p><title>kiemtin</title>') == []


def test_numbers_dates_and_messages_follow_the_language() -> None:
    assert format_number(12345, "vi") == "12.345" and format_number(12345, "en") == "12,345"
    assert format_number(0.5, "vi", 2) == "0,50" and format_number(0.5, "en", 2) == "0.50"
    assert gettext("vi", "Queue") == "Hàng đợi" and gettext("en", "Queue") == "Queue"
    assert gettext("vi", "%(n)s exclamation marks", n=5) == "5 dấu chấm than"
    page = Templates().env.from_string('{{ _("Confirm") }} {{ v|dt }} {{ 1234|num }}')
    assert page.render(lang="vi", v="2024-05-01T16:30:00Z").startswith("Xác nhận <time")
    assert "23:30 01/05/2024 ICT" in page.render(lang="vi", v="2024-05-01T16:30:00Z")
    assert "2024-05-01 23:30 ICT" in page.render(lang="en", v="2024-05-01T16:30:00Z")
    assert page.render(lang="en", v=None).endswith("1,234")


def test_a_person_switches_the_pages_to_english_and_back(rt) -> None:
    rt.config.settings.ui_language = "vi"
    item = flag(rt.db, "p1")
    ana = signed_in(rt, "ana")
    page = ana.get(f"/items/{item}").text
    assert '<html lang="vi">' in page and "Xác nhận" in page and "Bác bỏ" in page and "Hàng đợi" in page
    assert ">English</button>" in page
    switched = ana.post("/language", data={"lang": "en", "next": f"/items/{item}",
                                           "csrf_token": csrf_of(ana)}, follow_redirects=False)
    assert switched.status_code == 303 and switched.headers["location"] == f"/items/{item}"
    page = ana.get(f"/items/{item}").text
    assert '<html lang="en">' in page and ">Confirm <kbd>" in page and "Tiếng Việt</button>" in page
    ana.cookies.clear()  # the choice is kept on the account, not only in the cookie
    from web_support import login
    login(ana, "ana")
    assert '<html lang="en">' in ana.get("/").text
    ana.post("/language", data={"lang": "vi", "next": "/", "csrf_token": csrf_of(ana)})
    assert '<html lang="vi">' in ana.get("/").text


def test_the_sign_in_page_follows_the_setting_and_the_cookie(rt) -> None:
    from fastapi.testclient import TestClient

    from web import create_app

    rt.config.settings.ui_language = "vi"
    client = TestClient(create_app(rt))
    assert "Đăng nhập" in client.get("/login").text
    client.post("/language", data={"lang": "en", "next": "/login"})
    page = client.get("/login").text
    assert '<html lang="en">' in page and "Sign in" in page


def test_the_po_file_is_the_only_catalog() -> None:
    assert not list(Path(catalog_path("vi")).parent.glob("*.mo")), ".mo files are compiled in memory, never kept"


def test_refusals_and_flashes_read_in_the_page_language(rt) -> None:
    rt.config.settings.ui_language = "vi"
    first, second = flag(rt.db, "a", 0.9), flag(rt.db, "b", 0.8)
    ana = signed_in(rt, "ana")
    token = csrf_of(ana)
    ana.post("/queue/next", data={"csrf_token": token})
    refused = ana.post(f"/items/{first}/decide", data={"csrf_token": token, "action": "confirm",
                                                       "category": "false_claim", "justification": " "})
    assert refused.status_code == 422 and "Xác nhận cần có lý do" in refused.text
    done = ana.post(f"/items/{first}/decide", data={"csrf_token": token, "action": "dismiss",
                                                    "dismiss_reason": "satire"})
    assert f'Bạn đã bác bỏ mục <a href="/items/{first}">#{first}</a>.' in done.text
    assert "Hoàn tác" in done.text and "Bạn đang giữ mục này đến" in done.text
    missing = ana.get("/items/999999")
    assert missing.status_code == 404 and "Không tìm thấy" in missing.text and "Không có mục #999999" in missing.text
    bob = signed_in(rt, "bob")
    page = bob.get(f"/items/{second}").text  # held by ana: a lease refusal, in Vietnamese, status translated
    assert f"Mục {second} đang do ana giữ đến" in page or "Một kiểm chứng viên khác đang giữ mục này" in page


def test_audit_sentences_follow_the_language(rt) -> None:
    from builders import people
    from web.audit_text import sentence

    class Entry:
        actor, action, target_type, target_id = "lan", "decision.confirm", "queue_item", "42"
        details = {"category": "health_misinformation"}

    assert str(sentence(Entry(), "vi")) == 'lan đã xác nhận <a href="/items/42">#42</a> là Thông tin sai về sức khỏe.'
    assert str(sentence(Entry(), "en")) == 'lan confirmed <a href="/items/42">#42</a> as Health misinformation.'
    assert people  # the builders module is importable from the web tests


def test_charts_scores_and_rates_follow_the_language(rt) -> None:
    rt.config.settings.ui_language = "vi"
    flag(rt.db, "a", 0.9, source="vnexpress")
    flag(rt.db, "b", 0.8, source="vnexpress")
    op = signed_in(rt, "op", "operator")
    page = op.get("/").text
    assert len(re.findall(r"<title>\d\d/\d\d/\d{4}: 0 bị gắn cờ</title>", page)) == 29, page
    assert re.search(r"<title>\d\d/\d\d/\d{4}: 2 bị gắn cờ</title>", page)
    assert re.search(r'text-anchor="middle">\d\d/\d\d</text>', page)
    op.post("/language", data={"lang": "en", "next": "/", "csrf_token": csrf_of(op)})
    page = op.get("/").text
    assert re.search(r"<title>\d{4}-\d\d-\d\d: 2 flagged</title>", page) and "bị gắn cờ" not in page
    assert re.search(r'text-anchor="middle">\d\d-\d\d</text>', page)
    ana = signed_in(rt, "ana")
    assert ">0,90</span>" in ana.get("/queue").text
    ana.post("/language", data={"lang": "en", "next": "/", "csrf_token": csrf_of(ana)})
    assert ">0.90</span>" in ana.get("/queue").text
    page = Templates().env.from_string("{{ 0.0000123|num(1, scientific=True) }} {{ 2.25|duration }}")
    assert page.render(lang="vi") == "1,2E-5 2,2 s" and page.render(lang="en") == "1.2E-5 2.2 s"
