"""The schema exists only through migrations: an empty database upgrades to match the models."""

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from lms.kernel import db as _db


def test_migrated_schema_matches_models(db):
    # The session's database was created by `flask db upgrade` alone (see conftest).
    with _db.engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), _db.metadata)
    assert diff == []


def test_sqlite_durability_pragmas(db):
    if _db.engine.dialect.name != "sqlite":
        return
    with _db.engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA synchronous").scalar() == 2  # FULL
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() >= 1000
