"""The gradebook tables: one entry per cell, a version checked by the UPDATE itself."""

import pytest
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from lms.curriculum.models import Subject
from lms.gradebook.models import GradebookEntry
from lms.kernel import db as _db


def _entry(org, term=1) -> GradebookEntry:
    toan = _db.session.scalar(select(Subject).where(Subject.code == "TOAN"))
    entry = GradebookEntry(class_id=org.class_x.id, subject_id=toan.id,
                           student_id=org.student_a.id, term=term, regular=["7"])
    _db.session.add(entry)
    _db.session.commit()
    return entry


def test_version_starts_at_one_and_grows_on_every_write(org):
    entry = _entry(org)
    assert entry.version == 1
    entry.mid_term = "8"
    _db.session.commit()
    assert entry.version == 2


def test_a_concurrent_write_with_the_old_version_is_refused_by_the_update(org):
    entry = _entry(org)
    with Session(_db.engine) as first, Session(_db.engine) as second:
        mine = first.get(GradebookEntry, entry.id)
        theirs = second.get(GradebookEntry, entry.id)
        mine.end_term = "9"
        first.commit()
        theirs.end_term = "4"
        with pytest.raises(StaleDataError):
            second.commit()
    _db.session.expire_all()
    stored = _db.session.get(GradebookEntry, entry.id)
    assert (stored.end_term, stored.version) == ("9", 2)


def test_one_entry_per_class_subject_student_and_term(org):
    entry = _entry(org)
    _entry(org, term=2)  # the other term is another cell
    _db.session.add(GradebookEntry(class_id=entry.class_id, subject_id=entry.subject_id,
                                   student_id=entry.student_id, term=1, regular=[]))
    with pytest.raises(IntegrityError):
        _db.session.commit()
    _db.session.rollback()


def test_term_is_one_or_two(org):
    with pytest.raises(IntegrityError):
        _entry(org, term=3)
    _db.session.rollback()
