"""Pure parsing of a roster spreadsheet (danh sách học sinh / giáo viên): XLSX or CSV.

Columns are matched by header *name*, never by position; headers are compared folded (NFC/NFD,
case and diacritics do not matter). Every problem is reported with its row number, and
nothing here touches the database: the service adds the checks that need it.
"""

import csv
import io
import re
import zipfile
from dataclasses import asdict, dataclass, field
from datetime import date, datetime

from lms.kernel.text import clean_name, fold, nfc
from media import PackageError, check_archive

MAX_BYTES = 5 * 1024 * 1024
MAX_ROWS = 5000
#: A title block ("DANH SÁCH HỌC SINH …") may sit above the header row.
HEADER_SEARCH_ROWS = 10

#: Folded header text → field name.
HEADERS = {
    "ma hoc sinh": "username", "ma hs": "username", "ten dang nhap": "username",
    "ma giao vien": "username", "ma gv": "username",
    "ho va ten": "full_name", "ho ten": "full_name",
    "ho va ten hoc sinh": "full_name", "ho ten hoc sinh": "full_name",
    "ngay sinh": "birth_date", "ngay thang nam sinh": "birth_date",
    "lop": "class_name", "ten lop": "class_name",
    "vai tro": "role",
    "email": "email", "e-mail": "email",
}
REQUIRED = {"username": "Mã học sinh / Mã HS / Tên đăng nhập", "full_name": "Họ và tên / Họ tên",
            "class_name": "Lớp"}
ROLES = {"": "student", "hoc sinh": "student", "hs": "student",
         "giao vien": "teacher", "gv": "teacher"}
_DATE_RE = re.compile(r"^(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})$")
_GRADE_RE = re.compile(r"^(\d{1,2})")


class RosterFileError(Exception):
    """The file as a whole cannot be read (too big, not a spreadsheet, too many rows)."""


@dataclass
class RosterRow:
    """One person of the file, already normalised (NFC; username lower case)."""

    row: int
    username: str
    full_name: str
    class_name: str
    grade: int | None
    role: str = "student"
    birth_date: str | None = None  # ISO yyyy-mm-dd, so the row survives a JSON round trip
    email: str | None = None

    def to_json(self) -> dict:
        return asdict(self)


@dataclass
class RosterParse:
    rows: list[RosterRow] = field(default_factory=list)
    #: (row number or None for the whole file, message)
    problems: list[tuple[int | None, str]] = field(default_factory=list)

    def problem(self, row: int | None, message: str) -> None:
        self.problems.append((row, message))


def read_table(filename: str, data: bytes) -> list[tuple[int, list]]:
    """The non-empty rows of the first sheet (or the CSV) as (row number, cell values)."""
    if len(data) > MAX_BYTES:
        raise RosterFileError("Tệp quá lớn: tối đa 5 MB.")
    name = filename.lower()
    if name.endswith(".csv"):
        rows = _read_csv(data)
    elif name.endswith(".xlsx"):
        rows = _read_xlsx(data)
    else:
        raise RosterFileError("Chỉ nhận tệp Excel .xlsx hoặc .csv.")
    table = [(number, cells) for number, cells in rows if any(_text(c) for c in cells)]
    if len(table) > MAX_ROWS + HEADER_SEARCH_ROWS:
        raise RosterFileError(f"Tệp có quá nhiều dòng: tối đa {MAX_ROWS} người mỗi lần nhập.")
    return table


def _read_csv(data: bytes):
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise RosterFileError("Tệp CSV phải được lưu với bảng mã UTF-8.") from error
    head = "\n".join(text.split("\n", HEADER_SEARCH_ROWS)[:HEADER_SEARCH_ROWS])
    delimiter = ";" if head.count(";") > head.count(",") else ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    return [(number, row) for number, row in enumerate(reader, start=1)]


_UNREADABLE_XLSX = "Không đọc được tệp Excel: tệp hỏng hoặc không phải .xlsx."


def _read_xlsx(data: bytes):
    from openpyxl import load_workbook

    try:
        # The question-bank import's zip checks first: openpyxl would expand a zip bomb
        # (one 400 MB cell in a 413 KB file) into memory.
        check_archive(io.BytesIO(data), "xlsx")
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except PackageError as error:
        raise RosterFileError(_UNREADABLE_XLSX if error.code == "bad_zip" else error.message) \
            from error
    except (zipfile.BadZipFile, KeyError, OSError, ValueError) as error:
        raise RosterFileError(_UNREADABLE_XLSX) from error
    try:
        sheet = book.worksheets[0]
        rows = []
        for number, row in enumerate(sheet.iter_rows(values_only=True), start=1):
            rows.append((number, list(row)))
            if len(rows) > MAX_ROWS + 2 * HEADER_SEARCH_ROWS + 1000:
                break  # enough to say "too many rows" without reading a huge sheet
        return rows
    finally:
        book.close()


def _text(value) -> str:
    """A cell as text: integers written as floats by Excel lose their ``.0``."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return nfc(str(value))


def header_key(cell) -> str:
    """A header cell as it is matched: folded (accents, case, NFC/NFD ignored), inner
    spaces collapsed, a trailing ":" or "*" dropped."""
    return " ".join(fold(_text(cell)).split()).rstrip(" :*")


def find_header(table: list[tuple[int, list]], headers: dict[str, str] | None = None,
                anchor: str = "full_name") -> tuple[int, dict[str, int]] | None:
    """Index in ``table`` of the header row (the first of the top rows that has the
    ``anchor`` field) and the column of each known field; ``headers`` maps a folded header
    text to a field name (the roster's by default)."""
    headers = HEADERS if headers is None else headers
    for index, (_number, cells) in enumerate(table[:HEADER_SEARCH_ROWS]):
        columns = {}
        for col, cell in enumerate(cells):
            key = headers.get(header_key(cell))
            if key and key not in columns:
                columns[key] = col
        if anchor in columns:
            return index, columns
    return None


def parse_birth_date(value) -> date:
    """An Excel date, or text dd/mm/yyyy (also d/m/yyyy, with / . or -)."""
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    match = _DATE_RE.match(_text(value))
    if not match:
        raise ValueError
    day, month, year = (int(part) for part in match.groups())
    return date(year, month, day)


def grade_of(class_name: str) -> int | None:
    """The grade a class name starts with: 10A1 → 10, 6/3 → 6; None when it has no digits."""
    match = _GRADE_RE.match(class_name)
    return int(match.group(1)) if match else None


def parse_roster(filename: str, data: bytes, grades: range) -> RosterParse:
    """Read and check a roster file; ``grades`` are the grades the school teaches."""
    result = RosterParse()
    table = read_table(filename, data)
    header = find_header(table)
    columns = header[1] if header else {}
    missing = [label for key, label in REQUIRED.items() if key not in columns]
    if missing:
        result.problem(None, "Thiếu cột: " + "; ".join(missing) + ". Các cột được nhận: "
                       "Mã học sinh (Mã HS, Tên đăng nhập), Họ và tên (Họ tên), Ngày sinh, "
                       "Lớp, Vai trò, Email.")
        return result
    body = table[header[0] + 1:]
    if len(body) > MAX_ROWS:
        raise RosterFileError(f"Tệp có quá nhiều dòng: tối đa {MAX_ROWS} người mỗi lần nhập.")
    seen: dict[str, int] = {}
    for number, cells in body:
        username = _text(_cell(cells, columns, "username")).lower()
        duplicate = username in seen
        if duplicate:
            result.problem(number, f"Mã “{username}” trùng với dòng {seen[username]}.")
        elif username:
            seen[username] = number
        row = _parse_row(number, cells, columns, grades, result)
        if row is not None and not duplicate:
            result.rows.append(row)
    if not body:
        result.problem(None, "Tệp không có dòng dữ liệu nào dưới dòng tiêu đề.")
    return result


def _cell(cells: list, columns: dict[str, int], key: str):
    col = columns.get(key)
    return cells[col] if col is not None and col < len(cells) else None


def _parse_row(number: int, cells: list, columns: dict[str, int], grades: range,
               result: RosterParse) -> RosterRow | None:
    """One data row, or None after recording each of its problems."""
    before = len(result.problems)
    # Names, logins and class names lose invisible characters (zero-width, bidi overrides)
    # that pasted cells carry, as every name entered in a form does.
    username = clean_name(_text(_cell(cells, columns, "username"))).lower()
    full_name = clean_name(_text(_cell(cells, columns, "full_name")))
    class_name = clean_name(_text(_cell(cells, columns, "class_name"))).upper()
    if not username:
        result.problem(number, "Thiếu mã học sinh / tên đăng nhập.")
    elif len(username) > 80 or any(ch.isspace() for ch in username):
        result.problem(number, f"Mã “{username}” không hợp lệ: không được có dấu cách, "
                               "tối đa 80 ký tự.")
    if not full_name:
        result.problem(number, "Thiếu họ và tên.")
    birth = _birth_date(number, _cell(cells, columns, "birth_date"), result)
    grade = _grade(number, class_name, grades, result)
    role = ROLES.get(fold(_text(_cell(cells, columns, "role"))))
    if role is None:
        result.problem(number, f"Vai trò “{_text(_cell(cells, columns, 'role'))}” không hợp lệ: "
                               "cần “học sinh” hoặc “giáo viên”.")
    email = _text(_cell(cells, columns, "email")) or None
    if len(result.problems) > before:
        return None
    return RosterRow(row=number, username=username, full_name=full_name[:200],
                     class_name=class_name, grade=grade, role=role,
                     birth_date=birth.isoformat() if birth else None, email=email)


def _birth_date(number: int, value, result: RosterParse) -> date | None:
    if value is None or _text(value) == "":
        return None
    try:
        return parse_birth_date(value)
    except ValueError:
        result.problem(number, f"Ngày sinh “{_text(value)}” không hợp lệ: cần dạng dd/mm/yyyy.")
        return None


def _grade(number: int, class_name: str, grades: range, result: RosterParse) -> int | None:
    if not class_name:
        result.problem(number, "Thiếu tên lớp.")
        return None
    if len(class_name) > 40:
        result.problem(number, "Tên lớp dài quá 40 ký tự.")
        return None
    grade = grade_of(class_name)
    if grade is None and 0 in grades:
        return 0
    if grade is None:
        result.problem(number, f"Không xác định được khối của lớp “{class_name}”: tên lớp cần "
                               "bắt đầu bằng số khối, ví dụ 10A1.")
    elif grade not in grades:
        result.problem(number, f"Lớp “{class_name}” thuộc khối {grade}, trường không dạy "
                               "khối này.")
    return grade


TEMPLATE_HEADERS = ["Mã học sinh", "Họ và tên", "Ngày sinh", "Lớp", "Vai trò", "Email"]


def template_xlsx() -> bytes:
    """An empty roster workbook with the expected headers and one example row."""
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.title = "Danh sách"
    sheet.append(TEMPLATE_HEADERS)
    sheet.append(["hs2025001", "Nguyễn Văn An", "05/09/2010", "10A1", "học sinh", ""])
    for column, width in zip("ABCDEF", (16, 28, 14, 8, 12, 24), strict=True):
        sheet.column_dimensions[column].width = width
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
