"""Shared setup for the gradebook tests: the 2018 programme's periods, electives of 10A1,
a subject teacher per subject, a homeroom teacher and a parent."""

from dataclasses import dataclass

from sqlalchemy import select

from lms.auth.models import User
from lms.curriculum.models import Subject
from lms.gradebook.configure import seed_periods
from lms.gradebook.models import ClassElective
from lms.kernel import db
from lms.org.models import Guardianship, Membership, Role
from tests.conftest import api_token
from tests.factories import UserFactory, member

ELECTIVES = ("VATLI", "HOAHOC", "SINHHOC", "TINHOC")


@dataclass
class Book:
    org: object
    toan_teacher: User
    su_teacher: User
    homeroom: User
    parent_a: User
    stranger_parent: User

    def subject(self, code: str) -> Subject:
        return db.session.scalar(select(Subject).where(Subject.code == code))


def teacher_of(username: str, org, code: str) -> User:
    user = UserFactory(username=username)
    subject = db.session.scalar(select(Subject).where(Subject.code == code))
    db.session.add(Membership(user_id=user.id, role=Role.TEACHER, unit_id=org.school_x.id,
                              class_id=org.class_x.id, subject_id=subject.id))
    db.session.flush()
    db.session.refresh(user)
    return user


def build_book(org) -> Book:
    """Periods for every grade of the year, 10A1's electives, and the people around it."""
    seed_periods(org.class_x.school_year)
    for code in ELECTIVES:
        subject = db.session.scalar(select(Subject).where(Subject.code == code))
        db.session.add(ClassElective(class_id=org.class_x.id, subject_id=subject.id))
    homeroom = member(UserFactory(username="gvcn"), Role.HOMEROOM_TEACHER, org.school_x,
                      org.class_x)
    parent_a = member(UserFactory(username="phuhuynh"), Role.PARENT, org.school_x)
    stranger = member(UserFactory(username="phuhuynh2"), Role.PARENT, org.school_x)
    db.session.add(Guardianship(parent_id=parent_a.id, student_id=org.student_a.id))
    book = Book(org, teacher_of("gvtoan", org, "TOAN"), teacher_of("gvsu", org, "LICHSU"),
                homeroom, parent_a, stranger)
    db.session.commit()
    return book


def bearer(client, username: str) -> dict:
    return {"Authorization": f"Bearer {api_token(client, username)}"}


def put(client, headers, class_id, code, student_id, **body):
    return client.put(f"/api/v1/gradebook/{class_id}/{code}/{student_id}", json=body,
                      headers=headers)


def fill_term(book: Book, student_id: int, term: int, scores: dict[str, object],
              default="8", comment="Đ") -> None:
    """Give the student every score of a term in every subject of 10A1: each scored subject
    ``scores.get(code, default)`` in every column (so its average is that number), each
    comment-only subject ``comment`` (or ``scores[code]``) everywhere. Committed."""
    from lms.gradebook import services
    from lms.gradebook.book import load_book, load_class

    teacher = book.org.teacher_x
    for setup in load_book(load_class(book.org.class_x.id)).subjects:
        value = scores.get(setup.code, comment if setup.comment_only else default)
        body = {"term": term, "regular": [value] * setup.regular_count, "mid": value,
                "end": value}
        services.save_scores(teacher, book.org.class_x.id, setup.code, student_id, body)
    db.session.commit()


def primary_class(org):
    """Grade 5A of a primary school (TT27) with student_y in it and a teacher of every
    subject (``gvth``); committed."""
    from lms.org.models import SchoolLevel, UnitKind
    from lms.org.services import add_unit
    from tests.factories import make_class

    school = add_unit(UnitKind.SCHOOL, "Trường Tiểu học Z", org.district,
                      school_level=SchoolLevel.PRIMARY)
    grade5 = make_class(school, org.class_x.school_year, "5A", grade=5)
    member(org.student_y, Role.STUDENT, school, grade5)
    teacher = member(UserFactory(username="gvth"), Role.TEACHER, school, grade5)
    db.session.commit()
    return grade5, teacher
