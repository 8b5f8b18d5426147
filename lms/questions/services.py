"""Authoring questions and moving them through the shared-bank review workflow.

Every function takes the acting user, checks permissions through lms.auth.permissions,
flushes and leaves the commit to the caller.
"""

import hashlib
import inspect
import re
import zipfile
from collections import Counter
from dataclasses import dataclass, field

from flask_babel import lazy_gettext as _l
from sqlalchemy import delete, func, insert, or_, select, update

from lms.auth.permissions import require
from lms.core.errors import Conflict, DomainError
from lms.core.models import utcnow
from lms.extensions import db
from lms.org.models import Role
from lms.questions import rules  # noqa: F401 — registers the question.* permission rules
from lms.questions import search as question_search  # registers the after-commit indexing hook
from question_bank import (
    NEAR_DUPLICATE_THRESHOLD,
    PayloadError,
    SearchError,
    UnknownQuestionType,
    nfc,
    normalise_text_key,
    validate_payload,
    word_set,
)
from question_bank import formats as qformats
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


def _author_school(user) -> int | None:
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
    except PayloadError as error:
        problems = [{"path": p.path, "message": p.message} for p in error.problems]
        raise DomainError(_l("Câu hỏi chưa hợp lệ: %(problems)s", problems=str(error)),
                          details={"problems": problems}, code="invalid_payload") from None


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


def _visible_to(actor):
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
                       Question.type == kind, _visible_to(self.actor))
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
        Question.dedupe_key == key, _visible_to(actor), Question.id != (exclude_id or 0))
        .order_by(Question.id).limit(5)).all()
    near = NearDuplicates(actor, subject_id, grade).matches(payload, key, exclude_id)
    return [{"id": i, "kind": "exact", "url": question_link(i)} for i in exact] + \
        [{"id": i, "kind": "near", "url": question_link(i)} for i in near]


def create_question(actor, meta: QuestionMeta, payload: dict, note: str = "") -> Question:
    """A new draft with version 1; the payload must be valid for its type."""
    require(actor, "question.create")
    payload = checked_payload(payload)
    question = Question(type=payload["type"], subject_id=meta.subject_id,
                        grade=meta.grade, topic_id=meta.topic_id, level_id=meta.level_id,
                        licence=meta.licence, source=meta.source[:300], author_id=actor.id,
                        school_id=_author_school(actor), dedupe_key=dedupe_key(payload))
    db.session.add(question)
    db.session.flush()
    _add_version(actor, question, payload, note, number=1)
    if meta.tags:
        set_tags(question, meta.tags, new=True)
    mark_changed(question)
    return question


def revise_question(actor, question: Question, payload: dict, note: str = "") -> QuestionVersion:
    """Editing adds a version; an approved question goes back to draft for another review."""
    require(actor, "question.edit", question)
    payload = checked_payload(payload)
    if payload.get("type") != question.type:
        raise DomainError(_l("Không thể đổi loại câu hỏi; hãy tạo câu hỏi mới."),
                          code="type_change")
    if question.status == QuestionStatus.APPROVED:
        _transition(question, QuestionStatus.DRAFT)
    question.dedupe_key = dedupe_key(payload)
    mark_changed(question)
    return _add_version(actor, question, payload, note)


def _add_version(actor, question: Question, payload: dict, note: str,
                 number: int | None = None) -> QuestionVersion:
    if number is None:
        number = (db.session.scalar(select(func.max(QuestionVersion.number))
                                    .where(QuestionVersion.question_id == question.id)) or 0) + 1
    version = QuestionVersion(question_id=question.id, number=number,
                              schema=payload.get("schema", 1), payload=payload,
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


# ---------------------------------------------------------------- import

#: Formats the import and export services know by name, and the names their functions have
#: (or may have) in question_bank.formats. A format is available when the package exports one
#: of them, so a new format module plugs in by being exported there.
FORMAT_NAMES = ("docx", "gift", "moodlexml", "aiken", "qti", "xlsx")
IMPORTER_FUNCTIONS = {
    "docx": ("parse_docx", "read_docx"), "gift": ("parse_gift",),
    "moodlexml": ("parse_moodlexml",), "aiken": ("parse_aiken",),
    "qti": ("parse_qti", "read_qti"), "xlsx": ("parse_xlsx", "read_xlsx"),
}
EXPORTER_FUNCTIONS = {
    "gift": ("export_gift",), "moodlexml": ("export_moodlexml",),
    "qti": ("export_qti", "export_qti_package"), "docx": ("export_docx", "write_docx"),
    "xlsx": ("export_xlsx",), "aiken": ("export_aiken",),
}
#: Largest file accepted for import (security.md: huge files get a clear error).
MAX_IMPORT_BYTES = 20 * 1024 * 1024
_PLUGINFILE = re.compile(r"@@PLUGINFILE@@/([^\"'<>\s)]+)")
_SAFE_NAME = re.compile(r"[^a-z0-9._-]+")


def _first_available(candidates: tuple[str, ...]):
    for name in candidates:
        function = getattr(qformats, name, None)
        if callable(function):
            return function
    return None


def _accepts(function, count: int) -> bool:
    """True when the function takes at least ``count`` positional arguments."""
    try:
        parameters = inspect.signature(function).parameters.values()
    except (TypeError, ValueError):
        return False
    positional = [p for p in parameters if p.kind in (p.POSITIONAL_ONLY,
                                                      p.POSITIONAL_OR_KEYWORD)]
    return len(positional) >= count or any(p.kind == p.VAR_POSITIONAL for p in parameters)


def importers() -> dict:
    """format name → ``parse(data: bytes, filename: str) -> ImportResult``."""
    found = {}
    for fmt, candidates in IMPORTER_FUNCTIONS.items():
        function = _first_available(candidates)
        if function is not None:
            found[fmt] = _with_filename(function)
    return found


def _with_filename(function):
    """Importers that take the file name (docx, qti) get it; the others only the bytes."""
    if _accepts(function, 2):
        return function
    return lambda data, _filename="": function(data)


def exporters() -> dict:
    """format name → ``export(payloads) -> str | bytes`` (types the format cannot express are
    left out with a comment when the exporter offers ``skip_unsupported``)."""
    found = {}
    for fmt, candidates in EXPORTER_FUNCTIONS.items():
        function = _first_available(candidates)
        if function is not None:
            found[fmt] = _skipping(function)
    return found


def _skipping(function):
    try:
        skips = "skip_unsupported" in inspect.signature(function).parameters
    except (TypeError, ValueError):
        skips = False
    if skips:
        return lambda payloads: function(payloads, skip_unsupported=True)
    return function


def resolve_format(fmt: str, filename: str, data: bytes) -> str:
    """The importer to use: the one asked for, or detected from the name and first bytes."""
    available = importers()
    if fmt in (None, "", "auto"):
        detected = qformats.detect_format(filename or "", data[:4096])
        if detected is None:
            raise DomainError(_l("Không nhận ra định dạng của tệp %(name)s; hãy chọn định dạng "
                                 "(docx, gift, moodlexml, aiken, qti, xlsx).", name=filename),
                              code="unknown_format")
        fmt = detected
    if fmt not in available:
        raise DomainError(_l("Định dạng %(fmt)s chưa được hỗ trợ để nhập (hiện có: %(have)s).",
                             fmt=fmt, have=", ".join(sorted(available))),
                          code="format_unavailable")
    return fmt


def attachment_key(name: str, data: bytes) -> str:
    """Content-addressed storage key, so importing the same file twice stores nothing new."""
    digest = hashlib.sha256(data).hexdigest()
    safe = _SAFE_NAME.sub("_", name.rsplit("/", 1)[-1].lower()).strip("._") or "file"
    return f"questions/{digest[:2]}/{digest[:32]}/{safe[:80]}"


def media_url(key: str) -> str:
    return f"/media/{key}"


def _rewrite_files(value, urls: dict[str, str]):
    """Every ``@@PLUGINFILE@@/name`` in the payload's strings replaced by its media URL."""
    if isinstance(value, str):
        def swap(match):
            name = match.group(1)
            return urls.get(name) or urls.get(_unquote(name)) or match.group(0)
        return _PLUGINFILE.sub(swap, value)
    if isinstance(value, list):
        return [_rewrite_files(v, urls) for v in value]
    if isinstance(value, dict):
        return {k: _rewrite_files(v, urls) for k, v in value.items()}
    return value


def _unquote(name: str) -> str:
    from urllib.parse import unquote

    return unquote(name)


def _store_attachments(parsed, save: bool) -> dict:
    """Attachment name → media URL; the files are written only when ``save``."""
    from lms.core.storage import storage

    urls = {}
    for attachment in parsed.attachments:
        key = attachment_key(attachment.name, attachment.data)
        if save:
            store = storage()
            if not store.exists(key):
                import io

                store.put_stream(key, io.BytesIO(attachment.data), len(attachment.data))
        urls[attachment.name] = media_url(key)
    return urls


@dataclass
class ImportOptions:
    """How to import: defaults for the metadata the file does not carry, and what to save."""

    subject_id: int | None = None
    grade: int | None = None
    fmt: str = "auto"
    dry_run: bool = False
    only_valid: bool = False


@dataclass
class _Checked:
    parsed: object
    payload: dict
    key: str
    location: str


def _problem(location: str, message: str) -> dict:
    return {"location": location, "message": str(message)}


def _where(problem) -> str:
    """'dòng 12 (Câu 3)': the place in the file and the question's name when known."""
    name = getattr(problem, "question", None)
    return f"{problem.location} ({name})" if name and problem.location else \
        (problem.location or name or "")


def parse_import(data: bytes, filename: str, fmt: str = "auto"):
    """(format, ImportResult) for the bytes; DomainError when the format is unknown.

    An importer that gives up on a broken or hostile file by raising (a corrupt zip, unsafe
    XML, an undecodable text) yields a result with that one error, so nothing is saved."""
    fmt = resolve_format(fmt, filename, data)
    try:
        return fmt, importers()[fmt](data, filename)
    except (ValueError, zipfile.BadZipFile, EOFError) as error:
        message = _l("Không đọc được tệp %(name)s như định dạng %(fmt)s: %(error)s",
                     name=filename, fmt=fmt, error=str(error)[:300])
        return fmt, qformats.ImportResult(errors=[qformats.Problem(filename, str(message))])


def import_questions(actor, data: bytes, filename: str, options: ImportOptions | None = None,
                     **settings) -> dict:
    """Read a question file and, unless it is a dry run, save its questions as drafts.

    Settings come as an ImportOptions or as its fields by keyword (``fmt="gift",
    subject_id=…, grade=10, dry_run=True, only_valid=False``).

    Returns the report of the CLI contract: ``{"file", "format", "questions", "by_type",
    "errors", "warnings", "duplicates", "saved"}``. Nothing is saved when any question has an
    error unless ``only_valid``. Exact duplicates (of the actor's or approved questions, or
    earlier in the same file) are counted and skipped, so re-importing a file adds nothing.
    """
    options = options or ImportOptions(**settings)
    if actor is not None:
        require(actor, "question.create")
    if len(data) > MAX_IMPORT_BYTES:
        raise DomainError(_l("Tệp %(name)s quá lớn (tối đa %(mb)d MB).", name=filename,
                             mb=MAX_IMPORT_BYTES // (1024 * 1024)), code="file_too_large")
    fmt, result = parse_import(data, filename, options.fmt)
    errors = [_problem(_where(p), p.message) for p in result.errors]
    warnings = [_problem(_where(p), p.message) for p in result.warnings]
    will_save = not options.dry_run and actor is not None
    checked: list[_Checked] = []
    for number, parsed in enumerate(result.questions, 1):
        location = parsed.location or f"câu {number}"
        warnings += [_problem(w.location or location, w.message) for w in parsed.warnings]
        urls = _store_attachments(parsed, save=False)
        try:
            payload = validate_payload(_rewrite_files(parsed.payload, urls))
        except (PayloadError, KeyError, TypeError, ValueError) as error:
            errors.append(_problem(location, error))
            continue
        checked.append(_Checked(parsed, payload, dedupe_key(payload), location))
    report = {"file": filename, "format": fmt, "questions": len(checked),
              "by_type": dict(Counter(c.payload["type"] for c in checked)),
              "errors": errors, "warnings": warnings, "duplicates": 0, "saved": False}
    fresh = _drop_duplicates(actor, checked, options, report)
    if not will_save or (errors and not options.only_valid):
        return report
    if options.subject_id is None or options.grade is None:
        raise DomainError(_l("Cần chọn môn học và khối lớp cho các câu hỏi nhập vào."),
                          code="meta_required")
    for item in fresh:
        _store_attachments(item.parsed, save=True)
    _save_imported(actor, fresh, options, filename)
    report["saved"] = True
    return report


def _drop_duplicates(actor, checked: list[_Checked], options: ImportOptions,
                     report: dict) -> list[_Checked]:
    """Questions not already in the bank nor earlier in the file; near duplicates warned."""
    keys = {c.key for c in checked}
    known = set(db.session.scalars(select(Question.dedupe_key).where(
        Question.dedupe_key.in_(keys), _visible_to(actor)))) if keys else set()
    fresh, seen = [], set()
    near = NearDuplicates(actor, options.subject_id, options.grade)
    for item in checked:
        if item.key in known or item.key in seen:
            report["duplicates"] += 1
            continue
        seen.add(item.key)
        fresh.append(item)
        for other_id in near.matches(item.payload, item.key):
            report["warnings"].append(_problem(item.location, str(_l(
                "Gần trùng với câu hỏi đã có: %(url)s", url=question_link(other_id)))))
    return fresh


def _save_imported(actor, items: list[_Checked], options: ImportOptions,
                   filename: str) -> list[Question]:
    """Create the (already validated) questions as drafts in a few bulk statements."""
    school_id = _author_school(actor)
    source = filename[:300]
    questions = [Question(type=i.payload["type"], subject_id=options.subject_id,
                          grade=options.grade, author_id=actor.id, school_id=school_id,
                          source=source, dedupe_key=i.key) for i in items]
    db.session.add_all(questions)
    db.session.flush()
    note = f"nhập từ tệp {filename}"[:300]
    versions = [QuestionVersion(question_id=q.id, number=1, schema=i.payload.get("schema", 1),
                                payload=i.payload, created_by_id=actor.id, note=note)
                for q, i in zip(questions, items, strict=True)]
    db.session.add_all(versions)
    db.session.flush()
    tag_rows = []
    for question, version, item in zip(questions, versions, items, strict=True):
        question.current_version_id = version.id
        tag_rows += [{"question_id": question.id, "tag": t} for t in clean_tags(item.parsed.tags)]
        mark_changed(question)
    if tag_rows:
        db.session.execute(insert(question_tag), tag_rows)
    db.session.flush()
    return questions


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

    payload = question.current_version.payload if question.current_version else {}
    subject = db.session.get(Subject, question.subject_id)
    return {"id": question.id, "type": question.type,
            "text_html": payload.get("text_html", ""),
            "text": question_search.question_text(payload) if payload else "",
            "subject": subject.code if subject else None, "grade": question.grade,
            "level": question.level_id, "topic": question.topic_id,
            "status": question.status.value, "author_id": question.author_id,
            "school_id": question.school_id,
            "tags": tags if tags is not None else tags_of([question.id])[question.id],
            "version": question.current_version.number if question.current_version else None}


def export_questions(fmt: str, subject_id: int | None = None, grade: int | None = None,
                     status: str = "approved") -> tuple[str | bytes, int]:
    """(file content, count) of the questions matching the filters, in ``fmt`` (operator use)."""
    available = exporters()
    if fmt not in available:
        raise DomainError(_l("Định dạng %(fmt)s chưa được hỗ trợ để xuất (hiện có: %(have)s).",
                             fmt=fmt, have=", ".join(sorted(available))),
                          code="format_unavailable")
    query = (select(QuestionVersion.payload)
             .join(Question, Question.current_version_id == QuestionVersion.id)
             .where(Question.status == QuestionStatus(status)).order_by(Question.id))
    if subject_id is not None:
        query = query.where(Question.subject_id == subject_id)
    if grade is not None:
        query = query.where(Question.grade == grade)
    payloads = list(db.session.scalars(query))
    try:
        return available[fmt](payloads), len(payloads)
    except qformats.ExportError as error:
        raise DomainError(str(error), code="export_failed") from None


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
    return QuestionMeta(subject_id=subject_by_code(data.get("subject")).id, grade=grade,
                        topic_id=data.get("topic_id"), level_id=data.get("level_id"),
                        licence=data.get("licence") or "CC BY-SA 4.0",
                        source=data.get("source") or "", tags=list(data.get("tags") or []))


def question_detail(actor, question: Question) -> dict:
    """The question as this actor may see it: the full teacher view for its author and its
    reviewers, the student view (no keys, no feedback) for everyone else allowed to see it."""
    from lms.auth.permissions import can

    require(actor, "question.view", question)
    from question_bank import student_view, teacher_view

    payload = question.current_version.payload
    full = can(actor, "question.edit", question) or can(actor, "question.review", question) \
        or question.author_id == actor.id
    detail = question_summary(question)
    detail.update({
        "view": "teacher" if full else "student",
        "payload": teacher_view(payload) if full else student_view(payload),
        "review_comment": question.review_comment if full else "",
        "versions": [{"number": v.number, "created_at": v.created_at.isoformat(),
                      "note": v.note} for v in question.versions] if full else [],
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


# ---------------------------------------------------------------- import preview (HTML)

_TOKEN = re.compile(r"^[a-f0-9]{40}$")


def _upload_key(actor, token: str) -> str:
    if not _TOKEN.match(token or ""):
        from lms.core.errors import NotFound

        raise NotFound(_l("Không tìm thấy tệp đã tải lên; hãy tải lại tệp."))
    return f"question-imports/{actor.id}/{token}"


def stash_upload(actor, data: bytes) -> str:
    """Keep an uploaded file server-side until the teacher confirms; returns its token."""
    import io
    import secrets

    from lms.core.storage import storage

    require(actor, "question.create")
    if len(data) > MAX_IMPORT_BYTES:
        raise DomainError(_l("Tệp quá lớn (tối đa %(mb)d MB).",
                             mb=MAX_IMPORT_BYTES // (1024 * 1024)), code="file_too_large")
    token = secrets.token_hex(20)
    storage().put_stream(_upload_key(actor, token), io.BytesIO(data), len(data))
    return token


def stashed_upload(actor, token: str) -> bytes:
    """The bytes of the actor's own stashed upload (another user's token is not found)."""
    from lms.core.storage import storage
    from media import FileMissing

    try:
        with storage().open(_upload_key(actor, token)) as handle:
            return handle.read()
    except FileMissing:
        from lms.core.errors import NotFound

        raise NotFound(_l("Không tìm thấy tệp đã tải lên; hãy tải lại tệp.")) from None


def discard_upload(actor, token: str) -> None:
    from lms.core.storage import storage

    storage().delete(_upload_key(actor, token))


def preview_import(actor, data: bytes, filename: str, options: ImportOptions) -> dict:
    """The dry-run report plus every valid question as a student will see it."""
    from question_bank import student_view

    dry = ImportOptions(subject_id=options.subject_id, grade=options.grade, fmt=options.fmt,
                        dry_run=True)
    report = import_questions(actor, data, filename, dry)
    _fmt, result = parse_import(data, filename, report["format"])
    shown = []
    for number, parsed in enumerate(result.questions, 1):
        try:
            # Images are stored already (content-addressed), so the preview shows them.
            payload = validate_payload(_rewrite_files(
                parsed.payload, _store_attachments(parsed, save=True)))
        except (PayloadError, KeyError, TypeError, ValueError):
            continue
        shown.append({"location": parsed.location or f"câu {number}", "type": payload["type"],
                      "view": student_view(payload)})
    return {"report": report, "questions": shown}


def xlsx_template() -> bytes | None:
    """The empty XLSX question template (question_bank.formats.build_template), or None while
    the XLSX format is not installed."""
    build = getattr(qformats, "build_template", None)
    return build() if callable(build) else None


def approve_many(actor, question_ids) -> tuple[int, list[str]]:
    """Approve several submitted questions (review queue bulk action): (approved count,
    messages for the ones that could not be approved, which are left as they were)."""
    approved, problems = 0, []
    for question_id in sorted({int(i) for i in question_ids})[:200]:
        question = db.session.get(Question, question_id)
        if question is None:
            continue
        try:
            with db.session.begin_nested():
                approve(actor, question)
            approved += 1
        except DomainError as error:
            problems.append(f"#{question_id}: {error.message}")
    return approved, problems
