import unicodedata

import pytest

from classifier import normalize_text


def test_nfd_input_normalises_to_nfc():
    nfc = "Khẩn cấp: người dân hoang mang"
    nfd = unicodedata.normalize("NFD", nfc)
    assert nfd != nfc
    assert normalize_text(nfd) == nfc


@pytest.mark.parametrize(
    ("variant", "expected"),
    [
        ("hoà", "hòa"),
        ("hòa", "hòa"),
        ("thuỷ", "thủy"),
        ("thủy", "thủy"),
        ("khoẻ", "khỏe"),
        ("Uỷ ban", "Ủy ban"),
        ("HOÀ BÌNH", "HÒA BÌNH"),
        ("toà án", "tòa án"),
        ("suý", "súy"),
        ("quà hoà", "quà hòa"),
    ],
)
def test_tone_mark_variants_normalise_to_one_form(variant, expected):
    assert normalize_text(variant) == expected


@pytest.mark.parametrize("word", ["quý", "quỳ", "QUỶ", "hoàng", "thuyền", "khoảng", "quả", "uà", "oý", "huế"])
def test_tone_marks_that_are_already_unambiguous_are_left_alone(word):
    assert normalize_text(word) == word


def test_nfd_tone_variant_normalises_like_nfc_variant():
    assert normalize_text(unicodedata.normalize("NFD", "thuỷ lợi hoà bình")) == "thủy lợi hòa bình"


def test_zero_width_characters_are_removed():
    assert normalize_text("kh\u200bẩn\u200c cấp\u2060\ufeff") == "khẩn cấp"


def test_whitespace_is_collapsed_and_stripped():
    assert normalize_text("  một \n\n hai\t ba  ") == "một hai ba"


def test_emoji_survive_normalisation():
    assert normalize_text("Tin vui 😀🎉 hoà") == "Tin vui 😀🎉 hòa"


def test_empty_text_normalises_to_empty():
    assert normalize_text("") == ""
    assert normalize_text("\u200b \n") == ""
