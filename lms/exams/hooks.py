"""The seam between tests and the class gradebook: a signal sent when a student's final
grade on an exam changes.

``final_grade_changed`` is a blinker signal. The sender is the ``Exam``; keyword arguments:

- ``user_id`` — the student;
- ``grade`` — the new final grade on the exam's scale (``Decimal``), or None when the student
  no longer has a counted finished attempt;
- ``previous`` — the final grade before the change (``Decimal`` or None);
- ``reason`` — ``"finish"``, ``"manual_grade"`` or ``"regrade"``.

The final grade is ``logic.final_grade`` over the student's counted, finished attempts in
attempt order, with the exam's grading method (highest, last, first, average; an average is
not rounded here — the receiver rounds as its own rules say).

Receivers run synchronously inside the caller's database transaction: they may add and
flush rows (the gradebook's score cell) but must not commit; an exception aborts the whole
operation, so the gradebook never disagrees with the attempts. A receiver is connected with
``final_grade_changed.connect(fn)`` (keep a reference to ``fn``: blinker holds it weakly).
A receiver that cares only about some exams connects with ``follow(fn)`` instead: it hears
only exams whose ``announce_grades`` is set (the gradebook sets it when a column is mapped to
the exam), so finishing an attempt of any other exam costs no extra statement.
"""

from decimal import Decimal

from blinker import Namespace
from sqlalchemy import select

from lms.exams import logic
from lms.exams.models import Attempt, AttemptState, Exam
from lms.kernel import db

signals = Namespace()
final_grade_changed = signals.signal("exam-final-grade-changed")


def final_grade_for(exam: Exam, user_id: int) -> Decimal | None:
    """The student's final grade from their counted, finished, graded attempts."""
    grades = list(db.session.scalars(
        select(Attempt.grade).where(Attempt.exam_id == exam.id, Attempt.user_id == user_id,
                                    Attempt.state == AttemptState.FINISHED,
                                    Attempt.counted.is_(True), Attempt.grade.is_not(None))
        .order_by(Attempt.number)))
    return logic.final_grade(grades, exam.settings.get("grading_method", "highest"))


def announce(exam: Exam, user_id: int, previous: Decimal | None, reason: str) -> bool:
    """Send ``final_grade_changed`` if the final grade differs from ``previous``."""
    db.session.flush()
    grade = final_grade_for(exam, user_id)
    if grade == previous:
        return False
    final_grade_changed.send(exam, user_id=user_id, grade=grade, previous=previous,
                             reason=reason)
    return True


#: Ids of receivers connected with ``follow`` (the gradebook): they want only the exams
#: whose ``announce_grades`` is set.
_followers: set = set()


def follow(receiver) -> None:
    """Connect ``receiver`` (strongly) for the exams that have ``announce_grades`` set, so
    the submit path of every other exam stays as cheap as with no receiver at all."""
    final_grade_changed.connect(receiver, weak=False)
    _followers.add(id(receiver))


def listening(exam: Exam | None = None) -> bool:
    """Whether the submit path should compute and announce the final grade of ``exam``: a
    receiver connected plainly, or a follower when the exam announces its grades."""
    ids = set(final_grade_changed.receivers)
    if ids - _followers:
        return True
    return bool(ids) and (exam is None or exam.announce_grades)
