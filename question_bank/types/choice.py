"""Choice types: single choice, multiple response, true/false, and the 2025 four-statement
true/false (câu hỏi đúng/sai gồm 4 ý a–d)."""

from decimal import Decimal

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

OPTION_FIELDS = ("id", "text_html", "correct", "feedback_html")
#: true_false_4: statements judged correctly → fraction of the points (2025 exam rule)
TRUE_FALSE_4_SCALE = {
    0: Decimal("0"), 1: Decimal("0.1"), 2: Decimal("0.25"), 3: Decimal("0.5"), 4: Decimal("1"),
}
STATEMENT_IDS = ("a", "b", "c", "d")


def read_options(data: dict, problems: Problems) -> list[dict]:
    """2–8 options, each {id, text_html, correct, feedback_html}, ids unique."""
    raw = read_list(data, "options", problems, low=2, high=8, label="phương án")
    items = [read_object(item, join("options", i), problems, OPTION_FIELDS)
             for i, item in enumerate(raw)]
    ids = read_ids(items, "options", problems)
    return [
        {
            "id": ids[i],
            "text_html": read_html(item, "text_html", problems, join("options", i), True),
            "correct": read_bool(item, "correct", problems, join("options", i), False),
            "feedback_html": read_html(item, "feedback_html", problems, join("options", i)),
        }
        for i, item in enumerate(items)
    ]


def read_pinned(data: dict, options: list[dict], problems: Problems) -> list[str]:
    """Ids of options kept in place when shuffling ("Tất cả các đáp án trên")."""
    pinned = read_list(data, "pinned", problems)
    ids = {option["id"] for option in options}
    for index, value in enumerate(pinned):
        if value not in ids:
            problems.add(join("pinned", index), f"không có phương án mã {value!r}")
    return [value for value in pinned if value in ids]


def correct_ids(payload: dict) -> set[str]:
    return {option["id"] for option in payload["options"] if option["correct"]}


class ChoiceType(QuestionType):
    """Shared by single choice and multiple response: options, shuffle, pinned."""

    fields = ("options", "shuffle", "pinned")

    def validate_fields(self, data: dict, problems: Problems) -> dict:
        options = read_options(data, problems)
        self.check_correct_count(sum(o["correct"] for o in options), problems)
        return {
            "options": options,
            "shuffle": read_bool(data, "shuffle", problems, default=True),
            "pinned": read_pinned(data, options, problems),
        }

    def check_correct_count(self, count: int, problems: Problems) -> None:
        raise NotImplementedError

    def student_fields(self, payload: dict, ids: Ids) -> dict:
        return {"options": [
            {"id": ids(o["id"]), "text_html": render_math(o["text_html"])}
            for o in payload["options"]
        ]}

    def key_texts(self, payload: dict) -> list[str]:
        return [option["text_html"] for option in payload["options"]]

    def public_keys(self, payload: dict) -> list[str]:
        return self.option_ids(payload)

    def option_ids(self, payload: dict) -> list[str]:
        return [option["id"] for option in payload["options"]]


class SingleChoice(ChoiceType):
    """Một lựa chọn: exactly one correct option; 1 if it is chosen, else 0."""

    name = "single_choice"
    response_keys = ("choice",)

    def check_correct_count(self, count: int, problems: Problems) -> None:
        if count != 1:
            problems.add("options", "câu hỏi một lựa chọn cần đúng 1 phương án đúng, "
                                    f"đang có {count}")

    def check_response(self, payload: dict, response: dict) -> dict:
        return {"choice": known_id(response["choice"], self.option_ids(payload))}

    def translate(self, response: dict, back: Inverse, payload: dict) -> dict:
        return {"choice": back(response["choice"])}

    def score_response(self, payload: dict, response: dict) -> Decimal:
        return Decimal(1) if response["choice"] in correct_ids(payload) else Decimal(0)


class MultipleResponse(ChoiceType):
    """Nhiều lựa chọn: (correct chosen − wrong chosen) / number correct, floored at 0."""

    name = "multiple_response"
    response_keys = ("choices",)

    def check_correct_count(self, count: int, problems: Problems) -> None:
        if count < 1:
            problems.add("options", "câu hỏi nhiều lựa chọn cần ít nhất 1 phương án đúng, "
                                    "đang có 0")

    def check_response(self, payload: dict, response: dict) -> dict:
        choices = response["choices"]
        if not isinstance(choices, list):
            raise ResponseError("choices phải là một danh sách mã phương án")
        ids = self.option_ids(payload)
        picked = [known_id(value, ids) for value in choices]
        if len(set(picked)) != len(picked):
            raise ResponseError("một phương án được chọn hai lần")
        return {"choices": picked}

    def translate(self, response: dict, back: Inverse, payload: dict) -> dict:
        return {"choices": [back(value) for value in back.sequence(response["choices"],
                                                                   "choices")]}

    def score_response(self, payload: dict, response: dict) -> Decimal:
        correct = correct_ids(payload)
        right = sum(1 for choice in response["choices"] if choice in correct)
        wrong = len(response["choices"]) - right
        return max(Decimal(0), Decimal(right - wrong) / Decimal(len(correct)))


class TrueFalse(QuestionType):
    """Đúng/Sai: one statement; 1 if the student's value equals the answer."""

    name = "true_false"
    fields = ("answer", "feedback_true_html", "feedback_false_html")
    response_keys = ("value",)

    def validate_fields(self, data: dict, problems: Problems) -> dict:
        return {
            "answer": read_bool(data, "answer", problems),
            "feedback_true_html": read_html(data, "feedback_true_html", problems),
            "feedback_false_html": read_html(data, "feedback_false_html", problems),
        }

    def check_response(self, payload: dict, response: dict) -> dict:
        if not isinstance(response["value"], bool):
            raise ResponseError("value phải là true hoặc false")
        return response

    def score_response(self, payload: dict, response: dict) -> Decimal:
        return Decimal(1) if response["value"] == payload["answer"] else Decimal(0)


class TrueFalse4(QuestionType):
    """Đúng/sai 4 ý (2025): statements a–d; 0/1/2/3/4 judged right → 0/0.1/0.25/0.5/1."""

    name = "true_false_4"
    fields = ("statements",)
    response_keys = ("statements",)

    def validate_fields(self, data: dict, problems: Problems) -> dict:
        raw = read_list(data, "statements", problems, low=4, high=4, label="ý")
        items = [read_object(item, join("statements", i), problems, ("id", "text_html", "answer"))
                 for i, item in enumerate(raw)]
        ids = read_ids(items, "statements", problems)
        if len(items) == 4 and tuple(ids) != STATEMENT_IDS:
            problems.add("statements", "các ý phải có mã a, b, c, d theo thứ tự")
        return {"statements": [
            {
                "id": ids[i],
                "text_html": read_html(item, "text_html", problems, join("statements", i), True),
                "answer": read_bool(item, "answer", problems, join("statements", i)),
            }
            for i, item in enumerate(items)
        ]}

    def student_fields(self, payload: dict, ids: Ids) -> dict:
        return {"statements": [
            {"id": ids(s["id"]), "text_html": render_math(s["text_html"])}
            for s in payload["statements"]
        ]}

    def check_response(self, payload: dict, response: dict) -> dict:
        judged = response["statements"]
        if not isinstance(judged, dict):
            raise ResponseError("statements phải là đối tượng {mã ý: true/false}")
        ids = [s["id"] for s in payload["statements"]]
        for key, value in judged.items():
            known_id(key, ids, "ý")
            if value is not None and not isinstance(value, bool):
                raise ResponseError(f"ý {key}: phải là true hoặc false")
        return {"statements": dict(judged)}

    def score_response(self, payload: dict, response: dict) -> Decimal:
        judged = response["statements"]
        right = sum(1 for s in payload["statements"] if judged.get(s["id"]) is s["answer"])
        return TRUE_FALSE_4_SCALE[right]

    def key_texts(self, payload: dict) -> list[str]:
        return [s["text_html"] for s in payload["statements"]]

    def public_keys(self, payload: dict) -> list[str]:
        return [s["id"] for s in payload["statements"]]

    def translate(self, response: dict, back: Inverse, payload: dict) -> dict:
        judged = back.mapping(response["statements"], "statements")
        return {"statements": {back(key): value for key, value in judged.items()}}
