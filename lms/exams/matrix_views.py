"""Teacher pages: build a test from a matrix (ma trận đề) and preview its variants (mã đề).

The form is a grid per section (Phần I/II/III): rows are the topics of the chosen subject and
grade, columns the levels of the scale, each input a count, with the bank's usable questions
shown beside it. The same services as ``POST /api/v1/exams`` build and publish.
"""

from flask import Blueprint, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from sqlalchemy import select
from werkzeug.datastructures import MultiDict

from lms.auth.decorators import login_required
from lms.auth.permissions import require
from lms.core.errors import DomainError, NotFound
from lms.core.errors_views import flash_or_raise
from lms.core.ids import parse_int
from lms.curriculum.models import CognitiveScale, Subject, Topic
from lms.exams import logic, matrix, services, variants
from lms.exams.forms import MatrixWindowForm
from lms.exams.models import Exam, ExamState
from lms.kernel import db
from lms.org.models import Role, SchoolClass

bp = Blueprint("exam_matrix", __name__, url_prefix="/exams")

#: The 2025 national-exam layout, offered as the form's starting point.
SECTION_DEFAULTS = [("Phần I", "single_choice", "0,25"), ("Phần II", "true_false_4", "1"),
                    ("Phần III", "short_numeric", "0,5")]
SCALES = ("4LEVEL", "3LEVEL")


def _topic_rows(subject: Subject, grade: int) -> list[tuple[Topic, int]]:
    """Chapters and their topics in order, with their depth (0 chapter, 1 topic)."""
    chapters = db.session.scalars(select(Topic).where(
        Topic.subject_id == subject.id, Topic.grade == grade, Topic.parent_id.is_(None))
        .order_by(Topic.position, Topic.id)).all()
    return [row for chapter in chapters
            for row in [(chapter, 0), *((child, 1) for child in chapter.children)]]


def _choice(args) -> tuple[Subject | None, int, str]:
    subjects = db.session.scalars(select(Subject).order_by(Subject.position)).all()
    code = (args.get("subject") or "TOAN").upper()
    subject = next((s for s in subjects if s.code == code), subjects[0] if subjects else None)
    try:
        grade = int(args.get("grade") or 10)
    except ValueError:
        grade = 10
    scale = args.get("scale") if args.get("scale") in SCALES else SCALES[0]
    return subject, grade, scale


def _sections(form) -> list[dict]:
    """The section slots of the grid: the three of the 2025 layout, or as many as the form
    says (a matrix from the API may have more)."""
    count = parse_int(form.get("section_count", ""))
    count = min(max(count, len(SECTION_DEFAULTS)), matrix.MAX_SECTIONS) \
        if count is not None else len(SECTION_DEFAULTS)
    slots = [*SECTION_DEFAULTS, *((f"Phần {i + 1}", "single_choice", "1")
                                  for i in range(len(SECTION_DEFAULTS), count))]
    return [{"name": form.get(f"name-{i}", name), "type": form.get(f"type-{i}", kind),
             "points": form.get(f"points-{i}", points)}
            for i, (name, kind, points) in enumerate(slots)]


def _number_or_text(raw: str):
    """A whole number as a number; anything else as typed, for the service to name."""
    number = parse_int(raw)
    return number if number is not None else raw


def matrix_from_form(form, subject: Subject, grade: int, scale: str, rows, levels) -> dict:
    """The matrix JSON from the grid; empty or 0 cells are left out, and so are sections
    without cells. Anything malformed is passed on for the service to name."""
    sections = []
    for i, section in enumerate(_sections(form)):
        cells = []
        for topic, _depth in rows:
            for level in levels:
                raw = form.get(f"n-{i}-{topic.id}-{level.code}", "").strip()
                if raw in ("", "0"):
                    continue
                cells.append({"topic_id": topic.id, "level": level.code,
                              "count": _number_or_text(raw),
                              "points": section["points"]})
        if cells:
            sections.append({"name": section["name"], "type": section["type"], "cells": cells})
    return {"subject": subject.code, "grade": grade, "scale": scale, "sections": sections}


def _settings(form, window: MatrixWindowForm) -> dict:
    def number(name, default):
        return _number_or_text(form.get(name, "")) or default

    return {"generation": form.get("generation", variants.FIXED),
            "variant_count": number("variant_count", 4), "code_digits": number("code_digits", 3),
            **window.settings()}


def _teacher_classes(user) -> list[SchoolClass]:
    seen = {}
    for m in user.memberships:
        if m.school_class is not None and m.role != Role.STUDENT:
            seen.setdefault(m.class_id, m.school_class)
    return sorted(seen.values(), key=lambda c: c.name)


@bp.route("/matrix/new", methods=["GET", "POST"])
@login_required
def new():
    """The matrix form; on POST build (and optionally publish and assign) the test."""
    require(g.user, "exam.create")
    if request.method == "GET":
        return _form(request.args, _window(logic.DEFAULT_SETTINGS))
    window = MatrixWindowForm(request.form)
    try:
        exam = _build(_spec(request.form), request.form, window)
    except DomainError as error:
        return _form(request.form, window, error)
    return redirect(url_for(".variants_page", exam_id=exam.id))


@bp.route("/<id:exam_id>/matrix", methods=["GET", "POST"])
@login_required
def edit(exam_id: int):
    """A draft's matrix in the same form, filled from what is stored; saving draws the
    questions again (the bank is re-checked as at creation). A published test refuses."""
    exam = services.exam_for(g.user, exam_id)              # 404 missing, 403 not the owner
    spec = matrix.matrix_of(exam)
    refusal = _not_editable(exam, spec)
    if refusal:
        flash(refusal, "error")
        target = ".variants_page" if spec else "exams_teacher.edit"
        return redirect(url_for(target, exam_id=exam.id))
    if request.method == "GET":
        source = _values_of(exam, spec)
        for key in ("subject", "grade", "scale"):         # the choice form above the grid
            if request.args.get(key):
                source[key] = request.args[key]
        mixed = [s["name"] for s in spec["sections"]
                 if len({c["points"] for c in s["cells"]}) > 1]
        if mixed:
            flash(_("Các ô của %(names)s có điểm khác nhau; biểu mẫu này dùng một điểm cho cả "
                    "phần, nên khi lưu mọi ô của phần sẽ có điểm đang hiện.",
                    names=", ".join(mixed)), "warning")
        return _form(source, _window(exam.settings), exam=exam)
    window = MatrixWindowForm(request.form)
    try:
        _check(window)
        matrix.update_exam_matrix(g.user, exam, request.form.get("title", ""),
                                  _spec(request.form),
                                  _settings(request.form, window))
        if request.form.get("publish"):
            services.publish(g.user, exam)
        db.session.commit()
    except DomainError as error:
        return _form(request.form, window, error, exam=exam)
    flash(_("Đã lưu ma trận của “%(title)s” và lấy lại câu hỏi từ ngân hàng.",
            title=exam.title), "success")
    return redirect(url_for(".variants_page", exam_id=exam.id))


def _not_editable(exam: Exam, spec: dict | None) -> str | None:
    if spec is None:
        return _("Bài kiểm tra này được chọn câu hỏi bằng tay, không có ma trận để sửa.")
    if exam.state != ExamState.DRAFT:
        return _("Bài kiểm tra đã phát hành nên không sửa được ma trận nữa (học sinh đã có "
                 "thể làm bài). Hãy tạo một bài mới từ ma trận.")
    return None


def matrix_editable(exam: Exam) -> bool:
    """Whether the teacher pages offer “Sửa ma trận”: a draft built from a matrix."""
    return exam.state == ExamState.DRAFT and matrix.matrix_of(exam) is not None


bp.add_app_template_global(matrix_editable)


def _window(settings: dict) -> MatrixWindowForm:
    window = MatrixWindowForm(formdata=None)
    window.fill(settings)
    return window


def _check(window: MatrixWindowForm) -> None:
    """The window fields' own messages (same as Cài đặt) stop the build before the bank."""
    if not window.validate():
        raise DomainError(_("Hãy sửa các ô thời gian được đánh dấu."), code="invalid")


def _spec(form) -> dict:
    subject, grade, scale = _choice(form)
    rows = _topic_rows(subject, grade) if subject else []
    return matrix_from_form(form, subject, grade, scale, rows, _levels(scale))


def _levels(scale: str):
    return db.session.scalar(select(CognitiveScale).where(CognitiveScale.code == scale)).levels


def _values_of(exam: Exam, spec: dict) -> MultiDict:
    """The form fields of a stored matrix: one slot per section (name, type, the points of
    its first cell) and a count per cell, with the draft's title and paper settings."""
    values = MultiDict({"title": exam.title, "subject": spec["subject"],
                        "grade": str(spec["grade"]), "scale": spec["scale"],
                        "section_count": str(len(spec["sections"])),
                        "generation": logic.setting(exam.settings, "generation"),
                        "variant_count": str(logic.setting(exam.settings, "variant_count")),
                        "code_digits": str(logic.setting(exam.settings, "code_digits"))})
    for i, section in enumerate(spec["sections"]):
        values.update({f"name-{i}": section["name"], f"type-{i}": section["type"],
                       f"points-{i}": section["cells"][0]["points"].replace(".", ",")})
        for cell in section["cells"]:
            values[f"n-{i}-{cell['topic_id']}-{cell['level']}"] = str(cell["count"])
    return values


def _form(source, window: MatrixWindowForm, error: DomainError | None = None,
          exam: Exam | None = None):
    """The builder (new, or a draft's matrix) from ``source``; after a refused build the
    short cells are marked and the problems listed, with status 400."""
    short, problems = set(), []
    if error is not None:
        flash_or_raise(error)
        short = {(c["section"], c["topic_id"], c["level"])
                 for c in error.details.get("cells", [])}
        problems = error.details.get("problems", [])
    subject, grade, scale = _choice(source)
    rows = _topic_rows(subject, grade) if subject else []
    return render_template(
        "exams/matrix.html", subjects=db.session.scalars(select(Subject).order_by(
            Subject.position)).all(), subject=subject, grade=grade, scale=scale, scales=SCALES,
        rows=rows, levels=_levels(scale), sections=_sections(source), values=source,
        available=matrix.availability(g.user, subject.id, grade) if subject else {},
        types=matrix.SECTION_TYPES, classes=[] if exam else _teacher_classes(g.user),
        short=short, problems=problems, generations=variants.GENERATIONS, window=window,
        exam=exam), 400 if error is not None else 200


def _build(spec: dict, form, window: MatrixWindowForm) -> Exam:
    _check(window)
    exam = matrix.create_exam_from_matrix(g.user, form.get("title", ""), spec,
                                          _settings(form, window))
    if form.get("publish"):
        services.publish(g.user, exam)
    for class_id in form.getlist("class_ids"):
        number = parse_int(class_id)
        school_class = db.session.get(SchoolClass, number) if number is not None else None
        if school_class is None:
            raise NotFound(_("Không tìm thấy lớp."))
        services.assign_to_class(g.user, exam, school_class)
    db.session.commit()
    flash(_("Đã tạo bài kiểm tra “%(title)s” từ ma trận.", title=exam.title), "success")
    return exam


def _exam(exam_id: int) -> Exam:
    return services.exam_for(g.user, exam_id)


@bp.get("/<id:exam_id>/variants")
@login_required
def variants_page(exam_id: int):
    """The test's variant codes; the first variant's paper and key below them."""
    exam = _exam(exam_id)
    listed = variants.list_variants(g.user, exam)
    code = listed["variants"][0]["code"] if listed["variants"] else None
    return _preview(exam, listed, code)


@bp.get("/<id:exam_id>/variants/<code>")
@login_required
def variant_page(exam_id: int, code: str):
    """One variant's paper as its students see it, and its answer key."""
    exam = _exam(exam_id)
    return _preview(exam, variants.list_variants(g.user, exam), code)


@bp.get("/<id:exam_id>/sample-draw")
@login_required
def sample_draw_page(exam_id: int):
    """A random-draw test: one paper drawn as a student starting now could get it, with its
    key; no attempt is made. Every load is a new draw; ``?seed=`` shows one again."""
    exam = _exam(exam_id)
    listed = variants.list_variants(g.user, exam)
    sample = variants.sample_draw(g.user, exam, request.args.get("seed", type=int))
    return _preview(exam, listed, None, sample)


def _preview(exam: Exam, listed: dict, code: str | None, sample: dict | None = None):
    paper = sample or (variants.variant_paper(g.user, exam, code) if code else None)
    shown = []
    for question in (paper or {}).get("questions", []):
        view = {k: v for k, v in question.items()
                if k not in ("number", "slot", "section", "points")}
        if "options" in view:  # the list is printed A, B, C … in this order
            view["options"] = [{k: v for k, v in o.items() if k != "label"}
                               for o in view["options"]]
        shown.append({**question, "view": view})
    spec = matrix.matrix_of(exam)
    subject = db.session.scalar(select(Subject).where(Subject.code == spec["subject"])) \
        if spec else None
    return render_template("exams/variants.html", exam=exam, listed=listed, code=code,
                           paper=paper, questions=shown, matrix_spec=spec, sample=sample,
                           subject_name=subject.name if subject is not None else None)
