"""login_throttle: failed logins per address, account and known device, with progressive delays

Revision ID: 0016_login_throttle
Revises: 0015_scorm_missing_files
Create Date: 2026-12-10 09:00:00

Logins stop using login_failure (which keeps counting access-code guesses); its old
``acct:``/``addr:`` rows are dropped, so every account and address starts with a clean slate.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "0016_login_throttle"
down_revision = "0015_scorm_missing_files"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('login_throttle',
    sa.Column('key', sa.String(length=200), nullable=False),
    sa.Column('username', sa.String(length=80), nullable=True),
    sa.Column('drained_at', sa.DateTime(), nullable=True),
    sa.Column('blocked_until', sa.DateTime(), nullable=True),
    sa.PrimaryKeyConstraint('key', name=op.f('pk_login_throttle'))
    )
    with op.batch_alter_table('login_throttle', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_login_throttle_username'), ['username'], unique=False)
    op.execute("DELETE FROM login_failure WHERE key LIKE 'acct:%' OR key LIKE 'addr:%'")


def downgrade():
    with op.batch_alter_table('login_throttle', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_login_throttle_username'))

    op.drop_table('login_throttle')
