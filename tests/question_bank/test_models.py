"""Question versions are immutable rows; status moves only along the workflow."""

import pytest
from sqlalchemy.exc import IntegrityError

from lms.kernel import db as _db
from lms.org.models import SchoolLevel, Unit, UnitKind
from question_bank.models import Question, QuestionStatus, QuestionVersion, WorkflowError


def _question(org) -> Question:
    from lms.curriculum.models import Subject

    toan = _db.session.query(Subject).filter_by(code="TOAN").one()
    question = Question(type="true_false", subject_id=toan.id, grade=10,
                        author_id=org.teacher_x.id, school_id=org.school_x.id)
    _db.session.add(question)
    _db.session.flush()
    return question


def test_version_numbers_are_unique_per_question(org):
    question = _question(org)
    payload = {"schema": 1, "type": "true_false", "text_html": "<p>1 + 1 = 2</p>",
               "answer": True}
    _db.session.add(QuestionVersion(question_id=question.id, number=1, payload=payload,
                                    created_by_id=org.teacher_x.id))
    _db.session.flush()
    _db.session.add(QuestionVersion(question_id=question.id, number=1, payload=payload,
                                    created_by_id=org.teacher_x.id))
    with pytest.raises(IntegrityError):
        _db.session.flush()
    _db.session.rollback()


def test_workflow_transitions(org):
    question = _question(org)
    question.move_to(QuestionStatus.SUBMITTED)
    question.move_to(QuestionStatus.RETURNED)
    with pytest.raises(WorkflowError):
        question.move_to(QuestionStatus.APPROVED)
    question.move_to(QuestionStatus.SUBMITTED)
    question.move_to(QuestionStatus.APPROVED)
    assert question.status == QuestionStatus.APPROVED


def test_enum_columns_store_lower_case_values_and_school_needs_level(org):
    stored = _db.session.execute(
        _db.text("SELECT kind FROM unit WHERE id = :id"), {"id": org.school_x.id}).scalar()
    assert stored == "school"
    _db.session.add(Unit(kind=UnitKind.SCHOOL, name="Trường thiếu cấp", path="/x/"))
    with pytest.raises(IntegrityError):
        _db.session.flush()
    _db.session.rollback()
    assert SchoolLevel("primary").grades() == range(1, 6)
