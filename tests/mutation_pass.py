"""The mutation pass over the security-critical rules: ``make mutation`` (not part of CI).

mutmut (settings in pyproject.toml, ``[tool.mutmut]``) runs on a scratch copy of the checkout,
bounded in time and at the lowest CPU priority; the survivors and what was done about each are
recorded in docs/decisions.md, "Mutation pass".

mutmut leaves decorated functions alone, and every permission rule is registered by the
``@rule(action)`` decorator. In the scratch copy ``@rule("x")`` above ``def f`` therefore
becomes ``rule("x")(f)`` at the end of the module: the same function lands in the same table
under the same action, and mutmut can mutate it. The checkout itself is never changed.

    python -m tests.mutation_pass [--minutes 40] [--throttle] [--workdir DIR] [GLOB ...]
"""

import argparse
import os
import re
import shutil
import signal
import subprocess  # noqa: S404 - runs mutmut
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
#: Mutant names (mutmut's ``module.x_function__mutmut_N``) of the rules under test.
TARGETS = (
    "lms.auth.permissions.*",
    "lms.exams.rules.*",
    # deadlines, grace, late writes, review windows, access codes, sequential navigation
    *(f"lms.exams.logic.x_{name}__*" for name in (
        "setting", "deadline_for", "grace_seconds", "late_decision", "what_may_show",
        "normalise_code", "hash_code", "code_matches", "merged_override", "stored_time",
        "sequential_allows")),
    # the session and API-token lookup
    *(f"lms.auth.services.x_{name}__*" for name in (
        "token_hash", "start_session", "end_session", "resolve_session")),
    "lms.auth.current.*",
    "lms.lessons.content.*",    # the SCORM content token
)
#: The login throttle (``--throttle``).
THROTTLE = tuple(f"lms.auth.services.x_{name}__*" for name in (
    "authenticate", "_bump_failures", "_clear_failures", "count_failure", "clear_failure"))
DECORATED = re.compile(r"^@rule\((?P<action>[^)\n]*)\)\n(?P<definition>def (?P<name>\w+)\()",
                       re.MULTILINE)
SKIPPED = shutil.ignore_patterns(".git", ".venv", "node_modules", "instance", "mutants",
                                 "__pycache__", ".hypothesis", "vendor", "bench-results")


def undecorate(source: str) -> str:
    """``@rule("x") def f`` → ``def f`` … ``rule("x")(f)`` at the end: same registration."""
    registrations = [f"rule({m['action']})({m['name']})" for m in DECORATED.finditer(source)]
    if not registrations:
        return source
    return DECORATED.sub(r"\g<definition>", source) + "\n\n" + "\n".join(registrations) + "\n"


def scratch_copy(workdir: Path) -> Path:
    """A fresh copy of the checkout with the rule modules undecorated."""
    copy = workdir / "checkout"
    shutil.rmtree(copy, ignore_errors=True)
    shutil.copytree(ROOT, copy, ignore=SKIPPED)
    for module in ("lms/auth/permissions.py", "lms/exams/rules.py"):
        path = copy / module
        path.write_text(undecorate(path.read_text(encoding="utf-8")), encoding="utf-8")
    return copy


def run(copy: Path, names: list[str], minutes: float) -> int:
    """mutmut on ``names`` in ``copy``, stopped (with what it finished) after ``minutes``."""
    command = ["nice", "-n", "19", sys.executable, "-m", "mutmut", "run", "--max-children", "1",
               *names]
    process = subprocess.Popen(command, cwd=copy, start_new_session=True)  # noqa: S603
    try:
        return process.wait(timeout=minutes * 60)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait()
        print(f"\nmutation pass stopped after {minutes:g} minutes; results so far:")
        return 124


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("names", nargs="*", help="mutant name globs (default: the rule set)")
    parser.add_argument("--minutes", type=float, default=40)
    parser.add_argument("--throttle", action="store_true", help="also mutate the login throttle")
    parser.add_argument("--workdir", type=Path)
    args = parser.parse_args(argv)
    names = args.names or [*TARGETS, *(THROTTLE if args.throttle else ())]
    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="hoclieu-mutation-"))
    copy = scratch_copy(workdir)
    code = run(copy, names, args.minutes)
    results = subprocess.run([sys.executable, "-m", "mutmut", "results"], cwd=copy,  # noqa: S603
                             capture_output=True, text=True, check=False).stdout
    (workdir / "results.txt").write_text(results, encoding="utf-8")
    print(results or "no surviving mutant")
    print(f"(all results: {workdir / 'results.txt'}; a mutant: "
          f"cd {copy} && mutmut show NAME)")
    return code


if __name__ == "__main__":
    sys.exit(main())
