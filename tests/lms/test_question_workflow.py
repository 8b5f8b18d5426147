"""Shared-bank workflow: draft → submitted → approved or returned (security.md 5, 32)."""

import threading

import pytest
from sqlalchemy import select

from lms.core.errors import Conflict, DomainError, Forbidden
from lms.curriculum.models import Subject
from lms.kernel import db as _db
from lms.org.models import Membership, Role
from lms.questions import services
from question_bank.models import Question, QuestionStatus

PAYLOAD = {"schema": 1, "type": "true_false", "text_html": "<p>2 + 2 = 4</p>", "answer": True,
           "feedback_html": "", "solution_html": ""}


def _meta():
    toan = _db.session.scalar(select(Subject).where(Subject.code == "TOAN"))
    return services.QuestionMeta(subject_id=toan.id, grade=10)


def _submitted(org) -> Question:
    question = services.create_question(org.teacher_x, _meta(), dict(PAYLOAD))
    services.submit(org.teacher_x, question)
    _db.session.commit()
    return question


def test_author_submits_reviewer_approves(org):
    question = _submitted(org)
    services.approve(org.reviewer, question)
    _db.session.commit()
    assert question.status == QuestionStatus.APPROVED
    assert question.reviewed_by_id == org.reviewer.id


def test_nobody_approves_their_own_question(org):
    _db.session.add(Membership(user_id=org.reviewer.id, role=Role.TEACHER,
                               unit_id=org.school_y.id))
    _db.session.flush()
    _db.session.refresh(org.reviewer)
    own = services.create_question(org.reviewer, _meta(), dict(PAYLOAD))
    services.submit(org.reviewer, own)
    with pytest.raises(Forbidden):
        services.approve(org.reviewer, own)


def test_reviewer_from_the_same_school_may_not_decide(org):
    question = _submitted(org)
    _db.session.add(Membership(user_id=org.reviewer.id, role=Role.TEACHER,
                               unit_id=org.school_x.id))
    _db.session.flush()
    _db.session.refresh(org.reviewer)
    with pytest.raises(Forbidden):
        services.approve(org.reviewer, question)


def test_students_and_teachers_cannot_review(org):
    question = _submitted(org)
    for actor in (org.student_a, org.teacher_y, org.leader_x):
        with pytest.raises(Forbidden):
            services.approve(actor, question)


def test_reviewer_scoped_to_another_subject_cannot_decide(org):
    question = _submitted(org)
    van = _db.session.scalar(select(Subject).where(Subject.code == "NGUVAN"))
    membership = next(m for m in org.reviewer.memberships)
    membership.subject_id = van.id
    _db.session.flush()
    with pytest.raises(Forbidden):
        services.approve(org.reviewer, question)


def test_return_needs_a_comment_and_reaches_the_author(org):
    question = _submitted(org)
    with pytest.raises(DomainError):
        services.send_back(org.reviewer, question, "  ")
    services.send_back(org.reviewer, question, "Đáp án chưa đúng")
    _db.session.commit()
    assert question.status == QuestionStatus.RETURNED
    assert question.review_comment == "Đáp án chưa đúng"


def test_editing_makes_a_new_version_and_approved_goes_back_to_draft(org):
    question = _submitted(org)
    services.approve(org.reviewer, question)
    first = question.current_version_id
    version = services.revise_question(org.teacher_x, question,
                                       {**PAYLOAD, "text_html": "<p>3 + 3 = 6</p>"})
    _db.session.commit()
    assert version.number == 2 and question.current_version_id != first
    assert question.status == QuestionStatus.DRAFT
    assert [v.payload["text_html"] for v in question.versions] == ["<p>2 + 2 = 4</p>",
                                                                   "<p>3 + 3 = 6</p>"]


def test_two_reviewers_deciding_at_once_one_wins(app, org):
    """security.md 32: concurrent decisions on one question produce one transition."""
    question = _submitted(org)
    other = org.reviewer
    _db.session.add(Membership(user_id=org.admin.id, role=Role.DEPARTMENT_REVIEWER,
                               unit_id=org.dept.id))
    _db.session.commit()
    ids = {"q": question.id, "reviewers": [other.id, org.admin.id]}
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def decide(reviewer_id, approve):
        from lms.auth.models import User

        with app.app_context():
            reviewer = _db.session.get(User, reviewer_id)
            target = _db.session.get(Question, ids["q"])
            barrier.wait()
            try:
                if approve:
                    services.approve(reviewer, target)
                else:
                    services.send_back(reviewer, target, "Chưa đạt")
                _db.session.commit()
                outcomes.append("ok")
            except Conflict:
                _db.session.rollback()
                outcomes.append("conflict")

    threads = [threading.Thread(target=decide, args=(rid, n == 0))
               for n, rid in enumerate(ids["reviewers"])]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(outcomes) == ["conflict", "ok"]
