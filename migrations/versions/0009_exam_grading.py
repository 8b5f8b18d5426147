"""exam grading: manual grades of essays

Revision ID: 0009_exam_grading
Revises: 0005_exams
Create Date: 2026-11-29 07:30:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "0009_exam_grading"
down_revision = "0005_exams"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('manual_grade',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('attempt_id', sa.Integer(), nullable=False),
    sa.Column('slot', sa.Integer(), nullable=False),
    sa.Column('points', sa.Numeric(precision=10, scale=4), nullable=False),
    sa.Column('rubric', sa.JSON(), nullable=True),
    sa.Column('comment', sa.String(length=4000), nullable=False),
    sa.Column('grader_id', sa.Integer(), nullable=True),
    sa.Column('graded_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['attempt_id'], ['attempt.id'], name=op.f('fk_manual_grade_attempt_id_attempt'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['grader_id'], ['user.id'], name=op.f('fk_manual_grade_grader_id_user'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_manual_grade')),
    sa.UniqueConstraint('attempt_id', 'slot', name='uq_manual_grade_slot')
    )
    with op.batch_alter_table('manual_grade', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_manual_grade_attempt_id'), ['attempt_id'], unique=False)


def downgrade():
    with op.batch_alter_table('manual_grade', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_manual_grade_attempt_id'))

    op.drop_table('manual_grade')
