"""Celery bound to the Flask app: every task runs inside an app context.

Default broker is SQLite through kombu's SQLAlchemy transport (no extra service); at scale,
``HOCLIEU_BROKER_URL=redis://…``. Tasks are ``@shared_task`` in each area's ``tasks.py``.
"""

from celery import Celery, Task
from flask import Flask, appcontext_pushed

TASK_MODULES = ["lms.core.tasks", "lms.auth.tasks", "lms.questions.tasks", "lms.lessons.tasks",
                "lms.exams.tasks"]


def celery_init_app(app: Flask) -> Celery:
    class FlaskTask(Task):
        def __call__(self, *args, **kwargs):
            with app.app_context():
                return self.run(*args, **kwargs)

    celery = Celery(app.name, task_cls=FlaskTask)
    celery.conf.update(
        broker_url=app.config["BROKER_URL"],
        result_backend=app.config["RESULT_BACKEND"],
        task_always_eager=bool(app.config["CELERY_EAGER"]),
        task_eager_propagates=True,
        task_acks_late=True,
        task_reject_on_worker_lost=True,
        worker_prefetch_multiplier=1,
        task_serializer="json",
        accept_content=["json"],
        broker_connection_retry_on_startup=True,
        broker_transport_options=transport_options(app.config),
        timezone=app.config["TIMEZONE"],
        beat_schedule={
            "exams-close-overdue": {"task": "exams.close_overdue", "schedule": 30.0},
            "lessons-expire-uploads": {"task": "lessons.expire_uploads", "schedule": 900.0},
            "auth-sweep-login-throttle": {"task": "auth.sweep_login_throttle",
                                          "schedule": 3600.0},
        },
        # Whoosh has one writer at a time: index jobs go to a single-process queue.
        task_routes={"questions.index": {"queue": "search"}},
    )
    celery.set_default()
    _follow_app_context(app, celery)
    celery.autodiscover_tasks(lambda: TASK_MODULES, related_name=None, force=True)
    app.extensions["celery"] = celery
    return celery


def transport_options(config) -> dict:
    """Redis: a job whose worker died unacknowledged goes back to the queue after
    ``HOCLIEU_BROKER_VISIBILITY_TIMEOUT`` seconds. Only Redis gets it: the SQLAlchemy
    transport hands its options to ``create_engine``, which refuses unknown ones."""
    if str(config["BROKER_URL"]).startswith(("redis://", "rediss://", "redis+socket://")):
        return {"visibility_timeout": int(config["BROKER_VISIBILITY_TIMEOUT"])}
    return {}


def _follow_app_context(app: Flask, celery: Celery) -> None:
    """Inside this app's context, ``shared_task(...).delay`` uses this app's Celery.

    ``set_default`` alone lets the last app built in a process (a second app in a test, a
    script) capture every job of the others; making it current on each context push keeps
    jobs on the broker of the app that sends them.
    """

    def make_current(_sender, **_extra):
        celery.set_current()

    appcontext_pushed.connect(make_current, app, weak=False)
