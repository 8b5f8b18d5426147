"""Import and export of question files: the format registry, the import report of the CLI
contract, embedded files, the preview of the HTML import and operator exports.

Like every service, functions take the acting user, flush and leave the commit to the caller.
"""

import hashlib
import inspect
import io
import re
import secrets
import zipfile
from collections import Counter
from dataclasses import dataclass
from urllib.parse import unquote

from flask_babel import lazy_gettext as _l
from sqlalchemy import insert, select
from sqlalchemy.orm import selectinload

from lms.auth.permissions import require
from lms.core.errors import DomainError, NotFound
from lms.core.storage import storage
from lms.curriculum.models import Subject
from lms.kernel import db
from lms.questions.services import (
    MAX_TITLE,
    NearDuplicates,
    author_school,
    clean_tags,
    dedupe_key,
    mark_changed,
    question_link,
    tags_of,
    title_text,
    visible_condition,
)
from media import FileMissing
from question_bank import PayloadError, foreign_media, student_view, validate_payload
from question_bank import formats as qformats
from question_bank.models import Question, QuestionStatus, QuestionVersion, question_tag

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
#: Other spellings of format names that the CLI and the API accept.
FORMAT_ALIASES = {"moodle_xml": "moodlexml"}
#: Formats whose files name their questions (GIFT ``::name::``, Moodle XML ``<name>``, QTI
#: ``title``); the other importers make up a label from the text, which is not kept as a title.
NAMED_FORMATS = ("gift", "moodlexml", "qti")
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
    """Call with ``skip_unsupported=True`` and the media loader when the exporter takes them
    (the printable .docx embeds the questions' images)."""
    try:
        parameters = inspect.signature(function).parameters
    except (TypeError, ValueError):
        parameters = {}
    extra = {}
    if "skip_unsupported" in parameters:
        extra["skip_unsupported"] = True
    if "images" in parameters:
        extra["images"] = media_bytes
    return (lambda payloads: function(payloads, **extra)) if extra else function


#: Largest picture embedded in a printable export.
MAX_EMBEDDED_IMAGE_BYTES = 10 * 1024 * 1024


def media_bytes(src: str) -> bytes | None:
    """The stored file behind a question's ``/media/<key>`` URL (or a bare storage key), for
    exports that embed pictures; None for anything else (external URLs are never fetched)."""
    key = unquote(src[len("/media/"):] if src.startswith("/media/") else src)
    if not key or "://" in key or key.startswith("/") or ".." in key.split("/"):
        return None
    try:
        with storage().open(key) as handle:
            data = handle.read(MAX_EMBEDDED_IMAGE_BYTES + 1)
    except (FileMissing, OSError, ValueError):
        return None
    return data if len(data) <= MAX_EMBEDDED_IMAGE_BYTES else None


def format_name(fmt: str | None) -> str:
    """The registry name of a format as a user may write it (``moodle_xml`` → ``moodlexml``)."""
    name = (fmt or "").strip().lower()
    return FORMAT_ALIASES.get(name, name)


def resolve_format(fmt: str, filename: str, data: bytes) -> str:
    """The importer to use: the one asked for, or detected from the name and first bytes."""
    available = importers()
    fmt = format_name(fmt)
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
            return urls.get(name) or urls.get(unquote(name)) or match.group(0)
        return _PLUGINFILE.sub(swap, value)
    if isinstance(value, list):
        return [_rewrite_files(v, urls) for v in value]
    if isinstance(value, dict):
        return {k: _rewrite_files(v, urls) for k, v in value.items()}
    return value


def _store_attachments(parsed, save: bool) -> dict:
    """Attachment name → media URL; the files are written only when ``save``."""

    urls = {}
    for attachment in parsed.attachments:
        key = attachment_key(attachment.name, attachment.data)
        if save:
            store = storage()
            if not store.exists(key):
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
    title: str = ""


def foreign_media_warning(url: str) -> str:
    """Why a picture or sound of an imported question is left out: HocLieu shows only files
    kept in its own storage (nothing is fetched from the Internet, nor loaded from it while
    students take a test); the URL is named so the teacher can upload the file."""
    shown = url if len(url) <= 120 else f"{url[:117]}…"
    return str(_l("Đã bỏ hình ảnh/âm thanh không lưu trên HocLieu: %(url)s. HocLieu chỉ hiển "
                  "thị tệp đã tải lên (không tải tệp từ Internet, bài làm không lấy nội dung từ "
                  "trang khác); hãy tải tệp lên trong trình soạn câu hỏi.", url=shown))


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
        warnings += [_problem(_where(w) or location, w.message) for w in parsed.warnings]
        urls = _store_attachments(parsed, save=False)
        raw = _rewrite_files(parsed.payload, urls)
        warnings += [_problem(location, foreign_media_warning(url)) for url in foreign_media(raw)]
        try:
            payload = validate_payload(raw)
        except (PayloadError, KeyError, TypeError, ValueError) as error:
            errors.append(_problem(location, error))
            continue
        title, title_warnings = imported_title(fmt, parsed, payload)
        warnings += [_problem(location, message) for message in title_warnings]
        checked.append(_Checked(parsed, payload, dedupe_key(payload), location, title))
    report = {**empty_report(filename, fmt), "questions": len(checked),
              "by_type": dict(Counter(c.payload["type"] for c in checked)),
              "errors": errors, "warnings": warnings}
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


def empty_report(filename: str, fmt: str | None, error: str | None = None) -> dict:
    """An import report with nothing read: the shape of the CLI contract, with ``error`` as its
    only problem (a file that could not be imported at all)."""
    return {"file": filename, "format": fmt, "questions": 0, "by_type": {},
            "errors": [_problem(filename, error)] if error else [], "warnings": [],
            "duplicates": 0, "saved": False}


def imported_title(fmt: str, parsed, payload: dict) -> tuple[str, list[str]]:
    """(title to keep, warnings) for a parsed question: the name the file gives, for formats
    that name questions — unless it only repeats the start of the text, which is what Moodle
    and our exporters write for a question without a name. Longer than MAX_TITLE is cut."""
    if fmt not in NAMED_FORMATS:
        return "", []
    title = title_text(parsed.title)
    if not title or title == title_text(qformats.title_for(payload, "")):
        return "", []
    if len(title) <= MAX_TITLE:
        return title, []
    return title[:MAX_TITLE], [str(_l("Tên câu hỏi dài %(n)d ký tự, chỉ giữ %(max)d ký tự đầu.",
                                      n=len(title), max=MAX_TITLE))]


def _drop_duplicates(actor, checked: list[_Checked], options: ImportOptions,
                     report: dict) -> list[_Checked]:
    """Questions not already in the bank nor earlier in the file; near duplicates warned."""
    keys = {c.key for c in checked}
    known = set(db.session.scalars(select(Question.dedupe_key).where(
        Question.dedupe_key.in_(keys), visible_condition(actor)))) if keys else set()
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
    school_id = author_school(actor)
    source = filename[:300]
    questions = [Question(type=i.payload["type"], subject_id=options.subject_id,
                          grade=options.grade, author_id=actor.id, school_id=school_id,
                          source=source, dedupe_key=i.key) for i in items]
    db.session.add_all(questions)
    db.session.flush()
    note = f"nhập từ tệp {filename}"[:300]
    versions = [QuestionVersion(question_id=q.id, number=1, schema=i.payload.get("schema", 1),
                                payload=i.payload, title=i.title, created_by_id=actor.id,
                                note=note)
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


def export_questions(fmt: str, subject_id: int | None = None, grade: int | None = None,
                     status: str = "approved") -> tuple[str | bytes, int]:
    """(file content, count) of the questions matching the filters, in ``fmt`` (operator use)."""
    available = exporters()
    if fmt not in available:
        raise DomainError(_l("Định dạng %(fmt)s chưa được hỗ trợ để xuất (hiện có: %(have)s).",
                             fmt=fmt, have=", ".join(sorted(available))),
                          code="format_unavailable")
    query = (select(Question).options(selectinload(Question.current_version))
             .where(Question.status == QuestionStatus(status),
                    Question.current_version_id.is_not(None)).order_by(Question.id))
    if subject_id is not None:
        query = query.where(Question.subject_id == subject_id)
    if grade is not None:
        query = query.where(Question.grade == grade)
    questions = list(db.session.scalars(query))
    try:
        return available[fmt](export_items(questions)), len(questions)
    except qformats.ExportError as error:
        raise DomainError(str(error), code="export_failed") from None


def export_items(questions: list[Question]) -> list:
    """ParsedQuestions of the questions' current versions with the bank's metadata: the title,
    category "<subject>/Khối N", tags, and an id number ``hoclieu-<id>`` (Moodle keeps it)."""
    tags = tags_of([q.id for q in questions])
    subjects = {s.id: s.name for s in db.session.scalars(select(Subject).where(
        Subject.id.in_({q.subject_id for q in questions})))}
    return [qformats.ParsedQuestion(
        payload=q.current_version.payload, title=q.current_version.title,
        category=f"{subjects.get(q.subject_id, '')}/Khối {q.grade}".lstrip("/"),
        tags=tags[q.id], idnumber=f"hoclieu-{q.id}") for q in questions]




_TOKEN = re.compile(r"^[a-f0-9]{40}$")


def _upload_key(actor, token: str) -> str:
    if not _TOKEN.match(token or ""):
        raise NotFound(_l("Không tìm thấy tệp đã tải lên; hãy tải lại tệp."))
    return f"question-imports/{actor.id}/{token}"


def stash_upload(actor, data: bytes) -> str:
    """Keep an uploaded file server-side until the teacher confirms; returns its token."""


    require(actor, "question.create")
    if len(data) > MAX_IMPORT_BYTES:
        raise DomainError(_l("Tệp quá lớn (tối đa %(mb)d MB).",
                             mb=MAX_IMPORT_BYTES // (1024 * 1024)), code="file_too_large")
    token = secrets.token_hex(20)
    storage().put_stream(_upload_key(actor, token), io.BytesIO(data), len(data))
    return token


def stashed_upload(actor, token: str) -> bytes:
    """The bytes of the actor's own stashed upload (another user's token is not found)."""

    try:
        with storage().open(_upload_key(actor, token)) as handle:
            return handle.read()
    except FileMissing:
        raise NotFound(_l("Không tìm thấy tệp đã tải lên; hãy tải lại tệp.")) from None


def discard_upload(actor, token: str) -> None:

    storage().delete(_upload_key(actor, token))


def preview_import(actor, data: bytes, filename: str, options: ImportOptions) -> dict:
    """The dry-run report plus every valid question as a student will see it."""
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
                      "title": imported_title(report["format"], parsed, payload)[0],
                      "view": student_view(payload)})
    return {"report": report, "questions": shown}


def xlsx_template() -> bytes | None:
    """The empty XLSX question template (question_bank.formats.build_template), or None while
    the XLSX format is not installed."""
    build = getattr(qformats, "build_template", None)
    return build() if callable(build) else None
