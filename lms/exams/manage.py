"""The teacher's side of a test: drafts built by hand-picking bank questions, settings after
creation, assignments, overrides per student and per class, and pre-generated attempts.

Same conventions as ``services``: the acting user first, permissions checked here, flush only.
"""

from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from lms.auth.permissions import STAFF_ROLES, can, memberships, require
from lms.core.errors import Conflict, DomainError, NotFound
from lms.core.models import utcnow
from lms.exams import audience, logic, services, usage, variants
from lms.exams.models import (
    OPEN_STATES,
    Attempt,
    AttemptState,
    Exam,
    ExamAssignment,
    ExamMatrix,
    ExamState,
)
from lms.kernel import db
from lms.kernel.text import clean_name
from lms.org.models import Role, SchoolClass
from question_bank.models import Question

MAX_QUESTIONS = 200
MAX_EXTRA_MINUTES = 24 * 60
MAX_EXTRA_ATTEMPTS = 100
#: Students whose pending attempts are built and inserted together by ``generate_pending``.
PREGENERATE_CHUNK = 500


# ---------------------------------------------------------------- drafts


def my_exams(actor) -> list[Exam]:
    """The tests this teacher owns, newest first."""
    return list(db.session.scalars(select(Exam).where(Exam.owner_id == actor.id)
                                   .order_by(Exam.created_at.desc(), Exam.id.desc())))


def create_draft(actor, title: str) -> Exam:
    """An empty draft; questions are picked afterwards."""
    require(actor, "exam.create")
    title = clean_name(title)
    if not title:
        raise DomainError(_l("Cần tên bài kiểm tra."), code="invalid")
    exam = Exam(title=title[:300], owner_id=actor.id,
                settings=services.normalise_settings(None), selection=[])
    db.session.add(exam)
    db.session.flush()
    return exam


def _editable(actor, exam: Exam) -> None:
    require(actor, "exam.manage", exam)
    if exam.state != ExamState.DRAFT:
        raise Conflict(_l("Bài kiểm tra đã phát hành; không sửa danh sách câu hỏi được nữa."),
                       code="published")


def _points(value) -> str:
    points = logic.parse_points(value)
    if points is None:
        raise DomainError(services.POINTS_MESSAGE, code="invalid")
    return str(points)


def add_question(actor, exam: Exam, question_id: int, points="1") -> None:
    """Append a bank question the teacher may use; each question at most once."""
    _editable(actor, exam)
    question = db.session.get(Question, question_id)
    if question is None or not can(actor, "question.view", question) \
            or question.current_version is None:
        raise DomainError(_l("Câu hỏi mã %(id)s không tồn tại hoặc bạn không được dùng.",
                             id=question_id), code="unknown_question")
    if any(e["question_id"] == question_id for e in exam.selection):
        raise DomainError(_l("Câu hỏi #%(id)s đã có trong bài.", id=question_id),
                          code="duplicate_question")
    if len(exam.selection) >= MAX_QUESTIONS:
        raise DomainError(_l("Một bài kiểm tra có tối đa %(n)d câu.", n=MAX_QUESTIONS))
    exam.selection = [*exam.selection, {"question_id": question_id, "points": _points(points)}]
    if exam.subject_id is None:
        exam.subject_id, exam.grade = question.subject_id, question.grade
    usage.record_usage(exam)


def _index(exam: Exam, index: int) -> int:
    if not 0 <= index < len(exam.selection):
        raise NotFound(_l("Không có câu thứ %(n)d trong bài.", n=index + 1))
    return index


def remove_question(actor, exam: Exam, index: int) -> None:
    _editable(actor, exam)
    selection = list(exam.selection)
    selection.pop(_index(exam, index))
    exam.selection = selection
    usage.record_usage(exam)


def move_question(actor, exam: Exam, index: int, step: int) -> None:
    """Swap a question with its neighbour (step -1: up, +1: down); at an end, nothing moves."""
    _editable(actor, exam)
    selection = list(exam.selection)
    other = _index(exam, index) + step
    if 0 <= other < len(selection):
        selection[index], selection[other] = selection[other], selection[index]
        exam.selection = selection
        db.session.flush()


def set_points(actor, exam: Exam, points: list) -> None:
    """Points of every question, in the selection's order."""
    _editable(actor, exam)
    if len(points) != len(exam.selection):
        raise DomainError(_l("Cần điểm cho đúng %(n)d câu.", n=len(exam.selection)))
    exam.selection = [{**entry, "points": _points(value)}
                      for entry, value in zip(exam.selection, points, strict=True)]
    db.session.flush()


def selection_rows(exam: Exam) -> list[dict]:
    """The draft's questions with their current bank payload, for the editor."""
    rows = []
    for entry in exam.selection:
        question = db.session.get(Question, entry["question_id"])
        payload = question.current_version.payload if question and question.current_version \
            else {}
        rows.append({"question_id": entry["question_id"], "points": entry["points"],
                     "type": payload.get("type", ""), "text_html": payload.get("text_html", "")})
    return rows


# ---------------------------------------------------------------- settings


def update_settings(actor, exam: Exam, raw: dict) -> None:
    """New settings laid over the current ones (draft or published); open attempts get
    their deadlines recomputed from the new window and time limit."""
    require(actor, "exam.manage", exam)
    settings = services.normalise_settings(raw, base=exam.settings)
    _check_paper_change(exam, settings)
    exam.settings = settings
    db.session.flush()
    for assignment in exam.assignments:
        services.recompute_deadlines(assignment)


#: Settings that decide how the papers are built: frozen once the test is published.
PAPER_SETTINGS = ("generation", "variant_count", "code_digits")


def _check_paper_change(exam: Exam, settings: dict) -> None:
    """How papers are built changes only while they can still be built that way: never after
    publishing (the variants and the snapshot are frozen: 409 ``published_paper``); a random
    draw needs a matrix (400); and a matrix draft moves into or out of a random draw only
    through its matrix (``PUT …/matrix``), which draws the questions anew for it (409)."""
    changed = [key for key in PAPER_SETTINGS
               if logic.setting(settings, key) != logic.setting(exam.settings, key)]
    if not changed:
        return
    if exam.state != ExamState.DRAFT:
        raise Conflict(_l("Bài kiểm tra đã phát hành: không đổi được cách tạo đề (%(keys)s). "
                          "Hãy tạo một bài mới.", keys=", ".join(changed)),
                       code="published_paper", details={"fields": changed})
    drawn = [logic.setting(s, "generation") == variants.RANDOM_DRAW
             for s in (exam.settings, settings)]
    if drawn[0] == drawn[1]:
        return
    has_matrix = db.session.scalar(select(ExamMatrix.id).where(ExamMatrix.exam_id == exam.id))
    if not has_matrix:
        raise DomainError(_l("Bốc câu ngẫu nhiên cho từng học sinh cần một ma trận đề."),
                          code="invalid_settings", details={"fields": ["generation"]})
    raise Conflict(_l("Đổi sang hoặc bỏ bốc câu ngẫu nhiên ở trang ma trận đề (PUT …/matrix "
                      "kèm settings): các câu hỏi được bốc lại cho cách tạo đề mới."),
                   code="matrix_generation", details={"fields": ["generation"]})


# ---------------------------------------------------------------- assignments


def assignable_classes(actor) -> list[SchoolClass]:
    """Classes this teacher may give a test to (taught, or of a school they lead)."""
    ids = {m.class_id for m in memberships(actor, *STAFF_ROLES) if m.class_id}
    led = [m.unit_id for m in memberships(actor, Role.SCHOOL_LEADER)]
    query = select(SchoolClass).where(SchoolClass.id.in_(ids) | SchoolClass.school_id.in_(led))
    return [c for c in db.session.scalars(query.order_by(SchoolClass.name))
            if can(actor, "exam.assign_to_class", c)]


def assign_classes(actor, exam: Exam, class_ids: list[int]) -> int:
    """Assign to each class not yet assigned; returns how many were added."""
    require(actor, "exam.manage", exam)
    have = {a.class_id for a in exam.assignments}
    added = 0
    for class_id in dict.fromkeys(class_ids):
        school_class = db.session.get(SchoolClass, class_id)
        if school_class is None:
            raise DomainError(_l("Lớp mã %(id)s không tồn tại.", id=class_id),
                              code="unknown_class")
        if class_id not in have:
            services.assign_to_class(actor, exam, school_class)
            added += 1
    db.session.refresh(exam)
    return added


def assignment_of(exam: Exam, assignment_id: int) -> ExamAssignment:
    assignment = db.session.get(ExamAssignment, assignment_id)
    if assignment is None or assignment.exam_id != exam.id:
        raise NotFound(_l("Không tìm thấy lượt giao bài này."))
    return assignment


def students_of(exam: Exam) -> dict[int, ExamAssignment]:
    """Each student the exam reaches (assigned classes, units and groups) → the assignment a
    start would use."""
    return audience.students_of(exam)


# ---------------------------------------------------------------- overrides


def _override_time(value, field: str) -> str | None:
    return services._parse_time(value, field)


def override_values(raw: dict) -> dict:
    """API/form values (extra_time_minutes, opens_at, closes_at, extra_attempts) → stored
    keys (logic.OVERRIDE_KEYS); None means "not overridden"."""
    minutes, extra = raw.get("extra_time_minutes"), raw.get("extra_attempts")
    if minutes is not None and not 0 <= int(minutes) <= MAX_EXTRA_MINUTES:
        raise DomainError(_l("Thêm giờ phải từ 0 đến %(n)d phút.", n=MAX_EXTRA_MINUTES),
                          code="invalid_override")
    if extra is not None and not 0 <= int(extra) <= MAX_EXTRA_ATTEMPTS:
        raise DomainError(_l("Thêm lượt phải từ 0 đến %(n)d.", n=MAX_EXTRA_ATTEMPTS),
                          code="invalid_override")
    return {"extra_time_s": None if minutes is None else int(minutes) * 60,
            "open_at": _override_time(raw.get("opens_at"), "opens_at"),
            "close_at": _override_time(raw.get("closes_at"), "closes_at"),
            "extra_attempts": None if extra is None else int(extra)}


def _check_window(exam: Exam, group: dict | None, own: dict | None) -> None:
    merged = logic.merged_override(group, own)
    opens = merged.get("open_at") or exam.settings["open_at"]
    closes = merged.get("close_at") or exam.settings["close_at"]
    if opens and closes and opens >= closes:
        raise DomainError(_l("Thời điểm đóng phải sau thời điểm mở (sau khi áp dụng thời gian "
                             "riêng)."), code="invalid_window")


def put_student_override(actor, exam: Exam, user_id: int, raw: dict) -> ExamAssignment:
    """Replace one student's override (an empty body clears it) on the assignment a start
    would use; the student must be reached (class, group or unit). Only the exam's manager
    (security.md 14)."""
    require(actor, "exam.manage", exam)
    assignment = students_of(exam).get(user_id)
    if assignment is None:
        raise NotFound(_l("Học sinh này không thuộc lớp nào được giao bài."))
    values = override_values(raw)
    _check_window(exam, assignment.group_override, values)
    services.set_override(actor, assignment, user_id, replace=True, **values)
    return assignment


def put_group_override(actor, exam: Exam, assignment: ExamAssignment, raw: dict) -> None:
    """Replace the override of a whole class, unit or group; each student's own values
    still win."""
    require(actor, "exam.manage", exam)
    values = override_values(raw)
    _check_window(exam, values, None)
    services.set_override(actor, assignment, None, replace=True, **values)


def override_of(assignment: ExamAssignment, user_id: int | None) -> dict:
    """The stored override in API form (minutes, ISO times), for forms and GET bodies."""
    stored = (assignment.group_override if user_id is None
              else (assignment.overrides or {}).get(str(user_id))) or {}
    minutes = stored.get("extra_time_s")
    return {"extra_time_minutes": None if minutes is None else minutes // 60,
            "opens_at": stored.get("open_at"), "closes_at": stored.get("close_at"),
            "extra_attempts": stored.get("extra_attempts")}


# ---------------------------------------------------------------- pre-generated attempts


def pregenerate(actor, exam: Exam) -> dict:
    """Pending attempts for every student the exam reaches (the manager's request)."""
    require(actor, "exam.manage", exam)
    return generate_pending(exam)


def generate_pending(exam: Exam, now: datetime | None = None, progress=None,
                     chunk: int = PREGENERATE_CHUNK) -> dict:
    """One pending attempt (order, ids, option order) per student who has no open attempt
    and an attempt left, inserted ``chunk`` students at a time with ON CONFLICT DO NOTHING,
    so a rerun or a student starting meanwhile never makes a second open attempt. No
    permission check: the CLI and tasks call this; ``pregenerate`` is the user-facing entry.
    ``progress(done, total)`` is called after each chunk (the background task commits and
    reports there, so a job killed halfway keeps its chunks and a rerun does the rest)."""
    if exam.state != ExamState.PUBLISHED:
        raise Conflict(_l("Hãy phát hành bài kiểm tra trước khi tạo sẵn lượt làm."),
                       code="not_published")
    now = now or utcnow()
    students = students_of(exam)
    used = dict(db.session.execute(
        select(Attempt.user_id, func.count()).where(Attempt.exam_id == exam.id)
        .group_by(Attempt.user_id)).all())
    busy = set(db.session.scalars(select(Attempt.user_id).where(
        Attempt.exam_id == exam.id, Attempt.state.in_(OPEN_STATES))))
    before = _pending_count(exam.id)
    ordered = sorted(students.items())
    planned = 0
    for start in range(0, len(ordered), chunk):
        rows = []
        for user_id, assignment in ordered[start:start + chunk]:
            window = services._window(exam, assignment, user_id)
            count = used.get(user_id, 0)
            if user_id in busy or (window["attempts"] and count >= window["attempts"]):
                continue
            attempt = services._new_attempt(exam, assignment, user_id, count + 1, now, window,
                                            planned=planned)
            planned += 1
            rows.append({"exam_id": exam.id, "assignment_id": assignment.id,
                         "user_id": user_id, "number": count + 1,
                         "state": AttemptState.PENDING, "started_at": now, "deadline": None,
                         "grace_s": attempt.grace_s, "order": attempt.order,
                         "ids_map": attempt.ids_map, "option_order": attempt.option_order,
                         "score": None, "grade": None, "counted": True, "position": 0,
                         "practice": attempt.practice, "variant_code": attempt.variant_code,
                         "finished_at": None})
        if rows:
            db.session.execute(_insert_ignoring_conflicts(), rows)
        if progress is not None:
            progress(min(start + chunk, len(ordered)), len(ordered))
    pending = _pending_count(exam.id)
    return {"created": pending - before, "pending": pending, "students": len(students)}


def _pending_count(exam_id: int) -> int:
    return db.session.scalar(select(func.count()).select_from(Attempt).where(
        Attempt.exam_id == exam_id, Attempt.state == AttemptState.PENDING)) or 0


def _insert_ignoring_conflicts():
    if db.engine.dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as dialect_insert
    else:
        from sqlalchemy.dialects.sqlite import insert as dialect_insert
    return dialect_insert(Attempt).on_conflict_do_nothing()

