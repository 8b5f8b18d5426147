"""Reports, item analysis and exports against numbers computed by hand (issue 4 §4;
security.md 16, 17)."""

import csv
import io
from datetime import datetime
from decimal import Decimal
from types import SimpleNamespace

from openpyxl import load_workbook
from sqlalchemy import select

from lms.curriculum.models import Subject
from lms.exams import reports, services
from lms.exams.exports import neutralise
from lms.exams.models import Attempt, Exam
from lms.kernel import db
from lms.org.models import Role
from lms.questions import services as questions
from tests.conftest import login
from tests.factories import UserFactory, member
from tests.lms.exams_setup import bearer
from tests.lms.test_exams_grading import sit
from tests.question_bank.payloads import RAW

D = Decimal


# ---------------------------------------------------------------- pure functions, by hand
#
# Five students, three items worth 1, 1 and 2 points:
#
#   student  item1 item2 item3  total  grade (/4 ×10)
#   S1         1     1     2      4     10
#   S2         1     0     2      3      7.5
#   S3         1     1     0      2      5
#   S4         0     1     1      2      5
#   S5         0     1     0      1      2.5

POINTS = {1: [1, 1, 1, 0, 0], 2: [1, 0, 1, 1, 1], 3: [2, 2, 0, 1, 0]}
SLOTS = [{"slot": 1, "points": "1", "type": "single_choice",
          "options": [{"id": k, "text_html": k, "correct": k == "b"} for k in "abcd"]},
         {"slot": 2, "points": "1", "type": "true_false"},
         {"slot": 3, "points": "2", "type": "essay"}]
CHOICES = [["b"], ["b"], ["c"], None, ["a", "b"]]


def _sittings() -> list[reports.Sitting]:
    sittings = []
    for index in range(5):
        points = {slot: D(values[index]) for slot, values in POINTS.items()}
        sittings.append(reports.Sitting(index + 1, sum(points.values(), D(0)), points,
                                        {1: CHOICES[index]}))
    return sittings


def test_descriptive_statistics_and_histogram():
    grades = [D(10), D("7.5"), D(5), D(5), D("2.5")]
    stats = reports.describe(grades)
    assert stats["n"] == 5 and stats["mean"] == 6 and stats["median"] == 5
    # deviations 4, 1.5, −1, −1, −3.5 → squares sum 32.5 → σ² = 6.5 → σ = 2.5495…
    assert reports.variance(grades) == D("6.5")
    assert reports.q(stats["std"]) == "2.5495"
    assert reports.median([D(1), D(2), D(4), D(9)]) == D(3)
    assert reports.describe([])["mean"] is None
    bins = reports.histogram(grades)
    assert [b["count"] for b in bins] == [0, 0, 1, 0, 0, 2, 0, 1, 0, 1]   # 10 falls in [9, 10]
    assert (bins[0]["low"], bins[-1]["high"]) == (0, 10)


def test_group_size_is_27_percent_rounded_half_up():
    assert [reports.group_size(n) for n in (2, 4, 5, 10, 37, 50, 100)] == \
        [1, 1, 1, 3, 10, 14, 27]


def test_item_statistics_match_hand_computed_values():
    stats = reports.item_statistics(_sittings(), SLOTS)
    by_slot = {item["slot"]: item for item in stats["items"]}
    # facility = mean fraction: 3/5; 4/5; (1 + 1 + 0 + 0.5 + 0)/5
    assert [by_slot[s]["facility"] for s in (1, 2, 3)] == [D("0.6"), D("0.8"), D("0.5")]
    # groups of 1 (27 % of 5 = 1.35): upper S1 (4 points), lower S5 (1 point)
    assert stats["group_size"] == 1
    assert [by_slot[s]["discrimination"] for s in (1, 2, 3)] == [D(1), D(0), D(1)]
    # item 1 against rest-of-test [3, 2, 1, 2, 1]: Sxy = 0.6, Sxx = 1.2, Syy = 2.8
    #   r = 0.6 / √3.36 = 0.32733
    # item 2 against [3, 3, 1, 1, 0]: Sxy = −1.4, Sxx = 0.8, Syy = 7.2 → r = −1.4/2.4
    # item 3 against [2, 1, 2, 1, 1]: Sxy = 0 → r = 0
    assert [reports.q(by_slot[s]["point_biserial"]) for s in (1, 2, 3)] == \
        ["0.3273", "-0.5833", "0.0000"]
    # α: item variances 0.24 + 0.16 + 0.8 = 1.2; totals [4,3,2,2,1] variance 1.04
    #   α = 3/2 · (1 − 1.2/1.04) = −0.23077
    assert reports.q(stats["alpha"]) == "-0.2308"
    # distractors of item 1: a 1, b 3, c 1, d 0, blank 1
    counts = {(d["letter"], d["id"]): d["count"] for d in by_slot[1]["distractors"]}
    assert counts == {("A", "a"): 1, ("B", "b"): 3, ("C", "c"): 1, ("D", "d"): 0,
                      ("", None): 1}
    assert [d["correct"] for d in by_slot[1]["distractors"]] == [False, True, False, False,
                                                                  False]
    assert "distractors" not in by_slot[2]


def test_undefined_statistics_are_none():
    one = reports.item_statistics(_sittings()[:1], SLOTS)
    assert one["alpha"] is None and one["items"][0]["discrimination"] is None
    assert one["items"][0]["point_biserial"] is None
    assert reports.pearson([D(1), D(1)], [D(0), D(3)]) is None          # constant item
    assert reports.cronbach_alpha([[D(1), D(0)], [D(0), D(1)]]) is None  # constant total


def test_kept_attempt_follows_the_grading_method():
    a = [SimpleNamespace(number=n, grade=D(g)) for n, g in ((1, 6), (2, 8), (3, 8), (4, 5))]
    assert reports.kept_attempt(a, "highest").number == 2     # earliest of the tie
    assert reports.kept_attempt(a, "last").number == 4
    assert reports.kept_attempt(a, "first").number == 1
    assert reports.kept_attempt(a, "average").number == 1


def test_cells_that_a_spreadsheet_would_run_are_neutralised():
    for text in ("=1+1", "+1", "-1", "@SUM(A1)", "\tx", "\rx", '=HYPERLINK("http://x","y")'):
        assert neutralise(text) == "'" + text
    assert neutralise("Nguyễn Văn Á") == "Nguyễn Văn Á" and neutralise(3) == 3


# ---------------------------------------------------------------- through the API
#
# Four students; slot 1 single choice (key b), slot 2 true/false (true), slot 3 multiple
# response (a, b, c right out of a–e); 1 point each, options shuffled per attempt.
#
#   student  s1   s2     s3          points  grade
#   A        b    true   a,b,c       1 1 1   10
#   B        b    false  a,b,c       1 0 1   6.67
#   C        c    true   d           0 1 0   3.33
#   D        a    false  (blank)     0 0 0   0


def _students(org):
    extra = [member(UserFactory(username=name, full_name=full), Role.STUDENT, org.school_x,
                    org.class_x) for name, full in (("hsc", "Lê Văn Cê"), ("hsd", "Phạm Đê"))]
    db.session.commit()
    return extra


def _exam(org, settings=None) -> Exam:
    toan = db.session.scalar(select(Subject).where(Subject.code == "TOAN"))
    meta = questions.QuestionMeta(subject_id=toan.id, grade=10)
    bank = [questions.create_question(org.teacher_x, meta, dict(RAW[t]))
            for t in ("single_choice", "true_false", "multiple_response")]
    exam = services.create_exam(org.teacher_x, "Đề kiểm tra: Toán 10", [q.id for q in bank],
                                None, settings or {"shuffle_options": True})
    services.publish(org.teacher_x, exam)
    services.assign_to_class(org.teacher_x, exam, org.class_x)
    db.session.commit()
    return exam


def _sit_all(client, org) -> Exam:
    _students(org)
    exam = _exam(org)
    sit(client, "hsa", exam, {1: "b", 2: True, 3: ["a", "b", "c"]})
    sit(client, "hsb", exam, {1: "b", 2: False, 3: ["a", "b", "c"]})
    sit(client, "hsc", exam, {1: "c", 2: True, 3: ["d"]})
    sit(client, "hsd", exam, {1: "a", 2: False})
    return exam


def test_item_analysis_of_real_attempts(client, org):
    exam = _sit_all(client, org)
    teacher = bearer(client, "teacherx")
    data = client.get(f"/api/v1/exams/{exam.id}/item-analysis", headers=teacher).get_json()
    assert data["students"] == 4 and data["group_size"] == 1
    items = {i["slot"]: i for i in data["items"]}
    assert [items[s]["facility"] for s in (1, 2, 3)] == ["0.5000"] * 3
    assert [items[s]["discrimination"] for s in (1, 2, 3)] == ["1.0000"] * 3
    # s1 and s3 against rest [2, 1, 1, 0]: 1/√2; s2 against [2, 2, 0, 0]: 0
    assert [items[s]["point_biserial"] for s in (1, 2, 3)] == ["0.7071", "0.0000", "0.7071"]
    # item variances 0.25 × 3, total variance 1.25: α = 3/2 · (1 − 0.75/1.25) = 0.6
    assert data["alpha"] == "0.6000"
    # counts in the snapshot's option ids, whatever ids and order each attempt showed
    s1 = {d["id"]: d["count"] for d in items[1]["distractors"]}
    assert s1 == {"a": 1, "b": 2, "c": 1, "d": 0, None: 0}
    s3 = {d["id"]: d["count"] for d in items[3]["distractors"]}
    assert s3 == {"a": 2, "b": 2, "c": 2, "d": 1, "e": 0, None: 1}


def test_report_per_test_class_and_student(client, org):
    exam = _sit_all(client, org)
    data = client.get(f"/api/v1/exams/{exam.id}/report",
                      headers=bearer(client, "teacherx")).get_json()
    # finals 10, 6.67, 3.33, 0: mean 5, median 5, σ = √(55.5778/4) = 3.7275
    assert data["summary"] | {"histogram": None} == {
        "n": 4, "mean": "5.00", "median": "5.00", "std": "3.73", "min": "0.00",
        "max": "10.00", "histogram": None}
    assert [b["count"] for b in data["summary"]["histogram"]] == [1, 0, 0, 1, 0, 0, 1, 0, 0, 1]
    assert [(c["class"], c["n"], c["mean"]) for c in data["classes"]] == [("10A1", 4, "5.00")]
    finals = {s["username"]: s["final_grade"] for s in data["students"]}
    assert finals == {"hsa": "10.00", "hsb": "6.67", "hsc": "3.33", "hsd": "0.00"}
    # class-list order: by given name (Á, Bê, Cê, Đê), not by family name (Lê, Nguyễn, …)
    assert [s["username"] for s in data["students"]] == ["hsa", "hsb", "hsc", "hsd"]
    assert data["max_points"] == "3" and data["attempts"] == 4


def test_per_student_final_grade_uses_counted_attempts_by_method(client, org):
    exam = _exam(org, {"attempts": 3, "grading_method": "last"})
    sit(client, "hsa", exam, {1: "b", 2: True, 3: ["a", "b", "c"]})     # 10
    sit(client, "hsa", exam, {1: "a"})                                     # 0
    second = db.session.scalars(select(Attempt).order_by(Attempt.id)).all()[-1]
    second.counted = False                      # e.g. finished late under "not counted"
    db.session.commit()
    data = client.get(f"/api/v1/exams/{exam.id}/report",
                      headers=bearer(client, "teacherx")).get_json()
    [student] = data["students"]
    assert student["final_grade"] == "10.00" and len(student["attempts"]) == 2
    assert data["counted_attempts"] == 1


def test_report_page_draws_the_histogram_and_escapes_names(client, org):
    """security.md 16: a student's name never runs in the teacher's statistics page."""
    exam = _sit_all(client, org)
    org.student_b.full_name = "<script>alert(1)</script>{{7*7}}"
    db.session.commit()
    login(client, "teacherx")
    page = client.get(f"/exams/{exam.id}/report").get_data(as_text=True)
    assert 'data-testid="histogram"' in page and page.count('class="bar"') == 10
    assert "<script>alert(1)" not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "{{7*7}}" in page and "10,00" in page and "6,67" in page
    assert "cdn" not in page.lower()


def test_exports_neutralise_formulas_and_show_vietnam_time(client, org):
    """security.md 17: a student named =HYPERLINK(…) stays text in CSV and XLSX."""
    exam = _sit_all(client, org)
    evil = '=HYPERLINK("http://evil.example","Bấm vào")'
    org.student_b.full_name = evil
    org.student_a.full_name = "@SUM(1+1)"
    org.class_x.name = "-10A1"
    db.session.commit()
    login(client, "teacherx")
    reply = client.get(f"/exams/{exam.id}/export.csv")
    assert reply.status_code == 200 and reply.mimetype == "text/csv"
    disposition = reply.headers["Content-Disposition"]
    assert disposition.startswith('attachment; filename="Ket qua - De kiem tra_ Toan 10.csv"')
    assert "filename*=UTF-8''K%E1%BA%BFt%20qu%E1%BA%A3" in disposition
    disposition.encode("ascii")
    text = reply.data.decode("utf-8")
    assert text.startswith("\ufeff")
    rows = list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))
    assert rows[0] == ["Họ và tên", "Tên đăng nhập", "Lớp", "Lượt", "Điểm", "Điểm hệ 10",
                       "Được tính", "Nộp lúc"]
    names = {row[1]: row for row in rows[1:]}
    assert names["hsb"][0] == "'" + evil and names["hsa"][0] == "'@SUM(1+1)"
    assert names["hsb"][2] == "'-10A1"
    # finished at T0 (07:00 UTC) → 14:00 in Vietnam
    assert names["hsa"][3:] == ["1", "3.0000", "10.00", "Có", "01/12/2026 14:00"]

    book = load_workbook(io.BytesIO(client.get(f"/exams/{exam.id}/export.xlsx").data))
    assert book.sheetnames == ["Kết quả", "Phân tích câu hỏi"]
    sheet = book["Kết quả"]
    values = {row[1]: row for row in sheet.iter_rows(min_row=2, values_only=True)}
    assert values["hsb"][0] == "'" + evil and values["hsb"][2] == "'-10A1"
    assert all(cell.data_type != "f" for row in sheet.iter_rows() for cell in row)
    assert values["hsa"][5] == 10 and values["hsa"][7] == datetime(2026, 12, 1, 14, 0)
    items = list(book["Phân tích câu hỏi"].iter_rows(min_row=2, values_only=True))
    assert items[0][:6] == (1, "single_choice", 1, 0.5, 1, 0.7071)
    assert items[-1][0] == "Cronbach α" and items[-1][3] == 0.6

    listed = client.get(f"/exams/{exam.id}/item-analysis.csv")
    assert listed.status_code == 200
    item_rows = list(csv.reader(io.StringIO(listed.data.decode("utf-8").lstrip("\ufeff"))))
    assert item_rows[1][:6] == ["1", "single_choice", "1", "0.5000", "1.0000", "0.7071"]


def test_report_of_an_exam_without_attempts(client, org):
    exam = _exam(org)
    teacher = bearer(client, "teacherx")
    data = client.get(f"/api/v1/exams/{exam.id}/report", headers=teacher).get_json()
    assert data["summary"]["n"] == 0 and data["summary"]["mean"] is None
    items = client.get(f"/api/v1/exams/{exam.id}/item-analysis", headers=teacher).get_json()
    assert items["alpha"] is None and items["items"][0]["facility"] is None
    login(client, "teacherx")
    assert client.get(f"/exams/{exam.id}/report").status_code == 200
    assert client.get(f"/exams/{exam.id}/export.xlsx").status_code == 200
