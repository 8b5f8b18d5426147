"""Markup and template syntax in names and titles stay text on every page (security.md 16, 19):
people's names, a class, a school, a test, a group and a lesson named with script, event
handlers, ``{{7*7}}`` and the probe string are shown escaped wherever students, teachers,
leaders and admins meet them — and the pages' own policy would not run them anyway."""

from datetime import timedelta
from html.parser import HTMLParser

from lms.core.models import utcnow
from lms.exams import audience
from lms.exams import services as exams
from lms.kernel import db
from tests.conftest import login
from tests.lms.authored_helpers import published_lesson
from tests.lms.exams_setup import published_exam

PAYLOAD = "<img src=x onerror=alert(1)>\"'><script>alert(2)</script>{{7*7}}"
PROBE = "< > & &lt; &gt; &amp; ' \\' 碁 \\ \\\\"
SHORT = "<svg onload=alert(3)>{{7*7}}"           # class names are at most 40 characters
#: How the names read once escaped (the probe's own entities are escaped again).
ESCAPED = ("&lt;script&gt;alert(2)&lt;/script&gt;", "&lt;svg onload=alert(3)&gt;",
           "&amp;lt; &amp;gt;")


class Tags(HTMLParser):
    """Every element a browser would build from the page, with its attributes."""

    def __init__(self, html: str):
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict]] = []
        self.feed(html)
        self.close()

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))


def assert_inert(html: str, url: str) -> None:
    for tag, attrs in Tags(html).tags:
        assert not any(name.startswith("on") for name in attrs), (url, tag, attrs)
        assert tag not in ("svg", "iframe", "object", "embed"), (url, tag)
        if tag == "script":
            assert "src" in attrs or attrs.get("type") == "application/json", (url, attrs)
        if tag == "img":
            assert attrs.get("src") != "x", (url, attrs)


def _world(client, org):
    """Names and titles made of markup, and something on each page that shows them."""
    org.student_a.full_name = f"{PAYLOAD} Á"
    org.student_b.full_name = PROBE
    org.teacher_x.full_name = PAYLOAD
    org.school_x.name = PAYLOAD
    org.class_x.name = SHORT
    db.session.commit()
    exam = published_exam(org, types=("single_choice", "essay"))
    exam.title = PAYLOAD
    audience.assign_to_group(org.teacher_x, exam, PAYLOAD, [org.student_b.id])
    attempt = exams.start_attempt(org.student_a, exam, utcnow() - timedelta(minutes=3))
    exams.submit(org.student_a, attempt.id, utcnow())
    db.session.commit()
    lesson = published_lesson(client, org)["lesson"]
    return exam, attempt, lesson


def test_markup_in_names_and_titles_is_text_on_every_page(client, org):
    exam, attempt, lesson = _world(client, org)
    pages = {
        "hsa": ["/", "/exams/", f"/exams/{exam.id}", f"/exams/attempts/{attempt.id}/result",
                f"/schools/classes/{org.class_x.id}", "/lessons/library",
                f"/lessons/{lesson['id']}/read"],
        "teacherx": ["/", "/teacher/exams/", f"/teacher/exams/{exam.id}",
                     f"/teacher/exams/{exam.id}/results", f"/exams/{exam.id}/report",
                     f"/exams/{exam.id}/grading", f"/exams/{exam.id}/integrity",
                     f"/schools/classes/{org.class_x.id}", "/lessons/library"],
        "leaderx": ["/", f"/schools/{org.school_x.id}/classes", "/admin/users",
                    f"/admin/users/{org.student_a.id}", f"/schools/classes/{org.class_x.id}"],
        "admin1": ["/admin/units", "/admin/users?q=a", f"/admin/users/{org.teacher_x.id}"],
    }
    shown = 0
    for username, urls in pages.items():
        login(client, username)
        for url in urls:
            reply = client.get(url)
            assert reply.status_code == 200, (username, url, reply.status_code)
            html = reply.get_data(as_text=True)
            assert_inert(html, url)
            if any(mark in html for mark in ESCAPED):
                shown += 1
                assert "{{7*7}}" in html, url           # template syntax stays literal
    assert shown >= 15        # the names really are on the pages, escaped
