"""Two teachers saving the same cell at once: one wins, the others get 409 ``stale`` and
nothing is overwritten silently (meaningful on PostgreSQL; SQLite serialises the writes)."""

from sqlalchemy import func, select

from lms.gradebook.models import GradebookChange, GradebookEntry
from lms.kernel import db as _db
from tests.lms.gradebook_setup import bearer, build_book, put
from tests.lms.test_exams_races import _together


def test_simultaneous_first_saves_of_one_cell_make_one_entry(app, client, org):
    build_book(org)
    class_id, student = org.class_x.id, org.student_a.id
    headers = bearer(client, "teacherx")
    replies = _together(app, 8, lambda c, i: put(c, headers, class_id, "LICHSU", student,
                                                 term=1, mid=str(i + 1), version=0))
    codes = sorted(r.status_code for r in replies)
    assert codes == [200] + [409] * 7, [r.get_json() for r in replies]
    assert {r.get_json()["error"]["code"] for r in replies if r.status_code == 409} == {"stale"}
    winner = next(r.get_json() for r in replies if r.status_code == 200)
    entry = _db.session.scalar(select(GradebookEntry))
    assert (entry.mid_term, entry.version) == (winner["mid"], 1)
    assert _db.session.scalar(select(func.count(GradebookChange.id))) == 1


def test_simultaneous_edits_with_the_same_version_have_one_winner(app, client, org):
    build_book(org)
    class_id, student = org.class_x.id, org.student_a.id
    headers = bearer(client, "teacherx")
    # Every thread writes a value other than the stored 0.5 (saving the same value is a no-op).
    assert put(client, headers, class_id, "LICHSU", student, term=1, mid=0.5).status_code == 200
    replies = _together(app, 8, lambda c, i: put(c, headers, class_id, "LICHSU", student,
                                                 term=1, mid=str(i + 1), version=1))
    codes = sorted(r.status_code for r in replies)
    assert codes == [200] + [409] * 7, [r.get_json() for r in replies]
    winner = next(r.get_json() for r in replies if r.status_code == 200)
    _db.session.expire_all()
    entry = _db.session.scalar(select(GradebookEntry))
    assert (entry.mid_term, entry.version) == (winner["mid"], 2)
    changes = _db.session.scalars(select(GradebookChange.new).order_by(GradebookChange.id))
    assert list(changes) == ["0.5", winner["mid"]]
