"""Moments (a date and a time) taken from users, stored as naive UTC.

Only the years FIRST_YEAR … LAST_YEAR are taken. A moment at the calendar's edge
(``0001-01-01T00:00+05:00``, ``9999-12-31T23:59-05:00``) overflows when it is converted to
UTC, and one just inside the edge overflows later — a deadline plus extra time, a due date
shown in local time on every student's dashboard. A school's windows and due dates fall in
this century, so refusing the rest at input (400, the field named) keeps every later
computation in range. This is the one rule for exam windows, overrides, lesson due dates
and attempt events, whether they come from a form or the API.
"""

from datetime import UTC, datetime

from flask_babel import lazy_gettext as _l

from lms.core.errors import DomainError

FIRST_YEAR, LAST_YEAR = 2000, 2099
#: The span a moment may fall in, as written and in UTC: the years above in any time zone
#: (a day of slack at each end, so a stored UTC value read back is always taken again).
EARLIEST, LATEST = datetime(FIRST_YEAR - 1, 12, 31), datetime(LAST_YEAR + 1, 1, 2)


def moment_error(field: str, message=None) -> DomainError:
    """The 400 for a bad moment in ``field`` (``details.fields`` as a schema error names it)."""
    message = message or _l("Thời điểm phải trong các năm %(first)s–%(last)s.",
                            first=FIRST_YEAR, last=LAST_YEAR)
    return DomainError(message, code="invalid_time", details={"fields": {field: [str(message)]}})


def in_range(moment: datetime) -> bool:
    """The moment as written (its own calendar, whatever its zone) is one a school uses."""
    return EARLIEST <= moment.replace(tzinfo=None) < LATEST


def check_moment(moment: datetime, field: str) -> datetime:
    """A moment in range → naive UTC (a naive one is UTC already); else ``invalid_time``.
    The range is checked before the conversion, which would overflow at the calendar's edge."""
    if not in_range(moment):
        raise moment_error(field)
    if moment.tzinfo is not None:
        moment = moment.astimezone(UTC).replace(tzinfo=None)
    return moment


def parse_moment(value, field: str) -> datetime | None:
    """ISO 8601 text (``Z`` or an offset allowed; none = UTC) or a datetime → naive UTC;
    empty → None."""
    if value in (None, ""):
        return None
    if not isinstance(value, datetime):
        try:
            value = datetime.fromisoformat(str(value).strip().replace("Z", "+00:00"))
        except ValueError:
            raise moment_error(field, _l("%(field)s: thời điểm không hợp lệ %(value)s (cần ISO "
                                         "8601, ví dụ 2026-05-20T07:30:00+07:00).",
                                         field=field, value=str(value)[:40])) from None
    return check_moment(value, field)
