"""The line grammar of a Word test (see question_bank.formats.docx for the conventions):
lines in, question drafts, parts and the answer key out. No payloads are built here."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from .docx_text import Line, Piece, marks
from .result import Attachment

_QUESTION_WORD = re.compile(r"^(?:câu|bài|question)\s*(\d{1,4})\s*[.:)]?\s*", re.I)
_QUESTION_NUMBER = re.compile(r"^(\d{1,4})\s*\.(?=\s|$)\s*")
_PART = re.compile(r"^(?:phần|phan)\s+([IVX]+|\d+)\b\s*[.:\-–]?\s*(.*)$", re.I)
_ROMAN_PART = re.compile(r"^([IVX]+)\s*[.:](?:\s+(.*))?$")
#: a cognitive-level tag after the number: "Câu 1 (NB):", "Câu 2 [VDC]."
_LEVEL = re.compile(r"\s*[(\[](NB|TH|VD|VDC)[)\]]\s*[.:]?\s*", re.I)
_OPTION = re.compile(r"(\*?)\s*([A-H])\s*[.)]")
_STATEMENT = re.compile(r"^(\*?)\s*([a-d])\s*[).]\s*")
_ANSWER = re.compile(r"^(?:đáp\s*án(?:\s*đúng)?|trả\s*lời)\s*[:.]\s*(.*)$", re.I)
_CHOOSE = re.compile(r"^(?i:chọn)\s*(?i:đáp\s*án)?\s*:?\s*([A-H])\b")
_SOLUTION = re.compile(r"^(?:lời\s*giải(?:\s*chi\s*tiết)?|hướng\s*dẫn(?:\s*giải)?|giải\s*:)"
                       r"\s*[:.]?\s*", re.I)
_END = re.compile(r"^[-–—_.*=\s]*(?i:HẾT)[-–—_.*=\s]*$")
_KEY_HEADING = re.compile(r"^(?:BẢNG\s+)?ĐÁP\s+ÁN\b")
_KEY_TF = re.compile(r"(\d{1,4})\s*[-.:)]?\s*((?:[a-d]\s*\)?\s*[-:.]?\s*[ĐS]\b[\s,;]*){4}"
                     r"|[ĐS](?:[\s,;]*[ĐS]){3}\b)")
_KEY_TOKEN = re.compile(r"(?<![\w,.])(?:(?i:câu)\s*)?(\d{1,4})\s*[-.:)]?\s*([A-Ha-h])(?![\w])")
_KEY_SHORT = re.compile(r"(?<![\w,.])(?:(?i:câu)\s*)?(\d{1,4})\s*[-.:)]\s*([^\s;|]+)")
TF_PAIR = re.compile(r"([a-d])\s*\)?\s*[-:.]?\s*(Đúng|Sai|Đ|S)\b", re.I)
TF_COMPACT = re.compile(r"^([ĐS])[\s,;]*([ĐS])[\s,;]*([ĐS])[\s,;]*([ĐS])\W*$")
NUMERIC_2025 = re.compile(r"^[-0-9,.]{1,4}$")

_KIND_WORDS = (("đúng sai", "tf4"), ("đúng/sai", "tf4"), ("đúng - sai", "tf4"),
               ("trả lời ngắn", "short"), ("tự luận", "essay"), ("lựa chọn", "choice"),
               ("trắc nghiệm", "choice"))
_KIND_BY_NUMBER = {1: "choice", 2: "tf4", 3: "short"}


@dataclass
class Item:
    """An option or a statement."""

    letter: str
    para: int
    pieces: list[Piece]
    star: bool = False
    marks: dict[str, bool] = field(default_factory=dict)


@dataclass
class Draft:
    """A question being read."""

    number: int
    para: int
    kind: str
    part: int
    part_label: str
    word: str
    stem: list[list[Piece]] = field(default_factory=list)
    options: list[Item] = field(default_factory=list)
    statements: list[Item] = field(default_factory=list)
    answer: str | None = None
    solution: list[list[Piece]] = field(default_factory=list)
    attachments: list[Attachment] = field(default_factory=list)
    in_solution: bool = False
    level: str = ""
    #: last "N." step number seen in the solution (so "N+1." there is a step, not a question)
    solution_step: int | None = None
    #: an empty paragraph came after the last option or statement (it ends that item)
    blank: bool = False
    #: (paragraph, text) of lines after the options that belong to no option
    stray: list[tuple[int, str]] = field(default_factory=list)

    @property
    def location(self) -> str:
        where = f"phần {self.part_label}, " if self.part_label else ""
        return f"{where}câu {self.number} (đoạn {self.para})"


@dataclass
class _Part:
    """The part being read: its number in the file, label ("II") and expected kind."""

    index: int = 0
    label: str = ""
    kind: str = "choice"


class Parser:
    """The line grammar: collects drafts, parts and the answer key."""

    def __init__(self, worded: bool = False) -> None:
        #: the file numbers its questions "Câu N"/"Bài N"/"Question N": a bare "N." before
        #: the first question is an instruction line ("1. Thời gian làm bài 50 phút")
        self.worded = worded
        self.drafts: list[Draft] = []
        self.current: Draft | None = None
        self.part = _Part()
        self.part_kinds: dict[int, str] = {0: "choice"}
        self.mode = "body"  # body | ended | key
        self.key: dict[tuple[int, int], str] = {}
        self.key_part = 0
        self.key_has_parts = False
        #: (key part, table) → {(row, column): text} for answer tables laid out as a grid
        self.key_cells: dict[tuple[int, int], dict[tuple[int, int], str]] = {}

    def feed(self, line: Line) -> None:
        text = line.text.strip()
        if not text:
            if self.current is not None:
                self.current.blank = True
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
        self._drop_instructions()
        for (part, _table), cells in self.key_cells.items():
            for number, value in _grid_key(cells, self._key_kind(part) == "short"):
                self.key.setdefault((part, number), value)

    def _drop_instructions(self) -> None:
        """Numbered instruction lines before the first question ("1. Thí sinh không dùng
        tài liệu", "2. …") read as bare-numbered drafts with nothing of a question — no
        option, statement or answer — followed, in the same part, by a restart at 1: they
        are not questions."""
        restart = next((i for i, d in enumerate(self.drafts) if i and d.number == 1), None)
        if restart is None:
            return
        lead = self.drafts[:restart]
        if all(not (d.word or d.options or d.statements or d.answer) and d.kind != "essay"
               and d.part == self.drafts[restart].part for d in lead):
            del self.drafts[:restart]

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
        self.part_kinds[self.part.index] = kind
        return True

    def _question_line(self, line: Line, text: str) -> bool:
        match = _QUESTION_WORD.match(text) or self._bare_number(text)
        if not match:
            return False
        self._close()
        offset = len(line.text) - len(line.text.lstrip())
        word = text.split()[0] if _QUESTION_WORD.match(text) else ""
        draft = Draft(int(match.group(1)), line.para, self.part.kind, self.part.index,
                       self.part.label, word)
        self.current = draft
        start = offset + match.end()
        level = _LEVEL.match(line.text, start)
        if level:
            draft.level, start = level.group(1).upper(), level.end()
        rest = line.slice(start)
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
            return None if self.worded and not self.drafts else match
        number = int(match.group(1))
        step = current.solution_step
        if current.in_solution and step is not None and number == step + 1:
            return None
        if number not in (1, current.number + 1) or (current.in_solution and number == 1):
            return None
        return match

    def _inside(self, draft: Draft, line: Line, text: str) -> None:
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
        if draft.kind != "essay" and self._options(draft, line, offset):
            return
        statement = _STATEMENT.match(text)
        if (statement and not draft.options and draft.kind != "essay"
                and statement.group(2) == "abcd"[min(len(draft.statements), 3)]
                and len(draft.statements) < 4):
            pieces = line.slice(offset + statement.end())
            draft.statements.append(Item(statement.group(2), line.para, pieces,
                                          bool(statement.group(1)), marks(line.slice(offset))))
            draft.blank = False
            return
        target = (draft.options or draft.statements or [None])[-1]
        if target is None:
            draft.stem.append(line.slice(offset))
        elif _continues(draft, target, line):
            target.pieces = [*target.pieces, Piece(" ", html="<br>"), *line.slice(offset)]
        else:
            draft.stray.append((line.para, text))

    def _options(self, draft: Draft, line: Line, offset: int) -> bool:
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
            draft.options.append(Item(letter, line.para, line.slice(content + lead, end), star,
                                       marks(line.slice(start, end))))
        draft.blank = False
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
        if self._key_kind(self.key_part) == "short":
            for match in _KEY_SHORT.finditer(text):
                value = match.group(2).rstrip(".;")
                self.key.setdefault((self.key_part, int(match.group(1))), value)
            return
        for match in _KEY_TOKEN.finditer(text):
            self.key.setdefault((self.key_part, int(match.group(1))), match.group(2).upper())

    def _key_kind(self, key_part: int) -> str | None:
        """The kind of the questions a part of the key answers (known only when the key is
        split by parts like the questions)."""
        return self.part_kinds.get(key_part) if self.key_has_parts else None

    def key_for(self, draft: Draft) -> str | None:
        """The answer-key entry for a question (by part when the key is split by parts)."""
        if self.key_has_parts:
            return self.key.get((draft.part, draft.number))
        return self.key.get((0, draft.number))


def is_worded(lines: list[Line]) -> bool:
    """True when some line before the answer key starts "Câu N", "Bài N" or "Question N"."""
    for line in lines:
        text = line.text.strip()
        if _is_key_heading(text):
            return False
        if _QUESTION_WORD.match(text):
            return True
    return False


def _continues(draft: Draft, target: Item, line: Line) -> bool:
    """Whether a line that is not an option belongs to the option (or true/false statement)
    before it: an option ends with its paragraph — the next line of the same paragraph
    (a manual line break) continues it, and an option that is only its letter ("A." over a
    picture or a formula) takes the next paragraph; an empty paragraph or any other line ends
    it (a trailing "ID: 776" is not part of option D). Sub-questions a), b)… of a question
    that is not true/false keep the lines that follow them."""
    if draft.statements and not draft.options and draft.kind != "tf4":
        return True
    if line.para == target.para:
        return True
    bare = not "".join(p.text for p in target.pieces).strip()
    return bare and not draft.blank


def _grid_key(cells: dict[tuple[int, int], str], short: bool = False):
    """(number, answer) pairs of an answer table: a row of question numbers above a row of
    answers ("Câu | 1 | 2" / "Đáp án | A | C"), or rows of "number | answer" cells — the
    layout is the one with more numbers in the first row (numbers above) or column, letters
    may also sit in the other direction. Answers are letters or ĐSĐS, or any text for a
    short-answer part."""
    numbers = {at: int(text) for at, text in cells.items()
               if re.fullmatch(r"\d{1,4}", text.strip())}
    in_first_row = sum(1 for row, _col in numbers if row == 0)
    in_first_column = sum(1 for _row, col in numbers if col == 0)
    steps = [(1, 0), (0, 1)] if in_first_row > in_first_column else [(0, 1), (1, 0)]
    for (row, col), number in numbers.items():
        for down, right in steps[:1] if short else steps:
            value = cells.get((row + down, col + right), "").strip()
            compact = TF_COMPACT.match(value.upper())
            if compact:
                yield number, "".join(compact.groups())
                break
            if re.fullmatch(r"[A-H]", value) or (short and value):
                yield number, value
                break


def _is_key_heading(text: str) -> bool:
    """'ĐÁP ÁN', 'BẢNG ĐÁP ÁN …' in capitals, or 'Bảng đáp án' in any case — not an
    'Đáp án: C' line."""
    if re.search(r":\s*\S", text):
        return False
    if re.match(r"(?i)^bảng\s+đáp\s+án\b", text):
        return True
    return bool(_KEY_HEADING.match(text)) and text == text.upper()


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


