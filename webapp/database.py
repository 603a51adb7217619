"""Per-connection settings: WAL and a busy timeout on SQLite, timeouts on PostgreSQL."""
from sqlalchemy import event

from .extensions import db


def init_app(app):
    """Binds the database; the driver options must be set before the engine exists."""
    uri = app.config["SQLALCHEMY_DATABASE_URI"]
    options = dict(app.config.get("SQLALCHEMY_ENGINE_OPTIONS") or {})
    args = dict(options.get("connect_args") or {})
    if uri.startswith("postgresql"):
        args.setdefault("connect_timeout", app.config["DB_CONNECT_TIMEOUT"])
        args.setdefault("options", f"-c statement_timeout={app.config['DB_STATEMENT_TIMEOUT_MS']}")
    elif uri.startswith("sqlite"):
        args.setdefault("timeout", app.config["SQLITE_BUSY_TIMEOUT_MS"] / 1000)
    options["connect_args"] = args
    app.config["SQLALCHEMY_ENGINE_OPTIONS"] = options

    db.init_app(app)
    if uri.startswith("sqlite"):
        with app.app_context():
            event.listen(db.engine, "connect", _sqlite_pragmas(app.config["SQLITE_BUSY_TIMEOUT_MS"]))


def _sqlite_pragmas(busy_ms):
    def on_connect(dbapi_connection, _record):
        cursor = dbapi_connection.cursor()
        # WAL lets readers run while the worker writes; NORMAL is durable enough with WAL.
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute(f"PRAGMA busy_timeout={int(busy_ms)}")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()
    return on_connect
