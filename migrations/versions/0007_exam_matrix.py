"""exam matrix (ma trận đề), variants (mã đề), attempt.variant_code

Revision ID: 0007_exam_matrix
Revises: 0010_lesson_pages
Create Date: 2026-11-29 07:30:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "0007_exam_matrix"
down_revision = "0010_lesson_pages"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('exam_matrix',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('exam_id', sa.Integer(), nullable=False),
    sa.Column('spec', sa.JSON(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['exam_id'], ['exam.id'], name=op.f('fk_exam_matrix_exam_id_exam'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_exam_matrix')),
    sa.UniqueConstraint('exam_id', name=op.f('uq_exam_matrix_exam_id'))
    )
    op.create_table('exam_variant',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('exam_id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=8), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('order', sa.JSON(), nullable=False),
    sa.Column('option_order', sa.JSON(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['exam_id'], ['exam.id'], name=op.f('fk_exam_variant_exam_id_exam'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_exam_variant')),
    sa.UniqueConstraint('exam_id', 'code', name='uq_exam_variant_code')
    )
    with op.batch_alter_table('exam_variant', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_exam_variant_exam_id'), ['exam_id'], unique=False)

    with op.batch_alter_table('attempt', schema=None) as batch_op:
        batch_op.add_column(sa.Column('variant_code', sa.String(length=8), nullable=True))


def downgrade():
    with op.batch_alter_table('attempt', schema=None) as batch_op:
        batch_op.drop_column('variant_code')

    with op.batch_alter_table('exam_variant', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_exam_variant_exam_id'))

    op.drop_table('exam_variant')
    op.drop_table('exam_matrix')
