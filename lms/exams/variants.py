"""Which paper an attempt shows (settings ``generation``).

- ``fixed``: the snapshot in order, shuffled per attempt only as ``shuffle_questions`` /
  ``shuffle_options`` say.
- ``variants``: ``variant_count`` papers (mã đề) made once at publish, each with a distinct
  ``code_digits``-digit code, questions shuffled within sections and options shuffled (pinned
  options and questions marked ``"shuffle": false`` keep their order). Each attempt gets one,
  round-robin (the n-th attempt of the exam gets variant n mod N) or at random.
- ``random_draw``: the snapshot holds each matrix cell's pool (entries carry ``cell``:
  ``{"index", "section", "topic_id", "level", "count"}``); each attempt draws ``count``
  entries per cell at start. ``attempt.order`` then lists exactly the drawn slots, and grading
  and views use only those (``attempt_entries``).

Per-attempt random ids stay per attempt in every mode: a variant fixes orders in stored ids.
"""

import random
import secrets
from dataclasses import dataclass, field
from decimal import Decimal

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from lms.auth.permissions import can
from lms.core.errors import DomainError, NotFound
from lms.exams import logic
from lms.exams.models import Attempt, Exam, ExamState, ExamVariant
from lms.kernel import db
from question_bank import student_view, teacher_view
from question_bank.models import Question

FIXED, VARIANTS, RANDOM_DRAW = "fixed", "variants", "random_draw"
GENERATIONS = (FIXED, VARIANTS, RANDOM_DRAW)
ASSIGNMENTS = ("round_robin", "random")
CODE_DIGITS = (3, 4)
MAX_VARIANTS = 50
CHOICE_TYPES = {"single_choice", "multiple_response"}
LETTERS = "ABCDEFGH"
#: Tries per variant to find a paper no earlier variant has (tiny exams may have none).
DISTINCT_TRIES = 20
#: Bits of a sample draw's seed (shown in its link, so small enough to read).
SEED_BITS = 48


def check_generation(settings: dict) -> None:
    """``generation``, ``variant_count`` (1–50), ``code_digits`` (3 or 4) and
    ``variant_assignment`` (round_robin | random) are valid, else ``invalid_settings``."""
    def bad(message):
        return DomainError(message, code="invalid_settings")

    if settings.get("generation", FIXED) not in GENERATIONS:
        raise bad(_l("Cài đặt generation: chỉ nhận fixed, variants, random_draw."))
    count = settings.get("variant_count", 1)
    if not isinstance(count, int) or isinstance(count, bool) or not 1 <= count <= MAX_VARIANTS:
        raise bad(_l("Cài đặt variant_count: số mã đề từ 1 đến %(n)s.", n=MAX_VARIANTS))
    if settings.get("code_digits", 3) not in CODE_DIGITS:
        raise bad(_l("Cài đặt code_digits: mã đề có 3 hoặc 4 chữ số."))
    if settings.get("variant_assignment", "round_robin") not in ASSIGNMENTS:
        raise bad(_l("Cài đặt variant_assignment: chỉ nhận round_robin, random."))


# ---------------------------------------------------------------- pure rules


def variant_codes(count: int, digits: int, rng: random.Random) -> list[str]:
    """``count`` distinct codes of exactly ``digits`` digits, never starting with 0."""
    return [str(n) for n in rng.sample(range(10 ** (digits - 1), 10 ** digits), count)]


def option_order(payload: dict, rng: random.Random, shuffle: bool = True) -> list[str]:
    """Stored option ids in display order; pinned options keep their places, and a question
    marked ``"shuffle": false`` keeps all of them."""
    ids = [option["id"] for option in payload["options"]]
    if not shuffle or not payload.get("shuffle", True):
        return ids
    return logic.shuffled(ids, rng, set(payload.get("pinned") or []))


def make_variant(snapshot: list[dict], rng: random.Random) -> tuple[list[int], dict]:
    """One paper: slots shuffled within sections, choice options shuffled."""
    order = logic.shuffle_by_section([(e["slot"], e.get("section", "")) for e in snapshot], rng)
    options = {str(e["slot"]): option_order(e["payload"], rng) for e in snapshot
               if e["payload"]["type"] in CHOICE_TYPES}
    return order, options


def make_variants(snapshot: list[dict], count: int, digits: int,
                  rng: random.Random) -> list[tuple[str, list[int], dict]]:
    """``count`` papers with distinct codes; papers differ from each other where the exam
    allows it (up to DISTINCT_TRIES shuffles each)."""
    papers, seen = [], set()
    for code in variant_codes(count, digits, rng):
        for _ in range(DISTINCT_TRIES):
            order, options = make_variant(snapshot, rng)
            fingerprint = (tuple(order), tuple(sorted((k, tuple(v)) for k, v in options.items())))
            if fingerprint not in seen:
                break
        seen.add(fingerprint)
        papers.append((code, order, options))
    return papers


def draws_per_student(settings: dict, snapshot: list[dict] | None) -> bool:
    """Random draw is in effect: the setting says so and every entry carries its matrix cell.
    A paper without cells (a hand-picked test switched to random_draw before that was refused)
    is served, reported and previewed as the fixed paper it is."""
    return (settings.get("generation", FIXED) == RANDOM_DRAW and bool(snapshot)
            and all("cell" in entry for entry in snapshot))


def draw(snapshot: list[dict], rng: random.Random) -> list[int]:
    """One student's slots from a random-draw snapshot: ``count`` distinct entries of each
    cell's pool, in paper order."""
    pools: dict[int, list[dict]] = {}
    for entry in snapshot:
        pools.setdefault(entry["cell"]["index"], []).append(entry)
    picked = []
    for pool in pools.values():
        picked.extend(e["slot"] for e in rng.sample(pool, pool[0]["cell"]["count"]))
    return sorted(picked)


def answer_key(payload: dict, shown: list[str] | None = None):
    """The compact key of a question as printed on a paper: option letters in the shown order,
    true/false per statement, accepted short answers; None for other types."""
    kind = payload["type"]
    if kind in CHOICE_TYPES:
        shown = shown or [o["id"] for o in payload["options"]]
        right = {o["id"] for o in payload["options"] if o["correct"]}
        return "".join(LETTERS[i] for i, oid in enumerate(shown) if oid in right)
    if kind == "true_false":
        return payload["answer"]
    if kind == "true_false_4":
        return {s["id"]: s["answer"] for s in payload["statements"]}
    if kind in ("short_text", "short_numeric"):
        return [a.get("text", a.get("value")) for a in payload["answers"]
                if Decimal(str(a.get("fraction", "1"))) == 1]
    return None


# ---------------------------------------------------------------- publish and attempts


def create_variants(exam: Exam) -> list[ExamVariant]:
    """At publish, for generation "variants": store the papers (a no-op otherwise)."""
    settings = exam.settings
    if settings.get("generation", FIXED) != VARIANTS:
        return []
    rows = [ExamVariant(exam_id=exam.id, code=code, position=position, order=order,
                        option_order=options)
            for position, (code, order, options) in enumerate(make_variants(
                exam.snapshot, settings.get("variant_count", 1), settings.get("code_digits", 3),
                random.SystemRandom()))]
    db.session.add_all(rows)
    db.session.flush()
    return rows


def exam_variants(exam: Exam) -> list[ExamVariant]:
    return db.session.scalars(select(ExamVariant).where(ExamVariant.exam_id == exam.id)
                              .order_by(ExamVariant.position)).all()


@dataclass
class Plan:
    """What a new attempt shows: slots in order, each choice slot's stored option ids in order,
    and the variant's code."""

    order: list[int]
    options: dict[str, list[str]] = field(default_factory=dict)
    variant_code: str | None = None


def plan_attempt(exam: Exam, rng: random.Random, planned: int = 0,
                 snapshot: list | None = None) -> Plan:
    """The paper of a new attempt by the exam's generation mode (module docstring).
    ``planned``: attempts planned in this batch but not stored yet (pre-generation inserts
    them at the end), so round-robin goes on counting over them. ``snapshot`` stands in for
    the exam's (a draft's sample draw, ``sample_draw``)."""
    settings = exam.settings
    generation = settings.get("generation", FIXED)
    if generation == VARIANTS:
        variant = _next_variant(exam, rng, planned)
        if variant is not None:
            return Plan(list(variant.order), dict(variant.option_order), variant.code)
    entries = exam.snapshot if snapshot is None else snapshot
    if draws_per_student(settings, entries):
        drawn = set(draw(entries, rng))
        entries = [e for e in entries if e["slot"] in drawn]
    slots = [(e["slot"], e.get("section", "")) for e in entries]
    order = (logic.shuffle_by_section(slots, rng) if settings["shuffle_questions"]
             else [slot for slot, _ in slots])
    options = {str(e["slot"]): option_order(e["payload"], rng, settings["shuffle_options"])
               for e in entries if e["payload"]["type"] in CHOICE_TYPES}
    return Plan(order, options)


def _next_variant(exam: Exam, rng: random.Random, planned: int = 0) -> ExamVariant | None:
    """Round-robin over the exam's attempts so neighbours get different codes (two starts at
    the same instant may share one), or random."""
    papers = exam_variants(exam)
    if not papers:
        return None
    if exam.settings.get("variant_assignment") == "random":
        return rng.choice(papers)
    given = db.session.scalar(select(func.count()).select_from(Attempt).where(
        Attempt.exam_id == exam.id, Attempt.variant_code.is_not(None))) or 0
    return papers[(given + planned) % len(papers)]


def attempt_entries(attempt: Attempt, snapshot: list | None = None) -> list[dict]:
    """The snapshot entries this attempt shows (all of them unless the exam draws per student);
    ``snapshot`` stands in for the exam's (a regrade scores against an edited key)."""
    slots = set(attempt.order)
    entries = attempt.exam.snapshot if snapshot is None else snapshot
    return [e for e in entries if e["slot"] in slots]


# ---------------------------------------------------------------- preview (teacher)


def require_owner(actor, exam: Exam) -> None:
    """Only the exam's owner previews papers and keys; for anyone else the exam does not
    exist (404, as ``services.exam_for`` answers)."""
    if not can(actor, "exam.manage", exam):
        raise NotFound(_l("Không tìm thấy bài kiểm tra."))


def list_variants(actor, exam: Exam) -> dict:
    """The exam's generation mode and its variant codes (made at publish)."""
    require_owner(actor, exam)
    return {"exam_id": exam.id, "state": exam.state.value,
            "generation": exam.settings.get("generation", FIXED),
            "variants": [{"code": v.code, "position": v.position, "questions": len(v.order)}
                         for v in exam_variants(exam)]}


def variant_paper(actor, exam: Exam, code: str) -> dict:
    """One variant as its students see it (same order, options, texts; stored ids) and its key."""
    require_owner(actor, exam)
    variant = db.session.scalar(select(ExamVariant).where(ExamVariant.exam_id == exam.id,
                                                          ExamVariant.code == str(code)[:8]))
    if variant is None:
        raise NotFound(_l("Không có mã đề %(code)s.", code=str(code)[:8]))
    return {"exam_id": exam.id, "code": variant.code,
            **paper_view(exam.snapshot, variant.order, variant.option_order)}


def paper_view(snapshot: list[dict], order: list[int], option_order: dict) -> dict:
    """``{"questions", "key"}`` of a paper: the slots of ``order`` numbered 1…n, each in the
    student view with its options in ``option_order`` (lettered A–H), and the key per number."""
    by_slot = {e["slot"]: e for e in snapshot}
    questions, key = [], []
    for number, slot in enumerate(order, start=1):
        entry = by_slot[slot]
        shown = option_order.get(str(slot))
        view = student_view(entry["payload"])
        if shown is not None:
            place = {oid: i for i, oid in enumerate(shown)}
            view["options"] = [{**o, "label": LETTERS[place[o["id"]]]} for o in
                               sorted(view["options"], key=lambda o: place[o["id"]])]
        questions.append({"number": number, "slot": slot, "section": entry.get("section", ""),
                          "points": entry["points"], **view})
        key.append({"number": number, "slot": slot, "type": entry["payload"]["type"],
                    "answer": answer_key(entry["payload"], shown),
                    "question": teacher_view(entry["payload"])})
    return {"questions": questions, "key": key}


# ---------------------------------------------------------------- sample draw (teacher)


def provisional_snapshot(exam: Exam) -> list[dict]:
    """A draft's selection as publishing would freeze it now (each question's current
    version), so a sample draw can be previewed before publishing; the published exam uses
    its own frozen snapshot."""
    snapshot = []
    for slot, entry in enumerate(exam.selection or [], start=1):
        question = db.session.get(Question, entry["question_id"])
        snapshot.append({"slot": slot, "question_id": question.id,
                         "payload": question.current_version.payload,
                         "points": entry["points"], "section": entry.get("section", ""),
                         **({"cell": entry["cell"]} if "cell" in entry else {})})
    return snapshot


def sample_draw(actor, exam: Exam, seed: int | None = None) -> dict:
    """One paper drawn as ``plan_attempt`` would draw it for a student starting now (cells,
    counts, shuffles), with its key; nothing is stored and no attempt is made. A fresh random
    ``seed`` each call unless one is given (the same seed gives the same draw, so the page can
    link to it)."""
    require_owner(actor, exam)
    snapshot = exam.snapshot if exam.state != ExamState.DRAFT else provisional_snapshot(exam)
    if not draws_per_student(exam.settings, snapshot):
        raise DomainError(_l("Bài kiểm tra này không bốc câu ngẫu nhiên."),
                          code="not_random_draw")
    seed = secrets.randbits(SEED_BITS) if seed is None else seed
    # reproducible from its seed on purpose: a preview; students' draws use SystemRandom
    plan = plan_attempt(exam, random.Random(seed), snapshot=snapshot)  # noqa: S311
    drawn = set(plan.order)
    points = sum((logic.stored_points(e["points"]) for e in snapshot if e["slot"] in drawn),
                 Decimal(0))
    return {"exam_id": exam.id, "seed": seed, "pool": len(snapshot),
            "points": str(points), **paper_view(snapshot, plan.order, plan.options)}
