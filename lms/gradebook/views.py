"""Gradebook pages: where to go, a subject's grid (scores saved per cell by
gradebook-grid.js, or the whole form without script), the class summary with conduct, a
student's summary and term report (PDF), the leader's lock page, XLSX export and import."""

import json

from flask import Blueprint, current_app, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _

from lms.auth.decorators import login_required
from lms.core.errors import DomainError, NotFound, Unavailable
from lms.core.errors_views import flash_or_raise
from lms.core.pdf import PdfFailed, PdfUnavailable, html_to_pdf
from lms.gradebook import feeds, home, reading, services, sheets, summary, terms
from lms.gradebook.book import load_class, students_of
from lms.kernel import db
from media import content_disposition

bp = Blueprint("gradebook", __name__, url_prefix="/gradebook")
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@bp.app_template_filter("vn_score")
def vn_score(value) -> str:
    """A stored score or average with a decimal comma ("7.5" → "7,5"); ratings and words
    ("Đ", "Khá") and None ("") as they are."""
    if value is None:
        return ""
    text = str(value)
    return text.replace(".", ",") if text[:1].isdigit() else text


def _term() -> int:
    return 2 if request.values.get("term") == "2" else 1


def _download(content: bytes, filename: str, mimetype: str):
    response = current_app.response_class(content, mimetype=mimetype)
    response.headers["Content-Disposition"] = content_disposition(filename)
    response.headers["Cache-Control"] = "private, no-store"
    return response


@bp.get("/")
@login_required
def index():
    return render_template("gradebook/index.html", links=home.home(g.user))


# ------------------------------------------------------------------ a subject's grid


@bp.get("/classes/<id:class_id>/subjects/<code>")
@login_required
def subject_page(class_id: int, code: str):
    sheet = reading.subject_sheet(g.user, class_id, code)
    choices = feeds.choices(g.user, class_id, code) if sheet["can_write"] else []
    return render_template("gradebook/subject.html", sheet=sheet, term=_term(),
                           choices=choices, fields=_fields(sheet))


def _fields(sheet: dict) -> list[tuple[str, str]]:
    """(field, column title) of the grid, in order."""
    info = sheet["subject"]
    if info["primary"]:
        names = {"mid": _("Giữa kì"), "mid_test": _("KT giữa kì"), "end": _("Cuối kì"),
                 "end_test": _("KT cuối kì")}
        order = ["mid", *(["mid_test"] if info["mid_test"] else []), "end",
                 *(["end_test"] if info["end_test"] else [])]
        return [(f, names[f]) for f in order]
    return ([(f"regular.{n}", _("TX%(n)s", n=n)) for n in range(1, info["regular_count"] + 1)]
            + [("mid", _("GK")), ("end", _("CK"))])


@bp.post("/classes/<id:class_id>/subjects/<code>")
@login_required
def subject_save(class_id: int, code: str):
    """The grid posted whole (without script): ``s<id>.<field>`` cells and ``v<id>``."""
    rows, versions = _posted_rows(request.form)
    try:
        changed = services.save_cells(g.user, class_id, code, _term(), rows, via="web",
                                      versions=versions)
        db.session.commit()
        flash(_("Đã lưu điểm của %(n)s học sinh.", n=changed), "success")
    except DomainError as error:
        flash_or_raise(error)
        for field, messages in error.details.get("fields", {}).items():
            flash(f"{field}: {' '.join(messages)}", "error")
    return redirect(url_for("gradebook.subject_page", class_id=class_id, code=code,
                            term=_term()))


def _posted_rows(form) -> tuple[dict[int, dict], dict[int, int]]:
    rows, versions = {}, {}
    for key, value in form.items():
        head, _sep, field = key.partition(".")
        if head.startswith("s") and head[1:].isdigit() and field:
            rows.setdefault(int(head[1:]), {})[field] = value
        elif head.startswith("v") and head[1:].isdigit() and value.isdigit():
            versions[int(head[1:])] = int(value)
    return rows, versions


@bp.post("/classes/<id:class_id>/subjects/<code>/publication")
@login_required
def publish(class_id: int, code: str):
    published = request.form.get("published") == "1"
    try:
        terms.set_published(g.user, class_id, code, _term(),
                               request.form.getlist("column"), published)
        db.session.commit()
        flash(_("Đã công bố cột điểm.") if published else _("Đã thu hồi cột điểm."), "success")
    except DomainError as error:
        flash_or_raise(error)
    return redirect(url_for("gradebook.subject_page", class_id=class_id, code=code,
                            term=_term()))


@bp.post("/classes/<id:class_id>/subjects/<code>/sources")
@login_required
def map_source(class_id: int, code: str):
    kind, _sep, source_id = request.form.get("source", "").partition(":")
    body = {"term": _term(), "field": request.form.get("field"), "kind": kind,
            "source_id": int(source_id) if source_id.isdigit() else None}
    try:
        _row, filled = feeds.map_source(g.user, class_id, code, body)
        db.session.commit()
        flash(_("Đã liên kết bài kiểm tra; %(n)s ô được điền.", n=filled), "success")
    except DomainError as error:
        flash_or_raise(error)
    return redirect(url_for("gradebook.subject_page", class_id=class_id, code=code,
                            term=_term()))


@bp.post("/classes/<id:class_id>/flags/<id:flag_id>")
@login_required
def resolve_flag(class_id: int, flag_id: int):
    """Apply or dismiss a test score that reached a locked term."""
    try:
        feeds.resolve_flag(g.user, class_id, flag_id, request.form.get("apply") == "1")
        db.session.commit()
        flash(_("Đã xử lí điểm chờ."), "success")
    except DomainError as error:
        flash_or_raise(error)
    return redirect(url_for("gradebook.subject_page", class_id=class_id,
                            code=request.form.get("code", ""), term=_term()))


@bp.get("/classes/<id:class_id>/subjects/<code>/history/<id:student_id>")
@login_required
def history_page(class_id: int, code: str, student_id: int):
    changes = reading.cell_history(g.user, class_id, code, student_id, _term())
    sheet_student = next((s for s in students_of(class_id) if s.id == student_id), None)
    return render_template("gradebook/history.html", changes=changes, class_id=class_id,
                           code=code, term=_term(), student=sheet_student)


# ------------------------------------------------------------------ spreadsheets


@bp.get("/classes/<id:class_id>/subjects/<code>/export.xlsx")
@login_required
def export_xlsx(class_id: int, code: str):
    sheet = reading.subject_sheet(g.user, class_id, code)
    book, setup = services.subject_context(g.user, class_id, code, write=False)
    usernames = {s.id: s.username for s in students_of(class_id)}
    content = sheets.export_term(sheet, setup, _term(), usernames)
    return _download(content, f"so-diem-{sheet['class']['name']}-{setup.code}-hk{_term()}.xlsx",
                     XLSX)


@bp.route("/classes/<id:class_id>/subjects/<code>/import", methods=["GET", "POST"])
@login_required
def import_page(class_id: int, code: str):
    """Upload → a preview of what would be saved and every problem by row and column."""
    book, setup = services.subject_context(g.user, class_id, code, write=True)
    parsed, error = None, None
    upload = request.files.get("file")
    if request.method == "POST" and upload is not None:
        try:
            parsed = sheets.parse_term(upload.filename or "", upload.read(), setup,
                                       students_of(class_id))
        except sheets.SheetError as problem:
            error = str(problem)
    status = 400 if error or (parsed and parsed.problems) else 200
    return render_template("gradebook/import.html", book=book, setup=setup, term=_term(),
                           parsed=parsed, error=error, class_id=class_id,
                           rows_json=json.dumps(parsed.rows) if parsed else ""), status


@bp.post("/classes/<id:class_id>/subjects/<code>/import/confirm")
@login_required
def import_confirm(class_id: int, code: str):
    """Save the previewed cells; they are read and checked again exactly like typed ones."""
    try:
        rows = {int(k): v for k, v in json.loads(request.form.get("rows", "{}")).items()}
    except (ValueError, AttributeError):
        raise DomainError(_("Dữ liệu xem trước không hợp lệ; hãy tải tệp lên lại."),
                          code="invalid_import") from None
    if not all(isinstance(v, dict) for v in rows.values()):
        raise DomainError(_("Dữ liệu xem trước không hợp lệ; hãy tải tệp lên lại."),
                          code="invalid_import")
    changed = services.save_cells(g.user, class_id, code, _term(), rows, via="import",
                                  reason=_("Nhập từ tệp Excel"))
    db.session.commit()
    flash(_("Đã nhập điểm của %(n)s học sinh.", n=changed), "success")
    return redirect(url_for("gradebook.subject_page", class_id=class_id, code=code,
                            term=_term()))


# ------------------------------------------------------------------ class and student pages


@bp.route("/classes/<id:class_id>", methods=["GET", "POST"])
@login_required
def class_page(class_id: int):
    period = request.values.get("period", "1")
    if request.method == "POST":
        _save_conduct(class_id, period)
        return redirect(url_for("gradebook.class_page", class_id=class_id, period=period))
    data = summary.class_summary(g.user, class_id, period)
    return render_template("gradebook/class.html", data=data)


def _save_conduct(class_id: int, period: str) -> None:
    ratings, versions = {}, {}
    for key, value in request.form.items():
        if key.startswith("c") and key[1:].isdigit():
            ratings[int(key[1:])] = value or None
        elif key.startswith("v") and key[1:].isdigit() and value.isdigit():
            versions[int(key[1:])] = int(value)
    try:
        term = int(period) if period in ("1", "2") else None
        changed = terms.save_conducts(g.user, class_id, term, ratings, versions)
        db.session.commit()
        flash(_("Đã lưu rèn luyện của %(n)s học sinh.", n=changed), "success")
    except DomainError as error:
        flash_or_raise(error)


@bp.get("/classes/<id:class_id>/students/<id:student_id>")
@login_required
def student_page(class_id: int, student_id: int):
    data = reading.student_summary(g.user, class_id, student_id)
    return render_template("gradebook/student.html", data=data)


@bp.get("/classes/<id:class_id>/students/<id:student_id>/report.pdf")
@login_required
def student_report(class_id: int, student_id: int):
    """The printable term report (phiếu báo kết quả học tập), as the viewer may see it."""
    data = reading.student_summary(g.user, class_id, student_id)
    school_class = load_class(class_id)
    page = render_template("gradebook/report.html", data=data, term=_term(),
                           school=school_class.school)
    try:
        content = html_to_pdf(page, current_app.config.get("PDF_CHROMIUM") or None)
    except (PdfUnavailable, PdfFailed) as error:
        current_app.logger.warning("PDF: %s", error)
        raise Unavailable(_("Máy chủ chưa tạo được PDF (cần Chromium)."),
                          code="pdf_unavailable") from None
    name = f"phieu-bao-{data['class']['name']}-{student_id}-hk{_term()}.pdf"
    return _download(content, name, "application/pdf")


# ------------------------------------------------------------------ the leader's locks


@bp.get("/schools/<id:school_id>/locks")
@login_required
def locks_page(school_id: int):
    year = request.args.get("year", type=int)
    return render_template("gradebook/locks.html", data=home.school_locks(g.user, school_id,
                                                                          year))


@bp.post("/schools/<id:school_id>/locks")
@login_required
def locks_save(school_id: int):
    data = home.school_locks(g.user, school_id, request.form.get("year", type=int))
    wanted = request.form.get("class_id", type=int)
    class_ids = [row["class"].id for row in data["classes"]
                 if wanted is None or row["class"].id == wanted]
    if wanted is not None and not class_ids:
        raise NotFound(_("Không tìm thấy lớp."))
    locked = request.form.get("locked") == "1"
    try:
        terms.set_school_lock(g.user, class_ids, request.form.get("term", type=int), locked)
        db.session.commit()
        flash(_("Đã khoá sổ.") if locked else _("Đã mở khoá sổ."), "success")
    except DomainError as error:
        flash_or_raise(error)
    return redirect(url_for("gradebook.locks_page", school_id=school_id,
                            year=data["year"].id if data["year"] else None))

