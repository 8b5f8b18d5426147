"""Who may build, assign and take exams; registered in the one permission table."""

from lms.auth.permissions import STAFF_ROLES, leads, memberships, rule, teaches


@rule("exam.create")
def _create(user, _target) -> bool:
    """Teachers and school leaders build tests."""
    return bool(memberships(user, *STAFF_ROLES))


@rule("exam.manage")
def _manage(user, exam) -> bool:
    """Edit, publish, assign and read results: the exam's owner."""
    return exam.owner_id == user.id


@rule("exam.assign_to_class")
def _assign(user, school_class) -> bool:
    """A teacher assigns to the classes they teach; leaders to their school's classes."""
    return teaches(user, school_class) or leads(user, school_class.school)


@rule("exam.grade")
def _grade(user, exam) -> bool:
    """Grade essays, read reports, item analysis and exports: the exam's owner, like results."""
    return exam.owner_id == user.id
