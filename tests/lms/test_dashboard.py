"""Each role's dashboard shows its own facts, with an empty state when there is nothing."""

import re

from tests.conftest import login


def test_admin_sees_counts_of_their_subtree(client, org):
    login(client, "admin1")
    page = client.get("/").get_data(as_text=True)
    assert 'data-testid="admin"' in page
    # Two schools, two classes, three students, two teachers in the test province.
    for label, value in (("Trường học", 2), ("Lớp", 2), ("Học sinh", 3), ("Giáo viên", 2)):
        row = rf'>{label}</(a|span)>\s*<span class="text-muted small">{value}</span>'
        assert re.search(row, page), label


def test_teacher_sees_class_with_student_count_and_student_sees_empty_todo(client, org):
    from lms.kernel import db
    from lms.org.models import Membership, Role

    db.session.add(Membership(user_id=org.teacher_x.id, role=Role.HOMEROOM_TEACHER,
                              unit_id=org.school_x.id, class_id=org.class_x.id))
    db.session.commit()
    login(client, "teacherx")
    page = client.get("/").get_data(as_text=True)
    assert page.count(">10A1</a>") == 1  # one row per class, every duty named in it
    assert "Chủ nhiệm · 2 học sinh" in page
    client.post("/logout", data={"csrf_token": _token(page)})
    login(client, "hsa")
    page = client.get("/").get_data(as_text=True)
    assert 'data-testid="student-todo"' in page and "empty-state" in page


def _token(page: str) -> str:
    from tests.conftest import csrf_token_from

    return csrf_token_from(page)
