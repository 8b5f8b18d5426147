"""Scores flowing in from other areas: a teacher maps a published test to a column; its
10-point score fills the column now and follows every later change (a regrade, an essay
graded) — unless the term is locked, then the new score is flagged for the teacher.

Sources are read through ``registry`` (the exams area registers ``exam``); changes arrive
through ``score_changed``, which ``lms/app.py`` connects to the exams area's signal.
"""

from decimal import ROUND_HALF_UP, Decimal

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from lms.core.errors import Conflict, DomainError, NotFound
from lms.core.ids import MAX_ID
from lms.core.models import utcnow
from lms.gradebook import registry
from lms.gradebook.book import SubjectSetup, load_book, load_class, students_of
from lms.gradebook.circulars import round1, score_text
from lms.gradebook.models import ScoreFlag, ScoreSource, TermLock
from lms.gradebook.rules import SubjectTarget
from lms.gradebook.services import (
    acting_role,
    authorise,
    cell_value,
    check_term,
    ensure_open,
    find_entry,
    subject_context,
    write_cells,
)
from lms.kernel import db
from lms.org.models import Membership, Role


def mappable_fields(setup: SubjectSetup) -> list[str]:
    """Columns a test may fill: the scores of a scored TT22 subject, TT27's tests."""
    if setup.primary:
        return [f for f in ("mid_test", "end_test") if getattr(setup, f)]
    if setup.comment_only:
        return []
    return [f"regular.{n}" for n in range(1, setup.regular_count + 1)] + ["mid", "end"]


def cell_text(setup: SubjectSetup, score: Decimal | None) -> str | None:
    """A source's 10-point score as the column stores it: one decimal, half-up (TT27 tests:
    a whole number, half-up), kept within 0–10."""
    if score is None:
        return None
    score = min(max(score, Decimal(0)), Decimal(10))
    if setup.primary:
        return str(int(score.quantize(Decimal(1), rounding=ROUND_HALF_UP)))
    return score_text(round1(score))


def choices(user, class_id: int, subject_code: str) -> list[dict]:
    """Every registered source the user may map to this subject of the class."""
    book, setup = subject_context(user, class_id, subject_code, write=True)
    return [{"kind": kind, **choice}
            for kind, adapter in sorted(registry.SOURCES.items())
            for choice in adapter.choices(class_id, setup.id, user.id)]


def map_source(user, class_id: int, subject_code: str, body: dict) -> tuple[ScoreSource, int]:
    """Map a source to a column of a term and fill it for every student who has a score;
    returns the mapping and how many cells changed."""
    book, setup = subject_context(user, class_id, subject_code, write=True)
    term = check_term(body.get("term"))
    field = body.get("field")
    if field not in mappable_fields(setup):
        message = _("Cột này không nhận điểm từ bài kiểm tra; chọn một trong: %(fields)s.",
                    fields=", ".join(mappable_fields(setup)) or "—")
        raise DomainError(message, code="invalid_field", details={"fields": {"field": [message]}})
    kind, source_id = body.get("kind"), body.get("source_id")
    adapter = registry.SOURCES.get(kind) if isinstance(kind, str) else None
    if (adapter is None or not isinstance(source_id, int) or isinstance(source_id, bool)
            or not 0 < source_id <= MAX_ID
            or not adapter.usable(source_id, class_id, setup.id, user.id)):
        raise NotFound(_l("Không tìm thấy bài kiểm tra đã phát hành của lớp."))
    ensure_open(class_id, term)
    taken = db.session.scalar(select(ScoreSource).where(
        ScoreSource.class_id == class_id, ScoreSource.subject_id == setup.id,
        ScoreSource.term == term, ScoreSource.field == field))
    if taken is not None:
        raise Conflict(_l("Cột này đã lấy điểm từ một bài kiểm tra; gỡ liên kết đó trước."),
                       code="mapped")
    row = ScoreSource(class_id=class_id, subject_id=setup.id, term=term, field=field, kind=kind,
                      source_id=source_id, created_by_id=user.id)
    db.session.add(row)
    adapter.follow(source_id)
    db.session.flush()
    role = acting_role(user, book.school_class, setup.id)
    return row, _fill(row, setup, adapter, changed_by=user.id, as_role=role, reason="map")


def _fill(row: ScoreSource, setup: SubjectSetup, adapter, *, changed_by, as_role, reason) -> int:
    students = [s.id for s in students_of(row.class_id)]
    changed = 0
    for student_id, score in adapter.scores(row.source_id, students).items():
        value = cell_text(setup, score)
        entry = find_entry(row.class_id, row.subject_id, student_id, row.term)
        if value is None or cell_value(entry, row.field) == value:
            continue
        write_cells(entry, (row.class_id, row.subject_id, student_id, row.term),
                    {row.field: value}, changed_by=changed_by, via="test", as_role=as_role,
                    reason=f"{reason} ({row.kind} #{row.source_id})")
        changed += 1
    return changed


def unmap_source(user, class_id: int, subject_code: str, source_row_id: int) -> None:
    """Stop a column following its source; the scores already in it stay."""
    book, setup = subject_context(user, class_id, subject_code, write=True)
    row = db.session.get(ScoreSource, source_row_id) if source_row_id <= 2**63 - 1 else None
    if row is None or (row.class_id, row.subject_id) != (class_id, setup.id):
        raise NotFound(_l("Không tìm thấy liên kết."))
    for flag in db.session.scalars(select(ScoreFlag).where(ScoreFlag.source_id == row.id)):
        flag.source_id = None
    db.session.delete(row)
    db.session.flush()


def score_changed(kind: str, source_id: int, user_id: int, score: Decimal | None,
                  reason: str) -> None:
    """A student's score in a source changed: every column mapped to it follows, in the
    caller's transaction; in a locked term the new score is flagged instead. A score that
    disappeared (None) changes nothing: the column keeps what it had."""
    rows = db.session.scalars(
        select(ScoreSource).join(Membership, Membership.class_id == ScoreSource.class_id)
        .where(ScoreSource.kind == kind, ScoreSource.source_id == source_id,
               Membership.user_id == user_id, Membership.role == Role.STUDENT)).all()
    for row in rows:
        setup = load_book(load_class(row.class_id)).subject_by_id(row.subject_id)
        value = cell_text(setup, score) if setup is not None else None
        entry = find_entry(row.class_id, row.subject_id, user_id, row.term)
        if value is None or cell_value(entry, row.field) == value:
            continue
        if db.session.get(TermLock, (row.class_id, row.term)) is not None:
            _flag(row, user_id, value)
            continue
        write_cells(entry, (row.class_id, row.subject_id, user_id, row.term), {row.field: value},
                    changed_by=None, via="test", as_role="system",
                    reason=f"{reason} ({row.kind} #{row.source_id})")


def _flag(row: ScoreSource, student_id: int, value: str) -> None:
    """One open flag per cell: a later change replaces the proposed score."""
    flag = db.session.scalar(select(ScoreFlag).where(
        ScoreFlag.class_id == row.class_id, ScoreFlag.subject_id == row.subject_id,
        ScoreFlag.student_id == student_id, ScoreFlag.term == row.term,
        ScoreFlag.field == row.field, ScoreFlag.resolved_at.is_(None)))
    if flag is None:
        flag = ScoreFlag(class_id=row.class_id, subject_id=row.subject_id,
                         student_id=student_id, term=row.term, field=row.field)
        db.session.add(flag)
    flag.proposed, flag.source_id, flag.created_at = value, row.id, utcnow()
    db.session.flush()


def resolve_flag(user, class_id: int, flag_id: int, apply: bool) -> ScoreFlag:
    """The teacher applies a flagged score (the term must be open again) or dismisses it."""
    school_class = load_class(class_id)
    flag = db.session.get(ScoreFlag, flag_id) if 0 < flag_id <= 2**63 - 1 else None
    if flag is None or flag.class_id != class_id:
        raise NotFound(_l("Không tìm thấy điểm chờ xử lí."))
    authorise(user, "gradebook.write_subject", "gradebook.read_subject",
              SubjectTarget(school_class, flag.subject_id))
    if flag.resolved_at is not None:
        raise Conflict(_l("Điểm này đã được xử lí."), code="resolved")
    if apply:
        ensure_open(class_id, flag.term)
        entry = find_entry(class_id, flag.subject_id, flag.student_id, flag.term)
        write_cells(entry, (class_id, flag.subject_id, flag.student_id, flag.term),
                    {flag.field: flag.proposed}, changed_by=user.id, via="test",
                    as_role=acting_role(user, school_class, flag.subject_id),
                    reason=f"flag #{flag.id}")
    flag.resolved_at = utcnow()
    db.session.flush()
    return flag

