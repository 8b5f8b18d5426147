"""Names and titles lose invisible reordering and zero-width characters (issue 10 §1.10)."""

import unicodedata

import pytest
from hypothesis import given
from hypothesis import strategies as st

from lms.kernel.text import clean_name

#: Every character the cleaner drops: bidi marks, embeddings, overrides and isolates,
#: zero-width space / non-joiner / joiner, word joiner and invisible operators, soft hyphen,
#: BOM.
INVISIBLE = ["\u00ad", "\u061c", *map(chr, range(0x200B, 0x2010)),
             *map(chr, range(0x202A, 0x202F)), *map(chr, range(0x2060, 0x2065)),
             *map(chr, range(0x2066, 0x206A)), "\ufeff"]
VIETNAMESE = "Nguyễn Thị Ánh Hồng – Trường THPT Lê Quý Đôn, lớp 10A1 (Toán & Tin)"


@pytest.mark.parametrize("char", INVISIBLE, ids=lambda c: f"U+{ord(c):04X}")
def test_each_invisible_character_is_removed(char):
    assert clean_name(f"Nguyễn{char} Văn{char}{char} A{char}") == "Nguyễn Văn A"


def test_a_right_to_left_override_cannot_make_a_title_read_backwards():
    spoof = "Kiểm tra \u202egnảhc\u202c 15 phút"
    assert "\u202e" not in clean_name(spoof) and "\u202c" not in clean_name(spoof)


def test_decomposed_input_is_nfc_and_whitespace_is_one_space():
    decomposed = unicodedata.normalize("NFD", "  Trần\t\tThị\nBê\u00a0 ")
    assert clean_name(decomposed) == "Trần Thị Bê"


def test_a_mark_split_from_its_letter_by_a_zero_width_space_composes():
    assert clean_name("Nguye\u0302\u200b\u0303n") == "Nguyễn"


def test_control_characters_never_reach_a_name():
    assert clean_name("Lê\x00Văn\x1bC\x7f") == "Lê Văn C"


def test_vietnamese_text_is_unchanged():
    assert clean_name(VIETNAMESE) == VIETNAMESE


def test_only_invisible_characters_is_empty():
    assert clean_name("\u200b\u202e\ufeff ") == "" and clean_name(None) == ""


#: Letters, combining tones, spaces and controls mixed with the invisible characters.
_MIXED = st.text(st.sampled_from([*INVISIBLE, *"aeêoư \t\n\x00", "\u0301", "\u0303",
                                  "\u0323"]) | st.characters())


@given(_MIXED)
def test_cleaning_is_idempotent_nfc_and_leaves_nothing_it_removes(text):
    cleaned = clean_name(text)
    assert clean_name(cleaned) == cleaned
    assert unicodedata.normalize("NFC", cleaned) == cleaned
    assert not set(cleaned) & set(INVISIBLE)
    assert cleaned == cleaned.strip() and "  " not in cleaned
