"""Student pages of online tests (my tests, start, take, result) and the teacher's integrity
log. The take page is driven by lms/static/js/exam-take.js over the JSON attempt API."""

import mimetypes
import re

from flask import Blueprint, abort, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import pgettext
from sqlalchemy import select

from lms.auth.decorators import login_required
from lms.auth.permissions import can
from lms.core.errors import DomainError, NotFound
from lms.core.errors_views import flash_or_raise
from lms.core.models import utcnow
from lms.core.storage import download_response
from lms.exams import access, integrity, logic, services, student
from lms.exams.models import AttemptState, Exam
from lms.i18n import vn_date
from lms.kernel import db

bp = Blueprint("exams", __name__, url_prefix="/exams")


def _assigned_exam(exam_id: int) -> tuple[Exam, student.ExamRow]:
    """The exam if it is assigned to one of the student's classes; 404 otherwise."""
    exam = db.session.get(Exam, exam_id)
    row = student.row_for(g.user, exam, utcnow()) if exam is not None else None
    if row is None:
        raise NotFound(_("Không tìm thấy bài kiểm tra."))
    return exam, row


@bp.get("/")
@login_required
def my_exams():
    """Bài kiểm tra của tôi: assigned tests (students) and the tests one built (teachers)."""
    now = utcnow()
    owned = []
    if can(g.user, "exam.create"):
        owned = db.session.scalars(select(Exam).where(Exam.owner_id == g.user.id)
                                   .order_by(Exam.created_at.desc())).all()
    return render_template("exams/my_exams.html", rows=student.assigned_exams(g.user, now),
                           owned=owned, is_student=bool(student.student_class_ids(g.user)),
                           now=now)


@bp.get("/<id:exam_id>")
@login_required
def start_page(exam_id: int):
    exam, row = _assigned_exam(exam_id)
    return _start_page(exam, row)


def _start_page(exam: Exam, row: student.ExamRow, code_error: str | None = None,
                status: int = 200):
    return render_template("exams/start.html", exam=exam, row=row, settings=exam.settings,
                           count=len(exam.snapshot), code_error=code_error,
                           mode=logic.setting(exam.settings, "mode"),
                           navigation=logic.setting(exam.settings, "navigation")), status


@bp.post("/<id:exam_id>/start")
@login_required
def start(exam_id: int):
    """Start or resume, then go to the take page (form POST with the CSRF token and, when
    the test has one, the access code). A wrong code shows the start page again with the
    message; the counted guess is committed (and nothing else)."""
    exam, row = _assigned_exam(exam_id)
    code = (request.form.get("access_code") or "").strip() or None
    try:
        attempt = services.start_attempt(g.user, exam, utcnow(), code)
        db.session.commit()
    except DomainError as error:
        if error.code in access.ACCESS_CODE_ERRORS:
            db.session.commit()     # the counted guess stays counted
            return _start_page(exam, row, _code_message(error, exam), error.status)
        flash_or_raise(error)
        return redirect(url_for("exams.start_page", exam_id=exam_id))
    return redirect(url_for("exams.take", attempt_id=attempt.id))


def _code_message(error: DomainError, exam: Exam) -> str:
    """The access-code refusal in words; when throttled, the time to try again."""
    if error.code != "access_code_throttled":
        return str(error.message)
    until = access.retry_at(g.user, exam)
    if until is None:
        return str(error.message)
    minutes = max(1, -(-int((until - utcnow()).total_seconds()) // 60))
    return _("Nhập sai mã truy cập quá nhiều lần. Em có thể thử lại lúc %(at)s "
             "(khoảng %(minutes)s phút nữa).", at=vn_date(until), minutes=minutes)


def _current_attempt(attempt_id: int, now):
    """The caller's attempt, closed first if it is past deadline + grace (as the sweep would);
    a pre-generated one that has not started yet redirects to its start page."""
    attempt = services.own_attempt(g.user, attempt_id)
    if attempt.state == AttemptState.PENDING:    # pre-generated: started from the start page
        return attempt, redirect(url_for("exams.start_page", exam_id=attempt.exam_id))
    if attempt.state == AttemptState.IN_PROGRESS and services.close_if_overdue(attempt, now):
        db.session.commit()
    return attempt, None


@bp.get("/attempts/<id:attempt_id>")
@login_required
def take(attempt_id: int):
    now = utcnow()
    attempt, elsewhere = _current_attempt(attempt_id, now)
    if elsewhere is not None:
        return elsewhere
    if attempt.state != AttemptState.IN_PROGRESS:
        return redirect(url_for("exams.result", attempt_id=attempt.id))
    data = student.take_data(attempt, now)
    return render_template("exams/take.html", attempt=attempt, exam=attempt.exam,
                           data=data, urls=_take_urls(attempt), strings=take_strings())


def take_strings() -> dict:
    """Every text exam-take.js shows, translated here (the script has no catalogue)."""
    return {
        "saved": _("Đã lưu"), "saving": _("Đang lưu…"),
        "retrying": _("Chưa lưu, đang thử lại"),
        "question": _("Câu {n}"), "of": _("Câu {n}/{total}"),
        "flag": _("Đánh dấu xem lại"), "unflag": _("Bỏ đánh dấu"),
        "answered": _("đã trả lời"), "flagged": _("đã đánh dấu"),
        "true": _("Đúng"), "false": _("Sai"), "choose": _("— Chọn —"),
        "up": _("Lên"), "down": _("Xuống"), "keep_order": _("Giữ thứ tự này"),
        "order_hint": _("Dùng nút Lên/Xuống để sắp xếp; thứ tự được lưu khi em thay đổi."),
        "words": _("{n} từ"), "answer": _("Câu trả lời"),
        "numeric_hint": _("Tối đa 4 ký tự: chữ số, dấu trừ, dấu phẩy."),
        "no_limit": _("Không giới hạn thời gian"),
        "none_unanswered": _("Em đã trả lời tất cả các câu."),
        "unanswered": _("Câu chưa trả lời: {list}"),
        "flagged_list": _("Câu đã đánh dấu xem lại: {list}"),
        "submitting": _("Đang nộp bài…"),
        "submit_offline": _("Chưa có kết nối. Bài sẽ được nộp ngay khi có mạng — đừng đóng "
                            "trang."),
        "time_up": _("Đã hết giờ. Bài làm đang được nộp với các câu trả lời đã lưu."),
        "finished": _("Bài làm đã được nộp. Đang chuyển đến trang kết quả…"),
        "invalid": _("Câu {n}: câu trả lời không hợp lệ — {why}"),
        "error": _("Không nộp được bài: {why}"),
        "session": _("Phiên đăng nhập đã hết. Câu trả lời vẫn được giữ trên máy này; hãy "
                     "đăng nhập lại (ở thẻ khác) rồi quay lại trang này."),
        "right": _("Đúng"), "wrong": _("Sai"), "partial": _("Đúng một phần"),
        "pending": _("Chờ chấm"), "key_label": _("Đáp án"),
        "explain_label": _("Lời giải / nhận xét"),
        "your_answer": _("Câu trả lời của em"), "not_answered": _("Chưa trả lời"),
        "refused": _("Câu trả lời này không được lưu: {why}"),
        "locked_sequential": _("Câu này đã qua (bài làm lần lượt), nên câu trả lời mới không "
                               "được lưu. Câu trả lời đã lưu được giữ nguyên."),
        "locked_checked": _("Câu này đã được kiểm tra, nên câu trả lời không sửa được nữa."),
        "check": pgettext("practice", "Kiểm tra"), "checking": _("Đang kiểm tra…"),
        "check_first": _("Hãy trả lời câu này trước khi kiểm tra."),
        "check_refused": _("Không kiểm tra được: {why}"),
        "check_result": pgettext("practice", "Kết quả"),
        "checked_note": _("Câu đã kiểm tra không sửa được nữa."),
        "part_right": _("đúng"), "part_wrong": _("sai"),
    }


def _take_urls(attempt) -> dict:
    api = f"/api/v1/attempts/{attempt.id}"
    return {"save": api + "/answers/", "submit": api + "/submit", "events": api + "/events",
            "next": api + "/next", "check": api + "/check/",
            "attempt": api, "result": url_for("exams.result", attempt_id=attempt.id),
            "media": url_for("exams.media", attempt_id=attempt.id, key="")}


@bp.get("/attempts/<id:attempt_id>/result")
@login_required
def result(attempt_id: int):
    now = utcnow()
    attempt, elsewhere = _current_attempt(attempt_id, now)
    if elsewhere is not None:
        return elsewhere
    if attempt.state == AttemptState.IN_PROGRESS:
        return redirect(url_for("exams.take", attempt_id=attempt.id))
    review = student.review_data(attempt, now)
    return render_template("exams/result.html", attempt=attempt, exam=attempt.exam,
                           review=review, shown=set(review["shown"]), strings=take_strings(),
                           urls={"media": url_for("exams.media", attempt_id=attempt.id,
                                                  key="")})


_MEDIA_SRC = re.compile(r'src="/media/([^"?#]+)"')


def _media_keys(exam: Exam) -> set[str]:
    """Stimulus media keys and /media/ sources in the question HTML of the exam's snapshot."""
    keys: set[str] = set()

    def walk(value) -> None:
        if isinstance(value, dict):
            if value.get("kind") in ("image", "audio") and isinstance(value.get("key"), str):
                keys.add(value["key"])
            for item in value.values():
                walk(item)
        elif isinstance(value, list):
            for item in value:
                walk(item)
        elif isinstance(value, str) and "/media/" in value:
            keys.update(_MEDIA_SRC.findall(value))

    walk([entry["payload"] for entry in exam.snapshot])
    return keys


@bp.get("/attempts/<id:attempt_id>/media/<path:key>")
@login_required
def media(attempt_id: int, key: str):
    """An image or audio file used by the questions of one's own attempt (and only those)."""
    attempt = services.own_attempt(g.user, attempt_id)
    if ".." in key or key.startswith("/") or key not in _media_keys(attempt.exam):
        abort(404)
    filename = key.rsplit("/", 1)[-1]
    mimetype = mimetypes.guess_type(filename)[0] or "application/octet-stream"
    return download_response(key, filename, mimetype)


@bp.get("/<id:exam_id>/integrity")
@login_required
def integrity_log(exam_id: int):
    """For the test's owner: each student's attempts with their integrity events."""
    exam = services.exam_for(g.user, exam_id)
    return render_template("exams/integrity.html", exam=exam,
                           log=integrity.exam_log(g.user, exam), labels=integrity.KIND_LABELS)
