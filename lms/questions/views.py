"""The question bank in the browser: search, detail, import with preview, review queue."""

import mimetypes

from flask import (
    Blueprint,
    abort,
    flash,
    g,
    make_response,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from markupsafe import Markup

from lms.auth.decorators import login_required
from lms.auth.permissions import REVIEWER_ROLES, memberships, require
from lms.core.errors import DomainError
from lms.core.errors_views import flash_or_raise
from lms.core.storage import download_response
from lms.curriculum.models import Subject
from lms.extensions import db
from lms.questions import services, transfer
from media import content_disposition
from question_bank import render_math

bp = Blueprint("questions", __name__)

TYPE_LABELS = {
    "single_choice": "Một đáp án", "multiple_response": "Nhiều đáp án",
    "true_false": "Đúng/Sai", "true_false_4": "Đúng/Sai 4 ý", "short_text": "Trả lời ngắn",
    "short_numeric": "Trả lời số", "matching": "Ghép đôi", "ordering": "Sắp xếp",
    "cloze": "Điền khuyết", "essay": "Tự luận", "stimulus": "Câu chùm", "description": "Mô tả",
}
PREVIEW_ARGS = ("name", "fmt", "subject", "grade")
XLSX_MIMETYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
SORT_LABELS = {"relevance": "Phù hợp nhất", "newest": "Mới nhất", "oldest": "Cũ nhất",
               "grade": "Khối tăng dần", "-grade": "Khối giảm dần", "type": "Loại câu hỏi"}
STATUS_LABELS = {"draft": "Nháp", "submitted": "Chờ duyệt", "approved": "Đã duyệt",
                 "returned": "Bị trả lại", "archived": "Lưu trữ"}


@bp.app_template_filter("math")
def _math(html: str) -> Markup:
    """Sanitised question HTML with its LaTeX rendered as MathML."""
    return Markup(render_math(html or ""))  # noqa: S704 — stored HTML is sanitised by nh3


@bp.app_template_filter("rendered")
def _rendered(html: str) -> Markup:
    """HTML of a student view: sanitised by question_bank, math already turned into MathML
    from an allow-list (running it through nh3 again would drop the MathML)."""
    return Markup(html or "")  # noqa: S704 — produced by question_bank.student_view


@bp.app_context_processor
def _labels():
    return {"TYPE_LABELS": TYPE_LABELS, "STATUS_LABELS": STATUS_LABELS,
            "SORT_LABELS": SORT_LABELS}


def _subjects() -> list[Subject]:
    return list(db.session.scalars(db.select(Subject).order_by(Subject.position, Subject.name)))


@bp.get("/questions/")
@login_required
def bank():
    """Search box, filters with facet counts, results and paging."""
    require(g.user, "question.create")
    args = request.args
    filters = {name: args.get(name, "") for name in services.FILTER_FIELDS}
    try:
        result = services.search_questions(g.user, args.get("q", ""), filters,
                                           sort=args.get("sort") or None,
                                           page=args.get("page", 1))
    except DomainError as error:
        flash_or_raise(error)
        result = {"items": [], "total": 0, "facets": {}, "page": 1}
    pages = max(1, -(-result["total"] // services.PER_PAGE))
    return render_template("questions/bank.html", result=result, filters=filters,
                           q=args.get("q", ""), sort=args.get("sort", ""), pages=pages,
                           subjects=_subjects(), sorts=services.SORTS)


@bp.get("/questions/<int:question_id>")
@login_required
def detail(question_id: int):
    question = services.load_question(question_id)
    require(g.user, "question.view", question)
    info = services.question_detail(g.user, question)
    return render_template("questions/detail.html", question=question, info=info)


@bp.post("/questions/<int:question_id>/<any(submit, approve, return):action>")
@login_required
def decide(question_id: int, action: str):
    """Submit (author), approve or return with a comment (reviewer)."""
    question = services.load_question(question_id)
    require(g.user, "question.view", question)
    try:
        if action == "submit":
            services.submit(g.user, question)
        elif action == "approve":
            services.approve(g.user, question)
        else:
            services.send_back(g.user, question, request.form.get("comment", ""))
        db.session.commit()
        flash(_("Đã cập nhật câu hỏi #%(id)d.", id=question_id), "success")
    except DomainError as error:
        flash_or_raise(error)
    target = "questions.detail" if action == "submit" else "questions.review"
    return redirect(url_for(target, question_id=question_id) if action == "submit"
                    else url_for(target))


@bp.get("/questions/review")
@login_required
def review():
    """Submitted questions waiting for this reviewer."""
    queue = services.review_queue(g.user)
    details = [(q, q.current_version.payload) for q in queue]
    return render_template("questions/review.html", queue=details)


@bp.post("/questions/review/approve")
@login_required
def approve_selected():
    """Bulk action of the review queue: approve the ticked questions."""
    try:
        ids = [int(i) for i in request.form.getlist("question_id")]
    except ValueError:
        abort(400)
    approved, problems = services.approve_many(g.user, ids)
    db.session.commit()
    flash(_("Đã duyệt %(n)d câu hỏi.", n=approved), "success")
    for problem in problems:
        flash(problem, "error")
    return redirect(url_for("questions.review"))


@bp.route("/questions/import", methods=["GET", "POST"])
@login_required
def import_upload():
    """Upload a file; nothing is saved before the preview is confirmed."""
    require(g.user, "question.create")
    if request.method == "GET":
        return render_template("questions/import.html", subjects=_subjects(),
                               formats=transfer.importers(),
                               has_template="xlsx" in transfer.importers())
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        flash(_("Hãy chọn một tệp câu hỏi."), "error")
        return redirect(url_for("questions.import_upload"))
    try:
        token = transfer.stash_upload(g.user, upload.read(transfer.MAX_IMPORT_BYTES + 1))
    except DomainError as error:
        flash_or_raise(error)
        return redirect(url_for("questions.import_upload"))
    return redirect(url_for("questions.import_preview", token=token, name=upload.filename,
                            fmt=request.form.get("format", "auto"),
                            subject=request.form.get("subject", ""),
                            grade=request.form.get("grade", "")))


def _import_options(source, dry_run: bool) -> transfer.ImportOptions:
    code, grade = source.get("subject", ""), source.get("grade", "")
    subject_id = services.subject_by_code(code).id if code else None
    try:
        grade_number = int(grade) if grade else None
    except ValueError:
        raise DomainError(_("Khối lớp phải là số từ 1 đến 12.")) from None
    return transfer.ImportOptions(subject_id=subject_id, grade=grade_number,
                                  fmt=source.get("fmt", "auto"), dry_run=dry_run,
                                  only_valid=source.get("only_valid") == "1")


@bp.get("/questions/import/<token>")
@login_required
def import_preview(token: str):
    """The parsed questions as students will see them, and every problem with its place."""
    require(g.user, "question.create")
    data = transfer.stashed_upload(g.user, token)
    name = request.args.get("name", "")
    try:
        preview = transfer.preview_import(g.user, data, name, _import_options(request.args, True))
    except DomainError as error:
        flash_or_raise(error)
        return redirect(url_for("questions.import_upload"))
    return render_template("questions/import_preview.html", preview=preview, token=token,
                           name=name, args=request.args)


@bp.post("/questions/import/<token>")
@login_required
def import_confirm(token: str):
    """Import the stashed file (no second upload)."""
    require(g.user, "question.create")
    data = transfer.stashed_upload(g.user, token)
    try:
        report = transfer.import_questions(g.user, data, request.form.get("name", ""),
                                           _import_options(request.form, False))
    except DomainError as error:
        flash_or_raise(error)
        return redirect(url_for("questions.import_upload"))
    if not report["saved"]:
        db.session.rollback()
        flash(_("Tệp còn lỗi nên chưa lưu câu nào; hãy sửa tệp hoặc chọn chỉ nhập câu hợp lệ."),
              "error")
        return redirect(url_for("questions.import_preview", token=token,
                                **{k: request.form.get(k, "") for k in PREVIEW_ARGS}))
    transfer.discard_upload(g.user, token)
    db.session.commit()
    flash(_("Đã nhập %(n)d câu hỏi (%(d)d câu trùng bỏ qua).",
            n=report["questions"] - report["duplicates"], d=report["duplicates"]), "success")
    return redirect(url_for("questions.bank"))


@bp.get("/questions/import/template.xlsx")
@login_required
def xlsx_template():
    """The XLSX template teachers fill in (when the XLSX format is installed)."""
    require(g.user, "question.create")
    content = transfer.xlsx_template()
    if content is None:
        abort(404)
    response = make_response(content)
    response.headers["Content-Type"] = XLSX_MIMETYPE
    response.headers["Content-Disposition"] = content_disposition("mau-cau-hoi.xlsx")
    return response


@bp.get("/media/<path:key>")
@login_required
def media(key: str):
    """Images and audio of questions, for logged-in staff only."""
    require(g.user, "question.create")
    if not key.startswith("questions/") or ".." in key:
        abort(404)
    filename = key.rsplit("/", 1)[-1]
    mimetype = mimetypes.guess_type(filename)[0] or "application/octet-stream"
    return download_response(key, filename, mimetype)


@bp.app_template_global()
def is_reviewer(user) -> bool:
    return bool(memberships(user, *REVIEWER_ROLES))
