"""vntext: one place for how kiemtin reads Vietnamese text for matching.

A bottom-layer library (standard library and numpy only; it imports nothing from the project) used by the
crawler, the classifier, the store and the service alike, so that crawl dedupe, near-duplicate clusters,
training dedupe and language detection all agree on what "the same text" and "Vietnamese" mean.

The rule: normalise a *copy* for matching, keep the captured text exact as evidence. Nothing here changes
the text a caller stores.
"""

from __future__ import annotations

from vntext.dedupe import content_hash, dedupe_form, dedupe_words
from vntext.fold import fold_accents, folded_words, search_form, search_words
from vntext.language import LANGUAGE_SAMPLE_CHARS, NON_LETTERS, VI_LETTER_SHARE, detect_language
from vntext.normalize import ZERO_WIDTH_CHARS, has_text, normalize_chars, normalize_text, unify_tone_marks
from vntext.simhash import hamming, hamming_many, simhash64, simhash64_many

__all__ = [
    "LANGUAGE_SAMPLE_CHARS",
    "NON_LETTERS",
    "VI_LETTER_SHARE",
    "ZERO_WIDTH_CHARS",
    "content_hash",
    "dedupe_form",
    "dedupe_words",
    "detect_language",
    "fold_accents",
    "folded_words",
    "hamming",
    "hamming_many",
    "has_text",
    "normalize_chars",
    "normalize_text",
    "search_form",
    "search_words",
    "simhash64",
    "simhash64_many",
    "unify_tone_marks",
]
