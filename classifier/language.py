"""A tiny, dependency-free language guess: is this Vietnamese?"""

from __future__ import annotations

import re

__all__ = ["detect_language"]

_VI_LETTERS = set("ăâđêôơưàáảãạằắẳẵặầấẩẫậèéẻẽẹềếểễệìíỉĩịòóỏõọồốổỗộờớởỡợùúủũụừứửữựỳýỷỹỵ")
_VI_WORDS = {
    "không",
    "của",
    "và",
    "là",
    "có",
    "người",
    "được",
    "những",
    "này",
    "cho",
    "với",
    "các",
    "một",
    "trong",
    "đã",
    "thì",
    "khi",
    "cũng",
    "ở",
    "ra",
    "đến",
    "bị",
    "vì",
    "nhưng",
    "tôi",
    "mình",
    "nói",
}
_EN_WORDS = {
    "the",
    "and",
    "is",
    "are",
    "of",
    "to",
    "in",
    "that",
    "this",
    "for",
    "with",
    "you",
    "it",
    "on",
    "was",
    "be",
    "have",
    "not",
    "they",
    "we",
}
_WORD = re.compile(r"[^\W\d_]+")


def detect_language(normalised_text: str) -> str:
    """'vi', 'en', or 'und' (no letters, or no recognisable language) for already normalised text."""
    sample = normalised_text[:4000].lower()
    words = _WORD.findall(sample)
    if not words:
        return "und"
    letters = sum(len(w) for w in words)
    vi_letters = sum(1 for w in words for c in w if c in _VI_LETTERS)
    vi_words = sum(1 for w in words if w in _VI_WORDS)
    en_words = sum(1 for w in words if w in _EN_WORDS)
    if vi_letters / letters >= 0.05 or vi_words > en_words:
        return "vi"
    if en_words:
        return "en"
    if all(ord(c) < 0x250 for w in words for c in w):
        return "und"
    return "und"
