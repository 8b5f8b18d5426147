"""Remote content in questions (issue 10 §1.7): images and audio come only from the platform's
own storage. Imports name each remote reference they drop; HTML stored under the older, looser
rule is shown by today's rule; links open in a new tab without opener, showing their target."""

import copy
import json

from sqlalchemy import select, update

from lms.curriculum.models import Subject
from lms.exams import services as exams
from lms.kernel import db
from lms.questions import services, transfer
from question_bank.models import Question, QuestionVersion
from tests.conftest import login
from tests.lms.exams_setup import bearer
from tests.lms.test_questions_pages import _upload
from tests.question_bank.payloads import RAW

TRACKER = "https://tracker.example/pixel.png?student=1"
SOUND = "http://cdn.example/bai-nghe.mp3"
MOODLE_XML = f"""<?xml version="1.0" encoding="UTF-8"?>
<quiz>
<question type="multichoice">
  <name><text>Ảnh ngoài</text></name>
  <questiontext format="html"><text><![CDATA[<p>Nhìn hình
    <img src="{TRACKER.replace('&', '&amp;')}" alt="hình"> rồi nghe
    <audio src="{SOUND}" controls></audio>
    <a href="https://thamkhao.example/bai">tài liệu</a></p>]]></text></questiontext>
  <single>true</single>
  <answer fraction="100"><text><![CDATA[Đúng
    <img src="data:image/png;base64,iVBORw0KGgo=">]]></text></answer>
  <answer fraction="0"><text>Sai</text></answer>
</question>
<question type="truefalse">
  <name><text>Không có ảnh</text></name>
  <questiontext format="html"><text>Trái Đất quay quanh Mặt Trời.</text></questiontext>
  <answer fraction="100"><text>true</text></answer>
  <answer fraction="0"><text>false</text></answer>
</question>
</quiz>""".encode()


def _toan():
    return db.session.scalar(select(Subject).where(Subject.code == "TOAN"))


def test_an_import_warns_per_question_naming_each_remote_url_it_drops(org):
    report = transfer.import_questions(org.teacher_x, MOODLE_XML, "anh-ngoai.xml",
                                       subject_id=_toan().id, grade=10)
    db.session.commit()
    assert report["errors"] == [] and report["saved"] is True and report["questions"] == 2
    dropped = [w for w in report["warnings"] if "không lưu trên HocLieu" in w["message"]]
    assert [TRACKER in w["message"] or SOUND in w["message"] for w in dropped] == [True, True]
    # both belong to the first question (its place in the file), none to the second
    assert len({w["location"] for w in dropped}) == 1 and dropped[0]["location"]
    stored = json.dumps([v.payload for v in db.session.scalars(select(QuestionVersion))])
    assert "tracker.example" not in stored and "cdn.example" not in stored
    assert "data:image" not in stored
    assert "https://thamkhao.example/bai" in stored     # a link stays: it loads nothing itself


def test_the_import_preview_lists_the_dropped_urls(client, org):
    login(client, "teacherx")
    response = _upload(client, MOODLE_XML, "anh-ngoai.xml")
    assert response.status_code == 302
    html = client.get(response.headers["Location"]).get_data(as_text=True)
    assert TRACKER.replace("&", "&amp;") in html and SOUND in html
    assert f'src="{TRACKER}' not in html and f'src="{SOUND}' not in html


def test_a_file_without_remote_media_gets_no_such_warning(org):
    data = "::Q1:: Thủ đô của Việt Nam là {=Hà Nội ~Huế}\n".encode()
    report = transfer.import_questions(org.teacher_x, data, "de.gift", fmt="gift",
                                       subject_id=_toan().id, grade=10, dry_run=True)
    assert report["questions"] == 1 and report["warnings"] == []


def _question_stored_with_remote_media(org) -> Question:
    """A question saved before the rule: its stored HTML still loads a remote picture."""
    meta = services.QuestionMeta(subject_id=_toan().id, grade=10)
    question = services.create_question(org.teacher_x, meta, copy.deepcopy(
        RAW["single_choice"]))
    db.session.flush()
    payload = copy.deepcopy(question.current_version.payload)
    payload["text_html"] = (f'<p>Câu hỏi cũ <img src="{TRACKER}" alt="cũ"> '
                            f'<audio src="{SOUND}" controls></audio></p>')
    db.session.execute(update(QuestionVersion).where(
        QuestionVersion.id == question.current_version_id).values(payload=payload))
    db.session.commit()
    db.session.expire_all()
    return db.session.get(Question, question.id)


def test_html_stored_under_the_old_rule_renders_without_remote_sources(client, org):
    question = _question_stored_with_remote_media(org)
    assert TRACKER in json.dumps(question.current_version.payload)     # really stored
    exam = exams.create_exam(org.teacher_x, "Đề cũ", [question.id])
    exams.publish(org.teacher_x, exam)
    exams.assign_to_class(org.teacher_x, exam, org.class_x)
    db.session.commit()
    login(client, "teacherx")
    page = client.get(f"/questions/{question.id}").get_data(as_text=True)
    assert "Câu hỏi cũ" in page
    assert "tracker.example" not in page and "cdn.example" not in page
    started = client.post(f"/api/v1/exams/{exam.id}/attempts", json={},
                          headers=bearer(client, "hsa"))
    body = json.dumps(started.get_json(), ensure_ascii=False)
    assert started.status_code == 200 and "Câu hỏi cũ" in body
    assert "tracker.example" not in body and "cdn.example" not in body


def test_a_gift_file_with_a_remote_picture_is_warned_about_too(org):
    data = (b'::G1::[html]<p>Xem <img src\\="https\\://tracker.example/g.png" alt\\="g"></p>{T}\n')
    report = transfer.import_questions(org.teacher_x, data, "anh.gift", fmt="gift",
                                       subject_id=_toan().id, grade=10, dry_run=True)
    assert report["errors"] == [] and report["questions"] == 1
    assert ["https://tracker.example/g.png" in w["message"] for w in report["warnings"]] == [True]
