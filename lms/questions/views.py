"""The question bank in the browser: search, detail, import with preview, review queue."""

import mimetypes

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    g,
    jsonify,
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
from lms.core.errors import DomainError, NotFound
from lms.core.errors_views import flash_or_raise
from lms.core.ids import parse_int
from lms.core.storage import download_response
from lms.curriculum.models import Subject
from lms.exams import item_stats, usage
from lms.kernel import db
from lms.questions import authoring, bank_export, services, transfer
from media import content_disposition
from question_bank import render_math, student_view

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
                           subjects=_subjects(), sorts=services.SORTS,
                           max_export=bank_export.MAX_EXPORT)


@bp.get("/questions/<id:question_id>")
@login_required
def detail(question_id: int):
    question = services.load_question(question_id)
    require(g.user, "question.view", question)
    info = services.question_detail(g.user, question)
    full = info["view"] == "teacher"
    used = usage.where_used(g.user, question, sees_all=full)
    statistics = item_stats.question_statistics(g.user, question) if full else None
    return render_template("questions/detail.html", question=question, info=info, used=used,
                           statistics=statistics)


@bp.post("/questions/<id:question_id>/<any(submit, approve, return):action>")
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


def _bulk_done(action: str, n: int) -> str:
    return {
        "approve": _("Đã duyệt %(n)d câu hỏi.", n=n),
        "return": _("Đã trả lại %(n)d câu hỏi.", n=n),
        "submit": _("Đã gửi duyệt %(n)d câu hỏi.", n=n),
        "archive": _("Đã lưu trữ %(n)d câu hỏi.", n=n),
        "restore": _("Đã khôi phục %(n)d câu hỏi.", n=n),
        "tag": _("Đã gắn nhãn cho %(n)d câu hỏi.", n=n),
    }[action]


@bp.post("/questions/bulk")
@login_required
def bulk():
    """Bulk actions of the bank and the review queue on the ticked questions; each question
    is handled on its own and the ones refused are listed with the reason."""
    form = request.form
    try:
        ids = [int(i) for i in form.getlist("question_id")]
    except ValueError:
        abort(400)
    back = url_for("questions.review") if form.get("back") == "review" \
        else url_for("questions.bank")
    if not ids:
        flash(_("Hãy chọn ít nhất một câu hỏi."), "warning")
        return redirect(back)
    try:
        done, problems = services.bulk_action(g.user, form.get("action", ""), ids,
                                              form.get("value", ""))
    except DomainError as error:
        flash_or_raise(error)
        return redirect(back)
    db.session.commit()
    flash(_bulk_done(form["action"], done), "success")
    for problem in problems:
        flash(problem, "error")
    return redirect(back)


@bp.post("/questions/export")
@login_required
def export():
    """The ticked questions, or every question of the search (``scope=search`` with the
    search's fields), as a file in the chosen format."""
    require(g.user, "question.create")
    form = request.form
    fmt, _sep, key = form.get("format", "").partition("+")
    try:
        if form.get("scope") == "search":
            filters = {name: form.get(name, "") for name in services.FILTER_FIELDS}
            chosen = bank_export.matching_questions(g.user, form.get("q", ""), filters,
                                                    form.get("sort") or None)
        else:
            chosen = bank_export.chosen_questions(g.user, _ids(form))
        exported = bank_export.export_file(g.user, fmt, chosen, answer_key=key != "nokey")
    except DomainError as error:
        flash_or_raise(error)
        return redirect(url_for("questions.bank", **_search_args(form)))
    if exported.omitted:
        flash(_("%(n)d câu không có trong tệp vừa xuất vì chỉ tác giả và người duyệt được "
                "xem đáp án của chúng: %(ids)s.", n=len(exported.omitted),
                ids=_id_list(exported.omitted)), "warning")
    if exported.unsupported:
        flash(_("%(n)d câu không có trong tệp vừa xuất vì định dạng này không ghi được loại "
                "câu hỏi của chúng: %(ids)s.", n=len(exported.unsupported),
                ids=_id_list(exported.unsupported)), "warning")
    return export_response(exported)


def export_response(exported: bank_export.ExportFile):
    """The exported file as a download, with its counts in headers."""
    response = make_response(exported.content)
    response.headers["Content-Type"] = exported.mimetype
    response.headers["Content-Disposition"] = content_disposition(exported.filename)
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["X-Export-Count"] = str(exported.count)
    response.headers["X-Export-Omitted"] = ",".join(map(str, exported.omitted[:500]))
    response.headers["X-Export-Unsupported"] = ",".join(map(str, exported.unsupported[:500]))
    return response


def _ids(form) -> list[int]:
    try:
        return [int(i) for i in form.getlist("question_id")]
    except ValueError:
        abort(400)


def _search_args(form) -> dict:
    names = ("q", "sort", *services.FILTER_FIELDS)
    return {name: form[name] for name in names if form.get(name)}


def _id_list(ids: list[int]) -> str:
    shown = ", ".join(f"#{i}" for i in ids[:20])
    return shown + (" …" if len(ids) > 20 else "")


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


# ---------------------------------------------------------------- writing questions


def _editor_labels() -> dict:
    """Words of the editor's script, translated here so the catalogue holds them."""
    return {
        "text": _("Nội dung câu hỏi"), "cloze_text": _("Đoạn văn có chỗ trống [[g1]], [[g2]]…"),
        "options": _("Phương án"), "option_text": _("Nội dung phương án"),
        "correct": _("Đáp án đúng"), "shuffle": _("Cho phép đảo phương án"),
        "answer": _("Đáp án"), "true": _("Đúng"), "false": _("Sai"),
        "statement": _("Nội dung ý"), "answers": _("Đáp án chấp nhận"),
        "accepted": _("Câu trả lời chấp nhận (* thay cho chuỗi bất kỳ)"),
        "value": _("Giá trị"), "tolerance": _("Sai số cho phép"), "fraction": _("Tỉ lệ điểm (0–1)"),
        "case_sensitive": _("Phân biệt chữ hoa/thường"),
        "ignore_diacritics": _("Không phân biệt dấu tiếng Việt"),
        "format_2025": _("Định dạng 2025 (tối đa 4 ký tự)"), "pairs": _("Các cặp ghép"),
        "left": _("Vế trái"), "right": _("Vế phải"), "distractors": _("Vế phải gây nhiễu"),
        "items": _("Các mục theo thứ tự đúng"),
        "ordering_hint": _("Nhập các mục theo thứ tự đúng; học sinh sẽ thấy chúng bị xáo trộn."),
        "gaps": _("Chỗ trống"), "gap_kind": _("Kiểu chỗ trống"), "gap_text": _("Chữ"),
        "gap_numeric": _("Số"), "gap_dropdown": _("Chọn từ danh sách"),
        "insert_gap": _("Chèn vào đoạn văn"), "points": _("Điểm"),
        "cloze_hint": _("Mỗi chỗ trống có dấu [[mã]] đúng một lần trong đoạn văn."),
        "rubric": _("Tiêu chí chấm"), "criterion": _("Tiêu chí"),
        "min_words": _("Số từ tối thiểu"), "max_words": _("Số từ tối đa"),
        "reference": _("Bài làm tham khảo"), "child": _("Câu hỏi con"),
        "child_type": _("Loại câu hỏi con"), "add_child": _("Thêm câu hỏi con"),
        "feedback_true": _("Phản hồi khi chọn Đúng"), "feedback_false": _("Phản hồi khi chọn Sai"),
        "feedback_and_solution": _("Phản hồi và lời giải"), "feedback": _("Phản hồi chung"),
        "solution": _("Lời giải"), "add": _("Thêm"), "remove": _("Xoá"), "up": _("Lên"),
        "down": _("Xuống"), "insert_media": _("Chèn ảnh hoặc âm thanh"),
        "upload_failed": _("Không tải được tệp lên."),
        "preview_offline": _("Chưa xem trước được: mất kết nối tới máy chủ."),
        "bad_json": _("JSON không hợp lệ; chưa áp dụng."),
        "types": {name: _(label) for name, label in TYPE_LABELS.items()},
        "blanks": {name: authoring.blank_payload(name)
                   for name in authoring.editor_choices_types()},
    }


def _form_meta(form) -> services.QuestionMeta:
    def number(name):
        value = (form.get(name) or "").strip()
        if not value:
            return None
        number = parse_int(value)
        if number is None:
            raise DomainError(_("Trường %(name)s phải là số.", name=name), code="invalid_form")
        return number

    return services.meta_from({
        "subject": form.get("subject"), "grade": number("grade"),
        "topic_id": number("topic_id"), "level_id": number("level_id"),
        "tags": [t for t in (form.get("tags") or "").split(",") if t.strip()]})


def _form_payload(form) -> dict:
    try:
        # the app's provider: nesting is bounded before parsing (lms.core.jsonlimits)
        payload = current_app.json.loads(form.get("payload") or "")
    except ValueError:
        raise DomainError(_("Nội dung câu hỏi gửi lên bị hỏng (không đọc được JSON)."),
                          code="invalid_payload") from None
    if isinstance(payload, dict):
        payload.pop("__uid", None)
    return payload


def _editor_page(question, payload: dict, meta: dict, error: DomainError | None = None,
                 status: int = 200):
    choices = authoring.editor_choices()
    title = _("Sửa câu hỏi #%(id)d", id=question.id) if question else _("Soạn câu hỏi mới")
    problems = (error.details or {}).get("problems", []) if error else []
    return render_template(
        "questions/edit.html", question=question, payload=payload, meta=meta, title=title,
        choices=choices, labels=_editor_labels(),
        subject_ids={s.code: s.id for s in choices["subjects"]},
        error={"message": error.message, "problems": problems} if error else None), status


def _meta_of(question) -> dict:
    tags = services.tags_of([question.id])[question.id]
    subject = db.session.get(Subject, question.subject_id) if question.subject_id else None
    return {"subject": subject.code if subject else "", "grade": question.grade,
            "topic_id": question.topic_id, "level_id": question.level_id,
            "tags": ", ".join(tags), "note": "", "title": question.current_version.title}


def _flash_duplicates(question) -> None:
    duplicates = services.find_duplicates(g.user, question.current_version.payload,
                                          question.subject_id, question.grade,
                                          exclude_id=question.id)
    for duplicate in duplicates:
        message = (_("Câu hỏi này trùng với câu #%(id)d đã có.", id=duplicate["id"])
                   if duplicate["kind"] == "exact"
                   else _("Câu hỏi này gần giống câu #%(id)d đã có.", id=duplicate["id"]))
        flash(message, "warning")


@bp.route("/questions/new", methods=["GET", "POST"])
@login_required
def create():
    """A new question of any type, written in the browser with a live preview."""
    require(g.user, "question.create")
    if request.method == "GET":
        try:
            payload = authoring.blank_payload(request.args.get("type", "single_choice"))
        except DomainError:
            raise NotFound(_("Không có loại câu hỏi này.")) from None
        return _editor_page(None, payload, {"subject": "", "grade": "", "tags": "", "note": "",
                                            "title": ""})
    form = request.form
    payload = None
    try:
        payload = _form_payload(form)
        question = services.create_question(g.user, _form_meta(form), payload,
                                            note=form.get("note", ""), title=form.get("title"))
        db.session.commit()
    except DomainError as error:
        db.session.rollback()
        fallback = payload if isinstance(payload, dict) and payload.get("type") in \
            TYPE_LABELS else authoring.blank_payload("single_choice")
        return _editor_page(None, fallback, dict(form), error, 400)
    flash(_("Đã lưu câu hỏi #%(id)d (bản nháp).", id=question.id), "success")
    _flash_duplicates(question)
    return redirect(url_for("questions.detail", question_id=question.id))


@bp.route("/questions/<id:question_id>/edit", methods=["GET", "POST"])
@login_required
def edit(question_id: int):
    """A new version of the question; its metadata is changed in place."""
    question = services.load_question(question_id)
    require(g.user, "question.edit", question)
    if request.method == "GET":
        return _editor_page(question, question.current_version.payload, _meta_of(question))
    form = request.form
    payload = None
    try:
        payload = _form_payload(form)
        services.update_meta(g.user, question, _form_meta(form))
        title = services.checked_title(form.get("title"))
        current = question.current_version
        if payload != current.payload or title != current.title:
            services.revise_question(g.user, question, payload, note=form.get("note", ""),
                                     title=title)
        db.session.commit()
    except DomainError as error:
        db.session.rollback()
        question = services.load_question(question_id)
        shown = payload if isinstance(payload, dict) and payload.get("type") == question.type \
            else question.current_version.payload
        return _editor_page(question, shown, dict(form), error, 400)
    flash(_("Đã lưu câu hỏi #%(id)d.", id=question.id), "success")
    _flash_duplicates(question)
    return redirect(url_for("questions.detail", question_id=question.id))


@bp.post("/questions/preview")
@login_required
def preview():
    """The payload as a student sees it, or every problem with its path (JSON)."""
    require(g.user, "question.create")
    data = request.get_json(silent=True)
    raw = data.get("payload") if isinstance(data, dict) else None
    if isinstance(raw, dict):
        raw.pop("__uid", None)
    try:
        payload = services.checked_payload(raw)
    except DomainError as error:
        return jsonify({"ok": False, "message": str(error.message),
                        "problems": (error.details or {}).get("problems", [])})
    html = render_template("questions/_preview.html", view=student_view(payload))
    return jsonify({"ok": True, "html": html})


@bp.post("/questions/media")
@login_required
def upload_media():
    """An image or audio file for question text: ``{"url", "kind"}``."""
    upload = request.files.get("file")
    if upload is None:
        raise DomainError(_("Chưa chọn tệp."), code="no_file")
    stored = authoring.store_media(g.user, upload.filename or "", upload.stream)
    return jsonify({"url": stored.url, "kind": stored.kind}), 201


@bp.get("/questions/<id:question_id>/versions")
@login_required
def compare(question_id: int):
    """Two versions side by side with the fields that changed (default: the last two)."""
    question = services.load_question(question_id)
    require(g.user, "question.view", question)
    if services.question_detail(g.user, question)["view"] != "teacher":
        raise NotFound(_("Không có phiên bản này."))
    versions = {v.number: v for v in question.versions}
    newest = max(versions)
    b = request.args.get("b", type=int) or newest
    a = request.args.get("a", type=int) or max(1, b - 1)
    if a not in versions or b not in versions:
        raise NotFound(_("Không có phiên bản này."))
    older, newer = versions[a], versions[b]
    return render_template("questions/compare.html", question=question, older=older,
                           newer=newer, numbers=sorted(versions),
                           changes=authoring.version_changes(older, newer))


@bp.app_template_global()
def is_reviewer(user) -> bool:
    return bool(memberships(user, *REVIEWER_ROLES))
