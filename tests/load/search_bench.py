"""``python -m tests.load.search_bench`` (``make bench-search``): question bank benchmarks.

Issue 3 §6.

Pure local, no network, bounded in time. In one run:

1. generate ``--docs`` realistic Vietnamese questions (about 90 words, NFC, with diacritics,
   school-subject vocabulary) across subjects, grades 1–12, types, levels, statuses, schools
   and tags, from a fixed seed;
2. Whoosh: bulk-index them with the multi-process writer (``--procs``, limitmb=512) into a
   temporary folder with the fields and analyzer of the app (lms.questions.search.FIELDS through
   question_bank.SearchIndex), then time one-word queries and two-word UNACCENTED queries with
   two filters (subject, grade) and the app's facet counts, through ``SearchIndex.search``;
3. SQLite FTS5 (``unicode61 remove_diacritics 2``, đ folded to d in documents and queries) on
   the same corpus: indexing time and the same two query sets (filters on columns, facet
   counts by GROUP BY); Whoosh/FTS5 ratios;
4. the same queries again while another process upserts autosave rows into a SQLite database
   (WAL, synchronous=FULL) in a loop: loaded/idle ratio;
5. import throughput in a fresh process: a 10,000-question GIFT file through ``parse_gift`` +
   ``validate_payload`` and a 1,000-question .docx (python-docx) through ``read_docx``;
   seconds, tracemalloc peak and ru_maxrss.

A table is printed and the figures are written as JSON to ``--out`` (bench-results/). Targets
are reported as OK/MISS; nothing fails the build (a shared machine is too noisy for a gate).
"""

from __future__ import annotations

import argparse
import io
import json
import multiprocessing as mp
import platform
import random
import resource
import sqlite3
import sys
import tempfile
import time
import tracemalloc
import unicodedata
from datetime import UTC, datetime
from pathlib import Path

from tests.load.run import percentile

SEED = 20261129
WORDS_PER_QUESTION = 90
TARGETS = {
    "whoosh_index_s": 75.0, "one_word_p95_ms": 15.0, "two_word_filtered_p95_ms": 50.0,
    "loaded_over_idle": 2.0, "gift_s": 20.0, "docx_s": 20.0,
}

#: Subject code → (name, phrases typical of its questions).
SUBJECTS = {
    "toan": ("Toán", [
        "phương trình bậc hai", "đường tròn", "hàm số", "tam giác vuông", "đạo hàm",
        "tích phân", "nghiệm thực", "hình chóp", "mặt phẳng", "bất phương trình", "cấp số cộng",
        "xác suất", "tọa độ", "đồ thị hàm số", "giá trị lớn nhất", "hệ phương trình",
        "lượng giác", "số phức", "hình hộp chữ nhật", "diện tích", "thể tích", "phân số"]),
    "vatli": ("Vật lí", [
        "vận tốc", "gia tốc", "lực hấp dẫn", "điện trở", "cường độ dòng điện", "hiệu điện thế",
        "dao động điều hòa", "sóng cơ", "khúc xạ ánh sáng", "thấu kính hội tụ", "động năng",
        "thế năng", "định luật Ôm", "từ trường", "nhiệt lượng", "công suất", "con lắc đơn"]),
    "hoahoc": ("Hóa học", [
        "phản ứng oxi hóa khử", "dung dịch axit", "muối", "kim loại kiềm", "nguyên tử khối",
        "liên kết cộng hóa trị", "este", "chất béo", "polime", "cân bằng hóa học", "nồng độ mol",
        "bảng tuần hoàn", "điện phân", "hiđrocacbon", "ancol", "kết tủa", "khí cacbonic"]),
    "nguvan": ("Ngữ văn", [
        "bài thơ", "tác giả", "nhân vật", "biện pháp tu từ", "đoạn trích", "nghị luận xã hội",
        "truyện ngắn", "ẩn dụ", "hoán dụ", "so sánh", "Truyện Kiều", "Nguyễn Du",
        "tình yêu quê hương", "văn bản thuyết minh", "ca dao", "Tắt đèn", "Chí Phèo",
        "Vợ chồng A Phủ", "cảm hứng"]),
    "lichsu": ("Lịch sử", [
        "chiến dịch Điện Biên Phủ", "Cách mạng tháng Tám", "triều Nguyễn", "nhà Trần",
        "kháng chiến chống Mỹ", "Hai Bà Trưng", "Ngô Quyền", "chiến tranh thế giới",
        "phong trào Cần Vương", "Hiệp định Giơnevơ", "Đổi mới", "khởi nghĩa Lam Sơn",
        "Lý Thường Kiệt", "thực dân Pháp", "Quang Trung", "thống nhất đất nước"]),
    "diali": ("Địa lí", [
        "đồng bằng sông Cửu Long", "đồng bằng sông Hồng", "khí hậu nhiệt đới gió mùa",
        "dân số", "Tây Nguyên", "biển Đông", "cây công nghiệp", "đô thị hóa", "tài nguyên",
        "lượng mưa", "nhiệt độ trung bình", "sông Mê Công", "địa hình đồi núi", "vùng kinh tế"]),
    "sinhhoc": ("Sinh học", [
        "tế bào", "quang hợp", "di truyền", "nhiễm sắc thể", "gen", "đột biến", "hô hấp",
        "hệ sinh thái", "chuỗi thức ăn", "tiến hóa", "quần thể", "ADN", "prôtêin",
        "phân bào", "enzim", "thực vật", "động vật có xương sống"]),
    "tienganh": ("Tiếng Anh", [
        "thì hiện tại hoàn thành", "câu bị động", "mệnh đề quan hệ", "từ vựng", "phát âm",
        "câu điều kiện", "giới từ", "đọc hiểu", "điền từ", "câu gián tiếp", "trọng âm",
        "danh động từ", "động từ khuyết thiếu", "đồng nghĩa", "trái nghĩa"]),
    "tinhoc": ("Tin học", [
        "thuật toán", "biến", "vòng lặp", "câu lệnh điều kiện", "mảng một chiều", "cơ sở dữ liệu",
        "mạng máy tính", "bảng tính", "chương trình con", "kiểu dữ liệu", "Python", "tệp"]),
    "gdcd": ("Giáo dục công dân", [
        "pháp luật", "quyền công dân", "nghĩa vụ", "bình đẳng", "trách nhiệm", "đạo đức",
        "Hiến pháp", "kinh tế thị trường", "tự do kinh doanh", "bảo vệ môi trường"]),
}
STEMS = [
    "Cho", "Hãy", "Tính", "Xác định", "Chọn đáp án đúng về", "Phát biểu nào sau đây đúng về",
    "Trong các nhận định về", "Em hãy giải thích", "Nêu ý nghĩa của", "So sánh", "Phân tích",
]
FILLER = str.split(
    "của các với trong khi nếu thì và là một những được có không học sinh bài tập giáo viên "
    "kết quả sau đây nào đúng sai biết rằng theo ví dụ trường hợp dưới đây tìm giá trị cho biết "
    "điều kiện nhận xét cách giải thích tại sao như thế ta hãy xét tiếp theo bước đầu tiên cuối "
    "cùng lớp năm học thực tế cuộc sống quan trọng nhất hiện nay Việt Nam người đã từ đến"
)
TYPES = ["single_choice"] * 5 + ["multiple_choice", "true_false", "true_false_4", "short_text",
                                 "short_numeric", "essay", "matching", "cloze"]
LEVELS = ["nhan_biet", "thong_hieu", "van_dung", "van_dung_cao"]
STATUSES = ["approved"] * 6 + ["draft", "draft", "in_review", "rejected"]
TAGS = ["HK1", "HK2", "giữa kì", "cuối kì", "ôn thi THPT", "đề minh họa", "nâng cao", "cơ bản",
        "chuyên đề", "luyện tập", "kiểm tra 15 phút", "kiểm tra 1 tiết"]
SCHOOLS = 40
AUTHORS = 400


# ---------------------------------------------------------------- corpus


def _sentence(rng: random.Random, phrases: list[str]) -> list[str]:
    words = [rng.choice(STEMS)]
    for _ in range(rng.randint(2, 4)):
        words += rng.sample(FILLER, rng.randint(2, 5))
        words.append(rng.choice(phrases))
    return " ".join(words).split()


def question_text(rng: random.Random, phrases: list[str]) -> str:
    """About WORDS_PER_QUESTION words in NFC: a stem of sentences, then four options."""
    words: list[str] = []
    while len(words) < WORDS_PER_QUESTION - 16:
        words += _sentence(rng, phrases)
        words[-1] += rng.choice("?.:")
    for letter in "ABCD":
        words += [f"{letter}.", *rng.sample(FILLER, 2), *rng.choice(phrases).split()]
    return unicodedata.normalize("NFC", " ".join(words[:WORDS_PER_QUESTION + 6]))


def corpus(count: int, seed: int = SEED):
    """``count`` index documents shaped like lms.questions.search.document(), reproducibly."""
    rng = random.Random(seed)
    codes = list(SUBJECTS)
    for number in range(1, count + 1):
        code = rng.choice(codes)
        author = rng.randint(1, AUTHORS)
        status = rng.choice(STATUSES)
        visible = [f"user:{author}"] + (["all"] if status == "approved" else [])
        yield {
            "id": number, "text": question_text(rng, SUBJECTS[code][1]), "subject": code,
            "grade": rng.randint(1, 12), "topic": str(rng.randint(1, 300)),
            "level": rng.choice(LEVELS), "type": rng.choice(TYPES), "status": status,
            "school": str(rng.randint(1, SCHOOLS)), "tags": rng.sample(TAGS, rng.randint(0, 3)),
            "visible": visible, "updated": 1_764_000_000 + number,
        }


def query_sets(count: int, seed: int = SEED + 1):
    """One-word queries (accented, as typed) and two-word unaccented queries with filters."""
    from lms.kernel.text import fold

    rng = random.Random(seed)
    one, two = [], []
    for _ in range(count):
        code = rng.choice(list(SUBJECTS))
        one.append(rng.choice(rng.choice(SUBJECTS[code][1]).split()))
        phrase = [p for p in SUBJECTS[code][1] if len(p.split()) >= 2]
        words = rng.choice(phrase).split()
        start = rng.randrange(len(words) - 1)
        two.append((fold(" ".join(words[start:start + 2])), code, rng.randint(1, 12)))
    return one, two


def fts_fold(text: str) -> str:
    """đ/Đ → d/D: unicode61's remove_diacritics leaves đ alone (it is a letter, not a mark)."""
    return text.replace("đ", "d").replace("Đ", "D")


# ---------------------------------------------------------------- whoosh


def whoosh_index(docs: list[dict], path: Path, procs: int, limitmb: int) -> dict:
    from lms.questions.search import FIELDS
    from question_bank import SearchIndex

    search = SearchIndex(path, FIELDS)
    search.clear()
    started = time.perf_counter()
    ix = search._open()
    writer = ix.writer(procs=procs, limitmb=limitmb, multisegment=procs > 1)
    for doc in docs:
        writer.add_document(**search._prepare(doc))
    writer.commit()
    seconds = time.perf_counter() - started
    size = sum(f.stat().st_size for f in path.iterdir())
    return {"seconds": seconds, "docs_per_s": len(docs) / seconds, "size_mb": size / 2**20}


def whoosh_queries(path: Path, one: list[str], two: list[tuple]) -> dict:
    from lms.questions.search import FACETS, FIELDS
    from question_bank import SearchIndex

    search = SearchIndex(path, FIELDS)
    search.search("toán")  # open once, as the app's long-lived index object does

    def one_word(q):
        return search.search(q).total

    def two_word(item):
        q, subject, grade = item
        return search.search(q, filters={"subject": subject, "grade": grade},
                             facets=FACETS).total

    return {"one_word": _timed(one_word, one), "two_word_filtered": _timed(two_word, two)}


# ---------------------------------------------------------------- fts5


FTS_FACETS = ("subject", "grade", "topic", "level", "type", "status", "school")
#: Facet counts over the matches in temp table ``m``; {name} is one of FTS_FACETS.
_FACET_SQL = "SELECT q.{name}, count(*) FROM m JOIN q ON q.id = m.id GROUP BY q.{name}"


def fts_index(docs: list[dict], path: Path) -> dict:
    con = sqlite3.connect(path)
    con.executescript("""
        PRAGMA journal_mode=WAL;
        CREATE TABLE q (id INTEGER PRIMARY KEY, subject TEXT, grade INTEGER, topic TEXT,
                        level TEXT, type TEXT, status TEXT, school TEXT, updated INTEGER);
        CREATE TABLE q_tag (q_id INTEGER, tag TEXT);
        CREATE VIRTUAL TABLE q_fts USING fts5(text, tokenize="unicode61 remove_diacritics 2");
    """)
    started = time.perf_counter()
    with con:
        con.executemany("INSERT INTO q VALUES (?,?,?,?,?,?,?,?,?)", (
            (d["id"], d["subject"], d["grade"], d["topic"], d["level"], d["type"], d["status"],
             d["school"], d["updated"]) for d in docs))
        con.executemany("INSERT INTO q_tag VALUES (?, ?)",
                        ((d["id"], t) for d in docs for t in d["tags"]))
        con.executemany("INSERT INTO q_fts (rowid, text) VALUES (?, ?)",
                        ((d["id"], fts_fold(d["text"])) for d in docs))
        con.execute("CREATE INDEX ix_q_subject_grade ON q (subject, grade)")
        con.execute("CREATE INDEX ix_q_tag ON q_tag (q_id)")
    con.execute("INSERT INTO q_fts(q_fts) VALUES ('optimize')")
    con.commit()
    seconds = time.perf_counter() - started
    con.close()
    return {"seconds": seconds, "docs_per_s": len(docs) / seconds,
            "size_mb": path.stat().st_size / 2**20}


def _match(query: str) -> str:
    """Every word must match, each quoted so FTS5 syntax in user input means nothing."""
    from lms.kernel.text import fold

    return " ".join('"' + w.replace('"', "") + '"' for w in fts_fold(fold(query)).split())


def fts_queries(path: Path, one: list[str], two: list[tuple]) -> dict:
    con = sqlite3.connect(path)

    def one_word(q):
        match = _match(q)
        ids = con.execute("SELECT rowid FROM q_fts WHERE q_fts MATCH ? ORDER BY rank LIMIT 20",
                          (match,)).fetchall()
        total = con.execute("SELECT count(*) FROM q_fts WHERE q_fts MATCH ?", (match,))
        return len(ids), total.fetchone()[0]

    def two_word(item):
        q, subject, grade = item
        con.execute("DROP TABLE IF EXISTS temp.m")
        # MATERIALIZED: full-text first, then the column filters (else SQLite may evaluate the
        # MATCH once per subject/grade row, re-reading the posting lists each time).
        con.execute("CREATE TEMP TABLE m AS WITH f AS MATERIALIZED (SELECT rowid AS id, rank "
                    "FROM q_fts WHERE q_fts MATCH ?) SELECT f.id, f.rank FROM f JOIN q "
                    "ON q.id = f.id WHERE q.subject = ? AND q.grade = ?",
                    (_match(q), subject, grade))
        ids = con.execute("SELECT id FROM m ORDER BY rank LIMIT 20").fetchall()
        facets = {name: con.execute(_FACET_SQL.format(name=name)).fetchall()
                  for name in FTS_FACETS}
        facets["tags"] = con.execute("SELECT t.tag, count(*) FROM m JOIN q_tag t "
                                     "ON t.q_id = m.id GROUP BY t.tag").fetchall()
        return len(ids), facets

    try:
        return {"one_word": _timed(one_word, one), "two_word_filtered": _timed(two_word, two)}
    finally:
        con.close()


# ---------------------------------------------------------------- autosave load


def autosave_loop(path: str, stop, counter, rate: float) -> None:
    """Upsert answer rows like the test page's autosave, one transaction each, until stopped;
    paced at ``rate`` upserts/s (0: as fast as possible)."""
    con = sqlite3.connect(path, isolation_level=None)
    con.execute("PRAGMA journal_mode=WAL")
    con.execute("PRAGMA synchronous=FULL")
    con.execute("CREATE TABLE IF NOT EXISTS answer (attempt INTEGER, question INTEGER, "
                "response TEXT, saved REAL, PRIMARY KEY (attempt, question))")
    rng = random.Random(SEED)
    done, started = 0, time.perf_counter()
    while not stop.is_set():
        if rate and done > rate * (time.perf_counter() - started):
            time.sleep(0.001)
            continue
        con.execute("BEGIN IMMEDIATE")
        con.execute("INSERT INTO answer VALUES (?, ?, ?, ?) ON CONFLICT (attempt, question) "
                    "DO UPDATE SET response = excluded.response, saved = excluded.saved",
                    (rng.randint(1, 500), rng.randint(1, 40),
                     json.dumps({"choice": rng.choice("abcd"), "text": "câu trả lời " * 5}),
                     time.time()))
        con.execute("COMMIT")
        done += 1
        if done % 50 == 0:
            counter.value = done
    counter.value = done
    con.close()


# ---------------------------------------------------------------- import throughput


def gift_file(count: int, seed: int = SEED + 2) -> str:
    """A GIFT file of ``count`` questions: single/multiple choice, true/false, short answer."""
    rng = random.Random(seed)
    blocks = []
    for number in range(1, count + 1):
        code = rng.choice(list(SUBJECTS))
        phrases = SUBJECTS[code][1]
        if number % 200 == 1:
            blocks.append(f"$CATEGORY: $course$/{SUBJECTS[code][0]}/Lớp {rng.randint(1, 12)}")
        stem = " ".join(_sentence(rng, phrases)).replace("=", "bằng").replace("~", "")
        stem = unicodedata.normalize("NFC", stem).translate(str.maketrans("", "", "{}#:"))
        kind = number % 4
        if kind == 0:
            options = [rng.choice(phrases) + f" {i}" for i in range(4)]
            answer = "{=" + options[0] + " ~" + " ~".join(options[1:]) + "}"
        elif kind == 1:
            answer = "{" + ("T" if number % 8 == 1 else "F") + "}"
        elif kind == 2:
            answer = "{=" + rng.choice(phrases) + "}"
        else:
            options = [rng.choice(phrases) + f" {i}" for i in range(4)]
            answer = ("{~%50%" + options[0] + " ~%50%" + options[1] + " ~%-100%" + options[2]
                      + " ~%-100%" + options[3] + "}")
        blocks.append(f"::Câu {number}:: {stem} {answer}")
    return "\n\n".join(blocks) + "\n"


def docx_file(count: int, seed: int = SEED + 3) -> bytes:
    """A Word test of ``count`` "Câu N." questions with A–D options and "Đáp án: X" lines."""
    from docx import Document

    rng = random.Random(seed)
    document = Document()
    document.add_paragraph("ĐỀ KIỂM TRA CUỐI KÌ")
    for number in range(1, count + 1):
        phrases = SUBJECTS[rng.choice(list(SUBJECTS))][1]
        document.add_paragraph(f"Câu {number}. " + " ".join(_sentence(rng, phrases)) + "?")
        for letter in "ABCD":
            document.add_paragraph(f"{letter}. {rng.choice(phrases)} {letter.lower()}")
        document.add_paragraph(f"Đáp án: {rng.choice('ABCD')}")
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def import_worker(kind: str, count: int, queue) -> None:
    """Build then parse one file in a fresh (spawned) process so ru_maxrss is its own."""
    from question_bank import validate_payload
    from question_bank.formats import parse_gift, read_docx

    data = gift_file(count).encode() if kind == "gift" else docx_file(count)
    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    tracemalloc.start()
    started = time.perf_counter()
    result = parse_gift(data) if kind == "gift" else read_docx(data, "bench.docx")
    invalid = 0
    for question in result.questions:
        try:
            validate_payload(question.payload)
        except Exception:  # noqa: BLE001 - counted and reported, the bench goes on
            invalid += 1
    seconds = time.perf_counter() - started
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    queue.put({"kind": kind, "questions_in_file": count, "parsed": len(result.questions),
               "errors": len(result.errors), "invalid_payloads": invalid,
               "file_mb": len(data) / 2**20, "seconds": seconds,
               "tracemalloc_peak_mb": peak / 2**20,
               "ru_maxrss_mb_before_parse": rss_before / 1024,
               "ru_maxrss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024})


def run_import(kind: str, count: int) -> dict:
    context = mp.get_context("spawn")
    queue = context.Queue()
    process = context.Process(target=import_worker, args=(kind, count, queue))
    process.start()
    try:
        return queue.get(timeout=600)
    finally:
        process.join(timeout=30)


# ---------------------------------------------------------------- helpers and main


def _timed(function, items) -> dict:
    latencies = []
    for item in items:
        started = time.perf_counter()
        function(item)
        latencies.append((time.perf_counter() - started) * 1000)
    latencies.sort()
    return {"n": len(latencies), "p50_ms": percentile(latencies, 0.50),
            "p95_ms": percentile(latencies, 0.95), "p99_ms": percentile(latencies, 0.99),
            "mean_ms": sum(latencies) / len(latencies)}


def _verdict(value: float, target: float) -> str:
    return "OK" if value <= target else "MISS"


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--docs", type=int, default=100_000, help="questions in the corpus")
    parser.add_argument("--procs", type=int, default=2, help="Whoosh writer processes")
    parser.add_argument("--limitmb", type=int, default=512, help="Whoosh writer memory (MB)")
    parser.add_argument("--queries", type=int, default=300, help="queries per set")
    parser.add_argument("--gift", type=int, default=10_000, help="questions in the GIFT file")
    parser.add_argument("--docx", type=int, default=1_000, help="questions in the .docx")
    parser.add_argument("--autosave-rate", type=float, default=200,
                        help="autosave upserts/s during the loaded pass (0: unpaced)")
    parser.add_argument("--skip-import", action="store_true", help="no import throughput")
    parser.add_argument("--out", default="bench-results", help="folder for the JSON")
    return parser.parse_args(argv)


def main(argv=None) -> int:
    args = parse_args(argv)
    report = {"started": datetime.now(UTC).isoformat(timespec="seconds"),
              "argv": sys.argv[1:], "python": platform.python_version(),
              "sqlite": sqlite3.sqlite_version, "args": vars(args), "targets": TARGETS}
    total_started = time.perf_counter()
    started = time.perf_counter()
    docs = list(corpus(args.docs))
    one, two = query_sets(args.queries)
    words = sum(len(d["text"].split()) for d in docs) / len(docs)
    report["corpus"] = {"docs": len(docs), "mean_words": words,
                        "generate_s": time.perf_counter() - started}
    print(f"corpus: {len(docs)} questions, {words:.0f} words each, "
          f"{report['corpus']['generate_s']:.1f} s", flush=True)
    with tempfile.TemporaryDirectory(prefix="hoclieu-search-bench-") as tmp:
        tmp = Path(tmp)
        report["whoosh_index"] = whoosh_index(docs, tmp / "whoosh", args.procs, args.limitmb)
        print(f"whoosh index: {report['whoosh_index']['seconds']:.1f} s", flush=True)
        report["fts5_index"] = fts_index(docs, tmp / "fts.db")
        print(f"fts5 index: {report['fts5_index']['seconds']:.1f} s", flush=True)
        del docs
        report["idle"] = {"whoosh": whoosh_queries(tmp / "whoosh", one, two),
                          "fts5": fts_queries(tmp / "fts.db", one, two)}
        report["loaded"] = _loaded_pass(tmp, one, two, args.autosave_rate)
    if not args.skip_import:
        report["import"] = {"gift": run_import("gift", args.gift),
                            "docx": run_import("docx", args.docx)}
    report["total_s"] = time.perf_counter() - total_started
    _summarise(report)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    path = out / f"search-bench-{datetime.now(UTC):%Y%m%dT%H%M%SZ}.json"
    path.write_text(json.dumps(report, indent=2, ensure_ascii=False), encoding="utf-8")
    print(f"\nJSON: {path}")
    return 0


def _loaded_pass(tmp: Path, one, two, rate: float) -> dict:
    """The query sets again while a separate process writes autosaves (WAL, synchronous=FULL)."""
    context = mp.get_context("spawn")
    stop, counter = context.Event(), context.Value("q", 0)
    writer = context.Process(target=autosave_loop, args=(str(tmp / "autosave.db"), stop, counter,
                                                        rate))
    writer.start()
    time.sleep(1.0)
    started, before = time.perf_counter(), counter.value
    try:
        loaded = {"whoosh": whoosh_queries(tmp / "whoosh", one, two),
                  "fts5": fts_queries(tmp / "fts.db", one, two)}
    finally:
        seconds, upserts = time.perf_counter() - started, counter.value - before
        stop.set()
        writer.join(timeout=30)
    loaded["autosave_upserts_per_s"] = upserts / seconds
    return loaded


def _summarise(report: dict) -> None:
    wi, fi = report["whoosh_index"], report["fts5_index"]
    idle, loaded = report["idle"], report["loaded"]
    rows = [("index (s)", wi["seconds"], fi["seconds"], TARGETS["whoosh_index_s"]),
            ("index docs/s", wi["docs_per_s"], fi["docs_per_s"], None)]
    for key, label, target in (("one_word", "1 word", TARGETS["one_word_p95_ms"]),
                               ("two_word_filtered", "2 words unaccented + 2 filters + facets",
                                TARGETS["two_word_filtered_p95_ms"])):
        for pct in ("p50_ms", "p95_ms"):
            rows.append((f"{label} {pct} idle", idle["whoosh"][key][pct],
                         idle["fts5"][key][pct], target if pct == "p95_ms" else None))
            rows.append((f"{label} {pct} autosave load", loaded["whoosh"][key][pct],
                         loaded["fts5"][key][pct], target if pct == "p95_ms" else None))
    ratios = {}
    print(f"\n{'measure':<58} {'Whoosh':>9} {'FTS5':>9} {'W/F':>6}  target")
    for label, w, f, target in rows:
        ratio = w / f if f else float("nan")
        verdict = f"≤ {target:g} {_verdict(w, target)}" if target else ""
        print(f"{label:<58} {w:9.1f} {f:9.1f} {ratio:6.2f}  {verdict}")
        ratios[label] = ratio
    report["whoosh_over_fts5"] = ratios
    under_load = {}
    for engine in ("whoosh", "fts5"):
        for key in ("one_word", "two_word_filtered"):
            under_load[f"{engine} {key} p95"] = (loaded[engine][key]["p95_ms"]
                                                 / idle[engine][key]["p95_ms"])
    report["loaded_over_idle"] = under_load
    print(f"\nautosave writer: {loaded['autosave_upserts_per_s']:.0f} upserts/s during the pass")
    for label, ratio in under_load.items():
        print(f"loaded/idle {label:<34} {ratio:5.2f}  ≤ 2 "
              f"{_verdict(ratio, TARGETS['loaded_over_idle'])}")
    for kind, result in report.get("import", {}).items():
        print(f"import {kind}: {result['parsed']}/{result['questions_in_file']} questions, "
              f"{result['errors']} errors, {result['invalid_payloads']} invalid, "
              f"{result['seconds']:.1f} s (≤ 20 {_verdict(result['seconds'], 20)}), "
              f"tracemalloc peak {result['tracemalloc_peak_mb']:.0f} MB, "
              f"ru_maxrss {result['ru_maxrss_mb']:.0f} MB")
    print(f"total {report['total_s']:.0f} s")


if __name__ == "__main__":
    sys.exit(main())
