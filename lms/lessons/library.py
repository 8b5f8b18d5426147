"""The lesson library (Thư viện bài giảng): browse and search lessons, assign one to a class.

Search is a LIKE over ``lesson.search_key`` (title, description, textbook series and authors
folded with ``lms.kernel.fold``): every word of the query, folded the same way, must occur.
Lessons are few next to questions (one or a few per teacher), so a folded column beats a
second search index; the question bank keeps Whoosh.

A user sees their own lessons (drafts included), published authored lessons of their province,
and ready SCORM/video lessons of their schools — the same rule as ``lesson.view``.
"""

from datetime import datetime

from flask_babel import gettext as _
from sqlalchemy import and_, false, func, or_, select

from lms.auth.permissions import memberships, province_paths, require
from lms.core.errors import DomainError, NotFound
from lms.core.ids import parse_int
from lms.core.moments import check_moment
from lms.kernel import db
from lms.kernel.text import fold, nfc
from lms.lessons import rules as _lesson_rules  # noqa: F401 — registers lesson.assign_to_class
from lms.lessons.authored import latest_version
from lms.lessons.models import Lesson, LessonAssignment, LessonKind, LessonProgress, LessonState
from lms.org.models import Role, SchoolClass, Unit, UnitKind

PER_PAGE = 20
MAX_QUERY = 200
FILTERS = ("subject", "grade", "topic", "author", "school", "kind")


def _like(text: str) -> str:
    return "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def visible_condition(actor):
    """SQL condition: lessons this actor may open (the library never lists others)."""
    provinces = province_paths(actor)
    own_units = [m.unit_id for m in actor.memberships]
    admin_paths = [m.unit.path for m in memberships(actor, Role.ADMIN)]
    school_path = select(Unit.path).where(Unit.id == Lesson.school_id).scalar_subquery()
    published = and_(Lesson.kind == LessonKind.AUTHORED, Lesson.published_at.is_not(None),
                     or_(false(), *[school_path.startswith(p) for p in provinces]))
    uploaded = and_(Lesson.kind != LessonKind.AUTHORED, Lesson.state == LessonState.READY,
                    or_(Lesson.school_id.in_(own_units),
                        *[school_path.startswith(p) for p in admin_paths]))
    return or_(Lesson.owner_id == actor.id, published, uploaded)


def clean_filters(filters: dict) -> dict:
    """Known filters with values; numbers must be numbers (a clear 400 otherwise)."""
    cleaned = {}
    for name in FILTERS:
        value = nfc(str((filters or {}).get(name) or ""))[:100]
        if not value:
            continue
        if name in ("subject", "grade", "topic", "school"):
            value = parse_int(value)
            if value is None:
                raise DomainError(_("Bộ lọc «%(name)s» phải là số.", name=name),
                                  code="invalid_filter")
        if name == "grade" and not 1 <= value <= 12:
            raise DomainError(_("Khối lớp phải là số từ 1 đến 12."), code="invalid_filter")
        if name == "kind" and value not in {k.value for k in LessonKind}:
            raise DomainError(_("Loại bài giảng phải là «scorm», «video» hoặc «authored»."),
                              code="invalid_filter")
        cleaned[name] = value
    return cleaned


def search_lessons(actor, q: str = "", filters: dict | None = None, page=1,
                   per_page: int = PER_PAGE) -> dict:
    """Visible lessons matching every folded word of ``q`` and the filters, newest first:
    ``{"items": [Lesson], "total", "page", "pages"}``."""
    try:
        page = max(1, min(int(page or 1), 1000))
    except (TypeError, ValueError):
        raise DomainError(_("Số trang không hợp lệ."), code="invalid_page") from None
    criteria = clean_filters(filters or {})
    query = select(Lesson).where(visible_condition(actor))
    for word in fold(nfc(q or "")[:MAX_QUERY]).split():
        query = query.where(Lesson.search_key.like(_like(word), escape="\\"))
    columns = {"subject": Lesson.subject_id, "grade": Lesson.grade, "topic": Lesson.topic_id,
               "school": Lesson.school_id}
    for name, column in columns.items():
        if name in criteria:
            query = query.where(column == criteria[name])
    if "kind" in criteria:
        query = query.where(Lesson.kind == LessonKind(criteria["kind"]))
    if "author" in criteria:
        for word in fold(criteria["author"]).split():
            query = query.where(Lesson.authors_key.like(_like(word), escape="\\"))
    total = db.session.scalar(select(func.count()).select_from(query.subquery()))
    items = list(db.session.scalars(query.order_by(Lesson.updated_at.desc(), Lesson.id.desc())
                                    .offset((page - 1) * per_page).limit(per_page)))
    return {"items": items, "total": total, "page": page,
            "pages": max(1, -(-total // per_page))}


def schools_in_reach(actor) -> list[Unit]:
    """Schools of the actor's provinces, for the library's school filter."""
    paths = province_paths(actor)
    if not paths:
        return []
    return list(db.session.scalars(select(Unit).where(
        Unit.kind == UnitKind.SCHOOL, or_(*[Unit.path.startswith(p) for p in paths]))
        .order_by(Unit.name)))


# --- assignments -------------------------------------------------------------------------

def assign(actor, lesson: Lesson, class_id: int, due_at: datetime) -> LessonAssignment:
    """Give a lesson the actor may open to a class they teach, pinning the version assigned
    (an authored lesson must be published first). ``due_at`` is naive UTC in the years
    lms.core.moments takes: a due date far off would break every student's dashboard."""
    require(actor, "lesson.view", lesson)
    due_at = check_moment(due_at, "due_at")
    school_class = db.session.get(SchoolClass, class_id)
    if school_class is None:
        raise NotFound(_("Không tìm thấy lớp."))
    require(actor, "lesson.assign_to_class", school_class)
    version = None
    if lesson.kind == LessonKind.AUTHORED:
        version = latest_version(lesson)
        if version is None:
            raise DomainError(_("Hãy xuất bản bài giảng trước khi giao cho lớp."),
                              code="not_published")
    elif lesson.state != LessonState.READY:
        raise DomainError(_("Bài giảng chưa sẵn sàng để giao."), code="not_ready")
    assignment = LessonAssignment(lesson_id=lesson.id, class_id=school_class.id,
                                  lesson_version_id=version.id if version else None,
                                  due_at=due_at, assigned_by_id=actor.id)
    db.session.add(assignment)
    db.session.flush()
    return assignment


def assignable_classes(actor) -> list[SchoolClass]:
    """Classes the actor may assign lessons to (the classes they teach)."""
    return sorted({m.school_class for m in memberships(actor, Role.TEACHER,
                                                       Role.HOMEROOM_TEACHER)
                   if m.school_class is not None}, key=lambda c: c.name)


def assigned_to(user) -> list[dict]:
    """Lessons assigned to the user's classes, soonest due first, with the user's status."""
    class_ids = [m.class_id for m in memberships(user, Role.STUDENT) if m.class_id]
    if not class_ids:
        return []
    rows = db.session.scalars(select(LessonAssignment).where(
        LessonAssignment.class_id.in_(class_ids)).order_by(LessonAssignment.due_at))
    status = dict(db.session.execute(select(LessonProgress.lesson_id, LessonProgress.status)
                                     .where(LessonProgress.user_id == user.id,
                                            LessonProgress.sco == "")).all())
    return [{"assignment": a, "lesson": a.lesson,
             "status": status.get(a.lesson_id, "not attempted")} for a in rows]
