"""Background jobs of the question bank."""

from celery import shared_task


@shared_task(name="questions.index")
def index_questions(question_ids: list[int]) -> int:
    """Bring the search index in line with the committed rows of these questions."""
    from lms.questions.search import index_ids

    return index_ids(question_ids)
