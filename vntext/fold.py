"""The unaccented form of Vietnamese text: how a post typed without diacritics is matched to one typed with them."""

from __future__ import annotations

import re
import unicodedata

from vntext.normalize import normalize_chars

__all__ = ["fold_accents", "folded_words"]

_MARKS = re.compile("[\u0300-\u036f]")
_D = str.maketrans({"đ": "d", "Đ": "D"})
_WORD = re.compile(r"\w+")


def fold_accents(text: str) -> str:
    """``text`` without tone marks and vowel diacritics, ``đ`` as ``d`` (``Bộ Y tế`` -> ``Bo Y te``); case kept.

    Only a copy for matching: two texts that differ only in accents fold to the same string."""
    decomposed = unicodedata.normalize("NFD", normalize_chars(text))
    return unicodedata.normalize("NFC", _MARKS.sub("", decomposed)).translate(_D)


def folded_words(text: str) -> list[str]:
    """The case-folded, unaccented syllables of ``text`` (punctuation, symbols and emoji dropped)."""
    return _WORD.findall(fold_accents(text).casefold())
