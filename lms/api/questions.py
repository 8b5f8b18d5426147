"""The question bank in the JSON API: search, read, create, edit, import, review."""

from flask_smorest import Blueprint
from flask_smorest.fields import Upload
from marshmallow import Schema, fields, validate

from lms.api import require_user
from lms.api.schemas import Id
from lms.exams import item_stats, usage
from lms.kernel import db
from lms.questions import bank_export, services, transfer
from lms.questions.views import export_response

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
    title = fields.String(metadata={
        "description": "Tên câu hỏi của phiên bản hiện tại ('' khi không có); học sinh không thấy"})
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
    title = fields.String()


class ExamStatistics(Schema):
    exam_id = fields.Integer()
    title = fields.String()
    n = fields.Integer(metadata={"description": "Số lượt (quan sát) được tính"})
    facility = fields.String(allow_none=True)
    discrimination = fields.String(allow_none=True)


class Statistics(Schema):
    """Item statistics across the published exams using the question (docs/question-bank.md)."""

    times_used = fields.Integer(metadata={"description": "Số bài kiểm tra đã phát hành dùng câu"})
    attempts = fields.Integer(metadata={"description": "Lượt đã nộp, được tính, đã đọc"})
    attempts_total = fields.Integer()
    limit = fields.Integer(metadata={"description": "Số lượt mới nhất đọc tối đa"})
    capped = fields.Boolean()
    answered = fields.Integer()
    ungraded = fields.Integer()
    observations = fields.Integer()
    facility = fields.String(allow_none=True, metadata={
        "description": "Tỉ lệ điểm trung bình, 4 chữ số thập phân"})
    discrimination = fields.String(allow_none=True, metadata={
        "description": "Tương quan điểm-biserial hiệu chỉnh, trung bình có trọng số các đề"})
    by_exam = fields.List(fields.Nested(ExamStatistics))


class UsedIn(Schema):
    exam_id = fields.Integer()
    title = fields.String()
    owner_id = fields.Integer()
    owner = fields.String()
    state = fields.String()
    published_at = fields.DateTime(allow_none=True)
    version = fields.Integer(allow_none=True, metadata={
        "description": "Phiên bản được ghim khi phát hành; null với bản nháp"})
    own = fields.Boolean()


class WhereUsed(Schema):
    total = fields.Integer()
    items = fields.List(fields.Nested(UsedIn))


class QuestionDetail(QuestionItem):
    view = fields.String(metadata={"description": "teacher hoặc student"})
    payload = fields.Dict()
    review_comment = fields.String()
    versions = fields.List(fields.Nested(Version))
    duplicates = fields.List(fields.Dict())
    used_in = fields.Nested(WhereUsed, metadata={
        "description": "Chỉ GET: mọi đề với tác giả/người duyệt, đề của mình với người khác"})
    statistics = fields.Nested(Statistics, allow_none=True, metadata={
        "description": "Chỉ GET, chỉ với tác giả và người duyệt (null với người khác)"})


class ExportArgs(SearchArgs):
    class Meta:
        exclude = ("page",)

    format = fields.String(required=True, metadata={
        "description": "gift, moodlexml, qti (gói .zip) hoặc docx (bản in)"})
    answer_key = fields.Boolean(load_default=True, metadata={
        "description": "docx: kèm trang đáp án (chỉ các câu bạn được xem đáp án)"})


class ExportBody(Schema):
    format = fields.String(required=True, metadata={"description": "gift, moodlexml, qti, docx"})
    ids = fields.List(Id(), required=True,
                      validate=validate.Length(1, bank_export.MAX_EXPORT))
    answer_key = fields.Boolean(load_default=True)


TITLE_FIELD = {"description": "Tên câu hỏi, văn bản thuần tối đa 255 ký tự (GIFT ::tên::, "
                              "Moodle XML <name>); có phiên bản như nội dung"}


class QuestionCreate(Schema):
    title = fields.String(load_default="", allow_none=True, metadata=TITLE_FIELD)
    subject = fields.String(required=True)
    grade = fields.Integer(required=True, validate=validate.Range(1, 12))
    topic_id = Id(load_default=None)
    level_id = Id(load_default=None)
    licence = fields.String(load_default=None)
    source = fields.String(load_default=None)
    tags = fields.List(fields.String(), load_default=list)
    payload = fields.Dict(required=True, metadata={"description": "docs/question-payloads.md"})


class QuestionUpdate(Schema):
    title = fields.String(load_default=None, allow_none=True, metadata={
        "description": TITLE_FIELD["description"] + "; bỏ trống (null) để giữ tên hiện tại"})
    payload = fields.Dict(required=True)
    note = fields.String(load_default="")
    tags = fields.List(fields.String(), load_default=None)


class ImportForm(Schema):
    format = fields.String(load_default="auto", validate=validate.OneOf(
        ["auto", *transfer.FORMAT_NAMES, *transfer.FORMAT_ALIASES]), metadata={
            "description": "moodle_xml là tên khác của moodlexml"})
    subject = fields.String(load_default=None)
    grade = fields.Integer(load_default=None, validate=validate.Range(1, 12))
    dry_run = fields.Boolean(load_default=False)
    only_valid = fields.Boolean(load_default=False)


class ImportFile(ImportForm):
    """The multipart body: the file plus the form fields."""

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


EXPORT_DOC = {"responses": {200: {
    "description": "Tệp xuất (Content-Disposition: attachment). Tiêu đề X-Export-Count: số câu "
                   "trong tệp; X-Export-Omitted: mã các câu bỏ ra vì bạn không được xem đáp án "
                   "(GIFT, Moodle XML, QTI); X-Export-Unsupported: mã các câu định dạng không "
                   "ghi được.",
    "content": {mimetype: {"schema": {"type": "string", "format": "binary"}}
                for _ext, mimetype in bank_export.FORMATS.values()}}}}


@blp.get("/questions/export")
@blp.arguments(ExportArgs, location="query")
@blp.doc(**EXPORT_DOC)
@blp.alt_response(400, description="Định dạng sai (unknown_format), quá 2.000 câu (too_many), "
                                   "không còn câu nào xuất được (nothing_to_export)")
def export_search(args):
    """Export every question matching the search (the same parameters as ``GET /questions``,
    at most 2,000) as GIFT, Moodle XML, a QTI 2.1 package or a printable .docx."""
    actor = require_user()
    fmt, answer_key = args.pop("format"), args.pop("answer_key")
    bank_export.check_format(fmt)
    q, sort = args.pop("q"), args.pop("sort")
    chosen = bank_export.matching_questions(actor, q, args, sort)
    return export_response(bank_export.export_file(actor, fmt, chosen, answer_key))


@blp.post("/questions/export")
@blp.arguments(ExportBody)
@blp.doc(**EXPORT_DOC)
@blp.alt_response(400, description="Định dạng sai (unknown_format) hoặc không còn câu nào "
                                   "xuất được (nothing_to_export)")
@blp.alt_response(404, description="Có mã câu không tồn tại hoặc bạn không được xem")
def export_ids(data):
    """Export the given questions (each must be one the caller may see)."""
    actor = require_user()
    bank_export.check_format(data["format"])
    chosen = bank_export.chosen_questions(actor, data["ids"])
    return export_response(bank_export.export_file(actor, data["format"], chosen,
                                                   data["answer_key"]))


@blp.get("/questions/<id:question_id>")
@blp.response(200, QuestionDetail)
def get_question(question_id):
    """One question: the teacher view for its author and reviewers, otherwise the student view."""
    actor = require_user()
    question = services.load_question(question_id)
    detail = services.question_detail(actor, question)
    full = detail["view"] == "teacher"
    detail["used_in"] = usage.where_used(actor, question, sees_all=full)
    detail["statistics"] = item_stats.question_statistics(actor, question) if full else None
    return detail


@blp.post("/questions")
@blp.arguments(QuestionCreate)
@blp.response(201, QuestionDetail)
def create_question(data):
    """A new draft; exact and near duplicates are listed in ``duplicates``."""
    actor = require_user()
    payload, title = data.pop("payload"), data.pop("title")
    question = services.create_question(actor, services.meta_from(data), payload, title=title)
    duplicates = services.find_duplicates(actor, question.current_version.payload,
                                          question.subject_id, question.grade,
                                          exclude_id=question.id)
    db.session.commit()
    return {**services.question_detail(actor, question), "duplicates": duplicates}


@blp.put("/questions/<id:question_id>")
@blp.arguments(QuestionUpdate)
@blp.response(200, QuestionDetail)
def update_question(data, question_id):
    """A new version of the question (an approved one goes back to draft)."""
    actor = require_user()
    question = services.load_question(question_id)
    services.revise_question(actor, question, data["payload"], data["note"], data["title"])
    if data["tags"] is not None:
        services.set_tags(question, data["tags"])
    db.session.commit()
    return services.question_detail(actor, question)


@blp.post("/questions/import")
@blp.arguments(ImportFile, location="multipart")
@blp.response(200, ImportReport)
def import_file(form):
    """Import a question file; the report is the one of ``flask questions import --json``.
    Nothing is saved when a question has an error unless ``only_valid``."""
    actor = require_user()
    upload = form["file"]
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


@blp.post("/questions/<id:question_id>/submit")
@blp.response(200, QuestionItem)
def submit_question(question_id):
    """The author sends the question to the reviewers."""
    return _decide(question_id, services.submit)


@blp.post("/questions/<id:question_id>/approve")
@blp.response(200, QuestionItem)
def approve_question(question_id):
    """A reviewer of the subject approves it for the whole province."""
    return _decide(question_id, services.approve)


@blp.post("/questions/<id:question_id>/return")
@blp.arguments(ReturnArgs)
@blp.response(200, QuestionItem)
def return_question(data, question_id):
    """A reviewer returns it to the author with a comment."""
    return _decide(question_id, services.send_back, data["comment"])
