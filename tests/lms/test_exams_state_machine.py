"""A Hypothesis stateful test of the attempt state machine (issue 4 §5), on the services.

Rules: start, save, tick the clock, submit, sweep, extend time. Invariants: at most one open
attempt per student and test; nothing accepted after deadline + grace; finished attempts are
immutable; the score is what the accepted answers are worth, worked out by hand below (not by
the grading code under test).
"""

from datetime import timedelta
from fractions import Fraction

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    invariant,
    rule,
    run_state_machine_as_test,
)
from sqlalchemy import func, select

from lms.core.errors import DomainError
from lms.exams import services
from lms.exams.models import Attempt, AttemptAnswer, AttemptState, Exam
from lms.kernel import db
from tests.lms.exams_setup import T0, published_exam

GRACE = 30
#: What each answer ``_response`` can send is worth, by hand from tests/question_bank/payloads.py
#: (1 point per question): slot 1 single choice, option a wrong, b right; slot 2 true/false, the
#: statement is true; slot 3 multiple response, right options a b c of five: a alone 1/3, a + b
#: 2/3 (partial credit, docs/decisions.md).
WORTH = {1: {False: Fraction(0), True: Fraction(1)},
         2: {False: Fraction(0), True: Fraction(1)},
         3: {False: Fraction(1, 3), True: Fraction(2, 3)}}


def test_attempt_state_machine(org):
    students = [org.student_a, org.student_b]
    teacher = org.teacher_x

    class Attempts(RuleBasedStateMachine):
        def __init__(self):
            super().__init__()
            self.exam = published_exam(org, {"time_limit_minutes": 10, "late_policy": "grace",
                                             "grace_seconds": GRACE, "attempts": 0})
            self.exam_id = self.exam.id
            self.now = T0
            self.seq = 0
            self.frozen: dict[int, tuple] = {}
            #: attempt id → slot → the value of the last answer the server accepted
            self.accepted: dict[int, dict[int, bool]] = {}
            assert {e["slot"]: e["payload"]["type"] for e in self.exam.snapshot} == {
                1: "single_choice", 2: "true_false", 3: "multiple_response"}

        def _commit_or_rollback(self, action):
            try:
                result = action()
            except DomainError:
                db.session.rollback()
                return None
            db.session.commit()
            return result

        def _open(self, student):
            return db.session.scalar(select(Attempt).where(
                Attempt.exam_id == self.exam_id, Attempt.user_id == student.id,
                Attempt.state == AttemptState.IN_PROGRESS))

        @rule(who=st.integers(0, 1))
        def start(self, who):
            exam = db.session.get(Exam, self.exam_id)
            self._commit_or_rollback(lambda: services.start_attempt(students[who], exam,
                                                                    self.now))

        @rule(who=st.integers(0, 1), slot=st.integers(1, 3), value=st.booleans())
        def save(self, who, slot, value):
            attempt = self._open(students[who])
            if attempt is None:
                return
            self.seq += 1
            late = attempt.deadline + timedelta(seconds=GRACE) < self.now
            response = _response(attempt, slot, value)
            saved = self._commit_or_rollback(lambda: services.save_answer(
                students[who], attempt.id, slot, response, self.seq, self.now))
            assert (saved is None) == late, "a save after deadline + grace must be refused"
            if saved is not None:
                assert saved == self.seq
                self.accepted.setdefault(attempt.id, {})[slot] = value

        @rule(seconds=st.sampled_from([1, 29, 30, 31, 120, 300, 600]))
        def tick(self, seconds):
            self.now += timedelta(seconds=seconds)

        @rule(who=st.integers(0, 1), offset=st.sampled_from([-1, 0, 1, 60]))
        def jump_to_end_of_grace(self, who, offset):
            """Move the clock next to an open attempt's deadline + grace (never backwards)."""
            attempt = self._open(students[who])
            if attempt is not None:
                target = attempt.deadline + timedelta(seconds=GRACE + offset)
                self.now = max(self.now, target)

        @rule(who=st.integers(0, 1))
        def submit(self, who):
            attempt = self._open(students[who])
            if attempt is not None:
                assert self._commit_or_rollback(
                    lambda: services.submit(students[who], attempt.id, self.now)) is not None

        @rule()
        def sweep(self):
            self._commit_or_rollback(lambda: services.close_overdue(self.now))

        @rule(who=st.integers(0, 1), minutes=st.integers(1, 10))
        def extend(self, who, minutes):
            assignment = db.session.get(Exam, self.exam_id).assignments[0]
            self._commit_or_rollback(lambda: services.set_override(
                teacher, assignment, students[who].id, extra_time_s=minutes * 60))

        @invariant()
        def one_open_attempt_each(self):
            for student in students:
                assert db.session.scalar(select(func.count()).select_from(Attempt).where(
                    Attempt.exam_id == self.exam_id, Attempt.user_id == student.id,
                    Attempt.state == AttemptState.IN_PROGRESS)) <= 1

        @invariant()
        def finished_attempts_are_immutable_and_graded_from_stored_answers(self):
            db.session.expire_all()
            for attempt in db.session.scalars(select(Attempt).where(
                    Attempt.exam_id == self.exam_id, Attempt.state == AttemptState.FINISHED)):
                answers = tuple(sorted((a.slot, str(a.response), a.saved_seq)
                                       for a in db.session.scalars(select(AttemptAnswer).where(
                                           AttemptAnswer.attempt_id == attempt.id))))
                snapshot = (attempt.score, attempt.grade, attempt.finished_at, answers)
                assert self.frozen.setdefault(attempt.id, snapshot) == snapshot
                worth = sum((WORTH[slot][value] for slot, value
                             in self.accepted.get(attempt.id, {}).items()), Fraction(0))
                # stored to 4 places, the grade on 10 to 0.01: each within half a step
                assert abs(Fraction(attempt.score) - worth) <= Fraction(1, 20000)
                assert abs(Fraction(attempt.grade) - worth * 10 / 3) <= Fraction(1, 200)
                assert attempt.finished_at <= attempt.deadline + timedelta(seconds=GRACE)

    run_state_machine_as_test(Attempts, settings=settings(
        max_examples=40, stateful_step_count=30, deadline=None,
        suppress_health_check=list(HealthCheck)))


def _response(attempt, slot, value):
    """A valid response in the attempt's ids for the three questions of exams_setup.TYPES."""
    payload = next(e["payload"] for e in attempt.exam.snapshot if e["slot"] == slot)
    ids = attempt.ids_map[str(slot)]
    if payload["type"] == "true_false":
        return {"value": value}
    options = [ids[o["id"]] for o in payload["options"]]
    if payload["type"] == "single_choice":
        return {"choice": options[int(value)]}
    return {"choices": options[: 1 + int(value)]}
