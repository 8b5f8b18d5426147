"""The gradebook rules of Thông tư 22/2021 (THCS/THPT) and 27/2020 (tiểu học) as data and
plain functions: no database, no Flask (docs/gradebook.md, "Rules as data")."""

from lms.gradebook.circulars import tt22, tt27
from lms.gradebook.circulars.rulesets import (
    ADOPTION,
    RULE_SETS,
    TT22,
    TT27,
    Tt22Rules,
    Tt27Rules,
    rule_set_for,
)
from lms.gradebook.circulars.scores import (
    COMPLETION,
    FOUR_LEVELS,
    PASS_FAIL,
    QUALITY,
    RatingScale,
    ScoreError,
    average_text,
    parse_rating,
    parse_score,
    round1,
    score_text,
)

__all__ = [
    "ADOPTION", "COMPLETION", "FOUR_LEVELS", "PASS_FAIL", "QUALITY", "RULE_SETS", "TT22",
    "TT27", "RatingScale", "ScoreError", "Tt22Rules", "Tt27Rules", "average_text",
    "parse_rating", "parse_score", "round1", "rule_set_for", "score_text", "tt22", "tt27",
]
