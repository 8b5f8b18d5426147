"""What a student may be shown once the review policy (or practice mode) allows it: the
fraction earned, which parts were right, a correct answer and the feedback, per question type.

Everything is expressed in the ids the student saw (``ids_map`` of the attempt), never in the
stored keys. ``response`` is a stored-id response as ``response_from_public`` returns it
(None when unanswered). Pure logic; one small class per type in ``REVIEWS`` — a type without
one fails loudly.
"""

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from question_bank.mathml import render_math
from question_bank.types import score
from question_bank.types.answers import shortest_form
from question_bank.types.arrange import right_column, right_side
from question_bank.types.base import Ids, ResponseError, UnknownQuestionType
from question_bank.types.cloze import gap_fraction
from question_bank.types.composite import Stimulus


def _full_mark(answers: list[dict]) -> dict:
    return next(a for a in answers if Decimal(a["fraction"]) == 1)


def _html(value: str | None) -> str:
    return render_math(value) if value else ""


class Review:
    """Single-part types: no parts, no type-specific feedback."""

    def correct(self, payload: dict, ids: Ids) -> dict | None:
        return None

    def parts(self, payload: dict, response: dict | None, ids: Ids) -> dict | None:
        return None

    def feedback(self, payload: dict, response: dict | None, ids: Ids) -> dict:
        return {}


class SingleChoiceReview(Review):
    def correct(self, payload, ids):
        return {"choice": next(ids(o["id"]) for o in payload["options"] if o["correct"])}

    def feedback(self, payload, response, ids):
        chosen = {response["choice"]} if response else set()
        return _option_feedback(payload, chosen, ids)


class MultipleResponseReview(Review):
    def correct(self, payload, ids):
        return {"choices": [ids(o["id"]) for o in payload["options"] if o["correct"]]}

    def parts(self, payload, response, ids):
        """Each option: was it handled right (chosen if correct, left if not)."""
        chosen = set(response["choices"]) if response else set()
        return {ids(o["id"]): (o["id"] in chosen) == o["correct"] for o in payload["options"]}

    def feedback(self, payload, response, ids):
        return _option_feedback(payload, set(response["choices"]) if response else set(), ids)


def _option_feedback(payload: dict, chosen: set, ids: Ids) -> dict:
    """The feedback written for the options the student chose."""
    options = {ids(o["id"]): _html(o["feedback_html"]) for o in payload["options"]
               if o["id"] in chosen and o["feedback_html"]}
    return {"options": options} if options else {}


class TrueFalseReview(Review):
    def correct(self, payload, ids):
        return {"value": payload["answer"]}

    def feedback(self, payload, response, ids):
        if response is None:
            return {}
        html = payload["feedback_true_html" if response["value"] else "feedback_false_html"]
        return {"answer_html": _html(html)} if html else {}


class TrueFalse4Review(Review):
    def correct(self, payload, ids):
        return {"statements": {ids(s["id"]): s["answer"] for s in payload["statements"]}}

    def parts(self, payload, response, ids):
        judged = response["statements"] if response else {}
        return {ids(s["id"]): judged.get(s["id"]) is s["answer"] for s in payload["statements"]}


class ShortTextReview(Review):
    def correct(self, payload, ids):
        return {"text": _full_mark(payload["answers"])["text"]}


class ShortNumericReview(Review):
    def correct(self, payload, ids):
        return {"text": shortest_form(_full_mark(payload["answers"])["value"])}


class MatchingReview(Review):
    def _shown_rights(self, payload, ids) -> dict[str, str]:
        return {rid: shown for rid, shown, _ in right_column(payload, ids)}

    def correct(self, payload, ids):
        rights = self._shown_rights(payload, ids)
        return {"pairs": {ids(p["id"]): rights[p["id"]] for p in payload["pairs"]}}

    def parts(self, payload, response, ids):
        chosen = response["pairs"] if response else {}
        sides = right_side(payload)
        return {ids(p["id"]): chosen.get(p["id"]) is not None
                and sides[chosen[p["id"]]] == p["right_html"] for p in payload["pairs"]}


class OrderingReview(Review):
    def correct(self, payload, ids):
        return {"order": [ids(item["id"]) for item in payload["items"]]}

    def parts(self, payload, response, ids):
        given = response["order"] if response else []
        return {ids(item["id"]): index < len(given) and given[index] == item["id"]
                for index, item in enumerate(payload["items"])}


class ClozeReview(Review):
    @staticmethod
    def _gap_answer(gap: dict, ids: Ids) -> str:
        if gap["kind"] == "dropdown":
            option = next(o for o in gap["options"] if o["correct"])
            return ids(f"{gap['id']}/{option['id']}", option["id"])
        if gap["kind"] == "numeric":
            return shortest_form(_full_mark(gap["answers"])["value"])
        return _full_mark(gap["answers"])["text"]

    def correct(self, payload, ids):
        return {"gaps": {ids(g["id"]): self._gap_answer(g, ids) for g in payload["gaps"]}}

    def parts(self, payload, response, ids):
        given = response["gaps"] if response else {}
        return {ids(g["id"]): given.get(g["id"]) is not None
                and gap_fraction(g, given[g["id"]]) == 1 for g in payload["gaps"]}


class EssayReview(Review):
    def feedback(self, payload, response, ids):
        return {"reference_html": _html(payload["reference_html"])} \
            if payload["reference_html"] else {}


REVIEWS: dict[str, Review] = {
    "single_choice": SingleChoiceReview(), "multiple_response": MultipleResponseReview(),
    "true_false": TrueFalseReview(), "true_false_4": TrueFalse4Review(),
    "short_text": ShortTextReview(), "short_numeric": ShortNumericReview(),
    "matching": MatchingReview(), "ordering": OrderingReview(), "cloze": ClozeReview(),
    "essay": EssayReview(), "description": Review(),
}


def _review_of(payload: Any) -> Review:
    name = payload.get("type") if isinstance(payload, Mapping) else None
    if name not in REVIEWS:
        raise UnknownQuestionType(f"không có phần xem lại cho loại câu hỏi: {name!r}")
    return REVIEWS[name]


def review_response(payload: dict, response: Any, ids_map: Mapping | None = None) -> dict:
    """``{"fraction", "parts", "correct_answer", "feedback"}`` for one question: fraction
    as a string ("0.5"; None when a teacher grades it), parts {shown id: right?} for
    multi-part types, a correct answer shaped like a response (one full-mark variant for
    typed answers), and the feedback: general, solution and what the chosen options carry."""
    if payload["type"] == "stimulus":
        return _stimulus_review(payload, response, ids_map)
    try:
        fraction = score(payload, response)
    except ResponseError:
        response, fraction = None, score(payload, None)
    reviewer, ids = _review_of(payload), Ids(ids_map)
    feedback = {key: _html(payload.get(f"{key}_html"))
                for key in ("feedback", "solution") if payload.get(f"{key}_html")}
    feedback.update(reviewer.feedback(payload, response, ids))
    return {"fraction": None if fraction is None else str(fraction),
            "parts": reviewer.parts(payload, response, ids),
            "correct_answer": reviewer.correct(payload, ids), "feedback": feedback}


def _stimulus_review(payload: dict, response: Any, ids_map: Mapping | None) -> dict:
    """A passage: each child reviewed in its own ids; the fraction is their scored mean."""
    given = list((response or {}).get("children") or [])
    given += [None] * (len(payload["children"]) - len(given))
    children = [review_response(child, answer, Stimulus.child_map(ids_map, index))
                for index, (child, answer) in enumerate(zip(payload["children"], given,
                                                            strict=False))]
    scored = [Decimal(c["fraction"]) for c in children if c["fraction"] is not None]
    feedback = {key: _html(payload.get(f"{key}_html"))
                for key in ("feedback", "solution") if payload.get(f"{key}_html")}
    feedback["children"] = [c["feedback"] for c in children]
    return {"fraction": str(sum(scored, Decimal(0)) / len(scored)) if scored else None,
            "parts": {str(i): c["fraction"] for i, c in enumerate(children)},
            "correct_answer": {"children": [c["correct_answer"] for c in children]},
            "feedback": feedback, "children": children}
