"""Authoring questions and moving them through the shared-bank review workflow.

Every function takes the acting user, checks permissions through lms.auth.permissions,
flushes and leaves the commit to the caller.
"""

import hashlib
from dataclasses import dataclass, field

from flask_babel import lazy_gettext as _l
from sqlalchemy import delete, func, insert, or_, select, update

from lms.auth.permissions import require
from lms.core.errors import Conflict, DomainError
from lms.core.models import utcnow
from lms.kernel import db
from lms.kernel.text import clean_name, nfc
from lms.org.models import Role
from lms.questions import rules  # noqa: F401 — registers the question.* permission rules
from lms.questions import search as question_search  # registers the after-commit indexing hook
from question_bank import (
    NEAR_DUPLICATE_THRESHOLD,
    QUESTION_TYPES,
    PayloadError,
    SearchError,
    UnknownQuestionType,
    normalise_text_key,
    validate_payload,
    word_set,
)
from question_bank.models import (
    TRANSITIONS,
    Question,
    QuestionStatus,
    QuestionVersion,
    question_tag,
)

#: Near duplicates are looked for among at most this many recent questions of the same
#: subject, grade and type (a bound on the work done per created or imported question).
NEAR_DUPLICATE_CANDIDATES = 300
MAX_TAGS = 20
TAG_LENGTH = 60
#: Longest question title (Moodle's limit for a question name).
MAX_TITLE = 255


@dataclass
class QuestionMeta:
    """Metadata a teacher sets beside the payload."""

    subject_id: int
    grade: int
    topic_id: int | None = None
    level_id: int | None = None
    licence: str = "CC BY-SA 4.0"
    source: str = ""
    tags: list[str] = field(default_factory=list)


def author_school(user) -> int | None:
    for m in user.memberships:
        if m.role in {Role.TEACHER, Role.HOMEROOM_TEACHER, Role.SCHOOL_LEADER}:
            return m.unit_id
    return None


def checked_payload(payload) -> dict:
    """The payload normalised by its type (NFC, sanitised HTML) or DomainError listing every
    problem as ``details["problems"] = [{"path", "message"}]``."""
    if not isinstance(payload, dict):
        raise DomainError(_l("Nội dung câu hỏi phải là một đối tượng JSON."),
                          code="invalid_payload")
    try:
        return validate_payload(payload)
    except UnknownQuestionType:
        message = _l("Loại câu hỏi (type) phải là một trong: %(types)s.",
                     types=", ".join(QUESTION_TYPES))
        raise DomainError(message, code="invalid_payload",
                          details={"problems": [{"path": "type", "message": str(message)}]}
                          ) from None
    except PayloadError as error:
        problems = [{"path": p.path, "message": p.message} for p in error.problems]
        raise DomainError(_l("Câu hỏi chưa hợp lệ: %(problems)s", problems=str(error)),
                          details={"problems": problems}, code="invalid_payload") from None


def title_text(value) -> str:
    """A title as stored: one line, trimmed, no invisible or control characters (clean_name)."""
    return clean_name(value) if value else ""


def checked_title(value) -> str:
    """The title normalised by title_text, or DomainError (with ``problems`` like a payload's)
    when it is not text or longer than MAX_TITLE characters."""
    if value is not None and not isinstance(value, str):
        message = _l("Tên câu hỏi phải là một chuỗi ký tự.")
    else:
        title = title_text(value)
        if len(title) <= MAX_TITLE:
            return title
        message = _l("Tên câu hỏi dài %(n)d ký tự; tối đa %(max)d ký tự.", n=len(title),
                     max=MAX_TITLE)
    raise DomainError(message, code="invalid_title",
                      details={"problems": [{"path": "title", "message": str(message)}]})


def dedupe_key(payload: dict) -> str:
    """sha256 of question_bank.normalise_text_key: equal for exact duplicates."""
    return hashlib.sha256(normalise_text_key(payload).encode("utf-8")).hexdigest()


def clean_tags(tags) -> list[str]:
    """NFC, trimmed, lower-cased, unique, at most MAX_TAGS of at most TAG_LENGTH characters."""
    seen: list[str] = []
    for tag in tags or []:
        value = " ".join(nfc(str(tag)).split()).lower()[:TAG_LENGTH]
        if value and value not in seen:
            seen.append(value)
    return seen[:MAX_TAGS]


def set_tags(question: Question, tags, new: bool = False) -> list[str]:
    """Replace the question's tags (``new``: it has none yet)."""
    cleaned = clean_tags(tags)
    if not new:
        db.session.execute(delete(question_tag).where(question_tag.c.question_id == question.id))
    if cleaned:
        db.session.execute(insert(question_tag),
                           [{"question_id": question.id, "tag": t} for t in cleaned])
    mark_changed(question)
    return cleaned


def tags_of(question_ids) -> dict[int, list[str]]:
    """question id → its tags (sorted)."""
    ids = list(question_ids)
    result: dict[int, list[str]] = {i: [] for i in ids}
    if ids:
        rows = db.session.execute(select(question_tag.c.question_id, question_tag.c.tag)
                                  .where(question_tag.c.question_id.in_(ids))
                                  .order_by(question_tag.c.tag))
        for question_id, tag in rows:
            result[question_id].append(tag)
    return result


def mark_changed(question: Question) -> None:
    """Remember the question so the search index is updated after the commit."""
    db.session.info.setdefault("hoclieu_questions", set()).add(question.id)


def visible_condition(actor):
    """SQL condition: approved questions, plus the actor's own."""
    condition = Question.status == QuestionStatus.APPROVED
    if actor is not None:
        condition = or_(condition, Question.author_id == actor.id)
    return condition


def question_link(question_id: int) -> str:
    return f"/questions/{question_id}"


class NearDuplicates:
    """Near-duplicate lookup against the NEAR_DUPLICATE_CANDIDATES most recent questions of one
    subject and grade per type (approved or the actor's own), word sets computed once, so an
    import of thousands of questions stays linear."""

    def __init__(self, actor, subject_id: int | None, grade: int | None):
        self.actor, self.subject_id, self.grade = actor, subject_id, grade
        self._by_type: dict[str, list[tuple[int, str, frozenset]]] = {}

    def _candidates(self, kind: str) -> list[tuple[int, str, frozenset]]:
        if kind not in self._by_type:
            rows = db.session.execute(
                select(Question.id, Question.dedupe_key, QuestionVersion.payload)
                .join(QuestionVersion, QuestionVersion.id == Question.current_version_id)
                .where(Question.subject_id == self.subject_id, Question.grade == self.grade,
                       Question.type == kind, visible_condition(self.actor))
                .order_by(Question.id.desc()).limit(NEAR_DUPLICATE_CANDIDATES))
            self._by_type[kind] = [(i, key, _words(payload)) for i, key, payload in rows]
        return self._by_type[kind]

    def matches(self, payload: dict, key: str, exclude_id: int | None = None) -> list[int]:
        """Ids of near (not exact) duplicates of the payload."""
        if self.subject_id is None or self.grade is None:
            return []
        words = _words(payload)
        found = []
        for question_id, other_key, other in self._candidates(payload.get("type", "")):
            if other_key == key or question_id == exclude_id:
                continue
            union = words | other
            share = len(words & other) / len(union) if union else 1.0
            if share >= NEAR_DUPLICATE_THRESHOLD:
                found.append(question_id)
        return found


def _words(payload) -> frozenset:
    try:
        return word_set(payload)
    except (UnknownQuestionType, KeyError, TypeError, ValueError):
        return frozenset()


def find_duplicates(actor, payload: dict, subject_id: int | None, grade: int | None,
                    exclude_id: int | None = None) -> list[dict]:
    """Existing questions (approved or the actor's own) that this payload duplicates:
    ``[{"id", "kind": "exact"|"near", "url"}]``. Exact: same dedupe key anywhere; near: see
    NearDuplicates."""
    key = dedupe_key(payload)
    exact = db.session.scalars(select(Question.id).where(
        Question.dedupe_key == key, visible_condition(actor), Question.id != (exclude_id or 0))
        .order_by(Question.id).limit(5)).all()
    near = NearDuplicates(actor, subject_id, grade).matches(payload, key, exclude_id)
    return [{"id": i, "kind": "exact", "url": question_link(i)} for i in exact] + \
        [{"id": i, "kind": "near", "url": question_link(i)} for i in near]


def create_question(actor, meta: QuestionMeta, payload: dict, note: str = "",
                    title: str | None = "") -> Question:
    """A new draft with version 1; the payload must be valid for its type, the title at most
    MAX_TITLE characters."""
    require(actor, "question.create")
    payload = checked_payload(payload)
    title = checked_title(title)
    question = Question(type=payload["type"], subject_id=meta.subject_id,
                        grade=meta.grade, topic_id=meta.topic_id, level_id=meta.level_id,
                        licence=meta.licence, source=meta.source[:300], author_id=actor.id,
                        school_id=author_school(actor), dedupe_key=dedupe_key(payload))
    db.session.add(question)
    db.session.flush()
    _add_version(actor, question, payload, note, number=1, title=title)
    if meta.tags:
        set_tags(question, meta.tags, new=True)
    mark_changed(question)
    return question


def revise_question(actor, question: Question, payload: dict, note: str = "",
                    title: str | None = None) -> QuestionVersion:
    """Editing adds a version (with the new title, or the current one when ``title`` is None);
    an approved question goes back to draft for another review."""
    require(actor, "question.edit", question)
    payload = checked_payload(payload)
    if title is None:
        title = question.current_version.title if question.current_version else ""
    title = checked_title(title)
    if payload.get("type") != question.type:
        raise DomainError(_l("Không thể đổi loại câu hỏi; hãy tạo câu hỏi mới."),
                          code="type_change")
    if question.status == QuestionStatus.APPROVED:
        _transition(question, QuestionStatus.DRAFT)
    question.dedupe_key = dedupe_key(payload)
    mark_changed(question)
    return _add_version(actor, question, payload, note, title=title)


def update_meta(actor, question: Question, meta: QuestionMeta) -> None:
    """Subject, grade, topic, level, licence, source and tags changed in place (no new
    version: the payload is what versions track)."""
    require(actor, "question.edit", question)
    question.subject_id, question.grade = meta.subject_id, meta.grade
    question.topic_id, question.level_id = meta.topic_id, meta.level_id
    question.licence, question.source = meta.licence, meta.source[:300]
    set_tags(question, meta.tags)


def _add_version(actor, question: Question, payload: dict, note: str,
                 number: int | None = None, title: str = "") -> QuestionVersion:
    if number is None:
        number = (db.session.scalar(select(func.max(QuestionVersion.number))
                                    .where(QuestionVersion.question_id == question.id)) or 0) + 1
    version = QuestionVersion(question_id=question.id, number=number,
                              schema=payload.get("schema", 1), payload=payload, title=title,
                              created_by_id=actor.id, note=note[:300])
    db.session.add(version)
    db.session.flush()
    question.current_version_id = version.id
    return version


def submit(actor, question: Question) -> None:
    """The author sends a draft (or a returned question) to the reviewers."""
    require(actor, "question.edit", question)
    _transition(question, QuestionStatus.SUBMITTED)


def approve(actor, question: Question) -> None:
    """A reviewer of the subject approves: the question becomes visible to the whole province."""
    require(actor, "question.review", question)
    _transition(question, QuestionStatus.APPROVED, reviewer=actor)


def send_back(actor, question: Question, comment: str) -> None:
    """A reviewer returns a question to its author with a comment saying what to fix."""
    require(actor, "question.review", question)
    if not comment.strip():
        raise DomainError(_l("Hãy ghi rõ lý do trả lại để tác giả sửa."), code="comment_required")
    _transition(question, QuestionStatus.RETURNED, reviewer=actor)
    question.review_comment = comment.strip()
    db.session.flush()


def _transition(question: Question, status: QuestionStatus, reviewer=None) -> None:
    """Conditional update (``… WHERE status = old``): of two reviewers deciding at once,
    exactly one wins and the other gets a conflict."""
    old = question.status
    if status not in TRANSITIONS[old]:
        raise Conflict(_l("Không thể chuyển câu hỏi từ trạng thái %(old)s sang %(new)s.",
                          old=old.value, new=status.value))
    values = {"status": status, "updated_at": utcnow()}
    if reviewer is not None:
        values["reviewed_by_id"] = reviewer.id
    db.session.flush()
    result = db.session.execute(
        update(Question).where(Question.id == question.id, Question.status == old)
        .values(**values).execution_options(synchronize_session=False))
    if result.rowcount != 1:
        raise Conflict(_l("Câu hỏi vừa được người khác xử lý; hãy tải lại trang."))
    mark_changed(question)
    db.session.expire(question)


# ---------------------------------------------------------------- search

#: Sort keys a client may ask for → index sort field (None: best match first).
SORTS = {"relevance": None, "newest": "-updated", "oldest": "updated", "grade": "grade",
         "-grade": "-grade", "type": "type"}
FILTER_FIELDS = ("subject", "grade", "topic", "level", "type", "status", "school", "tags")
PER_PAGE = 20
MAX_QUERY = 200


def _clean_filters(filters: dict) -> dict:
    """Only known fields with non-empty values; grade must be a whole number 1..12."""
    cleaned = {}
    for name in FILTER_FIELDS:
        value = (filters or {}).get(name)
        if value in (None, "", []):
            continue
        if name == "grade":
            try:
                value = int(value)
            except (TypeError, ValueError):
                raise DomainError(_l("Khối lớp phải là số từ 1 đến 12."),
                                  code="invalid_filter") from None
            if not 1 <= value <= 12:
                raise DomainError(_l("Khối lớp phải là số từ 1 đến 12."), code="invalid_filter")
        else:
            value = nfc(str(value))[:100]
        cleaned[name] = value
    return cleaned


def search_questions(actor, q: str = "", filters: dict | None = None, sort: str | None = None,
                     page: int = 1, per_page: int = PER_PAGE) -> dict:
    """Questions matching ``q`` (accent-insensitive) and the filters, that the actor may see
    (approved ones and their own): ``{"items": [Question], "total", "facets", "page"}``."""
    require(actor, "question.create")
    sort_field = SORTS.get(sort or "relevance", "invalid")
    if sort_field == "invalid":
        raise DomainError(_l("Không sắp xếp được theo %(sort)s (được: %(keys)s).",
                             sort=str(sort)[:40], keys=", ".join(SORTS)), code="invalid_sort")
    try:
        page = max(1, min(int(page or 1), 1000))
    except (TypeError, ValueError):
        raise DomainError(_l("Số trang không hợp lệ."), code="invalid_page") from None
    criteria = _clean_filters(filters or {})
    criteria["visible"] = ["all", f"user:{actor.id}"]
    try:
        result = question_search.question_index().search(
            nfc(q or "")[:MAX_QUERY], filters=criteria, facets=question_search.FACETS,
            sort=sort_field, page=page, per_page=per_page)
    except (SearchError, ValueError, TypeError):
        raise DomainError(_l("Không hiểu câu tìm kiếm; hãy bỏ các ký tự đặc biệt."),
                          code="invalid_query") from None
    ids = [int(i) for i in result.ids]
    rows = {r.id: r for r in db.session.scalars(select(Question).where(Question.id.in_(ids)))}
    items = [rows[i] for i in ids if i in rows]
    return {"items": items, "total": result.total, "facets": result.facets, "page": page}


# ---------------------------------------------------------------- reading and export

def question_summary(question: Question, tags: list[str] | None = None) -> dict:
    """The list-row form of a question (API items, CLI --json)."""
    from lms.curriculum.models import Subject

    version = question.current_version
    payload = version.payload if version else {}
    subject = db.session.get(Subject, question.subject_id)
    return {"id": question.id, "type": question.type, "title": version.title if version else "",
            "text_html": payload.get("text_html", ""),
            "text": question_search.question_text(payload) if payload else "",
            "subject": subject.code if subject else None, "grade": question.grade,
            "level": question.level_id, "topic": question.topic_id,
            "status": question.status.value, "author_id": question.author_id,
            "school_id": question.school_id,
            "tags": tags if tags is not None else tags_of([question.id])[question.id],
            "version": question.current_version.number if question.current_version else None}


def load_question(question_id: int) -> Question:
    """The question or NotFound."""
    question = db.session.get(Question, question_id)
    if question is None:
        from lms.core.errors import NotFound

        raise NotFound(_l("Không tìm thấy câu hỏi số %(id)s.", id=question_id))
    return question


def subject_by_code(code: str):
    """The subject with this code (case-insensitive) or DomainError naming it."""
    from lms.curriculum.models import Subject

    subject = db.session.scalar(select(Subject).where(Subject.code == str(code or "").upper()))
    if subject is None:
        raise DomainError(_l("Không có môn học mã %(code)s.", code=str(code)[:20]),
                          code="unknown_subject")
    return subject


def meta_from(data: dict) -> QuestionMeta:
    """QuestionMeta from client fields: subject (code), grade, topic_id, level_id, tags…"""
    grade = data.get("grade")
    if not isinstance(grade, int) or not 1 <= grade <= 12:
        raise DomainError(_l("Khối lớp phải là số từ 1 đến 12."), code="invalid_grade")
    subject = subject_by_code(data.get("subject"))
    topic_id, level_id = data.get("topic_id"), data.get("level_id")
    if topic_id is not None:
        from lms.curriculum.models import Topic

        topic = db.session.get(Topic, topic_id)
        if topic is None or topic.subject_id != subject.id or topic.grade != grade:
            raise DomainError(_l("Chủ đề mã %(id)s không thuộc môn %(subject)s khối %(grade)s.",
                                 id=topic_id, subject=subject.name, grade=grade),
                              code="unknown_topic")
    if level_id is not None:
        from lms.curriculum.models import CognitiveLevel

        if db.session.get(CognitiveLevel, level_id) is None:
            raise DomainError(_l("Không có mức độ nhận thức mã %(id)s.", id=level_id),
                              code="unknown_level")
    return QuestionMeta(subject_id=subject.id, grade=grade,
                        topic_id=topic_id, level_id=level_id,
                        licence=data.get("licence") or "CC BY-SA 4.0",
                        source=data.get("source") or "", tags=list(data.get("tags") or []))


def sees_teacher_view(actor, question: Question) -> bool:
    """The full view (keys, feedback, history, statistics): the author and the question's
    reviewers; any other viewer gets the student view."""
    from lms.auth.permissions import can

    return question.author_id == actor.id or can(actor, "question.edit", question) \
        or can(actor, "question.review", question)


def question_detail(actor, question: Question) -> dict:
    """The question as this actor may see it: the full teacher view for its author and its
    reviewers, the student view (no keys, no feedback) for everyone else allowed to see it."""
    require(actor, "question.view", question)
    from question_bank import student_view, teacher_view

    payload = question.current_version.payload
    full = sees_teacher_view(actor, question)
    detail = question_summary(question)
    detail.update({
        "view": "teacher" if full else "student",
        "payload": teacher_view(payload) if full else student_view(payload),
        "review_comment": question.review_comment if full else "",
        "versions": [{"number": v.number, "created_at": v.created_at.isoformat(),
                      "note": v.note, "title": v.title} for v in question.versions]
        if full else [],
    })
    return detail


def review_queue(actor) -> list[Question]:
    """Submitted questions this reviewer may decide on, oldest first."""
    from lms.auth.permissions import REVIEWER_ROLES, can, memberships

    if not memberships(actor, *REVIEWER_ROLES):
        from lms.core.errors import Forbidden

        raise Forbidden(_l("Bạn không có quyền thẩm định câu hỏi."))
    rows = db.session.scalars(select(Question).where(
        Question.status == QuestionStatus.SUBMITTED).order_by(Question.updated_at).limit(500))
    return [q for q in rows if can(actor, "question.review", q)]


def archive(actor, question: Question) -> None:
    """The author takes a question out of use; exams already published keep their copy."""
    require(actor, "question.edit", question)
    _transition(question, QuestionStatus.ARCHIVED)


def restore(actor, question: Question) -> None:
    """An archived question back to draft, for its author."""
    require(actor, "question.edit", question)
    _transition(question, QuestionStatus.DRAFT)


def add_tag(actor, question: Question, tag: str) -> None:
    require(actor, "question.edit", question)
    set_tags(question, tags_of([question.id])[question.id] + [tag])


#: Bulk actions of the bank and review pages: name → (function, needs a text value).
BULK_ACTIONS = {
    "approve": (approve, False), "return": (send_back, True), "submit": (submit, False),
    "archive": (archive, False), "restore": (restore, False), "tag": (add_tag, True),
}
MAX_BULK = 200


def bulk_action(actor, action: str, question_ids, value: str = "") -> tuple[int, list[str]]:
    """Apply one action to several questions, each on its own: (done count, a message for
    every question left as it was and why)."""
    if action not in BULK_ACTIONS:
        raise DomainError(_l("Thao tác %(action)s không có.", action=action), code="unknown_action")
    function, needs_value = BULK_ACTIONS[action]
    value = " ".join(nfc(value or "").split())
    if needs_value and not value:
        raise DomainError(_l("Thao tác này cần nhập nội dung (lý do hoặc nhãn)."),
                          code="value_required")
    done, problems = 0, []
    for question_id in sorted({int(i) for i in question_ids})[:MAX_BULK]:
        question = db.session.get(Question, question_id)
        if question is None:
            problems.append(f"#{question_id}: " + str(_l("không tồn tại.")))
            continue
        try:
            with db.session.begin_nested():
                function(actor, question, value) if needs_value else function(actor, question)
            done += 1
        except DomainError as error:
            problems.append(f"#{question_id}: {error.message}")
    return done, problems
