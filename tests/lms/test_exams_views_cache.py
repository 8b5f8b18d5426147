"""Students' question views built once per snapshot (lms/exams/views_cache.py) must be exactly
what the direct build gives for the same attempt ids: every type, a stimulus, shuffled options,
a view whose listing depends on the ids (ordering items with equal texts), missing ids."""

import random

import pytest

from lms.exams import logic, services, views_cache
from lms.exams.models import Attempt
from lms.kernel import db
from question_bank import public_keys, student_view
from tests.lms.exams_setup import bearer, published_exam
from tests.question_bank.payloads import RAW, payload

TYPES = sorted(RAW)


def _attempt_ids(stored: dict, rng: random.Random) -> dict:
    """An ids map as ``services._new_attempt`` makes one for the slot."""
    if stored["type"] == "stimulus":
        return {str(i): logic.random_ids(public_keys(child), rng)
                for i, child in enumerate(stored["children"])}
    return logic.random_ids(public_keys(stored), rng)


def _stimulus_of(*kinds) -> dict:
    return payload("stimulus", children=[RAW[k] for k in kinds])


PAYLOADS = {**{t: payload(t) for t in TYPES},
            "stimulus_mixed": _stimulus_of("matching", "cloze", "ordering", "multiple_response"),
            "ordering_equal_texts": payload("ordering", items=[
                {"id": k, "text_html": t} for k, t in (("a", "Nhà Lý"), ("b", "Nhà Lý"),
                                                        ("c", "Nhà Trần"), ("d", "Nhà Lý"))]),
            "matching_equal_rights": payload("matching", pairs=[
                {"id": "1", "left_html": "A", "right_html": "Hà Nội"},
                {"id": "2", "left_html": "B", "right_html": "Hà Nội"}], distractors=["Hà Nội"])}


@pytest.mark.parametrize("name", sorted(PAYLOADS))
def test_the_cached_view_is_the_direct_view_for_every_type(name):
    stored = PAYLOADS[name]
    template = views_cache.Template(stored)
    rng = random.Random(name)
    for _ in range(30):
        ids = _attempt_ids(stored, rng)
        assert template.render(stored, ids) == student_view(stored, ids)
    assert template.render(stored, None) == student_view(stored, None)


def test_a_view_whose_listing_follows_the_ids_is_not_templated_but_still_exact():
    tied = PAYLOADS["ordering_equal_texts"]
    assert views_cache.Template(tied).view is None          # the ids order the tied items
    assert views_cache.Template(PAYLOADS["ordering"]).view is not None
    assert views_cache.Template(PAYLOADS["cloze"]).view is not None   # ids inside the text
    assert views_cache.Template(PAYLOADS["stimulus_mixed"]).view is not None


def test_an_attempt_map_missing_an_id_gets_the_direct_view():
    stored = PAYLOADS["cloze"]
    ids = _attempt_ids(stored, random.Random(1))
    del ids[next(iter(ids))]
    assert views_cache.Template(stored).render(stored, ids) == student_view(stored, ids)
    child = PAYLOADS["stimulus_mixed"]
    ids = _attempt_ids(child, random.Random(2))
    del ids["1"]
    assert views_cache.Template(child).render(child, ids) == student_view(child, ids)


def test_rendering_leaves_the_template_alone():
    stored = PAYLOADS["stimulus_mixed"]
    template = views_cache.Template(stored)
    first_ids = _attempt_ids(stored, random.Random(3))
    first = template.render(stored, first_ids)
    second = template.render(stored, _attempt_ids(stored, random.Random(4)))
    assert first != second
    assert first == student_view(stored, first_ids)
    assert _marked(template.view) and not _marked(first) and not _marked(second)


def _marked(node) -> bool:
    """Whether any string in ``node`` still holds a placeholder mark."""
    if isinstance(node, str):
        return "\x00" in node
    if isinstance(node, dict):
        return any(_marked(k) or _marked(v) for k, v in node.items())
    return isinstance(node, list) and any(_marked(item) for item in node)


def _direct_questions(attempt: Attempt) -> list[dict]:
    """The start payload's questions built as before the cache: each slot's student view in
    the attempt's ids, options in the attempt's order."""
    by_slot = {e["slot"]: e for e in attempt.exam.snapshot}
    out = []
    for slot in attempt.order:
        entry, key = by_slot[slot], str(slot)
        view = student_view(entry["payload"], attempt.ids_map.get(key))
        if key in attempt.option_order:
            place = {oid: i for i, oid in enumerate(attempt.option_order[key])}
            view["options"] = sorted(view["options"], key=lambda o: place[o["id"]])
        out.append({"slot": slot, "points": entry["points"],
                    "section": entry.get("section", ""), **view})
    return out


def test_started_attempts_show_the_direct_views_with_shuffled_options(client, org):
    kinds = ("single_choice", "multiple_response", "true_false", "true_false_4", "short_text",
             "short_numeric", "matching", "ordering", "cloze", "stimulus")
    exam = published_exam(org, {"shuffle_options": True, "shuffle_questions": True,
                                "attempts": 0}, types=kinds)
    assert views_cache.templates(exam) is not None       # the cache is in play
    path = f"/api/v1/exams/{exam.id}/attempts"
    for username in ("hsa", "hsb"):
        headers = bearer(client, username)
        body = client.post(path, headers=headers, json={}).get_json()
        attempt = db.session.get(Attempt, body["attempt_id"])
        assert body["questions"] == _direct_questions(attempt)
        assert services.question_views(attempt) == body["questions"]
        again = client.post(path, headers=headers, json={}).get_json()   # resume
        assert again["questions"] == body["questions"]
