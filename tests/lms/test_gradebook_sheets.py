"""XLSX export and import of a subject's term: headers matched by name (accents, case, NFC/NFD
ignored), a preview listing every problem by row and column, nothing saved while any remains."""

import io
import json
import unicodedata

import openpyxl
import pytest
from sqlalchemy import func, select

from lms.gradebook.models import GradebookEntry
from lms.kernel import db as _db
from tests.conftest import csrf_token_from, login
from tests.lms.gradebook_setup import bearer, build_book, put


@pytest.fixture
def book(org):
    return build_book(org)


def _xlsx(rows: list[list], merge: str | None = None) -> bytes:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    for row in rows:
        sheet.append(row)
    if merge:
        sheet.merge_cells(merge)
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def _upload(client, book, data: bytes, code="LICHSU", name="diem.xlsx"):
    url = f"/gradebook/classes/{book.org.class_x.id}/subjects/{code}/import?term=1"
    token = csrf_token_from(client.get(url).get_data(as_text=True))
    return client.post(url, data={"csrf_token": token, "file": (io.BytesIO(data), name)},
                       content_type="multipart/form-data")


def _entries() -> int:
    return _db.session.scalar(select(func.count(GradebookEntry.id)))


def test_export_then_import_round_trip(client, book):
    class_id, a, b = book.org.class_x.id, book.org.student_a.id, book.org.student_b.id
    put(client, bearer(client, "teacherx"), class_id, "LICHSU", a, term=1, regular=[6, 8, 7.5],
        mid=5, end=10)
    login(client, "teacherx")
    exported = client.get(f"/gradebook/classes/{class_id}/subjects/LICHSU/export.xlsx?term=1")
    assert exported.status_code == 200 and exported.mimetype.endswith("sheet")
    sheet = openpyxl.load_workbook(io.BytesIO(exported.data)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[1] == ("STT", "Mã học sinh", "Họ và tên", "ĐĐGtx1", "ĐĐGtx2", "ĐĐGtx3",
                       "ĐĐGgk", "ĐĐGck", "ĐTBmhk")
    assert rows[2] == (1, "hsa", "Nguyễn Văn Á", 6, 8, 7.5, 5, 10, 7.7)
    # Give student B scores in the exported file and import it back.
    sheet.cell(row=4, column=4, value=9)
    sheet.cell(row=4, column=7, value="8,5")
    out = io.BytesIO()
    sheet.parent.save(out)
    preview = _upload(client, book, out.getvalue())
    html = preview.get_data(as_text=True)
    assert preview.status_code == 200, html
    assert 'data-testid="import-problems"' not in html
    token = csrf_token_from(html)
    rows_json = html.split('name="rows" value="')[1].split('"')[0]
    rows_json = rows_json.replace("&#34;", '"').replace("&quot;", '"')
    saved = client.post(f"/gradebook/classes/{class_id}/subjects/LICHSU/import/confirm?term=1",
                        data={"csrf_token": token, "rows": rows_json})
    assert saved.status_code == 302
    entry = _db.session.scalar(select(GradebookEntry).where(GradebookEntry.student_id == b))
    assert (entry.regular, entry.mid_term) == (["9"], "8.5")


def test_headers_match_whatever_the_accents_case_or_normal_form(client, book):
    nfd = unicodedata.normalize("NFD", "HỌ VÀ TÊN")
    data = _xlsx([["Danh sách điểm lớp 10A1"],
                  ["stt", "ma hoc sinh", nfd, "đđgtx1", "TX 2", "Thường xuyên 3", "Giữa kì",
                   "cuoi ky", "ĐTB"],
                  [1, "HSA", "Nguyễn Văn Á", 6, 8, "7,5", 5, 10, None]])
    login(client, "teacherx")
    preview = _upload(client, book, data)
    html = preview.get_data(as_text=True)
    assert preview.status_code == 200, html
    assert "regular.3: 7,5" in html and "end: 10" in html


def test_every_problem_is_listed_by_row_and_column_and_nothing_is_saved(client, book):
    data = _xlsx([["Mã học sinh", "Họ và tên", "ĐĐGtx1", "ĐĐGtx4", "Điểm miệng", "ĐĐGgk",
                   "ĐĐGck"],
                  ["hsa", "Nguyễn Văn Á", "8.25", None, None, "abc", 7],
                  ["hsb", "Trần Thị Bê", 7, None, None, 11, 7],
                  ["khongco", "Ai Đó", 7, None, None, 7, 7],
                  ["", "Trần Thị Bê", 5, None, None, 5, 5]], merge="F6:G6")
    login(client, "teacherx")
    preview = _upload(client, book, data)
    html = preview.get_data(as_text=True)
    assert preview.status_code == 400
    table = html.split('data-testid="import-problems"')[1].split("</table>")[0]
    cells = [tuple(part.split("</td>")[0] for part in row.split("<td>")[1:4])
             for row in table.split("<tr>")[2:]]
    located = {(row, column) for row, column, _message in cells}
    assert ("6", "F") in located            # the merged cell F6:G6
    assert ("1", "D") in located            # ĐĐGtx4: Lịch sử has 3 regular scores
    assert ("1", "E") in located            # an unknown column
    assert ("2", "C") in located and ("2", "F") in located   # "8.25" and "abc"
    assert ("3", "F") in located            # 11
    assert ("4", "A") in located            # no such student
    assert ("5", "B") in located            # Trần Thị Bê twice
    assert 'data-testid="import-confirm"' not in html
    assert _entries() == 0


def test_a_tampered_confirmation_is_checked_again(client, book):
    login(client, "teacherx")
    url = f"/gradebook/classes/{book.org.class_x.id}/subjects/LICHSU"
    token = csrf_token_from(client.get(url).get_data(as_text=True))
    rows = json.dumps({str(book.org.student_a.id): {"mid": "11"}})
    reply = client.post(url + "/import/confirm?term=1", data={"csrf_token": token, "rows": rows})
    assert reply.status_code == 400
    assert _entries() == 0
    for bad in ("not json", json.dumps([1]), json.dumps({"x": {}})):
        reply = client.post(url + "/import/confirm?term=1", data={"csrf_token": token,
                                                                  "rows": bad})
        assert reply.status_code == 400
    outsider = json.dumps({str(book.org.student_y.id): {"mid": "7"}})
    reply = client.post(url + "/import/confirm?term=1", data={"csrf_token": token,
                                                              "rows": outsider})
    assert reply.status_code == 404 and _entries() == 0


def test_not_a_spreadsheet(client, book):
    login(client, "teacherx")
    reply = _upload(client, book, b"PK\x03\x04 not really", name="diem.xlsx")
    assert reply.status_code == 400
    assert 'data-testid="import-error"' in reply.get_data(as_text=True)
    reply = _upload(client, book, b"a,b", name="diem.csv")
    assert reply.status_code == 400


def test_export_neutralises_formulas_in_names(client, book):
    book.org.student_a.full_name = "=HYPERLINK(\"http://x\")"
    _db.session.commit()
    login(client, "teacherx")
    exported = client.get(f"/gradebook/classes/{book.org.class_x.id}/subjects/TOAN/export.xlsx")
    sheet = openpyxl.load_workbook(io.BytesIO(exported.data)).active
    names = [row[2] for row in sheet.iter_rows(min_row=3, values_only=True)]
    assert "'=HYPERLINK(\"http://x\")" in names


def test_import_and_export_need_the_subject(client, book):
    login(client, "gvtoan")
    url = f"/gradebook/classes/{book.org.class_x.id}/subjects/LICHSU"
    assert client.get(url + "/export.xlsx").status_code == 404
    assert client.get(url + "/import").status_code == 404
    login(client, "gvsu")
    assert client.get(url + "/import").status_code == 200
