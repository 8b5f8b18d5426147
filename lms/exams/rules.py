"""Who may build, assign and take exams; registered in the one permission table."""

from lms.auth.permissions import (
    REVIEWER_ROLES,
    STAFF_ROLES,
    covers,
    leads,
    memberships,
    rule,
    teaches,
)
from lms.org.models import Role


@rule("exam.create")
def _create(user, _target) -> bool:
    """Teachers and school leaders build tests; so do the department's and districts'
    professional staff (reviewers), who set common and mock exams."""
    return bool(memberships(user, *STAFF_ROLES, *REVIEWER_ROLES))


@rule("exam.manage")
def _manage(user, exam) -> bool:
    """Edit, publish, assign and read results: the exam's owner."""
    return exam.owner_id == user.id


@rule("exam.assign_to_class")
def _assign(user, school_class) -> bool:
    """A teacher assigns to the classes they teach; leaders to their school's classes."""
    return teaches(user, school_class) or leads(user, school_class.school)


@rule("exam.assign_to_unit")
def _assign_unit(user, unit) -> bool:
    """A whole school, district or department (a province-wide mock exam): its leader, an
    administrator above it, or the department's or district's professional staff (reviewers)
    whose unit contains it."""
    return leads(user, unit) or covers(user, unit, *REVIEWER_ROLES)


@rule("exam.assign_to_student")
def _assign_student(user, student) -> bool:
    """A student may join a group (nhóm) only by someone who could give the test to one of
    their classes or to a unit above it: their teacher, their school's leader, an
    administrator or reviewer over it. Nobody gathers students they do not reach."""
    return any(_assign(user, m.school_class) or _assign_unit(user, m.unit)
               for m in student.memberships
               if m.role == Role.STUDENT and m.school_class is not None)


@rule("exam.grade")
def _grade(user, exam) -> bool:
    """Grade essays, read reports, item analysis and exports: the exam's owner, like results."""
    return exam.owner_id == user.id
