"""Demo data: the accounts the README promises, idempotent loading, removal."""

from decimal import Decimal

from sqlalchemy import func, select

from lms.auth.models import User
from lms.auth.passwords import verify_password
from lms.curriculum.seed import seed_curriculum
from lms.demo import NAMED_ACCOUNTS, PASSWORD, load_demo, remove_demo_accounts
from lms.exams.models import Attempt, AttemptState
from lms.gradebook import reading
from lms.gradebook.book import load_book, students_of
from lms.gradebook.circulars import round1, score_text
from lms.gradebook.models import GradebookEntry, ScoreSource
from lms.kernel import db as _db
from lms.org.models import Membership, Role, SchoolClass, Unit, UnitKind


def _count(model) -> int:
    return _db.session.scalar(select(func.count()).select_from(model))


def test_demo_loads_once_with_the_promised_accounts(db):
    seed_curriculum()
    assert load_demo()["created"] is True
    users = _count(User)
    assert load_demo() == {"created": False}
    assert _count(User) == users
    for username in ("admin", "reviewer", "leader", "teacher", "student", "student2"):
        user = _db.session.scalar(select(User).where(User.username == username))
        assert verify_password(user.password_hash, PASSWORD), username
    schools = _db.session.scalars(select(Unit).where(Unit.kind == UnitKind.SCHOOL)).all()
    assert len(schools) >= 6 and len({s.school_level for s in schools}) >= 5
    students = _db.session.scalar(select(func.count(func.distinct(Membership.user_id)))
                                  .where(Membership.role == Role.STUDENT))
    assert 190 <= students <= 220
    teacher = _db.session.scalar(select(User).where(User.username == "teacher"))
    taught = {(m.school_class.name, m.subject.code) for m in teacher.memberships if m.subject}
    assert taught == {("10A1", "TOAN")}
    class_10a1 = _db.session.get(SchoolClass, next(m.class_id for m in teacher.memberships))
    for username in ("student", "student2"):
        student = _db.session.scalar(select(User).where(User.username == username))
        assert [m.class_id for m in student.memberships] == [class_10a1.id]
    # last week's test: every student of 10A1 finished it, graded, with a spread of scores
    classmates = _db.session.scalar(select(func.count()).select_from(Membership).where(
        Membership.class_id == class_10a1.id, Membership.role == Role.STUDENT))
    finished = _db.session.scalars(select(Attempt).where(
        Attempt.state == AttemptState.FINISHED)).all()
    assert len(finished) == classmates
    assert len({a.exam_id for a in finished}) == 1
    assert len({a.user_id for a in finished}) == classmates
    assert all(a.grade is not None for a in finished) and len({a.grade for a in finished}) > 5
    assert remove_demo_accounts() >= len(NAMED_ACCOUNTS)
    assert _count(User) == 0


def test_demo_gradebook_has_a_term_of_scores_in_every_subject_of_10a1(db):
    seed_curriculum()
    load_demo()
    teacher = _db.session.scalar(select(User).where(User.username == "teacher"))
    leader = _db.session.scalar(select(User).where(User.username == "leader"))
    school_class = next(m.school_class for m in teacher.memberships)
    book = load_book(school_class)
    codes = {s.code for s in book.subjects}
    assert len(codes) == 12 and {"TOAN", "NGUVAN", "TIENGANH", "LICHSU", "GDQPAN", "GDTC",
                                 "HDTN", "GDDP", "VATLI", "HOAHOC", "SINHHOC", "TINHOC"} == codes
    assert {s.code: s.regular_count for s in book.subjects}["TOAN"] == 4
    students = students_of(school_class.id)
    for code in codes:
        sheet = reading.subject_sheet(leader, school_class.id, code)
        assert all(row["term1"]["complete"] for row in sheet["students"]), code
    # Toán's first regular score came from last week's test, through the mapping.
    source = _db.session.scalar(select(ScoreSource))
    assert (source.kind, source.field, source.term) == ("exam", "regular.1", 1)
    attempt = _db.session.scalar(select(Attempt).where(Attempt.exam_id == source.source_id,
                                                       Attempt.user_id == students[0].id))
    toan = next(s for s in book.subjects if s.code == "TOAN")
    entry = _db.session.scalar(select(GradebookEntry).where(
        GradebookEntry.subject_id == toan.id, GradebookEntry.student_id == students[0].id,
        GradebookEntry.term == 1))
    assert entry.regular[0] == score_text(round1(Decimal(attempt.grade)))
    # The demo student sees the published term, with learning result and conduct hidden until
    # the leader locks it.
    student = _db.session.scalar(select(User).where(User.username == "student"))
    summary = reading.student_summary(student, school_class.id, student.id)
    assert all(s["term1"]["complete"] for s in summary["subjects"])
    assert summary["learning"]["term1"] is None
