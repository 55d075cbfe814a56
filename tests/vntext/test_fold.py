"""Unaccented copies fold to the same words as their original, however the accents were encoded."""

from __future__ import annotations

import unicodedata

from vntext import fold_accents, folded_words, search_words


def test_accents_and_d_are_folded_case_kept() -> None:
    assert fold_accents("Bộ Y tế ĐÃ bác bỏ") == "Bo Y te DA bac bo"
    assert folded_words("Thuỷ điện Hoà Bình!!! 🙏") == ["thuy", "dien", "hoa", "binh"]


def test_encodings_of_the_same_text_fold_alike() -> None:
    text = "Vắc xin chứa chíp theo dõi"
    assert folded_words(unicodedata.normalize("NFD", text)) == folded_words(text) == folded_words(
        "Vac xin chu\u200ba chip theo doi")


def test_search_words_are_runs_of_letters_and_digits_of_the_search_form() -> None:
    assert search_words("Khu CÁCH-LY 2019-nCoV, Đà_Nẵng!") == ["khu", "cach", "ly", "2019", "ncov", "da", "nang"]
    assert search_words('"NEAR(x)" * OR -y') == ["near", "x", "or", "y"]
    assert search_words("... ✓ — ") == []
    assert search_words("tin 🙂 nóng") == ["tin", "🙂", "nong"]  # as FTS5 unicode61: past U+FFFF is a word
