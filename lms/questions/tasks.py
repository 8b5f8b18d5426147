"""Background jobs of the question bank."""

from celery import shared_task
from whoosh.index import LockError


# Whoosh allows one writer: lms.celery_app routes this job to the "search" queue, consumed by
# a single worker process (deploy/systemd/hoclieu-worker@search).
@shared_task(name="questions.index", autoretry_for=(LockError,), retry_backoff=True,
             max_retries=5)
def index_questions(question_ids: list[int]) -> int:
    """Bring the search index in line with the committed rows of these questions
    (idempotent: it writes their current state, or removes deleted ones)."""
    from lms.questions.search import index_ids

    return index_ids(question_ids)
