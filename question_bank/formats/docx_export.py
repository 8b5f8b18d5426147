"""Printable Word (.docx) export of questions, in the conventions ``read_docx`` reads back.

Layout (product.md §7, the 2025 exam format): questions are grouped into parts — PHẦN I
choice questions, PHẦN II ``true_false_4``, PHẦN III short answers, then essays and the other
types — each part numbered from "Câu 1.". Options are "A." … on their own lines (four or two
per line when they are short), statements "a)" … "d)", short answers get four empty answer
boxes (2025 format) or a dotted line, essays dotted lines, matching a two-column table,
ordering a list, cloze gaps numbered blanks, a shared stimulus its passage and then its
sub-questions. Nothing in the question pages marks the answer; the optional key at the end
("ĐÁP ÁN", one "PHẦN …" line per part, tokens "1-A", "1. a) Đ, b) S, c) Đ, d) S", "1. 27,5")
and the solutions ("LỜI GIẢI") follow. Formulas are Word equations (see ``docx_flow``).

``export_docx(items)`` is the format registry's exporter; ``QuestionWriter`` and
``write_answer_key`` are shared with the paper (mã đề) export of tests.
"""

from __future__ import annotations

import html
import io
import re
from dataclasses import dataclass, field

from docx import Document
from docx.enum.section import WD_ORIENT
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_TAB_ALIGNMENT, WD_TAB_LEADER
from docx.oxml.ns import qn
from docx.shared import Cm, Pt

from .docx_answers import (
    LETTERS,
    answer_text,
    letter,
    option_ids,
    right_column,
    sorted_items,
)
from .docx_flow import Flow, ImageLoader, set_spacing
from .export_common import unpack
from .markup import html_to_text

FONT = "Times New Roman"
TEXT_WIDTH = Cm(17)
#: Part kinds in paper order, with the title the importer recognises by its words.
PART_TITLES = {
    "choice": "Câu trắc nghiệm nhiều phương án lựa chọn",
    "tf4": "Câu trắc nghiệm đúng sai",
    "short": "Câu trắc nghiệm trả lời ngắn",
    "other": "Tự luận và các dạng câu hỏi khác",
}
PART_KINDS = tuple(PART_TITLES)
_KIND_OF_TYPE = {"single_choice": "choice", "multiple_response": "choice",
                 "true_false": "choice", "true_false_4": "tf4", "short_numeric": "short",
                 "short_text": "short"}
ROMAN = ("I", "II", "III", "IV", "V", "VI")
_MARKER = re.compile(r"\[\[([A-Za-z0-9_-]{1,32})\]\]")


def part_kind(payload: dict) -> str:
    """The part a question belongs to: choice, tf4, short or other."""
    return _KIND_OF_TYPE.get(payload.get("type", ""), "other")


@dataclass
class PaperItem:
    """One numbered question of a part: its payload and the order its options are shown in
    (option ids; None → stored order)."""

    number: int
    payload: dict
    option_order: list[str] | None = None


@dataclass
class Part:
    label: str
    kind: str
    items: list[PaperItem] = field(default_factory=list)

    @property
    def heading(self) -> str:
        return f"PHẦN {self.label}. {PART_TITLES[self.kind]}"


def group_parts(entries: list[tuple[dict, list[str] | None]]) -> list[Part]:
    """(payload, option order) in paper order → parts in the 2025 order, each numbered from 1
    (a question keeps its relative order inside its part)."""
    by_kind: dict[str, list] = {kind: [] for kind in PART_KINDS}
    for payload, order in entries:
        by_kind[part_kind(payload)].append((payload, order))
    parts = []
    for kind in PART_KINDS:
        if by_kind[kind]:
            part = Part(ROMAN[len(parts)], kind)
            number = 0
            for payload, order in by_kind[kind]:
                number += payload.get("type") != "description"  # information takes no number
                part.items.append(PaperItem(number, payload, order))
            parts.append(part)
    return parts


# ---------------------------------------------------------------- document


def new_document(landscape: bool = False) -> Document:
    """An A4 document with 2 cm margins in Times New Roman 12 (Vietnamese exam paper)."""
    document = Document()
    section = document.sections[0]
    section.page_width, section.page_height = Cm(21), Cm(29.7)
    if landscape:
        section.orientation = WD_ORIENT.LANDSCAPE
        section.page_width, section.page_height = Cm(29.7), Cm(21)
    for side in ("left_margin", "right_margin", "top_margin", "bottom_margin"):
        setattr(section, side, Cm(2))
    normal = document.styles["Normal"]
    normal.font.name = FONT
    normal.font.size = Pt(12)
    normal.element.get_or_add_rPr().get_or_add_rFonts().set(qn("w:eastAsia"), FONT)
    normal.paragraph_format.space_after = Pt(2)
    return document


def document_bytes(document) -> bytes:
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def centered(document, text: str, bold: bool = True, size: float | None = None):
    paragraph = set_spacing(document.add_paragraph())
    paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
    run = paragraph.add_run(text)
    run.bold = bold
    if size:
        run.font.size = Pt(size)
    return paragraph


def dotted_line(container) -> None:
    """A line of dots across the text column (an empty line to write on)."""
    paragraph = set_spacing(container.add_paragraph(), after=4)
    paragraph.paragraph_format.tab_stops.add_tab_stop(TEXT_WIDTH, WD_TAB_ALIGNMENT.RIGHT,
                                                      WD_TAB_LEADER.DOTS)
    paragraph.add_run("\t")


# ---------------------------------------------------------------- questions


class QuestionWriter:
    """Writes numbered questions (student view: nothing marks the answer) into a document."""

    def __init__(self, document, images: ImageLoader | None = None):
        self.document = document
        self.images = images

    def flow(self, html_text: str, paragraph=None, container=None):
        return Flow(container or self.document, self.images, paragraph).write(html_text)

    def part_heading(self, part: Part, note: str = "") -> None:
        paragraph = set_spacing(self.document.add_paragraph(), after=4)
        paragraph.paragraph_format.space_before = Pt(8)
        paragraph.add_run(f"PHẦN {part.label}. ").bold = True
        paragraph.add_run(PART_TITLES[part.kind] + ("." if not note else ". ")).bold = True
        if note:
            paragraph.add_run(note).italic = True

    def question(self, number: int, payload: dict, order: list[str] | None = None,
                 label: str | None = None) -> None:
        """"Câu N." then the stem and what the type needs below it."""
        kind = payload["type"]
        if kind == "description":
            self.flow(payload.get("text_html", ""))
            return
        paragraph = set_spacing(self.document.add_paragraph())
        paragraph.paragraph_format.space_before = Pt(4)
        paragraph.add_run(f"{label or 'Câu'} {number}. ").bold = True
        stem = payload.get("text_html", "")
        if kind == "cloze":
            stem = cloze_stem(payload)
        self.flow(stem, paragraph)
        getattr(self, f"_{kind}", self._nothing)(payload, order)

    def _nothing(self, payload: dict, order) -> None:
        return None

    def _single_choice(self, payload: dict, order) -> None:
        by_id = {o["id"]: o for o in payload["options"]}
        self.options([by_id[i]["text_html"] for i in option_ids(payload, order)])

    _multiple_response = _single_choice

    def _true_false(self, payload: dict, order) -> None:
        self.options(["Đúng", "Sai"])

    def options(self, texts: list[str]) -> None:
        """Options "A." …: four per line when all are short, two when fairly short."""
        plain = [html_to_text(t) for t in texts]
        simple = all("<img" not in t and "<table" not in t and "<p" not in t for t in texts)
        longest = max((len(p) for p in plain), default=0)
        per_line = 4 if simple and longest <= 18 else 2 if simple and longest <= 40 else 1
        step = TEXT_WIDTH / per_line
        for start in range(0, len(texts), per_line):
            paragraph = set_spacing(self.document.add_paragraph())
            paragraph.paragraph_format.left_indent = Cm(0.5)
            for column in range(1, per_line):
                paragraph.paragraph_format.tab_stops.add_tab_stop(int(step * column))
            for offset, text in enumerate(texts[start:start + per_line]):
                if offset:
                    paragraph.add_run("\t")
                paragraph.add_run(f"{LETTERS[start + offset]}. ").bold = True
                self.flow(text, paragraph)

    def _true_false_4(self, payload: dict, order) -> None:
        for statement in payload["statements"]:
            paragraph = set_spacing(self.document.add_paragraph())
            paragraph.paragraph_format.left_indent = Cm(0.5)
            paragraph.add_run(f"{statement['id']}) ").bold = True
            self.flow(statement["text_html"], paragraph)

    def _short_numeric(self, payload: dict, order) -> None:
        if payload.get("format_2025"):
            answer_boxes(self.document)
        else:
            dotted_line(self.document)

    def _short_text(self, payload: dict, order) -> None:
        dotted_line(self.document)

    def _essay(self, payload: dict, order) -> None:
        lines = 8 if not payload.get("min_words") else min(30, max(4, payload["min_words"] // 12))
        for _ in range(lines):
            dotted_line(self.document)

    def _matching(self, payload: dict, order) -> None:
        rights = right_column(payload)
        rows = max(len(payload["pairs"]), len(rights))
        table = self.document.add_table(rows=rows, cols=2)
        table.style = "Table Grid"
        for index in range(rows):
            if index < len(payload["pairs"]):
                cell = table.cell(index, 0)
                cell.paragraphs[0].add_run(f"{index + 1}) ").bold = True
                self.flow(payload["pairs"][index]["left_html"], cell.paragraphs[0], cell)
            if index < len(rights):
                cell = table.cell(index, 1)
                cell.paragraphs[0].add_run(f"{letter(index)}) ").bold = True
                self.flow(rights[index], cell.paragraphs[0], cell)

    def _ordering(self, payload: dict, order) -> None:
        for index, item in enumerate(sorted_items(payload["items"])):
            paragraph = set_spacing(self.document.add_paragraph())
            paragraph.paragraph_format.left_indent = Cm(0.5)
            paragraph.add_run(f"{letter(index)}) ").bold = True
            self.flow(item["text_html"], paragraph)

    def _stimulus(self, payload: dict, order) -> None:
        for medium in payload.get("media", []):
            if medium.get("kind") == "image":
                self.flow(f'<img src="{html.escape(medium["key"])}" alt="">')
        count = len(payload["children"])
        note = set_spacing(self.document.add_paragraph())
        note.add_run(f"Dựa vào thông tin trên, trả lời {count} câu hỏi sau.").italic = True
        for index, child in enumerate(payload["children"], 1):
            self.question(index, child, None, label="Ý")


def cloze_stem(payload: dict) -> str:
    """Gap markers → numbered blanks; a dropdown gap lists its choices (sorted by text)."""
    numbers = {gap["id"]: (n, gap) for n, gap in enumerate(payload["gaps"], 1)}

    def blank(match: re.Match) -> str:
        number, gap = numbers[match.group(1)]
        text = f"({number}) …………"
        if gap["kind"] == "dropdown":
            choices = sorted(o["text"] for o in gap["options"])
            text += " (" + " / ".join(html.escape(c) for c in choices) + ")"
        return text

    return _MARKER.sub(blank, payload.get("text_html", ""))


def answer_boxes(container, count: int = 4) -> None:
    """Four empty boxes to write a 2025 short answer in (one character each)."""
    table = container.add_table(rows=1, cols=count)
    table.style = "Table Grid"
    table.alignment = WD_TABLE_ALIGNMENT.LEFT
    for cell in table.rows[0].cells:
        cell.width = Cm(0.9)
    table.rows[0].height = Cm(0.9)


# ---------------------------------------------------------------- answer key


def write_answer_key(document, parts: list[Part], title: str = "ĐÁP ÁN",
                     solutions: bool = True, images: ImageLoader | None = None) -> None:
    """"ĐÁP ÁN" and, per part, a "PHẦN …" line and a table of tokens the importer reads
    ("1-A", "1. a) Đ, b) S, c) Đ, d) S"; short answers in a "Câu | 1 | 2" over "Đáp án | 27,5"
    grid); then the solutions ("LỜI GIẢI")."""
    centered(document, title, size=13)
    for part in parts:
        set_spacing(document.add_paragraph()).add_run(f"PHẦN {part.label}").bold = True
        if part.kind == "short":
            _grid(document, [(str(i.number), answer_text(i.payload)) for i in part.items])
            continue
        tokens = [key_token(part.kind, item) for item in part.items]
        tokens = [t for t in tokens if t]
        if tokens:
            _token_table(document, tokens, {"choice": 5, "tf4": 2, "short": 4}.get(part.kind, 1))
    if solutions:
        _solutions(document, parts, images)


def key_token(kind: str, item: PaperItem) -> str:
    """One question's entry in the key, written so ``read_docx`` reads it back."""
    if item.payload.get("type") == "description":
        return ""
    answer = answer_text(item.payload, item.option_order)
    if kind == "choice":
        return f"{item.number}-{answer}" if answer else ""
    if kind == "tf4":
        return f"{item.number}. " + ", ".join(f"{letter}) {value}"
                                              for letter, value in zip("abcd", answer,
                                                                       strict=True))
    if kind == "short":
        return f"{item.number}. {answer}"
    if not answer:
        return ""
    # no "1-a" / "Câu 1: a" pattern, so this part's key is never misread as a letter answer
    return f"Câu {item.number} – {answer}"


def _grid(document, pairs: list[tuple[str, str]], per_table: int = 8) -> None:
    """"Câu | 1 | 2 …" over "Đáp án | 27,5 | …" (short answers may hold spaces)."""
    for start in range(0, len(pairs), per_table):
        chunk = pairs[start:start + per_table]
        table = document.add_table(rows=2, cols=len(chunk) + 1)
        table.style = "Table Grid"
        table.cell(0, 0).paragraphs[0].add_run("Câu").bold = True
        table.cell(1, 0).paragraphs[0].add_run("Đáp án").bold = True
        for column, (number, answer) in enumerate(chunk, 1):
            table.cell(0, column).paragraphs[0].add_run(number).bold = True
            table.cell(1, column).paragraphs[0].add_run(answer)
        set_spacing(document.add_paragraph(), after=0)


def _token_table(document, tokens: list[str], per_row: int) -> None:
    rows = -(-len(tokens) // per_row)
    table = document.add_table(rows=rows, cols=per_row)
    table.style = "Table Grid"
    for index, token in enumerate(tokens):
        table.cell(index // per_row, index % per_row).paragraphs[0].add_run(token)


def _solutions(document, parts: list[Part], images: ImageLoader | None) -> None:
    written = False
    for part in parts:
        for item in part.items:
            solution = item.payload.get("solution_html", "")
            if not solution.strip():
                continue
            if not written:
                centered(document, "LỜI GIẢI", size=13)
                written = True
            paragraph = set_spacing(document.add_paragraph())
            paragraph.add_run(f"Câu {item.number} (phần {part.label}): ").bold = True
            Flow(document, images, paragraph).write(solution)


# ---------------------------------------------------------------- the format's exporter


def export_docx(items, skip_unsupported: bool = False, answer_key: bool = True,
                images: ImageLoader | None = None, title: str = "") -> bytes:
    """Questions (payload dicts or ParsedQuestions) as a printable .docx; every type prints,
    so ``skip_unsupported`` has nothing to skip (kept for the registry's signature)."""
    entries = [(unpack(item)[0], None) for item in items]
    parts = group_parts(entries)
    document = new_document()
    if title:
        centered(document, title, size=14)
    writer = QuestionWriter(document, images)
    for part in parts:
        writer.part_heading(part)
        for item in part.items:
            writer.question(item.number, item.payload, item.option_order)
    centered(document, "------------- HẾT -------------", bold=False)
    if answer_key and parts:
        document.add_page_break()
        write_answer_key(document, parts, images=images)
    return document_bytes(document)
