"""What a learner does in an authored lesson: pages viewed, embedded videos watched, check
questions answered (practice mode: scored at once, the key shown right after), the completion
rule and the LessonProgress summary that the gradebook seam (``lessons.on_progress``) reports.

Rows are inserted once per item (a unique constraint; a racing duplicate is a no-op), and the
summary is recomputed from them after each change.
"""

from decimal import Decimal

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from lms.core.errors import Conflict, DomainError, NotFound
from lms.kernel import db
from lms.lessons.authored import latest_version, page_in, published_for, question_block
from lms.lessons.models import Lesson, LessonItemProgress, LessonKind, LessonProgress, LessonVersion
from lms.lessons.signals import progress_changed
from question_bank import (
    ResponseError,
    render_math,
    response_from_public,
    sanitise_html,
    score,
    validate_response,
)


def item_rows(lesson: Lesson, user_id: int) -> dict[str, LessonItemProgress]:
    return {r.item: r for r in db.session.scalars(select(LessonItemProgress).where(
        LessonItemProgress.lesson_id == lesson.id, LessonItemProgress.user_id == user_id))}


def _record(lesson: Lesson, user_id: int, version: LessonVersion, item: str,
            **values) -> LessonItemProgress | None:
    """Insert one item once; a second (or racing) insert of the same item is a no-op."""
    row = LessonItemProgress(lesson_id=lesson.id, user_id=user_id, version_id=version.id,
                             item=item, **values)
    try:
        with db.session.begin_nested():
            db.session.add(row)
    except IntegrityError:
        return None
    return row


def mark_viewed(actor, lesson: Lesson, page_id: int) -> LessonProgress:
    """The learner opened a page of the published version."""
    version = published_for(actor, lesson)
    page_in(version.snapshot, page_id)
    _record(lesson, actor.id, version, f"page:{page_id}")
    return refresh_progress(lesson, actor.id, version)


def mark_watched(actor, lesson: Lesson, page_id: int, video_id: int) -> LessonProgress:
    """The learner watched (to the end) a video embedded on a page."""
    version = published_for(actor, lesson)
    page = page_in(version.snapshot, page_id)
    if not any(b["kind"] == "video" and b["id"] == video_id for b in page["blocks"]):
        raise NotFound(_("Trang không có video này."))
    _record(lesson, actor.id, version, f"video:{page_id}:{video_id}")
    return refresh_progress(lesson, actor.id, version)


def answer(actor, lesson: Lesson, page_id: int, question_id: int, response) -> dict:
    """Score a check question once (practice: the key is shown right after), record it and
    return the feedback. A second answer is a 409: the first one, seen with its key, counts."""
    version = published_for(actor, lesson)
    block = question_block(page_in(version.snapshot, page_id), question_id)
    payload = block["payload"]
    item = f"question:{page_id}:{question_id}"
    if item in item_rows(lesson, actor.id):
        raise Conflict(_("Em đã trả lời câu hỏi này."), code="already_answered")
    try:
        stored = validate_response(payload, response_from_public(payload, response))
    except ResponseError as error:
        raise DomainError(_("Câu trả lời không hợp lệ: %(reason)s", reason=str(error)),
                          code="invalid_response") from None
    if stored is None:
        raise DomainError(_("Hãy chọn hoặc nhập câu trả lời trước khi gửi."),
                          code="empty_response")
    fraction = score(payload, stored)
    row = _record(lesson, actor.id, version, item, response=stored,
                  score=float(fraction) if fraction is not None else None)
    if row is None:
        raise Conflict(_("Em đã trả lời câu hỏi này."), code="already_answered")
    refresh_progress(lesson, actor.id, version)
    return feedback(payload, stored, fraction)


def feedback(payload: dict, stored: dict, fraction: Decimal | None) -> dict:
    """What the learner sees after answering: right or wrong, the key, feedback, solution."""
    parts = [payload.get("feedback_html", "")]
    chosen = set(stored.get("choices") or []) | {stored.get("choice")}
    parts += [o.get("feedback_html", "") for o in payload.get("options", [])
              if o["id"] in chosen]
    if payload["type"] == "true_false":
        parts.append(payload.get("feedback_true_html" if stored.get("value")
                                 else "feedback_false_html", ""))
    return {
        "fraction": None if fraction is None else float(fraction),
        "correct": fraction is not None and fraction == 1,
        "key_html": render_math(key_html(payload)),
        "feedback_html": render_math(" ".join(p for p in parts if p)),
        "solution_html": render_math(payload.get("solution_html", "")),
        "response": stored,
    }


def key_html(payload: dict) -> str:
    """The correct answer, as sanitised HTML (shown only after answering)."""
    kind = payload["type"]
    if kind in ("single_choice", "multiple_response"):
        return "; ".join(o["text_html"] for o in payload["options"] if o["correct"])
    if kind == "true_false":
        return _("Đúng") if payload["answer"] else _("Sai")
    if kind == "true_false_4":
        return "; ".join(f"{s['id']}) {_('Đúng') if s['answer'] else _('Sai')}"
                         for s in payload["statements"])
    if kind == "short_text":
        return "; ".join(sanitise_html(a["text"]) for a in payload["answers"]
                         if a.get("fraction") == "1")
    return "; ".join(a["value"].replace(".", ",") for a in payload["answers"]
                     if a.get("fraction") == "1")


def requirements(snapshot: dict) -> tuple[list[str], list[str]]:
    """Items the completion rule needs: every page viewed, every check question answered."""
    pages = [f"page:{p['id']}" for p in snapshot["pages"]]
    questions = [f"question:{p['id']}:{b['id']}" for p in snapshot["pages"]
                 for b in p["blocks"] if b["kind"] == "question"]
    return pages, questions


def summary(snapshot: dict, rows: dict[str, LessonItemProgress]) -> dict:
    """Status, score (0..100 over every check question; None without questions), completion."""
    pages, questions = requirements(snapshot)
    done = [i for i in pages + questions if i in rows]
    total = len(pages) + len(questions)
    answered = [rows[q].score or 0.0 for q in questions if q in rows]
    status = ("completed" if len(done) == total else
              "incomplete" if rows else "not attempted")
    return {"status": status,
            "score": round(sum(answered) * 100 / len(questions), 2) if questions and answered
            else None,
            "completion": len(done) / total if total else 1.0,
            "pages_viewed": sum(p in rows for p in pages), "pages": len(pages),
            "questions_answered": len(answered), "questions": len(questions),
            "videos_watched": sum(1 for i in rows if i.startswith("video:"))}


def refresh_progress(lesson: Lesson, user_id: int, version: LessonVersion) -> LessonProgress:
    """Recompute the learner's LessonProgress row; tell the gradebook when status or score
    changed."""
    facts = summary(version.snapshot, item_rows(lesson, user_id))
    row = db.session.scalar(select(LessonProgress).where(
        LessonProgress.lesson_id == lesson.id, LessonProgress.user_id == user_id,
        LessonProgress.sco == ""))
    if row is None:
        row = LessonProgress(lesson_id=lesson.id, user_id=user_id, sco="",
                             status="not attempted")
        try:
            with db.session.begin_nested():
                db.session.add(row)
        except IntegrityError:
            row = db.session.scalar(select(LessonProgress).where(
                LessonProgress.lesson_id == lesson.id, LessonProgress.user_id == user_id,
                LessonProgress.sco == ""))
    before = (row.status, row.score)
    row.status, row.score, row.completion = facts["status"], facts["score"], facts["completion"]
    row.success = "unknown"
    db.session.flush()
    if (row.status, row.score) != before:
        progress_changed(lesson, user_id, row.status, row.score)
    return row


def progress_details(actor, lesson: Lesson) -> dict | None:
    """Pages viewed, questions answered, videos watched (authored lessons only)."""
    if lesson.kind != LessonKind.AUTHORED:
        return None
    version = latest_version(lesson)
    if version is None:
        return None
    return summary(version.snapshot, item_rows(lesson, actor.id))
