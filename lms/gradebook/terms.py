"""What is recorded per student and term besides scores, and the term as a whole: conduct
(TT22) or qualities and competences (TT27) by the homeroom teacher, the school's year
decision, locks (the school leader), published columns (the subject teacher). Like every
gradebook service: takes the acting user, checks the rules, flushes, never commits; each
change of a student's record is kept in the history."""

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import delete, select

from lms.core.errors import DomainError
from lms.core.models import utcnow
from lms.gradebook.book import load_book, load_class, student_in_class
from lms.gradebook.circulars import FOUR_LEVELS, QUALITY, ScoreError, parse_rating
from lms.gradebook.models import (
    PUBLISHABLE,
    GradebookChange,
    Publication,
    StudentTerm,
    TermLock,
    YearDecision,
)
from lms.gradebook.rules import is_homeroom
from lms.gradebook.services import (
    authorise,
    check_term,
    check_version,
    ensure_open,
    flush_or_stale,
    read_reason,
    subject_context,
)
from lms.kernel import db

# ------------------------------------------------------------------ conduct


def save_conduct(user, class_id: int, student_id: int, body: dict,
                 via: str = "api") -> StudentTerm | None:
    """The homeroom teacher's (or a leader's) conduct rating of one student for one term."""
    school_class = load_class(class_id)
    authorise(user, "gradebook.write_conduct", "gradebook.read_class", school_class)
    book = load_book(school_class)
    if book.primary:
        raise DomainError(_l("Tiểu học không xếp loại rèn luyện (Thông tư 27/2020)."),
                          code="not_used")
    student_in_class(class_id, student_id)
    term = check_term(body.get("term"))
    rating = read_conduct(body.get("conduct"))
    reason = read_reason(body)
    ensure_open(class_id, term)
    row = db.session.scalar(select(StudentTerm).where(
        StudentTerm.class_id == class_id, StudentTerm.student_id == student_id,
        StudentTerm.term == term))
    check_version(row, body.get("version"))
    if (row.conduct if row is not None else None) == rating:
        return row
    if row is None:
        row = StudentTerm(class_id=class_id, student_id=student_id, term=term, qualities={})
        db.session.add(row)
    role = "homeroom" if is_homeroom(user, school_class) else "leader"
    db.session.add(GradebookChange(
        class_id=class_id, subject_id=None, student_id=student_id, term=term, field="conduct",
        old=row.conduct, new=rating, reason=reason, via=via, as_role=role, user_id=user.id))
    row.conduct = rating
    row.updated_at, row.updated_by_id = utcnow(), user.id
    flush_or_stale()
    return row


def save_conducts(user, class_id: int, term, ratings: dict[int, object],
                  versions: dict[int, int]) -> int:
    """The class page's conduct column: one save per student whose rating changed."""
    changed = 0
    for student_id, rating in ratings.items():
        body = {"term": term, "conduct": rating, "version": versions.get(student_id)}
        row = save_conduct(user, class_id, student_id, body, via="web")
        changed += row is not None and row.version != versions.get(student_id)
    return changed


def read_conduct(value) -> str | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    try:
        return parse_rating(value, "conduct", FOUR_LEVELS)
    except ScoreError:
        message = _("Rèn luyện: cần một trong: T (Tốt), K (Khá), Đ (Đạt), CĐ (Chưa đạt).")
        raise DomainError(message, code="invalid_score",
                          details={"fields": {"conduct": [message]}}) from None


# ------------------------------------------------------------------ locks and publication


def set_lock(user, class_id: int, term, locked: bool) -> bool:
    """Close (or reopen) a term of a class: the school leader's act; idempotent."""
    school_class = load_class(class_id)
    authorise(user, "gradebook.lock", "gradebook.read_class", school_class)
    term = check_term(term)
    row = db.session.get(TermLock, (class_id, term))
    if locked and row is None:
        db.session.add(TermLock(class_id=class_id, term=term, locked_by_id=user.id))
    elif not locked and row is not None:
        db.session.delete(row)
    db.session.flush()
    return locked


def set_school_lock(user, class_ids: list[int], term, locked: bool) -> int:
    """Close (or reopen) a term for several classes at once (the lock page's "all")."""
    for class_id in class_ids:
        set_lock(user, class_id, term, locked)
    return len(class_ids)


def set_published(user, class_id: int, subject_code: str, term, columns, published: bool
                  ) -> list[str]:
    """Show (or hide) columns of a subject's term to the class's students and their parents;
    returns the columns published afterwards."""
    book, setup = subject_context(user, class_id, subject_code, write=True)
    term = check_term(term)
    wanted = read_columns(columns)
    if published:
        have = published_columns(class_id, setup.id, term)
        for column in wanted - have:
            db.session.add(Publication(class_id=class_id, subject_id=setup.id, term=term,
                                       column=column, published_by_id=user.id))
    else:
        db.session.execute(delete(Publication).where(
            Publication.class_id == class_id, Publication.subject_id == setup.id,
            Publication.term == term, Publication.column.in_(wanted)))
    db.session.flush()
    return sorted(published_columns(class_id, setup.id, term), key=PUBLISHABLE.index)


def read_columns(columns) -> set[str]:
    if (not isinstance(columns, list) or not columns
            or not all(isinstance(c, str) and c in PUBLISHABLE for c in columns)):
        message = _("Cột phải là một hoặc nhiều trong: regular, mid, end.")
        raise DomainError(message, code="invalid_columns",
                          details={"fields": {"columns": [message]}})
    return set(columns)


def published_columns(class_id: int, subject_id: int, term: int) -> set[str]:
    return set(db.session.scalars(select(Publication.column).where(
        Publication.class_id == class_id, Publication.subject_id == subject_id,
        Publication.term == term)))


# ------------------------------------------------------------------ qualities (TT27)


QUALITY_PERIODS = ("mid", "end")


def save_qualities(user, class_id: int, student_id: int, body: dict,
                   via: str = "api") -> StudentTerm:
    """Primary (TT27): the homeroom teacher's ratings of qualities and competences at
    mid-term or end of term — ``{"term", "period", "ratings": {code: "T"|"Đ"|"C"}}``; codes
    left out stay as they are, null clears one."""
    school_class = load_class(class_id)
    authorise(user, "gradebook.write_conduct", "gradebook.read_class", school_class)
    book = load_book(school_class)
    if not book.primary:
        raise DomainError(_l("Phẩm chất, năng lực theo Thông tư 27/2020 chỉ dùng cho tiểu học."),
                          code="not_used")
    student_in_class(class_id, student_id)
    term = check_term(body.get("term"))
    period = body.get("period")
    ratings = read_qualities(book.rules, period, body.get("ratings"))
    reason = read_reason(body)
    ensure_open(class_id, term)
    row = db.session.scalar(select(StudentTerm).where(
        StudentTerm.class_id == class_id, StudentTerm.student_id == student_id,
        StudentTerm.term == term))
    check_version(row, body.get("version"))
    if row is None:
        row = StudentTerm(class_id=class_id, student_id=student_id, term=term, qualities={})
        db.session.add(row)
    stored = dict((row.qualities or {}).get(period, {}))
    role = "homeroom" if is_homeroom(user, school_class) else "leader"
    for code, rating in ratings.items():
        if stored.get(code) != rating:
            db.session.add(GradebookChange(
                class_id=class_id, subject_id=None, student_id=student_id, term=term,
                field=f"quality.{period}.{code}", old=stored.get(code), new=rating,
                reason=reason, via=via, as_role=role, user_id=user.id))
            stored[code] = rating
    row.qualities = {**(row.qualities or {}), period: stored}  # a new dict: JSON change seen
    row.updated_at, row.updated_by_id = utcnow(), user.id
    flush_or_stale()
    return row


def read_qualities(rules, period, ratings) -> dict[str, str | None]:
    """Every rating read, or one 400 naming each bad one (``ratings.<code>``)."""
    known = dict(rules.qualities)
    problems, read = {}, {}
    if period not in QUALITY_PERIODS:
        problems["period"] = [_("Kì đánh giá phải là mid hoặc end.")]
    if not isinstance(ratings, dict):
        problems["ratings"] = [_("Cần một đối tượng {mã: mức}.")]
        ratings = {}
    for code, value in ratings.items():
        if code not in known:
            problems[f"ratings.{code}"] = [_("Không có phẩm chất/năng lực mã “%(code)s”.",
                                             code=str(code)[:20])]
        elif value is None or (isinstance(value, str) and not value.strip()):
            read[code] = None
        else:
            try:
                read[code] = parse_rating(value, code, QUALITY)
            except ScoreError:
                problems[f"ratings.{code}"] = [_("%(name)s: cần T (Tốt), Đ (Đạt) hoặc C (Cần "
                                                 "cố gắng).", name=known[code])]
    if problems:
        raise DomainError(_l("Có mức đánh giá không hợp lệ; không có gì được lưu."),
                          code="invalid_score", details={"fields": problems})
    return read


# ------------------------------------------------------------------ the year (TT22)


PROMOTIONS = ("promoted", "summer", "repeat")
AWARDS = ("xuat_sac", "gioi")


def confirm_year(user, class_id: int, student_id: int, body: dict) -> YearDecision:
    """The school's decision on a student's year (TT22 Điều 12, 15), replacing the computed
    suggestion: ``{"promotion": "promoted"|"summer"|"repeat", "award": "xuat_sac"|"gioi"|null}``.
    School leaders only; recorded in the history under term II."""
    school_class = load_class(class_id)
    authorise(user, "gradebook.lock", "gradebook.read_class", school_class)
    if load_book(school_class).primary:
        raise DomainError(_l("Tiểu học không xét lên lớp theo Thông tư 22/2021."),
                          code="not_used")
    student_in_class(class_id, student_id)
    promotion, award = body.get("promotion"), body.get("award")
    problems = {}
    if promotion not in PROMOTIONS:
        problems["promotion"] = [_("Cần một trong: promoted, summer, repeat.")]
    if award is not None and award not in AWARDS:
        problems["award"] = [_("Cần xuat_sac, gioi hoặc null.")]
    if problems:
        raise DomainError(_l("Quyết định không hợp lệ."), code="invalid_decision",
                          details={"fields": problems})
    row = db.session.get(YearDecision, (class_id, student_id))
    old = (row.promotion, row.award) if row else (None, None)
    for field, before, after in (("promotion", old[0], promotion), ("award", old[1], award)):
        if before != after:
            db.session.add(GradebookChange(
                class_id=class_id, subject_id=None, student_id=student_id, term=2, field=field,
                old=before, new=after, reason=read_reason(body), via="api", as_role="leader",
                user_id=user.id))
    if row is None:
        row = YearDecision(class_id=class_id, student_id=student_id, promotion=promotion)
        db.session.add(row)
    row.promotion, row.award = promotion, award
    row.confirmed_by_id, row.confirmed_at = user.id, utcnow()
    db.session.flush()
    return row
