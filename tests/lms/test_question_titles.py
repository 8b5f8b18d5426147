"""Question titles (GIFT ::name::, Moodle XML <name>) through the bank: import, storage per
version, lists, editor, API, search, export and round trips; dropped parts in the import
report; the import CLI's format names and its JSON report on refusal."""

import json
import unicodedata

import pytest
from sqlalchemy import func, select

from lms.core.errors import DomainError
from lms.curriculum.models import Subject
from lms.kernel import db as _db
from lms.questions import bank_export, search, services, transfer
from question_bank import formats as qformats
from question_bank.formats import parse_gift, parse_moodlexml
from question_bank.models import Question, QuestionVersion
from tests.conftest import api_token, csrf_token_from, login
from tests.question_bank.fixtures import fixture_bytes

NAMED_GIFT = ("::Hàm số 1:: Hàm số y = 2x + 1 đồng biến? {T}\n\n"
              "::Thủ đô:: Thủ đô của Việt Nam là {=Hà Nội ~Huế ~Đà Nẵng}\n\n"
              "Câu không tên: 2 + 2 = {#4}\n").encode()
PAYLOAD = {"schema": 1, "type": "true_false", "answer": True,
           "text_html": "<p>Tam giác đều có ba góc bằng nhau</p>"}
ORDERING_XML = """<quiz><question type="ordering"><name><text>Thứ tự các số</text></name>
<questiontext format="html"><text>Xếp từ bé đến lớn</text></questiontext>
<answer fraction="2"><text>Hai</text></answer><answer fraction="1"><text>Một</text></answer>
<answer fraction="3"><text>Ba</text></answer></question></quiz>""".encode()


def _toan():
    return _db.session.scalar(select(Subject).where(Subject.code == "TOAN"))


def _options(**kw):
    return transfer.ImportOptions(subject_id=_toan().id, grade=10, **kw)


def _titles(author) -> dict[str, str]:
    """Question text → stored title of the author's questions."""
    rows = _db.session.execute(
        select(QuestionVersion.title, QuestionVersion.payload)
        .join(Question, Question.current_version_id == QuestionVersion.id)
        .where(Question.author_id == author.id))
    return {payload["text_html"]: title for title, payload in rows}


def _export(actor, fmt):
    questions = list(_db.session.scalars(select(Question).where(Question.author_id == actor.id)
                                         .order_by(Question.id)))
    return bank_export.export_file(actor, fmt, questions).content


# ---------------------------------------------------------------- import and round trips

def test_gift_names_are_kept_as_titles_and_survive_a_round_trip(org):
    report = transfer.import_questions(org.teacher_x, NAMED_GIFT, "de.gift", _options())
    _db.session.commit()
    assert report["saved"] and report["questions"] == 3
    stored = _titles(org.teacher_x)
    assert sorted(stored.values()) == ["", "Hàm số 1", "Thủ đô"]

    exported = _export(org.teacher_x, "gift").decode()
    assert "::Hàm số 1::" in exported and "::Thủ đô::" in exported
    assert [q.title for q in parse_gift(exported).questions] == ["Hàm số 1", "Thủ đô", ""]
    # Teacher Y does not see X's drafts, so the exported file imports again as new questions.
    again = transfer.import_questions(org.teacher_y, exported.encode(), "lai.gift", _options())
    _db.session.commit()
    assert again["saved"] and again["duplicates"] == 0
    assert _titles(org.teacher_y) == stored


def test_moodle_xml_names_are_kept_as_titles_and_survive_a_round_trip(org):
    data = fixture_bytes("moodlexml/nested_categories_with_questions.xml")
    report = transfer.import_questions(org.teacher_x, data, "q.xml", _options())
    transfer.import_questions(org.teacher_x, ORDERING_XML, "o.xml", _options())
    _db.session.commit()
    assert report["saved"] and report["by_type"] == {"true_false": 4, "essay": 1}
    stored = _titles(org.teacher_x)
    assert sorted(stored.values()) == ["Iota Question", "Kappa Essay Question",
                                       "Kappa Question", "Lambda Question", "Mu Question",
                                       "Thứ tự các số"]

    exported = _export(org.teacher_x, "moodlexml")
    parsed = parse_moodlexml(exported)
    assert not parsed.errors and parsed.questions[-1].payload["type"] == "ordering"
    again = transfer.import_questions(org.teacher_y, exported, "lai.xml", _options())
    _db.session.commit()
    assert again["saved"] and again["by_type"]["ordering"] == 1
    assert _titles(org.teacher_y) == stored


def test_an_untitled_question_stays_untitled_through_moodle_xml(org):
    """Moodle XML needs a <name>, so the export writes the start of the text; importing that
    name back would invent a title, so a name that only repeats the text is not kept."""
    services.create_question(org.teacher_x, services.QuestionMeta(_toan().id, 10), PAYLOAD)
    _db.session.commit()
    exported = _export(org.teacher_x, "moodlexml")
    assert parse_moodlexml(exported).questions[0].title == "Tam giác đều có ba góc bằng nhau"
    transfer.import_questions(org.teacher_y, exported, "lai.xml", _options())
    _db.session.commit()
    assert list(_titles(org.teacher_y).values()) == [""]


def test_formats_without_names_store_no_title(org):
    aiken = b"Thu do cua Viet Nam?\nA. Ha Noi\nB. Hue\nANSWER: A\n"
    report = transfer.import_questions(org.teacher_x, aiken, "a.txt", _options(fmt="aiken"))
    _db.session.commit()
    assert report["saved"] and list(_titles(org.teacher_x).values()) == [""]


def test_a_title_too_long_is_cut_with_a_warning(org):
    data = f"::{'Tên ' * 80}:: Đúng? {{T}}\n".encode()
    report = transfer.import_questions(org.teacher_x, data, "dai.gift", _options())
    _db.session.commit()
    (title,) = _titles(org.teacher_x).values()
    assert len(title) == services.MAX_TITLE and title.startswith("Tên Tên")
    assert [w["location"] for w in report["warnings"]] == ["dòng 1"]
    assert "319 ký tự" in report["warnings"][0]["message"]


def test_dropped_hints_and_feedbacks_are_in_the_report_with_line_and_name(org):
    data = fixture_bytes("moodlexml/multichoice-testquestion.moodle.xml")
    report = transfer.import_questions(org.teacher_x, data, "m.xml", _options(dry_run=True))
    assert [w["location"] for w in report["warnings"]] == [
        "dòng 12 (Multi-choice-001)", "dòng 12 (Multi-choice-001)"]
    assert report["warnings"][0]["message"].startswith("2 gợi ý")
    gift = transfer.import_questions(org.teacher_x, b"::Pi:: Pi? {#3.14:0.01#gan dung}\n",
                                     "p.gift", _options(dry_run=True))
    assert [w["location"] for w in gift["warnings"]] == ["dòng 1 (Pi)"]


# ---------------------------------------------------------------- services and search

def test_titles_are_versioned_with_the_payload(org):
    meta = services.QuestionMeta(_toan().id, 10)
    question = services.create_question(org.teacher_x, meta, PAYLOAD,
                                        title=unicodedata.normalize("NFD", "  Tam  giác\n đều "))
    assert question.current_version.title == "Tam giác đều"
    services.revise_question(org.teacher_x, question, {**PAYLOAD, "answer": False})
    assert question.current_version.title == "Tam giác đều"  # None keeps the title
    services.revise_question(org.teacher_x, question, PAYLOAD, title="Góc của tam giác")
    _db.session.commit()
    assert [v.title for v in question.versions] == ["Tam giác đều", "Tam giác đều",
                                                     "Góc của tam giác"]
    assert services.question_summary(question)["title"] == "Góc của tam giác"


def test_control_characters_in_a_title_become_spaces(org):
    """NUL would make PostgreSQL refuse the row (a 500); GIFT names may carry any byte."""
    meta = services.QuestionMeta(_toan().id, 10)
    question = services.create_question(org.teacher_x, meta, PAYLOAD, title="A\x00B\x07\tC")
    transfer.import_questions(org.teacher_y, b"::X\x00Y:: Dung? {T}\n", "n.gift", _options())
    _db.session.commit()
    assert question.current_version.title == "A B C"
    assert list(_titles(org.teacher_y).values()) == ["X Y"]


@pytest.mark.parametrize("title", ["x" * 256, 42])
def test_a_bad_title_is_refused_and_nothing_is_saved(org, title):
    meta = services.QuestionMeta(_toan().id, 10)
    with pytest.raises(DomainError) as caught:
        services.create_question(org.teacher_x, meta, PAYLOAD, title=title)
    assert caught.value.code == "invalid_title"
    assert caught.value.details["problems"][0]["path"] == "title"
    _db.session.rollback()
    assert _db.session.scalar(select(func.count()).select_from(Question)) == 0
    assert services.create_question(org.teacher_x, meta, PAYLOAD, title="x" * 255)


def test_search_finds_a_question_by_its_title_without_accents(org):
    search.rebuild()
    meta = services.QuestionMeta(_toan().id, 10)
    titled = services.create_question(org.teacher_x, meta, PAYLOAD, title="Hình học phẳng")
    services.create_question(org.teacher_x, meta, {**PAYLOAD, "text_html": "<p>Khác</p>"})
    _db.session.commit()
    found = services.search_questions(org.teacher_x, "hinh hoc phang")
    assert [q.id for q in found["items"]] == [titled.id]
    assert services.search_questions(org.teacher_x, "tam giac")["total"] == 1  # the text too


# ---------------------------------------------------------------- pages

def _form(client, url):
    page = client.get(url)
    assert page.status_code == 200
    return page.get_data(as_text=True)


def _post_editor(client, url, payload, **fields):
    token = csrf_token_from(_form(client, url))
    return client.post(url, data={"csrf_token": token, "subject": "TOAN", "grade": "10",
                                  "tags": "", "note": "", "payload": json.dumps(payload),
                                  **fields})


def test_editor_saves_and_changes_the_title_and_pages_show_it(client, org):
    search.rebuild()
    login(client, "teacherx")
    created = _post_editor(client, "/questions/new", PAYLOAD, title="Góc  tam giác")
    assert created.status_code == 302, created.get_data(as_text=True)
    question = _db.session.scalar(select(Question))
    assert question.current_version.title == "Góc tam giác"
    detail = client.get(f"/questions/{question.id}").get_data(as_text=True)
    assert 'data-testid="question-title">Góc tam giác<' in detail
    assert 'value="Góc tam giác"' in _form(client, f"/questions/{question.id}/edit")
    assert 'data-testid="question-title">Góc tam giác<' in \
        client.get("/questions/?q=goc").get_data(as_text=True)

    # Same payload, new title: a new version, and the comparison names the change.
    renamed = _post_editor(client, f"/questions/{question.id}/edit", PAYLOAD, title="Góc")
    assert renamed.status_code == 302
    _db.session.expire_all()
    assert [v.title for v in question.versions] == ["Góc tam giác", "Góc"]
    compare = client.get(f"/questions/{question.id}/versions").get_data(as_text=True)
    assert "<code>title</code>" in compare and "Góc tam giác" in compare
    # Nothing changed (the stored payload, the same title): no version.
    _post_editor(client, f"/questions/{question.id}/edit", question.current_version.payload,
                 title="Góc")
    _db.session.expire_all()
    assert len(question.versions) == 2


def test_editor_refuses_a_title_too_long_and_keeps_the_question(client, org):
    login(client, "teacherx")
    _post_editor(client, "/questions/new", PAYLOAD, title="Cũ")
    question = _db.session.scalar(select(Question))
    refused = _post_editor(client, f"/questions/{question.id}/edit", PAYLOAD, title="y" * 300)
    assert refused.status_code == 400
    assert "tối đa 255" in refused.get_data(as_text=True)
    _db.session.expire_all()
    assert [v.title for v in question.versions] == ["Cũ"]


def test_import_preview_shows_the_titles(client, org):
    login(client, "teacherx")
    token = transfer.stash_upload(org.teacher_x, NAMED_GIFT)
    _db.session.commit()
    page = client.get(f"/questions/import/{token}?name=de.gift&fmt=auto&subject=TOAN&grade=10")
    text = page.get_data(as_text=True)
    assert page.status_code == 200
    assert text.count('data-testid="import-title"') == 2 and ">Thủ đô<" in text


# ---------------------------------------------------------------- API

def test_api_reads_writes_and_documents_the_title(client, org):
    headers = {"Authorization": f"Bearer {api_token(client, 'teacherx')}"}
    body = {"subject": "TOAN", "grade": 10, "payload": PAYLOAD, "title": "Tam giác đều"}
    created = client.post("/api/v1/questions", headers=headers, json=body)
    assert created.status_code == 201 and created.get_json()["title"] == "Tam giác đều"
    qid = created.get_json()["id"]
    kept = client.put(f"/api/v1/questions/{qid}", headers=headers,
                      json={"payload": {**PAYLOAD, "answer": False}})
    assert kept.get_json()["title"] == "Tam giác đều"
    renamed = client.put(f"/api/v1/questions/{qid}", headers=headers,
                         json={"payload": PAYLOAD, "title": "Đều"}).get_json()
    assert renamed["title"] == "Đều"
    assert [v["title"] for v in renamed["versions"]] == ["Tam giác đều", "Tam giác đều", "Đều"]
    too_long = client.post("/api/v1/questions", headers=headers,
                           json={**body, "title": "z" * 256})
    assert too_long.status_code == 400
    assert too_long.get_json()["error"]["code"] == "invalid_title"
    spec = client.get("/api/v1/openapi.json").get_json()["components"]["schemas"]
    assert {"title"} <= set(spec["QuestionCreate"]["properties"]) & \
        set(spec["QuestionUpdate"]["properties"]) & set(spec["QuestionItem"]["properties"])


def test_api_import_accepts_moodle_xml_as_a_format_name(client, org):
    import io

    headers = {"Authorization": f"Bearer {api_token(client, 'teacherx')}"}
    response = client.post("/api/v1/questions/import", headers=headers, data={
        "file": (io.BytesIO(ORDERING_XML), "o.xml"), "subject": "TOAN", "grade": "10",
        "format": "moodle_xml"}, content_type="multipart/form-data")
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["format"] == "moodlexml" and response.get_json()["saved"]
    refused = client.post("/api/v1/questions/import", headers=headers, data={
        "file": (io.BytesIO(ORDERING_XML), "o.xml"), "format": "moodle"},
        content_type="multipart/form-data")
    assert refused.status_code == 400


# ---------------------------------------------------------------- CLI

def _cli(app, *args):
    return app.test_cli_runner().invoke(args=["questions", *args])


def test_cli_accepts_moodle_xml_for_import_and_export(app, org, tmp_path):
    source = tmp_path / "o.xml"
    source.write_bytes(ORDERING_XML)
    result = _cli(app, "import", str(source), "--format", "moodle_xml", "--subject", "TOAN",
                  "--grade", "10", "--owner", "teacherx", "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["format"] == "moodlexml"
    out = tmp_path / "out.xml"
    exported = _cli(app, "export", "--format", "moodle_xml", "--out", str(out),
                    "--status", "draft")
    assert exported.exit_code == 0, exported.output
    (question,) = parse_moodlexml(out.read_bytes()).questions
    assert (question.title, question.payload["type"]) == ("Thứ tự các số", "ordering")


def test_cli_export_writes_titles(app, org, tmp_path):
    transfer.import_questions(org.teacher_x, NAMED_GIFT, "de.gift", _options())
    _db.session.commit()
    out = tmp_path / "out.gift"
    assert _cli(app, "export", "--format", "gift", "--out", str(out), "--status", "draft") \
        .exit_code == 0
    assert [q.title for q in parse_gift(out.read_text()).questions] == ["Hàm số 1", "Thủ đô", ""]


@pytest.mark.parametrize("name, data, fmt, expected_format", [
    ("de.gift", NAMED_GIFT, "pdf", "pdf"),
    ("x.bin", b"\x00\x01 not a question file", "auto", None),
])
def test_cli_json_report_when_the_format_is_not_recognised(app, org, tmp_path, name, data,
                                                           fmt, expected_format):
    path = tmp_path / name
    path.write_bytes(data)
    result = _cli(app, "import", str(path), "--format", fmt, "--dry-run", "--json")
    assert result.exit_code == 2
    report = json.loads(result.stdout)
    assert set(report) == {"file", "format", "questions", "by_type", "errors", "warnings",
                           "duplicates", "saved"}
    assert (report["file"], report["format"], report["questions"], report["saved"]) == \
        (name, expected_format, 0, False)
    (error,) = report["errors"]
    assert error["location"] == name and error["message"]
    # Without --json the same refusal is a message on stderr, still exit 2.
    plain = _cli(app, "import", str(path), "--format", fmt, "--dry-run")
    assert plain.exit_code == 2 and not plain.stdout.startswith("{")


def test_qti_export_writes_the_title_attribute_and_import_keeps_it(org):
    transfer.import_questions(org.teacher_x, NAMED_GIFT, "de.gift", _options())
    _db.session.commit()
    package = _export(org.teacher_x, "qti")
    titles = [q.title for q in qformats.parse_qti(package, "cau-hoi.zip").questions]
    assert titles[:2] == ["Hàm số 1", "Thủ đô"]
    transfer.import_questions(org.teacher_y, package, "cau-hoi.zip", _options())
    _db.session.commit()
    assert _titles(org.teacher_y) == _titles(org.teacher_x)


def test_cli_search_lists_titles(app, org):
    search.rebuild()
    transfer.import_questions(org.teacher_x, NAMED_GIFT, "de.gift", _options())
    _db.session.commit()
    output = _cli(app, "search", "thu do").output
    assert "Thủ đô: Thủ đô của Việt Nam là" in output


def test_review_queue_shows_the_title(client, org):
    question = services.create_question(org.teacher_x, services.QuestionMeta(_toan().id, 10),
                                        PAYLOAD, title="Tam giác đều")
    services.submit(org.teacher_x, question)
    _db.session.commit()
    login(client, "reviewer1")
    page = client.get("/questions/review").get_data(as_text=True)
    assert 'data-testid="review-item"' in page and "<strong>Tam giác đều</strong>" in page


def test_titles_lose_invisible_and_bidi_characters():
    """A title is a name like any other: bidi overrides and zero-width characters go."""
    from lms.questions.services import checked_title

    assert checked_title("Câu\u202e 1\u200b về \u2066hàm số\u2069") == "Câu 1 về hàm số"
