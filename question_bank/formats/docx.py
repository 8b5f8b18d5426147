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
one option underlined, in red, highlighted, or bold (several marked alike is an error; a key
from bold alone is a warning). An option ends with its paragraph: a later line that is not an
option is left out with a warning, never glued onto option D.
A short answer of at most 4 characters that reads as a number becomes ``short_numeric``
(2025 format), anything else ``short_text``.

Pure: bytes in, ImportResult out; every problem located as "đoạn N" or "câu N (đoạn M)".
"""

from __future__ import annotations

import re

from lms.kernel.text import nfc
from question_bank.types import PayloadError, validate_payload

from . import payloads
from .docx_grammar import NUMERIC_2025, TF_COMPACT, TF_PAIR, Draft, Item, Parser, is_worded
from .docx_package import DocxError, open_docx
from .docx_text import OBJECT, BodyReader, Extraction, Piece, pieces_html
from .markup import clean_html, decimal_string, html_to_text, parse_decimal
from .result import ImportResult, ParsedQuestion, Problem

_MARK_NAMES = {"underline": "gạch chân", "red": "chữ đỏ", "highlight": "tô sáng",
               "bold": "in đậm"}
HOW_TO_MARK = ("đánh dấu bằng gạch chân, chữ đỏ, in đậm, tô sáng, dấu * hoặc dòng 'Đáp án: C' "
               "(hoặc bảng đáp án cuối đề)")


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
    parser = Parser(worded=is_worded(extraction.lines))
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
    """A file that cannot be read at all: one error located at the file."""
    name = f"«{filename}»: " if filename else ""
    return ImportResult(errors=[Problem("tệp", name + exc.message, None, exc.code)])


def _file_warnings(extraction: Extraction) -> list[Problem]:
    """Legacy encodings, MathType previews and unsupported equation parts."""
    warnings = []
    for name, font in (("TCVN3", ".VnTime"), ("VNI", "VNI-Times")):
        if name in extraction.legacy:
            warnings.append(Problem("tệp", f"Văn bản dùng bảng mã {name} (phông {font}…) đã được "
                                    "chuyển sang Unicode; hãy kiểm tra lại chữ có dấu.", None,
                                    "legacyencoding"))
    for para in sorted(set(extraction.mathtype)):
        warnings.append(Problem(f"đoạn {para}", "Công thức MathType được nhập dưới dạng ảnh xem "
                                "trước (không sửa được). Hãy chuyển sang công thức của Word "
                                "(Equation) để nhập thành LaTeX.", para, "mathtype"))
    for para, names in sorted(extraction.unknown_math.items()):
        warnings.append(Problem(f"đoạn {para}", "Công thức có thành phần chưa hỗ trợ ("
                                f"{', '.join(sorted(names))}); đã giữ phần chữ, hãy kiểm tra "
                                "lại công thức.", para, "ommlunsupported"))
    return warnings


def _build(draft: Draft, key: str | None, result: ImportResult) -> None:
    """Turn a draft into a validated payload, or into located errors; never both."""
    if draft.statements and len(draft.statements) != 4 and draft.kind != "tf4":
        # "a) … b) …" sub-questions of an essay or short question, not true/false statements
        draft.stem += [[Piece(f"{s.letter}) "), *s.pieces] for s in draft.statements]
        draft.statements = []
    stem = clean_html("<br>".join(pieces_html(line) for line in draft.stem))
    title = nfc(" ".join(html_to_text(stem.replace("<br>", " ")).replace(OBJECT, " ")
                         .split()))[:80] or draft.location
    problems: list[Problem] = []
    warnings: list[Problem] = []

    def fail(code: str, message: str) -> None:
        problems.append(Problem(draft.location, message, draft.para, code, title))

    def warn(code: str, message: str) -> None:
        warnings.append(Problem(draft.location, message, draft.para, code, title))

    for para, text in draft.stray:
        warn("textafteroptions", f"Câu {draft.number}: đoạn {para} «{text[:60]}» nằm sau các "
             f"{'phương án' if draft.options else 'ý'} nhưng không phải "
             f"{'phương án' if draft.options else 'ý'} nào nên bị bỏ qua (mỗi phương án kết "
             "thúc ở cuối đoạn của nó, hoặc ở một đoạn trống).")
    answer = draft.answer if draft.answer else key
    if draft.options:
        payload = _choice(draft, stem, answer, fail, warn)
        if payload and draft.kind not in ("choice",):
            warnings.append(Problem(draft.location, "Câu có phương án A–D nằm trong phần "
                                    f"{_kind_label(draft.kind)}; đã nhập là câu trắc nghiệm.",
                                    draft.para, "kindmismatch", title))
    elif draft.statements:
        payload = _true_false_4(draft, stem, answer, fail, warn)
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
        result.errors.extend(Problem(draft.location, f"Câu {draft.number}, "
                                     f"{field_label(problem.path)}: {problem.message}.",
                                     draft.para, "invalidquestion", title)
                             for problem in exc.problems)
        return
    result.questions.append(ParsedQuestion(
        payload=payload, title=title, location=draft.location, line=draft.para,
        warnings=warnings, attachments=list(draft.attachments),
        tags=[draft.level] if draft.level else []))


_FIELD_LABELS = {"text_html": "nội dung câu hỏi", "solution_html": "lời giải",
                 "feedback_html": "phản hồi", "options": "các phương án",
                 "statements": "các ý", "answers": "đáp án"}
_ITEM_PATH = re.compile(r"^(options|statements|answers)\[(\d+)\]")


def field_label(path: str) -> str:
    """The words a teacher knows for a payload field path: 'options[2].text_html' →
    'phương án C' (no internal field name reaches a message)."""
    item = _ITEM_PATH.match(path or "")
    if item:
        kind, index = item.group(1), int(item.group(2))
        if kind == "options":
            return f"phương án {chr(ord('A') + index)}"
        if kind == "statements":
            return f"ý {'abcd'[index] if index < 4 else index + 1})"
        return f"đáp án {index + 1}"
    return _FIELD_LABELS.get((path or "").split(".")[0].split("[")[0], "câu hỏi")


def _kind_label(kind: str) -> str:
    return {"tf4": "đúng sai", "short": "trả lời ngắn", "essay": "tự luận"}.get(kind, kind)


def _choice(draft: Draft, stem: str, answer: str | None, fail, warn) -> dict | None:
    options = draft.options
    found = _correct_options(draft, answer, fail)
    if found is None:
        return None
    correct, signal = found
    if signal == "bold":
        warn("boldanswer", f"Câu {draft.number}: đáp án {options[min(correct)].letter} được "
             "xác định chỉ nhờ chữ in đậm — hãy kiểm tra lại (in đậm thường chỉ để nhấn "
             "mạnh); nên đánh dấu bằng gạch chân, chữ đỏ hoặc dòng 'Đáp án: …'.")
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


def _correct_options(draft: Draft, answer: str | None,
                     fail) -> tuple[set[int], str] | None:
    """Indexes of the correct options and the signal that named them (answer, star,
    underline, red, highlight, bold), by the first signal that names them (module doc).
    Several options bold, with no other signal, is an error like several underlined."""
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
        return chosen, "answer"
    stars = {i for i, o in enumerate(options) if o.star}
    if stars:
        return stars, "star"
    crowded = []
    for name in ("underline", "red", "highlight", "bold"):
        marked = {i for i, o in enumerate(options) if o.marks[name]}
        if len(marked) == 1:
            return marked, name
        if len(marked) > 1:
            crowded.append(name)
    if crowded:
        names = ", ".join(_MARK_NAMES[n] for n in crowded)
        fail("multiplecorrect", f"Câu {draft.number}: nhiều phương án cùng được đánh dấu "
             f"({names}) — câu một đáp án cần đánh dấu đúng một phương án.")
    else:
        fail("noanswer", f"Câu {draft.number}: không xác định được đáp án đúng — {HOW_TO_MARK}.")
    return None


def _formatted_option(options: list[Item]) -> int | None:
    """The one option underlined, red or highlighted, if exactly one is."""
    for name in ("underline", "red", "highlight"):
        marked = [i for i, o in enumerate(options) if o.marks[name]]
        if len(marked) == 1:
            return marked[0]
    return None


def _true_false_4(draft: Draft, stem: str, answer: str | None, fail, warn) -> dict | None:
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
        truth, signal = _truth_from_marks(statements)
        if signal == "bold":
            warn("boldanswer", f"Câu {draft.number}: ý đúng được xác định chỉ nhờ chữ in đậm — "
                 "hãy kiểm tra lại; nên đánh dấu bằng gạch chân, chữ đỏ hoặc dòng "
                 "'Đáp án: a) Đ, b) S, …'.")
    if truth is None:
        fail("noanswer", f"Câu {draft.number}: không xác định được ý nào đúng — đánh dấu ý đúng "
             "bằng gạch chân, chữ đỏ, tô sáng, dấu * hoặc dòng 'Đáp án: a) Đ, b) S, c) Đ, d) S'.")
        return None
    return {**payloads.base("true_false_4", stem), "statements": [
        {"id": s.letter, "text_html": clean_html(pieces_html(s.pieces)), "answer": truth[i]}
        for i, s in enumerate(statements)]}


def _truth_from_answer(answer: str) -> list[bool] | None:
    compact = TF_COMPACT.match(answer.strip().upper())
    if compact:
        return [value == "Đ" for value in compact.groups()]
    pairs = {letter.lower(): value.upper().startswith("Đ")
             for letter, value in TF_PAIR.findall(answer)}
    if set(pairs) != set("abcd"):
        return None
    return [pairs[letter] for letter in "abcd"]


def _truth_from_marks(statements: list[Item]) -> tuple[list[bool] | None, str]:
    """The true statements and the signal that marked them (star, mark, bold)."""
    if any(s.star for s in statements):
        return [s.star for s in statements], "star"
    flags = [s.marks["underline"] or s.marks["red"] or s.marks["highlight"]
             for s in statements]
    if any(flags):
        return flags, "mark"
    bold = [s.marks["bold"] for s in statements]
    return (bold, "bold") if any(bold) and not all(bold) else (None, "")


def _short(stem: str, answer: str) -> dict:
    """``short_numeric`` (2025 format) for a number of at most 4 characters, else
    ``short_text``; one closing full stop is dropped ("Đáp án: 12." → "12")."""
    value = re.sub(r"(?<!\.)\.$", "", answer.strip()).strip()
    number = parse_decimal(value) if NUMERIC_2025.match(value) else None
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
