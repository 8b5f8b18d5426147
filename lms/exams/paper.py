"""Paper mode (issue 4 §4): printed test papers per mã đề, answer keys, the 2025 answer sheet.

Pure functions over plain values — the exam title, a list of (slot, payload, option order)
and a variant code — so any variant structure plugs in: a variant is anything with ``code``,
``order`` (slots in paper order) and ``option_order`` (``{"<slot>": [option id, …]}`` in
stored option ids; a slot it does not name keeps the stored order). Until variants exist the
fixed paper is code "000" in snapshot order (``fixed_variant``).

Questions are laid out in the 2025 parts (PHẦN I choice, II true/false a)–d), III short
answers, then anything else), each numbered from 1, by ``question_bank.formats`` — the same
writer as the bank's printable export. PDFs are the HTML renderings printed by Chromium
(``lms.core.pdf``).
"""

from __future__ import annotations

import base64
import csv
import html
import io
import re
from dataclasses import dataclass, field
from pathlib import Path

from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from jinja2 import Environment, FileSystemLoader, select_autoescape
from markupsafe import Markup

from lms.core.pdf import CSP
from question_bank import formats as qformats
from question_bank import render_math

#: The instructions of the 2025 format, after each part's title (n: the part's last number).
INSTRUCTIONS = {
    "choice": "Thí sinh trả lời từ câu 1 đến câu {n}. Mỗi câu hỏi thí sinh chỉ chọn một "
              "phương án.",
    "tf4": "Thí sinh trả lời từ câu 1 đến câu {n}. Trong mỗi ý a), b), c), d) ở mỗi câu, thí "
           "sinh chọn đúng hoặc sai.",
    "short": "Thí sinh trả lời từ câu 1 đến câu {n}.",
    "other": "Thí sinh trình bày bài làm từ câu 1 đến câu {n}.",
}
KEY_CSV_HEADER = ("ma_de", "phan", "cau", "dap_an")
_TEMPLATES = Environment(
    loader=FileSystemLoader(Path(__file__).resolve().parent.parent / "templates" / "exams"),
    autoescape=select_autoescape(["html"]), trim_blocks=True, lstrip_blocks=True)
_IMG = re.compile(r'<img\b[^>]*?\bsrc="([^"]*)"[^>]*>', re.IGNORECASE)
_IMAGE_TYPES = {b"\x89PNG": "image/png", b"\xff\xd8\xff": "image/jpeg", b"GIF8": "image/gif"}


@dataclass(frozen=True)
class Variant:
    """One mã đề: its code, slot order and option order per slot (stored option ids)."""

    code: str
    order: list[int]
    option_order: dict[str, list[str]] = field(default_factory=dict)


@dataclass
class PaperHeader:
    """What the top of the paper says."""

    title: str
    code: str = "000"
    subject: str = ""
    minutes: int | None = None
    authority: str = "SỞ GIÁO DỤC VÀ ĐÀO TẠO"
    school: str = ""
    school_year: str = ""


def fixed_variant(snapshot: list[dict]) -> Variant:
    """The fixed paper: code "000", snapshot order, options as stored."""
    return Variant("000", [entry["slot"] for entry in snapshot], {})


def entries_for(snapshot: list[dict], variant) -> list[tuple[int, dict, list[str] | None]]:
    """(slot, payload, option order) in the variant's order (slots it omits are left out)."""
    by_slot = {entry["slot"]: entry for entry in snapshot}
    options = {str(k): v for k, v in (getattr(variant, "option_order", None) or {}).items()}
    return [(slot, by_slot[slot]["payload"], options.get(str(slot)))
            for slot in variant.order if slot in by_slot]


def parts_of(entries) -> list:
    """The 2025 parts of a paper (``question_bank.formats.Part``)."""
    return qformats.group_parts([(payload, order) for _slot, payload, order in entries])


def _last_number(part) -> int:
    return max((item.number for item in part.items), default=0)


# ---------------------------------------------------------------- .docx


def paper_docx(header: PaperHeader, entries, images=None) -> bytes:
    """The test paper of one mã đề as .docx."""
    document = qformats.new_document()
    _docx_header(document, header)
    writer = qformats.QuestionWriter(document, images)
    for part in parts_of(entries):
        writer.part_heading(part, INSTRUCTIONS[part.kind].format(n=_last_number(part)))
        for item in part.items:
            writer.question(item.number, item.payload, item.option_order)
    _page_footer(document, header.code)
    paragraph = document.add_paragraph("------------- HẾT -------------")
    paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
    note = document.add_paragraph("Thí sinh không được sử dụng tài liệu. Cán bộ coi thi không "
                                  "giải thích gì thêm.")
    note.alignment = WD_ALIGN_PARAGRAPH.CENTER
    note.runs[0].italic = True
    return qformats.document_bytes(document)


def _docx_header(document, header: PaperHeader) -> None:
    table = document.add_table(rows=1, cols=2)
    left, right = table.rows[0].cells
    _cell_lines(left, [(header.authority, True), (header.school.upper(), True),
                       ("ĐỀ CHÍNH THỨC", True)])
    minutes = (f"Thời gian làm bài: {header.minutes} phút, không kể thời gian phát đề"
               if header.minutes else "")
    _cell_lines(right, [(header.title.upper(), True), (header.school_year, False),
                        (f"Môn: {header.subject}" if header.subject else "", True),
                        (minutes, False)])
    document.add_paragraph()
    info = document.add_table(rows=1, cols=2)
    info.rows[0].cells[0].paragraphs[0].add_run(
        "Họ, tên thí sinh: ..........................................\n"
        "Số báo danh: ...................................................")
    code = info.rows[0].cells[1].paragraphs[0]
    code.alignment = WD_ALIGN_PARAGRAPH.RIGHT
    code.add_run(f"Mã đề: {header.code}").bold = True
    document.add_paragraph()


def _page_footer(document, code: str) -> None:
    """"Trang 1/4 – Mã đề 123" at the foot of every page (Word fills the numbers)."""
    paragraph = document.sections[0].footer.paragraphs[0]
    paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
    paragraph.add_run("Trang ").italic = True
    _field(paragraph, "PAGE")
    paragraph.add_run("/").italic = True
    _field(paragraph, "NUMPAGES")
    paragraph.add_run(f" – Mã đề {code}").italic = True


def _field(paragraph, instruction: str) -> None:
    field_element = OxmlElement("w:fldSimple")
    field_element.set(qn("w:instr"), instruction)
    run = OxmlElement("w:r")
    text = OxmlElement("w:t")
    text.text = "1"
    run.append(text)
    field_element.append(run)
    paragraph._p.append(field_element)


def _cell_lines(cell, lines) -> None:
    first = True
    for text, bold in lines:
        if not text:
            continue
        paragraph = cell.paragraphs[0] if first else cell.add_paragraph()
        paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
        paragraph.add_run(text).bold = bold
        first = False


# ---------------------------------------------------------------- answer keys


def key_rows(code: str, entries) -> list[tuple[str, str, int, str]]:
    """(mã đề, phần, câu, đáp án) for every question of one paper: a letter for choice
    questions, "ĐSĐS" per statement a–d for true/false, the value for short answers."""
    rows = []
    for part in parts_of(entries):
        for item in part.items:
            if item.payload.get("type") == "description":
                continue
            rows.append((code, part.label, item.number,
                         qformats.answer_text(item.payload, item.option_order)))
    return rows


def safe_cell(value) -> str:
    """A spreadsheet cell that cannot run as a formula (security.md 17): text starting with
    = + - @, tab or CR gets a leading apostrophe."""
    text = str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def answer_key_csv(papers: list[tuple[str, list]]) -> str:
    """The keys of every mã đề as CSV (UTF-8 with BOM so Excel reads the accents)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(KEY_CSV_HEADER)
    for code, entries in papers:
        for row in key_rows(code, entries):
            writer.writerow([safe_cell(value) for value in row])
    return "\ufeff" + out.getvalue()


def answer_key_docx(title: str, papers: list[tuple[str, list]]) -> bytes:
    """One page per mã đề: the key tables of its parts, then the solutions."""
    document = qformats.new_document()
    for index, (code, entries) in enumerate(papers):
        if index:
            document.add_page_break()
        heading = document.add_paragraph()
        heading.alignment = WD_ALIGN_PARAGRAPH.CENTER
        heading.add_run(title.upper()).bold = True
        qformats.write_answer_key(document, parts_of(entries), title=f"ĐÁP ÁN MÃ ĐỀ {code}")
    return qformats.document_bytes(document)


# ---------------------------------------------------------------- HTML and PDF


def embed_images(page_html: str, images=None) -> str:
    """Every ``<img src>`` as a ``data:`` URI from the loader, or its alt text: the PDF page
    loads nothing from disk or network."""
    def swap(match: re.Match) -> str:
        data = images(html.unescape(match.group(1))) if images else None
        kind = next((t for magic, t in _IMAGE_TYPES.items() if data and data.startswith(magic)),
                    None)
        if not kind:
            return "<em>[hình]</em>"
        uri = f"data:{kind};base64,{base64.b64encode(data).decode()}"
        return match.group(0).replace(match.group(1), uri)
    return _IMG.sub(swap, page_html)


def _shown(text_html: str, images) -> Markup:
    return Markup(embed_images(render_math(text_html or ""), images))  # noqa: S704 - sanitised


def _html_item(item, images) -> dict:
    payload = item.payload
    kind = payload["type"]
    stem = qformats.cloze_stem(payload) if kind == "cloze" else payload.get("text_html")
    view = {"number": item.number, "type": kind, "stem": _shown(stem, images),
            "options": [], "statements": [], "lines": 0, "boxes": 0, "pairs": [], "items": []}
    if kind in ("single_choice", "multiple_response"):
        by_id = {o["id"]: o for o in payload["options"]}
        view["options"] = [(qformats.LETTERS[i], _shown(by_id[oid]["text_html"], images))
                           for i, oid in enumerate(qformats.option_ids(payload,
                                                                       item.option_order))]
    elif kind == "true_false":
        view["options"] = [("A", "Đúng"), ("B", "Sai")]
    elif kind == "true_false_4":
        view["statements"] = [(s["id"], _shown(s["text_html"], images))
                              for s in payload["statements"]]
    elif kind == "short_numeric" and payload.get("format_2025"):
        view["boxes"] = 4
    elif kind in ("short_text", "short_numeric"):
        view["lines"] = 1
    elif kind == "essay":
        view["lines"] = 8
    elif kind == "matching":
        lefts = [_shown(p["left_html"], images) for p in payload["pairs"]]
        rights = [_shown(r, images) for r in qformats.right_column(payload)]
        view["pairs"] = [(lefts[i] if i < len(lefts) else "", rights[i] if i < len(rights) else "")
                         for i in range(max(len(lefts), len(rights)))]
    elif kind == "ordering":
        view["items"] = [_shown(i["text_html"], images)
                         for i in qformats.sorted_items(payload["items"])]
    elif kind == "stimulus":
        pictures = "".join(f'<img src="{html.escape(m["key"])}" alt="">'
                           for m in payload.get("media", []) if m.get("kind") == "image")
        view["media"] = Markup(embed_images(pictures, images))  # noqa: S704 - escaped above
        view["note"] = f"Dựa vào thông tin trên, trả lời {len(payload['children'])} câu hỏi sau."
        view["children"] = [_html_item(qformats.PaperItem(n, child), images)
                            for n, child in enumerate(payload["children"], 1)]
    return view


def paper_html(header: PaperHeader, entries, images=None) -> str:
    """The paper of one mã đề as a printable HTML page (what the PDF shows)."""
    parts = [{"heading": f"PHẦN {p.label}. {qformats.PART_TITLES[p.kind]}.",
              "note": INSTRUCTIONS[p.kind].format(n=_last_number(p)),
              "items": [_html_item(item, images) for item in p.items]}
             for p in parts_of(entries)]
    return _TEMPLATES.get_template("paper_print.html").render(
        header=header, parts=parts, csp=CSP)


@dataclass(frozen=True)
class SheetLayout:
    """How many questions each part of the answer sheet has, and the code's digits."""

    choice: int
    true_false: int
    short: int
    code_digits: int = 3
    candidate_digits: int = 6


def sheet_layout(entries, code: str = "000") -> SheetLayout:
    counts = {"choice": 0, "tf4": 0, "short": 0}
    for part in parts_of(entries):
        if part.kind in counts:
            counts[part.kind] = _last_number(part)
    return SheetLayout(counts["choice"], counts["tf4"], counts["short"],
                       code_digits=max(3, len(code)))


def answer_sheet_html(title: str, layout: SheetLayout) -> str:
    """The 2025 answer sheet (phiếu trả lời trắc nghiệm): candidate fields, số báo danh and
    mã đề digit grids, PHẦN I rows of A B C D, PHẦN II Đúng/Sai for a)–d) per question,
    PHẦN III four columns per question ("-" in the first, "," in the second and third,
    digits 0–9 in each). Every bubble is a ``<span class="bubble">``."""
    blocks = [list(range(start, min(start + 10, layout.choice + 1)))
              for start in range(1, layout.choice + 1, 10)]
    return _TEMPLATES.get_template("answer_sheet.html").render(
        title=title, layout=layout, choice_blocks=blocks, csp=CSP)
