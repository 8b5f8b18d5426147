"""Where each user finds their gradebooks: the subjects they teach, their homeroom class, their
school's classes and locks, their own or their children's results."""

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from lms.auth.permissions import leads, memberships
from lms.core.errors import DomainError, NotFound
from lms.gradebook.book import load_book
from lms.gradebook.models import TERMS, TermLock
from lms.kernel import db
from lms.org.models import Guardianship, Membership, Role, SchoolClass, SchoolYear, Unit, UnitKind


def home(user) -> dict:
    """Links for every role the user holds in a class or school."""
    teaching = []
    for m in memberships(user, Role.TEACHER):
        if m.school_class is None:
            continue
        try:
            subjects = load_book(m.school_class).subjects
        except DomainError:
            continue  # a grade outside the circulars has no gradebook
        teaching += [(m.school_class, s) for s in subjects if m.subject_id in (None, s.id)]
    children = db.session.execute(
        select(Membership.class_id, Membership.user_id)
        .join(Guardianship, Guardianship.student_id == Membership.user_id)
        .where(Guardianship.parent_id == user.id, Membership.role == Role.STUDENT)).all()
    return {
        "teaching": sorted({(c.id, s.code): (c, s) for c, s in teaching}.values(),
                           key=lambda pair: (pair[0].name, pair[1].code)),
        "homeroom": [m.school_class for m in memberships(user, Role.HOMEROOM_TEACHER)
                     if m.school_class],
        "schools": [m.unit for m in memberships(user, Role.SCHOOL_LEADER)
                    if m.unit.kind == UnitKind.SCHOOL],
        "own": [m.school_class for m in memberships(user, Role.STUDENT) if m.school_class],
        "children": [(db.session.get(SchoolClass, class_id), student_id)
                     for class_id, student_id in children],
    }


def school_locks(user, school_id: int, year_id: int | None) -> dict:
    """Every class of a school in a school year with the lock of each term: the leader's
    lock page."""
    school = db.session.get(Unit, school_id) if 0 < school_id <= 2**63 - 1 else None
    if school is None or school.kind != UnitKind.SCHOOL or not leads(user, school):
        raise NotFound(_l("Không tìm thấy trường."))
    years = db.session.scalars(select(SchoolYear).order_by(SchoolYear.starts_on.desc())).all()
    year = next((y for y in years if y.id == year_id), years[0] if years else None)
    classes = db.session.scalars(select(SchoolClass).where(
        SchoolClass.school_id == school.id, SchoolClass.school_year_id == (year.id if year
                                                                            else None))
        .order_by(SchoolClass.grade, SchoolClass.name)).all()
    locks = {(c, t): by for c, t, by in db.session.execute(
        select(TermLock.class_id, TermLock.term, TermLock.locked_at)
        .where(TermLock.class_id.in_([c.id for c in classes])))}
    return {"school": school, "year": year, "years": years,
            "classes": [{"class": c, "locks": {t: locks.get((c.id, t)) for t in TERMS}}
                        for c in classes]}
