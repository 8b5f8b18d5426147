"""Teacher pages of a test's results: the essay grading queue (one answer at a time, rubric,
comment, blind mode), the report with histogram and item analysis, the exports, and the
key correction (regrade) with a before/after preview."""

from flask import (
    Blueprint,
    flash,
    g,
    make_response,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from lms.auth.decorators import login_required
from lms.core.errors import DomainError, NotFound
from lms.core.errors_views import flash_or_raise
from lms.exams import exports, grading, key_form, reports, services
from lms.exams.models import Exam
from lms.kernel import db
from media import content_disposition

bp = Blueprint("exam_grading", __name__)

XLSX_MIMETYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _exam(exam_id: int) -> Exam:
    return services.exam_for(g.user, exam_id, "exam.grade")


def _flag(name: str) -> bool:
    return (request.values.get(name) or "") in ("1", "true", "on")


@bp.get("/exams/<id:exam_id>/grading")
@login_required
def queue(exam_id: int):
    """One ungraded answer at a time (``pos`` picks among them); ``blind=1`` hides names."""
    exam = _exam(exam_id)
    blind = _flag("blind")
    data = grading.queue(g.user, exam, blind=blind)
    items = data["items"]
    try:
        pos = min(max(int(request.args.get("pos", 0)), 0), max(len(items) - 1, 0))
    except ValueError:
        pos = 0
    return render_template("exams/grading/queue.html", exam=exam, data=data, blind=blind,
                           pos=pos, item=items[pos] if items else None)


@bp.post("/exams/<id:exam_id>/grading/<id:attempt_id>/<int:slot>")
@login_required
def grade(exam_id: int, attempt_id: int, slot: int):
    """Save one grade, then show the next ungraded answer in the same mode."""
    exam = _exam(exam_id)
    attempt = grading.gradable_attempt(g.user, attempt_id)
    if attempt.exam_id != exam.id:
        raise NotFound(_l("Không tìm thấy lượt làm bài."))
    form = request.form
    entry = grading.hand_graded_slots(exam).get(slot)
    try:
        child = int(form["child"]) if form.get("child") else None
    except ValueError:
        child = -1                      # refused by set_grade as an unknown child
    part = next((p for p in grading.grading_parts(entry) if p["child"] == child), None) \
        if entry is not None else None
    rubric = None
    if part is not None and part["rubric"] and form.get("mode") == "rubric":
        rubric = {c["criterion"]: form.get(f"rubric-{i}", "").strip()
                  for i, c in enumerate(part["rubric"])}
    points = None if rubric is not None else (form.get("points", "").strip() or None)
    try:
        grading.set_grade(g.user, attempt_id, slot, points=points, rubric=rubric,
                          comment=form.get("comment", ""), child=child)
        db.session.commit()
        flash(_("Đã lưu điểm."), "success")
    except DomainError as error:
        flash_or_raise(error)
    return redirect(url_for("exam_grading.queue", exam_id=exam.id,
                            blind=1 if _flag("blind") else None,
                            pos=form.get("pos") or None))


@bp.get("/exams/<id:exam_id>/report")
@login_required
def report(exam_id: int):
    """Histogram, per-class and per-student tables, item analysis with bars."""
    exam = _exam(exam_id)
    rows = reports.load_rows(exam)
    data = reports.exam_report(g.user, exam, rows)
    items = reports.item_report(g.user, exam, rows)
    peak = max([b["count"] for b in data["summary"]["histogram"]] + [1])
    return render_template("exams/grading/report.html", exam=exam, data=data, items=items,
                           peak=peak)


def _download(body: bytes, filename: str, mimetype: str):
    response = make_response(body)
    response.headers["Content-Type"] = mimetype
    response.headers["Content-Disposition"] = content_disposition(filename)
    return response


@bp.get("/exams/<id:exam_id>/export.<any(csv, xlsx):fmt>")
@login_required
def export(exam_id: int, fmt: str):
    """Every finished attempt; the XLSX also has the item analysis sheet."""
    exam = _exam(exam_id)
    rows = reports.load_rows(exam)
    headers, table = exports.result_table(rows)
    name = _("Kết quả - %(title)s", title=exam.title)
    if fmt == "csv":
        return _download(exports.to_csv(headers, table), f"{name}.csv",
                         "text/csv; charset=utf-8")
    item_headers, item_rows = exports.item_table(reports.item_report(g.user, exam, rows))
    body = exports.to_xlsx([(_("Kết quả"), headers, table),
                            (_("Phân tích câu hỏi"), item_headers, item_rows)])
    return _download(body, f"{name}.xlsx", XLSX_MIMETYPE)


@bp.get("/exams/<id:exam_id>/item-analysis.csv")
@login_required
def export_items(exam_id: int):
    exam = _exam(exam_id)
    headers, table = exports.item_table(reports.item_report(g.user, exam))
    name = _("Phân tích câu hỏi - %(title)s", title=exam.title)
    return _download(exports.to_csv(headers, table), f"{name}.csv", "text/csv; charset=utf-8")


# ---------------------------------------------------------------- regrade


@bp.route("/exams/<id:exam_id>/regrade", methods=["GET", "POST"])
@login_required
def regrade(exam_id: int):
    """Correct the key of one slot (any objective type, or a stimulus' objective children):
    preview the before/after table (``grading.regrade`` dry run), then apply."""
    exam = services.exam_for(g.user, exam_id, "exam.manage")
    slots = [e for e in exam.snapshot if e["payload"]["type"] != "description"]
    try:
        chosen = int(request.values.get("slot") or (slots[0]["slot"] if slots else 0))
    except ValueError:
        chosen = 0
    entry = next((e for e in slots if e["slot"] == chosen), None)
    report_data, payload = None, entry["payload"] if entry else None
    if request.method == "POST" and entry is not None:
        if not key_form.editable(entry["payload"]):
            raise NotFound(_l("Không tìm thấy trang hoặc dữ liệu bạn yêu cầu."))
        apply = request.form.get("action") == "apply"
        try:
            payload = key_form.key_from_form(entry["payload"], request.form)
            report_data = grading.regrade(g.user, exam, chosen, payload, dry_run=not apply)
            if apply:
                db.session.commit()
                flash(_("Đã chấm lại câu %(slot)d: %(n)d bài thay đổi điểm.", slot=chosen,
                        n=report_data["changed"]), "success")
                return redirect(url_for("exam_grading.report", exam_id=exam.id))
            db.session.rollback()
        except DomainError as error:
            flash_or_raise(error)
            report_data = None
    return render_template("exams/grading/regrade.html", exam=exam, slots=slots, entry=entry,
                           payload=payload, report=report_data, editable=key_form.editable,
                           answer_rows=key_form.answer_rows)
