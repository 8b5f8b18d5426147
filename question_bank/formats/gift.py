"""GIFT import, following Moodle's qformat_gift.

Questions are separated by blank lines; ``//`` lines are comments (``[tag:x]`` and ``[id:y]``
in them set tags and idnumber); ``::title::``; ``$CATEGORY: path``; ``[html]``/``[moodle]``/
``[plain]``/``[markdown]`` set a text's format; ``\\~ \\= \\# \\{ \\} \\: \\\\ \\n`` are escapes.

Types, decided as Moodle does from the text between the braces:
``{}`` essay · ``{#…}`` numeric · any ``~`` multiple choice (``=`` present → single answer,
otherwise weights ``%n%`` → multiple answer) · ``=a -> b`` matching · ``T``/``F``/``TRUE``/
``FALSE`` true/false · otherwise short answer · no braces → description.

Missing word (text after the braces): like Moodle, the question keeps its type and the braces
are replaced by a blank ``_____`` in the stem; the exporters put the braces back there.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from decimal import Decimal

from lms.kernel.text import nfc

from . import payloads
from .markup import decode_text, html_to_text, parse_decimal, plain_to_html, to_html
from .payloads import Choice, Outcome
from .result import Category, ImportResult, ParsedQuestion, Problem

BLANK = "_____"
_ESCAPABLE = "\\~=#{}:n"
_PLACEHOLDER_BASE = 0xE000  # private-use characters stand for escaped characters
_FORMAT = re.compile(r"^\s*\[(html|moodle|plain|markdown)\]")
_TAG = re.compile(r"\[tag:([^\]]+)\]")
_ID = re.compile(r"\[id:([^\]]+)\]")
_TRUE_FALSE = {"T": True, "TRUE": True, "F": False, "FALSE": False}


class GiftError(Exception):
    """A question that cannot be read; ``code`` mirrors Moodle's message key."""

    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code
        self.message = message


@dataclass
class _Block:
    line: int
    lines: list[str] = field(default_factory=list)
    comments: list[str] = field(default_factory=list)


def parse_gift(data: bytes | str) -> ImportResult:
    """Read a GIFT file into payloads; nothing raises on bad input, problems are reported."""
    text, warnings = decode_text(data)
    result = ImportResult(warnings=warnings)
    category = None
    for block in _blocks(text):
        body = "\n".join(block.lines).strip()
        if body.startswith("$CATEGORY:"):
            category = category_path(body[len("$CATEGORY:"):]) or None
            result.categories.append(Category(category or ""))
            continue
        _read_block(block, body, category, result)
    if not result.questions and not result.errors and not result.categories:
        result.errors.append(Problem.at(None, "noquestionsinfile",
                                        "Tệp không có câu hỏi GIFT nào."))
    return result


def category_path(raw: str) -> str:
    """'$course$/top/A/B' → 'A/B': the context prefix and Moodle's root 'top' are dropped."""
    path = re.sub(r"^\$(course|module|system|cat)\$/?", "", nfc(raw))
    return nfc(re.sub(r"^top(/|$)", "", path))


def _blocks(text: str):
    """Blank-line separated blocks, with the 1-based line of their first non-comment line."""
    block: _Block | None = None
    for number, line in enumerate(text.replace("\r\n", "\n").replace("\r", "\n").split("\n"), 1):
        if not line.strip():
            if block and block.lines:
                yield block
            block = None
            continue
        block = block or _Block(number)
        if line.strip().startswith("//"):
            block.comments.append(line)
        else:
            if not block.lines:
                block.line = number
            block.lines.append(line.rstrip())
    if block and block.lines:
        yield block


def _read_block(block: _Block, body: str, category, result: ImportResult) -> None:
    try:
        name, question, warnings = parse_question(body)
    except GiftError as exc:
        result.errors.append(Problem.at(block.line, exc.code, exc.message, _error_name(body)))
        return
    comments = " ".join(block.comments)
    ids = _ID.findall(comments)
    label = name or label_from_text(question.get("text_html", ""))
    parsed = ParsedQuestion(
        payload=question, title=name, category=category,
        tags=[nfc(t) for t in _TAG.findall(comments)], location=f"dòng {block.line}",
        line=block.line, idnumber=nfc(ids[0]) if ids else None,
        warnings=[Problem.at(block.line, code, message, label) for code, message in warnings])
    result.questions.append(parsed)


def label_from_text(text_html: str) -> str:
    """What names an unnamed question in messages: the start of its text, as Moodle names it."""
    return " ".join(html_to_text(text_html).split())[:80] or "Câu hỏi"


def _error_name(body: str) -> str:
    """The ::title:: of a block that failed, else its first 60 characters."""
    match = re.match(r"::(.*?)::", _protect(body), re.S)
    return _restore(match.group(1)).strip() if match else body[:60]


def _protect(text: str) -> str:
    """Replace escaped characters (\\~ …) by placeholders so they never act as syntax."""
    out, i = [], 0
    while i < len(text):
        if text[i] == "\\" and i + 1 < len(text) and text[i + 1] in _ESCAPABLE:
            out.append(chr(_PLACEHOLDER_BASE + _ESCAPABLE.index(text[i + 1])))
            i += 2
        else:
            out.append(text[i])
            i += 1
    return "".join(out)


def _restore(text: str) -> str:
    """Placeholders back to the characters they stand for (\\n → newline)."""
    for index, char in enumerate(_ESCAPABLE):
        text = text.replace(chr(_PLACEHOLDER_BASE + index), "\n" if char == "n" else char)
    return text


def _formatted(text: str, default: str) -> tuple[str, str]:
    """(format, text without its [format] prefix)."""
    match = _FORMAT.match(text)
    if match:
        return match.group(1), text[match.end():]
    return default, text


def _html(text: str, default: str) -> str:
    fmt, rest = _formatted(text, default)
    return to_html(_restore(rest), fmt)


def parse_question(body: str) -> tuple[str, dict, list[tuple[str, str]]]:
    """One question block (comments removed) → (its ::name:: or '', payload, warnings); raises
    GiftError."""
    text = _protect(body)
    title = ""
    if text.startswith("::"):
        end = text.find("::", 2)
        if end < 0:
            raise GiftError("notitle", "Thiếu '::' đóng tên câu hỏi (dạng ::tên::).")
        title = " ".join(nfc(_restore(text[2:end])).split())
        text = text[end + 2:].lstrip()
    start, finish = text.find("{"), text.find("}")
    if start < 0 and finish < 0:
        fmt, stem = _formatted(text, "moodle")
        return title, payloads.description(to_html(_restore(stem), fmt)), []
    if start < 0 or finish < start:
        raise GiftError("braceerror", "Không tìm thấy cặp ngoặc {…} bao phần đáp án "
                        "(dấu { hoặc } bị thiếu; viết \\{ \\} nếu là chữ thường).")
    before, inner, after = text[:start], text[start + 1:finish], text[finish + 1:]
    if "{" in inner or "}" in after:
        raise GiftError("braceerror", "Mỗi câu chỉ có một cặp ngoặc {…}; viết \\{ \\} nếu là "
                        "chữ thường.")
    fmt, before = _formatted(before, "moodle")
    stem_raw = before + (BLANK + after if after.strip() else after)
    stem = to_html(_restore(stem_raw), fmt)
    outcome = _answers(stem, inner.strip(), fmt)
    if outcome.errors:
        code, message = outcome.errors[0]
        raise GiftError(code, message)
    return title, outcome.payload, outcome.warnings


def _answers(stem: str, inner: str, fmt: str) -> Outcome:
    """Type decision and answer parsing for the text between the braces."""
    general = ""
    if "####" in inner:
        inner, general = inner.split("####", 1)
        inner, general = inner.strip(), _html(general.strip(), fmt)
    flat = inner.replace("\n", " ")
    if not flat:
        return Outcome(payload=payloads.essay(stem, general))
    if flat.startswith("#"):
        return _numeric(stem, flat[1:], general)
    if "~" in flat:
        return _choices(stem, flat, fmt, general)
    if "=" in flat and "->" in flat:
        return _matching(stem, flat, fmt, general)
    if flat.split("#", 1)[0].strip() in _TRUE_FALSE:
        return _true_false(stem, flat, fmt, general)
    return _short(stem, flat, general)


def _weight(answer: str, default: Decimal) -> tuple[Decimal, str]:
    """Strip a leading %n% weight; returns (fraction, rest)."""
    answer = answer.strip()
    if not answer.startswith("%"):
        return default, answer
    end = answer.find("%", 1)
    number = parse_decimal(answer[1:end]) if end > 0 else None
    if number is None:
        raise GiftError("weighterror", f"Trọng số không hợp lệ ở '{_restore(answer)[:30]}': "
                        "cần dạng %50% hoặc %-100%.")
    return number / 100, answer[end + 1:].strip()


def _split_feedback(answer: str) -> tuple[str, str]:
    text, _, feedback = answer.partition("#")
    return text.strip(), feedback.strip()


def _choices(stem, flat, fmt, general) -> Outcome:
    single = "=" in flat
    parts = [p.strip() for p in flat.replace("=", "~=").split("~")]
    choices = []
    for part in parts if parts[0] else parts[1:]:
        fraction = Decimal(1) if part.startswith("=") else Decimal(0)
        fraction, rest = _weight(part.lstrip("=") if part.startswith("=") else part, fraction)
        text, feedback = _split_feedback(rest)
        choices.append(Choice(_html(text, fmt), fraction, _html(feedback, fmt)))
    return payloads.choice_question(stem, choices, single, general)


def _matching(stem, flat, fmt, general) -> Outcome:
    pairs, distractors = [], []
    for part in [p.strip() for p in flat.split("=")][1:]:
        if "->" not in part:
            return Outcome(errors=[("notenoughsubquestions", "Mỗi cặp ghép nối phải có dạng "
                                    f"=trái -> phải; không đọc được '{_restore(part)[:30]}'.")])
        left, right = (s.strip() for s in part.split("->", 1))
        right_html = plain_to_html(_restore(right))
        if left:
            pairs.append((_html(left, fmt), right_html))
        else:
            distractors.append(right_html)
    if len(pairs) < 2:
        return Outcome(errors=[("notenoughsubquestions",
                                f"Câu ghép nối cần ít nhất 2 cặp; tìm thấy {len(pairs)}.")])
    return Outcome(payload=payloads.matching(stem, pairs, distractors, general))


def _true_false(stem, flat, fmt, general) -> Outcome:
    parts = [p.strip() for p in flat.split("#")]
    answer = _TRUE_FALSE[parts[0]]
    wrong = _html(parts[1], fmt) if len(parts) > 1 else ""
    right = _html(parts[2], fmt) if len(parts) > 2 else ""
    feedback_true, feedback_false = (right, wrong) if answer else (wrong, right)
    return Outcome(payload=payloads.true_false(stem, answer, feedback_true, feedback_false,
                                               general))


def _short(stem, flat, general) -> Outcome:
    answers, dropped_feedback = [], False
    parts = [p.strip() for p in flat.split("=")]
    for part in parts if parts[0] else parts[1:]:
        fraction, rest = _weight(part, Decimal(1))
        text, feedback = _split_feedback(rest)
        dropped_feedback = dropped_feedback or bool(feedback)
        text = _restore(_formatted(text, "plain")[1])
        answers.append((html_to_text(text) if "<" in text else nfc(text), fraction))
    problem = _graded(answers, [f for _, f in answers])
    if problem:
        return Outcome(errors=[problem])
    outcome = Outcome(payload=payloads.short_text(stem, answers, general))
    if dropped_feedback:
        outcome.warnings.append(_FEEDBACK_DROPPED)
    return outcome


_FEEDBACK_DROPPED = ("feedbackdropped", "Phản hồi riêng cho từng đáp án của câu trả lời ngắn/"
                     "số không được lưu; chỉ giữ phản hồi chung (####).")


def _graded(answers, fractions) -> tuple[str, str] | None:
    if not answers:
        return ("noanswers", "Không tìm thấy đáp án nào trong ngoặc {…}.")
    return payloads.check_grades(fractions) or payloads.grades.single_answer_problem(fractions)


def _numeric(stem, body, general) -> Outcome:
    wrong_feedback = ""
    if "~" in body:
        body, wrong_feedback = body.split("~", 1)
    answers, dropped = [], bool(wrong_feedback.strip("# "))
    parts = [p.strip() for p in body.split("=")]
    for part in parts if parts[0] else parts[1:]:
        fraction, rest = _weight(part, Decimal(1))
        text, feedback = _split_feedback(rest)
        dropped = dropped or bool(feedback)
        if text == "*":
            continue
        answers.append((*_number(_restore(text)), fraction))
    problem = _graded(answers, [a[2] for a in answers])
    if problem:
        return Outcome(errors=[problem])
    outcome = Outcome(payload=payloads.short_numeric(stem, answers, general))
    if dropped:
        outcome.warnings.append(_FEEDBACK_DROPPED)
    return outcome


def _number(text: str) -> tuple[Decimal, Decimal]:
    """'3.14:0.01' → (3.14, 0.01); '1..5' → (3, 2); '42' → (42, 0)."""
    if ":" in text:
        value, tolerance = (parse_decimal(s) for s in text.split(":", 1))
    elif ".." in text[1:]:
        low, high = (parse_decimal(s) for s in text.split("..", 1))
        value = tolerance = None
        if low is not None and high is not None:
            value, tolerance = (low + high) / 2, abs(high - low) / 2
    else:
        value, tolerance = parse_decimal(text), Decimal(0)
    if value is None or tolerance is None:
        raise GiftError("errornotnumbers", f"Đáp án số không hợp lệ '{text[:30]}': cần một số "
                        "(ví dụ -1.234 hoặc 3e8), dạng 3.14:0.01 hoặc khoảng 1..5.")
    return value, abs(tolerance)
