"""What the exporters share: unpacking items and the weights Moodle expects."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

from . import grades
from .markup import html_to_text
from .result import ExportError


def unpack(item) -> tuple[dict, str, str | None, list[str], str | None]:
    """(payload, title, category, tags, idnumber) from a payload dict or a ParsedQuestion."""
    if isinstance(item, dict):
        return item, "", None, [], None
    return (item.payload, item.title or "", item.category, list(item.tags or []),
            getattr(item, "idnumber", None))


def title_for(payload: dict, title: str) -> str:
    """The title to write: the given one, else the start of the question text."""
    return title or " ".join(html_to_text(payload.get("text_html", "")).split())[:80]


def share(count: int) -> Decimal:
    """Each of ``count`` correct options' share, as Moodle's grade list has it (1/3 → 0.3333333)."""
    return (Decimal(1) / count).quantize(Decimal("0.0000001"), rounding=ROUND_HALF_UP)


def percent_text(fraction) -> str:
    """A fraction written as a Moodle percentage: 0.3333333 → '33.33333'."""
    return grades.percent(Decimal(str(fraction)))


def unsupported(number: int, kind: str, fmt: str) -> ExportError:
    """The error for a payload type the format cannot express."""
    return ExportError(f"Câu {number}: loại '{kind}' không ghi được sang {fmt}.")
