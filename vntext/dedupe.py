"""The dedupe form of a text and its hash: the one definition of "the same text" for crawl and training."""

from __future__ import annotations

import hashlib
import re

from vntext.normalize import normalize_chars

__all__ = ["content_hash", "dedupe_form", "dedupe_words"]

_WORD = re.compile(r"\w+")


def dedupe_words(text: str) -> list[str]:
    """The words (syllables) of the normalised, case-folded text; punctuation, symbols and emoji dropped."""
    return _WORD.findall(normalize_chars(text).casefold())


def dedupe_form(text: str) -> str:
    """``dedupe_words`` joined by single spaces: two texts are duplicates when their dedupe forms are equal.

    SimHash is computed over the same words.
    """
    return " ".join(dedupe_words(text))


def content_hash(text: str) -> str:
    """SHA-256 hex of ``dedupe_form(text)``: the exact-duplicate key (not the evidence hash of the text)."""
    return hashlib.sha256(dedupe_form(text).encode("utf-8")).hexdigest()
