"""``flask --app wsgi questions import|export|search|reindex`` (the contract of issue 3 §5).

Exit status: 0 success, 1 the file has errors (nothing saved), 2 usage errors.
"""

import json
import sys
from pathlib import Path

import click
from flask import Flask
from flask.cli import AppGroup
from sqlalchemy import select

from lms.core.errors import DomainError
from lms.kernel import db
from question_bank.models import Question

questions_cli = AppGroup("questions", help="Ngân hàng câu hỏi: nhập, xuất, tìm kiếm, chỉ mục.")
IMPORT_FORMATS = ["auto", "docx", "gift", "moodlexml", "aiken", "qti", "xlsx"]
EXPORT_FORMATS = ["gift", "moodlexml", "qti", "docx"]
#: Spellings accepted beside the names above (transfer.FORMAT_ALIASES).
FORMAT_ALIASES = ["moodle_xml"]


def _usage(message: str) -> None:
    click.echo(message, err=True)
    sys.exit(2)


def _subject_id(code: str | None) -> int | None:
    from lms.curriculum.models import Subject

    if not code:
        return None
    subject = db.session.scalar(select(Subject).where(Subject.code == code.upper()))
    if subject is None:
        _usage(f"Không có môn học mã {code!r}.")
    return subject.id


def _owner(username: str | None):
    from lms.auth.models import User

    if not username:
        return None
    user = db.session.scalar(select(User).where(User.username == username))
    if user is None:
        _usage(f"Không có người dùng {username!r}.")
    return user


@questions_cli.command("import")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--format", "fmt", default="auto", metavar="|".join(IMPORT_FORMATS),
              help="Định dạng tệp (moodle_xml = moodlexml); mặc định: tự nhận ra.")
@click.option("--subject", help="Mã môn học (TOAN, NGUVAN…).")
@click.option("--grade", type=click.IntRange(1, 12))
@click.option("--owner", help="Tên đăng nhập của giáo viên sở hữu các câu hỏi.")
@click.option("--dry-run", is_flag=True, help="Chỉ kiểm tra, không lưu.")
@click.option("--only-valid", is_flag=True, help="Lưu các câu hợp lệ dù tệp có câu lỗi.")
@click.option("--json", "as_json", is_flag=True, help="In một đối tượng JSON.")
def import_command(path, fmt, subject, grade, owner, dry_run, only_valid, as_json):
    """Nhập câu hỏi từ tệp PATH."""
    from lms.questions.transfer import ImportOptions, format_name, import_questions

    fmt = format_name(fmt)
    if fmt not in IMPORT_FORMATS:
        _refuse(path, fmt, f"Không có định dạng {fmt!r}; dùng một trong: "
                f"{', '.join(IMPORT_FORMATS + FORMAT_ALIASES)}.", as_json)
    subject_id, actor = _subject_id(subject), _owner(owner)
    if not dry_run and (actor is None or subject_id is None or grade is None):
        _usage("Cần --owner, --subject và --grade để lưu (hoặc dùng --dry-run).")
    options = ImportOptions(subject_id=subject_id, grade=grade, fmt=fmt, dry_run=dry_run,
                            only_valid=only_valid)
    try:
        report = import_questions(actor, path.read_bytes(), path.name, options)
    except DomainError as error:
        db.session.rollback()
        _refuse(path, fmt, str(error.message), as_json)
    if report["saved"]:
        db.session.commit()
    else:
        db.session.rollback()
    _print_report(report, as_json)
    sys.exit(1 if report["errors"] else 0)


def _refuse(path: Path, fmt: str, message: str, as_json: bool) -> None:
    """A file that cannot be imported at all (unknown format, too large…): exit 2, and with
    --json the report of the contract, the message as its only error."""
    from lms.questions.transfer import empty_report

    if as_json:
        click.echo(json.dumps(empty_report(path.name, fmt if fmt != "auto" else None, message),
                              ensure_ascii=False))
        sys.exit(2)
    _usage(message)


def _print_report(report: dict, as_json: bool) -> None:
    if as_json:
        click.echo(json.dumps(report, ensure_ascii=False))
        return
    click.echo(f"{report['file']} ({report['format']}): {report['questions']} câu hợp lệ, "
               f"{len(report['errors'])} lỗi, {len(report['warnings'])} cảnh báo, "
               f"{report['duplicates']} câu trùng; "
               + ("đã lưu." if report["saved"] else "chưa lưu."))
    for problem in report["errors"]:
        click.echo(f"  LỖI {problem['location']}: {problem['message']}")
    for problem in report["warnings"]:
        click.echo(f"  cảnh báo {problem['location']}: {problem['message']}")


@questions_cli.command("export")
@click.option("--format", "fmt", type=click.Choice(EXPORT_FORMATS + FORMAT_ALIASES), required=True)
@click.option("--out", "out", type=click.Path(dir_okay=False, path_type=Path), required=True)
@click.option("--subject")
@click.option("--grade", type=click.IntRange(1, 12))
@click.option("--status", default="approved",
              type=click.Choice(["draft", "submitted", "approved", "returned", "archived"]))
def export_command(fmt, out, subject, grade, status):
    """Xuất câu hỏi ra tệp."""
    from lms.questions.transfer import export_questions, format_name

    try:
        content, count = export_questions(format_name(fmt), _subject_id(subject), grade, status)
    except DomainError as error:
        _usage(str(error.message))
    if isinstance(content, str):
        out.write_text(content, encoding="utf-8")
    else:
        out.write_bytes(content)
    click.echo(f"Đã xuất {count} câu hỏi ra {out}.")


@questions_cli.command("search")
@click.argument("query", default="")
@click.option("--subject")
@click.option("--grade", type=click.IntRange(1, 12))
@click.option("--type", "kind")
@click.option("--status")
@click.option("--page", type=click.IntRange(1, 1000), default=1)
@click.option("--json", "as_json", is_flag=True)
def search_command(query, subject, grade, kind, status, page, as_json):
    """Tìm câu hỏi (không cần gõ dấu); như người quản trị thấy: mọi trạng thái."""
    from lms.questions.search import FACETS, question_index
    from lms.questions.services import question_summary

    filters = {k: v for k, v in {"subject": subject and subject.upper(), "grade": grade,
                                 "type": kind, "status": status}.items() if v}
    result = question_index().search(query, filters=filters, facets=FACETS, page=page)
    rows = [db.session.get(Question, int(i)) for i in result.ids]
    items = [question_summary(row) for row in rows if row is not None]  # index may lag
    if as_json:
        click.echo(json.dumps({"items": items, "total": result.total, "facets": result.facets},
                              ensure_ascii=False, default=str))
        return
    click.echo(f"{result.total} câu hỏi.")
    for item in items:
        click.echo(f"  #{item['id']} [{item['type']}, {item['subject']} {item['grade']}, "
                   f"{item['status']}] {item['title'] + ': ' if item['title'] else ''}"
                   f"{item['text'][:100]}")


@questions_cli.command("reindex")
def reindex_command():
    """Dựng lại chỉ mục tìm kiếm câu hỏi."""
    from lms.questions.search import rebuild

    click.echo(f"Đã lập chỉ mục {rebuild()} câu hỏi.")


def register(app: Flask) -> None:
    app.cli.add_command(questions_cli)
