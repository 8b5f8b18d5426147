"""scorm_package.missing_files: files the manifest lists that the uploaded zip lacks (a warning)

Revision ID: 0015_scorm_missing_files
Revises: 0014_question_title
Create Date: 2026-12-08 10:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "0015_scorm_missing_files"
down_revision = "0014_question_title"
branch_labels = None
depends_on = None


def upgrade():
    # Packages stored before this revision were not checked for it: an empty list.
    with op.batch_alter_table("scorm_package", schema=None) as batch_op:
        batch_op.add_column(sa.Column("missing_files", sa.JSON(), nullable=False,
                                      server_default=sa.text("'[]'")))


def downgrade():
    with op.batch_alter_table("scorm_package", schema=None) as batch_op:
        batch_op.drop_column("missing_files")
