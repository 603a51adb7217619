"""Holding back the scan writes of the database, the way a slow disk or a long lock would."""
from contextlib import contextmanager

from webapp.extensions import db


@contextmanager
def scan_writes_held(app):
    """While inside, every scan write waits: another connection holds the write lock
    (SQLite: a write transaction; PostgreSQL: a lock on the counters table that every
    scan's upsert needs). Keep it under SQLITE_BUSY_TIMEOUT_MS (5 s)."""
    with app.app_context():
        raw = db.engine.raw_connection()
        dialect = db.engine.dialect.name
    driver = raw.driver_connection
    try:
        if dialect == "postgresql":
            driver.execute("LOCK TABLE scan_counters IN SHARE ROW EXCLUSIVE MODE")
        else:
            driver.execute("BEGIN IMMEDIATE")
        yield
    finally:
        driver.rollback()
        raw.close()
