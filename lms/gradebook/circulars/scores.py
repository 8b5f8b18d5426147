"""Reading and rounding scores and ratings, exactly, with ``Decimal``.

Every score and average of the gradebook is rounded half-up to one decimal (7.6875 → 7.7,
8.25 → 8.3; Python's ``round`` and binary floats give 8.2). Input comes from JSON, forms and
spreadsheets: numbers or strings, with a decimal point or a decimal comma ("7,5"). A value
that cannot be read raises :class:`ScoreError` naming the field and a stable code; the
service turns the code into a sentence in the reader's language.
"""

import math
import re
from decimal import ROUND_HALF_UP, Decimal

from lms.kernel.text import fold, nfc

TENTH = Decimal("0.1")
MIN_SCORE = Decimal(0)
MAX_SCORE = Decimal(10)
#: A plain decimal numeral, at most a few digits either side: anything longer is not a score
#: and is refused before ``Decimal`` sees it ("1E+999999" never becomes a number).
_NUMERAL = re.compile(r"^[+-]?\d{1,4}(?:[.,]\d{1,6})?$")


class ScoreError(ValueError):
    """A value is not acceptable for ``field``. ``code`` is one of: ``not_a_number``,
    ``out_of_range``, ``too_many_decimals``, ``not_whole``, ``not_a_rating``, ``too_many``."""

    def __init__(self, field: str, code: str, value=None):
        super().__init__(f"{field}: {code}")
        self.field = field
        self.code = code
        self.value = value


def round1(value: Decimal) -> Decimal:
    """Half-up to one decimal: 7.6875 → 7.7, 8.25 → 8.3, 8.24 → 8.2."""
    return value.quantize(TENTH, rounding=ROUND_HALF_UP)


def score_text(value: Decimal) -> str:
    """The canonical text of a score: ``"7.5"``, ``"8"``, ``"10"`` (a dot, no exponent)."""
    if value == value.to_integral_value():
        return str(int(value))
    return str(round1(value))


def average_text(value: Decimal | None) -> str | None:
    """An average as the API writes it: always one decimal (``"7.7"``, ``"8.0"``)."""
    return None if value is None else str(round1(value))


def parse_score(value, field: str, *, whole: bool = False) -> Decimal:
    """A score 0–10 with at most one decimal (``whole``: an integer, as TT27 tests are).

    Accepts ints, floats and strings with "." or ","; refuses booleans, NaN, infinities and
    exponents.
    """
    number = _number(value, field)
    if not MIN_SCORE <= number <= MAX_SCORE:
        raise ScoreError(field, "out_of_range", value)
    if whole and number != number.to_integral_value():
        raise ScoreError(field, "not_whole", value)
    if number != round1(number):
        raise ScoreError(field, "too_many_decimals", value)
    return number


def _number(value, field: str) -> Decimal:
    if isinstance(value, bool) or value is None:
        raise ScoreError(field, "not_a_number", value)
    if isinstance(value, int):
        if abs(value) > 10**6:
            raise ScoreError(field, "out_of_range", value)
        return Decimal(value)
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ScoreError(field, "not_a_number", value)
        if abs(value) > 1e6:
            raise ScoreError(field, "out_of_range", value)
        # repr is the shortest text that reads back as this float: 7.5 → "7.5", 8.25 → "8.25".
        return Decimal(repr(value))
    if not isinstance(value, str):
        raise ScoreError(field, "not_a_number", value)
    text = nfc(value)
    if not _NUMERAL.match(text):
        raise ScoreError(field, "not_a_number", value)
    return Decimal(text.replace(",", "."))


def parse_rating(value, field: str, scale: "RatingScale") -> str:
    """A rating of ``scale`` from its code or its words, folded: "Đ", "đạt", "Dat" → "Đ"."""
    if isinstance(value, str):
        code = scale.lookup.get(fold(nfc(value)))
        if code is not None:
            return code
    raise ScoreError(field, "not_a_rating", value)


class RatingScale:
    """An ordered scale of ratings, best first: codes (stored) and words (shown)."""

    def __init__(self, name: str, levels: list[tuple[str, str]], aliases: dict | None = None):
        self.name = name
        self.codes = [code for code, _word in levels]
        self.words = dict(levels)
        self.lookup = {fold(code): code for code in self.codes}
        self.lookup |= {fold(word): code for code, word in levels}
        self.lookup |= {fold(alias): code for alias, code in (aliases or {}).items()}

    def rank(self, code: str) -> int:
        """0 for the best level, growing downwards."""
        return self.codes.index(code)

    def word(self, code: str | None) -> str | None:
        return None if code is None else self.words[code]


#: TT22 comment-only subjects: Đạt / Chưa đạt.
PASS_FAIL = RatingScale("pass_fail", [("Đ", "Đạt"), ("CĐ", "Chưa đạt")])
#: TT22 conduct (rèn luyện) and learning result (học tập): Tốt / Khá / Đạt / Chưa đạt.
FOUR_LEVELS = RatingScale("four_levels", [("T", "Tốt"), ("K", "Khá"), ("Đ", "Đạt"),
                                          ("CĐ", "Chưa đạt")])
#: TT27 subjects and activities: Hoàn thành tốt / Hoàn thành / Chưa hoàn thành.
COMPLETION = RatingScale("completion", [("T", "Hoàn thành tốt"), ("H", "Hoàn thành"),
                                        ("C", "Chưa hoàn thành")],
                         aliases={"HTT": "T", "HT": "H", "CHT": "C"})
#: TT27 qualities and competences: Tốt / Đạt / Cần cố gắng.
QUALITY = RatingScale("quality", [("T", "Tốt"), ("Đ", "Đạt"), ("C", "Cần cố gắng")],
                      aliases={"CCG": "C"})
