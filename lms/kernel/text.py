"""Vietnamese text rules: NFC on every input, and search keys with diacritics folded.

Unicode gives no decomposition for đ/Đ, so they are mapped by hand; U+00D0 (Icelandic eth,
which legacy fonts and keyboards produce for Đ) is read as Đ.
"""

import re
import unicodedata

_LETTERS = str.maketrans({"đ": "d", "Đ": "D", "\u00d0": "D", "\u00f0": "d"})
_ETH_AS_DJ = str.maketrans({"\u00d0": "Đ"})


def nfc(text: str | None) -> str:
    """Normalise to NFC, turn eth into Đ and strip surrounding whitespace; None becomes ''."""
    if text is None:
        return ""
    return unicodedata.normalize("NFC", str(text)).translate(_ETH_AS_DJ).strip()


#: Characters that draw nothing yet reorder or hide what follows: bidirectional marks,
#: embeddings, overrides and isolates (U+061C, U+200E–U+200F, U+202A–U+202E, U+2066–U+2069),
#: zero-width spaces, joiners and non-joiners (U+200B–U+200D), the word joiner and invisible
#: operators (U+2060–U+2064), the soft hyphen and the BOM. Vietnamese writing needs none of
#: them — ZWJ/ZWNJ only shape Indic and Arabic scripts and emoji sequences — and in a name
#: they let "Nguyễn Văn A" and a look-alike differ, or make a title read backwards.
_INVISIBLE = re.compile("[\u00ad\u061c\u200b-\u200f\u202a-\u202e\u2060-\u2064"
                        "\u2066-\u2069\ufeff]")
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f]")


def clean_name(text: str | None) -> str:
    """A person's name or a title (class, unit, lesson, test, group): NFC, invisible
    formatting characters and control characters removed, every run of whitespace one space,
    trimmed. None becomes ''. Pasted text often carries such characters innocently, so they
    are dropped rather than refused; a name made only of them ends up empty (and is refused
    as empty where a name is required)."""
    if text is None:
        return ""
    # Removed before NFC: "e" + U+200B + U+0301 must compose to "é" once the U+200B is gone.
    visible = _CONTROL.sub(" ", _INVISIBLE.sub("", str(text)))
    return " ".join(nfc(visible).split())


def strip_diacritics(text: str) -> str:
    """Remove combining marks and map đ→d, keeping case. 'Đường Tròn' → 'Duong Tron'."""
    decomposed = unicodedata.normalize("NFD", text.translate(_LETTERS))
    bare = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return unicodedata.normalize("NFC", bare)


def fold(text: str) -> str:
    """Search key: lower case, no combining marks, đ→d. 'Đường tròn' → 'duong tron'."""
    return strip_diacritics(text).casefold()


#: The Vietnamese alphabet in dictionary order (ă â after a, đ after d, ê after e, ô ơ after
#: o, ư after u), with f j w z where the Latin alphabet has them for foreign names.
_ALPHABET = "aăâbcdđeêfghijklmnoôơpqrstuưvwxyz"
#: Tones in dictionary order: ngang (none), huyền, hỏi, ngã, sắc, nặng.
_TONES = {"\u0300": "1", "\u0309": "2", "\u0303": "3", "\u0301": "4", "\u0323": "5"}


def collation_key(text: str) -> str:
    """A key whose plain string order is Vietnamese dictionary order: letters first (so 'Đức'
    sorts after every 'D…' name and 'Ân' after 'An…'), then tones when the letters tie.

    Letters map to code points from U+0100 in alphabet order; other characters (spaces,
    digits, letters outside the alphabet) keep their own, so a space still sorts first."""
    letters, tones = [], []
    for char in unicodedata.normalize("NFC", text.translate(_ETH_AS_DJ)).casefold():
        parts = unicodedata.normalize("NFD", char)
        tones.append(next((_TONES[p] for p in parts if p in _TONES), "0"))
        base = unicodedata.normalize("NFC", "".join(p for p in parts if p not in _TONES))
        rank = _ALPHABET.find(base) if len(base) == 1 else -1
        letters.append(chr(0x100 + rank) if rank >= 0 else base)
    return "".join(letters) + "\x00" + "".join(tones)
