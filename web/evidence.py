"""What the item page shows of a verdict's evidence: the words and phrases to highlight (each with its weight and
the sentence around it), and the post's signals and similarity to known posts as plainly worded lines apart.

The classifier already explains in whole words and phrases (``classifier.phrases``); this view checks again,
because stored verdicts may come from older models: a highlight is a "phrase" reason with a positive weight whose
spans lie on word boundaries, that is not a function word (nor starts or ends with one), and that is not written
like a name (every syllable capitalised, unless a known place; a capitalised single word only at the start of a
sentence). Anything else is not highlighted. Signals (kind "signal") never become highlights.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from markupsafe import Markup

from classifier import sentence_spans
from classifier.case_explain import SIGNAL_TERMS
from classifier.phrases import FUNCTION_WORDS, PHRASE_ENDINGS, PLACES
from config.i18n import N_
from web.i18n import format_number, gettext

__all__ = ["EvidenceView", "Highlight", "Signal", "evidence_view"]

MAX_PHRASES = 10

#: English wording of each metadata signal (the classifier's notes are Vietnamese); ``n`` is the number in it.
_SIGNAL_TEXT = {
    "like_count": N_("%(n)s likes"), "comment_count": N_("%(n)s comments"), "share_count": N_("%(n)s shares"),
    "text_length": N_("%(n)s characters long"), "line_count": N_("%(n)s lines"),
    "exclamation_marks": N_("%(n)s exclamation marks"), "question_marks": N_("%(n)s question marks"),
    "link_count": N_("%(n)s links"), "hashtag_count": N_("%(n)s hashtags"), "emoji_count": N_("%(n)s emoji"),
    "capital_share": N_("%(n)s%% capital letters"), "digit_share": N_("%(n)s%% of characters are digits"),
}
_PART_OF_DAY = {"sáng": N_("in the morning"), "trưa": N_("at noon"), "chiều": N_("in the afternoon"),
                "tối": N_("in the evening"), "đêm": N_("at night")}
_WEEKDAYS = {"thứ Hai": N_("on a Monday"), "thứ Ba": N_("on a Tuesday"), "thứ Tư": N_("on a Wednesday"),
             "thứ Năm": N_("on a Thursday"), "thứ Sáu": N_("on a Friday"), "thứ Bảy": N_("on a Saturday"),
             "Chủ nhật": N_("on a Sunday")}
_GROUP_OF_TERM = {term: group for group, term in SIGNAL_TERMS.items()}
_NUMBER = re.compile(r"\d[\d.]*")
_HOUR = re.compile(r"đăng lúc (\d+) giờ (\w+)")
_SIMILAR = re.compile(r"giống (\d+) bài(?:.*?\((\d+) do người duyệt)?")
_WORD_CHAR = re.compile(r"\w")
_WORD = re.compile(r"[^\W\d_]+")
#: Sentence-final particles: they end no word ("gấp nhé" is not a reason).
_PARTICLES = frozenset(["à", "ạ", "ơi", "nhé", "nhá", "nha", "nhỉ", "hả", "hử", "nhen", "hen", "chứ", "thôi"])


@dataclass(frozen=True)
class Highlight:
    """A word or phrase of the post that raised the score."""

    term: str
    weight: float
    spans: tuple[tuple[int, int], ...]
    title: str  # "weight +0.42", translated: the hover text and the accessible text
    sentence: Markup = field(default_factory=Markup)  # the sentence of its first occurrence, the phrase marked


@dataclass(frozen=True)
class Signal:
    """A property of the post (or its likeness to known posts) that raised the score, in plain words."""

    text: str
    weight: float
    kind: str = "signal"
    refs: tuple[str, ...] = ()


@dataclass
class EvidenceView:
    phrases: list[Highlight]
    signals: list[Signal]

    @property
    def marks(self) -> list[dict[str, Any]]:
        """The highlights as ``web.templating.highlight`` takes them."""
        return [{"term": h.term, "spans": h.spans, "title": h.title, "ref": f"evidence-{i}"}
                for i, h in enumerate(self.phrases, start=1)]


def _is_function_phrase(term: str) -> bool:
    """A function word, only function words, or a phrase that starts with one or ends in a particle ("nhé"), or
    (three words or more) ends in a function word. A two-syllable word may end in one: "chuẩn bị"."""
    lowered = " ".join(term.lower().split())
    if not lowered or lowered in FUNCTION_WORDS or not _WORD_CHAR.search(lowered):
        return True
    parts = lowered.split(" ")
    if all(p in FUNCTION_WORDS for p in parts) or parts[0] in FUNCTION_WORDS or parts[-1] in _PARTICLES:
        return True
    return len(parts) > 2 and parts[-1] in FUNCTION_WORDS and parts[-1] not in PHRASE_ENDINGS


def _names_in(text: str) -> set[str]:
    """Syllables written as a name somewhere in the post: capitalised, not at the start of a sentence, not all
    capitals (a shouted headline), and not part of a known place."""
    names: set[str] = set()
    for found in _WORD.finditer(text):
        word = found.group()
        if word[0].isupper() and not word.isupper() and not _sentence_start(text, found.start()):
            names.add(word.lower())
    lowered = text.lower()
    for place in PLACES:
        if place in lowered:
            names.difference_update(place.split(" "))
    return names


def _whole_words(text: str, start: int, end: int) -> bool:
    """True unless the span starts or ends inside a word ("bị" of "Chuẩn bị" is fine; "bị" of "bịa" is not)."""
    def joined(a: int, b: int) -> bool:  # characters a and b (neighbours) are both letters or digits
        return a >= 0 and b < len(text) and bool(_WORD_CHAR.match(text[a]) and _WORD_CHAR.match(text[b]))
    return not (joined(start - 1, start) or joined(end - 1, end)) and bool(text[start:end].strip())


def _sentence_start(text: str, start: int) -> bool:
    head = text[:start].rstrip()
    return not head or head[-1] in ".!?…\n:\"“-"


def _looks_like_a_name(text: str, start: int, end: int, names: set[str]) -> bool:
    """The span has a syllable written as a name in this post (outside a known place it is part of)."""
    shown = " ".join(text[start:end].split()).lower()
    for place in PLACES:
        shown = shown.replace(place, " ")
    return any(syllable in names for syllable in shown.split())


def _marked_sentence(text: str, sentences: list[tuple[int, int]], start: int, end: int) -> Markup:
    s0, s1 = next(((a, b) for a, b in sentences if a <= start and end <= b), (start, end))
    return Markup("{}<mark>{}</mark>{}").format(text[s0:start], text[start:end], text[end:s1])


def _signal_text(feature: Mapping[str, Any], language: str) -> str:
    term, note = str(feature.get("term", "")), str(feature.get("note") or "")
    if feature.get("kind") == "similar":
        found = _SIMILAR.search(note)
        if found is None:
            return note or term
        close = gettext(language, "similar to %(n)s posts known to be unreliable", n=found.group(1))
        if found.group(2):
            close += " " + gettext(language, "(%(n)s confirmed by reviewers)", n=found.group(2))
        return close
    group = _GROUP_OF_TERM.get(term, term)
    if group == "hour":
        hour = _HOUR.search(note)
        if hour and hour.group(2) in _PART_OF_DAY:
            return gettext(language, "posted at %(hour)s o'clock %(part)s (Vietnam time)", hour=hour.group(1),
                           part=gettext(language, _PART_OF_DAY[hour.group(2)]))
    if group == "weekday":
        day = next((label for name, label in _WEEKDAYS.items() if note.endswith(name)), None)
        if day:
            return gettext(language, "posted %(day)s", day=gettext(language, day))
    number = _NUMBER.search(note)
    if group in _SIGNAL_TEXT and number:
        value = int(number.group().replace(".", ""))
        return gettext(language, _SIGNAL_TEXT[group], n=format_number(value, language))
    return note or term  # an older model's label: Vietnamese as the classifier wrote it


def evidence_view(text: str, features: Iterable[Any] | None, language: str) -> EvidenceView:
    """The highlights (strongest first, at most ``MAX_PHRASES``) and signals of ``features`` on ``text``."""
    phrases: list[Highlight] = []
    signals: list[Signal] = []
    sentences: list[tuple[int, int]] | None = None
    names = _names_in(text)
    for feature in features or []:
        if not isinstance(feature, Mapping):
            continue
        try:
            weight = float(feature.get("weight", 0.0))
        except (TypeError, ValueError):
            continue
        kind = feature.get("kind") or "phrase"
        if weight <= 0:
            continue
        if kind in ("signal", "similar"):
            refs = tuple(str(r) for r in feature.get("refs") or [] if isinstance(r, str))
            signals.append(Signal(_signal_text(feature, language), weight, str(kind), refs))
            continue
        term = str(feature.get("term", ""))
        if kind != "phrase" or _is_function_phrase(term):
            continue
        spans: list[tuple[int, int]] = []
        for span in feature.get("spans") or []:
            try:
                start, end = int(span[0]), int(span[1])
            except (TypeError, ValueError, IndexError):
                continue
            if 0 <= start < end <= len(text) and _whole_words(text, start, end) \
                    and not _looks_like_a_name(text, start, end, names):
                spans.append((start, end))
        if not spans or len(phrases) >= MAX_PHRASES:
            continue
        if sentences is None:
            sentences = sentence_spans(text)
        title = gettext(language, "weight %(weight)s", weight=format(weight, "+.2f"))
        phrases.append(Highlight(term, weight, tuple(spans), title,
                                 _marked_sentence(text, sentences, spans[0][0], spans[0][1])))
    phrases.sort(key=lambda h: -h.weight)
    signals.sort(key=lambda s: -s.weight)
    return EvidenceView(phrases, signals)
