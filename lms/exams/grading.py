"""Manual grading of essays and regrading after a key is corrected (issue 4 §4).

- The grading queue lists, for every finished attempt, the slots the computer does not score
  (``manual_slots``: essays, and stimulus slots none of whose children is scored
  automatically) and the essay children of stimulus slots that also have objective children
  (``essay_children``; an item is then slot + ``child``). Blind mode hides the students and
  shuffles the attempts.
- In such a mixed stimulus every scored child (objective or essay; descriptions do not count)
  is worth an equal share of the slot's points (``child_share``): the objective children are
  scored automatically (``services.slot_fractions``), each essay child is graded by hand out
  of its share. Their grades live in the slot's one ``ManualGrade`` row: ``points`` is the sum
  of the graded essay children, ``rubric`` is ``{"children": {"<index>": {points, rubric,
  comment, grader_id, graded_at}}}``; ``services.grade_attempt`` adds ``points`` to the
  objective part.
- ``set_grade`` stores a ``ManualGrade`` (points, or a score per rubric criterion) and
  re-totals the attempt with ``services.grade_attempt``, exactly, with ``Decimal``.
- ``regrade`` scores every finished attempt against an edited key of one slot: a dry run
  reports before/after and changes nothing; applying it replaces the slot's payload in the
  snapshot (the old one kept in the entry's ``history``) and updates every attempt in the
  caller's transaction.

Every change of a student's final grade is announced through ``hooks.final_grade_changed``
(the class gradebook's seam); ``on_final_grade`` connects a receiver.
"""

import copy
import hashlib
import hmac
from collections.abc import Callable
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select, update

from lms.auth.models import User
from lms.auth.permissions import can, require
from lms.core.errors import Conflict, DomainError, NotFound
from lms.core.models import utcnow
from lms.exams import hooks, logic, services
from lms.exams.models import (
    Attempt,
    AttemptAnswer,
    AttemptState,
    Exam,
    ExamAssignment,
    ExamState,
    ManualGrade,
)
from lms.kernel import db
from lms.kernel.text import nfc
from lms.org.models import SchoolClass
from question_bank import PayloadError, UnknownQuestionType, get_type, public_keys, validate_payload

MAX_COMMENT_CHARS = 4000
POINT_PLACES = Decimal("0.0001")

final_grade_changed = hooks.final_grade_changed


def on_final_grade(receiver: Callable) -> Callable:
    """Connect ``receiver(exam, user_id=, grade=, previous=, reason=)`` to
    ``final_grade_changed`` (see lms.exams.hooks); usable as a decorator. The caller keeps a
    reference to the function (blinker holds receivers weakly)."""
    final_grade_changed.connect(receiver)
    return receiver


# ---------------------------------------------------------------- which slots need a teacher


def snapshot_entry(exam: Exam, slot: int) -> dict:
    """The exam's frozen entry for ``slot``, or a 400 naming the slot."""
    entry = next((e for e in exam.snapshot if e["slot"] == slot), None)
    if entry is None:
        raise DomainError(_l("Câu %(slot)s không có trong bài kiểm tra.", slot=slot),
                          code="unknown_slot")
    return entry


def needs_manual(payload: dict) -> bool:
    """True for a payload whose score is None whatever the response: an essay, or a stimulus
    with no automatically scored child and at least one essay."""
    if payload["type"] == "essay":
        return True
    if payload["type"] == "stimulus":
        children = payload.get("children") or []
        return (not any(get_type(c["type"]).auto_scored for c in children)
                and any(c["type"] == "essay" for c in children))
    return False


def manual_slots(exam: Exam) -> dict[int, dict]:
    """slot → snapshot entry, for the slots graded by hand as a whole."""
    return {e["slot"]: e for e in exam.snapshot if needs_manual(e["payload"])}


def essay_children(payload: dict) -> list[int]:
    """Indices of the essay children of a stimulus that also has automatically scored
    children (those essays are graded one by one, out of ``child_share``); [] otherwise."""
    if payload["type"] != "stimulus":
        return []
    children = payload.get("children") or []
    if not any(get_type(c["type"]).auto_scored for c in children):
        return []
    return [i for i, c in enumerate(children) if c["type"] == "essay"]


def child_share(entry: dict) -> Decimal:
    """The points one scored child of a mixed stimulus is worth: the slot's points shared
    equally by its objective and essay children (the rule of ``services.slot_fractions``)."""
    children = entry["payload"].get("children") or []
    scored = sum(1 for c in children if get_type(c["type"]).auto_scored or c["type"] == "essay")
    return logic.stored_points(entry["points"]) / scored


def share_text(share: Decimal) -> str:
    """A share as shown and checked: half-up to 4 places (the precision of a grade), so
    2 points over 4 children read "0.5" and 1 point over 3 children "0.3333"."""
    return format(share.quantize(POINT_PLACES, rounding=ROUND_HALF_UP).normalize(), "f")


def hand_graded_slots(exam: Exam) -> dict[int, dict]:
    """slot → entry for every slot with something graded by hand (whole or children)."""
    return {e["slot"]: e for e in exam.snapshot
            if needs_manual(e["payload"]) or essay_children(e["payload"])}


def child_grades(grade: ManualGrade | None) -> dict[str, dict]:
    """The per-child grades stored in a mixed stimulus slot's row ("<index>" → grade)."""
    if grade is None or not isinstance(grade.rubric, dict):
        return {}
    return dict(grade.rubric.get("children") or {})


def ungraded_parts(entry: dict, grade: ManualGrade | None) -> int:
    """How many hand-graded parts of the slot still wait for a teacher."""
    if needs_manual(entry["payload"]):
        return int(grade is None)
    done = child_grades(grade)
    return sum(1 for i in essay_children(entry["payload"]) if str(i) not in done)


def _rubric(entry: dict) -> list[dict]:
    return list(entry["payload"].get("rubric") or []) if entry["payload"]["type"] == "essay" \
        else []


def child_text(response, index: int) -> str:
    """The text a stimulus response gives for child ``index`` ("" when none)."""
    children = (response or {}).get("children") if isinstance(response, dict) else None
    given = children[index] if isinstance(children, list) and index < len(children) else None
    return str(given.get("text") or "") if isinstance(given, dict) else ""


def answer_texts(payload: dict, response) -> list[str]:
    """The essay texts of a stored response (one per essay child for a stimulus)."""
    if not isinstance(response, dict):
        return [""] if payload["type"] == "essay" else []
    if payload["type"] == "essay":
        return [str(response.get("text") or "")]
    children = response.get("children") or []
    texts = []
    for index, child in enumerate(payload.get("children") or []):
        if child["type"] == "essay":
            given = children[index] if index < len(children) else None
            texts.append(str((given or {}).get("text") or "") if isinstance(given, dict) else "")
    return texts


# ---------------------------------------------------------------- the queue


def grade_view(grade: ManualGrade | None, child: int | None = None) -> dict | None:
    """A grade as the API shows it; with ``child``, that essay child's grade in the row."""
    if grade is None:
        return None
    if child is not None:
        mark = child_grades(grade).get(str(child))
        return None if mark is None else {
            "points": mark["points"], "rubric": mark.get("rubric"),
            "comment": mark.get("comment", ""), "grader_id": mark.get("grader_id"),
            "graded_at": mark.get("graded_at")}
    return {"points": str(grade.points), "rubric": grade.rubric, "comment": grade.comment,
            "grader_id": grade.grader_id, "graded_at": services.iso(grade.graded_at)}


def blind_order(exam: Exam, actor, attempt_ids: list[int]) -> list[int]:
    """Attempt ids in an order that depends on neither names nor ids, but stays the same for
    this grader and exam from one request to the next (one answer at a time)."""
    secret = current_app.config["SECRET_KEY"].encode()

    def key(attempt_id: int) -> bytes:
        return hmac.new(secret, f"blind:{exam.id}:{actor.id}:{attempt_id}".encode(),
                        hashlib.sha256).digest()

    return sorted(attempt_ids, key=key)


def grading_parts(entry: dict) -> list[dict]:
    """What a teacher grades in one slot: the whole slot, or each essay child of a mixed
    stimulus. Each part: ``child`` (None for the whole slot), ``points`` (its maximum, text),
    ``text_html``, ``child_html``, ``reference_html`` and ``rubric``."""
    payload = entry["payload"]
    if needs_manual(payload):
        return [{"child": None, "points": entry["points"], "text_html": payload["text_html"],
                 "child_html": "", "reference_html": payload.get("reference_html", ""),
                 "rubric": _rubric(entry)}]
    share = share_text(child_share(entry)) if essay_children(payload) else None
    return [{"child": index, "points": share, "text_html": payload["text_html"],
             "child_html": payload["children"][index]["text_html"],
             "reference_html": payload["children"][index].get("reference_html", ""),
             "rubric": list(payload["children"][index].get("rubric") or [])}
            for index in essay_children(payload)]


def queue(actor, exam: Exam, blind: bool = False, include_graded: bool = False) -> dict:
    """Every (finished attempt, hand-graded slot or essay child); ungraded ones only unless
    ``include_graded``. ``blind`` hides who wrote each answer and shuffles the attempts;
    each item then carries only an anonymous ``label`` ("#3")."""
    require(actor, "exam.grade", exam)
    slots = hand_graded_slots(exam)
    attempts = list(db.session.scalars(
        select(Attempt).where(Attempt.exam_id == exam.id, Attempt.state == AttemptState.FINISHED)
        .order_by(Attempt.id)))
    ids = [a.id for a in attempts]
    answers, grades = {}, {}
    if ids and slots:
        for row in db.session.scalars(select(AttemptAnswer).where(
                AttemptAnswer.attempt_id.in_(ids), AttemptAnswer.slot.in_(list(slots)))):
            answers[(row.attempt_id, row.slot)] = row.response
        for row in db.session.scalars(select(ManualGrade).where(
                ManualGrade.attempt_id.in_(ids))):
            grades[(row.attempt_id, row.slot)] = row
    users = {u.id: u for u in db.session.scalars(
        select(User).where(User.id.in_({a.user_id for a in attempts})))} if attempts else {}
    if blind:
        order = blind_order(exam, actor, ids)
    else:
        order = [a.id for a in sorted(attempts, key=lambda a: (
            users[a.user_id].list_key, a.number))]
    by_id = {a.id: a for a in attempts}
    parts = {slot: grading_parts(entry) for slot, entry in slots.items()}
    items, total, done = [], 0, 0
    for position, attempt_id in enumerate(order, start=1):
        attempt = by_id[attempt_id]
        drawn = set(attempt.order or [])   # a random draw shows only some slots
        for slot in sorted(slots):
            if slot not in drawn:
                continue
            payload = slots[slot]["payload"]
            row = grades.get((attempt_id, slot))
            response = answers.get((attempt_id, slot))
            for part in parts[slot]:
                child = part["child"]
                grade = grade_view(row, child)
                total += 1
                done += grade is not None
                if grade is not None and not include_graded:
                    continue
                item = {"attempt_id": attempt_id, "slot": slot, "label": f"#{position}",
                        "type": payload["type"], **part,
                        "answers": answer_texts(payload, response) if child is None
                        else [child_text(response, child)],
                        "grade": grade}
                if not blind:
                    user = users[attempt.user_id]
                    item["student"] = {"id": user.id, "full_name": user.full_name,
                                       "username": user.username}
                    item["attempt_number"] = attempt.number
                items.append(item)
    return {"exam_id": exam.id, "blind": blind, "total": total, "graded": done,
            "items": items}


# ---------------------------------------------------------------- grading one answer


def _decimal(value, what) -> Decimal:
    if isinstance(value, bool) or value is None:
        raise DomainError(_l("%(what)s phải là một số.", what=what), code="invalid_points")
    try:
        number = Decimal(str(value).strip().replace(",", "."))
    except InvalidOperation:
        raise DomainError(_l("%(what)s phải là một số.", what=what),
                          code="invalid_points") from None
    if not number.is_finite():
        raise DomainError(_l("%(what)s phải là một số.", what=what), code="invalid_points")
    if number != number.quantize(POINT_PLACES, rounding=ROUND_HALF_UP):
        raise DomainError(_l("%(what)s: tối đa 4 chữ số thập phân.", what=what),
                          code="invalid_points")
    return number


def rubric_points(entry: dict, scores: dict) -> tuple[Decimal, dict]:
    """(slot points earned, normalised rubric) from a score per criterion of the essay's
    rubric. Every criterion must be scored, within 0 … its points. When the rubric's total
    differs from the slot's points the sum is scaled to the slot and rounded half-up to
    4 decimal places (the precision of ``attempt.score``)."""
    rubric = _rubric(entry)
    if not rubric:
        raise DomainError(_l("Câu %(slot)s không có tiêu chí chấm (rubric); hãy nhập điểm.",
                             slot=entry["slot"]), code="no_rubric")
    if not isinstance(scores, dict):
        raise DomainError(_l("rubric phải là đối tượng {tiêu chí: điểm}."), code="invalid_rubric")
    known = {nfc(c["criterion"]): Decimal(c["points"]) for c in rubric}
    given = {nfc(str(k)): v for k, v in scores.items()}
    unknown = sorted(set(given) - set(known))
    if unknown:
        raise DomainError(_l("Tiêu chí không có trong rubric: %(names)s.",
                             names=", ".join(unknown)),
                          details={"unknown": unknown, "criteria": list(known)},
                          code="unknown_criterion")
    missing = [name for name in known if name not in given]
    if missing:
        raise DomainError(_l("Chưa chấm tiêu chí: %(names)s.", names=", ".join(missing)),
                          details={"missing": missing}, code="missing_criterion")
    normalised, earned = {}, Decimal(0)
    for name, top in known.items():
        value = _decimal(given[name], name)
        if value < 0 or value > top:
            raise DomainError(_l("Tiêu chí %(name)s: điểm phải từ 0 đến %(max)s.", name=name,
                                 max=top), code="points_out_of_range")
        normalised[name] = str(value)
        earned += value
    rubric_total = sum(known.values(), Decimal(0))
    slot_max = logic.stored_points(entry["points"])
    if rubric_total <= 0:
        raise DomainError(_l("Rubric của câu %(slot)s có tổng điểm 0.", slot=entry["slot"]),
                          code="no_rubric")
    points = earned if rubric_total == slot_max else \
        (earned * slot_max / rubric_total).quantize(POINT_PLACES, rounding=ROUND_HALF_UP)
    return points, normalised


def gradable_attempt(actor, attempt_id: int) -> Attempt:
    """An attempt of an exam the actor grades, or 404 (nothing said about others' attempts)."""
    attempt = db.session.get(Attempt, attempt_id)
    if attempt is None or not can(actor, "exam.grade", attempt.exam):
        raise NotFound(_l("Không tìm thấy lượt làm bài."))
    return attempt


def set_grade(actor, attempt_id: int, slot: int, points=None, rubric: dict | None = None,
              comment: str | None = None, child: int | None = None) -> ManualGrade:
    """Grade one hand-graded slot of a finished attempt, or with ``child`` one essay child of a
    mixed stimulus (points or rubric, not both), then re-total the attempt exactly and
    announce a changed final grade."""
    attempt = gradable_attempt(actor, attempt_id)
    exam = lock_exam(attempt.exam)
    db.session.refresh(attempt)
    if attempt.state != AttemptState.FINISHED:
        raise Conflict(_l("Bài làm chưa nộp; chỉ chấm được bài đã nộp."),
                       code="attempt_in_progress")
    entry = snapshot_entry(exam, slot)
    if slot not in (attempt.order or []):
        raise DomainError(_l("Câu %(slot)s không có trong đề của lượt làm bài này.", slot=slot),
                          code="unknown_slot")
    part = _graded_part(entry, child)
    if (points is None) == (rubric is None):
        raise DomainError(_l("Gửi điểm (points) hoặc điểm theo tiêu chí (rubric), "
                             "một trong hai."), code="points_or_rubric")
    slot_max = logic.stored_points(part["points"])
    if rubric is not None:
        earned, normalised = rubric_points(part, rubric)
    else:
        earned, normalised = _decimal(points, "points"), None
        if earned < 0 or earned > slot_max:
            raise DomainError(_l("Điểm câu %(slot)s phải từ 0 đến %(max)s.", slot=slot,
                                 max=share_text(slot_max)), code="points_out_of_range")
    comment = nfc((comment or "").strip())
    if len(comment) > MAX_COMMENT_CHARS:
        raise DomainError(_l("Nhận xét dài quá %(n)s ký tự.", n=MAX_COMMENT_CHARS),
                          code="comment_too_long")
    previous = hooks.final_grade_for(exam, attempt.user_id)
    now = utcnow()
    if child is None:
        values = {"points": earned, "rubric": normalised, "comment": comment,
                  "grader_id": actor.id, "graded_at": now}
    else:
        values = _children_values(attempt.id, slot, child, {
            "points": str(earned), "rubric": normalised, "comment": comment,
            "grader_id": actor.id, "graded_at": services.iso(now)}, actor, now)
    grade = _upsert_grade(attempt.id, slot, values)
    retotal(attempt)
    hooks.announce(exam, attempt.user_id, previous, "manual_grade")
    return grade


def _graded_part(entry: dict, child: int | None) -> dict:
    """The entry a grade is checked against: the slot itself, or an essay child of a mixed
    stimulus with the child's share as its points (``slot`` kept for the messages)."""
    slot, payload = entry["slot"], entry["payload"]
    if child is None:
        if not needs_manual(payload):
            if essay_children(payload):
                raise DomainError(_l("Câu %(slot)s có cả phần trắc nghiệm: hãy chấm từng câu "
                                     "tự luận con (child).", slot=slot), code="child_required")
            raise DomainError(_l("Câu %(slot)s được chấm tự động; hãy sửa đáp án và chấm lại "
                                 "(regrade) nếu đáp án sai.", slot=slot), code="auto_scored")
        return entry
    if child not in essay_children(payload):
        raise DomainError(_l("Câu %(slot)s không có câu tự luận con số %(child)s.", slot=slot,
                             child=child), code="unknown_child")
    return {"slot": slot, "points": str(child_share(entry)),
            "payload": payload["children"][child]}


def _children_values(attempt_id: int, slot: int, child: int, mark: dict, actor,
                     now) -> dict:
    """The slot row's values with one essay child's mark replaced: ``points`` is the sum of
    the graded children (exact), ``rubric`` holds every child's mark. Runs under
    ``lock_exam``, so two graders of two children of one answer cannot lose one."""
    row = db.session.scalar(select(ManualGrade).where(
        ManualGrade.attempt_id == attempt_id, ManualGrade.slot == slot))
    children = child_grades(row)
    children[str(child)] = mark
    total = sum((Decimal(m["points"]) for m in children.values()), Decimal(0))
    return {"points": total, "rubric": {"children": children}, "comment": "",
            "grader_id": actor.id, "graded_at": now}


def lock_exam(exam: Exam) -> Exam:
    """Serialise grade changes of one exam and re-read it: a no-op UPDATE of the exam row
    takes its row lock (PostgreSQL) or the database write lock (SQLite) until the commit, so
    two graders of one attempt cannot both total without the other's grade, and a grade
    saved during a regrade is totalled with the corrected key."""
    db.session.execute(update(Exam).where(Exam.id == exam.id).values(state=Exam.state)
                       .execution_options(synchronize_session=False))
    db.session.refresh(exam)
    return exam


def _upsert_grade(attempt_id: int, slot: int, values: dict) -> ManualGrade:
    """INSERT … ON CONFLICT (attempt_id, slot) DO UPDATE: two graders saving the same answer
    at once leave one row, the later save's values (no savepoint: with pysqlite, releasing
    the outermost savepoint would commit)."""
    if db.engine.dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    statement = insert(ManualGrade).values(attempt_id=attempt_id, slot=slot, **values)
    statement = statement.on_conflict_do_update(
        index_elements=["attempt_id", "slot"],
        set_={key: getattr(statement.excluded, key) for key in values})
    db.session.execute(statement)
    grade = db.session.scalar(select(ManualGrade).where(
        ManualGrade.attempt_id == attempt_id, ManualGrade.slot == slot))
    db.session.refresh(grade)
    return grade


def retotal(attempt: Attempt, snapshot: list | None = None) -> tuple[Decimal, Decimal]:
    """Re-score a finished attempt (auto slots + manual grades) and store score and grade."""
    earned, total = services.grade_attempt(attempt, snapshot)
    settings = attempt.exam.settings
    attempt.score = logic.stored_score(earned)
    attempt.grade = logic.to_scale(earned, total, settings["scale"], settings["rounding"])
    db.session.flush()
    return attempt.score, attempt.grade


# ---------------------------------------------------------------- regrade


def _shape(payload: dict):
    """What stored responses and attempt ids depend on: the type and its public keys."""
    if payload["type"] == "stimulus":
        return ("stimulus", tuple(_shape(child) for child in payload["children"]))
    return (payload["type"], tuple(sorted(public_keys(payload))))


def checked_key(entry: dict, payload) -> dict:
    """The corrected payload, validated by the type registry, with the slot's type and ids."""
    try:
        new = validate_payload(payload)
    except PayloadError as error:
        raise DomainError(_l("Đáp án mới không hợp lệ: %(why)s.", why=str(error)),
                          details={"problems": [{"path": p.path, "message": p.message}
                                                for p in error.problems]},
                          code="invalid_payload") from None
    except UnknownQuestionType as error:
        raise DomainError(_l("Đáp án mới không hợp lệ: %(why)s.", why=str(error)),
                          code="invalid_payload") from None
    old = entry["payload"]
    if new["type"] != old["type"]:
        raise DomainError(_l("Không được đổi loại câu hỏi khi chấm lại (đang là %(type)s).",
                             type=old["type"]), code="type_changed")
    if _shape(new) != _shape(old):
        raise DomainError(_l("Khi chấm lại phải giữ nguyên mã các phương án, ý, cặp và chỗ "
                             "trống; chỉ sửa đáp án, nội dung hoặc điểm thành phần."),
                          code="ids_changed")
    return new


def regrade(actor, exam: Exam, slot: int, payload, dry_run: bool = True) -> dict:
    """Score every finished attempt against a corrected key of ``slot``.

    Returns ``{"slot", "dry_run", "changed", "attempts": [{attempt_id, user_id, full_name,
    username, number, counted, old_score, new_score, old_grade, new_grade, changed}]}``.
    A dry run writes nothing. Applying it stores the new payload (the previous one appended
    to the entry's ``history`` with who and when) and every attempt's new score and grade;
    the caller commits once, so it all happens in one transaction."""
    require(actor, "exam.manage", exam)
    lock_exam(exam)
    if exam.state != ExamState.PUBLISHED:
        raise Conflict(_l("Bài kiểm tra chưa phát hành; hãy sửa câu hỏi trực tiếp."),
                       code="not_published")
    entry = snapshot_entry(exam, slot)
    new_payload = checked_key(entry, payload)
    snapshot = copy.deepcopy(exam.snapshot)
    for item in snapshot:
        if item["slot"] == slot and item["payload"] != new_payload:
            history = list(item.get("history") or [])
            history.append({"payload": item["payload"], "replaced_at": services.iso(utcnow()),
                            "replaced_by": actor.id})
            item["payload"], item["history"] = new_payload, history
    attempts = list(db.session.scalars(
        select(Attempt).where(Attempt.exam_id == exam.id, Attempt.state == AttemptState.FINISHED)
        .order_by(Attempt.user_id, Attempt.number)))
    users = {u.id: u for u in db.session.scalars(
        select(User).where(User.id.in_({a.user_id for a in attempts})))} if attempts else {}
    settings = exam.settings
    rows, planned = [], []
    for attempt in attempts:
        earned, total = services.grade_attempt(attempt, snapshot)
        new_score = logic.stored_score(earned)
        new_grade = logic.to_scale(earned, total, settings["scale"], settings["rounding"])
        changed = new_score != attempt.score or new_grade != attempt.grade
        user = users[attempt.user_id]
        rows.append({"attempt_id": attempt.id, "user_id": user.id, "full_name": user.full_name,
                     "username": user.username, "number": attempt.number,
                     "counted": attempt.counted, "old_score": _s(attempt.score),
                     "new_score": _s(new_score), "old_grade": _s(attempt.grade),
                     "new_grade": _s(new_grade), "changed": changed})
        planned.append((attempt, new_score, new_grade))
    report = {"slot": slot, "dry_run": dry_run, "attempts": rows,
              "changed": sum(r["changed"] for r in rows)}
    if dry_run:
        return report
    previous = {uid: hooks.final_grade_for(exam, uid) for uid in users}
    exam.snapshot = snapshot
    for attempt, new_score, new_grade in planned:
        attempt.score, attempt.grade = new_score, new_grade
    db.session.flush()
    for uid in sorted(users):
        hooks.announce(exam, uid, previous[uid], "regrade")
    return report


def _s(value) -> str | None:
    return None if value is None else str(value)


# ---------------------------------------------------------------- who sat the exam


def attempt_classes(exam: Exam) -> dict[int, str]:
    """assignment id → class name, or the group's name for a group (nhóm), for the exam's
    assignments (a unit assignment names no class)."""
    return dict(db.session.execute(
        select(ExamAssignment.id, func.coalesce(SchoolClass.name, ExamAssignment.name))
        .outerjoin(SchoolClass, SchoolClass.id == ExamAssignment.class_id)
        .where(ExamAssignment.exam_id == exam.id,
               ExamAssignment.class_id.is_not(None) | ExamAssignment.name.is_not(None))).all())
