"""Legacy Vietnamese font encodings found in old Word files, converted to Unicode.

Such text is stored as Latin-1 characters and only looks Vietnamese in the matching font:

- TCVN3 (ABC, TCVN 5712:1993 "VN3"), fonts ``.VnTime``, ``.VnArial``…: one byte per letter.
  The ``…H`` fonts (``.VnTimeH``) draw the same codes as capitals.
- VNI (fonts ``VNI-Times``, ``VNI-Helve``…): a base letter followed by a diacritic byte
  ("Tröôøng" is "Trường"); ơ, ư, đ and the i/ỵ letters are single bytes.
"""

from __future__ import annotations

import unicodedata

_TCVN3_BYTES = ("µ¸¶·¹¨»¾¼½Æ©ÇÊÈÉË®ÌÐÎÏÑªÒÕÓÔÖ×ÝØÜÞßãáâä«åèæçé¬êíëìîïóñòô­õøö÷ùúýûüþ"
                "¡¢§£¤¥¦")
_TCVN3_UNICODE = ("àáảãạăằắẳẵặâầấẩẫậđèéẻẽẹêềếểễệìíỉĩịòóỏõọôồốổỗộơờớởỡợùúủũụưừứửữựỳýỷỹỵ"
                  "ĂÂĐÊÔƠƯ")
_TCVN3 = str.maketrans(dict(zip(_TCVN3_BYTES, _TCVN3_UNICODE, strict=True)))

_ACUTE, _GRAVE, _HOOK, _TILDE, _DOT = "\u0301", "\u0300", "\u0309", "\u0303", "\u0323"
_CIRC, _BREVE, _HORN = "\u0302", "\u0306", "\u031b"
#: diacritic bytes that follow a base vowel (lower-case form; upper-case bytes are the same
#: Latin-1 letters in capitals)
_VNI_MARKS = {
    "ù": _ACUTE, "ø": _GRAVE, "û": _HOOK, "õ": _TILDE, "ï": _DOT,
    "â": _CIRC, "á": _CIRC + _ACUTE, "à": _CIRC + _GRAVE, "å": _CIRC + _HOOK,
    "ã": _CIRC + _TILDE, "ä": _CIRC + _DOT,
    "ê": _BREVE, "é": _BREVE + _ACUTE, "è": _BREVE + _GRAVE, "ú": _BREVE + _HOOK,
    "ü": _BREVE + _TILDE, "ë": _BREVE + _DOT,
}
#: whole letters in one byte
_VNI_LETTERS = {"ô": "ơ", "ö": "ư", "ñ": "đ", "í": "í", "ì": "ì", "æ": "ỉ", "ó": "ĩ",
                "ò": "ị", "î": "ỵ"}
_VNI_BASES = set("aeouyAEOUYơưƠƯ")


def is_tcvn3_font(font: str) -> bool:
    """TCVN3 fonts are named '.Vn…' (.VnTime, .VnArial, .VnTimeH)."""
    return font.startswith(".Vn")


def is_vni_font(font: str) -> bool:
    """VNI fonts are named 'VNI-…' (VNI-Times, VNI-Helve)."""
    return font.upper().startswith("VNI-")


def tcvn3_to_unicode(text: str, capitals: bool = False) -> str:
    """Map TCVN3 (ABC) characters to Unicode; ``capitals`` for the '…H' fonts."""
    out = text.translate(_TCVN3)
    return out.upper() if capitals else out


def vni_to_unicode(text: str) -> str:
    """Combine VNI base letters with their diacritic bytes into NFC Unicode."""
    out: list[str] = []
    for char in text:
        lower = char.lower()
        if out and out[-1][-1:] and _base(out[-1]) in _VNI_BASES and lower in _VNI_MARKS:
            out[-1] += _VNI_MARKS[lower]
        elif lower in _VNI_LETTERS:
            letter = _VNI_LETTERS[lower]
            out.append(letter.upper() if char != lower else letter)
        else:
            out.append(char)
    return unicodedata.normalize("NFC", "".join(out))


def _base(cluster: str) -> str:
    """The letter a cluster starts with, once it holds no tone mark yet (ơ/ư keep theirs)."""
    if any(mark in cluster for mark in (_ACUTE, _GRAVE, _HOOK, _TILDE, _DOT)):
        return ""
    return cluster[0]
