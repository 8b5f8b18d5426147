"""Word (.docx) tests in the Vietnamese teachers' conventions (product.md §7) → payloads.

Grammar, line by line (a paragraph, or one line of it after a manual break):

- a question starts with "Câu N", "Bài N", "Question N" (optionally followed by ".", ":" or
  ")") or "N."; a bare "N." only when it is the first question, the next number or a restart
  at 1 — inside a solution only when it does not continue the solution's own "1.", "2." steps
  (numbered steps and lists stay in the question);
- options "A." … "H." (or "A)"), one per line or several per line separated by spaces/tabs;
  true/false statements "a)" … "d)";
- a part heading ("PHẦN I…", "Phần 2", "I. …") sets the expected type: by its words
  ("đúng sai", "trả lời ngắn", "tự luận", "lựa chọn") or, in the 2025 layout, by its number
  (I single choice, II true_false_4, III short answer);
- "Đáp án: …" gives the answer (a letter, "a) Đ, b) S, …", or a short answer); "Chọn C" too;
- "Lời giải" / "Hướng dẫn giải" starts the solution (into ``solution_html``);
- "HẾT" ends the questions; a heading "ĐÁP ÁN" / "BẢNG ĐÁP ÁN" starts the answer key, whose
  tokens "1-A", "1.A", "1a", "1. A" (in paragraphs or tables) give answers by number.

The correct option is, in this order: the "Đáp án" line, the answer key, a leading "*", the
one option underlined, in red, highlighted, or bold (bold only when exactly one option is).
A short answer of at most 4 characters that reads as a number becomes ``short_numeric``
(2025 format), anything else ``short_text``.

Pure: bytes in, ImportResult out; every problem located as "đoạn N" or "câu N (đoạn M)".
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from question_bank.text import nfc
from question_bank.types import PayloadError, validate_payload

from . import payloads
from .docx_package import DocxError, open_docx
from .docx_text import OBJECT, BodyReader, Extraction, Line, Piece, marks, pieces_html
from .markup import clean_html, decimal_string, html_to_text, parse_decimal
from .result import Attachment, ImportResult, ParsedQuestion, Problem

_QUESTION_WORD = re.compile(r"^(?:câu|bài|question)\s*(\d{1,4})\s*[.:)]?\s*", re.I)
_QUESTION_NUMBER = re.compile(r"^(\d{1,4})\s*\.(?=\s|$)\s*")
_PART = re.compile(r"^(?:phần|phan)\s+([IVX]+|\d+)\b\s*[.:\-–]?\s*(.*)$", re.I)
_ROMAN_PART = re.compile(r"^([IVX]+)\s*[.:](?:\s+(.*))?$")
_OPTION = re.compile(r"(\*?)\s*([A-H])\s*[.)]")
_STATEMENT = re.compile(r"^(\*?)\s*([a-d])\s*[).]\s*")
_ANSWER = re.compile(r"^(?:đáp\s*án(?:\s*đúng)?|trả\s*lời)\s*[:.]\s*(.*)$", re.I)
_CHOOSE = re.compile(r"^(?i:chọn)\s*(?i:đáp\s*án)?\s*:?\s*([A-H])\b")
_SOLUTION = re.compile(r"^(?:lời\s*giải(?:\s*chi\s*tiết)?|hướng\s*dẫn(?:\s*giải)?|giải\s*:)"
                       r"\s*[:.]?\s*", re.I)
_END = re.compile(r"^[-–—_.*=\s]*HẾT[-–—_.*=\s]*$")
_KEY_HEADING = re.compile(r"^(?:BẢNG\s+)?ĐÁP\s+ÁN\b")
_KEY_TF = re.compile(r"(\d{1,4})\s*[-.:)]?\s*((?:[a-d]\s*\)?\s*[-:.]?\s*[ĐS]\b[\s,;]*){4}"
                     r"|[ĐS](?:[\s,;]*[ĐS]){3}\b)")
_KEY_TOKEN = re.compile(r"(?<![\w,.])(\d{1,4})\s*[-.:)]?\s*([A-Ha-h])(?![\w])")
_TF_PAIR = re.compile(r"([a-d])\s*\)?\s*[-:.]?\s*(Đúng|Sai|Đ|S)\b", re.I)
_TF_COMPACT = re.compile(r"^([ĐS])[\s,;]*([ĐS])[\s,;]*([ĐS])[\s,;]*([ĐS])\W*$")
_NUMERIC_2025 = re.compile(r"^[-0-9,.]{1,4}$")

_KIND_WORDS = (("đúng sai", "tf4"), ("đúng/sai", "tf4"), ("đúng - sai", "tf4"),
               ("trả lời ngắn", "short"), ("tự luận", "essay"), ("lựa chọn", "choice"),
               ("trắc nghiệm", "choice"))
_KIND_BY_NUMBER = {1: "choice", 2: "tf4", 3: "short"}
_MARK_NAMES = {"underline": "gạch chân", "red": "chữ đỏ", "highlight": "tô sáng",
               "bold": "in đậm"}
HOW_TO_MARK = ("đánh dấu bằng gạch chân, chữ đỏ, in đậm, tô sáng, dấu * hoặc dòng 'Đáp án: C' "
               "(hoặc bảng đáp án cuối đề)")


@dataclass
class _Item:
    """An option or a statement."""

    letter: str
    para: int
    pieces: list[Piece]
    star: bool = False
    marks: dict[str, bool] = field(default_factory=dict)


@dataclass
class _Draft:
    """A question being read."""

    number: int
    para: int
    kind: str
    part: int
    part_label: str
    word: str
    stem: list[list[Piece]] = field(default_factory=list)
    options: list[_Item] = field(default_factory=list)
    statements: list[_Item] = field(default_factory=list)
    answer: str | None = None
    solution: list[list[Piece]] = field(default_factory=list)
    attachments: list[Attachment] = field(default_factory=list)
    in_solution: bool = False
    #: last "N." step number seen in the solution (so "N+1." there is a step, not a question)
    solution_step: int | None = None

    @property
    def location(self) -> str:
        where = f"phần {self.part_label}, " if self.part_label else ""
        return f"{where}câu {self.number} (đoạn {self.para})"


@dataclass
class _Part:
    index: int = 0
    label: str = ""
    kind: str = "choice"


def read_docx(data: bytes, filename: str = "") -> ImportResult:
    """Read a Word test file; every problem is reported with its location, nothing raises."""
    try:
        package = open_docx(data)
        extraction = BodyReader(package).read()
    except RecursionError:
        exc = DocxError("toodeep", "Tệp Word lồng nhau quá sâu (bảng trong bảng, công thức "
                        "trong công thức…) để đọc an toàn.")
        return _refused(exc, filename)
    except DocxError as exc:
        return _refused(exc, filename)
    parser = _Parser()
    for line in extraction.lines:
        parser.feed(line)
    parser.close()
    result = ImportResult(warnings=_file_warnings(extraction))
    for draft in parser.drafts:
        _build(draft, parser.key_for(draft), result)
    if not result.questions and not result.errors:
        result.errors.append(Problem(
            "tệp", "Không tìm thấy câu hỏi nào. Mỗi câu cần bắt đầu bằng 'Câu 1.', 'Bài 1', "
            "'Question 1' hoặc '1.' ở đầu đoạn, các phương án 'A.' … 'D.'.", None,
            "noquestionsinfile"))
    return result


def _refused(exc: DocxError, filename: str) -> ImportResult:
    name = f"«{filename}»: " if filename else ""
    return ImportResult(errors=[Problem("tệp", name + exc.message, None, exc.code)])


def _file_warnings(extraction: Extraction) -> list[Problem]:
    warnings = []
    for name, font in (("TCVN3", ".VnTime"), ("VNI", "VNI-Times")):
        if name in extraction.legacy:
            warnings.append(Problem("tệp", f"Văn bản dùng bảng mã {name} (phông {font}…) đã được "
                                    "chuyển sang Unicode; hãy kiểm tra lại chữ có dấu.", None,
                                    "legacyencoding"))
    for para in extraction.mathtype:
        warnings.append(Problem(f"đoạn {para}", "Công thức MathType được nhập dưới dạng ảnh xem "
                                "trước (không sửa được). Hãy chuyển sang công thức của Word "
                                "(Equation) để nhập thành LaTeX.", para, "mathtype"))
    for para, names in sorted(extraction.unknown_math.items()):
        warnings.append(Problem(f"đoạn {para}", "Công thức có thành phần chưa hỗ trợ ("
                                f"{', '.join(sorted(names))}); đã giữ phần chữ, hãy kiểm tra "
                                "lại công thức.", para, "ommlunsupported"))
    return warnings


class _Parser:
    """The line grammar: collects drafts, parts and the answer key."""

    def __init__(self) -> None:
        self.drafts: list[_Draft] = []
        self.current: _Draft | None = None
        self.part = _Part()
        self.mode = "body"  # body | ended | key
        self.key: dict[tuple[int, int], str] = {}
        self.key_part = 0
        self.key_has_parts = False
        #: (key part, table) → {(row, column): text} for answer tables laid out as a grid
        self.key_cells: dict[tuple[int, int], dict[tuple[int, int], str]] = {}

    def feed(self, line: Line) -> None:
        text = line.text.strip()
        if not text:
            return
        if _is_key_heading(text):
            self._close()
            self.mode = "key"
            return
        if self.mode == "key":
            if line.cell is not None:
                table, row, col = line.cell
                self.key_cells.setdefault((self.key_part, table), {})[(row, col)] = text
            self._key_line(text)
            return
        if _END.match(text):
            self._close()
            self.mode = "ended"
            return
        if self.mode == "ended":
            return
        if self._part_line(text):
            return
        if self._question_line(line, text):
            return
        if self.current is not None:
            self._inside(self.current, line, text)

    def close(self) -> None:
        self._close()
        for (part, _table), cells in self.key_cells.items():
            for number, value in _grid_key(cells):
                self.key.setdefault((part, number), value)

    def _close(self) -> None:
        if self.current is not None:
            self.drafts.append(self.current)
            self.current = None

    def _part_line(self, text: str) -> bool:
        if self.current is not None and self.current.in_solution:
            return False
        match = _PART.match(text) or _ROMAN_PART.match(text)
        if not match:
            return False
        label, rest = match.group(1), match.group(2) or ""
        number = _roman_value(label) if label.isalpha() else int(label)
        worded = _PART.match(text) is not None
        kind = _kind_from_words(rest) or (_KIND_BY_NUMBER.get(number, "choice") if worded
                                          else "choice")
        self._close()
        self.part = _Part(self.part.index + 1, label.upper(), kind)
        return True

    def _question_line(self, line: Line, text: str) -> bool:
        match = _QUESTION_WORD.match(text) or self._bare_number(text)
        if not match:
            return False
        self._close()
        offset = len(line.text) - len(line.text.lstrip())
        word = text.split()[0] if _QUESTION_WORD.match(text) else ""
        draft = _Draft(int(match.group(1)), line.para, self.part.kind, self.part.index,
                       self.part.label, word)
        self.current = draft
        rest = line.slice(offset + match.end())
        if "".join(p.text for p in rest).strip():
            draft.stem.append(rest)
        draft.attachments.extend(line.attachments)
        return True

    def _bare_number(self, text: str) -> re.Match | None:
        """'N.' starts a question outside a solution when it is the first, the next number or
        a restart at 1; other numbered lines belong to the current question."""
        match = _QUESTION_NUMBER.match(text)
        current = self.current
        if match is None or current is None:
            return match
        number = int(match.group(1))
        step = current.solution_step
        if current.in_solution and step is not None and number == step + 1:
            return None
        if number not in (1, current.number + 1) or (current.in_solution and number == 1):
            return None
        return match

    def _inside(self, draft: _Draft, line: Line, text: str) -> None:
        draft.attachments.extend(line.attachments)
        offset = len(line.text) - len(line.text.lstrip())
        solution = _SOLUTION.match(text)
        if solution and not draft.in_solution:
            draft.in_solution = True
            rest = line.slice(offset + solution.end())
            rest_text = "".join(p.text for p in rest).strip()
            if rest_text:
                draft.solution.append(rest)
            answer = _ANSWER.match(rest_text) or _CHOOSE.match(rest_text)
            if answer and draft.answer is None:
                draft.answer = answer.group(1).strip()
            return
        answer = _ANSWER.match(text) or _CHOOSE.match(text)
        if answer and draft.answer is None:
            draft.answer = answer.group(1).strip()
            if draft.in_solution:
                draft.solution.append(line.slice(offset))
            return
        if draft.in_solution:
            step = _QUESTION_NUMBER.match(text)
            if step:
                draft.solution_step = int(step.group(1))
            draft.solution.append(line.slice(offset))
            return
        if self._options(draft, line, offset):
            return
        statement = _STATEMENT.match(text)
        if (statement and not draft.options
                and statement.group(2) == "abcd"[min(len(draft.statements), 3)]
                and len(draft.statements) < 4):
            pieces = line.slice(offset + statement.end())
            draft.statements.append(_Item(statement.group(2), line.para, pieces,
                                          bool(statement.group(1)), marks(line.slice(offset))))
            return
        target = (draft.options or draft.statements or [None])[-1]
        if target is not None:
            target.pieces = [*target.pieces, Piece(" ", html="<br>"), *line.slice(offset)]
        else:
            draft.stem.append(line.slice(offset))

    def _options(self, draft: _Draft, line: Line, offset: int) -> bool:
        """Split a line into options when it starts with the next expected letter."""
        text = line.text
        expected = ord("A") + len(draft.options)
        starts: list[tuple[int, int, str, bool]] = []  # (label start, content start, letter, *)
        for match in _OPTION.finditer(text, offset):
            start = match.start() + (len(match.group(0)) - len(match.group(0).lstrip()))
            if not starts and start != offset:
                return False
            if start > offset and not text[start - 1].isspace():
                continue
            if ord(match.group(2)) != expected + len(starts):
                continue
            starts.append((start, match.end(), match.group(2), bool(match.group(1))))
        if not starts:
            return False
        for index, (start, content, letter, star) in enumerate(starts):
            end = starts[index + 1][0] if index + 1 < len(starts) else len(text)
            body = text[content:end]
            lead = len(body) - len(body.lstrip())
            if body.lstrip().startswith("*"):
                star, lead = True, lead + 1
            draft.options.append(_Item(letter, line.para, line.slice(content + lead, end), star,
                                       marks(line.slice(start, end))))
        return True

    def _key_line(self, text: str) -> None:
        part = _PART.match(text) or _ROMAN_PART.match(text)
        if part:
            self.key_part += 1
            self.key_has_parts = True
            text = part.group(2) or ""
        for match in _KEY_TF.finditer(text):
            values = "".join(re.findall(r"[ĐS]", match.group(2)))
            self.key[(self.key_part, int(match.group(1)))] = values
        text = _KEY_TF.sub(" ", text)
        for match in _KEY_TOKEN.finditer(text):
            self.key.setdefault((self.key_part, int(match.group(1))), match.group(2).upper())

    def key_for(self, draft: _Draft) -> str | None:
        """The answer-key entry for a question (by part when the key is split by parts)."""
        if self.key_has_parts:
            return self.key.get((draft.part, draft.number))
        return self.key.get((0, draft.number))


def _grid_key(cells: dict[tuple[int, int], str]):
    """(number, answer) pairs of an answer table: a row of question numbers above a row of
    answers ("Câu | 1 | 2" / "Đáp án | A | C"), or rows of "number | answer" cells."""
    for (row, col), text in cells.items():
        if not re.fullmatch(r"\d{1,4}", text.strip()):
            continue
        for neighbour in ((row + 1, col), (row, col + 1)):
            value = cells.get(neighbour, "").strip()
            compact = _TF_COMPACT.match(value.upper())
            if re.fullmatch(r"[A-H]", value):
                yield int(text), value
                break
            if compact:
                yield int(text), "".join(compact.groups())
                break


def _is_key_heading(text: str) -> bool:
    return bool(_KEY_HEADING.match(text)) and text == text.upper() and not re.search(
        r":\s*\S", text)


def _kind_from_words(text: str) -> str | None:
    lowered = " ".join(text.lower().split())
    for words, kind in _KIND_WORDS:
        if words in lowered:
            return kind
    return None


def _roman_value(text: str) -> int:
    values = {"I": 1, "V": 5, "X": 10}
    total = 0
    for index, char in enumerate(text.upper()):
        value = values[char]
        following = values[text.upper()[index + 1]] if index + 1 < len(text) else 0
        total += -value if value < following else value
    return total


# ---------------------------------------------------------------- building payloads


def _build(draft: _Draft, key: str | None, result: ImportResult) -> None:
    stem = clean_html("<br>".join(pieces_html(line) for line in draft.stem))
    title = nfc(" ".join(html_to_text(stem).replace(OBJECT, " ").split()))[:80] or draft.location
    problems: list[Problem] = []
    warnings: list[Problem] = []

    def fail(code: str, message: str) -> None:
        problems.append(Problem(draft.location, message, draft.para, code, title))

    def warn(code: str, message: str) -> None:
        warnings.append(Problem(draft.location, message, draft.para, code, title))

    answer = draft.answer if draft.answer else key
    if draft.options:
        payload = _choice(draft, stem, answer, fail, warn)
        if payload and draft.kind not in ("choice",):
            warnings.append(Problem(draft.location, "Câu có phương án A–D nằm trong phần "
                                    f"{_kind_label(draft.kind)}; đã nhập là câu trắc nghiệm.",
                                    draft.para, "kindmismatch", title))
    elif draft.statements:
        payload = _true_false_4(draft, stem, answer, fail)
    elif answer:
        payload = _short(stem, answer)
    elif draft.kind == "essay" or draft.word.lower() == "bài":
        payload = payloads.essay(stem)
    else:
        expected = {"tf4": "4 ý a) b) c) d)", "short": "dòng 'Đáp án: …'"}.get(
            draft.kind, "các phương án A. B. C. D.")
        fail("questionmissinganswers", f"Câu {draft.number} không có {expected}.")
        payload = None
    if payload is None or problems:
        result.errors.extend(problems)
        return
    if draft.solution:
        payload["solution_html"] = clean_html(
            "<br>".join(pieces_html(line) for line in draft.solution))
    try:
        validate_payload(payload)
    except PayloadError as exc:
        result.errors.extend(Problem(draft.location, f"Câu {draft.number}: {problem.message} "
                                     f"({problem.path}).", draft.para, "invalidquestion", title)
                             for problem in exc.problems)
        return
    result.questions.append(ParsedQuestion(
        payload=payload, title=title, location=draft.location, line=draft.para,
        warnings=warnings, attachments=list(draft.attachments)))


def _kind_label(kind: str) -> str:
    return {"tf4": "đúng sai", "short": "trả lời ngắn", "essay": "tự luận"}.get(kind, kind)


def _choice(draft: _Draft, stem: str, answer: str | None, fail, warn) -> dict | None:
    options = draft.options
    correct = _correct_options(draft, answer, fail)
    if correct is None:
        return None
    marked = _formatted_option(options)
    if answer and marked is not None and marked not in correct:
        warn("answerconflict", f"Câu {draft.number}: đáp án '{answer}' khác phương án được "
             f"đánh dấu ({options[marked].letter}); đã dùng đáp án '{answer}'.")
    texts = [clean_html(pieces_html(o.pieces)) for o in options]
    if len(correct) > 1:  # "Đáp án: A, C": every named option is right, scored equally
        count = payloads._count_problem(len(options))
        if count:
            fail(count[0], f"Câu {draft.number}: {count[1]}")
            return None
        return {**payloads.base("multiple_response", stem), "shuffle": True, "pinned": [],
                "options": [{"id": payloads.OPTION_IDS[i], "text_html": text,
                             "correct": i in correct, "feedback_html": ""}
                            for i, text in enumerate(texts)]}
    choices = [payloads.Choice(text, 1 if i in correct else 0) for i, text in enumerate(texts)]
    outcome = payloads.choice_question(stem, choices, single=True)
    for code, message in outcome.errors:
        fail(code, f"Câu {draft.number}: {message}")
    return outcome.payload


def _correct_options(draft: _Draft, answer: str | None, fail) -> set[int] | None:
    """Indexes of the correct options by the first signal that names them (see module doc)."""
    options = draft.options
    letters = [o.letter for o in options]
    if answer:
        single = answer.strip().rstrip(".").strip()
        named = ([single.upper()] if re.fullmatch(r"[a-h]", single)
                 else re.findall(r"(?<![^\W\d_])([A-H])(?![^\W\d_])", answer))
        chosen = {letters.index(x) for x in named if x in letters}
        missing = [x for x in named if x not in letters]
        if missing or not named:
            fail("invalidanswer", f"Câu {draft.number}: đáp án '{answer}' không khớp phương án "
                 f"nào (có {letters[0]}–{letters[-1]}).")
            return None
        return chosen
    stars = {i for i, o in enumerate(options) if o.star}
    if stars:
        return stars
    crowded = []
    for name in ("underline", "red", "highlight", "bold"):
        marked = {i for i, o in enumerate(options) if o.marks[name]}
        if len(marked) == 1:
            return marked
        if len(marked) > 1 and name != "bold":
            crowded.append(name)
    if crowded:
        names = ", ".join(_MARK_NAMES[n] for n in crowded)
        fail("multiplecorrect", f"Câu {draft.number}: nhiều phương án cùng được đánh dấu "
             f"({names}) — câu một đáp án cần đánh dấu đúng một phương án.")
    else:
        fail("noanswer", f"Câu {draft.number}: không xác định được đáp án đúng — {HOW_TO_MARK}.")
    return None


def _formatted_option(options: list[_Item]) -> int | None:
    """The one option underlined, red or highlighted, if exactly one is."""
    for name in ("underline", "red", "highlight"):
        marked = [i for i, o in enumerate(options) if o.marks[name]]
        if len(marked) == 1:
            return marked[0]
    return None


def _true_false_4(draft: _Draft, stem: str, answer: str | None, fail) -> dict | None:
    statements = draft.statements
    if [s.letter for s in statements] != list("abcd"):
        fail("statementcount", f"Câu {draft.number}: câu đúng sai cần đủ 4 ý a) b) c) d); "
             f"tìm thấy {len(statements)}.")
        return None
    truth = _truth_from_answer(answer) if answer else None
    if answer and truth is None:
        fail("invalidanswer", f"Câu {draft.number}: không đọc được đáp án '{answer}'; cần "
             "dạng 'a) Đ, b) S, c) Đ, d) S' hoặc 'ĐSĐS'.")
        return None
    if truth is None:
        truth = _truth_from_marks(statements)
    if truth is None:
        fail("noanswer", f"Câu {draft.number}: không xác định được ý nào đúng — đánh dấu ý đúng "
             "bằng gạch chân, chữ đỏ, tô sáng, dấu * hoặc dòng 'Đáp án: a) Đ, b) S, c) Đ, d) S'.")
        return None
    return {**payloads.base("true_false_4", stem), "statements": [
        {"id": s.letter, "text_html": clean_html(pieces_html(s.pieces)), "answer": truth[i]}
        for i, s in enumerate(statements)]}


def _truth_from_answer(answer: str) -> list[bool] | None:
    compact = _TF_COMPACT.match(answer.strip().upper())
    if compact:
        return [value == "Đ" for value in compact.groups()]
    pairs = {letter.lower(): value.upper().startswith("Đ")
             for letter, value in _TF_PAIR.findall(answer)}
    if set(pairs) != set("abcd"):
        return None
    return [pairs[letter] for letter in "abcd"]


def _truth_from_marks(statements: list[_Item]) -> list[bool] | None:
    if any(s.star for s in statements):
        return [s.star for s in statements]
    flags = [s.marks["underline"] or s.marks["red"] or s.marks["highlight"]
             for s in statements]
    if any(flags):
        return flags
    bold = [s.marks["bold"] for s in statements]
    return bold if any(bold) and not all(bold) else None


def _short(stem: str, answer: str) -> dict:
    value = answer.strip().rstrip(".").strip() if not answer.strip().endswith("..") else answer
    number = parse_decimal(value) if _NUMERIC_2025.match(value) else None
    if number is not None and len(_shortest(number)) <= 4:
        payload = payloads.short_numeric(stem, [(number, 0, 1)])
        payload["format_2025"] = True
        return payload
    return payloads.short_text(stem, [(nfc(value), 1)])


def _shortest(number) -> str:
    text = decimal_string(number)
    if text.startswith("0."):
        return text[1:]
    if text.startswith("-0."):
        return "-" + text[2:]
    return text
