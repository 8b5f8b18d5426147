"""What the class gradebook may read of tests, in plain values (issue 13 §2, "test scores
flow in"). The gradebook never imports this area: ``lms/app.py`` registers ``ExamScores``
as its ``exam`` score source and relays ``hooks.final_grade_changed`` to it.

Scores are final grades (``hooks.final_grade_for``) brought to the 10-point scale and left
unrounded: the gradebook rounds as its circular says.
"""

from collections.abc import Callable, Iterable
from decimal import Decimal

from sqlalchemy import or_, select

from lms.exams import hooks, logic
from lms.exams.models import Attempt, AttemptState, Exam, ExamAssignment, ExamState
from lms.kernel import db
from lms.org.models import SchoolClass, Unit

TEN = Decimal(10)


def on_ten(exam: Exam, grade: Decimal | None) -> Decimal | None:
    """A final grade on the exam's scale brought to the 10-point scale."""
    if grade is None:
        return None
    scale = Decimal(str(logic.setting(exam.settings, "scale") or 10))
    return grade if scale == TEN else grade * TEN / scale


class ExamScores:
    """The exams area as a gradebook score source (``lms.gradebook.registry``)."""

    kind = "exam"

    def choices(self, class_id: int, subject_id: int, user_id: int) -> list[dict]:
        """Published tests given to the class (or to a unit above its school) in this
        subject or with no subject, newest first."""
        school_class = db.session.get(SchoolClass, class_id)
        if school_class is None:
            return []
        paths = _paths(school_class.school_id)
        rows = db.session.execute(
            select(Exam.id, Exam.title).join(ExamAssignment, ExamAssignment.exam_id == Exam.id)
            .outerjoin(Unit, Unit.id == ExamAssignment.unit_id)
            .where(Exam.state == ExamState.PUBLISHED,
                   or_(Exam.subject_id == subject_id, Exam.subject_id.is_(None)),
                   or_(ExamAssignment.class_id == class_id, Unit.path.in_(paths)))
            .distinct().order_by(Exam.id.desc())).all()
        return [{"id": exam_id, "title": title} for exam_id, title in rows]

    def title(self, source_id: int) -> str | None:
        return db.session.scalar(select(Exam.title).where(Exam.id == source_id))

    def usable(self, source_id: int, class_id: int, subject_id: int, user_id: int) -> bool:
        return any(c["id"] == source_id for c in self.choices(class_id, subject_id, user_id))

    def follow(self, source_id: int) -> None:
        """From now on, finishing an attempt of this exam announces the final grade."""
        exam = db.session.get(Exam, source_id)
        if exam is not None and not exam.announce_grades:
            exam.announce_grades = True
            db.session.flush()

    def scores(self, source_id: int, student_ids: Iterable[int]) -> dict[int, Decimal | None]:
        """Each student's final grade on the 10-point scale (None: no counted finished
        attempt), from one query."""
        exam = db.session.get(Exam, source_id)
        wanted = list(student_ids)
        grades: dict[int, list[Decimal]] = {uid: [] for uid in wanted}
        if exam is None or not wanted:
            return dict.fromkeys(wanted)
        for user_id, grade in db.session.execute(
                select(Attempt.user_id, Attempt.grade).where(
                    Attempt.exam_id == exam.id, Attempt.user_id.in_(wanted),
                    Attempt.state == AttemptState.FINISHED, Attempt.counted.is_(True),
                    Attempt.grade.is_not(None)).order_by(Attempt.user_id, Attempt.number)):
            grades[user_id].append(grade)
        method = exam.settings.get("grading_method", "highest")
        return {uid: on_ten(exam, logic.final_grade(g, method)) for uid, g in grades.items()}


def _paths(school_id: int) -> list[str]:
    """The materialised paths of the school and every unit above it."""
    path = db.session.scalar(select(Unit.path).where(Unit.id == school_id)) or "/"
    ids = [part for part in path.strip("/").split("/") if part]
    return ["/" + "/".join(ids[:n]) + "/" for n in range(1, len(ids) + 1)]


#: receiver → its relay, so building several apps in one process connects each once.
_RELAYS: dict[Callable, Callable] = {}


def relay_to(receiver: Callable) -> Callable:
    """Connect ``receiver(kind=, source_id=, user_id=, score=, reason=)`` to every change of
    a student's final grade; returns the connected function (kept strongly)."""
    if receiver in _RELAYS:
        return _RELAYS[receiver]

    def relay(exam: Exam, user_id: int, grade, previous, reason: str, **_extra) -> None:
        receiver(kind=ExamScores.kind, source_id=exam.id, user_id=user_id,
                 score=on_ten(exam, grade), reason=reason)

    hooks.follow(relay)
    _RELAYS[receiver] = relay
    return relay
