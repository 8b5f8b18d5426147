"""Duplicate detection for questions (on create and on import).

Exact duplicates share ``normalise_text_key``: the type, the folded stem and the folded texts
of the options (sorted, so reordering options does not hide a copy). Near duplicates are
found by the Jaccard similarity of the folded word sets.
"""

import re

from lms.kernel.text import fold
from question_bank.html import html_to_text
from question_bank.types import type_of

NEAR_DUPLICATE_THRESHOLD = 0.85
_WORD = re.compile(r"\w+")
_AROUND_SIGN = re.compile(r"\s*([^\w\s])\s*")


def _folded(html: str) -> str:
    """Visible text folded, with no spaces around signs ('x + 1 ?' → 'x+1?')."""
    return _AROUND_SIGN.sub(r"\1", fold(html_to_text(html)))


def normalise_text_key(payload: dict) -> str:
    """Exact-duplicate key: type, folded stem, sorted folded option/statement/item texts."""
    parts = sorted(_folded(text) for text in type_of(payload).key_texts(payload))
    return "\x1f".join([payload["type"], _folded(payload["text_html"]), *parts])


def word_set(payload: dict) -> frozenset[str]:
    """The folded words of the stem and the key texts."""
    texts = [payload["text_html"], *type_of(payload).key_texts(payload)]
    return frozenset(word for text in texts for word in _WORD.findall(_folded(text)))


def similarity(a: dict, b: dict) -> float:
    """Jaccard similarity of the two questions' folded word sets, in [0, 1]."""
    words_a, words_b = word_set(a), word_set(b)
    if not words_a and not words_b:
        return 1.0
    return len(words_a & words_b) / len(words_a | words_b)


def is_near_duplicate(a: dict, b: dict, threshold: float = NEAR_DUPLICATE_THRESHOLD) -> bool:
    """True when the questions share at least ``threshold`` of their words."""
    return similarity(a, b) >= threshold
