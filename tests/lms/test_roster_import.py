"""Roster import through the browser: preview, confirm, slips, re-run, limits, escaping."""

import io
import re

from sqlalchemy import func, select
from werkzeug.datastructures import FileStorage
from werkzeug.test import encode_multipart

from lms.auth.models import User
from lms.org.models import Membership, Role, RosterImport, SchoolClass
from tests.conftest import csrf_token_from, login

HEADER = "Mã HS;Họ và tên;Ngày sinh;Lớp\n"


def upload(client, school_id: int, content: bytes, name: str = "ds.csv"):
    page = client.get(f"/schools/{school_id}/roster")
    token = csrf_token_from(page.get_data(as_text=True))
    year = re.search(r'<option selected value="(\d+)"', page.get_data(as_text=True)).group(1)
    # encoded in memory: the test client would spool a big body to a file it never closes
    boundary, body = encode_multipart({"csrf_token": token, "school_year": year,
                                       "file": FileStorage(io.BytesIO(content), name)})
    return client.post(f"/schools/{school_id}/roster", data=body,
                       content_type=f"multipart/form-data; boundary={boundary}")


def confirm(client, preview_url: str):
    page = client.get(preview_url)
    token = csrf_token_from(page.get_data(as_text=True))
    return client.post(preview_url + "/confirm", data={"csrf_token": token})


def count(db, model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def test_import_creates_accounts_once_and_shows_slips_once(client, org, db):
    login(client, "leaderx")
    body = HEADER + "hs100;Lê Văn Mới;05/09/2009;10A1\nhs101;Phạm Thị Hai;;10A2\n"
    preview = upload(client, org.school_x.id, body.encode())
    assert preview.status_code == 302
    page = client.get(preview.location).get_data(as_text=True)
    assert "Lê Văn Mới" in page
    new_classes = page.split("Lớp mới sẽ được tạo")[1].split("</p>")[0]
    assert "10A2" in new_classes and "10A1" not in new_classes
    assert db.session.scalar(select(User).where(User.username == "hs100")) is None

    slips = confirm(client, preview.location)
    html = slips.get_data(as_text=True)
    assert slips.status_code == 200
    passwords = re.findall(r"Mật khẩu: <code>([a-z0-9]{8})</code>", html)
    assert len(passwords) == 2
    new = db.session.scalar(select(User).where(User.username == "hs100"))
    assert new.must_change_password and new.birth_date.isoformat() == "2009-09-05"
    class_10a2 = db.session.scalar(select(SchoolClass).where(SchoolClass.name == "10A2"))
    assert class_10a2.grade == 10 and class_10a2.school_id == org.school_x.id

    # the same confirm again is refused and shows no password
    again = confirm(client, preview.location)
    assert again.status_code == 409
    assert passwords[0] not in again.get_data(as_text=True)
    client.post("/logout", data={"csrf_token": csrf_token_from(html)})
    assert login(client, "hs100", passwords[0]).status_code == 302

    # re-running the same file creates nobody new
    login(client, "leaderx")
    users_before = count(db, User)
    rerun = upload(client, org.school_x.id, body.encode())
    assert "2 người đã có tài khoản" in client.get(rerun.location).get_data(as_text=True)
    assert "<code>" not in confirm(client, rerun.location).get_data(as_text=True).split(
        'data-testid="slips"')[1]
    assert count(db, User) == users_before


def test_rerun_moves_existing_student_to_new_class(client, org, db):
    login(client, "leaderx")
    preview = upload(client, org.school_x.id, (HEADER + "hsa;Nguyễn Văn Á;;10A3\n").encode())
    confirm(client, preview.location)
    db.session.expire_all()
    classes = {m.school_class.name for m in org.student_a.memberships if m.role == Role.STUDENT}
    assert classes == {"10A3"}


def test_every_error_is_listed_and_nothing_saved(client, org, db):
    login(client, "leaderx")
    body = (HEADER + "hs1;An;31/02/2010;10A1\n"   # row 2 bad date
            "hs2;;01/01/2010;10A1\n"             # row 3 empty name
            "hs1;Bình;;10A1\n"                   # row 4 duplicate code
            "hsy;Người Khác;;10A1\n"             # row 5 code of a school Y student
            "hs5;Cường;;8A1\n")                  # row 6 grade not taught
    preview = upload(client, org.school_x.id, body.encode())
    html = client.get(preview.location).get_data(as_text=True)
    for row in (2, 3, 4, 5, 6):
        assert f"Dòng {row}:" in html
    assert "31/02/2010" in html and "dd/mm/yyyy" in html
    assert "roster-confirm" not in html
    users_before = count(db, User)
    assert confirm(client, preview.location).status_code == 400
    assert count(db, User) == users_before


def test_missing_column_broken_and_oversized_files(client, org):
    login(client, "leaderx")
    missing = upload(client, org.school_x.id, "Họ tên,Lớp\nAn,10A1\n".encode())
    assert "Thiếu cột" in client.get(missing.location).get_data(as_text=True)
    broken = upload(client, org.school_x.id, b"PK\x03\x04 not really", "ds.xlsx")
    assert broken.status_code == 400
    assert "không phải .xlsx" in broken.get_data(as_text=True)
    big = upload(client, org.school_x.id, b"a" * (5 * 1024 * 1024 + 10))
    assert big.status_code == 400 and "5 MB" in big.get_data(as_text=True)


def test_script_and_template_syntax_render_literally_in_preview_and_slips(client, org):
    login(client, "leaderx")
    name = "<script>alert(1)</script> {{7*7}} & ' \\ 碁"  # no ";": it is the delimiter
    preview = upload(client, org.school_x.id, (HEADER + f"hs300;{name};;10A1\n").encode())
    page = client.get(preview.location).get_data(as_text=True)
    slips = confirm(client, preview.location).get_data(as_text=True)
    for html in (page, slips):
        assert "<script>alert(1)</script>" not in html
        assert "&lt;script&gt;alert(1)&lt;/script&gt; {{7*7}} &amp; &#39; \\ 碁" in html


def test_other_schools_roster_and_imports_are_closed(client, org, db):
    login(client, "leaderx")
    preview = upload(client, org.school_x.id, (HEADER + "hs400;An;;10A1\n").encode())
    assert client.get(f"/schools/{org.school_y.id}/roster").status_code == 403
    assert client.get(f"/schools/{org.school_y.id}/classes").status_code == 403
    # the import id under another school's URL is not found
    import_id = preview.location.rsplit("/", 1)[1]
    assert client.get(f"/schools/{org.school_y.id}/roster/{import_id}").status_code == 404

    client.post("/logout", data={"csrf_token": csrf_token_from(client.get("/").get_data(
        as_text=True))})
    login(client, "admin1")  # an admin above the school is still not the import's owner
    assert client.get(preview.location).status_code == 404
    assert count(db, RosterImport) == 1
    login(client, "teacherx")
    assert client.get(f"/schools/{org.school_x.id}/roster").status_code == 403
    assert db.session.scalar(select(func.count()).select_from(Membership)) == 8


def test_xlsx_with_teachers_puts_each_person_in_the_class_with_their_role(client, org, db):
    from datetime import datetime

    from tests.lms.test_roster_parse import xlsx

    login(client, "admin1")  # an admin above the school may import too
    data = xlsx([["Vai trò", "Lớp", "Họ và tên", "Tên đăng nhập", "Ngày sinh"],
                 ["Giáo viên", "11A1", "Cô Hoa", "gv.hoa", None],
                 ["học sinh", "11A1", "Em Nam", "hs500", datetime(2008, 2, 29)]])
    preview = upload(client, org.school_x.id, data, "lop11.xlsx")
    confirm(client, preview.location)
    roles = dict(db.session.execute(
        select(User.username, Membership.role).join(Membership, Membership.user_id == User.id)
        .join(SchoolClass, SchoolClass.id == Membership.class_id)
        .where(SchoolClass.name == "11A1")).all())
    assert roles == {"gv.hoa": Role.TEACHER, "hs500": Role.STUDENT}


def test_the_template_download_is_a_roster_the_parser_accepts(client, org):
    from lms.org.roster import parse_roster

    login(client, "leaderx")
    response = client.get(f"/schools/{org.school_x.id}/roster/template.xlsx")
    assert response.status_code == 200
    parsed = parse_roster("mau.xlsx", response.get_data(), range(10, 13))
    assert parsed.problems == [] and parsed.rows[0].username == "hs2025001"
    assert client.get(f"/schools/{org.school_y.id}/roster/template.xlsx").status_code == 403


def test_a_leader_removed_after_upload_cannot_confirm(client, org, db):
    from sqlalchemy import delete

    login(client, "leaderx")
    preview = upload(client, org.school_x.id, (HEADER + "hs600;An;;10A1\n").encode())
    token = csrf_token_from(client.get(preview.location).get_data(as_text=True))
    db.session.execute(delete(Membership).where(Membership.user_id == org.leader_x.id))
    db.session.commit()
    response = client.post(preview.location + "/confirm", data={"csrf_token": token})
    assert response.status_code == 404
    assert db.session.scalar(select(User).where(User.username == "hs600")) is None
