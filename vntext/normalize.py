"""Normalisation for matching: one spelling per word, whatever the input's Unicode form or typing habits.

``normalize_text`` is the matching form: NFC, zero-width characters removed, ``Ð``/``ð`` -> ``Đ``/``đ`` and
the tone marks of open oa/oe/uy syllables on the first vowel (hoà -> hòa), both as underthesea's normaliser
does, and whitespace collapsed. ``normalize_chars`` is the same
without the whitespace step, for callers that split into words themselves (the classifier's tokeniser).
Both return a new string for matching; the captured text stays as it was.
"""

from __future__ import annotations

import re
import unicodedata

__all__ = ["ZERO_WIDTH_CHARS", "has_text", "normalize_chars", "normalize_text", "unify_tone_marks"]

#: Invisible characters removed first (zero-width space/joiners, word joiner, BOM, soft hyphen, marks).
ZERO_WIDTH_CHARS = "\u200b\u200c\u200d\u2060\ufeff\u00ad\u180e\u200e\u200f"
_ZERO_WIDTH = re.compile(f"[{ZERO_WIDTH_CHARS}]")

#: Icelandic eth, often typed for Vietnamese đ; underthesea's character map makes the same replacement.
_ETH = str.maketrans({"\u00d0": "\u0110", "\u00f0": "\u0111"})

_TONES = ("\u0300", "\u0301", "\u0309", "\u0303", "\u0323")  # huyền, sắc, hỏi, ngã, nặng


def _toned(base: str) -> list[str]:
    return [unicodedata.normalize("NFC", base + t) for t in _TONES]


def _tone_table() -> tuple[dict[str, tuple[str, int]], dict[tuple[str, int], str]]:
    """Map toned second vowels (a/e/y) to (base, tone) and (first vowel o/u, tone) to the toned form."""
    second: dict[str, tuple[str, int]] = {}
    first: dict[tuple[str, int], str] = {}
    for base in "aeyAEY":
        for i, ch in enumerate(_toned(base)):
            second[ch] = (base, i)
    for base in "ouOU":
        for i, ch in enumerate(_toned(base)):
            first[(base, i)] = ch
    return second, first


_SECOND, _FIRST = _tone_table()
_A = "".join(c for c, (b, _) in _SECOND.items() if b in "aA")
_E = "".join(c for c, (b, _) in _SECOND.items() if b in "eE")
_Y = "".join(c for c, (b, _) in _SECOND.items() if b in "yY")
# Open syllables ending in oa/oe/uy carry the tone on the first vowel in the traditional placement that
# underthesea also uses: hoà -> hòa, khoẻ -> khỏe, thuỷ -> thủy. "qu" + y keeps its tone on y (quý).
# One character-class prefix keeps the scan fast; _move_tone skips the pairs that do not qualify.
_NEW_STYLE = re.compile(rf"([oOuU])([{_A}{_E}{_Y}])(?![^\W\d_])")


def _move_tone(m: re.Match[str]) -> str:
    first, second = m.group(1), m.group(2)
    base, tone = _SECOND[second]
    if (first in "oO") != (base in "aAeE"):  # only o + a/e and u + y
        return m.group(0)
    if first in "uU" and m.start() > 0 and m.string[m.start() - 1] in "qQ":  # quý keeps its tone on y
        return m.group(0)
    return _FIRST[(first, tone)] + base


def unify_tone_marks(text: str) -> str:
    """Move tone marks of open oa/oe/uy syllables onto the first vowel (hoà -> hòa, thuỷ -> thủy)."""
    return _NEW_STYLE.sub(_move_tone, text)


def normalize_chars(text: str) -> str:
    """Zero-width characters removed, NFC, ``Ð``/``ð`` -> ``Đ``/``đ``, tone marks unified; whitespace kept."""
    text = unicodedata.normalize("NFC", _ZERO_WIDTH.sub("", text))
    if "\u00f0" in text or "\u00d0" in text:
        text = text.translate(_ETH)
    return unify_tone_marks(text)


_WHITESPACE = re.compile(r"\s+")


def normalize_text(text: str) -> str:
    """The matching form: ``normalize_chars`` plus whitespace collapsed to one space and stripped."""
    return _WHITESPACE.sub(" ", normalize_chars(text)).strip()


_VISIBLE = re.compile(rf"[^\s{ZERO_WIDTH_CHARS}]")


def has_text(text: str) -> bool:
    """``bool(normalize_text(text))`` without building it: anything besides whitespace and zero-width
    characters (normalising never removes another character)."""
    return _VISIBLE.search(text) is not None
