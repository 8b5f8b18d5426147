"""The integrity log of an attempt: what the test page reports (focus lost, full-screen exit,
offline/online, reconnects, resumes), kept for the teacher to read.

Nothing here changes a score or a state: product.md §3 says integrity events are never used
to fail a student automatically. Services take the acting user, flush and never commit.
"""

import json
from datetime import datetime, timedelta

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from lms.auth.models import User
from lms.auth.permissions import require
from lms.core.errors import Conflict, DomainError
from lms.core.models import utcnow
from lms.core.moments import check_moment
from lms.exams import logic, services
from lms.exams.models import Attempt, AttemptEvent, AttemptEventKind, AttemptState, Exam
from lms.kernel import db

#: Events accepted in one request.
MAX_BATCH = 50
#: Characters of one event's ``detail`` as compact JSON.
MAX_DETAIL_CHARS = 300
#: Events kept per attempt; later ones are counted as dropped (the page stops retrying them).
MAX_PER_ATTEMPT = 2000
#: How far a device's (server-corrected) event time may stray from the server's window.
CLOCK_SLACK = timedelta(minutes=2)

KIND_LABELS = {
    AttemptEventKind.FOCUS_LOST: _l("Rời khỏi trang"),
    AttemptEventKind.FOCUS_BACK: _l("Quay lại trang"),
    AttemptEventKind.FULLSCREEN_EXIT: _l("Thoát toàn màn hình"),
    AttemptEventKind.OFFLINE: _l("Mất kết nối"),
    AttemptEventKind.ONLINE: _l("Có kết nối lại"),
    AttemptEventKind.RECONNECT: _l("Gửi lại được sau khi mất kết nối"),
    AttemptEventKind.RESUMED: _l("Mở lại bài làm"),
}


def _detail(value) -> dict | None:
    """A small flat object of scalars, or a 400."""
    if value in (None, {}):
        return None
    if not isinstance(value, dict) or any(
            not isinstance(v, (str, int, float, bool, type(None))) for v in value.values()):
        raise DomainError(_l("Chi tiết sự kiện phải là một đối tượng phẳng."),
                          code="invalid_event")
    if len(json.dumps(value, ensure_ascii=False, separators=(",", ":"))) > MAX_DETAIL_CHARS:
        raise DomainError(_l("Chi tiết sự kiện quá dài (tối đa %(n)s ký tự).",
                             n=MAX_DETAIL_CHARS), code="invalid_event")
    return value


def record_events(actor, attempt_id: int, events: list[dict],
                  now: datetime | None = None) -> dict:
    """Append a batch of ``{"kind", "at", "detail"}`` to the actor's open attempt.

    Someone else's attempt: 404; a finished or overdue attempt: 409. Event times outside
    [start − slack, now + slack] are clamped into it. Returns ``{"stored", "dropped"}``."""
    now = now or utcnow()
    attempt = services.own_attempt(actor, attempt_id)
    if len(events) > MAX_BATCH:
        raise DomainError(_l("Tối đa %(n)s sự kiện mỗi lần gửi.", n=MAX_BATCH),
                          code="invalid_event")
    rows = [(AttemptEventKind(e["kind"]), check_moment(e["at"], "at"), _detail(e.get("detail")))
            for e in events]
    if attempt.state != AttemptState.IN_PROGRESS:
        raise Conflict(_l("Bài làm đã nộp."), details={"state": attempt.state.value},
                       code="attempt_finished")
    if not logic.late_decision(attempt.exam.settings["late"], attempt.deadline, now).accepted:
        raise Conflict(_l("Đã hết giờ làm bài."), details={"state": attempt.state.value},
                       code="time_up")
    have = db.session.scalar(select(func.count()).select_from(AttemptEvent).where(
        AttemptEvent.attempt_id == attempt.id)) or 0
    room = max(0, MAX_PER_ATTEMPT - have)
    low, high = attempt.started_at - CLOCK_SLACK, now + CLOCK_SLACK
    for kind, at, detail in rows[:room]:
        db.session.add(AttemptEvent(attempt_id=attempt.id, kind=kind,
                                    at=min(max(at, low), high), received_at=now, detail=detail))
    db.session.flush()
    return {"stored": min(room, len(rows)), "dropped": max(0, len(rows) - room)}


def exam_log(actor, exam: Exam) -> list[dict]:
    """For the exam's owner: every attempt with its student and events in time order."""
    require(actor, "exam.manage", exam)
    attempts = db.session.execute(
        select(Attempt, User).join(User, User.id == Attempt.user_id)
        .where(Attempt.exam_id == exam.id)).all()
    attempts.sort(key=lambda row: (row[1].list_key, row[0].number))
    events: dict[int, list[AttemptEvent]] = {}
    ids = [attempt.id for attempt, _ in attempts]
    if ids:
        for event in db.session.scalars(select(AttemptEvent).where(
                AttemptEvent.attempt_id.in_(ids)).order_by(AttemptEvent.at, AttemptEvent.id)):
            events.setdefault(event.attempt_id, []).append(event)
    log = []
    for attempt, user in attempts:
        own = events.get(attempt.id, [])
        counts: dict[str, int] = {}
        for event in own:
            counts[event.kind.value] = counts.get(event.kind.value, 0) + 1
        log.append({"attempt": attempt, "student": user, "events": own, "counts": counts})
    return log
