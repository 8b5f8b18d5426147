"""The class summary (bảng tổng hợp): every student × every subject for a term or the year,
with the learning result and conduct — for the homeroom teacher and the school's leaders.

Statements: the class with its school and year, the subjects, the students, every entry of
the class, the locks and the conduct rows — six, whatever the size of the class.
"""

from collections import defaultdict

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from lms.auth.permissions import can
from lms.core.errors import DomainError, NotFound
from lms.gradebook import compute
from lms.gradebook.book import ClassBook, load_book, load_books, load_class, students_of
from lms.gradebook.circulars import FOUR_LEVELS, tt22
from lms.gradebook.models import TERMS, GradebookEntry, StudentTerm, TermLock
from lms.gradebook.reading import class_info, result_word
from lms.gradebook.services import locked_terms
from lms.kernel import db
from lms.org.models import Membership, Role, SchoolClass

PERIODS = ("1", "2", "year")
#: What the results are computed from: plain rows, no ORM objects (a whole class or school).
CELLS = (GradebookEntry.student_id, GradebookEntry.subject_id, GradebookEntry.term,
         GradebookEntry.regular, GradebookEntry.mid_term, GradebookEntry.end_term,
         GradebookEntry.mid_test, GradebookEntry.end_test)


def read_period(value) -> str:
    if value is None:
        return "1"
    if str(value) not in PERIODS:
        raise DomainError(_l("Kì phải là 1, 2 hoặc year."), code="invalid_term")
    return str(value)


def class_summary(user, class_id: int, period="1") -> dict:
    """Each student's subjects (average or result), learning result and conduct for term 1,
    term 2 or the year."""
    school_class = load_class(class_id)
    if not can(user, "gradebook.read_class", school_class):
        raise NotFound(_l("Không tìm thấy sổ điểm."))
    period = read_period(period)
    book = load_book(school_class)
    students = students_of(class_id)
    entries = {(e.student_id, e.subject_id, e.term): e for e in db.session.execute(
        select(*CELLS).where(GradebookEntry.class_id == class_id))}
    locks = locked_terms(class_id)
    conduct = defaultdict(dict)
    for row in db.session.scalars(select(StudentTerm).where(StudentTerm.class_id == class_id)):
        conduct[row.student_id][row.term] = row
    rows = [_student(book, s, entries, locks, conduct[s.id], period) for s in students]
    return {"class": class_info(book), "period": period, "rule_set": book.rules.code,
            "primary": book.primary,
            "subjects": [{"code": s.code, "name": s.name, "comment_only": s.comment_only}
                         for s in book.subjects],
            "students": rows, "locked": {str(t): t in locks for t in TERMS},
            "can_write_conduct": can(user, "gradebook.write_conduct", school_class)}


def _student(book: ClassBook, student, entries, locks, terms: dict, period: str) -> dict:
    results = {t: {s.code: compute.term_result(book.rules, s, entries.get((student.id, s.id, t)),
                                               closed=t in locks)
                   for s in book.subjects} for t in TERMS}
    if period == "year":
        chosen = {s.code: compute.year_result(book.rules, s, results[1][s.code],
                                              results[2][s.code]) for s in book.subjects}
    else:
        chosen = results[int(period)]
    cells = [_cell(s, chosen[s.code]) for s in book.subjects]
    row = {"id": student.id, "name": student.full_name, "cells": cells,
           "learning": None, "adjusted_for": None, "conduct": None, "conduct_code": None,
           "versions": {t: terms[t].version if t in terms else 0 for t in TERMS}}
    if book.primary:
        return row
    learning = compute.learning(book.rules, book.subjects, chosen)
    if learning is not None:
        row["learning"], row["adjusted_for"] = learning.word, learning.adjusted_for
    codes = {t: terms[t].conduct if t in terms else None for t in TERMS}
    code = (tt22.conduct_year(book.rules, codes[1], codes[2]) if period == "year"
            else codes[int(period)])
    row["conduct"], row["conduct_code"] = FOUR_LEVELS.word(code), code
    return row


def _cell(setup, result) -> str | None:
    if result.average is not None:
        return str(result.average)
    word = result_word(setup, result)
    if word is not None and result.test is not None:
        return f"{word} ({result.test})"
    return word


# ------------------------------------------------------------------ a whole school


def school_results(user, school_id: int, year_id: int) -> list[dict]:
    """Every student of every class of a school year recomputed from the stored cells: per
    class, how many students reach each learning level (terms and year) and each year conduct
    — counts only, no student is ranked. For the school's leaders."""
    classes = db.session.scalars(
        select(SchoolClass).where(SchoolClass.school_id == school_id,
                                  SchoolClass.school_year_id == year_id)
        .options(joinedload(SchoolClass.school), joinedload(SchoolClass.school_year))
        .order_by(SchoolClass.grade, SchoolClass.name)).all()
    if not classes or not can(user, "gradebook.lock", classes[0]):
        raise NotFound(_l("Không tìm thấy trường."))
    books = load_books(list(classes))
    ids = list(books)
    students = defaultdict(list)
    for class_id, user_id in db.session.execute(
            select(Membership.class_id, Membership.user_id).where(
                Membership.class_id.in_(ids), Membership.role == Role.STUDENT)):
        students[class_id].append(user_id)
    entries = {(r.class_id, r.student_id, r.subject_id, r.term): r for r in db.session.execute(
        select(GradebookEntry.class_id, *CELLS).where(GradebookEntry.class_id.in_(ids)))}
    conduct = {(r.class_id, r.student_id, r.term): r.conduct for r in db.session.execute(
        select(StudentTerm.class_id, StudentTerm.student_id, StudentTerm.term,
               StudentTerm.conduct).where(StudentTerm.class_id.in_(ids)))}
    locks = set(db.session.execute(select(TermLock.class_id, TermLock.term)
                                   .where(TermLock.class_id.in_(ids))).all())
    return [_class_counts(books[c], students[c], entries, conduct, locks) for c in ids]


def _class_counts(book: ClassBook, student_ids, entries, conduct, locks) -> dict:
    class_id = book.school_class.id
    counts = {period: defaultdict(int) for period in ("term1", "term2", "year", "conduct")}
    for student_id in student_ids:
        results = {t: {s.code: compute.term_result(
            book.rules, s, entries.get((class_id, student_id, s.id, t)),
            closed=(class_id, t) in locks) for s in book.subjects} for t in TERMS}
        if book.primary:
            continue
        year = {s.code: compute.year_result(book.rules, s, results[1][s.code],
                                            results[2][s.code]) for s in book.subjects}
        for period, chosen in (("term1", results[1]), ("term2", results[2]), ("year", year)):
            learning = compute.learning(book.rules, book.subjects, chosen)
            counts[period][learning.level if learning else None] += 1
        level = tt22.conduct_year(book.rules, conduct.get((class_id, student_id, 1)),
                                  conduct.get((class_id, student_id, 2)))
        counts["conduct"][level] += 1
    return {"class_id": class_id, "name": book.school_class.name,
            "students": len(student_ids),
            **{period: {FOUR_LEVELS.word(k) if k else None: v for k, v in found.items()}
               for period, found in counts.items()}}
