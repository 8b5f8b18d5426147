"""Access control on school and admin pages (security.md 2, 3, 4, 6, 27)."""

import pytest
from sqlalchemy import delete, func, select

from lms.auth.models import User
from lms.org.models import Membership, Role, Unit
from tests.conftest import csrf_token_from, login


def post(client, url: str, data: dict):
    token = csrf_token_from(client.get("/").get_data(as_text=True))
    return client.post(url, data={"csrf_token": token, **data})


def memberships(db) -> list[tuple]:
    return db.session.execute(select(Membership.user_id, Membership.role, Membership.unit_id,
                                     Membership.class_id).order_by(Membership.id)).all()


def test_teacher_of_school_x_cannot_open_school_y_by_editing_ids(client, org):
    login(client, "teacherx")
    assert client.get(f"/schools/classes/{org.class_x.id}").status_code == 200
    for url in (f"/schools/classes/{org.class_y.id}", f"/schools/{org.school_y.id}/classes",
                f"/schools/{org.school_y.id}/roster", f"/schools/{org.school_x.id}/roster",
                "/admin/", "/admin/units", f"/admin/users/{org.student_y.id}"):
        response = client.get(url)
        assert response.status_code == 403, url
        assert "hsy" not in response.get_data(as_text=True)
    assert client.get("/schools/classes/99999").status_code == 404


def test_teacher_tampering_a_grant_to_become_admin_is_refused(client, org, db):
    before = memberships(db)
    login(client, "teacherx")
    response = post(client, f"/admin/users/{org.teacher_x.id}/memberships",
                    {"role": "admin", "unit": org.dept.id, "school_class": 0})
    assert response.status_code == 403
    assert memberships(db) == before


@pytest.mark.parametrize("role", ["admin", "department_reviewer", "unit_reviewer"])
def test_leader_cannot_grant_admin_or_reviewer_even_in_own_school(client, org, db, role):
    before = memberships(db)
    login(client, "leaderx")
    response = post(client, f"/admin/users/{org.leader_x.id}/memberships",
                    {"role": role, "unit": org.school_x.id, "school_class": 0})
    assert response.status_code == 403
    # a unit outside the form's choices is not even accepted as input
    post(client, f"/admin/users/{org.teacher_x.id}/memberships",
         {"role": "teacher", "unit": org.school_y.id, "school_class": org.class_y.id})
    assert memberships(db) == before


def test_mass_assignment_of_fields_not_in_the_form_is_ignored(client, org, db):
    login(client, "admin1")
    post(client, f"/admin/units/{org.school_y.id}", {
        "kind": "school", "name": "Trường THCS Y mới", "parent": org.district.id,
        "school_level": "lower_secondary", "path": "/", "id": 999, "name_key": "hacked"})
    db.session.expire_all()
    school = db.session.get(Unit, org.school_y.id)
    assert school.name == "Trường THCS Y mới"
    assert (school.id, school.path, school.name_key) == (
        org.school_y.id, f"{org.district.path}{school.id}/", "truong thcs y moi")
    post(client, f"/admin/users/{org.student_b.id}/memberships", {
        "role": "teacher", "unit": org.school_x.id, "school_class": org.class_x.id,
        "user_id": org.admin.id, "active": "false", "username": "root"})
    db.session.expire_all()
    assert (org.student_b.username, org.student_b.active) == ("hsb", True)
    assert [m.role for m in org.admin.memberships] == [Role.ADMIN]


def test_removed_teacher_is_denied_on_the_next_request(client, org, db):
    login(client, "teacherx")
    assert client.get(f"/schools/classes/{org.class_x.id}").status_code == 200
    db.session.execute(delete(Membership).where(Membership.user_id == org.teacher_x.id))
    db.session.commit()
    assert client.get(f"/schools/classes/{org.class_x.id}").status_code == 403


def test_csrf_missing_is_refused_and_changes_nothing(client, org, db):
    login(client, "admin1")
    before = memberships(db)
    response = client.post(f"/admin/users/{org.student_b.id}/memberships",
                           data={"role": "teacher", "unit": org.school_x.id,
                                 "school_class": org.class_x.id})
    assert response.status_code == 400
    assert client.post(f"/admin/users/{org.student_b.id}/deactivate").status_code == 400
    assert client.post(f"/schools/users/{org.student_b.id}/reset-password").status_code == 400
    assert client.get(f"/admin/users/{org.student_b.id}/deactivate").status_code == 405
    db.session.refresh(org.student_b)
    assert memberships(db) == before and org.student_b.active
    assert not org.student_b.must_change_password


def test_teacher_resets_passwords_only_in_own_class(client, org, db):
    login(client, "teacherx")
    page = client.get(f"/schools/classes/{org.class_x.id}").get_data(as_text=True)
    assert f"/schools/users/{org.student_a.id}/reset-password" in page
    response = post(client, f"/schools/users/{org.student_a.id}/reset-password", {})
    assert response.status_code == 200
    password = response.get_data(as_text=True).split("Mật khẩu: <code>")[1].split("<")[0]
    db.session.refresh(org.student_a)
    assert org.student_a.must_change_password
    old_hash = db.session.get(User, org.student_y.id).password_hash
    assert post(client, f"/schools/users/{org.student_y.id}/reset-password",
                {}).status_code == 403
    assert post(client, f"/schools/users/{org.leader_x.id}/reset-password",
                {}).status_code == 403
    db.session.expire_all()
    assert db.session.get(User, org.student_y.id).password_hash == old_hash
    post(client, "/logout", {})
    assert login(client, "hsa", password).status_code == 302


def test_leader_resets_within_the_school_only(client, org, db):
    login(client, "leaderx")
    assert post(client, f"/schools/users/{org.teacher_x.id}/reset-password",
                {}).status_code == 200
    assert post(client, f"/schools/users/{org.student_y.id}/reset-password",
                {}).status_code == 403
    assert post(client, f"/schools/users/{org.admin.id}/reset-password", {}).status_code == 403
    assert db.session.scalar(select(func.count()).select_from(User).where(
        User.must_change_password.is_(True))) == 1


def test_leader_cannot_edit_units_or_create_school_years(client, org, db):
    login(client, "leaderx")
    assert client.get(f"/admin/units/{org.school_x.id}").status_code == 403
    assert post(client, f"/admin/units/{org.school_x.id}/close",
                {"on": "01/01/2026"}).status_code == 403
    assert post(client, "/admin/school-years", {"name": "2030-2031", "starts_on": "05/09/2030",
                                                "ends_on": "31/05/2031"}).status_code == 403
    db.session.refresh(org.school_x)
    assert org.school_x.valid_to is None
