"""What each role sees first: one section per role the user holds, with useful empty states."""

from dataclasses import dataclass, field

from flask import url_for
from flask_babel import gettext as _
from sqlalchemy import func, select

from lms.auth.permissions import STAFF_ROLES, can, memberships
from lms.kernel import db
from lms.org.models import Membership, Role, SchoolClass, Unit, UnitKind


@dataclass
class Section:
    title: str
    empty: str
    #: (label, detail, url or None)
    rows: list[tuple[str, str, str | None]] = field(default_factory=list)
    actions: list[tuple[str, str]] = field(default_factory=list)
    testid: str = ""


def nav_items(user) -> list[dict]:
    items = []
    if memberships(user, Role.STUDENT):
        items.append({"label": _("Bài kiểm tra của tôi"), "url": url_for("exams.my_exams")})
    if user.memberships:
        items.append({"label": _("Thư viện bài giảng"),
                      "url": url_for("lesson_pages.library_page")})
    if can(user, "question.create"):
        items.append({"label": _("Ngân hàng câu hỏi"), "url": url_for("questions.bank")})
    if can(user, "exam.create"):
        items.append({"label": _("Bài kiểm tra"), "url": url_for("exams_teacher.index")})
    if memberships(user, Role.STUDENT, Role.PARENT, *STAFF_ROLES):
        items.append({"label": _("Sổ điểm"), "url": url_for("gradebook.index")})
    if memberships(user, Role.UNIT_REVIEWER, Role.DEPARTMENT_REVIEWER):
        items.append({"label": _("Duyệt câu hỏi"), "url": url_for("questions.review")})
    if can(user, "admin.access"):
        items.append({"label": _("Quản trị"), "url": url_for("admin.index")})
    return items


def _class_sizes(class_ids: list[int]) -> dict[int, int]:
    if not class_ids:
        return {}
    rows = db.session.execute(
        select(Membership.class_id, func.count())
        .where(Membership.class_id.in_(class_ids), Membership.role == Role.STUDENT)
        .group_by(Membership.class_id)
    )
    return dict(rows.all())


def _student(user) -> list[Section]:
    from lms.core.models import utcnow
    from lms.exams.student import assigned_exams

    classes = [m.school_class for m in memberships(user, Role.STUDENT) if m.school_class]
    todo = [(row.exam.title, _("Đang làm") if row.open_attempt else _("Đang mở"),
             url_for("exams.start_page", exam_id=row.exam.id))
            for row in assigned_exams(user, utcnow())
            if row.open_attempt or row.can_start]
    return [
        Section(_("Lớp của em"), _("Em chưa thuộc lớp nào. Hãy hỏi giáo viên chủ nhiệm."),
                [(c.name, c.school.name, None) for c in classes], testid="student-classes"),
        Section(_("Việc cần làm"), _("Chưa có bài học hay bài kiểm tra nào được giao. "
                                     "Khi giáo viên giao bài, bài sẽ hiện ở đây."),
                todo + _lesson_todo(user),
                actions=[(_("Bài kiểm tra của tôi"), url_for("exams.my_exams"))],
                testid="student-todo"),
    ]


def _lesson_todo(user) -> list[tuple[str, str, str | None]]:
    """Lessons assigned to the student's classes, with due dates (dd/mm/yyyy) and status."""
    from lms.i18n import vn_date
    from lms.lessons.library import assigned_to
    from lms.lessons.library_views import STATUS_LABELS

    return [(row["lesson"].title,
             _("Hạn %(due)s · %(status)s", due=vn_date(row["assignment"].due_at),
               status=STATUS_LABELS.get(row["status"], row["status"])),
             url_for("lessons.show", lesson_id=row["lesson"].id))
            for row in assigned_to(user)]


def _duty(m: Membership) -> str:
    if m.role == Role.HOMEROOM_TEACHER:
        return _("Chủ nhiệm")
    return m.subject.name if m.subject else _("Giảng dạy")


def _teacher(user) -> list[Section]:
    """One row per class, naming every role held in it (subjects taught, homeroom)."""
    taught = [m for m in memberships(user, Role.TEACHER, Role.HOMEROOM_TEACHER)
              if m.school_class is not None]
    sizes = _class_sizes([m.class_id for m in taught])
    duties: dict[int, list[str]] = {}
    for m in sorted(taught, key=lambda m: (m.school_class.name, m.role != Role.TEACHER)):
        duties.setdefault(m.class_id, []).append(_duty(m))
    classes = {m.class_id: m.school_class for m in taught}
    rows = [(classes[class_id].name,
             _("%(subject)s · %(count)d học sinh", subject=", ".join(names),
               count=sizes.get(class_id, 0)),
             url_for("org.class_detail", class_id=class_id))
            for class_id, names in duties.items()]
    return [Section(_("Lớp tôi dạy"), _("Bạn chưa được phân công lớp nào."), rows,
                    actions=[(_("Bài kiểm tra"), url_for("exams_teacher.index"))],
                    testid="teacher-classes")]


def _leader(user) -> list[Section]:
    sections = []
    for m in memberships(user, Role.SCHOOL_LEADER):
        school = m.unit
        n_classes = db.session.scalar(
            select(func.count()).select_from(SchoolClass).where(SchoolClass.school_id == school.id))
        n_students = db.session.scalar(
            select(func.count(func.distinct(Membership.user_id)))
            .where(Membership.unit_id == school.id, Membership.role == Role.STUDENT))
        rows = [(_("Lớp"), str(n_classes), None), (_("Học sinh"), str(n_students), None)]
        actions = [(_("Nhập danh sách"), url_for("org.roster_upload", school_id=school.id)),
                   (_("Lớp học"), url_for("org.school_classes", school_id=school.id))]
        sections.append(Section(school.name, _("Trường chưa có lớp nào."), rows, actions,
                                testid="leader-school"))
    return sections


def _reviewer(user) -> list[Section]:
    rows = []
    for m in memberships(user, Role.UNIT_REVIEWER, Role.DEPARTMENT_REVIEWER):
        subject = m.subject.name if m.subject else _("mọi môn")
        rows.append((m.unit.name, subject, None))
    return [Section(_("Phạm vi thẩm định"), "", rows, testid="reviewer-scope"),
            Section(_("Hồ sơ chờ thẩm định"),
                    _("Không có câu hỏi hay bài giảng nào đang chờ bạn thẩm định."),
                    actions=[(_("Duyệt câu hỏi"), url_for("questions.review"))],
                    testid="reviewer-queue")]


def _subtree_counts(root: Unit) -> dict[str, int]:
    """Schools, classes and people (by role) under ``root``, in three grouped queries."""
    inside = Unit.path.startswith(root.path)
    schools = db.session.scalar(select(func.count()).select_from(Unit)
                                .where(inside, Unit.kind == UnitKind.SCHOOL))
    classes = db.session.scalar(select(func.count()).select_from(SchoolClass)
                                .join(Unit, Unit.id == SchoolClass.school_id).where(inside))
    people = dict(db.session.execute(
        select(Membership.role, func.count(func.distinct(Membership.user_id)))
        .join(Unit, Unit.id == Membership.unit_id).where(inside)
        .group_by(Membership.role)).all())
    return {"schools": schools, "classes": classes,
            "students": people.get(Role.STUDENT, 0),
            "teachers": people.get(Role.TEACHER, 0) + people.get(Role.HOMEROOM_TEACHER, 0)}


def _admin(user) -> list[Section]:
    sections = []
    for m in memberships(user, Role.ADMIN):
        counts = _subtree_counts(m.unit)
        rows = [(_("Trường học"), str(counts["schools"]), url_for("admin.units")),
                (_("Lớp"), str(counts["classes"]), None),
                (_("Học sinh"), str(counts["students"]), url_for("admin.users")),
                (_("Giáo viên"), str(counts["teachers"]), url_for("admin.users"))]
        sections.append(Section(m.unit.name, "", rows,
                                [(_("Đơn vị"), url_for("admin.units")),
                                 (_("Người dùng"), url_for("admin.users")),
                                 (_("Năm học"), url_for("admin.school_years")),
                                 (_("Chương trình"), url_for("admin.curriculum"))],
                                testid="admin"))
    return sections


def _parent(user) -> list[Section]:
    from lms.auth.models import User
    from lms.org.models import Guardianship

    children = db.session.scalars(
        select(User).join(Guardianship, Guardianship.student_id == User.id)
        .where(Guardianship.parent_id == user.id)).all()
    return [Section(_("Con của tôi"), _("Tài khoản chưa được liên kết với học sinh nào."),
                    [(c.full_name, c.username, None) for c in children], testid="parent")]


BUILDERS = [
    ({Role.ADMIN}, _admin),
    ({Role.SCHOOL_LEADER}, _leader),
    ({Role.TEACHER, Role.HOMEROOM_TEACHER}, _teacher),
    ({Role.UNIT_REVIEWER, Role.DEPARTMENT_REVIEWER}, _reviewer),
    ({Role.STUDENT}, _student),
    ({Role.PARENT}, _parent),
]


def dashboard_for(user) -> list[Section]:
    held = {m.role for m in user.memberships}
    sections: list[Section] = []
    for wanted, build in BUILDERS:
        if held & wanted:
            sections.extend(build(user))
    return sections
