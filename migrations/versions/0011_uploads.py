"""chunked, resumable uploads

Revision ID: 0011_uploads
Revises: 0010_exam_question
Create Date: 2026-11-29 07:10:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "0011_uploads"
down_revision = "0010_exam_question"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('upload_session',
    sa.Column('id', sa.String(length=32), nullable=False),
    sa.Column('owner_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.Enum('scorm', 'video', 'authored', name='lessonkind', native_enum=False, length=20), nullable=False),
    sa.Column('filename', sa.String(length=255), nullable=False),
    sa.Column('size', sa.BigInteger(), nullable=False),
    sa.Column('received', sa.BigInteger(), nullable=False),
    sa.Column('state', sa.Enum('receiving', 'complete', 'consumed', name='uploadstate', native_enum=False, length=20), nullable=False),
    sa.Column('lesson_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.Column('expires_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['lesson_id'], ['lesson.id'], name=op.f('fk_upload_session_lesson_id_lesson'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['owner_id'], ['user.id'], name=op.f('fk_upload_session_owner_id_user'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_upload_session'))
    )
    with op.batch_alter_table('upload_session', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_upload_session_expires_at'), ['expires_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_upload_session_owner_id'), ['owner_id'], unique=False)


def downgrade():
    with op.batch_alter_table('upload_session', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_upload_session_owner_id'))
        batch_op.drop_index(batch_op.f('ix_upload_session_expires_at'))

    op.drop_table('upload_session')
