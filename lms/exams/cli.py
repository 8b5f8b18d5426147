"""``flask --app wsgi exams pregenerate EXAM_ID``: pending attempts before a synchronised start.

Exit status: 0 success, 1 the exam cannot take pending attempts (not published), 2 usage errors.
"""

import sys

import click
from flask import Flask
from flask.cli import AppGroup

from lms.core.errors import DomainError
from lms.exams import manage
from lms.exams.models import Exam
from lms.extensions import db

exams_cli = AppGroup("exams", help="Bài kiểm tra: tạo sẵn lượt làm bài.")


@exams_cli.command("pregenerate")
@click.argument("exam_id", type=int)
def pregenerate(exam_id: int):
    """Create a pending attempt for every student of the classes EXAM_ID is assigned to."""
    exam = db.session.get(Exam, exam_id)
    if exam is None:
        click.echo(f"Không có bài kiểm tra mã {exam_id}.", err=True)
        sys.exit(2)
    try:
        report = manage.generate_pending(exam)
    except DomainError as error:
        click.echo(str(error.message), err=True)
        sys.exit(1)
    db.session.commit()
    click.echo(f"Đã tạo {report['created']} lượt làm sẵn; {report['pending']} lượt đang chờ "
               f"cho {report['students']} học sinh.")


def register(app: Flask) -> None:
    app.cli.add_command(exams_cli)
