"""Online tests: build and publish (teachers), start/save/submit/read attempts (students).

The attempt contract is issue 4 §3. Bodies are strict: any field not listed (``state``,
``score``, ``deadline``, ``user_id`` …) is a 400 (security.md 4).
"""

from flask_babel import lazy_gettext as _l
from flask_smorest import Blueprint
from marshmallow import Schema, fields, validate

from lms.api import require_user
from lms.auth.permissions import require
from lms.core.errors import DomainError, NotFound
from lms.core.models import utcnow
from lms.exams import services
from lms.exams.models import Exam
from lms.extensions import db
from lms.org.models import SchoolClass

blp = Blueprint("api_exams", __name__, url_prefix="/api/v1", description="Bài kiểm tra")


class SettingsSchema(Schema):
    time_limit_minutes = fields.Integer(validate=validate.Range(min=0, max=24 * 60))
    opens_at = fields.String(allow_none=True)
    closes_at = fields.String(allow_none=True)
    attempts = fields.Integer(validate=validate.Range(min=0, max=100))
    shuffle_questions = fields.Boolean()
    shuffle_options = fields.Boolean()
    review = fields.String(validate=validate.OneOf(["immediately", "after_close", "never"]))
    late_policy = fields.String(validate=validate.OneOf(["autosubmit", "grace", "discard"]))
    grace_seconds = fields.Integer(validate=validate.Range(min=0, max=3600))
    grading_method = fields.String(validate=validate.OneOf(["highest", "last", "first",
                                                            "average"]))
    rounding = fields.String(validate=validate.OneOf(["0.01", "0.1", "0.25", "0.5", "1"]))


class AssignSchema(Schema):
    class_ids = fields.List(fields.Integer(), required=True)


class ExamCreateSchema(Schema):
    title = fields.String(required=True)
    question_ids = fields.List(fields.Integer(), required=True,
                               validate=validate.Length(min=1, max=200))
    points = fields.Dict(keys=fields.String(), values=fields.Decimal(as_string=True))
    settings = fields.Nested(SettingsSchema)
    assign = fields.Nested(AssignSchema)
    publish = fields.Boolean(load_default=False)


class AnswerSchema(Schema):
    response = fields.Raw(required=True, allow_none=True,
                          metadata={"description": "By type: single_choice {choice}, "
                                    "multiple_response {choices}, true_false {value}, "
                                    "true_false_4 {statements}, short_text/short_numeric {text},"
                                    " matching {pairs}, ordering {order}, cloze {gaps}, "
                                    "essay {text}; ids from the start payload."})
    seq = fields.Integer(required=True, validate=validate.Range(min=0, max=2**31 - 1))


class EmptySchema(Schema):
    """No body fields are accepted."""


def _commit_keeping_loaded() -> None:
    """Commit without expiring what the session holds: the objects were just written by this
    transaction, so reading them back (one query per object) would only repeat them."""
    session = db.session()
    session.expire_on_commit = False
    try:
        session.commit()
    finally:
        session.expire_on_commit = True


def _exam(exam_id: int) -> Exam:
    exam = services.get_exam(exam_id)
    if exam is None:
        raise NotFound(_l("Không tìm thấy bài kiểm tra."))
    return exam


@blp.post("/exams")
@blp.arguments(ExamCreateSchema)
@blp.response(201)
def create_exam(body):
    """Create a test from bank question ids; optionally assign it to classes and publish."""
    user = require_user()
    exam = services.create_exam(user, body["title"], body["question_ids"], body.get("points"),
                                body.get("settings"))
    if body["publish"]:
        services.publish(user, exam)
    for class_id in body.get("assign", {}).get("class_ids", []):
        school_class = db.session.get(SchoolClass, class_id)
        if school_class is None:
            raise DomainError(_l("Lớp mã %(id)s không tồn tại.", id=class_id),
                              code="unknown_class")
        services.assign_to_class(user, exam, school_class)
    db.session.commit()
    return {"id": exam.id, "state": exam.state.value}


@blp.get("/classes")
@blp.response(200)
def my_classes():
    """The caller's classes (as teacher or student) with ids and names, for ``assign``."""
    user = require_user()
    seen = {}
    for m in user.memberships:
        if m.school_class is not None and m.class_id not in seen:
            seen[m.class_id] = {"id": m.class_id, "name": m.school_class.name,
                                "school": m.unit.name, "role": m.role.value}
    return {"classes": sorted(seen.values(), key=lambda c: c["name"])}


@blp.post("/exams/<int:exam_id>/publish")
@blp.response(200)
def publish_exam(exam_id):
    """Freeze the questions and open the test to its assignments."""
    user = require_user()
    exam = _exam(exam_id)
    require(user, "exam.manage", exam)
    services.publish(user, exam)
    db.session.commit()
    return {"id": exam.id, "state": exam.state.value}


@blp.get("/exams/<int:exam_id>/results")
@blp.response(200)
def exam_results(exam_id):
    """Every attempt's state and score, for the test's owner."""
    user = require_user()
    exam = _exam(exam_id)
    require(user, "exam.manage", exam)
    return {"attempts": services.results(user, exam)}


@blp.post("/exams/<int:exam_id>/attempts")
@blp.arguments(EmptySchema)
@blp.response(200)
def start_attempt(_body, exam_id):
    """Start or resume: attempt id, deadline, server time, questions (no keys), saved answers."""
    user = require_user()
    exam = _exam(exam_id)
    now = utcnow()
    attempt, created = services.start_or_resume(user, exam, now)
    if created:
        _commit_keeping_loaded()  # release SQLite's write lock before building the payload
        return services.start_payload(attempt, now, answers={})
    payload = services.start_payload(attempt, now)
    db.session.commit()
    return payload


@blp.put("/attempts/<int:attempt_id>/answers/<int:slot>")
@blp.arguments(AnswerSchema)
@blp.response(200)
def save_answer(body, attempt_id, slot):
    """Upsert one answer, committed before the 200; an older or equal seq is ignored."""
    user = require_user()
    now = utcnow()
    saved = services.save_answer(user, attempt_id, slot, body["response"], body["seq"], now)
    db.session.commit()
    return {"slot": slot, "saved_seq": saved, "server_time": services.iso(now)}


@blp.post("/attempts/<int:attempt_id>/submit")
@blp.arguments(EmptySchema)
@blp.response(200)
def submit_attempt(_body, attempt_id):
    """Finish the attempt exactly once and grade the stored answers."""
    user = require_user()
    now = utcnow()
    attempt = services.submit(user, attempt_id, now)
    _commit_keeping_loaded()
    return services.attempt_review(attempt, now)


@blp.get("/attempts/<int:attempt_id>")
@blp.response(200)
def get_attempt(attempt_id):
    """State, saved answers and the result as the review policy allows."""
    user = require_user()
    attempt = services.own_attempt(user, attempt_id)
    return services.attempt_review(attempt)
