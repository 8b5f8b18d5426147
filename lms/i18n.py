"""Language and time zone selection, local time, and the display filters (dd/mm/yyyy,
decimal comma).

Times are stored as naive UTC; ``TIMEZONE`` (Asia/Ho_Chi_Minh) is the one setting that turns
them into what a teacher types and reads — forms, pages, exports and due dates all go through
``to_local``/``from_local`` here."""

from datetime import UTC, date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from flask import current_app, g, has_request_context, request
from flask_babel import get_locale

from lms.core.moments import check_moment

LANGUAGES = {"vi": "Tiếng Việt", "en": "English"}
LANGUAGE_COOKIE = "hoclieu_lang"


def select_locale() -> str:
    """The user's saved choice, else the language cookie, else the platform default (vi).

    Outside a request (CLI, Celery, a service test) messages come in the default language.
    """
    if not has_request_context():
        return current_app.config["DEFAULT_LANGUAGE"]
    user = getattr(g, "user", None)
    if user is not None and user.language in LANGUAGES:
        return user.language
    chosen = request.cookies.get(LANGUAGE_COOKIE)
    if chosen in LANGUAGES:
        return chosen
    return current_app.config["DEFAULT_LANGUAGE"]


def select_timezone() -> str:
    return current_app.config["TIMEZONE"]


#: How a moment is typed and shown: dd/mm/yyyy HH:MM, local time.
LOCAL_FORMAT = "%d/%m/%Y %H:%M"


def to_local(moment: datetime | None) -> datetime | None:
    """Naive UTC → naive local time in ``TIMEZONE``. A stored moment at the calendar's edge
    (kept from before input was bounded) is shown as it is rather than failing the page."""
    if moment is None:
        return None
    zone = ZoneInfo(current_app.config["TIMEZONE"])
    try:
        return moment.replace(tzinfo=UTC).astimezone(zone).replace(tzinfo=None)
    except OverflowError:
        return moment


def from_local(moment: datetime) -> datetime:
    """Naive local time in ``TIMEZONE`` → naive UTC."""
    zone = ZoneInfo(current_app.config["TIMEZONE"])
    return moment.replace(tzinfo=zone).astimezone(UTC).replace(tzinfo=None)


def parse_local(text: str | None, field: str = "") -> datetime | None:
    """'dd/mm/yyyy HH:MM' typed in local time → naive UTC; empty → None; anything else →
    ValueError; a year outside lms.core.moments' range → its DomainError."""
    text = (text or "").strip()
    return from_local(check_moment(datetime.strptime(text, LOCAL_FORMAT), field)) if text \
        else None


def vn_date(value: date | datetime | None) -> str:
    """dd/mm/yyyy (with HH:MM in local time for a moment), whatever the language."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        return to_local(value).strftime(LOCAL_FORMAT)
    return value.strftime("%d/%m/%Y")


def vn_number(value, places: int = 1) -> str:
    """A score with a decimal comma: 7.5 → '7,5'."""
    if value is None:
        return ""
    text = f"{Decimal(value):.{places}f}"
    return text.replace(".", ",")


def init_templates(app) -> None:
    app.jinja_env.filters["vn_date"] = vn_date
    app.jinja_env.filters["vn_number"] = vn_number
    app.jinja_env.globals["LANGUAGES"] = LANGUAGES
    app.jinja_env.globals["current_locale"] = lambda: str(get_locale() or "vi")
