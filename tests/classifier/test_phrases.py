"""Explanations in words and phrases: never a function word, a piece of a word or a person's name."""

import unicodedata

from classifier.phrases import FUNCTION_WORDS, phrase_evidence

TEXT = ("Chuẩn bị cho vắc xin, người dân cần cách ly 14 ngày. Chị Nhung nói với mọi người: "
        "chia sẻ ngay cho bạn bè ở Vũ Hán!")
#: syllable n-grams and their contributions, as the text model gives them (the strongest ones are traps)
CONTRIBUTIONS = [
    ("bị", 2.0), ("chuẩn", 0.1), ("chuẩn bị", 0.1), ("cho", 1.5), ("nhung", 3.0), ("chị nhung", 1.0),
    ("vắc", 0.4), ("xin", 0.3), ("vắc xin", 0.5), ("cách", 0.2), ("ly", 0.2), ("cách ly", 0.6), ("của", 1.0),
    ("chia", 0.1), ("sẻ", 0.1), ("chia sẻ", 0.2), ("sẻ ngay", 0.9), ("vũ hán", 0.7), ("<num>", 2.0),
    ("<num> ngày", 1.0), ("người dân", -0.3), ("với", 0.8),
]


def test_function_words_pieces_of_words_names_and_numbers_are_never_reasons():
    terms = [f.term for f in phrase_evidence(TEXT, CONTRIBUTIONS, top_k=20)]
    assert terms, "expected some reasons"
    assert "bị" not in terms  # only a piece of "Chuẩn bị"
    assert not any("nhung" in t for t in terms)  # a person's name
    assert not any(t in FUNCTION_WORDS for t in terms)
    assert not any(ch.isdigit() for t in terms for ch in t)


def test_multi_syllable_words_and_phrases_are_one_term_and_places_may_be_reasons():
    evidence = {f.term: f for f in phrase_evidence(TEXT, CONTRIBUTIONS, top_k=20)}
    assert {"vắc xin", "cách ly", "chia sẻ ngay", "vũ hán"} <= set(evidence)
    assert "chuẩn bị" in evidence  # the word "bị" belongs to carries its weight
    weights = [f.weight for f in evidence.values()]
    assert all(w > 0 for w in weights)


def test_reasons_are_sorted_and_their_spans_are_the_exact_characters_of_the_text():
    nasty = unicodedata.normalize("NFD", TEXT).replace("vắc", "v\u200bắc")
    evidence = phrase_evidence(nasty, CONTRIBUTIONS, top_k=20)
    assert [f.weight for f in evidence] == sorted((f.weight for f in evidence), reverse=True)
    for f in evidence:
        assert f.kind == "phrase" and f.spans
        for start, end in f.spans:
            piece = unicodedata.normalize("NFC", nasty[start:end]).replace("\u200b", "").lower()
            assert " ".join(piece.split()) == f.term


def test_a_phrase_is_not_listed_beside_its_own_words_and_scale_is_applied():
    evidence = phrase_evidence(TEXT, CONTRIBUTIONS, top_k=20, scale=2.0)
    spans = [s for f in evidence for s in f.spans]
    assert not any(a < d and c < b for i, (a, b) in enumerate(spans) for (c, d) in spans[i + 1:])
    single = {f.term: f.weight for f in phrase_evidence(TEXT, CONTRIBUTIONS, top_k=20)}
    assert {f.term: f.weight for f in evidence} == {t: 2.0 * w for t, w in single.items()}


def test_a_text_without_positive_contributions_has_no_reasons():
    assert phrase_evidence(TEXT, [("vắc xin", -1.0)]) == []
    assert phrase_evidence("", CONTRIBUTIONS) == []
