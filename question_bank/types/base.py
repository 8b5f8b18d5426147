"""What every question type shares: errors, field readers, the common fields, the base class.

A payload is validated once, on save or import; every other method trusts a stored,
validated payload. Responses come from students and are checked on every call.
"""

import copy
import re
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any, ClassVar

from lms.kernel.text import nfc
from question_bank.html import has_content, sanitise_html
from question_bank.mathml import render_math

SCHEMA = 1
MAX_RESPONSE_CHARS = 10_000
MAX_ID_CHARS = 32
COMMON_FIELDS = ("schema", "type", "text_html", "feedback_html", "solution_html")
_ID = re.compile(r"^[A-Za-z0-9_-]+$")
_DECIMAL = re.compile(r"^-?(\d+(\.\d*)?|\.\d+)$")


class UnknownQuestionType(LookupError):
    """A type name (or schema version) that no registered question type handles."""


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a payload: where (a field path) and what (Vietnamese)."""

    path: str
    message: str

    def __str__(self) -> str:
        return f"{self.path}: {self.message}" if self.path else self.message


class PayloadError(ValueError):
    """A question payload breaks the schema; ``problems`` lists every violation found."""

    def __init__(self, problems: list[Problem]):
        self.problems = list(problems)
        super().__init__("; ".join(str(p) for p in self.problems))


class ResponseError(ValueError):
    """A student's response has the wrong shape, unknown ids, or is too long."""


class Problems:
    """Collects problems while a payload is read, so the author sees all of them at once."""

    def __init__(self) -> None:
        self.items: list[Problem] = []

    def add(self, path: str, message: str) -> None:
        self.items.append(Problem(path, message))

    def extend(self, prefix: str, error: PayloadError) -> None:
        """Re-home a nested payload's problems under ``prefix`` (stimulus children)."""
        for problem in error.problems:
            path = f"{prefix}.{problem.path}" if problem.path else prefix
            self.add(path, problem.message)

    def raise_if_any(self) -> None:
        if self.items:
            raise PayloadError(self.items)


def join(path: str, key: str | int) -> str:
    """Field path: 'options' + 3 → 'options[3]', 'options[3]' + 'id' → 'options[3].id'."""
    if isinstance(key, int):
        return f"{path}[{key}]"
    return f"{path}.{key}" if path else key


# Field readers: each returns a normalised value (or a safe default) and records problems.

def read_html(data: Mapping, key: str, problems: Problems, path: str = "",
              required: bool = False) -> str:
    """A sanitised HTML field; missing means empty; ``required`` means it must show something."""
    value = data.get(key)
    if value is None:
        value = ""
    if not isinstance(value, str):
        problems.add(join(path, key), "phải là văn bản (HTML)")
        return ""
    clean = sanitise_html(value)
    if required and not has_content(clean):
        problems.add(join(path, key), "không được để trống")
    return clean


def read_text(data: Mapping, key: str, problems: Problems, path: str = "",
              required: bool = True) -> str:
    """A plain-text field, NFC; ``required`` means non-empty."""
    value = data.get(key)
    if value is None:
        value = ""
    if not isinstance(value, str):
        problems.add(join(path, key), "phải là văn bản")
        return ""
    text = nfc(value)
    if required and not text:
        problems.add(join(path, key), "không được để trống")
    return text


def read_bool(data: Mapping, key: str, problems: Problems, path: str = "",
              default: bool | None = None) -> bool:
    """A true/false field; missing takes ``default`` (None means the field is required)."""
    value = data.get(key, default)
    if not isinstance(value, bool):
        problems.add(join(path, key), "phải là true hoặc false")
        return False
    return value


def read_int(data: Mapping, key: str, problems: Problems, path: str = "",
             default: int = 0) -> int:
    """A whole number ≥ 0; missing takes ``default``."""
    value = data.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        problems.add(join(path, key), "phải là số nguyên không âm")
        return default
    return value


def parse_decimal(text: str) -> Decimal | None:
    """'27,5', '27.5', '-0', '.5' → Decimal; anything else (exponents, spaces inside) → None."""
    candidate = text.strip().replace(",", ".")
    if not _DECIMAL.match(candidate):
        return None
    try:
        return Decimal(candidate)
    except InvalidOperation:  # pragma: no cover - the pattern already excludes these
        return None


def read_decimal(data: Mapping, key: str, problems: Problems, path: str = "",
                 default: str | None = None, low: Decimal | None = None,
                 high: Decimal | None = None) -> str:
    """A decimal stored as a string with '.' ("0.5"); ints are accepted, floats are not."""
    value = data.get(key, default)
    where = join(path, key)
    if isinstance(value, int) and not isinstance(value, bool):
        value = str(value)
    number = parse_decimal(value) if isinstance(value, str) else None
    if number is None:
        problems.add(where, "phải là số thập phân viết dạng chuỗi, ví dụ \"0.5\"")
        return default or "0"
    if low is not None and number < low:
        problems.add(where, f"phải lớn hơn hoặc bằng {low}")
    if high is not None and number > high:
        problems.add(where, f"phải nhỏ hơn hoặc bằng {high}")
    return value.strip().replace(",", ".")


def read_list(data: Mapping, key: str, problems: Problems, path: str = "",
              low: int = 0, high: int | None = None, label: str = "phần tử") -> list:
    """A list field with a size range; missing means empty."""
    value = data.get(key)
    if value is None:
        value = []
    where = join(path, key)
    if not isinstance(value, list):
        problems.add(where, "phải là một danh sách")
        return []
    if len(value) < low:
        problems.add(where, f"cần ít nhất {low} {label}, đang có {len(value)}")
    if high is not None and len(value) > high:
        problems.add(where, f"chỉ được tối đa {high} {label}, đang có {len(value)}")
    return value


def read_object(value: Any, path: str, problems: Problems, allowed: tuple[str, ...]) -> dict:
    """An object with only the ``allowed`` keys; returns {} (and a problem) otherwise."""
    if not isinstance(value, Mapping):
        problems.add(path, "phải là một đối tượng JSON")
        return {}
    for key in value:
        if key not in allowed:
            problems.add(join(path, str(key)), "trường không có trong lược đồ")
    return dict(value)


def read_ids(items: list[dict], path: str, problems: Problems) -> list[str]:
    """The ``id`` of each item: short, [A-Za-z0-9_-], unique among ``items``."""
    ids: list[str] = []
    for index, item in enumerate(items):
        value = item.get("id")
        where = join(join(path, index), "id")
        if not isinstance(value, str) or not _ID.match(value) or len(value) > MAX_ID_CHARS:
            problems.add(where, f"mã phải gồm chữ, số, '-' hoặc '_' (tối đa {MAX_ID_CHARS} ký tự)")
        elif value in ids:
            problems.add(where, f"mã '{value}' bị trùng")
        ids.append(value if isinstance(value, str) else "")
    return ids


# Responses.

def response_object(response: Any, allowed: tuple[str, ...]) -> dict | None:
    """A response dict with only the ``allowed`` keys; None or {} means unanswered (None)."""
    if response is None:
        return None
    if not isinstance(response, Mapping):
        raise ResponseError("câu trả lời phải là một đối tượng JSON")
    extra = [str(key) for key in response if key not in allowed]
    if extra:
        raise ResponseError(f"câu trả lời có trường lạ: {', '.join(sorted(extra))}")
    if all(response.get(key) is None for key in allowed):
        return None
    return dict(response)


def response_text(value: Any, what: str = "câu trả lời") -> str:
    """A typed answer: a string of at most MAX_RESPONSE_CHARS characters, NFC."""
    if not isinstance(value, str):
        raise ResponseError(f"{what} phải là văn bản")
    if len(value) > MAX_RESPONSE_CHARS:
        raise ResponseError(f"{what} dài quá {MAX_RESPONSE_CHARS:,} ký tự".replace(",", " "))
    return nfc(value)


def known_id(value: Any, ids: list[str], what: str = "phương án") -> str:
    """An id the student picked must be one of the question's ids."""
    if not isinstance(value, str) or value not in ids:
        raise ResponseError(f"{what} không tồn tại: {value!r}")
    return value


class Ids:
    """Maps stored ids to the per-attempt ids a student sees; identity without a map."""

    def __init__(self, ids_map: Mapping[str, str] | None):
        self.ids_map = ids_map or {}

    def __call__(self, key: str, default: str | None = None) -> str:
        return self.ids_map.get(key, key if default is None else default)


class Inverse:
    """Per-attempt ids back to stored keys; an id the attempt never showed is refused."""

    def __init__(self, ids_map: Mapping[str, str] | None, keys: list[str]):
        self.ids_map = ids_map
        ids = Ids(ids_map)
        self.keys = {ids(key): key for key in keys}

    def __call__(self, value: Any, prefix: str = "") -> str:
        key = self.keys.get(value) if isinstance(value, str) else None
        if key is None or not key.startswith(prefix):
            raise ResponseError(f"mã không tồn tại: {value!r}")
        return key[len(prefix):]

    def mapping(self, value: Any, what: str) -> dict:
        if not isinstance(value, Mapping):
            raise ResponseError(f"{what} phải là một đối tượng JSON")
        return dict(value)

    def sequence(self, value: Any, what: str) -> list:
        if not isinstance(value, list):
            raise ResponseError(f"{what} phải là một danh sách")
        return value


class QuestionType:
    """One question type: validation, the two views, response checking and scoring."""

    name: ClassVar[str]
    #: type-specific payload fields (the common ones are in COMMON_FIELDS)
    fields: ClassVar[tuple[str, ...]] = ()
    #: keys a response object may have
    response_keys: ClassVar[tuple[str, ...]] = ()
    #: False for types the computer does not score (essay, stimulus, description)
    auto_scored: ClassVar[bool] = True
    stem_required: ClassVar[bool] = True

    def validate(self, payload: Any) -> dict:
        """The payload normalised (NFC, sanitised HTML, defaults filled) or PayloadError."""
        problems = Problems()
        data = read_object(payload, "", problems, COMMON_FIELDS + self.fields)
        if data.get("schema", SCHEMA) != SCHEMA:
            problems.add("schema", f"phiên bản lược đồ {data.get('schema')!r} không được hỗ trợ")
        if data.get("type", self.name) != self.name:
            problems.add("type", f"loại câu hỏi phải là '{self.name}'")
        out = {
            "schema": SCHEMA,
            "type": self.name,
            "text_html": read_html(data, "text_html", problems, required=self.stem_required),
            "feedback_html": read_html(data, "feedback_html", problems),
            "solution_html": read_html(data, "solution_html", problems),
        }
        out.update(self.validate_fields(data, problems))
        problems.raise_if_any()
        return out

    def validate_fields(self, data: dict, problems: Problems) -> dict:
        """Read the type-specific fields of ``data``; record problems, return normalised ones."""
        return {}

    def student_view(self, payload: dict, ids_map: Mapping | None = None) -> dict:
        """What a student may see before review: no keys, flags, fractions or feedback."""
        view = {
            "schema": SCHEMA,
            "type": self.name,
            "text_html": render_math(payload["text_html"]),
        }
        view.update(self.student_fields(payload, Ids(ids_map)))
        return view

    def student_fields(self, payload: dict, ids: Ids) -> dict:
        return {}

    def teacher_view(self, payload: dict) -> dict:
        """Everything stored, as the author wrote it (LaTeX source, keys, feedback)."""
        return copy.deepcopy(payload)

    def validate_response(self, payload: dict, response: Any) -> dict | None:
        """The response normalised, None when unanswered, or ResponseError."""
        data = response_object(response, self.response_keys)
        return None if data is None else self.check_response(payload, data)

    def check_response(self, payload: dict, response: dict) -> dict:
        return response

    def score(self, payload: dict, response: Any) -> Decimal | None:
        """Fraction of the question's points in [0, 1]; None when not scored automatically."""
        checked = self.validate_response(payload, response)
        if not self.auto_scored:
            return None
        if checked is None:
            return Decimal(0)
        return self.score_response(payload, checked)

    def score_response(self, payload: dict, response: dict) -> Decimal:
        raise NotImplementedError

    def public_keys(self, payload: dict) -> list[str]:
        """The keys an attempt's ``ids_map`` covers: stored ids, prefixed where two lists of
        one question may share ids ('right:<pair id>', '<gap id>/<option id>')."""
        return []

    def response_from_public(self, payload: dict, response: Any,
                             ids_map: Mapping | None = None) -> dict | None:
        """A response written with the ids of ``student_view(payload, ids_map)``, translated
        back to stored ids (then checked by validate_response as usual)."""
        data = response_object(response, self.response_keys)
        if data is None:
            return None
        return self.translate(data, Inverse(ids_map, self.public_keys(payload)), payload)

    def translate(self, response: dict, back: Inverse, payload: dict) -> dict:
        return response

    def key_texts(self, payload: dict) -> list[str]:
        """HTML texts besides the stem that make a question what it is (for duplicates)."""
        return []
