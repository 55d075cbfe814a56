"""``html_to_text``'s shortcut for escaped plain text gives what the HTML parser gives."""

from __future__ import annotations

import csv
import html
import random
import re
from pathlib import Path

import pytest

from crawler.text import _markup_to_text, _tidy, _unescape_plain, html_to_text

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
