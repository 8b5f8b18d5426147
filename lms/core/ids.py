"""Integers taken from URLs: row ids and small numbers that must fit a 64-bit column.

Every table's id is a signed 64-bit integer at most (SQLite's INTEGER, PostgreSQL's BIGINT);
a larger number sent to the database is an overflow error, not "no such row". So a URL id
is checked before any query: ``<id:exam_id>`` matches 1 … 2**63 − 1 only, and anything
else (0, 2**63, a 5,000-digit number) matches no route — a 404. ``<int:…>`` is bounded the
same way (slots, indexes). JSON bodies use ``lms.api.schemas.Id``, which holds the same
bounds.
"""

import builtins

from werkzeug.routing import IntegerConverter, ValidationError

#: The largest id any table can hold.
MAX_ID = 2**63 - 1
_MAX_DIGITS = len(str(MAX_ID))


class BoundedIntConverter(IntegerConverter):
    """``<int:…>``: 0 … MAX_ID. Too many digits is refused before ``int()`` (which refuses
    more than 4,300 digits with an error of its own)."""

    def __init__(self, map, fixed_digits=0, min=0, max=MAX_ID, signed=False):
        bound = MAX_ID if max is None else builtins.min(max, MAX_ID)
        super().__init__(map, fixed_digits=fixed_digits, min=min, max=bound, signed=signed)

    def to_python(self, value: str):
        digits = value.lstrip("0") or "0"       # int() counts leading zeros against its limit
        if len(digits) > _MAX_DIGITS or (self.fixed_digits and len(value) != self.fixed_digits):
            raise ValidationError()
        return super().to_python(digits if not self.fixed_digits else value)


class IdConverter(BoundedIntConverter):
    """``<id:…>``: a row id, 1 … MAX_ID."""

    def __init__(self, map):
        super().__init__(map, min=1)


def parse_int(text) -> int | None:
    """A whole number 0 … MAX_ID typed into a form or a query string, or None. Plain ASCII
    digits only: ``"²".isdigit()`` is true but ``int("²")`` fails, and a huge number would
    overflow the query it is used in."""
    text = str(text if text is not None else "").strip()
    digits = text.lstrip("0") or "0"            # int() counts leading zeros against its limit
    if not (text.isascii() and text.isdigit()) or len(digits) > _MAX_DIGITS:
        return None
    value = int(digits)
    return value if value <= MAX_ID else None


def to_int(text) -> int:
    """``parse_int`` for ``request.args.get(name, default, type=to_int)``: ValueError on
    anything else, so the default is used."""
    value = parse_int(text)
    if value is None:
        raise ValueError(f"not a whole number: {str(text)[:40]!r}")
    return value


def register_converters(app) -> None:
    """``id`` for row ids; the default ``int`` replaced by its bounded form."""
    app.url_map.converters["id"] = IdConverter
    app.url_map.converters["int"] = BoundedIntConverter
