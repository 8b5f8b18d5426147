"""Editing the curriculum: subject names and grades, and the chapter/topic tree per grade."""

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from lms.auth.permissions import require
from lms.core.errors import DomainError
from lms.curriculum.models import Subject, Topic, TopicKind
from lms.kernel import db
from lms.kernel.text import clean_name


def edit_subject(actor, subject: Subject, name: str, grades: list[int]) -> Subject:
    """Rename a subject and set its grades (each 0–12); its stable code never changes."""
    require(actor, "curriculum.manage")
    name = clean_name(name)
    if not name:
        raise DomainError(_l("Tên môn không được để trống."), code="invalid_subject")
    if not grades or any(g < 0 or g > 12 for g in grades):
        raise DomainError(_l("Khối phải từ 1 đến 12 (0 cho mầm non)."), code="invalid_grades")
    subject.name = name
    subject.grades_csv = ",".join(str(g) for g in sorted(set(grades)))
    db.session.flush()
    return subject


def topic_tree(subject: Subject, grade: int) -> list[Topic]:
    """The chapters of a subject and grade, in order (their topics hang below them)."""
    return db.session.scalars(select(Topic).where(
        Topic.subject_id == subject.id, Topic.grade == grade, Topic.parent_id.is_(None))
        .order_by(Topic.position, Topic.id)).all()


def add_topic(actor, subject: Subject, grade: int, name: str, parent: Topic | None) -> Topic:
    """A chapter (no parent) or a topic inside a chapter of the same subject and grade."""
    require(actor, "curriculum.manage")
    name = clean_name(name)
    if grade not in subject.grades:
        raise DomainError(_l("Môn %(subject)s không dạy ở khối %(grade)d.", subject=subject.name,
                             grade=grade), code="invalid_grade")
    if not name:
        raise DomainError(_l("Tên không được để trống."), code="invalid_topic")
    if parent is not None and (parent.subject_id != subject.id or parent.grade != grade
                               or parent.kind != TopicKind.CHAPTER):
        raise DomainError(_l("Chủ đề phải nằm trong một chương của cùng môn và khối."),
                          code="invalid_parent")
    last = db.session.scalar(select(func.max(Topic.position)).where(
        Topic.subject_id == subject.id, Topic.grade == grade,
        Topic.parent_id == parent.id if parent else Topic.parent_id.is_(None)))
    topic = Topic(subject_id=subject.id, grade=grade, name=name,
                  parent_id=parent.id if parent else None,
                  kind=TopicKind.TOPIC if parent else TopicKind.CHAPTER,
                  position=(last if last is not None else -1) + 1)
    db.session.add(topic)
    db.session.flush()
    return topic


def rename_topic(actor, topic: Topic, name: str) -> Topic:
    """Rename a chapter or topic."""
    require(actor, "curriculum.manage")
    name = clean_name(name)
    if not name:
        raise DomainError(_l("Tên không được để trống."), code="invalid_topic")
    topic.name = name
    db.session.flush()
    return topic


def move_topic(actor, topic: Topic, step: int) -> None:
    """Move a node one place up (-1) or down (+1) among its siblings; positions become 0..n-1."""
    require(actor, "curriculum.manage")
    siblings = db.session.scalars(select(Topic).where(
        Topic.subject_id == topic.subject_id, Topic.grade == topic.grade,
        Topic.parent_id == topic.parent_id if topic.parent_id else Topic.parent_id.is_(None))
        .order_by(Topic.position, Topic.id)).all()
    index = siblings.index(topic)
    target = min(max(index + step, 0), len(siblings) - 1)
    siblings.insert(target, siblings.pop(index))
    for position, node in enumerate(siblings):
        node.position = position
    db.session.flush()


def delete_topic(actor, topic: Topic) -> None:
    """Delete a node that has nothing below it."""
    require(actor, "curriculum.manage")
    if topic.children:
        raise DomainError(_l("Chỉ xóa được chương không còn chủ đề nào bên trong."),
                          code="topic_not_empty")
    db.session.delete(topic)
    db.session.flush()
