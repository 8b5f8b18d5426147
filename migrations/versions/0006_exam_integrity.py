"""exam integrity log: attempt_event

Revision ID: 0006_exam_integrity
Revises: 0007_exam_matrix
Create Date: 2026-11-29 07:20:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "0006_exam_integrity"
down_revision = "0007_exam_matrix"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('attempt_event',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('attempt_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.Enum('focus_lost', 'focus_back', 'fullscreen_exit', 'offline', 'online',
                              'reconnect', 'resumed', name='attempteventkind', native_enum=False,
                              length=20), nullable=False),
    sa.Column('at', sa.DateTime(), nullable=False),
    sa.Column('received_at', sa.DateTime(), nullable=False),
    sa.Column('detail', sa.JSON(), nullable=True),
    sa.ForeignKeyConstraint(['attempt_id'], ['attempt.id'],
                            name=op.f('fk_attempt_event_attempt_id_attempt'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_attempt_event'))
    )
    with op.batch_alter_table('attempt_event', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_attempt_event_attempt_id'), ['attempt_id'],
                              unique=False)


def downgrade():
    with op.batch_alter_table('attempt_event', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_attempt_event_attempt_id'))
    op.drop_table('attempt_event')
