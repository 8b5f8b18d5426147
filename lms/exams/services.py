"""Building, publishing and assigning exams; starting, saving and submitting attempts.

Functions take the acting user, check permissions, flush and never commit (the view commits).
Every write to an attempt is conditional on ``state = 'in_progress'`` in the same statement
(or after a row-locking no-op update), so concurrent requests settle on exactly one outcome.
"""

import functools
import json
import random
from datetime import datetime, timedelta
from decimal import Decimal

from flask_babel import lazy_gettext as _l
from sqlalchemy import bindparam, case, func, insert, select, text, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload, make_transient_to_detached
from sqlalchemy.orm.attributes import set_committed_value

from lms.auth.permissions import can, require
from lms.core.errors import Conflict, DomainError, Forbidden, NotFound
from lms.core.models import utcnow
from lms.core.moments import parse_moment
from lms.exams import (
    access,
    audience,
    hooks,
    logic,
    rules,  # noqa: F401 — registers the exam.* permission rules
    snapshots,
    usage,
    variants,
    views_cache,
)
from lms.exams.models import (
    EXAM_SETTINGS_SCHEMA,
    OPEN_STATES,
    Attempt,
    AttemptAnswer,
    AttemptState,
    Exam,
    ExamAssignment,
    ExamState,
    ManualGrade,
)
from lms.kernel import db
from lms.kernel.text import clean_name
from lms.org.models import SchoolClass
from lms.questions import rules as _question_rules  # noqa: F401
from question_bank import (
    ResponseError,
    public_keys,
    response_from_public,
    review_response,
    score,
    score_children,
    student_view,
    validate_response,
)
from question_bank.models import Question

MAX_RESPONSE_CHARS = 10_000
POINTS_MESSAGE = _l("Điểm phải là một số lớn hơn 0, không quá %(max)s, có tối đa hai chữ số "
                    "thập phân (ví dụ 0,25).", max=logic.MAX_POINTS)
CHOICE_TYPES = {"single_choice", "multiple_response"}


# ---------------------------------------------------------------- settings


def _parse_time(value, field: str) -> str | None:
    """A window time from the API (ISO 8601) or a form (a datetime) → stored ISO, naive UTC;
    a year outside lms.core.moments' range is a 400 naming the field."""
    moment = parse_moment(value, field)
    return moment.isoformat() if moment else None


def normalise_settings(raw: dict | None, base: dict | None = None) -> dict:
    """Full settings (models docstring) from the stored form or the API shorthand
    (``time_limit_minutes``, ``opens_at``, ``closes_at``, ``attempts``, ``review`` preset or
    grid, ``late_policy``: autosubmit|grace|discard, ``grace_seconds``, ``access_code``: the
    plain code, "" or null to remove it), laid over ``base`` (the defaults when None)."""
    raw = dict(raw or {})
    settings = json.loads(json.dumps({**logic.DEFAULT_SETTINGS, **(base or {})}))
    if "access_code" in raw:
        code = raw.pop("access_code")
        raw["access_code_hash"] = logic.hash_code(code) if code and code.strip() else None
    if raw.get("mode") == "practice" and "attempts" not in raw \
            and "attempts_allowed" not in raw and base is None:
        raw["attempts_allowed"] = 0             # practice: unlimited unless set
    if "time_limit_minutes" in raw:
        raw["time_limit_s"] = int(raw.pop("time_limit_minutes") or 0) * 60 or None
    if "opens_at" in raw:
        raw["open_at"] = _parse_time(raw.pop("opens_at"), "opens_at")
    if "closes_at" in raw:
        raw["close_at"] = _parse_time(raw.pop("closes_at"), "closes_at")
    if "attempts" in raw:
        raw["attempts_allowed"] = raw.pop("attempts")
    if isinstance(raw.get("review"), str):
        if raw["review"] not in logic.REVIEW_PRESETS:
            raise DomainError(_l("Cài đặt review: chỉ nhận immediately, after_close, never."),
                              code="invalid_settings")
        raw["review"] = logic.REVIEW_PRESETS[raw["review"]]
    elif isinstance(raw.get("review"), dict):
        if set(raw["review"]) - set(logic.REVIEW_ITEMS):
            raise DomainError(_l("Cài đặt review: chỉ có các mục %(items)s.",
                                 items=", ".join(logic.REVIEW_ITEMS)), code="invalid_settings")
        raw["review"] = {**settings["review"], **raw["review"]}
    if "late_policy" in raw:
        mode = {"autosubmit": "auto_submit", "discard": "not_counted"}.get(
            raw["late_policy"], raw["late_policy"])
        raw["late"] = {"mode": mode, "grace_s": int(raw.pop("grace_seconds", 0) or 0)}
        raw.pop("late_policy")
    unknown = set(raw) - set(settings)
    if unknown:
        raise DomainError(_l("Cài đặt không được hỗ trợ: %(keys)s.",
                             keys=", ".join(sorted(unknown))), code="invalid_settings")
    settings.update(raw)
    settings["schema"] = EXAM_SETTINGS_SCHEMA
    settings["open_at"] = _parse_time(settings["open_at"], "open_at")
    settings["close_at"] = _parse_time(settings["close_at"], "close_at")
    if settings["late"].get("mode") not in logic.LATE_MODES:
        raise DomainError(_l("Cài đặt late.mode: chỉ nhận auto_submit, grace, not_counted."),
                          code="invalid_settings")
    if settings["grading_method"] not in logic.GRADING_METHODS:
        raise DomainError(_l("Cài đặt grading_method: chỉ nhận highest, last, first, average."),
                          code="invalid_settings")
    if any(v not in logic.WHENS for v in settings["review"].values()):
        raise DomainError(_l("Cài đặt review: mỗi mục là during, after_submit, after_close hoặc "
                             "never."), code="invalid_settings")
    _check_choices(settings)
    variants.check_generation(settings)
    return settings


def _check_choices(settings: dict) -> None:
    """Mode, navigation, rounding and the window's order."""
    if settings["mode"] not in logic.MODES:
        raise DomainError(_l("Cài đặt mode: chỉ nhận test hoặc practice."),
                          code="invalid_settings")
    if settings["navigation"] not in logic.NAVIGATIONS:
        raise DomainError(_l("Cài đặt navigation: chỉ nhận free hoặc sequential."),
                          code="invalid_settings")
    if str(settings["rounding"]) not in logic.ROUNDINGS:
        raise DomainError(_l("Cài đặt rounding: chỉ nhận %(values)s.",
                             values=", ".join(logic.ROUNDINGS)), code="invalid_settings")
    if settings["open_at"] and settings["close_at"] and \
            settings["open_at"] >= settings["close_at"]:
        raise DomainError(_l("Thời điểm đóng phải sau thời điểm mở."), code="invalid_window")


def load_exam(exam_id: int) -> Exam:
    """The exam or a 404."""
    exam = db.session.get(Exam, exam_id)
    if exam is None:
        raise NotFound(_l("Không tìm thấy bài kiểm tra."))
    return exam


def exam_for(actor, exam_id: int, action: str = "exam.manage") -> Exam:
    """The exam when ``actor`` may ``action`` it, else 404 — missing or not theirs alike, so
    an id is no oracle of which tests exist (as ``own_attempt`` does for attempts)."""
    exam = db.session.get(Exam, exam_id)
    if exam is None or not can(actor, action, exam):
        raise NotFound(_l("Không tìm thấy bài kiểm tra."))
    return exam


# ---------------------------------------------------------------- building


def create_exam(actor, title: str, question_ids: list[int], points: dict | None = None,
                settings: dict | None = None) -> Exam:
    """A draft exam from bank questions the teacher may see, in the given order."""
    require(actor, "exam.create")
    title = clean_name(title)
    if not title or not question_ids:
        raise DomainError(_l("Cần tên bài kiểm tra và ít nhất một câu hỏi."), code="invalid")
    points = {str(k): v for k, v in (points or {}).items()}
    settings = normalise_settings(settings)
    if settings["generation"] == variants.RANDOM_DRAW:
        raise DomainError(_l("Bốc câu ngẫu nhiên cho từng học sinh cần một ma trận đề."),
                          code="invalid_settings")
    selection = []
    for qid in question_ids:
        question = db.session.get(Question, qid)
        if question is None or not can(actor, "question.view", question):
            raise DomainError(_l("Câu hỏi mã %(id)s không tồn tại hoặc bạn không được dùng.",
                                 id=qid), code="unknown_question")
        value = logic.parse_points(points.get(str(qid), 1))
        if value is None:
            raise DomainError(POINTS_MESSAGE, code="invalid_points",
                              details={"fields": {"points": {str(qid): [str(POINTS_MESSAGE)]}}})
        selection.append({"question_id": qid, "points": str(value)})
    exam = Exam(title=title[:300], owner_id=actor.id, settings=settings, selection=selection)
    first = db.session.get(Question, question_ids[0])
    exam.subject_id, exam.grade = first.subject_id, first.grade
    db.session.add(exam)
    db.session.flush()
    usage.record_usage(exam)
    return exam


def publish(actor, exam: Exam) -> None:
    """Freeze the questions' current versions into the snapshot; exactly once."""
    require(actor, "exam.manage", exam)
    if not exam.selection:
        raise DomainError(_l("Bài kiểm tra chưa có câu hỏi nào."), code="no_questions")
    snapshot = []
    for slot, entry in enumerate(exam.selection, start=1):
        question = db.session.get(Question, entry["question_id"])
        version = question.current_version
        snapshot.append({"slot": slot, "question_id": question.id, "version_id": version.id,
                         "payload": version.payload, "points": entry["points"],
                         "section": entry.get("section", ""),
                         **({"cell": entry["cell"]} if "cell" in entry else {})})
    rev = snapshots.new_rev()
    result = db.session.execute(
        update(Exam).where(Exam.id == exam.id, Exam.state == ExamState.DRAFT)
        .values(state=ExamState.PUBLISHED, snapshot=snapshot, snapshot_rev=rev,
                published_at=utcnow())
        .execution_options(synchronize_session=False))
    if result.rowcount != 1:
        raise Conflict(_l("Bài kiểm tra đã được phát hành."))
    snapshots.remember(exam.id, rev, json.loads(json.dumps(snapshot)))  # as it reads back
    db.session.expire(exam)
    variants.create_variants(exam)
    usage.record_usage(exam)


def assign_to_class(actor, exam: Exam, school_class: SchoolClass,
                    overrides: dict | None = None) -> ExamAssignment:
    """Give the exam to a class the teacher teaches; ``overrides`` per user id."""
    require(actor, "exam.manage", exam)
    require(actor, "exam.assign_to_class", school_class)
    assignment = ExamAssignment(exam_id=exam.id, class_id=school_class.id,
                                overrides={str(k): v for k, v in (overrides or {}).items()})
    db.session.add(assignment)
    db.session.flush()
    return assignment


def set_override(actor, assignment: ExamAssignment, user_id: int | None, replace: bool = False,
                 **values) -> None:
    """Extra time, another window or extra attempts for one student (security.md 14), or for
    the whole class when ``user_id`` is None; merged into the stored override unless
    ``replace``. Open attempts get their deadline recomputed."""
    require(actor, "exam.manage", assignment.exam)
    if set(values) - set(logic.OVERRIDE_KEYS):
        raise DomainError(_l("Chỉ được đặt thêm giờ, khung giờ khác hoặc thêm lượt làm."))
    _lock_assignment(assignment)
    values = {k: v for k, v in values.items() if v is not None}
    if user_id is None:
        assignment.group_override = values if replace else {**(assignment.group_override or {}),
                                                            **values}
    else:
        overrides = dict(assignment.overrides or {})
        overrides[str(user_id)] = values if replace else {**overrides.get(str(user_id), {}),
                                                          **values}
        if not overrides[str(user_id)]:
            del overrides[str(user_id)]
        assignment.overrides = overrides
    db.session.flush()
    recompute_deadlines(assignment, user_id)


def _lock_assignment(assignment: ExamAssignment) -> None:
    """Row lock (PostgreSQL) / write lock (SQLite) before the JSON read-modify-write, so two
    concurrent overrides of one class cannot lose each other's change."""
    db.session.execute(update(ExamAssignment).where(ExamAssignment.id == assignment.id)
                       .values(created_at=ExamAssignment.created_at)
                       .execution_options(synchronize_session=False))
    db.session.refresh(assignment)


def recompute_deadlines(assignment: ExamAssignment, user_id: int | None = None) -> int:
    """Deadlines of the assignment's open attempts (one student's, or all) from the current
    settings and overrides; returns how many were looked at."""
    exam = assignment.exam
    query = select(Attempt).where(Attempt.assignment_id == assignment.id,
                                  Attempt.state == AttemptState.IN_PROGRESS)
    if user_id is not None:
        query = query.where(Attempt.user_id == user_id)
    attempts = db.session.scalars(query).all()
    for attempt in attempts:
        window = _window(exam, assignment, attempt.user_id)
        attempt.deadline = logic.deadline_for(attempt.started_at, exam.settings["time_limit_s"],
                                              window["close_at"], window["extra_time_s"])
    db.session.flush()
    return len(attempts)


# ---------------------------------------------------------------- attempts


def _assignment_for(user, exam: Exam) -> ExamAssignment | None:
    if exam.state != ExamState.PUBLISHED:
        return None
    return audience.assignment_for(user, exam)


def _window(exam: Exam, assignment: ExamAssignment, user_id: int) -> dict:
    """This student's open/close times, extra time and attempt allowance: their own override
    wins over the class's, which wins over the exam's settings."""
    own = logic.merged_override(assignment.group_override,
                                (assignment.overrides or {}).get(str(user_id)))
    settings = exam.settings
    return {
        "open_at": logic.stored_time(own.get("open_at") or settings["open_at"]),
        "close_at": logic.stored_time(own.get("close_at") or settings["close_at"]),
        "extra_time_s": int(own.get("extra_time_s") or 0),
        "attempts": int(settings["attempts_allowed"] or 0) + int(own.get("extra_attempts") or 0)
        if settings["attempts_allowed"] else 0,
    }


def _open_attempt(exam_id: int, user_id: int) -> Attempt | None:
    """The student's pending or in-progress attempt (at most one: uq_attempt_one_open)."""
    return db.session.scalar(select(Attempt).where(
        Attempt.exam_id == exam_id, Attempt.user_id == user_id,
        Attempt.state.in_(OPEN_STATES)))


def _attempts_so_far(exam_id: int, user_id: int) -> tuple[Attempt | None, int]:
    """(the open attempt or None, how many attempts the student has at the exam) in one
    statement: the open one sorts first and the window count sees every row."""
    row = db.session.execute(_attempts_statement(),
                             {"exam_id": exam_id, "user_id": user_id}).first()
    if row is None:
        return None, 0
    attempt, used = row
    return (attempt if attempt.state in OPEN_STATES else None), used


@functools.cache
def _attempts_statement():
    return select(Attempt, func.count().over()).where(
        Attempt.exam_id == bindparam("exam_id"), Attempt.user_id == bindparam("user_id")) \
        .order_by(case((Attempt.state.in_(OPEN_STATES), 0), else_=1), Attempt.id.desc()) \
        .limit(1)


def _running(attempt: Attempt | None, now: datetime) -> bool:
    return (attempt is not None and attempt.state == AttemptState.IN_PROGRESS
            and logic.late_decision(attempt.exam.settings["late"], attempt.deadline,
                                    now).accepted)


def start_attempt(actor, exam: Exam, now: datetime | None = None,
                  access_code: str | None = None) -> Attempt:
    """Resume the running attempt (no access code needed), or start one inside the window
    and attempt limit with the access code: flip the pre-generated one, or insert a new one.

    Every check that may refuse runs before the first write of the request, so the access
    code counter (its own committed transaction) never waits on this one's lock. Two
    concurrent starts: the partial unique index lets one insert or flip win; the other
    returns the winner's attempt (security.md 12)."""
    now = now or utcnow()
    assignment = _assignment_for(actor, exam)
    if assignment is None:
        raise NotFound(_l("Không tìm thấy bài kiểm tra."))
    current, used = _attempts_so_far(exam.id, actor.id)
    if _running(current, now):
        return current
    window = _window(exam, assignment, actor.id)
    if window["open_at"] and now < window["open_at"]:
        raise Forbidden(_l("Bài kiểm tra chưa mở."), code="not_open")
    if window["close_at"] and now >= window["close_at"] + _extra(window):
        raise Forbidden(_l("Bài kiểm tra đã đóng."), code="closed")
    access.check_code(actor, exam, access_code)
    if current is not None and current.state == AttemptState.IN_PROGRESS:
        close_if_overdue(current, now)
        current = None
    if current is not None:
        if window["attempts"] and current.number > window["attempts"]:
            raise Conflict(_l("Bạn đã dùng hết %(n)s lượt làm bài.", n=window["attempts"]),
                           code="no_attempts_left")
        return _begin(current, exam, window, now)
    if window["attempts"] and used >= window["attempts"]:
        raise Conflict(_l("Bạn đã dùng hết %(n)s lượt làm bài.", n=window["attempts"]),
                       code="no_attempts_left")
    attempt = _new_attempt(exam, assignment, actor.id, used + 1, now, window)
    try:
        with db.session.begin_nested():
            _insert(attempt, exam)
    except IntegrityError:
        current = _open_attempt(exam.id, actor.id)
        if current is None:
            raise Conflict(_l("Lượt làm bài vừa được tạo ở nơi khác; hãy thử lại.")) from None
        return current if current.state == AttemptState.IN_PROGRESS else \
            _begin(current, exam, window, now)
    set_committed_value(attempt, "answers", [])   # a new attempt has none: no query for them
    return attempt


def _insert(attempt: Attempt, exam: Exam) -> None:
    """INSERT the new attempt in one Core statement (no unit-of-work flush) and put it in the
    session as the persistent row it now is: every column was given, so nothing is expired
    and nothing is read back."""
    values = {column.key: attempt.__dict__[column.key] for column in _ATTEMPT.columns
              if column.key in attempt.__dict__}
    attempt.id = db.session.execute(insert(_ATTEMPT).values(values)
                                    .returning(_ATTEMPT.c.id)).scalar_one()
    make_transient_to_detached(attempt)
    db.session.add(attempt)
    set_committed_value(attempt, "exam", exam)


def _begin(pending: Attempt, exam: Exam, window: dict, now: datetime) -> Attempt:
    """pending → in_progress in one conditional UPDATE that sets started_at and the deadline;
    the loser of a race gets the winner's attempt."""
    settings = exam.settings
    values = {"state": AttemptState.IN_PROGRESS, "started_at": now,
              "deadline": logic.deadline_for(now, settings["time_limit_s"], window["close_at"],
                                             window["extra_time_s"]),
              "grace_s": logic.grace_seconds(settings["late"])}
    result = db.session.execute(
        update(Attempt).where(Attempt.id == pending.id, Attempt.state == AttemptState.PENDING)
        .values(**values).execution_options(synchronize_session=False))
    if result.rowcount == 1:
        for name, value in values.items():
            set_committed_value(pending, name, value)   # what the UPDATE wrote: no re-read
        return pending
    db.session.refresh(pending)
    if pending.state != AttemptState.IN_PROGRESS:
        raise Conflict(_l("Lượt làm bài vừa được tạo ở nơi khác; hãy thử lại."))
    return pending


_ATTEMPT = Attempt.__table__


def _extra(window: dict) -> timedelta:
    return timedelta(seconds=window["extra_time_s"])


def _new_attempt(exam: Exam, assignment: ExamAssignment, user_id: int, number: int,
                 now: datetime, window: dict, planned: int = 0) -> Attempt:
    """Per-attempt paper (variants.plan_attempt: order, option order, variant or draw) and
    random ids, from a fresh seed."""
    settings = exam.settings
    rng = random.SystemRandom()  # ids and order must not be predictable from a seed
    plan = variants.plan_attempt(exam, rng, planned)
    ids_map, option_order = {}, {}
    for entry in exam.snapshot:
        payload, key = entry["payload"], str(entry["slot"])
        if entry["slot"] not in plan.order:
            continue
        if payload["type"] == "stimulus":
            ids_map[key] = {str(i): logic.random_ids(public_keys(child), rng)
                            for i, child in enumerate(payload["children"])}
            continue
        ids_map[key] = logic.random_ids(public_keys(payload), rng)
        if key in plan.options:
            option_order[key] = [ids_map[key][o] for o in plan.options[key]]
    late = settings["late"]
    return Attempt(exam_id=exam.id, assignment_id=assignment.id, user_id=user_id, number=number,
                   state=AttemptState.IN_PROGRESS, started_at=now,
                   deadline=logic.deadline_for(now, settings["time_limit_s"], window["close_at"],
                                               window["extra_time_s"]),
                   grace_s=logic.grace_seconds(late), order=plan.order, ids_map=ids_map,
                   option_order=option_order, variant_code=plan.variant_code,
                   practice=logic.setting(settings, "mode") == "practice", finished_at=None,
                   score=None, grade=None, counted=True, position=0)


def own_attempt(actor, attempt_id: int) -> Attempt:
    """The actor's attempt, or 404 — someone else's attempt does not exist for them.
    One query: the attempt joined with its exam."""
    attempt = db.session.execute(_own_attempt_statement(),
                                 {"attempt_id": attempt_id}).scalar_one_or_none()
    if attempt is None or attempt.user_id != actor.id:
        raise NotFound(_l("Không tìm thấy lượt làm bài."))
    return attempt


@functools.cache
def _own_attempt_statement():
    """Built once: an ORM statement with its eager-load option costs more to build and key
    than to run."""
    return (select(Attempt).where(Attempt.id == bindparam("attempt_id"))
            .options(joinedload(Attempt.exam)))


def _entry(attempt: Attempt, slot: int) -> dict:
    for entry in variants.attempt_entries(attempt):
        if entry["slot"] == slot:
            return entry
    raise DomainError(_l("Câu %(slot)s không thuộc bài làm này.", slot=slot), code="unknown_slot")


def check_response(attempt: Attempt, entry: dict, response) -> dict | None:
    """The response (in this attempt's ids) if valid, else a 400 saying why."""
    if len(json.dumps(response, ensure_ascii=False)) > MAX_RESPONSE_CHARS:
        raise DomainError(_l("Câu trả lời quá dài (tối đa %(n)s ký tự).", n=MAX_RESPONSE_CHARS),
                          code="response_too_large")
    try:
        stored = response_from_public(entry["payload"], response,
                                      attempt.ids_map.get(str(entry["slot"])))
        validate_response(entry["payload"], stored)
    except ResponseError as exc:
        raise DomainError(_l("Câu %(slot)s: câu trả lời không hợp lệ: %(why)s.",
                             slot=entry["slot"], why=str(exc)), code="invalid_response") from exc
    return response


def _lock_open(attempt: Attempt) -> bool:
    """Take the attempt's row lock (PostgreSQL) / the write lock (SQLite) while it is open.

    The same statement returns the deadline and position as they are under the lock (an
    override or a "next" may have moved them since the attempt was read): no second read."""
    row = db.session.connection().execute(_lock_statement(),
                                          {"attempt_id": attempt.id}).first()
    if row is None:
        return False
    set_committed_value(attempt, "deadline", row.deadline)
    set_committed_value(attempt, "position", row.position)
    return True


@functools.cache
def _lock_statement():
    """Core, on the table (run on the session's connection): the ORM's bulk-update path costs
    more than the statement, and the attempt object is updated from what it returns."""
    table = Attempt.__table__
    return (update(table).where(table.c.id == bindparam("attempt_id"),
                                table.c.state == AttemptState.IN_PROGRESS)
            .values(grace_s=table.c.grace_s).returning(table.c.deadline, table.c.position))


def _state_conflict(attempt: Attempt, message) -> Conflict:
    db.session.refresh(attempt)
    return Conflict(message, details={"state": attempt.state.value}, code="attempt_" +
                    attempt.state.value)


def save_answer(actor, attempt_id: int, slot: int, response, seq: int,
                now: datetime | None = None) -> int:
    """Upsert one answer; an older or equal ``seq`` is ignored. Returns the stored seq."""
    attempt = own_attempt(actor, attempt_id)
    entry = _entry(attempt, slot)
    check_response(attempt, entry, response)
    now = now or utcnow()
    if _plain_save(attempt):
        stored = _save_if_open(attempt, slot, response, seq, now)
        if stored is not None:
            return stored
    # Not written (closed, late, an older seq) or a mode with more rules: decide under the lock.
    if not _lock_open(attempt):
        raise _state_conflict(attempt, _l("Bài làm đã nộp; không lưu thêm được."))
    if not logic.late_decision(attempt.exam.settings["late"], attempt.deadline, now).accepted:
        raise Conflict(_l("Đã hết giờ làm bài; câu trả lời không được lưu."),
                       details={"state": attempt.state.value, "deadline": iso(attempt.deadline)},
                       code="time_up")
    _follow_navigation(attempt, slot)
    if attempt.practice and _checked_at(attempt.id, slot) is not None:
        raise Conflict(_l("Câu %(slot)s đã được kiểm tra; không sửa câu trả lời được nữa.",
                          slot=slot), code="checked")
    stored = _upsert(attempt.id, slot, response, seq, now)
    if stored is not None:
        return stored
    return db.session.scalar(select(AttemptAnswer.saved_seq).where(
        AttemptAnswer.attempt_id == attempt.id, AttemptAnswer.slot == slot))


def _plain_save(attempt: Attempt) -> bool:
    """Free navigation, not practice: the save's only rules are the state, the deadline and
    the seq, which one statement can check (``_save_if_open``)."""
    return (not attempt.practice
            and logic.setting(attempt.exam.settings, "navigation") != "sequential")


def _save_if_open(attempt: Attempt, slot: int, response, seq: int, now: datetime) -> int | None:
    """The upsert in ONE statement that writes only while the attempt is in progress and
    ``now`` within deadline + grace (``logic.late_decision``, as of the row it locks), and only
    over an older seq. Returns the new seq, or None when nothing was written (the caller then
    finds out why under the lock).

    One statement instead of lock + upsert: on SQLite the database's single write lock is held
    from the first write to the commit, so every statement and interpreter switch inside that
    window serialises all saves of all students. PostgreSQL locks the attempt row (``FOR
    UPDATE`` in the CTE), so a concurrent submit either waits for this save or, having
    finished first, makes it write nothing — as the lock ``UPDATE`` did."""
    cutoff = now - timedelta(seconds=logic.grace_seconds(attempt.exam.settings["late"]))
    return db.session.connection().execute(_save_if_open_statement(db.engine.dialect.name), {
        "attempt_id": attempt.id, "slot": slot, "response": response, "saved_seq": seq,
        "saved_at": now, "cutoff": cutoff}).scalar()


#: Written out per dialect (literal SQL, every value a bound parameter).
_SAVE_IF_OPEN = {
    "postgresql": """
        WITH open_attempt AS (
            SELECT attempt.id FROM attempt
            WHERE attempt.id = :attempt_id AND attempt.state = 'in_progress'
              AND (attempt.deadline IS NULL OR attempt.deadline >= :cutoff)
            FOR UPDATE)
        INSERT INTO attempt_answer (attempt_id, slot, response, saved_seq, saved_at)
        SELECT open_attempt.id, :slot, CAST(:response AS JSON), :saved_seq, :saved_at
        FROM open_attempt
        ON CONFLICT (attempt_id, slot) DO UPDATE
        SET response = excluded.response, saved_seq = excluded.saved_seq,
            saved_at = excluded.saved_at
        WHERE attempt_answer.saved_seq < excluded.saved_seq
        RETURNING attempt_answer.saved_seq""",
    # SQLite: the statement runs under the write lock; its WHERE also disambiguates the ON.
    "sqlite": """
        INSERT INTO attempt_answer (attempt_id, slot, response, saved_seq, saved_at)
        SELECT :attempt_id, :slot, :response, :saved_seq, :saved_at
        WHERE EXISTS (
            SELECT 1 FROM attempt
            WHERE attempt.id = :attempt_id AND attempt.state = 'in_progress'
              AND (attempt.deadline IS NULL OR attempt.deadline >= :cutoff))
        ON CONFLICT (attempt_id, slot) DO UPDATE
        SET response = excluded.response, saved_seq = excluded.saved_seq,
            saved_at = excluded.saved_at
        WHERE attempt_answer.saved_seq < excluded.saved_seq
        RETURNING attempt_answer.saved_seq""",
}


@functools.cache
def _save_if_open_statement(dialect: str):
    sql = _SAVE_IF_OPEN["postgresql" if dialect == "postgresql" else "sqlite"]
    table = AttemptAnswer.__table__
    return text(sql).bindparams(
        bindparam("response", type_=table.c.response.type),
        bindparam("saved_at", type_=table.c.saved_at.type),
        bindparam("cutoff", type_=Attempt.__table__.c.deadline.type))


def _follow_navigation(attempt: Attempt, slot: int) -> None:
    """Sequential navigation: a slot before the current position is closed (409
    ``sequential``); saving a later slot moves the position there (the student got there).
    Called with the attempt's lock held."""
    if logic.setting(attempt.exam.settings, "navigation") != "sequential":
        return
    if not logic.sequential_allows(attempt.order, attempt.position, slot):
        raise Conflict(_l("Bài làm theo thứ tự: không quay lại câu %(slot)s được.", slot=slot),
                       details={"position": attempt.position,
                                "slot": attempt.order[attempt.position]}, code="sequential")
    attempt.position = max(attempt.position, attempt.order.index(slot))
    db.session.flush()


def _checked_at(attempt_id: int, slot: int) -> datetime | None:
    return db.session.scalar(select(AttemptAnswer.checked_at).where(
        AttemptAnswer.attempt_id == attempt_id, AttemptAnswer.slot == slot))


def _upsert(attempt_id: int, slot: int, response, seq: int, now: datetime) -> int | None:
    """INSERT … ON CONFLICT DO UPDATE … WHERE stored seq < new seq (both dialects).
    Returns the new seq when it was written, None when the stored one is newer or equal."""
    return db.session.connection().execute(_upsert_statement(db.engine.dialect.name), {
        "attempt_id": attempt_id, "slot": slot, "response": response, "saved_seq": seq,
        "saved_at": now}).scalar()


@functools.cache
def _upsert_statement(dialect: str):
    """Built once per dialect: constructing it (its ``excluded`` alias above all) costs more
    than running it. Core, on the table (run on the session's connection), like the lock."""
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    table = AttemptAnswer.__table__
    statement = insert(table).values(
        attempt_id=bindparam("attempt_id"), slot=bindparam("slot"),
        response=bindparam("response", type_=table.c.response.type),
        saved_seq=bindparam("saved_seq"), saved_at=bindparam("saved_at"))
    statement = statement.on_conflict_do_update(
        index_elements=["attempt_id", "slot"],
        set_={"response": statement.excluded.response, "saved_seq": statement.excluded.saved_seq,
              "saved_at": statement.excluded.saved_at},
        where=table.c.saved_seq < statement.excluded.saved_seq)
    return statement.returning(table.c.saved_seq)


def submit(actor, attempt_id: int, now: datetime | None = None) -> Attempt:
    """The one transition to finished; a second submit gets 409 with the current state."""
    attempt = own_attempt(actor, attempt_id)
    now = now or utcnow()
    decision = logic.late_decision(attempt.exam.settings["late"], attempt.deadline, now)
    finished_at = now if decision.accepted else attempt.deadline
    if not finish(attempt, finished_at, counted=decision.counted):
        raise _state_conflict(attempt, _l("Bài làm đã được nộp trước đó."))
    return attempt


def finish(attempt: Attempt, finished_at: datetime, counted: bool = True) -> bool:
    """Conditional UPDATE … WHERE state = 'in_progress', then grade the stored answers.
    False when someone else finished it first."""
    result = db.session.execute(
        update(Attempt).where(Attempt.id == attempt.id,
                              Attempt.state == AttemptState.IN_PROGRESS)
        .values(state=AttemptState.FINISHED, finished_at=finished_at, counted=counted)
        .execution_options(synchronize_session=False))
    if result.rowcount != 1:
        return False
    for name, value in (("state", AttemptState.FINISHED), ("finished_at", finished_at),
                        ("counted", counted)):
        set_committed_value(attempt, name, value)  # what the UPDATE wrote: no re-read
    listening = hooks.listening(attempt.exam)
    previous = hooks.final_grade_for(attempt.exam, attempt.user_id) if listening else None
    earned, total = grade_attempt(attempt)
    settings = attempt.exam.settings
    attempt.score = logic.stored_score(earned)
    attempt.grade = logic.to_scale(earned, total, settings["scale"], settings["rounding"])
    db.session.flush()
    if listening:
        hooks.announce(attempt.exam, attempt.user_id, previous, "finish")
    return True


def slot_fractions(attempt: Attempt, snapshot: list | None = None,
                   stored: dict | None = None) -> dict[int, Decimal | None]:
    """Each slot's score fraction from the stored answers (None: needs manual grading).
    ``snapshot`` replaces the exam's (a regrade's dry run scores against an edited key);
    ``stored`` ({slot: response}) saves the query when answers were loaded in bulk."""
    if stored is None:
        stored = stored_responses(attempt.id)
    fractions = {}
    for entry in variants.attempt_entries(attempt, snapshot):
        payload, slot = entry["payload"], entry["slot"]
        response = stored.get(slot)
        try:
            inner = response_from_public(payload, response, attempt.ids_map.get(str(slot)))
        except ResponseError:
            inner = None
        if payload["type"] == "stimulus":
            # every objective or essay child is worth an equal share; essay children are
            # graded by hand (lms.exams.grading.child_share), so only objective ones add here
            parts = [p for p in score_children(payload, (inner or {}).get("children"))
                     if p is not None]
            essays = sum(1 for c in payload.get("children") or [] if c["type"] == "essay")
            fractions[slot] = sum(parts, Decimal(0)) / (len(parts) + essays) if parts else None
        else:
            fractions[slot] = score(payload, inner)
    return fractions


def manual_points(attempt_id: int) -> dict[int, Decimal]:
    """Points a teacher gave per slot (lms.exams.grading)."""
    return dict(db.session.execute(select(ManualGrade.slot, ManualGrade.points).where(
        ManualGrade.attempt_id == attempt_id)).all())


def grade_attempt(attempt: Attempt, snapshot: list | None = None) -> tuple[Decimal, Decimal]:
    """(points earned, points possible), exact. A slot the computer does not score (fraction
    None) earns the points of its manual grade, or 0 while ungraded; a stimulus with both
    objective and essay children earns its objective part plus its essay children's grades."""
    snapshot = attempt.exam.snapshot if snapshot is None else snapshot
    fractions = slot_fractions(attempt, snapshot)
    manual = manual_points(attempt.id)
    earned = total = Decimal(0)
    for entry in variants.attempt_entries(attempt, snapshot):
        points = logic.stored_points(entry["points"])
        total += points
        earned += logic.slot_points(fractions[entry["slot"]], points) \
            + manual.get(entry["slot"], Decimal(0))
    return earned, total


def close_if_overdue(attempt: Attempt, now: datetime) -> bool:
    """Close an open attempt past deadline + grace with finished_at = the deadline."""
    if attempt.deadline is None or attempt.state != AttemptState.IN_PROGRESS:
        return False
    if logic.late_decision(attempt.exam.settings["late"], attempt.deadline, now).accepted:
        return False
    return finish(attempt, attempt.deadline)


def close_overdue(now: datetime | None = None) -> int:
    """Every open attempt past its deadline + grace, closed (security.md 11). Flushes only."""
    now = now or utcnow()
    closed = 0
    for attempt in db.session.scalars(select(Attempt).where(
            Attempt.state == AttemptState.IN_PROGRESS, Attempt.deadline.is_not(None),
            Attempt.deadline < now)).all():
        closed += close_if_overdue(attempt, now)
    return closed


# ---------------------------------------------------------------- views of an attempt


def iso(moment: datetime | None) -> str | None:
    return moment.isoformat() + "Z" if moment else None


def question_views(attempt: Attempt) -> list[dict]:
    """The questions in this attempt's order and ids: never a key, fraction or feedback."""
    by_slot = {e["slot"]: e for e in attempt.exam.snapshot}
    made = views_cache.templates(attempt.exam)   # built once per snapshot (views_cache)
    views = []
    for slot in attempt.order:
        entry, key = by_slot[slot], str(slot)
        ids = attempt.ids_map.get(key)
        view = (made[slot].render(entry["payload"], ids) if made is not None
                else student_view(entry["payload"], ids))
        if key in attempt.option_order:
            place = {oid: i for i, oid in enumerate(attempt.option_order[key])}
            view["options"] = sorted(view["options"], key=lambda o: place[o["id"]])
        views.append({"slot": slot, "points": entry["points"],
                      "section": entry.get("section", ""), **view})
    return views


def stored_responses(attempt_id: int) -> dict[int, object]:
    """slot → stored response, in one query (columns, not entities; Core, built once)."""
    return dict(db.session.execute(_stored_statement(), {"attempt_id": attempt_id}).all())


@functools.cache
def _stored_statement():
    table = AttemptAnswer.__table__
    return select(table.c.slot, table.c.response).where(
        table.c.attempt_id == bindparam("attempt_id"))


def saved_answers(attempt: Attempt, stored: dict | None = None) -> dict[str, dict]:
    stored = stored_responses(attempt.id) if stored is None else stored
    return {str(slot): response for slot, response in stored.items()}


def start_payload(attempt: Attempt, now: datetime | None = None) -> dict:
    """The start response; the saved answers come from ``attempt.answers`` when it is loaded
    (``start_attempt`` sets it empty for a new attempt), else from one query."""
    settings = attempt.exam.settings
    loaded = attempt.__dict__.get("answers")
    stored = None if loaded is None else {a.slot: a.response for a in loaded}
    body = {"attempt_id": attempt.id, "state": attempt.state.value,
            "deadline": iso(attempt.deadline), "server_time": iso(now or utcnow()),
            "mode": "practice" if attempt.practice else "test",
            "navigation": logic.setting(settings, "navigation"), "position": attempt.position,
            "questions": question_views(attempt), "answers": saved_answers(attempt, stored),
            "variant_code": attempt.variant_code}
    if attempt.practice:
        body["checked"] = checked_reviews(attempt) if loaded is None or any(
            a.checked_at is not None for a in loaded) else {}
    return body


def slot_reviews(attempt: Attempt, slots=None, stored: dict | None = None) -> dict[str, dict]:
    """Fraction, parts, correct answer and feedback per slot (``question_bank.review_response``)
    in this attempt's ids. Callers decide whether they may be shown."""
    stored = stored_responses(attempt.id) if stored is None else stored
    reviews = {}
    for entry in variants.attempt_entries(attempt):
        slot = entry["slot"]
        if slots is not None and slot not in slots:
            continue
        ids = attempt.ids_map.get(str(slot))
        try:
            inner = response_from_public(entry["payload"], stored.get(slot), ids)
        except ResponseError:
            inner = None
        reviews[str(slot)] = review_response(entry["payload"], inner, ids)
    return reviews


def checked_reviews(attempt: Attempt) -> dict[str, dict]:
    """Practice: the reviews of the slots the student has already checked (and so seen)."""
    slots = set(db.session.scalars(select(AttemptAnswer.slot).where(
        AttemptAnswer.attempt_id == attempt.id, AttemptAnswer.checked_at.is_not(None))))
    return slot_reviews(attempt, slots) if slots else {}


def attempt_review(attempt: Attempt, now: datetime | None = None) -> dict:
    """State, saved answers and whatever of the result the review policy allows now."""
    now = now or utcnow()
    settings = attempt.exam.settings
    finished = attempt.state == AttemptState.FINISHED
    shown = logic.what_may_show(settings["review"], finished, now,
                               logic.stored_time(settings["close_at"]))
    body = {"attempt_id": attempt.id, "state": attempt.state.value,
            "deadline": iso(attempt.deadline), "server_time": iso(now),
            "started_at": iso(attempt.started_at), "finished_at": iso(attempt.finished_at),
            "shown": sorted(shown)}
    stored = stored_responses(attempt.id)
    if not finished or "responses" in shown:
        body["answers"] = saved_answers(attempt, stored)
    if finished and "score" in shown:
        body["result"] = {"score": str(attempt.score), "grade": str(attempt.grade),
                          "counted": attempt.counted}
    if finished and "correctness" in shown:
        body["correctness"] = {str(slot): (None if f is None else str(f))
                               for slot, f in slot_fractions(attempt, stored=stored).items()}
    if finished and shown & {"score", "feedback"}:
        marks = manual_marks(attempt.id, "score" in shown, "feedback" in shown)
        if marks:
            body["manual_grades"] = marks
    if finished and shown & {"correct_answers", "feedback"}:
        reviews = slot_reviews(attempt, stored=stored)
        if "correct_answers" in shown:
            body["correct_answers"] = {slot: r["correct_answer"] for slot, r in reviews.items()}
        if "feedback" in shown:
            body["feedback"] = {slot: r["feedback"] for slot, r in reviews.items()}
    if attempt.practice:
        body["practice"] = True
        if not finished:
            body["checked"] = checked_reviews(attempt)
    if logic.setting(settings, "navigation") == "sequential":
        body["position"] = attempt.position
    return body


def manual_marks(attempt_id: int, points: bool, comments: bool) -> dict[str, dict]:
    """A teacher's grades of an attempt as the review policy lets its student see them:
    points and rubric scores with ``score``, the comment with ``feedback``."""
    marks = {}
    for grade in db.session.scalars(select(ManualGrade).where(
            ManualGrade.attempt_id == attempt_id).order_by(ManualGrade.slot)):
        children = (grade.rubric or {}).get("children") if isinstance(grade.rubric, dict) \
            else None
        if children is not None:       # essay children of a mixed stimulus, one mark each
            mark = {"children": {i: _mark(c["points"], c.get("rubric"), c.get("comment"),
                                          points, comments) for i, c in children.items()}}
            mark["children"] = {i: m for i, m in mark["children"].items() if m}
            if points:
                mark["points"] = str(grade.points)
            mark = {k: v for k, v in mark.items() if v}
        else:
            mark = _mark(str(grade.points), grade.rubric, grade.comment, points, comments)
        if mark:
            marks[str(grade.slot)] = mark
    return marks


def _mark(value: str, rubric, comment, points: bool, comments: bool) -> dict:
    mark = {}
    if points:
        mark["points"] = value
        if rubric:
            mark["rubric"] = rubric
    if comments and comment:
        mark["comment"] = comment
    return mark


def results(actor, exam: Exam) -> list[dict]:
    """Every attempt's state and score for the exam's owner."""
    require(actor, "exam.manage", exam)
    return [{"attempt_id": a.id, "user_id": a.user_id, "number": a.number,
             "state": a.state.value, "score": None if a.score is None else str(a.score),
             "grade": None if a.grade is None else str(a.grade), "counted": a.counted,
             "practice": a.practice, "started_at": iso(a.started_at)
             if a.state != AttemptState.PENDING else None, "finished_at": iso(a.finished_at),
             "variant_code": a.variant_code}
            for a in db.session.scalars(select(Attempt).where(Attempt.exam_id == exam.id)
                                        .order_by(Attempt.user_id, Attempt.number))]


def final_grades(actor, exam: Exam) -> dict[int, Decimal | None]:
    """Each student's kept grade by the exam's grading method, from finished, counted test
    attempts; practice attempts never count."""
    require(actor, "exam.manage", exam)
    grades: dict[int, list[Decimal]] = {}
    for attempt in db.session.scalars(select(Attempt).where(
            Attempt.exam_id == exam.id, Attempt.state == AttemptState.FINISHED,
            Attempt.counted.is_(True), Attempt.practice.is_(False))
            .order_by(Attempt.user_id, Attempt.number)):
        grades.setdefault(attempt.user_id, []).append(attempt.grade)
    method = exam.settings["grading_method"]
    return {user_id: logic.final_grade(values, method) for user_id, values in grades.items()}
