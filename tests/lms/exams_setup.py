"""Shared setup for the exam tests: bank questions, a published exam assigned to class 10A1."""

from datetime import datetime

from sqlalchemy import select

from lms.curriculum.models import Subject
from lms.exams import services
from lms.kernel import db
from lms.questions import services as questions
from tests.conftest import api_token
from tests.question_bank.payloads import RAW

T0 = datetime(2026, 12, 1, 7, 0, 0)
TYPES = ("single_choice", "true_false", "multiple_response")


def bank_questions(author, types=TYPES) -> list:
    toan = db.session.scalar(select(Subject).where(Subject.code == "TOAN"))
    meta = questions.QuestionMeta(subject_id=toan.id, grade=10)
    return [questions.create_question(author, meta, dict(RAW[t])) for t in types]


def published_exam(org, settings: dict | None = None, types=TYPES, points=None):
    """A published exam of ``types`` by teacher X, assigned to class 10A1; committed."""
    bank = bank_questions(org.teacher_x, types)
    exam = services.create_exam(org.teacher_x, "Kiểm tra 15 phút", [q.id for q in bank],
                                points, settings)
    services.publish(org.teacher_x, exam)
    services.assign_to_class(org.teacher_x, exam, org.class_x)
    db.session.commit()
    return exam


def bearer(client, username: str) -> dict:
    return {"Authorization": f"Bearer {api_token(client, username)}"}


def correct_response(question: dict, payload: dict) -> dict:
    """The right answer to a shown question, in the attempt's ids (by option text)."""
    if payload["type"] == "true_false":
        return {"value": payload["answer"]}
    right = {o["text_html"] for o in payload["options"] if o["correct"]}
    chosen = [o["id"] for o in question["options"] if o["text_html"] in right]
    if payload["type"] == "single_choice":
        return {"choice": chosen[0]}
    return {"choices": chosen}
