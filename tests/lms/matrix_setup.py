"""Shared setup for the matrix tests: topics of Toán 10 and a bank in the 2025 format."""

from sqlalchemy import select

from lms.curriculum.models import CognitiveScale, Subject, Topic, TopicKind
from lms.kernel import db
from lms.questions import services as questions
from tests.question_bank.payloads import RAW


def toan():
    return db.session.scalar(select(Subject).where(Subject.code == "TOAN"))


def levels() -> dict[str, int]:
    scale = db.session.scalar(select(CognitiveScale).where(CognitiveScale.code == "4LEVEL"))
    return {level.code: level.id for level in scale.levels}


def topic(name: str, parent: Topic | None = None, grade: int = 10) -> Topic:
    topic = Topic(subject_id=toan().id, grade=grade, name=name,
                  kind=TopicKind.TOPIC if parent else TopicKind.CHAPTER,
                  parent_id=parent.id if parent else None)
    db.session.add(topic)
    db.session.flush()
    return topic


def payload(kind: str, label: str, **changes) -> dict:
    return {**RAW[kind], "text_html": f"{RAW[kind]['text_html']} ({label})", **changes}


def add_questions(author, topic: Topic, level: str, kind: str, n: int, approve_by=None,
          **changes) -> list:
    """``n`` questions of one cell written by ``author`` (approved when a reviewer is given)."""
    made = []
    for i in range(n):
        meta = questions.QuestionMeta(subject_id=toan().id, grade=topic.grade,
                                      topic_id=topic.id, level_id=levels()[level])
        question = questions.create_question(author, meta, payload(
            kind, f"{topic.name} {level} {kind} {author.username} {i}", **changes))
        if approve_by is not None:
            questions.submit(author, question)
            questions.approve(approve_by, question)
        made.append(question)
    db.session.flush()
    return made


def matrix_json(rows: list[tuple[str, str, int, str, int]], subject="TOAN", grade=10) -> dict:
    """rows: (section name, type, topic id, level, count); points 0.25 / 1 / 0.5 by type."""
    points = {"single_choice": "0.25", "true_false_4": "1", "short_numeric": "0.5"}
    sections: dict[str, dict] = {}
    for name, kind, topic_id, level, count in rows:
        section = sections.setdefault(name, {"name": name, "type": kind, "cells": []})
        section["cells"].append({"topic_id": topic_id, "level": level, "count": count,
                                 "points": points[kind]})
    return {"subject": subject, "grade": grade, "sections": list(sections.values())}


def make_bank(org):
    """Two chapters of Toán 10 with a topic inside the first; a bank in the 2025 format."""
    ham_so = topic("Hàm số")
    bac_hai = topic("Hàm số bậc hai", parent=ham_so)
    vecto = topic("Vectơ")
    teacher = org.teacher_x
    add_questions(teacher, ham_so, "NB", "single_choice", 3)
    add_questions(teacher, bac_hai, "NB", "single_choice", 2)    # a chapter row takes its topics
    add_questions(teacher, ham_so, "TH", "single_choice", 2)
    add_questions(teacher, vecto, "NB", "single_choice", 3)
    add_questions(teacher, ham_so, "TH", "true_false_4", 3)
    add_questions(teacher, vecto, "VD", "short_numeric", 3)
    db.session.commit()
    return {"ham_so": ham_so, "bac_hai": bac_hai, "vecto": vecto}


def rows_2025(bank) -> list:
    return [("Phần I", "single_choice", bank["ham_so"].id, "NB", 4),
            ("Phần I", "single_choice", bank["vecto"].id, "NB", 2),
            ("Phần II", "true_false_4", bank["ham_so"].id, "TH", 2),
            ("Phần III", "short_numeric", bank["vecto"].id, "VD", 2)]


