"""The SQLAlchemy object, its constraint naming convention, durable SQLite and enum columns.

Created unbound; :func:`lms.app.create_app` binds it to an app.
"""

import sqlite3

from flask_sqlalchemy import SQLAlchemy
from sqlalchemy import Enum, MetaData, event
from sqlalchemy.engine import Engine

#: Constraint names are fixed so that Alembic migrations are the same on SQLite and PostgreSQL.
NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

db = SQLAlchemy(metadata=MetaData(naming_convention=NAMING))


@event.listens_for(Engine, "connect")
def _sqlite_pragmas(dbapi_connection, _record):
    """Durable SQLite: write-ahead log, fsync on every commit, foreign keys enforced."""
    if not isinstance(dbapi_connection, sqlite3.Connection):
        return
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=FULL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


def db_enum(enum_class, length: int = 30):
    """A portable enum column that stores the members' *values* (``"school"``, not ``"SCHOOL"``).

    Stored values are what raw SQL, check constraints and reports see, so they must be the
    lower-case domain words.
    """
    return Enum(enum_class, native_enum=False, length=length, validate_strings=True,
                values_callable=lambda members: [m.value for m in members])
