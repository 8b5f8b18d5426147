"""A Word body as numbered lines of formatted pieces, ready for the question grammar.

Each paragraph (including those in table cells) gets its number ("đoạn 12"); a manual line
break splits it into several lines with the same number. A piece is a stretch of text with
the formatting that can mark a correct answer (underline, red, bold, highlight), or an
object (image, equation) that is one placeholder character in the text and HTML in the
output. Word's automatic numbering label is put in front of the text, in the formatting of
the paragraph mark, as Word draws it.
"""

from __future__ import annotations

import html
from dataclasses import dataclass, field, replace
from xml.etree.ElementTree import Element

from . import legacy_vn
from .docx_package import DocxPackage, R, W, rfonts
from .omml import M, OmmlConverter
from .result import Attachment

OBJECT = "\ufffc"
_A_BLIP = "{http://schemas.openxmlformats.org/drawingml/2006/main}blip"
_V = "{urn:schemas-microsoft-com:vml}"
_O = "{urn:schemas-microsoft-com:office:office}"
_WRAPPERS = {f"{W}{name}" for name in ("hyperlink", "ins", "smartTag", "sdt", "sdtContent",
                                       "fldSimple", "customXml", "moveTo")}
_TRUE = {"", "1", "true", "on"}


@dataclass(frozen=True)
class Piece:
    """Text with its marking format, or an object (``html`` set, text is OBJECT/LaTeX)."""

    text: str
    underline: bool = False
    red: bool = False
    bold: bool = False
    highlight: bool = False
    vert: str = ""
    html: str | None = None

    def to_html(self) -> str:
        """The piece as HTML (text escaped; superscript/subscript kept)."""
        if self.html is not None:
            return self.html
        out = html.escape(self.text, quote=False).replace("\t", " ")
        if self.vert == "superscript":
            return f"<sup>{out}</sup>"
        if self.vert == "subscript":
            return f"<sub>{out}</sub>"
        return out


@dataclass
class Line:
    """One line of a paragraph."""

    para: int
    pieces: list[Piece] = field(default_factory=list)
    in_table: bool = False
    attachments: list[Attachment] = field(default_factory=list)
    #: (table number, row, column) for a paragraph inside a table cell
    cell: tuple[int, int, int] | None = None

    @property
    def text(self) -> str:
        """Plain text (objects as OBJECT, equations as their LaTeX)."""
        return "".join(p.text for p in self.pieces)

    def slice(self, start: int, end: int | None = None) -> list[Piece]:
        """The pieces covering text[start:end]; objects are kept whole."""
        out, position = [], 0
        end = len(self.text) if end is None else end
        for piece in self.pieces:
            left, right = position, position + len(piece.text)
            position = right
            if right <= start or left >= end:
                continue
            if piece.html is not None:
                out.append(piece)
            else:
                out.append(replace(piece, text=piece.text[max(start - left, 0):end - left]))
        return out


def pieces_html(pieces: list[Piece]) -> str:
    """HTML of pieces, surrounding whitespace trimmed."""
    return "".join(p.to_html() for p in pieces).strip()


def marks(pieces: list[Piece]) -> dict[str, bool]:
    """Which marking formats appear on any visible character of the pieces."""
    visible = [p for p in pieces if p.text.strip()]
    return {name: any(getattr(p, name) for p in visible)
            for name in ("underline", "red", "bold", "highlight")}


@dataclass
class Extraction:
    """Lines plus what the reader noticed about the whole file."""

    lines: list[Line] = field(default_factory=list)
    legacy: set[str] = field(default_factory=set)
    mathtype: list[int] = field(default_factory=list)
    unknown_math: dict[int, set[str]] = field(default_factory=dict)


class BodyReader:
    """Walks document.xml in order and produces lines."""

    def __init__(self, package: DocxPackage):
        self.package = package
        self.out = Extraction()
        self.para = 0
        self.names: set[str] = set()
        self.tables = 0
        self.paragraph_style = ""
        self.cell: tuple[int, int, int] | None = None

    def read(self) -> Extraction:
        """All lines of the body, in document order."""
        body = self.package.document.find(f"{W}body")
        if body is not None:
            self._block(body, in_table=False)
        return self.out

    def _block(self, element: Element, in_table: bool) -> None:
        for child in element:
            if child.tag == f"{W}p":
                self._paragraph(child, in_table)
            elif child.tag == f"{W}tbl":
                self._table(child)
            elif child.tag in (f"{W}sdt", f"{W}sdtContent", f"{W}customXml"):
                self._block(child, in_table)

    def _table(self, table: Element) -> None:
        self.tables += 1
        number, outer = self.tables, self.cell
        for row_index, row in enumerate(table.findall(f"{W}tr")):
            for col_index, cell in enumerate(row.findall(f"{W}tc")):
                self.cell = (number, row_index, col_index)
                self._block(cell, in_table=True)
        self.cell = outer

    def _paragraph(self, p: Element, in_table: bool) -> None:
        self.para += 1
        style = p.find(f"{W}pPr/{W}pStyle")
        self.paragraph_style = style.get(f"{W}val", "") if style is not None else ""
        line = Line(self.para, in_table=in_table, cell=self.cell)
        lines = [line]
        label = self._label(p)
        if label:
            line.pieces.append(replace(_format(p.find(f"{W}pPr/{W}rPr")), text=label + " "))
        for piece, attachment in self._content(p):
            if piece.html is None and "\n" in piece.text:
                first, *rest = piece.text.split("\n")
                lines[-1].pieces.append(replace(piece, text=first))
                for part in rest:
                    lines.append(Line(self.para, [replace(piece, text=part)], in_table,
                                      cell=self.cell))
                continue
            lines[-1].pieces.append(piece)
            if attachment:
                lines[-1].attachments.append(attachment)
        self.out.lines.extend(lines)

    def _label(self, p: Element) -> str:
        """Word's list label for the paragraph: direct numPr, else its style's list."""
        numbering = self.package.numbering
        style = p.find(f"{W}pPr/{W}pStyle")
        num_id, level = numbering.styles.get(
            style.get(f"{W}val", "") if style is not None else "", ("", 0))
        num = p.find(f"{W}pPr/{W}numPr")
        if num is not None:
            direct_id, ilvl = num.find(f"{W}numId"), num.find(f"{W}ilvl")
            num_id = direct_id.get(f"{W}val", "") if direct_id is not None else num_id
            level = int(ilvl.get(f"{W}val", "0")) if ilvl is not None else level
        return numbering.label(num_id, level) if num_id and num_id != "0" else ""

    def _content(self, element: Element):
        """(piece, attachment or None) for everything visible in a paragraph, in order."""
        for child in element:
            if child.tag == f"{W}r":
                yield from self._run(child)
            elif child.tag in (f"{M}oMath", f"{M}oMathPara"):
                yield self._math(child), None
            elif child.tag in _WRAPPERS:
                yield from self._content(child)

    def _run(self, run: Element):
        rpr = run.find(f"{W}rPr")
        fmt = _format(rpr)
        run_style = rpr.find(f"{W}rStyle") if rpr is not None else None
        font = self.package.fonts.font(
            rfonts(rpr), run_style.get(f"{W}val", "") if run_style is not None else "",
            self.paragraph_style)
        for child in run:
            tag = child.tag
            if tag == f"{W}t":
                yield replace(fmt, text=self._legacy(child.text or "", font)), None
            elif tag == f"{W}tab":
                yield replace(fmt, text="\t"), None
            elif tag in (f"{W}br", f"{W}cr"):
                yield replace(fmt, text="\n"), None
            elif tag == f"{W}noBreakHyphen":
                yield replace(fmt, text="-"), None
            elif tag == f"{W}drawing":
                blip = child.find(f".//{_A_BLIP}")
                if blip is not None:
                    yield from self._image(blip.get(f"{R}embed", ""))
            elif tag in (f"{W}pict", f"{W}object"):
                yield from self._legacy_object(child)
            elif tag in (f"{M}oMath", f"{M}oMathPara"):
                yield self._math(child), None

    def _legacy(self, text: str, font: str) -> str:
        """Legacy-font text to Unicode; a run that already holds characters beyond Latin-1
        was typed in Unicode (an old font name left in a template) and is kept."""
        if text.isascii() or any(ord(char) > 0xFF for char in text):
            return text
        if legacy_vn.is_tcvn3_font(font):
            self.out.legacy.add("TCVN3")
            return legacy_vn.tcvn3_to_unicode(text, capitals=font.rstrip().endswith("H"))
        if legacy_vn.is_vni_font(font):
            self.out.legacy.add("VNI")
            return legacy_vn.vni_to_unicode(text)
        return text

    def _legacy_object(self, element: Element):
        """VML pictures and OLE objects; a MathType equation keeps its preview image."""
        ole = element.find(f".//{_O}OLEObject")
        if ole is not None and ole.get("ProgID", "").startswith(("Equation.DSMT", "Equation.3")):
            self.out.mathtype.append(self.para)
        image = element.find(f".//{_V}imagedata")
        if image is not None:
            yield from self._image(image.get(f"{R}id", ""))

    def _image(self, rel_id: str):
        found = self.package.media(rel_id)
        if found is None:
            return
        name, data = found
        name = self._unique(name)
        tag = f'<img src="@@PLUGINFILE@@/{html.escape(name)}" alt="">'
        yield Piece(OBJECT, html=tag), Attachment(name, data)

    def _unique(self, name: str) -> str:
        stem, dot, ext = name.rpartition(".")
        candidate, number = name, 1
        while candidate in self.names:
            number += 1
            candidate = f"{stem}_{number}{dot}{ext}" if dot else f"{name}_{number}"
        self.names.add(candidate)
        return candidate

    def _math(self, element: Element) -> Piece:
        converter = OmmlConverter()
        latex = f"\\({converter.latex(element)}\\)"
        if converter.unknown:
            self.out.unknown_math.setdefault(self.para, set()).update(converter.unknown)
        return Piece(latex, html=html.escape(latex, quote=False))


def _format(rpr: Element | None) -> Piece:
    """The marking format of a run (direct formatting only)."""
    if rpr is None:
        return Piece("")

    def val(tag: str) -> str | None:
        node = rpr.find(f"{W}{tag}")
        return None if node is None else node.get(f"{W}val", "")
    underline = val("u")
    bold = val("b")
    highlight = val("highlight")
    shading = rpr.find(f"{W}shd")
    shaded = shading is not None and shading.get(f"{W}fill", "auto") not in ("auto", "FFFFFF")
    return Piece("", underline=underline is not None and underline != "none",
                 red=_is_red(val("color") or ""),
                 bold=bold is not None and bold.lower() in _TRUE,
                 highlight=(highlight is not None and highlight != "none") or shaded,
                 vert=val("vertAlign") or "")


def _is_red(color: str) -> bool:
    """FF0000 and the reds teachers pick (C00000, E60000, FF3333 …)."""
    if len(color) != 6:
        return False
    try:
        r, g, b = (int(color[i:i + 2], 16) for i in (0, 2, 4))
    except ValueError:
        return False
    return r >= 0xB0 and g <= 0x60 and b <= 0x60
