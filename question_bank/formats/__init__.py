"""Import and export of question files: GIFT, Aiken, Moodle XML, Word (.docx, read and
printable export), QTI 2.1, XLSX.

Pure parsing: bytes in, payloads (docs/question-payloads.md) out, with per-question errors
and warnings located by line; nothing touches the database.
"""

from question_bank.formats.aiken import export_aiken, parse_aiken
from question_bank.formats.detect import detect_format
from question_bank.formats.docx import read_docx
from question_bank.formats.docx_answers import (
    LETTERS,
    answer_text,
    numeric_text,
    option_ids,
    right_column,
    sorted_items,
)
from question_bank.formats.docx_export import (
    PART_TITLES,
    PaperItem,
    Part,
    QuestionWriter,
    cloze_stem,
    document_bytes,
    export_docx,
    group_parts,
    new_document,
    write_answer_key,
)
from question_bank.formats.export_common import title_for
from question_bank.formats.gift import parse_gift
from question_bank.formats.gift_export import export_gift
from question_bank.formats.moodlexml import parse_moodlexml
from question_bank.formats.moodlexml_export import export_moodlexml
from question_bank.formats.qti import parse_qti
from question_bank.formats.qti_export import export_qti_item, export_qti_package
from question_bank.formats.result import (
    Attachment,
    Category,
    ExportError,
    ImportResult,
    ParsedQuestion,
    Problem,
)
from question_bank.formats.xlsx import build_template, export_xlsx, read_xlsx

__all__ = [
    "Attachment",
    "Category",
    "ExportError",
    "ImportResult",
    "ParsedQuestion",
    "Problem",
    "build_template",
    "detect_format",
    "LETTERS",
    "PART_TITLES",
    "PaperItem",
    "Part",
    "QuestionWriter",
    "answer_text",
    "cloze_stem",
    "document_bytes",
    "export_aiken",
    "export_docx",
    "group_parts",
    "new_document",
    "numeric_text",
    "option_ids",
    "right_column",
    "sorted_items",
    "title_for",
    "write_answer_key",
    "export_gift",
    "export_moodlexml",
    "export_qti_item",
    "export_qti_package",
    "export_xlsx",
    "parse_aiken",
    "parse_gift",
    "parse_moodlexml",
    "read_docx",
    "parse_qti",
    "read_xlsx",
]
