"""The teacher's matrix form and variant preview pages (the API's services behind a form)."""

import html
import re

import pytest
from sqlalchemy import select

from lms.exams.logic import REVIEW_ITEMS
from lms.exams.models import Exam, ExamAssignment, ExamVariant
from lms.kernel import db
from tests.conftest import csrf_token_from, login
from tests.lms.matrix_setup import add_questions, levels, make_bank, matrix_json, topic

FORM = "/exams/matrix/new?subject=TOAN&grade=10"


@pytest.fixture
def bank(org):
    return make_bank(org)


def _grid(bank, counts: dict) -> dict:
    """Form fields: counts {(section index, topic key, level): n}."""
    return {f"n-{i}-{bank[key].id}-{level}": str(n) for (i, key, level), n in counts.items()}


def _post(client, bank, counts, **extra):
    token = csrf_token_from(client.get(FORM).get_data(as_text=True))
    data = {"csrf_token": token, "subject": "TOAN", "grade": "10", "scale": "4LEVEL",
            "title": "Giữa kì I", "name-0": "Phần I", "type-0": "single_choice",
            "points-0": "0.25", "name-1": "Phần II", "type-1": "true_false_4", "points-1": "1",
            "name-2": "Phần III", "type-2": "short_numeric", "points-2": "0.5",
            **_grid(bank, counts), **extra}
    return client.post("/exams/matrix/new", data=data)


COUNTS = {(0, "ham_so", "NB"): 4, (0, "vecto", "NB"): 2, (1, "ham_so", "TH"): 2,
          (2, "vecto", "VD"): 2}


def test_the_form_shows_topics_levels_and_what_the_bank_has(client, org, bank):
    login(client, "teacherx")
    page = client.get(FORM)
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert "Hàm số bậc hai" in text and "VDC" in text
    # the chapter Hàm số counts its topic's questions: 3 + 2 single-choice NB
    cell = f'name="n-0-{bank["ham_so"].id}-NB"'
    assert cell in text
    after = text[text.index(cell):]
    assert re.search(r">/5<", after[:600])


def test_building_publishing_and_assigning_from_the_form(client, org, bank):
    login(client, "teacherx")
    reply = _post(client, bank, COUNTS, generation="variants", variant_count="3",
                  code_digits="4", publish="1", class_ids=str(org.class_x.id))
    assert reply.status_code == 302, reply.get_data(as_text=True)[:2000]
    exam = db.session.scalar(select(Exam))
    assert exam.state.value == "published" and len(exam.snapshot) == 10
    assert exam.settings["generation"] == "variants"
    assert db.session.scalar(select(ExamAssignment)).class_id == org.class_x.id
    codes = [v.code for v in db.session.scalars(select(ExamVariant))]
    assert len(codes) == 3 and all(len(c) == 4 for c in codes)
    page = client.get(reply.headers["Location"])
    text = page.get_data(as_text=True)
    assert page.status_code == 200 and all(f"Mã đề {c}" in text for c in codes)
    assert text.count('data-testid="paper-question"') == 10
    assert 'data-testid="answer-key"' in text
    other = client.get(f"/exams/{exam.id}/variants/{codes[-1]}")
    assert other.status_code == 200 and f'data-testid="paper-code">Mã đề {codes[-1]}' in \
        other.get_data(as_text=True)


def _short_cells_marked(reply, bank) -> str:
    """The page of a 400 for 9 × Hàm số NB and 1 × Vectơ VDC: both short cells named with
    what is missing, and exactly their inputs marked invalid. Returns the page text."""
    text = html.unescape(reply.get_data(as_text=True))
    assert "Phần I · Hàm số · NB: cần 9, có 5, thiếu 4" in text
    assert "Phần II · Vectơ · VDC: cần 1, có 0, thiếu 1" in text
    marked = re.findall(r'is-invalid"[^>]*name="(n-[^"]+)"', text)
    assert sorted(marked) == sorted([f"n-0-{bank['ham_so'].id}-NB",
                                     f"n-1-{bank['vecto'].id}-VDC"])
    return text


def test_short_cells_are_marked_in_the_form_and_nothing_is_stored(client, org, bank):
    login(client, "teacherx")
    reply = _post(client, bank, {**COUNTS, (0, "ham_so", "NB"): 9, (1, "vecto", "VDC"): 1})
    assert reply.status_code == 400
    text = _short_cells_marked(reply, bank)
    assert 'value="9"' in text                          # the teacher's input is kept
    assert db.session.scalar(select(Exam)) is None


def test_bad_counts_are_listed_with_their_cells(client, org, bank):
    login(client, "teacherx")
    reply = _post(client, bank, {(0, "ham_so", "NB"): "abc"}, **{"points-0": "-1"})
    assert reply.status_code == 400
    text = html.unescape(reply.get_data(as_text=True))
    assert "sections[0].cells[0].count" in text and "sections[0].cells[0].points" in text


def test_preview_pages_are_only_for_the_owner(client, org, bank):
    login(client, "teacherx")
    _post(client, bank, COUNTS, generation="variants", variant_count="2", publish="1")
    exam = db.session.scalar(select(Exam))
    code = db.session.scalars(select(ExamVariant)).first().code
    client.post("/logout", data={"csrf_token": csrf_token_from(
        client.get("/").get_data(as_text=True))})
    for username, status in (("teachery", 404), ("hsa", 404)):
        login(client, username)
        assert client.get(f"/exams/{exam.id}/variants").status_code == status
        reply = client.get(f"/exams/{exam.id}/variants/{code}")
        assert reply.status_code == status and "answer-key" not in reply.get_data(as_text=True)
        client.post("/logout", data={"csrf_token": csrf_token_from(
            client.get("/").get_data(as_text=True))})
    login(client, "hsa")
    assert client.get(FORM).status_code == 403


def test_topic_names_and_question_text_are_escaped(client, org, bank):
    probe = "<script>alert(1)</script>"
    chapter = topic(f"Chủ đề {probe}")
    add_questions(org.teacher_x, chapter, "NB", "single_choice", 1)
    db.session.commit()
    login(client, "teacherx")
    text = client.get(FORM).get_data(as_text=True)
    assert probe not in text and "&lt;script&gt;alert(1)&lt;/script&gt;" in text
    assert levels()["NB"]


# ---------------------------------------------------------------- time fields of the builder

WINDOW = {"open_at": "01/12/2026 07:30", "close_at": "01/12/2026 09:00",
          "time_limit_minutes": "45", "attempts": "2"}


def _errors(text: str) -> list[str]:
    """The field messages and flashed errors of a page, in order."""
    text = html.unescape(text)
    return re.findall(r'class="invalid-feedback">([^<]+)<', text) + \
        re.findall(r'alert-danger[^>]*>\s*([^<]+?)\s*<', text)


def test_the_builder_sets_time_limit_window_and_attempts(client, org, bank):
    login(client, "teacherx")
    page = client.get(FORM).get_data(as_text=True)
    assert 'name="attempts"' in page and 'value="1"' in page[page.index('name="attempts"') - 300:]
    reply = _post(client, bank, COUNTS, **WINDOW)
    assert reply.status_code == 302, _errors(reply.get_data(as_text=True))
    settings = db.session.scalar(select(Exam)).settings
    assert settings["open_at"] == "2026-12-01T00:30:00"                  # 07:30 UTC+7
    assert settings["close_at"] == "2026-12-01T02:00:00"
    assert (settings["time_limit_s"], settings["attempts_allowed"]) == (2700, 2)


BAD_WINDOWS = [{**WINDOW, "open_at": "2026-12-01 07:30", "time_limit_minutes": "-5",
                "attempts": "101"},
               {**WINDOW, "open_at": "01/12/2026 10:00"}]                # closes before it opens


@pytest.mark.parametrize("bad", BAD_WINDOWS)
def test_bad_times_get_the_settings_forms_messages_and_build_nothing(client, org, bank, bad):
    login(client, "teacherx")
    reply = _post(client, bank, COUNTS, **bad)
    assert reply.status_code == 400
    assert db.session.scalar(select(Exam)) is None
    from_builder = _errors(reply.get_data(as_text=True))
    # the same values typed into Cài đặt of a draft
    draft = client.post("/teacher/exams/new", data={
        "csrf_token": csrf_token_from(client.get("/teacher/exams/new").get_data(as_text=True)),
        "title": "Nháp"})
    url = draft.headers["Location"] + "/settings"
    token = csrf_token_from(client.get(url).get_data(as_text=True))
    settings = client.post(url, data={"csrf_token": token, "grading_method": "highest",
                                      "navigation": "free", "mode": "test",
                                      "late_mode": "auto_submit", "rounding": "0.01",
                                      **{f"review_{item}": "never" for item in REVIEW_ITEMS},
                                      **bad})
    from_settings = _errors(settings.get_data(as_text=True))
    assert from_settings and all(message in from_builder for message in from_settings), \
        (from_settings, from_builder)


# ---------------------------------------------------------------- editing a draft's matrix


def _draft(client, bank, **extra) -> Exam:
    reply = _post(client, bank, COUNTS, **WINDOW, **extra)
    assert reply.status_code == 302, _errors(reply.get_data(as_text=True))
    return db.session.scalar(select(Exam))


def _post_edit(client, bank, exam, counts, **extra):
    url = f"/exams/{exam.id}/matrix"
    token = csrf_token_from(client.get(f"/teacher/exams/{exam.id}").get_data(as_text=True))
    data = {"csrf_token": token, "subject": "TOAN", "grade": "10", "scale": "4LEVEL",
            "section_count": "3", "title": "Giữa kì I (sửa)", "name-0": "Phần I",
            "type-0": "single_choice", "points-0": "0,5", "name-1": "Phần II",
            "type-1": "true_false_4", "points-1": "1", "name-2": "Phần III",
            "type-2": "short_numeric", "points-2": "0.5", **WINDOW, **_grid(bank, counts),
            **extra}
    return client.post(url, data=data)


def test_a_draft_matrix_opens_filled_and_saves_a_new_draw(client, org, bank):
    from lms.exams.matrix import matrix_of

    login(client, "teacherx")
    exam = _draft(client, bank, generation="variants", variant_count="3")
    assert 'data-testid="edit-matrix"' in client.get(
        f"/exams/{exam.id}/variants").get_data(as_text=True)
    page = client.get(f"/exams/{exam.id}/matrix")
    assert page.status_code == 200
    text = html.unescape(page.get_data(as_text=True))
    assert 'value="Giữa kì I"' in text and 'value="01/12/2026 07:30"' in text
    assert 'value="45"' in text and 'name="attempts" type="number" value="2"' in text
    for (i, key, level), n in COUNTS.items():
        name = f"n-{i}-{bank[key].id}-{level}"
        assert re.search(rf'name="{name}" value="{n}"', text), name
    assert re.search(r'name="points-0"[^>]*value="0,25"', text)
    assert '<option value="variants" selected>' in text
    assert 'data-testid="tab-edit" aria-current="page"' in text

    changed = {(0, "ham_so", "NB"): 3, (1, "ham_so", "TH"): 1}
    reply = _post_edit(client, bank, exam, changed, generation="variants", variant_count="3",
                       close_at="01/12/2026 10:00", attempts="3")
    assert reply.status_code == 302 and reply.headers["Location"].endswith(
        f"/exams/{exam.id}/variants")
    db.session.expire_all()
    exam = db.session.get(Exam, exam.id)
    assert db.session.scalars(select(Exam)).all() == [exam]              # the same draft
    assert exam.title == "Giữa kì I (sửa)" and exam.state.value == "draft"
    assert len(exam.selection) == 4
    assert {e["points"] for e in exam.selection} == {"0.5", "1"}
    spec = matrix_of(exam)
    assert [(c["topic_id"], c["level"], c["count"]) for s in spec["sections"]
            for c in s["cells"]] == [(bank["ham_so"].id, "NB", 3), (bank["ham_so"].id, "TH", 1)]
    assert exam.settings["close_at"] == "2026-12-01T03:00:00"
    assert exam.settings["attempts_allowed"] == 3 and exam.settings["variant_count"] == 3
    assert "Đã lưu ma trận" in html.unescape(client.get(reply.headers["Location"])
                                             .get_data(as_text=True))


def test_a_short_edit_is_marked_as_at_creation_and_changes_nothing(client, org, bank):
    from lms.exams.matrix import matrix_of

    login(client, "teacherx")
    exam = _draft(client, bank)
    before = (list(exam.selection), matrix_of(exam), dict(exam.settings))
    reply = _post_edit(client, bank, exam, {**COUNTS, (0, "ham_so", "NB"): 9,
                                            (1, "vecto", "VDC"): 1})
    assert reply.status_code == 400
    _short_cells_marked(reply, bank)
    db.session.expire_all()
    exam = db.session.get(Exam, exam.id)
    assert (exam.selection, matrix_of(exam), exam.settings) == before


def test_a_published_test_refuses_to_edit_its_matrix(client, org, bank):
    from lms.exams.matrix import matrix_of

    login(client, "teacherx")
    exam = _draft(client, bank, publish="1")
    spec = matrix_of(exam)
    assert 'data-testid="edit-matrix"' not in client.get(
        f"/exams/{exam.id}/variants").get_data(as_text=True)
    for send in (lambda: client.get(f"/exams/{exam.id}/matrix"),
                 lambda: _post_edit(client, bank, exam, {(0, "ham_so", "NB"): 1})):
        reply = send()
        assert reply.status_code == 302
        assert reply.headers["Location"].endswith(f"/exams/{exam.id}/variants")
        page = html.unescape(client.get(reply.headers["Location"]).get_data(as_text=True))
        assert "đã phát hành nên không sửa được ma trận" in page
    db.session.expire_all()
    assert matrix_of(db.session.get(Exam, exam.id)) == spec


def test_a_hand_picked_draft_has_no_matrix_to_edit(client, org, bank):
    login(client, "teacherx")
    draft = client.post("/teacher/exams/new", data={
        "csrf_token": csrf_token_from(client.get("/teacher/exams/new").get_data(as_text=True)),
        "title": "Chọn tay"})
    exam_id = int(draft.headers["Location"].rsplit("/", 1)[1])
    assert 'data-testid="edit-matrix"' not in client.get(draft.headers["Location"]) \
        .get_data(as_text=True)
    reply = client.get(f"/exams/{exam_id}/matrix")
    assert reply.status_code == 302 and reply.headers["Location"].endswith(
        f"/teacher/exams/{exam_id}")
    assert "không có ma trận để sửa" in html.unescape(
        client.get(reply.headers["Location"]).get_data(as_text=True))


def test_only_the_owner_opens_or_saves_a_draft_matrix(client, org, bank):
    from lms.exams.matrix import matrix_of

    login(client, "teacherx")
    exam = _draft(client, bank)
    spec = matrix_of(exam)
    token = csrf_token_from(client.get("/").get_data(as_text=True))
    client.post("/logout", data={"csrf_token": token})
    for username, status in (("teachery", 404), ("hsa", 404)):
        login(client, username)
        assert client.get(f"/exams/{exam.id}/matrix").status_code == status
        assert client.get("/exams/999999/matrix").status_code == 404
        token = csrf_token_from(client.get("/").get_data(as_text=True))
        reply = client.post(f"/exams/{exam.id}/matrix", data={
            "csrf_token": token, "subject": "TOAN", "grade": "10", "scale": "4LEVEL",
            "title": "x", "name-0": "Phần I", "type-0": "single_choice", "points-0": "1",
            f"n-0-{bank['ham_so'].id}-NB": "1"})
        assert reply.status_code == status
        client.post("/logout", data={"csrf_token": token})
    db.session.expire_all()
    assert matrix_of(db.session.get(Exam, exam.id)) == spec


def test_a_matrix_from_the_api_with_four_sections_and_mixed_points_opens_whole(client, org,
                                                                                bank):
    """The API takes up to 10 sections and points per cell; the form shows every section
    and warns that it keeps one point value per section."""
    from lms.exams.matrix import create_exam_from_matrix, matrix_of

    raw = matrix_json([("A", "single_choice", bank["ham_so"].id, "NB", 1),
                       ("A", "single_choice", bank["vecto"].id, "NB", 1),
                       ("B", "single_choice", bank["ham_so"].id, "TH", 1),
                       ("C", "true_false_4", bank["ham_so"].id, "TH", 1),
                       ("D", "short_numeric", bank["vecto"].id, "VD", 1)])
    raw["sections"][0]["cells"][1]["points"] = "0.5"
    exam = create_exam_from_matrix(org.teacher_x, "Đề API", raw)
    db.session.commit()
    login(client, "teacherx")
    text = html.unescape(client.get(f"/exams/{exam.id}/matrix").get_data(as_text=True))
    assert 'name="section_count" value="4"' in text
    assert 'name="name-3" value="D"' in text
    assert re.search(rf'name="n-3-{bank["vecto"].id}-VD" value="1"', text)
    assert "Các ô của A có điểm khác nhau" in text
    reply = _post_edit(client, bank, exam, {(3, "vecto", "VD"): 2}, section_count="4",
                       **{"name-3": "D", "type-3": "short_numeric", "points-3": "0,5"})
    assert reply.status_code == 302, _errors(reply.get_data(as_text=True))
    db.session.expire_all()
    sections = matrix_of(db.session.get(Exam, exam.id))["sections"]
    assert [(s["name"], [c["count"] for c in s["cells"]]) for s in sections] == [("D", [2])]
