"""Importing question files into the bank: validation, duplicates, attachments and the CLI."""

import io
import json

import docx
import pytest
from sqlalchemy import func, select

from lms.core.errors import DomainError
from lms.core.storage import storage
from lms.curriculum.models import Subject
from lms.kernel import db as _db
from lms.questions import services, transfer
from question_bank.models import Question, question_tag
from tests.question_bank.fixtures import fixture_bytes

GOOD_GIFT = ("::Q1:: Thủ đô của Việt Nam là {=Hà Nội ~Huế ~Đà Nẵng}\n\n"
             "::Q2:: 1 + 1 = 2 {T}\n").encode()
# The second question sums to 50 %: an error (Moodle's errfractionsaddwrong).
BAD_GIFT = GOOD_GIFT + b"\n::Q3:: Chon hai {~%50%A ~%-50%B ~%0%C}\n"


def _toan():
    return _db.session.scalar(select(Subject).where(Subject.code == "TOAN"))


def _options(**kw):
    return transfer.ImportOptions(subject_id=_toan().id, grade=10, **kw)


def _count():
    return _db.session.scalar(select(func.count()).select_from(Question))


def test_create_rejects_an_invalid_payload_with_every_problem(org):
    meta = services.QuestionMeta(subject_id=_toan().id, grade=10)
    with pytest.raises(DomainError) as caught:
        services.create_question(org.teacher_x, meta, {"schema": 1, "type": "single_choice",
                                                       "text_html": "", "options": []})
    assert caught.value.code == "invalid_payload"
    assert caught.value.details["problems"] and all(
        {"path", "message"} <= set(p) for p in caught.value.details["problems"])


def test_create_flags_exact_and_near_duplicates_with_links(org):
    meta = services.QuestionMeta(subject_id=_toan().id, grade=10, tags=["Đại số", "đại số "])
    payload = {"schema": 1, "type": "true_false", "answer": True,
               "text_html": "<p>Phương trình bậc hai x² − 1 = 0 có hai nghiệm phân biệt</p>"}
    first = services.create_question(org.teacher_x, meta, payload)
    assert services.tags_of([first.id])[first.id] == ["đại số"]
    assert len(first.dedupe_key) == 64
    same = {**payload, "text_html": "<p>phuong trinh  bac hai x² − 1 = 0 co hai nghiem "
                                    "phan biet</p>"}
    near = {**payload, "text_html": payload["text_html"] + " thực"}
    found = services.find_duplicates(org.teacher_x, same, _toan().id, 10)
    assert found == [{"id": first.id, "kind": "exact", "url": f"/questions/{first.id}"}]
    assert [d["kind"] for d in services.find_duplicates(org.teacher_x, near, _toan().id, 10)] \
        == ["near"]
    # Teacher Y cannot see X's draft, so no link to it is offered.
    assert services.find_duplicates(org.teacher_y, same, _toan().id, 10) == []


@pytest.mark.parametrize("relative, fmt, count", [
    ("gift/questions.gift.txt", "gift", 9),
    ("aiken/questions.aiken.txt", "aiken", 2),
    ("moodlexml/match-testquestion.moodle.xml", "moodlexml", 1),
])
def test_shared_fixtures_import_and_reimport_adds_nothing(org, relative, fmt, count):
    data = fixture_bytes(relative)
    name = relative.rsplit("/", 1)[-1]
    report = transfer.import_questions(org.teacher_x, data, name, _options())
    _db.session.commit()
    assert (report["format"], report["questions"], report["errors"], report["saved"]) == \
        (fmt, count, [], True)
    saved = count - report["duplicates"]
    assert sum(report["by_type"].values()) == count and _count() == saved
    again = transfer.import_questions(org.teacher_x, data, name, _options())
    _db.session.commit()
    assert again["duplicates"] == count and _count() == saved


def test_errors_save_nothing_unless_only_valid(org):
    report = transfer.import_questions(org.teacher_x, BAD_GIFT, "de.gift", _options())
    _db.session.commit()
    assert report["saved"] is False and report["questions"] == 2 and _count() == 0
    assert report["errors"][0]["location"] and report["errors"][0]["message"]
    only = transfer.import_questions(org.teacher_x, BAD_GIFT, "de.gift",
                                     _options(only_valid=True))
    _db.session.commit()
    assert only["saved"] is True and _count() == 2
    assert _db.session.scalar(select(Question.source).limit(1)) == "de.gift"


def test_dry_run_saves_nothing(org):
    report = transfer.import_questions(org.teacher_x, GOOD_GIFT, "de.gift", fmt="gift",
                                       subject_id=_toan().id, grade=10, dry_run=True)
    _db.session.commit()
    assert report["questions"] == 2 and report["saved"] is False and _count() == 0


def test_attachments_are_stored_and_references_rewritten(org):
    data = fixture_bytes("moodlexml/truefalse.xml")
    transfer.import_questions(org.teacher_x, data, "truefalse.xml", _options())
    _db.session.commit()
    question = _db.session.scalars(select(Question)).first()
    html = question.current_version.payload["text_html"]
    assert "@@PLUGINFILE@@" not in html
    key = html.split('src="/media/', 1)[1].split('"', 1)[0]
    assert key.startswith("questions/") and storage().exists(key)


def test_unknown_format_is_a_domain_error(org):
    with pytest.raises(DomainError) as caught:
        transfer.import_questions(org.teacher_x, b"just words", "x.bin", _options())
    assert caught.value.code == "unknown_format"


def test_tags_from_the_file_are_kept(org):
    data = "// [tag:Hình học]\n::T:: Tam giác có 3 cạnh {T}\n".encode()
    transfer.import_questions(org.teacher_x, data, "t.gift", _options())
    _db.session.commit()
    assert list(_db.session.scalars(select(question_tag.c.tag))) == ["hình học"]


# ---------------------------------------------------------------- CLI

def _cli(app, *args):
    return app.test_cli_runner().invoke(args=["questions", *args])


def test_cli_json_contract_and_exit_codes(app, org, tmp_path):
    good, bad = tmp_path / "good.gift", tmp_path / "bad.gift"
    good.write_bytes(GOOD_GIFT)
    bad.write_bytes(BAD_GIFT)
    base = ["--subject", "TOAN", "--grade", "10", "--owner", "teacherx", "--json"]
    result = _cli(app, "import", str(good), *base)
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert set(report) == {"file", "format", "questions", "by_type", "errors", "warnings",
                           "duplicates", "saved"}
    assert (report["file"], report["format"], report["questions"], report["saved"]) == \
        ("good.gift", "gift", 2, True)
    assert report["by_type"] == {"single_choice": 1, "true_false": 1}
    again = json.loads(_cli(app, "import", str(good), *base).output)
    assert again["duplicates"] == 2
    failed = _cli(app, "import", str(bad), *base)
    assert failed.exit_code == 1
    assert json.loads(failed.output)["saved"] is False
    _db.session.expire_all()
    assert _count() == 2


def test_cli_usage_errors_exit_2(app, org, tmp_path):
    good = tmp_path / "good.gift"
    good.write_bytes(GOOD_GIFT)
    assert _cli(app, "import", str(good), "--subject", "KHONGCO", "--grade", "10",
                "--owner", "teacherx").exit_code == 2
    assert _cli(app, "import", str(good), "--subject", "TOAN", "--grade", "10",
                "--owner", "nobody").exit_code == 2
    assert _cli(app, "import", str(good), "--format", "pdf").exit_code == 2
    assert _cli(app, "import", str(good), "--subject", "TOAN").exit_code == 2  # no owner
    if "qti" not in transfer.exporters():
        result = _cli(app, "export", "--format", "qti", "--out", str(tmp_path / "o"))
        assert result.exit_code == 2 and "qti" in result.output


def test_cli_dry_run_without_owner_and_export_gift(app, org, tmp_path):
    good = tmp_path / "good.gift"
    good.write_bytes(GOOD_GIFT)
    assert _cli(app, "import", str(good), "--dry-run", "--json").exit_code == 0
    assert _count() == 0
    out = tmp_path / "out.gift"
    result = _cli(app, "export", "--format", "gift", "--out", str(out), "--status", "draft")
    assert result.exit_code == 0, result.output
    assert "Thủ đô" not in out.read_text()  # the dry run saved nothing to export


def test_near_duplicates_in_an_import_are_warned_with_a_link(org):
    first = transfer.import_questions(org.teacher_x, GOOD_GIFT, "a.gift", _options())
    _db.session.commit()
    assert first["saved"] and not first["warnings"]
    near = "::N:: Thủ đô của nước Việt Nam là {=Hà Nội ~Huế ~Đà Nẵng}\n".encode()
    report = transfer.import_questions(org.teacher_x, near, "b.gift", _options(dry_run=True))
    assert report["duplicates"] == 0
    existing = _db.session.scalar(select(Question.id).where(Question.type == "single_choice"))
    assert [w["message"] for w in report["warnings"]] == [
        f"Gần trùng với câu hỏi đã có: /questions/{existing}"]


def test_huge_files_are_refused_before_parsing(org):
    data = b"x" * (transfer.MAX_IMPORT_BYTES + 1)
    with pytest.raises(DomainError) as caught:
        transfer.import_questions(org.teacher_x, data, "big.gift", _options())
    assert caught.value.code == "file_too_large"


def test_a_broken_file_is_an_error_in_the_report_and_saves_nothing(org):
    report = transfer.import_questions(org.teacher_x, b"PK\x03\x04 not really a zip",
                                       "de.docx", _options(fmt="moodlexml"))
    assert report["saved"] is False and report["errors"] and _count() == 0
    hostile = (b'<?xml version="1.0"?><!DOCTYPE quiz [<!ENTITY x "boom">]>'
               b"<quiz><question type=\"truefalse\"><name><text>&x;</text></name></question>"
               b"</quiz>")
    report = transfer.import_questions(org.teacher_x, hostile, "x.xml", _options())
    assert report["saved"] is False and report["errors"] and _count() == 0


def test_word_files_import_through_the_registry(org):
    """The registry passes the file name to importers that take it (read_docx). Word import
    is a documented capability (product.md §7): losing it must fail here, not skip."""
    assert "docx" in transfer.importers()
    document = docx.Document()
    for line in ["Câu 1. Thủ đô của Việt Nam là", "A. Huế", "*B. Hà Nội", "C. Đà Nẵng"]:
        document.add_paragraph(line)
    buffer = io.BytesIO()
    document.save(buffer)
    report = transfer.import_questions(org.teacher_x, buffer.getvalue(), "de.docx", _options())
    assert (report["format"], report["questions"], report["errors"], report["saved"]) == \
        ("docx", 1, [], True)
