"""A class's gradebook set-up: its rule set, its subjects with their periods, its students.

The rule set follows from the class's school year and grade (``circulars.rule_set_for``);
the subjects are the rows of ``SubjectPeriods`` for that year and grade — the compulsory
ones and the electives the class chose (``ClassElective``).
"""

from dataclasses import dataclass

from flask_babel import lazy_gettext as _l
from sqlalchemy import or_, select
from sqlalchemy.orm import joinedload

from lms.auth.models import User
from lms.core.errors import DomainError, NotFound
from lms.curriculum.models import Subject
from lms.gradebook.circulars import COMPLETION, PASS_FAIL, RatingScale, rule_set_for, tt22, tt27
from lms.gradebook.circulars.rulesets import Tt22Rules, Tt27Rules
from lms.gradebook.models import ClassElective, SubjectPeriods
from lms.kernel import db
from lms.org.models import Membership, Role, SchoolClass


@dataclass(frozen=True)
class SubjectSetup:
    """What one subject of a class needs for its gradebook."""

    id: int
    code: str
    name: str
    periods: int
    elective: bool
    #: TT22: rated Đạt/Chưa đạt instead of scored.
    comment_only: bool
    #: TT22: regular scores per term (from the periods); 0 under TT27.
    regular_count: int
    #: TT27: periodic tests at mid-term and at the end of the term.
    mid_test: bool = False
    end_test: bool = False
    #: TT27: every subject is rated T/H/C.
    primary: bool = False

    @property
    def rating_scale(self) -> RatingScale | None:
        """The scale of the mid/end columns; None when they hold scores."""
        if self.primary:
            return COMPLETION
        return PASS_FAIL if self.comment_only else None


@dataclass
class ClassBook:
    school_class: SchoolClass
    rules: Tt22Rules | Tt27Rules
    subjects: list[SubjectSetup]

    @property
    def primary(self) -> bool:
        return self.rules.kind == "tt27"

    def subject(self, code: str) -> SubjectSetup:
        """The class's subject with this code, or 404."""
        for setup in self.subjects:
            if setup.code == code:
                return setup
        raise NotFound(_l("Lớp không học môn này (hoặc chưa khai báo số tiết của môn)."))

    def subject_by_id(self, subject_id: int) -> SubjectSetup | None:
        return next((s for s in self.subjects if s.id == subject_id), None)


#: Ids are 64-bit signed integers in both databases: anything larger cannot exist (and the
#: SQLite driver refuses to bind it), so it is a 404 without a query.
MAX_ID = 2**63 - 1


def load_class(class_id: int) -> SchoolClass:
    """The class with its school and school year, or 404."""
    if not 0 < class_id <= MAX_ID:
        raise NotFound(_l("Không tìm thấy lớp."))
    school_class = db.session.scalar(
        select(SchoolClass).where(SchoolClass.id == class_id)
        .options(joinedload(SchoolClass.school), joinedload(SchoolClass.school_year)))
    if school_class is None:
        raise NotFound(_l("Không tìm thấy lớp."))
    return school_class


def load_book(school_class: SchoolClass) -> ClassBook:
    """The class's rule set and subjects (one query for the subjects)."""
    year = school_class.school_year
    rules = rule_set_for(year.starts_on.year, school_class.grade)
    if rules is None:
        raise DomainError(_l("Khối %(grade)s năm học %(year)s chưa áp dụng Thông tư 22/2021 "
                             "hay 27/2020: sổ điểm này không dùng được cho lớp.",
                             grade=school_class.grade, year=year.name), code="no_rule_set")
    rows = db.session.execute(
        select(SubjectPeriods, Subject)
        .join(Subject, Subject.id == SubjectPeriods.subject_id)
        .outerjoin(ClassElective, (ClassElective.subject_id == SubjectPeriods.subject_id)
                   & (ClassElective.class_id == school_class.id))
        .where(SubjectPeriods.school_year_id == year.id,
               SubjectPeriods.grade == school_class.grade,
               or_(SubjectPeriods.elective.is_(False), ClassElective.class_id.is_not(None)))
        .order_by(Subject.position, Subject.code)).all()
    subjects = [_setup(rules, school_class.grade, periods, subject) for periods, subject in rows]
    return ClassBook(school_class, rules, subjects)


def load_books(classes: list[SchoolClass]) -> dict[int, ClassBook]:
    """The books of many classes of one school year in two statements (a school's
    recomputation); classes whose grade no rule set covers are left out."""
    if not classes:
        return {}
    year = classes[0].school_year
    grades = {c.grade for c in classes}
    rows = db.session.execute(
        select(SubjectPeriods, Subject).join(Subject, Subject.id == SubjectPeriods.subject_id)
        .where(SubjectPeriods.school_year_id == year.id, SubjectPeriods.grade.in_(grades))
        .order_by(Subject.position, Subject.code)).all()
    chosen = set(db.session.execute(select(ClassElective.class_id, ClassElective.subject_id)
                                    .where(ClassElective.class_id.in_([c.id for c in classes])))
                 .all())
    books = {}
    for school_class in classes:
        rules = rule_set_for(year.starts_on.year, school_class.grade)
        if rules is None:
            continue
        subjects = [_setup(rules, school_class.grade, periods, subject)
                    for periods, subject in rows
                    if periods.grade == school_class.grade
                    and (not periods.elective or (school_class.id, subject.id) in chosen)]
        books[school_class.id] = ClassBook(school_class, rules, subjects)
    return books


def _setup(rules, grade: int, periods: SubjectPeriods, subject: Subject) -> SubjectSetup:
    common = {"id": subject.id, "code": subject.code, "name": subject.name,
              "periods": periods.periods, "elective": periods.elective}
    if rules.kind == "tt27":
        return SubjectSetup(**common, comment_only=False, regular_count=0, primary=True,
                            mid_test=tt27.has_test(rules, subject.code, grade, mid_term=True),
                            end_test=tt27.has_test(rules, subject.code, grade))
    return SubjectSetup(**common, comment_only=subject.comment_only,
                        regular_count=tt22.regular_count(rules, periods.periods))


def students_of(class_id: int) -> list[User]:
    """The class's students in class-list order."""
    students = db.session.scalars(
        select(User).join(Membership, Membership.user_id == User.id)
        .where(Membership.class_id == class_id, Membership.role == Role.STUDENT)).all()
    return sorted(set(students), key=lambda student: student.list_key)


def student_in_class(class_id: int, student_id: int) -> User:
    """A student of the class, or 404."""
    if not 0 < student_id <= MAX_ID:
        raise NotFound(_l("Không tìm thấy học sinh trong lớp."))
    student = db.session.scalar(
        select(User).join(Membership, Membership.user_id == User.id)
        .where(Membership.class_id == class_id, Membership.role == Role.STUDENT,
               User.id == student_id).limit(1))
    if student is None:
        raise NotFound(_l("Không tìm thấy học sinh trong lớp."))
    return student
