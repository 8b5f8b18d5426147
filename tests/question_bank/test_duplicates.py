"""Exact and near-duplicate detection keys."""

import pytest

from question_bank import is_near_duplicate, normalise_text_key, similarity
from tests.question_bank.payloads import RAW, options, payload


def test_exact_key_ignores_case_accents_markup_spacing_and_option_order():
    original = payload("single_choice", text_html="<p>Thủ đô của  Việt Nam?</p>")
    reordered = payload("single_choice", text_html="thu do cua <b>viet nam</b>?",
                        options=list(reversed(options("b"))))
    assert normalise_text_key(original) == normalise_text_key(reordered)


@pytest.mark.parametrize("change", [
    {"text_html": "Thủ đô của Lào?"},
    {"options": options("b", "abc")},
    {"type": "multiple_response"},
])
def test_exact_key_changes_with_stem_options_or_type(change):
    assert normalise_text_key(payload("single_choice")) != normalise_text_key(
        payload("single_choice", **change))


def test_keys_exist_for_every_type():
    keys = {name: normalise_text_key(payload(name)) for name in RAW}
    assert len(set(keys.values())) == len(keys)


def test_near_duplicate_threshold():
    stem = "Trong các số sau số nào là số nguyên tố nhỏ nhất lớn hơn mười hai và nhỏ hơn hai mươi"
    a = payload("short_text", text_html=stem)
    one_word = payload("short_text", text_html=stem.replace("mười hai", "mười ba"))
    rewritten = payload("short_text", text_html="Số nguyên tố lớn nhất có hai chữ số là số nào")
    assert similarity(a, a) == 1.0
    assert is_near_duplicate(a, one_word)
    assert 0.85 <= similarity(a, one_word) < 1
    assert not is_near_duplicate(a, rewritten)


def test_signs_matter_and_inline_markup_does_not():
    plus = payload("short_text", text_html=r"Giải \(x^2 + 1 = 0\)")
    minus = payload("short_text", text_html=r"Giải \(x^2 - 1 = 0\)")
    assert normalise_text_key(plus) != normalise_text_key(minus)
    water = payload("short_text", text_html="Công thức của H<sub>2</sub>O")
    typed = payload("short_text", text_html="công thức của h2o")
    assert normalise_text_key(water) == normalise_text_key(typed)
