"""Spreadsheets of a subject's term: export, and import with a preview of every problem.

Columns are matched by header name with the roster import's matching (``lms.org.roster``:
accents, case, NFC/NFD, spacing and a trailing ":" do not matter): "Mã học sinh", "Họ và
tên", "ĐĐGtx1" … (also "TX1", "Thường xuyên 1"), "ĐĐGgk" ("GK", "Giữa kì"), "ĐĐGck" ("CK",
"Cuối kì"). "STT", "ĐTBmhk", "Ghi chú" and the like are ignored; any other header is a
problem. An empty cell leaves the stored score as it is. Merged cells, unknown students and
unreadable scores are listed by row and column; nothing is saved while any problem remains.
"""

import io
import zipfile
from dataclasses import dataclass, field

from flask_babel import gettext as _
from openpyxl import Workbook, load_workbook
from openpyxl.utils import get_column_letter

from lms.gradebook.book import SubjectSetup
from lms.gradebook.circulars import ScoreError
from lms.gradebook.services import cell_fields, problem_text, read_cell
from lms.kernel.text import fold, nfc
from lms.org.roster import HEADER_SEARCH_ROWS, find_header, header_key
from media import ArchiveLimits, PackageError, inspect_zip

MAX_BYTES = 5 * 1024 * 1024
MAX_ROWS = 2000
LIMITS = ArchiveLimits(max_entries=200, max_total_size=50 * 1024**2,
                       max_entry_size=20 * 1024**2)
DANGEROUS = ("=", "+", "-", "@", "\t", "\r")

_STUDENT = {"ma hoc sinh": "username", "ma hs": "username", "ten dang nhap": "username",
            "ho va ten": "full_name", "ho ten": "full_name", "ho va ten hoc sinh": "full_name"}
_MID = ["ddggk", "ddg gk", "gk", "giua ki", "giua ky", "diem giua ki", "diem giua ky"]
_END = ["ddgck", "ddg ck", "ck", "cuoi ki", "cuoi ky", "diem cuoi ki", "diem cuoi ky"]
_REGULAR = ["ddgtx{n}", "ddgtx {n}", "ddg tx{n}", "ddg tx {n}", "tx{n}", "tx {n}",
            "thuong xuyen {n}", "diem thuong xuyen {n}"]
HEADERS = {**_STUDENT, **dict.fromkeys(_MID, "mid"), **dict.fromkeys(_END, "end"),
           **{pattern.format(n=n): f"regular.{n}" for n in range(1, 5) for pattern in _REGULAR}}
IGNORED = {"stt", "tt", "so thu tu", "dtbmhk", "dtb", "diem trung binh", "trung binh",
           "ket qua", "ghi chu", "nhan xet", "lop", "ngay sinh", "dtbmcn"}


class SheetError(Exception):
    """The file as a whole cannot be read."""


@dataclass
class SheetParse:
    #: student id → {field: score text}; only the non-empty, readable cells.
    rows: dict[int, dict[str, str]] = field(default_factory=dict)
    #: (row number or None, column letter or "", message)
    problems: list[tuple[int | None, str, str]] = field(default_factory=list)
    #: Rows read, for the preview: (row number, student name, {field: text}).
    preview: list[tuple[int, str, dict[str, str]]] = field(default_factory=list)


# ------------------------------------------------------------------ export


def neutralise(value):
    """A text cell beginning with = + - @, tab or CR gets a leading apostrophe, so that a
    spreadsheet never runs it as a formula (security.md 17)."""
    if isinstance(value, str) and value[:1] in DANGEROUS:
        return "'" + value
    return value


def column_titles(setup: SubjectSetup) -> list[str]:
    if setup.primary:
        names = {"mid": "Giữa kì", "mid_test": "KT giữa kì", "end": "Cuối kì",
                 "end_test": "KT cuối kì"}
        return [names[f] for f in cell_fields(setup)]
    return [f"ĐĐGtx{n}" for n in range(1, setup.regular_count + 1)] + ["ĐĐGgk", "ĐĐGck"]


def export_term(sheet: dict, setup: SubjectSetup, term: int, usernames: dict[int, str]) -> bytes:
    """One term of a subject's column set as XLSX: a title, then one row per student;
    numbers as numbers, ratings as text, the average as the last column."""
    book = Workbook()
    ws = book.active
    ws.title = "Sổ điểm"
    info = sheet["class"]
    ws.append([neutralise(f"SỔ ĐIỂM · Lớp {info['name']} · {setup.name} · Học kì {term} · "
                          f"Năm học {info['school_year']}")])
    last = "Kết quả" if setup.comment_only or setup.primary else "ĐTBmhk"
    ws.append(["STT", "Mã học sinh", "Họ và tên", *column_titles(setup), last])
    for number, row in enumerate(sheet["students"], start=1):
        view = row[f"term{term}"]
        values = [_number(view, f) for f in cell_fields(setup)]
        result = view["term_result"] or (float(view["term_average"])
                                         if view["term_average"] else None)
        ws.append([number, neutralise(usernames.get(row["student_id"], "")),
                   neutralise(row["name"]), *values, result])
    for index, width in enumerate([6, 16, 28], start=1):
        ws.column_dimensions[get_column_letter(index)].width = width
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _number(view: dict, name: str):
    """A stored cell for the spreadsheet: a number when it is a score."""
    if name.startswith("regular."):
        value = view["regular"][int(name.split(".")[1]) - 1]
    else:
        value = view.get(name)
    if value is None:
        return None
    try:
        number = float(value)
    except ValueError:
        return value
    return int(number) if number.is_integer() else number


# ------------------------------------------------------------------ import


def _text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return nfc(str(value))


def read_workbook(filename: str, data: bytes) -> tuple[list[tuple[int, list]], list[str]]:
    """The non-empty rows of the first sheet and its merged ranges (``"B5:C5"``)."""
    if len(data) > MAX_BYTES:
        raise SheetError(_("Tệp quá lớn: tối đa 5 MB."))
    if not filename.lower().endswith(".xlsx"):
        raise SheetError(_("Chỉ nhận tệp Excel .xlsx."))
    try:
        inspect_zip(io.BytesIO(data), LIMITS)
        book = load_workbook(io.BytesIO(data), data_only=True)
    except (PackageError, zipfile.BadZipFile, KeyError, OSError, ValueError, TypeError):
        raise SheetError(_("Không đọc được tệp Excel: tệp hỏng hoặc không phải .xlsx.")) \
            from None
    sheet = book.worksheets[0]
    if sheet.max_row > MAX_ROWS + HEADER_SEARCH_ROWS:
        raise SheetError(_("Tệp có quá nhiều dòng: tối đa %(n)s dòng.", n=MAX_ROWS))
    rows = [(number, list(cells)) for number, cells in
            enumerate(sheet.iter_rows(values_only=True), start=1)
            if any(_text(c) for c in cells)]
    return rows, [str(r) for r in sheet.merged_cells.ranges]


def parse_term(filename: str, data: bytes, setup: SubjectSetup, students) -> SheetParse:
    """Read a term's scores for ``students`` (users of the class); every problem is listed
    by row and column. Raises SheetError when the file cannot be read at all."""
    result = SheetParse()
    table, merged = read_workbook(filename, data)
    for cell_range in merged:
        row = int("".join(ch for ch in cell_range.split(":")[0] if ch.isdigit()))
        result.problems.append((row, cell_range.split(":")[0].rstrip("0123456789"),
                                _("Ô gộp %(range)s: hãy bỏ gộp ô trước khi nhập.",
                                  range=cell_range)))
    header = (find_header(table, HEADERS, anchor="username")
              or find_header(table, HEADERS, anchor="full_name"))
    if header is None:
        result.problems.append((None, "", _("Không thấy dòng tiêu đề có cột “Mã học sinh” "
                                            "hoặc “Họ và tên”.")))
        return result
    index, columns = header
    _check_columns(table[index], columns, setup, result)
    finder = _StudentFinder(students)
    for number, cells in table[index + 1:]:
        _read_row(number, cells, columns, setup, finder, result)
    return result


def _check_columns(header_row, columns: dict[str, int], setup, result: SheetParse) -> None:
    number, cells = header_row
    allowed = set(cell_fields(setup)) | {"username", "full_name"}
    for col, cell in enumerate(cells):
        key = header_key(cell)
        if not key or key in IGNORED:
            continue
        name = HEADERS.get(key)
        letter = get_column_letter(col + 1)
        if name is None:
            result.problems.append((number, letter, _("Cột “%(header)s” không được nhận.",
                                                      header=_text(cell)[:40])))
        elif name not in allowed:
            result.problems.append((number, letter, _(
                "Cột “%(header)s” không có ở môn này (%(count)s điểm thường xuyên).",
                header=_text(cell)[:40], count=setup.regular_count)))
    for name in list(columns):
        if name not in allowed:
            del columns[name]


class _StudentFinder:
    """Students of the class by code, else by their full name when it is unique."""

    def __init__(self, students):
        self.by_code = {s.username: s for s in students}
        self.by_name: dict[str, list] = {}
        for s in students:
            self.by_name.setdefault(fold(s.full_name), []).append(s)

    def find(self, code: str, name: str):
        if code:
            return self.by_code.get(code.lower()), _("Không có học sinh mã “%(code)s” trong lớp.",
                                                       code=code[:40])
        matches = self.by_name.get(fold(name), [])
        if len(matches) == 1:
            return matches[0], ""
        if matches:
            return None, _("Lớp có nhiều học sinh tên “%(name)s”: cần cột Mã học sinh.",
                           name=name[:60])
        return None, _("Không có học sinh “%(name)s” trong lớp.", name=name[:60])


def _read_row(number, cells, columns, setup, finder, result: SheetParse) -> None:
    def cell(name):
        col = columns.get(name)
        return cells[col] if col is not None and col < len(cells) else None

    code, name = _text(cell("username")), _text(cell("full_name"))
    student, problem = finder.find(code, name)
    which = "username" if code or "full_name" not in columns else "full_name"
    name_column = get_column_letter(columns.get(which, 0) + 1)
    if student is None:
        result.problems.append((number, name_column, problem))
        return
    if student.id in result.rows:
        result.problems.append((number, name_column, _("Học sinh %(name)s có hai dòng.",
                                                       name=student.full_name)))
        return
    values = {}
    for field_name in cell_fields(setup):
        raw = cell(field_name)
        if raw is None or _text(raw) == "":
            continue
        try:
            values[field_name] = read_cell(setup, field_name, raw)
        except ScoreError as error:
            letter = get_column_letter(columns[field_name] + 1)
            result.problems.append((number, letter, problem_text(setup, error)))
    result.rows[student.id] = values
    result.preview.append((number, student.full_name, values))
