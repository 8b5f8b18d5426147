"""Online tests: build and publish (teachers), start/save/submit/read attempts (students).

The attempt contract is issue 4 §3. Bodies are strict: any field not listed (``state``,
``score``, ``deadline``, ``user_id`` …) is a 400 (security.md 4).
"""

import functools

from flask import request
from flask_smorest import Blueprint
from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from lms.api import require_user
from lms.api.schemas import Id, Moment
from lms.core.errors import DomainError
from lms.core.models import utcnow
from lms.exams import access, assignments, audience, integrity, logic, matrix, services, variants
from lms.exams.models import AttemptEventKind, Exam
from lms.kernel import db

blp = Blueprint("api_exams", __name__, url_prefix="/api/v1", description="Bài kiểm tra")


def _review(value) -> None:
    """A preset name, or a grid {item: when} over logic.REVIEW_ITEMS × logic.WHENS."""
    if isinstance(value, str) and value in logic.REVIEW_PRESETS:
        return
    if isinstance(value, dict) and value and all(
            k in logic.REVIEW_ITEMS and v in logic.WHENS for k, v in value.items()):
        return
    raise ValidationError(f"immediately | after_close | never, or {{item: when}} with item in "
                          f"{', '.join(logic.REVIEW_ITEMS)} and when in {', '.join(logic.WHENS)}")


def _points(value) -> None:
    if logic.parse_points(value) is None:
        raise ValidationError(str(services.POINTS_MESSAGE))


def Points(metadata: dict | None = None, **kwargs) -> fields.Decimal:  # noqa: N802
    """A question's points: ``logic.parse_points`` decides (more than 0, at most 100, two
    decimals); the bounds are documented as numbers (a Range validator on a Decimal field
    would print them as strings in the OpenAPI document)."""
    bounds = {"exclusiveMinimum": 0, "maximum": int(logic.MAX_POINTS),
              "multipleOf": float(logic.POINTS_STEP)}
    return fields.Decimal(validate=_points, metadata={**bounds, **(metadata or {})}, **kwargs)


#: How window times are written (lms.core.moments decides; a bad one is 400 invalid_time).
TIME_DOC = "ISO 8601 (an offset or Z; none means UTC), in the years 2000–2099"


class SettingsSchema(Schema):
    time_limit_minutes = fields.Integer(validate=validate.Range(min=0, max=24 * 60))
    opens_at = fields.String(allow_none=True, metadata={"description": TIME_DOC})
    closes_at = fields.String(allow_none=True, metadata={"description": TIME_DOC})
    attempts = fields.Integer(validate=validate.Range(min=0, max=100))
    shuffle_questions = fields.Boolean()
    shuffle_options = fields.Boolean()
    review = fields.Raw(validate=_review, metadata={
        "description": "immediately | after_close | never, or a grid {responses, correctness, "
                       "score, correct_answers, feedback: during | after_submit | after_close | "
                       "never}"})
    late_policy = fields.String(validate=validate.OneOf(["autosubmit", "grace", "discard"]))
    grace_seconds = fields.Integer(validate=validate.Range(min=0, max=3600))
    grading_method = fields.String(validate=validate.OneOf(["highest", "last", "first",
                                                            "average"]))
    rounding = fields.String(validate=validate.OneOf(logic.ROUNDINGS))
    access_code = fields.String(allow_none=True, validate=validate.Length(max=64), metadata={
        "description": "Students type it to start; stored hashed. \"\" or null removes it."})
    mode = fields.String(validate=validate.OneOf(logic.MODES))
    navigation = fields.String(validate=validate.OneOf(logic.NAVIGATIONS))
    generation = fields.String(
        validate=validate.OneOf(variants.GENERATIONS),
        metadata={"description": "fixed: one paper; variants: variant_count shuffled papers "
                  "with codes (mã đề), made at publish; random_draw: each attempt draws its own "
                  "questions from the matrix (needs `matrix`)."})
    variant_count = fields.Integer(validate=validate.Range(min=1, max=variants.MAX_VARIANTS))
    code_digits = fields.Integer(validate=validate.OneOf(variants.CODE_DIGITS),
                                 metadata={"description": "Digits of each mã đề: 3 or 4."})
    variant_assignment = fields.String(
        validate=validate.OneOf(variants.ASSIGNMENTS),
        metadata={"description": "round_robin: the n-th attempt gets variant n mod N; random."})


class GroupSchema(Schema):
    """A group (nhóm): students picked by hand, within or across classes."""

    name = fields.String(required=True, validate=validate.Length(
        min=1, max=audience.MAX_GROUP_NAME), metadata={"example": "Nhóm thi lại"})
    student_ids = fields.List(Id(), required=True, validate=validate.Length(
        max=audience.MAX_GROUP), metadata={
        "description": "Students the caller teaches or manages (duplicates ignored). Empty → "
                       "400 empty_group; not a student → 400 unknown_students; a student "
                       "outside the caller's classes → 403 not_your_students; "
                       "details.student_ids names them."})


class AssignSchema(Schema):
    class_ids = fields.List(Id(), load_default=list)
    unit_ids = fields.List(Id(), load_default=list, metadata={
        "description": "Schools, district offices or the department: every class below the "
                       "unit takes the test (its leader or an administrator above assigns)."})
    groups = fields.List(fields.Nested(GroupSchema), load_default=list, metadata={
        "description": "Groups of students; a student's class assignment wins over a group, "
                       "a group over a unit (its window and overrides apply)."})


class MatrixCellSchema(Schema):
    """One cell: how many questions of a topic at a cognitive level, and points for each."""

    topic_id = Id(required=True, metadata={
        "description": "A topic (chapter or lesson topic) of the subject and grade; a chapter "
                       "also takes the questions of its topics."})
    level = fields.String(required=True, validate=validate.Length(min=1, max=10), metadata={
        "description": "Level code of the scale: NB, TH, VD, VDC (4LEVEL) or BIET, HIEU, VD "
                       "(3LEVEL)."})
    count = fields.Integer(required=True,
                           validate=validate.Range(min=1, max=matrix.MAX_CELL_COUNT))
    points = Points(required=True, metadata={"description": "Points per question, e.g. "
                                                            "\"0.25\"."})


class MatrixSectionSchema(Schema):
    """A part of the paper (Phần I, II, III) with one question type."""

    name = fields.String(required=True, validate=validate.Length(min=1, max=60))
    type = fields.String(required=True, validate=validate.OneOf(matrix.SECTION_TYPES), metadata={
        "description": "2025 format: Phần I single_choice, Phần II true_false_4, "
                       "Phần III short_numeric."})
    cells = fields.List(fields.Nested(MatrixCellSchema), required=True,
                        validate=validate.Length(min=1, max=matrix.MAX_CELLS))


class MatrixSchema(Schema):
    """A blueprint (ma trận đề): rows are topics, columns cognitive levels, in sections."""

    subject = fields.String(required=True, metadata={"description": "Subject code, e.g. TOAN."})
    grade = fields.Integer(required=True, validate=validate.Range(min=1, max=12))
    scale = fields.String(load_default=matrix.DEFAULT_SCALE,
                          validate=validate.OneOf(["4LEVEL", "3LEVEL"]))
    sections = fields.List(fields.Nested(MatrixSectionSchema), required=True,
                           validate=validate.Length(min=1, max=matrix.MAX_SECTIONS))


class ExamCreateSchema(Schema):
    title = fields.String(required=True)
    question_ids = fields.List(Id(), validate=validate.Length(min=1, max=200),
                               metadata={"description": "Hand-picked bank questions in order; "
                                                        "exactly one of question_ids, matrix."})
    matrix = fields.Nested(MatrixSchema, metadata={
        "description": "Build from the bank by a matrix; exactly one of question_ids, matrix. "
                       "A cell the bank cannot fill → 400 matrix_short with details.cells."})
    points = fields.Dict(keys=fields.String(), values=Points(), metadata={
        "description": "{question id: points}; 1 when a question is not listed."})
    settings = fields.Nested(SettingsSchema)
    assign = fields.Nested(AssignSchema)
    publish = fields.Boolean(load_default=False)

    @validates_schema
    def _one_source(self, data, **_kwargs):
        if ("question_ids" in data) == ("matrix" in data):
            raise ValidationError("Exactly one of question_ids and matrix is required.",
                                  field_name="question_ids")
        if "matrix" in data and "points" in data:
            raise ValidationError("With a matrix, points are set per cell.", field_name="points")


class AnswerSchema(Schema):
    response = fields.Raw(required=True, allow_none=True,
                          metadata={"description": "By type: single_choice {choice}, "
                                    "multiple_response {choices}, true_false {value}, "
                                    "true_false_4 {statements}, short_text/short_numeric {text},"
                                    " matching {pairs}, ordering {order}, cloze {gaps}, "
                                    "essay {text}; ids from the start payload."})
    seq = fields.Integer(required=True, validate=validate.Range(min=0, max=2**31 - 1))


class EventSchema(Schema):
    kind = fields.String(required=True,
                         validate=validate.OneOf([k.value for k in AttemptEventKind]))
    at = Moment(required=True, metadata={"description": "ISO 8601; the device's time "
                                          "corrected by the server's clock"})
    detail = fields.Dict(keys=fields.String(validate=validate.Length(max=40)),
                         allow_none=True, metadata={"description": "small flat object"})


class EventsSchema(Schema):
    events = fields.List(fields.Nested(EventSchema), required=True,
                         validate=validate.Length(min=1, max=integrity.MAX_BATCH))


class EmptySchema(Schema):
    """No body fields are accepted."""


class StartSchema(Schema):
    access_code = fields.String(allow_none=True, validate=validate.Length(max=200), metadata={
        "description": "Needed to start (not to resume) when the test has an access code."})


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
    return services.load_exam(exam_id)


def managed_exam(exam_id: int, action: str = "exam.manage"):
    """(the caller, the exam) when the caller may ``action`` it; else 404, whether the test
    is missing or someone else's (``services.exam_for``)."""
    user = require_user()
    return user, services.exam_for(user, exam_id, action)


@blp.post("/exams")
@blp.arguments(ExamCreateSchema)
@blp.response(201)
def create_exam(body):
    """Create a test from bank question ids or a matrix; optionally assign it and publish."""
    user = require_user()
    if "matrix" in body:
        exam = matrix.create_exam_from_matrix(user, body["title"], body["matrix"],
                                              body.get("settings"))
    else:
        exam = services.create_exam(user, body["title"], body["question_ids"],
                                    body.get("points"), body.get("settings"))
    if body["publish"]:
        services.publish(user, exam)
    if "assign" in body:
        assignments.assign(user, exam, **body["assign"])
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


@blp.post("/exams/<id:exam_id>/publish")
@blp.response(200)
def publish_exam(exam_id):
    """Freeze the questions and open the test to its assignments."""
    user, exam = managed_exam(exam_id)
    services.publish(user, exam)
    db.session.commit()
    return {"id": exam.id, "state": exam.state.value}


@blp.get("/exams/<id:exam_id>/results")
@blp.response(200)
def exam_results(exam_id):
    """Every attempt's state and score, for the test's owner."""
    user, exam = managed_exam(exam_id)
    grades = services.final_grades(user, exam)
    return {"attempts": services.results(user, exam),
            "final_grades": [{"user_id": uid, "grade": None if g is None else str(g)}
                             for uid, g in sorted(grades.items())]}


@blp.get("/exams/<id:exam_id>/variants")
@blp.response(200)
def exam_variants(exam_id):
    """The test's generation mode and variant codes (mã đề), for its owner."""
    user, exam = managed_exam(exam_id)
    return variants.list_variants(user, exam)


@blp.get("/exams/<id:exam_id>/variants/<code>")
@blp.response(200)
def exam_variant(exam_id, code):
    """One variant as its students see it (order, options with letters) and its answer key."""
    user, exam = managed_exam(exam_id)
    return variants.variant_paper(user, exam, code)


def _plain_answer(body) -> bool:
    """A body ``AnswerSchema`` would load unchanged: exactly ``response`` (anything JSON) and
    ``seq`` (an int in range). Anything else goes through the schema, errors and all."""
    return (type(body) is dict and len(body) == 2 and "response" in body
            and type(body.get("seq")) is int and 0 <= body["seq"] <= 2**31 - 1)


def _quick_body(schema, plain):
    """``blp.arguments(schema)`` (documented and enforced the same), with the common body
    (``plain(body)`` true: one the schema would load unchanged) checked by hand: on the
    autosave and start paths webargs and marshmallow cost more than the rest of the request's
    validation. Every other body takes the schema's path, so its 400s are unchanged."""
    def decorator(view):
        parsed = blp.arguments(schema)(view)

        @functools.wraps(view)
        def wrapper(*args, **kwargs):
            body = request.get_json(silent=True) if request.is_json else None
            if plain(body):
                return view(body, *args, **kwargs)
            return parsed(*args, **kwargs)

        wrapper._apidoc = parsed._apidoc
        return wrapper
    return decorator


@blp.post("/exams/<id:exam_id>/attempts")
@_quick_body(StartSchema, lambda body: type(body) is dict and not body)
@blp.response(200)
def start_attempt(body, exam_id):
    """Start or resume: attempt id, deadline, server time, questions (no keys), saved answers.
    A wrong or missing access code → 403 ``access_code``; too many wrong codes → 429."""
    user = require_user()
    exam = _exam(exam_id)
    now = utcnow()
    try:
        attempt = services.start_attempt(user, exam, now, body.get("access_code"))
    except DomainError as error:
        if error.code in access.ACCESS_CODE_ERRORS:
            db.session.commit()         # the counted guess stays counted; nothing else is written
        raise
    _commit_keeping_loaded()  # release SQLite's write lock before building the payload
    return services.start_payload(attempt, now)


@blp.put("/attempts/<id:attempt_id>/answers/<int:slot>")
@_quick_body(AnswerSchema, _plain_answer)
@blp.response(200)
def save_answer(body, attempt_id, slot):
    """Upsert one answer, committed before the 200; an older or equal seq is ignored."""
    user = require_user()
    now = utcnow()
    saved = services.save_answer(user, attempt_id, slot, body["response"], body["seq"], now)
    db.session.commit()
    return {"slot": slot, "saved_seq": saved, "server_time": services.iso(now)}


@blp.post("/attempts/<id:attempt_id>/submit")
@blp.arguments(EmptySchema)
@blp.response(200)
def submit_attempt(_body, attempt_id):
    """Finish the attempt exactly once and grade the stored answers."""
    user = require_user()
    now = utcnow()
    attempt = services.submit(user, attempt_id, now)
    _commit_keeping_loaded()
    return services.attempt_review(attempt, now)


@blp.get("/attempts/<id:attempt_id>")
@blp.response(200)
def get_attempt(attempt_id):
    """State, saved answers and the result as the review policy allows."""
    user = require_user()
    attempt = services.own_attempt(user, attempt_id)
    return services.attempt_review(attempt)


@blp.post("/attempts/<id:attempt_id>/events")
@blp.arguments(EventsSchema)
@blp.response(200)
def record_events(body, attempt_id):
    """Append integrity events (focus lost, full-screen exit, offline/online, reconnect,
    resumed) to the caller's open attempt; a finished attempt → 409."""
    user = require_user()
    stored = integrity.record_events(user, attempt_id, body["events"], utcnow())
    db.session.commit()
    return stored
