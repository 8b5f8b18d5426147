"""Vietnamese text rules: NFC on every input, and search keys with diacritics folded.

Unicode gives no decomposition for đ/Đ, so they are mapped by hand; U+00D0 (Icelandic eth,
which legacy fonts and keyboards produce for Đ) is read as Đ.
"""

import unicodedata

_LETTERS = str.maketrans({"đ": "d", "Đ": "D", "\u00d0": "D", "\u00f0": "d"})
_ETH_AS_DJ = str.maketrans({"\u00d0": "Đ"})


def nfc(text: str | None) -> str:
    """Normalise to NFC, turn eth into Đ and strip surrounding whitespace; None becomes ''."""
    if text is None:
        return ""
    return unicodedata.normalize("NFC", str(text)).translate(_ETH_AS_DJ).strip()


def strip_diacritics(text: str) -> str:
    """Remove combining marks and map đ→d, keeping case. 'Đường Tròn' → 'Duong Tron'."""
    decomposed = unicodedata.normalize("NFD", text.translate(_LETTERS))
    bare = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return unicodedata.normalize("NFC", bare)


def fold(text: str) -> str:
    """Search key: lower case, no combining marks, đ→d. 'Đường tròn' → 'duong tron'."""
    return strip_diacritics(text).casefold()
