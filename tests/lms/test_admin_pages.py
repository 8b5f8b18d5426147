"""Administration pages through the browser: units, school years, classes, people, curriculum."""

from datetime import date

from sqlalchemy import select

from lms.auth.models import AuthSession, User
from lms.curriculum.models import Subject, Topic
from lms.org.models import Membership, Role, SchoolClass, SchoolYear, Unit
from tests.conftest import csrf_token_from, login


def post(client, url: str, data: dict, page: str | None = None):
    """POST a form with the CSRF token of ``page`` (default: the home page)."""
    token = csrf_token_from(client.get(page or "/").get_data(as_text=True))
    return client.post(url, data={"csrf_token": token, **data})


def test_units_tree_create_edit_move_and_close(client, org, db):
    login(client, "admin1")
    tree = client.get("/admin/units").get_data(as_text=True)
    assert tree.index("Sở GD&amp;ĐT Thử Nghiệm") < tree.index("Phòng GD&amp;ĐT Huyện A") \
        < tree.index("Trường THCS Y")
    created = post(client, "/admin/units/new", {
        "kind": "school", "name": "Trường Tiểu học Z", "parent": org.district.id,
        "school_level": "primary", "external_code": "79000123", "valid_from": "05/09/2025",
        "valid_to": ""})
    assert created.status_code == 302
    school = db.session.scalar(select(Unit).where(Unit.external_code == "79000123"))
    assert school.valid_from == date(2025, 9, 5)
    assert school.path == f"{org.district.path}{school.id}/"

    moved = post(client, f"/admin/units/{school.id}", {
        "kind": "school", "name": "Trường TH Z", "parent": org.dept.id,
        "school_level": "primary", "external_code": "79000123", "valid_from": "05/09/2025"})
    assert moved.status_code == 302
    db.session.refresh(school)
    assert (school.name, school.path) == ("Trường TH Z", f"{org.dept.path}{school.id}/")

    assert post(client, f"/admin/units/{school.id}/close", {"on": "31/12/2025"}).status_code == 302
    db.session.refresh(school)
    assert school.valid_to == date(2025, 12, 31)


def test_unit_shape_rules_and_bad_dates_are_explained(client, org, db):
    login(client, "admin1")
    wrong = post(client, "/admin/units/new", {"kind": "district_office", "name": "Phòng B",
                                              "parent": org.district.id, "school_level": ""})
    assert wrong.status_code == 200
    assert "không thể trực thuộc" in wrong.get_data(as_text=True)
    bad_date = post(client, "/admin/units/new", {"kind": "commune", "name": "Xã C",
                                                 "parent": org.dept.id, "valid_from": "2025-09-05"})
    assert "is-invalid" in bad_date.get_data(as_text=True)
    assert db.session.scalar(select(Unit).where(Unit.name.in_(["Phòng B", "Xã C"]))) is None


def test_school_year_and_class_creation(client, org, db):
    login(client, "admin1")
    bad = post(client, "/admin/school-years", {"name": "2026-2027", "starts_on": "31/05/2027",
                                               "ends_on": "05/09/2026"})
    assert "phải sau ngày bắt đầu" in bad.get_data(as_text=True)
    ok = post(client, "/admin/school-years", {"name": "2026-2027", "starts_on": "05/09/2026",
                                              "ends_on": "31/05/2027"})
    assert ok.status_code == 302
    year = db.session.scalar(select(SchoolYear).where(SchoolYear.name == "2026-2027"))
    assert year.ends_on == date(2027, 5, 31)

    login(client, "leaderx")
    url = f"/schools/{org.school_x.id}/classes"
    wrong_grade = post(client, url, {"name": "6A", "grade": 6, "school_year": year.id}, url)
    assert wrong_grade.status_code == 200 and "is-invalid" in wrong_grade.get_data(as_text=True)
    assert post(client, url, {"name": "11a2", "grade": 11, "school_year": year.id},
                url).status_code == 302
    created = db.session.scalar(select(SchoolClass).where(SchoolClass.name == "11A2"))
    assert created.school_year_id == year.id
    assert created.join_code in client.get(url).get_data(as_text=True)


def test_user_search_is_accent_insensitive_scoped_and_paged(client, org, db):
    login(client, "leaderx")
    found = client.get("/admin/users?q=nguyen van a").get_data(as_text=True)
    assert "Nguyễn Văn Á" in found and "Trần Thị Bê" not in found
    everyone = client.get("/admin/users").get_data(as_text=True)
    assert "hsb" in everyone and "hsy" not in everyone  # school Y is not the leader's
    assert client.get(f"/admin/users/{org.student_y.id}").status_code == 403
    assert client.get("/admin/users?q=%25' OR 1=1 --&page=-3").status_code == 200

    for n in range(30):
        db.session.add(User(username=f"extra{n:02d}", full_name=f"Học Sinh {n:02d}",
                            name_key=f"hoc sinh {n:02d}", password_hash="x"))
        db.session.flush()
        db.session.add(Membership(user_id=db.session.scalar(select(User.id).where(
            User.username == f"extra{n:02d}")), role=Role.STUDENT, unit_id=org.school_x.id,
            class_id=org.class_x.id))
    db.session.commit()
    page1 = client.get("/admin/users?q=hoc sinh").get_data(as_text=True)
    page2 = client.get("/admin/users?q=hoc sinh&page=2").get_data(as_text=True)
    assert "extra00" in page1 and "extra29" not in page1
    assert "extra29" in page2 and "Trang 2/2" in page2


def test_leader_grants_and_revokes_a_school_role(client, org, db):
    login(client, "leaderx")
    url = f"/admin/users/{org.student_b.id}"
    assert post(client, f"{url}/memberships", {"role": "teacher", "unit": org.school_x.id,
                                               "school_class": org.class_x.id},
                url).status_code == 302
    granted = db.session.scalar(select(Membership).where(
        Membership.user_id == org.student_b.id, Membership.role == Role.TEACHER))
    assert granted.class_id == org.class_x.id
    granted_id = granted.id
    assert post(client, f"{url}/memberships/{granted_id}/revoke", {}, url).status_code == 302
    db.session.expire_all()
    assert db.session.get(Membership, granted_id) is None


def test_deactivate_ends_sessions(client, org, db):
    other = client.application.test_client()
    login(other, "hsb")
    login(client, "leaderx")
    url = f"/admin/users/{org.student_b.id}"
    assert post(client, f"{url}/deactivate", {}, url).status_code == 302
    db.session.refresh(org.student_b)
    assert not org.student_b.active
    assert db.session.scalar(select(AuthSession).where(
        AuthSession.user_id == org.student_b.id)) is None
    assert other.get("/").status_code == 302  # back to the login page


def test_curriculum_subject_and_topic_tree(client, org, db):
    login(client, "admin1")
    math = db.session.scalar(select(Subject).where(Subject.code == "TOAN"))
    assert post(client, f"/admin/curriculum/subjects/{math.id}",
                {"name": "Toán học", "grades": "10, 11,12"}).status_code == 302
    db.session.refresh(math)
    assert (math.name, math.grades) == ("Toán học", [10, 11, 12])

    url = f"/admin/curriculum/subjects/{math.id}/grades/10"
    for name in ("Mệnh đề và tập hợp", "Bất phương trình"):
        post(client, url, {"name": name, "parent": 0}, url)
    first, second = db.session.scalars(select(Topic).order_by(Topic.position)).all()
    post(client, url, {"name": "Mệnh đề", "parent": first.id}, url)
    post(client, f"/admin/curriculum/topics/{second.id}/move/up", {}, url)
    page = client.get(url).get_data(as_text=True)
    assert page.index("Bất phương trình") < page.index("Mệnh đề và tập hợp")

    refused = post(client, f"/admin/curriculum/topics/{first.id}/delete", {}, url)
    assert refused.status_code == 302 and db.session.get(Topic, first.id) is not None
    post(client, f"/admin/curriculum/topics/{second.id}/rename", {"name": "BPT bậc hai"}, url)
    second_id, math_id = second.id, math.id
    post(client, f"/admin/curriculum/topics/{second_id}/delete", {}, url)
    db.session.expire_all()
    assert db.session.get(Topic, second_id) is None
    assert client.get(f"/admin/curriculum/subjects/{math_id}/grades/3").status_code == 404

    login(client, "leaderx")
    assert post(client, f"/admin/curriculum/subjects/{math_id}",
                {"name": "X", "grades": "1"}).status_code == 403
