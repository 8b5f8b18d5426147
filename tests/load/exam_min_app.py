"""Baseline for ``tests.load.exam_bench``: the same storage work as an exam request, nothing else.

Not part of HocLieu: no authentication, no validation, no ORM. Each endpoint is one short
transaction through a SQLAlchemy Core engine built with the application's own engine options
(``lms.config.engine_options``) and connection pragmas (``lms.kernel``: WAL,
``synchronous=FULL``, foreign keys), on the database named by ``HOCLIEU_DATABASE_URL``:

- ``PUT /min/attempts/<id>/answers/<slot>`` — one upsert of the answer row (the same
  ``INSERT … ON CONFLICT DO UPDATE … WHERE saved_seq < excluded.saved_seq``), then commit;
- ``POST /min/exams/<exam_id>/attempts/<user_id>`` — one attempt row insert (with ``order`` and
  ``ids_map`` JSON of a 40-question attempt's size), then commit;
- ``GET /min/attempts/<id>`` — the attempt row and its answers, as JSON.
"""

import os
import secrets
from datetime import UTC, datetime

from flask import Flask, request
from sqlalchemy import JSON, Integer, bindparam, create_engine, text

import lms.kernel  # noqa: F401 — registers the SQLite connection pragmas
from lms.config import Config, engine_options

URL = os.environ.get("HOCLIEU_DATABASE_URL", Config.DATABASE_URL)
SETTINGS = {"SQLITE_BUSY_TIMEOUT_MS": Config.SQLITE_BUSY_TIMEOUT_MS,
            "DB_POOL_SIZE": Config.DB_POOL_SIZE}
engine = create_engine(URL, **engine_options(URL, SETTINGS))
ORDER = list(range(1, 41))
IDS_MAP = {str(s): {k: secrets.token_hex(4) for k in "abcd"} for s in range(1, 41)}
UPSERT = text(
    "INSERT INTO attempt_answer (attempt_id, slot, response, saved_seq, saved_at) "
    "VALUES (:attempt, :slot, :response, :seq, :now) "
    "ON CONFLICT (attempt_id, slot) DO UPDATE SET response = excluded.response, "
    "saved_seq = excluded.saved_seq, saved_at = excluded.saved_at "
    "WHERE attempt_answer.saved_seq < excluded.saved_seq RETURNING saved_seq"
).bindparams(bindparam("response", type_=JSON))
INSERT = text(
    'INSERT INTO attempt (exam_id, user_id, number, state, started_at, grace_s, "order", '
    "ids_map, option_order, counted) VALUES (:exam, :user, 1, 'in_progress', :now, 0, :order, "
    ":ids_map, '{}', true) RETURNING id"
).bindparams(bindparam("order", type_=JSON), bindparam("ids_map", type_=JSON))
ATTEMPT = text("SELECT id, state, deadline, started_at FROM attempt WHERE id = :id")
ANSWERS = text("SELECT slot, response FROM attempt_answer WHERE attempt_id = :id").columns(
    slot=Integer, response=JSON)

app = Flask(__name__)


@app.get("/healthz")
def healthz():
    return {"status": "ok"}


def _now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


@app.put("/min/attempts/<int:attempt_id>/answers/<int:slot>")
def save(attempt_id, slot):
    body = request.get_json()
    with engine.begin() as conn:
        stored = conn.execute(UPSERT, {"attempt": attempt_id, "slot": slot, "now": _now(),
                                       "response": body["response"],
                                       "seq": body["seq"]}).scalar()
        if stored is None:
            stored = conn.execute(text("SELECT saved_seq FROM attempt_answer WHERE attempt_id = "
                                       ":a AND slot = :s"), {"a": attempt_id, "s": slot}).scalar()
    return {"slot": slot, "saved_seq": stored}


@app.post("/min/exams/<int:exam_id>/attempts/<int:user_id>")
def start(exam_id, user_id):
    with engine.begin() as conn:
        attempt_id = conn.execute(INSERT, {"exam": exam_id, "user": user_id, "now": _now(),
                                           "order": ORDER, "ids_map": IDS_MAP}).scalar()
    return {"attempt_id": attempt_id}


@app.get("/min/attempts/<int:attempt_id>")
def page(attempt_id):
    with engine.connect() as conn:
        row = conn.execute(ATTEMPT, {"id": attempt_id}).one()
        answers = {str(slot): response
                   for slot, response in conn.execute(ANSWERS, {"id": attempt_id})}
    return {"attempt_id": row.id, "state": row.state, "started_at": str(row.started_at),
            "answers": answers}
