"""exam access: class overrides, practice, sequential position, pending attempts

Revision ID: 0008_exam_access
Revises: 0009_exam_grading
Create Date: 2026-11-29 07:10:00

Settings keys (access_code_hash, mode, navigation) live in the exam's settings JSON and need no
DDL; absent keys mean their defaults. The one-open-attempt index now also covers "pending".
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "0008_exam_access"
down_revision = "0009_exam_grading"
branch_labels = None
depends_on = None

OLD_OPEN = sa.text("state = 'in_progress'")
NEW_OPEN = sa.text("state IN ('pending', 'in_progress')")


def upgrade():
    with op.batch_alter_table("exam_assignment", schema=None) as batch_op:
        batch_op.add_column(sa.Column("group_override", sa.JSON(), nullable=False,
                                      server_default=sa.text("'{}'")))
    with op.batch_alter_table("attempt", schema=None) as batch_op:
        batch_op.add_column(sa.Column("practice", sa.Boolean(), nullable=False,
                                      server_default=sa.text("false")))
        batch_op.add_column(sa.Column("position", sa.Integer(), nullable=False,
                                      server_default=sa.text("0")))
    op.drop_index("uq_attempt_one_open", table_name="attempt",
                  sqlite_where=OLD_OPEN, postgresql_where=OLD_OPEN)
    op.create_index("uq_attempt_one_open", "attempt", ["exam_id", "user_id"], unique=True,
                    sqlite_where=NEW_OPEN, postgresql_where=NEW_OPEN)
    with op.batch_alter_table("attempt_answer", schema=None) as batch_op:
        batch_op.add_column(sa.Column("checked_at", sa.DateTime(), nullable=True))


def downgrade():
    with op.batch_alter_table("attempt_answer", schema=None) as batch_op:
        batch_op.drop_column("checked_at")
    op.execute("DELETE FROM attempt WHERE state = 'pending'")
    op.drop_index("uq_attempt_one_open", table_name="attempt",
                  sqlite_where=NEW_OPEN, postgresql_where=NEW_OPEN)
    op.create_index("uq_attempt_one_open", "attempt", ["exam_id", "user_id"], unique=True,
                    sqlite_where=OLD_OPEN, postgresql_where=OLD_OPEN)
    with op.batch_alter_table("attempt", schema=None) as batch_op:
        batch_op.drop_column("position")
        batch_op.drop_column("practice")
    with op.batch_alter_table("exam_assignment", schema=None) as batch_op:
        batch_op.drop_column("group_override")
