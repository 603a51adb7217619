"""Pooled connections: pinged only after sitting idle, and a dead one is replaced, not used."""
import pytest
from sqlalchemy import create_engine, text

from webapp.extensions import db
from webapp.infra import database


def test_a_connection_killed_while_idle_is_replaced_before_use(app, db_kind, monkeypatch):
    if db_kind != "postgresql":
        pytest.skip("needs a server that can end a session (PostgreSQL)")
    with app.app_context():
        pid = db.session.execute(text("SELECT pg_backend_pid()")).scalar()
        db.session.remove()  # back to the pool
        admin = create_engine(db.engine.url, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            assert conn.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid}).scalar()
        admin.dispose()
        monkeypatch.setattr(database, "PING_AFTER_IDLE_SECONDS", 0.0)
        new_pid = db.session.execute(text("SELECT pg_backend_pid()")).scalar()
        assert new_pid != pid


def test_only_a_connection_idle_for_a_while_is_pinged(app, monkeypatch):
    with app.app_context():
        pings = []
        dialect = db.engine.dialect
        real_ping = dialect.do_ping
        monkeypatch.setattr(dialect, "do_ping", lambda conn: pings.append(1) or real_ping(conn))
        db.session.execute(text("SELECT 1"))
        db.session.remove()
        db.session.execute(text("SELECT 2"))  # checked in moments ago: no ping
        db.session.remove()
        assert pings == []
        monkeypatch.setattr(database, "PING_AFTER_IDLE_SECONDS", 0.0)
        db.session.execute(text("SELECT 3"))
        db.session.remove()
        assert pings == [1]
