"""Who may read and write the gradebook; registered in the one permission table.

- A subject teacher (a ``teacher`` membership of the class naming the subject, or naming no
  subject: "empty means all", as ``Membership.subject_id`` says) reads and writes that subject.
- The homeroom teacher reads the whole class and records conduct.
- The school's leaders (and administrators above the school) read and write everything in
  the school, lock and unlock terms; their writes are recorded with the role ``leader``.
- A student reads their own published columns; a parent linked to the student likewise.
- Everyone else gets 404 from the services: they are not told the class or student exists.
"""

from dataclasses import dataclass

from sqlalchemy import select

from lms.auth.permissions import leads, memberships, rule
from lms.kernel import db
from lms.org.models import Guardianship, Membership, Role, SchoolClass


@dataclass(frozen=True)
class SubjectTarget:
    """A subject in a class: the target of the per-subject rules."""

    school_class: SchoolClass
    subject_id: int


@dataclass(frozen=True)
class StudentTarget:
    """A student in a class: the target of ``gradebook.read_own``."""

    school_class: SchoolClass
    student_id: int


def teaches_subject(user, school_class: SchoolClass, subject_id: int) -> bool:
    return any(m.class_id == school_class.id and m.subject_id in (None, subject_id)
               for m in memberships(user, Role.TEACHER))


def is_homeroom(user, school_class: SchoolClass) -> bool:
    return any(m.class_id == school_class.id for m in memberships(user, Role.HOMEROOM_TEACHER))


def is_student_of(user_id: int, user, school_class: SchoolClass) -> bool:
    return user.id == user_id and any(m.class_id == school_class.id
                                      for m in memberships(user, Role.STUDENT))


@rule("gradebook.read_class")
def _read_class(user, school_class: SchoolClass) -> bool:
    """The whole class (every subject, learning results, conduct): homeroom and leaders."""
    return is_homeroom(user, school_class) or leads(user, school_class.school)


@rule("gradebook.read_subject")
def _read_subject(user, target: SubjectTarget) -> bool:
    """One subject's column set: its teachers, and whoever reads the whole class."""
    return (teaches_subject(user, target.school_class, target.subject_id)
            or _read_class(user, target.school_class))


@rule("gradebook.write_subject")
def _write_subject(user, target: SubjectTarget) -> bool:
    """Scores, publication and test sources of a subject: its teachers and the leaders."""
    return (teaches_subject(user, target.school_class, target.subject_id)
            or leads(user, target.school_class.school))


@rule("gradebook.write_conduct")
def _write_conduct(user, school_class: SchoolClass) -> bool:
    """Conduct (rèn luyện) and, in primary, qualities: the homeroom teacher and the leaders."""
    return is_homeroom(user, school_class) or leads(user, school_class.school)


@rule("gradebook.lock")
def _lock(user, school_class: SchoolClass) -> bool:
    """Close or reopen a term: the school's leaders."""
    return leads(user, school_class.school)


@rule("gradebook.read_own")
def _read_own(user, target: StudentTarget) -> bool:
    """A student's published columns: the student, or a parent linked to them, while the
    student belongs to the class."""
    if is_student_of(target.student_id, user, target.school_class):
        return True
    return _is_guardian(user.id, target.student_id) and _in_class(target)


@rule("gradebook.configure")
def _configure(user, school_class: SchoolClass) -> bool:
    """A class's electives: the school's leaders."""
    return leads(user, school_class.school)


def _is_guardian(parent_id: int, student_id: int) -> bool:
    return db.session.get(Guardianship, (parent_id, student_id)) is not None


def _in_class(target: StudentTarget) -> bool:
    return db.session.scalar(select(Membership.id).where(
        Membership.user_id == target.student_id, Membership.role == Role.STUDENT,
        Membership.class_id == target.school_class.id).limit(1)) is not None
