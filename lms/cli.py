"""Operator commands: ``flask --app wsgi setup|demo|create-admin``."""

import click
from flask import Flask
from flask_migrate import upgrade

from lms.kernel import db


def register(app: Flask) -> None:
    from lms.exams import cli as exams_cli
    from lms.questions import cli as questions_cli

    questions_cli.register(app)
    exams_cli.register(app)

    @app.cli.command("setup")
    @click.option("--demo", is_flag=True, help="Also load demo data into an empty database.")
    def setup(demo: bool):
        """Apply migrations, seed curriculum reference data, optionally load demo data."""
        from lms.curriculum.seed import seed_curriculum

        upgrade()
        added = seed_curriculum()
        db.session.commit()
        click.echo(f"Đã cập nhật cơ sở dữ liệu; thêm {added} mục chương trình.")
        if demo:
            _load_demo()

    @app.cli.command("demo")
    @click.option("--remove", is_flag=True, help="Delete every demo account instead.")
    def demo(remove: bool):
        """Load the demo organisation and accounts (idempotent)."""
        from lms.curriculum.seed import seed_curriculum
        from lms.demo import remove_demo_accounts

        if remove:
            click.echo(f"Đã xoá {remove_demo_accounts()} tài khoản demo.")
            db.session.commit()
            return
        seed_curriculum()
        _load_demo()

    @app.cli.command("create-admin")
    @click.argument("username")
    @click.argument("unit_id", type=int)
    @click.password_option()
    def create_admin(username: str, unit_id: int, password: str):
        """Create an administrator of the unit UNIT_ID (the first account of a new install)."""
        from lms.auth.current import policy
        from lms.auth.services import create_user
        from lms.org.models import Membership, Role

        user = create_user(policy(), username, username, password)
        db.session.add(Membership(user_id=user.id, role=Role.ADMIN, unit_id=unit_id))
        db.session.commit()
        click.echo(f"Đã tạo quản trị viên {user.username}.")


def _load_demo() -> None:
    from lms.demo import NAMED_ACCOUNTS, PASSWORD, load_demo

    result = load_demo()
    db.session.commit()
    if result["created"]:
        click.echo(f"Đã tạo dữ liệu demo: {result['students']} học sinh.")
    else:
        click.echo("Dữ liệu demo đã có sẵn.")
    click.echo(f"Tài khoản demo (mật khẩu: {PASSWORD}): " + ", ".join(NAMED_ACCOUNTS))
