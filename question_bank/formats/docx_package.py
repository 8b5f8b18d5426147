"""The parts of a .docx (a zip of XML files) read safely: every zip entry is checked before
anything is read (media.archive), each part is read with a byte cap (headers can lie), and XML
is parsed with defusedxml with DTDs and entities refused.

Also resolves what the body refers to: relationship ids (images), and Word's automatic
numbering (numbering.xml), whose labels are not part of the paragraph text.
"""

from __future__ import annotations

import io
import posixpath
import zipfile
import zlib
from dataclasses import dataclass, field
from xml.etree.ElementTree import Element, ParseError

from defusedxml import ElementTree as safe_et
from defusedxml.common import DefusedXmlException

from media import archive

W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
R = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}"
REL = "{http://schemas.openxmlformats.org/package/2006/relationships}"


class DocxError(Exception):
    """The file cannot be read as a Word document; ``message`` is Vietnamese."""

    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code, self.message = code, message


def parse_part(data: bytes, name: str) -> Element:
    """Parse one XML part; DTDs, entity declarations and broken XML raise DocxError."""
    try:
        return safe_et.fromstring(data, forbid_dtd=True, forbid_entities=True,
                                  forbid_external=True)
    except DefusedXmlException as exc:
        raise DocxError("xmlunsafe", f"Tệp Word bị từ chối vì lý do an toàn: phần «{name}» có "
                        "khai báo DOCTYPE/ENTITY. Tệp Word thật không có các khai báo này; "
                        "hãy lưu lại tệp bằng Word.") from exc
    except ParseError as exc:
        raise DocxError("xmlinvalid", f"Phần «{name}» của tệp Word không phải XML hợp lệ "
                        f"({exc}). Hãy mở và lưu lại tệp bằng Word.") from exc


@dataclass
class Level:
    """One level of a numbering definition."""

    fmt: str = "decimal"
    text: str = "%1."
    start: int = 1


@dataclass
class Numbering:
    """numbering.xml: numId → levels, with running counters per (numId, ilvl)."""

    levels: dict[str, dict[int, Level]] = field(default_factory=dict)
    counters: dict[tuple[str, int], int] = field(default_factory=dict)
    #: paragraph style id → (numId, ilvl) for lists applied through a style ("List Number")
    styles: dict[str, tuple[str, int]] = field(default_factory=dict)

    def label(self, num_id: str, ilvl: int) -> str:
        """The label Word shows for the next paragraph of this list ('Câu 3.', 'B.', 'c)');
        deeper levels of the same list restart, as Word does."""
        levels = self.levels.get(num_id)
        if not levels or ilvl not in levels:
            return ""
        level = levels[ilvl]
        key = (num_id, ilvl)
        self.counters[key] = self.counters.get(key, level.start - 1) + 1
        for deeper in [k for k in self.counters if k[0] == num_id and k[1] > ilvl]:
            del self.counters[deeper]
        if level.fmt in ("bullet", "none"):
            return ""
        text = level.text
        for index in range(ilvl, -1, -1):
            current = levels.get(index, Level())
            value = self.counters.get((num_id, index), current.start)
            text = text.replace(f"%{index + 1}", format_number(value, current.fmt))
        return text


@dataclass
class Fonts:
    """Fonts from styles.xml: per style (basedOn followed) and the document default, so
    legacy-encoded text set in the Normal style (.VnTime) is recognised too."""

    by_style: dict[str, str] = field(default_factory=dict)
    default: str = ""

    def font(self, direct: str, run_style: str, paragraph_style: str) -> str:
        """The font a run is drawn in: direct, character style, paragraph style, default."""
        return (direct or self.by_style.get(run_style, "")
                or self.by_style.get(paragraph_style, "") or self.default)


def format_number(value: int, fmt: str) -> str:
    """A list counter in Word's format: decimal, upperLetter, lowerLetter, roman."""
    if fmt in ("upperLetter", "lowerLetter"):
        letter = chr(ord("A") + (value - 1) % 26) * ((value - 1) // 26 + 1)
        return letter if fmt == "upperLetter" else letter.lower()
    if fmt in ("upperRoman", "lowerRoman"):
        roman = _roman(value)
        return roman if fmt == "upperRoman" else roman.lower()
    return str(value)


def _roman(value: int) -> str:
    out = ""
    for number, letters in ((1000, "M"), (900, "CM"), (500, "D"), (400, "CD"), (100, "C"),
                            (90, "XC"), (50, "L"), (40, "XL"), (10, "X"), (9, "IX"), (5, "V"),
                            (4, "IV"), (1, "I")):
        while value >= number:
            out, value = out + letters, value - number
    return out


def _read_numbering(root: Element | None) -> Numbering:
    numbering = Numbering()
    if root is None:
        return numbering
    abstract: dict[str, dict[int, Level]] = {}
    for item in root.findall(f"{W}abstractNum"):
        abstract[item.get(f"{W}abstractNumId", "")] = {
            int(lvl.get(f"{W}ilvl", "0")): _read_level(lvl) for lvl in item.findall(f"{W}lvl")}
    for num in root.findall(f"{W}num"):
        ref = num.find(f"{W}abstractNumId")
        levels = dict(abstract.get(ref.get(f"{W}val", "") if ref is not None else "", {}))
        for override in num.findall(f"{W}lvlOverride"):
            ilvl = int(override.get(f"{W}ilvl", "0"))
            start = override.find(f"{W}startOverride")
            if start is not None and ilvl in levels:
                base = levels[ilvl]
                levels[ilvl] = Level(base.fmt, base.text, _int(start.get(f"{W}val"), 1))
        numbering.levels[num.get(f"{W}numId", "")] = levels
    return numbering


def _read_level(lvl: Element) -> Level:
    def value(tag: str, default: str) -> str:
        child = lvl.find(f"{W}{tag}")
        return child.get(f"{W}val", default) if child is not None else default
    return Level(value("numFmt", "decimal"), value("lvlText", "%1."),
                 _int(value("start", "1"), 1))


def _int(text: str | None, default: int) -> int:
    try:
        return int(text or "")
    except ValueError:
        return default


@dataclass
class DocxPackage:
    """The checked zip and the parsed parts the importer needs."""

    document: Element
    relationships: dict[str, str]
    numbering: Numbering
    zf: zipfile.ZipFile
    files: frozenset[str]
    fonts: Fonts = field(default_factory=Fonts)

    def media(self, rel_id: str) -> tuple[str, bytes] | None:
        """(file name, bytes) of the image a relationship id points to, or None."""
        target = self.relationships.get(rel_id)
        if not target:
            return None
        path = posixpath.normpath(posixpath.join("word", target)).lstrip("/")
        if target.startswith("/"):
            path = target.lstrip("/")
        if path not in self.files:
            return None
        return posixpath.basename(path), _read(self.zf, path)


def _read(zf: zipfile.ZipFile, name: str) -> bytes:
    """An entry's bytes, refusing more than the declared (already checked) size."""
    info = zf.getinfo(name)
    try:
        with zf.open(info) as handle:
            data = handle.read(info.file_size + 1)
    except (zipfile.BadZipFile, zlib.error, EOFError, OSError) as exc:
        raise DocxError("bad_zip", f"Mục «{name}» trong tệp Word bị hỏng hoặc khai báo sai "
                        f"kích thước ({exc}).") from exc
    if len(data) > info.file_size:
        raise DocxError("too_large", f"Mục «{name}» trong tệp Word lớn hơn kích thước khai báo "
                        "(nghi là bom nén).")
    return data


def open_docx(data: bytes) -> DocxPackage:
    """Check the zip, then parse document.xml, its relationships and numbering."""
    try:
        zf = zipfile.ZipFile(io.BytesIO(data))
        inspection = archive.check_archive(zf, "docx")
    except zipfile.BadZipFile as exc:
        raise DocxError("bad_zip", "Tệp không phải tệp Word .docx hợp lệ (không đọc được tệp "
                        "nén). Tệp .doc cũ cần được lưu lại thành .docx.") from exc
    except archive.PackageError as exc:
        raise DocxError(exc.code, exc.message) from exc
    files = inspection.files
    if "word/document.xml" not in files:
        raise DocxError("notdocx", "Tệp nén không có «word/document.xml»: đây không phải tệp "
                        "Word .docx.")

    def part(name: str) -> Element | None:
        return parse_part(_read(zf, name), name) if name in files else None

    rels = part("word/_rels/document.xml.rels")
    relationships = {} if rels is None else {
        item.get("Id", ""): item.get("Target", "") for item in rels.findall(f"{REL}Relationship")
        if item.get("TargetMode") != "External"}
    numbering = _read_numbering(part("word/numbering.xml"))
    styles = part("word/styles.xml")
    numbering.styles = _style_numbering(styles)
    return DocxPackage(part("word/document.xml"), relationships, numbering, zf, files,
                       _fonts(styles))


def rfonts(rpr: Element | None) -> str:
    """The Latin font named in a run-properties element ('' when none)."""
    fonts = rpr.find(f"{W}rFonts") if rpr is not None else None
    if fonts is None:
        return ""
    return fonts.get(f"{W}ascii") or fonts.get(f"{W}hAnsi") or ""


def _fonts(root: Element | None) -> Fonts:
    if root is None:
        return Fonts()
    own: dict[str, str] = {}
    parents: dict[str, str] = {}
    default_style = ""
    for style in root.findall(f"{W}style"):
        style_id = style.get(f"{W}styleId", "")
        based = style.find(f"{W}basedOn")
        if based is not None:
            parents[style_id] = based.get(f"{W}val", "")
        font = rfonts(style.find(f"{W}rPr"))
        if font:
            own[style_id] = font
        if style.get(f"{W}type") == "paragraph" and style.get(f"{W}default") in ("1", "true"):
            default_style = style_id
    resolved = _inherit(own, parents)
    default = (resolved.get(default_style, "")
               or rfonts(root.find(f"{W}docDefaults/{W}rPrDefault/{W}rPr")))
    return Fonts(resolved, default)


def _inherit(own: dict, parents: dict[str, str]) -> dict:
    """Each style's value, its own or the nearest ``basedOn`` ancestor's (cycles ignored)."""
    resolved = {}
    for style_id in set(own) | set(parents):
        current, seen = style_id, set()
        while current and current not in own and current not in seen:
            seen.add(current)
            current = parents.get(current, "")
        if current in own:
            resolved[style_id] = own[current]
    return resolved


def _style_numbering(root: Element | None) -> dict[str, tuple[str, int]]:
    """Paragraph styles that carry a list (directly or through ``basedOn``)."""
    if root is None:
        return {}
    own: dict[str, tuple[str, int]] = {}
    parents: dict[str, str] = {}
    for style in root.findall(f"{W}style"):
        style_id = style.get(f"{W}styleId", "")
        based = style.find(f"{W}basedOn")
        if based is not None:
            parents[style_id] = based.get(f"{W}val", "")
        num = style.find(f"{W}pPr/{W}numPr")
        num_id = num.find(f"{W}numId") if num is not None else None
        if num_id is not None:
            ilvl = num.find(f"{W}ilvl")
            own[style_id] = (num_id.get(f"{W}val", ""),
                             _int(ilvl.get(f"{W}val") if ilvl is not None else "0", 0))
    return _inherit(own, parents)
