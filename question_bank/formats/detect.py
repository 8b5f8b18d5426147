"""Which importer a file needs, from its name and first bytes."""

from __future__ import annotations

import re

_AIKEN_ANSWER = re.compile(rb"^\s*ANSWER:\s*[A-Z]\s*$", re.M)
_GIFT_SYNTAX = re.compile(rb"(^|\n)\s*(::|//|\$CATEGORY:)|\{[^{}]*\}")


def detect_format(filename: str, head_bytes: bytes) -> str | None:
    """'gift', 'aiken', 'moodlexml', 'qti', 'docx', 'xlsx' or None when unrecognised.

    Content wins over the extension for text files (teachers save GIFT and Aiken as .txt)
    and for Word files (a zip whose first entries include word/document.xml)."""
    name = (filename or "").lower()
    head = head_bytes.lstrip(b"\xef\xbb\xbf \t\r\n")
    if head.startswith(b"PK"):
        if b"word/document.xml" in head_bytes or b"word/_rels" in head_bytes:
            return "docx"
        return {".docx": "docx", ".xlsx": "xlsx"}.get(name[name.rfind("."):]) or _zip_kind(head)
    if head.startswith(b"<"):
        if b"<quiz" in head_bytes:
            return "moodlexml"
        if b"imsqti" in head_bytes or b"assessmentItem" in head_bytes:
            return "qti"
        return "moodlexml" if name.endswith(".xml") else None
    if name.endswith(".gift"):
        return "gift"
    if _AIKEN_ANSWER.search(head_bytes):
        return "aiken"
    if _GIFT_SYNTAX.search(head_bytes):
        return "gift"
    return None


def _zip_kind(head: bytes) -> str:
    """A zip without a telling extension: Office parts name the format (entry names are in
    the local headers), anything else is read as a QTI content package."""
    if b"word/" in head:
        return "docx"
    if b"xl/" in head:
        return "xlsx"
    return "qti"
