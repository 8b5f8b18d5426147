"""Aiken import and export, matching Moodle's qformat_aiken line by line.

A question is a line without a recognised prefix; ``A)``/``A.`` lines (space optional) are
options; ``ANSWER: X`` closes the question. Lines shorter than 2 characters are skipped. All
text is plain: HTML special characters are escaped. Only ``single_choice`` can be exported.
"""

from __future__ import annotations

import re
import string

from lms.kernel.text import nfc

from . import payloads
from .markup import decode_text, html_to_text, plain_to_html
from .result import ExportError, ImportResult, ParsedQuestion, Problem

_OPTION = re.compile(r"^[A-Z][).][ \t]?")
_ANSWER = re.compile(r"^ANSWER:")


class _Draft:
    """A question being read: its first line and options so far."""

    def __init__(self, line: int, text: str):
        self.line, self.text, self.options = line, text, []


def parse_aiken(data: bytes | str) -> ImportResult:
    """Read an Aiken file; every problem is reported with its line, nothing raises."""
    text, warnings = decode_text(data)
    result = ImportResult(warnings=warnings)
    draft: _Draft | None = None
    for number, raw in enumerate(re.split(r"\r\n|\r|\n", text), 1):
        line = raw.strip()
        if len(line) < 2:
            continue
        if _OPTION.match(line) or _ANSWER.match(line):
            if draft is None:
                result.errors.append(Problem.at(
                    number, "questionnotstarted", "Chưa bắt đầu câu hỏi: dòng phương án/ANSWER "
                    "phải đứng sau một dòng nội dung câu hỏi."))
            elif _ANSWER.match(line):
                _finish(draft, line, number, result)
                draft = None
            else:
                draft.options.append(line[2:].strip())
            continue
        if draft is not None:
            result.errors.append(Problem.at(
                number, "questionnotcompleted", "Câu hỏi trước chưa kết thúc (thiếu dòng "
                "'ANSWER: X') thì đã bắt đầu câu hỏi mới.", draft.text))
        draft = _Draft(number, line)
    if draft is not None:
        result.errors.append(Problem.at(draft.line, "questionnotcompleted",
                                        "Câu hỏi cuối chưa có dòng 'ANSWER: X'.", draft.text))
    if not result.questions and not result.errors:
        result.errors.append(Problem.at(None, "noquestionsinfile", "Tệp không có câu hỏi Aiken."))
    return result


def _finish(draft: _Draft, line: str, number: int, result: ImportResult) -> None:
    """Close the question at an ``ANSWER:`` line, or report why it cannot be kept."""
    letter = line.split(":", 1)[1].strip()[:1]
    index = ord(letter) - ord("A") if letter else -1
    problem = None
    if len(draft.options) < 2:
        problem = ("questionmissinganswers", "Câu hỏi phải có ít nhất 2 phương án; tìm thấy "
                   f"{len(draft.options)}.")
    elif len(draft.options) > payloads.MAX_OPTIONS:
        problem = ("toomanyanswers", f"Câu hỏi có tối đa {payloads.MAX_OPTIONS} phương án.")
    elif not 0 <= index < len(draft.options):
        last = string.ascii_uppercase[len(draft.options) - 1]
        problem = ("invalidanswer", f"Đáp án '{letter}' không có trong các phương án A–{last}.")
    if problem:
        result.errors.append(Problem.at(number, *problem, question=draft.text))
        return
    choices = [payloads.Choice(plain_to_html(text), 1 if i == index else 0)
               for i, text in enumerate(draft.options)]
    outcome = payloads.choice_question(plain_to_html(draft.text), choices, single=True)
    result.questions.append(ParsedQuestion(payload=outcome.payload, title=nfc(draft.text)[:80],
                                           location=f"dòng {draft.line}", line=draft.line))


def export_aiken(questions) -> str:
    """Write ``single_choice`` questions as Aiken (plain text; HTML is reduced to its text)."""
    blocks = []
    for number, item in enumerate(questions, 1):
        payload = getattr(item, "payload", item)
        if payload.get("type") != "single_choice":
            raise ExportError(f"Câu {number}: Aiken chỉ ghi được câu một đáp án "
                              f"(single_choice), không ghi được '{payload.get('type')}'.")
        blocks.append(_aiken_block(payload))
    return "\n\n".join(blocks) + ("\n" if blocks else "")


def _one_line(html: str) -> str:
    return " ".join(html_to_text(html).split())


def _aiken_block(payload: dict) -> str:
    letters = string.ascii_uppercase
    lines = [_one_line(payload["text_html"])]
    lines += [f"{letters[i]}) {_one_line(o['text_html'])}"
              for i, o in enumerate(payload["options"])]
    correct = next(i for i, o in enumerate(payload["options"]) if o["correct"])
    lines.append(f"ANSWER: {letters[correct]}")
    return "\n".join(lines)
