"""What the student pages show: the exams assigned to a student, the take-page data, and the
review of a finished attempt cut down to what ``logic.what_may_show`` allows.

Every path that shows a result goes through ``review_data``, which starts from
``services.attempt_review`` (the same body as the JSON API) and only adds correct answers and
feedback when the policy allows them (security.md 7–8).
"""

from dataclasses import dataclass
from datetime import datetime

from flask_babel import gettext as _
from markupsafe import escape
from sqlalchemy import func, select

from lms.exams import audience, logic, services, variants
from lms.exams.models import Attempt, AttemptAnswer, AttemptState, Exam, ExamAssignment, ExamState
from lms.kernel import db
from lms.org.models import Role
from question_bank import render_math


@dataclass
class ExamRow:
    exam: Exam
    assignment: ExamAssignment
    open_at: datetime | None
    close_at: datetime | None
    #: "not_open" | "open" | "closed"
    window: str
    used: int
    allowed: int  # 0: unlimited
    open_attempt: Attempt | None
    last_finished: Attempt | None
    #: A pre-generated attempt waiting to be started (not counted in ``used``).
    pending_attempt: Attempt | None = None

    @property
    def can_start(self) -> bool:
        if self.window != "open" or self.open_attempt is not None:
            return False
        if self.pending_attempt is not None:
            return not self.allowed or self.pending_attempt.number <= self.allowed
        return not self.allowed or self.used < self.allowed

    @property
    def needs_code(self) -> bool:
        """Starting (not resuming) asks for the test's access code."""
        return bool(logic.setting(self.exam.settings, "access_code_hash"))


def student_class_ids(user) -> set[int]:
    return {m.class_id for m in user.memberships if m.role == Role.STUDENT and m.class_id}


#: Listing order of the student's tests: what can be done now, then what opens later, then
#: the closed ones (newest first within each).
WINDOW_ORDER = {"open": 0, "not_open": 1, "closed": 2}


def assigned_exams(user, now: datetime) -> list[ExamRow]:
    """Published exams reaching the student (class, group, unit: ``audience``), open ones
    first (``WINDOW_ORDER``), newest first within each, with their window, attempts used and
    the open/last attempt — in two queries."""
    reaching = audience.reaches(user)
    pairs = db.session.execute(
        select(ExamAssignment, Exam).join(Exam, Exam.id == ExamAssignment.exam_id)
        .where(reaching, Exam.state == ExamState.PUBLISHED)
        .order_by(Exam.published_at.desc(), Exam.id.desc(),
                  *audience.preference_order())).all()
    seen: dict[int, tuple[ExamAssignment, Exam]] = {}
    for assignment, exam in pairs:
        seen.setdefault(exam.id, (assignment, exam))
    attempts: dict[int, list[Attempt]] = {}
    if seen:
        for attempt in db.session.scalars(select(Attempt).where(
                Attempt.user_id == user.id, Attempt.exam_id.in_(list(seen)))
                .order_by(Attempt.number)):
            attempts.setdefault(attempt.exam_id, []).append(attempt)
    rows = []
    for assignment, exam in seen.values():
        window = services._window(exam, assignment, user.id)
        own = attempts.get(exam.id, [])
        rows.append(ExamRow(
            exam=exam, assignment=assignment, open_at=window["open_at"],
            close_at=window["close_at"], window=window_state(window, now),
            used=sum(1 for a in own if a.state != AttemptState.PENDING),
            allowed=window["attempts"],
            open_attempt=next((a for a in own if a.state == AttemptState.IN_PROGRESS), None),
            last_finished=next((a for a in reversed(own) if a.state == AttemptState.FINISHED),
                               None),
            pending_attempt=next((a for a in own if a.state == AttemptState.PENDING), None)))
    rows.sort(key=lambda row: WINDOW_ORDER[row.window])
    return rows


def window_state(window: dict, now: datetime) -> str:
    if window["open_at"] and now < window["open_at"]:
        return "not_open"
    if window["close_at"] and now >= window["close_at"] + services._extra(window):
        return "closed"
    return "open"


def row_for(user, exam: Exam, now: datetime) -> ExamRow | None:
    return next((row for row in assigned_exams(user, now) if row.exam.id == exam.id), None)


def take_data(attempt: Attempt, now: datetime) -> dict:
    """The start payload of the API plus each slot's saved seq (so a device continues above
    it) and the start time."""
    data = services.start_payload(attempt, now)
    data["saved_seq"] = {str(a.slot): a.saved_seq for a in db.session.scalars(
        select(AttemptAnswer).where(AttemptAnswer.attempt_id == attempt.id))}
    data["started_at"] = services.iso(attempt.started_at)
    return data


def _yes_no(value: bool) -> str:
    return _("Đúng") if value else _("Sai")


def key_html(payload: dict) -> str | None:
    """The correct answer as HTML for the review page (only called when the policy allows
    ``correct_answers``); None for types without a single key (essay, cloze …)."""
    kind = payload["type"]
    if kind in ("single_choice", "multiple_response"):
        return "; ".join(render_math(o["text_html"]) for o in payload["options"] if o["correct"])
    if kind == "true_false":
        return _yes_no(payload["answer"])
    if kind == "true_false_4":
        return "; ".join(f"{s['id']}) {_yes_no(s['answer'])}" for s in payload["statements"])
    if kind in ("short_text", "short_numeric"):
        best = [str(a.get("text", a.get("value"))) for a in payload["answers"]
                if str(a["fraction"]) in ("1", "1.0", "1.00")]
        return " / ".join(str(escape(text)) for text in best) or None
    if kind == "ordering":
        return " → ".join(render_math(i["text_html"]) for i in payload["items"])
    if kind == "matching":
        return "; ".join(f"{render_math(p['left_html'])} – {render_math(p['right_html'])}"
                         for p in payload["pairs"])
    return None


def review_data(attempt: Attempt, now: datetime) -> dict:
    """What the finished page may show now: the API's review body, the questions (student
    view) when responses may be shown, and keys/feedback only when the policy allows."""
    body = services.attempt_review(attempt, now)
    shown = set(body["shown"])
    finished = attempt.state == AttemptState.FINISHED
    if finished and "responses" in shown:
        body["questions"] = services.question_views(attempt)
    if finished and shown & {"correct_answers", "feedback"}:
        by_slot = {e["slot"]: e["payload"] for e in attempt.exam.snapshot}
        if "correct_answers" in shown:
            body["keys"] = {str(s): key_html(p) for s, p in by_slot.items()}
        if "feedback" in shown:
            body["feedback"] = {
                str(s): " ".join(render_math(p.get(k) or "") for k in
                                 ("feedback_html", "solution_html") if p.get(k)) or None
                for s, p in by_slot.items()}
    if finished and attempt.practice:
        body["practice_result"] = practice_result(attempt)
        if "questions" in body:     # the checks the student already saw while practising
            body["checked"] = services.checked_reviews(attempt)
    return body


def practice_result(attempt: Attempt) -> dict:
    """A finished practice attempt's own score for its student: practice promises immediate
    feedback (every question can be checked while practising) and never counts towards a
    grade, so the score is shown whatever the review policy of the test says."""
    checked = db.session.scalar(select(func.count()).select_from(AttemptAnswer).where(
        AttemptAnswer.attempt_id == attempt.id, AttemptAnswer.checked_at.is_not(None))) or 0
    return {"score": str(attempt.score), "grade": str(attempt.grade), "checked": checked,
            "total": sum(1 for e in variants.attempt_entries(attempt)
                         if e["payload"]["type"] != "description")}


def shown_items(attempt: Attempt, now: datetime) -> set[str]:
    settings = attempt.exam.settings
    return logic.what_may_show(settings["review"], attempt.state == AttemptState.FINISHED, now,
                               logic.stored_time(settings["close_at"]))
