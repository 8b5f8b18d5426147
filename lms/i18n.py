"""Language and time zone selection, and the display filters (dd/mm/yyyy, decimal comma)."""

from datetime import date, datetime
from decimal import Decimal

from flask import current_app, g, has_request_context, request
from flask_babel import format_datetime, get_locale

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


def vn_date(value: date | datetime | None) -> str:
    """dd/mm/yyyy, whatever the language."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        return format_datetime(value, "dd/MM/yyyy HH:mm")
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
