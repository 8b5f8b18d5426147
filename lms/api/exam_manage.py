"""Online tests, the teacher's side after creation (settings, assignments to classes,
units and groups and unassigning them, overrides, pre-generated attempts) and the attempt
actions of practice and sequential navigation.

Overrides are set only by the exam's manager: a student (or another teacher) gets 403 and
nothing changes (security.md 14). Bodies are strict like the rest of the API.
"""

from flask import url_for
from flask_smorest import Blueprint
from marshmallow import Schema, fields, validate

from lms.api import require_user
from lms.api.exams import (
    TIME_DOC,
    AssignSchema,
    EmptySchema,
    MatrixSchema,
    SettingsSchema,
    managed_exam,
)
from lms.api.schemas import MAX_SLOT, Count, Id
from lms.core.models import utcnow
from lms.exams import (
    assignments,
    logic,
    manage,
    matrix,
    navigation,
    practice,
    pregeneration,
    services,
    variants,
)
from lms.exams.teacher_nav import exam_warnings
from lms.kernel import db

blp = Blueprint("api_exam_manage", __name__, url_prefix="/api/v1",
                description="Bài kiểm tra: cài đặt, giao bài, thời gian riêng, luyện tập")


class OverrideSchema(Schema):
    extra_time_minutes = fields.Integer(allow_none=True, validate=validate.Range(
        min=0, max=manage.MAX_EXTRA_MINUTES))
    opens_at = fields.String(allow_none=True, metadata={"description": TIME_DOC})
    closes_at = fields.String(allow_none=True, metadata={"description": TIME_DOC})
    extra_attempts = fields.Integer(allow_none=True, validate=validate.Range(
        min=0, max=manage.MAX_EXTRA_ATTEMPTS))


class UnassignArgs(Schema):
    close_open = fields.Boolean(load_default=False, metadata={
        "description": "Collect the attempts still in progress (finish them now with their "
                       "saved answers) instead of refusing with 409 open_attempts."})


class SampleDrawArgs(Schema):
    seed = fields.Integer(load_default=None, validate=validate.Range(
        min=0, max=2 ** variants.SEED_BITS - 1), metadata={
        "description": "Repeat the draw this seed gave (every reply names its seed); "
                       "omitted: a fresh draw."})


class MatrixEditSchema(Schema):
    matrix = fields.Nested(MatrixSchema, required=True)
    title = fields.String(metadata={"description": "New title; omitted: unchanged."})
    settings = fields.Nested(SettingsSchema, metadata={
        "description": "Laid over the current settings; omitted keys unchanged."})


class MembersSchema(Schema):
    student_ids = fields.List(Id(), required=True, metadata={
        "description": "The group's whole new member list (duplicates ignored)."})


class NextSchema(Schema):
    slot = Count(MAX_SLOT, 1, required=True, metadata={
        "description": "The slot the student is leaving; resending the same request is a no-op."})


def settings_view(exam) -> dict:
    """The stored settings without the access code's hash."""
    settings = {k: v for k, v in exam.settings.items() if k != "access_code_hash"}
    for key in ("mode", "navigation"):
        settings[key] = logic.setting(exam.settings, key)
    settings["access_code_set"] = bool(logic.setting(exam.settings,
                                                              "access_code_hash"))
    return settings


def assignments_view(exam) -> list[dict]:
    return [assignments.assignment_view(row) for row in assignments.assignment_rows(exam)]


def exam_view(exam) -> dict:
    return {"id": exam.id, "title": exam.title, "state": exam.state.value,
            "settings": settings_view(exam), "assignments": assignments_view(exam),
            "warnings": [{"code": code, "message": str(message)}
                         for code, message in exam_warnings(exam).items()]}


@blp.get("/exams/<id:exam_id>")
@blp.response(200)
def get_exam(exam_id):
    """The test with its settings, assignments and overrides, for its manager; ``warnings``
    lists settings that work but defeat the test (``answers_before_last_attempt``)."""
    user, exam = managed_exam(exam_id)
    return exam_view(exam)


@blp.patch("/exams/<id:exam_id>/settings")
@blp.arguments(SettingsSchema)
@blp.response(200)
def update_settings(body, exam_id):
    """Change settings (the same shorthand as creation); open attempts' deadlines follow."""
    user, exam = managed_exam(exam_id)
    manage.update_settings(user, exam, body)
    db.session.commit()
    return exam_view(exam)


@blp.get("/exams/<id:exam_id>/assignments")
@blp.response(200)
def list_assignments(exam_id):
    """The test's assignments, oldest first: ``kind`` (class | unit | group), ``label``,
    ``students`` reached, a group's ``name`` and ``student_ids``, and the overrides."""
    user, exam = managed_exam(exam_id)
    return {"assignments": assignments_view(exam)}


@blp.post("/exams/<id:exam_id>/assignments")
@blp.arguments(AssignSchema)
@blp.response(201)
@blp.alt_response(400, description="Lớp/đơn vị/học sinh không tồn tại (unknown_class, "
                  "unknown_unit, unknown_students), nhóm rỗng (empty_group)")
@blp.alt_response(403, description="Không được giao cho lớp/đơn vị/học sinh này "
                  "(not_your_students: details.student_ids)")
@blp.alt_response(409, description="Đã có nhóm cùng tên (group_exists)")
def add_assignments(body, exam_id):
    """Give the test to more classes, units or groups (nhóm); a class or unit already
    assigned is not doubled. Returns the ids made and the whole list."""
    user, exam = managed_exam(exam_id)
    made = assignments.assign(user, exam, **body)
    db.session.commit()
    return {"created": [a.id for a in made], "assignments": assignments_view(exam)}


@blp.put("/exams/<id:exam_id>/matrix")
@blp.arguments(MatrixEditSchema)
@blp.response(200)
@blp.alt_response(400, description="Ngân hàng thiếu câu cho ô nào đó (matrix_short: "
                                   "details.cells); không có gì thay đổi")
@blp.alt_response(409, description="Bài đã phát hành (published) hoặc chọn câu bằng tay "
                                   "(no_matrix)")
def put_matrix(body, exam_id):
    """A draft's new matrix (the page's “Sửa ma trận đề”): the bank is checked again as at
    creation and the questions are drawn anew. Returns ``{"id", "title", "questions"}``."""
    user, exam = managed_exam(exam_id)
    matrix.update_exam_matrix(user, exam, body.get("title", exam.title), body["matrix"],
                              body.get("settings"))
    db.session.commit()
    return {"id": exam.id, "title": exam.title, "questions": len(exam.selection or [])}


@blp.get("/exams/<id:exam_id>/sample-draw")
@blp.arguments(SampleDrawArgs, location="query")
@blp.response(200)
@blp.alt_response(400, description="Bài không bốc câu ngẫu nhiên (not_random_draw)")
def sample_draw(args, exam_id):
    """A sample random draw (the page's “Xem thử một đề rút ngẫu nhiên”): one paper drawn as
    a student starting now would get it, numbered, with its key, ``seed`` and ``points``;
    nothing is stored. Drafts draw from each question's current version."""
    user, exam = managed_exam(exam_id)
    return variants.sample_draw(user, exam, args["seed"])


@blp.delete("/exams/<id:exam_id>/assignments/<id:assignment_id>")
@blp.arguments(UnassignArgs, location="query")
@blp.response(200)
@blp.alt_response(404, description="Không có lượt giao này trong bài")
@blp.alt_response(409, description="Còn học sinh đang làm bài (open_attempts: "
                  "details.open_attempts); thêm ?close_open=true để thu bài rồi bỏ giao")
def unassign(args, exam_id, assignment_id):
    """Unassign (bỏ giao) a class, unit or group. Attempts already made are kept and still
    listed in results and reports; pre-generated attempts nobody started are deleted.
    Returns ``attempts_kept``, ``closed`` and ``pending_removed``."""
    user, exam = managed_exam(exam_id)
    assignment = manage.assignment_of(exam, assignment_id)
    report = assignments.unassign(user, exam, assignment, close_open=args["close_open"])
    db.session.commit()
    return report


@blp.put("/exams/<id:exam_id>/assignments/<id:assignment_id>/members")
@blp.arguments(MembersSchema)
@blp.arguments(UnassignArgs, location="query")
@blp.response(200)
@blp.alt_response(409, description="Một học sinh bị bỏ ra đang làm bài (open_attempts); "
                  "thêm ?close_open=true để thu bài của các em đó")
def put_members(body, args, exam_id, assignment_id):
    """Replace a group's members (same checks as making it: empty_group, unknown_students,
    not_your_students; not a group → 400 not_a_group). Students taken out are handled as an
    unassign is, for them only; their finished attempts are kept. Returns ``students``,
    ``added``, ``removed``, ``closed``, ``pending_removed``."""
    user, exam = managed_exam(exam_id)
    assignment = manage.assignment_of(exam, assignment_id)
    report = assignments.set_members(user, exam, assignment, body["student_ids"],
                                     close_open=args["close_open"])
    db.session.commit()
    return report


@blp.put("/exams/<id:exam_id>/overrides/<id:user_id>")
@blp.arguments(OverrideSchema)
@blp.response(200)
def put_student_override(body, exam_id, user_id):
    """Replace one student's override ({} clears it); it wins over the class's override."""
    user, exam = managed_exam(exam_id)
    assignment = manage.put_student_override(user, exam, user_id, body)
    db.session.commit()
    return {"user_id": user_id, "assignment_id": assignment.id,
            "override": manage.override_of(assignment, user_id)}


@blp.put("/exams/<id:exam_id>/assignments/<id:assignment_id>/override")
@blp.arguments(OverrideSchema)
@blp.response(200)
def put_group_override(body, exam_id, assignment_id):
    """Replace the override of a whole assigned class, unit or group ({} clears it)."""
    user, exam = managed_exam(exam_id)
    assignment = manage.assignment_of(exam, assignment_id)
    manage.put_group_override(user, exam, assignment, body)
    db.session.commit()
    return {"assignment_id": assignment.id, "override": manage.override_of(assignment, None)}


@blp.post("/exams/<id:exam_id>/pregenerate")
@blp.arguments(EmptySchema)
@blp.response(200)
@blp.alt_response(202, description="Lớp đông: đã giao cho tác vụ nền; theo dõi ở status_url "
                                   "(GET /api/v1/tasks/<task_id>). Gửi lại khi tác vụ đang chạy "
                                   "trả về cùng tác vụ.")
def pregenerate(_body, exam_id):
    """Pending attempts for every student the test reaches (class, group, unit), so
    starting is cheap: 200 ``{created, pending, students}`` when done at once, 202
    ``{task_id, state, status_url}`` for more than ``HOCLIEU_EXAM_PREGENERATE_INLINE_MAX``
    students."""
    user, exam = managed_exam(exam_id)
    outcome = pregeneration.request_pregeneration(user, exam)
    db.session.commit()
    if "report" in outcome:
        return outcome["report"]
    task = outcome["task"]
    return {"task_id": task.id, "state": task.state.value,
            "status_url": url_for("api_tasks.get_task", task_id=task.id)}, 202


@blp.post("/attempts/<id:attempt_id>/check/<int:slot>")
@blp.arguments(EmptySchema)
@blp.response(200)
def check_slot(_body, attempt_id, slot):
    """Practice only: fraction, parts, correct answer and feedback of the saved answer; the
    answer is then final (later saves of the slot → 409 ``checked``)."""
    user = require_user()
    review = practice.check_slot(user, attempt_id, slot, utcnow())
    db.session.commit()
    return review


@blp.post("/attempts/<id:attempt_id>/next")
@blp.arguments(NextSchema)
@blp.response(200)
def next_question(body, attempt_id):
    """Sequential navigation: leave ``slot`` for the next question; no way back."""
    user = require_user()
    attempt = navigation.advance(user, attempt_id, body["slot"])
    db.session.commit()
    return {"position": attempt.position, "slot": attempt.order[attempt.position],
            "server_time": services.iso(utcnow())}
