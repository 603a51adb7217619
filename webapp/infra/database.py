"""Per-connection settings: WAL and a busy timeout on SQLite, timeouts on PostgreSQL."""
import time

from sqlalchemy import event, exc

from webapp.extensions import db

# A pooled connection used less than this many seconds ago is handed out without a
# ping; one that sat idle longer is pinged first (see _ping_when_idle).
PING_AFTER_IDLE_SECONDS = 5.0


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
    ping_when_idle = options.pop("pool_pre_ping", False)
    app.config["SQLALCHEMY_ENGINE_OPTIONS"] = options

    db.init_app(app)
    with app.app_context():
        if ping_when_idle:
            _ping_when_idle(db.engine)
        if uri.startswith("sqlite"):
            event.listen(db.engine, "connect", _sqlite_pragmas(app.config["SQLITE_BUSY_TIMEOUT_MS"]))


def _ping_when_idle(engine):
    """SQLAlchemy's pool_pre_ping, but only for connections that were idle a while.

    pool_pre_ping costs a round trip on every checkout, and a request that does
    one short write (a scan) checks out once: the ping was a fifth of its round
    trips (bench/scan_redirect.py). A connection checked in moments ago is alive;
    one idle for longer (a database restart, a firewall timeout) is still pinged
    and replaced when dead. If the server dies in between, the first statement
    fails, SQLAlchemy sees the disconnect and drops the whole pool.
    """
    @event.listens_for(engine, "checkin")
    def remember_checkin(_dbapi_connection, record):
        record.info["checked_in_at"] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def ping_if_idle(dbapi_connection, record, _proxy):
        checked_in = record.info.get("checked_in_at")
        if checked_in is None or time.monotonic() - checked_in < PING_AFTER_IDLE_SECONDS:
            return  # new, or used moments ago
        try:
            engine.dialect.do_ping(dbapi_connection)
        except engine.dialect.loaded_dbapi.Error as error:
            raise exc.DisconnectionError(f"connection died while idle: {error}") from error


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
