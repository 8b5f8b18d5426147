"""``flask --app wsgi exams pregenerate EXAM_ID``: pending attempts before a synchronised start.

Runs in the command by default (it waits and prints what was made); ``--background`` hands
it to a Celery worker instead and prints the job's id (``GET /api/v1/tasks/<id>``).

Exit status: 0 success, 1 the exam cannot take pending attempts (not published), 2 usage errors.
"""

import sys

import click
from flask import Flask
from flask.cli import AppGroup

from lms.core.errors import DomainError
from lms.exams import manage, pregeneration
from lms.exams.models import Exam, ExamState
from lms.kernel import db

exams_cli = AppGroup("exams", help="Bài kiểm tra: tạo sẵn lượt làm bài.")


@exams_cli.command("pregenerate")
@click.argument("exam_id", type=int)
@click.option("--background", is_flag=True,
              help="Giao cho tác vụ nền (Celery) thay vì chạy ngay và chờ.")
def pregenerate(exam_id: int, background: bool):
    """Create a pending attempt for every student of the classes EXAM_ID is assigned to."""
    exam = db.session.get(Exam, exam_id)
    if exam is None:
        click.echo(f"Không có bài kiểm tra mã {exam_id}.", err=True)
        sys.exit(2)
    if background:
        if exam.state != ExamState.PUBLISHED:
            click.echo("Hãy phát hành bài kiểm tra trước khi tạo sẵn lượt làm.", err=True)
            sys.exit(1)
        task = pregeneration.queue_pregeneration(exam)
        db.session.commit()
        click.echo(f"Đã giao cho tác vụ nền {task.id}.")
        return
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
