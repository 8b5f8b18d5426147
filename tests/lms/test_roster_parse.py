"""Pure roster parsing: headers by name (NFD, any case, any order), CSV and XLSX, every error."""

import io
import unicodedata
from datetime import date, datetime

import pytest
from openpyxl import Workbook

from lms.org.roster import MAX_ROWS, RosterFileError, parse_roster

GRADES = range(10, 13)


def xlsx(rows) -> bytes:
    book = Workbook()
    sheet = book.active
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def csv_bytes(text: str, bom: bool = False) -> bytes:
    return ("\ufeff" if bom else "").encode() + text.encode()


def test_nfd_uppercase_reordered_headers_with_semicolons_and_title_rows():
    header = unicodedata.normalize("NFD", "LỚP;HỌ VÀ TÊN;Ngày Sinh;Mã HS")
    text = f"DANH SÁCH HỌC SINH\n{header}\n10a1;Nguyễn Văn An;05/09/2009;HS001\n"
    result = parse_roster("ds.csv", csv_bytes(text, bom=True), GRADES)
    assert result.problems == []
    [row] = result.rows
    assert (row.row, row.username, row.full_name, row.class_name, row.grade, row.birth_date) == \
        (3, "hs001", "Nguyễn Văn An", "10A1", 10, "2009-09-05")
    assert unicodedata.is_normalized("NFC", row.full_name)


def test_xlsx_with_excel_dates_numeric_codes_and_teacher_role():
    data = xlsx([["Họ tên", "Tên đăng nhập", "Lớp", "Ngày sinh", "Vai trò", "Email"],
                 ["Lê Thị Bình", 2025002, "11B", datetime(2008, 1, 31), "Học sinh", None],
                 ["Phạm Cô Giáo", "gv.phamco", "11B", None, "giáo viên", "co@truong.vn"]])
    result = parse_roster("lop.xlsx", data, GRADES)
    assert result.problems == []
    student, teacher = result.rows
    assert (student.username, student.birth_date, student.role) == ("2025002", "2008-01-31",
                                                                     "student")
    assert (teacher.role, teacher.email) == ("teacher", "co@truong.vn")
    assert date.fromisoformat(student.birth_date) == date(2008, 1, 31)


def test_every_problem_is_reported_with_its_row():
    text = ("Mã học sinh,Họ và tên,Ngày sinh,Lớp,Vai trò\n"
            "hs1,Nguyễn A,01/01/2009,10A1,\n"          # row 2 fine
            "hs2,,01/01/2009,10A1,\n"                  # row 3 empty name
            "hs3,Trần B,31/02/2010,10A1,\n"            # row 4 bad date
            "hs1,Lê C,01/01/2009,10A2,\n"              # row 5 duplicate code
            "hs5,Đỗ D,,6A,\n"                          # row 6 grade not taught
            "hs6,Vũ E,,A1,\n"                          # row 7 no grade in class name
            "hs7,Hà F,,10A1,phụ huynh\n"               # row 8 unknown role
            ",Ngô G,,10A1,\n")                         # row 9 no code
    result = parse_roster("x.csv", csv_bytes(text), GRADES)
    rows = {row: message for row, message in result.problems}
    assert sorted(rows) == [3, 4, 5, 6, 7, 8, 9]
    assert "họ và tên" in rows[3]
    assert "31/02/2010" in rows[4] and "dd/mm/yyyy" in rows[4]
    assert "dòng 2" in rows[5]
    assert "khối 6" in rows[6]
    assert "A1" in rows[7]
    assert "phụ huynh" in rows[8]
    assert [r.username for r in result.rows] == ["hs1"]


def test_missing_column_lists_the_expected_headers():
    result = parse_roster("x.csv", csv_bytes("Họ và tên,Lớp\nAn,10A1\n"), GRADES)
    [(row, message)] = result.problems
    assert row is None
    assert "Mã học sinh" in message and "Tên đăng nhập" in message
    assert result.rows == []


@pytest.mark.parametrize("name,data,expected", [
    ("a.xlsx", b"this is not a zip", "không phải .xlsx"),
    ("a.docx", b"whatever", ".xlsx hoặc .csv"),
    ("a.csv", "Họ tên".encode("utf-16"), "UTF-8"),
    ("a.csv", b"x" * (5 * 1024 * 1024 + 1), "5 MB"),
])
def test_unreadable_files_get_a_clear_message(name, data, expected):
    with pytest.raises(RosterFileError, match=expected):
        parse_roster(name, data, GRADES)


def test_too_many_rows_is_refused():
    lines = ["Mã HS,Họ tên,Lớp"] + [f"h{i},Tên {i},10A1" for i in range(MAX_ROWS + 1)]
    with pytest.raises(RosterFileError, match=str(MAX_ROWS)):
        parse_roster("big.csv", "\n".join(lines).encode(), GRADES)
