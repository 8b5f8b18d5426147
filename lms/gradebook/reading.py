"""Reading the gradebook: a subject's column set, a student's summary, a cell's history.

The same dictionaries feed the JSON API and the pages. Students and parents see only what
is published: a column once the teacher publishes it, a term average once every column of
the term is published, learning results and conduct once the leader locks the term.
"""

from collections import defaultdict

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from lms.auth.models import User
from lms.auth.permissions import can
from lms.core.errors import NotFound
from lms.gradebook import compute, registry
from lms.gradebook.book import (
    MAX_ID,
    ClassBook,
    SubjectSetup,
    load_book,
    load_class,
    student_in_class,
    students_of,
)
from lms.gradebook.circulars import COMPLETION, FOUR_LEVELS, PASS_FAIL, average_text
from lms.gradebook.compute import SubjectResult
from lms.gradebook.models import (
    PUBLISHABLE,
    TERMS,
    GradebookChange,
    GradebookEntry,
    Publication,
    ScoreFlag,
    ScoreSource,
    StudentTerm,
    YearDecision,
)
from lms.gradebook.rules import StudentTarget, SubjectTarget
from lms.gradebook.services import locked_terms, subject_context
from lms.kernel import db


def result_word(setup: SubjectSetup, result: SubjectResult) -> str | None:
    if result.result is None:
        return None
    return (COMPLETION if setup.primary else PASS_FAIL).word(result.result)


def entry_view(book: ClassBook, setup: SubjectSetup, entry: GradebookEntry | None, term: int,
               locked: bool) -> dict:
    """One student's term in one subject: cells, version, average or result."""
    result = compute.term_result(book.rules, setup, entry, closed=locked)
    view = {"term": term, "regular": compute.regular_cells(setup, entry),
            "mid": entry.mid_term if entry else None, "end": entry.end_term if entry else None,
            "version": entry.version if entry else 0,
            "term_average": average_text(result.average), "term_result": result_word(setup, result),
            "complete": not result.empty, "locked": locked}
    if setup.primary:
        view |= {"mid_test": entry.mid_test if entry else None,
                 "end_test": entry.end_test if entry else None}
    return view


def year_view(book: ClassBook, setup: SubjectSetup, term1: SubjectResult,
              term2: SubjectResult) -> dict:
    year = compute.year_result(book.rules, setup, term1, term2)
    return {"average": average_text(year.average), "result": result_word(setup, year)}


def subject_info(book: ClassBook, setup: SubjectSetup) -> dict:
    return {"code": setup.code, "name": setup.name, "periods": setup.periods,
            "regular_count": setup.regular_count, "comment_only": setup.comment_only,
            "primary": setup.primary, "mid_test": setup.mid_test, "end_test": setup.end_test,
            "rule_set": book.rules.code}


def class_info(book: ClassBook) -> dict:
    school_class = book.school_class
    return {"id": school_class.id, "name": school_class.name, "grade": school_class.grade,
            "school_year": school_class.school_year.name, "school_id": school_class.school_id}


# ------------------------------------------------------------------ a subject's column set


def subject_sheet(user, class_id: int, subject_code: str) -> dict:
    """Every student's two terms and year in one subject, with locks, published columns,
    test sources and flags: what the grid page and ``GET …/{subject_code}`` show."""
    book, setup = subject_context(user, class_id, subject_code, write=False)
    students = students_of(class_id)
    entries = {(e.student_id, e.term): e for e in db.session.scalars(
        select(GradebookEntry).where(GradebookEntry.class_id == class_id,
                                     GradebookEntry.subject_id == setup.id))}
    locks = locked_terms(class_id)
    published = defaultdict(list)
    for term, column in db.session.execute(
            select(Publication.term, Publication.column).where(
                Publication.class_id == class_id, Publication.subject_id == setup.id)):
        published[term].append(column)
    rows = [_student_row(book, setup, student, entries, locks) for student in students]
    return {
        "class": class_info(book), "subject": subject_info(book, setup),
        "regular_count": setup.regular_count, "comment_only": setup.comment_only,
        "can_write": can(user, "gradebook.write_subject",
                         SubjectTarget(book.school_class, setup.id)),
        "terms": {str(t): {"locked": t in locks,
                           "published": sorted(published[t], key=PUBLISHABLE.index)}
                  for t in TERMS},
        "students": rows, "sources": sources_of(class_id, setup.id),
        "flags": open_flags(class_id, setup.id),
    }


def _student_row(book, setup, student: User, entries, locks) -> dict:
    views, results = {}, {}
    for term in TERMS:
        entry = entries.get((student.id, term))
        views[term] = entry_view(book, setup, entry, term, term in locks)
        results[term] = compute.term_result(book.rules, setup, entry, closed=term in locks)
    return {"student_id": student.id, "name": student.full_name,
            "term1": views[1], "term2": views[2],
            "year": year_view(book, setup, results[1], results[2])}


def sources_of(class_id: int, subject_id: int) -> list[dict]:
    rows = db.session.scalars(select(ScoreSource).where(ScoreSource.class_id == class_id,
                                                        ScoreSource.subject_id == subject_id))
    return [{"id": r.id, "term": r.term, "field": r.field, "kind": r.kind,
             "source_id": r.source_id, "title": registry.describe(r.kind, r.source_id)}
            for r in rows]


def open_flags(class_id: int, subject_id: int) -> list[dict]:
    rows = db.session.scalars(select(ScoreFlag).where(
        ScoreFlag.class_id == class_id, ScoreFlag.subject_id == subject_id,
        ScoreFlag.resolved_at.is_(None)).order_by(ScoreFlag.id))
    return [{"id": r.id, "student_id": r.student_id, "term": r.term, "field": r.field,
             "proposed": r.proposed, "created_at": r.created_at.isoformat() + "Z"}
            for r in rows]


# ------------------------------------------------------------------ a student's summary


def summary_access(user, book_class, student_id: int) -> str | set[int]:
    """``"full"`` (homeroom, leaders), ``"own"`` (the student, a linked parent: published
    only), or the subject ids a subject teacher reads; 404 for anyone else."""
    if can(user, "gradebook.read_class", book_class):
        return "full"
    if can(user, "gradebook.read_own", StudentTarget(book_class, student_id)):
        return "own"
    ids = {m.subject_id for m in user.memberships
           if m.class_id == book_class.id and m.role.value == "teacher"}
    if not ids:
        raise NotFound(_l("Không tìm thấy sổ điểm."))
    return ids


def student_summary(user, class_id: int, student_id: int) -> dict:
    """A student's subjects (terms and year), learning result and conduct, as far as the
    viewer may see them (``summary_access``)."""
    school_class = load_class(class_id)
    if not 0 < student_id <= MAX_ID:
        raise NotFound(_l("Không tìm thấy sổ điểm."))
    access = summary_access(user, school_class, student_id)
    student = student_in_class(class_id, student_id)
    book = load_book(school_class)
    setups = book.subjects
    if isinstance(access, set) and None not in access:
        setups = [s for s in setups if s.id in access]
    entries = {(e.subject_id, e.term): e for e in db.session.scalars(
        select(GradebookEntry).where(GradebookEntry.class_id == class_id,
                                     GradebookEntry.student_id == student_id))}
    locks = locked_terms(class_id)
    published = _published(class_id) if access == "own" else None
    subjects, results = [], {1: {}, 2: {}}
    for setup in setups:
        row = {"code": setup.code, "name": setup.name, "comment_only": setup.comment_only}
        for term in TERMS:
            entry = entries.get((setup.id, term))
            view = entry_view(book, setup, entry, term, term in locks)
            results[term][setup.code] = compute.term_result(book.rules, setup, entry,
                                                            closed=term in locks)
            row[f"term{term}"] = _visible(view, published, setup.id, term)
        shown = all(row[f"term{t}"]["complete"] for t in TERMS) or published is None
        row["year"] = year_view(book, setup, results[1][setup.code], results[2][setup.code]) \
            if shown else {"average": None, "result": None}
        subjects.append(row)
    summary = {"class": class_info(book), "student": {"id": student.id,
                                                       "name": student.full_name},
               "rule_set": book.rules.code, "subjects": subjects,
               "learning": None, "conduct": None, "year_suggestion": None,
               "year_decision": None}
    if access in ("full", "own"):
        summary |= _overall(book, student_id, results, locks, own=access == "own")
    return summary


def _published(class_id: int) -> set[tuple[int, int, str]]:
    rows = db.session.execute(select(Publication.subject_id, Publication.term,
                                     Publication.column).where(Publication.class_id == class_id))
    return {tuple(row) for row in rows}


def _visible(view: dict, published, subject_id: int, term: int) -> dict:
    """The view a student or parent may see: unpublished columns blanked; the average only
    when every column of the term is published. ``published`` None: everything."""
    view = {k: v for k, v in view.items() if k != "version"}
    if published is None:
        return view
    shown = {column for column in PUBLISHABLE if (subject_id, term, column) in published}
    if "regular" not in shown:
        view["regular"] = [None] * len(view["regular"])
    for column in ("mid", "end"):
        if column not in shown:
            view[column] = None
            view.pop(f"{column}_test", None)
    if shown != set(PUBLISHABLE):
        view |= {"term_average": None, "term_result": None, "complete": False}
    return view


def _overall(book: ClassBook, student_id: int, results, locks: set[int], own: bool) -> dict:
    """Learning result, conduct and the year's suggestions (TT22) or the year-end evaluation
    (TT27); for a student or parent only for locked terms."""
    rows = {r.term: r for r in db.session.scalars(select(StudentTerm).where(
        StudentTerm.class_id == book.school_class.id, StudentTerm.student_id == student_id))}
    visible = {t: (t in locks) or not own for t in TERMS}
    if book.primary:
        return _primary_overall(book, results, rows, visible)
    year_results = {s.code: compute.year_result(book.rules, s,
                                                results[1].get(s.code, compute.EMPTY),
                                                results[2].get(s.code, compute.EMPTY))
                    for s in book.subjects}
    learning = {1: compute.learning(book.rules, book.subjects, results[1]),
                2: compute.learning(book.rules, book.subjects, results[2]),
                "year": compute.learning(book.rules, book.subjects, year_results)}
    conduct = {t: rows[t].conduct if t in rows else None for t in TERMS}
    conduct_year = compute.tt22.conduct_year(book.rules, conduct[1], conduct[2])
    both = visible[1] and visible[2]
    out = {
        "learning": {"term1": _level(learning[1], visible[1]),
                     "term2": _level(learning[2], visible[2]),
                     "year": _level(learning["year"], both)},
        "conduct": {"term1": FOUR_LEVELS.word(conduct[1]) if visible[1] else None,
                    "term2": FOUR_LEVELS.word(conduct[2]) if visible[2] else None,
                    "year": FOUR_LEVELS.word(conduct_year) if both else None},
    }
    decision = db.session.get(YearDecision, (book.school_class.id, student_id))
    out["year_decision"] = ({"promotion": decision.promotion, "award": decision.award,
                             "confirmed_at": decision.confirmed_at.isoformat() + "Z"}
                            if decision is not None and both else None)
    if not own:
        absences = registry.absences(book.school_class.id, [student_id]).get(student_id)
        suggestion = compute.year_suggestion(book.rules, book.subjects, year_results,
                                             learning["year"], conduct_year, absences)
        out["year_suggestion"] = _suggestion(suggestion)
    return out


def _level(result, visible: bool) -> dict | None:
    if result is None or not visible:
        return None
    return {"level": result.word, "table_level": FOUR_LEVELS.word(result.table_level),
            "adjusted_for": result.adjusted_for}


def _suggestion(suggestion) -> dict | None:
    if suggestion is None:
        return None
    promotion = suggestion.promotion
    return {"promotion": promotion.decision, "retest": list(promotion.retest),
            "conduct_training": promotion.conduct_training, "award": suggestion.award,
            "absences_known": suggestion.absences_known}


def _primary_overall(book, results, rows, visible) -> dict:
    qualities = (rows[2].qualities or {}).get("end", {}) if 2 in rows else {}
    evaluation = compute.primary_year(book.rules, book.subjects, results[2], qualities)
    shown = evaluation is not None and visible[1] and visible[2]
    return {"learning": {"term1": None, "term2": None,
                         "year": {"level": evaluation.title} if shown else None},
            "conduct": None}


# ------------------------------------------------------------------ history


def cell_history(user, class_id: int, subject_code: str, student_id: int, term: int) -> list:
    """Every change of one student's term in a subject, newest first: who, when, old → new,
    why. Read by whoever reads the subject."""
    book, setup = subject_context(user, class_id, subject_code, write=False)
    student_in_class(class_id, student_id)
    rows = db.session.execute(
        select(GradebookChange, User.full_name).outerjoin(User, User.id == GradebookChange.user_id)
        .where(GradebookChange.class_id == class_id, GradebookChange.subject_id == setup.id,
               GradebookChange.student_id == student_id, GradebookChange.term == term)
        .order_by(GradebookChange.id.desc())).all()
    return [{"field": c.field, "old": c.old, "new": c.new, "reason": c.reason, "via": c.via,
             "as_role": c.as_role, "by": name, "at": c.at.isoformat() + "Z"}
            for c, name in rows]
