"""Who may see, edit and review questions; registered in the one permission table."""

from lms.auth.permissions import REVIEWER_ROLES, STAFF_ROLES, memberships, rule
from question_bank.models import QuestionStatus


def _is_staff(user) -> bool:
    return bool(memberships(user, *STAFF_ROLES, *REVIEWER_ROLES))


def reviews_subject(user, question) -> bool:
    """A reviewer whose unit contains the question's school and whose subject matches."""
    for m in memberships(user, *REVIEWER_ROLES):
        subject_ok = m.subject_id is None or m.subject_id == question.subject_id
        unit_ok = question.school_id is None or _school_path(question).startswith(m.unit.path)
        if subject_ok and unit_ok:
            return True
    return False


def _school_path(question) -> str:
    from lms.kernel import db
    from lms.org.models import Unit

    school = db.session.get(Unit, question.school_id)
    return school.path if school else ""


def _own_school(user, question) -> bool:
    return question.school_id is not None and any(
        m.unit_id == question.school_id for m in user.memberships)


@rule("question.view")
def _view(user, question) -> bool:
    """Approved questions are shared with all staff; drafts stay with the author and reviewers."""
    if question.author_id == user.id:
        return True
    if question.status == QuestionStatus.APPROVED:
        return _is_staff(user)
    if question.status == QuestionStatus.SUBMITTED:
        return reviews_subject(user, question)
    return False


@rule("question.edit")
def _edit(user, question) -> bool:
    return question.author_id == user.id and question.status != QuestionStatus.SUBMITTED


@rule("question.create")
def _create(user, _target) -> bool:
    return bool(memberships(user, *STAFF_ROLES, *REVIEWER_ROLES))


@rule("question.review")
def _review(user, question) -> bool:
    """Reviewers of the subject decide; never on their own question or their own school's."""
    if question.author_id == user.id or _own_school(user, question):
        return False
    return reviews_subject(user, question)
