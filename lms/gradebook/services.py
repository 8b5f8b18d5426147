"""Writing the gradebook's cells: one student's term in a subject, or many at once (the grid,
an import), each change recorded; and the access and input checks every write shares.
Conduct, locks and publication are in ``terms.py``.

Every function takes the acting user, checks the permission rules (lms/gradebook/rules.py),
flushes and never commits. Someone who may not read the class or subject gets 404; someone
who may read but not write gets 403.
"""

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.exc import StaleDataError

from lms.auth.permissions import can
from lms.core.errors import Conflict, DomainError, Forbidden, NotFound
from lms.core.models import utcnow
from lms.curriculum.models import Subject
from lms.gradebook import rules as _gradebook_rules  # noqa: F401 — registers gradebook.*
from lms.gradebook.book import (
    ClassBook,
    SubjectSetup,
    load_book,
    load_class,
    student_in_class,
    students_of,
)
from lms.gradebook.circulars import (
    ScoreError,
    parse_rating,
    parse_score,
    score_text,
)
from lms.gradebook.models import (
    TERMS,
    GradebookChange,
    GradebookEntry,
    TermLock,
)
from lms.gradebook.rules import SubjectTarget, teaches_subject
from lms.kernel import db
from lms.kernel.text import nfc
from lms.org.models import SchoolClass

MAX_REASON = 500

#: ScoreError codes → messages; ``%(label)s`` names the cell.
MESSAGES = {
    "not_a_number": _l("%(label)s: “%(value)s” không phải là điểm số (từ 0 đến 10, dấu chấm "
                       "hoặc dấu phẩy)."),
    "out_of_range": _l("%(label)s: điểm phải từ 0 đến 10."),
    "too_many_decimals": _l("%(label)s: điểm có nhiều nhất một chữ số thập phân."),
    "not_whole": _l("%(label)s: điểm bài kiểm tra định kì tiểu học là số nguyên từ 0 đến 10."),
    "not_a_rating": _l("%(label)s: “%(value)s” không hợp lệ; cần một trong: %(choices)s."),
    "too_many": _l("%(label)s: môn này có %(count)s điểm đánh giá thường xuyên mỗi học kì."),
    "not_used": _l("%(label)s: môn này không có cột này."),
    "not_a_list": _l("%(label)s: cần một danh sách điểm."),
}


# ------------------------------------------------------------------ access


def subject_by_code(code: str) -> Subject:
    subject = db.session.scalar(select(Subject).where(Subject.code == str(code).upper()))
    if subject is None:
        raise NotFound(_l("Không tìm thấy môn học."))
    return subject


def authorise(user, write: str, read: str, target) -> None:
    """``write`` allowed → go on; only ``read`` → 403; neither → 404 (nothing is revealed)."""
    if can(user, write, target):
        return
    if can(user, read, target):
        raise Forbidden(_l("Bạn chỉ được xem, không được sửa phần này của sổ điểm."))
    raise NotFound(_l("Không tìm thấy sổ điểm."))


def subject_context(user, class_id: int, subject_code: str, write: bool
                    ) -> tuple[ClassBook, SubjectSetup]:
    """The class's book and one of its subjects, for a user allowed to read (or write) it."""
    school_class = load_class(class_id)
    subject = subject_by_code(subject_code)
    target = SubjectTarget(school_class, subject.id)
    if write:
        authorise(user, "gradebook.write_subject", "gradebook.read_subject", target)
    elif not can(user, "gradebook.read_subject", target):
        raise NotFound(_l("Không tìm thấy sổ điểm."))
    book = load_book(school_class)
    return book, book.subject(subject.code)


def acting_role(user, school_class: SchoolClass, subject_id: int | None) -> str:
    """How a write is recorded: ``teacher`` of the subject, else ``leader``."""
    if subject_id is not None and teaches_subject(user, school_class, subject_id):
        return "teacher"
    return "leader"


def check_term(term) -> int:
    if isinstance(term, bool) or term not in TERMS:
        raise DomainError(_l("Học kì phải là 1 hoặc 2."), code="invalid_term",
                          details={"fields": {"term": [_("Học kì phải là 1 hoặc 2.")]}})
    return term


def locked_terms(class_id: int) -> set[int]:
    return set(db.session.scalars(select(TermLock.term).where(TermLock.class_id == class_id)))


def ensure_open(class_id: int, term: int) -> None:
    """409 ``locked`` when the school leader has closed this term of the class."""
    if db.session.get(TermLock, (class_id, term)) is not None:
        raise Conflict(_l("Học kì %(term)s của lớp đã khoá sổ; chỉ Ban giám hiệu mở lại được.",
                          term=term), code="locked")


# ------------------------------------------------------------------ reading input


def field_label(setup: SubjectSetup, field: str) -> str:
    if field.startswith("regular."):
        return _("ĐĐGtx %(n)s", n=field.split(".")[1])
    if setup.primary:
        return {"mid": _("Giữa kì"), "end": _("Cuối kì"), "mid_test": _("KT giữa kì"),
                "end_test": _("KT cuối kì")}.get(field, field)
    return {"mid": _("ĐĐGgk"), "end": _("ĐĐGck")}.get(field, field)


def problem_text(setup: SubjectSetup, error: ScoreError) -> str:
    value = error.value if isinstance(error.value, str | int | float) else ""
    scale = setup.rating_scale
    choices = ", ".join(f"{c} ({w})" for c, w in scale.words.items()) if scale else ""
    return str(MESSAGES[error.code] % {"label": field_label(setup, error.field),
                                       "value": str(value)[:20], "choices": choices,
                                       "count": setup.regular_count})


def read_cell(setup: SubjectSetup, field: str, value) -> str | None:
    """One cell's canonical text (None clears it), or ScoreError naming ``field``."""
    if value is None:
        return None
    if isinstance(value, str) and not value.strip():
        return None
    scale = setup.rating_scale
    if field in ("mid_test", "end_test"):
        return score_text(parse_score(value, field, whole=True))
    if scale is not None:
        return parse_rating(value, field, scale)
    return score_text(parse_score(value, field))


def read_scores(setup: SubjectSetup, body: dict) -> dict[str, str | None]:
    """The cells a request sets: ``{"regular.1": "7", "mid": None, …}``; every problem is
    collected and reported at once (400 with ``details.fields``)."""
    cells, problems = {}, {}

    def take(field, value):
        try:
            cells[field] = read_cell(setup, field, value)
        except ScoreError as error:
            problems[field] = [problem_text(setup, error)]

    if "regular" in body:
        regular = body["regular"]
        if regular is None:
            regular = []
        if not isinstance(regular, list):
            problems["regular"] = [problem_text(setup, ScoreError("regular", "not_a_list"))]
        elif len(regular) > setup.regular_count:
            problems["regular"] = [problem_text(setup, ScoreError("regular", "too_many"))]
        else:
            padded = regular + [None] * (setup.regular_count - len(regular))
            for index, value in enumerate(padded, start=1):
                take(f"regular.{index}", value)
    for field in ("mid", "end", "mid_test", "end_test"):
        if field not in body:
            continue
        if field.endswith("_test") and not getattr(setup, field):
            if body[field] is not None:
                problems[field] = [problem_text(setup, ScoreError(field, "not_used"))]
            continue
        take(field, body[field])
    if problems:
        raise DomainError(_l("Có ô điểm không hợp lệ; không có gì được lưu."),
                          code="invalid_score", details={"fields": problems})
    return cells


def read_reason(body: dict) -> str:
    reason = body.get("reason") or ""
    if not isinstance(reason, str) or len(reason) > MAX_REASON:
        raise DomainError(_l("Lí do tối đa 500 kí tự."), code="invalid_reason",
                          details={"fields": {"reason": [_("Lí do tối đa 500 kí tự.")]}})
    return nfc(reason)


# ------------------------------------------------------------------ scores


ATTRIBUTES = {"mid": "mid_term", "end": "end_term", "mid_test": "mid_test",
              "end_test": "end_test"}


def cell_value(entry: GradebookEntry | None, field: str) -> str | None:
    if entry is None:
        return None
    if field.startswith("regular."):
        index = int(field.split(".")[1]) - 1
        regular = entry.regular or []
        return regular[index] if index < len(regular) else None
    return getattr(entry, ATTRIBUTES[field])


def set_cell(entry: GradebookEntry, field: str, value: str | None) -> None:
    if field.startswith("regular."):
        index = int(field.split(".")[1]) - 1
        regular = list(entry.regular or [])
        regular += [None] * (index + 1 - len(regular))
        regular[index] = value
        while regular and regular[-1] is None:
            regular.pop()
        entry.regular = regular
    else:
        setattr(entry, ATTRIBUTES[field], value)


def find_entry(class_id: int, subject_id: int, student_id: int, term: int
               ) -> GradebookEntry | None:
    return db.session.scalar(select(GradebookEntry).where(
        GradebookEntry.class_id == class_id, GradebookEntry.subject_id == subject_id,
        GradebookEntry.student_id == student_id, GradebookEntry.term == term))


def check_version(entry, version) -> None:
    """409 ``stale`` when the client saw another version of this cell (0: no row yet)."""
    if version is None:
        return
    current = entry.version if entry is not None else 0
    if isinstance(version, bool) or not isinstance(version, int) or version != current:
        raise Conflict(_l("Ô điểm vừa được người khác thay đổi; tải lại để xem điểm mới "
                          "trước khi sửa."), code="stale", details={"version": current})


def save_scores(user, class_id: int, subject_code: str, student_id: int, body: dict,
                via: str = "api") -> tuple[ClassBook, SubjectSetup, GradebookEntry]:
    """Set some cells of one student's term in a subject (keys absent stay as they are,
    ``null`` clears). Refused: a locked term (409 ``locked``), a stale ``version`` (409
    ``stale``), any unreadable cell (400, nothing saved)."""
    book, setup = subject_context(user, class_id, subject_code, write=True)
    student_in_class(class_id, student_id)
    term = check_term(body.get("term"))
    cells = read_scores(setup, body)
    reason = read_reason(body)
    ensure_open(class_id, term)
    entry = find_entry(class_id, setup.id, student_id, term)
    check_version(entry, body.get("version"))
    role = acting_role(user, book.school_class, setup.id)
    entry = write_cells(entry, (class_id, setup.id, student_id, term), cells,
                        changed_by=user.id, reason=reason, via=via, as_role=role)
    return book, setup, entry


def cell_fields(setup: SubjectSetup) -> list[str]:
    """The cells of one student's term in a subject, in column order."""
    if setup.primary:
        return ["mid", *(["mid_test"] if setup.mid_test else []), "end",
                *(["end_test"] if setup.end_test else [])]
    return [f"regular.{n}" for n in range(1, setup.regular_count + 1)] + ["mid", "end"]


def read_cell_map(setup: SubjectSetup, values: dict, prefix: str = "") -> tuple[dict, dict]:
    """``{field: raw value}`` → (``{field: text or None}``, ``{prefix+field: [message]}``)."""
    allowed, cells, problems = cell_fields(setup), {}, {}
    for field, value in values.items():
        if field not in allowed:
            problems[prefix + field] = [problem_text(setup, ScoreError(field, "not_used"))]
            continue
        try:
            cells[field] = read_cell(setup, field, value)
        except ScoreError as error:
            problems[prefix + field] = [problem_text(setup, error)]
    return cells, problems


def save_cells(user, class_id: int, subject_code: str, term, rows: dict[int, dict],
               via: str, versions: dict[int, int] | None = None, reason: str = "") -> int:
    """Save cells of several students in one term at once (the grid without script, an
    import): ``rows`` is ``{student_id: {"regular.2": "7,5", "mid": "", …}}`` ("" clears).
    Every cell is read first and any problem refuses the whole set (400 naming
    ``<student_id>.<field>``); ``versions`` are checked like a single save. Returns how many
    students' entries changed."""
    book, setup = subject_context(user, class_id, subject_code, write=True)
    term = check_term(term)
    students = {s.id for s in students_of(class_id)}
    if set(rows) - students:
        raise NotFound(_l("Không tìm thấy học sinh trong lớp."))
    cells, problems = {}, {}
    for student_id, values in rows.items():
        cells[student_id], found = read_cell_map(setup, values, f"{student_id}.")
        problems |= found
    if problems:
        raise DomainError(_l("Có ô điểm không hợp lệ; không có gì được lưu."),
                          code="invalid_score", details={"fields": problems})
    ensure_open(class_id, term)
    entries = {e.student_id: e for e in db.session.scalars(select(GradebookEntry).where(
        GradebookEntry.class_id == class_id, GradebookEntry.subject_id == setup.id,
        GradebookEntry.term == term, GradebookEntry.student_id.in_(list(rows))))}
    role = acting_role(user, book.school_class, setup.id)
    changed = 0
    for student_id, values in cells.items():
        entry = entries.get(student_id)
        check_version(entry, (versions or {}).get(student_id))
        before = entry.version if entry is not None else 0
        entry = write_cells(entry, (class_id, setup.id, student_id, term), values,
                            changed_by=user.id, reason=reason, via=via, as_role=role)
        changed += entry is not None and entry.version != before
    return changed


def write_cells(entry: GradebookEntry | None, key: tuple[int, int, int, int],
                cells: dict[str, str | None], *, changed_by: int | None, reason: str, via: str,
                as_role: str) -> GradebookEntry | None:
    """Apply ``cells`` to the entry of ``key`` (class, subject, student, term), recording
    each cell that changes; flushes. A concurrent write surfaces as 409 ``stale``."""
    changes = {f: v for f, v in cells.items() if cell_value(entry, f) != v}
    if not changes:
        return entry
    class_id, subject_id, student_id, term = key
    if entry is None:
        entry = GradebookEntry(class_id=class_id, subject_id=subject_id,
                               student_id=student_id, term=term, regular=[])
        db.session.add(entry)
    for field, value in changes.items():
        db.session.add(GradebookChange(
            class_id=class_id, subject_id=subject_id, student_id=student_id, term=term,
            field=field, old=cell_value(entry, field), new=value, reason=reason, via=via,
            as_role=as_role, user_id=changed_by))
        set_cell(entry, field, value)
    entry.updated_at = utcnow()
    entry.updated_by_id = changed_by
    flush_or_stale()
    return entry


def flush_or_stale() -> None:
    """Flush; a row changed or created meanwhile by someone else is a 409 ``stale``."""
    try:
        db.session.flush()
    except (StaleDataError, IntegrityError):
        # A failed flush leaves the session unusable (even to read the user's language for
        # the message); the whole request fails, so its transaction is rolled back here.
        db.session.rollback()
        raise Conflict(_l("Ô điểm vừa được người khác thay đổi; tải lại để xem điểm mới "
                          "trước khi sửa."), code="stale") from None
