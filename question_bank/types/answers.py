"""Typed answers: short text (accepted variants, `*` wildcard) and short numeric (the 2025
format: at most 4 characters from digits, "-", "," and "."). Cloze gaps reuse these rules."""

import re
from decimal import Decimal

from lms.kernel.text import nfc, strip_diacritics
from question_bank.types.base import (
    Problems,
    QuestionType,
    ResponseError,
    join,
    parse_decimal,
    read_bool,
    read_decimal,
    read_list,
    read_object,
    read_text,
    response_text,
)

FORMAT_2025_CHARS = 4
_FORMAT_2025 = re.compile(r"^[0-9,.-]*$")
_SPACE = re.compile(r"\s+")
_WILDCARD = re.compile(r"(\\\*|\*)")


# Short text.

def read_text_answers(data: dict, problems: Problems, path: str = "") -> list[dict]:
    """≥ 1 × {text, fraction}; fractions in [0, 1] and at least one full-mark answer."""
    where = join(path, "answers")
    raw = read_list(data, "answers", problems, path, low=1, label="đáp án")
    answers = []
    for index, item in enumerate(raw):
        item = read_object(item, join(where, index), problems, ("text", "fraction"))
        answers.append({
            "text": _SPACE.sub(" ", read_text(item, "text", problems, join(where, index))),
            "fraction": read_decimal(item, "fraction", problems, join(where, index), "1",
                                     Decimal(0), Decimal(1)),
        })
    _require_full_mark(answers, where, problems)
    return answers


def _require_full_mark(answers: list[dict], where: str, problems: Problems) -> None:
    fractions = [parse_decimal(a["fraction"]) for a in answers]
    if answers and Decimal(1) not in fractions:
        problems.add(where, "cần ít nhất một đáp án được trọn điểm (fraction \"1\")")


def text_key(text: str, case_sensitive: bool, ignore_diacritics: bool) -> str:
    """How two texts are compared: NFC, whitespace collapsed, then the question's options."""
    text = _SPACE.sub(" ", nfc(text))
    if ignore_diacritics:
        text = strip_diacritics(text)
    return text if case_sensitive else text.casefold()


def answer_pattern(answer: str, case_sensitive: bool, ignore_diacritics: bool) -> re.Pattern:
    """An accepted variant as a regex: `*` matches any run of characters, `\\*` is a star."""
    parts = _WILDCARD.split(text_key(answer, case_sensitive, ignore_diacritics))
    body = "".join(".*" if part == "*" else re.escape("*" if part == "\\*" else part)
                   for part in parts)
    return re.compile(body, re.DOTALL)


def text_fraction(answers: list[dict], text: str, case_sensitive: bool,
                  ignore_diacritics: bool) -> Decimal:
    """Best fraction among the accepted variants that match ``text`` (0 if none)."""
    key = text_key(text, case_sensitive, ignore_diacritics)
    if not key:
        return Decimal(0)
    return max((Decimal(a["fraction"]) for a in answers
                if answer_pattern(a["text"], case_sensitive, ignore_diacritics).fullmatch(key)),
               default=Decimal(0))


# Short numeric.

def read_numeric_answers(data: dict, problems: Problems, path: str = "",
                         format_2025: bool = False) -> list[dict]:
    """≥ 1 × {value, tolerance, fraction}; in the 2025 format a value must fit in 4 chars."""
    where = join(path, "answers")
    raw = read_list(data, "answers", problems, path, low=1, label="đáp án")
    answers = []
    for index, item in enumerate(raw):
        at = join(where, index)
        item = read_object(item, at, problems, ("value", "tolerance", "fraction"))
        value = read_decimal(item, "value", problems, at)
        if format_2025 and len(shortest_form(value)) > FORMAT_2025_CHARS:
            problems.add(join(at, "value"), f"dạng thức 2025 chỉ cho phép tối đa "
                                            f"{FORMAT_2025_CHARS} ký tự, đáp án {value!r} "
                                            "không ghi được")
        answers.append({
            "value": value,
            "tolerance": read_decimal(item, "tolerance", problems, at, "0", Decimal(0)),
            "fraction": read_decimal(item, "fraction", problems, at, "1", Decimal(0),
                                     Decimal(1)),
        })
    _require_full_mark(answers, where, problems)
    return answers


def shortest_form(value: str) -> str:
    """The fewest characters a student can write a number with: '-10.0' → '-10', '0.5' → '.5'."""
    number = parse_decimal(value)
    if number is None:
        return value
    text = format(number.normalize(), "f")
    return re.sub(r"^(-?)0\.", r"\1.", text)


def numeric_response(value, format_2025: bool, what: str = "câu trả lời") -> str:
    """A typed number; in the 2025 format ≤ 4 characters from digits, '-', ',' and '.'."""
    text = response_text(value, what).strip()
    if format_2025:
        if len(text) > FORMAT_2025_CHARS:
            raise ResponseError(f"{what} chỉ được tối đa {FORMAT_2025_CHARS} ký tự "
                                f"(dạng thức 2025), đang có {len(text)}")
        if not _FORMAT_2025.match(text):
            raise ResponseError(f"{what} chỉ được gồm chữ số, dấu '-', ',' hoặc '.'")
    return text


def numeric_fraction(answers: list[dict], text: str) -> Decimal:
    """Best fraction among answers with |response − value| ≤ tolerance; unreadable → 0."""
    number = parse_decimal(text)
    if number is None:
        return Decimal(0)
    return max((Decimal(a["fraction"]) for a in answers
                if abs(number - Decimal(a["value"])) <= Decimal(a["tolerance"])),
               default=Decimal(0))


class ShortText(QuestionType):
    """Trả lời ngắn (văn bản): accepted variants, optional case and diacritics insensitivity."""

    name = "short_text"
    fields = ("answers", "case_sensitive", "ignore_diacritics")
    response_keys = ("text",)

    def validate_fields(self, data: dict, problems: Problems) -> dict:
        return {
            "answers": read_text_answers(data, problems),
            "case_sensitive": read_bool(data, "case_sensitive", problems, default=False),
            "ignore_diacritics": read_bool(data, "ignore_diacritics", problems, default=False),
        }

    def check_response(self, payload: dict, response: dict) -> dict:
        return {"text": response_text(response["text"])}

    def score_response(self, payload: dict, response: dict) -> Decimal:
        return text_fraction(payload["answers"], response["text"],
                             payload["case_sensitive"], payload["ignore_diacritics"])


class ShortNumeric(QuestionType):
    """Trả lời ngắn (số): ',' and '.' both decimal marks, '-0' = '0', optional tolerance."""

    name = "short_numeric"
    fields = ("answers", "format_2025")
    response_keys = ("text",)

    def validate_fields(self, data: dict, problems: Problems) -> dict:
        format_2025 = read_bool(data, "format_2025", problems, default=False)
        return {
            "answers": read_numeric_answers(data, problems, format_2025=format_2025),
            "format_2025": format_2025,
        }

    def student_fields(self, payload, ids) -> dict:
        return {"format_2025": payload["format_2025"]}

    def check_response(self, payload: dict, response: dict) -> dict:
        return {"text": numeric_response(response["text"], payload["format_2025"])}

    def score_response(self, payload: dict, response: dict) -> Decimal:
        return numeric_fraction(payload["answers"], response["text"])
