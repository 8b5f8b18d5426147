"""Teacher pages: build a test from a matrix (ma trận đề) and preview its variants (mã đề).

The form is a grid per section (Phần I/II/III): rows are the topics of the chosen subject and
grade, columns the levels of the scale, each input a count, with the bank's usable questions
shown beside it. The same services as ``POST /api/v1/exams`` build and publish.
"""

from flask import Blueprint, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from sqlalchemy import select

from lms.auth.decorators import login_required
from lms.auth.permissions import require
from lms.core.errors import DomainError, NotFound
from lms.core.errors_views import flash_or_raise
from lms.curriculum.models import CognitiveScale, Subject, Topic
from lms.exams import matrix, services, variants
from lms.exams.models import Exam
from lms.extensions import db
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
    return [{"name": form.get(f"name-{i}", name), "type": form.get(f"type-{i}", kind),
             "points": form.get(f"points-{i}", points)}
            for i, (name, kind, points) in enumerate(SECTION_DEFAULTS)]


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
                              "count": int(raw) if raw.isdigit() else raw,
                              "points": section["points"]})
        if cells:
            sections.append({"name": section["name"], "type": section["type"], "cells": cells})
    return {"subject": subject.code, "grade": grade, "scale": scale, "sections": sections}


def _settings(form) -> dict:
    def number(name, default):
        raw = form.get(name, "")
        return int(raw) if raw.isdigit() else (raw or default)

    return {"generation": form.get("generation", variants.FIXED),
            "variant_count": number("variant_count", 4), "code_digits": number("code_digits", 3)}


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
    source = request.form if request.method == "POST" else request.args
    subject, grade, scale = _choice(source)
    rows = _topic_rows(subject, grade) if subject else []
    levels = db.session.scalar(select(CognitiveScale).where(CognitiveScale.code == scale)).levels
    short, problems = set(), []
    if request.method == "POST":
        spec = matrix_from_form(request.form, subject, grade, scale, rows, levels)
        try:
            exam = _build(spec, request.form)
            return redirect(url_for(".variants_page", exam_id=exam.id))
        except DomainError as error:
            flash_or_raise(error)
            short = {(c["section"], c["topic_id"], c["level"])
                     for c in error.details.get("cells", [])}
            problems = error.details.get("problems", [])
    return render_template(
        "exams/matrix.html", subjects=db.session.scalars(select(Subject).order_by(
            Subject.position)).all(), subject=subject, grade=grade, scale=scale, scales=SCALES,
        rows=rows, levels=levels, sections=_sections(source), values=source,
        available=matrix.availability(g.user, subject.id, grade) if subject else {},
        types=matrix.SECTION_TYPES, classes=_teacher_classes(g.user), short=short,
        problems=problems, generations=variants.GENERATIONS), 400 if problems or short else 200


def _build(spec: dict, form) -> Exam:
    exam = matrix.create_exam_from_matrix(g.user, form.get("title", ""), spec, _settings(form))
    if form.get("publish"):
        services.publish(g.user, exam)
    for class_id in form.getlist("class_ids"):
        school_class = db.session.get(SchoolClass, int(class_id)) if class_id.isdigit() else None
        if school_class is None:
            raise NotFound(_("Không tìm thấy lớp."))
        services.assign_to_class(g.user, exam, school_class)
    db.session.commit()
    flash(_("Đã tạo bài kiểm tra “%(title)s” từ ma trận.", title=exam.title), "success")
    return exam


def _exam(exam_id: int) -> Exam:
    return services.load_exam(exam_id)


@bp.get("/<int:exam_id>/variants")
@login_required
def variants_page(exam_id: int):
    """The test's variant codes; the first variant's paper and key below them."""
    exam = _exam(exam_id)
    listed = variants.list_variants(g.user, exam)
    code = listed["variants"][0]["code"] if listed["variants"] else None
    return _preview(exam, listed, code)


@bp.get("/<int:exam_id>/variants/<code>")
@login_required
def variant_page(exam_id: int, code: str):
    """One variant's paper as its students see it, and its answer key."""
    exam = _exam(exam_id)
    return _preview(exam, variants.list_variants(g.user, exam), code)


@bp.get("/<int:exam_id>/sample-draw")
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
