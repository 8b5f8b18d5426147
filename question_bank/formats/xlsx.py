"""The XLSX question template (openpyxl): download it, fill one question per row, import it.

Sheet "Câu hỏi": columns are found by their header (accents, case, NFC/NFD, a trailing
"(Đ/S)" and order do not matter). Sheet "Hướng dẫn" explains every column and type.
Types: single_choice, multiple_response, true_false, true_false_4, short_text, short_numeric,
essay. A cell is plain text, or HTML when it starts with "<" and ends with ">". Exported cells
that begin with = + - @, tab or CR get a leading apostrophe (security.md 17); the importer
removes exactly that apostrophe again.
"""

from __future__ import annotations

import html
import io
import re
import warnings
import zipfile
from decimal import Decimal

import openpyxl
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.worksheet.datavalidation import DataValidation

from lms.kernel.text import fold, nfc
from media import PackageError, check_archive

from . import payloads
from .export_common import unpack, unsupported
from .markup import clean_html, decimal_string, html_to_text, parse_decimal, plain_to_html
from .result import ImportResult, ParsedQuestion, Problem

SHEET = "Câu hỏi"
GUIDE = "Hướng dẫn"
LETTERS = "ABCDEFGH"
STATEMENTS = "abcd"
HEADERS = ["Loại câu hỏi", "Nội dung", *[f"Phương án {c}" for c in LETTERS], "Đáp án",
           *[f"Mệnh đề {c}" for c in STATEMENTS], *[f"Đáp án {c} (Đ/S)" for c in STATEMENTS],
           "Lời giải", "Môn", "Khối", "Mức độ", "Chủ đề", "Thẻ"]
TYPE_LABELS = {
    "single_choice": "Một lựa chọn",
    "multiple_response": "Nhiều lựa chọn",
    "true_false": "Đúng/Sai",
    "true_false_4": "Đúng/Sai 4 ý",
    "short_text": "Trả lời ngắn",
    "short_numeric": "Trả lời ngắn dạng số",
    "essay": "Tự luận",
}
TRUE_WORDS = {"đ": True, "đung": True, "dung": True, "true": True, "t": True, "s": False,
              "sai": False, "false": False, "f": False}
DANGEROUS = ("=", "+", "-", "@", "\t", "\r")
_QUOTED = (*DANGEROUS, "'")  # an apostrophe is quoted too, so that the reader can undo it
MAX_ROWS = 20_000
_HTML = re.compile(r"^<.*>$", re.S)

EXAMPLES = [
    ["Một lựa chọn", "Thủ đô của Việt Nam là", "Huế", "Hà Nội", "Đà Nẵng", "TP. Hồ Chí Minh",
     "", "", "", "", "B", "", "", "", "", "", "", "", "", "Hà Nội là thủ đô từ năm 1010.",
     "Địa lí", 6, "Nhận biết", "Hành chính", "thủ đô"],
    ["Nhiều lựa chọn", "Những số nào là số nguyên tố?", "2", "4", "5", "9", "", "", "", "",
     "A,C", *[""] * 8, "", "Toán", 6, "Thông hiểu", "Số nguyên tố", ""],
    ["Đúng/Sai 4 ý", "Cho hàm số y = x².", *[""] * 8, "", "Đồ thị đi qua gốc toạ độ",
     "Hàm số đồng biến trên ℝ", "Hàm số có giá trị nhỏ nhất bằng 0", "Đồ thị nhận Oy làm trục "
     "đối xứng", "Đ", "S", "Đ", "Đ", "", "Toán", 10, "Vận dụng", "Hàm số", ""],
    ["Trả lời ngắn dạng số", "Tính 55 : 2", *[""] * 8, "27,5", *[""] * 8, "", "Toán", 6,
     "Nhận biết", "", ""],
]
GUIDE_ROWS = [
    ("Cột", "Ý nghĩa"),
    ("Loại câu hỏi", "Chọn trong danh sách: " + "; ".join(TYPE_LABELS.values()) + "."),
    ("Nội dung", "Đề bài. Viết chữ thường; ô bắt đầu bằng < và kết thúc bằng > được đọc là "
                 "HTML. Công thức viết bằng LaTeX, ví dụ \\(x^2\\)."),
    ("Phương án A … H", "Các phương án của câu một lựa chọn / nhiều lựa chọn (2–8 phương án, "
                        "điền liên tiếp từ A)."),
    ("Đáp án", "Một lựa chọn: một chữ cái, ví dụ B. Nhiều lựa chọn: các chữ cái cách nhau "
               "bằng dấu phẩy, ví dụ A,C. Đúng/Sai: Đ hoặc S. Trả lời ngắn: các đáp án được "
               "chấp nhận, cách nhau bằng |, ví dụ Hà Nội | Thành phố Hà Nội. Trả lời ngắn "
               "dạng số: một số, ví dụ 27,5 hoặc 27,5±0,1. Tự luận: đáp án tham khảo "
               "(có thể để trống)."),
    ("Mệnh đề a … d", "Bốn mệnh đề của câu Đúng/Sai 4 ý."),
    ("Đáp án a … d (Đ/S)", "Đ hoặc S cho từng mệnh đề a–d của câu Đúng/Sai 4 ý."),
    ("Lời giải", "Lời giải / hướng dẫn giải (có thể để trống)."),
    ("Môn, Khối, Mức độ, Chủ đề", "Thông tin phân loại: Khối là số 1–12; Mức độ như Nhận "
                                  "biết, Thông hiểu, Vận dụng, Vận dụng cao."),
    ("Thẻ", "Các thẻ cách nhau bằng dấu phẩy."),
]


# --- template -------------------------------------------------------------------------------

def _workbook() -> openpyxl.Workbook:
    """The template workbook: the questions sheet (headers, lists) and the guide."""
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = SHEET
    sheet.append(HEADERS)
    for cell in sheet[1]:
        cell.font = Font(bold=True)
        cell.fill = PatternFill("solid", fgColor="DDEBF7")
        cell.alignment = Alignment(wrap_text=True, vertical="top")
    sheet.freeze_panes = "A2"
    for index, header in enumerate(HEADERS, 1):
        width = 40 if header in ("Nội dung", "Lời giải") else 16
        sheet.column_dimensions[openpyxl.utils.get_column_letter(index)].width = width
    types = DataValidation(type="list", formula1='"' + ",".join(TYPE_LABELS.values()) + '"',
                           allow_blank=True, showErrorMessage=True,
                           errorTitle="Loại câu hỏi", error="Hãy chọn một loại trong danh sách.")
    types.add(f"A2:A{MAX_ROWS}")
    judged = DataValidation(type="list", formula1='"Đ,S"', allow_blank=True)
    first = HEADERS.index("Đáp án a (Đ/S)") + 1
    judged.add(f"{_letter(first)}2:{_letter(first + 3)}{MAX_ROWS}")
    sheet.add_data_validation(types)
    sheet.add_data_validation(judged)
    guide = book.create_sheet(GUIDE)
    for row in GUIDE_ROWS:
        guide.append(list(row))
    guide.append([])
    guide.append(["Ví dụ (dán vào trang Câu hỏi nếu muốn):"])
    guide.append(HEADERS)
    for example in EXAMPLES:
        guide.append(example)
    guide.column_dimensions["A"].width = 28
    guide.column_dimensions["B"].width = 100
    for cell in guide[1]:
        cell.font = Font(bold=True)
    return book


def _letter(index: int) -> str:
    return openpyxl.utils.get_column_letter(index)


def _save(book: openpyxl.Workbook) -> bytes:
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def build_template() -> bytes:
    """The empty template the app offers for download (.xlsx bytes)."""
    return _save(_workbook())


# --- import -----------------------------------------------------------------------------------

def _header_key(text) -> str:
    """'Đáp án a (Đ/S)', 'dap an A', NFD input … → 'dap an a'."""
    folded = fold(nfc(str(text or "")))
    return " ".join(re.sub(r"\(.*?\)", " ", folded).split())


def _type_key(text: str) -> str:
    """'Đúng/Sai 4 ý', 'dung sai 4 y', 'ĐÚNG - SAI 4 Ý' → 'dung sai 4 y'."""
    return " ".join(re.sub(r"[^0-9a-z_]+", " ", fold(nfc(text))).split())


_KEYS = {_header_key(h): h for h in HEADERS}
_TYPES = {**{_type_key(label): kind for kind, label in TYPE_LABELS.items()},
          **{kind: kind for kind in TYPE_LABELS},
          "trac nghiem": "single_choice", "tra loi ngan so": "short_numeric"}


def _cell_text(value) -> str:
    """A cell as NFC text: numbers written without exponent; our neutralising quote removed."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "Đ" if value else "S"
    if isinstance(value, float):
        value = decimal_string(Decimal(repr(value)))
    text = nfc(str(value).replace("\r\n", "\n"))
    if text[:1] == "'" and text[1:2] and text[1:2] in _QUOTED:
        return text[1:]
    return text


def _rich(text: str) -> str:
    """Cell text as sanitised HTML: HTML when it looks like markup, else escaped text."""
    if _HTML.match(text):
        return clean_html(text)
    return clean_html(html.escape(text, quote=False).replace("\n", "<br>"))


class RowError(Exception):
    """A cell that does not hold what its column expects."""

    def __init__(self, column: str, message: str):
        super().__init__(message)
        self.column, self.message = column, message


def read_xlsx(data: bytes) -> ImportResult:
    """Read a filled template; each problem is located as 'dòng 7, cột Đáp án'."""
    result = ImportResult()
    try:
        check_archive(io.BytesIO(data), "xlsx")
        with warnings.catch_warnings():  # openpyxl warns about Excel extensions it skips
            warnings.simplefilter("ignore")
            book = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except PackageError as exc:
        result.errors.append(Problem(exc.entry or "", exc.message, None, exc.code))
        return result
    except (zipfile.BadZipFile, KeyError, ValueError, OSError) as exc:
        result.errors.append(Problem("", f"Không đọc được tệp Excel (.xlsx): {exc}.", None,
                                     "xlsxinvalid"))
        return result
    try:
        _read_book(book, result)
    finally:
        book.close()
    if not result.questions and not result.errors:
        result.errors.append(Problem("", "Trang Câu hỏi không có câu hỏi nào (từ dòng 2).",
                                     None, "noquestionsinfile"))
    return result


def _read_book(book, result: ImportResult) -> None:
    names = {fold(name): name for name in book.sheetnames}
    sheet = book[names.get(fold(SHEET), book.sheetnames[0])]
    rows = sheet.iter_rows(values_only=True)
    header = next(rows, None) or ()
    columns = {}
    for index, value in enumerate(header):
        key = _header_key(value)
        if key in _KEYS:
            columns.setdefault(_KEYS[key], index)
        elif key:
            result.warnings.append(Problem(f"dòng 1, cột {_letter(index + 1)}",
                                           f"Cột '{nfc(str(value))}' không thuộc mẫu nên bị "
                                           "bỏ qua.", 1, "xlsxunknowncolumn"))
    missing = [h for h in ("Loại câu hỏi", "Nội dung") if h not in columns]
    if missing:
        result.errors.append(Problem("dòng 1", "Thiếu cột " + ", ".join(missing) + " ở dòng "
                                     "tiêu đề; hãy dùng tệp mẫu tải từ hệ thống.", 1,
                                     "xlsxheaders"))
        return
    for number, values in enumerate(rows, 2):
        if number > MAX_ROWS + 1:
            result.errors.append(Problem(f"dòng {number}", f"Tệp có quá {MAX_ROWS} dòng.",
                                         number, "xlsxtoolarge"))
            return
        cells = {h: _cell_text(values[i]) if i < len(values) else "" for h, i in columns.items()}
        if any(cells.values()):
            _read_row(number, cells, result)


def _read_row(number: int, cells: dict[str, str], result: ImportResult) -> None:
    name = f"Câu ở dòng {number}"
    try:
        payload = _payload(cells)
        metadata = _metadata(cells)
    except RowError as exc:
        result.errors.append(Problem(f"dòng {number}, cột {exc.column}", exc.message, number,
                                     "xlsxcell", name))
        return
    tags = [nfc(t) for t in re.split(r"[,;]", cells.get("Thẻ", "")) if nfc(t)]
    result.questions.append(ParsedQuestion(
        payload=payload, title=" ".join(html_to_text(payload["text_html"]).split())[:80],
        location=f"dòng {number}", line=number, tags=tags, metadata=metadata))


def _metadata(cells: dict[str, str]) -> dict:
    out = {key: cells[column] for key, column in (("subject", "Môn"), ("level", "Mức độ"),
                                                 ("topic", "Chủ đề")) if cells.get(column)}
    grade = cells.get("Khối", "")
    if grade:
        if not grade.isdigit() or not 1 <= int(grade) <= 12:
            raise RowError("Khối", f"Cần một số từ 1 đến 12; đang là '{grade[:20]}'.")
        out["grade"] = int(grade)
    return out


def _payload(cells: dict[str, str]) -> dict:
    raw = cells.get("Loại câu hỏi", "")
    kind = _TYPES.get(_type_key(raw))
    if kind is None:
        raise RowError("Loại câu hỏi", f"Cần một trong: {', '.join(TYPE_LABELS.values())}; "
                       f"đang là '{raw[:40]}'.")
    text = _rich(cells.get("Nội dung", ""))
    if not text:
        raise RowError("Nội dung", "Ô nội dung (đề bài) đang trống.")
    payload = _READERS[kind](text, cells)
    payload["solution_html"] = _rich(cells.get("Lời giải", ""))
    return payload


def _options(cells: dict[str, str]) -> list[str]:
    texts = [cells.get(f"Phương án {c}", "") for c in LETTERS]
    while texts and not texts[-1]:
        texts.pop()
    for letter, value in zip(LETTERS, texts, strict=False):
        if not value:
            raise RowError(f"Phương án {letter}", "Các phương án phải điền liên tiếp từ A; ô "
                           "này đang trống.")
    if len(texts) < 2:
        raise RowError("Phương án B", f"Cần ít nhất 2 phương án; đang có {len(texts)}.")
    return texts


def _letters(cells: dict[str, str], count: int, single: bool) -> set[int]:
    raw = cells.get("Đáp án", "").upper()
    letters = [p for p in re.split(r"[\s,;.]+", raw) if p]
    example = "B" if single else "A,C"
    valid = LETTERS[:count]
    if not letters or any(len(p) != 1 or p not in valid for p in letters) or (
            single and len(letters) != 1):
        what = "một chữ cái" if single else "các chữ cái cách nhau bằng dấu phẩy"
        raise RowError("Đáp án", f"Cần {what} trong {valid[0]}–{valid[-1]} (ứng với phương án "
                       f"có nội dung), ví dụ {example}; đang là '{raw[:20]}'.")
    return {valid.index(p) for p in letters}


def _choice(kind: str):
    def read(text: str, cells: dict[str, str]) -> dict:
        texts = _options(cells)
        correct = _letters(cells, len(texts), kind == "single_choice")
        return {**payloads.base(kind, text), "options": [
            {"id": payloads.OPTION_IDS[i], "text_html": _rich(t), "correct": i in correct,
             "feedback_html": ""} for i, t in enumerate(texts)], "shuffle": True, "pinned": []}
    return read


def _judged(cells: dict[str, str], column: str) -> bool:
    raw = cells.get(column, "")
    value = TRUE_WORDS.get(fold(raw).replace(" ", "")) if raw else None
    if value is None:
        value = TRUE_WORDS.get(raw.casefold())
    if value is None:
        raise RowError(column, f"Cần Đ (đúng) hoặc S (sai); đang là '{raw[:20]}'.")
    return value


def _true_false(text: str, cells: dict[str, str]) -> dict:
    return payloads.true_false(text, _judged(cells, "Đáp án"))


def _true_false_4(text: str, cells: dict[str, str]) -> dict:
    texts = {key: _rich(cells.get(f"Mệnh đề {key}", "")) for key in STATEMENTS}
    for key, statement in texts.items():
        if not statement:
            raise RowError(f"Mệnh đề {key}", "Câu Đúng/Sai 4 ý cần đủ 4 mệnh đề a–d; ô này "
                           "đang trống.")
    statements = [{"id": key, "text_html": texts[key],
                   "answer": _judged(cells, f"Đáp án {key} (Đ/S)")} for key in STATEMENTS]
    return {**payloads.base("true_false_4", text), "statements": statements}


def _short_text(text: str, cells: dict[str, str]) -> dict:
    answers = [nfc(a) for a in cells.get("Đáp án", "").split("|") if nfc(a)]
    if not answers:
        raise RowError("Đáp án", "Cần ít nhất một đáp án được chấp nhận, nhiều đáp án cách "
                       "nhau bằng |, ví dụ Hà Nội | Thành phố Hà Nội.")
    return payloads.short_text(text, [(a, Decimal(1)) for a in answers])


def _short_numeric(text: str, cells: dict[str, str]) -> dict:
    raw = cells.get("Đáp án", "")
    value_text, _, tolerance_text = raw.partition("±")
    value = parse_decimal(value_text) if value_text.strip() else None
    tolerance = parse_decimal(tolerance_text) if tolerance_text.strip() else Decimal(0)
    if value is None or tolerance is None:
        raise RowError("Đáp án", "Cần một số, ví dụ 27,5 hoặc -3 (có thể thêm sai số: "
                       f"27,5±0,1); đang là '{raw[:20]}'.")
    return payloads.short_numeric(text, [(value, abs(tolerance), Decimal(1))])


def _essay(text: str, cells: dict[str, str]) -> dict:
    return payloads.essay(text, reference_html=_rich(cells.get("Đáp án", "")))


_READERS = {
    "single_choice": _choice("single_choice"),
    "multiple_response": _choice("multiple_response"),
    "true_false": _true_false,
    "true_false_4": _true_false_4,
    "short_text": _short_text,
    "short_numeric": _short_numeric,
    "essay": _essay,
}


# --- export -----------------------------------------------------------------------------------

def neutralise(text: str) -> str:
    """A cell value that no spreadsheet runs as a formula: a leading = + - @ tab or CR gets an
    apostrophe in front (security.md 17); so does a leading apostrophe, so that reading
    removes exactly one."""
    return "'" + text if text[:1] and text[:1] in _QUOTED else text


def _plain(html_text: str) -> str:
    """What to write for an HTML field: plain text when nothing is lost, else the HTML."""
    text = html.unescape(html_text or "")
    return text if plain_to_html(text) == html_text and not _HTML.match(text) else html_text


def _row(payload: dict, tags: list[str], metadata: dict) -> dict[str, str]:
    row = {"Loại câu hỏi": TYPE_LABELS[payload["type"]], "Nội dung": _plain(payload["text_html"]),
           "Lời giải": _plain(payload.get("solution_html", "")), "Thẻ": ", ".join(tags)}
    for key, column in (("subject", "Môn"), ("grade", "Khối"), ("level", "Mức độ"),
                        ("topic", "Chủ đề")):
        if metadata.get(key) not in (None, ""):
            row[column] = str(metadata[key])
    kind = payload["type"]
    if kind in ("single_choice", "multiple_response"):
        for letter, option in zip(LETTERS, payload["options"], strict=False):
            row[f"Phương án {letter}"] = _plain(option["text_html"])
        row["Đáp án"] = ",".join(LETTERS[i] for i, o in enumerate(payload["options"])
                                 if o["correct"])
    elif kind == "true_false":
        row["Đáp án"] = "Đ" if payload["answer"] else "S"
    elif kind == "true_false_4":
        for statement in payload["statements"]:
            row[f"Mệnh đề {statement['id']}"] = _plain(statement["text_html"])
            row[f"Đáp án {statement['id']} (Đ/S)"] = "Đ" if statement["answer"] else "S"
    elif kind == "short_text":
        row["Đáp án"] = " | ".join(a["text"] for a in payload["answers"]
                                   if Decimal(a["fraction"]) == 1)
    elif kind == "short_numeric":
        answer = payload["answers"][0]
        tolerance = answer.get("tolerance", "0")
        row["Đáp án"] = answer["value"] + (f"±{tolerance}" if Decimal(tolerance) else "")
    elif kind == "essay":
        row["Đáp án"] = _plain(payload.get("reference_html", ""))
    return row


def export_xlsx(questions, skip_unsupported: bool = False) -> bytes:
    """Payloads or ParsedQuestions as the template filled in, one row each. Only the first
    short_numeric answer and full-mark short_text answers are written (the template has no
    partial credit); other types raise ExportError or, with ``skip_unsupported``, are left out.
    """
    book = _workbook()
    sheet = book[SHEET]
    for number, item in enumerate(questions, 1):
        payload, _, _, tags, _ = unpack(item)
        if payload.get("type") not in TYPE_LABELS:
            if skip_unsupported:
                continue
            raise unsupported(number, payload.get("type"), "XLSX")
        row = _row(payload, tags, getattr(item, "metadata", {}) or {})
        sheet.append([neutralise(row.get(header, "")) or None for header in HEADERS])
    return _save(book)
