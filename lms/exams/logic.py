"""Pure rules of online tests: deadlines, late writes, review policy, totals, shuffling.

No database, no Flask: every function takes plain values so it can be tested on a frozen clock.
"""

import hashlib
import hmac
import random
import secrets
import unicodedata
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

WHENS = ("during", "after_submit", "after_close", "never")
REVIEW_ITEMS = ("responses", "correctness", "score", "correct_answers", "feedback")
LATE_MODES = ("auto_submit", "grace", "not_counted")
GRADING_METHODS = ("highest", "last", "first", "average")
MODES = ("test", "practice")
NAVIGATIONS = ("free", "sequential")
ROUNDINGS = ("0.01", "0.1", "0.25", "0.5", "1")
OVERRIDE_KEYS = ("extra_time_s", "open_at", "close_at", "extra_attempts")

DEFAULT_SETTINGS = {
    "schema": 1,
    "time_limit_s": None,
    "open_at": None,
    "close_at": None,
    "attempts_allowed": 1,
    "grading_method": "highest",
    "shuffle_questions": False,
    "shuffle_options": False,
    "review": {"responses": "during", "correctness": "after_close", "score": "after_close",
               "correct_answers": "after_close", "feedback": "after_close"},
    "late": {"mode": "auto_submit", "grace_s": 0},
    "scale": 10,
    "rounding": "0.01",
    "access_code_hash": None,
    "mode": "test",
    "navigation": "free",
    # Generation of papers (lms/exams/variants.py): fixed | variants | random_draw.
    "generation": "fixed",
    "variant_count": 4,
    "code_digits": 3,
    "variant_assignment": "round_robin",
}


def setting(settings: dict, key: str):
    """A setting's value; keys added after a document was stored take their default."""
    return settings.get(key, DEFAULT_SETTINGS[key])

#: The issue-4 API's review shorthand → a full review policy.
REVIEW_PRESETS = {
    "immediately": dict.fromkeys(REVIEW_ITEMS, "after_submit") | {"responses": "during"},
    "after_close": dict(DEFAULT_SETTINGS["review"]),
    "never": {"responses": "during"} | dict.fromkeys(REVIEW_ITEMS[1:], "never"),
}


def deadline_for(started_at: datetime, time_limit_s: int | None, close_at: datetime | None,
                 extra_time_s: int = 0) -> datetime | None:
    """The attempt ends at start + time limit (+ this student's extra time), never after the
    close time (which the student's extra time also moves). None when neither is set."""
    ends = []
    if time_limit_s:
        ends.append(started_at + timedelta(seconds=time_limit_s + extra_time_s))
    if close_at is not None:
        ends.append(close_at + timedelta(seconds=extra_time_s))
    return min(ends) if ends else None


def grace_seconds(late: dict) -> int:
    """Seconds after the deadline during which saves and submits are still taken.

    ``auto_submit`` allows none; ``grace`` its ``grace_s``; ``not_counted`` accepts writes for
    ``grace_s`` too but marks a submit after the deadline as not counted."""
    if late.get("mode") == "auto_submit":
        return 0
    return max(0, int(late.get("grace_s") or 0))


@dataclass(frozen=True)
class WriteDecision:
    accepted: bool
    counted: bool


def late_decision(late: dict, deadline: datetime | None, now: datetime) -> WriteDecision:
    """May a save/submit at ``now`` be stored, and does the attempt still count?

    Boundary: a write exactly at the deadline (or at deadline + grace) is accepted."""
    if deadline is None or now <= deadline:
        return WriteDecision(True, True)
    if now <= deadline + timedelta(seconds=grace_seconds(late)):
        return WriteDecision(True, late.get("mode") != "not_counted")
    return WriteDecision(False, late.get("mode") != "not_counted")


#: Review items that give the answers away.
ANSWER_ITEMS = ("correct_answers", "feedback")


def answers_before_last_attempt(settings: dict) -> bool:
    """A test (not practice) that shows correct answers or feedback once an attempt is
    submitted (or during it) while the student may make another attempt: they can read the
    key and then score full marks. Pages warn the teacher; nothing refuses it."""
    if setting(settings, "mode") != "test" or setting(settings, "attempts_allowed") == 1:
        return False
    review = setting(settings, "review")
    return any(review.get(item) in ("during", "after_submit") for item in ANSWER_ITEMS)


def what_may_show(policy: dict, attempt_finished: bool, now: datetime,
                  close_at: datetime | None) -> set[str]:
    """The review items (REVIEW_ITEMS) a student may see now. Used by every path.

    ``during``: always; ``after_submit``: once the attempt is finished; ``after_close``: once
    finished and the exam closed (never, if it has no close time); ``never``: never."""
    closed = close_at is not None and now >= close_at
    shown = set()
    for item in REVIEW_ITEMS:
        when = policy.get(item, "never")
        if (when == "during" or (when == "after_submit" and attempt_finished)
                or (when == "after_close" and attempt_finished and closed)):
            shown.add(item)
    return shown


#: A question's points in a test: more than 0, at most MAX_POINTS, in steps of POINTS_STEP.
#: Larger values overflow the stored score (NUMERIC(10, 4)) and ``1E+999999`` every total.
MAX_POINTS = Decimal(100)
POINTS_STEP = Decimal("0.01")


def parse_points(value) -> Decimal | None:
    """Points typed or sent (``"0,25"``, ``"1.5"``, ``2``) → Decimal, or None when they are not
    a number in (0, MAX_POINTS] with at most two decimals."""
    if value is None or isinstance(value, bool):
        return None
    try:
        points = Decimal(str(value).strip().replace(",", "."))
    except (InvalidOperation, ValueError):
        return None
    if not points.is_finite() or not Decimal(0) < points <= MAX_POINTS \
            or points != points.quantize(POINTS_STEP):
        return None
    return points


def stored_points(value) -> Decimal:
    """A slot's points as kept in an exam's selection or snapshot. Rows stored before input
    was bounded may hold ``Infinity`` or ``1E+999999``: they count as MAX_POINTS (anything
    else that is no positive number as 0), so totals, submits and reports still work."""
    points = parse_points(value)
    if points is not None:
        return points
    try:
        number = Decimal(str(value))
    except (InvalidOperation, ValueError):
        return Decimal(0)
    if number.is_nan() or number <= 0:
        return Decimal(0)
    return min(number, MAX_POINTS)


def slot_points(fraction: Decimal | None, points: Decimal) -> Decimal:
    """Points earned on one slot: exact, unrounded; an ungraded slot earns 0 until graded."""
    return (fraction or Decimal(0)) * points


SCORE_STEP = Decimal("0.0001")


def stored_score(points: Decimal) -> Decimal:
    """Raw points as stored (``attempt.score`` is NUMERIC(10, 4)): half-up to 4 places.
    The 10-point grade is computed from the exact total, not from this."""
    return points.quantize(SCORE_STEP, rounding=ROUND_HALF_UP)


def to_scale(score: Decimal, max_points: Decimal, scale: int = 10,
             rounding: str = "0.01") -> Decimal:
    """Score on the ``scale``-point scale, rounded half-up to a multiple of ``rounding``
    (0.01, 0.1, 0.25, 0.5 …)."""
    if max_points <= 0:
        return Decimal(0)
    raw = score * Decimal(scale) / max_points
    step = Decimal(rounding)
    return ((raw / step).quantize(Decimal(1), rounding=ROUND_HALF_UP) * step).quantize(step)


def final_grade(grades: list[Decimal], method: str) -> Decimal | None:
    """The grade kept for a student from their finished attempts in order."""
    if not grades:
        return None
    if method == "last":
        return grades[-1]
    if method == "first":
        return grades[0]
    if method == "average":
        return sum(grades, Decimal(0)) / len(grades)
    return max(grades)


def shuffled(items: list, rng: random.Random, pinned: set | None = None) -> list:
    """``items`` shuffled, with ``pinned`` items kept at their positions ("Tất cả đều đúng")."""
    pinned = pinned or set()
    free = [item for item in items if item not in pinned]
    rng.shuffle(free)
    it = iter(free)
    return [item if item in pinned else next(it) for item in items]


def shuffle_by_section(slots: list[tuple[int, str]], rng: random.Random) -> list[int]:
    """Slot order with questions shuffled within each section; sections keep their order.
    ``slots`` is [(slot, section)] in paper order."""
    sections: dict[str, list[int]] = {}
    for slot, section in slots:
        sections.setdefault(section, []).append(slot)
    order = []
    for members in sections.values():
        order.extend(shuffled(members, rng))
    return order


def random_ids(keys: list[str], rng: random.Random) -> dict[str, str]:
    """Per-attempt ids for stored keys: random tokens, so neither value nor order tells the key."""
    ids: dict[str, str] = {}
    used = set()
    for key in keys:
        token = f"{rng.getrandbits(32):08x}"
        while token in used:
            token = f"{rng.getrandbits(32):08x}"
        used.add(token)
        ids[key] = token
    return ids


# ---------------------------------------------------------------- access codes


def normalise_code(code: str) -> str:
    """How a typed access code is compared: NFC, surrounding spaces dropped, case folded
    (phone keyboards capitalise the first letter)."""
    return unicodedata.normalize("NFC", code).strip().casefold()


def hash_code(code: str, salt: str | None = None) -> str:
    """``<salt>$<sha256(salt + code)>``: the settings never hold the code itself."""
    salt = salt or secrets.token_hex(8)
    digest = hashlib.sha256((salt + normalise_code(code)).encode()).hexdigest()
    return f"{salt}${digest}"


def code_matches(stored: str, code: str) -> bool:
    """Constant-time comparison of a typed code with the stored hash."""
    salt, _, _digest = stored.partition("$")
    return hmac.compare_digest(hash_code(code, salt), stored)


# ---------------------------------------------------------------- overrides


def merged_override(group: dict | None, own: dict | None) -> dict:
    """The override in force for one student: their own value wins over the class's, key by
    key; a key neither sets is absent."""
    merged = {k: v for k, v in (group or {}).items() if v is not None}
    merged.update({k: v for k, v in (own or {}).items() if v is not None})
    return merged


# ---------------------------------------------------------------- stored times


def stored_time(value: str | None) -> datetime | None:
    """A time kept in settings or overrides (ISO, naive UTC) → datetime; empty → None."""
    return datetime.fromisoformat(value) if value else None


# ---------------------------------------------------------------- sequential navigation


def sequential_allows(order: list[int], position: int, slot: int) -> bool:
    """In sequential mode a slot before the current position is closed for good."""
    return order.index(slot) >= position if slot in order else True
