"""Results and item analysis of a test (issue 4 §4); formulas in docs/exams.md.

The statistics are pure functions of ``Decimal`` values (first half of the module); the second
half loads one exam's finished attempts in a fixed number of queries and feeds them through.

Which attempts count: finished attempts with ``counted = true``. A student's final grade is
``logic.final_grade`` of those attempts' grades with the exam's grading method. Item
analysis uses one attempt per student, the *kept* one: highest grade (earliest on a tie),
last, or first by the method; for ``average`` the first attempt.
"""

from collections import defaultdict
from dataclasses import dataclass, field
from decimal import ROUND_FLOOR, ROUND_HALF_UP, Decimal

from sqlalchemy import select

from lms.auth.models import User
from lms.auth.permissions import require
from lms.exams import logic, services, variants
from lms.exams.grading import attempt_classes, ungraded_parts
from lms.exams.models import Attempt, AttemptAnswer, AttemptState, Exam, ManualGrade
from lms.kernel import db
from lms.org.models import Membership, Role, SchoolClass, Unit
from question_bank import ResponseError, response_from_public

#: Share of the ranked students in each of the upper and lower groups (Kelley).
GROUP_SHARE = Decimal("0.27")
CHOICE_TYPES = ("single_choice", "multiple_response")
LETTERS = "ABCDEFGH"
ZERO = Decimal(0)


# ================================================================ pure statistics


def mean(values: list[Decimal]) -> Decimal | None:
    return sum(values, ZERO) / len(values) if values else None


def median(values: list[Decimal]) -> Decimal | None:
    if not values:
        return None
    ordered = sorted(values)
    middle = len(ordered) // 2
    if len(ordered) % 2:
        return ordered[middle]
    return (ordered[middle - 1] + ordered[middle]) / 2


def variance(values: list[Decimal]) -> Decimal | None:
    """Population variance (divides by n)."""
    centre = mean(values)
    if centre is None:
        return None
    return sum(((v - centre) ** 2 for v in values), ZERO) / len(values)


def std(values: list[Decimal]) -> Decimal | None:
    """Population standard deviation σ (divides by n)."""
    var = variance(values)
    return None if var is None else var.sqrt()


def describe(values: list[Decimal]) -> dict:
    """n, mean, median, σ, min, max."""
    return {"n": len(values), "mean": mean(values), "median": median(values),
            "std": std(values), "min": min(values) if values else None,
            "max": max(values) if values else None}


def histogram(grades: list[Decimal], scale: int = 10) -> list[dict]:
    """Counts in bins of width 1 on the ``scale``-point scale: [0, 1), [1, 2), … [scale−1,
    scale] (the last bin includes the maximum)."""
    counts = [0] * scale
    for grade in grades:
        index = int(grade.to_integral_value(rounding=ROUND_FLOOR))
        counts[min(max(index, 0), scale - 1)] += 1
    return [{"low": i, "high": i + 1, "count": counts[i]} for i in range(scale)]


def group_size(n: int) -> int:
    """Size of each of the upper and lower groups: 27 % of n rounded half-up, at least 1."""
    return max(1, int((GROUP_SHARE * n).to_integral_value(rounding=ROUND_HALF_UP)))


def pearson(xs: list[Decimal], ys: list[Decimal]) -> Decimal | None:
    """Pearson's r; None with fewer than 2 pairs or when either variable is constant."""
    if len(xs) < 2:
        return None
    mx, my = mean(xs), mean(ys)
    sxy = sum(((x - mx) * (y - my) for x, y in zip(xs, ys, strict=True)), ZERO)
    sxx = sum(((x - mx) ** 2 for x in xs), ZERO)
    syy = sum(((y - my) ** 2 for y in ys), ZERO)
    if sxx == 0 or syy == 0:
        return None
    return sxy / (sxx * syy).sqrt()


def cronbach_alpha(matrix: list[list[Decimal]]) -> Decimal | None:
    """α = k/(k−1) · (1 − Σ σ²(item) / σ²(total)); rows are students, columns items (points).
    None with fewer than 2 items or 2 students, or when every total is the same."""
    if len(matrix) < 2 or not matrix[0] or len(matrix[0]) < 2:
        return None
    k = len(matrix[0])
    totals = [sum(row, ZERO) for row in matrix]
    total_var = variance(totals)
    if not total_var:
        return None
    item_var = sum((variance([row[j] for row in matrix]) for j in range(k)), ZERO)
    return Decimal(k) / Decimal(k - 1) * (1 - item_var / total_var)


@dataclass
class Sitting:
    """One analysed attempt: total points, points per slot it was given (a random draw gives
    each student only some slots: the others are absent, not 0), chosen options per choice
    slot (stored option ids; None when unanswered)."""

    attempt_id: int
    total: Decimal
    points: dict[int, Decimal]
    choices: dict[int, list[str] | None] = field(default_factory=dict)


def ranked_groups(sittings: list[Sitting]) -> tuple[list[Sitting], list[Sitting]]:
    """(upper, lower) groups by total points, highest first; equal totals are ordered by
    attempt id so the split is reproducible."""
    ranked = sorted(sittings, key=lambda s: (-s.total, s.attempt_id))
    size = group_size(len(ranked))
    return ranked[:size], ranked[-size:]


def distractors(options: list[dict], answers: list[list[str] | None]) -> list[dict]:
    """How often each option (in the snapshot's order, lettered A, B, …) was chosen, and how
    many left the question blank (``id`` None)."""
    counts = defaultdict(int)
    blank = 0
    for chosen in answers:
        if not chosen:
            blank += 1
            continue
        for option_id in chosen:
            counts[option_id] += 1
    rows = [{"id": o["id"], "letter": LETTERS[i] if i < len(LETTERS) else str(i + 1),
             "text_html": o["text_html"], "correct": bool(o.get("correct")),
             "count": counts[o["id"]]}
            for i, o in enumerate(options)]
    rows.append({"id": None, "letter": "", "text_html": "", "correct": False, "count": blank})
    return rows


#: Why Cronbach's α is None although there are enough students and items.
ALPHA_DIFFERENT_ITEMS = "different_items"


def item_statistics(sittings: list[Sitting], slots: list[dict]) -> dict:
    """Per slot (``slots``: {"slot", "points", "type", optional "options"}): facility,
    discrimination (upper − lower 27 %), corrected point-biserial (item fraction against the
    rest-of-test points), distractor counts — each over the sittings that were given the slot
    (``n``), so a question a student did not draw is not counted as unanswered; and
    Cronbach's α over the slots, only when every sitting was given the same slots (otherwise
    None with ``alpha_reason`` "different_items": α needs every student's score on every
    item, and imputing the missing-by-design ones would invent data)."""
    n = len(sittings)
    items = []
    for info in slots:
        slot, top = info["slot"], logic.stored_points(info["points"])
        given = [s for s in sittings if slot in s.points]
        upper, lower = ranked_groups(given) if len(given) >= 2 else ([], [])
        fractions = [s.points[slot] / top for s in given]
        rest = [s.total - s.points[slot] for s in given]
        item = {"slot": slot, "type": info["type"], "points": info["points"], "n": len(given),
                "group_size": len(upper),
                "facility": mean(fractions),
                "discrimination": (mean([s.points[slot] / top for s in upper])
                                   - mean([s.points[slot] / top for s in lower]))
                if upper else None,
                "point_biserial": pearson(fractions, rest)}
        if info.get("options") is not None:
            item["distractors"] = distractors(info["options"],
                                              [s.choices.get(slot) for s in given])
        items.append(item)
    wanted = [info["slot"] for info in slots]
    same = all(all(slot in s.points for slot in wanted) for s in sittings)
    alpha = cronbach_alpha([[s.points[slot] for slot in wanted] for s in sittings]) \
        if same else None
    return {"n": n, "group_size": group_size(n) if n >= 2 else 0, "items": items,
            "alpha": alpha, "alpha_reason": None if same else ALPHA_DIFFERENT_ITEMS}


def kept_attempt(attempts: list, method: str):
    """The attempt item analysis uses for one student. ``attempts``: objects with
    ``number`` and ``grade``, any order."""
    if not attempts:
        return None
    ordered = sorted(attempts, key=lambda a: a.number)
    if method == "last":
        return ordered[-1]
    if method == "highest":
        best = max(a.grade for a in ordered)
        return next(a for a in ordered if a.grade == best)
    return ordered[0]


def q(value: Decimal | None, places: str = "0.0001") -> str | None:
    """A statistic as a string, half-up to ``places``."""
    if value is None:
        return None
    return str(value.quantize(Decimal(places), rounding=ROUND_HALF_UP))


# ================================================================ loading an exam's attempts


@dataclass
class Row:
    """One finished attempt with who sat it and what it earned per slot."""

    attempt: Attempt
    user: User
    class_name: str
    points: dict[int, Decimal]
    choices: dict[int, list[str] | None]
    ungraded: set[int]


def _choices(payload: dict, response, ids_map) -> list[str] | None:
    try:
        inner = response_from_public(payload, response, ids_map)
    except ResponseError:
        return None
    if not inner:
        return None
    if payload["type"] == "single_choice":
        return [inner["choice"]]
    return list(inner.get("choices") or []) or None


def load_rows(exam: Exam) -> list[Row]:
    """Every finished attempt of the exam, in five queries."""
    attempts = list(db.session.scalars(
        select(Attempt).where(Attempt.exam_id == exam.id, Attempt.state == AttemptState.FINISHED)
        .order_by(Attempt.user_id, Attempt.number)))
    if not attempts:
        return []
    session = db.session
    ids = [a.id for a in attempts]
    stored: dict[int, dict] = defaultdict(dict)
    for answer in session.scalars(select(AttemptAnswer).where(AttemptAnswer.attempt_id.in_(ids))):
        stored[answer.attempt_id][answer.slot] = answer.response
    manual: dict[int, dict] = defaultdict(dict)
    for grade in session.scalars(select(ManualGrade).where(ManualGrade.attempt_id.in_(ids))):
        manual[grade.attempt_id][grade.slot] = grade
    users = {u.id: u for u in session.scalars(
        select(User).where(User.id.in_({a.user_id for a in attempts})))}
    classes = attempt_classes(exam)
    own_classes = _own_classes({a.user_id for a in attempts
                                if a.assignment_id not in classes})
    rows = []
    for attempt in attempts:
        fractions = services.slot_fractions(attempt, stored=stored[attempt.id])
        points, choices, ungraded = {}, {}, set()
        for entry in variants.attempt_entries(attempt):
            slot, payload = entry["slot"], entry["payload"]
            grade = manual[attempt.id].get(slot)
            top = logic.stored_points(entry["points"])
            points[slot] = logic.slot_points(fractions[slot], top) \
                + (grade.points if grade is not None else ZERO)
            if ungraded_parts(entry, grade):
                ungraded.add(slot)
            if payload["type"] in CHOICE_TYPES:
                choices[slot] = _choices(payload, stored[attempt.id].get(slot),
                                         (attempt.ids_map or {}).get(str(slot)))
        rows.append(Row(attempt, users[attempt.user_id],
                        classes.get(attempt.assignment_id)
                        or own_classes.get(attempt.user_id, ""), points, choices, ungraded))
    return rows


def _own_classes(user_ids: set[int]) -> dict[int, str]:
    """user id → "10A1 (school)" from their student memberships, for attempts whose assignment
    names no class or group (a unit assignment — a province-wide exam spans schools, so the
    school tells two 10A1s apart — or an assignment since removed). One query."""
    if not user_ids:
        return {}
    names: dict[int, list[str]] = defaultdict(list)
    for user_id, class_name, school_name in db.session.execute(
            select(Membership.user_id, SchoolClass.name, Unit.name)
            .join(SchoolClass, SchoolClass.id == Membership.class_id)
            .join(Unit, Unit.id == SchoolClass.school_id)
            .where(Membership.user_id.in_(user_ids), Membership.role == Role.STUDENT)
            .order_by(SchoolClass.name)):
        names[user_id].append(f"{class_name} ({school_name})")
    return {user_id: ", ".join(found) for user_id, found in names.items()}


def _counted(rows: list[Row]) -> dict[int, list[Row]]:
    by_user: dict[int, list[Row]] = defaultdict(list)
    for row in rows:
        if row.attempt.counted and row.attempt.grade is not None:
            by_user[row.user.id].append(row)
    return by_user


def _kept(rows: list[Row], method: str) -> list[Row]:
    kept = []
    for user_rows in _counted(rows).values():
        choice = kept_attempt([r.attempt for r in user_rows], method)
        kept.append(next(r for r in user_rows if r.attempt is choice))
    return kept


def _grade_stats(grades: list[Decimal], scale: int) -> dict:
    stats = describe(grades)
    return {"n": stats["n"], **{k: q(stats[k], "0.01") for k in
                                ("mean", "median", "std", "min", "max")},
            "histogram": histogram(grades, scale)}


def paper_points(exam: Exam) -> Decimal:
    """The points of one student's paper: every slot, or for a random draw each cell's
    ``count`` × its questions' points (every draw has the same cells, counts and points)."""
    if not variants.draws_per_student(exam.settings, exam.snapshot):
        return sum((logic.stored_points(e["points"]) for e in exam.snapshot), ZERO)
    cells = {}
    for entry in exam.snapshot:
        cells.setdefault(entry["cell"]["index"],
                         entry["cell"]["count"] * logic.stored_points(entry["points"]))
    return sum(cells.values(), ZERO)


def exam_report(actor, exam: Exam, rows: list[Row] | None = None) -> dict:
    """Per test, per class and per student (final grades by the grading method)."""
    require(actor, "exam.grade", exam)
    rows = load_rows(exam) if rows is None else rows
    settings = exam.settings
    method, scale = settings.get("grading_method", "highest"), int(settings.get("scale", 10))
    students, by_class = [], defaultdict(list)
    counted = _counted(rows)
    seen = {}
    for row in rows:
        seen.setdefault(row.user.id, row)
    for user_id, first in sorted(seen.items(), key=lambda item: (
            item[1].class_name, item[1].user.list_key)):
        mine = [r for r in rows if r.user.id == user_id]
        kept = counted.get(user_id, [])
        final = logic.final_grade([r.attempt.grade for r in kept], method)
        class_name = (kept[0] if kept else first).class_name
        if final is not None:
            by_class[class_name].append(final)
        students.append({
            "user_id": user_id, "full_name": first.user.full_name,
            "username": first.user.username, "class": class_name,
            "final_grade": q(final, "0.01"),
            "attempts": [{"attempt_id": r.attempt.id, "number": r.attempt.number,
                          "score": q(r.attempt.score), "grade": q(r.attempt.grade, "0.01"),
                          "counted": r.attempt.counted,
                          "finished_at": services.iso(r.attempt.finished_at),
                          "ungraded": sorted(r.ungraded)} for r in mine]})
    finals = [v for values in by_class.values() for v in values]
    return {
        "exam_id": exam.id, "title": exam.title, "grading_method": method, "scale": scale,
        "max_points": str(paper_points(exam)),
        "attempts": len(rows), "counted_attempts": sum(len(v) for v in counted.values()),
        "ungraded_answers": sum(len(r.ungraded) for r in rows),
        "summary": _grade_stats(finals, scale),
        "classes": [{"class": name, **_grade_stats(values, scale)}
                    for name, values in sorted(by_class.items())],
        "students": students,
    }


def item_report(actor, exam: Exam, rows: list[Row] | None = None) -> dict:
    """Item analysis over each student's kept attempt (see the module docstring)."""
    require(actor, "exam.grade", exam)
    rows = load_rows(exam) if rows is None else rows
    kept = _kept(rows, exam.settings.get("grading_method", "highest"))
    sittings = [Sitting(r.attempt.id, sum(r.points.values(), ZERO), r.points, r.choices)
                for r in kept]
    drawn = {slot for sitting in sittings for slot in sitting.points}
    random_draw = variants.draws_per_student(exam.settings, exam.snapshot)
    slots = []
    for entry in exam.snapshot:
        payload = entry["payload"]
        if payload["type"] == "description" or (random_draw and entry["slot"] not in drawn):
            continue
        info = {"slot": entry["slot"], "points": entry["points"], "type": payload["type"],
                "text_html": payload.get("text_html", "")}
        if payload["type"] in CHOICE_TYPES:
            info["options"] = payload["options"]
        slots.append(info)
    stats = item_statistics(sittings, slots)
    ungraded = defaultdict(int)
    for row in kept:
        for slot in row.ungraded:
            ungraded[slot] += 1
    texts = {info["slot"]: info["text_html"] for info in slots}
    return {
        "exam_id": exam.id, "students": stats["n"], "group_size": stats["group_size"],
        "alpha": q(stats["alpha"]), "alpha_reason": stats["alpha_reason"],
        "items": [{**item, "text_html": texts[item["slot"]], "facility": q(item["facility"]),
                   "discrimination": q(item["discrimination"]),
                   "point_biserial": q(item["point_biserial"]),
                   "ungraded": ungraded[item["slot"]]}
                  for item in stats["items"]],
    }
