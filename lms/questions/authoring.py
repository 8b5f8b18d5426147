"""Writing questions in the browser: editor choices, image and audio uploads, version diffs.

The editor itself (lms/static/js/question-editor.js) builds a type's payload; the server checks
it with ``services.checked_payload`` exactly like the API and the importers do.
"""

import io
import json
from dataclasses import dataclass
from typing import BinaryIO

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from lms.auth.permissions import require
from lms.core.errors import DomainError, TooLarge
from lms.core.storage import storage
from lms.curriculum.models import CognitiveLevel, CognitiveScale, Subject, Topic
from lms.kernel import db
from lms.questions.transfer import attachment_key, media_url
from question_bank import QUESTION_TYPES

MAX_MEDIA_BYTES = 5 * 1024 * 1024

#: (leading bytes, offset, content kind, extension). SVG is not accepted: it can carry script.
_SIGNATURES = (
    (b"\x89PNG\r\n\x1a\n", 0, "image", "png"),
    (b"\xff\xd8\xff", 0, "image", "jpg"),
    (b"GIF87a", 0, "image", "gif"),
    (b"GIF89a", 0, "image", "gif"),
    (b"WEBP", 8, "image", "webp"),
    (b"ID3", 0, "audio", "mp3"),
    (b"\xff\xfb", 0, "audio", "mp3"),
    (b"\xff\xf3", 0, "audio", "mp3"),
    (b"OggS", 0, "audio", "ogg"),
    (b"WAVE", 8, "audio", "wav"),
    (b"ftypM4A", 4, "audio", "m4a"),
)


def sniff_media(head: bytes) -> tuple[str, str] | None:
    """(kind, extension) of an image or audio file from its first bytes, else None."""
    for magic, offset, kind, extension in _SIGNATURES:
        if head[offset:offset + len(magic)] == magic:
            if extension in ("webp", "wav") and not head.startswith(b"RIFF"):
                continue
            return kind, extension
    return None


@dataclass(frozen=True)
class StoredMedia:
    url: str
    kind: str


def store_media(actor, filename: str, stream: BinaryIO) -> StoredMedia:
    """Keep an uploaded image or audio file for question text; the type comes from the bytes
    and the stored name gets the matching extension, so it is served as what it is."""
    require(actor, "question.create")
    data = stream.read(MAX_MEDIA_BYTES + 1)
    if len(data) > MAX_MEDIA_BYTES:
        raise TooLarge(_l("Tệp %(name)s lớn hơn %(mb)d MB.", name=filename,
                          mb=MAX_MEDIA_BYTES // (1024 * 1024)))
    found = sniff_media(data[:16])
    if found is None:
        raise DomainError(_l("Tệp %(name)s không phải ảnh (PNG, JPEG, GIF, WebP) hay âm thanh "
                             "(MP3, OGG, WAV, M4A).", name=filename), code="unsupported_media")
    kind, extension = found
    stem = (filename or "tep").rsplit("/", 1)[-1].rsplit(".", 1)[0] or "tep"
    key = attachment_key(f"{stem}.{extension}", data)
    store = storage()
    if not store.exists(key):
        store.put_stream(key, io.BytesIO(data), len(data))
    return StoredMedia(url=media_url(key), kind=kind)


def editor_choices() -> dict:
    """Subjects, topics and cognitive levels for the metadata fields of the editor."""
    subjects = db.session.scalars(select(Subject).order_by(Subject.position, Subject.name)).all()
    topics = db.session.scalars(select(Topic).order_by(Topic.subject_id, Topic.grade,
                                                       Topic.position, Topic.name)).all()
    levels = db.session.execute(
        select(CognitiveLevel, CognitiveScale.name)
        .join(CognitiveScale, CognitiveLevel.scale_id == CognitiveScale.id)
        .order_by(CognitiveScale.id, CognitiveLevel.rank)).all()
    return {"subjects": subjects, "topics": topics,
            "levels": [(level, scale) for level, scale in levels],
            "types": editor_choices_types()}


def editor_choices_types() -> list[str]:
    """Every question type the editor writes, in the registry's order."""
    return list(QUESTION_TYPES)


def blank_payload(type_name: str) -> dict:
    """A starting payload for the editor (not yet valid: the teacher fills it in)."""
    starts = {
        "single_choice": {"shuffle": True, "options": [
            {"id": c, "text_html": "", "correct": c == "a"} for c in "abcd"]},
        "multiple_response": {"shuffle": True, "options": [
            {"id": c, "text_html": "", "correct": False} for c in "abcd"]},
        "true_false": {"answer": True},
        "true_false_4": {"statements": [{"id": c, "text_html": "", "answer": True}
                                        for c in "abcd"]},
        "short_text": {"answers": [{"text": "", "fraction": "1"}]},
        "short_numeric": {"answers": [{"value": "", "tolerance": "0", "fraction": "1"}],
                          "format_2025": True},
        "matching": {"pairs": [{"id": str(i), "left_html": "", "right_html": ""}
                               for i in (1, 2, 3)]},
        "ordering": {"items": [{"id": str(i), "text_html": ""} for i in (1, 2, 3)]},
        "cloze": {"gaps": [{"id": "g1", "kind": "text", "points": "1",
                            "answers": [{"text": "", "fraction": "1"}]}]},
        "essay": {"rubric": [{"criterion": "", "points": "1"}]},
        "stimulus": {"children": []},
        "description": {},
    }
    if type_name not in starts:
        raise DomainError(_l("Không có loại câu hỏi %(type)s.", type=type_name),
                          code="unknown_type")
    return {"schema": 1, "type": type_name, "text_html": "", **starts[type_name]}


def _flatten(value, path: str = "") -> dict[str, str]:
    if isinstance(value, dict):
        items = {}
        for key in sorted(value):
            items.update(_flatten(value[key], f"{path}.{key}" if path else key))
        return items
    if isinstance(value, list):
        items = {}
        for index, item in enumerate(value):
            items.update(_flatten(item, f"{path}[{index + 1}]"))
        return items or {path: "[]"}
    return {path: value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)}


def version_changes(older, newer) -> list[dict]:
    """payload_changes of two QuestionVersions, led by the title when it changed."""
    title = [{"field": "title", "before": older.title or None, "after": newer.title or None}] \
        if older.title != newer.title else []
    return title + payload_changes(older.payload, newer.payload)


def payload_changes(older: dict, newer: dict) -> list[dict]:
    """Field-by-field differences between two payloads, in a stable order:
    ``[{"field": "options[2].text_html", "before": …, "after": …}]`` (None: absent)."""
    before, after = _flatten(older), _flatten(newer)
    changes = []
    for field in sorted(set(before) | set(after)):
        if before.get(field) != after.get(field):
            changes.append({"field": field, "before": before.get(field),
                            "after": after.get(field)})
    return changes
