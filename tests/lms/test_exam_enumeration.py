"""Test ids are no oracle (issue 10 §1.8, security.md 2): whoever may not see a test gets the
same 404 for it as for an id that does not exist, through the API and the pages alike."""

import pytest

from tests.conftest import login
from tests.lms.exams_setup import bearer, published_exam

API_PATHS = ("/api/v1/exams/{id}", "/api/v1/exams/{id}/results", "/api/v1/exams/{id}/variants",
             "/api/v1/exams/{id}/assignments", "/api/v1/exams/{id}/report")
PAGE_PATHS = ("/teacher/exams/{id}", "/teacher/exams/{id}/results", "/exams/{id}/report",
              "/exams/{id}/integrity", "/exams/{id}/variants")
#: A student of the assigned class, a teacher of another school, the owner's own school
#: leader and the department reviewer: none of them manages the test.
OUTSIDERS = ("hsa", "teachery", "leaderx", "reviewer1")


def _missing_id(exam) -> int:
    return exam.id + 1000


@pytest.mark.parametrize("username", OUTSIDERS)
def test_the_api_answers_404_for_a_test_one_may_not_see_as_for_a_missing_one(
        client, org, username):
    exam = published_exam(org)
    headers = bearer(client, username)
    for path in API_PATHS:
        existing = client.get(path.format(id=exam.id), headers=headers)
        missing = client.get(path.format(id=_missing_id(exam)), headers=headers)
        assert (existing.status_code, missing.status_code) == (404, 404), path
        assert existing.get_json() == missing.get_json(), path   # the same body: no oracle
        assert exam.title not in existing.get_data(as_text=True)


def test_the_owner_still_reads_the_test_through_the_api(client, org):
    exam = published_exam(org)
    headers = bearer(client, "teacherx")
    for path in API_PATHS:
        assert client.get(path.format(id=exam.id), headers=headers).status_code == 200, path
    assert client.get(f"/api/v1/exams/{exam.id}", headers=headers).get_json()["title"] == \
        exam.title


@pytest.mark.parametrize("username", ("hsa", "teachery"))
def test_the_pages_answer_404_for_a_test_one_may_not_see(client, org, username):
    exam = published_exam(org)
    login(client, username)
    for path in PAGE_PATHS:
        existing = client.get(path.format(id=exam.id))
        missing = client.get(path.format(id=_missing_id(exam)))
        assert (existing.status_code, missing.status_code) == (404, 404), path
        assert exam.title not in existing.get_data(as_text=True)


def test_the_owner_opens_the_pages(client, org):
    exam = published_exam(org)
    login(client, "teacherx")
    for path in PAGE_PATHS:
        assert client.get(path.format(id=exam.id)).status_code == 200, path


def test_an_assigned_student_still_starts_the_test(client, org):
    """The audience of a test sees it where students do: its start endpoint."""
    exam = published_exam(org)
    reply = client.post(f"/api/v1/exams/{exam.id}/attempts", json={},
                        headers=bearer(client, "hsa"))
    assert reply.status_code == 200 and reply.get_json()["questions"]
    other = client.post(f"/api/v1/exams/{exam.id}/attempts", json={},
                        headers=bearer(client, "hsy"))
    assert other.status_code == 404
