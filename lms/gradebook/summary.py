"""The class summary (bảng tổng hợp): every student × every subject for a term or the year,
with the learning result and conduct — for the homeroom teacher and the school's leaders.

Statements: the class with its school and year, the subjects, the students, every entry of
the class, the locks and the conduct rows — six, whatever the size of the class.
"""

from collections import defaultdict

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from lms.auth.permissions import can
from lms.core.errors import DomainError, NotFound
from lms.extensions import db
from lms.gradebook import compute
from lms.gradebook.book import ClassBook, load_book, load_class, students_of
from lms.gradebook.circulars import FOUR_LEVELS, tt22
from lms.gradebook.models import TERMS, GradebookEntry, StudentTerm
from lms.gradebook.reading import class_info, result_word
from lms.gradebook.services import locked_terms

PERIODS = ("1", "2", "year")


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
    entries = {(e.student_id, e.subject_id, e.term): e for e in db.session.scalars(
        select(GradebookEntry).where(GradebookEntry.class_id == class_id))}
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
