"""``html_to_text``'s shortcuts for escaped plain text and simple markup give what the HTML parser gives."""

from __future__ import annotations

import csv
import html
import random
import re
from pathlib import Path

import pytest

from crawler.text import _markup_to_text, _simple_markup, _tidy, _unescape_plain, html_to_text

REINTEL = Path(__file__).resolve().parents[2] / "data" / "reintel"

#: pieces that make the parser and the shortcut part ways if either gets them wrong
PIECES = ["&", "&amp;", "&lt;", "&gt;", "&quot;", "&apos;", "&#39;", "&#x27;", "&#X27;", "&nbsp;", "&AMP;",
          "&copy", "&#128;", "&#65279;", "amp;", "lt;", "#39;", ";", "#", "x", "a", "ệ", "\u0301", " ", "  ", "\t",
          "\n", "\n\n\n", "\r", "\r\n", "\xa0", "\u3000", "\u2028", "\u200b", "\ufeff", "\x0c", "\x00", "\x85",
          "😀", "é"]


def _reintel_texts() -> list[str]:
    texts = []
    for name in ("public_train.csv", "public_test.csv"):
        with (REINTEL / name).open(encoding="utf-8", newline="") as f:
            texts += [row["post_message"] for row in csv.DictReader(f) if row.get("post_message")]
    return texts


def test_escaped_reintel_posts_read_the_same_without_the_parser():
    escaped = [html.escape(text, quote=False) for text in _reintel_texts()]
    with_entities = [text for text in escaped if "&" in text]
    assert len(with_entities) > 1000
    shortcut = [_unescape_plain(text) for text in with_entities]
    assert None not in shortcut  # a feed's escaped text never needs the parser
    assert shortcut == [_markup_to_text(text) for text in with_entities]


def test_random_escaped_text_reads_the_same_with_and_without_the_parser():
    rng = random.Random(20261130)
    taken = compared = 0
    for _ in range(4000):
        text = "".join(rng.choice(PIECES) for _ in range(rng.randint(1, 14)))
        if "&" not in text:
            continue
        compared += 1
        plain = _unescape_plain(text)
        if plain is not None:
            taken += 1
            assert plain == _markup_to_text(text), repr(text)
    assert taken > 500 and compared - taken > 500  # both ways were exercised


@pytest.mark.parametrize("text", ["&copy2020", "&#128;", "\ufeff&amp;", "a&#X27;b", "x\x00&amp;y", "&AMP;"])
def test_the_parser_decides_uncommon_entities_control_characters_and_a_byte_order_mark(text):
    assert _unescape_plain(text) is None
    assert html_to_text(text) == _markup_to_text(text)


def _tidy_line_by_line(text: str) -> str:  # the definition _tidy replaced, kept here to compare
    lines = [re.sub(r"[ \t\r\f\v\xa0]+", " ", line).strip() for line in text.split("\n")]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()


def test_tidy_is_the_line_by_line_definition():
    rng = random.Random(7)
    for _ in range(20000):
        text = "".join(rng.choice(PIECES) for _ in range(rng.randint(0, 16)))
        assert _tidy(text) == _tidy_line_by_line(text), repr(text)


def test_shortcut_results():
    assert html_to_text("Q&amp;A: 1 &lt; 2 &amp;amp; x&nbsp;y &quot;z&quot; &#39;w&#x27;") == \
        "Q&A: 1 < 2 &amp; x y \"z\" 'w'"
    assert html_to_text("1 &") == _markup_to_text("1 &") == "1 &"  # a bare ampersand at the end
    assert html_to_text("  dòng một  \t \n\n\n\n  dòng hai &amp; ba ") == "dòng một\n\ndòng hai & ba"


TAGS = ["<p>", "</p>", "<br>", "<br/>", "<br />", "</br>", "<a>", "</a>", '<a href="https://m.example/?a=1" rel="tag">',
        "<span>", "</span>", '<span class="h-card">', "<b>", "<P>", "<p/>"]
WORDS = ["tin", "bài", " ", "\n", "  ", "&amp;", "&lt;", "&#39;", "&nbsp;", "&copy", "\xa0", "\u200b", "ệ", ">", "<",
         "\t", "\r\n", "&", "@user", "#tag"]


def _well_formed(rng: random.Random, depth: int = 0) -> str:
    out = []
    for _ in range(rng.randint(1, 5)):
        roll = rng.random()
        if roll < 0.5:
            out.append(rng.choice(WORDS))
        elif roll < 0.65:
            out.append(rng.choice(["<br>", "<br/>", "<br />"]))
        elif depth < 3:
            name = rng.choice(["a", "span"] if depth else ["p", "a", "span"])
            out.append(f"<{name}>{_well_formed(rng, depth + 1)}</{name}>")
    return "".join(out)


def test_statuses_of_reintel_posts_read_the_same_without_the_parser():
    texts = _reintel_texts()[:1500]
    statuses = [f"<p>{html.escape(text)}</p>" for text in texts]
    statuses += ["<p>" + "<br>".join(html.escape(line) for line in text.split("\n")) + "</p>" for text in texts]
    statuses += [f'<p><span class="h-card"><a href="https://m.example/@a" class="u-url mention">@<span>a</span></a>'
                 f"</span> {html.escape(text[:200])}</p><p>{html.escape(text[200:400])}</p>" for text in texts]
    shortcut = [_simple_markup(status) for status in statuses]
    assert sum(s is not None for s in shortcut) > 0.9 * len(statuses)
    assert [s for s in shortcut if s is not None] == [
        _markup_to_text(status) for status, s in zip(statuses, shortcut, strict=True) if s is not None]


@pytest.mark.parametrize("seed", [1, 2])
def test_random_markup_reads_the_same_with_and_without_the_parser(seed):
    rng = random.Random(seed)
    taken = 0
    for i in range(3000):
        if i % 2:
            markup = "".join(rng.choice(["", " ", "\n"]) + _well_formed(rng) for _ in range(rng.randint(1, 4)))
        else:
            markup = "".join(rng.choice(TAGS) if rng.random() < 0.4 else rng.choice(WORDS)
                             for _ in range(rng.randint(1, 14)))
        text = _simple_markup(markup)
        if text is not None:
            taken += 1
            assert text == _markup_to_text(markup), repr(markup)
    assert taken > 150  # the others (malformed, or whitespace between tags) go to the parser


@pytest.mark.parametrize("markup", [
    "<p>a<p>b</p></p>", "<a>x<a>y</a></a>", "<span>x</span> <span>y</span>", "<p>x</p>\n", "<p>x", "x</p>",
    "<b>x</b>", "<P>x</P>", '<a href="?a=1&amp;b=2">x</a>', "<a href='x'>x</a>", "<br></br>", "<span><p>x</p></span>",
    "a < b", "<p>&copy</p>"])
def test_anything_else_goes_to_the_parser(markup):
    assert _simple_markup(markup) is None
    assert html_to_text(markup) == _markup_to_text(markup)
