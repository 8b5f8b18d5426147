"""Types the computer does not score as one unit: essay (manual, with a rubric), stimulus
(câu hỏi chùm: a passage, image or audio with sub-questions) and description (information)."""

from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any

from question_bank.types.base import (
    Ids,
    Inverse,
    PayloadError,
    Problems,
    QuestionType,
    ResponseError,
    UnknownQuestionType,
    join,
    read_decimal,
    read_html,
    read_int,
    read_list,
    read_object,
    read_text,
    response_text,
)

MEDIA_KINDS = ("image", "audio")


class Essay(QuestionType):
    """Tự luận: graded by a teacher against a rubric; the automatic score is None."""

    name = "essay"
    fields = ("rubric", "min_words", "max_words", "reference_html")
    response_keys = ("text",)
    auto_scored = False

    def validate_fields(self, data: dict, problems: Problems) -> dict:
        raw = read_list(data, "rubric", problems, label="tiêu chí")
        rubric = []
        for index, item in enumerate(raw):
            at = join("rubric", index)
            item = read_object(item, at, problems, ("criterion", "points"))
            rubric.append({"criterion": read_text(item, "criterion", problems, at),
                           "points": read_decimal(item, "points", problems, at, None,
                                                  Decimal(0))})
        low = read_int(data, "min_words", problems)
        high = read_int(data, "max_words", problems)
        if low and high and low > high:
            problems.add("max_words", f"phải lớn hơn hoặc bằng min_words ({low})")
        return {"rubric": rubric, "min_words": low, "max_words": high,
                "reference_html": read_html(data, "reference_html", problems)}

    def student_fields(self, payload: dict, ids: Ids) -> dict:
        return {"min_words": payload["min_words"], "max_words": payload["max_words"]}

    def check_response(self, payload: dict, response: dict) -> dict:
        return {"text": response_text(response["text"], "bài làm")}


class Description(QuestionType):
    """Đoạn mô tả: information only; takes no response and is not scored."""

    name = "description"
    auto_scored = False

    def validate_response(self, payload: dict, response: Any) -> None:
        if response not in (None, {}):
            raise ResponseError("đoạn mô tả không nhận câu trả lời")
        return None


class Stimulus(QuestionType):
    """Câu hỏi chùm: shared text and media, then children scored one by one.

    ``ids_map`` for the student view maps a child's index to that child's ids map; a
    response is ``{"children": [child response or None, …]}`` in the children's order.
    """

    name = "stimulus"
    fields = ("children", "media")
    response_keys = ("children",)
    auto_scored = False
    stem_required = False

    def __init__(self, registry: Mapping[str, QuestionType]):
        self.registry = registry

    def child_type(self, payload: Any) -> QuestionType:
        name = payload.get("type") if isinstance(payload, Mapping) else None
        if name == self.name or name not in self.registry:
            raise UnknownQuestionType(f"loại câu hỏi con không hợp lệ: {name!r}")
        return self.registry[name]

    def validate_fields(self, data: dict, problems: Problems) -> dict:
        media = self._read_media(data, problems)
        if not media and not read_html(data, "text_html", Problems()):
            problems.add("text_html", "câu hỏi chùm cần đoạn dẫn hoặc hình ảnh/âm thanh")
        raw = read_list(data, "children", problems, low=1, label="câu hỏi con")
        return {"children": [self._read_child(child, index, problems)
                             for index, child in enumerate(raw)],
                "media": media}

    def _read_child(self, child: Any, index: int, problems: Problems) -> dict:
        at = join("children", index)
        try:
            return self.child_type(child).validate(child)
        except UnknownQuestionType as error:
            problems.add(join(at, "type"), str(error))
        except PayloadError as error:
            problems.extend(at, error)
        return {}

    @staticmethod
    def _read_media(data: dict, problems: Problems) -> list[dict]:
        media = []
        for index, item in enumerate(read_list(data, "media", problems)):
            at = join("media", index)
            item = read_object(item, at, problems, ("kind", "key"))
            if item.get("kind") not in MEDIA_KINDS:
                problems.add(join(at, "kind"), "phải là 'image' hoặc 'audio'")
            media.append({"kind": item.get("kind"), "key": read_text(item, "key", problems, at)})
        return media

    @staticmethod
    def child_map(ids_map: Mapping | None, index: int) -> Mapping | None:
        """A child's ids map, keyed by its index as an int or (after a JSON trip) a string."""
        maps = ids_map or {}
        return maps.get(index, maps.get(str(index)))

    def student_view(self, payload: dict, ids_map: Mapping | None = None) -> dict:
        view = super().student_view(payload)
        view["media"] = [dict(item) for item in payload["media"]]
        view["children"] = [self.child_type(child).student_view(child, self.child_map(ids_map, i))
                            for i, child in enumerate(payload["children"])]
        return view

    def check_response(self, payload: dict, response: dict) -> dict:
        given = response["children"]
        children = payload["children"]
        if not isinstance(given, Sequence) or isinstance(given, str) or \
                len(given) > len(children):
            raise ResponseError(f"children phải là danh sách tối đa {len(children)} câu trả lời")
        return {"children": [self.child_type(child).validate_response(child, answer)
                             for child, answer in zip(children, given, strict=False)]}

    def translate(self, response: dict, back: Inverse, payload: dict) -> dict:
        given = back.sequence(response["children"], "children")
        return {"children": [
            self.child_type(child).response_from_public(child, answer,
                                                        self.child_map(back.ids_map, index))
            for index, (child, answer) in enumerate(zip(payload["children"], given,
                                                        strict=False))
        ] + list(given[len(payload["children"]):])}

    def score_children(self, payload: dict, responses: Sequence | None) -> list[Decimal | None]:
        """One score per child, in order; a missing response counts as unanswered."""
        given = list(responses or [])
        given += [None] * (len(payload["children"]) - len(given))
        if len(given) > len(payload["children"]):
            raise ResponseError("nhiều câu trả lời hơn số câu hỏi con")
        return [self.child_type(child).score(child, answer)
                for child, answer in zip(payload["children"], given, strict=True)]

    def key_texts(self, payload: dict) -> list[str]:
        return [child["text_html"] for child in payload["children"]]
