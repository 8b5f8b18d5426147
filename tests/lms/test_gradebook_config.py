"""Subjects and periods per school year and grade, electives per class, the rule set."""

from datetime import date

from sqlalchemy import select

from lms.gradebook.models import SubjectPeriods
from lms.kernel import db as _db
from lms.org.models import SchoolYear
from tests.factories import make_class
from tests.lms.gradebook_setup import bearer, build_book


def test_grade_ten_periods_follow_the_2018_programme(client, org):
    build_book(org)
    year_id = org.class_x.school_year_id
    view = client.get(f"/api/v1/gradebook/periods/{year_id}/10",
                      headers=bearer(client, "teacherx")).get_json()
    rows = {s["code"]: (s["periods"], s["regular_count"], s["elective"]) for s in view["subjects"]}
    assert view["rule_set"] == "TT22"
    assert rows["TOAN"] == rows["NGUVAN"] == rows["TIENGANH"] == (105, 4, False)
    assert rows["LICHSU"] == (70, 3, False)
    assert rows["VATLI"] == rows["GDKTPL"] == rows["CONGNGHE"] == (70, 3, True)
    assert rows["GDQPAN"] == (35, 2, False)
    assert {s["code"] for s in view["subjects"] if s["comment_only"]} == {"GDTC", "HDTN", "GDDP"}


def test_only_administrators_change_periods(client, org):
    build_book(org)
    year_id = org.class_x.school_year_id
    url = f"/api/v1/gradebook/periods/{year_id}/10"
    body = {"subjects": [{"code": "TOAN", "periods": 70}, {"code": "GDTC", "periods": 70}]}
    assert client.put(url, json=body, headers=bearer(client, "leaderx")).status_code == 403
    reply = client.put(url, json=body, headers=bearer(client, "admin1"))
    assert reply.status_code == 200
    assert [(s["code"], s["regular_count"]) for s in reply.get_json()["subjects"]] == [
        ("TOAN", 3), ("GDTC", 3)]
    bad = client.put(url, json={"subjects": [{"code": "NOPE", "periods": 35}]},
                     headers=bearer(client, "admin1"))
    assert bad.status_code == 400
    assert _db.session.scalar(select(SubjectPeriods.periods).where(
        SubjectPeriods.grade == 10, SubjectPeriods.school_year_id == year_id).limit(1)) == 70


def test_electives_set_by_the_school_leader(client, org):
    build_book(org)
    url = f"/api/v1/gradebook/{org.class_x.id}/electives"
    body = {"subjects": ["DIALI", "GDKTPL", "VATLI", "TINHOC"]}
    assert client.put(url, json=body, headers=bearer(client, "gvcn")).status_code == 403
    assert client.put(url, json=body, headers=bearer(client, "teachery")).status_code == 404
    assert client.put(url, json={"subjects": ["TOAN"]},
                      headers=bearer(client, "leaderx")).status_code == 400
    reply = client.put(url, json=body, headers=bearer(client, "leaderx"))
    assert reply.get_json()["electives"] == ["DIALI", "GDKTPL", "TINHOC", "VATLI"]
    sheet = client.get(f"/api/v1/gradebook/{org.class_x.id}/DIALI",
                       headers=bearer(client, "teacherx"))
    assert sheet.status_code == 200
    assert client.get(f"/api/v1/gradebook/{org.class_x.id}/HOAHOC",
                      headers=bearer(client, "teacherx")).status_code == 404


def test_a_grade_before_the_circular_has_no_gradebook(client, org):
    build_book(org)
    old = SchoolYear(name="2021-2022", starts_on=date(2021, 9, 5), ends_on=date(2022, 5, 31))
    _db.session.add(old)
    _db.session.flush()
    old_class = make_class(org.school_x, old, "10C1")
    _db.session.commit()
    reply = client.get(f"/api/v1/gradebook/{old_class.id}/TOAN",
                       headers=bearer(client, "leaderx"))
    assert reply.status_code == 400
    assert reply.get_json()["error"]["code"] == "no_rule_set"
