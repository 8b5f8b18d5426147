"""Authored lessons: drafts, sanitised pages with math and embeds, immutable published
versions, check questions (no key before answering, feedback after), progress and completion,
the gradebook signal, and who may do what (security.md 1, 2, 4, 7, 16, 19, 24)."""

import io
import unicodedata

import pytest
from sqlalchemy import func, select

from lms.kernel import db as _db
from lms.lessons.models import LessonItemProgress, LessonProgress
from lms.lessons.signals import on_progress
from tests.conftest import csrf_token_from, login
from tests.lms.authored_helpers import add_page, create_draft, published_lesson
from tests.lms.exams_setup import bank_questions, bearer

PNG = (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00"
       b"\x00\x1f\x15\xc4\x89\x00\x00\x00\rIDATx\x9cc\xf8\xff\xff?\x00\x05\xfe\x02\xfe\xa7"
       b"5\x81\x84\x00\x00\x00\x00IEND\xaeB`\x82")
HOSTILE = ('<p>Chào</p><script>alert(1)</script><img src="x" onerror="alert(2)">'
           '<a href="javascript:alert(3)">liên kết</a><svg onload="alert(4)"></svg>'
           '<p onclick="alert(5)">{{7*7}}</p>')


def _url(made, page=1, question=None):
    lesson = made["lesson"]["id"]
    page_id = made["pages"][page - 1]["id"]
    base = f"/api/v1/lessons/{lesson}/pages/{page_id}"
    return base + (f"/questions/{question.id}/answer" if question else "/viewed")


# --- drafts and metadata -----------------------------------------------------------------

def test_post_lessons_kind_authored_creates_a_ready_draft_with_metadata(client, db, org):
    teacher = bearer(client, "teacherx")
    response = client.post("/api/v1/lessons", headers=teacher, json={
        "kind": "authored", "metadata": {
            "title": "Hàm số bậc hai", "grade": 10, "textbook_series": "Cánh diều",
            "duration_minutes": 90, "authors": ["Phạm Thu Hà"], "licence": "CC BY 4.0",
            "description": "Đồ thị parabol"}})
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    assert body["state"] == "ready" and body["task_id"] is None
    lesson = body["lesson"]
    assert lesson["kind"] == "authored" and lesson["duration_minutes"] == 90
    assert lesson["school_id"] == org.school_x.id and lesson["authors"] == ["Phạm Thu Hà"]
    forged = client.post("/api/v1/lessons", headers=teacher, json={
        "kind": "authored", "title": "Bài", "owner_id": org.teacher_y.id, "state": "ready"})
    assert forged.status_code == 400 and forged.get_json()["error"]["code"] == "invalid_body"
    listed = client.post("/api/v1/lessons", headers=teacher, json=["authored"])
    assert listed.status_code == 400


@pytest.mark.parametrize(("fields", "code"), [
    ({"title": ""}, "invalid_metadata"),
    ({"title": "Bài", "duration_minutes": "30"}, "invalid_metadata"),
    ({"title": "Bài", "grade": "13"}, "invalid_metadata"),
    ({"title": "Bài", "subject_id": "99999"}, "invalid_metadata"),
])
def test_bad_metadata_is_a_400_with_a_message(client, db, org, fields, code):
    response = client.post("/api/v1/lessons", headers=bearer(client, "teacherx"),
                           data={"kind": "authored", **fields},
                           content_type="multipart/form-data")
    assert response.status_code == 400
    error = response.get_json()["error"]
    assert error["code"] == code and error["message"]


def test_student_cannot_create_or_edit_a_lesson(client, db, org):
    made = published_lesson(client, org)
    student = bearer(client, "hsa")
    created = client.post("/api/v1/lessons", headers=student, data={
        "kind": "authored", "title": "Bài của em"}, content_type="multipart/form-data")
    assert created.status_code == 403
    lesson_id = made["lesson"]["id"]
    for method, url, body in (
            ("post", f"/api/v1/lessons/{lesson_id}/pages", {"title": "X", "body_html": "x"}),
            ("put", f"/api/v1/lessons/{lesson_id}/pages/{made['pages'][0]['id']}",
             {"title": "X", "body_html": "<p>hỏng</p>"}),
            ("post", f"/api/v1/lessons/{lesson_id}/publish", None)):
        response = getattr(client, method)(url, headers=student, json=body)
        assert response.status_code == 403, (url, response.get_json())
    teacher_y = bearer(client, "teachery")
    assert client.post(f"/api/v1/lessons/{lesson_id}/pages", headers=teacher_y,
                       json={"title": "X", "body_html": ""}).status_code == 403
    login(client, "hsa")
    assert client.get(f"/lessons/{lesson_id}/edit").status_code == 403
    assert client.get(f"/lessons/{lesson_id}/pages/new").status_code == 403


def test_unknown_fields_in_a_page_are_refused(client, db, org):
    teacher = bearer(client, "teacherx")
    lesson = create_draft(client, teacher)
    response = client.post(f"/api/v1/lessons/{lesson['id']}/pages", headers=teacher,
                           json={"title": "Trang", "body_html": "", "lesson_id": 999,
                                 "position": 0})
    assert response.status_code == 400


# --- sanitising and rendering -------------------------------------------------------------

def test_script_and_javascript_urls_are_stripped_from_page_body_and_title(client, db, org):
    teacher = bearer(client, "teacherx")
    lesson = create_draft(client, teacher)
    page = add_page(client, teacher, lesson["id"], "<script>alert(9)</script>Tiêu đề <b>đậm</b>",
                    HOSTILE)
    assert page["title"] == "Tiêu đề đậm"
    for needle in ("<script", "alert(1)", "onerror", "javascript:", "onload", "onclick", "<svg"):
        assert needle not in page["body_html"], needle
    assert "Chào" in page["body_html"] and "liên kết" in page["body_html"]
    client.post(f"/api/v1/lessons/{lesson['id']}/publish", headers=teacher)
    login(client, "hsa")
    html = client.get(f"/lessons/{lesson['id']}/read").get_data(as_text=True)
    main = html.split("<main", 1)[1].split("</main>", 1)[0]
    for needle in ("<script", "onerror", "javascript:", "onload", "onclick", "alert("):
        assert needle not in main, needle
    assert "{{7*7}}" in main and ">49<" not in main  # template syntax stays text


def test_text_is_stored_nfc(client, db, org):
    teacher = bearer(client, "teacherx")
    lesson = create_draft(client, teacher, title=unicodedata.normalize("NFD", "Hàm số"))
    assert lesson["title"] == unicodedata.normalize("NFC", "Hàm số")
    page = add_page(client, teacher, lesson["id"], unicodedata.normalize("NFD", "Đồ thị"),
                    unicodedata.normalize("NFD", "<p>Parabol đỉnh</p>"))
    assert page["title"] == "Đồ thị" and "Parabol đỉnh" in page["body_html"]


def test_math_is_rendered_to_mathml_on_the_server(client, db, org):
    made = published_lesson(client, org)
    login(client, "hsa")
    html = client.get(f"/lessons/{made['lesson']['id']}/read").get_data(as_text=True)
    assert "<math" in html and "\\Delta" not in html and "<mi>Δ</mi>" in html


def test_preview_renders_the_unsaved_page_for_the_author_only(client, db, org):
    teacher = bearer(client, "teacherx")
    lesson = create_draft(client, teacher)
    url = f"/api/v1/lessons/{lesson['id']}/preview"
    response = client.post(url, headers=teacher,
                           json={"title": "T", "body_html": "<p>$x^2$</p>" + HOSTILE})
    assert response.status_code == 200
    html = response.get_json()["html"]
    assert "<math" in html and "<script" not in html and "onerror" not in html
    assert client.post(url, headers=bearer(client, "teachery"),
                       json={"body_html": "x"}).status_code == 403
    bad = client.post(url, headers=teacher, json={"body_html": "<p>[[question:424242]]</p>"})
    assert bad.status_code == 400 and "424242" in bad.get_json()["error"]["message"]


# --- embeds -------------------------------------------------------------------------------

def test_embeds_are_checked_on_save(client, db, org):
    teacher = bearer(client, "teacherx")
    lesson = create_draft(client, teacher)
    other = create_draft(client, bearer(client, "teachery"), title="Của trường Y")
    essay = bank_questions(org.teacher_x, ("essay",))[0]
    foreign_draft = bank_questions(org.teacher_y, ("single_choice",))[0]
    _db.session.commit()
    cases = [f"[[question:{essay.id}]]", f"[[question:{foreign_draft.id}]]",
             "[[question:999999]]", f"[[video:{lesson['id']}]]", f"[[video:{other['id']}]]",
             "[[image:5]]"]
    for body in cases:
        response = client.post(f"/api/v1/lessons/{lesson['id']}/pages", headers=teacher,
                               json={"title": "Trang", "body_html": f"<p>{body}</p>"})
        assert response.status_code == 400, body
        assert response.get_json()["error"]["code"] == "invalid_embed"


def test_images_typed_from_content_and_served_to_lesson_readers(client, db, org):
    teacher = bearer(client, "teacherx")
    lesson = create_draft(client, teacher)
    url = f"/api/v1/lessons/{lesson['id']}/images"
    fake = client.post(url, headers=teacher, content_type="multipart/form-data",
                       data={"file": (io.BytesIO(b"<html><script>alert(1)</script>"),
                                      "anh.png")})
    assert fake.status_code == 400 and fake.get_json()["error"]["code"] == "invalid_image"
    assert "anh.png" in fake.get_json()["error"]["message"]
    stored = client.post(url, headers=teacher, content_type="multipart/form-data",
                         data={"file": (io.BytesIO(PNG), "../../Ảnh đồ thị.png")})
    assert stored.status_code == 201, stored.get_json()
    image = stored.get_json()
    assert image["marker"] == f"[[image:{image['id']}]]"
    add_page(client, teacher, lesson["id"], "Hình", f"<p>{image['marker']}</p>")
    assert client.post(f"/api/v1/lessons/{lesson['id']}/publish",
                       headers=teacher).status_code == 201
    got = client.get(image["url"], headers=bearer(client, "hsa"))
    assert got.status_code == 200 and got.data == PNG
    assert got.headers["Content-Type"] == "image/png"
    assert got.headers["X-Content-Type-Options"] == "nosniff"
    assert client.post(url, headers=bearer(client, "hsa"), content_type="multipart/form-data",
                       data={"file": (io.BytesIO(PNG), "a.png")}).status_code == 403


# --- versions -----------------------------------------------------------------------------

def test_drafts_keep_changing_students_see_the_latest_published_version(client, db, org):
    made = published_lesson(client, org)
    teacher, lesson_id = made["teacher"], made["lesson"]["id"]
    first = made["pages"][0]
    client.put(f"/api/v1/lessons/{lesson_id}/pages/{first['id']}", headers=teacher,
               json={"title": "Lý thuyết mới", "body_html": "<p>Nội dung nháp</p>"})
    login(client, "hsa")
    html = client.get(f"/lessons/{lesson_id}/read").get_data(as_text=True)
    assert "Lý thuyết" in html and "Nội dung nháp" not in html
    again = client.post(f"/api/v1/lessons/{lesson_id}/publish", headers=teacher)
    assert again.status_code == 201 and again.get_json()["number"] == 2
    html = client.get(f"/lessons/{lesson_id}/read").get_data(as_text=True)
    assert "Nội dung nháp" in html


def test_unpublished_draft_is_invisible_to_students(client, db, org):
    teacher = bearer(client, "teacherx")
    lesson = create_draft(client, teacher, title="Bài chưa xuất bản")
    add_page(client, teacher, lesson["id"], "Trang", "<p>bí mật</p>")
    student = bearer(client, "hsa")
    assert client.get(f"/api/v1/lessons/{lesson['id']}", headers=student).status_code == 403
    listed = client.get("/api/v1/lessons", headers=student).get_json()
    assert lesson["id"] not in [item["id"] for item in listed["items"]]
    login(client, "hsa")
    assert client.get(f"/lessons/{lesson['id']}/read").status_code == 403
    assert client.get(f"/lessons/{lesson['id']}/read?draft=1").status_code == 403


def test_publish_without_pages_is_refused(client, db, org):
    teacher = bearer(client, "teacherx")
    lesson = create_draft(client, teacher)
    response = client.post(f"/api/v1/lessons/{lesson['id']}/publish", headers=teacher)
    assert response.status_code == 400 and response.get_json()["error"]["code"] == "no_pages"


def test_pages_reorder_move_and_delete(client, db, org):
    teacher = bearer(client, "teacherx")
    lesson = create_draft(client, teacher)
    ids = [add_page(client, teacher, lesson["id"], f"Trang {n}", "")["id"] for n in (1, 2, 3)]
    url = f"/api/v1/lessons/{lesson['id']}/pages/order"
    assert client.put(url, headers=teacher, json={"page_ids": ids[:2]}).status_code == 400
    ordered = client.put(url, headers=teacher, json={"page_ids": ids[::-1]}).get_json()
    assert [p["title"] for p in ordered] == ["Trang 3", "Trang 2", "Trang 1"]
    login(client, "teacherx")
    token = csrf_token_from(client.get(f"/lessons/{lesson['id']}/edit").get_data(as_text=True))
    client.post(f"/lessons/{lesson['id']}/pages/{ids[0]}/up", data={"csrf_token": token})
    client.post(f"/lessons/{lesson['id']}/pages/{ids[2]}/delete", data={"csrf_token": token})
    html = client.get(f"/lessons/{lesson['id']}/edit").get_data(as_text=True)
    assert html.index("Trang 1") < html.index("Trang 2") and "Trang 3" not in html


# --- check questions ----------------------------------------------------------------------

def test_check_question_keys_never_reach_the_student_before_answering(client, db, org):
    made = published_lesson(client, org, types=("single_choice", "short_text", "true_false"))
    login(client, "hsa")
    html = client.get(f"/lessons/{made['lesson']['id']}/read?page=2").get_data(as_text=True)
    assert html.count('data-testid="check-question"') == 3
    for secret in ("Nhận xét", "Hà Nội", "Đúng rồi", "Sai rồi", "correct", "feedback",
                   "Đáp án", "checked"):
        assert secret not in html, secret
    progress = client.get(f"/api/v1/lessons/{made['lesson']['id']}/progress").get_json()
    assert "Hà Nội" not in str(progress)


def test_answer_gives_feedback_once_and_counts_the_first(client, db, org):
    made = published_lesson(client, org, types=("single_choice",))
    question = made["questions"][0]
    student = bearer(client, "hsa")
    wrong = client.post(_url(made, 2, question), headers=student,
                        json={"response": {"choice": "a"}})
    assert wrong.status_code == 200, wrong.get_json()
    body = wrong.get_json()
    assert body["correct"] is False and body["fraction"] == 0
    assert body["key_html"] == "Phương án B" and "Nhận xét a" in body["feedback_html"]
    again = client.post(_url(made, 2, question), headers=student,
                        json={"response": {"choice": "b"}})
    assert again.status_code == 409 and again.get_json()["error"]["code"] == "already_answered"
    forged = client.post(_url(made, 2, question), headers=student,
                         json={"response": {"choice": "b"}, "score": 1, "user_id": 1})
    assert forged.status_code == 400
    login(client, "hsa")
    html = client.get(f"/lessons/{made['lesson']['id']}/read?page=2").get_data(as_text=True)
    assert 'data-testid="check-feedback"' in html and "Phương án B" in html
    assert 'data-testid="check-answer"' not in html


@pytest.mark.parametrize(("response", "code"), [
    ({"choice": "zz"}, "invalid_response"),
    ({}, "empty_response"),
    ("b", "invalid_response"),
    ({"choice": "b", "extra": "x" * 20000}, "invalid_response"),
])
def test_bad_answers_are_refused_and_nothing_is_stored(client, db, org, response, code):
    made = published_lesson(client, org)
    reply = client.post(_url(made, 2, made["questions"][0]), headers=bearer(client, "hsa"),
                        json={"response": response})
    assert reply.status_code == 400, reply.get_json()
    assert reply.get_json()["error"]["code"] == code
    assert _db.session.scalar(select(func.count()).select_from(LessonItemProgress)) == 0


def test_question_not_on_the_page_is_a_404(client, db, org):
    made = published_lesson(client, org)
    other = bank_questions(org.teacher_x, ("single_choice",))[0]
    _db.session.commit()
    reply = client.post(_url(made, 2, other), headers=bearer(client, "hsa"),
                        json={"response": {"choice": "b"}})
    assert reply.status_code == 404
    reply = client.post(_url(made, 1, made["questions"][0]), headers=bearer(client, "hsa"),
                        json={"response": {"choice": "b"}})
    assert reply.status_code == 404


def test_answering_through_the_page_form(client, db, org):
    made = published_lesson(client, org, types=("true_false_4",))
    lesson_id = made["lesson"]["id"]
    login(client, "hsa")
    html = client.get(f"/lessons/{lesson_id}/read?page=2").get_data(as_text=True)
    question = made["questions"][0]
    page_id = made["pages"][1]["id"]
    response = client.post(f"/lessons/{lesson_id}/read/{page_id}/questions/{question.id}",
                           data={"csrf_token": csrf_token_from(html), "st-a": "true",
                                 "st-b": "false", "st-c": "true", "st-d": "true"})
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"page=2#q-{page_id}-{question.id}")
    row = _db.session.scalar(select(LessonItemProgress).where(
        LessonItemProgress.item == f"question:{page_id}:{question.id}"))
    assert row.score == pytest.approx(0.5)  # three of four statements right
    html = client.get(f"/lessons/{lesson_id}/read?page=2").get_data(as_text=True)
    assert "Chưa đúng." in html and "50%" in html


def test_content_pages_need_a_csrf_token(client, db, org):
    made = published_lesson(client, org)
    login(client, "hsa")
    lesson_id, page_id = made["lesson"]["id"], made["pages"][1]["id"]
    question = made["questions"][0]
    assert client.post(f"/lessons/{lesson_id}/read/{page_id}/questions/{question.id}",
                       data={"choice": "b"}).status_code == 400
    assert client.post(f"/api/v1/lessons/{lesson_id}/pages/{page_id}/viewed"
                       ).status_code == 400
    assert _db.session.scalar(select(func.count()).select_from(LessonItemProgress)) == 0


# --- progress, completion, gradebook seam -------------------------------------------------

def test_completion_needs_every_page_viewed_and_every_question_answered(client, db, org):
    made = published_lesson(client, org, types=("single_choice", "short_numeric"))
    lesson_id = made["lesson"]["id"]
    choice, numeric = made["questions"]
    events = []

    def gradebook(lesson, user_id, status, score, **_):
        events.append((lesson.id, user_id, status, score))

    student = bearer(client, "hsa")
    with on_progress.connected_to(gradebook):
        assert client.post(_url(made, 1), headers=student).get_json()["status"] == "incomplete"
        client.post(_url(made, 1), headers=student)  # viewing again changes nothing
        client.post(_url(made, 2, choice), headers=student, json={"response": {"choice": "b"}})
        progress = client.get(f"/api/v1/lessons/{lesson_id}/progress", headers=student)
        assert progress.get_json()["status"] == "incomplete"
        client.post(_url(made, 2, numeric), headers=student,
                    json={"response": {"text": "27,5"}})
        mid = client.get(f"/api/v1/lessons/{lesson_id}/progress", headers=student).get_json()
        assert mid["status"] == "incomplete" and mid["authored"]["pages_viewed"] == 1
        client.post(_url(made, 2), headers=student)
    done = client.get(f"/api/v1/lessons/{lesson_id}/progress", headers=student).get_json()
    assert done["status"] == "completed" and done["score"] == 100.0
    assert done["completion"] == 1.0 and done["authored"]["questions_answered"] == 2
    user_id = org.student_a.id
    assert events == [(lesson_id, user_id, "incomplete", None),
                      (lesson_id, user_id, "incomplete", 50.0),
                      (lesson_id, user_id, "incomplete", 100.0),
                      (lesson_id, user_id, "completed", 100.0)]
    other = client.get(f"/api/v1/lessons/{lesson_id}/progress",
                       headers=bearer(client, "hsb")).get_json()
    assert other["status"] == "not attempted" and other["score"] is None
    rows = _db.session.scalars(select(LessonProgress)).all()
    assert [(r.user_id, r.status) for r in rows] == [(user_id, "completed")]


def test_a_wrong_answer_still_completes_with_its_score(client, db, org):
    made = published_lesson(client, org, types=("single_choice", "true_false"))
    choice, true_false = made["questions"]
    student = bearer(client, "hsa")
    for page in (1, 2):
        client.post(_url(made, page), headers=student)
    client.post(_url(made, 2, choice), headers=student, json={"response": {"choice": "b"}})
    client.post(_url(made, 2, true_false), headers=student, json={"response": {"value": False}})
    done = client.get(f"/api/v1/lessons/{made['lesson']['id']}/progress",
                      headers=student).get_json()
    assert done["status"] == "completed" and done["score"] == 50.0


def test_drafts_record_no_progress_and_outsiders_record_none(client, db, org):
    teacher = bearer(client, "teacherx")
    lesson = create_draft(client, teacher)
    page = add_page(client, teacher, lesson["id"], "Trang", "<p>x</p>")
    url = f"/api/v1/lessons/{lesson['id']}/pages/{page['id']}/viewed"
    assert client.post(url, headers=teacher).status_code == 404  # not published yet
    assert client.post(url, headers=bearer(client, "hsa")).status_code == 403
    assert _db.session.scalar(select(func.count()).select_from(LessonItemProgress)) == 0



def test_demo_has_a_published_authored_lesson_with_math_and_a_check_question(client, db):
    from lms.curriculum.seed import seed_curriculum
    from lms.demo import PASSWORD, load_demo, remove_demo_accounts
    from lms.lessons.models import Lesson, LessonKind

    seed_curriculum()
    load_demo()
    _db.session.commit()
    lesson = _db.session.scalar(select(Lesson).where(Lesson.kind == LessonKind.AUTHORED))
    assert lesson.published_at is not None
    login(client, "student", PASSWORD)
    assert lesson.title in client.get("/").get_data(as_text=True)
    first = client.get(f"/lessons/{lesson.id}/read").get_data(as_text=True)
    second = client.get(f"/lessons/{lesson.id}/read?page=2").get_data(as_text=True)
    assert "<math" in first and "<math" in second
    assert 'data-testid="check-question"' in second and "Đúng: " not in second
    assert remove_demo_accounts() > 0
    _db.session.commit()
    assert _db.session.scalar(select(func.count()).select_from(Lesson)) == 0


def test_a_scorm_commit_that_moves_status_or_score_reaches_the_gradebook_seam(client, db, org):
    from tests.lms.lessons_helpers import scorm_12_zip, upload

    created = upload(client, bearer(client, "teacherx")["Authorization"][7:], "scorm",
                     scorm_12_zip(), "goi.zip")
    lesson_id = created.get_json()["lesson"]["id"]
    events = []

    def gradebook(lesson, user_id, status, score, **_):
        events.append((lesson.id, user_id, status, score))

    student = bearer(client, "hsa")

    def commit(cmi):
        response = client.post(f"/api/v1/lessons/{lesson_id}/scorm/commit", headers=student,
                               json={"sco": "item1", "cmi": cmi})
        assert response.status_code == 200, response.get_json()

    with on_progress.connected_to(gradebook):
        commit({"cmi.core.lesson_status": "incomplete"})
        commit({"cmi.suspend_data": "trang=2"})  # neither status nor score: no event
        commit({"cmi.core.lesson_status": "passed", "cmi.core.score.raw": "80"})
    user_id = org.student_a.id
    assert events == [(lesson_id, user_id, "incomplete", None),
                      (lesson_id, user_id, "passed", 80.0)]


# --- embedded videos ----------------------------------------------------------------------

def _ready_video(owner, school) -> int:
    """A ready video lesson with one stored rendition and a poster (as the transcode job
    leaves it), without running ffmpeg."""
    from lms.core.storage import storage
    from lms.lessons.models import FileKind, Lesson, LessonFile, LessonKind, LessonState

    video = Lesson(kind=LessonKind.VIDEO, state=LessonState.READY, title="Video bài giảng",
                   owner_id=owner.id, school_id=school.id)
    _db.session.add(video)
    _db.session.flush()
    for kind, name, data, ctype in ((FileKind.RENDITION_360P, "360p.mp4", b"\x00" * 64,
                                     "video/mp4"),
                                    (FileKind.POSTER, "poster.jpg", b"\xff\xd8\xff" + b"0" * 9,
                                     "image/jpeg")):
        key = f"lessons/{video.id}/video/{name}"
        storage().put_stream(key, io.BytesIO(data), len(data), ctype)
        _db.session.add(LessonFile(lesson_id=video.id, kind=kind, key=key, size=len(data),
                                   content_type=ctype, path=name))
    _db.session.commit()
    return video.id


def test_embedded_video_is_served_through_the_lesson_and_watching_is_recorded(client, db, org):
    video_id = _ready_video(org.teacher_x, org.school_x)
    other_video = _ready_video(org.teacher_x, org.school_x)
    teacher = bearer(client, "teacherx")
    lesson = create_draft(client, teacher)
    page = add_page(client, teacher, lesson["id"], "Xem video", f"<p>[[video:{video_id}]]</p>")
    client.post(f"/api/v1/lessons/{lesson['id']}/publish", headers=teacher)
    student_y = bearer(client, "hsy")  # another school: cannot open the video lesson itself
    assert client.get(f"/api/v1/lessons/{video_id}", headers=student_y).status_code == 403
    base = f"/api/v1/lessons/{lesson['id']}/videos"
    got = client.get(f"{base}/{video_id}/rendition_360p", headers=student_y)
    assert got.status_code == 200 and got.data == b"\x00" * 64
    assert client.get(f"{base}/{other_video}/rendition_360p",
                      headers=student_y).status_code == 404
    assert client.get(f"{base}/{video_id}/original", headers=student_y).status_code == 404
    login(client, "hsy")
    html = client.get(f"/lessons/{lesson['id']}/read").get_data(as_text=True)
    assert f"{base}/{video_id}/rendition_360p" in html and "data-watched-url" in html
    watched = f"/api/v1/lessons/{lesson['id']}/pages/{page['id']}/videos/{video_id}/watched"
    reply = client.post(watched, headers=student_y)
    assert reply.status_code == 200 and reply.get_json()["videos_watched"] == 1
    wrong = f"/api/v1/lessons/{lesson['id']}/pages/{page['id']}/videos/{other_video}/watched"
    assert client.post(wrong, headers=student_y).status_code == 404


def test_the_injection_probe_renders_as_text(client, db, org):
    probe = "< > & &lt; &gt; &amp; ' \\' 碁 \\ \\\\"
    teacher = bearer(client, "teacherx")
    lesson = create_draft(client, teacher, title=probe)
    mxss = ('<noscript><p title="</noscript><img src=x onerror=alert(1)>"></noscript>'
            '<math><mtext><table><mglyph><style><img src=x onerror=alert(2)>')
    add_page(client, teacher, lesson["id"], probe, f"<p>{probe}</p>{mxss}")
    client.post(f"/api/v1/lessons/{lesson['id']}/publish", headers=teacher)
    login(client, "hsa")
    html = client.get(f"/lessons/{lesson['id']}/read").get_data(as_text=True)
    main = html.split("<main", 1)[1].split("</main>", 1)[0]
    for needle in ("onerror", "<noscript", "alert(", "<style", "<mglyph"):
        assert needle not in main, needle
    assert "碁" in main and "&lt; &gt; &amp;" in main
    library = client.get("/lessons/library").get_data(as_text=True)
    assert "&lt; &gt; &amp; &amp;lt;" in library
