"""A student's summary: learning result with the adjustment, conduct, year suggestions; what
students and parents see (published columns only, results of locked terms); who gets 404."""

import pytest

from lms.core.errors import NotFound
from lms.gradebook.book import load_book
from lms.gradebook.circulars import TT27
from lms.gradebook.summary import school_results
from tests.lms.gradebook_setup import bearer, build_book, fill_term, primary_class, put


@pytest.fixture
def book(org):
    return build_book(org)


def summary(client, book, username, student=None):
    student = student or book.org.student_a.id
    return client.get(f"/api/v1/gradebook/{book.org.class_x.id}/students/{student}",
                      headers=bearer(client, username))


def subject(body, code):
    return next(s for s in body["subjects"] if s["code"] == code)


def conduct(client, book, term, rating):
    reply = client.put(f"/api/v1/gradebook/{book.org.class_x.id}/conduct/{book.org.student_a.id}",
                       json={"term": term, "conduct": rating}, headers=bearer(client, "gvcn"))
    assert reply.status_code == 200


def test_homeroom_sees_learning_result_with_the_one_subject_adjustment(client, book):
    # Every subject 9 except Lịch sử 3.0: the table gives Chưa đạt, one subject caused it.
    fill_term(book, book.org.student_a.id, 1, {"LICHSU": "3"}, default="9")
    body = summary(client, book, "gvcn").get_json()
    assert len(body["subjects"]) == 12
    assert subject(body, "LICHSU")["term1"]["term_average"] == "3.0"
    assert subject(body, "GDTC")["term1"]["term_result"] == "Đạt"
    assert body["learning"]["term1"] == {"level": "Đạt", "table_level": "Chưa đạt",
                                         "adjusted_for": "LICHSU"}
    assert body["learning"]["term2"] is None  # nothing in term II yet


def test_two_subjects_pulling_down_are_not_adjusted(client, book):
    fill_term(book, book.org.student_a.id, 1, {"LICHSU": "3", "VATLI": "3"}, default="9")
    body = summary(client, book, "gvcn").get_json()
    assert body["learning"]["term1"] == {"level": "Chưa đạt", "table_level": "Chưa đạt",
                                         "adjusted_for": None}


def test_year_results_conduct_and_suggestions(client, book):
    fill_term(book, book.org.student_a.id, 1, {}, default="9")
    fill_term(book, book.org.student_a.id, 2, {}, default="9")
    conduct(client, book, 1, "K")
    conduct(client, book, 2, "T")
    body = summary(client, book, "gvcn").get_json()
    assert subject(body, "TOAN")["year"] == {"average": "9.0", "result": None}
    assert subject(body, "HDTN")["year"] == {"average": None, "result": "Đạt"}
    assert body["learning"]["year"]["level"] == "Tốt"
    assert body["conduct"] == {"term1": "Khá", "term2": "Tốt", "year": "Tốt"}
    assert body["year_suggestion"] == {"promotion": "promoted", "retest": [],
                                       "conduct_training": False, "award": "xuat_sac",
                                       "absences_known": False}


def test_student_sees_only_published_columns(client, book):
    class_id, student = book.org.class_x.id, book.org.student_a.id
    teacher = bearer(client, "teacherx")
    put(client, teacher, class_id, "LICHSU", student, term=1, regular=[6, 8, 7.5], mid=5, end=10)
    hidden = subject(summary(client, book, "hsa").get_json(), "LICHSU")["term1"]
    assert (hidden["regular"], hidden["mid"], hidden["end"], hidden["term_average"]) == (
        [None, None, None], None, None, None)
    assert "version" not in hidden
    url = f"/api/v1/gradebook/{class_id}/LICHSU/publication"
    reply = client.post(url, json={"term": 1, "columns": ["mid"]}, headers=teacher)
    assert reply.get_json()["published"] == ["mid"]
    shown = subject(summary(client, book, "hsa").get_json(), "LICHSU")["term1"]
    assert (shown["mid"], shown["regular"], shown["term_average"]) == ("5", [None] * 3, None)
    client.post(url, json={"term": 1, "columns": ["regular", "end"]}, headers=teacher)
    full = subject(summary(client, book, "hsa").get_json(), "LICHSU")["term1"]
    assert (full["regular"], full["end"], full["term_average"]) == (["6", "8", "7.5"], "10",
                                                                    "7.7")
    # Withdrawn again: hidden again.
    client.post(url, json={"term": 1, "columns": ["end"], "published": False}, headers=teacher)
    again = subject(summary(client, book, "hsa").get_json(), "LICHSU")["term1"]
    assert (again["end"], again["term_average"]) == (None, None)


def test_learning_and_conduct_reach_the_student_once_the_term_is_locked(client, book):
    fill_term(book, book.org.student_a.id, 1, {}, default="9")
    conduct(client, book, 1, "T")
    before = summary(client, book, "hsa").get_json()
    assert before["learning"]["term1"] is None and before["conduct"]["term1"] is None
    assert "year_suggestion" not in before or before["year_suggestion"] is None
    client.put(f"/api/v1/gradebook/{book.org.class_x.id}/locks/1", json={"locked": True},
               headers=bearer(client, "leaderx"))
    after = summary(client, book, "hsa").get_json()
    assert after["learning"]["term1"]["level"] == "Tốt"
    assert after["conduct"]["term1"] == "Tốt"


def test_parent_sees_their_child_only(client, book):
    class_id, student = book.org.class_x.id, book.org.student_a.id
    teacher = bearer(client, "teacherx")
    put(client, teacher, class_id, "LICHSU", student, term=1, mid=5)
    client.post(f"/api/v1/gradebook/{class_id}/LICHSU/publication",
                json={"term": 1, "columns": ["mid"]}, headers=teacher)
    reply = summary(client, book, "phuhuynh")
    assert reply.status_code == 200
    assert subject(reply.get_json(), "LICHSU")["term1"]["mid"] == "5"
    assert summary(client, book, "phuhuynh", book.org.student_b.id).status_code == 404
    assert summary(client, book, "phuhuynh2").status_code == 404


@pytest.mark.parametrize("username", ["hsb", "teachery", "hsy", "reviewer1"])
def test_nobody_else_reads_a_student(client, book, username):
    assert summary(client, book, username).status_code == 404
    assert summary(client, book, "hsa").status_code == 200  # the rightful reader


def test_a_subject_teacher_sees_only_their_subject_and_no_overall_result(client, book):
    body = summary(client, book, "gvtoan").get_json()
    assert [s["code"] for s in body["subjects"]] == ["TOAN"]
    assert body["learning"] is None and body["conduct"] is None


def test_publication_rights(client, book):
    url = f"/api/v1/gradebook/{book.org.class_x.id}/TOAN/publication"
    body = {"term": 1, "columns": ["mid"]}
    assert client.post(url, json=body, headers=bearer(client, "gvcn")).status_code == 403
    assert client.post(url, json=body, headers=bearer(client, "hsa")).status_code == 404
    assert client.post(url, json=body, headers=bearer(client, "gvsu")).status_code == 404
    bad = client.post(url, json={"term": 1, "columns": ["average"]},
                      headers=bearer(client, "gvtoan"))
    assert bad.status_code == 400
    assert client.post(url, json=body, headers=bearer(client, "gvtoan")).status_code == 200


def test_a_whole_school_recomputed_counts_levels_per_class(client, book):
    org = book.org
    fill_term(book, org.student_a.id, 1, {}, default="9")
    fill_term(book, org.student_a.id, 2, {"LICHSU": "3"}, default="9")
    conduct(client, book, 1, "T")
    conduct(client, book, 2, "K")
    results = school_results(org.leader_x, org.school_x.id, org.class_x.school_year_id)
    assert results == [{
        "class_id": org.class_x.id, "name": "10A1", "students": 2,
        "term1": {"Tốt": 1, None: 1}, "term2": {"Đạt": 1, None: 1},  # term II adjusted
        "year": {"Khá": 1, None: 1},  # Lịch sử (9 + 2·3) / 3 = 5.0: below 6.5, above 5.0
        "conduct": {"Khá": 1, None: 1}}]
    with pytest.raises(NotFound):
        school_results(book.homeroom, org.school_x.id, org.class_x.school_year_id)


def test_primary_year_evaluation_from_ratings_tests_and_qualities(client, book):
    org = book.org
    grade5, _teacher = primary_class(org)
    pupil, admin = org.student_y.id, bearer(client, "admin1")
    for setup in load_book(grade5).subjects:
        body = {"term": 2, "end": "T", **({"end_test": 9} if setup.end_test else {})}
        assert put(client, admin, grade5.id, setup.code, pupil, **body).status_code == 200
    url = f"/api/v1/gradebook/{grade5.id}/qualities/{pupil}"
    ratings = {code: "Tốt" for code, _name in TT27.qualities}
    assert client.put(url, json={"term": 2, "period": "end", "ratings": ratings},
                      headers=bearer(client, "gvth")).status_code == 404
    bad = client.put(url, json={"term": 2, "period": "end", "ratings": {"XYZ": "T",
                                                                        "NHANAI": "Giỏi"}},
                     headers=admin)
    assert bad.status_code == 400
    assert set(bad.get_json()["error"]["details"]["fields"]) == {"ratings.XYZ", "ratings.NHANAI"}
    before = client.get(f"/api/v1/gradebook/{grade5.id}/students/{pupil}",
                        headers=admin).get_json()
    assert before["learning"]["year"] is None  # qualities missing
    reply = client.put(url, json={"term": 2, "period": "end", "ratings": ratings}, headers=admin)
    assert reply.status_code == 200 and reply.get_json()["qualities"]["end"]["NHANAI"] == "T"
    after = client.get(f"/api/v1/gradebook/{grade5.id}/students/{pupil}",
                       headers=admin).get_json()
    assert after["learning"]["year"] == {"level": "Hoàn thành xuất sắc"}
    client.put(url, json={"term": 2, "period": "end", "ratings": {"CHAMCHI": "Đạt"}},
               headers=admin)
    again = client.get(f"/api/v1/gradebook/{grade5.id}/students/{pupil}",
                       headers=admin).get_json()
    assert again["learning"]["year"] == {"level": "Hoàn thành"}
    tt22 = client.put(f"/api/v1/gradebook/{org.class_x.id}/qualities/{org.student_a.id}",
                      json={"term": 1, "period": "end", "ratings": {}}, headers=admin)
    assert tt22.status_code == 400


def test_the_school_confirms_the_year(client, book):
    org = book.org
    url = f"/api/v1/gradebook/{org.class_x.id}/students/{org.student_a.id}/year"
    body = {"promotion": "promoted", "award": "gioi"}
    assert client.put(url, json=body, headers=bearer(client, "gvcn")).status_code == 403
    assert client.put(url, json=body, headers=bearer(client, "hsa")).status_code == 404
    bad = client.put(url, json={"promotion": "maybe", "award": "best"},
                     headers=bearer(client, "leaderx"))
    assert set(bad.get_json()["error"]["details"]["fields"]) == {"promotion", "award"}
    assert client.put(url, json=body, headers=bearer(client, "leaderx")).status_code == 200
    decision = summary(client, book, "gvcn").get_json()["year_decision"]
    assert (decision["promotion"], decision["award"]) == ("promoted", "gioi")
    assert summary(client, book, "hsa").get_json()["year_decision"] is None  # term II open
    for term in (1, 2):
        client.put(f"/api/v1/gradebook/{org.class_x.id}/locks/{term}", json={"locked": True},
                   headers=bearer(client, "leaderx"))
    assert summary(client, book, "hsa").get_json()["year_decision"]["award"] == "gioi"
