"""security.md 21, 22, 42: every archive the platform reads — SCORM packages, Word files,
question spreadsheets, QTI packages and class rosters — passes the same checks in ``media``
(``check_archive`` with the format's row of ``ARCHIVE_LIMITS``), before the reader looks inside.

Each reader gets a real file of its format (accepted: the positive control) and the same file
with one hostile addition; the refusal must be the archive checker's, with its message.
"""

import io
import stat
import tracemalloc
import zipfile

import docx
import pytest
from openpyxl import Workbook

from lms.org.roster import RosterFileError, read_table
from media import ARCHIVE_LIMITS, PackageError, read_package
from question_bank import validate_payload
from question_bank.formats import export_xlsx, parse_qti, read_xlsx
from question_bank.formats.docx_package import DocxError, open_docx
from tests.lms.lessons_helpers import scorm_12_zip
from tests.question_bank.payloads import RAW

QTI_ITEM = ('<?xml version="1.0" encoding="UTF-8"?><assessmentItem '
            'xmlns="http://www.imsglobal.org/xsd/imsqti_v2p1" identifier="i1" title="Câu 1" '
            'adaptive="false" timeDependent="false"><responseDeclaration identifier="RESPONSE" '
            'cardinality="single" baseType="identifier"><correctResponse><value>A</value>'
            '</correctResponse></responseDeclaration><itemBody><choiceInteraction '
            'responseIdentifier="RESPONSE" maxChoices="1"><prompt>2 + 2 = ?</prompt>'
            '<simpleChoice identifier="A">4</simpleChoice><simpleChoice identifier="B">5'
            '</simpleChoice></choiceInteraction></itemBody></assessmentItem>')
QTI_MANIFEST = ('<manifest xmlns="http://www.imsglobal.org/xsd/imscp_v1p1" identifier="M">'
                '<organizations/><resources><resource identifier="R1" '
                'type="imsqti_item_xmlv2p1" href="q.xml"><file href="q.xml"/></resource>'
                '</resources></manifest>')


def _zip(files: dict[str, str | bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in files.items():
            zf.writestr(name, data)
    return out.getvalue()


def _docx() -> bytes:
    document = docx.Document()
    document.add_paragraph("Câu 1. 2 + 2 = ?")
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def _roster() -> bytes:
    book = Workbook()
    book.active.append(["Mã HS", "Họ và tên", "Lớp"])
    book.active.append(["hs001", "Nguyễn Văn An", "10A1"])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


# Each reader: (format row, a real file of the format, a function giving the message of the
# archive refusal or None when the archive was accepted).

def _scorm(data: bytes) -> str | None:
    try:
        read_package(io.BytesIO(data))
    except PackageError as error:
        return error.message
    return None


def _word(data: bytes) -> str | None:
    try:
        open_docx(data)
    except DocxError as error:
        return error.message
    return None


def _problems(result) -> str | None:
    return " ".join(problem.message for problem in result.errors) or None


def _roster_reader(data: bytes) -> str | None:
    try:
        read_table("danh-sach.xlsx", data)
    except RosterFileError as error:
        return str(error)
    return None


READERS = {
    "scorm": ("scorm", scorm_12_zip, _scorm),
    "docx": ("docx", _docx, _word),
    "xlsx": ("xlsx", lambda: export_xlsx([validate_payload(RAW["single_choice"])]),
             lambda data: _problems(read_xlsx(data))),
    "qti": ("qti", lambda: _zip({"imsmanifest.xml": QTI_MANIFEST, "q.xml": QTI_ITEM}),
            lambda data: _problems(parse_qti(data))),
    "roster": ("xlsx", _roster, _roster_reader),
}


def _with(original: bytes, extra: list[tuple[zipfile.ZipInfo | str, bytes, int]]) -> bytes:
    """The original archive plus hostile entries (name, bytes, compression method)."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(original)) as source, \
            zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            target.writestr(info, source.read(info))
        for name, data, method in extra:
            target.writestr(name, data, compress_type=method)
    return out.getvalue()


def _many_entries(fmt: str, names: list[str]) -> list:
    count = ARCHIVE_LIMITS[fmt].max_entries + 1
    return [(f"pad/{n}.txt", b"", zipfile.ZIP_STORED) for n in range(count)]


def _symlink(fmt: str, names: list[str]) -> list:
    info = zipfile.ZipInfo("link")
    info.create_system = 3
    info.external_attr = (stat.S_IFLNK | 0o777) << 16
    return [(info, b"/etc/passwd", zipfile.ZIP_STORED)]


def _one(name: str, method: int = zipfile.ZIP_DEFLATED, data: bytes = b"x"):
    return lambda fmt, names: [(name, data, method)]


#: name -> (extra entries given the format row and the file's own names, a fragment of the
#: checker's message)
HOSTILE = {
    # 6 entries of 1,000,000 zero bytes: each under the per-entry ratio floor (1 MiB), 6 MB
    # from ~6 KB together (the shape that took a SCORM zip of 338 KB to 301 MB).
    "many-small-bombs": (lambda fmt, names: [(f"pad/{n}.bin", bytes(1_000_000),
                                              zipfile.ZIP_DEFLATED) for n in range(6)],
                         "nghi là bom nén"),
    "bzip2-entry": (_one("pad.bin", zipfile.ZIP_BZIP2, bytes(1000)),
                    "kiểu nén không được hỗ trợ"),
    "zip-slip": (_one("../evil.txt"), "«..»"),
    "absolute-path": (_one("/etc/cron.d/evil"), "tuyệt đối"),
    "backslash": (_one("..\\evil.txt"), "gạch chéo ngược"),
    "symlink": (_symlink, "symlink"),
    # the file's own first entry again, in capitals: one name on a case-insensitive disk
    "case-collision": (lambda fmt, names: [(names[0].upper(), b"x", zipfile.ZIP_DEFLATED)],
                       "chữ hoa/thường"),
    "too-many-entries": (_many_entries, "vượt giới hạn"),
}


@pytest.mark.parametrize("reader", READERS)
def test_a_real_file_of_each_format_passes_the_checks(reader):
    _fmt, build, refusal = READERS[reader]
    assert refusal(build()) is None


@pytest.mark.parametrize("hostile", HOSTILE)
@pytest.mark.parametrize("reader", READERS)
def test_every_reader_refuses_what_the_archive_checker_refuses(reader, hostile):
    fmt, build, refusal = READERS[reader]
    extra, fragment = HOSTILE[hostile]
    original = build()
    names = zipfile.ZipFile(io.BytesIO(original)).namelist()
    message = refusal(_with(original, extra(fmt, names)))
    assert message is not None and fragment in message, message


@pytest.mark.parametrize("reader", READERS)
def test_nested_archives_follow_the_format_row(reader):
    """A zip inside is refused, except where the format keeps embedded objects (Word)."""
    fmt, build, refusal = READERS[reader]
    message = refusal(_with(build(), [("inner.zip", _zip({"a.txt": "a"}),
                                       zipfile.ZIP_DEFLATED)]))
    if ARCHIVE_LIMITS[fmt].allow_nested:
        assert message is None
    else:
        assert message is not None and "tệp nén lồng bên trong" in message, message


def test_roster_with_one_huge_cell_is_refused_before_it_is_read():
    """The reported shape: one enormous cell in a small .xlsx (400 MB in 413 KB had taken the
    worker to 1.47 GB). Here 8 MB: refused by the checker, without openpyxl expanding it."""
    # openpyxl cuts a cell at Excel's 32,767 characters; an attacker writes the XML directly.
    with zipfile.ZipFile(io.BytesIO(_roster())) as source:
        parts = {info.filename: source.read(info) for info in source.infolist()}
    sheet = "xl/worksheets/sheet1.xml"
    assert b"<t>hs001</t>" in parts[sheet]
    parts[sheet] = parts[sheet].replace(b"<t>hs001</t>", b"<t>" + b"A" * 8_000_000 + b"</t>")
    data = _zip(parts)
    assert len(data) < 100_000
    tracemalloc.start()
    try:
        with pytest.raises(RosterFileError) as caught:
            read_table("danh-sach.xlsx", data)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert "nghi là bom nén" in str(caught.value)
    assert peak < 4 * 1024 * 1024
    assert [row[1][:2] for row in read_table("danh-sach.xlsx", _roster())] == [
        ["Mã HS", "Họ và tên"], ["hs001", "Nguyễn Văn An"]]
