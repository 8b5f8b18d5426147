"""exam groups: an assignment to students the teacher picked (nhóm)

Revision ID: 0012_exam_groups
Revises: 0011_uploads
Create Date: 2026-11-29 10:20:00

A group assignment is an exam_assignment row with a name and neither class_id nor unit_id;
its students are rows of exam_assignment_member (both foreign keys cascade).
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "0012_exam_groups"
down_revision = "0011_uploads"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('exam_assignment', schema=None) as batch_op:
        batch_op.add_column(sa.Column('name', sa.String(length=120), nullable=True))

    op.create_table('exam_assignment_member',
    sa.Column('assignment_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['assignment_id'], ['exam_assignment.id'], name=op.f('fk_exam_assignment_member_assignment_id_exam_assignment'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['user.id'], name=op.f('fk_exam_assignment_member_user_id_user'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('assignment_id', 'user_id', name=op.f('pk_exam_assignment_member'))
    )
    with op.batch_alter_table('exam_assignment_member', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_exam_assignment_member_user_id'), ['user_id'], unique=False)


def downgrade():
    with op.batch_alter_table('exam_assignment_member', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_exam_assignment_member_user_id'))

    op.drop_table('exam_assignment_member')
    op.execute("DELETE FROM exam_assignment WHERE class_id IS NULL AND unit_id IS NULL")
    with op.batch_alter_table('exam_assignment', schema=None) as batch_op:
        batch_op.drop_column('name')
