"""Syllable tokenisation with placeholders, shared by the model and by the explanations.

The model path (``token_string``) runs a few regular-expression passes over normalised, lower-cased text:
URLs, bare domains, e-mail addresses, phone numbers and numbers become placeholder tokens, then words are
collected and common teencode is expanded. ``token_spans`` runs the *same* passes over the caller's original
text, blanking each match instead of replacing it so that offsets survive; it returns the same tokens with
character spans, which is how explanations point at the original text.
"""

from __future__ import annotations

import re
from functools import lru_cache

from vntext import ZERO_WIDTH_CHARS, normalize_chars

__all__ = ["PLACEHOLDERS", "TEENCODE", "normalised_tokens", "token_spans", "token_string"]

_ZW = re.escape(ZERO_WIDTH_CHARS)
_TLDS = r"(?:com|vn|net|org|info|gov|edu|me|io|tv)"
#: (placeholder, pattern) passes, applied in this order; each pass only sees what earlier passes left.
_B = rf"\w\u0300-\u036f{_ZW}"  # characters that continue a word (also in NFD / zero-width-laden text)
_PASSES: tuple[tuple[str, re.Pattern[str]], ...] = (
    # case spelt out rather than re.I (same matches, several times faster to scan)
    ("<url>", re.compile(r"<[uU][rR][lL]>|[hH][tT][tT][pP][sSſ]?://\S+|[wW][wW][wW]\.\S+")),
    ("<url>", re.compile(rf"(?<![{_B}.@-])[\w-]+(?:\.[\w-]+)*\.{_TLDS}\b(?![@])\S*", re.I)),
    ("<email>", re.compile(rf"(?<![{_B}.+-])[\w.+-]+@[\w-]+(?:\.[\w-]+)+", re.I)),
    # phone numbers before plain numbers; the look-behind sits after the first digit so that the regex
    # engine can skip quickly to candidate digits
    (
        "<phone>",
        re.compile(rf"(?:\+84|84|0)(?<![{_B}+]\+84)(?<![{_B}+]84)(?<![{_B}+]0)(?:[.-]?\d){{8,10}}(?!\w)"),
    ),
    ("<num>", re.compile(rf"\d(?<![{_B}]\d)\d*(?:[.,:/]\d+)*%?")),
)
#: Quick pre-checks: a pass runs only if its hint occurs (saves scanning most posts for rare things).
_HINTS: tuple[re.Pattern[str] | None, ...] = (
    re.compile(r"<[uU][rR][lL]>|[hH][tT][tT][pP]|[wW][wW][wW]\."),
    re.compile(rf"\.{_TLDS}\b", re.I),
    re.compile("@"),
    None,
    None,
)
_MARKERS = {"<url>": "\x01u", "<email>": "\x01e", "<phone>": "\x01p", "<num>": "\x01n"}
_WORD = re.compile(r"\x01[uepn]|(?:[^\W_]|[\u0300-\u036f])[\w\u0300-\u036f]*")
#: The same words in raw text, where zero-width characters may sit inside a word (never at its ends).
_WORD_RAW = re.compile(rf"(?:[^\W_]|[\u0300-\u036f])(?:[{_ZW}]*[\w\u0300-\u036f])*")

#: Placeholder tokens that stand for a whole class of strings.
PLACEHOLDERS = tuple(_MARKERS)

#: A small table of common Vietnamese chat abbreviations ("teencode") mapped to the full word(s).
TEENCODE = {
    "ko": "không", "k": "không", "kg": "không", "hok": "không", "khong": "không", "hông": "không",
    "dc": "được", "đc": "được", "dk": "được", "đk": "được", "j": "gì", "vs": "với", "ng": "người",
    "mn": "mọi người", "mng": "mọi người", "ae": "anh em", "bn": "bao nhiêu", "nc": "nước",
    "tq": "trung quốc",
    "vn": "việt nam", "sg": "sài gòn", "hn": "hà nội", "tp": "thành phố", "bv": "bệnh viện",
    "r": "rồi", "roi": "rồi", "trc": "trước", "ntn": "như thế nào", "z": "vậy", "v": "vậy", "bik": "biết",
    "wa": "quá", "qá": "quá", "lm": "làm", "ns": "nói", "cmt": "bình luận",
}  # fmt: skip
_TOKEN_MAP = {**TEENCODE, **{marker: ph for ph, marker in _MARKERS.items()}}


@lru_cache(maxsize=8192)  # whole texts: 32,768 of them grew each model worker by ~200 MB on a long ingest
def token_string(text: str) -> str:
    """Space-joined model tokens of ``text`` (cached: the same post is often scored more than once, e.g. in
    cross-validation; 8,192 holds the whole ReINTEL training set)."""
    t = normalize_chars(text).lower()
    for (placeholder, pattern), hint in zip(_PASSES, _HINTS, strict=True):
        if hint is None or hint.search(t):
            t = pattern.sub(f" {_MARKERS[placeholder]} ", t)
    get = _TOKEN_MAP.get
    return " ".join([get(w, w) for w in _WORD.findall(t)])


@lru_cache(maxsize=65536)
def _raw_word_token(raw: str) -> str:
    word = normalize_chars(raw).lower()
    return TEENCODE.get(word, word)


def token_spans(text: str) -> list[tuple[str, int, int]]:
    """Model tokens of any text (original or normalised) with (start, end) offsets into that text.

    A teencode token that expands to several words is one entry whose token contains a space.
    """
    found: list[tuple[int, int, str]] = []
    work = text
    placeholders = False
    for (placeholder, pattern), hint in zip(_PASSES, _HINTS, strict=True):
        if hint is not None and not hint.search(work):
            continue
        pieces = []
        last = 0
        for m in pattern.finditer(work):
            found.append((m.start(), m.end(), placeholder))
            pieces.append(work[last : m.start()])
            pieces.append(" " * (m.end() - m.start()))
            last = m.end()
        if pieces:
            placeholders = True
            pieces.append(work[last:])
            work = "".join(pieces)
    for m in _WORD_RAW.finditer(work):
        word = _raw_word_token(m.group())
        if word:
            found.append((m.start(), m.end(), word))
    if placeholders:
        found.sort()
    return [(tok, start, end) for start, end, tok in found]


def normalised_tokens(text: str) -> list[str]:
    """The model's tokens for ``text``: normalised, lower-cased, placeholders and teencode expanded."""
    return token_string(text).split()
