"""This run's database and Redis: where they are, a fresh database, a clean slate.

SCANLINK_TEST_DB chooses the database: `sqlite` (default) or `postgresql`, the
latter on the server in TEST_DATABASE_URL, in a database made for this run and
dropped after it. TEST_REDIS_DB picks the Redis database, so that runs in other
checkouts on the same Redis do not flush each other's data.
"""
import os
import uuid

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from webapp.config import TestConfig, database_url
from webapp.extensions import db

TEST_REDIS_DB = int(os.environ.get("TEST_REDIS_DB", "9"))


def redis_url():
    base = os.environ.get("REDIS_URL")
    if not base:
        pytest.exit("REDIS_URL is not set: run the suite with `make test`, which starts a Redis", 2)
    url = make_url(base.replace("redis://", "postgresql://", 1))  # reuse URL parsing
    host = url.host or "127.0.0.1"
    auth = f":{url.password}@" if url.password else ""
    return f"redis://{auth}{host}:{url.port or 6379}/{TEST_REDIS_DB}"


def create_database(kind, tmp_path_factory):
    """Returns (url, dropper) for a fresh, empty database of this run."""
    if kind == "sqlite":
        path = tmp_path_factory.mktemp("db") / "scanlink.db"
        return f"sqlite:///{path}", lambda: None
    server = os.environ.get("TEST_DATABASE_URL")
    if not server:
        pytest.exit("SCANLINK_TEST_DB=postgresql needs TEST_DATABASE_URL", 2)
    admin_url = make_url(database_url(server))
    name = f"scanlink_test_{uuid.uuid4().hex[:10]}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))

    def drop():
        with admin.connect() as conn:
            conn.execute(text(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = :name"
            ), {"name": name})
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
        admin.dispose()

    return admin_url.set(database=name).render_as_string(hide_password=False), drop


def make_config(database, **overrides):
    config = TestConfig()
    config.SQLALCHEMY_DATABASE_URI = database
    config.REDIS_URL = redis_url()
    config.RATELIMIT_STORAGE_URI = config.REDIS_URL
    return config.update(**overrides)


def clean(app):
    with app.app_context():
        tables = [t.name for t in db.metadata.sorted_tables]
        if db.engine.dialect.name == "postgresql":
            db.session.execute(text(
                "TRUNCATE " + ", ".join(f'"{t}"' for t in tables) + " RESTART IDENTITY CASCADE"))
        else:
            for name in reversed(tables):
                db.session.execute(text(f'DELETE FROM "{name}"'))
        db.session.commit()
        db.session.remove()
