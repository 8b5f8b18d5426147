"""Questions, their types and versions, import/export formats, search and item statistics.

Usable without HTTP. Other packages use only the names exported here.
"""

from question_bank.duplicates import (
    NEAR_DUPLICATE_THRESHOLD,
    is_near_duplicate,
    normalise_text_key,
    similarity,
    word_set,
)
from question_bank.html import foreign_media, html_to_text, is_platform_media, sanitise_html
from question_bank.mathml import render_math, render_math_with_warnings
from question_bank.search import SearchError, SearchIndex, SearchResult, vietnamese_analyzer
from question_bank.types import (
    QUESTION_TYPES,
    PayloadError,
    Problem,
    ResponseError,
    UnknownQuestionType,
    get_type,
    public_keys,
    response_from_public,
    score,
    score_children,
    student_view,
    teacher_view,
    validate_payload,
    validate_response,
)
from question_bank.types.review import review_response

__all__ = [
    "SearchError", "SearchIndex", "SearchResult", "vietnamese_analyzer",
    "QUESTION_TYPES", "foreign_media", "get_type", "html_to_text",
    "is_platform_media", "is_near_duplicate",
    "normalise_text_key", "PayloadError", "Problem", "public_keys", "render_math",
    "render_math_with_warnings", "response_from_public", "ResponseError", "review_response",
    "sanitise_html", "score",
    "score_children", "similarity", "student_view", "teacher_view", "UnknownQuestionType",
    "validate_payload", "validate_response", "word_set", "NEAR_DUPLICATE_THRESHOLD",
]
