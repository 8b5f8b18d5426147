"""Marshmallow schemas and fields shared by API modules."""

from datetime import datetime

from marshmallow import Schema, ValidationError, fields, validate

from lms.core.errors import DomainError
from lms.core.ids import MAX_ID
from lms.core.moments import check_moment

#: Bounds for small numbers in bodies and queries: far above any real paper or listing, far
#: below what a column can hold.
MAX_SLOT = 100_000
MAX_PAGE = 100_000


class ErrorBody(Schema):
    code = fields.String(required=True)
    message = fields.String(required=True)
    details = fields.Dict()


class ErrorSchema(Schema):
    error = fields.Nested(ErrorBody, required=True)


def Id(**kwargs) -> fields.Integer:  # noqa: N802 — used like a field class
    """A row id in a body or a query: 1 … 2**63 − 1, the bounds of ``<id:…>`` in URLs
    (lms.core.ids), so a larger number is a 400 naming the field, never an overflow."""
    return fields.Integer(validate=validate.Range(1, MAX_ID), **kwargs)


def Count(maximum: int, minimum: int = 0, **kwargs) -> fields.Integer:  # noqa: N802
    """A small whole number (a page, a slot, minutes) with both bounds documented."""
    return fields.Integer(validate=validate.Range(minimum, maximum), **kwargs)


class Moment(fields.DateTime):
    """ISO 8601 date and time (an offset or ``Z``; none means UTC) → naive UTC, within the
    years lms.core.moments takes."""

    def _deserialize(self, value, attr, data, **kwargs) -> datetime:
        moment = super()._deserialize(value, attr, data, **kwargs)
        try:
            return check_moment(moment, attr or "")
        except DomainError as error:
            raise ValidationError(str(error.message)) from None
