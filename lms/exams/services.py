"""Building, publishing and assigning exams; starting, saving and submitting attempts.

Functions take the acting user, check permissions, flush and never commit (the view commits).
Every write to an attempt is conditional on ``state = 'in_progress'`` in the same statement
(or after a row-locking no-op update), so concurrent requests settle on exactly one outcome.
"""

import functools
import json
import random
import threading
from datetime import datetime, timedelta
from decimal import Decimal

from flask_babel import lazy_gettext as _l
from sqlalchemy import bindparam, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import defer, joinedload
from sqlalchemy.orm.attributes import set_committed_value

from lms.auth.permissions import can, require
from lms.core.errors import Conflict, DomainError, Forbidden, NotFound
from lms.core.models import utcnow
from lms.exams import (
    logic,
    rules,  # noqa: F401 — registers the exam.* permission rules
)
from lms.exams.models import (
    EXAM_SETTINGS_SCHEMA,
    Attempt,
    AttemptAnswer,
    AttemptState,
    Exam,
    ExamAssignment,
    ExamState,
)
from lms.extensions import db
from lms.org.models import Role, SchoolClass
from lms.questions import rules as _question_rules  # noqa: F401
from question_bank import (
    ResponseError,
    public_keys,
    response_from_public,
    score,
    score_children,
    student_view,
    validate_response,
)
from question_bank.models import Question

MAX_RESPONSE_CHARS = 10_000
CHOICE_TYPES = {"single_choice", "multiple_response"}
#: Published snapshots kept parsed per process (each is a few tens of KB of JSON).
SNAPSHOT_CACHE_SIZE = 64
_snapshots: dict[tuple[int, datetime], list] = {}
_snapshots_lock = threading.Lock()


# ---------------------------------------------------------------- settings


def _parse_time(value, field: str) -> str | None:
    if value in (None, ""):
        return None
    try:
        parsed = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError as exc:
        raise DomainError(_l("Cài đặt %(field)s: thời điểm không hợp lệ %(value)s (cần ISO 8601).",
                             field=field, value=value), code="invalid_settings") from exc
    if parsed.tzinfo is not None:
        parsed = (parsed - parsed.utcoffset()).replace(tzinfo=None)
    return parsed.isoformat()


def normalise_settings(raw: dict | None) -> dict:
    """Full settings (models docstring) from the stored form or the API shorthand
    (``time_limit_minutes``, ``opens_at``, ``closes_at``, ``attempts``, ``review`` preset,
    ``late_policy``: autosubmit|grace|discard, ``grace_seconds``)."""
    raw = dict(raw or {})
    settings = json.loads(json.dumps(logic.DEFAULT_SETTINGS))
    if "time_limit_minutes" in raw:
        raw["time_limit_s"] = int(raw.pop("time_limit_minutes") or 0) * 60 or None
    if "opens_at" in raw:
        raw["open_at"] = raw.pop("opens_at")
    if "closes_at" in raw:
        raw["close_at"] = raw.pop("closes_at")
    if "attempts" in raw:
        raw["attempts_allowed"] = raw.pop("attempts")
    if isinstance(raw.get("review"), str):
        if raw["review"] not in logic.REVIEW_PRESETS:
            raise DomainError(_l("Cài đặt review: chỉ nhận immediately, after_close, never."),
                              code="invalid_settings")
        raw["review"] = logic.REVIEW_PRESETS[raw["review"]]
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
    return settings


def _time(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


def snapshot_of(exam: Exam) -> list:
    """The exam's frozen questions, parsed once per process for a published exam.

    A published snapshot never changes (``publish`` writes it exactly once, together with
    ``published_at``), so (id, published_at) identifies it; anything that ever rewrites a
    published snapshot must also move ``published_at``. Callers must not mutate the result.
    Load the exam with ``get_exam`` (or defer the column) so a cache hit reads no snapshot."""
    if exam.published_at is None:
        return exam.snapshot
    key = (exam.id, exam.published_at)
    cached = _snapshots.get(key)
    if cached is None:
        cached = exam.snapshot
        _remember_snapshot(key, cached)
    return cached


def _remember_snapshot(key: tuple[int, datetime], snapshot: list) -> None:
    """Cache a snapshot; ``publish`` stores the one it writes, replacing any entry a deleted
    exam with a reused id (and the same published_at, e.g. under a frozen test clock) left."""
    with _snapshots_lock:
        _snapshots.pop(key, None)
        while len(_snapshots) >= SNAPSHOT_CACHE_SIZE:
            _snapshots.pop(next(iter(_snapshots)))
        _snapshots[key] = snapshot


def get_exam(exam_id: int) -> Exam | None:
    """An exam without its snapshot column (``snapshot_of`` reads it when needed)."""
    return db.session.get(Exam, exam_id, options=_exam_loader())


@functools.cache
def _exam_loader() -> tuple:
    return (defer(Exam.snapshot), defer(Exam.selection))


# ---------------------------------------------------------------- building


def create_exam(actor, title: str, question_ids: list[int], points: dict | None = None,
                settings: dict | None = None) -> Exam:
    """A draft exam from bank questions the teacher may see, in the given order."""
    require(actor, "exam.create")
    title = (title or "").strip()
    if not title or not question_ids:
        raise DomainError(_l("Cần tên bài kiểm tra và ít nhất một câu hỏi."), code="invalid")
    points = {str(k): v for k, v in (points or {}).items()}
    selection = []
    for qid in question_ids:
        question = db.session.get(Question, qid)
        if question is None or not can(actor, "question.view", question):
            raise DomainError(_l("Câu hỏi mã %(id)s không tồn tại hoặc bạn không được dùng.",
                                 id=qid), code="unknown_question")
        value = Decimal(str(points.get(str(qid), 1)))
        if value <= 0:
            raise DomainError(_l("Điểm của câu %(id)s phải lớn hơn 0.", id=qid), code="invalid")
        selection.append({"question_id": qid, "points": str(value)})
    exam = Exam(title=title[:300], owner_id=actor.id, settings=normalise_settings(settings),
                selection=selection)
    first = db.session.get(Question, question_ids[0])
    exam.subject_id, exam.grade = first.subject_id, first.grade
    db.session.add(exam)
    db.session.flush()
    return exam


def publish(actor, exam: Exam) -> None:
    """Freeze the questions' current versions into the snapshot; exactly once."""
    require(actor, "exam.manage", exam)
    snapshot = []
    for slot, entry in enumerate(exam.selection, start=1):
        question = db.session.get(Question, entry["question_id"])
        version = question.current_version
        snapshot.append({"slot": slot, "question_id": question.id, "version_id": version.id,
                         "payload": version.payload, "points": entry["points"],
                         "section": entry.get("section", "")})
    published_at = utcnow()
    result = db.session.execute(
        update(Exam).where(Exam.id == exam.id, Exam.state == ExamState.DRAFT)
        .values(state=ExamState.PUBLISHED, snapshot=snapshot, published_at=published_at)
        .execution_options(synchronize_session=False))
    if result.rowcount != 1:
        raise Conflict(_l("Bài kiểm tra đã được phát hành."))
    _remember_snapshot((exam.id, published_at), snapshot)
    db.session.expire(exam)


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


def set_override(actor, assignment: ExamAssignment, user_id: int, **values) -> None:
    """Extra time, another window or extra attempts for one student (security.md 14)."""
    require(actor, "exam.manage", assignment.exam)
    allowed = {"extra_time_s", "open_at", "close_at", "extra_attempts"}
    if set(values) - allowed:
        raise DomainError(_l("Chỉ được đặt thêm giờ, khung giờ khác hoặc thêm lượt làm."))
    overrides = dict(assignment.overrides or {})
    overrides[str(user_id)] = {**overrides.get(str(user_id), {}), **values}
    assignment.overrides = overrides
    for attempt in db.session.scalars(select(Attempt).where(
            Attempt.assignment_id == assignment.id, Attempt.user_id == user_id,
            Attempt.state == AttemptState.IN_PROGRESS)):
        exam = assignment.exam
        window = _window(exam, assignment, user_id)
        attempt.deadline = logic.deadline_for(attempt.started_at, exam.settings["time_limit_s"],
                                              window["close_at"], window["extra_time_s"])
    db.session.flush()


# ---------------------------------------------------------------- attempts


def _assignment_for(user, exam: Exam) -> ExamAssignment | None:
    class_ids = {m.class_id for m in user.memberships if m.role == Role.STUDENT and m.class_id}
    if not class_ids or exam.state != ExamState.PUBLISHED:
        return None
    return db.session.scalar(select(ExamAssignment).where(
        ExamAssignment.exam_id == exam.id, ExamAssignment.class_id.in_(class_ids))
        .order_by(ExamAssignment.id))


def _window(exam: Exam, assignment: ExamAssignment, user_id: int) -> dict:
    """This student's open/close times, extra time and attempt allowance."""
    own = (assignment.overrides or {}).get(str(user_id), {})
    settings = exam.settings
    return {
        "open_at": _time(own.get("open_at") or settings["open_at"]),
        "close_at": _time(own.get("close_at") or settings["close_at"]),
        "extra_time_s": int(own.get("extra_time_s") or 0),
        "attempts": int(settings["attempts_allowed"] or 0) + int(own.get("extra_attempts") or 0)
        if settings["attempts_allowed"] else 0,
    }


def _open_attempt(exam_id: int, user_id: int) -> Attempt | None:
    return db.session.scalar(select(Attempt).where(
        Attempt.exam_id == exam_id, Attempt.user_id == user_id,
        Attempt.state == AttemptState.IN_PROGRESS))


def start_attempt(actor, exam: Exam, now: datetime | None = None) -> Attempt:
    """Resume the open attempt or start a new one inside the window and attempt limit.

    Two concurrent starts: the partial unique index lets one insert win; the other rolls back
    its savepoint and returns the winner's attempt (security.md 12)."""
    return start_or_resume(actor, exam, now)[0]


def start_or_resume(actor, exam: Exam, now: datetime | None = None) -> tuple[Attempt, bool]:
    """``start_attempt``, also saying whether this call inserted the attempt (then it has no
    saved answers, and the caller should commit before doing more work: on SQLite the
    insert holds the database's write lock until the commit)."""
    now = now or utcnow()
    assignment = _assignment_for(actor, exam)
    if assignment is None:
        raise NotFound(_l("Không tìm thấy bài kiểm tra."))
    mine = db.session.scalars(select(Attempt).where(
        Attempt.exam_id == exam.id, Attempt.user_id == actor.id)).all()
    current = next((a for a in mine if a.state == AttemptState.IN_PROGRESS), None)
    if current is not None and not close_if_overdue(current, now):
        return current, False
    window = _window(exam, assignment, actor.id)
    if window["open_at"] and now < window["open_at"]:
        raise Forbidden(_l("Bài kiểm tra chưa mở."), code="not_open")
    if window["close_at"] and now >= window["close_at"] + _extra(window):
        raise Forbidden(_l("Bài kiểm tra đã đóng."), code="closed")
    used = len(mine)
    if window["attempts"] and used >= window["attempts"]:
        raise Conflict(_l("Bạn đã dùng hết %(n)s lượt làm bài.", n=window["attempts"]),
                       code="no_attempts_left")
    attempt = _new_attempt(exam, assignment, actor.id, used + 1, now, window)
    try:
        with db.session.begin_nested():
            db.session.add(attempt)
    except IntegrityError:
        current = _open_attempt(exam.id, actor.id)
        if current is None:
            raise Conflict(_l("Lượt làm bài vừa được tạo ở nơi khác; hãy thử lại.")) from None
        return current, False
    return attempt, True


def _extra(window: dict) -> timedelta:
    return timedelta(seconds=window["extra_time_s"])


def _new_attempt(exam: Exam, assignment: ExamAssignment, user_id: int, number: int,
                 now: datetime, window: dict) -> Attempt:
    """Per-attempt question order, random ids and option order, from a fresh seed."""
    settings = exam.settings
    rng = random.SystemRandom()  # ids and order must not be predictable from a seed
    snapshot = snapshot_of(exam)
    slots = [(q["slot"], q.get("section", "")) for q in snapshot]
    order = (logic.shuffle_by_section(slots, rng) if settings["shuffle_questions"]
             else [slot for slot, _ in slots])
    ids_map, option_order = {}, {}
    for entry in snapshot:
        payload, key = entry["payload"], str(entry["slot"])
        if payload["type"] == "stimulus":
            ids_map[key] = {str(i): logic.random_ids(public_keys(child), rng)
                            for i, child in enumerate(payload["children"])}
            continue
        ids_map[key] = logic.random_ids(public_keys(payload), rng)
        if payload["type"] in CHOICE_TYPES:
            shown = [o["id"] for o in payload["options"]]
            if settings["shuffle_options"] and payload.get("shuffle", True):
                shown = logic.shuffled(shown, rng, set(payload.get("pinned") or []))
            option_order[key] = [ids_map[key][o] for o in shown]
    late = settings["late"]
    return Attempt(exam_id=exam.id, assignment_id=assignment.id, user_id=user_id, number=number,
                   state=AttemptState.IN_PROGRESS, started_at=now,
                   deadline=logic.deadline_for(now, settings["time_limit_s"], window["close_at"],
                                               window["extra_time_s"]),
                   grace_s=logic.grace_seconds(late), order=order, ids_map=ids_map,
                   option_order=option_order)


@functools.cache
def _attempt_loader() -> tuple:
    """Loader options for an attempt request: the exam joined in, and none of the large JSON
    columns that saving, reading or submitting do not use (each would be parsed per request;
    they still load on first access)."""
    return (defer(Attempt.order), defer(Attempt.option_order),
            joinedload(Attempt.exam).defer(Exam.snapshot).defer(Exam.selection))


def own_attempt(actor, attempt_id: int) -> Attempt:
    """The actor's attempt, or 404 — someone else's attempt does not exist for them.
    One query: the attempt joined with its exam (without the snapshot, see ``snapshot_of``)."""
    attempt = db.session.get(Attempt, attempt_id, options=_attempt_loader())
    if attempt is None or attempt.user_id != actor.id:
        raise NotFound(_l("Không tìm thấy lượt làm bài."))
    return attempt


def _entry(exam: Exam, slot: int) -> dict:
    for entry in snapshot_of(exam):
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

    The same statement returns the deadline as it is under the lock (an override may have
    moved it since the attempt was read), so no second read is needed."""
    row = db.session.execute(_lock_statement(), {"attempt_id": attempt.id}).first()
    if row is None:
        return False
    set_committed_value(attempt, "deadline", row.deadline)
    return True


@functools.cache
def _lock_statement():
    return (update(Attempt).where(Attempt.id == bindparam("attempt_id"),
                                  Attempt.state == AttemptState.IN_PROGRESS)
            .values(grace_s=Attempt.grace_s).returning(Attempt.deadline)
            .execution_options(synchronize_session=False))


def _state_conflict(attempt: Attempt, message) -> Conflict:
    db.session.refresh(attempt)
    return Conflict(message, details={"state": attempt.state.value}, code="attempt_" +
                    attempt.state.value)


def save_answer(actor, attempt_id: int, slot: int, response, seq: int,
                now: datetime | None = None) -> int:
    """Upsert one answer; an older or equal ``seq`` is ignored. Returns the stored seq."""
    attempt = own_attempt(actor, attempt_id)
    entry = _entry(attempt.exam, slot)
    check_response(attempt, entry, response)
    if not _lock_open(attempt):
        raise _state_conflict(attempt, _l("Bài làm đã nộp; không lưu thêm được."))
    now = now or utcnow()
    if not logic.late_decision(attempt.exam.settings["late"], attempt.deadline, now).accepted:
        raise Conflict(_l("Đã hết giờ làm bài; câu trả lời không được lưu."),
                       details={"state": attempt.state.value, "deadline": iso(attempt.deadline)},
                       code="time_up")
    stored = _upsert(attempt.id, slot, response, seq, now)
    if stored is not None:
        return stored
    return db.session.scalar(select(AttemptAnswer.saved_seq).where(
        AttemptAnswer.attempt_id == attempt.id, AttemptAnswer.slot == slot))


def _upsert(attempt_id: int, slot: int, response, seq: int, now: datetime) -> int | None:
    """INSERT … ON CONFLICT DO UPDATE … WHERE stored seq < new seq (both dialects).
    Returns the new seq when it was written, None when the stored one is newer or equal."""
    return db.session.execute(_upsert_statement(db.engine.dialect.name), {
        "attempt_id": attempt_id, "slot": slot, "response": response, "saved_seq": seq,
        "saved_at": now}).scalar()


@functools.cache
def _upsert_statement(dialect: str):
    """Built once per dialect: constructing it (its ``excluded`` alias above all) cost more
    than running it."""
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    statement = insert(AttemptAnswer).values(
        attempt_id=bindparam("attempt_id"), slot=bindparam("slot"),
        response=bindparam("response", type_=AttemptAnswer.response.type),
        saved_seq=bindparam("saved_seq"), saved_at=bindparam("saved_at"))
    statement = statement.on_conflict_do_update(
        index_elements=["attempt_id", "slot"],
        set_={"response": statement.excluded.response, "saved_seq": statement.excluded.saved_seq,
              "saved_at": statement.excluded.saved_at},
        where=AttemptAnswer.saved_seq < statement.excluded.saved_seq)
    return statement.returning(AttemptAnswer.saved_seq)


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
        set_committed_value(attempt, name, value)
    earned, total = grade_attempt(attempt)
    settings = attempt.exam.settings
    attempt.score = logic.stored_score(earned)
    attempt.grade = logic.to_scale(earned, total, settings["scale"], settings["rounding"])
    db.session.flush()
    return True


def _stored_responses(attempt_id: int) -> dict[int, object]:
    """slot -> stored response, in one query (columns, not entities)."""
    return dict(db.session.execute(select(AttemptAnswer.slot, AttemptAnswer.response).where(
        AttemptAnswer.attempt_id == attempt_id)).all())


def slot_fractions(attempt: Attempt, stored: dict | None = None) -> dict[int, Decimal | None]:
    """Each slot's score fraction from the stored answers (None: needs manual grading)."""
    if stored is None:
        stored = _stored_responses(attempt.id)
    fractions = {}
    for entry in snapshot_of(attempt.exam):
        payload, slot = entry["payload"], entry["slot"]
        response = stored.get(slot)
        try:
            inner = response_from_public(payload, response, attempt.ids_map.get(str(slot)))
        except ResponseError:
            inner = None
        if payload["type"] == "stimulus":
            parts = [p for p in score_children(payload, (inner or {}).get("children"))
                     if p is not None]
            fractions[slot] = sum(parts, Decimal(0)) / len(parts) if parts else None
        else:
            fractions[slot] = score(payload, inner)
    return fractions


def grade_attempt(attempt: Attempt) -> tuple[Decimal, Decimal]:
    """(points earned, points possible), exact."""
    fractions = slot_fractions(attempt)
    earned = total = Decimal(0)
    for entry in snapshot_of(attempt.exam):
        points = Decimal(entry["points"])
        total += points
        earned += logic.slot_points(fractions[entry["slot"]], points)
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
    by_slot = {e["slot"]: e for e in snapshot_of(attempt.exam)}
    views = []
    for slot in attempt.order:
        entry, key = by_slot[slot], str(slot)
        view = student_view(entry["payload"], attempt.ids_map.get(key))
        if key in attempt.option_order:
            place = {oid: i for i, oid in enumerate(attempt.option_order[key])}
            view["options"] = sorted(view["options"], key=lambda o: place[o["id"]])
        views.append({"slot": slot, "points": entry["points"], **view})
    return views


def saved_answers(attempt: Attempt) -> dict[str, dict]:
    return {str(slot): response for slot, response in _stored_responses(attempt.id).items()}


def start_payload(attempt: Attempt, now: datetime | None = None,
                  answers: dict | None = None) -> dict:
    """The start/resume answer; ``answers`` given ({} for a new attempt) saves the query."""
    return {"attempt_id": attempt.id, "state": attempt.state.value,
            "deadline": iso(attempt.deadline), "server_time": iso(now or utcnow()),
            "questions": question_views(attempt),
            "answers": saved_answers(attempt) if answers is None else answers}


def attempt_review(attempt: Attempt, now: datetime | None = None) -> dict:
    """State, saved answers and whatever of the result the review policy allows now."""
    now = now or utcnow()
    settings = attempt.exam.settings
    finished = attempt.state == AttemptState.FINISHED
    shown = logic.what_may_show(settings["review"], finished, now, _time(settings["close_at"]))
    body = {"attempt_id": attempt.id, "state": attempt.state.value,
            "deadline": iso(attempt.deadline), "server_time": iso(now),
            "started_at": iso(attempt.started_at), "finished_at": iso(attempt.finished_at),
            "shown": sorted(shown)}
    stored = _stored_responses(attempt.id) if (
        not finished or "responses" in shown or "correctness" in shown) else {}
    if not finished or "responses" in shown:
        body["answers"] = {str(slot): response for slot, response in stored.items()}
    if finished and "score" in shown:
        body["result"] = {"score": str(attempt.score), "grade": str(attempt.grade),
                          "counted": attempt.counted}
    if finished and "correctness" in shown:
        body["correctness"] = {str(slot): (None if f is None else str(f))
                               for slot, f in slot_fractions(attempt, stored).items()}
    return body


def results(actor, exam: Exam) -> list[dict]:
    """Every attempt's state and score for the exam's owner."""
    require(actor, "exam.manage", exam)
    return [{"attempt_id": a.id, "user_id": a.user_id, "number": a.number,
             "state": a.state.value, "score": None if a.score is None else str(a.score),
             "grade": None if a.grade is None else str(a.grade), "counted": a.counted,
             "finished_at": iso(a.finished_at)}
            for a in db.session.scalars(select(Attempt).where(Attempt.exam_id == exam.id)
                                        .order_by(Attempt.user_id, Attempt.number))]
