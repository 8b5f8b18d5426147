"""Import and export of question files: GIFT, Aiken, Moodle XML.

Pure parsing: bytes in, payloads (docs/question-payloads.md) out, with per-question errors
and warnings located by line; nothing touches the database.
"""

from question_bank.formats.aiken import export_aiken, parse_aiken
from question_bank.formats.gift import parse_gift
from question_bank.formats.moodlexml import parse_moodlexml
from question_bank.formats.result import (
    Attachment,
    Category,
    ExportError,
    ImportResult,
    ParsedQuestion,
    Problem,
)

__all__ = [
    "Attachment",
    "Category",
    "ExportError",
    "ImportResult",
    "ParsedQuestion",
    "Problem",
    "export_aiken",
    "parse_aiken",
    "parse_gift",
    "parse_moodlexml",
]
