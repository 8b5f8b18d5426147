"""The seam between lessons and the class gradebook (sổ điểm).

``on_progress`` is sent whenever a learner's status or score in a lesson changes (an authored
lesson's page viewed or check question answered, a SCORM commit that moves status or score).
Receivers get the lesson as the sender and keyword arguments ``user_id``, ``status``
(``not attempted`` | ``incomplete`` | ``completed`` | SCORM statuses) and ``score`` (0..100 or
None). They run inside the request's transaction, before its commit: a receiver writes with
the same session and must not commit. The gradebook connects here::

    from lms.lessons.signals import on_progress

    @on_progress.connect
    def record(lesson, user_id, status, score, **_):
        ...
"""

from blinker import Namespace

_signals = Namespace()

#: ``on_progress.send(lesson, user_id=…, status=…, score=…)``.
on_progress = _signals.signal("lessons.on_progress")


def progress_changed(lesson, user_id: int, status: str, score: float | None) -> None:
    """Tell the subscribers (the gradebook) that a learner's status or score changed."""
    on_progress.send(lesson, user_id=user_id, status=status, score=score)
