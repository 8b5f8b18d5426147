"""What every importer returns: parsed questions, errors and warnings, each with a location.

A location is human ("dòng 12") and machine (``line=12``); messages are Vietnamese and say
what was expected. ``code`` names the matching Moodle message (``errfractionsaddwrong``,
``questionnotstarted`` …) so behaviour can be compared with Moodle's own tests.
"""

from __future__ import annotations

from dataclasses import dataclass, field


def line_location(line: int | None) -> str:
    """'dòng 12' for a line number, '' when the line is unknown."""
    return f"dòng {line}" if line else ""


@dataclass(frozen=True)
class Problem:
    """One error or warning found while reading a file."""

    location: str
    message: str
    line: int | None = None
    code: str = ""
    question: str | None = None

    @classmethod
    def at(cls, line: int | None, code: str, message: str, question: str | None = None):
        """A problem at ``line`` (1-based) of the file."""
        return cls(line_location(line), message, line, code, question)

    def __str__(self) -> str:
        where = f"{self.location}: " if self.location else ""
        name = f"[{self.question}] " if self.question else ""
        return f"{where}{name}{self.message}"


@dataclass(frozen=True)
class Attachment:
    """A file embedded in the import (Moodle XML base64 ``<file>``); the HTML refers to it
    as ``@@PLUGINFILE@@/<name>`` until the caller stores it and rewrites the reference."""

    name: str
    data: bytes


@dataclass
class ParsedQuestion:
    """One question read from a file: a payload (docs/question-payloads.md) plus metadata."""

    payload: dict
    title: str
    category: str | None = None
    tags: list[str] = field(default_factory=list)
    location: str = ""
    warnings: list[Problem] = field(default_factory=list)
    line: int | None = None
    idnumber: str | None = None
    attachments: list[Attachment] = field(default_factory=list)
    #: Bank metadata the file gives (XLSX template): subject, grade (int), level, topic —
    #: as written in the file; the caller resolves them to its own rows.
    metadata: dict = field(default_factory=dict)


@dataclass(frozen=True)
class Category:
    """A category declared in the file ("$course$/A/B" is read as path ``A/B``)."""

    path: str
    info_html: str = ""
    idnumber: str | None = None


@dataclass
class ImportResult:
    """Everything an importer found. Nothing is saved: the caller shows a preview first."""

    questions: list[ParsedQuestion] = field(default_factory=list)
    errors: list[Problem] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)
    categories: list[Category] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """True when at least one question was read and nothing failed."""
        return bool(self.questions) and not self.errors


class ExportError(ValueError):
    """A payload cannot be written in the requested format (the message says which one)."""
