"""Explanations in words and phrases: the syllable n-grams that pushed a post's text score up, regrouped into
the words (underthesea word segmentation) and phrases of the text they belong to.

The text model scores syllable n-grams. Each n-gram's contribution (TF-IDF value x coefficient) is shared
among its occurrences in the text; a word's weight is the sum of the shares of the occurrences that lie inside
it, so "Chuẩn bị" carries the weight of "chuẩn", "bị" and "chuẩn bị" and "bị" is never a reason on its own.
A phrase (2-4 words) is a candidate where a positive n-gram crosses a word boundary ("chia sẻ ngay").

Never a reason: a function word (``FUNCTION_WORDS``) on its own or at a phrase's edge, a number, punctuation, and
any word or phrase with a name in it: a word written as a name (every syllable capitalised, not just the first
word of a sentence) anywhere in the post, unless it is a known place (``PLACES``). underthesea's part-of-speech
and named-entity taggers were tried for this and not used: they cost 10-50 ms a sentence (the bulk of an
explanation's time) and the named-entity tagger called "Hồ Duy Hải" a place. Only the sentences around the
strongest n-grams are segmented.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from classifier.records import FeatureEvidence
from classifier.segmentation import Word, sentence_spans, words
from classifier.tokens import PLACEHOLDERS, token_spans
from vntext import normalize_text

__all__ = ["FUNCTION_WORDS", "PHRASE_ENDINGS", "PLACES", "phrase_evidence"]

_FUNCTION_WORDS_TEXT = """
bị được có là làm cho thì mà và với của những các này đó đấy kia ấy nọ rằng để vì nên nếu khi thế vậy như sẽ
đã đang vẫn cũng rất quá lắm chỉ mới còn nữa hơn nhất đều lại ra vào lên xuống đi đến tới từ trong ngoài trên
dưới sau trước giữa bên về theo tại ở bởi do tuy nhưng hay hoặc thôi à ạ ơi nhé nhỉ hả ừ vâng dạ không chưa
chẳng chả đâu gì ai nào sao bao mấy mình tôi tao mày nó họ chúng ta bạn anh chị em ông bà cô chú bác cháu cụ
con cái chiếc việc sự cuộc điều thứ số một hai ba bốn năm sáu bảy tám chín mười trăm nghìn ngàn triệu nhiều ít
mọi cả cần phải muốn hãy đừng chớ xin thật rồi vừa sắp từng cùng nhau mỗi nhà đây kìa thì ra nha nhá nhen hen
hử ờ ô ồ ơ ha hì hihi haha kkk hả vs v k ko đc dc nè nhỉ chứ cơ mà kẻo hoài
"""
#: Function words: never a reason on their own, nor at the start or end of a phrase. Prepositions,
#: conjunctions, auxiliaries and copulas, modals, pronouns and address terms, classifiers, quantifiers,
#: negation, particles and interjections, and a few multi-syllable ones underthesea keeps as one word.
FUNCTION_WORDS = frozenset(_FUNCTION_WORDS_TEXT.split()) | frozenset({
    "có thể", "tất cả", "các bạn", "chúng tôi", "chúng ta", "chúng nó", "mọi người", "bây giờ", "như vậy",
    "vì vậy", "tuy nhiên", "nhưng mà", "thế nhưng", "hiện nay", "hôm nay", "vừa qua", "bởi vì", "cho nên",
    "nếu như", "thế là", "vì thế", "do đó", "ngoài ra", "trong khi", "sau khi", "trước khi", "cũng như",
    "như thế", "như thế nào", "thế nào", "bao nhiêu", "bao giờ", "ở đây", "ở đó", "đó là", "đây là",
})
#: Adverbs that are no reason on their own but may end a phrase ("chia sẻ ngay").
PHRASE_ENDINGS = frozenset({"ngay", "luôn", "liền", "gấp", "lập tức"})
#: Segment at most this many characters around the strongest n-grams (keeps the cost per post bounded).
_WINDOW = 120
_MAX_SEGMENTED = 900
_MAX_OCCURRENCES = 16
_MAX_PHRASE_WORDS = 4
#: A phrase is a reason only when it weighs this much more than its strongest word.
_PHRASE_GAIN = 1.25
#: Places that may be reasons although written as names: Vietnam's provinces and big cities, and the
#: countries and places most often named in posts. Only names of two or more syllables: a one-syllable name
#: ("Mỹ", "Nga", "Đức") is also a person's given name.
PLACES = frozenset(line.strip().lower() for line in """
Việt Nam|Hà Nội|Sài Gòn|Hồ Chí Minh|TP HCM|Đà Nẵng|Hải Phòng|Cần Thơ|An Giang|Bà Rịa|Vũng Tàu|Bắc Giang|Bắc Kạn
Bạc Liêu|Bắc Ninh|Bến Tre|Bình Định|Bình Dương|Bình Phước|Bình Thuận|Cà Mau|Cao Bằng|Đắk Lắk|Đắk Nông|Điện Biên
Đồng Nai|Đồng Tháp|Gia Lai|Hà Giang|Hà Nam|Hà Tĩnh|Hải Dương|Hậu Giang|Hòa Bình|Hưng Yên|Khánh Hòa|Kiên Giang
Kon Tum|Lai Châu|Lâm Đồng|Lạng Sơn|Lào Cai|Long An|Nam Định|Nghệ An|Ninh Bình|Ninh Thuận|Phú Thọ|Phú Yên
Quảng Bình|Quảng Nam|Quảng Ngãi|Quảng Ninh|Quảng Trị|Sóc Trăng|Sơn La|Tây Ninh|Thái Bình|Thái Nguyên|Thanh Hóa
Thừa Thiên Huế|Tiền Giang|Trà Vinh|Tuyên Quang|Vĩnh Long|Vĩnh Phúc|Yên Bái|Nha Trang|Đà Lạt|Hạ Long|Phú Quốc
Biên Hòa|Vũng Tàu|Tây Nguyên|Miền Bắc|Miền Nam|Miền Trung|Trung Quốc|Vũ Hán|Hồ Bắc|Bắc Kinh|Thượng Hải
Quảng Châu|Thâm Quyến|Hồng Kông|Đài Loan|Hoa Kỳ|Nhật Bản|Hàn Quốc|Triều Tiên|Ấn Độ|Thái Lan|Campuchia|Hoa Nam
Châu Âu|Châu Á|Châu Phi|Châu Mỹ|Biển Đông|Hoàng Sa|Trường Sa|Nước Mỹ|Nước Nga|Liên Xô|Trung Đông
""".replace("\n", "|").split("|") if line.strip())
_PUNCTUATION = re.compile(r"[.,;:!?()\[\]{}\"“”…|/\\<>]")


@dataclass
class _Unit:
    words: tuple[str, ...]
    weight: float = 0.0
    spans: list[tuple[int, int]] = field(default_factory=list)
    proper: bool = False  # a word of it is written as a name that is not a known place


def _form(text: str, start: int, end: int) -> str:
    return normalize_text(text[start:end]).lower()


def _occurrences(text: str, contributions: Sequence[tuple[str, float]]) -> list[tuple[int, int, float]]:
    """(start, end, share) of every occurrence of every n-gram with a contribution; an n-gram's contribution is
    shared equally by its occurrences. N-grams with a placeholder (<url>, <num>...) are left out."""
    tokens: list[tuple[str, int, int]] = []
    for tok, start, end in token_spans(text):
        tokens.extend((part, start, end) for part in tok.split(" "))
    longest = max((term.count(" ") + 1 for term, _ in contributions), default=0)
    spans: dict[str, set[tuple[int, int]]] = {}  # every n-gram of the text, n <= longest, and where it is
    words = [tok for tok, _, _ in tokens]
    for n in range(1, longest + 1):
        for i in range(len(tokens) - n + 1):
            spans.setdefault(" ".join(words[i : i + n]), set()).add((tokens[i][1], tokens[i + n - 1][2]))
    out: list[tuple[int, int, float]] = []
    for term, weight in contributions:
        found = spans.get(term)
        if not found or any(p in PLACEHOLDERS for p in term.split(" ")):
            continue
        out.extend((start, end, weight / len(found)) for start, end in found)
    return out


def _windows(text: str, strongest: list[tuple[int, int, float]]) -> list[tuple[int, int]]:
    """The sentences around the strongest occurrences (cut to a window around each), merged, within budget."""
    sentences = sentence_spans(text)
    picked: list[tuple[int, int]] = []
    for start, end, _ in strongest:
        s0, s1 = next(((a, b) for a, b in sentences if a <= start and end <= b), (start, end))
        s0, s1 = max(s0, start - _WINDOW), min(s1, end + _WINDOW)
        while s0 > 0 and not text[s0 - 1].isspace() and s0 < start:  # never cut a word
            s0 += 1
        while s1 < len(text) and not text[s1].isspace() and s1 > end:
            s1 -= 1
        picked.append((s0, s1))
    picked.sort()
    merged: list[tuple[int, int]] = []
    budget = _MAX_SEGMENTED
    for a, b in picked:
        if merged and a <= merged[-1][1]:
            grown = max(b, merged[-1][1])
            budget -= grown - merged[-1][1]
            merged[-1] = (merged[-1][0], grown)
        elif budget > 0:
            merged.append((a, b))
            budget -= b - a
    return merged


class _Shares:
    """The occurrences as arrays, to sum the shares inside a span quickly."""

    def __init__(self, occurrences: list[tuple[int, int, float]]):
        table = np.asarray(occurrences, dtype=np.float64).reshape(-1, 3)
        self.starts, self.ends, self.weights = table[:, 0], table[:, 1], table[:, 2]

    def inside(self, start: int, end: int) -> float:
        return float(self.weights[(self.starts >= start) & (self.ends <= end)].sum())


def _is_function(text: str, word: Word) -> bool:
    form = _form(text, word.start, word.end)
    return form in FUNCTION_WORDS or len(form) < 2


def phrase_evidence(
    text: str, contributions: Sequence[tuple[str, float]], *, top_k: int = 6, scale: float = 1.0
) -> list[FeatureEvidence]:
    """The words and phrases of ``text`` that pushed its text score up most, strongest first (kind "phrase").

    ``contributions``: (n-gram, contribution to the text model's decision value) for the post's n-grams, both
    signs; ``scale`` multiplies the weights (to express them in the final score's log-odds)."""
    occurrences = _occurrences(text, contributions)
    shares = _Shares(occurrences)
    positive = sorted((o for o in occurrences if o[2] > 0), key=lambda o: -o[2])[:_MAX_OCCURRENCES]
    if not positive:
        return []
    found: list[Word] = []
    for a, b in _windows(text, positive):
        found.extend(words(text, a, b))
    units: dict[tuple[str, ...], _Unit] = {}

    def add(run: Sequence[Word]) -> None:
        weight = shares.inside(run[0].start, run[-1].end)
        if len(run) > 1 and weight < _PHRASE_GAIN * max(shares.inside(w.start, w.end) for w in run):
            return  # the phrase says little more than its strongest word
        key = tuple(_form(text, w.start, w.end) for w in run)
        unit = units.setdefault(key, _Unit(key))
        span = (run[0].start, run[-1].end)
        if span not in unit.spans:
            unit.spans.append(span)
            unit.weight += weight
            unit.proper = unit.proper or any(w.proper and _form(text, w.start, w.end) not in PLACES for w in run)

    for word in found:
        if not _is_function(text, word) and _form(text, word.start, word.end) not in PHRASE_ENDINGS:
            add([word])
    for start, end, _share in positive:
        run = [w for w in found if w.start < end and start < w.end]
        if not 2 <= len(run) <= _MAX_PHRASE_WORDS or _PUNCTUATION.search(text, run[0].end, run[-1].start):
            continue  # one word, too long, or across punctuation
        if not (_is_function(text, run[0]) or _is_function(text, run[-1])):
            add(run)
    return _select(text, units, top_k, scale)


def _select(text: str, units: dict[tuple[str, ...], _Unit], top_k: int, scale: float) -> list[FeatureEvidence]:
    """Strongest units first; a unit overlapping one already chosen (a phrase and its own word) is skipped, and
    so is one with a name that is not a known place."""
    chosen: list[_Unit] = []
    taken: list[tuple[int, int]] = []
    for unit in sorted(units.values(), key=lambda u: (-u.weight, len(u.words))):
        if unit.weight <= 0 or len(chosen) >= top_k:
            break
        if any(a < d and c < b for a, b in unit.spans for c, d in taken):
            continue
        if unit.proper:
            continue  # a name: perhaps a person's
        chosen.append(unit)
        taken.extend(unit.spans)
    return [
        FeatureEvidence(term=" ".join(u.words), weight=u.weight * scale, spans=tuple(sorted(u.spans)), kind="phrase")
        for u in chosen
    ]
