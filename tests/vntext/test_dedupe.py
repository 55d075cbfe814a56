"""Crawl dedupe (content hash, SimHash) and the classifier's training dedupe agree on what "the same text" is."""

import unicodedata
from pathlib import Path

import pytest

from classifier import LabelledExample, read_labelled_csv
from classifier.cv import dedupe_examples
from vntext import content_hash, dedupe_form, simhash64_many

TRAIN_CSV = Path(__file__).resolve().parents[2] / "data" / "reintel" / "public_train.csv"

PLAIN = "Khẩn cấp: Đà Nẵng hòa bình, thủy lợi đã được khôi phục"
SAME = [
    PLAIN,
    unicodedata.normalize("NFD", PLAIN),
    "Khẩn cấp: Đà Nẵng hoà bình, thuỷ lợi đã được khôi phục",
    "Kh\u200bẩn cấp: Ðà Nẵng hò\u00ada bình, thủy lợi ðã được khôi phục",
    "  KHẨN CẤP!!! Đà Nẵng — hòa bình; thủy lợi đã được khôi phục 👨\u200d👩\u200d👧  ",
    "khẩn\ncấp đà nẵng hòa bình thủy lợi đã được khôi phục",
]


def test_copies_that_differ_only_in_spelling_habits_have_one_dedupe_form_hash_and_simhash():
    assert len({dedupe_form(t) for t in SAME}) == 1
    assert len({content_hash(t) for t in SAME}) == 1
    assert len(set(simhash64_many(SAME).tolist())) == 1


def test_training_dedupe_keeps_one_example_exactly_when_the_crawler_sees_one_text():
    different = [PLAIN + " nay", "Khẩn cấp: Đà Nẵng hòa bình", "Đà Nẵng khẩn cấp hòa bình, thủy lợi đã được khôi phục"]
    examples = [LabelledExample(text=t, label=i % 2) for i, t in enumerate(SAME + different)]
    kept = dedupe_examples(examples)
    assert len(kept) == 1 + len(different) == len({content_hash(e.text) for e in examples})


def test_training_dedupe_and_crawl_dedupe_group_reintel_identically():
    examples = read_labelled_csv(TRAIN_CSV)
    kept = dedupe_examples(examples)
    assert len({content_hash(e.text) for e in kept}) == len(kept) == len({content_hash(e.text) for e in examples})
    assert len(kept) < len(examples)


@pytest.mark.parametrize("text", ["", "😀", "!!!"])
def test_texts_without_words_have_an_empty_dedupe_form(text):
    assert dedupe_form(text) == ""
