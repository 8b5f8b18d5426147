"""Export from the bank: the ticked questions, or every question matching a search, as GIFT,
Moodle XML, a QTI 2.1 package or a printable .docx (docs/question-bank.md, "Export from the
bank").

Who sees what: only questions the actor may see are exported. A key is written only for a
question whose teacher view the actor may see (its author, its reviewers). The interchange
formats (GIFT, Moodle XML, QTI) carry the key as part of the question, so a question without
a visible key is left out of them and named in ``ExportFile.omitted``; the printable .docx
prints it like a student sees it and leaves it out of the answer key.
"""

from dataclasses import dataclass, field
from datetime import date

from docx.enum.text import WD_ALIGN_PARAGRAPH
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm.attributes import set_committed_value

from lms.auth.permissions import can, require
from lms.core.errors import DomainError, NotFound
from lms.kernel import db
from lms.questions import services, transfer
from question_bank import formats as qformats
from question_bank.models import Question, QuestionVersion

#: At most this many questions per export (ticked or matching a search).
MAX_EXPORT = 2000
#: format → (file extension, media type).
FORMATS = {
    "gift": ("gift", "text/plain; charset=utf-8"),
    "moodlexml": ("xml", "application/xml; charset=utf-8"),
    "qti": ("zip", "application/zip"),
    "docx": ("docx", "application/vnd.openxmlformats-officedocument.wordprocessingml.document"),
}
#: Formats whose questions cannot exist without their key.
KEYED_FORMATS = ("gift", "moodlexml", "qti")


@dataclass
class ExportFile:
    content: bytes
    filename: str
    mimetype: str
    #: Questions written to the file.
    count: int
    #: Left out of an interchange format: the actor may not see their key.
    omitted: list[int] = field(default_factory=list)
    #: Left out: the format cannot express their type.
    unsupported: list[int] = field(default_factory=list)


def check_format(fmt: str) -> str:
    """The format's registry name (``moodle_xml`` → ``moodlexml``), or a 400 naming the formats
    that exist."""
    available = transfer.exporters()
    fmt = transfer.format_name(fmt)
    if fmt not in FORMATS or fmt not in available:
        have = ", ".join(f for f in FORMATS if f in available)
        raise DomainError(_l("Không xuất được theo định dạng \u201c%(fmt)s\u201d; hãy chọn "
                             "một trong: %(have)s.", fmt=str(fmt)[:40], have=have),
                          code="unknown_format", details={"formats": have.split(", ")})
    return fmt


def chosen_questions(actor, ids) -> list[Question]:
    """The ticked questions in the order given; an id the actor may not see is refused like
    one that does not exist (nothing says which)."""
    require(actor, "question.create")
    wanted = list(dict.fromkeys(int(i) for i in ids))
    if not wanted:
        raise DomainError(_l("Hãy chọn ít nhất một câu hỏi."), code="nothing_selected")
    _check_size(len(wanted))
    rows = {q.id: q for q in db.session.scalars(select(Question).where(Question.id.in_(wanted)))}
    missing = [i for i in wanted if i not in rows or not can(actor, "question.view", rows[i])]
    if missing:
        raise NotFound(_l("Không tìm thấy câu hỏi (hoặc bạn không được xem): %(ids)s.",
                          ids=", ".join(f"#{i}" for i in missing[:20])),
                       details={"ids": missing[:100]})
    return [rows[i] for i in wanted]


def matching_questions(actor, q: str = "", filters: dict | None = None,
                       sort: str | None = None) -> list[Question]:
    """Every question of a bank search (what the actor may see), if there are few enough."""
    result = services.search_questions(actor, q, filters or {}, sort=sort, page=1,
                                       per_page=MAX_EXPORT)
    _check_size(result["total"])
    # The index may lag behind a status change: decide on the rows themselves.
    return [item for item in result["items"] if can(actor, "question.view", item)]


def _check_size(count: int) -> None:
    if count > MAX_EXPORT:
        raise DomainError(_l("Có %(n)d câu hỏi; mỗi lần chỉ xuất được tối đa %(max)d câu. "
                             "Hãy lọc hoặc chọn bớt.", n=count, max=MAX_EXPORT),
                          code="too_many", details={"count": count, "max": MAX_EXPORT})


def export_file(actor, fmt: str, questions: list[Question], answer_key: bool = True
                ) -> ExportFile:
    """The file of ``questions`` (already checked as visible) in ``fmt``."""
    require(actor, "question.create")
    fmt = check_format(fmt)
    _load_versions(questions)
    keyed = {q.id for q in questions if services.sees_teacher_view(actor, q)}
    omitted = [q.id for q in questions if q.id not in keyed] if fmt in KEYED_FORMATS else []
    kept = [q for q in questions if q.id not in omitted]
    unsupported = _unsupported(fmt, kept)
    kept = [q for q in kept if q.id not in unsupported]
    if not kept:
        raise DomainError(_l("Không có câu hỏi nào xuất được theo định dạng này (chỉ xuất được "
                             "câu bạn được xem đáp án, và loại câu định dạng này ghi được)."),
                          code="nothing_to_export",
                          details={"omitted": omitted[:100], "unsupported": unsupported[:100]})
    items = transfer.export_items(kept)
    try:
        if fmt == "docx":
            content = _docx(items, kept, keyed, answer_key)
        else:
            content = transfer.exporters()[fmt](items)
    except qformats.ExportError as error:
        raise DomainError(str(error), code="export_failed") from None
    extension, mimetype = FORMATS[fmt]
    suffix = "-kem-dap-an" if fmt == "docx" and answer_key else ""
    return ExportFile(content.encode("utf-8") if isinstance(content, str) else content,
                      f"cau-hoi-{date.today():%Y%m%d}{suffix}.{extension}", mimetype,
                      len(kept), omitted, unsupported)


def _load_versions(questions: list[Question]) -> None:
    """The current versions in a query per 500 questions, set on the questions (instead of
    one lazy load per question)."""
    ids = [q.current_version_id for q in questions if q.current_version_id is not None]
    versions = {}
    for start in range(0, len(ids), 500):
        versions.update((v.id, v) for v in db.session.scalars(select(QuestionVersion).where(
            QuestionVersion.id.in_(ids[start:start + 500]))))
    for question in questions:
        if question.current_version_id in versions:
            set_committed_value(question, "current_version",
                                versions[question.current_version_id])


def _raw_exporter(fmt: str):
    for name in transfer.EXPORTER_FUNCTIONS[fmt]:
        function = getattr(qformats, name, None)
        if callable(function):
            return function
    return None


def _unsupported(fmt: str, questions: list[Question]) -> list[int]:
    """Questions of a type the format cannot express (tried once per type)."""
    exporter = _raw_exporter(fmt)
    sample = {}
    for question in questions:
        sample.setdefault(question.type, question.current_version.payload)
    refused = set()
    for kind, payload in sample.items():
        try:
            exporter([payload])
        except qformats.ExportError:
            refused.add(kind)
    return [q.id for q in questions if q.type in refused]


def _docx(items: list, questions: list[Question], keyed: set[int], answer_key: bool) -> bytes:
    """The printable paper; the answer key lists only the questions whose key the actor may
    see, and a closing note says how many were left out of it."""
    entries = [(item.payload, None) for item in items]
    parts = qformats.group_parts(entries)
    document = qformats.new_document()
    writer = qformats.QuestionWriter(document, transfer.media_bytes)
    for part in parts:
        writer.part_heading(part)
        for item in part.items:
            writer.question(item.number, item.payload, item.option_order)
    paragraph = document.add_paragraph()
    paragraph.add_run("------------- HẾT -------------")
    paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
    if not answer_key:
        return qformats.document_bytes(document)
    allowed = {id(item.payload) for item, q in zip(items, questions, strict=True)
               if q.id in keyed}
    key_parts = [qformats.Part(p.label, p.kind, [i for i in p.items if id(i.payload) in allowed])
                 for p in parts]
    key_parts = [p for p in key_parts if p.items]
    if key_parts:
        document.add_page_break()
        qformats.write_answer_key(document, key_parts, images=transfer.media_bytes)
    hidden = len(questions) - len([q for q in questions if q.id in keyed])
    if hidden:
        document.add_paragraph(str(_l("Ghi chú: đáp án của %(n)d câu không được in vì chỉ tác "
                                      "giả và người duyệt được xem đáp án của chúng.", n=hidden)))
    return qformats.document_bytes(document)
