"""The gradebook API contract (issue 13 §4): scores, partial sets, errors naming the field,
locks, optimistic concurrency, who may do what, summaries and history."""

import pytest
from sqlalchemy import func, select

from lms.gradebook.models import GradebookChange, GradebookEntry
from lms.kernel import db as _db
from tests.lms.gradebook_setup import bearer, build_book, primary_class, put


@pytest.fixture
def book(org):
    return build_book(org)


@pytest.fixture
def teacher(client, org):
    """teacher_x: a teacher of 10A1 whose membership names no subject (all subjects)."""
    return bearer(client, "teacherx")


def _ids(book):
    return book.org.class_x.id, book.org.student_a.id


def test_worked_examples_through_the_api(client, book, teacher):
    class_id, student = _ids(book)
    reply = put(client, teacher, class_id, "LICHSU", student, term=1, regular=[6, 8, "7,5"],
                mid=5, end=10)
    assert reply.status_code == 200, reply.get_json()
    body = reply.get_json()
    assert body["term_average"] == "7.7"
    assert body["regular"] == ["6", "8", "7.5"]
    assert (body["mid"], body["end"], body["version"]) == ("5", "10", 1)
    reply = put(client, teacher, class_id, "VATLI", student, term=1, regular=["7", "8", "9"],
                mid="9", end="8")
    assert reply.get_json()["term_average"] == "8.3"


def test_a_partial_set_is_saved_and_the_average_waits_for_the_rest(client, book, teacher):
    class_id, student = _ids(book)
    first = put(client, teacher, class_id, "LICHSU", student, term=1, regular=[6, 8])
    assert first.status_code == 200
    assert first.get_json()["term_average"] is None
    assert first.get_json()["regular"] == ["6", "8", None]
    second = put(client, teacher, class_id, "LICHSU", student, term=1, mid="5")
    assert second.get_json()["regular"] == ["6", "8", None]  # absent keys stay as they were
    assert second.get_json()["term_average"] is None
    third = put(client, teacher, class_id, "LICHSU", student, term=1, regular=[6, 8, 7.5],
                end=10)
    assert third.get_json()["term_average"] == "7.7"
    assert third.get_json()["complete"] is True
    cleared = put(client, teacher, class_id, "LICHSU", student, term=1, end=None)
    assert (cleared.get_json()["end"], cleared.get_json()["term_average"]) == (None, None)


def test_comment_only_subject_takes_dat_and_chua_dat(client, book, teacher):
    class_id, student = _ids(book)
    reply = put(client, teacher, class_id, "GDTC", student, term=1, regular=["Đ", "đạt", "D"],
                mid="Đ")
    assert reply.get_json()["term_result"] is None
    reply = put(client, teacher, class_id, "GDTC", student, term=1, end="Đ")
    assert reply.get_json()["term_result"] == "Đạt"
    assert reply.get_json()["term_average"] is None
    reply = put(client, teacher, class_id, "GDTC", student, term=1, mid="CĐ")
    assert reply.get_json()["term_result"] == "Chưa đạt"


@pytest.mark.parametrize(("code", "body", "field"), [
    ("LICHSU", {"mid": "8.25"}, "mid"),
    ("LICHSU", {"mid": 8.25}, "mid"),
    ("LICHSU", {"regular": [7, "abc"]}, "regular.2"),
    ("LICHSU", {"end": 11}, "end"),
    ("LICHSU", {"end": -1}, "end"),
    ("LICHSU", {"end": "1E+999999"}, "end"),
    ("LICHSU", {"regular": [7, 7, 7, 7]}, "regular"),  # 70 periods: 3 regular scores
    ("TOAN", {"regular": [7, 7, 7, 7, 7]}, "regular"),  # 105 periods: 4
    ("LICHSU", {"regular": "7"}, "regular"),
    ("GDTC", {"end": 7}, "end"),
    ("LICHSU", {"mid": "Đ"}, "mid"),
    ("LICHSU", {"mid_test": 7}, "mid_test"),
])
def test_bad_scores_are_400_naming_the_field_and_nothing_is_saved(client, book, teacher, code,
                                                                  body, field):
    class_id, student = _ids(book)
    reply = put(client, teacher, class_id, code, student, term=1, **body)
    error = reply.get_json()["error"]
    assert reply.status_code == 400, error
    assert error["code"] == "invalid_score"
    assert field in error["details"]["fields"]
    assert _db.session.scalar(select(func.count(GradebookEntry.id))) == 0
    assert _db.session.scalar(select(func.count(GradebookChange.id))) == 0


def test_one_bad_cell_saves_none_of_the_good_ones(client, book, teacher):
    class_id, student = _ids(book)
    reply = put(client, teacher, class_id, "LICHSU", student, term=1, regular=[7, 8, 9],
                mid="8,25", end=11)
    assert reply.status_code == 400
    assert set(reply.get_json()["error"]["details"]["fields"]) == {"mid", "end"}
    assert _db.session.scalar(select(func.count(GradebookEntry.id))) == 0
    good = put(client, teacher, class_id, "LICHSU", student, term=1, regular=[7, 8, 9],
               mid="8,5", end=10)
    assert good.status_code == 200


@pytest.mark.parametrize(("body", "field"), [
    ({"term": 3, "mid": 7}, "term"),
    ({"mid": 7}, "term"),
    ({"term": "1", "mid": 7}, "term"),
    ({"term": 1, "reason": "x" * 501}, "reason"),
])
def test_bad_term_or_reason_is_400_naming_the_field(client, book, teacher, body, field):
    class_id, student = _ids(book)
    reply = client.put(f"/api/v1/gradebook/{class_id}/LICHSU/{student}", json=body,
                       headers=teacher)
    assert reply.status_code == 400
    assert field in reply.get_json()["error"]["details"]["fields"]


def test_unknown_body_field_is_400(client, book, teacher):
    class_id, student = _ids(book)
    reply = put(client, teacher, class_id, "LICHSU", student, term=1, score=9)
    assert reply.status_code == 400
    assert "score" in reply.get_json()["error"]["details"]["fields"]["json"]
    # The same request without it is accepted.
    assert put(client, teacher, class_id, "LICHSU", student, term=1, mid=9).status_code == 200


def test_a_locked_term_is_409_locked_until_the_leader_reopens_it(client, book, teacher):
    class_id, student = _ids(book)
    leader = bearer(client, "leaderx")
    lock = client.put(f"/api/v1/gradebook/{class_id}/locks/1", json={"locked": True},
                      headers=leader)
    assert lock.status_code == 200 and lock.get_json()["locked"] is True
    reply = put(client, teacher, class_id, "LICHSU", student, term=1, mid=7)
    assert reply.status_code == 409
    assert reply.get_json()["error"]["code"] == "locked"
    # Term II of the same class is still open.
    assert put(client, teacher, class_id, "LICHSU", student, term=2, mid=7).status_code == 200
    client.put(f"/api/v1/gradebook/{class_id}/locks/1", json={"locked": False}, headers=leader)
    assert put(client, teacher, class_id, "LICHSU", student, term=1, mid=7).status_code == 200


def test_only_leaders_lock(client, book):
    class_id = book.org.class_x.id
    url = f"/api/v1/gradebook/{class_id}/locks/1"
    assert client.put(url, json={"locked": True},
                      headers=bearer(client, "gvcn")).status_code == 403
    assert client.put(url, json={"locked": True},
                      headers=bearer(client, "teachery")).status_code == 404
    assert client.put(url, json={"locked": True},
                      headers=bearer(client, "hsa")).status_code == 404
    assert client.put(url, json={"locked": True},
                      headers=bearer(client, "leaderx")).status_code == 200


def test_second_save_with_a_stale_version_is_409_and_overwrites_nothing(client, book, teacher):
    class_id, student = _ids(book)
    other = bearer(client, "gvsu")
    first = put(client, teacher, class_id, "LICHSU", student, term=1, mid=7, version=0)
    assert first.status_code == 200 and first.get_json()["version"] == 1
    second = put(client, other, class_id, "LICHSU", student, term=1, mid=4, version=0)
    assert second.status_code == 409
    error = second.get_json()["error"]
    assert (error["code"], error["details"]["version"]) == ("stale", 1)
    assert _db.session.scalar(select(GradebookEntry.mid_term)) == "7"
    retry = put(client, other, class_id, "LICHSU", student, term=1, mid=4, version=1)
    assert retry.status_code == 200 and retry.get_json()["version"] == 2


def test_subject_teacher_writes_only_their_subject(client, book):
    class_id, student = _ids(book)
    toan = bearer(client, "gvtoan")
    assert put(client, toan, class_id, "TOAN", student, term=1, mid=8).status_code == 200
    # Another subject of the same class: not theirs to read either.
    assert put(client, toan, class_id, "NGUVAN", student, term=1, mid=8).status_code == 404
    assert client.get(f"/api/v1/gradebook/{class_id}/NGUVAN",
                      headers=toan).status_code == 404
    assert client.get(f"/api/v1/gradebook/{class_id}/TOAN", headers=toan).status_code == 200


def test_homeroom_reads_the_class_but_does_not_write_scores(client, book):
    class_id, student = _ids(book)
    homeroom = bearer(client, "gvcn")
    assert client.get(f"/api/v1/gradebook/{class_id}/TOAN", headers=homeroom).status_code == 200
    assert put(client, homeroom, class_id, "TOAN", student, term=1, mid=8).status_code == 403
    assert _db.session.scalar(select(func.count(GradebookEntry.id))) == 0


def test_leader_writes_any_subject_and_the_change_is_logged_as_leader(client, book):
    class_id, student = _ids(book)
    reply = put(client, bearer(client, "leaderx"), class_id, "NGUVAN", student, term=1, mid=6,
                reason="Sửa theo biên bản")
    assert reply.status_code == 200
    change = _db.session.scalar(select(GradebookChange))
    assert (change.as_role, change.reason, change.new) == ("leader", "Sửa theo biên bản", "6")


@pytest.mark.parametrize("username", ["teachery", "hsa", "hsb", "reviewer1", "phuhuynh"])
def test_anyone_else_gets_404_on_writes_and_column_sets(client, book, username):
    class_id, student = _ids(book)
    headers = bearer(client, username)
    assert put(client, headers, class_id, "TOAN", student, term=1, mid=8).status_code == 404
    assert client.get(f"/api/v1/gradebook/{class_id}/TOAN", headers=headers).status_code == 404
    assert _db.session.scalar(select(func.count(GradebookEntry.id))) == 0


def test_a_student_not_in_the_class_or_an_unknown_subject_is_404(client, book, teacher):
    class_id, _student = _ids(book)
    assert put(client, teacher, class_id, "LICHSU", book.org.student_y.id, term=1,
               mid=8).status_code == 404
    assert put(client, teacher, class_id, "NOPE", book.org.student_a.id, term=1,
               mid=8).status_code == 404
    # An elective the class did not choose is not in its gradebook.
    assert put(client, teacher, class_id, "DIALI", book.org.student_a.id, term=1,
               mid=8).status_code == 404
    assert put(client, teacher, class_id, "LICHSU", 2**64, term=1, mid=8).status_code == 404
    assert put(client, teacher, 10**20, "LICHSU", book.org.student_a.id, term=1,
               mid=8).status_code == 404


def test_column_set_has_regular_count_and_comment_only(client, book, teacher):
    class_id, student = _ids(book)
    put(client, teacher, class_id, "TOAN", student, term=1, regular=[8, 9, 7, 10], mid=8, end=9)
    put(client, teacher, class_id, "TOAN", student, term=2, regular=[8, 8, 8, 8], mid=8, end=8)
    sheet = client.get(f"/api/v1/gradebook/{class_id}/TOAN", headers=teacher).get_json()
    assert (sheet["regular_count"], sheet["comment_only"]) == (4, False)
    row = next(r for r in sheet["students"] if r["student_id"] == student)
    # Term I: (34 + 16 + 27) / 9 = 8.555… → 8.6; year (8.6 + 2·8.0) / 3 = 8.2
    assert (row["term1"]["term_average"], row["term2"]["term_average"]) == ("8.6", "8.0")
    assert row["year"]["average"] == "8.2"
    assert [r["name"] for r in sheet["students"]] == ["Nguyễn Văn Á", "Trần Thị Bê"]
    gdtc = client.get(f"/api/v1/gradebook/{class_id}/GDTC", headers=teacher).get_json()
    assert (gdtc["regular_count"], gdtc["comment_only"]) == (3, True)


def test_conduct_by_the_homeroom_teacher(client, book):
    class_id, student = _ids(book)
    url = f"/api/v1/gradebook/{class_id}/conduct/{student}"
    assert client.put(url, json={"term": 1, "conduct": "Tốt"},
                      headers=bearer(client, "gvtoan")).status_code == 404
    assert client.put(url, json={"term": 1, "conduct": "Tốt"},
                      headers=bearer(client, "hsa")).status_code == 404
    reply = client.put(url, json={"term": 1, "conduct": "Tốt"}, headers=bearer(client, "gvcn"))
    assert reply.status_code == 200 and reply.get_json()["conduct"] == "T"
    bad = client.put(url, json={"term": 1, "conduct": "Giỏi"}, headers=bearer(client, "gvcn"))
    assert bad.status_code == 400 and "conduct" in bad.get_json()["error"]["details"]["fields"]


def test_history_of_a_cell(client, book, teacher):
    class_id, student = _ids(book)
    put(client, teacher, class_id, "LICHSU", student, term=1, mid=7)
    put(client, teacher, class_id, "LICHSU", student, term=1, mid="7,5", reason="Phúc khảo")
    reply = client.get(f"/api/v1/gradebook/{class_id}/LICHSU/{student}/history?term=1",
                       headers=teacher)
    changes = reply.get_json()["changes"]
    assert [(c["field"], c["old"], c["new"], c["reason"]) for c in changes] == [
        ("mid", "7", "7.5", "Phúc khảo"), ("mid", None, "7", "")]
    assert changes[0]["by"] == "Người dùng Số " + changes[0]["by"].split()[-1]
    assert client.get(f"/api/v1/gradebook/{class_id}/LICHSU/{student}/history?term=1",
                      headers=bearer(client, "hsa")).status_code == 404


def test_openapi_lists_the_gradebook(client):
    paths = client.get("/api/v1/openapi.json").get_json()["paths"]
    for path in ("/api/v1/gradebook/{class_id}/{subject_code}/{student_id}",
                 "/api/v1/gradebook/{class_id}/students/{student_id}",
                 "/api/v1/gradebook/{class_id}/{subject_code}",
                 "/api/v1/gradebook/{class_id}/locks/{term}",
                 "/api/v1/gradebook/{class_id}/{subject_code}/publication"):
        assert path in paths, sorted(paths)


def test_a_primary_class_follows_tt27(client, book):
    org = book.org
    grade5, teacher = primary_class(org)
    headers, pupil = bearer(client, teacher.username), org.student_y.id
    reply = put(client, headers, grade5.id, "TOAN", pupil, term=1, mid="T", mid_test=8,
                end="Hoàn thành", end_test="9")
    body = reply.get_json()
    assert reply.status_code == 200, body
    assert (body["mid"], body["end"], body["mid_test"], body["end_test"]) == ("T", "H", "8", "9")
    assert body["term_result"] == "Hoàn thành" and body["term_average"] is None
    for code, cells, field in (("TOAN", {"end_test": "7,5"}, "end_test"),
                               ("DAODUC", {"end_test": 9}, "end_test"),
                               ("TOAN", {"end": "Đạt"}, "end"),
                               ("TOAN", {"regular": [7]}, "regular")):
        bad = put(client, headers, grade5.id, code, pupil, term=1, **cells)
        assert bad.status_code == 400 and field in bad.get_json()["error"]["details"]["fields"]
    sheet = client.get(f"/api/v1/gradebook/{grade5.id}/TIENGVIET", headers=headers).get_json()
    assert sheet["subject"]["rule_set"] == "TT27" and sheet["subject"]["mid_test"] is True
    conduct = client.put(f"/api/v1/gradebook/{grade5.id}/conduct/{pupil}",
                         json={"term": 1, "conduct": "T"}, headers=bearer(client, "admin1"))
    assert conduct.status_code == 400
