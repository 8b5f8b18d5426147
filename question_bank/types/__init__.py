"""The registry of question types (loại câu hỏi) and the functions that dispatch on it.

``QUESTION_TYPES`` maps each type name of docs/question-payloads.md to a small class; an
unknown name (or schema version) raises UnknownQuestionType. Everything here is pure logic.
"""

from collections.abc import Mapping
from decimal import Decimal
from types import MappingProxyType
from typing import Any

from question_bank.types.answers import ShortNumeric, ShortText
from question_bank.types.arrange import Matching, Ordering
from question_bank.types.base import (
    SCHEMA,
    PayloadError,
    Problem,
    QuestionType,
    ResponseError,
    UnknownQuestionType,
)
from question_bank.types.choice import MultipleResponse, SingleChoice, TrueFalse, TrueFalse4
from question_bank.types.cloze import Cloze
from question_bank.types.composite import Description, Essay, Stimulus


def _build_registry() -> dict[str, QuestionType]:
    registry: dict[str, QuestionType] = {}
    for cls in (SingleChoice, MultipleResponse, TrueFalse, TrueFalse4, ShortText,
                ShortNumeric, Matching, Ordering, Cloze, Essay, Description):
        registry[cls.name] = cls()
    registry[Stimulus.name] = Stimulus(registry)
    return registry


QUESTION_TYPES: Mapping[str, QuestionType] = MappingProxyType(_build_registry())


def get_type(name: Any) -> QuestionType:
    """The type registered under ``name``; anything else fails loudly."""
    if not isinstance(name, str) or name not in QUESTION_TYPES:
        raise UnknownQuestionType(f"loại câu hỏi không được hỗ trợ: {name!r}")
    return QUESTION_TYPES[name]


def type_of(payload: Any) -> QuestionType:
    """The type of a stored payload; an unknown type or schema version fails loudly."""
    if type(payload) is not dict and not isinstance(payload, Mapping):  # dict: skip the ABC
        raise UnknownQuestionType("nội dung câu hỏi phải là một đối tượng JSON")
    if payload.get("schema", SCHEMA) != SCHEMA:
        raise UnknownQuestionType(f"phiên bản lược đồ không được hỗ trợ: {payload['schema']!r}")
    return get_type(payload.get("type"))


def validate_payload(payload: Any) -> dict:
    """Normalised payload (NFC, sanitised HTML, defaults) or PayloadError listing problems."""
    return type_of(payload).validate(payload)


def student_view(payload: dict, ids_map: Mapping | None = None) -> dict:
    """What a student may see: never a key, flag, fraction, feedback or solution."""
    return type_of(payload).student_view(payload, ids_map)


def teacher_view(payload: dict) -> dict:
    """Everything stored."""
    return type_of(payload).teacher_view(payload)


def validate_response(payload: dict, response: Any) -> dict | None:
    """The response normalised (None when unanswered) or ResponseError."""
    return type_of(payload).validate_response(payload, response)


def public_keys(payload: dict) -> list[str]:
    """The keys an attempt maps to its own ids before showing the question."""
    return type_of(payload).public_keys(payload)


def response_from_public(payload: dict, response: Any, ids_map: Mapping | None = None):
    """A response in the ids of ``student_view(payload, ids_map)``, back in stored ids."""
    return type_of(payload).response_from_public(payload, response, ids_map)


def score(payload: dict, response: Any) -> Decimal | None:
    """Fraction of the points in [0, 1]; None for manual or unscored types."""
    return type_of(payload).score(payload, response)


def score_children(payload: dict, responses) -> list[Decimal | None]:
    """A stimulus' children scored one by one."""
    question_type = type_of(payload)
    if not isinstance(question_type, Stimulus):
        raise UnknownQuestionType("chỉ câu hỏi chùm (stimulus) có câu hỏi con")
    return question_type.score_children(payload, responses)


__all__ = [
    "QUESTION_TYPES", "get_type", "PayloadError", "Problem", "public_keys", "QuestionType",
    "response_from_public", "ResponseError", "score", "score_children", "student_view",
    "teacher_view", "type_of", "UnknownQuestionType", "validate_payload", "validate_response",
]
