"""Which subjects a grade has in a school year, with how many periods, and which electives a
class chose. The periods of the 2018 programme are the defaults (``PROGRAMME_2018``); an
administrator may change them per school year and grade.
"""

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import delete, select

from lms.auth.permissions import require
from lms.core.errors import DomainError, NotFound
from lms.curriculum.models import Subject
from lms.gradebook.book import load_book, load_class
from lms.gradebook.circulars import rule_set_for, tt22
from lms.gradebook.models import ClassElective, SubjectPeriods
from lms.gradebook.services import authorise
from lms.kernel import db
from lms.org.models import SchoolYear

_UPPER = {"TOAN": 105, "NGUVAN": 105, "TIENGANH": 105, "LICHSU": 70, "GDQPAN": 35,
          "GDTC": 70, "HDTN": 105, "GDDP": 35}
_UPPER_ELECTIVES = {"VATLI": 70, "HOAHOC": 70, "SINHHOC": 70, "TINHOC": 70, "DIALI": 70,
                    "GDKTPL": 70, "CONGNGHE": 70}
_LOWER = {"TOAN": 140, "NGUVAN": 140, "TIENGANH": 105, "GDCD": 35, "LSDL": 105, "KHTN": 140,
          "CONGNGHE": 35, "TINHOC": 35, "GDTC": 70, "AMNHAC": 35, "MITHUAT": 35, "HDTN": 105,
          "GDDP": 35}
_PRIMARY_12 = {"TIENGVIET": 420, "TOAN": 105, "DAODUC": 35, "TNXH": 70, "GDTC": 70,
               "AMNHAC": 35, "MITHUAT": 35, "HDTN": 105}
_PRIMARY_3 = {"TIENGVIET": 245, "TOAN": 175, "TIENGANH": 140, "DAODUC": 35, "TNXH": 70,
              "TINHOC": 35, "CONGNGHE": 35, "GDTC": 70, "AMNHAC": 35, "MITHUAT": 35,
              "HDTN": 105}
_PRIMARY_45 = {"TIENGVIET": 245, "TOAN": 175, "TIENGANH": 140, "DAODUC": 35, "LSDL": 70,
               "KHOAHOC": 70, "TINHOC": 35, "CONGNGHE": 35, "GDTC": 70, "AMNHAC": 35,
               "MITHUAT": 35, "HDTN": 105}

#: grade → {subject code: (periods per year, elective)} (Chương trình GDPT 2018).
PROGRAMME_2018: dict[int, dict[str, tuple[int, bool]]] = {
    **{g: {c: (p, False) for c, p in _PRIMARY_12.items()} for g in (1, 2)},
    3: {c: (p, False) for c, p in _PRIMARY_3.items()},
    **{g: {c: (p, False) for c, p in _PRIMARY_45.items()} for g in (4, 5)},
    **{g: {c: (p, False) for c, p in _LOWER.items()} for g in (6, 7, 8)},
    9: {**{c: (p, False) for c, p in _LOWER.items()}, "CONGNGHE": (52, False)},
    **{g: {**{c: (p, False) for c, p in _UPPER.items()},
           **{c: (p, True) for c, p in _UPPER_ELECTIVES.items()}} for g in (10, 11, 12)},
}


def seed_periods(year: SchoolYear, grades=None) -> int:
    """Insert the 2018 programme's periods for ``grades`` (all by default) where the grade has
    none yet in this school year; returns how many rows were added."""
    subjects = {s.code: s.id for s in db.session.scalars(select(Subject))}
    have = set(db.session.execute(select(SubjectPeriods.grade).where(
        SubjectPeriods.school_year_id == year.id)).scalars())
    added = 0
    for grade, rows in PROGRAMME_2018.items():
        if (grades is not None and grade not in grades) or grade in have:
            continue
        for code, (periods, elective) in rows.items():
            if code in subjects:
                db.session.add(SubjectPeriods(school_year_id=year.id, grade=grade,
                                              subject_id=subjects[code], periods=periods,
                                              elective=elective))
                added += 1
    db.session.flush()
    return added


def periods_view(user, school_year_id: int, grade: int) -> dict:
    """The grade's subjects in the year with periods, electives and regular-score counts
    (readable by any signed-in user: it is the national programme)."""
    year = db.session.get(SchoolYear, school_year_id)
    if year is None:
        raise NotFound(_l("Không tìm thấy năm học."))
    rules = rule_set_for(year.starts_on.year, grade)
    rows = db.session.execute(
        select(SubjectPeriods, Subject).join(Subject, Subject.id == SubjectPeriods.subject_id)
        .where(SubjectPeriods.school_year_id == year.id, SubjectPeriods.grade == grade)
        .order_by(Subject.position)).all()
    return {"school_year": year.name, "grade": grade, "rule_set": rules.code if rules else None,
            "subjects": [{"code": s.code, "name": s.name, "periods": p.periods,
                          "elective": p.elective, "comment_only": s.comment_only,
                          "regular_count": tt22.regular_count(rules, p.periods)
                          if rules is not None and rules.kind == "tt22" else 0}
                         for p, s in rows]}


def set_periods(user, school_year_id: int, grade: int, rows: list[dict]) -> None:
    """Replace a grade's subjects and periods for a school year (administrators only)."""
    require(user, "curriculum.manage")
    if db.session.get(SchoolYear, school_year_id) is None:
        raise NotFound(_l("Không tìm thấy năm học."))
    if not 1 <= grade <= 12:
        raise DomainError(_l("Khối phải từ 1 đến 12."), code="invalid_grade")
    subjects = {s.code: s for s in db.session.scalars(select(Subject))}
    unknown = sorted({str(r["code"]).upper() for r in rows} - set(subjects))
    if unknown:
        message = _("Mã môn không có: %(codes)s.", codes=", ".join(unknown))
        raise DomainError(message, code="unknown_subject",
                          details={"fields": {"subjects": [message]}})
    db.session.execute(delete(SubjectPeriods).where(
        SubjectPeriods.school_year_id == school_year_id, SubjectPeriods.grade == grade))
    for row in {str(r["code"]).upper(): r for r in rows}.values():
        db.session.add(SubjectPeriods(school_year_id=school_year_id, grade=grade,
                                      subject_id=subjects[row["code"].upper()].id,
                                      periods=row["periods"], elective=row["elective"]))
    db.session.flush()


def set_electives(user, class_id: int, codes: list[str]) -> list[str]:
    """The electives a class studies, replacing the previous choice (the school's leaders)."""
    school_class = load_class(class_id)
    authorise(user, "gradebook.configure", "gradebook.read_class", school_class)
    electives = {s.code: s.id for p, s in db.session.execute(
        select(SubjectPeriods, Subject).join(Subject, Subject.id == SubjectPeriods.subject_id)
        .where(SubjectPeriods.school_year_id == school_class.school_year_id,
               SubjectPeriods.grade == school_class.grade, SubjectPeriods.elective.is_(True)))}
    wanted = {str(code).upper() for code in codes}
    if wanted - set(electives):
        message = _("Không phải môn lựa chọn của khối: %(codes)s.",
                    codes=", ".join(sorted(wanted - set(electives))))
        raise DomainError(message, code="unknown_subject",
                          details={"fields": {"subjects": [message]}})
    db.session.execute(delete(ClassElective).where(ClassElective.class_id == class_id))
    for code in sorted(wanted):
        db.session.add(ClassElective(class_id=class_id, subject_id=electives[code]))
    db.session.flush()
    load_book(school_class)  # the class must have a rule set to have electives at all
    return sorted(wanted)
