"""Results and item analysis as CSV and XLSX (issue 4 §4, security.md 17).

Every text cell that a spreadsheet could run as a formula — one beginning with ``=``, ``+``,
``-``, ``@``, a tab or a carriage return — gets a leading apostrophe. Times are shown in
Vietnam time as dd/mm/yyyy HH:MM. Numbers are written as numbers in XLSX.
"""

import csv
import io
from datetime import datetime
from decimal import Decimal

from flask_babel import gettext as _
from openpyxl import Workbook
from openpyxl.styles import Font

from lms.exams import logic
from lms.exams.reports import Row
from lms.i18n import to_local

DANGEROUS = ("=", "+", "-", "@", "\t", "\r")
DATE_FORMAT = "%d/%m/%Y %H:%M"


def neutralise(value):
    """A text cell no spreadsheet runs as a formula; other values unchanged."""
    if isinstance(value, str) and value[:1] in DANGEROUS:
        return "'" + value
    return value


def result_table(rows: list[Row]) -> tuple[list[str], list[list]]:
    """(headers, rows) of every finished attempt: name, username, class, attempt, score,
    grade, counted, finish time (local)."""
    headers = [_("Họ và tên"), _("Tên đăng nhập"), _("Lớp"), _("Lượt"), _("Điểm"),
               _("Điểm hệ 10"), _("Được tính"), _("Nộp lúc")]
    ordered = sorted(rows, key=lambda r: (r.class_name, r.user.list_key, r.attempt.number))
    table = [[r.user.full_name, r.user.username, r.class_name, r.attempt.number,
              r.attempt.score, r.attempt.grade, _("Có") if r.attempt.counted else _("Không"),
              to_local(r.attempt.finished_at)] for r in ordered]
    return headers, table


def item_table(items: dict) -> tuple[list[str], list[list]]:
    """(headers, rows) of the item analysis: one row per question (with ``n``, the attempts
    that were given it), then one per option; the last row is Cronbach's α, or why it does
    not apply."""
    headers = [_("Câu"), _("Loại"), _("Điểm"), _("Độ khó (tỉ lệ đúng)"), _("Độ phân biệt"),
               _("Tương quan điểm-nhị phân"), _("Phương án"), _("Đáp án đúng"), _("Số lượt chọn"),
               _("Số bài có câu này")]
    table = []
    for item in items["items"]:
        table.append([item["slot"], item["type"], logic.stored_points(item["points"]),
                      _num(item["facility"]), _num(item["discrimination"]),
                      _num(item["point_biserial"]), None, None, None, item["n"]])
        for option in item.get("distractors", []):
            letter = option["letter"] or _("(bỏ trống)")
            table.append([item["slot"], None, None, None, None, None, letter,
                          _("Có") if option["correct"] else None, option["count"], None])
    note = _("Không áp dụng: mỗi học sinh rút những câu khác nhau") \
        if items.get("alpha_reason") == "different_items" else None
    table.append([_("Cronbach α"), None, None, _num(items["alpha"]), note, None, None, None,
                  None, None])
    return headers, table


def _num(text: str | None) -> Decimal | None:
    return None if text is None else Decimal(text)


def _csv_cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.strftime(DATE_FORMAT)
    return str(neutralise(value) if isinstance(value, str) else value)


def to_csv(headers: list[str], table: list[list]) -> bytes:
    """UTF-8 with a byte-order mark, so spreadsheet programs read the Vietnamese letters."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([_csv_cell(h) for h in headers])
    for row in table:
        writer.writerow([_csv_cell(value) for value in row])
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def to_xlsx(sheets: list[tuple[str, list[str], list[list]]]) -> bytes:
    """A workbook with one sheet per (title, headers, rows)."""
    book = Workbook()
    book.remove(book.active)
    for title, headers, table in sheets:
        sheet = book.create_sheet(title[:31])
        sheet.append([neutralise(h) for h in headers])
        for cell in sheet[1]:
            cell.font = Font(bold=True)
        for row in table:
            sheet.append([neutralise(v) for v in row])
            for cell in sheet[sheet.max_row]:
                if isinstance(cell.value, datetime):
                    cell.number_format = "dd/mm/yyyy hh:mm"
                elif isinstance(cell.value, str):
                    cell.data_type = "s"
        for column in sheet.columns:
            width = max(len(str(c.value or "")) for c in column)
            sheet.column_dimensions[column[0].column_letter].width = min(max(10, width + 2), 50)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
