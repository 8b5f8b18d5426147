"""``python -m tests.load.gradebook_bench``: the gradebook's two targets (issue 13 §5).

1. **Recompute a whole school**: 1,500 students of grade 10 in classes of 40, 12 subjects,
   both terms complete, conduct for both terms — ``summary.school_results`` loads every cell
   and computes every term average, year average, learning result (with the adjustment) and
   year conduct. Timed in-process from a cold session, ``--rounds`` times. Target ≤ 2 s.
2. **The class gradebook page** (``GET /gradebook/classes/<id>?period=year``, 40 students ×
   12 subjects) for its homeroom teacher under gunicorn with ``--concurrency`` closed-loop
   clients. Target p95 ≤ 150 ms; its SQL statement count (≤ 10) is asserted in the unit suite
   (tests/lms/test_gradebook_pages.py).

The data is seeded into a throw-away instance (SQLite, or PostgreSQL with ``--pg``) by
``python -m tests.load.gradebook_bench seed`` in a subprocess with that instance's env.
"""

import argparse
import json
import random
import statistics
import subprocess  # noqa: S404 - runs this module's own seed step
import sys
import tempfile
import time
from pathlib import Path

from sqlalchemy import insert, select

from tests.live_server import ROOT, LiveServer, instance_env
from tests.load.run import (
    DEFAULT_PG,
    PostgresDatabase,
    Scenario,
    measure,
    session_cookie,
)

STUDENTS = 1500
CLASS_SIZE = 40
RECOMPUTE_TARGET_S = 2.0
PAGE_P95_TARGET_MS = 150.0


def seed(students: int, class_size: int) -> dict:
    """Migrate, then one school of ``students`` in grade 10 with every cell of both terms."""
    from flask_migrate import upgrade

    from lms.auth import passwords
    from lms.auth.models import User
    from lms.curriculum.models import Subject
    from lms.gradebook.book import load_book
    from lms.gradebook.configure import seed_periods
    from lms.gradebook.models import ClassElective, GradebookEntry, StudentTerm
    from lms.kernel import db
    from lms.org.models import Membership, Role, SchoolYear
    from tests.factories import build_org, make_class, member
    from tests.load.run import PASSWORD

    upgrade()
    org = build_org()
    school = org.school_x
    year = db.session.get(SchoolYear, org.class_x.school_year_id)
    seed_periods(year, grades={10})
    classes = [make_class(school, year, f"10B{i + 1:02d}")
               for i in range(-(-students // class_size))]
    chosen = db.session.scalars(select(Subject.id).where(
        Subject.code.in_(("VATLI", "HOAHOC", "SINHHOC", "TINHOC")))).all()
    db.session.execute(insert(ClassElective), [
        {"class_id": c.id, "subject_id": s} for c in classes for s in chosen])
    homeroom = User(username="gvcn.bench", full_name="Giáo Viên Chủ Nhiệm",
                    password_hash=passwords.hash_password(PASSWORD, (1024, 1, 1)))
    db.session.add(homeroom)
    db.session.flush()
    member(homeroom, Role.HOMEROOM_TEACHER, school, classes[0])
    db.session.execute(insert(User), [
        {"username": f"hs{i:05d}", "full_name": f"Học Sinh {i:05d}", "name_key": f"hoc sinh {i}",
         "password_hash": "x"} for i in range(students)])
    ids = list(db.session.scalars(select(User.id).where(User.username.like("hs0%"))
                                  .order_by(User.username)))
    db.session.execute(insert(Membership), [
        {"user_id": uid, "role": Role.STUDENT, "unit_id": school.id,
         "class_id": classes[n // class_size].id} for n, uid in enumerate(ids)])
    setups = load_book(classes[0]).subjects
    rng = random.Random(13)  # noqa: S311 — reproducible data, not secrets
    rows, conduct = [], []
    for n, uid in enumerate(ids):
        class_id = classes[n // class_size].id
        for term in (1, 2):
            conduct.append({"class_id": class_id, "student_id": uid, "term": term,
                            "conduct": rng.choice("TTKKĐ"), "qualities": {}})
            for setup in setups:
                rows.append({"class_id": class_id, "subject_id": setup.id, "student_id": uid,
                             "term": term, "version": 1,
                             "regular": [_cell(setup, rng) for _ in range(setup.regular_count)],
                             "mid_term": _cell(setup, rng), "end_term": _cell(setup, rng)})
    db.session.execute(insert(GradebookEntry), rows)
    db.session.execute(insert(StudentTerm), conduct)
    db.session.commit()
    return {"school_id": school.id, "year_id": year.id, "class_id": classes[0].id,
            "leader_id": org.leader_x.id, "entries": len(rows), "subjects": len(setups),
            "students": len(ids), "homeroom": homeroom.username}


def _cell(setup, rng: random.Random) -> str:
    if setup.comment_only:
        return "Đ" if rng.random() < 0.97 else "CĐ"
    return str(rng.randint(30, 100) / 10).removesuffix(".0")


def recompute(school_id: int, year_id: int, leader_id: int, rounds: int) -> dict:
    """Time ``school_results`` from a cold session ``rounds`` times."""
    from lms.auth.models import User
    from lms.gradebook.summary import school_results
    from lms.kernel import db

    timings = []
    for _ in range(rounds):
        db.session.remove()
        leader = db.session.get(User, leader_id)
        _ = leader.memberships
        started = time.perf_counter()
        results = school_results(leader, school_id, year_id)
        timings.append(time.perf_counter() - started)
    return {"timings_s": [round(t, 3) for t in timings],
            "students": sum(r["students"] for r in results), "classes": len(results)}


def _in_app(function, *args):
    from lms.app import create_app

    with create_app().app_context():
        return function(*args)


def _subcommand(env: dict, *args: str) -> dict:
    done = subprocess.run([sys.executable, "-m", "tests.load.gradebook_bench", *args],  # noqa: S603
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=1800,
                          check=False)
    if done.returncode != 0:
        raise RuntimeError(f"{args[0]} failed:\n{done.stdout}\n{done.stderr}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def run_database(workdir: Path, options, database: str, url: str | None) -> dict:
    env = instance_env(workdir / database, url)
    print(f"  seeding {options.students} students × 12 subjects × 2 terms ({database})…",
          flush=True)
    seeded = _subcommand(env, "seed", "--students", str(options.students))
    timed = _subcommand(env, "recompute", "--school", str(seeded["school_id"]), "--year",
                        str(seeded["year_id"]), "--leader", str(seeded["leader_id"]),
                        "--rounds", str(options.rounds))
    best, median = min(timed["timings_s"]), statistics.median(timed["timings_s"])
    print(f"  recompute: {timed['students']} students in {timed['classes']} classes, "
          f"best {best:.2f} s, median {median:.2f} s "
          f"({'OK' if median <= RECOMPUTE_TARGET_S else 'SLOW'} ≤ {RECOMPUTE_TARGET_S} s)")
    with LiveServer(env, log_path=workdir / f"{database}.log") as server:
        cookie = session_cookie(server.port, seeded["homeroom"])
        page = measure(server.port, Scenario(
            "class_page", f"/gradebook/classes/{seeded['class_id']}?period=year",
            {"Cookie": cookie}), database, options.duration, options.concurrency,
            options.warmup)
    print(f"  class page (40 × 12, year): {page.throughput:.0f} req/s, p50 {page.p50_ms} ms, "
          f"p95 {page.p95_ms} ms, errors {page.errors} "
          f"({'OK' if page.p95_ms <= PAGE_P95_TARGET_MS else 'SLOW'} ≤ {PAGE_P95_TARGET_MS})")
    return {"database": database, "seed": seeded, "recompute": timed,
            "class_page": page.__dict__}


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m tests.load.gradebook_bench",
                                     description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command")
    seed_args = sub.add_parser("seed")
    seed_args.add_argument("--students", type=int, default=STUDENTS)
    seed_args.add_argument("--class-size", type=int, default=CLASS_SIZE)
    timed = sub.add_parser("recompute")
    for name in ("--school", "--year", "--leader"):
        timed.add_argument(name, type=int, required=True)
    timed.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--students", type=int, default=STUDENTS)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--duration", type=float, default=12)
    parser.add_argument("--warmup", type=float, default=2)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--pg", nargs="?", const=DEFAULT_PG, default=None, metavar="URL")
    parser.add_argument("--out", type=Path, default=ROOT / "bench-results")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    options = parse_args(sys.argv[1:] if argv is None else argv)
    if options.command == "seed":
        print(json.dumps(_in_app(seed, options.students, options.class_size)))
        return 0
    if options.command == "recompute":
        print(json.dumps(_in_app(recompute, options.school, options.year, options.leader,
                                 options.rounds)))
        return 0
    results = []
    with tempfile.TemporaryDirectory(prefix="hoclieu-gradebook-bench-") as tmp:
        print("SQLite", flush=True)
        results.append(run_database(Path(tmp), options, "sqlite", None))
        if options.pg:
            print("PostgreSQL", flush=True)
            with PostgresDatabase(options.pg) as url:
                results.append(run_database(Path(tmp), options, "postgresql", url))
    options.out.mkdir(parents=True, exist_ok=True)
    path = options.out / f"gradebook-bench-{time.strftime('%Y%m%dT%H%M%SZ', time.gmtime())}.json"
    path.write_text(json.dumps(results, indent=2, ensure_ascii=False, default=str) + "\n")
    print(f"written: {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
