"""Validating and applying a SCORM commit (the CMI data model the player sends).

Limits follow the SCORM specifications: ``cmi.suspend_data`` holds 4096 characters in 1.2 and
64000 in 2004; statuses are closed vocabularies; scores stay in their ranges.
"""

import math
import re

from flask_babel import gettext as _

from lms.core.errors import DomainError
from lms.lessons.models import LessonProgress

SUSPEND_LIMIT = {"1.2": 4096, "2004": 64000}
LOCATION_LIMIT = {"1.2": 255, "2004": 1000}
LESSON_STATUS_12 = {"passed", "completed", "failed", "incomplete", "browsed", "not attempted"}
COMPLETION_2004 = {"completed", "incomplete", "not attempted", "unknown"}
SUCCESS_2004 = {"passed", "failed", "unknown"}
_TIME_12 = re.compile(r"^(\d{2,4}):([0-5]\d):([0-5]\d)(\.\d{1,2})?$")
_TIME_2004 = re.compile(r"^P(?:(\d+)Y)?(?:(\d+)M)?(?:(\d+)D)?"
                        r"(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+(?:\.\d{1,2})?)S)?)?$")


def flatten(data: dict, prefix: str = "") -> dict[str, object]:
    """``{"cmi": {"core": {"lesson_status": "x"}}}`` → ``{"cmi.core.lesson_status": "x"}``;
    already-dotted keys pass through, so both scorm-again's nested form and flat maps work."""
    flat: dict[str, object] = {}
    for key, value in data.items():
        name = f"{prefix}.{key}" if prefix else str(key)
        if isinstance(value, dict):
            flat.update(flatten(value, name))
        else:
            flat[name] = value
    return flat


def _invalid(element: str, problem: str) -> DomainError:
    return DomainError(_("Giá trị %(element)s không hợp lệ: %(problem)s.", element=element,
                         problem=problem), code="invalid_cmi",
                       details={"element": element})


def _text(cmi: dict, element: str, limit: int) -> str | None:
    value = cmi.get(element)
    if value is None:
        return None
    if not isinstance(value, str):
        raise _invalid(element, _("phải là chuỗi"))
    if len(value) > limit:
        raise _invalid(element, _("dài %(n)d ký tự, tối đa %(limit)d", n=len(value), limit=limit))
    return value


def _enum(cmi: dict, element: str, allowed: set[str]) -> str | None:
    value = cmi.get(element)
    if value in (None, ""):
        return None
    if value not in allowed:
        raise _invalid(element, _("«%(value)s» không thuộc %(allowed)s", value=value,
                                           allowed=", ".join(sorted(allowed))))
    return value


def _number(cmi: dict, element: str, low: float | None, high: float | None) -> float | None:
    value = cmi.get(element)
    if value in (None, ""):
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise _invalid(element, _("phải là số")) from None
    if not math.isfinite(number) or (low is not None and number < low) or (
            high is not None and number > high):
        raise _invalid(element, _("%(number)s nằm ngoài khoảng [%(low)s, %(high)s]", number=number,
                                           low=low, high=high))
    return number


def _seconds(cmi: dict, element: str, version: str) -> float:
    value = cmi.get(element)
    if value in (None, ""):
        return 0.0
    pattern = _TIME_12 if version == "1.2" else _TIME_2004
    match = pattern.match(str(value)) if isinstance(value, str) else None
    if not match:
        raise _invalid(element, _("«%(value)s» sai định dạng thời lượng", value=value))
    if version == "1.2":
        hours, minutes, seconds, fraction = match.groups()
        return int(hours) * 3600 + int(minutes) * 60 + int(seconds) + float(fraction or 0)
    years, months, days, hours, minutes, seconds = (float(g or 0) for g in match.groups())
    return (((years * 365 + months * 30 + days) * 24 + hours) * 60 + minutes) * 60 + seconds


def parse_commit(version: str, data: dict) -> dict:
    """The values we keep, validated; raises DomainError(code="invalid_cmi") on any bad one."""
    cmi = {k if k.startswith("cmi.") else f"cmi.{k}": v for k, v in flatten(data).items()}
    if version == "1.2":
        status = _enum(cmi, "cmi.core.lesson_status", LESSON_STATUS_12)
        raw = _number(cmi, "cmi.core.score.raw", 0, 100)
        _number(cmi, "cmi.core.score.min", 0, 100)
        high = _number(cmi, "cmi.core.score.max", 0, 100)
        score = raw * 100 / high if raw is not None and high else raw
        return {
            "status": status, "success": None, "score": score,
            "completion": 1.0 if status in {"passed", "completed", "failed"} else None,
            "suspend_data": _text(cmi, "cmi.suspend_data", SUSPEND_LIMIT[version]),
            "location": _text(cmi, "cmi.core.lesson_location", LOCATION_LIMIT[version]),
            "session_seconds": _seconds(cmi, "cmi.core.session_time", version),
        }
    completion = _enum(cmi, "cmi.completion_status", COMPLETION_2004)
    success = _enum(cmi, "cmi.success_status", SUCCESS_2004)
    scaled = _number(cmi, "cmi.score.scaled", -1, 1)
    low = _number(cmi, "cmi.score.min", None, None)
    high = _number(cmi, "cmi.score.max", None, None)
    raw = _number(cmi, "cmi.score.raw", low, high)
    measure = _number(cmi, "cmi.progress_measure", 0, 1)
    score = scaled * 100 if scaled is not None else raw
    status = success if success in {"passed", "failed"} else completion
    return {
        "status": status, "success": success, "score": score,
        "completion": measure if measure is not None else (
            1.0 if completion == "completed" else None),
        "suspend_data": _text(cmi, "cmi.suspend_data", SUSPEND_LIMIT["2004"]),
        "location": _text(cmi, "cmi.location", LOCATION_LIMIT["2004"]),
        "session_seconds": _seconds(cmi, "cmi.session_time", version),
    }


def apply_commit(row: LessonProgress, values: dict) -> None:
    """Write validated values; absent elements leave what was stored."""
    for field in ("status", "success", "score", "completion", "suspend_data", "location"):
        if values.get(field) is not None:
            setattr(row, field, values[field])
    row.total_seconds = (row.total_seconds or 0.0) + values["session_seconds"]
