"""Online tests, the teacher's side after creation (settings, overrides, pre-generated
attempts) and the attempt actions of practice and sequential navigation.

Overrides are set only by the exam's manager: a student (or another teacher) gets 403 and
nothing changes (security.md 14). Bodies are strict like the rest of the API.
"""

from flask import url_for
from flask_smorest import Blueprint
from marshmallow import Schema, fields, validate

from lms.api import require_user
from lms.api.exams import EmptySchema, SettingsSchema, managed_exam
from lms.core.models import utcnow
from lms.exams import logic, manage, navigation, practice, pregeneration, services
from lms.extensions import db

blp = Blueprint("api_exam_manage", __name__, url_prefix="/api/v1",
                description="Bài kiểm tra: cài đặt, thời gian riêng, luyện tập")


class OverrideSchema(Schema):
    extra_time_minutes = fields.Integer(allow_none=True, validate=validate.Range(
        min=0, max=manage.MAX_EXTRA_MINUTES))
    opens_at = fields.String(allow_none=True, metadata={"description": "ISO 8601; naive = UTC"})
    closes_at = fields.String(allow_none=True)
    extra_attempts = fields.Integer(allow_none=True, validate=validate.Range(
        min=0, max=manage.MAX_EXTRA_ATTEMPTS))


class NextSchema(Schema):
    slot = fields.Integer(required=True, metadata={
        "description": "The slot the student is leaving; resending the same request is a no-op."})


def settings_view(exam) -> dict:
    """The stored settings without the access code's hash."""
    settings = {k: v for k, v in exam.settings.items() if k != "access_code_hash"}
    for key in ("mode", "navigation"):
        settings[key] = logic.setting(exam.settings, key)
    settings["access_code_set"] = bool(logic.setting(exam.settings,
                                                              "access_code_hash"))
    return settings


def exam_view(exam) -> dict:
    return {"id": exam.id, "title": exam.title, "state": exam.state.value,
            "settings": settings_view(exam),
            "assignments": [{"id": a.id, "class_id": a.class_id,
                             "group_override": manage.override_of(a, None),
                             "overrides": {uid: manage.override_of(a, int(uid))
                                           for uid in sorted(a.overrides or {})}}
                            for a in sorted(exam.assignments, key=lambda a: a.id)]}


@blp.get("/exams/<int:exam_id>")
@blp.response(200)
def get_exam(exam_id):
    """The test with its settings, assignments and overrides, for its manager."""
    user, exam = managed_exam(exam_id)
    return exam_view(exam)


@blp.patch("/exams/<int:exam_id>/settings")
@blp.arguments(SettingsSchema)
@blp.response(200)
def update_settings(body, exam_id):
    """Change settings (the same shorthand as creation); open attempts' deadlines follow."""
    user, exam = managed_exam(exam_id)
    manage.update_settings(user, exam, body)
    db.session.commit()
    return exam_view(exam)


@blp.put("/exams/<int:exam_id>/overrides/<int:user_id>")
@blp.arguments(OverrideSchema)
@blp.response(200)
def put_student_override(body, exam_id, user_id):
    """Replace one student's override ({} clears it); it wins over the class's override."""
    user, exam = managed_exam(exam_id)
    assignment = manage.put_student_override(user, exam, user_id, body)
    db.session.commit()
    return {"user_id": user_id, "assignment_id": assignment.id,
            "override": manage.override_of(assignment, user_id)}


@blp.put("/exams/<int:exam_id>/assignments/<int:assignment_id>/override")
@blp.arguments(OverrideSchema)
@blp.response(200)
def put_group_override(body, exam_id, assignment_id):
    """Replace the override of a whole assigned class ({} clears it)."""
    user, exam = managed_exam(exam_id)
    assignment = manage.assignment_of(exam, assignment_id)
    manage.put_group_override(user, exam, assignment, body)
    db.session.commit()
    return {"assignment_id": assignment.id, "override": manage.override_of(assignment, None)}


@blp.post("/exams/<int:exam_id>/pregenerate")
@blp.arguments(EmptySchema)
@blp.response(200)
@blp.alt_response(202, description="Lớp đông: đã giao cho tác vụ nền; theo dõi ở status_url "
                                   "(GET /api/v1/tasks/<task_id>). Gửi lại khi tác vụ đang chạy "
                                   "trả về cùng tác vụ.")
def pregenerate(_body, exam_id):
    """Pending attempts for every student of the assigned classes, so starting is cheap:
    200 ``{created, pending, students}`` when done at once, 202 ``{task_id, state,
    status_url}`` for more than ``HOCLIEU_EXAM_PREGENERATE_INLINE_MAX`` students."""
    user, exam = managed_exam(exam_id)
    outcome = pregeneration.request_pregeneration(user, exam)
    db.session.commit()
    if "report" in outcome:
        return outcome["report"]
    task = outcome["task"]
    return {"task_id": task.id, "state": task.state.value,
            "status_url": url_for("api_tasks.get_task", task_id=task.id)}, 202


@blp.post("/attempts/<int:attempt_id>/check/<int:slot>")
@blp.arguments(EmptySchema)
@blp.response(200)
def check_slot(_body, attempt_id, slot):
    """Practice only: fraction, parts, correct answer and feedback of the saved answer; the
    answer is then final (later saves of the slot → 409 ``checked``)."""
    user = require_user()
    review = practice.check_slot(user, attempt_id, slot, utcnow())
    db.session.commit()
    return review


@blp.post("/attempts/<int:attempt_id>/next")
@blp.arguments(NextSchema)
@blp.response(200)
def next_question(body, attempt_id):
    """Sequential navigation: leave ``slot`` for the next question; no way back."""
    user = require_user()
    attempt = navigation.advance(user, attempt_id, body["slot"])
    db.session.commit()
    return {"position": attempt.position, "slot": attempt.order[attempt.position],
            "server_time": services.iso(utcnow())}
