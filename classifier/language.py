"""A tiny, dependency-free language guess: is this Vietnamese?"""

from __future__ import annotations

import re

__all__ = ["NON_LETTERS", "detect_language"]

_VI_LETTERS = re.compile("[ăâđêôơưàáảãạằắẳẵặầấẩẫậèéẻẽẹềếểễệìíỉĩịòóỏõọồốổỗộờớởỡợùúủũụừứửữựỳýỷỹỵ]")
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
NON_LETTERS = re.compile(r"[\W\d_]+")  # letters are what this leaves


def detect_language(tokens: str) -> str:
    """'vi', 'en', or 'und' (no letters, or no recognisable language) from a post's model token string."""
    sample = tokens[:4000]
    letters = len(NON_LETTERS.sub("", sample))
    if not letters:
        return "und"
    if len(_VI_LETTERS.findall(sample)) / letters >= 0.05:
        return "vi"
    words = sample.split()
    vi_words = sum(1 for w in words if w in _VI_WORDS)
    en_words = sum(1 for w in words if w in _EN_WORDS)
    if vi_words > en_words:
        return "vi"
    if en_words:
        return "en"
    return "und"
