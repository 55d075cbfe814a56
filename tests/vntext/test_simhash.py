import re
import unicodedata

import numpy as np
import pytest

from simhash_reference import old_dedupe_words, simhash64_reference
from vntext import dedupe_words, hamming, hamming_many, simhash64, simhash64_many
from vntext.normalize import unify_tone_marks

NEAR_A = ("Bộ trưởng Bộ TT&TT Nguyễn Mạnh Hùng chia sẻ, mỗi người một giọt nước nhỏ thành biển lớn. "
          "20 ngày chúng ta đã có 2,2 triệu lượt nhắn tin")


def test_vectorised_simhash_equals_the_pure_python_loop_on_every_reintel_post(reintel_texts):
    assert len(reintel_texts) == 4372 + 3288
    expected = [simhash64_reference(dedupe_words(text)) for text in reintel_texts]
    got = simhash64_many(reintel_texts)
    assert got.dtype == np.int64
    assert got.tolist() == expected
    assert [simhash64(text) for text in reintel_texts[:300]] == expected[:300]


def test_old_stored_simhashes_stay_valid_unless_the_unified_normalisation_changed_the_words(reintel_texts):
    """Where the old and the new dedupe words agree, today's SimHash is the one the crawler stored before."""
    changed = [text for text in reintel_texts if old_dedupe_words(text) != dedupe_words(text)]
    assert 0 < len(changed) < len(reintel_texts) * 0.1
    explained = re.compile("[\u00d0\u00f0\u00ad\u200e\u200f]")
    for text in changed:
        nfc = unicodedata.normalize("NFC", text)
        assert unify_tone_marks(nfc) != nfc or explained.search(text), text[:200]
    same = [text for text in reintel_texts if old_dedupe_words(text) == dedupe_words(text)]
    assert simhash64_many(same[:500]).tolist() == [simhash64_reference(old_dedupe_words(t)) for t in same[:500]]


@pytest.mark.parametrize("text", ["", "   ", "!!! ... 😀🎉 👨\u200d👩\u200d👧", "\u200b\u200d"])
def test_text_without_words_hashes_to_zero(text):
    assert simhash64(text) == 0
    assert simhash64_many([text, "tin", text]).tolist()[::2] == [0, 0]


def test_one_syllable_is_hashed_as_a_single_shingle():
    assert simhash64("Tin") == simhash64_reference(["tin"]) != 0


@pytest.mark.parametrize("shingle", [1, 2, 3])
def test_other_shingle_sizes_match_the_reference(shingle):
    texts = [NEAR_A, "một", "hai ba", "Giá vàng hôm nay giao dịch ảm đạm"]
    assert simhash64_many(texts, shingle=shingle).tolist() == [
        simhash64_reference(dedupe_words(t), shingle=shingle) for t in texts
    ]


def test_a_shingle_size_below_one_is_refused():
    with pytest.raises(ValueError, match="shingle"):
        simhash64_many(["tin"], shingle=0)


def test_very_long_texts_and_batches_larger_than_one_step_are_hashed_exactly():
    long_text = " ".join(f"âm{i % 977} tiếng{i % 613}" for i in range(40_000))  # 80,000 words, > one step
    batch = [NEAR_A] * 3000 + [long_text, "", "một"]  # ~100,000 shingles before the long text
    got = simhash64_many(batch)
    assert got[0] == got[2999] == simhash64_reference(dedupe_words(NEAR_A))
    assert got[3000] == simhash64_reference(dedupe_words(long_text))
    assert got[3001:].tolist() == [0, simhash64_reference(["một"])]


def test_nfd_zero_width_and_tone_variants_hash_like_the_plain_text():
    plain = "Hòa bình và thủy lợi: đã được xác nhận"
    variants = [
        unicodedata.normalize("NFD", plain),
        "Hoà bình và thuỷ lợi: đã được xác nhận",
        "Hòa bì\u200bnh và th\u00adủy lợi: ðã ðược xác nhận",
        "HÒA BÌNH VÀ THỦY LỢI — ĐÃ ĐƯỢC XÁC NHẬN!!!",
    ]
    assert set(simhash64_many(variants).tolist()) == {simhash64(plain)}


def test_near_duplicates_are_close_and_other_texts_are_far():
    b = NEAR_A.replace("2,2 triệu", "2,3 triệu")
    c = "Giá vàng hôm nay 13.6 giao dịch ảm đạm và chưa có dấu hiệu tăng trở lại"
    ha, hb, hc = simhash64_many([NEAR_A, b, c]).tolist()
    assert -(2**63) <= ha < 2**63
    assert hamming(ha, hb) <= 10 < hamming(ha, hc)


def test_hamming_many_agrees_with_hamming_for_signed_and_unsigned_hashes():
    values = simhash64_many([NEAR_A, "một hai", "ba bốn năm", "Giá vàng hôm nay"]).tolist()
    one = values[0]
    expected = [hamming(one, v) for v in values]
    assert hamming_many(one, values).tolist() == expected
    assert hamming_many(one & (2**64 - 1), [v & (2**64 - 1) for v in values]).tolist() == expected
    assert hamming_many(one, np.asarray(values, dtype=np.int64)).tolist() == expected
    assert hamming_many(one, np.asarray(values, dtype=np.int64).view(np.uint64)).tolist() == expected
    assert hamming_many(0, [-1, 0]).tolist() == [64, 0]
    assert hamming_many(one, []).tolist() == []


def test_hamming_many_refuses_arrays_that_are_not_64_bit_integers():
    with pytest.raises(TypeError, match="int64 or uint64"):
        hamming_many(0, np.zeros(3, dtype=np.float64))

