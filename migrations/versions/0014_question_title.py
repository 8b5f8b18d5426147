"""question_version.title: the question's name (GIFT ::name::, Moodle XML <name>), versioned
with the payload

Revision ID: 0014_question_title
Revises: 0013_snapshot_rev
Create Date: 2026-12-07 22:40:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "0014_question_title"
down_revision = "0013_snapshot_rev"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("question_version", schema=None) as batch_op:
        batch_op.add_column(sa.Column("title", sa.String(length=255), nullable=False,
                                      server_default=sa.text("''")))


def downgrade():
    with op.batch_alter_table("question_version", schema=None) as batch_op:
        batch_op.drop_column("title")
