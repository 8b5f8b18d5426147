"""Demo data for ``make run``: a department, its units, seven schools, ~200 students.

Every demo account has the password ``hoclieu-demo`` and ``is_demo`` set; production refuses
to start while any exist. Loading twice changes nothing.
"""

import random
from datetime import date

from sqlalchemy import delete, select

from lms.auth import passwords
from lms.auth.current import policy
from lms.auth.models import User
from lms.curriculum.models import Subject, Topic, TopicKind
from lms.kernel import db
from lms.kernel.text import fold
from lms.org.models import (
    Guardianship,
    Membership,
    Role,
    SchoolClass,
    SchoolLevel,
    SchoolYear,
    Unit,
    UnitKind,
)
from lms.org.services import add_unit, new_join_code

PASSWORD = "hoclieu-demo"  # noqa: S105 — documented demo password
NAMED_ACCOUNTS = {
    "admin": "Quản trị viên Sở",
    "reviewer": "Nguyễn Thị Thẩm Định",
    "reviewer.phong": "Trần Văn Phòng",
    "leader": "Lê Hoàng Hiệu Trưởng",
    "teacher": "Phạm Thu Hà",
    "student": "Đỗ Minh Anh",
    "student2": "Võ Gia Bảo",
    "parent": "Đỗ Văn Phụ Huynh",
}
FAMILY = ["Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Huỳnh", "Phan", "Vũ", "Võ", "Đặng",
          "Bùi", "Đỗ", "Hồ", "Ngô", "Dương", "Lý"]
MIDDLE = ["Văn", "Thị", "Minh", "Ngọc", "Gia", "Thanh", "Đức", "Hoài", "Bảo", "Quốc", "Khánh"]
GIVEN = ["An", "Anh", "Bình", "Châu", "Chi", "Dũng", "Đạt", "Giang", "Hà", "Hải", "Hân",
         "Hiếu", "Hòa", "Huy", "Khoa", "Lan", "Linh", "Long", "Mai", "Minh", "Nam", "Ngân",
         "Nhi", "Phúc", "Quân", "Quỳnh", "Sơn", "Tâm", "Thảo", "Trang", "Trí", "Tú", "Uyên",
         "Vy", "Yến", "Đăng", "Ánh", "Ý"]

#: (school name, level, parent key, external code, [(class name, grade, students)])
SCHOOLS = [
    ("Trường THPT Nguyễn Du", SchoolLevel.UPPER_SECONDARY, "dept", "79000701",
     [("10A1", 10, 35), ("10A2", 10, 30), ("11A1", 11, 30), ("12A1", 12, 30)]),
    ("Trường THPT Lê Quý Đôn", SchoolLevel.UPPER_SECONDARY, "dept", "79000702", []),
    ("Trường THCS Trần Phú", SchoolLevel.LOWER_SECONDARY, "district", "79760301",
     [("8A1", 8, 25)]),
    ("Trường Tiểu học Kim Đồng", SchoolLevel.PRIMARY, "commune", "79760401", [("5A", 5, 25)]),
    ("Trường Mầm non Hoa Sen", SchoolLevel.PRESCHOOL, "commune", "79760501", []),
    ("Trường TH&THCS Võ Thị Sáu", SchoolLevel.MULTI_LEVEL, "commune", "79760601",
     [("9A", 9, 25)]),
    ("Trung tâm GDNN-GDTX Thành phố", SchoolLevel.CONTINUING, "district", "79760701", []),
]

TOAN_10 = [("Chương I. Mệnh đề và tập hợp", ["Mệnh đề", "Tập hợp và các phép toán trên tập hợp"]),
           ("Chương II. Bất phương trình và hệ bất phương trình bậc nhất hai ẩn",
            ["Bất phương trình bậc nhất hai ẩn", "Hệ bất phương trình bậc nhất hai ẩn"]),
           ("Chương III. Hệ thức lượng trong tam giác",
            ["Giá trị lượng giác của một góc từ 0° đến 180°", "Hệ thức lượng trong tam giác"]),
           ("Chương VI. Hàm số, đồ thị và ứng dụng",
            ["Hàm số", "Hàm số bậc hai", "Dấu của tam thức bậc hai",
             "Phương trình quy về phương trình bậc hai"])]


def demo_loaded() -> bool:
    return db.session.scalar(select(User.id).where(User.username == "admin")) is not None


def load_demo(seed: int = 2025) -> dict:
    """Create the demo organisation and accounts unless they exist; returns what was made."""
    if demo_loaded():
        return {"created": False}
    rng = random.Random(seed)  # noqa: S311 — reproducible names, not secrets
    # One hash for every demo account: they share a password, and hashing 200 times is slow.
    password_hash = passwords.hash_password(PASSWORD, policy().cost)
    subjects = {s.code: s for s in db.session.scalars(select(Subject))}
    year = _school_year()
    units = _units()
    named = {username: _user(username, name, password_hash)
             for username, name in NAMED_ACCOUNTS.items()}
    dept, district = units["dept"], units["district"]
    _member(named["admin"], Role.ADMIN, dept)
    _member(named["reviewer"], Role.DEPARTMENT_REVIEWER, dept)
    _member(named["reviewer.phong"], Role.UNIT_REVIEWER, district)
    count = 0
    for index, (name, level, parent_key, code, classes) in enumerate(SCHOOLS):
        school = add_unit(UnitKind.SCHOOL, name, units[parent_key], external_code=code,
                          school_level=level)
        leader = named["leader"] if index == 0 else _user(f"hieutruong{index}", _name(rng),
                                                         password_hash)
        _member(leader, Role.SCHOOL_LEADER, school)
        for class_name, grade, size in classes:
            count += _class(rng, school, year, class_name, grade, size, subjects, named,
                            password_hash)
    db.session.add(Guardianship(parent_id=named["parent"].id, student_id=named["student"].id))
    _member(named["parent"], Role.PARENT, units_of(named["student"])[0])
    _topics(subjects["TOAN"])
    db.session.flush()
    _authored_lesson(named["teacher"], subjects["TOAN"])
    _demo_exam(named["teacher"], subjects["TOAN"])
    _demo_bank(named["teacher"], named["reviewer"], subjects["TOAN"])
    _demo_gradebook(named["teacher"], named["leader"])
    return {"created": True, "students": count, "units": len(units) + len(SCHOOLS)}


def _demo_exam(teacher: User, toan: Subject) -> None:
    """A published test with every question type for the demo class 10A1, open now."""
    from lms.exams.demo import load_demo_exam

    db.session.expire(teacher)
    school_class = next(m.school_class for m in teacher.memberships if m.role == Role.TEACHER)
    load_demo_exam(teacher, toan, school_class)
    db.session.flush()


def _demo_bank(teacher: User, reviewer: User, toan: Subject) -> None:
    """Approved Toán 10 questions over several topics and levels, for the matrix builder,
    and a test on them that the demo class finished last week (data for the reports)."""
    from lms.exams.demo import load_demo_bank, load_demo_results

    db.session.expire(reviewer)
    load_demo_bank(teacher, reviewer, toan)
    db.session.flush()
    school_class = next(m.school_class for m in teacher.memberships if m.role == Role.TEACHER)
    load_demo_results(teacher, school_class)
    db.session.flush()


def _demo_gradebook(teacher: User, leader: User) -> None:
    """Term I of 10A1 in every subject, partly from last week's test (lms/gradebook/demo.py)."""
    from lms.gradebook.demo import load_demo_gradebook

    db.session.expire(leader)
    school_class = next(m.school_class for m in teacher.memberships if m.role == Role.TEACHER)
    load_demo_gradebook(school_class, teacher, leader)
    db.session.flush()


def remove_demo_accounts() -> int:
    """Delete every demo account (units and classes stay); returns how many went."""
    from lms.exams.demo import remove_demo_content

    ids = list(db.session.scalars(select(User.id).where(User.is_demo.is_(True))))
    remove_demo_content(ids)
    db.session.execute(delete(Guardianship).where(
        Guardianship.parent_id.in_(ids) | Guardianship.student_id.in_(ids)))
    db.session.execute(delete(Membership).where(Membership.user_id.in_(ids)))
    db.session.execute(delete(User).where(User.id.in_(ids)))
    return len(ids)


def units_of(user: User) -> list[Unit]:
    return [m.unit for m in db.session.scalars(select(Membership).where(
        Membership.user_id == user.id))]


def _school_year() -> SchoolYear:
    year = db.session.scalar(select(SchoolYear).where(SchoolYear.name == "2025-2026"))
    if year is None:
        year = SchoolYear(name="2025-2026", starts_on=date(2025, 9, 5), ends_on=date(2026, 5, 31))
        db.session.add(year)
        db.session.flush()
    return year


def _units() -> dict[str, Unit]:
    dept = add_unit(UnitKind.DEPARTMENT, "Sở GD&ĐT Tỉnh Demo", None, external_code="79")
    district = add_unit(UnitKind.DISTRICT_OFFICE, "Phòng GD&ĐT Thành phố Demo", dept,
                        external_code="7976", valid_to=date(2025, 6, 30))
    commune = add_unit(UnitKind.COMMUNE, "UBND xã An Hòa", dept, external_code="797601",
                       valid_from=date(2025, 7, 1))
    add_unit(UnitKind.COMMUNE, "UBND phường Bến Thành", dept, external_code="797602",
             valid_from=date(2025, 7, 1))
    return {"dept": dept, "district": district, "commune": commune}


def _name(rng: random.Random) -> str:
    return f"{rng.choice(FAMILY)} {rng.choice(MIDDLE)} {rng.choice(GIVEN)}"


def _user(username: str, full_name: str, password_hash: str, **fields) -> User:
    user = User(username=username, full_name=full_name, name_key=fold(full_name),
                password_hash=password_hash, is_demo=True, **fields)
    db.session.add(user)
    db.session.flush()
    return user


def _member(user: User, role: Role, unit: Unit, school_class: SchoolClass | None = None,
            subject: Subject | None = None) -> None:
    db.session.add(Membership(user_id=user.id, role=role, unit_id=unit.id,
                              class_id=school_class.id if school_class else None,
                              subject_id=subject.id if subject else None))


def _class(rng, school, year, name, grade, size, subjects, named, password_hash) -> int:
    school_class = SchoolClass(school_id=school.id, school_year_id=year.id, name=name,
                               grade=grade, join_code=new_join_code())
    db.session.add(school_class)
    db.session.flush()
    is_demo_class = school.external_code == "79000701" and name == "10A1"
    teacher = named["teacher"] if is_demo_class else _user(
        f"gv.{school.external_code}.{name.lower()}", _name(rng), password_hash)
    main_subject = subjects["TOAN"] if grade >= 6 or is_demo_class else subjects["TIENGVIET"]
    _member(teacher, Role.TEACHER, school, school_class, main_subject)
    _member(teacher, Role.HOMEROOM_TEACHER, school, school_class)
    students = [named["student"], named["student2"]] if is_demo_class else []
    for number in range(len(students), size):
        code = f"hs{school.external_code[-4:]}{name.lower()}{number + 1:02d}"
        students.append(_user(code, _name(rng), password_hash,
                               birth_date=date(2025 - grade - 6, rng.randint(1, 12),
                                               rng.randint(1, 28))))
    for student in students:
        _member(student, Role.STUDENT, school, school_class)
    return len(students)


def _topics(toan: Subject) -> None:
    for position, (chapter_name, topic_names) in enumerate(TOAN_10):
        chapter = Topic(subject_id=toan.id, grade=10, kind=TopicKind.CHAPTER,
                        name=chapter_name, position=position)
        chapter.children = [Topic(subject_id=toan.id, grade=10, kind=TopicKind.TOPIC, name=n,
                                  position=i) for i, n in enumerate(topic_names)]
        db.session.add(chapter)


DEMO_LESSON_PAGES = [
    ("Công thức nghiệm",
     "<p>Phương trình bậc hai một ẩn có dạng \\(ax^2 + bx + c = 0\\) với \\(a \\neq 0\\). "
     "Biệt thức:</p><p>\\[\\Delta = b^2 - 4ac\\]</p><ul>"
     "<li>\\(\\Delta &gt; 0\\): hai nghiệm phân biệt "
     "\\(x_{1,2} = \\dfrac{-b \\pm \\sqrt{\\Delta}}{2a}\\);</li>"
     "<li>\\(\\Delta = 0\\): nghiệm kép \\(x = -\\dfrac{b}{2a}\\);</li>"
     "<li>\\(\\Delta &lt; 0\\): phương trình vô nghiệm.</li></ul>"),
    ("Luyện tập",
     "<p>Ví dụ: \\(x^2 - 4x + 3 = 0\\) có \\(\\Delta = 16 - 12 = 4\\), nên "
     "\\(x_1 = 1\\), \\(x_2 = 3\\).</p><p>Bây giờ đến lượt em:</p>"
     "<p>[[question:{question_id}]]</p>"),
]
DEMO_CHECK_QUESTION = {
    "type": "single_choice",
    "text_html": "Nghiệm của phương trình \\(x^2 - 5x + 6 = 0\\) là",
    "options": [
        {"id": "a", "text_html": "\\(x = 1\\) và \\(x = 6\\)", "correct": False,
         "feedback_html": "Thử lại: \\(1 \\cdot 6 = 6\\) nhưng \\(1 + 6 \\neq 5\\)."},
        {"id": "b", "text_html": "\\(x = 2\\) và \\(x = 3\\)", "correct": True,
         "feedback_html": "Đúng: \\(\\Delta = 1\\)."},
        {"id": "c", "text_html": "\\(x = -2\\) và \\(x = -3\\)", "correct": False,
         "feedback_html": "Chú ý dấu của \\(b\\)."},
        {"id": "d", "text_html": "Phương trình vô nghiệm", "correct": False,
         "feedback_html": "\\(\\Delta = 25 - 24 = 1 &gt; 0\\)."},
    ],
    "solution_html": "\\(\\Delta = 25 - 24 = 1\\), \\(x = \\dfrac{5 \\pm 1}{2}\\).",
}


def _authored_lesson(teacher: User, toan: Subject) -> None:
    """An authored lesson by the demo teacher: two pages with math and a check question,
    published and assigned to 10A1."""
    from datetime import datetime, timedelta

    from lms.lessons import authored, library
    from lms.questions import services as questions

    db.session.flush()
    db.session.expire(teacher, ["memberships"])
    question = questions.create_question(
        teacher, questions.QuestionMeta(subject_id=toan.id, grade=10), DEMO_CHECK_QUESTION)
    topic = db.session.scalar(select(Topic).where(
        Topic.name == "Phương trình quy về phương trình bậc hai"))
    lesson = authored.create_authored(teacher, {
        "title": "Phương trình bậc hai một ẩn", "subject_id": toan.id, "grade": 10,
        "topic_id": topic.id if topic else None,
        "textbook_series": "Kết nối tri thức với cuộc sống",
        "duration_minutes": 45, "authors": [teacher.full_name], "licence": "CC BY-SA 4.0",
        "description": "Công thức nghiệm, biệt thức Δ và một câu hỏi kiểm tra."})
    for title, body in DEMO_LESSON_PAGES:
        authored.save_page(teacher, lesson, title,
                           body.replace("{question_id}", str(question.id)))
    authored.publish(teacher, lesson)
    school_class = next(m.school_class for m in teacher.memberships if m.school_class)
    due = datetime.combine(date.today() + timedelta(days=7), datetime.min.time())
    library.assign(teacher, lesson, school_class.id, due + timedelta(hours=16, minutes=59))
