import unicodedata

from classifier.tokens import normalised_tokens, token_spans, token_string


def test_urls_phones_and_numbers_become_placeholders():
    tokens = normalised_tokens("Xem https://abc.vn/x?y=1 gọi 0912.345.678 có 1.000 ca, <URL> vnexpress.net")
    assert tokens == ["xem", "<url>", "gọi", "<phone>", "có", "<num>", "ca", "<url>", "<url>"]


def test_teencode_is_expanded():
    assert normalised_tokens("ko tin đc") == ["không", "tin", "được"]


def test_tokens_are_lower_cased_and_normalised():
    assert normalised_tokens("KHẨN CẤP Hoà") == ["khẩn", "cấp", "hòa"]


def test_token_spans_agree_with_model_tokens_on_nfd_and_zero_width_text():
    text = "KHẨN CẤP!!! Thuỷ điện vỡ, gọi 0912345678 #BệnhNhânSố17 ko tin thì thôi"
    nasty = unicodedata.normalize("NFD", text).replace("ẩ", "ẩ").replace("CẤP", "C\u200bẤP")
    for variant in (text, nasty):
        spans = token_spans(variant)
        assert " ".join(tok for tok, _, _ in spans) == token_string(text)


def test_token_spans_agree_with_model_tokens_on_reintel_posts(reintel_examples):
    for ex in reintel_examples[:400]:
        for variant in (ex.text, unicodedata.normalize("NFD", ex.text)):
            assert " ".join(tok for tok, _, _ in token_spans(variant)) == token_string(ex.text)


def test_token_span_offsets_cover_the_word_in_the_original_text():
    original = unicodedata.normalize("NFD", "Cảnh báo: thuỷ\u200b điện")
    spans = {tok: original[s:e] for tok, s, e in token_spans(original)}
    assert spans["thủy"] == unicodedata.normalize("NFD", "thuỷ")
    assert unicodedata.normalize("NFC", spans["cảnh"]) == "Cảnh"
