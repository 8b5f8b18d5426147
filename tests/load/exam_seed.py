"""Throw-away data for ``tests.load.exam_bench``; run in a subprocess with the instance's env.

``python -m tests.load.exam_seed seed --students N --out seed.json``
    Migrates the empty database named by ``HOCLIEU_DATABASE_URL``, builds the test province
    (tests/factories.build_org), N students in classes of ``--class-size`` at school X with one
    API token each (written straight to ``auth_session``, as ``POST /api/v1/auth/token`` would),
    40 bank questions of every objective type in turn, and a published exam of them assigned to
    every class (one attempt each, 3 hours, review immediately). A second, unpublished exam only
    gives the minimal baseline app (exam_min_app.py) an exam id for its attempt rows.

``python -m tests.load.exam_seed grade --attempt ID --rounds N``
    In-process: grade one attempt N times (``services.grade_attempt``: the stored answers, the
    snapshot and the scoring of every slot, as ``submit`` does) from a cold session each time;
    prints the timings as JSON.
"""

import argparse
import json
import math
import secrets
import sys
import time

from sqlalchemy import func, insert, select

#: Every objective type, in turn, for the 40 questions.
MIXED = ("single_choice", "multiple_response", "true_false", "true_false_4", "short_text",
         "short_numeric", "matching", "ordering", "cloze")
SETTINGS = {"attempts": 1, "time_limit_minutes": 180, "review": "immediately"}


def seed(students: int, class_size: int, questions: int) -> dict:
    from flask_migrate import upgrade

    from lms.auth.models import AuthSession, SessionKind, User
    from lms.auth.services import token_hash
    from lms.curriculum.models import Subject
    from lms.exams import services as exams
    from lms.kernel import db
    from lms.org.models import Membership, Role, SchoolYear
    from lms.questions import services as bank
    from tests.factories import build_org, make_class, password_hash
    from tests.question_bank.payloads import RAW

    upgrade()
    org = build_org()
    teacher, school = org.teacher_x, org.school_x
    year = db.session.get(SchoolYear, org.class_x.school_year_id)
    classes = [make_class(school, year, f"10B{i + 1:02d}")
               for i in range(math.ceil(students / class_size))]
    db.session.execute(insert(Membership), [
        {"user_id": teacher.id, "role": Role.TEACHER, "unit_id": school.id, "class_id": c.id}
        for c in classes])
    hashed = password_hash()
    db.session.execute(insert(User), [
        {"username": f"hs{i:05d}", "full_name": f"Học Sinh {i:05d}", "name_key": f"hoc sinh {i}",
         "password_hash": hashed} for i in range(students)])
    ids = list(db.session.scalars(select(User.id).where(User.username.like("hs0%"))
                                  .order_by(User.username)))
    assert len(ids) == students, (len(ids), students)
    db.session.execute(insert(Membership), [
        {"user_id": uid, "role": Role.STUDENT, "unit_id": school.id,
         "class_id": classes[i // class_size].id} for i, uid in enumerate(ids)])
    tokens = [secrets.token_urlsafe(32) for _ in ids]
    db.session.execute(insert(AuthSession), [
        {"token_hash": token_hash(t), "user_id": uid, "kind": SessionKind.API}
        for uid, t in zip(ids, tokens, strict=True)])

    toan = db.session.scalar(select(Subject).where(Subject.code == "TOAN"))
    meta = bank.QuestionMeta(subject_id=toan.id, grade=10)
    made = []
    for n in range(questions):
        kind = MIXED[n % len(MIXED)]
        payload = {**RAW[kind], "text_html": f"Câu {n + 1}. {RAW[kind]['text_html']}"}
        made.append(bank.create_question(teacher, meta, payload).id)
    exam = exams.create_exam(teacher, "Kiểm tra giữa kì (tải thử)", made, None, SETTINGS)
    exams.publish(teacher, exam)
    for school_class in classes:
        exams.assign_to_class(teacher, exam, school_class)
    baseline = exams.create_exam(teacher, "Bài của ứng dụng tối thiểu", made[:1], None, SETTINGS)
    db.session.commit()
    return {"exam_id": exam.id, "min_exam_id": baseline.id, "questions": questions,
            "students": [[uid, token] for uid, token in zip(ids, tokens, strict=True)]}


def grade(attempt_id: int, rounds: int) -> dict:
    from sqlalchemy.orm import joinedload

    from lms.exams import services as exams
    from lms.exams.models import Attempt, AttemptAnswer, Exam
    from lms.kernel import db

    answers = db.session.scalar(select(func.count()).select_from(AttemptAnswer).where(
        AttemptAnswer.attempt_id == attempt_id))
    timings = []
    for _ in range(rounds):
        db.session.remove()
        started = time.perf_counter()
        attempt = db.session.get(Attempt, attempt_id,
                                 options=[joinedload(Attempt.exam).defer(Exam.snapshot)])
        earned, total = exams.grade_attempt(attempt)
        timings.append(time.perf_counter() - started)
    timings.sort()
    return {"attempt_id": attempt_id, "answers": answers, "rounds": rounds,
            "earned": str(earned), "total": str(total),
            "p50_ms": round(timings[len(timings) // 2] * 1000, 3),
            "p95_ms": round(timings[int(len(timings) * 0.95) - 1] * 1000, 3),
            "max_ms": round(timings[-1] * 1000, 3)}


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.load.exam_seed")
    sub = parser.add_subparsers(dest="command", required=True)
    make = sub.add_parser("seed")
    make.add_argument("--students", type=int, required=True)
    make.add_argument("--class-size", type=int, default=40)
    make.add_argument("--questions", type=int, default=40)
    make.add_argument("--out", required=True)
    timing = sub.add_parser("grade")
    timing.add_argument("--attempt", type=int, required=True)
    timing.add_argument("--rounds", type=int, default=300)
    options = parser.parse_args(argv)

    from lms.app import create_app

    app = create_app()
    with app.app_context():
        if options.command == "seed":
            result = seed(options.students, options.class_size, options.questions)
            with open(options.out, "w") as out:
                json.dump(result, out)
        else:
            print(json.dumps(grade(options.attempt, options.rounds)))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
