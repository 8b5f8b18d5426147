"""Curriculum reference data: subjects by grade, cognitive-level scales, the topic tree."""

import enum

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from lms.kernel import db, db_enum


class Subject(db.Model):
    """A subject (môn học) with a stable ASCII code such as ``TOAN``."""

    __tablename__ = "subject"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(20), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    #: Grades it is taught in, stored as a comma list (``"10,11,12"``).
    grades_csv: Mapped[str] = mapped_column(String(40))
    #: Rated Đạt / Chưa đạt instead of a numeric score (Thông tư 22/2021).
    comment_only: Mapped[bool] = mapped_column(default=False)
    position: Mapped[int] = mapped_column(default=0)

    @property
    def grades(self) -> list[int]:
        return [int(g) for g in self.grades_csv.split(",") if g]


class CognitiveScale(db.Model):
    """A scale of cognitive levels: the 4-level default or the 3-level one of the 2018 programme."""

    __tablename__ = "cognitive_scale"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(20), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    levels = relationship("CognitiveLevel", order_by="CognitiveLevel.rank", lazy="selectin")


class CognitiveLevel(db.Model):
    """One level of a scale, e.g. ``NB`` Nhận biết (rank 1)."""

    __tablename__ = "cognitive_level"
    __table_args__ = (UniqueConstraint("scale_id", "code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    scale_id: Mapped[int] = mapped_column(ForeignKey("cognitive_scale.id"))
    code: Mapped[str] = mapped_column(String(10))
    name: Mapped[str] = mapped_column(String(60))
    rank: Mapped[int]


class TopicKind(enum.StrEnum):
    CHAPTER = "chapter"
    TOPIC = "topic"


class Topic(db.Model):
    """A node under subject → grade: a chapter (chương) or a topic (chủ đề / bài)."""

    __tablename__ = "topic"

    id: Mapped[int] = mapped_column(primary_key=True)
    subject_id: Mapped[int] = mapped_column(ForeignKey("subject.id"), index=True)
    grade: Mapped[int]
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("topic.id"))
    kind: Mapped[TopicKind] = mapped_column(db_enum(TopicKind, 10))
    name: Mapped[str] = mapped_column(String(200))
    position: Mapped[int] = mapped_column(default=0)

    subject = relationship("Subject")
    parent = relationship("Topic", remote_side=[id], back_populates="children")
    children = relationship("Topic", back_populates="parent", order_by="Topic.position")
