"""Building an exam from a blueprint (ma trận đề): sections × topics × cognitive levels.

The matrix a client sends (docs/exams.md, "Matrices and variants")::

    {"subject": "TOAN", "grade": 12, "scale": "4LEVEL",
     "sections": [{"name": "Phần I", "type": "single_choice",
                   "cells": [{"topic_id": 7, "level": "NB", "count": 4, "points": "0.25"}]}]}

``normalise_matrix`` checks it and resolves names (every problem at once, with its path);
``cell_pools`` finds the bank questions of every cell; ``create_exam_from_matrix`` raises
``matrix_short`` naming every cell the bank cannot fill, or stores the exam and its matrix.
"""

import random
from collections import Counter

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from lms.auth.permissions import can, require
from lms.core.errors import Conflict, DomainError
from lms.curriculum.models import CognitiveScale, Subject, Topic
from lms.exams import logic, services, usage, variants
from lms.exams.models import Exam, ExamMatrix, ExamState
from lms.kernel import db
from lms.kernel.text import clean_name
from lms.questions.services import visible_condition
from question_bank import QUESTION_TYPES
from question_bank.models import Question, QuestionStatus

MATRIX_SCHEMA = 1
DEFAULT_SCALE = "4LEVEL"
#: Types a section may ask for (a description is not a question).
SECTION_TYPES = tuple(t for t in QUESTION_TYPES if t != "description")
MAX_SECTIONS = 10
MAX_CELLS = 200
MAX_CELL_COUNT = 100
#: Same bound as a hand-picked paper (``question_ids`` of the API).
MAX_QUESTIONS = 200
#: A random-draw exam freezes at most this many candidates per cell into its snapshot, so the
#: snapshot every request reads stays small even when the bank has thousands of matches.
MAX_POOL_PER_CELL = 50
#: … and at most about this many in all (each cell keeps a share in proportion to its count,
#: never less than its count).
MAX_POOL_TOTAL = 1000


class _Problems:
    def __init__(self):
        self.items: list[dict] = []

    def add(self, path: str, message) -> None:
        self.items.append({"path": path, "message": str(message)})


def normalise_matrix(raw) -> dict:
    """The matrix with subject, topics and levels resolved (models.ExamMatrix docstring), or
    DomainError ``invalid_matrix`` listing every problem as ``details.problems``."""
    problems = _Problems()
    if not isinstance(raw, dict):
        raise DomainError(_l("Ma trận đề phải là một đối tượng JSON."), code="invalid_matrix",
                          details={"problems": [{"path": "", "message": "not an object"}]})
    unknown = set(raw) - {"subject", "grade", "scale", "sections"}
    if unknown:
        problems.add("", _l("Trường không được hỗ trợ: %(keys)s.", keys=", ".join(sorted(unknown))))
    subject = _subject(raw.get("subject"), problems)
    grade = raw.get("grade")
    if not isinstance(grade, int) or isinstance(grade, bool) or not 1 <= grade <= 12:
        problems.add("grade", _l("Khối lớp phải là số từ 1 đến 12."))
        grade = None
    elif subject is not None and grade not in subject.grades:
        problems.add("grade", _l("Môn %(subject)s không dạy ở khối %(grade)s.",
                                 subject=subject.name, grade=grade))
    levels = _levels(raw.get("scale", DEFAULT_SCALE), problems)
    topics = _topics(raw.get("sections"), subject, grade, problems)
    sections = _sections(raw.get("sections"), topics, levels, problems)
    _raise_if(problems)
    return {"schema": MATRIX_SCHEMA, "subject": subject.code, "subject_id": subject.id,
            "grade": grade, "scale": str(raw.get("scale", DEFAULT_SCALE)), "sections": sections}


def _raise_if(problems: _Problems) -> None:
    if not problems.items:
        return
    first = "; ".join(f"{p['path'] or 'matrix'}: {p['message']}" for p in problems.items[:5])
    more = len(problems.items) - 5
    raise DomainError(_l("Ma trận đề chưa hợp lệ: %(problems)s%(more)s", problems=first,
                         more=_l(" (và %(n)s lỗi khác)", n=more) if more > 0 else ""),
                      code="invalid_matrix", details={"problems": problems.items})


def _subject(code, problems: _Problems) -> Subject | None:
    subject = db.session.scalar(select(Subject).where(Subject.code == str(code or "").upper()))
    if subject is None:
        problems.add("subject", _l("Không có môn học mã %(code)s.", code=str(code)[:20]))
    return subject


def _levels(code, problems: _Problems) -> dict:
    """Level code → CognitiveLevel of the matrix's scale (4 or 3 levels)."""
    scale = db.session.scalar(select(CognitiveScale).where(CognitiveScale.code == str(code)))
    if scale is None:
        problems.add("scale", _l("Không có thang mức độ %(code)s (có: 4LEVEL, 3LEVEL).",
                                 code=str(code)[:20]))
        return {}
    return {level.code: level for level in scale.levels}


def _topics(sections, subject, grade, problems: _Problems) -> dict | None:
    """Topic id → Topic for every topic id the cells name that belongs to the subject and
    grade; None when those are themselves wrong (the topics cannot be judged then)."""
    if subject is None or grade is None:
        return None
    ids = {cell.get("topic_id") for section in sections or [] if isinstance(section, dict)
           for cell in section.get("cells") or [] if isinstance(cell, dict)}
    ids = {i for i in ids if isinstance(i, int) and not isinstance(i, bool)}
    if not ids:
        return {}
    found = db.session.scalars(select(Topic).where(Topic.id.in_(ids))).all()
    return {t.id: t for t in found if t.subject_id == subject.id and t.grade == grade}


def _sections(raw, topics: dict | None, levels: dict, problems: _Problems) -> list[dict]:
    if not isinstance(raw, list) or not raw:
        problems.add("sections", _l("Cần ít nhất một phần (Phần I, II, III…)."))
        return []
    if len(raw) > MAX_SECTIONS:
        problems.add("sections", _l("Tối đa %(n)s phần.", n=MAX_SECTIONS))
    sections, seen, total, cells_seen = [], set(), 0, 0
    for s_index, section in enumerate(raw[:MAX_SECTIONS]):
        path = f"sections[{s_index}]"
        if not isinstance(section, dict):
            problems.add(path, _l("Mỗi phần phải là một đối tượng JSON."))
            continue
        unknown = set(section) - {"name", "type", "cells"}
        if unknown:
            problems.add(path, _l("Trường không được hỗ trợ: %(keys)s.",
                                  keys=", ".join(sorted(unknown))))
        name = clean_name(str(section.get("name") or ""))[:60]
        if not name:
            problems.add(f"{path}.name", _l("Phần cần có tên (ví dụ Phần I)."))
        elif name in {s["name"] for s in sections}:
            problems.add(f"{path}.name", _l("Tên phần %(name)s bị trùng.", name=name))
        kind = section.get("type")
        if kind not in SECTION_TYPES:
            problems.add(f"{path}.type", _l("Loại câu hỏi %(type)s không hợp lệ (được: %(types)s).",
                                            type=str(kind)[:30], types=", ".join(SECTION_TYPES)))
        cells = []
        if not isinstance(section.get("cells"), list) or not section["cells"]:
            problems.add(f"{path}.cells", _l("Phần %(name)s cần ít nhất một ô.", name=name))
        for c_index, cell in enumerate(section.get("cells") or []
                                       if isinstance(section.get("cells"), list) else []):
            cells_seen += 1
            checked = _cell(cell, f"{path}.cells[{c_index}]", topics, levels, problems)
            if checked is None:
                continue
            key = (name, checked["topic_id"], checked["level"])
            if key in seen:
                problems.add(f"{path}.cells[{c_index}]",
                             _l("Ô %(topic)s · %(level)s đã có trong %(name)s.",
                                topic=checked["topic"], level=checked["level"], name=name))
            seen.add(key)
            total += checked["count"]
            cells.append(checked)
        sections.append({"name": name, "type": kind, "cells": cells})
    if cells_seen > MAX_CELLS:
        problems.add("sections", _l("Tối đa %(n)s ô.", n=MAX_CELLS))
    if total > MAX_QUESTIONS:
        problems.add("sections", _l("Ma trận có %(n)s câu; tối đa %(max)s.", n=total,
                                    max=MAX_QUESTIONS))
    return sections


def _cell(cell, path: str, topics: dict | None, levels: dict, problems: _Problems) -> dict | None:
    """One cell checked: topic of the subject and grade, level of the scale, count, points."""
    if not isinstance(cell, dict):
        problems.add(path, _l("Mỗi ô phải là một đối tượng JSON."))
        return None
    before = len(problems.items)
    unknown = set(cell) - {"topic_id", "level", "count", "points"}
    if unknown:
        problems.add(path, _l("Trường không được hỗ trợ: %(keys)s.",
                              keys=", ".join(sorted(unknown))))
    topic_id = cell.get("topic_id")
    topic = (topics or {}).get(topic_id) if isinstance(topic_id, int) else None
    if topic is None and (topics is not None or not isinstance(topic_id, int)):
        problems.add(f"{path}.topic_id",
                     _l("Chủ đề mã %(id)s không có hoặc không thuộc môn và khối của đề.",
                        id=str(cell.get("topic_id"))[:20]))
    level = levels.get(cell.get("level")) if isinstance(cell.get("level"), str) else None
    if level is None:
        problems.add(f"{path}.level", _l("Mức độ %(level)s không có trong thang (được: %(codes)s).",
                                         level=str(cell.get("level"))[:20],
                                         codes=", ".join(levels) or "—"))
    count = cell.get("count")
    if not isinstance(count, int) or isinstance(count, bool) or not 1 <= count <= MAX_CELL_COUNT:
        problems.add(f"{path}.count", _l("Số câu của ô phải từ 1 đến %(n)s.", n=MAX_CELL_COUNT))
    points = logic.parse_points(cell.get("points"))
    if points is None:
        problems.add(f"{path}.points",
                     services.POINTS_MESSAGE)
    if len(problems.items) > before or topic is None:
        return None
    return {"topic_id": topic.id, "topic": topic.name, "level": level.code,
            "level_id": level.id, "level_name": level.name, "count": count, "points": str(points)}




# ---------------------------------------------------------------- the bank


def cells(spec: dict):
    """(index, section, cell) for every cell in paper order."""
    index = 0
    for section in spec["sections"]:
        for cell in section["cells"]:
            yield index, section, cell
            index += 1


def _candidates(actor, spec: dict, section: dict, cell: dict) -> list[Question]:
    """Bank questions for one cell that the actor may use: approved ones and their own
    (not archived), of the subject, grade, type and level, tagged with the cell's topic or a
    topic inside it (a chapter row takes the questions of its lessons)."""
    topic_ids = [cell["topic_id"], *db.session.scalars(
        select(Topic.id).where(Topic.parent_id == cell["topic_id"]))]
    rows = db.session.scalars(select(Question).where(
        Question.subject_id == spec["subject_id"], Question.grade == spec["grade"],
        Question.type == section["type"], Question.level_id == cell["level_id"],
        Question.topic_id.in_(topic_ids), Question.status != QuestionStatus.ARCHIVED,
        Question.current_version_id.is_not(None), visible_condition(actor))
        .order_by(Question.id))
    return [q for q in rows if can(actor, "question.view", q)]


def cell_pools(actor, spec: dict) -> list[list[Question]]:
    """The questions available to each cell, disjoint, so no paper or draw shows a question
    twice. A question matching several cells first fills the earliest cell still short of
    its count (questions matching only one cell are taken first); what is left over then
    widens the first cell it matches."""
    candidates = [_candidates(actor, spec, section, cell) for _i, section, cell in cells(spec)]
    matches = Counter(q.id for pool in candidates for q in pool)
    counts = [cell["count"] for _i, _section, cell in cells(spec)]
    used: set[int] = set()
    pools: list[list[Question]] = []
    for pool, count in zip(candidates, counts, strict=True):
        free = sorted((q for q in pool if q.id not in used), key=lambda q: matches[q.id] > 1)
        pools.append(free[:count])
        used.update(q.id for q in free[:count])
    for pool, taken in zip(candidates, pools, strict=True):
        extra = [q for q in pool if q.id not in used]
        taken.extend(extra)
        used.update(q.id for q in extra)
    return pools


def shortages(spec: dict, pools: list[list[Question]]) -> list[dict]:
    """Every cell whose pool is smaller than its count: section, topic, level, how many short."""
    short = []
    for index, section, cell in cells(spec):
        available = len(pools[index])
        if available < cell["count"]:
            short.append({"cell": index, "section": section["name"], "type": section["type"],
                          "topic_id": cell["topic_id"], "topic": cell["topic"],
                          "level": cell["level"], "level_name": cell["level_name"],
                          "needed": cell["count"], "available": available,
                          "missing": cell["count"] - available})
    return short


def _raise_short(short: list[dict]) -> None:
    lines = "; ".join(str(_l("%(section)s · %(topic)s · %(level)s: cần %(needed)s, có "
                             "%(available)s, thiếu %(missing)s", **s)) for s in short)
    raise DomainError(_l("Ngân hàng câu hỏi chưa đủ cho %(n)s ô của ma trận — %(cells)s.",
                         n=len(short), cells=lines),
                      code="matrix_short", details={"cells": short})


def selection_from(spec: dict, pools: list[list[Question]], draw_per_attempt: bool,
                   rng: random.Random) -> list[dict]:
    """The exam's selection: ``count`` questions per cell (fixed paper, variants), or the
    cell's pool, at most MAX_POOL_PER_CELL and its share of MAX_POOL_TOTAL (random draw per
    student)."""
    selection = []
    total = sum(cell["count"] for _i, _section, cell in cells(spec))
    for index, section, cell in cells(spec):
        pool, count = pools[index], cell["count"]
        share = max(count, MAX_POOL_TOTAL * count // total)
        size = min(len(pool), MAX_POOL_PER_CELL, share) if draw_per_attempt else count
        picked = sorted(rng.sample(pool, size), key=lambda q: q.id)
        described = {"index": index, "section": section["name"], "topic_id": cell["topic_id"],
                     "level": cell["level"], "count": cell["count"]}
        selection.extend({"question_id": q.id, "points": cell["points"],
                          "section": section["name"], "cell": described} for q in picked)
    return selection


def create_exam_from_matrix(actor, title: str, raw_matrix, settings: dict | None = None) -> Exam:
    """A draft exam whose questions come from the bank by the matrix; ``matrix_short`` names
    every cell the bank cannot fill."""
    require(actor, "exam.create")
    title = _title(title)
    settings = services.normalise_settings(settings)
    spec, selection = _draw(actor, raw_matrix, settings)
    exam = Exam(title=title, owner_id=actor.id, settings=settings, selection=selection,
                subject_id=spec["subject_id"], grade=spec["grade"])
    db.session.add(exam)
    db.session.flush()
    db.session.add(ExamMatrix(exam_id=exam.id, spec=spec))
    usage.record_usage(exam)
    return exam


def update_exam_matrix(actor, exam: Exam, title: str, raw_matrix,
                       settings: dict | None = None) -> Exam:
    """A draft's new matrix: the bank is checked again exactly as at creation (``matrix_short``
    names every short cell and nothing changes) and the questions are drawn anew. Settings are
    laid over the current ones. A published test keeps its matrix (its papers are frozen)."""
    require(actor, "exam.manage", exam)
    row = db.session.scalar(select(ExamMatrix).where(ExamMatrix.exam_id == exam.id))
    if row is None:
        raise Conflict(_l("Bài kiểm tra này được chọn câu hỏi bằng tay, không có ma trận để "
                          "sửa."), code="no_matrix")
    if exam.state != ExamState.DRAFT:
        raise Conflict(_l("Bài kiểm tra đã phát hành nên không sửa được ma trận nữa (học sinh "
                          "đã có thể làm bài). Hãy tạo một bài mới từ ma trận."),
                       code="published")
    title = _title(title)
    settings = services.normalise_settings(settings, base=exam.settings)
    spec, selection = _draw(actor, raw_matrix, settings)
    exam.title, exam.settings, exam.selection = title, settings, selection
    exam.subject_id, exam.grade = spec["subject_id"], spec["grade"]
    row.spec = spec
    usage.record_usage(exam)
    return exam


def _title(title: str) -> str:
    title = clean_name(title)
    if not title:
        raise DomainError(_l("Cần tên bài kiểm tra và ít nhất một câu hỏi."), code="invalid")
    return title[:300]


def _draw(actor, raw_matrix, settings: dict) -> tuple[dict, list[dict]]:
    """The normalised matrix and a selection from the bank, or ``matrix_short``."""
    spec = normalise_matrix(raw_matrix)
    pools = cell_pools(actor, spec)
    short = shortages(spec, pools)
    if short:
        _raise_short(short)
    draw = settings.get("generation") == variants.RANDOM_DRAW
    return spec, selection_from(spec, pools, draw, random.SystemRandom())


def matrix_of(exam: Exam) -> dict | None:
    """The exam's normalised matrix, or None for a hand-picked paper."""
    row = db.session.scalar(select(ExamMatrix).where(ExamMatrix.exam_id == exam.id))
    return row.spec if row else None


def availability(actor, subject_id: int, grade: int) -> dict[tuple[str, int, int], int]:
    """(type, topic id, level id) → usable questions, a chapter counting its topics too: the
    hints a matrix form shows next to each cell (the build itself re-checks every question)."""
    rows = db.session.execute(
        select(Question.type, Question.topic_id, Question.level_id, func.count())
        .where(Question.subject_id == subject_id, Question.grade == grade,
               Question.topic_id.is_not(None), Question.level_id.is_not(None),
               Question.status != QuestionStatus.ARCHIVED, visible_condition(actor))
        .group_by(Question.type, Question.topic_id, Question.level_id)).all()
    parents = dict(db.session.execute(select(Topic.id, Topic.parent_id).where(
        Topic.subject_id == subject_id, Topic.grade == grade)).all())
    counts: Counter = Counter()
    for kind, topic_id, level_id, n in rows:
        counts[(kind, topic_id, level_id)] += n
        if parents.get(topic_id):
            counts[(kind, parents[topic_id], level_id)] += n
    return dict(counts)
