"""The tabs every teacher page of one test shows (``exams/teacher/_header.html``).

The pages live in several blueprints under different URL prefixes (``/teacher/exams/…``,
``/exams/…``); this is the one list that links them. Each page checks its own permission
(the exam's owner); the tabs only decide what is worth showing.
"""

from dataclasses import dataclass

from flask import request, url_for
from flask_babel import lazy_gettext as _l

from lms.exams import logic
from lms.exams.grading import hand_graded_slots
from lms.exams.models import Exam, ExamState


@dataclass(frozen=True)
class Tab:
    key: str
    label: str
    url: str
    active: bool


#: key → (label, endpoint, the endpoints that count as this tab, shown for drafts)
TABS = [
    ("edit", _l("Câu hỏi và giao bài"), "exams_teacher.edit",
     ("exams_teacher.edit", "exam_matrix.edit"), True),
    ("settings", _l("Cài đặt"), "exams_teacher.settings", ("exams_teacher.settings",), True),
    ("results", _l("Kết quả"), "exams_teacher.results", ("exams_teacher.results",), True),
    ("grading", _l("Chấm tự luận"), "exam_grading.queue", ("exam_grading.queue",), False),
    ("report", _l("Báo cáo và phân tích câu hỏi"), "exam_grading.report",
     ("exam_grading.report", "exam_grading.regrade"), False),
    ("export", _l("Xuất kết quả"), "exams_teacher.export_page", ("exams_teacher.export_page",),
     False),
    ("variants", _l("Mã đề"), "exam_matrix.variants_page",
     ("exam_matrix.variants_page", "exam_matrix.variant_page", "exam_matrix.sample_draw_page"),
     False),
    ("print", _l("Bản in"), "exams_teacher.print_page", ("exams_teacher.print_page",), False),
    ("integrity", _l("Nhật ký làm bài"), "exams.integrity_log", ("exams.integrity_log",), False),
]


#: code → what the teacher reads; ``exam_warnings`` decides which apply.
WARNINGS = {
    "answers_before_last_attempt": _l(
        "Học sinh được xem đáp án hoặc lời giải ngay sau khi nộp bài trong khi vẫn còn lượt làm: "
        "em có thể đọc đáp án rồi làm lại để được điểm tối đa. Hãy cho xem đáp án sau khi đóng "
        "bài, hoặc chỉ cho làm một lượt (Cài đặt)."),
}


def exam_warnings(exam: Exam) -> dict[str, str]:
    """Settings that work but defeat the test, by code (the header of every teacher page of
    the test shows them; the API's ``GET /exams/<id>`` lists them)."""
    found = {}
    if logic.answers_before_last_attempt(exam.settings):
        found["answers_before_last_attempt"] = WARNINGS["answers_before_last_attempt"]
    return found


def exam_tabs(exam: Exam) -> list[Tab]:
    """The tabs of ``exam`` in order: a draft has its questions, settings and results; a
    published test adds grading (only with hand-graded slots or essay children), report,
    export, mã đề (only when variants exist, or for a random draw — its sample draw — also
    as a draft), print and the integrity log."""
    published = exam.state == ExamState.PUBLISHED
    random_draw = exam.settings.get("generation") == "random_draw"
    endpoint = request.endpoint if request else None
    tabs = []
    for key, label, target, endpoints, for_drafts in TABS:
        if not (published or for_drafts or (key == "variants" and random_draw)):
            continue
        if key == "grading" and not hand_graded_slots(exam):
            continue
        if key == "variants" and not (exam.variants or random_draw):
            continue
        tabs.append(Tab(key, str(label), url_for(target, exam_id=exam.id),
                        endpoint in endpoints))
    return tabs


def current_tab(exam: Exam) -> Tab | None:
    return next((tab for tab in exam_tabs(exam) if tab.active), None)
