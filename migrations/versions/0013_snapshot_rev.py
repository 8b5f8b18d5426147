"""exam.snapshot_rev: the per-process snapshot cache's key, new on every snapshot write

Revision ID: 0013_snapshot_rev
Revises: 0012_exam_groups
Create Date: 2026-11-29 10:20:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "0013_snapshot_rev"
down_revision = "0012_exam_groups"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("exam", schema=None) as batch_op:
        batch_op.add_column(sa.Column("snapshot_rev", sa.Integer(), nullable=False,
                                      server_default=sa.text("0")))
    # Published exams get a non-zero key (0 is never cached); no process has cached any yet.
    op.execute("UPDATE exam SET snapshot_rev = id WHERE state = 'published'")


def downgrade():
    with op.batch_alter_table("exam", schema=None) as batch_op:
        batch_op.drop_column("snapshot_rev")
