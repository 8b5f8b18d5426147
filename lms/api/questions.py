"""The question bank in the JSON API: search, read, create, edit, import, review."""

from flask_smorest import Blueprint
from flask_smorest.fields import Upload
from marshmallow import Schema, fields, validate

from lms.api import require_user
from lms.extensions import db
from lms.questions import services, transfer

blp = Blueprint("api_questions", __name__, url_prefix="/api/v1",
                description="Ngân hàng câu hỏi")


class SearchArgs(Schema):
    q = fields.String(load_default="", metadata={"description": "Không cần gõ dấu."})
    subject = fields.String(load_default=None, metadata={"description": "Mã môn (TOAN…)"})
    grade = fields.String(load_default=None)
    type = fields.String(load_default=None)
    status = fields.String(load_default=None)
    topic = fields.String(load_default=None)
    level = fields.String(load_default=None)
    school = fields.String(load_default=None)
    tags = fields.String(load_default=None)
    sort = fields.String(load_default=None, metadata={
        "description": "relevance, newest, oldest, grade, -grade, type"})
    page = fields.Integer(load_default=1, validate=validate.Range(1, 1000))


class QuestionItem(Schema):
    id = fields.Integer()
    type = fields.String()
    text_html = fields.String()
    text = fields.String()
    subject = fields.String(allow_none=True)
    grade = fields.Integer()
    level = fields.Integer(allow_none=True)
    topic = fields.Integer(allow_none=True)
    status = fields.String()
    author_id = fields.Integer()
    school_id = fields.Integer(allow_none=True)
    tags = fields.List(fields.String())
    version = fields.Integer(allow_none=True)


class SearchPage(Schema):
    items = fields.List(fields.Nested(QuestionItem))
    total = fields.Integer()
    page = fields.Integer()
    facets = fields.Dict(keys=fields.String(),
                         values=fields.Dict(keys=fields.String(), values=fields.Integer()))


class Version(Schema):
    number = fields.Integer()
    created_at = fields.String()
    note = fields.String()


class QuestionDetail(QuestionItem):
    view = fields.String(metadata={"description": "teacher hoặc student"})
    payload = fields.Dict()
    review_comment = fields.String()
    versions = fields.List(fields.Nested(Version))
    duplicates = fields.List(fields.Dict())


class QuestionCreate(Schema):
    subject = fields.String(required=True)
    grade = fields.Integer(required=True)
    topic_id = fields.Integer(load_default=None)
    level_id = fields.Integer(load_default=None)
    licence = fields.String(load_default=None)
    source = fields.String(load_default=None)
    tags = fields.List(fields.String(), load_default=list)
    payload = fields.Dict(required=True, metadata={"description": "docs/question-payloads.md"})


class QuestionUpdate(Schema):
    payload = fields.Dict(required=True)
    note = fields.String(load_default="")
    tags = fields.List(fields.String(), load_default=None)


class ImportForm(Schema):
    format = fields.String(load_default="auto", validate=validate.OneOf(
        ["auto", *transfer.FORMAT_NAMES]))
    subject = fields.String(load_default=None)
    grade = fields.Integer(load_default=None, validate=validate.Range(1, 12))
    dry_run = fields.Boolean(load_default=False)
    only_valid = fields.Boolean(load_default=False)


class ImportFile(ImportForm):
    """The multipart body as documented: the file plus the form fields (read from the form)."""

    file = Upload(required=True)


class Problem(Schema):
    location = fields.String()
    message = fields.String()


class ImportReport(Schema):
    file = fields.String()
    format = fields.String()
    questions = fields.Integer()
    by_type = fields.Dict(keys=fields.String(), values=fields.Integer())
    errors = fields.List(fields.Nested(Problem))
    warnings = fields.List(fields.Nested(Problem))
    duplicates = fields.Integer()
    saved = fields.Boolean()


class ReturnArgs(Schema):
    comment = fields.String(required=True)


@blp.get("/questions")
@blp.arguments(SearchArgs, location="query")
@blp.response(200, SearchPage)
def list_questions(args):
    """Search the bank (accent-insensitive) with filters, facet counts, sorting and paging;
    approved questions plus the caller's own."""
    actor = require_user()
    q, sort, page = args.pop("q"), args.pop("sort"), args.pop("page")
    result = services.search_questions(actor, q, args, sort=sort, page=page)
    tags = services.tags_of([item.id for item in result["items"]])
    result["items"] = [services.question_summary(item, tags[item.id]) for item in result["items"]]
    return result


@blp.get("/questions/<int:question_id>")
@blp.response(200, QuestionDetail)
def get_question(question_id):
    """One question: the teacher view for its author and reviewers, otherwise the student view."""
    actor = require_user()
    return services.question_detail(actor, services.load_question(question_id))


@blp.post("/questions")
@blp.arguments(QuestionCreate)
@blp.response(201, QuestionDetail)
def create_question(data):
    """A new draft; exact and near duplicates are listed in ``duplicates``."""
    actor = require_user()
    payload = data.pop("payload")
    question = services.create_question(actor, services.meta_from(data), payload)
    duplicates = services.find_duplicates(actor, question.current_version.payload,
                                          question.subject_id, question.grade,
                                          exclude_id=question.id)
    db.session.commit()
    return {**services.question_detail(actor, question), "duplicates": duplicates}


@blp.put("/questions/<int:question_id>")
@blp.arguments(QuestionUpdate)
@blp.response(200, QuestionDetail)
def update_question(data, question_id):
    """A new version of the question (an approved one goes back to draft)."""
    actor = require_user()
    question = services.load_question(question_id)
    services.revise_question(actor, question, data["payload"], data["note"])
    if data["tags"] is not None:
        services.set_tags(question, data["tags"])
    db.session.commit()
    return services.question_detail(actor, question)


@blp.post("/questions/import")
@blp.arguments(ImportForm, location="form")
@blp.arguments(ImportFile, location="files")
@blp.response(200, ImportReport)
def import_file(form, files):
    """Import a question file; the report is the one of ``flask questions import --json``.
    Nothing is saved when a question has an error unless ``only_valid``."""
    actor = require_user()
    upload = files["file"]
    subject_id = services.subject_by_code(form["subject"]).id if form["subject"] else None
    options = transfer.ImportOptions(subject_id=subject_id, grade=form["grade"],
                                     fmt=form["format"], dry_run=form["dry_run"],
                                     only_valid=form["only_valid"])
    data = upload.read(transfer.MAX_IMPORT_BYTES + 1)
    report = transfer.import_questions(actor, data, upload.filename or "", options)
    if report["saved"]:
        db.session.commit()
    else:
        db.session.rollback()
    return report


def _decide(question_id, action, *extra):
    actor = require_user()
    question = services.load_question(question_id)
    action(actor, question, *extra)
    db.session.commit()
    return services.question_summary(question)


@blp.post("/questions/<int:question_id>/submit")
@blp.response(200, QuestionItem)
def submit_question(question_id):
    """The author sends the question to the reviewers."""
    return _decide(question_id, services.submit)


@blp.post("/questions/<int:question_id>/approve")
@blp.response(200, QuestionItem)
def approve_question(question_id):
    """A reviewer of the subject approves it for the whole province."""
    return _decide(question_id, services.approve)


@blp.post("/questions/<int:question_id>/return")
@blp.arguments(ReturnArgs)
@blp.response(200, QuestionItem)
def return_question(data, question_id):
    """A reviewer returns it to the author with a comment."""
    return _decide(question_id, services.send_back, data["comment"])
