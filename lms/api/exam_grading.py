"""Grading, regrade, reports and item analysis of a test, for its owner (issue 4 §4).

Bodies are strict (unknown fields → 400). Another teacher or a student gets 403 on an exam
and 404 on an attempt, with nothing about the exam or attempt in the error.
"""

from flask_smorest import Blueprint
from marshmallow import Schema, fields, validate

from lms.api import require_user
from lms.api.schemas import MAX_SLOT, Count
from lms.exams import grading, reports, services
from lms.exams.models import Exam
from lms.kernel import db

blp = Blueprint("api_exam_grading", __name__, url_prefix="/api/v1",
                description="Chấm bài, chấm lại, báo cáo")


class QueueArgs(Schema):
    blind = fields.Boolean(load_default=False)
    include_graded = fields.Boolean(load_default=False)


class GradeSchema(Schema):
    points = fields.Raw(metadata={"description": "Points earned, 0 … the slot's points "
                                  "(string like \"1.5\" or a number); or send rubric."})
    rubric = fields.Dict(keys=fields.String(), values=fields.Raw(),
                         metadata={"description": "{criterion: points} for every criterion "
                                   "of the essay's rubric"})
    comment = fields.String(load_default="", validate=validate.Length(max=4000))
    child = Count(MAX_SLOT, load_default=None, allow_none=True,
                           metadata={"description": "Index of an essay child of a stimulus "
                                     "that also has objective children (as the queue's "
                                     "item.child); omit for a whole slot."})


class RegradeSchema(Schema):
    slot = Count(MAX_SLOT, 1, required=True)
    payload = fields.Dict(required=True, metadata={"description": "The corrected question "
                          "payload: same type and ids as the slot's current payload."})
    dry_run = fields.Boolean(load_default=True)


def _exam(user, exam_id: int, action: str = "exam.grade") -> Exam:
    return services.exam_for(user, exam_id, action)


@blp.get("/exams/<id:exam_id>/grading")
@blp.arguments(QueueArgs, location="query")
@blp.response(200)
def grading_queue(args, exam_id):
    """Answers waiting for a teacher (essays); ``blind=true`` hides students, shuffles."""
    user = require_user()
    exam = _exam(user, exam_id)
    return grading.queue(user, exam, blind=args["blind"], include_graded=args["include_graded"])


@blp.put("/attempts/<id:attempt_id>/grades/<int:slot>")
@blp.arguments(GradeSchema)
@blp.response(200)
def put_grade(body, attempt_id, slot):
    """Grade one essay answer (or, with ``child``, one essay child of a stimulus) with points
    or a rubric and a comment; the attempt's score and grade are re-totalled."""
    user = require_user()
    child = body.get("child")
    grade = grading.set_grade(user, attempt_id, slot, points=body.get("points"),
                              rubric=body.get("rubric"), comment=body.get("comment"),
                              child=child)
    attempt = grading.gradable_attempt(user, attempt_id)
    db.session.commit()
    reply = {"attempt_id": attempt.id, "slot": slot, "grade": grading.grade_view(grade, child),
             "score": str(attempt.score), "attempt_grade": str(attempt.grade)}
    if child is not None:
        reply["child"] = child
    return reply


@blp.post("/exams/<id:exam_id>/regrade")
@blp.arguments(RegradeSchema)
@blp.response(200)
def regrade(body, exam_id):
    """Score every finished attempt against a corrected key; ``dry_run`` (default) only
    reports, otherwise the snapshot and the scores change in one transaction."""
    user = require_user()
    exam = _exam(user, exam_id, "exam.manage")
    report = grading.regrade(user, exam, body["slot"], body["payload"], body["dry_run"])
    if body["dry_run"]:
        db.session.rollback()
    else:
        db.session.commit()
    return report


@blp.get("/exams/<id:exam_id>/report")
@blp.response(200)
def exam_report(exam_id):
    """Per test, class and student: final grades, mean, median, σ, histogram."""
    user = require_user()
    return reports.exam_report(user, _exam(user, exam_id))


@blp.get("/exams/<id:exam_id>/item-analysis")
@blp.response(200)
def item_analysis(exam_id):
    """Facility, discrimination, point-biserial, distractors per question; Cronbach's α."""
    user = require_user()
    return reports.item_report(user, _exam(user, exam_id))
