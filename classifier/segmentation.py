"""Sentences, words and their parts of speech with underthesea, as character offsets into the exact text.

underthesea runs only here, and only to explain flagged posts (about 5 ms a post; the bulk scoring path
never segments). Its models ship inside the PyPI package and are read from there: nothing is downloaded.
underthesea is given a normalised copy of the text (``vntext``: NFC, no zero-width characters, one tone-mark
placement, ``đ``) so that NFD input or a zero-width character inside a word does not split it; every word
it returns is mapped back to the characters of the caller's text.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from vntext import ZERO_WIDTH_CHARS, normalize_chars

__all__ = ["Word", "sentence_spans", "words"]

#: A run of letters, digits and combining marks, possibly with zero-width characters inside (one "chunk" that
#: normalises on its own); everything between two chunks is copied without its zero-width characters.
_CHUNK = re.compile(rf"[\w\u0300-\u036f](?:[{re.escape(ZERO_WIDTH_CHARS)}]*[\w\u0300-\u036f])*")
_ZERO_WIDTH = re.compile(f"[{re.escape(ZERO_WIDTH_CHARS)}]")
_LINE = re.compile(r"[^\n\r]+")


@dataclass(frozen=True)
class Word:
    """One word (one or several syllables) of the text, ``text[start:end]``. ``proper``: written as a name
    (every syllable capitalised, and not just the first word of a sentence), so possibly a person's name."""

    start: int
    end: int
    proper: bool = False


def sentence_spans(text: str) -> list[tuple[int, int]]:
    """(start, end) of each sentence of ``text``: every line, split by underthesea's ``sent_tokenize``.

    The spans are offsets into ``text`` itself, in order, without surrounding whitespace."""
    from underthesea import sent_tokenize

    spans: list[tuple[int, int]] = []
    for line in _LINE.finditer(text):
        start, end = line.span()
        at = start
        for sentence in sent_tokenize(line.group()):
            found = text.find(sentence, at, end)
            if found < 0:  # sent_tokenize returns stripped pieces of its input; never seen otherwise
                continue
            spans.append((found, found + len(sentence)))
            at = found + len(sentence)
        if at == start and line.group().strip():
            stripped = line.group().strip()
            first = text.find(stripped, start, end)
            spans.append((first, first + len(stripped)))
    return spans


class _Normalised:
    """A normalised copy of ``text[start:end]`` and the way back to the original offsets."""

    def __init__(self, text: str, start: int, end: int):
        pieces: list[str] = []
        self.starts: list[int] = []  # original offset of each normalised character
        self.ends: list[int] = []  # original end offset of each normalised character
        at = start
        for m in _CHUNK.finditer(text, start, end):
            self._add(pieces, _ZERO_WIDTH.sub("", unicodedata.normalize("NFC", text[at : m.start()])), at, m.start())
            self._add(pieces, normalize_chars(m.group()), m.start(), m.end())
            at = m.end()
        self._add(pieces, _ZERO_WIDTH.sub("", unicodedata.normalize("NFC", text[at:end])), at, end)
        self.text = "".join(pieces)

    def _add(self, pieces: list[str], norm: str, start: int, end: int) -> None:
        if not norm:
            return
        pieces.append(norm)
        if len(norm) == end - start:
            self.starts.extend(range(start, end))
            self.ends.extend(range(start + 1, end + 1))
            return
        # lengths differ (NFD letters, zero-width characters inside a word): a word boundary inside this chunk
        # maps to the nearest original character; the chunk's own ends map exactly
        last = end - start - 1
        for k in range(len(norm)):
            self.starts.append(start + min(k, last))
            self.ends.append(end if k == len(norm) - 1 else start + min(k + 1, last))

    def span(self, a: int, b: int) -> tuple[int, int]:
        return self.starts[a], self.ends[b - 1]

    def locate(self, word: str, at: int) -> tuple[int, int] | None:
        """Where ``word`` (as underthesea returned it) is in the normalised copy, at or after ``at``."""
        found = self.text.find(word, at)
        if found >= 0 and not self.text[at:found].strip(" \t\n\r.,;:!?\"'()[]-–—…"):
            return found, found + len(word)
        syllables = word.split()
        if not syllables:
            return None
        pattern = re.compile(r"\s+".join(re.escape(s) for s in syllables), re.IGNORECASE)
        m = pattern.search(self.text, at, min(len(self.text), at + len(word) + 40))
        return m.span() if m else None


def _sentence_initial(text: str, start: int) -> bool:
    before = text[:start].rstrip()
    return not before or before[-1] in ".!?:;…\n\r\"“'-–—•*(["


def _looks_proper(text: str, word: Word) -> bool:
    syllables = text[word.start : word.end].split()
    if not all(s[:1].isupper() and (len(s) == 1 or not s[1:].isupper()) for s in syllables):
        return False  # lower case, or SHOUTED IN CAPITALS
    return len(syllables) > 1 or not _sentence_initial(text, word.start)


def words(text: str, start: int = 0, end: int | None = None) -> list[Word]:
    """The words of ``text[start:end]`` (underthesea ``word_tokenize``), in order, as offsets into ``text``;
    punctuation, numbers and symbols are left out. A capitalised word at the start of a sentence counts as a
    name when it is also a syllable of a name elsewhere in the range ("Hải" after "Hồ Duy Hải")."""
    from underthesea import word_tokenize

    norm = _Normalised(text, start, len(text) if end is None else end)
    found: list[Word] = []
    at = 0
    for token in word_tokenize(norm.text) if norm.text.strip() else ():
        where = norm.locate(token, at)
        if where is None:
            continue
        at = where[1]
        a, b = norm.span(*where)
        if any(ch.isalpha() for ch in text[a:b]):
            found.append(Word(a, b))
    proper = [_looks_proper(text, w) for w in found]
    name_syllables = {s.lower() for w, p in zip(found, proper, strict=True) if p for s in text[w.start : w.end].split()}
    return [
        Word(w.start, w.end, proper=p or (text[w.start : w.start + 1].isupper()
                                          and text[w.start : w.end].lower() in name_syllables))
        for w, p in zip(found, proper, strict=True)
    ]
