"""Cloze (điền vào chỗ trống): text with gap markers [[g1]]; text, numeric and dropdown gaps,
each weighted by its points. Score = Σ(points × gap fraction) / Σ points."""

import re
from decimal import Decimal

from question_bank.mathml import render_math
from question_bank.types.answers import (
    numeric_fraction,
    numeric_response,
    read_numeric_answers,
    read_text_answers,
    text_fraction,
)
from question_bank.types.base import (
    Ids,
    Inverse,
    Problems,
    QuestionType,
    ResponseError,
    join,
    known_id,
    read_bool,
    read_decimal,
    read_ids,
    read_list,
    read_object,
    read_text,
    response_text,
)

GAP_KINDS = ("text", "numeric", "dropdown")
GAP_FIELDS = ("id", "kind", "points", "answers", "options", "case_sensitive",
              "ignore_diacritics", "format_2025")
MARKER = re.compile(r"\[\[([A-Za-z0-9_-]+)\]\]")


def read_dropdown(gap: dict, path: str, problems: Problems) -> list[dict]:
    """≥ 2 × {id, text, correct}, exactly one correct."""
    raw = read_list(gap, "options", problems, path, low=2, label="lựa chọn")
    where = join(path, "options")
    items = [read_object(item, join(where, i), problems, ("id", "text", "correct"))
             for i, item in enumerate(raw)]
    ids = read_ids(items, where, problems)
    options = [{"id": ids[i], "text": read_text(item, "text", problems, join(where, i)),
                "correct": read_bool(item, "correct", problems, join(where, i), False)}
               for i, item in enumerate(items)]
    count = sum(option["correct"] for option in options)
    if count != 1:
        problems.add(where, f"ô chọn cần đúng 1 lựa chọn đúng, đang có {count}")
    return options


def read_gap(raw, path: str, problems: Problems) -> dict:
    """One gap with only the fields its kind uses."""
    gap = read_object(raw, path, problems, GAP_FIELDS)
    kind = gap.get("kind")
    out = {"id": gap.get("id"), "kind": kind,
           "points": read_decimal(gap, "points", problems, path, "1", Decimal(0))}
    if kind == "text":
        out["answers"] = read_text_answers(gap, problems, path)
        out["case_sensitive"] = read_bool(gap, "case_sensitive", problems, path, False)
        out["ignore_diacritics"] = read_bool(gap, "ignore_diacritics", problems, path, False)
    elif kind == "numeric":
        out["format_2025"] = read_bool(gap, "format_2025", problems, path, False)
        out["answers"] = read_numeric_answers(gap, problems, path, out["format_2025"])
    elif kind == "dropdown":
        out["options"] = read_dropdown(gap, path, problems)
    else:
        problems.add(join(path, "kind"), f"loại ô trống phải là một trong {', '.join(GAP_KINDS)}")
    return out


def check_markers(text_html: str, gap_ids: list[str], problems: Problems) -> None:
    """Every gap appears exactly once in the text, and every marker names a gap."""
    markers = MARKER.findall(text_html)
    for gap_id in gap_ids:
        if markers.count(gap_id) != 1:
            problems.add("text_html", f"ô trống [[{gap_id}]] phải xuất hiện đúng 1 lần, "
                                      f"đang có {markers.count(gap_id)}")
    for marker in sorted(set(markers) - set(gap_ids)):
        problems.add("text_html", f"ô trống [[{marker}]] không có trong gaps")
    for marker in sorted(set(markers) - set(MARKER.findall(render_math(text_html)))):
        problems.add("text_html", f"ô trống [[{marker}]] không được nằm trong công thức")


def gap_fraction(gap: dict, value: str) -> Decimal:
    """The fraction one gap earns, by its kind's rule."""
    if gap["kind"] == "text":
        return text_fraction(gap["answers"], value, gap["case_sensitive"],
                             gap["ignore_diacritics"])
    if gap["kind"] == "numeric":
        return numeric_fraction(gap["answers"], value)
    return Decimal(any(o["id"] == value and o["correct"] for o in gap["options"]))


class Cloze(QuestionType):
    """Điền khuyết: gaps weighted by points."""

    name = "cloze"
    fields = ("gaps",)
    response_keys = ("gaps",)

    def validate_fields(self, data: dict, problems: Problems) -> dict:
        raw = read_list(data, "gaps", problems, low=1, label="ô trống")
        gaps = [read_gap(item, join("gaps", i), problems) for i, item in enumerate(raw)]
        ids = read_ids(gaps, "gaps", problems)
        if gaps and sum(Decimal(gap["points"]) for gap in gaps) <= 0:
            problems.add("gaps", "tổng điểm các ô trống phải lớn hơn 0")
        check_markers(data.get("text_html") or "", ids, problems)
        return {"gaps": gaps}

    def student_fields(self, payload: dict, ids: Ids) -> dict:
        return {
            "text_html": MARKER.sub(lambda m: f"[[{ids(m[1])}]]",
                                    render_math(payload["text_html"])),
            "gaps": [self._student_gap(gap, ids) for gap in payload["gaps"]],
        }

    @staticmethod
    def _student_gap(gap: dict, ids: Ids) -> dict:
        view = {"id": ids(gap["id"]), "kind": gap["kind"]}
        if gap["kind"] == "dropdown":
            view["options"] = [{"id": ids(f"{gap['id']}/{o['id']}", o["id"]), "text": o["text"]}
                               for o in gap["options"]]
        if gap["kind"] == "numeric":
            view["format_2025"] = gap["format_2025"]
        return view

    def check_response(self, payload: dict, response: dict) -> dict:
        given = response["gaps"]
        if not isinstance(given, dict):
            raise ResponseError("gaps phải là đối tượng {mã ô trống: giá trị}")
        gaps = {gap["id"]: gap for gap in payload["gaps"]}
        checked = {}
        for gap_id, value in given.items():
            gap = gaps[known_id(gap_id, list(gaps), "ô trống")]
            checked[gap_id] = None if value is None else self._check_gap(gap, value)
        return {"gaps": checked}

    @staticmethod
    def _check_gap(gap: dict, value) -> str:
        what = f"ô trống {gap['id']}"
        if gap["kind"] == "numeric":
            return numeric_response(value, gap["format_2025"], what)
        if gap["kind"] == "dropdown":
            return known_id(value, [o["id"] for o in gap["options"]], f"lựa chọn của {what}")
        return response_text(value, what)

    def score_response(self, payload: dict, response: dict) -> Decimal:
        given = response["gaps"]
        earned = sum((Decimal(gap["points"]) * gap_fraction(gap, given[gap["id"]])
                      for gap in payload["gaps"] if given.get(gap["id"]) is not None),
                     Decimal(0))
        return earned / sum(Decimal(gap["points"]) for gap in payload["gaps"])

    def public_keys(self, payload: dict) -> list[str]:
        return [key for gap in payload["gaps"]
                for key in [gap["id"], *(f"{gap['id']}/{o['id']}" for o in gap.get("options", []))]]

    def translate(self, response: dict, back: Inverse, payload: dict) -> dict:
        kinds = {gap["id"]: gap["kind"] for gap in payload["gaps"]}
        translated = {}
        for shown, value in back.mapping(response["gaps"], "gaps").items():
            gap_id = back(shown)
            if kinds.get(gap_id) == "dropdown" and value is not None:
                value = back(value, prefix=f"{gap_id}/")
            translated[gap_id] = value
        return {"gaps": translated}

    def key_texts(self, payload: dict) -> list[str]:
        return [o["text"] for gap in payload["gaps"] for o in gap.get("options", [])]
