"""The rules of the circulars as data, and which rule set a grade follows in a school year.

Cohorts moved to the new circulars one grade at a time, so one school can run two rule sets
in the same year (``ADOPTION``). A later change of the law is a new rule set and new adoption
rows, never an edit of the formulas. The functions that apply a rule set live in
:mod:`tt22` and :mod:`tt27`; they read every number from here.
"""

from dataclasses import dataclass
from decimal import Decimal

from lms.gradebook.circulars.scores import FOUR_LEVELS

T, K, D, CD = FOUR_LEVELS.codes  # Tốt, Khá, Đạt, Chưa đạt


@dataclass(frozen=True)
class LevelRule:
    """One row of the learning-result table (TT22 Điều 9 khoản 2): a level is reached when
    at most ``comment_fails`` comment-only subjects are Chưa đạt, no scored subject is below
    ``floor``, and at least ``count`` scored subjects reach ``count_at``."""

    level: str
    comment_fails: int
    floor: Decimal
    count: int
    count_at: Decimal


@dataclass(frozen=True)
class AwardRule:
    """A title (TT22 Điều 15) for conduct and learning at ``conduct``/``learning``, with at
    least ``count`` subjects whose year average reaches ``count_at`` (0 subjects: none asked)."""

    code: str
    title: str
    conduct: str
    learning: str
    count: int = 0
    count_at: Decimal = Decimal(0)


@dataclass(frozen=True)
class Tt22Rules:
    """THCS/THPT, Thông tư 22/2021/TT-BGDĐT."""

    code: str
    title: str
    #: (most periods per school year, regular scores per term); ``None``: any number above.
    regular_counts: tuple[tuple[int | None, int], ...]
    #: Weights of a regular score, the mid-term and the end-of-term score in a term average.
    weights: tuple[int, int, int]
    #: Weights of term I and term II in the year average.
    year_weights: tuple[int, int]
    #: The learning-result table, best level first; below the last row: Chưa đạt.
    learning: tuple[LevelRule, ...]
    #: Khoản 3: a fall of ``adjust_gap`` levels or more from one of ``adjust_from`` caused by
    #: one single subject is raised one level.
    adjust_from: tuple[str, ...]
    adjust_gap: int
    #: (term I conduct, term II conduct) → year conduct (Điều 8 khoản 2).
    conduct_year: dict[tuple[str, str], str]
    #: Promotion (Điều 12): most absences in the year, and the retest threshold.
    max_absences: int
    retest_below: Decimal
    awards: tuple[AwardRule, ...]
    kind: str = "tt22"


@dataclass(frozen=True)
class Tt27Level:
    """One row of the TT27 year-end evaluation (Điều 14): every subject rated within
    ``subjects``, every quality or competence within ``qualities``, every end-of-year test at
    least ``min_test``."""

    code: str
    title: str
    subjects: frozenset[str]
    qualities: frozenset[str]
    min_test: int


@dataclass(frozen=True)
class Tt27Rules:
    """Tiểu học, Thông tư 27/2020/TT-BGDĐT."""

    code: str
    title: str
    #: Subjects with a periodic test (end of term I and end of year).
    tested: frozenset[str]
    #: Subjects also tested at mid-term, and the grades where they are.
    mid_tested: frozenset[str]
    mid_test_grades: frozenset[int]
    #: The qualities (phẩm chất) and competences (năng lực) rated Tốt / Đạt / Cần cố gắng.
    qualities: tuple[tuple[str, str], ...]
    #: Year-end levels, best first; below the last row: ``fallback``.
    levels: tuple[Tt27Level, ...]
    fallback: tuple[str, str]
    kind: str = "tt27"


def _conduct_table() -> dict[tuple[str, str], str]:
    """TT22 Điều 8 khoản 2, written as the circular lists it; unlisted pairs are Chưa đạt."""
    table = {}
    for t1 in (T, K, D, CD):
        table[(t1, CD)] = CD
    table |= {(T, T): T, (K, T): T}
    table |= {(T, K): K, (K, K): K, (D, K): K, (T, D): K, (D, T): K, (CD, T): K}
    table |= {(K, D): D, (D, D): D, (CD, D): D, (CD, K): D}
    return table


TT22 = Tt22Rules(
    code="TT22",
    title="Thông tư 22/2021/TT-BGDĐT",
    regular_counts=((35, 2), (70, 3), (None, 4)),
    weights=(1, 2, 3),
    year_weights=(1, 2),
    learning=(
        LevelRule(T, comment_fails=0, floor=Decimal("6.5"), count=6, count_at=Decimal("8.0")),
        LevelRule(K, comment_fails=0, floor=Decimal("5.0"), count=6, count_at=Decimal("6.5")),
        LevelRule(D, comment_fails=1, floor=Decimal("3.5"), count=6, count_at=Decimal("5.0")),
    ),
    adjust_from=(T, K),
    adjust_gap=2,
    conduct_year=_conduct_table(),
    max_absences=45,
    retest_below=Decimal("5.0"),
    awards=(
        AwardRule("xuat_sac", "Học sinh Xuất sắc", T, T, count=6, count_at=Decimal("9.0")),
        AwardRule("gioi", "Học sinh Giỏi", T, T),
    ),
)

TT27 = Tt27Rules(
    code="TT27",
    title="Thông tư 27/2020/TT-BGDĐT",
    tested=frozenset({"TIENGVIET", "TOAN", "TIENGANH", "LSDL", "KHOAHOC", "TINHOC",
                      "CONGNGHE"}),
    mid_tested=frozenset({"TIENGVIET", "TOAN"}),
    mid_test_grades=frozenset({4, 5}),
    qualities=(
        ("YEUNUOC", "Yêu nước"), ("NHANAI", "Nhân ái"), ("CHAMCHI", "Chăm chỉ"),
        ("TRUNGTHUC", "Trung thực"), ("TRACHNHIEM", "Trách nhiệm"),
        ("TUCHU", "Tự chủ và tự học"), ("GIAOTIEP", "Giao tiếp và hợp tác"),
        ("GQVD", "Giải quyết vấn đề và sáng tạo"),
        ("NGONNGU", "Ngôn ngữ"), ("TINHTOAN", "Tính toán"), ("KHOAHOC", "Khoa học"),
        ("CONGNGHE", "Công nghệ"), ("TINHOC", "Tin học"), ("THAMMI", "Thẩm mĩ"),
        ("THECHAT", "Thể chất"),
    ),
    levels=(
        Tt27Level("HTXS", "Hoàn thành xuất sắc", frozenset("T"), frozenset("T"), 9),
        Tt27Level("HTT", "Hoàn thành tốt", frozenset("T"), frozenset("T"), 7),
        Tt27Level("HT", "Hoàn thành", frozenset("TH"), frozenset({"T", "Đ"}), 5),
    ),
    fallback=("CHT", "Chưa hoàn thành"),
)

RULE_SETS = {rules.code: rules for rules in (TT22, TT27)}

#: (rule set, grade, first school year it applies to — the calendar year the school year
#: starts in). TT27 Điều 18; TT22 Điều 22.
ADOPTION: tuple[tuple[str, int, int], ...] = (
    ("TT27", 1, 2020), ("TT27", 2, 2021), ("TT27", 3, 2022), ("TT27", 4, 2023),
    ("TT27", 5, 2024),
    ("TT22", 6, 2021), ("TT22", 7, 2022), ("TT22", 8, 2023), ("TT22", 9, 2024),
    ("TT22", 10, 2022), ("TT22", 11, 2023), ("TT22", 12, 2024),
)


def rule_set_for(year_start: int, grade: int) -> Tt22Rules | Tt27Rules | None:
    """The rule set grade ``grade`` follows in the school year starting in ``year_start``;
    None when no rule set of this gradebook covers it (an earlier circular)."""
    rows = [(since, code) for code, g, since in ADOPTION if g == grade and since <= year_start]
    if not rows:
        return None
    return RULE_SETS[max(rows)[1]]
