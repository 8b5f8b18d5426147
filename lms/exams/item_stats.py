"""Item statistics of one bank question across every published exam that uses it
(product.md §2: "item statistics flow back from tests"); formulas in docs/question-bank.md.

Computed on demand in a fixed number of queries, over at most ``MAX_ATTEMPTS`` of the most
recently finished attempts, so a question used by a province-wide exam stays cheap to open.
"""

from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from sqlalchemy.orm import load_only, undefer

from lms.auth.permissions import require
from lms.core.errors import Forbidden
from lms.exams import logic, reports, services
from lms.exams.grading import ungraded_parts
from lms.exams.models import (
    Attempt,
    AttemptAnswer,
    AttemptState,
    Exam,
    ExamQuestion,
    ExamState,
    ManualGrade,
)
from lms.kernel import db
from lms.questions.services import sees_teacher_view

#: At most this many attempts (the most recently finished) are read per question.
MAX_ATTEMPTS = 5000
ZERO = Decimal(0)


@dataclass
class ExamItems:
    """Observations of the question in one exam: its score fraction and the rest of the test
    (the attempt's points minus the points earned on the question) per attempt and slot."""

    exam_id: int
    title: str
    fractions: list[Decimal] = field(default_factory=list)
    rests: list[Decimal] = field(default_factory=list)

    def add(self, fraction: Decimal, rest: Decimal) -> None:
        self.fractions.append(fraction)
        self.rests.append(rest)


def combine(groups: list[ExamItems]) -> dict:
    """Facility over every observation; discrimination = Σ nₑ·rₑ / Σ nₑ over the exams whose
    corrected point-biserial rₑ is defined (at least two attempts, neither side constant)."""
    fractions = [f for g in groups for f in g.fractions]
    weighted, weight = ZERO, 0
    by_exam = []
    for group in groups:
        r = reports.pearson(group.fractions, group.rests)
        if r is not None:
            weighted += r * len(group.fractions)
            weight += len(group.fractions)
        by_exam.append({"exam_id": group.exam_id, "title": group.title,
                        "n": len(group.fractions), "facility": reports.mean(group.fractions),
                        "discrimination": r})
    return {"n": len(fractions), "facility": reports.mean(fractions),
            "discrimination": weighted / weight if weight else None, "by_exam": by_exam}


def _published_exam_ids(question_id: int):
    return (select(ExamQuestion.exam_id).join(Exam, Exam.id == ExamQuestion.exam_id)
            .where(ExamQuestion.question_id == question_id,
                   Exam.state == ExamState.PUBLISHED))


def _counted_attempts(exam_ids):
    return (Attempt.exam_id.in_(exam_ids), Attempt.state == AttemptState.FINISHED,
            Attempt.counted.is_(True))


def question_statistics(actor, question, limit: int = MAX_ATTEMPTS) -> dict:
    """Times used, attempts, facility and discrimination of the question, for the staff who
    may see its teacher view (its author and reviewers)."""
    require(actor, "question.view", question)
    if not sees_teacher_view(actor, question):
        raise Forbidden(_l("Chỉ tác giả và người duyệt xem được thống kê của câu hỏi."))
    exam_ids = _published_exam_ids(question.id)
    session = db.session
    times_used = session.scalar(select(func.count()).select_from(exam_ids.subquery()))
    total = session.scalar(select(func.count(Attempt.id)).where(*_counted_attempts(exam_ids)))
    latest = (select(Attempt.id).where(*_counted_attempts(exam_ids))
              .order_by(Attempt.finished_at.desc(), Attempt.id.desc()).limit(limit))
    attempts = list(session.scalars(
        select(Attempt).options(load_only(Attempt.id, Attempt.exam_id, Attempt.score,
                                          Attempt.ids_map, Attempt.order))
        .where(Attempt.id.in_(latest))))
    exams = {e.id: e for e in session.scalars(select(Exam).options(undefer(Exam.snapshot)).where(
        Exam.id.in_({a.exam_id for a in attempts})))} if attempts else {}  # one query, not N
    entries = {exam_id: [e for e in exam.snapshot if e.get("question_id") == question.id]
               for exam_id, exam in exams.items()}
    slots = {e["slot"] for found in entries.values() for e in found}
    stored, manual = _answers(latest, slots)
    groups: dict[int, ExamItems] = {}
    answered = ungraded = 0
    for attempt in attempts:
        group = groups.setdefault(attempt.exam_id, ExamItems(
            attempt.exam_id, exams[attempt.exam_id].title))
        shown = set(attempt.order)  # a random draw shows each student only some slots
        for entry in entries[attempt.exam_id]:
            if entry["slot"] not in shown:
                continue
            slot, points = entry["slot"], logic.stored_points(entry["points"])
            response = stored[attempt.id].get(slot)
            answered += response is not None
            grade = manual[attempt.id].get(slot)
            earned = _earned(attempt, entry, response, grade)
            if earned is None:
                ungraded += ungraded_parts(entry, grade) > 0
                continue
            group.add(earned / points, (attempt.score or ZERO) - earned)
    ordered = sorted(groups.values(), key=lambda g: (
        -(exams[g.exam_id].published_at or exams[g.exam_id].created_at).timestamp(),
        -g.exam_id))
    combined = combine(ordered)
    return {
        "times_used": times_used or 0, "attempts": len(attempts), "attempts_total": total or 0,
        "limit": limit, "capped": (total or 0) > len(attempts), "answered": answered,
        "ungraded": ungraded, "observations": combined["n"],
        "facility": reports.q(combined["facility"]),
        "discrimination": reports.q(combined["discrimination"]),
        "by_exam": [{**row, "facility": reports.q(row["facility"]),
                     "discrimination": reports.q(row["discrimination"])}
                    for row in combined["by_exam"]],
    }


def _answers(latest, slots: set[int]) -> tuple[dict, dict]:
    """Stored responses and manual grades of the question's slots, for the attempts read."""
    stored: dict[int, dict] = defaultdict(dict)
    manual: dict[int, dict] = defaultdict(dict)
    if not slots:
        return stored, manual
    for attempt_id, slot, response in db.session.execute(
            select(AttemptAnswer.attempt_id, AttemptAnswer.slot, AttemptAnswer.response)
            .where(AttemptAnswer.attempt_id.in_(latest), AttemptAnswer.slot.in_(slots))):
        stored[attempt_id][slot] = response
    for grade in db.session.scalars(select(ManualGrade).where(
            ManualGrade.attempt_id.in_(latest), ManualGrade.slot.in_(slots))):
        manual[grade.attempt_id][grade.slot] = grade
    return stored, manual


def _earned(attempt: Attempt, entry: dict, response, grade: ManualGrade | None
            ) -> Decimal | None:
    """Points earned on the slot, as the attempt's score counts them; None when the slot has
    no score yet (an essay, or an essay child of a mixed group, waiting for its grade) or
    never has one (a description)."""
    if ungraded_parts(entry, grade):
        return None
    slot = entry["slot"]
    fraction = services.slot_fractions(attempt, [entry], {slot: response})[slot]
    manual = grade.points if grade is not None else None
    if fraction is not None:    # a mixed stimulus adds its essay children's grades
        return logic.slot_points(fraction, logic.stored_points(entry["points"])) + (manual or ZERO)
    return manual
