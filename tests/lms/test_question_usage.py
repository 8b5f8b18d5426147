"""Where-used, item statistics flowing back from tests, and export from the bank
(product.md §2; docs/question-bank.md "Where-used and item statistics", "Export from the
bank"; security.md 2, 16)."""

import importlib.util
import io
import sqlite3
from pathlib import Path

import pytest
from docx import Document
from flask_migrate import upgrade
from sqlalchemy import delete, event, select

from lms.app import create_app
from lms.core.errors import Forbidden
from lms.curriculum.models import Subject
from lms.exams import item_stats, services
from lms.exams.models import ExamQuestion
from lms.kernel import db
from lms.org.models import Role
from lms.questions import bank_export, search, transfer
from lms.questions import services as questions
from question_bank import validate_payload
from question_bank.formats import parse_gift, parse_moodlexml, parse_qti, read_docx
from tests.conftest import csrf_token_from, login
from tests.factories import UserFactory, member
from tests.lms.exams_setup import bearer
from tests.lms.test_exams_grading import sit
from tests.question_bank.payloads import RAW
from tests.question_bank.test_docx_export import comparable

MIGRATION = Path(__file__).resolve().parents[2] / "migrations/versions/0010_exam_question.py"


def _meta(tags=()):
    toan = db.session.scalar(select(Subject).where(Subject.code == "TOAN"))
    return questions.QuestionMeta(subject_id=toan.id, grade=10, tags=list(tags))


def _question(author, kind="single_choice", tags=(), **changes):
    return questions.create_question(author, _meta(tags), {**RAW[kind], **changes})


def _approved(org, kind="single_choice", **changes):
    question = _question(org.teacher_x, kind, **changes)
    questions.submit(org.teacher_x, question)
    questions.approve(org.reviewer, question)
    return question


def _rows(exam_id=None):
    query = select(ExamQuestion.exam_id, ExamQuestion.question_id, ExamQuestion.version_id)
    if exam_id is not None:
        query = query.where(ExamQuestion.exam_id == exam_id)
    return set(db.session.execute(query).all())


def _publish(org, title, bank, teacher=None, school_class=None):
    teacher = teacher or org.teacher_x
    exam = services.create_exam(teacher, title, [q.id for q in bank])
    services.publish(teacher, exam)
    services.assign_to_class(teacher, exam, school_class or org.class_x)
    db.session.commit()
    return exam


# ================================================================ where-used


def test_usage_is_recorded_at_create_and_publish_with_the_pinned_version(client, org):
    question = _question(org.teacher_x)
    other = _question(org.teacher_x, "true_false")
    exam = services.create_exam(org.teacher_x, "Kiểm tra 15 phút",
                                [question.id, other.id, question.id])
    db.session.commit()
    assert _rows(exam.id) == {(exam.id, question.id, None), (exam.id, other.id, None)}

    first = question.current_version_id
    services.publish(org.teacher_x, exam)
    db.session.commit()
    assert _rows(exam.id) == {(exam.id, question.id, first),
                              (exam.id, other.id, other.current_version_id)}

    # a later edit makes version 2; the published exam keeps version 1, a new one pins 2
    questions.revise_question(org.teacher_x, question, {**RAW["single_choice"],
                                                        "text_html": "Thủ đô của Lào?"})
    db.session.commit()
    later = _publish(org, "Kiểm tra giữa kì", [question])
    draft = services.create_exam(org.teacher_x, "Đề nháp", [question.id])
    db.session.commit()

    body = client.get(f"/api/v1/questions/{question.id}",
                      headers=bearer(client, "teacherx")).get_json()
    used = body["used_in"]
    assert used["total"] == 3
    assert [(u["exam_id"], u["state"], u["version"]) for u in used["items"]] == [
        (later.id, "published", 2), (exam.id, "published", 1), (draft.id, "draft", None)]
    assert used["items"][0]["owner"] == org.teacher_x.full_name and used["items"][0]["own"]
    assert used["items"][0]["published_at"]

    login(client, "teacherx")
    page = client.get(f"/questions/{question.id}").get_data(as_text=True)
    assert 'data-testid="where-used"' in page and "Kiểm tra giữa kì" in page
    assert "Đề nháp" in page
    # every version links to the comparison with the one before it
    assert f"/questions/{question.id}/versions?a=1&amp;b=2" in page


def test_where_used_shows_other_teachers_only_their_own_exams(client, org):
    question = _approved(org)
    mine = _publish(org, "<script>alert(1)</script>{{7*7}}", [question])
    theirs = _publish(org, "Đề của trường Y", [question], org.teacher_y, org.class_y)

    as_author = client.get(f"/api/v1/questions/{question.id}",
                           headers=bearer(client, "teacherx")).get_json()
    assert {u["exam_id"] for u in as_author["used_in"]["items"]} == {mine.id, theirs.id}
    as_reviewer = client.get(f"/api/v1/questions/{question.id}",
                             headers=bearer(client, "reviewer1")).get_json()
    assert as_reviewer["used_in"]["total"] == 2 and as_reviewer["statistics"] is not None
    as_other = client.get(f"/api/v1/questions/{question.id}",
                          headers=bearer(client, "teachery")).get_json()
    assert as_other["view"] == "student"
    assert [u["exam_id"] for u in as_other["used_in"]["items"]] == [theirs.id]
    assert as_other["statistics"] is None

    # security.md 16: an exam title never runs in the question page
    login(client, "teacherx")
    page = client.get(f"/questions/{question.id}").get_data(as_text=True)
    assert "<script>alert(1)" not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "{{7*7}}" in page


# ================================================================ the backfill


def _load_migration():
    spec = importlib.util.spec_from_file_location("migration_0010", MIGRATION)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_migration_backfill_rebuilds_the_rows_of_stored_exams(org):
    question, other = _question(org.teacher_x), _question(org.teacher_x, "true_false")
    published = _publish(org, "Đã phát hành", [question, other])
    draft = services.create_exam(org.teacher_x, "Nháp", [other.id, other.id])
    db.session.commit()
    expected = _rows()
    assert len(expected) == 3
    db.session.execute(delete(ExamQuestion))
    assert _load_migration().backfill(db.session.connection()) == 3
    assert _rows() == expected
    assert (draft.id, other.id, None) in expected
    assert (published.id, question.id, question.current_version_id) in expected


def _fill(connection, table: str, values: dict) -> None:
    """Insert a row giving every NOT NULL column without a default some value of its type, so
    the test does not depend on the other columns of a table."""
    row = dict(values)
    for _cid, name, kind, notnull, default, pk in connection.execute(
            f"PRAGMA table_info({table})"):  # noqa: S608 — fixed table names of the test
        if name in row or not notnull or default is not None or pk:
            continue
        kind = kind.upper()
        row[name] = (0 if any(k in kind for k in ("INT", "BOOL", "NUM")) else
                     "2026-01-01 00:00:00" if "DATE" in kind or "TIME" in kind else
                     "{}" if "JSON" in kind else "x")
    names = ", ".join(row)
    marks = ", ".join("?" for _ in row)
    connection.execute(f"INSERT INTO {table} ({names}) VALUES ({marks})",  # noqa: S608
                       list(row.values()))


def test_the_migration_fills_the_table_from_exams_stored_before_it(app, tmp_path):
    """A database at the revision before 0010 with a draft and a published exam is upgraded
    to 0010; the rows come from their JSON (a question that no longer exists is skipped)."""
    path = tmp_path / "old.sqlite"
    other = create_app({**app.config, "DATABASE_URL": f"sqlite:///{path}"})
    before = _load_migration().down_revision
    with other.app_context():
        upgrade(revision=before)
        db.engine.dispose()
    with sqlite3.connect(path) as raw:   # no foreign keys: only the rows the test needs
        for qid in (1, 2):
            _fill(raw, "question", {"id": qid, "type": "single_choice"})
        _fill(raw, "question_version", {"id": 7, "question_id": 1, "number": 3,
                                        "payload": "{}"})
        _fill(raw, "exam", {"id": 10, "title": "Cũ", "owner_id": 1, "state": "published",
                            "selection": "[]", "snapshot":
                            '[{"slot": 1, "question_id": 1, "version_id": 7, "points": "1"},'
                            ' {"slot": 2, "question_id": 99, "version_id": 8, "points": "1"}]'})
        _fill(raw, "exam", {"id": 11, "title": "Nháp", "owner_id": 1, "state": "draft",
                            "snapshot": "[]", "selection":
                            '[{"question_id": 2, "points": "1"}, {"question_id": 1}]'})
    with other.app_context():
        upgrade(revision="0010_exam_question")
        with db.engine.connect() as conn:
            rows = set(conn.exec_driver_sql(
                "SELECT exam_id, question_id, version_id FROM exam_question").all())
        db.engine.dispose()
    assert rows == {(10, 1, 7), (11, 2, None), (11, 1, None)}


# ================================================================ item statistics
#
# Question Q (single choice, key b) is used by two published exams, 1 point per slot.
#
# Exam 1: slot 1 Q, slot 2 true/false, slot 3 multiple response (a, b, c right).
#   student  Q    tf     mr       points  rest of test (score − Q)
#   A        b    true   a,b,c    1 1 1   2
#   B        b    false  a,b,c    1 0 1   1
#   C        c    true   d        0 1 0   1
#   D        a    false  —        0 0 0   0
#   Q fractions [1, 1, 0, 0] against rest [2, 1, 1, 0]: Sxy = 1, Sxx = 1, Syy = 2 → r = 1/√2
#
# Exam 2: slot 1 true/false (another question), slot 2 Q.
#   A        true  a   → Q 0, rest 1
#   B        false b   → Q 1, rest 0
#   C        true  b   → Q 1, rest 1
#   D        started, not submitted (not counted)
#   Q fractions [0, 1, 1] against rest [1, 0, 1]: Sxy = −1/3, Sxx = Syy = 2/3 → r = −0.5
#
# facility = 4/7 = 0.5714; discrimination = (4 · 0.70711 + 3 · (−0.5)) / 7 = 0.18978


@pytest.fixture
def sat(client, org):
    for name, full in (("hsc", "Lê Văn Cê"), ("hsd", "Phạm Đê")):
        member(UserFactory(username=name, full_name=full), Role.STUDENT, org.school_x,
               org.class_x)
    q = _question(org.teacher_x)
    first = _publish(org, "Đề 1", [q, _question(org.teacher_x, "true_false"),
                                   _question(org.teacher_x, "multiple_response")])
    sit(client, "hsa", first, {1: "b", 2: True, 3: ["a", "b", "c"]})
    sit(client, "hsb", first, {1: "b", 2: False, 3: ["a", "b", "c"]})
    sit(client, "hsc", first, {1: "c", 2: True, 3: ["d"]})
    sit(client, "hsd", first, {1: "a", 2: False})
    second = _publish(org, "Đề 2", [_question(org.teacher_x, "true_false",
                                              text_html="3 là số chẵn"), q])
    sit(client, "hsa", second, {1: True, 2: "a"})
    sit(client, "hsb", second, {1: False, 2: "b"})
    sit(client, "hsc", second, {1: True, 2: "b"})
    sit(client, "hsd", second, {1: True, 2: "b"}, submit=False)
    services.create_exam(org.teacher_x, "Đề nháp", [q.id])   # drafts are not "used" yet
    db.session.commit()
    return q, first, second


def test_statistics_match_the_hand_computed_values(client, org, sat):
    q, first, second = sat
    stats = client.get(f"/api/v1/questions/{q.id}",
                       headers=bearer(client, "teacherx")).get_json()["statistics"]
    assert stats["times_used"] == 2
    assert (stats["attempts"], stats["attempts_total"], stats["answered"]) == (7, 7, 7)
    assert stats["capped"] is False and stats["limit"] == item_stats.MAX_ATTEMPTS
    assert stats["facility"] == "0.5714" and stats["discrimination"] == "0.1898"
    by_exam = {row["exam_id"]: row for row in stats["by_exam"]}
    assert (by_exam[first.id]["n"], by_exam[first.id]["facility"],
            by_exam[first.id]["discrimination"]) == (4, "0.5000", "0.7071")
    assert (by_exam[second.id]["n"], by_exam[second.id]["facility"],
            by_exam[second.id]["discrimination"]) == (3, "0.6667", "-0.5000")

    login(client, "teacherx")
    page = client.get(f"/questions/{q.id}").get_data(as_text=True)
    assert 'data-testid="item-statistics"' in page
    assert "0,57" in page and "0,19" in page and "5000" in page


def test_statistics_read_only_the_latest_attempts_when_capped(org, sat):
    q, first, second = sat
    # all finished at the same moment, so the latest five are the five highest ids:
    # exam 2's A, B, C (Q 0, 1, 1) and exam 1's D, C (Q 0, 0)
    stats = item_stats.question_statistics(org.teacher_x, q, limit=5)
    assert (stats["attempts"], stats["attempts_total"], stats["capped"]) == (5, 7, True)
    assert stats["facility"] == "0.4000"
    # exam 1's two attempts both miss Q (constant): only exam 2's r = −0.5 is defined
    assert stats["discrimination"] == "-0.5000"


def test_statistics_are_for_the_author_and_reviewers_only(client, org, sat):
    q, _first, _second = sat
    with pytest.raises(Forbidden):
        item_stats.question_statistics(org.teacher_y, q)
    # a draft another teacher or a student cannot see: 403 with nothing of it in the body
    for name in ("teachery", "hsa"):
        reply = client.get(f"/api/v1/questions/{q.id}", headers=bearer(client, name))
        assert reply.status_code == 403
        assert "statistics" not in reply.get_json() and "Đề 1" not in reply.get_data(True)
    login(client, "teachery")
    assert client.get(f"/questions/{q.id}").status_code == 403
    # once approved, another teacher sees the question but not its statistics
    questions.submit(org.teacher_x, q)
    questions.approve(org.reviewer, q)
    db.session.commit()
    assert client.get(f"/api/v1/questions/{q.id}", headers=bearer(client, "teachery")) \
        .get_json()["statistics"] is None
    page = client.get(f"/questions/{q.id}").get_data(as_text=True)
    assert 'data-testid="item-statistics"' not in page and "Đề 1" not in page


# ================================================================ export from the bank

#: Types GIFT writes in full (an essay's rubric and word limits have no GIFT syntax).
GIFT_KINDS = ("single_choice", "multiple_response", "true_false", "short_text",
              "short_numeric", "matching")


@pytest.fixture
def bank(org):
    search.rebuild()
    made = [_question(org.teacher_x, kind, tags=("hình học",)) for kind in GIFT_KINDS]
    made.append(_question(org.teacher_x, "cloze"))          # GIFT cannot write cloze
    db.session.commit()
    return made


def _as_written(question) -> dict:
    """The payload as GIFT and Moodle XML can write it: neither has a way to say that a
    numeric answer follows the 2025 four-character format."""
    payload = question.current_version.payload
    return {**payload, "format_2025": False} if question.type == "short_numeric" else payload


def _comparable(payload: dict) -> dict:
    """The payload as the bank's importer saves it (validated), less what Moodle's cloze
    cannot say: "ignore diacritics" per gap."""
    payload = validate_payload(payload)
    if payload["type"] != "cloze":
        return payload
    return {**payload, "gaps": [{k: v for k, v in gap.items() if k != "ignore_diacritics"}
                                for gap in payload["gaps"]]}


def _export_form(client, ids, fmt, scope="selected", **extra):
    login(client, "teacherx")
    token = csrf_token_from(client.get("/questions/").get_data(as_text=True))
    return client.post("/questions/export", data={"csrf_token": token, "format": fmt,
                                                  "scope": scope, "question_id": ids, **extra})


def test_gift_export_of_ticked_questions_imports_back_the_same(client, org, bank):
    reply = _export_form(client, [q.id for q in bank], "gift")
    assert reply.status_code == 200 and reply.mimetype == "text/plain"
    disposition = reply.headers["Content-Disposition"]
    assert disposition.startswith('attachment; filename="cau-hoi-') and '.gift"' in disposition
    assert reply.headers["X-Export-Count"] == str(len(GIFT_KINDS))
    assert reply.headers["X-Export-Unsupported"] == str(bank[-1].id)
    parsed = parse_gift(reply.data)
    assert not parsed.errors
    assert [validate_payload(p.payload) for p in parsed.questions] == \
        [_as_written(q) for q in bank[:-1]]
    assert parsed.questions[0].tags == ["hình học"]
    assert parsed.questions[0].category == "Toán/Khối 10"
    # through the bank's own importer: every question is a duplicate of the one it came from
    report = transfer.import_questions(org.teacher_x, reply.data, "x.gift", fmt="gift",
                                       dry_run=True, subject_id=bank[0].subject_id, grade=10)
    assert report["errors"] == [] and report["duplicates"] == len(GIFT_KINDS)


def test_moodle_xml_and_qti_exports_through_the_api(client, org, bank):
    headers = bearer(client, "teacherx")
    ids = [q.id for q in bank]
    xml = client.post("/api/v1/questions/export", headers=headers,
                      json={"format": "moodlexml", "ids": ids})
    assert xml.status_code == 200 and xml.mimetype == "application/xml"
    kept = set(ids) - {int(i) for i in xml.headers["X-Export-Unsupported"].split(",") if i}
    parsed = parse_moodlexml(xml.data)
    assert not parsed.errors
    written = [q for q in bank if q.id in kept]
    assert len(parsed.questions) == len(written)
    for again, question in zip(parsed.questions, written, strict=True):
        assert _comparable(again.payload) == _comparable(_as_written(question))

    package = client.get("/api/v1/questions/export?format=qti&subject=TOAN&grade=10",
                         headers=headers)
    assert package.status_code == 200 and package.mimetype == "application/zip"
    assert int(package.headers["X-Export-Count"]) >= 1
    qti = parse_qti(package.data, "export.zip")
    assert not qti.errors
    unsupported = {int(i) for i in package.headers["X-Export-Unsupported"].split(",") if i}
    written = [q for q in bank if q.id not in unsupported]
    assert len(qti.questions) == len(written) == int(package.headers["X-Export-Count"])
    by_text = {(q.type, q.current_version.payload["text_html"]): q for q in written}
    for again in qti.questions:
        question = by_text[again.payload["type"], again.payload["text_html"]]
        assert _comparable(again.payload) == _comparable(question.current_version.payload)


def _docx_text(data: bytes) -> str:
    document = Document(io.BytesIO(data))
    cells = [c.text for t in document.tables for row in t.rows for c in row.cells]
    return "\n".join([p.text for p in document.paragraphs] + cells)


def test_printable_docx_with_and_without_the_key(client, org):
    search.rebuild()
    made = [_question(org.teacher_x, kind) for kind in
            ("single_choice", "true_false_4", "short_numeric")]
    db.session.commit()
    headers = bearer(client, "teacherx")
    reply = client.get("/api/v1/questions/export?format=docx&q=", headers=headers)
    assert reply.status_code == 200 and '.docx"' in reply.headers["Content-Disposition"]
    assert "kem-dap-an" in reply.headers["Content-Disposition"]
    again = read_docx(reply.data, "x.docx")
    assert not again.errors
    assert sorted((comparable(p.payload) for p in again.questions), key=repr) == \
        sorted((comparable(q.current_version.payload) for q in made), key=repr)

    bare = client.post("/api/v1/questions/export", headers=headers,
                       json={"format": "docx", "ids": [q.id for q in made],
                             "answer_key": False})
    assert bare.status_code == 200
    text = _docx_text(bare.data)
    assert "Thủ đô của Việt Nam?" in text and "ĐÁP ÁN" not in text


def test_other_teachers_questions_export_without_their_keys(client, org):
    search.rebuild()
    shared = _approved(org, solution_html="<p>Lời giải bí mật</p>",
                       feedback_html="<p>Nhận xét riêng</p>")
    own = _question(org.teacher_y, "true_false", text_html="Câu của thầy Y")
    db.session.commit()
    headers = bearer(client, "teachery")
    gift = client.post("/api/v1/questions/export", headers=headers,
                       json={"format": "gift", "ids": [shared.id, own.id]})
    assert gift.status_code == 200
    assert gift.headers["X-Export-Omitted"] == str(shared.id)
    assert [p.payload["text_html"] for p in parse_gift(gift.data).questions] == \
        ["Câu của thầy Y"]
    # only keyless questions left: nothing to write
    alone = client.post("/api/v1/questions/export", headers=headers,
                        json={"format": "moodlexml", "ids": [shared.id]})
    assert alone.status_code == 400
    assert alone.get_json()["error"]["code"] == "nothing_to_export"
    # the printable paper prints it as a student sees it, and leaves it out of the key
    paper = client.post("/api/v1/questions/export", headers=headers,
                        json={"format": "docx", "ids": [shared.id]})
    text = _docx_text(paper.data)
    assert "Thủ đô của Việt Nam?" in text and "Phương án B" in text
    assert "bí mật" not in text and "Nhận xét" not in text and "ĐÁP ÁN" not in text
    assert "Ghi chú" in text


def test_a_teacher_cannot_export_another_teachers_drafts(client, org, bank):
    headers = bearer(client, "teachery")
    reply = client.post("/api/v1/questions/export", headers=headers,
                        json={"format": "gift", "ids": [bank[0].id]})
    assert reply.status_code == 404 and "Thủ đô" not in reply.get_data(as_text=True)
    # a search export holds only what the searcher may see: teacher Y has nothing
    searched = client.get("/api/v1/questions/export?format=gift&q=thu do", headers=headers)
    assert searched.status_code == 400
    assert searched.get_json()["error"]["code"] == "nothing_to_export"
    assert client.get("/api/v1/questions/export?format=gift",
                      headers=bearer(client, "hsa")).status_code == 403
    login(client, "teachery")
    token = csrf_token_from(client.get("/questions/").get_data(as_text=True))
    page = client.post("/questions/export", data={"csrf_token": token, "format": "gift",
                                                  "question_id": [bank[0].id]})
    assert page.status_code == 404


def test_a_bad_format_is_a_400_naming_the_formats(client, org, bank):
    headers = bearer(client, "teacherx")
    for reply in (client.get("/api/v1/questions/export?format=pdf", headers=headers),
                  client.post("/api/v1/questions/export", headers=headers,
                              json={"format": "exe", "ids": [bank[0].id]})):
        assert reply.status_code == 400
        error = reply.get_json()["error"]
        assert error["code"] == "unknown_format"
        assert "gift, moodlexml, qti, docx" in error["message"]
    form = _export_form(client, [bank[0].id], "pdf")
    assert form.status_code == 302
    assert "gift, moodlexml, qti, docx" in client.get(form.location).get_data(as_text=True)


def test_search_export_is_bounded(client, org, bank, monkeypatch):
    monkeypatch.setattr(bank_export, "MAX_EXPORT", 3)
    reply = client.get("/api/v1/questions/export?format=gift",
                       headers=bearer(client, "teacherx"))
    assert reply.status_code == 400 and reply.get_json()["error"]["code"] == "too_many"
    login(client, "teacherx")
    page = client.get("/questions/").get_data(as_text=True)
    assert 'data-testid="export-search"' not in page and 'data-testid="export-selected"' in page


def test_the_bank_page_exports_the_current_search(client, org, bank):
    reply = _export_form(client, [], "docx+nokey", scope="search", q="ghep nuoc")
    assert reply.status_code == 200 and reply.headers["X-Export-Count"] == "1"
    assert "kem-dap-an" not in reply.headers["Content-Disposition"]
    text = _docx_text(reply.data)
    assert "Ghép nước với thủ đô" in text and "Thủ đô của Việt Nam?" not in text
    assert "ĐÁP ÁN" not in text


class Statements:
    """Counts the SQL statements run inside the block."""

    def __enter__(self):
        self.count = 0
        event.listen(db.engine, "before_cursor_execute", self._count)
        return self

    def _count(self, *_args):
        self.count += 1

    def __exit__(self, *_exc):
        event.remove(db.engine, "before_cursor_execute", self._count)


def test_statistics_and_export_run_a_fixed_number_of_queries(org, sat, bank):
    q, _first, _second = sat
    db.session.expire_all()
    with Statements() as stats_queries:
        item_stats.question_statistics(org.teacher_x, q)
    assert stats_queries.count <= 8          # not one per attempt or per exam

    def exported(ids):
        db.session.expire_all()
        with Statements() as queries:
            chosen = bank_export.chosen_questions(org.teacher_x, ids)
            bank_export.export_file(org.teacher_x, "moodlexml", chosen)
        return queries.count

    assert exported([b.id for b in bank]) == exported([b.id for b in bank[:2]])


def test_an_essay_counts_its_manual_grade_and_leaves_out_the_ungraded(client, org):
    essay = _question(org.teacher_x, "essay")
    exam = _publish(org, "Tự luận", [essay, _question(org.teacher_x)])
    graded = sit(client, "hsa", exam, {1: "Bài làm của A", 2: "b"})
    sit(client, "hsb", exam, {1: "Bài làm của B", 2: "a"})
    reply = client.put(f"/api/v1/attempts/{graded}/grades/1", json={"points": "0.5"},
                       headers=bearer(client, "teacherx"))
    assert reply.status_code == 200, reply.get_json()
    stats = item_stats.question_statistics(org.teacher_x, essay)
    # A's essay: 0.5 of 1 point; B's is still waiting for its grade and is left out
    assert (stats["attempts"], stats["answered"], stats["ungraded"]) == (2, 2, 1)
    assert stats["observations"] == 1 and stats["facility"] == "0.5000"
    assert stats["discrimination"] is None                   # one observation
