"""Sentences and words found by underthesea map back to the exact characters of the caller's text."""

import unicodedata

from classifier import sentence_spans
from classifier.segmentation import words


def test_sentence_spans_cover_each_sentence_of_each_line_exactly():
    text = "Chuẩn bị cho vắc xin.  Người dân cần cách ly 14 ngày!\n\nHà Nội đang phong tỏa. Tin mới"
    pieces = [text[a:b] for a, b in sentence_spans(text)]
    assert pieces == ["Chuẩn bị cho vắc xin.", "Người dân cần cách ly 14 ngày!", "Hà Nội đang phong tỏa.", "Tin mới"]


def test_sentence_spans_of_an_unnormalised_text_are_offsets_into_that_text():
    text = unicodedata.normalize("NFD", "Chị ấy nói: “cách ly ngay”. Xong.").replace("cách", "cá\u200bch")
    spans = sentence_spans(text)
    assert [text[a:b] for a, b in spans][-1] == "Xong."
    assert all(0 <= a < b <= len(text) for a, b in spans)
    assert sentence_spans("") == [] and sentence_spans(" \n\t") == []


def test_words_keep_multi_syllable_words_whole_and_point_at_the_exact_text():
    text = unicodedata.normalize("NFD", "Chuẩn bị cho vắc xin, người dân cần cách ly.").replace("xin", "x\u200bin")
    found = [unicodedata.normalize("NFC", text[w.start:w.end]).replace("\u200b", "") for w in words(text)]
    assert found == ["Chuẩn bị", "cho", "vắc xin", "người dân", "cần", "cách ly"]


def test_a_capitalised_word_inside_a_sentence_is_marked_as_a_name():
    text = "Chị Nhung nói với cô ấy. Nhung đi."
    marks = {(text[w.start:w.end], w.start): w.proper for w in words(text)}
    assert marks[("Nhung", 4)] is True
    assert marks[("Nhung", 25)] is True  # sentence-initial, but a name elsewhere in the text
    assert marks[("Chị", 0)] is False and marks[("nói", 10)] is False
