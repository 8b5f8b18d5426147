"""The class gradebook (sổ điểm, issue 13 §2 and §4): scores per subject and student, a
student's summary, conduct, locks, publication, history.

Scores are numbers or strings, with a decimal point or comma ("7,5"); comment-only subjects
take "Đ"/"CĐ". Errors name the field in ``details.fields`` (``regular.2``, ``mid``, ``end``).
Whoever may not read a class or subject gets 404; whoever may read but not write gets 403.
"""

from flask_smorest import Blueprint
from marshmallow import Schema, fields, validate

from lms.api import require_user
from lms.core.ids import MAX_ID
from lms.gradebook import configure, feeds, reading, services, terms
from lms.gradebook.models import PUBLISHABLE
from lms.kernel import db

blp = Blueprint("api_gradebook", __name__, url_prefix="/api/v1/gradebook",
                description="Sổ điểm (Thông tư 22/2021, 27/2020)")

SCORE = {"oneOf": [{"type": "number"}, {"type": "string"}, {"type": "null"}]}


def _raw(description: str, **schema) -> fields.Raw:
    """A field the service reads itself (numbers or strings, null allowed), documented."""
    return fields.Raw(allow_none=True, metadata={**schema, "description": description})


class ScoresSchema(Schema):
    term = _raw("Học kì: 1 or 2.", type="integer", enum=[1, 2])
    regular = _raw("ĐĐGtx 1…n in order (n = regular_count); null entries are gaps. Omitted: "
                   "unchanged; given: replaces the whole list.", type="array",
                   items=SCORE)
    mid = _raw("ĐĐGgk (TT22) or the mid-term rating T/H/C (TT27); null clears; omitted: "
               "unchanged.", **SCORE)
    end = _raw("ĐĐGck (TT22) or the end-of-term rating T/H/C (TT27).", **SCORE)
    mid_test = _raw("TT27 only: mid-term test, a whole number 0–10 (grades 4–5, Tiếng Việt "
                    "and Toán).", **SCORE)
    end_test = _raw("TT27 only: end-of-term test, a whole number 0–10.", **SCORE)
    version = _raw("The entry's version the client saw (0: none yet). Another version → 409 "
                   "stale, nothing written. Omitted: not checked.", type="integer",
                   minimum=0, maximum=MAX_ID)
    reason = _raw("Why (kept in the history).", type="string")


class TermViewSchema(Schema):
    term = fields.Integer()
    regular = fields.List(fields.String(allow_none=True))
    mid = fields.String(allow_none=True)
    end = fields.String(allow_none=True)
    mid_test = fields.String(allow_none=True)
    end_test = fields.String(allow_none=True)
    version = fields.Integer()
    term_average = fields.String(allow_none=True, metadata={"description": '"7.7"; null '
                                 "until every required score is there"})
    term_result = fields.String(allow_none=True, metadata={"description": '"Đạt" / "Chưa đạt" '
                                "(comment-only) or the TT27 rating"})
    complete = fields.Boolean()
    locked = fields.Boolean()


class SavedSchema(TermViewSchema):
    class_id = fields.Integer()
    subject = fields.String()
    student_id = fields.Integer()


class ConductSchema(Schema):
    term = _raw("Học kì: 1 or 2.", type="integer", enum=[1, 2])
    conduct = _raw("T, K, Đ, CĐ (or the words Tốt, Khá, Đạt, Chưa đạt); null clears.",
                   type="string")
    version = _raw("As for scores: another version → 409 stale.", type="integer",
                   minimum=0, maximum=MAX_ID)
    reason = _raw("Why (kept in the history).", type="string")


class QualitiesSchema(Schema):
    term = _raw("Học kì: 1 or 2.", type="integer", enum=[1, 2])
    period = _raw("mid (giữa kì) or end (cuối kì).", type="string", enum=["mid", "end"])
    ratings = _raw("{quality or competence code: T | Đ | C (or the words)}; codes left out "
                   "stay, null clears one.", type="object")
    version = _raw("As for scores: another version → 409 stale.", type="integer",
                   minimum=0, maximum=MAX_ID)
    reason = _raw("Why (kept in the history).", type="string")


class YearSchema(Schema):
    promotion = _raw("promoted (lên lớp), summer (xét sau hè), repeat (ở lại lớp).",
                     type="string", enum=["promoted", "summer", "repeat"])
    award = _raw("xuat_sac, gioi or null.", type="string")
    reason = _raw("Why (kept in the history).", type="string")


class LockSchema(Schema):
    locked = fields.Boolean(required=True)


class PublishSchema(Schema):
    term = fields.Raw(allow_none=True, metadata={"type": "integer", "enum": [1, 2]})
    columns = fields.List(fields.String(validate=validate.OneOf(PUBLISHABLE)), required=True)
    published = fields.Boolean(load_default=True)


class HistoryArgs(Schema):
    term = fields.Integer(required=True, validate=validate.OneOf([1, 2]))


class PeriodRowSchema(Schema):
    code = fields.String(required=True)
    periods = fields.Integer(required=True, validate=validate.Range(1, 1000))
    elective = fields.Boolean(load_default=False)


class PeriodsSchema(Schema):
    subjects = fields.List(fields.Nested(PeriodRowSchema), required=True)


class ElectivesSchema(Schema):
    subjects = fields.List(fields.String(), required=True)


def saved_view(book, setup, entry, class_id: int, student_id: int, term: int) -> dict:
    view = reading.entry_view(book, setup, entry, term, locked=False)
    return {"class_id": class_id, "subject": setup.code, "student_id": student_id, **view}


@blp.put("/<id:class_id>/<subject_code>/<id:student_id>")
@blp.arguments(ScoresSchema)
@blp.response(200, SavedSchema)
@blp.alt_response(400, description="A cell is unreadable (details.fields names it)")
@blp.alt_response(409, description="locked: the term is closed; stale: another version")
def put_scores(body, class_id, subject_code, student_id):
    """Save some scores of one student's term in a subject; the average is null until every
    required score is there."""
    user = require_user()
    book, setup, entry = services.save_scores(user, class_id, subject_code, student_id, body)
    db.session.commit()
    return saved_view(book, setup, entry, class_id, student_id, body["term"])


@blp.get("/<id:class_id>/<subject_code>")
@blp.response(200)
def get_subject(class_id, subject_code):
    """The subject's whole column set: every student's terms and year, ``regular_count``,
    ``comment_only``, locks, published columns, test sources, flags."""
    return reading.subject_sheet(require_user(), class_id, subject_code)


@blp.get("/<id:class_id>/students/<id:student_id>")
@blp.response(200)
def get_student(class_id, student_id):
    """A student's subjects (term 1, term 2, year), learning result and conduct. Students and
    parents see only published columns, and results of locked terms."""
    return reading.student_summary(require_user(), class_id, student_id)


@blp.get("/<id:class_id>/<subject_code>/<id:student_id>/history")
@blp.arguments(HistoryArgs, location="query")
@blp.response(200)
def get_history(args, class_id, subject_code, student_id):
    """Every change of the student's term in the subject: who, when, old → new, why."""
    changes = reading.cell_history(require_user(), class_id, subject_code, student_id,
                                   args["term"])
    return {"changes": changes}


@blp.put("/<id:class_id>/conduct/<id:student_id>")
@blp.arguments(ConductSchema)
@blp.response(200)
@blp.alt_response(409, description="locked or stale")
def put_conduct(body, class_id, student_id):
    """The homeroom teacher's conduct rating (rèn luyện) of a student for a term."""
    row = terms.save_conduct(require_user(), class_id, student_id, body)
    db.session.commit()
    return {"class_id": class_id, "student_id": student_id, "term": body["term"],
            "conduct": row.conduct if row else None, "version": row.version if row else 0}


@blp.put("/<id:class_id>/qualities/<id:student_id>")
@blp.arguments(QualitiesSchema)
@blp.response(200)
@blp.alt_response(409, description="locked or stale")
def put_qualities(body, class_id, student_id):
    """Primary (TT27): qualities and competences of a pupil at mid-term or end of term."""
    row = terms.save_qualities(require_user(), class_id, student_id, body)
    db.session.commit()
    return {"class_id": class_id, "student_id": student_id, "term": row.term,
            "qualities": row.qualities, "version": row.version}


@blp.put("/<id:class_id>/students/<id:student_id>/year")
@blp.arguments(YearSchema)
@blp.response(200)
def put_year(body, class_id, student_id):
    """The school's decision on promotion and award (replaces the computed suggestion)."""
    row = terms.confirm_year(require_user(), class_id, student_id, body)
    db.session.commit()
    return {"class_id": class_id, "student_id": student_id, "promotion": row.promotion,
            "award": row.award}


@blp.put("/<id:class_id>/locks/<int:term>")
@blp.arguments(LockSchema)
@blp.response(200)
def put_lock(body, class_id, term):
    """Close (``locked: true``) or reopen a term of the class: school leaders only."""
    locked = terms.set_lock(require_user(), class_id, term, body["locked"])
    db.session.commit()
    return {"class_id": class_id, "term": term, "locked": locked}


@blp.post("/<id:class_id>/<subject_code>/publication")
@blp.arguments(PublishSchema)
@blp.response(200)
def post_publication(body, class_id, subject_code):
    """Publish (or, with ``published: false``, withdraw) columns of a term: students and
    parents see a published column."""
    columns = terms.set_published(require_user(), class_id, subject_code, body.get("term"),
                                     body["columns"], body["published"])
    db.session.commit()
    return {"term": body.get("term"), "published": columns}


@blp.get("/periods/<id:school_year_id>/<int:grade>")
@blp.response(200)
def get_periods(school_year_id, grade):
    """Subjects of a grade in a school year, with periods and the regular-score count."""
    return configure.periods_view(require_user(), school_year_id, grade)


@blp.put("/periods/<id:school_year_id>/<int:grade>")
@blp.arguments(PeriodsSchema)
@blp.response(200)
def put_periods(body, school_year_id, grade):
    """Replace the subjects and periods of a grade in a school year (administrators)."""
    user = require_user()
    configure.set_periods(user, school_year_id, grade, body["subjects"])
    db.session.commit()
    return configure.periods_view(user, school_year_id, grade)


@blp.put("/<id:class_id>/electives")
@blp.arguments(ElectivesSchema)
@blp.response(200)
def put_electives(body, class_id):
    """The electives the class studies (codes of elective subjects of its grade)."""
    codes = configure.set_electives(require_user(), class_id, body["subjects"])
    db.session.commit()
    return {"class_id": class_id, "electives": codes}


class SourceSchema(Schema):
    term = _raw("Học kì: 1 or 2.", type="integer", enum=[1, 2])
    field = _raw("The column: regular.N, mid or end (TT22); mid_test or end_test (TT27).",
                 type="string")
    kind = _raw("A registered source: \"exam\".", type="string")
    source_id = _raw("The source's id (the exam's).", type="integer", minimum=1,
                     maximum=MAX_ID)


class FlagSchema(Schema):
    apply = fields.Boolean(required=True, metadata={
        "description": "true: write the proposed score (the term must be open); false: dismiss"})


@blp.get("/<id:class_id>/<subject_code>/sources/choices")
@blp.response(200)
def get_source_choices(class_id, subject_code):
    """Published tests of the class that may fill a column of this subject."""
    return {"choices": feeds.choices(require_user(), class_id, subject_code)}


@blp.post("/<id:class_id>/<subject_code>/sources")
@blp.arguments(SourceSchema)
@blp.response(201)
@blp.alt_response(409, description="locked (the term is closed) or mapped (column taken)")
def post_source(body, class_id, subject_code):
    """Map a test to a column: its 10-point score fills the column now and after every
    regrade (flagged instead while the term is locked)."""
    row, filled = feeds.map_source(require_user(), class_id, subject_code, body)
    db.session.commit()
    return {"id": row.id, "term": row.term, "field": row.field, "kind": row.kind,
            "source_id": row.source_id, "filled": filled}


@blp.delete("/<id:class_id>/<subject_code>/sources/<id:source_row_id>")
@blp.response(204)
def delete_source(class_id, subject_code, source_row_id):
    """Stop a column following its test (the scores stay)."""
    feeds.unmap_source(require_user(), class_id, subject_code, source_row_id)
    db.session.commit()


@blp.post("/<id:class_id>/flags/<id:flag_id>")
@blp.arguments(FlagSchema)
@blp.response(200)
def post_flag(body, class_id, flag_id):
    """Apply or dismiss a score that reached a locked term."""
    flag = feeds.resolve_flag(require_user(), class_id, flag_id, body["apply"])
    db.session.commit()
    return {"id": flag.id, "applied": body["apply"], "proposed": flag.proposed}
