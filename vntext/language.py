"""Offline language identification: one function, one threshold, for the crawler and the classifier.

Vietnamese is recognised by the share of letters only Vietnamese uses (ă â đ ê ô ơ ư, any vowel with the
hook or dot-below tone, ẽ ỳ ỹ) and by its function words; English, French, German, Spanish and Indonesian by stopword
profiles; Chinese, Japanese, Korean, Thai, Khmer, Lao, Russian and Arabic by script. The text is normalised
for matching first (``normalize_chars``), so NFD input, zero-width characters and ``ð`` for ``đ`` read as
Vietnamese does.
"""

from __future__ import annotations

import re

from vntext.normalize import normalize_chars

__all__ = ["LANGUAGE_SAMPLE_CHARS", "NON_LETTERS", "VI_LETTER_SHARE", "detect_language"]

#: Only the first characters are read: enough to tell, and the cost stays flat for long posts.
LANGUAGE_SAMPLE_CHARS = 4000
#: The one threshold: text whose letters are at least this share Vietnamese-only letters is Vietnamese.
VI_LETTER_SHARE = 0.04

NON_LETTERS = re.compile(r"[\W\d_]+")  # letters are what this leaves

_VI_ONLY_LOWER = "ăâđêôơưạảấầẩẫậắằẳẵặẹẻẽếềểễệỉịọỏốồổỗộớờởỡợụủứừửữựỳỵỷỹ"
_VI_ONLY = re.compile(f"[{_VI_ONLY_LOWER}{_VI_ONLY_LOWER.upper()}]")


def _words(spaced: str) -> frozenset[str]:
    return frozenset(spaced.split())


_VI_WORDS = _words(
    "và của là không có được những người cho với này một các đã trong để khi thì mà cũng như về từ tại đến"
    " năm ngày bị sẽ rất nhiều ra lại nhưng vì nên đang chúng tôi bạn ở mình nói"
)
_PROFILES: dict[str, frozenset[str]] = {
    "en": _words(
        "the and of to in is that for it with as was on are be this by have from not at or an they which you"
        " has we"
    ),
    "fr": _words(
        "le la les de des et est un une du en que qui dans pour pas sur au avec ce il elle sont par plus nous"
    ),
    "de": _words(
        "der die das und ist nicht ein eine zu den mit von sich des auf für im dem es auch wir sie ich wird sind"
    ),
    "es": _words(
        "el la los las de y que en un una es por con para del se no al lo como más pero sus su fue este"
    ),
    "id": _words(
        "yang dan di ini itu dengan untuk dari tidak ada akan pada juga dalam ke kami saya mereka bisa sudah oleh"
        " karena"
    ),
}
_SCRIPTS = (
    ("zh", re.compile(r"[\u4e00-\u9fff]")),
    ("ja", re.compile(r"[\u3040-\u30ff]")),
    ("ko", re.compile(r"[\uac00-\ud7af]")),
    ("th", re.compile(r"[\u0e00-\u0e7f]")),
    ("km", re.compile(r"[\u1780-\u17ff]")),
    ("lo", re.compile(r"[\u0e80-\u0eff]")),
    ("ru", re.compile(r"[\u0400-\u04ff]")),
    ("ar", re.compile(r"[\u0600-\u06ff]")),
)
_ANY_SCRIPT = re.compile("|".join(rx.pattern for _, rx in _SCRIPTS))
_WORD = re.compile(r"\w+")


def _script(sample: str, letters: int) -> str | None:
    """The script's language when more than half of the letters are in one non-Latin script."""
    hits = {code: len(rx.findall(sample)) for code, rx in _SCRIPTS}
    if hits["ja"] and hits["ja"] * 5 >= hits["zh"]:  # kana beside kanji: Japanese
        hits["zh"] = 0
    best = max(hits, key=lambda code: hits[code])
    return best if hits[best] * 2 > letters else None


def detect_language(text: str) -> str:
    """ISO 639-1 code of the text's language ("vi", "en", "fr", "de", "es", "id", "zh", "ja", "ko", "th", "km",
    "lo", "ru", "ar"), or "und" when it is too short or unclear. Fully offline; reads the first
    ``LANGUAGE_SAMPLE_CHARS`` characters."""
    sample = normalize_chars(text[:LANGUAGE_SAMPLE_CHARS])
    other_script = _ANY_SCRIPT.search(sample) is not None
    vi_letters = len(_VI_ONLY.findall(sample))
    # letters <= characters: a text this rich in Vietnamese-only letters is Vietnamese without counting them
    if not other_script and vi_letters >= 3 and vi_letters >= VI_LETTER_SHARE * len(sample):
        return "vi"
    letters = len(NON_LETTERS.sub("", sample))
    if letters < 3:
        return "und"
    if other_script and (script := _script(sample, letters)):
        return script
    if vi_letters >= VI_LETTER_SHARE * letters:
        return "vi"
    words = _WORD.findall(sample.lower())
    if not words:
        return "und"
    vi_score = sum(1 for w in words if w in _VI_WORDS) + 3 * vi_letters / letters * len(words)
    scores = {code: sum(1 for w in words if w in profile) for code, profile in _PROFILES.items()}
    best = max(scores, key=lambda code: scores[code])
    if vi_score > scores[best] and vi_score >= 1:
        return "vi"
    if scores[best] >= 1 and (scores[best] >= 0.08 * len(words) or len(words) <= 3):
        return best
    return "und"
