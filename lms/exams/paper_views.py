"""Paper mode downloads for the exam's manager: test papers per mã đề (.docx, .pdf), answer
keys (.docx, .csv) and the 2025 answer sheet (.pdf). See docs/exams.md "Paper mode"."""

from flask import Blueprint, current_app, g, make_response, request
from flask_babel import gettext as _

from lms.auth.decorators import login_required
from lms.core.errors import Conflict, NotFound, Unavailable
from lms.core.pdf import PdfFailed, PdfUnavailable, html_to_pdf
from lms.curriculum.models import Subject
from lms.exams import paper, services
from lms.exams.models import Exam, ExamState
from lms.kernel import db
from lms.questions.transfer import media_bytes
from media import content_disposition

bp = Blueprint("exam_paper", __name__)

DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


def exam_variants(exam: Exam) -> list:
    """The exam's variants (anything with ``code``, ``order``, ``option_order`` — an
    ``exam.variants`` relationship when variants exist), else the fixed paper "000"."""
    variants = list(getattr(exam, "variants", None) or [])
    return sorted(variants, key=lambda v: v.code) or [paper.fixed_variant(exam.snapshot)]


def _managed_exam(exam_id: int) -> Exam:
    """Load (404), check the manager (403), and require a frozen paper (409)."""
    exam = services.exam_for(g.user, exam_id)
    if exam.state != ExamState.PUBLISHED or not exam.snapshot:
        raise Conflict(_("Hãy phát hành bài kiểm tra trước khi in đề."), code="not_published")
    return exam


def _variant(exam: Exam):
    variants = exam_variants(exam)
    code = request.args.get("code")
    if not code:
        return variants[0]
    for variant in variants:
        if variant.code == code:
            return variant
    raise NotFound(_("Bài kiểm tra không có mã đề %(code)s.", code=code[:8]))


def _header(exam: Exam, code: str) -> paper.PaperHeader:
    subject = db.session.get(Subject, exam.subject_id) if exam.subject_id else None
    limit = exam.settings.get("time_limit_s")
    return paper.PaperHeader(title=exam.title, code=code,
                             subject=subject.name if subject is not None else "",
                             minutes=int(limit) // 60 if limit else None)


def _download(content, filename: str, mimetype: str):
    response = make_response(content)
    response.headers["Content-Type"] = mimetype
    response.headers["Content-Disposition"] = content_disposition(filename)
    response.headers["Cache-Control"] = "private, no-store"
    return response


def _pdf(page_html: str) -> bytes:
    try:
        return html_to_pdf(page_html, current_app.config.get("PDF_CHROMIUM") or None)
    except (PdfUnavailable, PdfFailed) as error:
        current_app.logger.warning("PDF: %s", error)
        raise Unavailable(_("Máy chủ chưa tạo được PDF (cần Chromium); hãy tải bản .docx."),
                          code="pdf_unavailable") from None


def _papers(exam: Exam) -> list[tuple[str, list]]:
    return [(v.code, paper.entries_for(exam.snapshot, v)) for v in exam_variants(exam)]


@bp.get("/exams/<id:exam_id>/paper.docx")
@login_required
def paper_docx(exam_id: int):
    """The test paper of one mã đề (?code=, default the first) as Word."""
    exam = _managed_exam(exam_id)
    variant = _variant(exam)
    content = paper.paper_docx(_header(exam, variant.code),
                               paper.entries_for(exam.snapshot, variant), media_bytes)
    return _download(content, f"de-{exam.id}-ma-{variant.code}.docx", DOCX)


@bp.get("/exams/<id:exam_id>/paper.pdf")
@login_required
def paper_pdf(exam_id: int):
    """The test paper of one mã đề as PDF."""
    exam = _managed_exam(exam_id)
    variant = _variant(exam)
    page = paper.paper_html(_header(exam, variant.code),
                            paper.entries_for(exam.snapshot, variant), media_bytes)
    return _download(_pdf(page), f"de-{exam.id}-ma-{variant.code}.pdf", "application/pdf")


@bp.get("/exams/<id:exam_id>/answer-key.docx")
@login_required
def answer_key_docx(exam_id: int):
    """The answer key of every mã đề, one page each, with the solutions."""
    exam = _managed_exam(exam_id)
    content = paper.answer_key_docx(exam.title, _papers(exam))
    return _download(content, f"dap-an-{exam.id}.docx", DOCX)


@bp.get("/exams/<id:exam_id>/answer-key.csv")
@login_required
def answer_key_csv(exam_id: int):
    """ma_de, phan, cau, dap_an for every question of every mã đề."""
    exam = _managed_exam(exam_id)
    content = paper.answer_key_csv(_papers(exam)).encode("utf-8")
    return _download(content, f"dap-an-{exam.id}.csv", "text/csv; charset=utf-8")


@bp.get("/exams/<id:exam_id>/answer-sheet.pdf")
@login_required
def answer_sheet_pdf(exam_id: int):
    """The 2025 answer sheet sized to this exam's parts."""
    exam = _managed_exam(exam_id)
    variant = exam_variants(exam)[0]
    layout = paper.sheet_layout(paper.entries_for(exam.snapshot, variant), variant.code)
    return _download(_pdf(paper.answer_sheet_html(exam.title, layout)),
                     f"phieu-tra-loi-{exam.id}.pdf", "application/pdf")
