"""A demo test for ``make run``: every question type, published, assigned to the demo class
10A1 by the demo teacher, open now for a week with a 45-minute limit."""

import io
import math
import struct
import wave
import zlib
from datetime import timedelta

from lms.core.models import utcnow
from lms.core.storage import storage
from lms.exams import services
from lms.questions import services as questions

IMAGE_KEY = "questions/demo/tam-giac.png"
AUDIO_KEY = "questions/demo/am-la.wav"


def _png(width: int = 240, height: int = 160) -> bytes:
    """A right triangle drawn on white, as a PNG made with zlib only."""
    rows = []
    for y in range(height):
        row = bytearray([0])
        for x in range(width):
            inside = 20 <= x <= 220 and 20 <= y <= 140 and (x - 20) * 120 <= (140 - y) * 200 + 200
            edge = inside and (x in (20, 21) or y in (139, 140)
                               or abs((x - 20) * 120 - (140 - y) * 200) < 260)
            row += bytes((30, 90, 200) if edge else (220, 235, 255) if inside else (255, 255, 255))
        rows.append(bytes(row))

    def chunk(kind: bytes, body: bytes) -> bytes:
        return (struct.pack(">I", len(body)) + kind + body
                + struct.pack(">I", zlib.crc32(kind + body) & 0xFFFFFFFF))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header)
            + chunk(b"IDAT", zlib.compress(b"".join(rows), 9)) + chunk(b"IEND", b""))


def _wav(seconds: float = 1.0, rate: int = 8000) -> bytes:
    """The note A (440 Hz), mono 8-bit."""
    out = io.BytesIO()
    with wave.open(out, "wb") as sound:
        sound.setnchannels(1)
        sound.setsampwidth(1)
        sound.setframerate(rate)
        sound.writeframes(bytes(int(128 + 60 * math.sin(2 * math.pi * 440 * i / rate))
                                for i in range(int(seconds * rate))))
    return out.getvalue()


def _payloads() -> list[dict]:
    image = f'<p><img src="/media/{IMAGE_KEY}" alt="Tam giác vuông ABC"></p>'
    return [
        {"type": "single_choice", "text_html": r"<p>Nghiệm của phương trình \(2x - 6 = 0\) là</p>",
         "options": [{"id": "a", "text_html": r"\(x = 3\)", "correct": True},
                     {"id": "b", "text_html": r"\(x = -3\)"},
                     {"id": "c", "text_html": r"\(x = 6\)"},
                     {"id": "d", "text_html": r"\(x = 12\)"}]},
        {"type": "multiple_response", "text_html": "<p>Chọn tất cả các số nguyên tố.</p>",
         "options": [{"id": "a", "text_html": "2", "correct": True},
                     {"id": "b", "text_html": "9"},
                     {"id": "c", "text_html": "11", "correct": True},
                     {"id": "d", "text_html": "15"}]},
        {"type": "true_false", "text_html": r"<p>\(\sqrt{2}\) là số hữu tỉ.</p>", "answer": False},
        {"type": "true_false_4", "text_html": r"<p>Cho hàm số \(y = x^2 - 4x + 3\).</p>",
         "statements": [
             {"id": "a", "text_html": "Đồ thị hàm số là một parabol.", "answer": True},
             {"id": "b", "text_html": r"Đỉnh của parabol là \(I(2; -1)\).", "answer": True},
             {"id": "c", "text_html": r"Hàm số đồng biến trên \((-\infty; 2)\).",
              "answer": False},
             {"id": "d", "text_html": r"Phương trình \(y = 0\) có hai nghiệm.", "answer": True}]},
        {"type": "short_text", "text_html": "<p>Thủ đô của Việt Nam là thành phố nào?</p>",
         "answers": [{"text": "Hà Nội"}], "ignore_diacritics": True},
        {"type": "short_numeric", "format_2025": True,
         "text_html": f"{image}<p>Tam giác vuông có hai cạnh góc vuông 3 cm và 4 cm. "
                      "Cạnh huyền dài bao nhiêu cm?</p>",
         "answers": [{"value": "5"}]},
        {"type": "matching", "text_html": "<p>Ghép mỗi nước với thủ đô của nước đó.</p>",
         "pairs": [{"id": "p1", "left_html": "Việt Nam", "right_html": "Hà Nội"},
                   {"id": "p2", "left_html": "Lào", "right_html": "Viêng Chăn"},
                   {"id": "p3", "left_html": "Thái Lan", "right_html": "Băng Cốc"}],
         "distractors": ["Phnôm Pênh"]},
        {"type": "ordering", "text_html": "<p>Sắp xếp các triều đại theo thứ tự thời gian.</p>",
         "items": [{"id": f"i{n}", "text_html": name} for n, name in
                   enumerate(("Nhà Lý", "Nhà Trần", "Nhà Lê sơ", "Nhà Nguyễn"), start=1)]},
        {"type": "cloze",
         "text_html": "<p>Số 12 chia hết cho [[g1]]; \\(3^2 =\\) [[g2]]; "
                      "câu \"mọi số chẵn đều chia hết cho 4\" là [[g3]].</p>",
         "gaps": [{"id": "g1", "kind": "text", "answers": [{"text": "3"}, {"text": "4"},
                                                          {"text": "6"}, {"text": "2"}]},
                  {"id": "g2", "kind": "numeric", "answers": [{"value": "9"}]},
                  {"id": "g3", "kind": "dropdown",
                   "options": [{"id": "o1", "text": "đúng"},
                               {"id": "o2", "text": "sai", "correct": True}]}]},
        {"type": "essay", "text_html": "<p>Trình bày cách giải phương trình bậc hai "
                                       r"\(ax^2 + bx + c = 0\) (\(a \ne 0\)).</p>",
         "min_words": 20, "max_words": 300},
        {"type": "stimulus",
         "text_html": "<p>Nghe đoạn âm thanh (một nốt nhạc) và trả lời các câu hỏi.</p>",
         "media": [{"kind": "audio", "key": AUDIO_KEY}],
         "children": [
             {"type": "true_false", "text_html": "<p>Đoạn âm thanh dài khoảng 1 giây.</p>",
              "answer": True},
             {"type": "single_choice", "text_html": "<p>Tần số của nốt La chuẩn là</p>",
              "options": [{"id": "a", "text_html": "440 Hz", "correct": True},
                          {"id": "b", "text_html": "220 Hz"},
                          {"id": "c", "text_html": "1000 Hz"}]}]},
    ]


def load_demo_exam(teacher, subject, school_class) -> None:
    """Bank questions by the demo teacher, then the published, assigned test."""
    store = storage()
    store.put_stream(IMAGE_KEY, io.BytesIO(_png()), content_type="image/png")
    store.put_stream(AUDIO_KEY, io.BytesIO(_wav()), content_type="audio/wav")
    meta = questions.QuestionMeta(subject_id=subject.id, grade=10, source="HocLieu demo")
    bank = [questions.create_question(teacher, meta, {"schema": 1, **payload})
            for payload in _payloads()]
    now = utcnow().replace(microsecond=0)
    exam = services.create_exam(
        teacher, "Kiểm tra thử: đủ mọi loại câu hỏi", [q.id for q in bank],
        settings={"time_limit_minutes": 45, "opens_at": (now - timedelta(hours=1)).isoformat(),
                  "closes_at": (now + timedelta(days=7)).isoformat(), "attempts": 3,
                  "review": "immediately"})
    services.publish(teacher, exam)
    services.assign_to_class(teacher, exam, school_class)


def remove_demo_content(user_ids: list[int]) -> None:
    """Tests and bank questions made by demo accounts, before the accounts go (attempts,
    assignments and integrity events cascade with their exam)."""
    from sqlalchemy import delete, update

    from lms.exams.models import Exam
    from lms.kernel import db
    from question_bank.models import Question, QuestionVersion

    if not user_ids:
        return
    db.session.execute(delete(Exam).where(Exam.owner_id.in_(user_ids)))
    authored = Question.author_id.in_(user_ids)
    ids = list(db.session.scalars(db.select(Question.id).where(authored)))
    if ids:
        db.session.execute(update(Question).where(Question.id.in_(ids))
                           .values(current_version_id=None))
        db.session.execute(delete(QuestionVersion).where(QuestionVersion.question_id.in_(ids)))
        db.session.execute(delete(Question).where(Question.id.in_(ids)))


#: Topic name → [(level code, type, count)]: a small approved Toán 10 bank for the matrix
#: builder (Phần I single choice, Phần II Đúng/Sai 4 ý, Phần III short numeric).
DEMO_BANK = {
    "Hàm số bậc hai": [("NB", "single_choice", 3), ("TH", "single_choice", 3),
                       ("TH", "true_false_4", 2)],
    "Hệ thức lượng trong tam giác": [("NB", "single_choice", 3), ("TH", "single_choice", 2),
                                     ("VD", "short_numeric", 2)],
    "Dấu của tam thức bậc hai": [("NB", "single_choice", 2), ("TH", "true_false_4", 1)],
}


def _choice(text: str, right, wrong: list) -> dict:
    options = [{"id": "a", "text_html": str(right), "correct": True}]
    options += [{"id": k, "text_html": str(w)} for k, w in zip("bcd", wrong, strict=True)]
    return {"schema": 1, "type": "single_choice", "text_html": text, "options": options}


def _bank_payload(kind: str, topic: str, level: str, n: int) -> dict:
    """One generated question; ``n`` varies the numbers so no two are duplicates."""
    a, b = n + 1, 2 * n + 3
    if kind == "single_choice":
        if topic == "Hệ thức lượng trong tam giác":
            text = (rf"<p>Tam giác \(ABC\) có \(AB = {a}\), \(AC = {b}\), "
                    rf"\(\widehat{{A}} = 90^\circ\). Khi đó \(BC^2\) bằng</p>")
            right, wrong = a * a + b * b, [a * a - b * b, (a + b) ** 2, a * b]
        elif topic == "Dấu của tam thức bậc hai":
            text = (rf"<p>Tam thức \(f(x) = x^2 - {a + b}x + {a * b}\) nhận giá trị âm khi "
                    rf"\(x\) thuộc</p>")
            right, wrong = rf"\(({a}; {b})\)", [rf"\((-\infty; {a})\)", rf"\(({b}; +\infty)\)",
                                                 rf"\([{a}; {b}]\)"]
            return _choice(text, right, wrong)
        else:
            text = rf"<p>Hoành độ đỉnh của parabol \(y = x^2 - {2 * a}x + {b}\) là</p>"
            right, wrong = a, [-a, 2 * a, b]
        return _choice(text, right, wrong)
    if kind == "true_false_4":
        return {"schema": 1, "type": kind,
                "text_html": rf"<p>Cho hàm số \(y = x^2 - {2 * a}x + {a * a - 1}\).</p>",
                "statements": [
                    {"id": "a", "text_html": "Đồ thị là một parabol.", "answer": True},
                    {"id": "b", "text_html": rf"Đỉnh là \(I({a}; -1)\).", "answer": True},
                    {"id": "c", "text_html": rf"Hàm số đồng biến trên \((-\infty; {a})\).",
                     "answer": False},
                    {"id": "d", "text_html": rf"Đồ thị cắt trục hoành tại \(x = {a + 1}\).",
                     "answer": True}]}
    return {"schema": 1, "type": "short_numeric", "format_2025": True,
            "text_html": rf"<p>Tam giác có hai cạnh {3 * a} cm và {4 * a} cm, góc xen giữa "
                         rf"\(90^\circ\). Cạnh còn lại dài bao nhiêu cm?</p>",
            "answers": [{"value": str(5 * a)}]}


def load_demo_bank(teacher, reviewer, subject) -> int:
    """A small approved Toán 10 bank spread over topics and levels (see ``DEMO_BANK``), so
    a matrix test can be built on the demo data. Returns how many questions were made."""
    from sqlalchemy import select

    from lms.curriculum.models import CognitiveLevel, CognitiveScale, Topic
    from lms.kernel import db

    topics = {t.name: t for t in db.session.scalars(select(Topic).where(
        Topic.subject_id == subject.id, Topic.grade == 10, Topic.name.in_(DEMO_BANK)))}
    levels = {lv.code: lv for lv in db.session.scalars(
        select(CognitiveLevel).join(CognitiveScale).where(CognitiveScale.code == "4LEVEL"))}
    made = 0
    for topic_name, cells in DEMO_BANK.items():
        topic = topics.get(topic_name)
        if topic is None:
            continue
        for level, kind, count in cells:
            for n in range(count):
                meta = questions.QuestionMeta(subject_id=subject.id, grade=10, topic_id=topic.id,
                                              level_id=levels[level].id, source="HocLieu demo")
                question = questions.create_question(
                    teacher, meta, _bank_payload(kind, topic_name, level, made + n))
                questions.submit(teacher, question)
                questions.approve(reviewer, question)
            made += count
    return made


def load_demo_results(teacher, school_class, seed: int = 2025) -> int:
    """A finished 15-minute test on the approved bank, taken last week by every student of
    ``school_class`` with answers drawn from a simple ability model (a stronger student
    answers more items right), so the results, report and item-analysis pages have data.
    Returns how many attempts were made."""
    import random

    from sqlalchemy import select

    from lms.auth.models import User
    from lms.kernel import db
    from lms.org.models import Membership, Role
    from question_bank.models import Question

    bank = db.session.scalars(select(Question).where(
        Question.author_id == teacher.id, Question.topic_id.is_not(None))
        .order_by(Question.id)).all()
    by_type: dict[str, list[int]] = {}
    for question in bank:
        by_type.setdefault(question.current_version.payload["type"], []).append(question.id)
    chosen = (by_type.get("single_choice", [])[:8] + by_type.get("true_false_4", [])[:2]
              + by_type.get("short_numeric", [])[:1])
    if not chosen:
        return 0
    now = utcnow().replace(microsecond=0)
    exam = services.create_exam(
        teacher, "Kiểm tra 15 phút: Hàm số bậc hai, hệ thức lượng", chosen,
        settings={"time_limit_minutes": 15, "opens_at": (now - timedelta(days=10)).isoformat(),
                  "closes_at": (now - timedelta(days=3)).isoformat(), "attempts": 1,
                  "review": "after_close", "shuffle_options": True})
    services.publish(teacher, exam)
    services.assign_to_class(teacher, exam, school_class)
    students = db.session.scalars(select(User).join(Membership).where(
        Membership.class_id == school_class.id, Membership.role == Role.STUDENT)
        .order_by(User.id)).all()
    rng = random.Random(seed)  # noqa: S311 — demo answers, reproducible on purpose
    sat = now - timedelta(days=5)
    for number, student in enumerate(students):
        ability = rng.gauss(0.65, 0.18)
        started = sat + timedelta(minutes=number % 40)
        attempt = services.start_attempt(student, exam, now=started)
        for entry in exam.snapshot:
            response = _demo_response(entry["payload"], attempt.ids_map[str(entry["slot"])],
                                      ability, rng)
            services.save_answer(student, attempt.id, entry["slot"], response, seq=1,
                                 now=started + timedelta(minutes=1))
        services.submit(student, attempt.id, now=started + timedelta(minutes=rng.randint(6, 14)))
    return len(students)


def _demo_response(payload: dict, ids: dict, ability: float, rng) -> dict:
    """A plausible answer in the attempt's public ids: right with probability ``ability``
    (less on short numeric answers), else a wrong option or value."""
    def right() -> bool:
        return rng.random() < ability

    kind = payload["type"]
    if kind == "single_choice":
        options = [o["id"] for o in payload["options"]]
        correct = next(o["id"] for o in payload["options"] if o.get("correct"))
        pick = correct if right() else rng.choice([o for o in options if o != correct])
        return {"choice": ids[pick]}
    if kind == "true_false_4":
        return {"statements": {ids[s["id"]]: s["answer"] if right() else not s["answer"]
                               for s in payload["statements"]}}
    value = payload["answers"][0]["value"]
    return {"text": value if rng.random() < ability - 0.15 else str(int(value) + 1)}
