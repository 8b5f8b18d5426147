"""Demo gradebook: the 2018 programme's periods for the demo year, four electives for 10A1,
and a term of scores in every subject of 10A1 — Toán's first regular score from the test the
class finished last week, mapped through the gradebook's own feed — with conduct, and the
term's columns published so that ``student`` and ``parent`` see them."""

import random

from sqlalchemy import select

from lms.curriculum.models import Subject
from lms.gradebook import feeds, services, terms
from lms.gradebook.book import load_book, students_of
from lms.gradebook.configure import seed_periods
from lms.gradebook.models import PUBLISHABLE, ClassElective
from lms.kernel import db

ELECTIVES = ("VATLI", "HOAHOC", "SINHHOC", "TINHOC")
#: The demo test 10A1 finished last week (lms/exams/demo.py), found by its title.
FINISHED_TEST = "Kiểm tra 15 phút"


def load_demo_gradebook(school_class, teacher, leader, seed: int = 2025) -> None:
    """Periods, electives, term I of 10A1 (idempotence is the caller's: load_demo runs once)."""
    rng = random.Random(seed)  # noqa: S311 — reproducible demo scores, not secrets
    seed_periods(school_class.school_year)
    for code in ELECTIVES:
        subject_id = db.session.scalar(select(Subject.id).where(Subject.code == code))
        db.session.add(ClassElective(class_id=school_class.id, subject_id=subject_id))
    db.session.flush()
    _map_finished_test(school_class, teacher)
    students = students_of(school_class.id)
    ability = {s.id: rng.gauss(7.0, 1.2) for s in students}
    for setup in load_book(school_class).subjects:
        rows = {s.id: _scores(setup, ability[s.id], rng) for s in students}
        writer = teacher if setup.code == "TOAN" else leader
        if setup.code == "TOAN":
            for cells in rows.values():
                cells.pop("regular.1", None)  # keep what the test gave
        services.save_cells(writer, school_class.id, setup.code, 1, rows, via="import",
                            reason="Dữ liệu mẫu")
        terms.set_published(writer, school_class.id, setup.code, 1, list(PUBLISHABLE), True)
    conduct = {s.id: rng.choice("TTTTKKĐ") for s in students}
    terms.save_conducts(leader, school_class.id, 1, conduct, {})


def _map_finished_test(school_class, teacher) -> None:
    choices = feeds.choices(teacher, school_class.id, "TOAN")
    test = next((c for c in choices if c["title"].startswith(FINISHED_TEST)), None)
    if test is not None:
        feeds.map_source(teacher, school_class.id, "TOAN",
                         {"term": 1, "field": "regular.1", "kind": test["kind"],
                          "source_id": test["id"]})


def _scores(setup, ability: float, rng: random.Random) -> dict[str, str]:
    """One student's term in a subject: scores around their ability, ratings mostly Đạt."""
    if setup.comment_only:
        return {field: ("Đ" if rng.random() < 0.97 else "CĐ")
                for field in services.cell_fields(setup)}

    def score() -> str:
        value = min(10.0, max(2.0, rng.gauss(ability, 1.0)))
        return str(round(value * 2) / 2).removesuffix(".0")  # halves, as teachers give

    return {field: score() for field in services.cell_fields(setup)}
