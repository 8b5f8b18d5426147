"""The teacher's test pages (Bài kiểm tra): my tests, a draft built by hand-picking bank
questions, settings, assignment to classes, publishing, results with overrides.

Every page checks ``exam.manage`` on the exam itself (another teacher: 403); the pages call
the same services as the JSON API.
"""

from decimal import Decimal

from flask import Blueprint, abort, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from lms.auth.decorators import login_required
from lms.auth.models import User
from lms.auth.permissions import require
from lms.core.errors import DomainError
from lms.core.errors_views import flash_or_raise
from lms.core.ids import to_int
from lms.curriculum.models import Subject
from lms.exams import assignments, logic, manage, pregeneration, services
from lms.exams.forms import REVIEW_LABELS, WHEN_LABELS, NewExamForm, OverrideForm, SettingsForm
from lms.exams.models import Attempt, Exam, ExamState
from lms.exams.paper_views import exam_variants
from lms.exams.teacher_nav import exam_tabs, exam_warnings
from lms.i18n import vn_date
from lms.kernel import db
from lms.questions import services as questions

bp = Blueprint("exams_teacher", __name__, url_prefix="/teacher/exams")
bp.add_app_template_global(exam_tabs)
bp.add_app_template_global(exam_warnings)

SEARCH_ARGS = ("q", "subject", "grade", "type", "page")
STATE_LABELS = {"pending": _l("Đã tạo sẵn"), "in_progress": _l("Đang làm"),
                "finished": _l("Đã nộp")}


def _exam(exam_id: int) -> Exam:
    return services.exam_for(g.user, exam_id)


def _search_args(source) -> dict:
    return {name: source.get(name, "") for name in SEARCH_ARGS if source.get(name)}


def _back_to_edit(exam: Exam):
    return redirect(url_for("exams_teacher.edit", exam_id=exam.id,
                            **_search_args(request.form)) + "#questions")


def _attempt(action, *args) -> bool:
    """Run one service call; a broken rule becomes a flash message (403/404 stay errors)."""
    try:
        action(g.user, *args)
    except DomainError as error:
        flash_or_raise(error)
        return False
    db.session.commit()
    return True


@bp.get("/")
@login_required
def index():
    """Bài kiểm tra: the tests I own."""
    require(g.user, "exam.create")
    return render_template("exams/teacher/index.html", exams=manage.my_exams(g.user))


@bp.route("/new", methods=["GET", "POST"])
@login_required
def new():
    require(g.user, "exam.create")
    form = NewExamForm()
    if form.validate_on_submit():
        exam = manage.create_draft(g.user, form.title.data)
        db.session.commit()
        return redirect(url_for("exams_teacher.edit", exam_id=exam.id))
    return render_template("exams/teacher/new.html", form=form)


@bp.get("/<id:exam_id>")
@login_required
def edit(exam_id: int):
    """The draft's questions, a bank search to add more, assignments (classes, groups; bỏ
    giao) and publishing."""
    exam = _exam(exam_id)
    args = _search_args(request.args)
    result = {"items": [], "total": 0, "page": 1}
    if exam.state == ExamState.DRAFT:
        filters = {k: v for k, v in args.items() if k in ("subject", "grade", "type")}
        try:
            result = questions.search_questions(g.user, args.get("q", ""), filters,
                                                page=args.get("page", 1))
        except DomainError as error:
            flash_or_raise(error)
    chosen = {e["question_id"] for e in exam.selection}
    assigned = {a.class_id for a in exam.assignments}
    subjects = db.session.scalars(select(Subject).order_by(Subject.position, Subject.name))
    students_by_class = assignments.assignable_students(g.user)
    return render_template(
        "exams/teacher/edit.html", exam=exam, rows=manage.selection_rows(exam), args=args,
        result=result, chosen=chosen, subjects=list(subjects), assigned=assigned,
        classes=[c for c, _students in students_by_class], students_by_class=students_by_class,
        assignment_rows=assignments.assignment_rows(exam),
        pages=max(1, -(-result["total"] // questions.PER_PAGE)),
        total_points=sum((logic.stored_points(e["points"]) for e in exam.selection), Decimal(0)))


@bp.post("/<id:exam_id>/questions/add")
@login_required
def add_question(exam_id: int):
    exam = _exam(exam_id)
    try:
        question_id = to_int(request.form.get("question_id", ""))
    except ValueError:
        abort(400)
    if _attempt(manage.add_question, exam, question_id, request.form.get("points") or "1"):
        flash(_("Đã thêm câu hỏi #%(id)d.", id=question_id), "success")
    return _back_to_edit(exam)


@bp.post("/<id:exam_id>/questions/<int:index>/<any(up, down, remove):action>")
@login_required
def change_question(exam_id: int, index: int, action: str):
    """Move a question up or down, or take it out of the draft."""
    exam = _exam(exam_id)
    if action == "remove":
        _attempt(manage.remove_question, exam, index)
    else:
        _attempt(manage.move_question, exam, index, -1 if action == "up" else 1)
    return _back_to_edit(exam)


@bp.post("/<id:exam_id>/points")
@login_required
def save_points(exam_id: int):
    exam = _exam(exam_id)
    points = [request.form.get(f"points-{i}", "") for i in range(len(exam.selection))]
    if _attempt(manage.set_points, exam, points):
        flash(_("Đã lưu điểm từng câu."), "success")
    return _back_to_edit(exam)


@bp.post("/<id:exam_id>/assign")
@login_required
def assign(exam_id: int):
    exam = _exam(exam_id)
    try:
        class_ids = [int(i) for i in request.form.getlist("class_id")]
    except ValueError:
        abort(400)
    if not class_ids:
        flash(_("Hãy chọn ít nhất một lớp."), "error")
    elif _attempt(manage.assign_classes, exam, class_ids):
        flash(_("Đã giao bài cho lớp đã chọn."), "success")
    return redirect(url_for("exams_teacher.edit", exam_id=exam.id) + "#assign")


@bp.post("/<id:exam_id>/groups")
@login_required
def add_group(exam_id: int):
    """Give the test to a named group of the teacher's students (nhóm)."""
    exam = _exam(exam_id)
    try:
        student_ids = [int(i) for i in request.form.getlist("student_id")]
    except ValueError:
        abort(400)
    group = {"name": request.form.get("name", ""), "student_ids": student_ids}
    if _attempt(assignments.assign, exam, (), (), [group]):
        flash(_("Đã giao bài cho nhóm “%(name)s” (%(n)d học sinh).",
                name=" ".join(group["name"].split()), n=len(set(student_ids))), "success")
    return redirect(url_for("exams_teacher.edit", exam_id=exam.id) + "#assign")


@bp.post("/<id:exam_id>/assignments/<id:assignment_id>/members")
@login_required
def group_members(exam_id: int, assignment_id: int):
    """A group's new member list (students taken out are handled as an unassign is)."""
    exam = _exam(exam_id)
    assignment = manage.assignment_of(exam, assignment_id)
    try:
        student_ids = [int(i) for i in request.form.getlist("student_id")]
    except ValueError:
        abort(400)
    try:
        report = assignments.set_members(g.user, exam, assignment, student_ids)
    except DomainError as error:
        flash_or_raise(error)
    else:
        db.session.commit()
        flash(_("Đã lưu nhóm “%(name)s”: %(n)d học sinh (thêm %(added)d, bỏ %(removed)d).",
                name=assignment.name, n=report["students"], added=report["added"],
                removed=report["removed"]), "success")
    return redirect(url_for("exams_teacher.edit", exam_id=exam.id) + "#assign")


@bp.post("/<id:exam_id>/assignments/<id:assignment_id>/remove")
@login_required
def unassign(exam_id: int, assignment_id: int):
    """Bỏ giao: take the test back from a class, unit or group; attempts made are kept.
    With ``close_open`` the papers still being written are collected first."""
    exam = _exam(exam_id)
    assignment = manage.assignment_of(exam, assignment_id)
    label = assignments.labels(exam)[assignment.id]
    close_open = request.form.get("close_open") == "1"
    if _attempt(assignments.unassign, exam, assignment, close_open):
        flash(_("Đã bỏ giao bài cho “%(name)s”; bài đã làm vẫn được giữ trong kết quả.",
                name=label), "success")
    return redirect(url_for("exams_teacher.edit", exam_id=exam.id) + "#assign")


@bp.post("/<id:exam_id>/publish")
@login_required
def publish(exam_id: int):
    exam = _exam(exam_id)
    if _attempt(services.publish, exam):
        flash(_("Đã phát hành bài kiểm tra; học sinh của các lớp được giao có thể làm bài "
                "trong thời gian mở."), "success")
    return redirect(url_for("exams_teacher.edit", exam_id=exam.id))


@bp.route("/<id:exam_id>/settings", methods=["GET", "POST"])
@login_required
def settings(exam_id: int):
    exam = _exam(exam_id)
    form = SettingsForm()
    if form.validate_on_submit():
        if _attempt(manage.update_settings, exam, form.settings()):
            flash(_("Đã lưu cài đặt."), "success")
            return redirect(url_for("exams_teacher.settings", exam_id=exam.id))
    elif request.method == "GET":
        form.fill(exam.settings)
    return render_template("exams/teacher/settings.html", exam=exam, form=form,
                           has_code=bool(logic.setting(exam.settings, "access_code_hash")),
                           review_labels=REVIEW_LABELS, when_labels=WHEN_LABELS)


@bp.get("/<id:exam_id>/results")
@login_required
def results(exam_id: int):
    """Attempts per student with state, score and grade; overrides per assignment (class,
    unit, group) and student. Students no longer reached (unassigned) still show their
    attempts, without an override form."""
    exam = _exam(exam_id)
    students = manage.students_of(exam)
    attempts: dict[int, list[Attempt]] = {}
    for attempt in db.session.scalars(select(Attempt).where(Attempt.exam_id == exam.id)
                                      .order_by(Attempt.number)):
        attempts.setdefault(attempt.user_id, []).append(attempt)
    users = {u.id: u for u in db.session.scalars(
        select(User).where(User.id.in_(set(students) | set(attempts))))}
    labels = assignments.labels(exam)
    rows = sorted(({"user": user, "assignment": students.get(uid),
                    "label": labels[students[uid].id] if uid in students
                    else _("Không còn được giao"),
                    "attempts": attempts.get(uid, []),
                    "override": manage.override_of(students[uid], uid) if uid in students
                    else None}
                   for uid, user in users.items()),
                  key=lambda r: (r["assignment"] is None, r["label"], r["user"].list_key))
    groups = [(a, labels[a.id], manage.override_of(a, None))
              for a in sorted(exam.assignments, key=lambda a: a.id)]
    return render_template("exams/teacher/results.html", exam=exam, rows=rows, groups=groups,
                           finals=services.final_grades(g.user, exam),
                           state_labels=STATE_LABELS, vn_time=_vn_time)


def _vn_time(value: str | None) -> str:
    """A stored ISO time (naive UTC) as typed in the forms: dd/mm/yyyy HH:MM, Vietnam time."""
    return vn_date(logic.stored_time(value))


def _override_form():
    """The posted override form, or None after flashing what is wrong with it."""
    form = OverrideForm()
    if not form.validate_on_submit():
        for errors in form.errors.values():
            for error in errors:
                flash(str(error), "error")
        return None
    return form


@bp.post("/<id:exam_id>/overrides/<id:user_id>")
@login_required
def student_override(exam_id: int, user_id: int):
    """Extra time, another window or extra attempts for one student."""
    exam = _exam(exam_id)
    form = _override_form()
    if form is not None and _attempt(manage.put_student_override, exam, user_id,
                                     form.values()):
        flash(_("Đã lưu thời gian riêng của học sinh."), "success")
    return redirect(url_for("exams_teacher.results", exam_id=exam.id) + f"#student-{user_id}")


@bp.post("/<id:exam_id>/assignments/<id:assignment_id>/override")
@login_required
def group_override(exam_id: int, assignment_id: int):
    """The same for a whole class; each student's own values still win."""
    exam = _exam(exam_id)
    assignment = manage.assignment_of(exam, assignment_id)
    form = _override_form()
    if form is not None and _attempt(manage.put_group_override, exam, assignment,
                                     form.values()):
        flash(_("Đã lưu thời gian riêng của lớp."), "success")
    return redirect(url_for("exams_teacher.results", exam_id=exam.id) + "#groups")


@bp.post("/<id:exam_id>/pregenerate")
@login_required
def pregenerate(exam_id: int):
    """At once for a class or two; a large assignment gets a background job whose progress
    the Kết quả page shows (``?task=``)."""
    exam = _exam(exam_id)
    try:
        outcome = pregeneration.request_pregeneration(g.user, exam)
    except DomainError as error:
        flash_or_raise(error)
        return redirect(url_for("exams_teacher.results", exam_id=exam.id))
    db.session.commit()
    if "task" in outcome:
        flash(_("Lớp đông nên lượt làm bài được tạo sẵn trong nền; theo dõi tiến độ bên dưới."),
              "info")
        return redirect(url_for("exams_teacher.results", exam_id=exam.id,
                                task=outcome["task"].id))
    report = outcome["report"]
    flash(_("Đã tạo sẵn %(n)d lượt làm bài (%(pending)d lượt đang chờ học sinh bắt đầu).",
            n=report["created"], pending=report["pending"]), "success")
    return redirect(url_for("exams_teacher.results", exam_id=exam.id))


@bp.get("/<id:exam_id>/export")
@login_required
def export_page(exam_id: int):
    """Xuất kết quả: the CSV and XLSX downloads of the results and the item analysis."""
    exam = _exam(exam_id)
    return render_template("exams/teacher/export.html", exam=exam)


@bp.get("/<id:exam_id>/print")
@login_required
def print_page(exam_id: int):
    """Bản in: the paper of each mã đề (.docx, .pdf), the answer keys and the answer sheet."""
    exam = _exam(exam_id)
    published = exam.state == ExamState.PUBLISHED and bool(exam.snapshot)
    codes = [v.code for v in exam_variants(exam)] if published else []
    return render_template("exams/teacher/print.html", exam=exam, codes=codes,
                           published=published)
