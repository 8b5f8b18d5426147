"""exam_question: which bank questions each exam uses (where-used, item statistics)

Revision ID: 0010_exam_question
Revises: 0006_exam_integrity
Create Date: 2026-11-29 07:45:00

The table is filled from the exams already stored: a published exam's ``snapshot`` gives
each question with its pinned version, a draft's ``selection`` the questions without a
version. Self-contained (no application imports), so later code changes cannot alter it.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "0010_exam_question"
down_revision = "0006_exam_integrity"
branch_labels = None
depends_on = None

BATCH = 500


def usage_rows(exam_id, state, selection, snapshot) -> list[dict]:
    """The exam_question rows of one exam (the rule of lms.exams.usage.usage_rows)."""
    rows: dict[int, dict] = {}
    if state == "published":
        for entry in snapshot or []:
            qid = entry.get("question_id")
            if isinstance(qid, int) and qid not in rows:
                rows[qid] = {"exam_id": exam_id, "question_id": qid,
                             "version_id": entry.get("version_id")}
    else:
        for entry in selection or []:
            qid = entry.get("question_id")
            if isinstance(qid, int) and qid not in rows:
                rows[qid] = {"exam_id": exam_id, "question_id": qid, "version_id": None}
    return list(rows.values())


def backfill(connection) -> int:
    """Insert the rows of every stored exam; questions or versions that no longer exist are
    skipped (no foreign key is broken). Returns the number of rows written."""
    exam = sa.table("exam", sa.column("id", sa.Integer), sa.column("state", sa.String),
                    sa.column("selection", sa.JSON), sa.column("snapshot", sa.JSON))
    question = sa.table("question", sa.column("id", sa.Integer))
    version = sa.table("question_version", sa.column("id", sa.Integer))
    target = sa.table("exam_question", sa.column("exam_id", sa.Integer),
                      sa.column("question_id", sa.Integer), sa.column("version_id", sa.Integer))
    written, last_id = 0, 0
    while True:
        exams = connection.execute(
            sa.select(exam.c.id, exam.c.state, exam.c.selection, exam.c.snapshot)
            .where(exam.c.id > last_id).order_by(exam.c.id).limit(BATCH)).all()
        if not exams:
            return written
        last_id = exams[-1].id
        rows = [row for e in exams for row in usage_rows(e.id, e.state, e.selection, e.snapshot)]
        if not rows:
            continue
        known_questions = set(connection.scalars(sa.select(question.c.id).where(
            question.c.id.in_({r["question_id"] for r in rows}))))
        wanted_versions = {r["version_id"] for r in rows if r["version_id"] is not None}
        known_versions = set(connection.scalars(sa.select(version.c.id).where(
            version.c.id.in_(wanted_versions)))) if wanted_versions else set()
        rows = [{**r, "version_id": r["version_id"] if r["version_id"] in known_versions
                 else None} for r in rows if r["question_id"] in known_questions]
        if rows:
            connection.execute(sa.insert(target), rows)
            written += len(rows)


def upgrade():
    op.create_table('exam_question',
    sa.Column('exam_id', sa.Integer(), nullable=False),
    sa.Column('question_id', sa.Integer(), nullable=False),
    sa.Column('version_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['exam_id'], ['exam.id'], name=op.f('fk_exam_question_exam_id_exam'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['question_id'], ['question.id'], name=op.f('fk_exam_question_question_id_question'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['version_id'], ['question_version.id'], name=op.f('fk_exam_question_version_id_question_version'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('exam_id', 'question_id', name=op.f('pk_exam_question'))
    )
    with op.batch_alter_table('exam_question', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_exam_question_question_id'), ['question_id'], unique=False)
    backfill(op.get_bind())


def downgrade():
    with op.batch_alter_table('exam_question', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_exam_question_question_id'))

    op.drop_table('exam_question')
