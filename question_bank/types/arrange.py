"""Matching (ghép nối) and ordering (sắp xếp thứ tự).

Both store the answer in their structure (a pair's two sides; the items' order), so their
student views must not repeat that structure: the right-hand column and the items are listed
by their text, and matching's right-hand ids are never the pair ids unless the caller's
``ids_map`` says so (attempts pass per-attempt ids; shuffling happens there).
"""

import functools
from decimal import Decimal

from lms.kernel.text import fold
from question_bank.html import html_to_text
from question_bank.mathml import render_math
from question_bank.types.base import (
    Ids,
    Inverse,
    Problems,
    QuestionType,
    ResponseError,
    join,
    known_id,
    read_bool,
    read_html,
    read_ids,
    read_list,
    read_object,
)


@functools.lru_cache(maxsize=8192)
def text_order(html: str) -> str:
    """Sort key that shows nothing of the stored order: the folded visible text. Cached: every
    start of a test sorts the same matching and ordering items again."""
    return fold(html_to_text(html))


def right_side(payload: dict) -> dict[str, str]:
    """Right-hand ids → HTML: the pair ids, then 'x1', 'x2', … for the distractors."""
    sides = {pair["id"]: pair["right_html"] for pair in payload["pairs"]}
    sides.update({f"x{n}": html for n, html in enumerate(payload["distractors"], start=1)})
    return sides


def right_column(payload: dict, ids: Ids) -> list[tuple[str, str, str]]:
    """(stored id, shown id, HTML) of the right-hand column in display order; without an
    ids map the shown ids are 'r1', 'r2', … so they never equal the pair ids."""
    rights = sorted(right_side(payload).items(), key=lambda item: (text_order(item[1]), item[0]))
    return [(rid, ids(f"right:{rid}", default=f"r{n}"), html)
            for n, (rid, html) in enumerate(rights, start=1)]


class Matching(QuestionType):
    """Ghép nối: pairs matched correctly / number of pairs (a right side with the same text
    as the pair's own counts as correct)."""

    name = "matching"
    fields = ("pairs", "distractors", "shuffle")
    response_keys = ("pairs",)

    def validate_fields(self, data: dict, problems: Problems) -> dict:
        raw = read_list(data, "pairs", problems, low=2, label="cặp")
        items = [read_object(item, join("pairs", i), problems, ("id", "left_html", "right_html"))
                 for i, item in enumerate(raw)]
        ids = read_ids(items, "pairs", problems)
        distractors = read_list(data, "distractors", problems)
        out = {
            "pairs": [
                {
                    "id": ids[i],
                    "left_html": read_html(item, "left_html", problems, join("pairs", i), True),
                    "right_html": read_html(item, "right_html", problems, join("pairs", i), True),
                }
                for i, item in enumerate(items)
            ],
            "distractors": [self._distractor(value, i, problems)
                            for i, value in enumerate(distractors)],
            "shuffle": read_bool(data, "shuffle", problems, default=True),
        }
        reserved = {f"x{n}" for n in range(1, len(distractors) + 1)}
        for index, pair_id in enumerate(ids):
            if pair_id in reserved:
                problems.add(join(join("pairs", index), "id"),
                             f"mã '{pair_id}' trùng với mã của phương án nhiễu")
        return out

    @staticmethod
    def _distractor(value, index: int, problems: Problems) -> str:
        return read_html({"html": value}, "html", problems, join("distractors", index), True)

    def student_fields(self, payload: dict, ids: Ids) -> dict:
        return {
            "left": [{"id": ids(pair["id"]), "text_html": render_math(pair["left_html"])}
                     for pair in payload["pairs"]],
            "right": [{"id": shown, "text_html": render_math(html)}
                      for _, shown, html in right_column(payload, ids)],
        }

    def public_keys(self, payload: dict) -> list[str]:
        return [pair["id"] for pair in payload["pairs"]] + \
            [f"right:{rid}" for rid in right_side(payload)]

    def translate(self, response: dict, back: Inverse, payload: dict) -> dict:
        shown = {shown: rid for rid, shown, _ in right_column(payload, Ids(back.ids_map))}
        chosen = back.mapping(response["pairs"], "pairs")
        for value in chosen.values():
            if value is not None and value not in shown:
                raise ResponseError(f"mã không tồn tại: {value!r}")
        return {"pairs": {back(left): None if right is None else shown[right]
                          for left, right in chosen.items()}}

    def check_response(self, payload: dict, response: dict) -> dict:
        chosen = response["pairs"]
        if not isinstance(chosen, dict):
            raise ResponseError("pairs phải là đối tượng {mã vế trái: mã vế phải}")
        lefts = [pair["id"] for pair in payload["pairs"]]
        rights = list(right_side(payload))
        return {"pairs": {
            known_id(left, lefts, "vế trái"): None if right is None
            else known_id(right, rights, "vế phải")
            for left, right in chosen.items()
        }}

    def score_response(self, payload: dict, response: dict) -> Decimal:
        sides = right_side(payload)
        chosen = response["pairs"]
        right = sum(1 for pair in payload["pairs"]
                    if chosen.get(pair["id"]) is not None
                    and sides[chosen[pair["id"]]] == pair["right_html"])
        return Decimal(right) / Decimal(len(payload["pairs"]))

    def key_texts(self, payload: dict) -> list[str]:
        return [f"{p['left_html']} = {p['right_html']}" for p in payload["pairs"]] + \
            list(payload["distractors"])


class Ordering(QuestionType):
    """Sắp xếp: items stored in the correct order; score = items in the right place / items."""

    name = "ordering"
    fields = ("items",)
    response_keys = ("order",)

    def validate_fields(self, data: dict, problems: Problems) -> dict:
        raw = read_list(data, "items", problems, low=2, label="mục")
        items = [read_object(item, join("items", i), problems, ("id", "text_html"))
                 for i, item in enumerate(raw)]
        ids = read_ids(items, "items", problems)
        return {"items": [
            {"id": ids[i],
             "text_html": read_html(item, "text_html", problems, join("items", i), True)}
            for i, item in enumerate(items)
        ]}

    def student_fields(self, payload: dict, ids: Ids) -> dict:
        listed = sorted(payload["items"], key=lambda item: (text_order(item["text_html"]),
                                                            ids(item["id"])))
        return {"items": [{"id": ids(item["id"]), "text_html": render_math(item["text_html"])}
                          for item in listed]}

    def check_response(self, payload: dict, response: dict) -> dict:
        order = response["order"]
        ids = [item["id"] for item in payload["items"]]
        if not isinstance(order, list):
            raise ResponseError("order phải là danh sách mã các mục")
        for value in order:
            known_id(value, ids, "mục")
        if sorted(order) != sorted(ids):
            raise ResponseError("order phải chứa mỗi mục đúng một lần")
        return {"order": list(order)}

    def score_response(self, payload: dict, response: dict) -> Decimal:
        ids = [item["id"] for item in payload["items"]]
        in_place = sum(1 for stored, given in zip(ids, response["order"], strict=True)
                       if stored == given)
        return Decimal(in_place) / Decimal(len(ids))

    def key_texts(self, payload: dict) -> list[str]:
        return [item["text_html"] for item in payload["items"]]

    def public_keys(self, payload: dict) -> list[str]:
        return [item["id"] for item in payload["items"]]

    def translate(self, response: dict, back: Inverse, payload: dict) -> dict:
        return {"order": [back(value) for value in back.sequence(response["order"], "order")]}
