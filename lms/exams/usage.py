"""Where bank questions are used: the ``exam_question`` table and the where-used list.

``record_usage(exam)`` rebuilds an exam's rows from its questions; it is called wherever an
exam's questions are set (created, edited) or frozen (published), so the question side reads
one indexed table instead of every exam's JSON. It flushes and never commits.
"""

from sqlalchemy import delete, func, insert, select

from lms.auth.models import User
from lms.auth.permissions import require
from lms.exams.models import Exam, ExamQuestion, ExamState
from lms.kernel import db
from question_bank.models import QuestionVersion

#: The where-used list shows at most this many exams (newest first) and counts the rest.
MAX_WHERE_USED = 200


def usage_rows(exam_id: int, state: str, selection: list | None,
               snapshot: list | None) -> list[dict]:
    """The rows of one exam: from the snapshot with the pinned versions once published,
    from the selection (no version yet) while a draft. A question used twice is one row.
    (The migration 0010_exam_question applies the same rule to the exams stored before.)"""
    rows: dict[int, dict] = {}
    published = str(state) == ExamState.PUBLISHED.value
    for entry in (snapshot if published else selection) or []:
        question_id = entry.get("question_id")
        if isinstance(question_id, int) and question_id not in rows:
            rows[question_id] = {"exam_id": exam_id, "question_id": question_id,
                                 "version_id": entry.get("version_id") if published else None}
    return list(rows.values())


def record_usage(exam: Exam) -> None:
    """Replace the exam's rows by what its selection or snapshot holds now."""
    db.session.flush()
    db.session.execute(delete(ExamQuestion).where(ExamQuestion.exam_id == exam.id))
    rows = usage_rows(exam.id, exam.state.value, exam.selection, exam.snapshot)
    if rows:
        db.session.execute(insert(ExamQuestion), rows)


def where_used(actor, question, sees_all: bool) -> dict:
    """The exams using the question (any version), newest first: ``{"total", "items":
    [{"exam_id", "title", "owner_id", "owner", "state", "published_at", "version", "own"}]}``.

    ``sees_all``: the actor may see the question's teacher view (its author, its reviewers),
    so every exam is listed; anyone else allowed to see the question sees only their own
    exams."""
    require(actor, "question.view", question)
    condition = [ExamQuestion.question_id == question.id]
    if not sees_all:
        condition.append(Exam.owner_id == actor.id)
    total = db.session.scalar(select(func.count()).select_from(ExamQuestion)
                              .join(Exam, Exam.id == ExamQuestion.exam_id).where(*condition))
    rows = db.session.execute(
        select(Exam.id, Exam.title, Exam.owner_id, User.full_name, Exam.state,
               Exam.published_at, QuestionVersion.number)
        .select_from(ExamQuestion)
        .join(Exam, Exam.id == ExamQuestion.exam_id)
        .join(User, User.id == Exam.owner_id)
        .outerjoin(QuestionVersion, QuestionVersion.id == ExamQuestion.version_id)
        .where(*condition)
        .order_by(Exam.published_at.is_(None), Exam.published_at.desc(), Exam.id.desc())
        .limit(MAX_WHERE_USED))
    items = [{"exam_id": exam_id, "title": title, "owner_id": owner_id, "owner": owner,
              "state": state.value, "published_at": published_at, "version": number,
              "own": owner_id == actor.id}
             for exam_id, title, owner_id, owner, state, published_at, number in rows]
    return {"total": total or 0, "items": items}
