"""The question search index: one Whoosh index at ``SEARCH_INDEX_PATH/questions``.

Rows are indexed after their transaction commits (a Celery task started from an
``after_commit`` hook), so requests never wait for the index and it only holds committed data.
Visibility is a field: ``visible`` holds ``all`` for approved questions and ``user:<id>`` for
the author, so one filter gives "approved, plus my own".
"""

from pathlib import Path

from flask import current_app, has_app_context
from sqlalchemy import event, select
from sqlalchemy.orm import Session, selectinload

from lms.kernel import db
from question_bank import SearchIndex, UnknownQuestionType, get_type, html_to_text
from question_bank.models import Question, QuestionStatus

FIELDS = {
    "text": "text", "subject": "keyword", "grade": "numeric", "topic": "keyword",
    "level": "keyword", "type": "keyword", "status": "keyword", "school": "keyword",
    "tags": "tags", "visible": "tags", "updated": "numeric",
}
FACETS = ("subject", "grade", "topic", "level", "type", "status", "school", "tags")
_KEY = "hoclieu_question_index"
BATCH = 500


def question_index() -> SearchIndex:
    """The app's question index (switched off when SEARCH_INDEX_PATH is empty)."""
    app = current_app._get_current_object()
    index = app.extensions.get(_KEY)
    if index is None:
        root = app.config.get("SEARCH_INDEX_PATH") or ""
        index = app.extensions[_KEY] = SearchIndex(Path(root) / "questions" if root else None,
                                                   FIELDS)
    return index


def question_text(payload: dict) -> str:
    """Visible text of the stem and of the options/statements/items."""
    parts = [payload.get("text_html", "")]
    try:
        parts += get_type(payload.get("type")).key_texts(payload)
    except (UnknownQuestionType, KeyError, TypeError, ValueError):
        parts = parts[:1]
    return " ".join(html_to_text(p) for p in parts if p)


def searchable_text(title: str, payload: dict) -> str:
    """What the words of a search are looked for in: the title, then the question's text. One
    analysed field, so the title is folded like the text (accent-insensitive) and an index
    built before titles existed needs no rebuild."""
    return " ".join(part for part in (title, question_text(payload)) if part)


def document(question: Question, tags: list[str]) -> dict:
    """The index document of a question (its current version)."""
    from lms.curriculum.models import Subject

    version = question.current_version
    payload = version.payload if version else {}
    subject = db.session.get(Subject, question.subject_id)
    visible = [f"user:{question.author_id}"]
    if question.status == QuestionStatus.APPROVED:
        visible.append("all")
    return {
        "id": question.id, "text": searchable_text(version.title if version else "", payload),
        "subject": subject.code if subject else "", "grade": question.grade,
        "topic": str(question.topic_id or ""), "level": str(question.level_id or ""),
        "type": question.type, "status": question.status.value,
        "school": str(question.school_id or ""), "tags": tags, "visible": visible,
        "updated": int(question.updated_at.timestamp()) if question.updated_at else 0,
    }


def index_ids(ids) -> int:
    """Write the current state of these questions in one index commit; ids no longer in the
    database are removed."""
    ids = [int(i) for i in ids]
    index = question_index()
    if not index.enabled or not ids:
        return 0
    found: set[int] = set()
    written = index.update(_documents(ids, found))
    index.delete(set(ids) - found)
    return written


def _documents(ids: list[int], found: set[int]):
    """Index documents of the questions, loaded BATCH at a time; records the ids it saw."""
    from lms.questions.services import tags_of

    for start in range(0, len(ids), BATCH):
        chunk = ids[start:start + BATCH]
        rows = db.session.scalars(select(Question).where(Question.id.in_(chunk))
                                  .options(selectinload(Question.current_version))).all()
        tags = tags_of([q.id for q in rows])
        for question in rows:
            found.add(question.id)
            yield document(question, tags[question.id])


def rebuild() -> int:
    """Empty the index and index every question again."""
    index = question_index()
    index.clear()
    ids = db.session.scalars(select(Question.id).order_by(Question.id)).all()
    return index_ids(ids)


@event.listens_for(Session, "after_commit")
def _index_changed(session):
    ids = session.info.pop("hoclieu_questions", None)
    if ids and has_app_context() and current_app.config.get("SEARCH_INDEX_PATH"):
        from lms.questions.tasks import index_questions

        index_questions.delay(sorted(ids))


@event.listens_for(Session, "after_rollback")
def _forget_changed(session):
    session.info.pop("hoclieu_questions", None)
