"""gradebook: periods, entries, conduct, locks, publications, history, sources

Revision ID: 0017_gradebook
Revises: 0016_login_throttle
Create Date: 2026-12-07 22:09:37

The class gradebook (sổ điểm, issue 13 §2): subject periods per school year and grade, a
class's electives, score entries per class × subject × student × term with a version for
optimistic concurrency, conduct per student × term, term locks, published columns, the change
history, columns fed by tests, flags for scores that met a locked term, year decisions; and
exam.announce_grades: a test mapped to a gradebook column announces its final grades.

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "0017_gradebook"
down_revision = "0016_login_throttle"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("exam", schema=None) as batch_op:
        batch_op.add_column(sa.Column("announce_grades", sa.Boolean(), nullable=False,
                                      server_default=sa.text("false")))
    op.create_table('subject_periods',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('school_year_id', sa.Integer(), nullable=False),
    sa.Column('grade', sa.Integer(), nullable=False),
    sa.Column('subject_id', sa.Integer(), nullable=False),
    sa.Column('periods', sa.Integer(), nullable=False),
    sa.Column('elective', sa.Boolean(), nullable=False),
    sa.CheckConstraint('periods > 0 AND periods <= 1000', name=op.f('ck_subject_periods_periods_range')),
    sa.ForeignKeyConstraint(['school_year_id'], ['school_year.id'], name=op.f('fk_subject_periods_school_year_id_school_year')),
    sa.ForeignKeyConstraint(['subject_id'], ['subject.id'], name=op.f('fk_subject_periods_subject_id_subject')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_subject_periods')),
    sa.UniqueConstraint('school_year_id', 'grade', 'subject_id', name='uq_subject_periods')
    )
    op.create_table('class_elective',
    sa.Column('class_id', sa.Integer(), nullable=False),
    sa.Column('subject_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['class_id'], ['school_class.id'], name=op.f('fk_class_elective_class_id_school_class'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['subject_id'], ['subject.id'], name=op.f('fk_class_elective_subject_id_subject')),
    sa.PrimaryKeyConstraint('class_id', 'subject_id', name=op.f('pk_class_elective'))
    )
    op.create_table('gradebook_change',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('class_id', sa.Integer(), nullable=False),
    sa.Column('subject_id', sa.Integer(), nullable=True),
    sa.Column('student_id', sa.Integer(), nullable=False),
    sa.Column('term', sa.Integer(), nullable=False),
    sa.Column('field', sa.String(length=40), nullable=False),
    sa.Column('old', sa.String(length=10), nullable=True),
    sa.Column('new', sa.String(length=10), nullable=True),
    sa.Column('reason', sa.String(length=500), nullable=False),
    sa.Column('via', sa.String(length=20), nullable=False),
    sa.Column('as_role', sa.String(length=20), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['class_id'], ['school_class.id'], name=op.f('fk_gradebook_change_class_id_school_class')),
    sa.ForeignKeyConstraint(['student_id'], ['user.id'], name=op.f('fk_gradebook_change_student_id_user'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['subject_id'], ['subject.id'], name=op.f('fk_gradebook_change_subject_id_subject')),
    sa.ForeignKeyConstraint(['user_id'], ['user.id'], name=op.f('fk_gradebook_change_user_id_user'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_gradebook_change'))
    )
    with op.batch_alter_table('gradebook_change', schema=None) as batch_op:
        batch_op.create_index('ix_gradebook_change_cell', ['class_id', 'student_id', 'term', 'subject_id'], unique=False)

    op.create_table('gradebook_entry',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('class_id', sa.Integer(), nullable=False),
    sa.Column('subject_id', sa.Integer(), nullable=False),
    sa.Column('student_id', sa.Integer(), nullable=False),
    sa.Column('term', sa.Integer(), nullable=False),
    sa.Column('regular', sa.JSON(), nullable=False),
    sa.Column('mid_term', sa.String(length=4), nullable=True),
    sa.Column('end_term', sa.String(length=4), nullable=True),
    sa.Column('mid_test', sa.String(length=4), nullable=True),
    sa.Column('end_test', sa.String(length=4), nullable=True),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.Column('updated_by_id', sa.Integer(), nullable=True),
    sa.CheckConstraint('term IN (1, 2)', name=op.f('ck_gradebook_entry_term')),
    sa.ForeignKeyConstraint(['class_id'], ['school_class.id'], name=op.f('fk_gradebook_entry_class_id_school_class')),
    sa.ForeignKeyConstraint(['student_id'], ['user.id'], name=op.f('fk_gradebook_entry_student_id_user'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['subject_id'], ['subject.id'], name=op.f('fk_gradebook_entry_subject_id_subject')),
    sa.ForeignKeyConstraint(['updated_by_id'], ['user.id'], name=op.f('fk_gradebook_entry_updated_by_id_user'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_gradebook_entry')),
    sa.UniqueConstraint('class_id', 'subject_id', 'student_id', 'term', name='uq_gradebook_entry_cell')
    )
    with op.batch_alter_table('gradebook_entry', schema=None) as batch_op:
        batch_op.create_index('ix_gradebook_entry_student', ['student_id', 'class_id'], unique=False)

    op.create_table('gradebook_lock',
    sa.Column('class_id', sa.Integer(), nullable=False),
    sa.Column('term', sa.Integer(), nullable=False),
    sa.Column('locked_at', sa.DateTime(), nullable=False),
    sa.Column('locked_by_id', sa.Integer(), nullable=True),
    sa.CheckConstraint('term IN (1, 2)', name=op.f('ck_gradebook_lock_term')),
    sa.ForeignKeyConstraint(['class_id'], ['school_class.id'], name=op.f('fk_gradebook_lock_class_id_school_class')),
    sa.ForeignKeyConstraint(['locked_by_id'], ['user.id'], name=op.f('fk_gradebook_lock_locked_by_id_user'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('class_id', 'term', name=op.f('pk_gradebook_lock'))
    )
    op.create_table('gradebook_publication',
    sa.Column('class_id', sa.Integer(), nullable=False),
    sa.Column('subject_id', sa.Integer(), nullable=False),
    sa.Column('term', sa.Integer(), nullable=False),
    sa.Column('column', sa.String(length=10), nullable=False),
    sa.Column('published_at', sa.DateTime(), nullable=False),
    sa.Column('published_by_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['class_id'], ['school_class.id'], name=op.f('fk_gradebook_publication_class_id_school_class')),
    sa.ForeignKeyConstraint(['published_by_id'], ['user.id'], name=op.f('fk_gradebook_publication_published_by_id_user'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['subject_id'], ['subject.id'], name=op.f('fk_gradebook_publication_subject_id_subject')),
    sa.PrimaryKeyConstraint('class_id', 'subject_id', 'term', 'column', name=op.f('pk_gradebook_publication'))
    )
    op.create_table('gradebook_source',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('class_id', sa.Integer(), nullable=False),
    sa.Column('subject_id', sa.Integer(), nullable=False),
    sa.Column('term', sa.Integer(), nullable=False),
    sa.Column('field', sa.String(length=20), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('source_id', sa.Integer(), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['class_id'], ['school_class.id'], name=op.f('fk_gradebook_source_class_id_school_class')),
    sa.ForeignKeyConstraint(['created_by_id'], ['user.id'], name=op.f('fk_gradebook_source_created_by_id_user'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['subject_id'], ['subject.id'], name=op.f('fk_gradebook_source_subject_id_subject')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_gradebook_source')),
    sa.UniqueConstraint('class_id', 'subject_id', 'term', 'field', name='uq_gradebook_source')
    )
    with op.batch_alter_table('gradebook_source', schema=None) as batch_op:
        batch_op.create_index('ix_gradebook_source_ref', ['kind', 'source_id'], unique=False)

    op.create_table('gradebook_student_term',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('class_id', sa.Integer(), nullable=False),
    sa.Column('student_id', sa.Integer(), nullable=False),
    sa.Column('term', sa.Integer(), nullable=False),
    sa.Column('conduct', sa.String(length=4), nullable=True),
    sa.Column('qualities', sa.JSON(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.Column('updated_by_id', sa.Integer(), nullable=True),
    sa.CheckConstraint('term IN (1, 2)', name=op.f('ck_gradebook_student_term_term')),
    sa.ForeignKeyConstraint(['class_id'], ['school_class.id'], name=op.f('fk_gradebook_student_term_class_id_school_class')),
    sa.ForeignKeyConstraint(['student_id'], ['user.id'], name=op.f('fk_gradebook_student_term_student_id_user'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['updated_by_id'], ['user.id'], name=op.f('fk_gradebook_student_term_updated_by_id_user'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_gradebook_student_term')),
    sa.UniqueConstraint('class_id', 'student_id', 'term', name='uq_gradebook_student_term')
    )
    with op.batch_alter_table('gradebook_student_term', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_gradebook_student_term_student_id'), ['student_id'], unique=False)

    op.create_table('gradebook_year_decision',
    sa.Column('class_id', sa.Integer(), nullable=False),
    sa.Column('student_id', sa.Integer(), nullable=False),
    sa.Column('promotion', sa.String(length=20), nullable=False),
    sa.Column('award', sa.String(length=20), nullable=True),
    sa.Column('confirmed_by_id', sa.Integer(), nullable=True),
    sa.Column('confirmed_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['class_id'], ['school_class.id'], name=op.f('fk_gradebook_year_decision_class_id_school_class')),
    sa.ForeignKeyConstraint(['confirmed_by_id'], ['user.id'], name=op.f('fk_gradebook_year_decision_confirmed_by_id_user'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['student_id'], ['user.id'], name=op.f('fk_gradebook_year_decision_student_id_user'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('class_id', 'student_id', name=op.f('pk_gradebook_year_decision'))
    )
    op.create_table('gradebook_flag',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('class_id', sa.Integer(), nullable=False),
    sa.Column('subject_id', sa.Integer(), nullable=False),
    sa.Column('student_id', sa.Integer(), nullable=False),
    sa.Column('term', sa.Integer(), nullable=False),
    sa.Column('field', sa.String(length=20), nullable=False),
    sa.Column('proposed', sa.String(length=10), nullable=True),
    sa.Column('source_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('resolved_at', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['class_id'], ['school_class.id'], name=op.f('fk_gradebook_flag_class_id_school_class')),
    sa.ForeignKeyConstraint(['source_id'], ['gradebook_source.id'], name=op.f('fk_gradebook_flag_source_id_gradebook_source'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['student_id'], ['user.id'], name=op.f('fk_gradebook_flag_student_id_user'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['subject_id'], ['subject.id'], name=op.f('fk_gradebook_flag_subject_id_subject')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_gradebook_flag'))
    )
    with op.batch_alter_table('gradebook_flag', schema=None) as batch_op:
        batch_op.create_index('ix_gradebook_flag_open', ['class_id', 'resolved_at'], unique=False)



def downgrade():
    with op.batch_alter_table('gradebook_flag', schema=None) as batch_op:
        batch_op.drop_index('ix_gradebook_flag_open')

    op.drop_table('gradebook_flag')
    op.drop_table('gradebook_year_decision')
    with op.batch_alter_table('gradebook_student_term', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_gradebook_student_term_student_id'))

    op.drop_table('gradebook_student_term')
    with op.batch_alter_table('gradebook_source', schema=None) as batch_op:
        batch_op.drop_index('ix_gradebook_source_ref')

    op.drop_table('gradebook_source')
    op.drop_table('gradebook_publication')
    op.drop_table('gradebook_lock')
    with op.batch_alter_table('gradebook_entry', schema=None) as batch_op:
        batch_op.drop_index('ix_gradebook_entry_student')

    op.drop_table('gradebook_entry')
    with op.batch_alter_table('gradebook_change', schema=None) as batch_op:
        batch_op.drop_index('ix_gradebook_change_cell')

    op.drop_table('gradebook_change')
    op.drop_table('class_elective')
    op.drop_table('subject_periods')
    with op.batch_alter_table("exam", schema=None) as batch_op:
        batch_op.drop_column("announce_grades")
