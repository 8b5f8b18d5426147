"""Text handling shared by the importers: byte decoding, Moodle text formats → sanitised HTML,
HTML → plain text, and decimal strings for scores.

Moodle's text formats: 0 ``moodle`` (HTML allowed, newlines become line breaks), 1 ``html``,
2 ``plain`` (escaped), 4 ``markdown``.
"""

from __future__ import annotations

import codecs
import html
import re
from decimal import Decimal, InvalidOperation

import nh3
from markdown_it import MarkdownIt

from lms.kernel.text import nfc
from question_bank.html import is_plain

from .result import Problem

FORMATS = ("moodle", "html", "plain", "markdown")
_TAGS = nh3.ALLOWED_TAGS | {"audio", "video", "source"}
_ATTRIBUTES = {
    **{tag: set(attrs) for tag, attrs in nh3.ALLOWED_ATTRIBUTES.items()},
    "audio": {"src", "controls"},
    "video": {"src", "controls", "width", "height"},
    "source": {"src", "type"},
}
_MARKDOWN = MarkdownIt("commonmark")


def decode_text(data: bytes | str) -> tuple[str, list[Problem]]:
    """UTF-8 (with or without BOM, or UTF-16 with BOM); anything else is read as
    Windows-1252 with a warning, as Moodle refuses non-UTF-8 files."""
    if isinstance(data, str):
        return data.lstrip("\ufeff"), []
    for bom, codec in ((codecs.BOM_UTF8, "utf-8"), (codecs.BOM_UTF16_LE, "utf-16-le"),
                       (codecs.BOM_UTF16_BE, "utf-16-be")):
        if data.startswith(bom):
            return data[len(bom):].decode(codec, errors="replace"), []
    try:
        return data.decode("utf-8"), []
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        warning = Problem.at(
            line, "notutf8",
            "Tệp không dùng mã UTF-8 (byte lạ ở dòng này); đã đọc theo Windows-1252 — hãy "
            "kiểm tra chữ có dấu và lưu lại tệp ở UTF-8.")
        return data.decode("cp1252", errors="replace"), [warning]


def clean_html(text: str) -> str:
    """Sanitised, NFC HTML (nh3 allow-list plus audio/video); plain text skips the parser."""
    if is_plain(text):
        return nfc(text)
    return nfc(nh3.clean(text, tags=_TAGS, attributes=_ATTRIBUTES))


def to_html(text: str, fmt: str) -> str:
    """Convert text in a Moodle format to sanitised HTML."""
    text = text.strip()
    if fmt == "plain":
        text = html.escape(text, quote=False).replace("\n", "<br>")
    elif fmt == "markdown":
        text = _MARKDOWN.render(text)
    elif fmt == "moodle":
        text = text.replace("\r\n", "\n").replace("\n", "<br>") if "<" not in text else text
    return clean_html(text)


def plain_to_html(text: str) -> str:
    """Plain text (Aiken, Moodle short answers) as HTML: special characters escaped."""
    return clean_html(html.escape(nfc(text), quote=False))


_TAG = re.compile(r"<[^>]*>")
_MAX_EXPONENT = 20  # 1e999999 would be a million digits once written out


def html_to_text(text: str) -> str:
    """Visible text of an HTML fragment (tags dropped, entities decoded, NFC)."""
    return nfc(html.unescape(_TAG.sub("", text or "")))


def decimal_string(value) -> str:
    """A score or number as a decimal string without exponent: 0.50 → '0.5', -0 → '0'."""
    number = Decimal(str(value))
    if number == 0:
        return "0"
    text = format(number.normalize(), "f")
    return text


def parse_decimal(text: str) -> Decimal | None:
    """A finite decimal of sensible size from text ('3,5' accepted), or None."""
    try:
        number = Decimal(text.strip().replace(",", "."))
    except (InvalidOperation, ValueError):
        return None
    if not number.is_finite() or (number and abs(number.adjusted()) > _MAX_EXPONENT):
        return None
    return number
