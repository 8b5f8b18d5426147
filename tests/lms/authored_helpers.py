"""Shared setup for the authored-lesson and library tests: a lesson by teacher X with two pages
(math on the first, a single-choice check question on the second), published."""

from lms.kernel import db
from tests.lms.exams_setup import bank_questions, bearer

BODY_1 = "<p>Phương trình bậc hai \\(ax^2 + bx + c = 0\\) có biệt thức $\\Delta = b^2 - 4ac$.</p>"


def create_draft(client, headers, title="Phương trình bậc hai", **fields):
    response = client.post("/api/v1/lessons", headers=headers,
                           data={"kind": "authored", "title": title, **fields},
                           content_type="multipart/form-data")
    assert response.status_code == 201, response.get_json()
    return response.get_json()["lesson"]


def add_page(client, headers, lesson_id, title, body):
    response = client.post(f"/api/v1/lessons/{lesson_id}/pages", headers=headers,
                           json={"title": title, "body_html": body})
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def published_lesson(client, org, types=("single_choice",)) -> dict:
    """Teacher X's lesson: page 1 with math, page 2 with check questions; published."""
    questions = bank_questions(org.teacher_x, types)
    db.session.commit()
    teacher = bearer(client, "teacherx")
    lesson = create_draft(client, teacher, description="Công thức nghiệm",
                          authors="Phạm Thu Hà; Lê Văn Bình", grade="10")
    first = add_page(client, teacher, lesson["id"], "Lý thuyết", BODY_1)
    markers = "".join(f"<p>[[question:{q.id}]]</p>" for q in questions)
    second = add_page(client, teacher, lesson["id"], "Luyện tập",
                      "<p>Trả lời câu hỏi sau.</p>" + markers)
    response = client.post(f"/api/v1/lessons/{lesson['id']}/publish", headers=teacher)
    assert response.status_code == 201, response.get_json()
    return {"lesson": lesson, "pages": [first, second], "questions": questions,
            "teacher": teacher}
