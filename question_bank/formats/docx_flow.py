"""Sanitised question HTML poured into a python-docx document: paragraphs, runs with bold,
italic, underline, superscript/subscript, line breaks, lists, tables, images and formulas.

Formulas (``\\( … \\)``, ``$ … $`` …) become Word equations (OMML) through MathML
(``question_bank.mathml`` → ``omml_write``); one that cannot be converted stays as its LaTeX
text. Images come from an ``ImageLoader`` (``src`` → bytes or None); without one, or when the
file is missing or not a format Word embeds, a short "[hình]" placeholder is printed.
"""

from __future__ import annotations

import io
import re
from collections.abc import Callable
from dataclasses import dataclass, replace

import lxml.html
from docx.shared import Cm, Pt
from docx.text.paragraph import Paragraph

from question_bank.mathml import latex_to_mathml, split_math

from .omml_write import mathml_to_omml

ImageLoader = Callable[[str], "bytes | None"]
#: Widest picture in the page's text column.
MAX_IMAGE_WIDTH = Cm(12)
_SPACES = re.compile(r"[ \t\r\n]+")
_BLOCKS = {"p", "div", "li", "blockquote", "pre", "h1", "h2", "h3", "h4", "h5", "h6",
           "ul", "ol", "table", "hr", "figure"}


@dataclass(frozen=True)
class Format:
    bold: bool = False
    italic: bool = False
    underline: bool = False
    vert: str = ""
    mono: bool = False


_TAG_FORMATS = {"b": {"bold": True}, "strong": {"bold": True}, "i": {"italic": True},
                "em": {"italic": True}, "u": {"underline": True}, "sup": {"vert": "sup"},
                "sub": {"vert": "sub"}, "code": {"mono": True}, "pre": {"mono": True}}


class Flow:
    """Writes HTML into a container (the document or a table cell), continuing ``paragraph``
    when one is given (the question label's paragraph)."""

    def __init__(self, container, images: ImageLoader | None = None,
                 paragraph: Paragraph | None = None, math: bool = True):
        self.container = container
        self.images = images
        self.paragraph = paragraph
        self.math = math
        self.fresh = True  # while the current paragraph holds none of this HTML (a label may)

    def write(self, html_text: str) -> Paragraph | None:
        """Pour the HTML in; returns the last paragraph written."""
        if html_text and html_text.strip():
            root = lxml.html.fragment_fromstring(html_text, create_parent="div")
            self._inline_children(root, Format(), list_kind=None)
        return self.paragraph

    # -- paragraphs

    def _current(self) -> Paragraph:
        if self.paragraph is None:
            self.paragraph = self.container.add_paragraph()
            self.fresh = True
        return self.paragraph

    def _break_block(self) -> None:
        """The next inline content starts a new paragraph (unless this one is still empty)."""
        if self.paragraph is not None and not self.fresh:
            self.paragraph = None

    # -- walking

    def _inline_children(self, element, fmt: Format, list_kind: str | None) -> None:
        if element.text:
            self._text(element.text, fmt)
        number = 0
        for child in element:
            if not isinstance(child.tag, str):  # comments
                self._tail(child, fmt)
                continue
            number += child.tag == "li"
            self._element(child, fmt, list_kind, number)
            self._tail(child, fmt)

    def _tail(self, child, fmt: Format) -> None:
        if child.tail:
            if child.tag in _BLOCKS:
                self._break_block()
            self._text(child.tail, fmt)

    def _element(self, element, fmt: Format, list_kind: str | None, number: int) -> None:
        tag = element.tag.lower()
        if tag == "br":
            self._current().add_run().add_break()
            return
        if tag == "img":
            self._image(element.get("src", ""), element.get("alt", ""))
            return
        if tag == "audio":
            self._text("[âm thanh]", fmt)
            return
        if tag == "table":
            self._table(element)
            return
        if tag == "hr":
            self._break_block()
            return
        inner = replace(fmt, **_TAG_FORMATS.get(tag, {}))
        if tag in _BLOCKS:
            self._break_block()
            if tag == "li":
                label = f"{number}. " if list_kind == "ol" else "• "
                self._text(label, fmt)
            self._inline_children(element, inner, tag if tag in ("ul", "ol") else list_kind)
            self._break_block()
            return
        self._inline_children(element, inner, list_kind)

    def _text(self, text: str, fmt: Format) -> None:
        text = _SPACES.sub(" ", text or "")
        if self.fresh:
            text = text.lstrip(" ")
        if not text:
            return
        for kind, value in (split_math(text) if self.math else [("text", text)]):
            if kind == "math" and self._formula(value):
                continue
            self._run(value if kind == "text" else f"\\({value}\\)", fmt)

    def _run(self, text: str, fmt: Format) -> None:
        if not text:
            return
        run = self._current().add_run(text)
        self.fresh = self.fresh and not text.strip()
        run.bold = fmt.bold or None
        run.italic = fmt.italic or None
        run.underline = fmt.underline or None
        if fmt.vert == "sup":
            run.font.superscript = True
        elif fmt.vert == "sub":
            run.font.subscript = True
        if fmt.mono:
            run.font.name = "Courier New"

    def _formula(self, latex: str) -> bool:
        """Append the formula as a Word equation; False when it cannot be converted."""
        try:
            omath = mathml_to_omml(latex_to_mathml(latex))
        except Exception:  # noqa: BLE001 - any converter failure keeps the LaTeX text
            return False
        self._current()._p.append(omath)
        self.fresh = False
        return True

    def _image(self, src: str, alt: str) -> None:
        data = self.images(src) if self.images and src else None
        if data:
            try:
                shape = self._current().add_run().add_picture(io.BytesIO(data))
            except Exception:  # noqa: BLE001 - unknown or broken picture → placeholder
                shape = None
            if shape is not None:
                if shape.width > MAX_IMAGE_WIDTH:
                    shape.height = int(shape.height * MAX_IMAGE_WIDTH / shape.width)
                    shape.width = MAX_IMAGE_WIDTH
                self.fresh = False
                return
        self._run(f"[hình{': ' + alt if alt else ''}]", Format(italic=True))

    def _table(self, element) -> None:
        rows = [row for row in element.iter("tr")]
        width = max((len(row.findall("td")) + len(row.findall("th")) for row in rows),
                    default=0)
        if not rows or not width:
            return
        table = self.container.add_table(rows=len(rows), cols=width)
        table.style = "Table Grid"
        for r, row in enumerate(rows):
            for c, cell in enumerate([x for x in row if x.tag in ("td", "th")]):
                target = table.cell(r, c)
                flow = Flow(target, self.images, target.paragraphs[0], self.math)
                flow._inline_children(cell, Format(bold=cell.tag == "th"), None)
        self.paragraph = None


def set_spacing(paragraph: Paragraph, after: float = 2) -> Paragraph:
    paragraph.paragraph_format.space_after = Pt(after)
    paragraph.paragraph_format.space_before = Pt(0)
    return paragraph
