"""Vietnamese text rules: dictionary order of names and words."""

import random

from hypothesis import given
from hypothesis import strategies as st

from lms.kernel.text import collation_key

#: A Vietnamese dictionary's order: letters first (ă â after a, đ after d, ơ after ô),
#: tones (ngang, huyền, hỏi, ngã, sắc, nặng) only when the letters tie.
DICTIONARY = ["An", "Àn", "Anh", "Ảnh", "Ãnh", "Ánh", "Ạnh", "Ăn", "Ân", "Bình", "Du",
              "Dung", "Dương", "Đào", "Đức", "Ô", "Ơn", "Uyên", "Ưng", "Vy", "Yến"]


def test_names_sort_in_vietnamese_dictionary_order():
    shuffled = DICTIONARY[:]
    random.Random(7).shuffle(shuffled)
    assert sorted(shuffled, key=collation_key) == DICTIONARY


def test_decomposed_and_eth_spellings_sort_as_their_composed_form():
    import unicodedata

    assert collation_key(unicodedata.normalize("NFD", "Nguyễn Đức")) == collation_key(
        "Nguyễn Đức")
    assert collation_key("\u00d0ức") == collation_key("Đức")   # legacy keyboards' eth


WORDS = st.text(alphabet="aăâbdđeêioôơuưyàáảãạằắẳẵặầấẩẫậđìíỉĩịờớởỡợ ", max_size=8)


def _toneless(word: str) -> str:
    """The word with its five tone marks removed (ă â ê ô ơ ư đ kept)."""
    import unicodedata

    marks = "\u0300\u0301\u0303\u0309\u0323"
    bare = "".join(ch for ch in unicodedata.normalize("NFD", word) if ch not in marks)
    return unicodedata.normalize("NFC", bare)


@given(WORDS, WORDS)
def test_letters_decide_before_tones(left, right):
    """When two words differ in their letters, the tones never change their order."""
    if _toneless(left) != _toneless(right):
        by_letters = collation_key(_toneless(left)) < collation_key(_toneless(right))
        assert (collation_key(left) < collation_key(right)) == by_letters
