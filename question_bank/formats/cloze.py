"""Moodle's embedded-answer (Cloze) syntax ``{1:SHORTANSWER:=Paris#ok~%50%Lyon}`` ↔ ``cloze``
gaps, as qtype_multianswer reads it.

Kinds: SHORTANSWER/SA/MW (and the case-sensitive _C forms) → ``text`` gaps; NUMERICAL/NM →
``numeric`` gaps (``value:tolerance``); MULTICHOICE/MC (any display variant) → ``dropdown``
gaps with exactly one 100 % option. MULTIRESPONSE cannot be a gap of ours and is refused.
The number before the first colon is the gap's points (default 1).
"""

from __future__ import annotations

import html
import re
from decimal import Decimal

from . import grades, payloads
from .markup import decimal_string, html_to_text, parse_decimal

_START = re.compile(
    r"\{(\d*):(MULTICHOICE(?:_[HVS])?|MC[HVS]?|MULTIRESPONSE(?:_[HS])?|MR[HS]?|NUMERICAL|NM|"
    r"SHORTANSWER(?:_C)?|SAC?|MWC?):")


class ClozeError(Exception):
    """An embedded answer that Moodle (or our cloze type) would refuse."""

    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code, self.message = code, message


def parse_cloze(text_html: str) -> tuple[str, list[dict], list[tuple[str, str]]]:
    """Question text with embedded answers → (text with [[gN]] markers, gaps, warnings)."""
    pieces, gaps, warnings, dropped, position = [], [], [], [], 0
    for match in _START.finditer(text_html):
        if match.start() < position:
            continue
        end = _closing_brace(text_html, match.end())
        if end < 0:
            break  # no closing brace for this one means none for any later one either
        gap_id = f"g{len(gaps) + 1}"
        gap, gap_warnings = _gap(gap_id, match.group(1), match.group(2),
                                 text_html[match.end():end])
        gaps.append(gap)
        warnings += gap_warnings
        if any(feedback.strip() for _, _, feedback in _alternatives(text_html[match.end():end])):
            dropped.append(gap_id)
        pieces += [text_html[position:match.start()], f"[[{gap_id}]]"]
        position = end + 1
    if not gaps:
        raise ClozeError("qtextmissingembedded", "Nội dung câu điền khuyết (Cloze) phải có ít "
                         "nhất một chỗ trống dạng {1:SHORTANSWER:=đáp án}.")
    if dropped:
        warnings.append(("feedbackdropped", "Phản hồi của từng đáp án trong chỗ trống "
                         f"{', '.join(dropped)} không được lưu; chỉ giữ phản hồi chung."))
    return "".join(pieces) + text_html[position:], gaps, warnings


def _closing_brace(text: str, start: int) -> int:
    index = start
    while index < len(text):
        if text[index] == "\\":
            index += 2
            continue
        if text[index] == "}":
            return index
        index += 1
    return -1


def _split(text: str, separator: str, limit: int = -1) -> list[str]:
    """Split on ``separator`` where it is not backslash-escaped (escapes are kept)."""
    parts, current, index = [], [], 0
    while index < len(text):
        char = text[index]
        if char == "\\" and index + 1 < len(text):
            current.append(text[index:index + 2])
            index += 2
            continue
        if char == separator and limit != 0:
            parts.append("".join(current))
            current, limit = [], limit - 1
        else:
            current.append(char)
        index += 1
    return parts + ["".join(current)]


def _alternatives(body: str) -> list[tuple[Decimal, str, str]]:
    """'=a#fb~%50%b' → [(1, 'a', 'fb'), (0.5, 'b', '')]."""
    out = []
    for part in _split(body, "~"):
        fraction = Decimal(0)
        if part.startswith("="):
            fraction, part = Decimal(1), part[1:]
        elif match := re.match(r"%(-?\d+(?:[.,]\d*)?)%", part):
            fraction, part = parse_decimal(match.group(1)) / 100, part[match.end():]
        answer, *feedback = _split(part, "#", 1)
        out.append((fraction, _unescape(answer), "".join(feedback)))
    return out


def _unescape(text: str) -> str:
    return re.sub(r"\\([~#}{\\])", r"\1", text).strip()


def _gap(gap_id: str, points: str, kind: str, body: str):
    alternatives = [(f, a) for f, a, _ in _alternatives(body) if a != ""]
    invalid = [f for f, _ in alternatives if grades.match_grade(f) is None]
    if invalid:
        raise ClozeError("invalidgradequestion", grades.invalid_grades_message(invalid))
    gap = {"id": gap_id, "kind": "", "points": points or "1", "answers": [], "options": []}
    if kind.startswith(("MULTIRESPONSE", "MR")):
        raise ClozeError("multiresponsegap", "Chỗ trống MULTIRESPONSE (chọn nhiều) chưa được hỗ "
                         "trợ trong câu điền khuyết; hãy dùng MULTICHOICE.")
    if kind.startswith(("NUMERICAL", "NM")):
        return _numeric_gap(gap, alternatives), []
    if kind.startswith(("MULTICHOICE", "MC")):
        return _dropdown_gap(gap, alternatives)
    return _text_gap(gap, alternatives, kind.endswith("C"))


def _full_mark_needed(fractions):
    if not fractions or max(fractions) != 1:
        raise ClozeError("fractionsnomax", "Một trong các đáp án phải đạt 100% để có thể được "
                         "điểm tối đa cho chỗ trống này.")


def _numeric_gap(gap, alternatives):
    answers = []
    for fraction, text in alternatives:
        if text == "*":
            continue
        value, _, tolerance = text.partition(":")
        value, tolerance = parse_decimal(html_to_text(value)), parse_decimal(tolerance or "0")
        if value is None or tolerance is None:
            raise ClozeError("notnumeric", f"Đáp án '{text[:30]}' phải là một số, ví dụ -1.234 "
                             "hoặc 3e8, hoặc '*'.")
        answers.append({"value": decimal_string(value), "tolerance": decimal_string(abs(tolerance)),
                         "fraction": decimal_string(fraction)})
    _full_mark_needed([Decimal(a["fraction"]) for a in answers])
    return {**gap, "kind": "numeric", "answers": answers}


def _dropdown_gap(gap, alternatives):
    if len(alternatives) < 2:
        raise ClozeError("notenoughanswers", "Chỗ trống chọn từ danh sách cần ít nhất 2 lựa "
                         f"chọn; tìm thấy {len(alternatives)}.")
    _full_mark_needed([f for f, _ in alternatives])
    if sum(f == 1 for f, _ in alternatives) > 1:
        raise ClozeError("multiplecorrect", "Chỗ trống chọn từ danh sách chỉ được có một lựa "
                         "chọn 100%.")
    options = [{"id": payloads.OPTION_IDS[i], "text": html_to_text(text), "correct": f == 1}
               for i, (f, text) in enumerate(alternatives)]
    warnings = [("partialcredit", "Điểm một phần trong chỗ trống chọn từ danh sách được tính "
                 "là sai.")] if any(0 < f < 1 for f, _ in alternatives) else []
    return {**gap, "kind": "dropdown", "options": options}, warnings


def _text_gap(gap, alternatives, case_sensitive: bool):
    answers = [{"text": html_to_text(text), "fraction": decimal_string(f)}
               for f, text in alternatives]
    _full_mark_needed([f for f, _ in alternatives])
    warnings = [("casesensitive", "Chỗ trống phân biệt hoa/thường (SHORTANSWER_C) được chấm "
                 "không phân biệt hoa/thường.")] if case_sensitive else []
    return {**gap, "kind": "text", "answers": answers}, warnings


def gap_markup(gap: dict) -> str:
    """A cloze gap written back in Moodle's embedded-answer syntax."""
    if gap["kind"] == "dropdown":
        alternatives = [("=" if o["correct"] else "") + _escape(o["text"])
                        for o in gap["options"]]
        kind = "MULTICHOICE"
    elif gap["kind"] == "numeric":
        alternatives = [f"%{_percent(a['fraction'])}%{a['value']}:{a['tolerance']}"
                        for a in gap["answers"]]
        kind = "NUMERICAL"
    else:
        alternatives = [f"%{_percent(a['fraction'])}%{_escape(a['text'])}"
                        for a in gap["answers"]]
        kind = "SHORTANSWER"
    return "{" + f"{gap['points']}:{kind}:" + "~".join(alternatives) + "}"


def _escape(text: str) -> str:
    """Plain text → HTML inside an embedded answer, with ~ # } \\ backslash-escaped."""
    return re.sub(r"([~#}\\])", r"\\\1", html.escape(text, quote=False))


def _percent(fraction: str) -> str:
    return grades.percent(Decimal(fraction))
