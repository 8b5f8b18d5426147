"""The regrade page corrects the key of every objective type through the regrade service:
a dry run with its before/after table first, then "apply" (docs/exams.md "Regrade")."""

from decimal import Decimal

import time_machine

from lms.exams import key_form
from lms.exams.models import Attempt, Exam
from lms.kernel import db
from tests.conftest import csrf_token_from, login
from tests.lms.exams_setup import T0, bearer, published_exam
from tests.question_bank.payloads import payload

TYPES = ("multiple_response", "true_false_4", "short_text", "short_numeric", "matching",
         "ordering", "cloze", "stimulus")


def answers(ids: dict) -> dict:
    """hsa's responses, slot by slot (in the attempt's ids), each partly wrong."""
    def m(slot, key, child=None):
        table = ids[str(slot)] if child is None else ids[str(slot)][str(child)]
        return table[key]

    return {
        1: {"choices": [m(1, "a"), m(1, "b"), m(1, "d")]},                        # 1/3
        2: {"statements": {m(2, "a"): True, m(2, "b"): True, m(2, "c"): True,
                           m(2, "d"): False}},                                     # 3 of 4
        3: {"text": "Ha Noi"},                                                     # 0
        4: {"text": "27"},                                                         # 0
        5: {"pairs": {m(5, "1"): m(5, "right:1"), m(5, "2"): m(5, "right:2"),
                      m(5, "3"): m(5, "right:2")}},                                # 2/3
        6: {"order": [m(6, "b"), m(6, "a"), m(6, "c"), m(6, "d")]},                # 2/4
        7: {"gaps": {m(7, "g1"): "Hà Nội", m(7, "g2"): "3.2", m(7, "g3"): m(7, "g3/b")}},
        8: {"children": [{"choice": m(8, "c", 0)},
                         {"statements": {m(8, k, 1): v for k, v in
                                         zip("abcd", (True, False, True, False), strict=True)}}]},
    }


def sit(client, exam: Exam) -> int:
    headers = bearer(client, "hsa")
    with time_machine.travel(T0, tick=False):
        attempt_id = client.post(f"/api/v1/exams/{exam.id}/attempts", json={},
                                 headers=headers).get_json()["attempt_id"]
        ids = db.session.get(Attempt, attempt_id).ids_map
        for seq, (slot, response) in enumerate(answers(ids).items(), start=1):
            saved = client.put(f"/api/v1/attempts/{attempt_id}/answers/{slot}",
                               json={"response": response, "seq": seq}, headers=headers)
            assert saved.status_code == 200, (slot, saved.get_json())
        assert client.post(f"/api/v1/attempts/{attempt_id}/submit", json={},
                           headers=headers).status_code == 200
    return attempt_id


#: slot → (form fields of the corrected key, hsa's points on the slot after it)
CORRECTIONS = {
    1: ({"correct": ["a", "b", "d"]}, "1"),
    2: ({"answer-a": "true", "answer-b": "true", "answer-c": "true", "answer-d": "false"}, "1"),
    3: ({"ans-0-text": "Hà Nội", "ans-1-text": "Thành phố Hà Nội", "ans-2-text": "Hà*",
         "ans-2-fraction": "0.5", "ignore_diacritics": "1"}, "1"),
    4: ({"ans-0-value": "27.5", "ans-0-tolerance": "0.5", "ans-2-value": "28",
         "ans-2-fraction": "0.5"}, "1"),
    5: ({"left-1": "Việt Nam", "right-1": "Hà Nội", "left-2": "Lào", "right-2": "Viêng Chăn",
         "left-3": "Thái Lan", "right-3": "Viêng Chăn", "distractor-1": "Phnôm Pênh"}, "1"),
    6: ({"pos-a": "2", "pos-b": "1", "pos-c": "3", "pos-d": "4"}, "1"),
    7: ({"gap-g1-points": "1", "gap-g1-ans-0-text": "Hà Nội", "gap-g1-ignore_diacritics": "1",
         "gap-g2-points": "2", "gap-g2-ans-0-value": "3.14", "gap-g2-ans-0-tolerance": "0.1",
         "gap-g3-points": "1", "gap-g3-correct": "b"}, "1"),
    8: ({"c0-correct": "c", "c1-answer-a": "true", "c1-answer-b": "false",
         "c1-answer-c": "true", "c1-answer-d": "false"}, "1"),
}


def test_every_objective_type_is_corrected_on_the_page(client, org):
    exam = published_exam(org, types=TYPES)
    attempt_id = sit(client, exam)
    db.session.expire_all()
    # 1/3 + 0.5 + 0 + 0 + 2/3 + 0.5 + 0.25 + 0.5 = 2.75 of 8
    assert db.session.get(Attempt, attempt_id).score == Decimal("2.75")
    login(client, "teacherx")
    expected = Decimal("2.75")
    before = {1: Decimal(1) / 3, 2: Decimal("0.5"), 3: 0, 4: 0, 5: Decimal(2) / 3,
              6: Decimal("0.5"), 7: Decimal("0.25"), 8: Decimal("0.5")}
    for slot, (fields, after) in CORRECTIONS.items():
        page = client.get(f"/exams/{exam.id}/regrade?slot={slot}").get_data(as_text=True)
        assert 'data-testid="key-form"' in page, slot
        for name in fields:          # every field the correction sends is on the page
            assert f'name="{name}"' in page, (slot, name)
        token = csrf_token_from(page)
        form = {"csrf_token": token, "slot": str(slot), **fields}
        preview = client.post(f"/exams/{exam.id}/regrade", data={**form, "action": "preview"})
        text = preview.get_data(as_text=True)
        assert preview.status_code == 200 and "1 bài thay đổi điểm." in text, (slot, text[-3000:])
        assert 'data-testid="apply"' in text
        db.session.expire_all()
        assert db.session.get(Attempt, attempt_id).score == expected.quantize(Decimal("0.0001"))
        assert "history" not in db.session.get(Exam, exam.id).snapshot[slot - 1]
        applied = client.post(f"/exams/{exam.id}/regrade", data={**form, "action": "apply"})
        assert applied.status_code == 302, (slot, applied.get_data(as_text=True)[-2000:])
        expected += Decimal(after) - before[slot]
        db.session.expire_all()
        assert db.session.get(Attempt, attempt_id).score == expected.quantize(
            Decimal("0.0001")), slot
        assert db.session.get(Exam, exam.id).snapshot[slot - 1]["history"], slot
    assert expected == 8
    snapshot = db.session.get(Exam, exam.id).snapshot
    assert [i["id"] for i in snapshot[5]["payload"]["items"]] == ["b", "a", "c", "d"]
    assert snapshot[3]["payload"]["answers"] == [
        {"value": "27.5", "tolerance": "0.5", "fraction": "1"},
        {"value": "28", "tolerance": "0", "fraction": "0.5"}]
    assert snapshot[2]["payload"]["ignore_diacritics"] is True


def test_a_bad_key_on_the_page_is_a_message_and_changes_nothing(client, org):
    exam = published_exam(org, types=TYPES)
    attempt_id = sit(client, exam)
    login(client, "teacherx")
    token = csrf_token_from(client.get(f"/exams/{exam.id}/regrade?slot=6").get_data(
        as_text=True))
    cases = [
        (6, {"pos-a": "1", "pos-b": "1", "pos-c": "3", "pos-d": "4"},
         "Thứ tự đúng: mỗi mục cần một vị trí khác nhau từ 1 đến 4."),
        (3, {"ans-0-text": "Hà Nội", "ans-0-fraction": "0.5"}, "Đáp án mới không hợp lệ"),
        (4, {"ans-0-value": "abc"}, "Đáp án mới không hợp lệ"),
        (1, {}, "Đáp án mới không hợp lệ"),                  # no correct option left
    ]
    for slot, fields, message in cases:
        reply = client.post(f"/exams/{exam.id}/regrade", data={
            "csrf_token": token, "slot": str(slot), "action": "apply", **fields})
        text = reply.get_data(as_text=True)
        assert reply.status_code == 200 and message in text, (slot, text[-2000:])
        assert 'data-testid="regrade-report"' not in text
    db.session.expire_all()
    assert db.session.get(Attempt, attempt_id).score == Decimal("2.75")
    assert all("history" not in e for e in db.session.get(Exam, exam.id).snapshot)


def test_the_form_reader_keeps_what_the_form_does_not_touch():
    """Pure: an empty answer row is dropped; ids, texts and other fields are kept."""
    from werkzeug.datastructures import MultiDict

    cloze = payload("cloze")
    new = key_form.key_from_form(cloze, MultiDict({
        "gap-g1-ans-0-text": "", "gap-g1-ans-1-text": "Thủ đô", "gap-g2-points": "3",
        "gap-g2-ans-0-value": "3.14", "gap-g3-correct": "a"}))
    assert new["gaps"][0]["answers"] == [{"text": "Thủ đô", "fraction": "1"}]
    assert new["gaps"][1]["points"] == "3" and new["gaps"][2] == cloze["gaps"][2]
    assert new["text_html"] == cloze["text_html"] and cloze["gaps"][0]["answers"][0]["text"] \
        == "Hà Nội"                                          # the input is not changed
    assert key_form.editable(payload("stimulus")) and not key_form.editable(payload("essay"))
    assert key_form.answer_rows(cloze["gaps"][0]["answers"]) == 1 + key_form.EXTRA_ROWS
