"""Who takes a test. An assignment gives an exam to a class, to a unit (a school, a district
office, the whole department) that reaches every class below it — a province-wide mock exam
is one assignment — or to a group (nhóm): students a teacher picked by hand, within or across
classes (the students who retake, a cross-class đội tuyển).

Which assignment a student sits under (its window, ``group_override`` and per-student
``overrides``) when several reach them is ``preferred``'s rule: **their class assignment
first, then a group they belong to, then a unit**; among equals the oldest. So a 10A1 student
who is also in "Nhóm thi lại" of the same test sits with 10A1's settings; a student reached
only through the group sits with the group's. The exam list, starting, pre-generation,
results and overrides all go through ``reaches``/``assignment_for``/``students_of``.

A group reaches its members while they hold a student membership (like a class, a student who
left every class drops out). Who may put a student in a group is ``exam.assign_to_student``,
checked when the group is made.
"""

import functools

from flask_babel import lazy_gettext as _l
from sqlalchemy import String, and_, bindparam, cast, literal, or_, select
from sqlalchemy.orm import aliased, selectinload

from lms.auth.models import User
from lms.auth.permissions import can, require
from lms.core.errors import Conflict, DomainError, Forbidden
from lms.exams.models import Exam, ExamAssignment, ExamAssignmentMember
from lms.kernel import db
from lms.kernel.text import clean_name
from lms.org.models import Membership, Role, SchoolClass, Unit

MAX_GROUP = 500
MAX_GROUP_NAME = 120


def _condition(user_id):
    """``reaches`` for ``user_id`` (a value or a bind parameter)."""
    classes = select(Membership.class_id).where(
        Membership.user_id == user_id, Membership.role == Role.STUDENT,
        Membership.class_id.is_not(None))
    school = aliased(Unit)
    above = select(Membership.id).join(SchoolClass, SchoolClass.id == Membership.class_id) \
        .join(school, school.id == SchoolClass.school_id).where(
            Membership.user_id == user_id, Membership.role == Role.STUDENT,
            school.path.contains(literal("/") + cast(ExamAssignment.unit_id, String) + "/"))
    groups = select(ExamAssignmentMember.assignment_id).where(
        ExamAssignmentMember.user_id == user_id)
    return or_(ExamAssignment.class_id.in_(classes),
               and_(ExamAssignment.unit_id.is_not(None), above.exists()),
               and_(ExamAssignment.id.in_(groups), classes.exists()))


def reaches(user):
    """SQL condition: an assignment that reaches this student — their class, a unit above
    their class's school (the unit's id is in the school's materialised path), a group they
    are in while they are in a class (a student who left every class is reached by none).
    All in subqueries: nothing of the student's is loaded first."""
    return _condition(user.id)


def _rank(assignment: ExamAssignment) -> int:
    return {"class": 0, "group": 1, "unit": 2}[assignment.kind]


def preferred(assignments) -> list[ExamAssignment]:
    """Class assignments first, then groups, then units, each by age: the first is the one a
    start uses."""
    return sorted(assignments, key=lambda a: (_rank(a), a.id))


def preference_order() -> tuple:
    """``preferred`` as ORDER BY terms (false sorts first): class, group, unit, then age."""
    return (ExamAssignment.class_id.is_(None), ExamAssignment.unit_id.is_not(None),
            ExamAssignment.id)


def assignment_for(user, exam: Exam) -> ExamAssignment | None:
    """The assignment a student's attempt at ``exam`` belongs to (None: not theirs)."""
    return db.session.scalars(_assignment_statement(),
                              {"exam_id": exam.id, "user_id": user.id}).first()


@functools.cache
def _assignment_statement():
    """``assignment_for`` in one statement, built once (building it cost more than running
    it: issue 4 §6 S2)."""
    return select(ExamAssignment).where(
        ExamAssignment.exam_id == bindparam("exam_id"), _condition(bindparam("user_id"))) \
        .order_by(*preference_order()).limit(1)


def assign_to_unit(actor, exam: Exam, unit: Unit, overrides: dict | None = None
                   ) -> ExamAssignment:
    """Give the exam to every class below ``unit``; only someone who leads or administers
    that unit (a school leader for a school, the department's administrators above)."""
    require(actor, "exam.manage", exam)
    require(actor, "exam.assign_to_unit", unit)
    existing = db.session.scalar(select(ExamAssignment).where(
        ExamAssignment.exam_id == exam.id, ExamAssignment.unit_id == unit.id))
    if existing is not None:
        return existing
    assignment = ExamAssignment(exam_id=exam.id, unit_id=unit.id,
                                overrides={str(k): v for k, v in (overrides or {}).items()})
    db.session.add(assignment)
    db.session.flush()
    return assignment


def _id_list(ids) -> str:
    return ", ".join(str(i) for i in ids)


def _group_name(exam: Exam, name: str | None) -> str:
    name = clean_name(name)
    if not name:
        raise DomainError(_l("Cần tên nhóm, ví dụ “Nhóm thi lại”."), code="invalid_group")
    if len(name) > MAX_GROUP_NAME:
        raise DomainError(_l("Tên nhóm dài tối đa %(n)d ký tự.", n=MAX_GROUP_NAME),
                          code="invalid_group")
    if any(a.kind == "group" and a.name.casefold() == name.casefold()
           for a in exam.assignments):
        raise Conflict(_l("Bài đã được giao cho nhóm “%(name)s”.", name=name),
                       code="group_exists")
    return name


def group_students(actor, student_ids) -> list[int]:
    """The distinct ids, in order, once every one is a student the actor reaches: none → 400
    ``empty_group``; not a student → 400 ``unknown_students``; not the actor's → 403
    ``not_your_students``; each message names the ids."""
    ids = list(dict.fromkeys(int(i) for i in student_ids))
    if not ids:
        raise DomainError(_l("Hãy chọn ít nhất một học sinh cho nhóm."), code="empty_group")
    if len(ids) > MAX_GROUP:
        raise DomainError(_l("Một nhóm có tối đa %(n)d học sinh.", n=MAX_GROUP),
                          code="invalid_group")
    students = {u.id: u for u in db.session.scalars(
        select(User).options(selectinload(User.memberships))
        .where(User.id.in_(ids), User.id.in_(
            select(Membership.user_id).where(Membership.role == Role.STUDENT))))}
    unknown = [i for i in ids if i not in students]
    if unknown:
        raise DomainError(_l("Không có học sinh mã %(ids)s.", ids=_id_list(unknown)),
                          details={"student_ids": unknown}, code="unknown_students")
    outside = [i for i in ids if not can(actor, "exam.assign_to_student", students[i])]
    if outside:
        raise Forbidden(_l("Bạn không dạy hoặc quản lý học sinh mã %(ids)s nên không đưa vào "
                           "nhóm được.", ids=_id_list(outside)),
                        details={"student_ids": outside}, code="not_your_students")
    return ids


def assign_to_group(actor, exam: Exam, name: str, student_ids) -> ExamAssignment:
    """Give the exam to a named group of students the actor teaches or manages
    (``exam.assign_to_student`` for each); duplicates ignored, names unique per exam."""
    require(actor, "exam.manage", exam)
    name = _group_name(exam, name)
    ids = group_students(actor, student_ids)
    assignment = ExamAssignment(exam_id=exam.id, name=name, overrides={})
    db.session.add(assignment)
    db.session.flush()
    db.session.add_all(ExamAssignmentMember(assignment_id=assignment.id, user_id=user_id)
                       for user_id in ids)
    db.session.flush()
    return assignment


def members_of(assignments) -> dict[int, list[int]]:
    """Group assignment id → its members' user ids (in one query; {} without groups)."""
    groups = [a.id for a in assignments if a.kind == "group"]
    members: dict[int, list[int]] = {i: [] for i in groups}
    if groups:
        for assignment_id, user_id in db.session.execute(
                select(ExamAssignmentMember.assignment_id, ExamAssignmentMember.user_id)
                .where(ExamAssignmentMember.assignment_id.in_(groups))
                .order_by(ExamAssignmentMember.user_id)):
            members[assignment_id].append(user_id)
    return members


def _class_and_unit_students(assignments) -> list[tuple[int, ExamAssignment]]:
    """(student id, assignment) for every class and unit assignment reaching a student."""
    class_ids = {a.class_id for a in assignments if a.class_id}
    unit_paths = {a.unit_id: db.session.get(Unit, a.unit_id).path
                  for a in assignments if a.unit_id}
    condition = []
    if class_ids:
        condition.append(Membership.class_id.in_(list(class_ids)))
    for path in unit_paths.values():
        condition.append(Unit.path.startswith(path))
    if not condition:
        return []
    rows = db.session.execute(
        select(Membership.user_id, Membership.class_id, Unit.path)
        .join(SchoolClass, SchoolClass.id == Membership.class_id)
        .join(Unit, Unit.id == SchoolClass.school_id)
        .where(Membership.role == Role.STUDENT, or_(*condition)))
    return [(user_id, a) for user_id, class_id, school_path in rows for a in assignments
            if a.class_id == class_id
            or (a.unit_id and school_path.startswith(unit_paths[a.unit_id]))]


def _group_members(assignments) -> list[tuple[int, ExamAssignment]]:
    """(student id, assignment) for every group member who is still a student."""
    groups = {a.id: a for a in assignments if a.kind == "group"}
    if not groups:
        return []
    rows = db.session.execute(
        select(ExamAssignmentMember.user_id, ExamAssignmentMember.assignment_id)
        .where(ExamAssignmentMember.assignment_id.in_(list(groups)),
               ExamAssignmentMember.user_id.in_(
                   select(Membership.user_id).where(Membership.role == Role.STUDENT))))
    return [(user_id, groups[assignment_id]) for user_id, assignment_id in rows]


def students_of(exam: Exam) -> dict[int, ExamAssignment]:
    """Every student the exam reaches (classes, units, groups) → the assignment a start
    would use (``preferred``)."""
    assignments = list(exam.assignments)
    reaching: dict[int, list[ExamAssignment]] = {}
    for user_id, assignment in (_class_and_unit_students(assignments)
                                + _group_members(assignments)):
        reaching.setdefault(user_id, []).append(assignment)
    return {user_id: preferred(found)[0] for user_id, found in reaching.items()}
