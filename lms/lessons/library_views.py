"""Pages of the lesson library and of authored lessons: browse and search, write a lesson
(metadata, pages with a live preview, images, check questions, videos), publish, assign to a
class, and read it as a learner (page by page, answering check questions)."""

from datetime import datetime, time
from decimal import Decimal

from flask import (
    Blueprint,
    flash,
    g,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from lms.auth.decorators import login_required
from lms.auth.permissions import can
from lms.core.errors import DomainError, Forbidden
from lms.core.errors_views import flash_or_raise
from lms.core.ids import parse_int, to_int
from lms.core.moments import check_moment
from lms.core.storage import download_response
from lms.curriculum.models import Subject, Topic, TopicKind
from lms.i18n import from_local
from lms.kernel import db
from lms.lessons import authored, learner, library, services
from lms.lessons.models import LessonKind
from lms.org.models import Unit

bp = Blueprint("lesson_pages", __name__, url_prefix="/lessons")

KIND_LABELS = {"authored": _l("Soạn trực tiếp"), "scorm": _l("Gói SCORM"), "video": _l("Video")}
STATUS_LABELS = {"not attempted": _l("Chưa học"), "incomplete": _l("Đang học"),
                 "completed": _l("Hoàn thành")}
LICENCES = ("CC BY 4.0", "CC BY-SA 4.0")
SERIES = ("Kết nối tri thức với cuộc sống", "Cánh diều", "Chân trời sáng tạo")


@bp.app_context_processor
def _labels():
    return {"LESSON_KIND_LABELS": KIND_LABELS, "LESSON_STATUS_LABELS": STATUS_LABELS}


def _choices() -> dict:
    subjects = list(db.session.scalars(select(Subject).order_by(Subject.position, Subject.name)))
    topics = list(db.session.scalars(select(Topic).where(Topic.kind == TopicKind.TOPIC)
                                     .order_by(Topic.subject_id, Topic.grade, Topic.position)))
    return {"subjects": subjects, "topics": topics, "licences": LICENCES, "series": SERIES,
            "kinds": KIND_LABELS}


def _int_or_none(value: str, label: str) -> int | None:
    value = (value or "").strip()
    if not value:
        return None
    number = parse_int(value)
    if number is None:
        raise DomainError(_("%(field)s phải là số.", field=label), code="invalid_metadata")
    return number


def meta_from_form(form) -> dict:
    """Metadata from the form, checked like the API's (numbers are numbers, grade 1–12)."""
    grade = _int_or_none(form.get("grade"), _("Khối lớp"))
    if grade is not None and not 1 <= grade <= 12:
        raise DomainError(_("Khối lớp phải là số từ 1 đến 12."), code="invalid_metadata")
    duration = _int_or_none(form.get("duration_minutes"), _("Thời lượng"))
    return {"title": form.get("title", ""), "grade": grade,
            "subject_id": _int_or_none(form.get("subject_id"), _("Môn học")),
            "topic_id": _int_or_none(form.get("topic_id"), _("Chủ đề")),
            "textbook_series": form.get("textbook_series", ""),
            "duration_minutes": duration or 45,
            "authors": [a for a in form.get("authors", "").split(";") if a.strip()],
            "licence": form.get("licence", ""), "description": form.get("description", "")}


# --- library -----------------------------------------------------------------------------

@bp.get("/library")
@login_required
def library_page():
    """Thư viện bài giảng: search, filters, paging."""
    args = request.args
    filters = {name: args.get(name, "") for name in library.FILTERS}
    try:
        result = library.search_lessons(g.user, args.get("q", ""), filters, args.get("page", 1))
    except DomainError as error:
        flash_or_raise(error)
        result = {"items": [], "total": 0, "page": 1, "pages": 1}
    return render_template("lessons/library.html", result=result, filters=filters,
                           q=args.get("q", ""), can_create=can(g.user, "lesson.create"),
                           schools=library.schools_in_reach(g.user), **_choices())


@bp.route("/new", methods=["GET", "POST"])
@login_required
def new():
    """Start an authored lesson: its metadata first, pages next."""
    values = request.form if request.method == "POST" else {"duration_minutes": "45",
                                                             "licence": "CC BY-SA 4.0"}
    if request.method == "POST":
        try:
            lesson = authored.create_authored(g.user, meta_from_form(request.form))
            db.session.commit()
            flash(_("Đã tạo bài giảng; hãy thêm trang."), "success")
            return redirect(url_for("lesson_pages.edit", lesson_id=lesson.id))
        except DomainError as error:
            flash_or_raise(error)
    elif not can(g.user, "lesson.create"):
        raise Forbidden(_("Bạn không có quyền soạn bài giảng."))
    return render_template("lessons/meta_form.html", lesson=None, values=values, **_choices())


def _meta_values(lesson) -> dict:
    return {"title": lesson.title, "subject_id": lesson.subject_id or "",
            "grade": lesson.grade or "", "topic_id": lesson.topic_id or "",
            "textbook_series": lesson.textbook_series,
            "duration_minutes": lesson.duration_minutes,
            "authors": "; ".join(lesson.authors or []), "licence": lesson.licence,
            "description": lesson.description}


@bp.route("/<id:lesson_id>/edit", methods=["GET", "POST"])
@login_required
def edit(lesson_id: int):
    """Metadata, the draft's pages (reorder, delete), publish and assign."""
    lesson = authored.authored_for_edit(g.user, lesson_id)
    values = _meta_values(lesson)
    if request.method == "POST":
        values = request.form
        try:
            authored.update_meta(g.user, lesson, meta_from_form(request.form))
            db.session.commit()
            flash(_("Đã lưu thông tin bài giảng."), "success")
            return redirect(url_for("lesson_pages.edit", lesson_id=lesson.id))
        except DomainError as error:
            flash_or_raise(error)
    return render_template("lessons/meta_form.html", lesson=lesson, values=values,
                           pages=authored.pages_of(lesson),
                           school=db.session.get(Unit, lesson.school_id) if lesson.school_id
                           else None,
                           version=authored.latest_version(lesson), **_choices())


@bp.route("/<id:lesson_id>/pages/new", methods=["GET", "POST"])
@bp.route("/<id:lesson_id>/pages/<id:page_id>", methods=["GET", "POST"])
@login_required
def page_form(lesson_id: int, page_id: int | None = None):
    """The page editor: a textarea with insert buttons and a live, server-rendered preview."""
    lesson = authored.authored_for_edit(g.user, lesson_id)
    page = authored.page_of(lesson, page_id) if page_id else None
    values = {"title": page.title if page else "", "body_html": page.body_html if page else ""}
    if request.method == "POST":
        values = request.form
        try:
            authored.save_page(g.user, lesson, request.form.get("title", ""),
                               request.form.get("body_html", ""), page)
            db.session.commit()
            flash(_("Đã lưu trang."), "success")
            return redirect(url_for("lesson_pages.edit", lesson_id=lesson.id))
        except DomainError as error:
            flash_or_raise(error)
    return render_template("lessons/page_form.html", lesson=lesson, page=page, values=values,
                           check_types=authored.CHECK_TYPES)


@bp.post("/<id:lesson_id>/pages/<id:page_id>/<any(up, down, delete):action>")
@login_required
def page_action(lesson_id: int, page_id: int, action: str):
    lesson = authored.authored_for_edit(g.user, lesson_id)
    page = authored.page_of(lesson, page_id)
    if action == "delete":
        authored.delete_page(g.user, lesson, page)
        flash(_("Đã xoá trang."), "success")
    else:
        authored.move_page(g.user, lesson, page, -1 if action == "up" else 1)
    db.session.commit()
    return redirect(url_for("lesson_pages.edit", lesson_id=lesson.id))


@bp.post("/<id:lesson_id>/publish")
@login_required
def publish(lesson_id: int):
    lesson = authored.authored_for_edit(g.user, lesson_id)
    try:
        version = authored.publish(g.user, lesson)
        db.session.commit()
        flash(_("Đã xuất bản phiên bản %(n)d; học sinh sẽ thấy phiên bản này.",
                n=version.number), "success")
    except DomainError as error:
        flash_or_raise(error)
    return redirect(url_for("lesson_pages.edit", lesson_id=lesson.id))


@bp.get("/<id:lesson_id>/images/<id:file_id>")
@login_required
def image(lesson_id: int, file_id: int):
    """A picture of a lesson, for whoever may open the lesson."""
    lesson = services.lesson_for(g.user, lesson_id)
    row = authored.image_file(g.user, lesson, file_id)
    return download_response(row.key, f"{lesson.id}-{row.path}", row.content_type)


# --- assigning ---------------------------------------------------------------------------

def due_from_form(form) -> datetime:
    """The due day (and time, default 23:59) in the platform's time zone, as naive UTC."""
    try:
        day = datetime.strptime(form.get("due_date", ""), "%Y-%m-%d").date()
        hour = datetime.strptime(form.get("due_time") or "23:59", "%H:%M").time()
    except ValueError:
        raise DomainError(_("Hạn nộp phải là một ngày hợp lệ."), code="invalid_due") from None
    # the year is checked before the conversion, which overflows at the calendar's edge
    local = check_moment(datetime.combine(day, time(hour.hour, hour.minute)), "due_date")
    return from_local(local)


@bp.route("/<id:lesson_id>/assign", methods=["GET", "POST"])
@login_required
def assign(lesson_id: int):
    """Give the lesson to one of the teacher's classes with a due date."""
    lesson = services.lesson_for(g.user, lesson_id)
    if request.method == "POST":
        try:
            class_id = _int_or_none(request.form.get("class_id"), _("Lớp"))
            if class_id is None:
                raise DomainError(_("Hãy chọn lớp."), code="invalid_class")
            library.assign(g.user, lesson, class_id, due_from_form(request.form))
            db.session.commit()
            flash(_("Đã giao bài giảng cho lớp."), "success")
            return redirect(url_for("lesson_pages.library_page"))
        except DomainError as error:
            flash_or_raise(error)
    return render_template("lessons/assign.html", lesson=lesson,
                           classes=library.assignable_classes(g.user), values=request.form)


# --- reading -----------------------------------------------------------------------------

def _feedbacks(snapshot: dict, rows: dict) -> dict:
    """Feedback for every check question already answered, keyed ``page:question``."""
    shown = {}
    for page in snapshot["pages"]:
        for block in page["blocks"]:
            row = rows.get(f"question:{page['id']}:{block['id']}")
            if block["kind"] == "question" and row is not None:
                fraction = None if row.score is None else Decimal(str(row.score))
                shown[f"{page['id']}:{block['id']}"] = learner.feedback(
                    block["payload"], row.response or {}, fraction)
    return shown


@bp.get("/<id:lesson_id>/read")
@login_required
def read(lesson_id: int):
    """One page of the latest published version (the author may read the draft with
    ``?draft=1``; nothing is recorded then)."""
    lesson = services.lesson_for(g.user, lesson_id)
    draft = request.args.get("draft") == "1" and can(g.user, "lesson.edit", lesson)
    if draft:
        snapshot, rows = authored.draft_snapshot(lesson), {}
    else:
        snapshot = authored.published_for(g.user, lesson).snapshot
        rows = learner.item_rows(lesson, g.user.id)
    pages = snapshot["pages"]
    if not pages:
        flash(_("Bài giảng chưa có trang nào."), "error")
        return redirect(url_for("lesson_pages.edit", lesson_id=lesson.id))
    try:
        number = max(1, min(to_int(request.args.get("page", 1)), len(pages)))
    except ValueError:
        number = 1
    page = pages[number - 1]
    return render_template(
        "lessons/reader.html", lesson=lesson, pages=pages, page=page, number=number,
        draft=draft, answers=_feedbacks(snapshot, rows), mode="draft" if draft else "read",
        progress=None if draft else learner.summary(snapshot, rows),
        viewed={int(i.split(":")[1]) for i in rows if i.startswith("page:")})


def response_from_form(question_type: str, form) -> dict:
    """A response in the question_bank contract from the reader's form fields."""
    if question_type == "single_choice":
        return {"choice": form.get("choice")} if form.get("choice") else {}
    if question_type == "multiple_response":
        return {"choices": form.getlist("choices")}
    if question_type == "true_false":
        value = form.get("value")
        return {"value": value == "true"} if value in ("true", "false") else {}
    if question_type == "true_false_4":
        return {"statements": {key[3:]: value == "true" for key, value in form.items()
                               if key.startswith("st-") and value in ("true", "false")}}
    return {"text": form.get("text", "")}


@bp.post("/<id:lesson_id>/read/<id:page_id>/questions/<id:question_id>")
@login_required
def answer(lesson_id: int, page_id: int, question_id: int):
    """Answer a check question from the reader (no JavaScript needed)."""
    lesson = services.lesson_for(g.user, lesson_id)
    snapshot = authored.published_for(g.user, lesson).snapshot
    page = authored.page_in(snapshot, page_id)
    block = authored.question_block(page, question_id)
    try:
        learner.answer(g.user, lesson, page_id, question_id,
                        response_from_form(block["payload"]["type"], request.form))
        db.session.commit()
    except DomainError as error:
        flash_or_raise(error)
    number = next(i for i, p in enumerate(snapshot["pages"], 1) if p["id"] == page_id)
    return redirect(url_for("lesson_pages.read", lesson_id=lesson.id, page=number)
                    + f"#q-{page_id}-{question_id}")


def is_authored(lesson) -> bool:
    return lesson.kind == LessonKind.AUTHORED


@bp.app_template_global()
def lesson_segments(body_html: str) -> list:
    return authored.segments(body_html)


@bp.app_template_global()
def lesson_question_view(block: dict) -> dict:
    return authored.check_question_view(block)
