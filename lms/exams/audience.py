"""Who takes a test: assignments to a class, or to a unit (a school, a district office, the
whole department) that reach every class below it — a province-wide mock exam is one
assignment. A student's class assignment wins over a unit one (its overrides are the class's).
"""

from sqlalchemy import or_, select

from lms.auth.permissions import require
from lms.exams.models import Exam, ExamAssignment
from lms.extensions import db
from lms.org.models import Membership, Role, SchoolClass, Unit


def _ancestor_ids(path: str) -> list[int]:
    return [int(part) for part in path.strip("/").split("/") if part]


def _student_scope(user) -> tuple[set[int], set[int]]:
    """(the student's class ids, the ids of every unit above those classes' schools)."""
    classes = [m.school_class for m in user.memberships
               if m.role == Role.STUDENT and m.school_class is not None]
    units = {unit_id for c in classes if c.school is not None
             for unit_id in _ancestor_ids(c.school.path)}
    return {c.id for c in classes}, units


def reaches(user):
    """SQL condition: an assignment that reaches this student, or None when none can."""
    class_ids, unit_ids = _student_scope(user)
    if not class_ids:
        return None
    return or_(ExamAssignment.class_id.in_(class_ids), ExamAssignment.unit_id.in_(unit_ids))


def preferred(assignments) -> list[ExamAssignment]:
    """Class assignments first, then by age: the first is the one a start uses."""
    return sorted(assignments, key=lambda a: (a.class_id is None, a.id))


def assignment_for(user, exam: Exam) -> ExamAssignment | None:
    """The assignment a student's attempt at ``exam`` belongs to (None: not theirs)."""
    condition = reaches(user)
    if condition is None:
        return None
    found = db.session.scalars(select(ExamAssignment).where(
        ExamAssignment.exam_id == exam.id, condition)).all()
    return preferred(found)[0] if found else None


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


def students_of(exam: Exam) -> dict[int, ExamAssignment]:
    """Every student the exam reaches → the assignment a start would use."""
    assignments = preferred(exam.assignments)
    by_class = {a.class_id: a for a in reversed(assignments) if a.class_id}
    unit_paths = {a.unit_id: db.session.get(Unit, a.unit_id).path
                  for a in assignments if a.unit_id}
    condition = []
    if by_class:
        condition.append(Membership.class_id.in_(list(by_class)))
    for path in unit_paths.values():
        condition.append(Unit.path.startswith(path))
    if not condition:
        return {}
    rows = db.session.execute(
        select(Membership.user_id, Membership.class_id, Unit.path)
        .join(SchoolClass, SchoolClass.id == Membership.class_id)
        .join(Unit, Unit.id == SchoolClass.school_id)
        .where(Membership.role == Role.STUDENT, or_(*condition)))
    students: dict[int, ExamAssignment] = {}
    for user_id, class_id, school_path in rows:
        reaching = [a for a in assignments
                    if a.class_id == class_id
                    or (a.unit_id and school_path.startswith(unit_paths[a.unit_id]))]
        best = preferred(reaching)[0]
        if user_id not in students or preferred([best, students[user_id]])[0] is best:
            students[user_id] = best
    return students
